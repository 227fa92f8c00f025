//! The writer thread: persists table snapshots so the UI thread never waits on disk.
//!
//! Jobs queued while a write is under way are coalesced: per table only the newest
//! snapshot is written. Every job is answered (in order) with its outcome.

use super::error::Error;
use super::table::{TableKind, TableSet};
use super::write::{TableSnapshot, write_tables};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

/// What the writer reports back.
#[derive(Debug)]
pub enum Saved {
    /// Everything up to and including job `seq` is durable.
    Ok {
        /// The last job written.
        seq: u64,
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

struct Job {
    seq: u64,
    dir: PathBuf,
    tables: Vec<TableSnapshot>,
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
        let (tx, jobs) = channel::<Job>();
        let (done, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("writer".into())
            .spawn(move || {
                while let Ok(first) = jobs.recv() {
                    let mut job = first;
                    // Coalesce whatever else is queued for the same folder.
                    while let Ok(next) = jobs.try_recv() {
                        if next.dir != job.dir {
                            let _ = done.send(run(job));
                            job = next;
                            continue;
                        }
                        for t in next.tables {
                            match job.tables.iter_mut().find(|x| x.kind == t.kind) {
                                Some(slot) => *slot = t,
                                None => job.tables.push(t),
                            }
                        }
                        job.seq = next.seq;
                    }
                    let _ = done.send(run(job));
                    wake();
                }
            })
            .ok();
        Self { tx: Some(tx), rx, thread, next_seq: 0, done_seq: 0 }
    }

    /// Queue snapshots for writing; returns the job's sequence number.
    pub fn submit(&mut self, dir: PathBuf, mut tables: Vec<TableSnapshot>) -> u64 {
        tables.sort_by_key(|t| t.kind);
        self.next_seq += 1;
        let seq = self.next_seq;
        let job = Job { seq, dir, tables };
        match &self.tx {
            Some(tx) if tx.send(job).is_ok() => {}
            _ => log::error!("writer thread is gone; job {seq} not written"),
        }
        seq
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
                Saved::Ok { seq } | Saved::Failed { seq, .. } => *seq,
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

fn run(job: Job) -> Saved {
    let Job { seq, dir, mut tables } = job;
    tables.sort_by_key(|t| t.kind);
    match write_tables(&dir, &tables) {
        Ok(()) => Saved::Ok { seq },
        Err((failed, error)) => {
            log::error!("saving {} failed: {error}", failed.file_name());
            let unsaved = tables
                .iter()
                .map(|t| t.kind)
                .filter(|k| *k >= failed)
                .fold(TableSet::EMPTY, |s: TableSet, k: TableKind| s.with(k));
            Saved::Failed { seq, unsaved, error }
        }
    }
}
