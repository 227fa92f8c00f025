//! Daily backups inside the folder (`.backups/YYYY-MM-DD/`, the last 30 kept), restore,
//! and the `.gitignore` that keeps backups, the lock and temporary files out of git.

use super::error::Error;
use super::kind::TableKind;
use super::write::write_atomic;
use std::path::{Path, PathBuf};

/// The backups folder inside a data folder.
pub const BACKUP_DIR: &str = ".backups";

/// How many daily backups are kept.
pub const KEEP_BACKUPS: usize = 30;

const GITIGNORE: &str = "# Written by Procedures: backups, the lock and temporary files stay out of git.\n.backups/\n.conflicts/\n.procedures.lock\n.*.tmp\n.*.redo\n";

/// Create the folder's `.gitignore` unless it has one.
pub fn ensure_gitignore(dir: &Path) -> Result<(), Error> {
    if dir.join(".gitignore").exists() {
        return Ok(());
    }
    write_atomic(dir, ".gitignore", GITIGNORE.as_bytes())
}

/// Refuse a folder inside the data folder that is a symbolic link (a planted
/// `.backups` link would make the backups write outside the folder).
pub(crate) fn no_link(path: &Path) -> Result<(), Error> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::io(
            path,
            std::io::Error::other("is a symbolic link: nothing is written through it (remove the link)"),
        )),
        _ => Ok(()),
    }
}

/// Create `path` (a folder inside the data folder, such as `.backups/<day>`) and its
/// parent, refusing either when it is a symbolic link.
pub fn create_real_dir(path: &Path) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        no_link(parent)?;
    }
    no_link(path)?;
    std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))
}

/// Copy the seven table files (those that exist) from one folder into another.
pub fn copy_tables(from: &Path, to: &Path) -> Result<usize, Error> {
    create_real_dir(to)?;
    let mut n = 0;
    for kind in TableKind::ALL {
        let src = from.join(kind.file_name());
        if src.is_file() {
            std::fs::copy(&src, to.join(kind.file_name())).map_err(|e| Error::io(&src, e))?;
            n += 1;
        }
    }
    Ok(n)
}

/// Back up the tables as they are now into `.backups/<day>/`, unless that backup
/// exists; then keep only the newest [`KEEP_BACKUPS`]. Returns the new backup, if made.
pub fn daily_backup(dir: &Path, day: &str) -> Result<Option<PathBuf>, Error> {
    let target = dir.join(BACKUP_DIR).join(day);
    if target.exists() {
        return Ok(None);
    }
    no_link(&dir.join(BACKUP_DIR))?;
    // Copy into a temporary name first, so a half-made backup never looks complete; one
    // that failed (a full disk) is removed, and the next save tries again.
    let partial = dir.join(BACKUP_DIR).join(format!(".{day}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    let made =
        copy_tables(dir, &partial).and_then(|_| std::fs::rename(&partial, &target).map_err(|e| Error::io(&target, e)));
    if let Err(e) = made {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    prune(dir)?;
    Ok(Some(target))
}

/// The backups of a folder, newest first: (name, path).
pub fn list_backups(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir.join(BACKUP_DIR)) else { return Vec::new() };
    let mut v: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    v.sort();
    v.reverse();
    v
}

fn prune(dir: &Path) -> Result<(), Error> {
    // Daily backups are named YYYY-MM-DD; backups made before a restore are kept too but
    // count towards the limit.
    for (_, path) in list_backups(dir).into_iter().skip(KEEP_BACKUPS) {
        std::fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// Restore a backup: the current tables are first saved as a backup named
/// `<now>-before-restore`, then each table of the backup replaces the current one
/// (atomically). The caller reopens the folder.
pub fn restore_backup(dir: &Path, name: &str, now: &str) -> Result<PathBuf, Error> {
    let source = dir.join(BACKUP_DIR).join(name);
    if !source.is_dir() {
        return Err(Error::NotAFolder(source));
    }
    no_link(&dir.join(BACKUP_DIR))?;
    let safety = dir.join(BACKUP_DIR).join(format!("{now}-before-restore"));
    copy_tables(dir, &safety)?;
    for kind in TableKind::ALL {
        let src = source.join(kind.file_name());
        if src.is_file() {
            let bytes = std::fs::read(&src).map_err(|e| Error::io(&src, e))?;
            write_atomic(dir, kind.file_name(), &bytes)?;
        }
    }
    Ok(safety)
}
