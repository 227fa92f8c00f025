//! Loading a whole folder: every table in parallel, typed, indexed and checked.

use super::check;
use super::db::Db;
use super::error::{Error, Problem};
use super::read::{Fields, LoadProgress, ReadTable, read_table};
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
    Run {
        id,
        procedure_id,
        start_time,
        end_time,
        status,
        notes: f.text(5),
        procedure_version: f.opt_u32(6),
        extra: f.extra(),
    }
}

fn decode_run_step(f: &mut Fields<'_>) -> RunStep {
    let rs = RunStep::new(RunStepId(f.id(0)), RunId(f.id(1)), StepId(f.id(2)), f.bool(3), f.opt_ts(4));
    let notes = f.str(5);
    let extra = f.extra();
    if notes.is_empty() && extra.is_empty() { rs } else { rs.with_more(notes, extra) }
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
        let run_steps = s.spawn(|| read_table(dir, TableKind::RunSteps, decode_run_step, progress));
        let runs = s.spawn(|| read_table(dir, TableKind::Runs, decode_run, progress));
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
    let db = Db::from_tables(
        finish(procedures?, TableKind::Procedures, &mut problems, &mut lines, &mut incomplete),
        finish(steps?, TableKind::Steps, &mut problems, &mut lines, &mut incomplete),
        finish(runs?, TableKind::Runs, &mut problems, &mut lines, &mut incomplete),
        finish(run_steps?, TableKind::RunSteps, &mut problems, &mut lines, &mut incomplete),
        finish(labels?, TableKind::Labels, &mut problems, &mut lines, &mut incomplete),
        finish(links?, TableKind::ProcedureLabels, &mut problems, &mut lines, &mut incomplete),
        finish(versions?, TableKind::Versions, &mut problems, &mut lines, &mut incomplete),
    );
    let index_done = started.elapsed();
    problems.extend(check::check(&db, &lines, incomplete));
    log::debug!(
        "loaded {}: read {read_done:.2?}, indexed {:.2?}, checked {:.2?}",
        dir.display(),
        index_done - read_done,
        started.elapsed() - index_done
    );
    if std::env::var_os("PROCEDURES_TIMING").is_some() {
        eprintln!(
            "read {read_done:.2?}, index {:.2?}, check {:.2?}",
            index_done - read_done,
            started.elapsed() - index_done
        );
    }
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(Loaded { db, problems, lines, fingerprints })
}
