//! One journal for a save that spans tables (a run and its steps; a procedure removed
//! with its runs): after a kill at any instant, all of it is there or none of it.
//!
//! 1. Each table the save replaces whole is written to `.NAME.journal.tmp` and synced.
//! 2. The journal `.procedures.redo` lists what the save does — for a table replaced
//!    whole, the length and modification time of its new file; for a tail write, its
//!    redo record (see [`super::tail`]) — with a checksum of all of it, and is synced.
//!    This is the moment the save happens.
//! 3. The tails are written in place and the new files renamed over the tables; the
//!    folder is synced.
//! 4. The journal is removed.
//!
//! A kill before step 2 ends leaves no journal or a torn one: no table was touched (the
//! next holder of the lock removes the temporaries). After it, every reader sees every
//! table as the save meant ([`look`]), and the next holder of the lock finishes it on
//! disk ([`finish`]) — or, for a table changed since (a `git pull`), keeps the save's
//! rows beside it, as for a single table.

use super::io::{Io, RealIo};
use super::kind::TableKind;
use super::redo::{Interrupted, Redo, Verdict, checksum, keep_unfinished, open_regular};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// The journal's name in the folder (`.*.redo` is in the folder's `.gitignore`).
pub(super) const JOURNAL: &str = ".procedures.redo";
const MAGIC: &[u8; 10] = b"PROCJRNL1\n";
const TAIL: u64 = 0;
const WHOLE: u64 = 1;

/// Where a journaled save writes the new file of a table it replaces whole.
pub(super) fn temp_path(dir: &Path, kind: TableKind) -> PathBuf {
    dir.join(format!(".{}.journal.tmp", kind.file_name()))
}

/// One table's part of a save.
enum Entry {
    /// The end of the table from an offset, as a single table's tail write.
    Tail(TableKind, Redo),
    /// The whole table: its new file, by length and modification time (a rename keeps
    /// both, so they also tell whether the rename happened).
    Whole(TableKind, u64, Duration),
}

impl Entry {
    fn kind(&self) -> TableKind {
        match self {
            Entry::Tail(kind, _) | Entry::Whole(kind, ..) => *kind,
        }
    }
}

/// A file's length and modification time as a journal records them (only a regular
/// file: a planted link never matches).
fn print_of(path: &Path) -> Option<(u64, Duration)> {
    let meta = std::fs::symlink_metadata(path).ok().filter(|m| m.file_type().is_file())?;
    Some((meta.len(), meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?))
}

fn encode(entries: &[Entry]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    let word = |out: &mut Vec<u8>, w: u64| out.extend_from_slice(&w.to_le_bytes());
    word(&mut out, entries.len() as u64);
    for entry in entries {
        let index = TableKind::ALL.iter().position(|k| *k == entry.kind()).unwrap_or(0) as u64;
        word(&mut out, index);
        match entry {
            Entry::Tail(_, redo) => {
                let record = redo.encode();
                word(&mut out, TAIL);
                word(&mut out, record.len() as u64);
                out.extend_from_slice(&record);
            }
            Entry::Whole(_, len, modified) => {
                word(&mut out, WHOLE);
                word(&mut out, 24);
                word(&mut out, *len);
                word(&mut out, modified.as_secs());
                word(&mut out, u64::from(modified.subsec_nanos()));
            }
        }
    }
    let sum = checksum(&out);
    word(&mut out, sum);
    out
}

/// A journal, or `None` when it is torn (a kill while writing it) or not ours.
fn decode(bytes: &[u8]) -> Option<Vec<Entry>> {
    let body = bytes.get(..bytes.len().checked_sub(8)?)?;
    let sum = u64::from_le_bytes(bytes.get(body.len()..)?.try_into().ok()?);
    if body.get(..MAGIC.len())? != MAGIC || checksum(body) != sum {
        return None;
    }
    let mut at = MAGIC.len();
    let word = |at: &mut usize| -> Option<u64> {
        let w = u64::from_le_bytes(body.get(*at..*at + 8)?.try_into().ok()?);
        *at += 8;
        Some(w)
    };
    let count = word(&mut at)?;
    let mut entries = Vec::new();
    for _ in 0..count.min(TableKind::COUNT as u64) {
        let kind = *TableKind::ALL.get(usize::try_from(word(&mut at)?).ok()?)?;
        let (what, len) = (word(&mut at)?, usize::try_from(word(&mut at)?).ok()?);
        match what {
            TAIL => {
                let start = at;
                let record = body.get(start..start.checked_add(len)?)?;
                at = start + len;
                entries.push(Entry::Tail(kind, Redo::decode(record)?));
            }
            WHOLE if len == 24 => {
                let (file_len, secs, nanos) = (word(&mut at)?, word(&mut at)?, word(&mut at)?);
                let modified = Duration::new(secs, u32::try_from(nanos).ok()?);
                entries.push(Entry::Whole(kind, file_len, modified));
            }
            _ => return None,
        }
    }
    (entries.len() as u64 == count && at == body.len()).then_some(entries)
}

