//! `run_steps` as PostgreSQL's binary `COPY`, typed while the rows arrive.
//!
//! The biggest table (5,000,000 rows at y1) is the open's critical path: as CSV the
//! server spent most of its time writing text (timestamps, `True`/`False`, quoting) and
//! the reader parsed it back only after the last byte came. In binary the server sends
//! each value as it holds it, and each part's connection types its rows as they come,
//! so no byte buffer is kept and no parse is left for the end. Hand-written for the
//! open budget (#29: open y1 ≤ 3 s, `check URL` ≤ 2.5 s); the other tables keep the
//! folder's CSV decoders. The checks are the folder decoder's (`tables/run_steps.rs`),
//! with the same words: ids 1 to 4294967295, text valid UTF-8 of at most 1 MiB, names
//! interned; times of years 0000 to 9999 (what a file can hold).

use super::PgError;
use crate::model::{Name, RunId, RunStep, RunStepId, StepId, Timestamp};
use crate::store::TableKind;
use crate::store::error::Problem;
use crate::store::read::{MAX_FIELD_BYTES, ReadTable};

/// The select list, in the canonical column order, cast to the types the decoder reads
/// (a cast to a column's own type costs nothing); with each row's revision when
/// `revisions` (an open to write: so the table is not read twice).
pub(super) fn run_steps_select(revisions: bool) -> String {
    let columns = "id::int8, run_id::int8, step_id::int8, completed::bool, completed_at::timestamp, \
                   notes::text, value::text, completed_by::text";
    if revisions { format!("{columns}, revision::int8") } else { columns.to_owned() }
}

/// The start of every binary `COPY`.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Seconds from 1970-01-01 (the app's epoch) to 2000-01-01 (PostgreSQL's).
const PG_EPOCH_SECS: i64 = 946_684_800;

/// Wall-clock seconds of 0000-01-01 00:00:00 and of 10000-01-01 00:00:00.
const TIME_RANGE: std::ops::Range<i64> = -62_167_219_200..253_402_300_800;

/// Rows counted into the progress this many at a time.
const PROGRESS_EVERY: usize = 1 << 16;

/// What a decoder typed: the rows, and the (id, revision) of those whose revision is
/// not 1.
pub(super) type Decoded = (ReadTable<RunStep>, Vec<(u64, i64)>);

/// Types the rows of one binary `COPY` of `run_steps` as they arrive ([`Self::feed`]).
pub(super) struct RunStepsDecoder {
    /// The bytes of an item not complete yet.
    pending: Vec<u8>,
    header_read: bool,
    ended: bool,
    out: ReadTable<RunStep>,
    /// Rows typed and not yet counted into the progress.
    uncounted: usize,
    /// Whether rows come with their revision (a ninth field).
    with_revisions: bool,
    /// The rows whose revision is not 1: (id, revision).
    revisions: Vec<(u64, i64)>,
}

impl RunStepsDecoder {
    /// A decoder with room for `rows` rows, of rows with their revision when
    /// `with_revisions` (see [`run_steps_select`]).
    pub(super) fn with_capacity(rows: usize, with_revisions: bool) -> Self {
        let mut out = ReadTable::empty();
        out.rows.reserve(rows);
        // The database has every column (as a folder whose file names them all).
        out.new_columns = 0b11;
        Self {
            pending: Vec::new(),
            header_read: false,
            ended: false,
            out,
            uncounted: 0,
            with_revisions,
            revisions: Vec::new(),
        }
    }

    /// Type the rows `chunk` completes; `counted` is told how many rows were typed, a
    /// batch at a time.
    pub(super) fn feed(&mut self, chunk: &[u8], counted: &mut impl FnMut(usize)) -> Result<(), PgError> {
        if self.pending.is_empty() {
            let used = self.consume(chunk)?;
            self.pending.extend_from_slice(&chunk[used..]);
        } else {
            let mut bytes = std::mem::take(&mut self.pending);
            bytes.extend_from_slice(chunk);
            let used = self.consume(&bytes)?;
            bytes.drain(..used);
            self.pending = bytes;
        }
        if self.uncounted >= PROGRESS_EVERY {
            counted(std::mem::take(&mut self.uncounted));
        }
        Ok(())
    }

