//! Canonical encoding of table snapshots: rows in id order, LF, minimal quoting,
//! `YYYY-MM-DD HH:MM:SS`, `True`/`False`, integers without `.0`, unknown columns after the
//! known ones. Each row's fields come from its table's definition (`store::tables`); big
//! tables are encoded in chunks on two threads.

use super::canonical::{FieldWriter, Sink};
use super::snapshot::{TableRows, TableSnapshot, with_rows};
use super::tables::Schema as _;
use std::path::Path;

/// Encoded rows: the bytes, and where each of the last rows starts in them:
/// `row_offsets[k]` is the offset of row `offsets_from + k`.
pub struct Encoded {
    /// Header (full snapshots only) and rows.
    pub bytes: Vec<u8>,
    /// Table position of the first row with a recorded offset.
    pub offsets_from: usize,
    /// Offsets of rows `offsets_from..`, relative to the start of `bytes`.
    pub row_offsets: Vec<u64>,
}

/// Tables from this many rows on are encoded in chunks on two threads, and written by
/// the writer while they are encoded (a writer for tests may stream smaller ones).
pub(crate) const PARALLEL_ENCODE_FROM: usize = 500_000;

/// Rows per chunk of [`TableSnapshot::encode_chunks`] (about 12 MB of run_steps.csv).
pub(crate) const CHUNK_ROWS: usize = 1 << 18;

/// Compares what it receives with a file, without holding either in memory.
struct CompareSink {
    file: std::io::BufReader<std::fs::File>,
    pos: u64,
    equal: bool,
    buf: Vec<u8>,
}

impl std::io::Write for CompareSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.equal {
            use std::io::Read as _;
            self.buf.resize(data.len(), 0);
            match self.file.read_exact(&mut self.buf) {
                Ok(()) if self.buf == data => {}
                _ => self.equal = false,
            }
        }
        self.pos += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink for CompareSink {
    fn written(&self) -> u64 {
        self.pos
    }
}

impl TableSnapshot {
    /// The canonical bytes of this table (a full snapshot: the whole file).
    pub fn to_csv(&self) -> Vec<u8> {
        self.encode(0).bytes
    }

    /// Encode: the header when full, then the rows; the start offsets of the last
    /// `keep_offsets` rows are recorded (for later tail writes).
    pub fn encode(&self, keep_offsets: usize) -> Encoded {
        let len = self.len();
        let capacity = match &self.rows {
            TableRows::RunSteps(r) => r.len() * 48,
            TableRows::Versions(r) => r.len() * 400,
            _ => 4096,
        };
        if len < PARALLEL_ENCODE_FROM {
            let (bytes, offsets_from, row_offsets) = self.encode_into(Vec::with_capacity(capacity + 256), keep_offsets);
            return Encoded { bytes, offsets_from, row_offsets };
        }
        let mut bytes = Vec::with_capacity(capacity + 256);
        let emit = &mut |chunk: &[u8]| {
            bytes.extend_from_slice(chunk);
            Ok(())
        };
        let (offsets_from, row_offsets, _) = self.encode_chunks(keep_offsets, CHUNK_ROWS, emit).unwrap_or_default();
        Encoded { bytes, offsets_from, row_offsets }
    }

