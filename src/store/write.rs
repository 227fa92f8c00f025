//! Atomic, durable file writes inside the data folder (and of exports beside it):
//! temp file, fsync, rename, fsync the folder.

use super::error::Error;
use super::kind::TableKind;
use super::snapshot::TableSnapshot;
use std::path::Path;

/// Replace `dir/name` with `bytes` atomically and durably: write a temp file in the
/// same folder, flush and fsync it, rename it over the old file, fsync the folder.
/// On failure the old file is untouched and the temp file removed.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_with(&super::io::RealIo, dir, name, bytes)
}

/// [`write_atomic`] through the given file operations.
pub fn write_atomic_with(io: &dyn super::io::Io, dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    replace_atomic(io, dir, name, |tmp| io.write_new(tmp, bytes))
}

/// [`write_atomic_with`], the bytes produced piece by piece by `fill`.
pub fn write_atomic_streamed(
    io: &dyn super::io::Io,
    dir: &Path,
    name: &str,
    fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    replace_atomic(io, dir, name, |tmp| io.write_new_streamed(tmp, fill))
}

/// Write a temporary file with `write`, rename it over `name`, sync the folder.
fn replace_atomic(
    io: &dyn super::io::Io,
    dir: &Path,
    name: &str,
    write: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<(), Error> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = write(&tmp).and_then(|()| io.rename(&tmp, &path)).and_then(|()| io.sync_dir(dir));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// Write full table snapshots to the folder, one atomic replace each, stopping at the
/// first error. (Tail snapshots go through the writer thread, which knows the files.)
pub fn write_tables(dir: &Path, tables: &[TableSnapshot]) -> Result<(), (TableKind, Error)> {
    for t in tables {
        debug_assert!(t.is_full(), "write_tables takes full snapshots");
        if stays_missing(dir, t) {
            continue;
        }
        write_atomic(dir, t.kind.file_name(), &t.to_csv()).map_err(|e| (t.kind, e))?;
    }
    Ok(())
}

/// Whether writing `t` is left out: a table new in this version of the contract
/// (`schedules.csv`) is written only once it has rows, as a new column is (a missing file
/// is an empty table, and a folder that uses no schedule keeps its files as they were).
pub(crate) fn stays_missing(dir: &Path, t: &TableSnapshot) -> bool {
    t.kind == TableKind::Schedules
        && t.is_full()
        && t.is_empty()
        && std::fs::symlink_metadata(dir.join(t.kind.file_name())).is_err()
}

/// Create an empty data folder: the seven files with their headers (existing files are
/// kept; `schedules.csv` comes with the first schedule).
pub fn create_empty(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for kind in TableKind::ALL.into_iter().filter(|k| *k != TableKind::Schedules) {
        if !dir.join(kind.file_name()).exists() {
            let header = format!("{}\n", kind.columns_with(0).collect::<Vec<_>>().join(","));
            write_atomic(dir, kind.file_name(), header.as_bytes())?;
        }
    }
    Ok(())
}

/// Write a file outside the data folder (an export) atomically: temp file beside it,
/// fsync, rename.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| Error::io(path, std::io::Error::other("not a file name")))?;
    write_atomic(dir, &name.to_string_lossy(), bytes)
}

/// Read a small text file the user chose (an import): at most 4 MiB, UTF-8.
pub fn read_text(path: &Path) -> Result<String, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > 4 << 20 {
        return Err(Error::io(path, std::io::Error::other("the file is larger than 4 MiB")));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| Error::io(path, std::io::Error::other(format!("not UTF-8 text ({e})"))))
}
