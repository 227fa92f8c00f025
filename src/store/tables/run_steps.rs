//! `run_steps.csv`: one row per step of every run (the biggest table: millions of rows).

use super::{Checker, Exists};
use super::{Schema, TableKind, columns};
use crate::model::*;
use crate::store::canonical::{FieldWriter, Sink};
use crate::store::error::Problem;
use crate::store::read::{DayCache, Fields, fast};
use std::collections::{HashMap, HashSet};

columns! {
    Id = "id",
    RunId = "run_id",
    StepId = "step_id",
    Completed = "completed",
    CompletedAt = "completed_at",
    Notes = "notes",
    Value = "value",
    CompletedBy = "completed_by",
}

impl Schema for RunStep {
    const KIND: TableKind = TableKind::RunSteps;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &["completed_at", "notes", "value", "completed_by"];
    const NEW: usize = 2;
    const FAST: Option<crate::store::read::FastDecode<Self>> = Some(decode_fast);

    fn decode(f: &mut Fields<'_>) -> Self {
        let rs = RunStep::new(
            RunStepId(f.id(Col::Id)),
            RunId(f.id(Col::RunId)),
            StepId(f.id(Col::StepId)),
            f.bool(Col::Completed),
            f.opt_ts(Col::CompletedAt),
        );
        let notes = f.str(Col::Notes);
        let (value, by) = (f.str(Col::Value), f.str(Col::CompletedBy));
        let extra = f.extra();
        let mut rs = rs.with_details(notes, value, extra);
        rs.completed_by = Name::of(by).unwrap_or_else(|| {
            f.invalid(Col::CompletedBy, "more than 65,535 different names in one folder", by);
            Name::NONE
        });
        rs
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, new: u8) {
        w.int(self.id);
        w.int(self.run_id);
        w.int(self.step_id);
        w.bool(self.completed);
        w.ts(self.completed_at());
        w.text(self.notes());
        if new & 1 != 0 {
            w.text(self.value());
        }
        if new & 2 != 0 {
            w.text(self.completed_by.as_str());
        }
    }

    fn needs(&self) -> u8 {
        u8::from(!self.value().is_empty()) | (u8::from(!self.completed_by.is_none()) << 1)
    }

    fn extra_values(&self) -> &[Box<str>] {
        self.extra()
    }

    /// The run exists; the step resolves (current steps, else a version snapshot of the
    /// run's procedure); completed ⇔ completed_at; every run has run steps (a run is
    /// started with a row for each step of its procedure, which has at least one).
    ///
    /// The rows are checked in two halves at once (cut where a run ends), each with its
    /// own caches: on a big folder this is the longest part of the check, which runs
    /// after the reading.
    fn check(c: &Checker<'_>, out: &mut Vec<Problem>) {
        check_in_halves(c, out, 1 << 16);
    }
}

