//! The writer thread: persists table snapshots so the UI thread never waits on disk.
//!
//! Jobs queued while a write is under way are coalesced: per table only the newest
//! snapshot is written. Every job is answered (in order) with its outcome.

use super::error::Error;
use super::fingerprint::{Fingerprint, fingerprint};
use super::io::{Io, RealIo};
use super::kind::{TableKind, TableSet};
use super::persist::{Known, finish_pending, learn, write_one, write_together};
use super::snapshot::TableSnapshot;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// What the writer reports back.
#[derive(Debug)]
pub enum Saved {
    /// Everything up to and including job `seq` is durable.
    Ok {
        /// The last job written.
        seq: u64,
        /// The files written, as they are now.
        written: Vec<(PathBuf, TableKind, Fingerprint)>,
    },
    /// Tail writes of job `seq` need a full rewrite first (the writer does not know the
    /// file's layout yet, or it changed): `tables` were not written; submit them in full.
    NeedFull {
        /// The job.
        seq: u64,
        /// Tables to send again in full.
        tables: TableSet,
        /// The job removed rows: send them again children first.
        children_first: bool,
    },
    /// Job `seq` (and the ones merged into it) failed; `unsaved` were not written.
    Failed {
        /// The job that failed.
        seq: u64,
        /// Tables whose new content is not on disk.
        unsaved: TableSet,
        /// What went wrong.
        error: Error,
    },
}

impl Saved {
    /// The one retry policy, shared by the app and the CLI: what an outcome means for
    /// the data still to save. Tables the writer could not write at their tail are marked
    /// to go whole (children first when the job removed rows); tables of a failed job stay
    /// marked as changed, whole, until a retry. Returns the error of a failed job.
    pub fn settle(self, db: &mut crate::store::Dataset) -> Option<Error> {
        match self {
            Saved::Ok { .. } => None,
            Saved::NeedFull { tables, children_first, .. } => {
                db.mark_full(tables);
                if children_first {
                    db.mark_rows_removed();
                }
                None
            }
            Saved::Failed { unsaved, error, .. } => {
                db.mark_full(unsaved);
                Some(error)
            }
        }
    }
}

struct Job {
    seq: u64,
    dir: PathBuf,
    tables: Vec<TableSnapshot>,
    /// Write even over files changed outside the app (the user chose "Keep mine").
    force: bool,
    /// Write nothing: compare the files with these (full) snapshots and, where they
    /// match byte for byte, learn their layout so the first tick is already a tail write.
    learn: bool,
}

/// Handle to the writer thread of one folder.
pub struct Writer {
    tx: Option<Sender<Job>>,
    rx: Receiver<Saved>,
    thread: Option<std::thread::JoinHandle<()>>,
    next_seq: u64,
    done_seq: u64,
}

impl Writer {
    /// Start the writer thread. `wake` is called after every job (e.g. to repaint the UI).
    pub fn spawn(wake: impl Fn() + Send + 'static) -> Self {
        Self::spawn_expecting(wake, None)
    }

    /// Start the writer for a folder whose files looked like `fingerprints` when read:
    /// a table file that no longer does is not overwritten (the save fails with
    /// [`Error::ChangedOnDisk`]) unless the job is forced.
    pub fn spawn_expecting(
        wake: impl Fn() + Send + 'static,
        seed: Option<(PathBuf, [Fingerprint; TableKind::COUNT])>,
    ) -> Self {
        Self::spawn_with(wake, seed, Arc::new(RealIo))
    }

    /// [`Writer::spawn_expecting`] with the given file operations (tests inject faults).
    pub fn spawn_with(
        wake: impl Fn() + Send + 'static,
        seed: Option<(PathBuf, [Fingerprint; TableKind::COUNT])>,
        io: Arc<dyn Io>,
    ) -> Self {
        Self::spawn_inner(wake, seed, io, Known::default())
    }

