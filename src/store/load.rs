//! Loading a whole folder: every table in parallel, typed, indexed and checked.

use super::check;
use super::db::Db;
use super::error::{Error, Problem};
use super::read::{DayCache, Fields, LoadProgress, ReadTable, fast, read_table, read_table_fast};
use super::table::{Table, TableKind, TableSet};
use crate::model::*;
use std::path::Path;

/// The lines each row came from, per table, aligned with the table's rows.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    per_table: [Vec<u32>; 7],
}

impl Lines {
    /// The file line of the row at `index` of table `t` (0 when unknown, e.g. a new row).
    pub fn line(&self, t: TableKind, index: usize) -> u64 {
        self.per_table[t as usize].get(index).map_or(0, |&l| u64::from(l))
    }
}

/// A loaded folder.
#[derive(Debug)]
pub struct Loaded {
    /// The data.
    pub db: Db,
    /// Everything wrong in the files, sorted by file and line. Non-empty means read-only.
    pub problems: Vec<Problem>,
    /// Where each row came from.
    pub lines: Lines,
    /// The files as they were when read (to notice outside changes later).
    pub fingerprints: [super::Fingerprint; 7],
}

fn decode_procedure(f: &mut Fields<'_>) -> Procedure {
    Procedure {
        id: ProcedureId(f.id(0)),
        name: f.text(1),
        description: f.text(2),
        created_at: f.opt_ts(3),
        updated_at: f.opt_ts(4),
        version: f.opt_u32(5).unwrap_or(1),
        extra: f.extra(),
    }
}

fn decode_step(f: &mut Fields<'_>) -> Step {
    Step {
        id: StepId(f.id(0)),
        procedure_id: ProcedureId(f.id(1)),
        order: f.u32(2),
        description: f.text(3),
        estimated_duration_secs: f.opt_u32(4),
        extra: f.extra(),
    }
}

fn decode_run(f: &mut Fields<'_>) -> Run {
    let id = RunId(f.id(0));
    let procedure_id = ProcedureId(f.id(1));
    let start_time = f.ts(2);
    let end_time = f.opt_ts(3);
    let status_text = f.str(4);
    let status = RunStatus::parse(status_text).unwrap_or_else(|| {
        f.invalid(4, "expected in_progress, completed or cancelled", status_text);
        RunStatus::InProgress
    });
    let notes = f.str(5);
    let mut run = Run::new(id, procedure_id, start_time, f.opt_u32(6));
    (run.end_time, run.status) = (end_time, status);
    run.with_more(notes, f.extra())
}

fn decode_run_step(f: &mut Fields<'_>) -> RunStep {
    let rs = RunStep::new(RunStepId(f.id(0)), RunId(f.id(1)), StepId(f.id(2)), f.bool(3), f.opt_ts(4));
    let notes = f.str(5);
    let extra = f.extra();
    if notes.is_empty() && extra.is_empty() { rs } else { rs.with_more(notes, extra) }
}

/// [`decode_run_step`] for lines as the app writes them.
fn fast_run_step(b: &[u8], days: &mut DayCache) -> Option<(RunStep, usize)> {
    let mut i = 0;
    let id = fast::id(b, &mut i)?;
    let run = fast::id(b, &mut i)?;
    let step = fast::id(b, &mut i)?;
    let completed = fast::word(b, &mut i, &[b"True", b"False"])? == 0;
    let completed_at = fast::opt_ts(b, &mut i, days)?;
    let notes = fast::text(b, &mut i, true)?;
    let rs = RunStep::new(RunStepId(id), RunId(run), StepId(step), completed, completed_at);
    Some((if notes.is_empty() { rs } else { rs.with_more(notes, Box::default()) }, fast::end(b, i)?))
}

/// [`decode_run`] for lines as the app writes them.
fn fast_run(b: &[u8], days: &mut DayCache) -> Option<(Run, usize)> {
    const STATUS: [RunStatus; 3] = [RunStatus::InProgress, RunStatus::Completed, RunStatus::Cancelled];
    let mut i = 0;
    let id = fast::id(b, &mut i)?;
    let procedure_id = fast::id(b, &mut i)?;
    let start_time = fast::opt_ts(b, &mut i, days)??;
    let end_time = fast::opt_ts(b, &mut i, days)?;
    let status = STATUS[fast::word(b, &mut i, &[b"in_progress", b"completed", b"cancelled"])?];
    let notes = fast::text(b, &mut i, false)?;
    let procedure_version = fast::opt_u32(b, &mut i, true)?;
    let mut run = Run::new(RunId(id), ProcedureId(procedure_id), start_time, procedure_version);
    (run.end_time, run.status) = (end_time, status);
    Some((run.with_more(notes, Box::default()), fast::end(b, i)?))
}

