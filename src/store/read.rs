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
    /// Lines as u32 (4 bytes a row of millions; a file of over 4 billion lines is not
    /// a data folder): see [`line_u32`].
    pub lines: Vec<u32>,
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
    record: Rec<'a>,
    /// Record field index of each known column, in `kind.columns()` order.
    cols: &'a [Option<usize>],
    /// Record field indexes of unknown columns.
    extra_idx: &'a [usize],
    pub problems: Vec<Problem>,
    /// The date part of the last canonical timestamp and its day number (timestamps
    /// of a file mostly share their date with the one before).
    day_cache: DayCache,
}

/// `YYYY-MM-DD` and its days since 1970-01-01.
pub(crate) type DayCache = ([u8; 10], i64);

pub(crate) const DAY_CACHE_START: DayCache = (*b"1970-01-01", 0);

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
        if let Some(t) = canonical_ts(b, &mut self.day_cache) {
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
pub(crate) fn canonical_ts(b: &[u8], cache: &mut DayCache) -> Option<Timestamp> {
    if b.len() != 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |a, &c| c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0')))
    };
    let days = if b[..10] == cache.0 {
        cache.1
    } else {
        let days = civil_days(&b[..10])?;
        cache.0.copy_from_slice(&b[..10]);
        cache.1 = days;
        days
    };
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    Some(Timestamp::from_wall_secs(days * 86_400 + hh * 3600 + mm * 60 + ss))
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (a valid date only).
fn civil_days(b: &[u8]) -> Option<i64> {
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |a, &c| c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0')))
    };
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Helpers of the [`FastDecode`] functions: each reads one field and its `,`.
pub(crate) mod fast {
    use super::{DayCache, MAX_FIELD_BYTES, SPECIAL, canonical_ts};
    use crate::model::Timestamp;

    /// A positive id in plain digits that fits a u32.
    pub fn id(b: &[u8], i: &mut usize) -> Option<u32> {
        let mut v: u64 = 0;
        let start = *i;
        while let Some(&c) = b.get(*i) {
            if c.is_ascii_digit() {
                v = v * 10 + u64::from(c - b'0');
                *i += 1;
                if *i - start > 10 {
                    return None;
                }
            } else if c == b',' && *i > start {
                *i += 1;
                return u32::try_from(v).ok().filter(|v| *v > 0);
            } else {
                return None;
            }
        }
        None
    }

    /// An empty field (`None`) or plain digits that fit a u32, before a `,` or, when
    /// `last`, before the `\n` (not taken).
    pub fn opt_u32(b: &[u8], i: &mut usize, last: bool) -> Option<Option<u32>> {
        let end = if last { b'\n' } else { b',' };
        let start = *i;
        let mut v: u64 = 0;
        while let Some(&c) = b.get(*i) {
            if c.is_ascii_digit() && *i - start < 10 {
                v = v * 10 + u64::from(c - b'0');
                *i += 1;
            } else if c == end {
                if !last {
                    *i += 1;
                }
                return if *i - start <= usize::from(!last) { Some(None) } else { u32::try_from(v).ok().map(Some) };
            } else {
                return None;
            }
        }
        None
    }

    /// One of `words` exactly; its index.
    pub fn word(b: &[u8], i: &mut usize, words: &[&[u8]]) -> Option<usize> {
        let rest = b.get(*i..)?;
        let k = words.iter().position(|w| rest.starts_with(w) && rest.get(w.len()) == Some(&b','))?;
        *i += words[k].len() + 1;
        Some(k)
    }

    /// An empty field or `YYYY-MM-DD HH:MM:SS`.
    pub fn opt_ts(b: &[u8], i: &mut usize, days: &mut DayCache) -> Option<Option<Timestamp>> {
        if b.get(*i) == Some(&b',') {
            *i += 1;
            return Some(None);
        }
        let t = canonical_ts(b.get(*i..*i + 19)?, days)?;
        if b.get(*i + 19) != Some(&b',') {
            return None;
        }
        *i += 20;
        Some(Some(t))
    }

    /// Text without quotes, CR, NUL or commas, valid UTF-8, before a `,` or, when
    /// `last`, before the `\n` (not taken).
    pub fn text<'a>(b: &'a [u8], i: &mut usize, last: bool) -> Option<&'a str> {
        let rest = b.get(*i..)?;
        let n = rest.iter().position(|&c| SPECIAL[c as usize] || c == 0)?;
        if rest[n] != if last { b'\n' } else { b',' } || n > MAX_FIELD_BYTES {
            return None;
        }
        let s = std::str::from_utf8(&rest[..n]).ok()?;
        *i += n + usize::from(!last);
        Some(s)
    }

    /// The `\n` that ends the line: the bytes taken.
    pub fn end(b: &[u8], i: usize) -> Option<usize> {
        (b.get(i) == Some(&b'\n')).then_some(i + 1)
    }
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
    read_table_fast(dir, kind, decode, None, progress)
}

