//! Typed, liberal access to the fields of one record: ids, integers written as floats,
//! booleans of every spelling, timestamps of every form, with a problem per bad value.

use crate::model::{DayCache, Extra, Timestamp};
use crate::store::error::Problem;

/// Typed access to the fields of one record, collecting problems.
pub(crate) struct Fields<'a> {
    pub(super) file: &'static str,
    pub(super) line: u64,
    /// The known columns' names (for messages).
    pub(super) columns: &'static [&'static str],
    pub(super) record: Record<'a>,
    /// Record field index of each known column, in the table's column order.
    pub(super) cols: &'a [Option<usize>],
    /// Record field indexes of unknown columns.
    pub(super) extra_idx: &'a [usize],
    pub problems: Vec<Problem>,
    /// The date part of the last canonical timestamp and its day number (timestamps
    /// of a file mostly share their date with the one before).
    pub(super) day_cache: DayCache,
}

impl<'a> Fields<'a> {
    fn problem(&mut self, col: usize, message: &str, value: &str) {
        let name = self.columns[col];
        self.problems.push(Problem::new(self.file, self.line, Some(name), message).with_value(value));
    }

    /// The raw text of a known column ("" when the column is absent).
    pub fn str(&mut self, col: impl Into<usize>) -> &'a str {
        let col = col.into();
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
    pub fn text(&mut self, col: impl Into<usize>) -> String {
        let col = col.into();
        self.str(col).to_owned()
    }

    /// The raw bytes of a known column (empty when the column is absent).
    fn bytes(&self, col: impl Into<usize>) -> &'a [u8] {
        let col = col.into();
        self.cols[col].and_then(|i| self.record.get(i)).unwrap_or_default()
    }

    /// A required positive id.
    pub fn id(&mut self, col: impl Into<usize>) -> u32 {
        let col = col.into();
        // Fast path: plain digits (what the app writes).
        if let Some(v) = plain_u32(self.bytes(col))
            && v > 0
        {
            return v;
        }
        let s = self.str(col);
        match parse_uint(s) {
            Some(v) if v > 0 && v <= u64::from(u32::MAX) => v as u32,
            Some(v) if v > u64::from(u32::MAX) => {
                self.problem(col, "too large for an id (ids are below 4294967296)", s);
                0
            }
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
    pub fn opt_u32(&mut self, col: impl Into<usize>) -> Option<u32> {
        let col = col.into();
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
    pub fn u32(&mut self, col: impl Into<usize>) -> u32 {
        let col = col.into();
        let s = self.str(col);
        if s.trim().is_empty() {
            self.problem(col, "missing value", s);
            return 0;
        }
        self.opt_u32(col).unwrap_or(0)
    }

    /// A boolean: `True`/`False`, `true`/`false`, `1`/`0`.
    pub fn bool(&mut self, col: impl Into<usize>) -> bool {
        let col = col.into();
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

    /// An optional boolean (empty = none).
    pub fn opt_bool(&mut self, col: impl Into<usize>) -> Option<bool> {
        let col = col.into();
        if self.str(col).trim().is_empty() { None } else { Some(self.bool(col)) }
    }

    /// An optional timestamp.
    pub fn opt_ts(&mut self, col: impl Into<usize>) -> Option<Timestamp> {
        let col = col.into();
        let b = self.bytes(col);
        if b.is_empty() {
            return None;
        }
        if let Some(t) = Timestamp::parse_canonical(b, &mut self.day_cache) {
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
    pub fn ts(&mut self, col: impl Into<usize>) -> Timestamp {
        let col = col.into();
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
    pub fn invalid(&mut self, col: impl Into<usize>, message: &str, value: &str) {
        let col = col.into();
        self.problem(col, message, value);
    }
}

/// Longer text fields are refused (a runaway quote or binary data, not a step text).
pub(crate) const MAX_FIELD_BYTES: usize = 1 << 20;

/// Plain ASCII digits that fit a u32 (the common case), without UTF-8 checks.
pub(super) fn plain_u32(b: &[u8]) -> Option<u32> {
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

/// The fields of one record: `bytes[a..b]` for each `(a, b)` of `bounds`.
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) bounds: &'a [(usize, usize)],
}

impl<'a> Record<'a> {
    pub(super) fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.bounds.get(i).map(|&(a, b)| &self.bytes[a..b])
    }

    pub(super) fn len(&self) -> usize {
        self.bounds.len()
    }
}