    /// The rows once the `COPY` ended, and the (id, revision) of those whose revision is
    /// not 1.
    pub(super) fn finish(self, counted: &mut impl FnMut(usize)) -> Result<Decoded, PgError> {
        if !self.ended || !self.pending.is_empty() {
            return Err(unexpected("the copy of run_steps ended in the middle of a row"));
        }
        counted(self.uncounted);
        Ok((self.out, self.revisions))
    }

    /// Type every complete item at the start of `b`; the bytes used.
    fn consume(&mut self, b: &[u8]) -> Result<usize, PgError> {
        let mut at = 0;
        if !self.header_read {
            // Signature, flags, the header extension's length and the extension.
            if b.len() < SIGNATURE.len() + 8 {
                return Ok(0);
            }
            if &b[..SIGNATURE.len()] != SIGNATURE {
                return Err(unexpected("the copy of run_steps is not in PostgreSQL's binary format"));
            }
            let extension = be_u32(&b[SIGNATURE.len() + 4..]) as usize;
            let end = SIGNATURE.len() + 8 + extension;
            if b.len() < end {
                return Ok(0);
            }
            at = end;
            self.header_read = true;
        }
        while !self.ended {
            match self.row(&b[at..])? {
                Some(used) => at += used,
                None => break,
            }
        }
        Ok(at)
    }

    /// Type the row at the start of `b`: the bytes it took, `None` when it is not all
    /// there yet.
    fn row(&mut self, b: &[u8]) -> Result<Option<usize>, PgError> {
        let Some(count) = b.get(..2).map(|c| i16::from_be_bytes([c[0], c[1]])) else {
            return Ok(None);
        };
        if count == -1 {
            self.ended = true;
            return Ok(Some(2));
        }
        let want = if self.with_revisions { 9 } else { 8 };
        if count != want {
            return Err(unexpected(&format!("a row of run_steps came with {count} fields, not {want}")));
        }
        let mut fields: [Option<&[u8]>; 9] = [None; 9];
        let mut at = 2;
        for field in &mut fields[..want as usize] {
            let Some(len) = b.get(at..at + 4).map(|l| i32::from_be_bytes([l[0], l[1], l[2], l[3]])) else {
                return Ok(None);
            };
            at += 4;
            if len < 0 {
                continue; // NULL
            }
            let len = len as usize;
            let Some(value) = b.get(at..at + len) else {
                return Ok(None);
            };
            *field = Some(value);
            at += len;
        }
        self.typed(&fields)?;
        Ok(Some(at))
    }

    /// One row from its fields (`None`: NULL), as the folder's decoder types a line.
    fn typed(&mut self, f: &[Option<&[u8]>; 9]) -> Result<(), PgError> {
        // As a file's lines: the header is line 1.
        let line = self.out.rows.len() as u64 + 2;
        let mut row = Row { line, problems: &mut self.out.problems };
        let rs = RunStep::new(
            RunStepId(row.id(f[0], "id")?),
            RunId(row.id(f[1], "run_id")?),
            StepId(row.id(f[2], "step_id")?),
            row.flag(f[3])?,
            row.time(f[4])?,
        );
        let (notes, value, by) = (row.text(f[5], "notes"), row.text(f[6], "value"), row.text(f[7], "completed_by"));
        let mut rs = rs.with_details(notes, value, Box::default());
        rs.completed_by = Name::of(by).unwrap_or_else(|| {
            row.problem("completed_by", "more than 65,535 different names in one folder", by);
            Name::NONE
        });
        if let Some(revision) = f[8] {
            let revision = be_i64(revision, "revision")?;
            if revision != 1 {
                self.revisions.push((u64::from(rs.id.0), revision));
            }
        }
        self.out.rows.push(rs);
        self.out.lines.push(line);
        self.uncounted += 1;
        Ok(())
    }
}

/// The fields of one row being typed, and where its problems go.
struct Row<'p> {
    line: u64,
    problems: &'p mut Vec<Problem>,
}