    /// Encode a big table in chunks of rows, on two threads, handing each chunk's bytes
    /// to `emit` in order as soon as it is ready (a full rewrite writes while it
    /// encodes, and never holds the whole file in memory). Returns the offsets as
    /// [`TableSnapshot::encode`] does, and the total length.
    pub fn encode_chunks(
        &self,
        keep_offsets: usize,
        chunk_rows: usize,
        emit: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<(usize, Vec<u64>, u64)> {
        let (len, chunk_rows) = (self.len(), chunk_rows.max(1));
        let chunks: Vec<std::ops::Range<usize>> =
            (0..len.div_ceil(chunk_rows).max(1)).map(|c| c * chunk_rows..((c + 1) * chunk_rows).min(len)).collect();
        let encode_chunk = |c: usize| {
            let mut bytes = Vec::with_capacity(chunk_rows.min(len) * 48);
            let (offsets_from, offsets) =
                self.encode_rows(&mut bytes, keep_offsets, chunks[c].clone(), c == 0 && self.is_full());
            (bytes, offsets_from, offsets)
        };
        std::thread::scope(|s| {
            // Worker w encodes chunks w, w + 2, …; a bounded channel each keeps at most
            // a few chunks in memory.
            let receivers: Vec<_> = (0..2)
                .map(|w| {
                    let (tx, rx) = std::sync::mpsc::sync_channel(1);
                    let encode_chunk = &encode_chunk;
                    let count = chunks.len();
                    s.spawn(move || {
                        for c in (w..count).step_by(2) {
                            if tx.send(encode_chunk(c)).is_err() {
                                break;
                            }
                        }
                    });
                    rx
                })
                .collect();
            let (mut base, mut offsets_from, mut row_offsets) = (0u64, 0, Vec::new());
            for c in 0..chunks.len() {
                let (bytes, from, offsets) = match receivers[c % 2].recv() {
                    Ok(done) => done,
                    Err(_) => encode_chunk(c),
                };
                emit(&bytes)?;
                offsets_from = from;
                row_offsets.extend(offsets.into_iter().map(|o| o + base));
                base += bytes.len() as u64;
            }
            Ok((offsets_from, row_offsets, base))
        })
    }

    /// Whether the file at `path` holds exactly the canonical bytes of this (full)
    /// snapshot; if so, the offsets of its last `keep_offsets` rows. Reads the file in a
    /// stream: nothing is held in memory.
    pub fn matches_file(&self, path: &Path, keep_offsets: usize) -> Option<(u64, usize, Vec<u64>)> {
        use std::io::Read as _;
        let file = std::fs::File::open(path).ok()?;
        let sink = CompareSink {
            file: std::io::BufReader::with_capacity(1 << 16, file),
            pos: 0,
            equal: true,
            buf: Vec::new(),
        };
        let (mut sink, offsets_from, offsets) = self.encode_into(sink, keep_offsets);
        let at_end = sink.file.read(&mut [0u8; 1]).ok()? == 0;
        (sink.equal && at_end).then_some((sink.pos, offsets_from, offsets))
    }

    fn encode_into<S: Sink>(&self, mut sink: S, keep_offsets: usize) -> (S, usize, Vec<u64>) {
        let (offsets_from, row_offsets) = self.encode_rows(&mut sink, keep_offsets, 0..self.len(), self.is_full());
        (sink, offsets_from, row_offsets)
    }

    /// Encode the rows in `range` (and the header first when `header`), recording the
    /// offsets, relative to the sink's start, of those among the table's last
    /// `keep_offsets` rows.
    fn encode_rows<S: Sink>(
        &self,
        sink: S,
        keep_offsets: usize,
        range: std::ops::Range<usize>,
        header: bool,
    ) -> (usize, Vec<u64>) {
        let n = self.extra_columns.len();
        let len = self.len();
        let mut e = FieldWriter::new(sink);
        if header {
            for c in self.kind.columns_with(self.new_columns) {
                e.text(c);
            }
            for c in self.extra_columns.iter() {
                e.text(c);
            }
            e.end_line();
        }
        let local_from = len - keep_offsets.min(len);
        let offsets_from = self.first_row + local_from;
        let mut row_offsets = Vec::with_capacity(range.end.saturating_sub(local_from.max(range.start)));
        let first = range.start;
        let mut mark = |e: &mut FieldWriter<S>, i: usize| {
            if i >= local_from {
                row_offsets.push(e.position());
            }
        };
        with_rows!(&self.rows, rows => {
            for (i, r) in rows[range].iter().enumerate() {
                mark(&mut e, first + i);
                r.encode(&mut e, self.new_columns);
                e.end(r.extra_values(), n);
            }
        });
        e.flush();
        (offsets_from, row_offsets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::store::kind::TableKind;
    use std::sync::Arc;

    #[test]
    fn chunks_encode_like_one_pass() {
        let rows: Vec<RunStep> = (1..=1001u32)
            .map(|i| {
                let at = (i % 3 != 0).then(|| Timestamp::from_wall_secs(1_700_000_000 + i64::from(i) * 61));
                let note = if i % 7 == 0 { "a \"quoted\", note" } else { "" };
                RunStep::new(RunStepId(i), RunId(i / 10 + 1), StepId(i % 10 + 1), at.is_some(), at)
                    .with_more(note, Box::new([Box::from(if i % 5 == 0 { "x,y" } else { "" })]))
            })
            .collect();
        let snapshot = |first_row: usize| TableSnapshot {
            kind: TableKind::RunSteps,
            rows: TableRows::RunSteps(Arc::new(rows[first_row..].to_vec())),
            extra_columns: Arc::new(vec!["extra".into()]),
            first_row,
            children_first: false,
            new_columns: 0,
        };
        for first_row in [0, 400] {
            for keep in [0, 10, 600, 5000] {
                let one = snapshot(first_row).encode(keep);
                for chunk_rows in [1, 7, 500, 2000] {
                    let mut bytes = Vec::new();
                    let (from, offsets, total) = snapshot(first_row)
                        .encode_chunks(keep, chunk_rows, &mut |b| {
                            bytes.extend_from_slice(b);
                            Ok(())
                        })
                        .expect("encodes");
                    assert_eq!(one.bytes, bytes, "{first_row} {keep} {chunk_rows}");
                    assert_eq!((one.offsets_from, &one.row_offsets), (from, &offsets));
                    assert_eq!(total, bytes.len() as u64);
                }
                assert_eq!(one.row_offsets.len(), keep.min(1001 - first_row));
            }
        }
    }
}
