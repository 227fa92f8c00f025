//! The writer thread's loop (issue #32): each change set goes into the journal
//! ([`Pending`], synced) before it is sent; with the connection lost, the thread says so
//! once, keeps taking and journaling what comes, and tries again with backoff (1 s, then
//! doubling to 30 s) — in order, the failed set first. A set is done in the journal when
//! the server committed it. Closing the window while offline ends the thread; the journal
//! keeps the sets for the next start, which sends them before reading ([`replay`]).

use super::PgError;
use super::pending::{Journaled, Pending};
use super::remote::{Job, Outcome, Replayed, Thread, Written};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// The first wait before sending again after the connection was lost.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Send the sets an earlier session left in the journal, in order, each over the
/// revisions it was made over; before anything is read. The connection lost → the open
/// fails and the journal keeps them.
pub(super) fn replay(
    writer: &mut Thread,
    journal: &mut Pending,
    sets: Vec<Journaled>,
) -> Result<Option<Replayed>, PgError> {
    if sets.is_empty() {
        return Ok(None);
    }
    log::info!("sending {} change(s) left in {}", sets.len(), journal.path().display());
    let mut replayed = Replayed { journal: journal.path().to_owned(), ..Replayed::default() };
    for Journaled { set, seen, .. } in sets {
        for (key, revision) in seen {
            writer.revisions.insert(key, revision);
        }
        match writer.write(&set) {
            Outcome::Written(w @ Written::Committed { .. }) => {
                journal.done(&set.id);
                replayed.sent += 1;
                drop(w);
            }
            Outcome::Written(refused) => replayed.refused.push(refused),
            Outcome::Lost(why) => {
                return Err(PgError::Refused(format!(
                    "the connection was lost while sending the changes not sent last time ({why}); they are kept in {}",
                    journal.path().display()
                )));
            }
        }
    }
    Ok(Some(replayed))
}

/// The writer thread.
pub(super) struct Worker {
    writer: Thread,
    journal: Option<Pending>,
    jobs: Receiver<Job>,
    done: Sender<Written>,
    wake: Arc<dyn Fn() + Send + Sync>,
    /// Jobs taken (and journaled) while waiting to send again.
    backlog: VecDeque<Job>,
    offline: bool,
}

impl Worker {
    pub(super) fn new(
        writer: Thread,
        journal: Option<Pending>,
        jobs: Receiver<Job>,
        done: Sender<Written>,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Self {
        Self { writer, journal, jobs, done, wake, backlog: VecDeque::new(), offline: false }
    }

    /// Take jobs until the window closes the queue (and it is empty, or the connection
    /// is lost: the journal keeps what is left).
    pub(super) fn run(mut self) {
        loop {
            let job = match self.backlog.pop_front() {
                Some(job) => job,
                None => match self.jobs.recv() {
                    Ok(job) => self.taken(job),
                    Err(_) => return,
                },
            };
            let out = match job {
                Job::Seen(revisions) => {
                    self.writer.saw(revisions);
                    continue;
                }
                Job::Forget(ids) => {
                    if let Some(journal) = &mut self.journal {
                        for id in ids {
                            journal.done(&id);
                        }
                    }
                    continue;
                }
                Job::Write(set) => match self.write(set) {
                    Some(out) => out,
                    None => return,
                },
                Job::Fetch(keys) => Written::Fetched(self.writer.fetch(&keys).map_err(|e| e.to_string())),
                Job::Reserve(want) => match self.writer.reserve(&want) {
                    Ok(blocks) => Written::Reserved(blocks),
                    Err(e) => Written::ReserveFailed(e.to_string()),
                },
            };
            if !self.tell(out) {
                return;
            }
        }
    }

    /// A job taken from the queue: a change set goes into the journal first.
    fn taken(&mut self, job: Job) -> Job {
        if let (Job::Write(set), Some(journal)) = (&job, &mut self.journal)
            && !journal.holds(&set.id)
        {
            let revisions = &self.writer.revisions;
            if let Err(why) = journal.append(set, |kind, key| revisions.get(&(kind, key)).copied().unwrap_or(1)) {
                log::warn!("{why}");
                let warning = format!("Changes are not kept on this computer until the database has them: {why}");
                let _ = self.done.send(Written::Warning(warning));
            }
        }
        job
    }

    /// Write a set, waiting out a lost connection (with a journal); `None`: the window
    /// closed the queue meanwhile.
    fn write(&mut self, set: crate::store::ChangeSet) -> Option<Written> {
        let mut backoff = FIRST_BACKOFF;
        loop {
            match self.writer.write(&set) {
                Outcome::Written(out) => {
                    if std::mem::take(&mut self.offline) {
                        log::info!("the database is back");
                        self.tell(Written::Connection(None));
                    }
                    if matches!(out, Written::Committed { .. })
                        && let Some(journal) = &mut self.journal
                    {
                        journal.done(&set.id);
                    }
                    return Some(out);
                }
                Outcome::Lost(why) if self.journal.is_some() => {
                    if !self.offline {
                        log::warn!("the database connection is lost: {why}");
                        self.offline = true;
                        self.tell(Written::Connection(Some(why)));
                    }
                    if !self.wait(backoff) {
                        return None;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Outcome::Lost(why) => {
                    return Some(Written::Failed {
                        why: format!("Not saved to the database: {why}"),
                        set,
                        theirs: None,
                    });
                }
            }
        }
    }

    /// Wait `how_long`, taking (and journaling) the jobs that come meanwhile; `false`
    /// when the window closed the queue.
    fn wait(&mut self, how_long: Duration) -> bool {
        let until = Instant::now() + how_long;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            match self.jobs.recv_timeout(left) {
                Ok(job) => {
                    let job = self.taken(job);
                    self.backlog.push_back(job);
                }
                Err(RecvTimeoutError::Timeout) => return true,
                Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Hand a result to the window; `false` when it is gone.
    fn tell(&self, out: Written) -> bool {
        let sent = self.done.send(out).is_ok();
        (self.wake)();
        sent
    }
}
