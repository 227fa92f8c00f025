//! Opening a folder and reading it again: small folders here and now, big ones on a
//! thread with progress (the views' rows built there too); outside changes noticed by
//! polling the files' fingerprints.

use super::{Event, Folder, SaveState, Session};
use crate::store::{self, Writer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// What the views asked to have built on the loading thread (see [`super::PrepareFn`]).
pub type Prepared = Box<dyn std::any::Any + Send>;

/// What a load sends back: the folder, and what was prepared for the views (none when
/// the folder was read on the UI thread).
pub(super) struct Opened {
    pub(super) result: Result<store::Loaded, String>,
    pub(super) prepared: Option<Prepared>,
    /// The writer of a team database (none for a folder).
    pub(super) remote: Option<store::pg::Remote>,
    /// The change position a team database's data was read at.
    pub(super) position: i64,
}

/// A folder being loaded on a thread.
pub(super) struct Loading {
    /// The folder, or the team database as shown (no password).
    pub(super) dir: PathBuf,
    /// The team database's URL (as given: it may hold the password; never shown).
    pub(super) url: Option<String>,
    pub(super) progress: Arc<store::LoadProgress>,
    pub(super) rx: Receiver<Opened>,
    pub(super) started: Instant,
    /// The open folder is read again after an outside change: its views stay up
    /// (read-only) meanwhile, instead of the progress screen.
    pub(super) reload: bool,
}

/// Saves a crash interrupted: the lock's holder finishes them on disk (the data read
/// already is what they meant) or keeps both; a reader only tells. Returns the
/// fingerprints to start the writer with (those of the tables just finished are new) and
/// what to tell the user.
fn settle_interrupted(
    folder: &Folder,
    mut fingerprints: [store::Fingerprint; store::TableKind::COUNT],
    notes: Vec<String>,
) -> ([store::Fingerprint; store::TableKind::COUNT], Vec<String>) {
    if !folder.locked() {
        return (fingerprints, notes);
    }
    match store::finish_interrupted(&folder.dir) {
        Ok((written, notes)) => {
            for kind in written {
                fingerprints[kind as usize] = store::fingerprint(&folder.dir.join(kind.file_name()));
            }
            notes.iter().for_each(|n| log::warn!("{}: {n}", folder.dir.display()));
            (fingerprints, notes)
        }
        Err(e) => (fingerprints, vec![format!("Could not finish an interrupted save: {e}")]),
    }
}

/// A load that is either done (read here) or under way (on a thread).
enum Started {
    Done(Box<Opened>),
    Underway(Loading),
}

impl Session {
    /// Open a data folder (saving the current one first). A big folder loads on a
    /// thread: then the events come from a later [`Session::poll`].
    pub fn open(&mut self, dir: &Path) -> Vec<Event> {
        // The folder already open (File → Recent, a drop): read it again in place. A second
        // load would find the folder locked by this very window.
        if let Some(open) = &self.folder
            && same_folder(&open.dir, dir)
        {
            if open.blocked.is_some() {
                self.retry_lock();
            }
            return self.reload_in_place();
        }
        self.flush();
        match self.start_load(dir, None) {
            Started::Done(opened) => self.finish_open(dir, *opened),
            Started::Underway(loading) => {
                self.folder = None;
                self.loading = Some(loading);
                Vec::new()
            }
        }
    }

    /// Read a folder: a small one here and now, a big one on a thread, which also builds
    /// what the views prepare. `generation`: the one the data gets (a reload's must be
    /// newer than the views saw).
    fn start_load(&self, dir: &Path, generation: Option<u64>) -> Started {
        let with_generation = move |loaded: Result<store::Loaded, store::Error>| {
            let mut loaded = loaded.map_err(|e| e.to_string());
            if let (Ok(l), Some(g)) = (&mut loaded, generation) {
                l.db.set_generation(g);
            }
            loaded
        };
        let progress = Arc::new(store::LoadProgress::of(dir));
        if progress.total_bytes() <= self.load_in_background_above {
            return Started::Done(Box::new(Opened {
                result: with_generation(store::load(dir)),
                prepared: None,
                remote: None,
                position: 0,
            }));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let (path, shared) = (dir.to_path_buf(), Arc::clone(&progress));
        let (wake, prepare) = (Arc::clone(&self.wake), self.prepare.clone());
        std::thread::spawn(move || {
            let result = with_generation(store::load_with_progress(&path, Some(&shared)));
            let prepared = result.as_ref().ok().and_then(|l| prepare.map(|p| p(&l.db)));
            // The load's scratch memory is freed by now: hand it back (off the UI thread).
            crate::memory::give_back();
            let _ = tx.send(Opened { result, prepared, remote: None, position: 0 });
            wake();
        });
        Started::Underway(Loading {
            dir: dir.to_path_buf(),
            url: None,
            progress,
            rx,
            started: Instant::now(),
            reload: false,
        })
    }

    /// A fresh writer for a folder just read: it learns the files from scratch and will
    /// not overwrite one that changed since it was read.
    fn start_writer(&mut self, dir: &Path, fingerprints: [store::Fingerprint; store::TableKind::COUNT]) {
        let wake = Arc::clone(&self.wake);
        self.writer = Writer::spawn_with(move || wake(), Some((dir.to_path_buf(), fingerprints)), Arc::clone(&self.io));
        self.known_files = fingerprints;
    }

    /// Read the folder again, keeping the view and the selections. A big folder is
    /// read on a thread; its views stay up, read-only, until the new data is there.
    pub fn reload_in_place(&mut self) -> Vec<Event> {
        let Some(folder) = &self.folder else { return Vec::new() };
        if self.loading.is_some() {
            return Vec::new();
        }
        if let Some(url) = &self.url {
            return self.open_database(&url.clone());
        }
        // Views cache by generation: make sure they see new data.
        match self.start_load(&folder.dir.clone(), Some(folder.db.generation() + 1)) {
            Started::Done(opened) => self.finish_reload(*opened),
            Started::Underway(loading) => {
                self.loading = Some(Loading { reload: true, ..loading });
                Vec::new()
            }
        }
    }

    fn finish_reload(&mut self, Opened { result, prepared, .. }: Opened) -> Vec<Event> {
        let Some(dir) = self.folder.as_ref().map(|f| f.dir.clone()) else { return Vec::new() };
        match result {
            Ok(loaded) => {
                let mut events = vec![Event::Reloaded { prepared }];
                let mut fingerprints = loaded.fingerprints;
                if let Some(f) = &mut self.folder {
                    f.db = loaded.db;
                    f.problems = loaded.problems;
                    // Fixed outside: a folder that had problems may now be written.
                    if f.problems.is_empty() && !f.locked() && f.blocked.is_none() {
                        f.take_lock();
                    }
                    let (now, notes) = settle_interrupted(f, fingerprints, loaded.notes);
                    fingerprints = now;
                    events.extend(notes.into_iter().map(Event::Message));
                }
                self.start_writer(&dir, fingerprints);
                if let Some(f) = self.folder.as_ref().filter(|f| !f.read_only()) {
                    self.writer.learn_big_tables(dir, &f.db);
                }
                self.undo.clear();
                self.save_state = SaveState::Saved;
                events
            }
            Err(e) => vec![Event::Message(format!("Cannot reload: {e}"))],
        }
    }

    /// Files changed outside the app while it has nothing to save are reloaded in
    /// place (checked every two seconds, only while the window is shown).
    pub(super) fn check_outside_changes(&mut self, repaint_after: impl FnOnce(Duration), events: &mut Vec<Event>) {
        let Some(folder) = self.folder.as_ref().filter(|_| self.remote.is_none()) else { return };
        repaint_after(self.disk_check_interval.max(Duration::from_millis(500)));
        if self.last_disk_check.elapsed() < self.disk_check_interval
            || self.writer.busy()
            || !folder.db.changed().is_empty()
            || self.loading.is_some()
            || self.conflict.is_some()
        {
            return;
        }
        self.last_disk_check = Instant::now();
        let now = store::fingerprints(&folder.dir);
        let changed: Vec<&str> = store::TableKind::ALL
            .iter()
            .zip(now.iter().zip(&self.known_files))
            .filter(|(_, (a, b))| a != b)
            .map(|(k, _)| k.file_name())
            .collect();
        if !changed.is_empty() {
            let list = changed.join(", ");
            log::info!("reloading after outside changes to {list}");
            events.extend(self.reload_in_place());
            events.push(Event::Message(format!("Reloaded: {list} changed on disk")));
        }
    }

    /// Wait for a folder that loads in the background (tests).
    pub fn wait_loading(&mut self) -> Vec<Event> {
        match self.loading.take() {
            Some(l) => {
                // Loading is bounded (the disk; the server's waits by `pg::QUIET_LIMIT`);
                // this is the backstop.
                let opened = l.rx.recv_timeout(Duration::from_secs(600)).unwrap_or_else(|_| Opened {
                    result: Err(format!("{}: loading did not finish", l.dir.display())),
                    prepared: None,
                    remote: None,
                    position: 0,
                });
                self.finish_loading(l, opened)
            }
            None => Vec::new(),
        }
    }

    pub(super) fn finish_loading(&mut self, l: Loading, opened: Opened) -> Vec<Event> {
        log::info!("loaded {} in {:.2?}", l.dir.display(), l.started.elapsed());
        if let Some(url) = l.url {
            return self.finish_open_database(&url, l.dir, opened);
        }
        if l.reload { self.finish_reload(opened) } else { self.finish_open(&l.dir, opened) }
    }

    fn finish_open(&mut self, dir: &Path, Opened { result, prepared, .. }: Opened) -> Vec<Event> {
        match result {
            Ok(loaded) => {
                let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
                log::info!("opened {} ({} problems)", dir.display(), loaded.problems.len());
                let mut folder = Folder::new(dir.clone(), loaded.db, loaded.problems);
                // A folder with problems is not written at all, so it is not locked either.
                if folder.problems.is_empty() {
                    folder.take_lock();
                }
                if let Some(why) = &folder.blocked {
                    log::warn!("{}: {why}", dir.display());
                }
                let (fingerprints, notes) = settle_interrupted(&folder, loaded.fingerprints, loaded.notes);
                self.start_writer(&dir, fingerprints);
                if !folder.read_only() {
                    self.writer.learn_big_tables(dir.clone(), &folder.db);
                }
                self.folder = Some(folder);
                self.remote = None;
                self.url = None;
                self.live = None;
                self.undo.clear();
                self.save_state = SaveState::Saved;
                let mut events = vec![Event::Opened { dir, prepared }];
                events.extend(notes.into_iter().map(Event::Message));
                events
            }
            Err(e) => {
                log::warn!("cannot open {}: {e}", dir.display());
                vec![Event::Message(format!("Cannot open the folder: {e}"))]
            }
        }
    }
}

/// Whether two paths name one folder (symlinks and `..` resolved where they exist).
fn same_folder(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}
