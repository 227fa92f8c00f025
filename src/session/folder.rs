//! An open data folder: where it is, its data, its problems, and this window's lock.

use crate::store::{self, Dataset, Problem};
use std::path::PathBuf;

/// An open data folder.
pub struct Folder {
    /// Where it is.
    pub dir: PathBuf,
    /// Its data.
    pub db: Dataset,
    /// What `check` found; non-empty means read-only.
    pub problems: Vec<Problem>,
    /// Why this window may not write, when another one holds the folder or the folder
    /// is not writable.
    pub blocked: Option<String>,
    /// This window's lock on the folder (released when the folder is closed).
    lock: Option<store::FolderLock>,
}

impl Folder {
    /// A folder just read, not locked yet.
    pub(super) fn new(dir: PathBuf, db: Dataset, problems: Vec<Problem>) -> Self {
        Self { dir, db, problems, blocked: None, lock: None }
    }

    /// Whether nothing may be written (the folder has problems or is someone else's).
    pub fn read_only(&self) -> bool {
        !self.problems.is_empty() || self.blocked.is_some()
    }

    /// Whether this window holds the folder's lock.
    pub(super) fn locked(&self) -> bool {
        self.lock.is_some()
    }

    /// Try to become the folder's writer (again).
    pub(super) fn take_lock(&mut self) {
        match store::lock_folder(&self.dir) {
            Ok(store::LockOutcome::Acquired(lock)) => {
                self.lock = Some(lock);
                self.blocked = None;
            }
            Ok(store::LockOutcome::HeldBy(who)) => {
                self.blocked = Some(format!("This folder is open in another window ({who}), so this one is read-only"));
            }
            Ok(store::LockOutcome::ReadOnlyFolder(why)) => {
                self.blocked = Some(format!("This folder cannot be written ({why}), so it is open read-only"));
            }
            Err(e) => self.blocked = Some(format!("Cannot lock the folder ({e}), so it is open read-only")),
        }
    }
}
