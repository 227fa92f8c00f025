//! The open data folder, as the window lives with it: the folder's lock, loading (here or
//! on a thread, with progress), reading it again after an outside change, saving through
//! the writer thread with the one retry policy ([`store::Saved::settle`]), conflicts with
//! outside edits (resolved off the UI thread), and the undo of ticks.
//!
//! The app holds one [`Session`]; views never see it (they read the `Dataset`), and only the
//! app's command handlers call its mutating methods.

mod conflict;
mod database;
mod folder;
mod live;
mod loading;
mod overtaken;
mod undo;

pub use folder::Folder;
pub use loading::Prepared;
pub use overtaken::Overtaken;
pub use undo::UndoTick;

use crate::ops;
use crate::store::{self, Dataset, Writer};
use loading::Loading;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether the data on disk matches what the app shows.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Everything is durable.
    Saved,
    /// The writer is at work.
    Saving,
    /// A save failed; the change is kept in memory until Retry succeeds.
    Failed(String),
    /// A file was changed outside the app while the app had changes for it: nothing
    /// was overwritten; the user chooses Reload (theirs) or Keep mine.
    Conflict(String),
    /// The team database refused a change because someone else changed the row first
    /// (the message says who, what and when): nothing was overwritten; the user chooses
    /// Take theirs or Keep mine ([`Session::overtaken`]).
    Overtaken(String),
}

/// Something the session did that the window shows or reacts to.
pub enum Event {
    /// A folder opened (its views start afresh); `prepared` was built on the loading thread.
    Opened { dir: PathBuf, prepared: Option<Prepared> },
    /// The open folder was read again (views keep their place).
    Reloaded { prepared: Option<Prepared> },
    /// Something to tell the user.
    Message(String),
    /// A team database would not open (as shown, no password; and why): the window asks
    /// again, with the reason (a password, most often).
    DatabaseRefused { shown: String, why: String },
}

/// Called on the loading thread to build what the views want of a fresh `Dataset` (the
/// browser's rows), so the UI thread does not.
pub type PrepareFn = Arc<dyn Fn(&Dataset) -> Prepared + Send + Sync>;

/// The open folder and everything that keeps it in step with the disk.
pub struct Session {
    folder: Option<Folder>,
    writer: Writer,
    loading: Option<Loading>,
    conflict: Option<conflict::Resolving>,
    /// Events of work finished inside a call that returns none (a flush).
    queued: Vec<Event>,
    save_state: SaveState,
    undo: Vec<UndoTick>,
    wake: Arc<dyn Fn() + Send + Sync>,
    prepare: Option<PrepareFn>,
    /// The table files as last read or written by the app.
    known_files: [store::Fingerprint; store::TableKind::COUNT],
    last_disk_check: Instant,
    /// How often the folder is checked for outside changes.
    disk_check_interval: Duration,
    /// Folders bigger than this many bytes load on a thread with a progress bar.
    load_in_background_above: u64,
    /// The file operations saves go through (tests inject faults here).
    io: Arc<dyn store::Io>,
    /// The writer of the open team database (none for a folder).
    remote: Option<store::pg::Remote>,
    /// The open team database's URL as given (it may hold the password: never shown).
    url: Option<String>,
    /// Change sets the database did not take, sent again on Retry.
    unsent: Vec<store::ChangeSet>,
    /// Ids are being reserved (one request at a time).
    reserving: bool,
    /// The thread following the open database's changes.
    live: Option<live::Live>,
    /// Why others' changes are not coming in, when the feed lost its connection.
    live_problem: Option<String>,
    /// The keys of each change set sent to the database and not yet settled, in order.
    in_flight: std::collections::VecDeque<Vec<(store::TableKind, u64)>>,
    /// Others' rows held back while this client has a change of them on the way.
    held: Vec<store::IncomingTable>,
    /// A change refused because someone else changed the row first, awaiting the choice.
    overtaken: Option<Overtaken>,
    /// Rows to read as they are now (Take theirs), until they are read.
    refetch: Vec<(store::TableKind, u64)>,
    /// Revisions this client committed that the feed has not brought back yet (`None`:
    /// removed): a row the feed read before such a commit is older and not applied.
    committed: std::collections::HashMap<(store::TableKind, u64), Option<i64>>,
    /// Where a team database's changes wait until the server has them (the app's data
    /// directory; `None`: not kept — a lost connection fails the save at once).
    pending_dir: Option<PathBuf>,
    /// Why the open database cannot be reached, while its connection is lost (the
    /// changes queue in the journal meanwhile).
    offline: Option<String>,
}