impl Row<'_> {
    fn problem(&mut self, column: &str, message: &str, value: &str) {
        let file = TableKind::RunSteps.file_name();
        self.problems.push(Problem::new(file, self.line, Some(column), message).with_value(value));
    }

    /// An id: 1 to 4294967295 (0 and a problem otherwise, as a file's).
    fn id(&mut self, field: Option<&[u8]>, column: &str) -> Result<u32, PgError> {
        let Some(b) = field else {
            self.problem(column, "missing id", "");
            return Ok(0);
        };
        let v = be_i64(b, column)?;
        match u32::try_from(v) {
            Ok(id) if id > 0 => Ok(id),
            Ok(_) => {
                self.problem(column, "expected a positive integer id", &v.to_string());
                Ok(0)
            }
            Err(_) if v > 0 => {
                self.problem(column, "too large for an id (ids are below 4294967296)", &v.to_string());
                Ok(0)
            }
            Err(_) => {
                self.problem(column, "expected a positive integer id", &v.to_string());
                Ok(0)
            }
        }
    }

    fn flag(&mut self, field: Option<&[u8]>) -> Result<bool, PgError> {
        match field {
            None => {
                self.problem("completed", "expected True or False", "");
                Ok(false)
            }
            Some([b]) => Ok(*b != 0),
            Some(_) => Err(unexpected("a boolean of run_steps came in more than one byte")),
        }
    }

    /// A `timestamp`: microseconds since 2000-01-01, wall clock.
    fn time(&mut self, field: Option<&[u8]>) -> Result<Option<Timestamp>, PgError> {
        let Some(b) = field else { return Ok(None) };
        let micros = be_i64(b, "completed_at")?;
        let secs = micros.div_euclid(1_000_000).saturating_add(PG_EPOCH_SECS);
        if !TIME_RANGE.contains(&secs) {
            let shown = if micros == i64::MAX || micros == i64::MIN { "infinity" } else { "a time" };
            self.problem("completed_at", "not a date and time of the years 0000 to 9999", shown);
            return Ok(None);
        }
        let nanos = (micros.rem_euclid(1_000_000) * 1000) as u32;
        Ok(Some(Timestamp::from_wall_nanos(secs, nanos)))
    }

    /// A text (NULL is empty); a field too long or not UTF-8 is empty and a problem.
    fn text<'b>(&mut self, field: Option<&'b [u8]>, column: &str) -> &'b str {
        let Some(b) = field else { return "" };
        if b.len() > MAX_FIELD_BYTES {
            let start = String::from_utf8_lossy(&b[..60]).into_owned();
            self.problem(column, &format!("field of {} bytes is longer than the 1 MiB limit", b.len()), &start);
            return "";
        }
        match std::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!("invalid UTF-8 at byte {} of the field", e.valid_up_to());
                self.problem(column, &msg, &String::from_utf8_lossy(b));
                ""
            }
        }
    }
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// An `int8` or `timestamp` field (8 bytes, big-endian).
fn be_i64(b: &[u8], column: &str) -> Result<i64, PgError> {
    let b: [u8; 8] =
        b.try_into().map_err(|_| unexpected(&format!("run_steps.{column} came in {} bytes, not 8", b.len())))?;
    Ok(i64::from_be_bytes(b))
}

