//! Liberal, typed reading of one table file.
//!
//! Columns are found by header name in any order; unknown columns are kept.
//! Every problem is reported with file, line (where the record starts) and column,
//! and the faulty record is left out of the table (the folder then opens read-only).

use super::error::{Error, Problem};
use super::table::TableKind;
use crate::model::{Extra, Row, Timestamp};
use std::fs::File;
use std::io::{Read, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows of one file, sorted by key, with the line each came from.
pub(crate) struct ReadTable<R> {
    pub rows: Vec<R>,
    pub lines: Vec<u64>,
    pub extra_columns: Vec<String>,
    pub problems: Vec<Problem>,
}

/// How far loading a folder has come: bytes read of each table file.
#[derive(Debug, Default)]
pub struct LoadProgress {
    /// Bytes read so far, per table (in [`TableKind::ALL`] order).
    pub read: [AtomicU64; 7],
    /// File sizes, per table.
    pub total: [AtomicU64; 7],
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
struct Counting<'a, R> {
    inner: R,
    counter: Option<&'a AtomicU64>,
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

/// Typed access to the fields of one record, collecting problems.
pub(crate) struct Fields<'a> {
    file: &'static str,
    line: u64,
    kind: TableKind,
    record: &'a csv::ByteRecord,
    /// Record field index of each known column, in `kind.columns()` order.
    cols: &'a [Option<usize>],
    /// Record field indexes of unknown columns.
    extra_idx: &'a [usize],
    pub problems: Vec<Problem>,
}

impl<'a> Fields<'a> {
    fn problem(&mut self, col: usize, message: &str, value: &str) {
        let name = self.kind.columns()[col];
        self.problems.push(Problem::new(self.file, self.line, Some(name), message).with_value(value));
    }

    /// The raw text of a known column ("" when the column is absent).
    pub fn str(&mut self, col: usize) -> &'a str {
        let Some(bytes) = self.cols[col].and_then(|i| self.record.get(i)) else {
            return "";
        };
        if bytes.len() > MAX_FIELD_BYTES {
            let start = String::from_utf8_lossy(&bytes[..60.min(bytes.len())]).into_owned();
            self.problem(col, &format!("field of {} bytes is longer than the 1 MiB limit", bytes.len()), &start);
            return "";
        }
        match std::str::from_utf8(bytes) {
            Ok(s) if s.contains('\0') => {
                self.problem(col, "contains a NUL byte (binary data, not text)", &s.replace('\0', "\\0"));
                ""
            }
            Ok(s) => s,
            Err(e) => {
                let lossy = String::from_utf8_lossy(bytes).into_owned();
                let msg = format!("invalid UTF-8 at byte {} of the field (save the file as UTF-8)", e.valid_up_to());
                self.problem(col, &msg, &lossy);
                ""
            }
        }
    }

    /// An owned text field.
    pub fn text(&mut self, col: usize) -> String {
        self.str(col).to_owned()
    }

    /// The raw bytes of a known column (empty when the column is absent).
    fn bytes(&self, col: usize) -> &'a [u8] {
        self.cols[col].and_then(|i| self.record.get(i)).unwrap_or_default()
    }

    /// A required positive id.
    pub fn id(&mut self, col: usize) -> u32 {
        // Fast path: plain digits (what the app writes).
        if let Some(v) = plain_u32(self.bytes(col))
            && v > 0
        {
            return v;
        }
        let s = self.str(col);
        match parse_uint(s) {
            Some(v) if v > 0 && v <= u64::from(u32::MAX) => v as u32,
            _ if s.trim().is_empty() => {
                self.problem(col, "missing id", s);
                0
            }
            _ => {
                self.problem(col, "expected a positive integer id", s);
                0
            }
        }
    }

    /// An optional non-negative integer (`300`, `300.0` or empty).
    pub fn opt_u32(&mut self, col: usize) -> Option<u32> {
        let b = self.bytes(col);
        if b.is_empty() {
            return None;
        }
        if let Some(v) = plain_u32(b) {
            return Some(v);
        }
        let s = self.str(col);
        if s.trim().is_empty() {
            return None;
        }
        match parse_uint(s) {
            Some(v) if v <= u64::from(u32::MAX) => Some(v as u32),
            _ => {
                self.problem(col, "expected a whole non-negative number", s);
                None
            }
        }
    }

    /// A required non-negative integer.
    pub fn u32(&mut self, col: usize) -> u32 {
        let s = self.str(col);
        if s.trim().is_empty() {
            self.problem(col, "missing value", s);
            return 0;
        }
        self.opt_u32(col).unwrap_or(0)
    }

    /// A boolean: `True`/`False`, `true`/`false`, `1`/`0`.
    pub fn bool(&mut self, col: usize) -> bool {
        match self.bytes(col) {
            b"True" => return true,
            b"False" => return false,
            _ => {}
        }
        let s = self.str(col);
        match s.trim() {
            "True" | "true" | "TRUE" | "1" | "1.0" => true,
            "False" | "false" | "FALSE" | "0" | "0.0" => false,
            _ => {
                self.problem(col, "expected True or False", s);
                false
            }
        }
    }

    /// An optional timestamp.
    pub fn opt_ts(&mut self, col: usize) -> Option<Timestamp> {
        let b = self.bytes(col);
        if b.is_empty() {
            return None;
        }
        if let Some(t) = canonical_ts(b) {
            return Some(t);
        }
        let s = self.str(col);
        if s.trim().is_empty() {
            return None;
        }
        match Timestamp::parse(s) {
            Ok(t) => Some(t),
            Err(msg) => {
                self.problem(col, msg, s);
                None
            }
        }
    }

    /// A required timestamp.
    pub fn ts(&mut self, col: usize) -> Timestamp {
        let s = self.str(col);
        if s.trim().is_empty() {
            self.problem(col, "missing timestamp", s);
        }
        self.opt_ts(col).unwrap_or(Timestamp::from_wall_secs(0))
    }

    /// The values of unknown columns, in file order.
    pub fn extra(&mut self) -> Extra {
        if self.extra_idx.is_empty() {
            return Box::default();
        }
        let (record, file, line) = (self.record, self.file, self.line);
        let mut values = Vec::with_capacity(self.extra_idx.len());
        for &i in self.extra_idx {
            let bytes = record.get(i).unwrap_or_default();
            match std::str::from_utf8(bytes) {
                Ok(s) => values.push(Box::<str>::from(s)),
                Err(_) => {
                    let msg = format!("field {} is not valid UTF-8", i + 1);
                    self.problems.push(Problem::new(file, line, None, msg));
                    values.push(Box::<str>::from(""));
                }
            }
        }
        values.into_boxed_slice()
    }

    /// Report a value as invalid with a custom message.
    pub fn invalid(&mut self, col: usize, message: &str, value: &str) {
        self.problem(col, message, value);
    }
}