/// Decodes a whole simple line of a file whose columns are exactly the known ones in
/// canonical order: the row and the bytes taken (with the `\n`), or `None` to take the
/// general path, which must give the same row for any line this accepts.
pub(crate) type FastDecode<R> = fn(&[u8], &mut DayCache) -> Option<(R, usize)>;

/// [`read_table`], with a decoder for the lines the app writes.
pub(crate) fn read_table_fast<R: Row + Send>(
    dir: &Path,
    kind: TableKind,
    decode: impl Fn(&mut Fields<'_>) -> R + Sync,
    fast: Option<FastDecode<R>>,
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
    let canonical = width == known.len() && cols.iter().enumerate().all(|(i, c)| *c == Some(i));
    let fast = fast.filter(|_| canonical);
    let data_start = rdr.position().byte();
    let data_line = rdr.position().line();
    let part = Part { file_name, kind, path: &path, file_len, width, cols: &cols, extra_idx: &extra_idx };

    // A big file is parsed in two halves at once. The cut is guessed at the first line
    // end after the middle; the first half counts its quotes, and an odd count (the cut
    // fell inside a quoted field) means the guess was wrong: then it is parsed whole.
    let split = if file_len >= PARALLEL_FROM_BYTES.load(Ordering::Relaxed) {
        line_end_after(&path, (data_start + file_len) / 2)
    } else {
        None
    };
    let whole = |part: &Part<'_>| part.parse(data_start, data_line, None, counter, &decode, fast);
    let all = match split {
        Some(boundary) => {
            let (first, second) = std::thread::scope(|scope| {
                let first = scope.spawn(|| part.parse(data_start, data_line, Some(boundary), counter, &decode, fast));
                let second = part.parse(boundary, 1, None, counter, &decode, fast);
                (
                    first.join().unwrap_or_else(|_| Err(Error::io(&path, std::io::Error::other("parser panicked")))),
                    second,
                )
            });
            let (mut first, mut second) = (first?, second?);
            if first.quotes % 2 == 0 {
                // The second half counted lines from 1; it starts where the first ended.
                let shift = data_line + first.newlines - 1;
                second.lines.iter_mut().for_each(|l| *l = line_u32(u64::from(*l) + shift));
                second.problems.iter_mut().filter(|p| p.line > 0).for_each(|p| p.line += shift);
                append_moving(&mut first.rows, second.rows);
                append_moving(&mut first.lines, second.lines);
                first.problems.extend(second.problems);
                first
            } else {
                drop((first, second));
                whole(&part)?
            }
        }
        None => whole(&part)?,
    };
    out.rows = all.rows;
    out.lines = all.lines;
    out.problems = all.problems;
    sort_and_dedupe(&mut out, file_name, kind);
    Ok(out)
}

/// A line number as stored (saturating).
pub(crate) fn line_u32(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// Move the items of `b` to the end of `a`, handing `b`'s memory back as it goes:
/// big vectors live in their own mappings, which shrink in place, so the peak is about
/// `a + b` instead of `a + 2b` (hundreds of MB for run_steps at Year-1 scale).
pub(crate) fn append_moving<T>(a: &mut Vec<T>, mut b: Vec<T>) {
    const CHUNK: usize = 1 << 16;
    let (n1, n2) = (a.len(), b.len());
    a.reserve_exact(n2);
    let mut end = n2;
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        // SAFETY: `a` has room for `n1 + n2` items. Items `start..end` of `b` are
        // copied bitwise into `a`'s spare room at `n1 + start`, then `b`'s length is
        // cut to `start`, so `b` never drops them and each is owned exactly once.
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr().add(start), a.as_mut_ptr().add(n1 + start), end - start);
            b.set_len(start);
        }
        b.shrink_to_fit();
        end = start;
    }
    // SAFETY: items `n1..n1 + n2` were all initialized by the copies above.
    unsafe { a.set_len(n1 + n2) };
}