/// [`RunStep::check`], in two halves from `min_rows` rows on.
fn check_in_halves(c: &Checker<'_>, out: &mut Vec<Problem>, min_rows: usize) {
    let rows = c.db.run_steps.rows();
    let runs = c.db.runs.rows();
    let cut = halfway_between_runs(rows, min_rows);
    let step_exists = Exists::of(c.db.steps.rows().iter().map(|s| s.id.0));
    let (first, second) = if cut == 0 {
        (check_rows(c, &step_exists, rows, 0), (Vec::new(), vec![false; runs.len()]))
    } else {
        std::thread::scope(|scope| {
            let second = scope.spawn(|| check_rows(c, &step_exists, &rows[cut..], cut));
            let first = check_rows(c, &step_exists, &rows[..cut], 0);
            // A panic in the other half is a bug: raise it here.
            (first, second.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        })
    };
    out.extend(first.0);
    out.extend(second.0);
    if c.has_run_steps {
        let has_steps = |i: usize| first.1[i] || second.1[i];
        for (i, run) in runs.iter().enumerate().filter(|(i, _)| !has_steps(*i)) {
            out.push(c.problem(
                TableKind::Runs,
                i,
                "id",
                format!("run {} has none of its steps in run_steps.csv (a run has a row there for each step)", run.id),
            ));
        }
    }
}

/// Where to cut `rows` in two for checking: the first row of a run at or after the
/// middle (0: not worth two threads, or no run starts there).
fn halfway_between_runs(rows: &[RunStep], min_rows: usize) -> usize {
    if rows.len() < min_rows.max(2) {
        return 0;
    }
    let mid = rows.len() / 2;
    (mid..rows.len()).find(|&i| rows[i].run_id != rows[i - 1].run_id).unwrap_or(0)
}

/// [`RunStep::check`] of `rows`, which start at row `base` of the table: the problems,
/// and which runs have run steps among them.
fn check_rows<'a>(
    c: &Checker<'a>,
    step_exists: &Exists,
    rows: &'a [RunStep],
    base: usize,
) -> (Vec<Problem>, Vec<bool>) {
    let db = c.db;
    let mut out = Vec::new();
    let at = |i: usize, col: &str, msg: String| c.problem(RunStep::KIND, base + i, col, msg);
    // Snapshot step ids, parsed only for procedures that need them.
    let mut snapshot_steps: HashMap<ProcedureId, HashSet<u32>> = HashMap::new();
    let known_step = |id: StepId| step_exists.has(id.0);
    let runs = db.runs.rows();
    let mut cursor = 0;
    let mut has_steps = vec![false; runs.len()];
    let mut versions_of: Option<HashMap<ProcedureId, Vec<&Version>>> = None;
    let mut last_run: Option<(RunId, Option<ProcedureId>)> = None;
    let mut values = Values {
        db,
        definitions: HashMap::new(),
        current: crate::store::IdMap::default(),
        last_run: None,
        versions: None,
    };
    for (i, rs) in rows.iter().enumerate() {
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
                if let Some(a) = at {
                    has_steps[a] = true;
                }
                let pid = at.map(|a| runs[a].procedure_id);
                last_run = Some((rs.run_id, pid));
                pid
            }
        };
        match pid {
            None if c.has_runs => out.push(at(i, "run_id", format!("no run with id {}", rs.run_id))),
            None => {}
            Some(pid) if c.has_steps && !known_step(rs.step_id) => {
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
        if !rs.value().is_empty()
            && let Some(msg) = values.misfit(rs)
        {
            out.push(at(i, "value", msg));
        }
        match (rs.completed, rs.completed_at().is_some()) {
            (true, false) => out.push(at(i, "completed_at", "completed is True but completed_at is empty".into())),
            (false, true) => out.push(at(i, "completed_at", "completed_at is set but completed is False".into())),
            _ => {}
        }
    }
    (out, has_steps)
}

/// [`RunStep::decode`] for lines as the app writes them.
pub(crate) fn decode_fast(b: &[u8], days: &mut DayCache, new: u8) -> Option<(RunStep, usize)> {
    let mut i = 0;
    let id = fast::id(b, &mut i)?;
    let run = fast::id(b, &mut i)?;
    let step = fast::id(b, &mut i)?;
    let completed = fast::word(b, &mut i, &[b"True", b"False"])? == 0;
    let completed_at = fast::opt_ts(b, &mut i, days)?;
    let notes = fast::text(b, &mut i, new == 0)?;
    let rs = RunStep::new(RunStepId(id), RunId(run), StepId(step), completed, completed_at);
    let value = if new & 1 != 0 { fast::text(b, &mut i, fast::last_bit(new, 0))? } else { "" };
    let mut rs = if notes.is_empty() && value.is_empty() { rs } else { rs.with_details(notes, value, Box::default()) };
    if new & 2 != 0 {
        rs.completed_by = Name::of(fast::text(b, &mut i, true)?)?;
    }
    Some((rs, fast::end(b, i)?))
}

/// What a recorded value is judged by: the step as the run's version saw it (its
/// snapshot), else the current step. Built only for the (rare) rows with a value, and
/// the snapshot only for a value the current step rejects.
struct Values<'a> {
    db: super::TablesRef<'a>,
    /// (procedure, version) → its steps' kinds and options by step id.
    definitions: HashMap<(ProcedureId, u32), crate::store::IdMap<u32, (StepKind, Options)>>,
    /// Current steps' kinds and options (runs without a version).
    current: crate::store::IdMap<u32, Option<(StepKind, Options)>>,
    /// Position of the run of the last row judged.
    last_run: Option<usize>,
    /// The versions by (procedure, version), made on the first value (one pass).
    versions: Option<HashMap<(ProcedureId, u32), &'a Version>>,
}

