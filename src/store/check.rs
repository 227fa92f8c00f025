//! Integrity rules across tables (parse errors and duplicate ids are found while reading).

use super::db::Db;
use super::error::Problem;
use super::load::Lines;
use super::table::{TableKind, TableSet};
use crate::model::*;
use std::collections::{HashMap, HashSet};

/// Check the rules of the data-folder contract that span rows and tables.
///
/// Uses only the tables, not the indexes of `db` (loading builds those meanwhile).
///
/// `incomplete` names tables that lost rows to parse errors: references into them are
/// not reported again (the parse error already says what is wrong).
pub fn check(db: &Db, lines: &Lines, incomplete: TableSet) -> Vec<Problem> {
    let mut out = Vec::new();
    let has_procedures = !incomplete.contains(TableKind::Procedures);
    let has_steps = !incomplete.contains(TableKind::Steps) && !incomplete.contains(TableKind::Versions);
    let has_runs = !incomplete.contains(TableKind::Runs);
    let has_labels = !incomplete.contains(TableKind::Labels);
    let at =
        |t: TableKind, i: usize, col: &str, msg: String| Problem::new(t.file_name(), lines.line(t, i), Some(col), msg);

    // steps: procedure exists, order contiguous per procedure.
    let mut orders: HashMap<ProcedureId, Vec<(u32, usize)>> = HashMap::new();
    for (i, s) in db.steps.rows().iter().enumerate() {
        if has_procedures && db.procedure(s.procedure_id).is_none() {
            out.push(at(TableKind::Steps, i, "procedure_id", format!("no procedure with id {}", s.procedure_id)));
        }
        orders.entry(s.procedure_id).or_default().push((s.order, i));
    }
    let mut by_proc: Vec<_> = orders.into_iter().collect();
    by_proc.sort_by_key(|(p, _)| *p);
    for (pid, mut list) in by_proc {
        list.sort_unstable();
        for (expected, (order, i)) in (1u32..).zip(&list) {
            if *order != expected {
                let msg = if *order < expected {
                    format!("order {order} appears twice in procedure {pid}")
                } else {
                    format!(
                        "order {order} in procedure {pid} leaves a gap (expected {expected}; orders must run 1, 2, 3, …)"
                    )
                };
                out.push(at(TableKind::Steps, *i, "order", msg));
                break;
            }
        }
    }

    // runs: procedure exists, end >= start.
    for (i, r) in db.runs.rows().iter().enumerate() {
        if has_procedures && db.procedure(r.procedure_id).is_none() {
            out.push(at(TableKind::Runs, i, "procedure_id", format!("no procedure with id {}", r.procedure_id)));
        }
        if let Some(end) = r.end_time
            && end.secs_since(&r.start_time) < 0
        {
            out.push(at(TableKind::Runs, i, "end_time", format!("ends before it starts ({} < {})", end, r.start_time)));
        }
    }

    // versions: procedure exists, snapshot parses (on another thread: on big folders
    // it is the slow part), while the run_steps are checked here.
    let versions_check = std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            let mut out = Vec::new();
            for (i, v) in db.versions.rows().iter().enumerate() {
                if has_procedures && db.procedure(v.procedure_id).is_none() {
                    out.push(at(
                        TableKind::Versions,
                        i,
                        "procedure_id",
                        format!("no procedure with id {}", v.procedure_id),
                    ));
                }
                if let Err(e) = Snapshot::parse(&v.procedure_snapshot) {
                    out.push(at(
                        TableKind::Versions,
                        i,
                        "procedure_snapshot",
                        format!("not a valid snapshot JSON: {e}"),
                    ));
                }
            }
            out
        });
        run_steps_check(db, lines, has_runs, has_steps, &mut out);
        handle.join().unwrap_or_default()
    });
    out.extend(versions_check);

    // procedure_labels: both ends exist.
    for (i, pl) in db.procedure_labels.rows().iter().enumerate() {
        if has_procedures && db.procedure(pl.procedure_id).is_none() {
            out.push(at(
                TableKind::ProcedureLabels,
                i,
                "procedure_id",
                format!("no procedure with id {}", pl.procedure_id),
            ));
        }
        if has_labels && db.label(pl.label_id).is_none() {
            out.push(at(TableKind::ProcedureLabels, i, "label_id", format!("no label with id {}", pl.label_id)));
        }
    }
    out
}

/// run_steps: run exists, step resolves (current steps, else a version snapshot of the
/// run's procedure), completed ⇔ completed_at.
fn run_steps_check(db: &Db, lines: &Lines, has_runs: bool, has_steps: bool, out: &mut Vec<Problem>) {
    let at = |i: usize, col: &str, msg: String| {
        Problem::new(TableKind::RunSteps.file_name(), lines.line(TableKind::RunSteps, i), Some(col), msg)
    };
    // Snapshot step ids, parsed only for procedures that need them.
    let mut snapshot_steps: HashMap<ProcedureId, HashSet<u32>> = HashMap::new();
    // Which step ids exist, by id (ids are dense: a bitmap beats a search per row).
    let max_step = db.steps.rows().last().map_or(0, |s| s.id.0 as usize);
    let mut step_exists = vec![false; max_step + 1];
    for s in db.steps.rows() {
        step_exists[s.id.0 as usize] = true;
    }
    let known_step = |id: StepId| step_exists.get(id.0 as usize).copied().unwrap_or(false);
    let mut versions_of: Option<HashMap<ProcedureId, Vec<&Version>>> = None;
    let mut last_run: Option<(RunId, Option<ProcedureId>)> = None;
    for (i, rs) in db.run_steps.rows().iter().enumerate() {
        // The run steps of one run sit together: look the run up once.
        let pid = match last_run {
            Some((id, pid)) if id == rs.run_id => pid,
            _ => {
                let pid = db.run(rs.run_id).map(|r| r.procedure_id);
                last_run = Some((rs.run_id, pid));
                pid
            }
        };
        match pid {
            None if has_runs => out.push(at(i, "run_id", format!("no run with id {}", rs.run_id))),
            None => {}
            Some(pid) if has_steps && !known_step(rs.step_id) => {
                let versions = versions_of.get_or_insert_with(|| {
                    let mut m: HashMap<ProcedureId, Vec<&Version>> = HashMap::new();
                    for v in db.versions.rows() {
                        m.entry(v.procedure_id).or_default().push(v);
                    }
                    m
                });
                let ids = snapshot_steps.entry(pid).or_insert_with(|| {
                    versions
                        .get(&pid)
                        .into_iter()
                        .flatten()
                        .filter_map(|v| Snapshot::parse(&v.procedure_snapshot).ok())
                        .flat_map(|s| s.steps.into_iter().filter_map(|st| st.id))
                        .collect()
                });
                if !ids.contains(&rs.step_id.0) {
                    out.push(at(
                        i,
                        "step_id",
                        format!(
                            "no step with id {} (neither in steps.csv nor in a version of procedure {pid})",
                            rs.step_id
                        ),
                    ));
                }
            }
            Some(_) => {}
        }
        match (rs.completed, rs.completed_at.is_some()) {
            (true, false) => out.push(at(i, "completed_at", "completed is True but completed_at is empty".into())),
            (false, true) => out.push(at(i, "completed_at", "completed_at is set but completed is False".into())),
            _ => {}
        }
    }
}