/// Longer text fields are refused (a runaway quote or binary data, not a step text).
const MAX_FIELD_BYTES: usize = 1 << 20;

/// Plain ASCII digits that fit a u32 (the common case), without UTF-8 checks.
fn plain_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    u32::try_from(v).ok()
}

/// `YYYY-MM-DD HH:MM:SS` exactly (what the app writes), without chrono.
fn canonical_ts(b: &[u8]) -> Option<Timestamp> {
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |a, &c| c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0')))
    };
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(Timestamp::from_wall_secs(days * 86_400 + hh * 3600 + mm * 60 + ss))
}

/// Parse `313`, ` 313 `, `313.0`, `313.00`.
fn parse_uint(s: &str) -> Option<u64> {
    let s = s.trim();
    let int = match s.split_once('.') {
        Some((i, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => i,
        Some(_) => return None,
        None => s,
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    int.parse().ok()
}

/// Read and type one table file. A missing file is an empty table.
pub(crate) fn read_table<R: Row + Send>(
    dir: &Path,
    kind: TableKind,
    decode: impl Fn(&mut Fields<'_>) -> R + Sync,
    progress: Option<&LoadProgress>,
) -> Result<ReadTable<R>, Error> {
    let file_name = kind.file_name();
    let path = dir.join(file_name);
    let mut out = ReadTable { rows: Vec::new(), lines: Vec::new(), extra_columns: Vec::new(), problems: Vec::new() };
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(path, e)),
    };
    let file_len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
    if file_len == 0 {
        return Ok(out);
    }
    let counter = progress.map(|p| &p.read[kind as usize]);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, Counting { inner: file, counter }));

    // Header.
    let mut header = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Ok(out),
        Err(e) => {
            out.problems.push(csv_problem(file_name, &e));
            return Ok(out);
        }
    }
    let known = kind.columns();
    let mut cols: Vec<Option<usize>> = vec![None; known.len()];
    let mut extra_idx = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let Ok(name) = std::str::from_utf8(raw) else {
            out.problems.push(Problem::new(file_name, 1, None, format!("header field {} is not valid UTF-8", i + 1)));
            return Ok(out);
        };
        let name = name.trim_start_matches('\u{feff}').trim();
        match known.iter().position(|k| *k == name) {
            Some(c) if cols[c].is_some() => {
                out.problems.push(Problem::new(file_name, 1, Some(name), "column appears twice in the header"));
            }
            Some(c) => cols[c] = Some(i),
            None => {
                if out.extra_columns.iter().any(|e| e == name) {
                    out.problems.push(Problem::new(file_name, 1, Some(name), "column appears twice in the header"));
                }
                extra_idx.push(i);
                out.extra_columns.push(name.to_owned());
            }
        }
    }
    if header.len() == 1 && header.get(0).is_some_and(|h| h.contains(&b';')) {
        out.problems.push(Problem::new(
            file_name,
            1,
            None,
            "the columns are separated by ; (a spreadsheet's export?): save the file as comma-separated CSV",
        ));
        return Ok(out);
    }
    for (c, name) in known.iter().enumerate() {
        if cols[c].is_none() && !kind.optional_columns().contains(name) {
            let expected = known.join(",");
            out.problems.push(Problem::new(
                file_name,
                1,
                Some(name),
                format!("missing column (the header must name the columns {expected})"),
            ));
        }
    }
    if !out.problems.is_empty() {
        return Ok(out);
    }
    let width = header.len();
    let data_start = rdr.position().byte();
    let data_line = rdr.position().line();
    let part = Part { file_name, kind, path: &path, file_len, width, cols: &cols, extra_idx: &extra_idx };

    // A big file is parsed in two halves at once, split at a record boundary.
    let split = if file_len >= PARALLEL_FROM_BYTES.load(Ordering::Relaxed) {
        record_boundary(&path, data_start, file_len / 2)
    } else {
        None
    };
    match split {
        Some((boundary, boundary_line)) => {
            let (first, second) = std::thread::scope(|scope| {
                let first = scope.spawn(|| part.parse(data_start, data_line, Some(boundary), counter, &decode));
                let second = part.parse(boundary, boundary_line, None, counter, &decode);
                (
                    first.join().unwrap_or_else(|_| Err(Error::io(&path, std::io::Error::other("parser panicked")))),
                    second,
                )
            });
            let (mut first, second) = (first?, second?);
            first.rows.extend(second.rows);
            first.lines.extend(second.lines);
            first.problems.extend(second.problems);
            out.rows = first.rows;
            out.lines = first.lines;
            out.problems = first.problems;
        }
        None => {
            let all = part.parse(data_start, data_line, None, counter, &decode)?;
            out.rows = all.rows;
            out.lines = all.lines;
            out.problems = all.problems;
        }
    }
    sort_and_dedupe(&mut out, file_name, kind);
    Ok(out)
}