impl Session {
    /// No folder yet; `wake` is called when a save or a load finishes.
    pub fn new(wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let writer_wake = Arc::clone(&wake);
        Self {
            folder: None,
            writer: Writer::spawn(move || writer_wake()),
            loading: None,
            conflict: None,
            queued: Vec::new(),
            save_state: SaveState::Saved,
            undo: Vec::new(),
            wake,
            prepare: None,
            known_files: [None; store::TableKind::COUNT],
            last_disk_check: Instant::now(),
            disk_check_interval: Duration::from_secs(2),
            load_in_background_above: 16 << 20,
            io: Arc::new(store::RealIo),
            remote: None,
            url: None,
            unsent: Vec::new(),
            reserving: false,
            live: None,
            live_problem: None,
            in_flight: std::collections::VecDeque::new(),
            held: Vec::new(),
            overtaken: None,
            refetch: Vec::new(),
            committed: std::collections::HashMap::new(),
            pending_dir: None,
            offline: None,
        }
    }

    /// What to build on the loading thread for the views.
    pub fn set_prepare(&mut self, prepare: PrepareFn) {
        self.prepare = Some(prepare);
    }

    /// The open folder, if any.
    pub fn folder(&self) -> Option<&Folder> {
        self.folder.as_ref()
    }

    /// The open data, if any.
    pub fn db(&self) -> Option<&Dataset> {
        self.folder.as_ref().map(|f| &f.db)
    }

    /// Whether the data on disk matches what is shown.
    pub fn save_state(&self) -> &SaveState {
        &self.save_state
    }

    /// Whether a folder is being opened (the progress screen shows).
    pub fn opening(&self) -> Option<(&Path, &store::LoadProgress)> {
        self.loading.as_ref().filter(|l| !l.reload).map(|l| (l.dir.as_path(), l.progress.as_ref()))
    }

    /// Whether anything is being read (an open or a reload): nothing may change meanwhile.
    pub fn loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Whether the open folder is being read again (its views are read-only meanwhile).
    pub fn reloading(&self) -> bool {
        self.loading.as_ref().is_some_and(|l| l.reload)
    }

    /// How often the folder is checked for outside changes (tests set it).
    pub fn set_disk_check_interval(&mut self, every: Duration) {
        self.disk_check_interval = every;
    }

    /// Folders above this many bytes load on a thread (tests and benches set it).
    pub fn set_load_in_background_above(&mut self, bytes: u64) {
        self.load_in_background_above = bytes;
    }

    /// The file operations the next writer goes through (tests inject faults).
    pub fn set_io(&mut self, io: Arc<dyn store::Io>) {
        self.io = io;
    }

    /// Close the folder (saving first).
    pub fn close(&mut self) {
        self.flush();
        self.folder = None;
        self.remote = None;
        self.url = None;
        self.live = None;
    }

    /// Wait until every change is on disk (tests, closing, switching folders).
    pub fn flush(&mut self) {
        let events = self.finish_conflict();
        self.queued.extend(events);
        self.flush_database();
        while self.writer.busy() {
            let outcomes = self.writer.wait_idle();
            self.handle_saved(outcomes);
        }
    }

    /// Run an op on the open folder; a refusal (read-only, being read, the op's own) is
    /// the message for the user.
    pub fn mutate<T>(
        &mut self,
        op: impl FnOnce(&mut Dataset) -> Result<ops::Done<T>, ops::OpError>,
    ) -> Result<Option<T>, String> {
        let Some(folder) = &mut self.folder else { return Ok(None) };
        if self.loading.is_some() {
            return Err("The folder is being read again after an outside change; nothing was changed".into());
        }
        if folder.read_only() {
            let why = folder.blocked.clone().unwrap_or_else(|| "This folder has problems and is open read-only".into());
            return Err(format!("{why}; nothing was changed"));
        }
        op(&mut folder.db).map(|done| Some(done.value)).map_err(|e| e.to_string())
    }

