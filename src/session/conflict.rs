//! A file changed outside the app while the app had changes for it: the user keeps
//! theirs (Reload: mine are saved to a side folder first) or mine (Keep mine: theirs is
//! backed up first). The copying runs on a thread, never on the UI thread.

use super::{Event, SaveState, Session};
use crate::model::Timestamp;
use crate::store;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;

/// A resolution under way: the copy on its thread.
pub(super) struct Resolving {
    rx: Receiver<Step>,
}

/// What the thread did.
pub(super) enum Step {
    /// Their version is backed up in this folder: now write mine over it.
    TheirsBackedUp(PathBuf),
    /// My changes are saved in this folder: now read theirs.
    MineSetAside(PathBuf),
    /// The copy failed: nothing changed.
    Failed(String),
}

impl Resolving {
    /// The thread's answer, once it is there.
    pub(super) fn finished(&self) -> Option<Step> {
        self.rx.try_recv().ok()
    }

    /// Wait for the thread's answer.
    pub(super) fn wait(self) -> Option<Step> {
        self.rx.recv().ok()
    }
}

impl Session {
    /// Resolve a conflict: keep mine or take theirs (see the module docs). The answer
    /// comes from a later [`Session::poll`] (or [`Session::flush`]).
    pub fn resolve_conflict(&mut self, keep_mine: bool) {
        if self.remote.is_some() {
            self.resolve_overtaken(keep_mine);
            return;
        }
        let Some(folder) = &mut self.folder else { return };
        if self.conflict.is_some() {
            return;
        }
        let stamp = Timestamp::now().canonical().replace([' ', ':'], "-");
        let dir = folder.dir.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let wake = std::sync::Arc::clone(&self.wake);
        if keep_mine {
            let theirs = dir.join(store::BACKUP_DIR).join(format!("{stamp}-theirs"));
            std::thread::spawn(move || {
                let step = match store::copy_tables(&dir, &theirs) {
                    Ok(_) => Step::TheirsBackedUp(theirs),
                    Err(e) => Step::Failed(format!("Cannot back up their version: {e}")),
                };
                let _ = tx.send(step);
                wake();
            });
        } else {
            let side = dir.join(".conflicts").join(&stamp);
            let changed = folder.db.changed();
            folder.db.mark_full(changed);
            // Shared with the thread, not copied.
            let snaps = folder.db.write_snapshots(changed);
            std::thread::spawn(move || {
                let saved =
                    store::create_real_dir(&side).and_then(|()| store::write_tables(&side, &snaps).map_err(|(_, e)| e));
                let step = match saved {
                    Ok(()) => Step::MineSetAside(side),
                    Err(e) => Step::Failed(format!("Cannot save your changes aside: {e}")),
                };
                let _ = tx.send(step);
                wake();
            });
        }
        self.conflict = Some(Resolving { rx });
    }

    /// Wait for a resolution under way (closing, tests); its events are returned.
    pub(super) fn finish_conflict(&mut self) -> Vec<Event> {
        match self.conflict.take().and_then(Resolving::wait) {
            Some(step) => self.conflict_step(step),
            None => Vec::new(),
        }
    }

    /// Carry on after the thread's copy.
    pub(super) fn conflict_step(&mut self, step: Step) -> Vec<Event> {
        let Some(folder) = &mut self.folder else { return Vec::new() };
        match step {
            Step::TheirsBackedUp(theirs) => {
                let changed = folder.db.changed();
                folder.db.mark_full(changed);
                folder.db.take_changed();
                let snaps = folder.db.write_snapshots(changed);
                self.writer.submit_forced(folder.dir.clone(), snaps);
                self.save_state = SaveState::Saving;
                vec![Event::Message(format!("Kept your changes; their version is in {}", theirs.display()))]
            }
            Step::MineSetAside(side) => {
                folder.db.take_changed();
                self.save_state = SaveState::Saved;
                let mut events = self.reload_in_place();
                events.push(Event::Message(format!("Reloaded their version; your changes are in {}", side.display())));
                events
            }
            Step::Failed(why) => vec![Event::Message(why)],
        }
    }
}
