//! How far loading has come: bytes read per table, counted as they are read.

use crate::store::kind::TableKind;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// How far loading a folder has come: bytes read of each table file.
#[derive(Debug, Default)]
pub struct LoadProgress {
    /// Bytes read so far, per table (in [`TableKind::ALL`] order).
    pub read: [AtomicU64; TableKind::COUNT],
    /// File sizes, per table.
    pub total: [AtomicU64; TableKind::COUNT],
    /// The counts are rows, not bytes (a team database: rows received of the rows the
    /// server estimates).
    pub rows: std::sync::atomic::AtomicBool,
}

impl LoadProgress {
    /// Progress for the files of `dir` (sizes taken now).
    pub fn of(dir: &Path) -> Self {
        let p = Self::default();
        for kind in TableKind::ALL {
            let len = std::fs::metadata(dir.join(kind.file_name())).map_or(0, |m| m.len());
            p.total[kind as usize].store(len, Ordering::Relaxed);
        }
        p
    }

    /// Bytes of all files together.
    pub fn total_bytes(&self) -> u64 {
        self.total.iter().map(|t| t.load(Ordering::Relaxed)).sum()
    }

    /// (read, total) bytes of one table.
    pub fn table(&self, kind: TableKind) -> (u64, u64) {
        (self.read[kind as usize].load(Ordering::Relaxed), self.total[kind as usize].load(Ordering::Relaxed))
    }
}

/// A reader that adds the bytes it reads to a counter.
pub(super) struct Counting<'a, R> {
    pub(super) inner: R,
    pub(super) counter: Option<&'a AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = self.counter {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}
