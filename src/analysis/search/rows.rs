//! The browser's rows: each procedure's search text and run numbers, built in one pass.

use super::SearchRow as Row;
use crate::analysis::completion_rate;
use crate::model::*;
use crate::store::Dataset;

/// Run numbers of one procedure.
#[derive(Clone, Copy, Default)]
struct RunStats {
    runs: usize,
    completed: usize,
    cancelled: usize,
    last_run: Option<Timestamp>,
}

impl RunStats {
    fn add(&mut self, r: &Run) {
        self.runs += 1;
        match r.status {
            RunStatus::Completed => self.completed += 1,
            RunStatus::Cancelled => self.cancelled += 1,
            RunStatus::InProgress => {}
        }
        if self.last_run.is_none_or(|t| r.start_time.sort_key() > t.sort_key()) {
            self.last_run = Some(r.start_time);
        }
    }
}

fn row_of(p: &Procedure, haystack: &str, steps: usize, stats: RunStats) -> Row {
    let haystack = haystack.to_lowercase();
    Row {
        id: p.id,
        name: p.name.clone(),
        name_key: p.name.to_lowercase(),
        haystack,
        steps,
        runs: stats.runs,
        last_run: stats.last_run,
        rate: completion_rate(stats.completed, stats.cancelled),
    }
}

/// The table row of one procedure (after a change to it).
pub(super) fn build_row(db: &Dataset, p: &Procedure) -> Row {
    let mut haystack = format!("{}\n{}", p.name, p.description);
    for s in db.steps_of(p.id) {
        haystack.push('\n');
        haystack.push_str(&s.description);
    }
    let mut stats = RunStats::default();
    db.runs_of(p.id).iter().filter_map(|r| db.run(*r)).for_each(|r| stats.add(r));
    row_of(p, &haystack, db.step_count(p.id), stats)
}

/// Every row, in one pass over the steps and one over the runs (a lookup per step and
/// per run of a table of 500,000 took a third of a second).
pub(super) fn build_rows(db: &Dataset) -> Vec<Row> {
    let procedures = db.procedures.rows();
    let positions = db.procedures.positions();
    let at = |pid: ProcedureId| positions.get(u64::from(pid));
    let mut haystacks: Vec<String> = procedures.iter().map(|p| format!("{}\n{}", p.name, p.description)).collect();
    let mut steps = vec![0usize; procedures.len()];
    for s in db.steps.rows() {
        if let Some(i) = at(s.procedure_id) {
            haystacks[i].push('\n');
            haystacks[i].push_str(&s.description);
            steps[i] += 1;
        }
    }
    let mut stats = vec![RunStats::default(); procedures.len()];
    for r in db.runs.rows() {
        if let Some(i) = at(r.procedure_id) {
            stats[i].add(r);
        }
    }
    procedures.iter().enumerate().map(|(i, p)| row_of(p, &haystacks[i], steps[i], stats[i])).collect()
}
