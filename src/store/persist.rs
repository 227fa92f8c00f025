//! Writing one job's tables, as the writer thread does: a table in full (atomic
//! replace) or its tail, several tables as one save through the journal, and what the
//! writer remembers of the files it manages (their layout, how they looked) so it tails
//! only a file exactly as it left it and never writes over an outside change.

use super::dataset::Dataset;
use super::encode::{CHUNK_ROWS, PARALLEL_ENCODE_FROM};
use super::error::Error;
use super::fingerprint::{Fingerprint, fingerprint};
use super::io::{Io, RealIo};
use super::kind::{TableKind, TableSet};
use super::layout::{KEEP_OFFSETS, Layout};
use super::snapshot::TableSnapshot;
use super::tail::write_tail_with;
use super::write::{write_atomic_streamed, write_atomic_with};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What the writer remembers of the files it manages.
pub(super) struct Known {
    pub(super) layouts: HashMap<(PathBuf, TableKind), Layout>,
    /// The files as last read or written; a file that differs was changed outside.
    pub(super) expected: HashMap<(PathBuf, TableKind), Fingerprint>,
    /// Whole tables from this many rows on are written while they are encoded.
    pub(super) stream_from: usize,
}

impl Default for Known {
    fn default() -> Self {
        Self { layouts: HashMap::new(), expected: HashMap::new(), stream_from: PARALLEL_ENCODE_FROM }
    }
}

/// Learn the layout of files that hold exactly the canonical bytes of the snapshots.
pub(super) fn learn(dir: &Path, tables: &[TableSnapshot], known: &mut Known) {
    for t in tables {
        let key = (dir.to_path_buf(), t.kind);
        let path = dir.join(t.kind.file_name());
        let before = fingerprint(&path);
        if known.expected.get(&key).is_some_and(|e| *e != before) {
            continue;
        }
        let Some((file_len, offsets_from, offsets)) = t.matches_file(&path, KEEP_OFFSETS) else {
            log::info!("{}: not in canonical form yet; the first save rewrites it whole", t.kind.file_name());
            continue;
        };
        // Unchanged while we read it?
        if fingerprint(&path) != before {
            continue;
        }
        let modified = before.map(|(_, m)| m);
        known.layouts.insert(key, Layout { file_len, rows: t.len(), offsets_from, offsets, modified });
    }
}

/// Write one table: in full (atomic replace), or its tail when the file is as we last
/// wrote it; otherwise ask for a full snapshot. Returns whether it was written.
pub(super) fn write_one(
    io: &dyn Io,
    dir: &Path,
    t: &TableSnapshot,
    known: &mut Known,
    need_full: &mut TableSet,
    force: bool,
) -> Result<bool, Error> {
    let key = (dir.to_path_buf(), t.kind);
    let path = dir.join(t.kind.file_name());
    if let Some(expected) = known.expected.get(&key)
        && fingerprint(&path) != *expected
        && !force
    {
        return Err(Error::ChangedOnDisk(path));
    }
    if super::write::stays_missing(dir, t) {
        return Ok(false);
    }
    let layouts = &mut known.layouts;
    if t.is_full() && t.len() >= known.stream_from {
        // A big table: written while it is encoded, never whole in memory.
        let started = std::time::Instant::now();
        let mut layout = None;
        write_atomic_streamed(io, dir, t.kind.file_name(), &mut |w| {
            let (offsets_from, offsets, file_len) =
                t.encode_chunks(KEEP_OFFSETS, CHUNK_ROWS, &mut |b| w.write_all(b))?;
            layout = Some(Layout { file_len, rows: t.len(), offsets_from, offsets, modified: None });
            Ok(())
        })?;
        let mut layout = layout.ok_or_else(|| Error::io(&path, std::io::Error::other("nothing was encoded")))?;
        let timing = format!(
            "{}: {} MB encoded, written and synced in {:.2?}",
            t.kind.file_name(),
            layout.file_len >> 20,
            started.elapsed()
        );
        log::info!("{timing}");
        if std::env::var_os("PROCEDURES_TIMING").is_some() {
            eprintln!("{timing}");
        }
        layout.modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        layouts.insert(key.clone(), layout);
        known.expected.insert(key, fingerprint(&path));
        return Ok(true);
    }
    if t.is_full() {
        let enc = t.encode(KEEP_OFFSETS);
        write_atomic_with(io, dir, t.kind.file_name(), &enc.bytes)?;
        let mut layout = Layout::after_full(&enc, t.len());
        layout.modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        layouts.insert(key.clone(), layout);
        known.expected.insert(key, fingerprint(&path));
        return Ok(true);
    }
    let total = t.first_row + t.len();
    let usable = usable_tail(layouts, dir, t);
    let Some((offset, layout)) = usable else {
        need_full.insert(t.kind);
        layouts.remove(&key);
        return Ok(false);
    };
    let enc = t.encode(KEEP_OFFSETS);
    write_tail_with(io, dir, t.kind, offset, &enc.bytes).map_err(|e| Error::io(&path, e))?;
    match layout.after_tail(t.first_row, &enc, total) {
        Some(mut l) => {
            l.modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
            layouts.insert(key.clone(), l)
        }
        None => layouts.remove(&key),
    };
    known.expected.insert(key, fingerprint(&path));
    Ok(true)
}

