//! The bytes of a table as a reader sees them: the file, or — while a save to it is
//! interrupted and the file fits that save — the file up to the save's offset and the
//! save's new bytes after it (see [`crate::store::tail`]). Nothing is written.

use std::fs::File;
use std::io::{Read, Seek as _, SeekFrom};
use std::path::Path;

/// The end an interrupted save gives a file: its bytes from `offset` on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Overlay<'a> {
    pub offset: u64,
    pub tail: &'a [u8],
}

/// A table file, perhaps with an [`Overlay`].
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    pub(super) path: &'a Path,
    pub(super) overlay: Option<Overlay<'a>>,
    /// The length of the bytes as seen.
    pub(super) len: u64,
}

impl<'a> Source<'a> {
    pub(super) fn new(path: &'a Path, file_len: u64, overlay: Option<Overlay<'a>>) -> Self {
        let len = overlay.map_or(file_len, |o| o.offset + o.tail.len() as u64);
        Self { path, overlay, len }
    }

    /// The bytes from `start`, at most `limit` of them.
    pub(super) fn read_from(&self, start: u64, limit: u64) -> std::io::Result<Box<dyn Read + Send + 'a>> {
        let file_part = |until: u64| -> std::io::Result<File> {
            let mut f = File::open(self.path)?;
            f.seek(SeekFrom::Start(start.min(until)))?;
            Ok(f)
        };
        Ok(match self.overlay {
            None => Box::new(file_part(u64::MAX)?.take(limit)),
            Some(o) if start < o.offset => {
                Box::new(file_part(o.offset)?.take(o.offset - start).chain(o.tail).take(limit))
            }
            Some(o) => {
                let from = usize::try_from(start - o.offset).unwrap_or(usize::MAX).min(o.tail.len());
                Box::new(o.tail[from..].take(limit))
            }
        })
    }
}
