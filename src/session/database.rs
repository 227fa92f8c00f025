//! A team database open in the window: read on a thread (with the same progress screen
//! as a big folder), each op's changed rows handed to the database's writer thread
//! ([`pg::Remote`]: one transaction per change set), the save state from what it
//! committed, and ids reserved ahead so an op never waits for the server.

use super::loading::{Loading, Opened};
use super::{Event, Folder, SaveState, Session};
use crate::store::{self, pg};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long closing waits for the database to take what is queued.
const FLUSH_LIMIT: Duration = Duration::from_secs(30);

impl Session {
    /// Open the team database `url` (saving what is open first). It is read on a thread:
    /// the events come from a later [`Session::poll`] (or [`Session::wait_loading`]).
    pub fn open_database(&mut self, url: &str) -> Vec<Event> {
        self.flush();
        let shown = pg::redacted(url);
        let progress = Arc::new(store::LoadProgress::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let (wake, prepare) = (Arc::clone(&self.wake), self.prepare.clone());
        let (owned, shared, journal) = (url.to_owned(), Arc::clone(&progress), self.pending_dir.clone());
        std::thread::spawn(move || {
            let (result, remote, position) = match pg::open(&owned, Some(shared), Arc::clone(&wake), journal.as_deref())
            {
                Ok(o) => (Ok(o.loaded), Some(o.remote), o.position),
                Err(e) => (Err(e.to_string()), None, 0),
            };
            let prepared = result.as_ref().ok().and_then(|l| prepare.map(|p| p(&l.db)));
            let _ = tx.send(Opened { result, prepared, remote, position });
            wake();
        });
        let reload = self.url.as_deref() == Some(url);
        // Others' changes are read with the data again (the feed goes on from there).
        self.live = None;
        // The writer ends (its journal is the next one's).
        self.remote = None;
        self.offline = None;
        if !reload {
            self.folder = None;
            self.url = None;
        }
        self.loading = Some(Loading {
            dir: PathBuf::from(&shown),
            url: Some(url.to_owned()),
            progress,
            rx,
            started: Instant::now(),
            reload,
        });
        Vec::new()
    }

    /// The database read: it becomes what the window shows and writes to.
    pub(super) fn finish_open_database(&mut self, url: &str, shown: PathBuf, opened: Opened) -> Vec<Event> {
        let Opened { result, prepared, remote, position } = opened;
        let (loaded, remote) = match (result, remote) {
            (Ok(loaded), Some(remote)) => (loaded, remote),
            (Err(e), _) => {
                log::warn!("cannot open {}: {e}", shown.display());
                return vec![Event::DatabaseRefused {
                    shown: shown.display().to_string(),
                    why: format!("Cannot open the database: {e}"),
                }];
            }
            (Ok(_), None) => return vec![Event::Message("Cannot open the database: no writer".into())],
        };
        log::info!("opened {} as {} ({} problems)", remote.shown(), remote.user(), loaded.problems.len());
        let reload = self.url.as_deref() == Some(url) && self.folder.is_some();
        let mut folder = Folder::new(shown.clone(), loaded.db, loaded.problems);
        if let Some(old) = self.folder.as_ref().filter(|_| reload) {
            // Views cache by generation: a reload must look new to them.
            folder.db.set_generation(old.db.generation() + 1);
        }
        self.folder = Some(folder);
        self.remote = Some(remote);
        self.url = Some(url.to_owned());
        self.unsent.clear();
        self.in_flight.clear();
        self.held.clear();
        self.committed.clear();
        self.overtaken = None;
        self.refetch.clear();
        self.live = Some(super::live::Live::start(url.to_owned(), position, Arc::clone(&self.wake)));
        self.live_problem = None;
        self.reserving = false;
        self.undo.clear();
        self.save_state = SaveState::Saved;
        let replayed = self.remote.as_mut().and_then(pg::Remote::take_replayed);
        let mut events =
            if reload { vec![Event::Reloaded { prepared }] } else { vec![Event::Opened { dir: shown, prepared }] };
        if let Some(replayed) = replayed {
            events.push(Event::Message(self.replayed(replayed)));
        }
        events
    }

    /// Say what the changes an earlier session left did; the refused ones wait for the
    /// user as a refusal now would.
    fn replayed(&mut self, replayed: pg::Replayed) -> String {
        let pg::Replayed { journal, sent, refused } = replayed;
        log::info!("sent {sent} change(s) left in {}; {} refused", journal.display(), refused.len());
        let changes = |n: usize| if n == 1 { "1 change".to_owned() } else { format!("{n} changes") };
        let mut said = format!(
            "{} made earlier on this computer had not reached the database: sent now, before anything else",
            changes(sent + refused.len())
        );
        if !refused.is_empty() {
            said.push_str(&format!(
                "; {} not taken (see the status bar) — kept in {} until you decide",
                changes(refused.len()),
                journal.display()
            ));
        }
        for w in refused {
            if let pg::Written::Failed { why, set, theirs } = w {
                self.refused(why, set, theirs);
            }
        }
        said
    }

    /// The open team database as shown (no password), if a database is open.
    pub fn database(&self) -> Option<&str> {
        self.remote.as_ref().map(pg::Remote::shown)
    }

    /// The name the open database knows this user by (`people`, else the role).
    pub fn database_user(&self) -> Option<&str> {
        self.remote.as_ref().map(pg::Remote::user)
    }

    /// Hand the rows changed since the last call to the database writer, and reserve
    /// ids when the blocks run low.
    pub(super) fn submit_to_database(&mut self) {
        let (Some(folder), Some(remote)) = (&mut self.folder, &mut self.remote) else { return };
        // The folder's marks (by position) are not used here.
        folder.db.take_changed();
        let set = folder.db.take_change_set();
        if !set.is_empty() {
            self.in_flight
                .push_back(set.tables.iter().flat_map(|t| t.keys().into_iter().map(|k| (t.kind, k))).collect());
            remote.submit(set);
            self.save_state = SaveState::Saving;
        }
        if !self.reserving {
            let want = folder.db.id_blocks_wanted();
            if !want.is_empty() {
                remote.reserve(want);
                self.reserving = true;
            }
        }
    }

    /// Send again what the database did not take (Retry), then what changed since.
    pub(super) fn resend_to_database(&mut self) {
        let Some(remote) = &mut self.remote else { return };
        for set in std::mem::take(&mut self.unsent) {
            self.in_flight
                .push_back(set.tables.iter().flat_map(|t| t.keys().into_iter().map(|k| (t.kind, k))).collect());
            remote.submit(set);
            self.save_state = SaveState::Saving;
        }
    }

    /// What the database writer finished.
    pub(super) fn poll_database(&mut self) {
        let Some(remote) = &mut self.remote else { return };
        let written = remote.poll();
        self.handle_written(written);
    }

    /// A change set the database did not take: someone else changed the row first, or
    /// the server refused it; kept (and in the journal) until Retry or the user's choice.
    fn refused(&mut self, why: String, set: store::ChangeSet, theirs: Option<Box<pg::Theirs>>) {
        log::warn!("{why}");
        match theirs {
            Some(theirs) => self.on_overtaken(&set, *theirs),
            None => self.save_state = SaveState::Failed(why),
        }
        self.unsent.push(set);
    }

    /// Why the open database cannot be reached, while its connection is lost.
    pub fn offline(&self) -> Option<&str> {
        self.offline.as_deref()
    }

    /// How many changes (one per op) the database has not confirmed yet.
    pub fn pending_changes(&self) -> usize {
        self.in_flight.len() + self.unsent.len()
    }

    /// The rows with a change the database has not confirmed yet: on the way, or kept
    /// for Retry or the user's choice (others' rows for them are held back meanwhile).
    pub fn unconfirmed(&self) -> std::collections::HashSet<(store::TableKind, u64)> {
        let mut keys: std::collections::HashSet<_> = self.in_flight.iter().flatten().copied().collect();
        keys.extend(
            self.unsent.iter().flat_map(|s| s.tables.iter().flat_map(|t| t.keys().into_iter().map(|k| (t.kind, k)))),
        );
        keys
    }

    /// Whether the open team database's changes not yet taken are kept on this computer
    /// (and sent on the next start).
    pub fn keeps_pending(&self) -> bool {
        self.remote.is_some() && self.pending_dir.is_some()
    }

    /// Keep a team database's changes in `dir` until the server has them (see
    /// [`pg::Pending`]); set before opening one.
    pub fn set_pending_dir(&mut self, dir: Option<PathBuf>) {
        self.pending_dir = dir;
    }

    /// Wait (at most [`FLUSH_LIMIT`]) until the database has taken everything sent —
    /// not while it cannot be reached: the journal keeps what is not sent for the next
    /// start.
    pub(super) fn flush_database(&mut self) {
        if self.offline.is_some() && self.pending_dir.is_some() {
            log::info!("closing offline: {} change(s) wait in the journal", self.pending_changes());
            return;
        }
        let Some(remote) = &mut self.remote else { return };
        let written = remote.wait_idle(FLUSH_LIMIT);
        self.handle_written(written);
    }

    fn handle_written(&mut self, written: Vec<pg::Written>) {
        for w in written {
            match w {
                pg::Written::Committed { rows, took, revisions } => {
                    log::debug!("committed {rows} row(s) in {took:.2?}");
                    self.in_flight.pop_front();
                    if self.live.is_some() {
                        self.committed.extend(revisions.iter().copied());
                    }
                    self.release_held(&revisions);
                }
                pg::Written::Failed { why, set, theirs } => {
                    self.in_flight.pop_front();
                    self.refused(why, set, theirs);
                }
                pg::Written::Connection(lost) => {
                    if lost.is_none() && self.offline.is_some() {
                        self.queued.push(Event::Message(
                            "Connected to the database again: sending the changes made meanwhile".into(),
                        ));
                    }
                    self.offline = lost;
                }
                pg::Written::Warning(why) => self.queued.push(Event::Message(why)),
                pg::Written::Fetched(fetched) => self.on_fetched(fetched),
                pg::Written::Reserved(blocks) => {
                    self.reserving = false;
                    if let Some(f) = &mut self.folder {
                        pg::set_blocks(&mut f.db, &blocks);
                    }
                }
                pg::Written::ReserveFailed(why) => {
                    self.reserving = false;
                    log::warn!("reserving ids: {why}");
                }
            }
        }
        if self.save_state == SaveState::Saving && !self.remote.as_ref().is_some_and(pg::Remote::busy) {
            self.save_state = SaveState::Saved;
        }
    }
}