/// Files from this size on are parsed by two threads (a variable for tests).
pub(crate) static PARALLEL_FROM_BYTES: AtomicU64 = AtomicU64::new(32 << 20);

/// The offset just after the first `\n` at or after `from`, if one comes soon.
fn line_end_after(path: &Path, from: u64) -> Option<u64> {
    let mut f = File::open(path).ok()?;
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut buf = vec![0u8; 1 << 16];
    let mut at = from;
    for _ in 0..16 {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
            return Some(at + i as u64 + 1);
        }
        at += n as u64;
    }
    None
}

/// The fields of one record: `bytes[a..b]` for each `(a, b)` of `bounds`.
#[derive(Clone, Copy)]
pub(crate) struct Rec<'a> {
    bytes: &'a [u8],
    bounds: &'a [(usize, usize)],
}

impl<'a> Rec<'a> {
    fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.bounds.get(i).map(|&(a, b)| &self.bytes[a..b])
    }

    fn len(&self) -> usize {
        self.bounds.len()
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

/// Rows of a part of a file, and what the two-halves split needs to check.
struct Parsed<R> {
    rows: Vec<R>,
    lines: Vec<u32>,
    problems: Vec<Problem>,
    /// `\n` bytes in the part.
    newlines: u64,
    /// `"` bytes in the part.
    quotes: u64,
}

/// A window on a part of a file, refilled as records are consumed.
struct Input<Rd> {
    src: Rd,
    buf: Vec<u8>,
    /// Next unconsumed byte of `buf`.
    pos: usize,
    /// End of the valid bytes of `buf`.
    len: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// Count `"` bytes into `quotes` (for the first half of a split file).
    count_quotes: bool,
    quotes: u64,
}

/// How many times `needle` occurs in `hay` (sums of bytes, which vectorize).
fn count_byte(hay: &[u8], needle: u8) -> u64 {
    hay.chunks(255).map(|c| u64::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == needle)))).sum()
}

/// Bytes that end the simple path's scan of a field.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

impl<Rd: Read> Input<Rd> {
    const BLOCK: usize = 1 << 20;

