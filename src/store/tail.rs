//! Tail writes: when only the last rows of a table changed (a tick on a recent run),
//! rewrite just the end of the file instead of the whole file, crash-safely:
//!
//! 1. write a redo file `.NAME.redo` (offset, the bytes it replaces, the new tail, and
//!    checksums of all of it and of the bytes just before the offset) and fsync it;
//! 2. write the tail at the offset in place, cut the file after it, fsync;
//! 3. delete the redo file, fsync the folder.
//!
//! A redo file left by a crash is looked at by every reader ([`interrupted`]) and changes
//! nothing: the readers see the file as the save meant it when the file is exactly in a
//! state that save could have left (the old bytes, the new ones, or a mix of the two), as
//! it is otherwise. Only the holder of the lock writes ([`finish_interrupted`]): it
//! finishes a save that fits, and keeps both when the file changed since. The result is
//! byte-identical to a full canonical rewrite.

use super::io::{Io, RealIo};
use super::kind::TableKind;
use super::redo::{Interrupted, Redo, Verdict, keep_unfinished, open_regular, redo_path};
use std::io::Read as _;
use std::path::Path;

/// Step 1 of a tail write: the redo file, durable. (Public so tests can stop here, as
/// a crash would.)
pub fn write_redo(dir: &Path, kind: TableKind, offset: u64, tail: &[u8]) -> std::io::Result<()> {
    let redo = Redo::of(&dir.join(kind.file_name()), offset, tail)?;
    RealIo.write_new(&redo_path(dir, kind), &redo.encode())?;
    RealIo.sync_dir(dir)
}

/// Replace the end of `dir/<table file>` from `offset` with `tail`, crash-safely.
pub fn write_tail(dir: &Path, kind: TableKind, offset: u64, tail: &[u8]) -> std::io::Result<()> {
    write_tail_with(&RealIo, dir, kind, offset, tail)
}

/// [`write_tail`] through the given file operations. If applying fails, the old end of
/// the file is put back (and the redo file removed), so a failed save leaves the file
/// as it was; if even that fails, the redo file stays and the next open completes it.
pub fn write_tail_with(io: &dyn Io, dir: &Path, kind: TableKind, offset: u64, tail: &[u8]) -> std::io::Result<()> {
    let target = dir.join(kind.file_name());
    let redo_file = redo_path(dir, kind);
    let redo = Redo::of(&target, offset, tail)?;
    if let Err(e) = io.write_new(&redo_file, &redo.encode()).and_then(|()| io.sync_dir(dir)) {
        let _ = std::fs::remove_file(&redo_file);
        return Err(e);
    }
    if let Err(e) = io.write_at(&target, offset, tail) {
        if RealIo.write_at(&target, offset, &redo.old).is_ok() {
            let _ = std::fs::remove_file(&redo_file);
        }
        return Err(e);
    }
    // Applied and fsynced: the save is done. A redo file left behind is harmless (the
    // next open sees the file already has its bytes).
    if let Err(e) = io.remove(&redo_file).and_then(|()| io.sync_dir(dir)) {
        log::warn!("{}: could not remove the redo file: {e}", redo_file.display());
    }
    Ok(())
}

/// The saves of single tables a crash interrupted (their redo files).
pub(super) fn redo_files(dir: &Path) -> std::io::Result<Vec<Interrupted>> {
    let mut found = Vec::new();
    for kind in TableKind::ALL {
        let redo_file = redo_path(dir, kind);
        let meta = match std::fs::symlink_metadata(&redo_file) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_file() {
            found.push(Interrupted::of_redo(kind, Verdict::NotOurs, None));
            continue;
        }
        let bytes = match std::fs::read(&redo_file) {
            Ok(b) => b,
            // Removed meanwhile: the save it was for has finished.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let Some(redo) = Redo::decode(&bytes) else {
            found.push(Interrupted::of_redo(kind, Verdict::Torn, None));
            continue;
        };
        let file = match open_regular(&dir.join(kind.file_name())) {
            Ok(mut f) => {
                let mut v = Vec::new();
                f.read_to_end(&mut v)?;
                v
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(_) => {
                found.push(Interrupted::of_redo(kind, Verdict::Changed, Some(redo)));
                continue;
            }
        };
        let verdict = redo.verdict(&file);
        found.push(Interrupted::of_redo(kind, verdict, Some(redo)));
    }
    Ok(found)
}

/// Finish or set aside the single-table saves a crash interrupted (see
/// [`super::recover::finish_interrupted`]).
pub(super) fn finish_redo_files(
    dir: &Path,
    written: &mut Vec<TableKind>,
    notes: &mut Vec<String>,
) -> std::io::Result<()> {
    for found in redo_files(dir)? {
        let file = found.kind.file_name();
        let redo_file = redo_path(dir, found.kind);
        match (&found.verdict, &found.redo) {
            (Verdict::Apply, Some(redo)) => {
                RealIo.write_at(&dir.join(file), redo.offset, &redo.new)?;
                written.push(found.kind);
                notes.push(format!("{file}: finished a save that was interrupted"));
            }
            (Verdict::Changed, Some(redo)) => notes.push(keep_unfinished(dir, found.kind, &redo.new)?),
            (Verdict::Torn, _) => {
                notes.push(format!("{file}: discarded a save interrupted before it began (the file was not touched)"))
            }
            _ => {}
        }
        // A link is removed, never followed.
        std::fs::remove_file(&redo_file)
            .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })?;
        RealIo.sync_dir(dir)?;
    }
    Ok(())
}