/// Where a table stands with its part of a journaled save. With `read_new`, the new file
/// of a table replaced whole is read (what a reader sees in place of the table).
fn judge(dir: &Path, entry: Entry, read_new: bool) -> std::io::Result<Interrupted> {
    let kind = entry.kind();
    let table = dir.join(kind.file_name());
    let found =
        |verdict, redo, whole| Interrupted { kind, verdict, redo, held_in: JOURNAL.to_owned(), whole, stamp: None };
    match entry {
        Entry::Tail(_, redo) => {
            let file = match open_regular(&table) {
                Ok(mut f) => {
                    let mut v = Vec::new();
                    f.read_to_end(&mut v)?;
                    v
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(_) => return Ok(found(Verdict::Changed, Some(redo), None)),
            };
            Ok(found(redo.verdict(&file), Some(redo), None))
        }
        Entry::Whole(_, len, modified) => {
            let temp = temp_path(dir, kind);
            let expected = Some((len, modified));
            if print_of(&temp) == expected {
                let new = if read_new { Some(Redo::whole(std::fs::read(&temp)?)) } else { None };
                return Ok(found(Verdict::Apply, new, Some(temp)));
            }
            let verdict = if print_of(&table) == expected { Verdict::Done } else { Verdict::Changed };
            Ok(found(verdict, None, print_of(&temp).map(|_| temp)))
        }
    }
}

/// Read the journal, if there is one: `None` when there is none; `Some(None)` when it is
/// torn or not a regular file.
fn read(dir: &Path) -> std::io::Result<Option<Option<Vec<Entry>>>> {
    let path = dir.join(JOURNAL);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if !m.file_type().is_file() => return Ok(Some(None)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(decode(&bytes))),
        // Removed meanwhile: the save has finished.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The tables of an interrupted journaled save, and where each stands with it. Reads
/// only: any reader may call it. A torn journal means no table was touched: nothing.
pub(super) fn look(dir: &Path) -> std::io::Result<Vec<Interrupted>> {
    let Some(Some(entries)) = read(dir)? else { return Ok(Vec::new()) };
    entries.into_iter().map(|e| judge(dir, e, true)).collect()
}

/// Finish an interrupted journaled save on disk (only for the holder of the folder's
/// lock), or discard one that never began; adds the tables written and notes.
pub(super) fn finish(dir: &Path, written: &mut Vec<TableKind>, notes: &mut Vec<String>) -> std::io::Result<()> {
    let Some(journal) = read(dir)? else {
        // A kill before the journal: the new files it would have named are of no use.
        discard_temps(dir);
        return Ok(());
    };
    match journal {
        None => notes
            .push("discarded a save of several tables interrupted before it began (no table was touched)".to_owned()),
        Some(entries) => {
            let mut finished = Vec::new();
            for entry in entries {
                let found = judge(dir, entry, false)?;
                let table = dir.join(found.kind.file_name());
                match (found.verdict, &found.redo, &found.whole) {
                    (Verdict::Apply, Some(redo), None) => RealIo.write_at(&table, redo.offset, &redo.new)?,
                    (Verdict::Apply, _, Some(temp)) => RealIo.rename(temp, &table)?,
                    (Verdict::Changed, Some(redo), None) => {
                        notes.push(keep_unfinished(dir, found.kind, &redo.new)?);
                        continue;
                    }
                    (Verdict::Changed, _, Some(temp)) => {
                        let file = found.kind.file_name();
                        RealIo.rename(temp, &dir.join(format!("{file}.unfinished-save.csv")))?;
                        notes.push(format!(
                            "{file} changed after a save to it was interrupted: the file is kept as it is, and the table that save wrote is {file}.unfinished-save.csv"
                        ));
                        continue;
                    }
                    _ => continue,
                }
                written.push(found.kind);
                finished.push(found.kind.file_name());
            }
            if !finished.is_empty() {
                notes.push(format!("finished a save that was interrupted ({})", finished.join(", ")));
            }
        }
    }
    RealIo.sync_dir(dir)?;
    discard_temps(dir);
    // A link is removed, never followed.
    std::fs::remove_file(dir.join(JOURNAL))
        .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })?;
    RealIo.sync_dir(dir)
}