/// Files from this size on are parsed by two threads (a variable for tests).
pub(crate) static PARALLEL_FROM_BYTES: AtomicU64 = AtomicU64::new(32 << 20);

/// The first record boundary at or after `from` (a line end outside quotes): its byte
/// offset and the line number of the record that starts there. `None` if there is none.
fn record_boundary(path: &Path, data_start: u64, from: u64) -> Option<(u64, u64)> {
    let mut f = std::io::BufReader::with_capacity(1 << 20, File::open(path).ok()?);
    let mut in_quotes = false;
    let mut lines: u64 = 1;
    let mut pos: u64 = 0;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        for &b in &buf[..n] {
            pos += 1;
            match b {
                b'"' => in_quotes = !in_quotes,
                b'\n' => {
                    lines += 1;
                    if !in_quotes && pos > from && pos > data_start {
                        return Some((pos, lines));
                    }
                }
                _ => {}
            }
        }
    }
}

/// What parsing a part of a file needs to know.
struct Part<'a> {
    file_name: &'static str,
    kind: TableKind,
    path: &'a Path,
    file_len: u64,
    width: usize,
    cols: &'a [Option<usize>],
    extra_idx: &'a [usize],
}

impl Part<'_> {
    /// Parse the records from byte `start` (line `start_line`) to `end` (or the end of
    /// the file, where the last record is also checked for a torn line).
    fn parse<R: Row>(
        &self,
        start: u64,
        start_line: u64,
        end: Option<u64>,
        counter: Option<&AtomicU64>,
        decode: &impl Fn(&mut Fields<'_>) -> R,
    ) -> Result<ReadTable<R>, Error> {
        let mut out =
            ReadTable { rows: Vec::new(), lines: Vec::new(), extra_columns: Vec::new(), problems: Vec::new() };
        let mut file = File::open(self.path).map_err(|e| Error::io(self.path, e))?;
        file.seek(SeekFrom::Start(start)).map_err(|e| Error::io(self.path, e))?;
        let limit = end.unwrap_or(self.file_len).saturating_sub(start);
        let reader = Counting { inner: file.take(limit), counter };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
        let (file_name, width) = (self.file_name, self.width);
        let line_of = |rec: &csv::ByteRecord| rec.position().map_or(0, |p| p.line() - 1 + start_line);
        let decode_record = |rec: &csv::ByteRecord, out: &mut ReadTable<R>| {
            let line = line_of(rec);
            if rec.len() != width {
                out.problems.push(Problem::new(
                    file_name,
                    line,
                    None,
                    format!("expected {width} fields, found {}", rec.len()),
                ));
                return;
            }
            let mut f = Fields {
                file: file_name,
                line,
                kind: self.kind,
                record: rec,
                cols: self.cols,
                extra_idx: self.extra_idx,
                problems: Vec::new(),
            };
            let row = decode(&mut f);
            if f.problems.is_empty() {
                out.rows.push(row);
                out.lines.push(line);
            } else {
                out.problems.append(&mut f.problems);
            }
        };
        // Records are decoded one behind, so the last one can be checked against the
        // file's tail.
        let mut cur = csv::ByteRecord::new();
        let mut pending = csv::ByteRecord::new();
        let mut have_pending = false;
        loop {
            match rdr.read_byte_record(&mut cur) {
                Ok(true) => {
                    if have_pending {
                        decode_record(&pending, &mut out);
                    }
                    std::mem::swap(&mut cur, &mut pending);
                    have_pending = true;
                }
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() - 1 + start_line);
                    out.problems.push(Problem::new(file_name, line, None, format!("cannot parse CSV: {e}")));
                    have_pending = false;
                    break;
                }
            }
        }
        if have_pending {
            let last_start = pending.position().map_or(0, csv::Position::byte) + start;
            let tail =
                if end.is_none() { tail_problem(self.path, last_start, &pending, width, self.file_len)? } else { None };
            match tail {
                Some(msg) => out.problems.push(Problem::new(file_name, line_of(&pending), None, msg)),
                None => decode_record(&pending, &mut out),
            }
        }
        Ok(out)
    }
}

