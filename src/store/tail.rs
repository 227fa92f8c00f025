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

use super::encode::Encoded;
use super::io::{Io, RealIo};
use super::kind::TableKind;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 10] = b"PROCREDO2\n";
/// The redo files of earlier versions: offset, length, checksum, new tail (nothing to
/// verify the file by, so they are applied only when the file already has their bytes).
const MAGIC_1: &[u8; 10] = b"PROCREDO1\n";

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

/// Where the redo file of a table's tail writes lives.
pub(super) fn redo_path(dir: &Path, kind: TableKind) -> PathBuf {
    dir.join(format!(".{}.redo", kind.file_name()))
}

/// FNV-1a, 64 bit: enough to tell a complete redo file from a torn one, and the bytes a
/// save expected from changed ones.
pub(super) fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// How many bytes before the offset a redo file vouches for (with a checksum): a file
/// rewritten since has other bytes there, almost surely.
const PREFIX_WINDOW: u64 = 4096;

/// What a save expects of the file it changes, and what it writes.
pub(super) struct Redo {
    pub(super) offset: u64,
    /// Checksum of the [`PREFIX_WINDOW`] bytes before `offset` (fewer at the start).
    prefix_sum: u64,
    /// The bytes from `offset` to the end, before the save.
    pub(super) old: Vec<u8>,
    /// The bytes from `offset` to the end, after it.
    pub(super) new: Vec<u8>,
    /// Written by an earlier version, without `prefix_sum` and `old`.
    legacy: bool,
}

/// Header of a redo file: magic, offset, prefix checksum, old length, new length, and
/// a checksum of all of it (fields and both tails), then the old and the new bytes.
const HEADER: usize = MAGIC.len() + 5 * 8;

impl Redo {
    /// The redo of replacing the end of `target` from `offset` with `new`, read off the
    /// file as it is now.
    /// What a reader sees of a table a journaled save replaces whole: all of `new`.
    pub(super) fn whole(new: Vec<u8>) -> Self {
        Self { offset: 0, prefix_sum: 0, old: Vec::new(), new, legacy: false }
    }

    pub(super) fn of(target: &Path, offset: u64, new: &[u8]) -> std::io::Result<Self> {
        let mut f = open_regular(target)?;
        let from = offset.saturating_sub(PREFIX_WINDOW);
        f.seek(SeekFrom::Start(from))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        let cut = usize::try_from(offset - from).unwrap_or(usize::MAX).min(bytes.len());
        if (cut as u64) < offset - from {
            return Err(std::io::Error::other("the offset of a tail write is past the end of the file"));
        }
        let old = bytes.split_off(cut);
        Ok(Self { offset, prefix_sum: checksum(&bytes), old, new: new.to_vec(), legacy: false })
    }

    fn fields(&self) -> [u64; 4] {
        [self.offset, self.prefix_sum, self.old.len() as u64, self.new.len() as u64]
    }

    fn record_sum(&self) -> u64 {
        let mut all = Vec::with_capacity(32 + self.old.len() + self.new.len());
        self.fields().iter().for_each(|w| all.extend_from_slice(&w.to_le_bytes()));
        all.extend_from_slice(&self.old);
        all.extend_from_slice(&self.new);
        checksum(&all)
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut rec = Vec::with_capacity(HEADER + self.old.len() + self.new.len());
        rec.extend_from_slice(MAGIC);
        self.fields().iter().for_each(|w| rec.extend_from_slice(&w.to_le_bytes()));
        rec.extend_from_slice(&self.record_sum().to_le_bytes());
        rec.extend_from_slice(&self.old);
        rec.extend_from_slice(&self.new);
        rec
    }

    /// A redo file, or `None` when it is torn (a crash while writing it) or not ours.
    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        let word = |i: usize| -> Option<u64> {
            let at = MAGIC.len() + 8 * i;
            Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
        };
        if bytes.get(..MAGIC_1.len())? == MAGIC_1 {
            let (offset, len, sum, new) = (word(0)?, word(1)?, word(2)?, bytes.get(34..)?);
            return (new.len() as u64 == len && checksum(new) == sum).then(|| Self {
                offset,
                prefix_sum: 0,
                old: Vec::new(),
                new: new.to_vec(),
                legacy: true,
            });
        }
        if bytes.get(..MAGIC.len())? != MAGIC {
            return None;
        }
        let (offset, prefix_sum, old_len, new_len, sum) = (word(0)?, word(1)?, word(2)?, word(3)?, word(4)?);
        let old_end = HEADER.checked_add(usize::try_from(old_len).ok()?)?;
        let new_end = old_end.checked_add(usize::try_from(new_len).ok()?)?;
        if bytes.len() != new_end {
            return None;
        }
        let (old, new) = (bytes[HEADER..old_end].to_vec(), bytes[old_end..new_end].to_vec());
        let redo = Self { offset, prefix_sum, old, new, legacy: false };
        (redo.record_sum() == sum).then_some(redo)
    }

    /// Where `file` (the whole table file as it is now) stands with this save.
    pub(super) fn verdict(&self, file: &[u8]) -> Verdict {
        let Ok(offset) = usize::try_from(self.offset) else { return Verdict::Changed };
        if self.legacy {
            let done = file.get(offset..) == Some(self.new.as_slice());
            return if done { Verdict::Done } else { Verdict::Changed };
        }
        if file.len() < offset
            || checksum(&file[offset.saturating_sub(PREFIX_WINDOW as usize)..offset]) != self.prefix_sum
        {
            return Verdict::Changed;
        }
        let rest = &file[offset..];
        if rest == self.new.as_slice() {
            return Verdict::Done;
        }
        // In place, the new bytes went over the old ones (a crash may have kept any of
        // them, in any order), then the file was cut after them: each byte is old or new;
        // past the old end, not yet written ones may read as zeros.
        let (old, new) = (self.old.as_slice(), self.new.as_slice());
        let longest = old.len().max(new.len());
        let before_cut = rest.len() >= old.len().min(new.len()) && rest.len() <= longest;
        let each_byte_fits = rest
            .iter()
            .enumerate()
            .all(|(i, b)| old.get(i) == Some(b) || new.get(i) == Some(b) || (i >= old.len() && *b == 0));
        if before_cut && each_byte_fits { Verdict::Apply } else { Verdict::Changed }
    }
}

