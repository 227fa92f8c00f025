//! Tail writes: when only the last rows of a table changed (a tick on a recent run),
//! rewrite just the end of the file instead of the whole file, crash-safely:
//!
//! 1. write a redo file `.NAME.redo` (target offset, length, checksum, new tail) and fsync it;
//! 2. write the tail at the offset in place, cut the file after it, fsync;
//! 3. delete the redo file, fsync the folder.
//!
//! On open, a complete redo file (checksum matches) is applied again; an incomplete one
//! is deleted (the table file was not touched yet). The result is byte-identical to a
//! full canonical rewrite.

use super::encode::Encoded;
use super::io::{Io, RealIo};
use super::kind::TableKind;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 10] = b"PROCREDO1\n";

/// Where the rows of a file written by the app start (for the last rows only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// File length as written.
    pub file_len: u64,
    /// Rows in the file.
    pub rows: usize,
    /// First row with a known offset.
    pub offsets_from: usize,
    /// Start offsets of rows `offsets_from..rows`.
    pub offsets: Vec<u64>,
    /// Modification time after our write (a changed file is never tail-written).
    pub modified: Option<std::time::SystemTime>,
}

/// How many row offsets a layout keeps (the last rows of the file).
pub const KEEP_OFFSETS: usize = 50_000;

impl Layout {
    /// The layout after writing a whole file.
    pub fn after_full(enc: &Encoded, rows: usize) -> Self {
        Self {
            file_len: enc.bytes.len() as u64,
            rows,
            offsets_from: enc.offsets_from,
            offsets: enc.row_offsets.clone(),
            modified: None,
        }
    }

    /// Where row `row` starts, if known (`rows` = the end of the file).
    pub fn offset_of(&self, row: usize) -> Option<u64> {
        if row == self.rows {
            return Some(self.file_len);
        }
        (row >= self.offsets_from && row < self.rows).then(|| self.offsets[row - self.offsets_from])
    }

    /// The layout after writing `enc` (rows `first_row..rows`) at the offset of `first_row`.
    pub fn after_tail(&self, first_row: usize, enc: &Encoded, rows: usize) -> Option<Self> {
        let base = self.offset_of(first_row)?;
        let mut offsets: Vec<u64> = self.offsets[..first_row.saturating_sub(self.offsets_from)].to_vec();
        let mut offsets_from = self.offsets_from.min(first_row);
        // Rows of the tail without a recorded offset (only when the tail is longer than we keep).
        if enc.offsets_from > first_row {
            offsets.clear();
            offsets_from = enc.offsets_from;
        }
        offsets.extend(enc.row_offsets.iter().map(|o| o + base));
        if offsets.len() > KEEP_OFFSETS {
            let cut = offsets.len() - KEEP_OFFSETS;
            offsets.drain(..cut);
            offsets_from += cut;
        }
        Some(Self { file_len: base + enc.bytes.len() as u64, rows, offsets_from, offsets, modified: None })
    }
}

fn redo_path(dir: &Path, kind: TableKind) -> PathBuf {
    dir.join(format!(".{}.redo", kind.file_name()))
}

/// FNV-1a, 64 bit: enough to tell a complete redo file from a torn one.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

fn redo_record(offset: u64, tail: &[u8]) -> Vec<u8> {
    let mut rec = Vec::with_capacity(tail.len() + 34);
    rec.extend_from_slice(MAGIC);
    rec.extend_from_slice(&offset.to_le_bytes());
    rec.extend_from_slice(&(tail.len() as u64).to_le_bytes());
    rec.extend_from_slice(&checksum(tail).to_le_bytes());
    rec.extend_from_slice(tail);
    rec
}

/// Step 1 of a tail write: the redo file, durable. (Public so tests can stop here, as
/// a crash would.)
pub fn write_redo(dir: &Path, kind: TableKind, offset: u64, tail: &[u8]) -> std::io::Result<()> {
    RealIo.write_new(&redo_path(dir, kind), &redo_record(offset, tail))?;
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
    let redo = redo_path(dir, kind);
    // The part being replaced, to undo a failed apply.
    let old_tail = {
        let mut f = std::fs::File::open(&target)?;
        f.seek(SeekFrom::Start(offset))?;
        let mut v = Vec::new();
        f.read_to_end(&mut v)?;
        v
    };
    if let Err(e) = io.write_new(&redo, &redo_record(offset, tail)).and_then(|()| io.sync_dir(dir)) {
        let _ = std::fs::remove_file(&redo);
        return Err(e);
    }
    if let Err(e) = io.write_at(&target, offset, tail) {
        if RealIo.write_at(&target, offset, &old_tail).is_ok() {
            let _ = std::fs::remove_file(&redo);
        }
        return Err(e);
    }
    // Applied and fsynced: the save is done. A redo file left behind is harmless (the
    // next open applies the same bytes again).
    if let Err(e) = io.remove(&redo).and_then(|()| io.sync_dir(dir)) {
        log::warn!("{}: could not remove the redo file: {e}", redo.display());
    }
    Ok(())
}

/// Finish or discard tail writes a crash interrupted; returns what was done, per table.
pub fn recover(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut done = Vec::new();
    for kind in TableKind::ALL {
        let redo = redo_path(dir, kind);
        let mut bytes = Vec::new();
        match std::fs::File::open(&redo) {
            Ok(mut f) => f.read_to_end(&mut bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let word = |at: usize| -> Option<u64> { Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?)) };
        let complete = (|| {
            if bytes.get(..MAGIC.len())? != MAGIC {
                return None;
            }
            let (offset, len, sum) = (word(10)?, word(18)?, word(26)?);
            let tail = bytes.get(34..)?;
            (tail.len() as u64 == len && checksum(tail) == sum).then_some((offset, tail))
        })();
        match complete {
            Some((offset, tail)) => {
                RealIo.write_at(&dir.join(kind.file_name()), offset, tail)?;
                done.push(format!("{}: finished an interrupted save", kind.file_name()));
            }
            None => done.push(format!("{}: discarded an incomplete save (the file was not touched)", kind.file_name())),
        }
        std::fs::remove_file(&redo)?;
        RealIo.sync_dir(dir)?;
    }
    Ok(done)
}