    /// Move the unconsumed bytes to the front and read more; false at the end.
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.base += self.pos as u64;
            self.len -= self.pos;
            self.pos = 0;
        }
        if self.len == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        let n = loop {
            match self.src.read(&mut self.buf[self.len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if self.count_quotes {
            self.quotes += count_byte(&self.buf[self.len..self.len + n], b'"');
        }
        self.len += n;
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// Step over `\r` and `\n` bytes at `pos`; returns how many `\n` there were.
    fn skip_line_ends(&mut self) -> std::io::Result<u64> {
        let mut newlines = 0;
        loop {
            if self.pos == self.len && !self.fill()? {
                return Ok(newlines);
            }
            match self.buf[self.pos] {
                b'\n' => newlines += 1,
                b'\r' => {}
                _ => return Ok(newlines),
            }
            self.pos += 1;
        }
    }

    /// The fields of the line at `pos` when it is simple: ends with `\n`, no quote, no
    /// `\r`, not empty. Then csv would split it at the commas too, and this is faster.
    /// Returns the line's length with its `\n`, or `None` (take the general path).
    fn simple_line(&mut self, bounds: &mut Vec<(usize, usize)>) -> std::io::Result<Option<usize>> {
        loop {
            bounds.clear();
            let (buf, pos) = (&self.buf[..self.len], self.pos);
            let mut field = pos;
            let mut i = pos;
            while i < buf.len() {
                if !SPECIAL[buf[i] as usize] {
                    i += 1;
                    continue;
                }
                match buf[i] {
                    b',' => {
                        bounds.push((field, i));
                        field = i + 1;
                    }
                    b'\n' => {
                        if i == pos {
                            return Ok(None);
                        }
                        bounds.push((field, i));
                        return Ok(Some(i + 1 - pos));
                    }
                    b'"' | b'\r' => return Ok(None),
                    _ => {}
                }
                i += 1;
            }
            // No line end in the window: read more, unless it is full or the file ended.
            if self.eof || (self.pos == 0 && self.len == self.buf.len() && self.len >= 16 * Self::BLOCK) {
                return Ok(None);
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }
}

/// A record read by the general (csv) path, kept one behind.
#[derive(Default)]
struct SlowRecord {
    out: Vec<u8>,
    ends: Vec<usize>,
    bounds: Vec<(usize, usize)>,
    line: u64,
    offset: u64,
}

impl SlowRecord {
    fn rec(&self) -> Rec<'_> {
        Rec { bytes: &self.out, bounds: &self.bounds }
    }
}

impl Part<'_> {
    /// Parse the records from byte `start` (line `start_line`) to `end` (or the end of
    /// the file, where the last record is also checked for a torn line).
    ///
    /// Simple lines (what the app writes) are split at their commas directly; any other
    /// record goes through csv's own state machine, with the same result.
    fn parse<R: Row>(
        &self,
        start: u64,
        start_line: u64,
        end: Option<u64>,
        counter: Option<&AtomicU64>,
        decode: &impl Fn(&mut Fields<'_>) -> R,
        fast: Option<FastDecode<R>>,
    ) -> Result<Parsed<R>, Error> {
        let mut out = Parsed { rows: Vec::new(), lines: Vec::new(), problems: Vec::new(), newlines: 0, quotes: 0 };
        let mut file = File::open(self.path).map_err(|e| Error::io(self.path, e))?;
        file.seek(SeekFrom::Start(start)).map_err(|e| Error::io(self.path, e))?;
        let limit = end.unwrap_or(self.file_len).saturating_sub(start);
        let mut input = Input {
            src: Counting { inner: file.take(limit), counter },
            buf: vec![0; Input::<File>::BLOCK],
            pos: 0,
            len: 0,
            base: start,
            eof: false,
            count_quotes: end.is_some(),
            quotes: 0,
        };
        let (file_name, width) = (self.file_name, self.width);
        let day_cache = std::cell::Cell::new(DAY_CACHE_START);
        let decode_record = |rec: Rec<'_>, line: u64, out: &mut Parsed<R>| {
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
                day_cache: day_cache.get(),
            };
            let row = decode(&mut f);
            day_cache.set(f.day_cache);
            if f.problems.is_empty() {
                out.rows.push(row);
                out.lines.push(line_u32(line));
            } else {
                out.problems.append(&mut f.problems);
            }
        };
        let mut core = csv_core::Reader::new();
        let mut line = start_line;
        let mut bounds = Vec::with_capacity(width + 1);
        // Records of the general path are decoded one behind, so that the last one can
        // be checked against the file's tail.
        let mut cur = SlowRecord::default();
        let mut pending: Option<SlowRecord> = None;
        let io_problem =
            |e: std::io::Error, line: u64| Problem::new(file_name, line, None, format!("cannot parse CSV: {e}"));
        loop {
            // Blank lines and the `\n` of a `\r\n` (csv skips them too): a record's line
            // is where its first byte is.
            match input.skip_line_ends() {
                Ok(n) => line += n,
                Err(e) => {
                    out.problems.push(io_problem(e, line));
                    pending = None;
                    break;
                }
            }
            if let Some(fast) = fast {
                let mut days = day_cache.get();
                let got = fast(&input.buf[input.pos..input.len], &mut days);
                day_cache.set(days);
                if let Some((row, n)) = got {
                    if let Some(p) = pending.take() {
                        decode_record(p.rec(), p.line, &mut out);
                        cur = p;
                    }
                    out.rows.push(row);
                    out.lines.push(line_u32(line));
                    input.pos += n;
                    line += 1;
                    continue;
                }
            }
            match input.simple_line(&mut bounds) {
                Ok(Some(n)) => {
                    if let Some(p) = pending.take() {
                        decode_record(p.rec(), p.line, &mut out);
                        cur = p;
                    }
                    decode_record(Rec { bytes: &input.buf, bounds: &bounds }, line, &mut out);
                    input.pos += n;
                    line += 1;
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    out.problems.push(io_problem(e, line));
                    pending = None;
                    break;
                }
            }
            // The general path: one record through csv's state machine.
            use csv_core::ReadRecordResult as R;
            cur.line = line;
            cur.offset = input.base + input.pos as u64;
            let (mut outlen, mut endlen) = (0, 0);
            if cur.out.is_empty() {
                cur.out.resize(1024, 0);
                cur.ends.resize(width.max(1) + 1, 0);
            }
            let got = loop {
                let data = &input.buf[input.pos..input.len];
                if data.is_empty() && !input.eof {
                    match input.fill() {
                        Ok(_) => continue,
                        Err(e) => break Err(e),
                    }
                }
                let (res, nin, nout, nend) = core.read_record(data, &mut cur.out[outlen..], &mut cur.ends[endlen..]);
                line += data[..nin].iter().filter(|&&b| b == b'\n').count() as u64;
                input.pos += nin;
                outlen += nout;
                endlen += nend;
                match res {
                    R::InputEmpty => {}
                    R::OutputFull => {
                        let n = cur.out.len() * 2;
                        cur.out.resize(n, 0);
                    }
                    R::OutputEndsFull => {
                        let n = cur.ends.len() * 2;
                        cur.ends.resize(n, 0);
                    }
                    R::Record => break Ok(true),
                    R::End => break Ok(false),
                }
            };
            match got {
                Ok(true) => {
                    cur.bounds.clear();
                    let mut prev = 0;
                    for &e in &cur.ends[..endlen] {
                        cur.bounds.push((prev, e));
                        prev = e;
                    }
                    if let Some(p) = pending.take() {
                        decode_record(p.rec(), p.line, &mut out);
                        pending = Some(std::mem::replace(&mut cur, p));
                    } else {
                        pending = Some(std::mem::take(&mut cur));
                    }
                }
                Ok(false) => break,
                Err(e) => {
                    out.problems.push(io_problem(e, line));
                    pending = None;
                    break;
                }
            }
        }
        if let Some(p) = pending {
            let tail =
                if end.is_none() { tail_problem(self.path, p.offset, p.rec(), width, self.file_len)? } else { None };
            match tail {
                Some(msg) => out.problems.push(Problem::new(file_name, p.line, None, msg)),
                None => decode_record(p.rec(), p.line, &mut out),
            }
        }
        out.newlines = line - start_line;
        out.quotes = input.quotes;
        Ok(out)
    }
}

/// Look at the raw bytes of the last record: an unterminated quote or a torn last line.
fn tail_problem(path: &Path, start: u64, last: Rec<'_>, width: usize, file_len: u64) -> Result<Option<String>, Error> {
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
        let mut pairs: Vec<(R, u32)> = t.rows.drain(..).zip(t.lines.drain(..)).collect();
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
                t.problems.push(Problem::new(file, u64::from(line), Some(col), what));
                continue;
            }
            last = Some((r.key(), u64::from(line)));
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
        // Files with quoted newlines (one may span the cut: then it is parsed whole),
        // CRLF or LF, a blank line and torn last lines: whole and in halves alike.
        let decode = |f: &mut Fields<'_>| {
            use crate::model::*;
            RunStep::new(RunStepId(f.id(0)), RunId(f.id(1)), StepId(f.id(2)), f.bool(3), f.opt_ts(4))
                .with_more(f.str(5), f.extra())
        };
        for (every, eol) in [(7, "\n"), (1, "\n"), (2, "\n"), (3, "\r\n"), (1000, "\n"), (5, "\r\n")] {
            let dir = tempfile::tempdir().expect("tmp");
            let mut text = format!("id,run_id,step_id,completed,completed_at,notes{eol}");
            for i in 1..=400 {
                let note = if i % every == 0 { "\"two\nlines, \"\"quoted\"\"\"" } else { "" };
                text.push_str(&format!("{i},{},{},True,2025-01-01 08:00:00,{note}{eol}", i / 10 + 1, i % 10 + 1));
                if i == 200 {
                    text.push_str(eol);
                }
            }
            text.push_str(&format!("401,41,1,maybe,,{eol}402,41,2,Tr"));
            std::fs::write(dir.path().join("run_steps.csv"), &text).expect("write");
            let whole = read_table(dir.path(), TableKind::RunSteps, decode, None).expect("whole");
            PARALLEL_FROM_BYTES.store(1, Ordering::Relaxed);
            let halves = read_table(dir.path(), TableKind::RunSteps, decode, None).expect("halves");
            PARALLEL_FROM_BYTES.store(32 << 20, Ordering::Relaxed);
            assert_eq!(whole.rows, halves.rows, "{every} {eol:?}");
            assert_eq!(whole.lines, halves.lines, "{every} {eol:?}");
            assert_eq!(whole.problems, halves.problems, "{every} {eol:?}");
            assert_eq!(whole.rows.len(), 400);
            assert_eq!(whole.lines[0], 2, "the first record is on line 2, CRLF or not");
            assert_eq!(whole.problems.len(), 2, "{:?}", whole.problems);
            // The header, 399 records before, their notes' extra lines, the blank line.
            let expected = 402 + 399 / every;
            assert_eq!(*whole.lines.last().expect("lines") as usize, expected, "{every} {eol:?}");
            assert_eq!(whole.rows[399].notes(), if 400 % every == 0 { "two\nlines, \"quoted\"" } else { "" });
        }
    }

    #[test]
    fn append_moving_keeps_every_item_once() {
        for (n1, n2) in [(0, 0), (3, 0), (0, 5), (7, 200_000)] {
            let mut a: Vec<String> = (0..n1).map(|i| i.to_string()).collect();
            let b: Vec<String> = (n1..n1 + n2).map(|i| i.to_string()).collect();
            append_moving(&mut a, b);
            assert_eq!(a.len(), n1 + n2);
            assert!(a.iter().enumerate().all(|(i, s)| *s == i.to_string()));
        }
    }

    #[test]
    fn fast_paths_agree_with_the_general_parsers() {
        let mut cache = DAY_CACHE_START;
        for t in [
            "2025-01-01 08:06:46",
            "2025-01-01 09:00:00",
            "2024-02-29 23:59:59",
            "1999-12-31 00:00:00",
            "1970-01-01 00:00:01",
            "2100-03-01 12:00:00",
        ] {
            assert_eq!(canonical_ts(t.as_bytes(), &mut cache), Some(Timestamp::parse(t).expect("valid")), "{t}");
        }
        for bad in [
            "2025-02-29 00:00:00",
            "2025-13-01 00:00:00",
            "2100-03-01 24:00:00",
            "2025-01-01T08:06:46",
            "\0\0\0\0\0\0\0\0\0\0 00:00:00",
        ] {
            assert_eq!(canonical_ts(bad.as_bytes(), &mut cache), None, "{bad}");
        }
        assert_eq!(plain_u32(b"4294967295"), Some(u32::MAX));
        assert_eq!(plain_u32(b"4294967296"), None);
        assert_eq!(plain_u32(b"12.0"), None);
    }
}
