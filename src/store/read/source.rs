//! The bytes of a table as a reader sees them: the file, or — while a save to it is
//! interrupted and the file fits that save — the file up to the save's offset and the
//! save's new bytes after it (see [`crate::store::tail`]). Nothing is written.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The end an interrupted save gives a file: its bytes from `offset` on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Overlay<'a> {
    pub offset: u64,
    pub tail: &'a [u8],
    /// The file that holds the save and its fingerprint when it was read (`None`: bytes
    /// that hold no matter what, as from the database).
    pub still: Option<(&'a Path, crate::store::Fingerprint)>,
    /// The save itself, to check the file against once it is locked (`None`: bytes in
    /// memory, or a table the save creates whole).
    pub redo: Option<&'a crate::store::redo::Redo>,
}

impl Overlay<'_> {
    /// Whether the save is still the one read: its holding file was there before it was
    /// read and has not changed since. A save that finished or was replaced since leaves
    /// the file whole and this one stale. (A holding file that appeared only while the
    /// folder was looked at is a save running now, never one a crash left: not held.)
    pub(crate) fn holds(&self) -> bool {
        self.still.is_none_or(|(path, print)| print.is_some() && crate::store::fingerprint(path) == print)
    }

    /// [`Overlay::holds`], and the file as locked still fits the save (checked under the
    /// table's shared lock, so no save changes it between this look and the read).
    pub(crate) fn holds_for(&self, file: &File) -> bool {
        self.holds() && self.redo.is_none_or(|redo| redo.still_applies(file))
    }
}

/// A table file, perhaps with an [`Overlay`]. Every read goes through the one file
/// opened (and share-locked) by the reader, at explicit positions: a rename over the path
/// meanwhile (a save) cannot mix two files in one read, and the parts of a split file
/// read at once.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    pub(super) path: &'a Path,
    /// `None`: the bytes are all in the overlay (a table received from the database).
    file: Option<&'a File>,
    pub(super) overlay: Option<Overlay<'a>>,
    /// The length of the bytes as seen.
    pub(super) len: u64,
}

/// Reads `file` from `pos` on without moving a shared cursor.
struct At<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<'a> Source<'a> {
    pub(super) fn new(path: &'a Path, file: &'a File, file_len: u64, overlay: Option<Overlay<'a>>) -> Self {
        let len = overlay.map_or(file_len, |o| o.offset + o.tail.len() as u64);
        Self { path, file: Some(file), overlay, len }
    }

    /// Whether the bytes are all in memory (then the parts may be parsed at once).
    pub(super) fn in_memory(&self) -> bool {
        self.file.is_none()
    }

    /// Bytes in memory, read as if they were the file `path`.
    pub(super) fn bytes(path: &'a Path, bytes: &'a [u8]) -> Self {
        Self {
            path,
            file: None,
            overlay: Some(Overlay { offset: 0, tail: bytes, still: None, redo: None }),
            len: bytes.len() as u64,
        }
    }

    /// The bytes from `start`, at most `limit` of them.
    pub(super) fn read_from(&self, start: u64, limit: u64) -> std::io::Result<Box<dyn Read + Send + 'a>> {
        let file = || {
            self.file
                .map(|file| At { file, pos: start })
                .ok_or_else(|| std::io::Error::other("no file behind these bytes"))
        };
        Ok(match self.overlay {
            None => Box::new(file()?.take(limit)),
            Some(o) if start < o.offset => Box::new(file()?.take(o.offset - start).chain(o.tail).take(limit)),
            Some(o) => {
                let from = usize::try_from(start - o.offset).unwrap_or(usize::MAX).min(o.tail.len());
                Box::new(o.tail[from..].take(limit))
            }
        })
    }
}
