//! One-pass decoding of lines exactly as the app writes them (canonical columns, plain
//! fields): each helper reads one field and its `,`; anything else returns `None` and the
//! line takes the general path, which must give the same row.

use super::fields::MAX_FIELD_BYTES;
use crate::model::{DayCache, Timestamp};

/// Decodes a whole simple line of a file whose columns are exactly the known ones in
/// canonical order: the row and the bytes taken (with the `\n`), or `None` to take the
/// general path, which must give the same row for any line this accepts.
pub(crate) type FastDecode<R> = fn(&[u8], &mut DayCache, u8) -> Option<(R, usize)>;

/// A positive id in plain digits that fits a u32, and its `,`.
///
/// Ids of up to 7 digits (every id at y1) are read eight bytes at a time in a word:
/// 15 million of them at y1, a byte loop was 5 % of `stats`' CPU.
#[inline]
pub fn id(b: &[u8], i: &mut usize) -> Option<u32> {
    if let Some(word) = b.get(*i..*i + 8) {
        let w = u64::from_le_bytes(word.try_into().ok()?);
        // A byte is a digit when its high nibble is 3, also after adding 6 (0x3A-0x3F
        // become 0x40-0x45). A carry only runs from a byte to the ones after it, so the
        // bytes before the first non-digit are judged right.
        const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
        const THREES: u64 = 0x3030_3030_3030_3030;
        let not_digit = ((w & HIGH) ^ THREES) | ((w.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ THREES);
        if not_digit != 0 {
            let n = (not_digit.trailing_zeros() / 8) as usize;
            if n == 0 || word[n] != b',' {
                return None;
            }
            // The digits' values moved to the word's top bytes: the zero bytes below them
            // read as leading zeros.
            let digits = (w.wrapping_sub(THREES)) << (64 - 8 * n);
            *i += n + 1;
            return Some(eight_digits(digits)).filter(|v| *v > 0);
        }
    }
    id_by_bytes(b, i)
}

/// The number that eight digit values in a word spell (the first in the lowest byte).
#[inline]
fn eight_digits(d: u64) -> u32 {
    let d = d.wrapping_mul(10).wrapping_add(d >> 8);
    let d = ((d & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32))
        + ((d >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    d as u32
}

/// [`id`], a byte at a time (an id of 8 digits or more, or near the buffer's end).
fn id_by_bytes(b: &[u8], i: &mut usize) -> Option<u32> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn ids_by_words_are_read_as_by_bytes() {
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for digits in ["", "0", "7", "10", "007", "1234567", "12345678", "4294967295", "4294967296", "99999999999"] {
            for after in ["", ",", ",9,", "x", " ,", "\n", "\u{e9}", "\u{ff}", ":", "/"] {
                cases.push(format!("{digits}{after}").into_bytes());
                cases.push(format!("{digits}{after}        ").into_bytes());
            }
        }
        // Every byte (0xFA-0xFF carry when 6 is added) after a few digits.
        for byte in 0..=255u8 {
            for n in 0..8 {
                let mut b: Vec<u8> = "12345678".as_bytes()[..n].to_vec();
                b.push(byte);
                b.extend_from_slice(b",1,2,3,4,5,6,7,8");
                let mut c = b.clone();
                c.insert(0, b'5');
                cases.extend([b, c]);
            }
        }
        for case in &cases {
            for start in 0..2.min(case.len() + 1) {
                let (mut i, mut j) = (start, start);
                let got = super::id(case, &mut i);
                let want = super::id_by_bytes(case, &mut j);
                assert_eq!(got, want, "{case:?} from {start}");
                if want.is_some() {
                    assert_eq!(i, j, "{case:?} from {start}");
                }
            }
        }
    }
}