fn decode_label(f: &mut Fields<'_>) -> Label {
    Label { id: LabelId(f.id(0)), name: f.text(1), color: f.text(2), extra: f.extra() }
}

fn decode_link(f: &mut Fields<'_>) -> ProcedureLabel {
    ProcedureLabel { procedure_id: ProcedureId(f.id(0)), label_id: LabelId(f.id(1)), extra: f.extra() }
}

fn decode_version(f: &mut Fields<'_>) -> Version {
    Version {
        id: VersionId(f.id(0)),
        procedure_id: ProcedureId(f.id(1)),
        version: f.u32(2),
        created_at: f.opt_ts(3),
        change_description: f.text(4),
        procedure_snapshot: f.text(5),
        extra: f.extra(),
    }
}

fn finish<R: Row + Clone>(
    t: ReadTable<R>,
    kind: TableKind,
    problems: &mut Vec<Problem>,
    lines: &mut Lines,
    incomplete: &mut TableSet,
) -> Table<R> {
    if !t.problems.is_empty() {
        incomplete.insert(kind);
    }
    problems.extend(t.problems);
    lines.per_table[kind as usize] = t.lines;
    Table::from_sorted(t.rows, t.extra_columns)
}

fn join<T>(dir: &Path, h: std::thread::ScopedJoinHandle<'_, Result<T, Error>>) -> Result<T, Error> {
    h.join().unwrap_or_else(|_| Err(Error::io(dir, std::io::Error::other("reader thread panicked"))))
}

/// Load a folder: parse and type every table (in parallel), index, and check it.
///
/// Fails only when the folder or a file cannot be read at all; everything wrong
/// inside the files is in [`Loaded::problems`].
pub fn load(dir: &Path) -> Result<Loaded, Error> {
    load_with_progress(dir, None)
}

