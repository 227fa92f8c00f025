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

    // Which procedure ids exist, by id (ids are dense: a bitmap beats a search per row).
    let procedure_exists = Exists::of(db.procedures.rows().iter().map(|p| p.id.0));
    let known_procedure = |id: ProcedureId| !has_procedures || procedure_exists.has(id.0);

    // steps: procedure exists, order contiguous per procedure.
    let mut orders: Vec<(ProcedureId, u32, usize)> = Vec::with_capacity(db.steps.len());
    for (i, s) in db.steps.rows().iter().enumerate() {
        if !known_procedure(s.procedure_id) {
            out.push(at(TableKind::Steps, i, "procedure_id", format!("no procedure with id {}", s.procedure_id)));
        }
        orders.push((s.procedure_id, s.order, i));
    }
    orders.sort_unstable();
    for list in orders.chunk_by(|a, b| a.0 == b.0) {
        let pid = list[0].0;
        for (expected, (_, order, i)) in (1u32..).zip(list) {
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
        if !known_procedure(r.procedure_id) {
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
                if !known_procedure(v.procedure_id) {
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
        if !known_procedure(pl.procedure_id) {
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
    let step_exists = Exists::of(db.steps.rows().iter().map(|s| s.id.0));
    let known_step = |id: StepId| step_exists.has(id.0);
    let runs = db.runs.rows();
    let mut cursor = 0;
    let mut versions_of: Option<HashMap<ProcedureId, Vec<&Version>>> = None;
    let mut last_run: Option<(RunId, Option<ProcedureId>)> = None;
    for (i, rs) in db.run_steps.rows().iter().enumerate() {
        // The run steps of one run sit together: look the run up once.
        let pid = match last_run {
            Some((id, pid)) if id == rs.run_id => pid,
            _ => {
                // Runs come in id order too, mostly: try the next run before searching.
                let at = if runs.get(cursor).is_some_and(|r| r.id == rs.run_id) {
                    Some(cursor)
                } else {
                    runs.binary_search_by_key(&rs.run_id, |r| r.id).ok()
                };
                cursor = at.map_or(cursor, |a| a + 1);
                let pid = at.map(|a| runs[a].procedure_id);
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

/// Which ids of a table exist, for a check per row: a bitmap when the ids are dense
/// (the usual case), else the sorted ids (a file with a huge id must not cost gigabytes).
enum Exists {
    Bits(Vec<bool>),
    Sorted(Vec<u32>),
}

impl Exists {
    /// From ids in increasing order.
    fn of(ids: impl Iterator<Item = u32> + Clone) -> Self {
        let (count, max) = ids.clone().fold((0usize, 0u32), |(n, m), id| (n + 1, m.max(id)));
        if max as usize > 4 * count + (1 << 20) {
            return Self::Sorted(ids.collect());
        }
        let mut v = vec![false; max as usize + 1];
        for id in ids {
            v[id as usize] = true;
        }
        Self::Bits(v)
    }

    fn has(&self, id: u32) -> bool {
        match self {
            Self::Bits(v) => v.get(id as usize).copied().unwrap_or(false),
            Self::Sorted(v) => v.binary_search(&id).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Exists;

    #[test]
    fn id_sets_are_small_even_with_a_huge_id() {
        let dense = Exists::of([1, 2, 5].into_iter());
        assert!(matches!(dense, Exists::Bits(_)));
        let sparse = Exists::of([1, 5, 4_000_000_000].into_iter());
        assert!(matches!(sparse, Exists::Sorted(_)));
        for set in [dense, sparse] {
            assert!(set.has(1) && set.has(5) && !set.has(3) && !set.has(6) && !set.has(u32::MAX));
        }
    }
}
