//! One writer per folder: an OS advisory lock on `.procedures.lock`. The operating
//! system releases it when the process ends (even by a crash), so a stale lock never
//! blocks. The file says who holds it, for the second window's banner.

use super::error::Error;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;

/// The lock file's name in a data folder.
pub const LOCK_FILE: &str = ".procedures.lock";

/// A held folder lock; dropping it releases the folder.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

/// What trying to lock a folder gave.
#[derive(Debug)]
pub enum LockOutcome {
    /// This process may write the folder.
    Acquired(FolderLock),
    /// Someone else writes it: who (host, pid, since), as the lock file says.
    HeldBy(String),
    /// The folder cannot be written at all (read-only medium or permissions).
    ReadOnlyFolder(String),
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|s| s.trim().to_owned()))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "this computer".to_owned())
}

/// Try to become the folder's only writer, as the app.
pub fn lock_folder(dir: &Path) -> Result<LockOutcome, Error> {
    lock_folder_as(dir, "the Procedures app")
}

/// Try to become the folder's only writer; `holder` names this program in the lock file
/// ("the Procedures app", "`procedures run tick`"), so whoever waits is told who holds it.
pub fn lock_folder_as(dir: &Path, holder: &str) -> Result<LockOutcome, Error> {
    let path = dir.join(LOCK_FILE);
    // A lock file that is a symbolic link (a cloned or shared folder can carry one) is
    // never followed: writing "host …, pid …" into it would change a file elsewhere.
    let not_followed = || {
        Ok(LockOutcome::ReadOnlyFolder(format!(
            "{LOCK_FILE} is a symbolic link or not a regular file, which the app never writes through"
        )))
    };
    if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.file_type().is_file()) {
        return not_followed();
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(super::io::libc_nofollow());
    }
    let mut file = match options.open(&path) {
        Ok(f) if !f.metadata().is_ok_and(|m| m.is_file()) => return not_followed(),
        Ok(f) => f,
        // O_NOFOLLOW refused a link planted between the look and the open.
        Err(_) if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) => return not_followed(),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem) => {
            return Ok(LockOutcome::ReadOnlyFolder(e.to_string()));
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    match file.try_lock() {
        Ok(()) => {
            let who = format!(
                "{holder} on host {}, pid {}, since {}\n",
                host_name(),
                std::process::id(),
                crate::model::Timestamp::now().canonical()
            );
            let _ = file
                .set_len(0)
                .and_then(|()| file.seek(SeekFrom::Start(0)))
                .and_then(|_| file.write_all(who.as_bytes()));
            Ok(LockOutcome::Acquired(FolderLock { _file: file }))
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut who = String::new();
            let _ = file.read_to_string(&mut who);
            let who = who.trim();
            Ok(LockOutcome::HeldBy(if who.is_empty() { "another program".to_owned() } else { who.to_owned() }))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(path, e)),
    }
}