/// [`load`], counting the bytes read into `progress` (for a progress bar).
pub fn load_with_progress(dir: &Path, progress: Option<&LoadProgress>) -> Result<Loaded, Error> {
    if !dir.is_dir() {
        return Err(Error::NotAFolder(dir.to_path_buf()));
    }
    // Finish (or discard) a tail write that a crash interrupted, before reading.
    for note in super::tail::recover(dir).map_err(|e| Error::io(dir, e))? {
        log::warn!("{}: {note}", dir.display());
    }
    // Taken before reading: a change during the load shows up as a change later.
    let fingerprints = super::fingerprints(dir);
    let started = std::time::Instant::now();
    let (procedures, steps, runs, run_steps, labels, links, versions) = std::thread::scope(|s| {
        let run_steps =
            s.spawn(|| read_table_fast(dir, TableKind::RunSteps, decode_run_step, Some(fast_run_step), progress));
        let runs = s.spawn(|| read_table_fast(dir, TableKind::Runs, decode_run, Some(fast_run), progress));
        let procedures = read_table(dir, TableKind::Procedures, decode_procedure, progress);
        let steps = read_table(dir, TableKind::Steps, decode_step, progress);
        let labels = read_table(dir, TableKind::Labels, decode_label, progress);
        let links = read_table(dir, TableKind::ProcedureLabels, decode_link, progress);
        let versions = read_table(dir, TableKind::Versions, decode_version, progress);
        (procedures, steps, join(dir, runs), join(dir, run_steps), labels, links, versions)
    });
    let read_done = started.elapsed();
    let mut problems = Vec::new();
    let mut lines = Lines::default();
    let mut incomplete = TableSet::EMPTY;
    let db = Db::unindexed(
        finish(procedures?, TableKind::Procedures, &mut problems, &mut lines, &mut incomplete),
        finish(steps?, TableKind::Steps, &mut problems, &mut lines, &mut incomplete),
        finish(runs?, TableKind::Runs, &mut problems, &mut lines, &mut incomplete),
        finish(run_steps?, TableKind::RunSteps, &mut problems, &mut lines, &mut incomplete),
        finish(labels?, TableKind::Labels, &mut problems, &mut lines, &mut incomplete),
        finish(links?, TableKind::ProcedureLabels, &mut problems, &mut lines, &mut incomplete),
        finish(versions?, TableKind::Versions, &mut problems, &mut lines, &mut incomplete),
    );
    // Index (on another thread: the tables are shared, not copied) and check at once.
    let (db, found, index_time, check_time) = std::thread::scope(|s| {
        let indexing = s.spawn(|| {
            let t = std::time::Instant::now();
            let mut indexed = db.clone();
            indexed.reindex();
            (indexed, t.elapsed())
        });
        let t = std::time::Instant::now();
        let found = check::check(&db, &lines, incomplete);
        let check_time = t.elapsed();
        let (indexed, index_time) = match indexing.join() {
            Ok(done) => done,
            Err(_) => {
                let mut indexed = db.clone();
                indexed.reindex();
                (indexed, std::time::Duration::ZERO)
            }
        };
        (indexed, found, index_time, check_time)
    });
    problems.extend(found);
    let timing = format!(
        "read {read_done:.2?}, index {index_time:.2?} and check {check_time:.2?} at once, total {:.2?}",
        started.elapsed()
    );
    log::debug!("loaded {}: {timing}", dir.display());
    if std::env::var_os("PROCEDURES_TIMING").is_some() {
        eprintln!("{timing}");
    }
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(Loaded { db, problems, lines, fingerprints })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line read with the fast decoders gives what the general path gives.
    #[test]
    fn fast_decoders_agree_with_the_general_path() {
        let run_steps = [
            "1,1,1,True,2025-01-01 08:00:00,",
            "2,1,2,False,,",
            "3,1,3,True,2025-01-01 08:00:00,a note with ünïcode",
            "4,1,4,TRUE,2025-01-01 08:00:00,",
            "5,1,5,True,2025-01-01T08:00:00,",
            "6,1,6,True,2025-01-01 08:00:00.5,",
            "7,1,7,True,2025-02-30 08:00:00,",
            "8,0,8,True,,",
            "0,1,9,False,,",
            "9,1,10,False,,\"quoted\"",
            "10,1,11,False,,two,fields",
            "11,1,12,False,,nul\0byte",
            "12,1,13,False,,\r",
            "13,1,14,False",
            "14,1,99999999999,False,,",
            "15,1,4294967295,False,,",
            " 16,1,1,False,,",
            "17,1,1,1,2025-01-01 08:00:00,",
            "",
            "18,1,1,False,,x",
        ];
        let runs = [
            "1,1,2025-01-01 08:00:00,2025-01-01 09:00:00,completed,,1",
            "2,1,2025-01-01 08:00:00,,in_progress,notes here,",
            "3,1,2025-01-01 08:00:00,2025-01-01 09:00:00,cancelled,,12",
            "4,1,,,in_progress,,1",
            "5,1,2025-01-01 08:00:00,,In Progress,,1",
            "6,1,2025-01-01 08:00:00,,in_progress,,1.0",
            "7,1,2025-01-01 08:00:00,,in_progress,,99999999999",
            "8,1,2025-01-01 08:00:00,,in_progress,,x",
            "9,1,2025-01-01 08:00:00,,done,,1",
            "10,1,2025-01-01 08:00:00,2025-01-01 09:00:00,completed,\"a, b\",1",
            "11,1,2025-01-01 08:00:00+02:00,,in_progress,,",
            "12,1,2025-01-01 08:00:00,,in_progress,,4294967295",
        ];
        let check = |kind: TableKind, lines: &[&str], fast_some: bool| {
            let dir = tempfile::tempdir().expect("tmp");
            let text = format!("{}\n{}\n", kind.columns().join(","), lines.join("\n"));
            std::fs::write(dir.path().join(kind.file_name()), text).expect("write");
            if kind == TableKind::RunSteps {
                let a = read_table(dir.path(), kind, decode_run_step, None).expect("general");
                let b = read_table_fast(dir.path(), kind, decode_run_step, Some(fast_run_step), None).expect("fast");
                assert_eq!((&a.rows, &a.lines, &a.problems), (&b.rows, &b.lines, &b.problems));
                assert!(!fast_some || a.rows.len() > 5, "{:?}", a.problems);
            } else {
                let a = read_table(dir.path(), kind, decode_run, None).expect("general");
                let b = read_table_fast(dir.path(), kind, decode_run, Some(fast_run), None).expect("fast");
                assert_eq!((&a.rows, &a.lines, &a.problems), (&b.rows, &b.lines, &b.problems));
                assert!(!fast_some || a.rows.len() > 3, "{:?}", a.problems);
            }
        };
        check(TableKind::RunSteps, &run_steps, true);
        check(TableKind::Runs, &runs, true);
        // Each line alone too (the last line of a file has no successor).
        for l in run_steps {
            check(TableKind::RunSteps, &[l], false);
        }
        for l in runs {
            check(TableKind::Runs, &[l], false);
        }
        // And the fast path really decodes the lines the app writes.
        let mut days = crate::store::read::DAY_CACHE_START;
        let (rs, n) = fast_run_step(b"3,1,3,True,2025-01-01 08:00:00,a note\n4", &mut days).expect("fast");
        assert_eq!((rs.id, rs.notes(), n), (RunStepId(3), "a note", 38));
        let (r, _) =
            fast_run(runs[1].as_bytes().iter().chain(b"\n").copied().collect::<Vec<u8>>().as_slice(), &mut days)
                .expect("fast");
        assert_eq!((r.status, r.notes(), r.procedure_version), (RunStatus::InProgress, "notes here", None));
    }
}