impl Values<'_> {
    /// Why `rs`'s value does not fit its step, if it does not. Definitions are parsed
    /// once per (procedure, version) and per current step; nothing is copied per value.
    fn misfit(&mut self, rs: &RunStep) -> Option<String> {
        let db = self.db;
        // Judged by the current step first (no snapshot to parse: a folder has tens of
        // thousands of versions); only a value the current step rejects (or whose step
        // is gone) is judged again by the step as the run's version had it, which decides.
        // By position (ids are dense: one read, not a binary search missing the cache
        // at each of its 17 steps, for each step that has values).
        let current = self
            .current
            .entry(rs.step_id.0)
            .or_insert_with(|| db.steps.get(u64::from(rs.step_id.0)).map(|s| (s.kind, s.parsed_options())));
        let by_current = current.as_ref().map(|(kind, options)| misfit(*kind, options, rs.value()));
        if by_current == Some(None) {
            return None;
        }
        let runs = db.runs.rows();
        // The rows of one run sit together: the last run found is tried first.
        let run = match self.last_run {
            Some(i) if runs.get(i).is_some_and(|r| r.id == rs.run_id) => Some(&runs[i]),
            _ => {
                let i = runs.binary_search_by_key(&rs.run_id, |r| r.id).ok();
                self.last_run = i;
                i.map(|i| &runs[i])
            }
        };
        let versions = self
            .versions
            .get_or_insert_with(|| db.versions.rows().iter().map(|v| ((v.procedure_id, v.version), v)).collect());
        if let Some(key) = run.and_then(|r| Some((r.procedure_id, r.procedure_version?))) {
            let defs = self.definitions.entry(key).or_insert_with(|| {
                versions
                    .get(&key)
                    .and_then(|v| SnapshotAsks::parse(&v.procedure_snapshot).ok())
                    .map(|s| s.asks().collect())
                    .unwrap_or_default()
            });
            if let Some((kind, options)) = defs.get(&rs.step_id.0) {
                return misfit(*kind, options, rs.value());
            }
        }
        by_current.flatten()
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Timestamp;
    use crate::store::tables::{Checker, TableSet};

    /// The two halves report what one pass reports, in the same order: problems in
    /// both halves, at the cut, and runs without run steps.
    #[test]
    fn the_halves_report_what_one_pass_reports() {
        let mut db = crate::generate::build(crate::generate::Scale::Small, 5);
        let pid = db.procedures.rows()[0].id;
        let now = Timestamp::parse("2026-11-26 08:00:00").expect("ts");
        crate::ops::start_run(&mut db, pid, now).expect("run");
        db.mark_full(TableSet::all());
        let dir = tempfile::tempdir().expect("tmp");
        crate::store::write_tables(dir.path(), &db.write_snapshots(TableSet::all())).expect("written");
        let path = dir.path().join("run_steps.csv");
        let text = std::fs::read_to_string(&path).expect("read");
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let n = lines.len();
        for (k, at) in [n / 10, n / 2 - 1, n / 2, n / 2 + 1, 9 * n / 10].into_iter().enumerate() {
            let mut fields: Vec<String> = lines[at].split(',').map(str::to_owned).collect();
            match k % 3 {
                0 => fields[1] = "99999999".into(),
                1 => fields[3] = if fields[3] == "True" { "False".into() } else { "True".into() },
                _ => fields[2] = "88888888".into(),
            }
            lines[at] = fields.join(",");
        }
        // The last run loses its run steps.
        let last_run = db.runs.rows().last().expect("a run").id.to_string();
        lines.retain(|l| l.split(',').nth(1) != Some(last_run.as_str()));
        std::fs::write(&path, lines.join("\n") + "\n").expect("write");
        let loaded = crate::store::load(dir.path()).expect("loads");
        let check = |min_rows| {
            let c = Checker::new(loaded.db.tables(), &loaded.lines, TableSet::EMPTY);
            let mut out = Vec::new();
            super::check_in_halves(&c, &mut out, min_rows);
            out.iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        let one_pass = check(usize::MAX);
        assert!(one_pass.len() >= 6, "{one_pass:?}");
        assert!(one_pass.iter().any(|p| p.contains("has none of its steps")), "{one_pass:?}");
        assert_eq!(check(2), one_pass);
    }
}
