//! A team database open in the window is live (issue #31): a thread follows the change
//! feed ([`pg::Feed::follow`]) from the position the data was read at, types each
//! batch's rows with the folder's decoders and hands them to the UI thread;
//! [`Session::poll`] applies them to the `Dataset` row by row
//! ([`crate::store::Dataset::apply_incoming`]), so every view shows another person's tick,
//! run, edit, label or schedule as it shows one of this client's.
//!
//! A row this client has a change of on the way (sent and not yet committed, or refused
//! and kept for Retry) is held back, not applied over the change: when the change
//! commits, what was held is applied only if the database moved past this client's write
//! (someone changed the row after it); when it is refused, what was held is theirs, which
//! the conflict choice takes or writes over. The writer is told each revision applied, so
//! this client's next update of the row names the revision it now shows.

use super::{Event, Session};
use crate::store::pg::{self, Followed};
use crate::store::{IncomingTable, TableKind};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// The safety net: the changes are asked for at least this often, woken or not.
const TIMER: Duration = Duration::from_secs(2);

/// What the feed thread hands the UI thread.
pub(super) enum News {
    /// Rows other clients changed, typed, parents first; and who did what.
    Rows { tables: Vec<IncomingTable>, changes: Vec<pg::Change> },
    /// The database must be read again (a push; more at once than a batch holds).
    Reload,
    /// The feed's connection was lost (why); it connects again by itself.
    Lost(String),
    /// Connected again (what happened meanwhile follows).
    Back,
}

/// The thread that follows an open database's changes (stopped when dropped).
pub(super) struct Live {
    stop: Arc<AtomicBool>,
    pub(super) rx: Receiver<News>,
}

impl Live {
    /// Follow `url` from `position`, calling `wake` after each piece of news.
    pub(super) fn start(url: String, position: i64, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let flag = Arc::clone(&stop);
        let spawned = std::thread::Builder::new().name("pg-feed".into()).spawn(move || {
            let send = |news: News| {
                let sent = tx.send(news).is_ok();
                wake();
                sent
            };
            follow(&url, position, &flag, &send);
        });
        if let Err(e) = spawned {
            log::warn!("cannot follow the database's changes: {e}");
        }
        Self { stop, rx }
    }
}