/// The server sent something this reader does not understand (not the data's fault).
fn unexpected(what: &str) -> PgError {
    PgError::Refused(format!("cannot read run_steps: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One binary row: `fields` (`None`: NULL).
    fn row(fields: &[Option<Vec<u8>>]) -> Vec<u8> {
        let mut b = (fields.len() as i16).to_be_bytes().to_vec();
        for f in fields {
            match f {
                None => b.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(v) => {
                    b.extend_from_slice(&(v.len() as i32).to_be_bytes());
                    b.extend_from_slice(v);
                }
            }
        }
        b
    }

    fn int(v: i64) -> Option<Vec<u8>> {
        Some(v.to_be_bytes().to_vec())
    }

    fn text(s: &str) -> Option<Vec<u8>> {
        Some(s.as_bytes().to_vec())
    }

    fn copy(rows: &[Vec<u8>]) -> Vec<u8> {
        let mut b = SIGNATURE.to_vec();
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&0u32.to_be_bytes());
        rows.iter().for_each(|r| b.extend_from_slice(r));
        b.extend_from_slice(&(-1i16).to_be_bytes());
        b
    }

    /// 2026-03-04 05:06:07 as PostgreSQL's microseconds.
    const MICROS: i64 = (1_772_600_767 - PG_EPOCH_SECS) * 1_000_000;

    #[test]
    fn rows_typed_whatever_the_chunks() {
        let bytes = copy(&[
            row(&[int(1), int(10), int(100), Some(vec![1]), int(MICROS), text("a note"), None, text("Alice")]),
            row(&[int(2), int(10), int(101), Some(vec![0]), None, None, text("12.5"), None]),
        ]);
        for size in [1, 3, 7, bytes.len()] {
            let mut d = RunStepsDecoder::with_capacity(0, false);
            let mut counted = 0;
            for chunk in bytes.chunks(size) {
                d.feed(chunk, &mut |n| counted += n).unwrap();
            }
            let (t, _) = d.finish(&mut |n| counted += n).unwrap();
            assert_eq!(counted, 2);
            assert!(t.problems.is_empty(), "{:?}", t.problems);
            assert_eq!(t.lines.to_vec(), [2, 3]);
            let (a, b) = (&t.rows[0], &t.rows[1]);
            assert_eq!((a.id.0, a.run_id.0, a.step_id.0, a.completed), (1, 10, 100, true));
            assert_eq!(a.completed_at().unwrap().to_string(), "2026-03-04 05:06:07");
            assert_eq!((a.notes(), a.completed_by.as_str()), ("a note", "Alice"));
            assert_eq!((b.completed, b.completed_at(), b.value(), b.notes()), (false, None, "12.5", ""));
        }
    }

    #[test]
    fn revisions_other_than_1_are_kept_when_asked_for() {
        let r = |id, revision| row(&[int(id), int(1), int(1), Some(vec![0]), None, None, None, None, int(revision)]);
        let bytes = copy(&[r(1, 1), r(2, 3), r(3, 1), r(4, 2)]);
        let mut d = RunStepsDecoder::with_capacity(4, true);
        d.feed(&bytes, &mut |_| {}).unwrap();
        let (t, revisions) = d.finish(&mut |_| {}).unwrap();
        assert_eq!(t.rows.len(), 4);
        assert_eq!(revisions, [(2, 3), (4, 2)]);
        // Eight fields where nine are expected: not this reader's stream.
        let eight = copy(&[row(&[int(1), int(1), int(1), Some(vec![0]), None, None, None, None])]);
        assert!(RunStepsDecoder::with_capacity(1, true).feed(&eight, &mut |_| {}).is_err());
    }

    #[test]
    fn bad_values_are_problems_with_the_folders_words() {
        let bytes = copy(&[row(&[
            int(1 << 32),
            int(0),
            None,
            Some(vec![0]),
            int(i64::MAX),
            Some(vec![0xff, b'a']),
            None,
            None,
        ])]);
        let mut d = RunStepsDecoder::with_capacity(1, false);
        d.feed(&bytes, &mut |_| {}).unwrap();
        let (t, _) = d.finish(&mut |_| {}).unwrap();
        let said: Vec<String> =
            t.problems.iter().map(|p| format!("{} {}", p.column.as_deref().unwrap_or(""), p.message)).collect();
        assert_eq!(
            said,
            [
                "id too large for an id (ids are below 4294967296)",
                "run_id expected a positive integer id",
                "step_id missing id",
                "completed_at not a date and time of the years 0000 to 9999",
                "notes invalid UTF-8 at byte 0 of the field",
            ]
        );
        assert!(t.problems.iter().all(|p| p.line == 2 && p.file == "run_steps.csv"));
    }

    #[test]
    fn a_cut_or_foreign_stream_is_refused_not_panicked_on() {
        let good = copy(&[row(&[int(1), int(1), int(1), Some(vec![1]), None, None, None, None])]);
        let mut d = RunStepsDecoder::with_capacity(0, false);
        d.feed(&good[..good.len() - 5], &mut |_| {}).unwrap();
        assert!(d.finish(&mut |_| {}).is_err());
        let mut d = RunStepsDecoder::with_capacity(0, false);
        assert!(d.feed(b"id,run_id,step_id,completed\n1,1,1,True\n", &mut |_| {}).is_err());
        let short = copy(&[row(&[int(1), int(1)])]);
        assert!(RunStepsDecoder::with_capacity(0, false).feed(&short, &mut |_| {}).is_err());
        let narrow = copy(&[row(&[Some(vec![1]), int(1), int(1), Some(vec![1]), None, None, None, None])]);
        assert!(RunStepsDecoder::with_capacity(0, false).feed(&narrow, &mut |_| {}).is_err());
    }
}
