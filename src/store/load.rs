//! Loading a whole folder: every table in parallel, typed, indexed and checked.

use super::check;
use super::dataset::Dataset;
use super::error::{Error, Problem};
use super::read::{LoadProgress, ReadTable};
use super::table::Table;
use super::tables::{self, Lines, TableKind, TableSet};
use crate::model::*;
use std::path::Path;

/// A loaded folder.
#[derive(Debug)]
pub struct Loaded {
    /// The data.
    pub db: Dataset,
    /// Everything wrong in the files, sorted by file and line. Non-empty means read-only.
    pub problems: Vec<Problem>,
    /// Where each row came from.
    pub lines: Lines,
    /// The files as they were when read (to notice outside changes later).
    pub fingerprints: [super::Fingerprint; TableKind::COUNT],
    /// What a reader should know of saves a crash interrupted (read as they meant, or
    /// not): see [`super::tail`]. Only the lock's holder finishes them on disk.
    pub notes: Vec<String>,
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
    Table::from_sorted(t.rows, t.extra_columns).with_new_columns(t.new_columns)
}

/// Load a folder: parse and type every table (in parallel), index, and check it.
///
/// Fails only when the folder or a file cannot be read at all; everything wrong
/// inside the files is in [`Loaded::problems`].
pub fn load(dir: &Path) -> Result<Loaded, Error> {
    load_with_progress(dir, None)
}

/// [`load`], counting the bytes read into `progress` (for a progress bar).
///
/// A reader does not lock the folder: each table is read under a shared lock through one
/// open file (`store::read`), so it never sees a save half-done; when a table or a redo
/// file changed between the tables' reads (the app saving meanwhile), the folder is read
/// again, up to three times in all, so that the tables are of one moment.
pub fn load_with_progress(dir: &Path, progress: Option<&LoadProgress>) -> Result<Loaded, Error> {
    if !dir.is_dir() {
        return Err(Error::NotAFolder(dir.to_path_buf()));
    }
    let mut attempt = 0;
    loop {
        let before = files_now(dir);
        let loaded = load_once(dir, progress)?;
        attempt += 1;
        if attempt == 3 || files_now(dir) == before {
            return Ok(loaded);
        }
        log::info!("{}: changed while it was read; reading it again", dir.display());
    }
}

/// The tables' fingerprints and their redo files' (see [`load_with_progress`]).
fn files_now(dir: &Path) -> ([super::Fingerprint; TableKind::COUNT], [super::Fingerprint; TableKind::COUNT]) {
    let redo = TableKind::ALL.map(|k| super::fingerprint(&super::redo::redo_path(dir, k)));
    (super::fingerprints(dir), redo)
}

fn load_once(dir: &Path, progress: Option<&LoadProgress>) -> Result<Loaded, Error> {
    // A save that a crash interrupted is read as it meant when the file fits it; nothing
    // is written here (only the lock's holder finishes it: `finish_interrupted`).
    let interrupted = super::recover::interrupted(dir).map_err(|e| Error::io(dir, e))?;
    let notes: Vec<String> = interrupted.iter().filter_map(super::Interrupted::note).collect();
    let interrupted = interrupted.as_slice();
    // Taken before reading: a change during the load shows up as a change later.
    let fingerprints = super::fingerprints(dir);
    let started = std::time::Instant::now();
    // Every table at once on the pool's threads (one per core): the big files' parts,
    // then the small files, taken by whichever thread comes free.
    let all = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rayon::join(
            || {
                rayon::join(
                    || tables::read::<RunStep>(dir, progress, interrupted),
                    || tables::read::<Run>(dir, progress, interrupted),
                )
            },
            || {
                rayon::join(
                    || tables::read::<Version>(dir, progress, interrupted),
                    || {
                        (
                            tables::read::<Procedure>(dir, progress, interrupted),
                            tables::read::<Step>(dir, progress, interrupted),
                            tables::read::<Label>(dir, progress, interrupted),
                            tables::read::<ProcedureLabel>(dir, progress, interrupted),
                            tables::read::<Schedule>(dir, progress, interrupted),
                        )
                    },
                )
            },
        )
    }));
    let Ok(((run_steps, runs), (versions, (procedures, steps, labels, links, schedules)))) = all else {
        return Err(Error::io(dir, std::io::Error::other("a reader thread panicked")));
    };
    let read = Read {
        procedures: procedures?,
        steps: steps?,
        runs: runs?,
        run_steps: run_steps?,
        labels: labels?,
        links: links?,
        versions: versions?,
        schedules: schedules?,
    };
    let loaded = assemble(read, fingerprints, notes, started, &dir.display().to_string());
    Ok(loaded)
}

/// Every table as read (from files or from the team database), before indexing.
pub(crate) struct Read {
    pub procedures: ReadTable<Procedure>,
    pub steps: ReadTable<Step>,
    pub runs: ReadTable<Run>,
    pub run_steps: ReadTable<RunStep>,
    pub labels: ReadTable<Label>,
    pub links: ReadTable<ProcedureLabel>,
    pub versions: ReadTable<Version>,
    pub schedules: ReadTable<Schedule>,
}

/// The tables read, indexed and checked (at once, on two threads).
pub(crate) fn assemble(
    read: Read,
    fingerprints: [super::Fingerprint; TableKind::COUNT],
    notes: Vec<String>,
    started: std::time::Instant,
    what: &str,
) -> Loaded {
    let read_done = started.elapsed();
    let mut problems = Vec::new();
    let mut lines = Lines::default();
    let mut incomplete = TableSet::EMPTY;
    let Read { procedures, steps, runs, run_steps, labels, links, versions, schedules } = read;
    let db = Dataset::unindexed(
        finish(procedures, TableKind::Procedures, &mut problems, &mut lines, &mut incomplete),
        finish(steps, TableKind::Steps, &mut problems, &mut lines, &mut incomplete),
        finish(runs, TableKind::Runs, &mut problems, &mut lines, &mut incomplete),
        finish(run_steps, TableKind::RunSteps, &mut problems, &mut lines, &mut incomplete),
        finish(labels, TableKind::Labels, &mut problems, &mut lines, &mut incomplete),
        finish(links, TableKind::ProcedureLabels, &mut problems, &mut lines, &mut incomplete),
        finish(versions, TableKind::Versions, &mut problems, &mut lines, &mut incomplete),
        finish(schedules, TableKind::Schedules, &mut problems, &mut lines, &mut incomplete),
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
    log::debug!("loaded {what}: {timing}");
    if std::env::var_os("PROCEDURES_TIMING").is_some() {
        eprintln!("{timing}");
    }
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Loaded { db, problems, lines, fingerprints, notes }
}
