//! Splitting a part of a file into records: simple lines (what the app writes) at their
//! commas directly, anything else through csv-core's state machine, with the same result;
//! the last record is checked for a torn line.

use super::DAY_CACHE_START;
use super::fast::FastDecode;
use super::fast::SPECIAL;
use super::fields::{Fields, Record};
use super::progress::Counting;
use crate::model::Row;
use crate::store::error::{Error, Problem};
use std::fs::File;
use std::io::Read;
use std::sync::atomic::AtomicU64;

/// What parsing a part of a file needs to know.
pub(super) struct Part<'a> {
    pub(super) file_name: &'static str,
    pub(super) columns: &'static [&'static str],
    /// The file (with an interrupted save's end, if any).
    pub(super) source: super::source::Source<'a>,
    pub(super) width: usize,
    pub(super) cols: &'a [Option<usize>],
    pub(super) extra_idx: &'a [usize],
    /// The file's new columns (passed to the fast decoder).
    pub(super) new: u8,
}

/// Rows of a part of a file, and what joining the parts needs to check.
pub(super) struct Parsed<R> {
    pub(super) rows: Vec<R>,
    pub(super) lines: super::LineList,
    pub(super) problems: Vec<Problem>,
    /// `\n` bytes in the part.
    pub(super) newlines: u64,
    /// `"` bytes in the part.
    pub(super) quotes: u64,
    /// Whether the rows came in strictly increasing key order (looked at as each row
    /// comes, while it is in cache: a file in order needs no pass to tell afterwards).
    pub(super) in_order: bool,
}

impl<R> Parsed<R> {
    /// No rows, nothing counted.
    pub(super) fn empty() -> Self {
        Self {
            rows: Vec::new(),
            lines: super::LineList::default(),
            problems: Vec::new(),
            newlines: 0,
            quotes: 0,
            in_order: true,
        }
    }
}

impl<R: Row> Parsed<R> {
    fn push(&mut self, row: R, line: u64) {
        if self.in_order
            && let Some(last) = self.rows.last()
        {
            self.in_order = last.key() < row.key();
        }
        self.rows.push(row);
        self.lines.push(line);
    }
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

thread_local! {
    /// This thread's read buffer between two parts: a fresh (zeroed) megabyte for each of
    /// the ~45 parts of a Year-1 folder was ~5,500 page faults and their clearing.
    static SPARE: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

impl<Rd> Input<Rd> {
    const BLOCK: usize = 1 << 20;
    /// The biggest buffer kept for the next part (one grown for a longer record is not).
    const KEPT: usize = 4 * Self::BLOCK;

    /// A read buffer of at least [`Input::BLOCK`] bytes: this thread's spare one, else a
    /// new one.
    fn buffer() -> Vec<u8> {
        let spare = SPARE.take();
        if spare.len() >= Self::BLOCK { spare } else { vec![0; Self::BLOCK] }
    }
}

/// Put `buf` as this thread's spare read buffer; the one there before.
#[cfg(test)]
pub(super) fn swap_spare(buf: Vec<u8>) -> Vec<u8> {
    SPARE.replace(buf)
}

impl<Rd> Drop for Input<Rd> {
    fn drop(&mut self) {
        if self.buf.len() <= Self::KEPT {
            // (Never while the thread's locals are torn down: then the buffer is freed.)
            let buf = std::mem::take(&mut self.buf);
            let _ = SPARE.try_with(|spare| spare.set(buf));
        }
    }
}

impl<Rd: Read> Input<Rd> {
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
    fn rec(&self) -> Record<'_> {
        Record { bytes: &self.out, bounds: &self.bounds }
    }
}

impl Part<'_> {
    /// Parse the records from byte `start` (line `start_line`) to `end` (or the end of
    /// the file, where the last record is also checked for a torn line).
    ///
    /// Simple lines (what the app writes) are split at their commas directly; any other
    /// record goes through csv's own state machine, with the same result.
    pub(super) fn parse<R: Row>(
        &self,
        start: u64,
        start_line: u64,
        end: Option<u64>,
        counter: Option<&AtomicU64>,
        decode: &impl Fn(&mut Fields<'_>) -> R,
        fast: Option<FastDecode<R>>,
    ) -> Result<Parsed<R>, Error> {
        let mut out = Parsed::empty();
        let path = self.source.path;
        let limit = end.unwrap_or(self.source.len).saturating_sub(start);
        // Room for the rows lines of 48 bytes each would give (run_steps.csv has 57 on
        // average): each doubling of the vector was a copy into fresh pages, and a room of
        // 4 MB and more gets huge pages (`memory::Huge`). Room the part does not fill costs
        // only address space (its pages are never touched).
        let room = usize::try_from(limit / 48).unwrap_or(usize::MAX);
        out.rows.reserve(room);
        let bytes = self.source.read_from(start, limit).map_err(|e| Error::io(path, e))?;
        let mut input = Input {
            src: Counting { inner: bytes, counter },
            buf: Input::<File>::buffer(),
            pos: 0,
            len: 0,
            base: start,
            eof: false,
            count_quotes: end.is_some(),
            quotes: 0,
        };
        let (file_name, width) = (self.file_name, self.width);
        let day_cache = std::cell::Cell::new(DAY_CACHE_START);
        let decode_record = |rec: Record<'_>, line: u64, out: &mut Parsed<R>| {
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
                columns: self.columns,
                record: rec,
                cols: self.cols,
                extra_idx: self.extra_idx,
                problems: Vec::new(),
                day_cache: day_cache.get(),
            };
            let row = decode(&mut f);
            day_cache.set(f.day_cache);
            if f.problems.is_empty() {
                out.push(row, line);
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
                let got = fast(&input.buf[input.pos..input.len], &mut days, self.new);
                day_cache.set(days);
                if let Some((row, n)) = got {
                    if let Some(p) = pending.take() {
                        decode_record(p.rec(), p.line, &mut out);
                        cur = p;
                    }
                    out.push(row, line);
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
                    decode_record(Record { bytes: &input.buf, bounds: &bounds }, line, &mut out);
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
            let tail = if end.is_none() { tail_problem(&self.source, p.offset, p.rec(), width)? } else { None };
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
fn tail_problem(
    source: &super::source::Source<'_>,
    start: u64,
    last: Record<'_>,
    width: usize,
) -> Result<Option<String>, Error> {
    let path = source.path;
    let mut f = source.read_from(start, u64::MAX).map_err(|e| Error::io(path, e))?;
    let mut tail = Vec::with_capacity((source.len - start.min(source.len)) as usize);
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