/// Where the tail of `t` goes in its file, when the file is exactly as we left it
/// (length and modification time) and we know where its row starts.
pub(super) fn usable_tail(
    layouts: &HashMap<(PathBuf, TableKind), Layout>,
    dir: &Path,
    t: &TableSnapshot,
) -> Option<(u64, Layout)> {
    let l = layouts.get(&(dir.to_path_buf(), t.kind))?;
    let meta = std::fs::metadata(dir.join(t.kind.file_name())).ok()?;
    (meta.len() == l.file_len && meta.modified().ok() == l.modified && l.modified.is_some()).then_some(())?;
    l.offset_of(t.first_row).map(|offset| (offset, l.clone()))
}

/// What a save of several tables did.
pub(super) struct Together {
    pub(super) written: Vec<TableKind>,
    /// Nothing was written: these tables go again whole (all of the job's, together).
    pub(super) need_full: TableSet,
}

/// Write the tables of one job as one save through the journal (`store::journal`): after
/// a kill at any instant all of it is on disk or none of it. When a table cannot take a
/// tail write, nothing is written and the whole job is asked for again in full.
pub(super) fn write_together(
    io: &dyn Io,
    dir: &Path,
    tables: &[TableSnapshot],
    known: &mut Known,
    force: bool,
) -> Result<Together, Error> {
    let mut wholes = Vec::new();
    let mut tails = Vec::new();
    let mut need_full = TableSet::EMPTY;
    for t in tables {
        let path = dir.join(t.kind.file_name());
        if let Some(expected) = known.expected.get(&(dir.to_path_buf(), t.kind))
            && fingerprint(&path) != *expected
            && !force
        {
            return Err(Error::ChangedOnDisk(path));
        }
        if super::write::stays_missing(dir, t) {
            continue;
        }
        if t.is_full() {
            wholes.push(t);
        } else if let Some((offset, layout)) = usable_tail(&known.layouts, dir, t) {
            tails.push((t, offset, layout, t.encode(KEEP_OFFSETS)));
        } else {
            need_full.insert(t.kind);
            known.layouts.remove(&(dir.to_path_buf(), t.kind));
        }
    }
    if !need_full.is_empty() {
        let need_full = tables.iter().fold(need_full, |s, t| s.with(t.kind));
        return Ok(Together { written: Vec::new(), need_full });
    }
    // The tables replaced whole, to their new files first.
    let mut layouts = Vec::new();
    for t in &wholes {
        let temp = super::journal::temp_path(dir, t.kind);
        let layout = if t.len() >= known.stream_from {
            let mut layout = None;
            io.write_new_streamed(&temp, &mut |w| {
                let (offsets_from, offsets, file_len) =
                    t.encode_chunks(KEEP_OFFSETS, CHUNK_ROWS, &mut |b| w.write_all(b))?;
                layout = Some(Layout { file_len, rows: t.len(), offsets_from, offsets, modified: None });
                Ok(())
            })
            .map(|()| layout)
        } else {
            let enc = t.encode(KEEP_OFFSETS);
            io.write_new(&temp, &enc.bytes).map(|()| Some(Layout::after_full(&enc, t.len())))
        };
        match layout {
            Ok(Some(layout)) => layouts.push((t.kind, layout)),
            Ok(None) | Err(_) => {
                super::journal::discard_temps(dir);
                let e = layout.err().unwrap_or_else(|| std::io::Error::other("nothing was encoded"));
                return Err(Error::io(dir.join(t.kind.file_name()), e));
            }
        }
    }
    let whole_kinds: Vec<TableKind> = wholes.iter().map(|t| t.kind).collect();
    let tail_parts: Vec<(TableKind, u64, &[u8])> =
        tails.iter().map(|(t, offset, _, enc)| (t.kind, *offset, enc.bytes.as_slice())).collect();
    super::journal::commit(io, dir, &whole_kinds, &tail_parts)
        .map_err(|e| Error::io(dir.join(super::journal::JOURNAL), e))?;
    // Learn the files as they are now, for the next tail write.
    let modified = |kind: TableKind| std::fs::metadata(dir.join(kind.file_name())).and_then(|m| m.modified()).ok();
    for (kind, mut layout) in layouts {
        layout.modified = modified(kind);
        known.layouts.insert((dir.to_path_buf(), kind), layout);
    }
    for (t, _, layout, enc) in &tails {
        let key = (dir.to_path_buf(), t.kind);
        match layout.after_tail(t.first_row, enc, t.first_row + t.len()) {
            Some(mut l) => {
                l.modified = modified(t.kind);
                known.layouts.insert(key, l)
            }
            None => known.layouts.remove(&key),
        };
    }
    let written: Vec<TableKind> = whole_kinds.into_iter().chain(tails.iter().map(|(t, ..)| t.kind)).collect();
    for kind in &written {
        known.expected.insert((dir.to_path_buf(), *kind), fingerprint(&dir.join(kind.file_name())));
    }
    Ok(Together { written, need_full })
}