    /// Hand changed tables to the writer (unless a failed save awaits Retry).
    pub fn submit_changes(&mut self) {
        let Some(folder) = &mut self.folder else { return };
        if folder.read_only()
            || matches!(self.save_state, SaveState::Failed(_) | SaveState::Conflict(_) | SaveState::Overtaken(_))
            || folder.db.changed().is_empty()
        {
            return;
        }
        if self.remote.is_some() {
            self.submit_to_database();
            return;
        }
        let changed = folder.db.take_changed();
        // A folder saves by position: the row-by-row log is for a database.
        folder.db.forget_row_changes();
        let tables = folder.db.write_snapshots(changed);
        self.writer.submit(folder.dir.clone(), tables);
        self.save_state = SaveState::Saving;
    }

    /// Retry a failed save (the changes were kept).
    pub fn clear_save_error(&mut self) {
        if matches!(self.save_state, SaveState::Overtaken(_)) {
            return;
        }
        self.save_state = SaveState::Saved;
        self.fetch_theirs();
        self.resend_to_database();
    }

    fn handle_saved(&mut self, outcomes: Vec<store::Saved>) {
        for outcome in outcomes {
            if let store::Saved::Ok { written, .. } = &outcome {
                for (dir, kind, print) in written {
                    if self.folder.as_ref().is_some_and(|f| &f.dir == dir) {
                        self.known_files[*kind as usize] = *print;
                    }
                }
            }
            let Some(f) = &mut self.folder else { continue };
            if let Some(error) = outcome.settle(&mut f.db) {
                self.save_state = match &error {
                    store::Error::ChangedOnDisk(path) => SaveState::Conflict(
                        path.file_name()
                            .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
                    ),
                    _ => SaveState::Failed(error.to_string()),
                };
            }
        }
        self.submit_changes();
        // A team database's writes are settled by what its writer answers.
        let database_busy = self.remote.as_ref().is_some_and(store::pg::Remote::busy);
        if self.save_state == SaveState::Saving && !self.writer.busy() && !database_busy {
            self.save_state = SaveState::Saved;
        }
    }

    /// Try to become the folder's writer again (another window let go).
    pub fn retry_lock(&mut self) {
        if self.remote.is_some() {
            return;
        }
        if let Some(f) = &mut self.folder {
            f.take_lock();
        }
    }

    /// The per-frame work: loads that finished, saves that finished, outside changes,
    /// a conflict resolution that finished.
    pub fn poll(&mut self, repaint_after: impl FnOnce(Duration)) -> Vec<Event> {
        let mut events = std::mem::take(&mut self.queued);
        self.check_outside_changes(repaint_after, &mut events);
        if let Some(l) = &self.loading
            && let Ok(opened) = l.rx.try_recv()
            && let Some(l) = self.loading.take()
        {
            events.extend(self.finish_loading(l, opened));
        }
        let outcomes = self.writer.poll();
        self.handle_saved(outcomes);
        self.poll_database();
        events.append(&mut self.queued);
        self.poll_live(&mut events);
        if let Some(step) = self.conflict.as_ref().and_then(conflict::Resolving::finished) {
            self.conflict = None;
            events.extend(self.conflict_step(step));
        }
        events
    }

    /// Events of work that finished inside [`Session::flush`].
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.queued)
    }

    /// Restore a backup of the open folder, then open it again.
    pub fn restore_backup(&mut self, name: &str) -> Vec<Event> {
        self.flush();
        let Some(dir) = self.folder.as_ref().filter(|f| !f.read_only() && self.remote.is_none()).map(|f| f.dir.clone())
        else {
            return vec![Event::Message("This folder is read-only here; nothing was restored".into())];
        };
        let stamp = crate::model::Timestamp::now().canonical().replace([' ', ':'], "-");
        match store::restore_backup(&dir, name, &stamp) {
            Ok(safety) => {
                self.folder = None;
                let mut events = self.open(&dir);
                events.push(Event::Message(format!(
                    "Restored the backup of {name}; the state before is kept in {}",
                    safety.display()
                )));
                events
            }
            Err(e) => vec![Event::Message(format!("Cannot restore: {e}"))],
        }
    }

    /// The backups of the open folder, newest first.
    pub fn backups(&self) -> Vec<String> {
        self.folder
            .as_ref()
            .filter(|_| self.remote.is_none())
            .map(|f| store::list_backups(&f.dir).into_iter().map(|(n, _)| n).collect())
            .unwrap_or_default()
    }

    /// The undo list of ticks.
    pub fn undo_mut(&mut self) -> &mut Vec<UndoTick> {
        &mut self.undo
    }
}
