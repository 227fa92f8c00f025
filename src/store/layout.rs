//! Where the rows of a table file written by the app start: what the writer remembers
//! of a file to write only its changed end next time.

use super::encode::Encoded;

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