/// Open a file in the data folder for reading, only when it is a regular file (a
/// symbolic link is not followed, a FIFO would block forever).
pub(super) fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    std::fs::File::open(path)
}

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

/// Where a table file stands with an interrupted save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The file is as the save found it, or partly written by it: finishing it gives
    /// exactly what the save meant.
    Apply,
    /// The file already is what the save meant.
    Done,
    /// The redo file is torn (the crash came while writing it): the table was not touched.
    Torn,
    /// The file changed since (a `git pull`, an edit): the save does not fit it any more.
    Changed,
    /// The redo file is not a regular file (a planted link): not ours, never followed.
    NotOurs,
}

/// An interrupted save found in a folder.
pub struct Interrupted {
    /// Its table.
    pub kind: TableKind,
    /// Where the table stands with it.
    pub verdict: Verdict,
    pub(super) redo: Option<Redo>,
    /// The file that holds the save: the table's redo file, or the journal of a save
    /// that spans tables.
    pub(super) held_in: String,
    /// For a table a journaled save replaces whole: the new file, written in full.
    pub(super) whole: Option<PathBuf>,
}

impl std::fmt::Debug for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interrupted").field("kind", &self.kind).field("verdict", &self.verdict).finish()
    }
}

impl Interrupted {
    fn of_redo(kind: TableKind, verdict: Verdict, redo: Option<Redo>) -> Self {
        let held_in = redo_path(Path::new(""), kind).display().to_string();
        Self { kind, verdict, redo, held_in, whole: None }
    }

    /// What the reader should see in place of the file's end (for [`Verdict::Apply`]):
    /// the file's bytes up to the offset, then these.
    pub(crate) fn overlay(&self) -> Option<super::read::Overlay<'_>> {
        let redo = self.redo.as_ref().filter(|_| self.verdict == Verdict::Apply)?;
        Some(super::read::Overlay { offset: redo.offset, tail: &redo.new })
    }

    /// What a reader should be told, if anything.
    pub fn note(&self) -> Option<String> {
        let file = self.kind.file_name();
        let redo = &self.held_in;
        match self.verdict {
            Verdict::Apply => Some(format!(
                "{file}: an interrupted save is read as finished; the app finishes it on disk when it next opens the folder"
            )),
            Verdict::Changed => Some(format!(
                "{file}: changed since a save to it was interrupted; read as it is, the save's rows are kept in {redo} until the app opens the folder"
            )),
            Verdict::NotOurs => Some(format!("{redo}: not a regular file, ignored")),
            Verdict::Done | Verdict::Torn => None,
        }
    }
}

/// The interrupted saves in a folder, and where each table stands with its save. Reads
/// only: any reader may call it.
pub fn interrupted(dir: &Path) -> std::io::Result<Vec<Interrupted>> {
    let mut found = redo_files(dir)?;
    found.extend(super::journal::look(dir)?);
    Ok(found)
}

/// The saves of single tables a crash interrupted (their redo files).
fn redo_files(dir: &Path) -> std::io::Result<Vec<Interrupted>> {
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

/// Keep the rows of a save that no longer fits its file (changed since) beside it, as
/// `NAME.unfinished-save.csv` (the file's header, then the save's rows); says so.
pub(super) fn keep_unfinished(dir: &Path, kind: TableKind, rows: &[u8]) -> std::io::Result<String> {
    let file = kind.file_name();
    let kept = dir.join(format!("{file}.unfinished-save.csv"));
    let header = std::fs::read(dir.join(file))
        .ok()
        .and_then(|b| b.iter().position(|&c| c == b'\n').map(|end| b[..=end].to_vec()))
        .unwrap_or_default();
    RealIo.write_new(&kept, &[header.as_slice(), rows].concat())?;
    Ok(format!(
        "{file} changed after a save to it was interrupted: the file is kept as it is, and the rows that save wrote are in {}",
        kept.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ))
}

/// Finish or set aside the saves a crash interrupted. Only for the holder of the
/// folder's lock: it looks again (under the lock), finishes a save whose file is
/// exactly what the save expected, and when the file changed since, keeps both — the
/// file as it is, and the save's new rows in `NAME.unfinished-save.csv` — and says so.
/// Returns the tables it wrote, and a note for each thing it did.
pub fn finish_interrupted(dir: &Path) -> std::io::Result<(Vec<TableKind>, Vec<String>)> {
    let (mut written, mut notes) = (Vec::new(), Vec::new());
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
    super::journal::finish(dir, &mut written, &mut notes)?;
    Ok((written, notes))
}
