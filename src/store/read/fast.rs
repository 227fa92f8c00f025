//! One-pass decoding of lines exactly as the app writes them (canonical columns, plain
//! fields): each helper reads one field and its `,`; anything else returns `None` and the
//! line takes the general path, which must give the same row.

use super::fields::MAX_FIELD_BYTES;
use crate::model::{DayCache, Timestamp};

/// Decodes a whole simple line of a file whose columns are exactly the known ones in
/// canonical order: the row and the bytes taken (with the `\n`), or `None` to take the
/// general path, which must give the same row for any line this accepts.
pub(crate) type FastDecode<R> = fn(&[u8], &mut DayCache, u8) -> Option<(R, usize)>;

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

/// An empty field or `YYYY-MM-DD HH:MM:SS`, before a `,` (taken).
pub fn opt_ts(b: &[u8], i: &mut usize, days: &mut DayCache) -> Option<Option<Timestamp>> {
    opt_ts_at(b, i, days, false)
}

/// [`opt_ts`] for a field that may be the line's last: then before the `\n` (not taken).
#[inline]
pub fn opt_ts_at(b: &[u8], i: &mut usize, days: &mut DayCache, last: bool) -> Option<Option<Timestamp>> {
    let (end, taken) = if last { (b'\n', 0) } else { (b',', 1) };
    if b.get(*i) == Some(&end) {
        *i += taken;
        return Some(None);
    }
    let t = Timestamp::parse_canonical(b.get(*i..*i + 19)?, days)?;
    if b.get(*i + 19) != Some(&end) {
        return None;
    }
    *i += 19 + taken;
    Some(Some(t))
}

/// Whether bit `k` is the highest set bit of `mask` (its field is the line's last).
pub fn last_bit(mask: u8, k: u32) -> bool {
    mask >> (k + 1) == 0
}

/// Text without quotes, CR, NUL or commas, valid UTF-8, before a `,` or, when
/// `last`, before the `\n` (not taken).
pub fn text<'a>(b: &'a [u8], i: &mut usize, last: bool) -> Option<&'a str> {
    let rest = b.get(*i..)?;
    // One scan finds the field's end and whether it is all ASCII (most are: then it
    // is UTF-8 without a second pass).
    let mut high = 0u8;
    let n = rest.iter().position(|&c| {
        high |= c;
        TEXT_END[c as usize]
    })?;
    if rest[n] != if last { b'\n' } else { b',' } || n > MAX_FIELD_BYTES {
        return None;
    }
    let field = &rest[..n];
    let s = if high < 0x80 {
        // SAFETY: every byte scanned (the field and its ASCII terminator) is below
        // 0x80, and ASCII is valid UTF-8. (5 million short fields at y1: the checked
        // conversion's call was 5 % of a load's samples.)
        unsafe { std::str::from_utf8_unchecked(field) }
    } else {
        std::str::from_utf8(field).ok()?
    };
    *i += n + usize::from(!last);
    Some(s)
}

/// A field as [`text`] reads it, or quoted as csv writes it (`""` for each `"` inside)
/// with no line end, CR or NUL inside, before a `,` or, when `last`, before the `\n`
/// (not taken): its text, owned. A snapshot in `versions.csv` is such a field (34 MB
/// at y1): copied in runs between its quotes instead of through csv's state machine
/// byte by byte.
pub fn owned(b: &[u8], i: &mut usize, last: bool) -> Option<String> {
    if b.get(*i) != Some(&b'"') {
        return text(b, i, last).map(str::to_owned);
    }
    let end = if last { b'\n' } else { b',' };
    let start = *i + 1;
    // The field ends before the line does: room for it, and no CR or NUL to meet.
    let region = &b[start..start + memchr::memchr(b'\n', b.get(start..)?)?];
    if memchr::memchr2(b'\r', 0, region).is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(region.len().min(MAX_FIELD_BYTES));
    let mut k = 0;
    let close = loop {
        let q = k + crate::bytes::first_of(&region[k..], b'"', b'"')?;
        out.extend_from_slice(&region[k..q]);
        if region.get(q + 1) == Some(&b'"') {
            out.push(b'"');
            k = q + 2;
        } else if b.get(start + q + 1) == Some(&end) {
            break start + q;
        } else {
            return None;
        }
    };
    if out.len() > MAX_FIELD_BYTES {
        return None;
    }
    let s = String::from_utf8(out).ok()?;
    *i = close + 1 + usize::from(!last);
    Some(s)
}

/// The `\n` that ends the line: the bytes taken.
pub fn end(b: &[u8], i: usize) -> Option<usize> {
    (b.get(i) == Some(&b'\n')).then_some(i + 1)
}

/// Bytes that end [`text`]'s scan: [`SPECIAL`] and NUL.
const TEXT_END: [bool; 256] = {
    let mut t = SPECIAL;
    t[0] = true;
    t
};

/// Bytes that end the simple path's scan of a field.
pub(super) const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\r' as usize] = true;
    t
};