/// Connect (trying again every few seconds until `stop`), then follow the feed.
fn follow(url: &str, position: i64, stop: &AtomicBool, send: &dyn Fn(News) -> bool) {
    let mut feed = loop {
        match pg::Feed::connect(url, Some(position)) {
            Ok(feed) => break feed,
            Err(e) => {
                if !send(News::Lost(e.to_string())) {
                    return;
                }
                for _ in 0..20 {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        }
    };
    feed.follow(stop, TIMER, |followed| {
        let news = match followed {
            Followed::Batch(batch) if batch.reload => News::Reload,
            Followed::Batch(batch) => News::Rows { tables: batch.incoming(), changes: batch.changes },
            Followed::Lost(why) => News::Lost(why),
            Followed::Back => News::Back,
        };
        if !send(news) {
            stop.store(true, Ordering::Relaxed);
        }
    });
}

impl Drop for Live {
    fn drop(&mut self) {
        // The thread sees it within a quarter of a second and ends.
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Session {
    /// Apply what the feed brought since the last frame.
    pub(super) fn poll_live(&mut self, events: &mut Vec<Event>) {
        let Some(live) = &self.live else { return };
        let news: Vec<News> = live.rx.try_iter().collect();
        for n in news {
            match n {
                News::Rows { tables, changes } => {
                    self.live_problem = None;
                    self.apply_remote(tables, &changes);
                }
                News::Reload => {
                    if let Some(url) = self.url.clone() {
                        log::info!("the database was replaced or changed at once: reading it again");
                        events.extend(self.open_database(&url));
                    }
                    return;
                }
                News::Lost(why) => {
                    log::warn!("the database's changes cannot be followed: {why}");
                    self.live_problem = Some(why);
                }
                News::Back => self.live_problem = None,
            }
        }
    }

    /// Why others' changes are not coming in (the connection is lost), if so.
    pub fn live_problem(&self) -> Option<&str> {
        self.live_problem.as_deref()
    }

    /// Apply rows other clients wrote, holding back those this client has a change of on
    /// the way.
    pub(super) fn apply_remote(&mut self, mut tables: Vec<IncomingTable>, changes: &[pg::Change]) {
        self.drop_older_than_committed(&mut tables);
        let busy = self.unconfirmed();
        if !busy.is_empty() {
            for t in &mut tables {
                let kind = t.kind;
                let held = t.split_off(|k| busy.contains(&(kind, k)));
                if !held.is_empty() {
                    self.held.push(held);
                }
            }
        }
        self.apply_now(&tables);
        if let Some(c) = changes.last() {
            log::debug!("{} change(s) from the database, the last by {} at {}", changes.len(), c.by, c.at);
        }
    }

    /// Drop rows the feed read before a commit of this client changed them (their
    /// revision is older than the one committed: applying them would undo the change
    /// until the feed brings it back); a row at or past it is this client's change come
    /// back, or newer, and nothing more is waited for.
    fn drop_older_than_committed(&mut self, tables: &mut [IncomingTable]) {
        if self.committed.is_empty() {
            return;
        }
        for t in tables.iter_mut() {
            let kind = t.kind;
            let revisions: HashMap<u64, Option<i64>> = t.revisions().into_iter().collect();
            let committed = &self.committed;
            let older = t.split_off(|k| match (committed.get(&(kind, k)), revisions.get(&k)) {
                (Some(Some(ours)), Some(Some(theirs))) => theirs < ours,
                // Removed here: a row read before the removal is not brought back.
                (Some(None), Some(Some(_))) => true,
                _ => false,
            });
            if !older.is_empty() {
                log::debug!("{} row(s) of {kind:?} read before this client's commit: not applied", older.keys().len());
            }
            for (k, theirs) in revisions {
                let caught_up = match (self.committed.get(&(kind, k)), theirs) {
                    (Some(Some(ours)), Some(theirs)) => theirs >= *ours,
                    (Some(_), None) => true,
                    _ => false,
                };
                if caught_up {
                    self.committed.remove(&(kind, k));
                }
            }
        }
    }

    /// Apply rows to the data and tell the writer their revisions.
    fn apply_now(&mut self, tables: &[IncomingTable]) {
        let (Some(folder), Some(remote)) = (&mut self.folder, &mut self.remote) else { return };
        let seen: Vec<((TableKind, u64), Option<i64>)> =
            tables.iter().flat_map(|t| t.revisions().into_iter().map(move |(k, r)| ((t.kind, k), r))).collect();
        if seen.is_empty() {
            return;
        }
        folder.db.apply_incoming(tables);
        remote.seen(seen);
    }

    /// A change set of this client committed with these revisions: rows held back for
    /// its keys are applied where the database moved past them.
    pub(super) fn release_held(&mut self, committed: &[((TableKind, u64), Option<i64>)]) {
        if self.held.is_empty() {
            return;
        }
        let busy = self.unconfirmed();
        let ours: std::collections::HashMap<(TableKind, u64), Option<i64>> = committed.iter().copied().collect();
        let mut ready = Vec::new();
        for mut t in std::mem::take(&mut self.held) {
            let kind = t.kind;
            let still = t.split_off(|k| busy.contains(&(kind, k)));
            if !still.is_empty() {
                self.held.push(still);
            }
            // Theirs is newer when its revision is past ours (a removal always is).
            let revisions: std::collections::HashMap<u64, Option<i64>> = t.revisions().into_iter().collect();
            let stale = t.split_off(|k| match (ours.get(&(kind, k)), revisions.get(&k)) {
                (Some(Some(mine)), Some(Some(theirs))) => theirs <= mine,
                (Some(None), _) => true,
                _ => false,
            });
            drop(stale);
            if !t.is_empty() {
                ready.push(t);
            }
        }
        ready.sort_by_key(|t| TableKind::PARENTS_FIRST.iter().position(|k| *k == t.kind));
        self.apply_now(&ready);
    }
}