/// Write whole snapshots now, on this thread, as one save (through the journal when
/// they are several tables): `pull`, tests.
pub(super) fn write_whole(dir: &Path, tables: &[TableSnapshot]) -> Result<(), Error> {
    let mut known = Known::default();
    if tables.iter().filter(|t| !super::write::stays_missing(dir, t)).count() < 2 {
        let mut need_full = TableSet::EMPTY;
        for t in tables {
            write_one(&RealIo, dir, t, &mut known, &mut need_full, true)?;
        }
        return Ok(());
    }
    write_together(&RealIo, dir, tables, &mut known, true).map(|_| ())
}

/// Save the tables `db` marked as changed, whole and synchronously (`pull`, tests; the
/// app uses the writer thread): through the writer's journal, so that several tables are one save
/// (all of them after a kill, or none). On success the changed set is cleared.
pub fn save(dir: &Path, db: &mut Dataset) -> Result<(), Error> {
    let changed = db.changed();
    db.mark_full(changed);
    write_whole(dir, &db.write_snapshots(changed))?;
    db.take_changed();
    Ok(())
}

/// Finish a save whose journal a failure left (the files are then what the save meant),
/// and remember the tables as they are now.
pub(super) fn finish_pending(dir: &Path, known: &mut Known) {
    let (mut written, mut notes) = (Vec::new(), Vec::new());
    if let Err(e) = super::journal::finish(dir, &mut written, &mut notes) {
        log::error!("could not finish a save left half-done: {e}");
    }
    notes.iter().for_each(|n| log::info!("{n}"));
    for kind in written {
        known.layouts.remove(&(dir.to_path_buf(), kind));
        known.expected.insert((dir.to_path_buf(), kind), fingerprint(&dir.join(kind.file_name())));
    }
}