    /// A writer that writes every whole table while it is encoded, as it does the big
    /// ones (tests: the streamed path on a small folder, without changing anything
    /// other tests share).
    #[doc(hidden)]
    pub fn spawn_streaming_every_table(wake: impl Fn() + Send + 'static) -> Self {
        Self::spawn_inner(wake, None, Arc::new(RealIo), Known { stream_from: 2, ..Known::default() })
    }

    fn spawn_inner(
        wake: impl Fn() + Send + 'static,
        seed: Option<(PathBuf, [Fingerprint; TableKind::COUNT])>,
        io: Arc<dyn Io>,
        mut known: Known,
    ) -> Self {
        let (tx, jobs) = channel::<Job>();
        let (done, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("writer".into())
            .spawn(move || {
                if let Some((dir, prints)) = seed {
                    for (kind, print) in TableKind::ALL.into_iter().zip(prints) {
                        known.expected.insert((dir.clone(), kind), print);
                    }
                }
                let mut backed_up: HashSet<(PathBuf, String)> = HashSet::new();
                while let Ok(first) = jobs.recv() {
                    let mut batch = vec![first];
                    batch.extend(jobs.try_iter());
                    // Before the first write of each day: a backup of the tables as they were.
                    let today = crate::model::Timestamp::now().canonical()[..10].to_owned();
                    // A backup (or .gitignore) that failed — a full disk — is tried
                    // again before the next write, not skipped for the day.
                    for job in batch.iter().filter(|j| !j.learn) {
                        let key = (job.dir.clone(), today.clone());
                        if backed_up.contains(&key) {
                            continue;
                        }
                        let gitignore = super::backup::ensure_gitignore(&job.dir)
                            .inspect_err(|e| log::warn!("cannot write .gitignore: {e}"));
                        let backup = super::backup::daily_backup(&job.dir, &today)
                            .inspect(|made| made.iter().for_each(|p| log::info!("backed up to {}", p.display())))
                            .inspect_err(|e| log::error!("daily backup failed (tried again at the next save): {e}"));
                        if gitignore.is_ok() && backup.is_ok() {
                            backed_up.insert(key);
                        }
                    }
                    for outcome in run_batch(batch, &mut known, io.as_ref()) {
                        let _ = done.send(outcome);
                    }
                    wake();
                }
            })
            .ok();
        Self { tx: Some(tx), rx, thread, next_seq: 0, done_seq: 0 }
    }

    /// Queue snapshots for writing; returns the job's sequence number.
    /// Tables are written in the order given (see [`crate::store::Dataset::write_snapshots`]).
    pub fn submit(&mut self, dir: PathBuf, tables: Vec<TableSnapshot>) -> u64 {
        self.submit_job(dir, tables, false)
    }

    /// Queue snapshots to write even over files changed outside the app.
    pub fn submit_forced(&mut self, dir: PathBuf, tables: Vec<TableSnapshot>) -> u64 {
        self.submit_job(dir, tables, true)
    }

    /// Learn the layout of the big tables of `db` (as just loaded from `dir`), so that
    /// the first tick is already a tail write; writes nothing.
    pub fn learn_big_tables(&mut self, dir: PathBuf, db: &crate::store::Dataset) -> u64 {
        let big = TableSet::EMPTY.with(TableKind::RunSteps).with(TableKind::Runs);
        self.learn(dir, db.current_tables(big))
    }

    /// Compare the files with these full snapshots (of the data as just loaded) and learn
    /// the layout of those written canonically; writes nothing.
    fn learn(&mut self, dir: PathBuf, tables: Vec<TableSnapshot>) -> u64 {
        self.next_seq += 1;
        let seq = self.next_seq;
        let job = Job { seq, dir, tables, force: false, learn: true };
        match &self.tx {
            Some(tx) if tx.send(job).is_ok() => {}
            _ => log::error!("writer thread is gone"),
        }
        seq
    }

    fn submit_job(&mut self, dir: PathBuf, tables: Vec<TableSnapshot>, force: bool) -> u64 {
        self.next_seq += 1;
        let seq = self.next_seq;
        let job = Job { seq, dir, tables, force, learn: false };
        match &self.tx {
            Some(tx) if tx.send(job).is_ok() => {}
            _ => log::error!("writer thread is gone; job {seq} not written"),
        }
        seq
    }

    /// Save everything `db` marks as changed and wait until it is on disk, sending
    /// tables whole when the writer asks for it (the CLI, tests; the app does the same
    /// without waiting). Returns how many tail and whole-table writes were sent. On an
    /// error the unsaved tables stay marked as changed.
    pub fn save_blocking(&mut self, dir: &Path, db: &mut crate::store::Dataset) -> Result<(usize, usize), Error> {
        let (mut tails, mut fulls) = (0, 0);
        loop {
            let changed = db.take_changed();
            if changed.is_empty() {
                return Ok((tails, fulls));
            }
            let snaps = db.write_snapshots(changed);
            tails += snaps.iter().filter(|s| !s.is_full()).count();
            fulls += snaps.iter().filter(|s| s.is_full()).count();
            self.submit(dir.to_path_buf(), snaps);
            for outcome in self.wait_idle() {
                if let Some(error) = outcome.settle(db) {
                    return Err(error);
                }
            }
        }
    }

    /// Whether jobs are queued or being written.
    pub fn busy(&self) -> bool {
        self.done_seq < self.next_seq
    }

    /// Outcomes that arrived since the last call.
    pub fn poll(&mut self) -> Vec<Saved> {
        let out: Vec<Saved> = self.rx.try_iter().collect();
        self.note(&out);
        out
    }

    /// Wait until every submitted job is answered; returns the outcomes.
    pub fn wait_idle(&mut self) -> Vec<Saved> {
        let mut out = Vec::new();
        while self.busy() {
            match self.rx.recv() {
                Ok(s) => {
                    self.note(std::slice::from_ref(&s));
                    out.push(s);
                }
                Err(_) => break,
            }
        }
        out
    }

    fn note(&mut self, outcomes: &[Saved]) {
        for s in outcomes {
            let seq = match s {
                Saved::Ok { seq, .. } | Saved::Failed { seq, .. } | Saved::NeedFull { seq, .. } => *seq,
            };
            self.done_seq = self.done_seq.max(seq);
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Write a batch of queued jobs. For each table, a full snapshot makes everything queued
/// before it for that table unnecessary; the rest is written in order.
fn run_batch(batch: Vec<Job>, known: &mut Known, io: &dyn Io) -> Vec<Saved> {
    let mut out = Vec::new();
    let last_full: HashMap<(PathBuf, TableKind), u64> = batch
        .iter()
        .filter(|j| !j.learn)
        .flat_map(|j| j.tables.iter().filter(|t| t.is_full()).map(|t| ((j.dir.clone(), t.kind), j.seq)))
        .collect();
    let last_seq = batch.last().map_or(0, |j| j.seq);
    let mut written = Vec::new();
    for job in batch {
        if job.learn {
            learn(&job.dir, &job.tables, known);
            continue;
        }
        let Job { seq, dir, mut tables, force, .. } = job;
        tables.retain(|t| last_full.get(&(dir.clone(), t.kind)).is_none_or(|s| *s <= seq));
        let mut need_full = TableSet::EMPTY;
        // A save left half-done by a failure (its journal still there) is finished first.
        if super::journal::pending(&dir) {
            finish_pending(&dir, known);
        }
        // A job that changes several tables is written as one save: all of it or none.
        if tables.iter().filter(|t| !super::write::stays_missing(&dir, t)).count() > 1 {
            match write_together(io, &dir, &tables, known, force) {
                Ok(together) => {
                    need_full = together.need_full;
                    written.extend(together.written.into_iter().map(|kind| {
                        let print = known.expected.get(&(dir.clone(), kind)).copied().flatten();
                        (dir.clone(), kind, print)
                    }));
                }
                Err(error) => {
                    log::error!("saving {} tables failed: {error}", tables.len());
                    for t in &tables {
                        known.layouts.remove(&(dir.clone(), t.kind));
                        if !matches!(error, Error::ChangedOnDisk(_)) {
                            let path = dir.join(t.kind.file_name());
                            known.expected.insert((dir.clone(), t.kind), fingerprint(&path));
                        }
                    }
                    let unsaved = tables.iter().fold(TableSet::EMPTY, |s, t| s.with(t.kind));
                    out.push(Saved::Failed { seq: last_seq, unsaved, error });
                    return out;
                }
            }
        } else {
            for (i, t) in tables.iter().enumerate() {
                if !need_full.is_empty() {
                    // Keep the order: what follows a table that must be sent whole waits for it.
                    need_full.insert(t.kind);
                    continue;
                }
                match write_one(io, &dir, t, known, &mut need_full, force) {
                    Ok(true) => written.push((
                        dir.clone(),
                        t.kind,
                        known.expected.get(&(dir.clone(), t.kind)).copied().flatten(),
                    )),
                    Ok(false) => {}
                    Err(error) => {
                        log::error!("saving {} failed: {error}", t.kind.file_name());
                        known.layouts.remove(&(dir.clone(), t.kind));
                        // The file holds our old or our new content (it matched before we
                        // wrote): remember it as it is now, so a retry is not taken for an
                        // outside change.
                        if !matches!(error, Error::ChangedOnDisk(_)) {
                            let path = dir.join(t.kind.file_name());
                            known.expected.insert((dir.clone(), t.kind), fingerprint(&path));
                        }
                        let unsaved = tables[i..].iter().fold(TableSet::EMPTY, |s, t| s.with(t.kind));
                        out.push(Saved::Failed { seq: last_seq, unsaved, error });
                        return out;
                    }
                }
            }
        }
        if !need_full.is_empty() {
            let children_first = tables.iter().any(|t| t.children_first);
            out.push(Saved::NeedFull { seq, tables: need_full, children_first });
        }
    }
    out.push(Saved::Ok { seq: last_seq, written });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RunStatus, Timestamp};

    #[test]
    fn a_big_table_is_written_while_encoded_then_tail_written() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut db = crate::generate::build(crate::generate::Scale::Small, 1);
        // Every table counts as big for this writer: all are streamed.
        let mut writer = Writer::spawn_streaming_every_table(|| {});
        db.mark_changed(TableSet::all());
        let first = writer.save_blocking(dir.path(), &mut db);
        let canonical = |db: &crate::store::Dataset| {
            db.current_tables(TableSet::all()).iter().map(|t| (t.kind, t.to_csv())).collect::<Vec<_>>()
        };
        for (kind, bytes) in canonical(&db) {
            assert_eq!(std::fs::read(dir.path().join(kind.file_name())).expect("file"), bytes, "{kind:?}");
        }
        // The layout learnt from the streamed write allows a tail write next.
        // An open tick step (not a value to record) of a run in progress.
        let open: Vec<crate::model::RunId> = db.in_progress_runs().collect();
        let (run, rs) = open
            .iter()
            .rev()
            .find_map(|run| {
                let rs = db.run_steps_of(*run).find(|rs| {
                    !rs.completed
                        && db
                            .step(rs.step_id)
                            .is_some_and(|s| s.kind == crate::model::StepKind::Check && s.show_if.is_empty())
                })?;
                Some((*run, rs.id))
            })
            .expect("an open step");
        crate::ops::set_step_completed(&mut db, rs, true, Timestamp::now()).expect("tick");
        let second = writer.save_blocking(dir.path(), &mut db);
        crate::ops::finish_run(&mut db, run, RunStatus::Cancelled, Timestamp::now()).expect("finish");
        let third = writer.save_blocking(dir.path(), &mut db);
        assert_eq!(first.expect("saved").1, 8, "every table whole");
        assert_eq!(second.expect("saved"), (1, 0), "one tail write");
        assert_eq!(third.expect("saved"), (1, 0), "one tail write");
        for (kind, bytes) in canonical(&db) {
            assert_eq!(std::fs::read(dir.path().join(kind.file_name())).expect("file"), bytes, "{kind:?}");
        }
    }
}
