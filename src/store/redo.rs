//! A redo record: what a save that writes the end of a table file in place expects of
//! the file and what it writes (offset, the bytes it replaces, the new bytes, checksums),
//! and where a table stands with an interrupted one. Written alone as a table's redo file
//! (`store::tail`) or with others in a journal (`store::journal`); looked at by every
//! reader, acted on only by the lock's holder (`store::recover`).

use super::io::{Io as _, RealIo};
use super::kind::TableKind;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 10] = b"PROCREDO2\n";
/// The redo files of earlier versions: offset, length, checksum, new tail (nothing to
/// verify the file by, so they are applied only when the file already has their bytes).
const MAGIC_1: &[u8; 10] = b"PROCREDO1\n";

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
pub(crate) struct Redo {
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

impl std::fmt::Debug for Redo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redo")
            .field("offset", &self.offset)
            .field("old", &self.old.len())
            .field("new", &self.new.len())
            .finish_non_exhaustive()
    }
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
        let from = usize::try_from(self.window_start()).unwrap_or(usize::MAX).min(file.len());
        self.verdict_of_end(file.len() as u64, &file[from..])
    }

    /// Where the file's bytes start that [`Redo::verdict_of_end`] looks at.
    fn window_start(&self) -> u64 {
        if self.legacy { self.offset } else { self.offset.saturating_sub(PREFIX_WINDOW) }
    }

    /// Whether `file`, as it is now (read under the reader's shared lock), still fits
    /// this save as one a crash interrupted: only then may a reader lay the save's bytes
    /// over it. A save that finished meanwhile, or a later one, leaves the file whole and
    /// this save's bytes would tear it. Reads the file's end only.
    pub(crate) fn still_applies(&self, file: &std::fs::File) -> bool {
        let Ok(len) = file.metadata().map(|m| m.len()) else { return false };
        // Past the save's longest end: not a state the save leaves (and not read).
        if len.saturating_sub(self.offset) > self.old.len().max(self.new.len()) as u64 {
            return false;
        }
        let from = self.window_start().min(len);
        // The reader reads at explicit positions (`read::source`): moving the handle's
        // cursor here changes nothing for it.
        let mut end = Vec::new();
        let mut handle = file;
        if handle.seek(SeekFrom::Start(from)).and_then(|_| handle.read_to_end(&mut end)).is_err() {
            return false;
        }
        self.verdict_of_end(len, &end) == Verdict::Apply
    }

    /// [`Redo::verdict`] from the file's length and its bytes from
    /// [`Redo::window_start`] (or its length, if shorter) on.
    fn verdict_of_end(&self, file_len: u64, end: &[u8]) -> Verdict {
        if self.legacy {
            let done = file_len >= self.offset && end == self.new.as_slice();
            return if done { Verdict::Done } else { Verdict::Changed };
        }
        let Ok(window) = usize::try_from(self.offset - self.window_start()) else { return Verdict::Changed };
        if file_len < self.offset || end.len() < window || checksum(&end[..window]) != self.prefix_sum {
            return Verdict::Changed;
        }
        let rest = &end[window..];
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
    /// The holding file and its fingerprint from before it was read (set by
    /// `recover::interrupted`): a reader applies the save only while the file is still
    /// that one — a save that finished meanwhile, or a newer one, leaves the table whole
    /// under the reader's shared lock, and the old save's bytes no longer fit it.
    pub(super) stamp: Option<(PathBuf, super::Fingerprint)>,
}

impl std::fmt::Debug for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interrupted").field("kind", &self.kind).field("verdict", &self.verdict).finish()
    }
}

impl Interrupted {
    pub(super) fn of_redo(kind: TableKind, verdict: Verdict, redo: Option<Redo>) -> Self {
        let held_in = redo_path(Path::new(""), kind).display().to_string();
        Self { kind, verdict, redo, held_in, whole: None, stamp: None }
    }

    /// What the reader should see in place of the file's end (for [`Verdict::Apply`]):
    /// the file's bytes up to the offset, then these.
    pub(crate) fn overlay(&self) -> Option<super::read::Overlay<'_>> {
        let redo = self.redo.as_ref().filter(|_| self.verdict == Verdict::Apply)?;
        let still = self.stamp.as_ref().map(|(path, print)| (path.as_path(), *print));
        // A table replaced whole takes its new file whatever the old one holds: only the
        // journal's stamp tells whether the save is still the one read.
        let check = self.whole.is_none().then_some(redo);
        Some(super::read::Overlay { offset: redo.offset, tail: &redo.new, still, redo: check })
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

#[cfg(test)]
mod tests {
    use super::{Redo, Verdict};
    use std::io::{Seek as _, SeekFrom, Write as _};

    fn table(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("run_steps.csv");
        std::fs::write(&path, bytes).expect("write");
        (dir, path)
    }

    /// Write `tail` at `offset`, and cut the file after it when `cut`.
    fn rewrite_end(path: &std::path::Path, offset: u64, tail: &[u8], cut: bool) {
        let mut f = std::fs::OpenOptions::new().write(true).open(path).expect("open");
        f.seek(SeekFrom::Start(offset)).expect("seek");
        f.write_all(tail).expect("write");
        if cut {
            f.set_len(offset + tail.len() as u64).expect("cut");
        }
    }

    /// A reader lays a save over the file only while the file, as locked, is in a state
    /// that save leaves: not after it finished and a later save (earlier in the file, of
    /// another length) went over it, which the stale save would tear.
    #[test]
    fn a_save_is_laid_over_the_file_only_while_the_file_fits_it() {
        let before = b"id,done\n1,no\n2,no\n3,no\n";
        let (_dir, path) = table(before);
        let redo = Redo::of(&path, 13, b"2,yes\n3,no\n").expect("redo");
        let applies = || redo.still_applies(&std::fs::File::open(&path).expect("open"));
        assert!(applies(), "the file as the save found it");
        rewrite_end(&path, 13, b"2,y", false);
        assert!(applies(), "the file partly written by the save");
        rewrite_end(&path, 13, b"2,yes\n3,no\n", true);
        assert!(!applies(), "the save finished: the file is read as it is");
        assert_eq!(redo.verdict(&std::fs::read(&path).expect("read")), Verdict::Done);
        rewrite_end(&path, 8, b"1,yes\n2,yes\n3,no\n", true);
        assert!(!applies(), "a later save went over it");
        assert_eq!(redo.verdict(&std::fs::read(&path).expect("read")), Verdict::Changed);
    }

    /// The end read under the lock gives the verdict the whole file gives, for a save
    /// past the prefix window (4 KiB before the offset) too.
    #[test]
    fn the_end_of_a_long_file_gives_the_whole_files_verdict() {
        let mut before = b"id,done\n".to_vec();
        (0..1000).for_each(|i| before.extend_from_slice(format!("{i},no\n").as_bytes()));
        let (_dir, path) = table(&before);
        let offset = before.len() as u64 - 7;
        let redo = Redo::of(&path, offset, b"999,yes\n").expect("redo");
        assert_eq!(redo.verdict(&before), Verdict::Apply);
        assert!(redo.still_applies(&std::fs::File::open(&path).expect("open")));
        let mut other = before.clone();
        other[100] = b'7';
        std::fs::write(&path, &other).expect("write");
        assert_eq!(redo.verdict(&other), Verdict::Apply, "a change before the window is not seen");
        other[before.len() - 100] = b'7';
        std::fs::write(&path, &other).expect("write");
        assert_eq!(redo.verdict(&other), Verdict::Changed);
        assert!(!redo.still_applies(&std::fs::File::open(&path).expect("open")));
    }
}