/// Remove the new files a journaled save left (it failed, or never began).
pub(super) fn discard_temps(dir: &Path) {
    for kind in TableKind::ALL {
        let _ = std::fs::remove_file(temp_path(dir, kind));
    }
}

/// Whether a journal is waiting in the folder (left by a save that failed half-way).
pub(super) fn pending(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(JOURNAL)).is_ok()
}

/// Steps 2 to 4 of a journaled save: `wholes` are already written to their temporaries
/// ([`temp_path`], synced); `tails` are (table, offset, new end). On an error before the
/// journal is durable, or while the tails are written, nothing is changed (the tails
/// written are put back); an error after that leaves the journal, so the save is
/// finished by the next [`finish`] (the writer runs it before its next save).
pub(super) fn commit(
    io: &dyn Io,
    dir: &Path,
    wholes: &[TableKind],
    tails: &[(TableKind, u64, &[u8])],
) -> std::io::Result<()> {
    let journal = dir.join(JOURNAL);
    let undo = |e: std::io::Error| {
        let _ = std::fs::remove_file(&journal);
        discard_temps(dir);
        e
    };
    let mut entries = Vec::new();
    for kind in wholes {
        let (len, modified) = print_of(&temp_path(dir, *kind))
            .ok_or_else(|| undo(std::io::Error::other("the new file of a save is missing")))?;
        entries.push(Entry::Whole(*kind, len, modified));
    }
    for (kind, offset, bytes) in tails {
        entries.push(Entry::Tail(*kind, Redo::of(&dir.join(kind.file_name()), *offset, bytes).map_err(undo)?));
    }
    io.write_new(&journal, &encode(&entries)).and_then(|()| io.sync_dir(dir)).map_err(undo)?;
    // The save has happened; now the files.
    for (i, entry) in entries.iter().enumerate() {
        let Entry::Tail(kind, redo) = entry else { continue };
        if let Err(e) = io.write_at(&dir.join(kind.file_name()), redo.offset, &redo.new) {
            let put_back = entries[..=i].iter().all(|done| match done {
                Entry::Tail(kind, redo) => RealIo.write_at(&dir.join(kind.file_name()), redo.offset, &redo.old).is_ok(),
                Entry::Whole(..) => true,
            });
            return Err(if put_back { undo(e) } else { e });
        }
    }
    for kind in wholes {
        io.rename(&temp_path(dir, *kind), &dir.join(kind.file_name()))?;
    }
    io.sync_dir(dir)?;
    if let Err(e) = io.remove(&journal).and_then(|()| io.sync_dir(dir)) {
        log::warn!("{}: could not remove the journal of a save: {e}", journal.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;
    use crate::store::{Dataset, KEEP_OFFSETS, TableSet, load};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The real file system, killed (a panic that unwinds past every clean-up) at
    /// operation number `at`.
    struct DieAt {
        at: usize,
        calls: AtomicUsize,
    }

    impl DieAt {
        fn step(&self) {
            if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
                std::panic::resume_unwind(Box::new("killed"));
            }
        }
    }

    impl Io for DieAt {
        fn write_new(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
            self.step();
            RealIo.write_new(path, bytes)
        }
        fn write_new_streamed(
            &self,
            path: &Path,
            fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
        ) -> std::io::Result<()> {
            self.step();
            RealIo.write_new_streamed(path, fill)
        }
        fn write_at(&self, path: &Path, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
            self.step();
            RealIo.write_at(path, offset, bytes)
        }
        fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
            self.step();
            RealIo.rename(from, to)
        }
        fn remove(&self, path: &Path) -> std::io::Result<()> {
            self.step();
            RealIo.remove(path)
        }
        fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
            self.step();
            RealIo.sync_dir(dir)
        }
    }

    /// The canonical bytes of every table of `db`.
    fn tables(db: &Dataset) -> Vec<Vec<u8>> {
        let mut db = db.clone();
        db.mark_full(TableSet::all());
        db.write_snapshots(TableSet::all()).iter().map(|t| t.to_csv()).collect()
    }

    #[test]
    fn a_save_of_several_tables_killed_at_any_step_is_all_of_it_or_none() {
        let mut db0 = crate::generate::build(crate::generate::Scale::Small, 3);
        db0.mark_full(TableSet::all());
        let full = db0.write_snapshots(TableSet::all());
        let pid = db0.procedures.rows()[0].id;
        // Every step of the save, and past its end (nothing killed).
        for at in 1..=9 {
            let dir = tempfile::tempdir().expect("tmp");
            crate::store::write_tables(dir.path(), &full).expect("written");
            let before = tables(&load(dir.path()).expect("loads").db);
            // A run started (the ends of two tables) and a label added (its table whole).
            let mut db = db0.clone();
            let _ = db.take_changed();
            crate::ops::start_run(&mut db, pid, Timestamp::now()).expect("started");
            crate::ops::create_label(&mut db, "journal", "#123456").expect("label");
            let _ = db.take_changed();
            db.mark_full(TableSet::EMPTY.with(TableKind::Labels));
            let snaps = db.write_snapshots(
                TableSet::EMPTY.with(TableKind::Labels).with(TableKind::Runs).with(TableKind::RunSteps),
            );
            let mut tails = Vec::new();
            for t in &snaps {
                let enc = t.encode(KEEP_OFFSETS);
                if t.is_full() {
                    RealIo.write_new(&temp_path(dir.path(), t.kind), &enc.bytes).expect("new file");
                } else {
                    let len = std::fs::metadata(dir.path().join(t.kind.file_name())).expect("file").len();
                    tails.push((t.kind, len, enc.bytes));
                }
            }
            let parts: Vec<(TableKind, u64, &[u8])> = tails.iter().map(|(k, o, b)| (*k, *o, b.as_slice())).collect();
            assert_eq!(parts.len(), 2, "runs and run steps take tail writes");
            let io = DieAt { at, calls: AtomicUsize::new(0) };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                commit(&io, dir.path(), &[TableKind::Labels], &parts)
            }));
            assert_eq!(outcome.is_err(), at <= 8, "step {at}");
            let after = tables(&db);
            // A reader sees the old state or the new one, whole, and writes nothing.
            let read = load(dir.path()).expect("loads");
            assert!(read.problems.is_empty(), "step {at}: {:?}", read.problems);
            let seen = tables(&read.db);
            assert!(seen == before || seen == after, "step {at}: a mix of the old and the new state");
            // The save counts once its journal is written (step 1; a kill of the process
            // keeps a written file even before the folder is synced).
            assert_eq!(seen == after, at > 1, "step {at}");
            // The lock's holder finishes it on disk, to exactly what the reader saw.
            crate::store::finish_interrupted(dir.path()).expect("finished");
            let finished = load(dir.path()).expect("loads");
            assert!(finished.problems.is_empty(), "step {at}: {:?}", finished.problems);
            assert_eq!(tables(&finished.db), seen, "step {at}");
            assert!(!dir.path().join(JOURNAL).exists(), "step {at}: the journal is gone");
            assert!(!temp_path(dir.path(), TableKind::Labels).exists(), "step {at}: no new file left");
        }
    }

    #[test]
    fn a_torn_or_foreign_journal_is_no_save() {
        assert!(decode(b"").is_none());
        assert!(decode(b"PROCJRNL1\n").is_none());
        let whole = encode(&[Entry::Whole(TableKind::Runs, 10, Duration::new(5, 6))]);
        assert!(decode(&whole).is_some_and(|e| e.len() == 1));
        for cut in 0..whole.len() {
            assert!(decode(&whole[..cut]).is_none(), "cut at {cut}");
        }
        let mut flipped = whole.clone();
        flipped[20] ^= 1;
        assert!(decode(&flipped).is_none());
    }
}