/// Look at the raw bytes of the last record: an unterminated quote or a torn last line.
fn tail_problem(
    path: &Path,
    start: u64,
    last: &csv::ByteRecord,
    width: usize,
    file_len: u64,
) -> Result<Option<String>, Error> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    f.seek(SeekFrom::Start(start)).map_err(|e| Error::io(path, e))?;
    let mut tail = Vec::with_capacity((file_len - start.min(file_len)) as usize);
    f.read_to_end(&mut tail).map_err(|e| Error::io(path, e))?;
    let quotes = tail.iter().filter(|&&b| b == b'"').count();
    if quotes % 2 == 1 {
        return Ok(Some("unterminated quoted field (a \" opened here is never closed)".into()));
    }
    let ends_with_newline = matches!(tail.last(), Some(b'\n' | b'\r'));
    if !ends_with_newline && last.len() < width {
        return Ok(Some(format!(
            "incomplete last line: {} of {width} fields and no line end (was the file cut off while written?)",
            last.len()
        )));
    }
    Ok(None)
}

fn csv_problem(file: &str, e: &csv::Error) -> Problem {
    let line = e.position().map_or(0, csv::Position::line);
    Problem::new(file, line, None, format!("cannot parse CSV: {e}"))
}

/// Sort rows by key (keeping lines aligned) and drop duplicates, reporting them.
fn sort_and_dedupe<R: Row>(t: &mut ReadTable<R>, file: &str, kind: TableKind) {
    if !t.rows.windows(2).all(|w| w[0].key() < w[1].key()) {
        let mut pairs: Vec<(R, u64)> = t.rows.drain(..).zip(t.lines.drain(..)).collect();
        pairs.sort_by_key(|(r, line)| (r.key(), *line));
        let mut last: Option<(u64, u64)> = None;
        for (r, line) in pairs {
            if let Some((key, first_line)) = last
                && key == r.key()
            {
                let what = if kind == TableKind::ProcedureLabels {
                    format!("duplicate link (first on line {first_line})")
                } else {
                    format!("duplicate id {} (first on line {first_line})", r.key())
                };
                let col = kind.columns()[0];
                t.problems.push(Problem::new(file, line, Some(col), what));
                continue;
            }
            last = Some((r.key(), line));
            t.rows.push(r);
            t.lines.push(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_halves_parse_like_one_whole() {
        // A file with quoted newlines around the middle, parsed whole and in two halves.
        let dir = tempfile::tempdir().expect("tmp");
        let mut text = String::from("id,run_id,step_id,completed,completed_at,notes\n");
        for i in 1..=400 {
            let note = if i % 7 == 0 { "\"two\nlines, \"\"quoted\"\"\"" } else { "" };
            text.push_str(&format!("{i},{},{},True,2025-01-01 08:00:00,{note}\n", i / 10 + 1, i % 10 + 1));
        }
        text.push_str("401,41,1,maybe,,\n402,41,2,Tr");
        std::fs::write(dir.path().join("run_steps.csv"), &text).expect("write");
        let decode = |f: &mut Fields<'_>| crate::model::RunStep {
            id: crate::model::RunStepId(f.id(0)),
            run_id: crate::model::RunId(f.id(1)),
            step_id: crate::model::StepId(f.id(2)),
            completed: f.bool(3),
            completed_at: f.opt_ts(4),
            notes: Box::from(f.str(5)),
            extra: f.extra(),
        };
        let whole = read_table(dir.path(), TableKind::RunSteps, decode, None).expect("whole");
        PARALLEL_FROM_BYTES.store(1, Ordering::Relaxed);
        let halves = read_table(dir.path(), TableKind::RunSteps, decode, None).expect("halves");
        PARALLEL_FROM_BYTES.store(32 << 20, Ordering::Relaxed);
        assert_eq!(whole.rows, halves.rows);
        assert_eq!(whole.lines, halves.lines);
        assert_eq!(whole.problems, halves.problems);
        assert_eq!(whole.rows.len(), 400);
        assert_eq!(whole.problems.len(), 2, "{:?}", whole.problems);
        assert_eq!(*whole.lines.last().expect("lines"), 458, "400 records + 57 extra lines from notes + header");
    }

    #[test]
    fn fast_paths_agree_with_the_general_parsers() {
        for t in ["2025-01-01 08:06:46", "2024-02-29 23:59:59", "1999-12-31 00:00:00", "2100-03-01 12:00:00"] {
            assert_eq!(canonical_ts(t.as_bytes()), Some(Timestamp::parse(t).expect("valid")), "{t}");
        }
        for bad in ["2025-02-29 00:00:00", "2025-13-01 00:00:00", "2025-01-01 24:00:00", "2025-01-01T08:06:46"] {
            assert_eq!(canonical_ts(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(plain_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(plain_u32(b"4294967296"), None);
        assert_eq!(plain_u32(b"12.0"), None);
    }
}
