//! Searching bytes where the hits come every few bytes (quotes in JSON, doubled quotes in
//! a CSV field): eight bytes at a time in a word beats both a byte loop and `memchr`'s
//! set-up per call (BENCHMARKS.md, session 24).

/// The first byte of `s` that is `a` or `b` (pass the same byte twice for one).
pub fn first_of(s: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // A high bit for each zero byte of `x`; the lowest is exact.
    let zeros = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let (wa, wb) = (u64::from_ne_bytes([a; 8]), u64::from_ne_bytes([b; 8]));
    let mut words = s.chunks_exact(8);
    for (n, w) in words.by_ref().enumerate() {
        let x = u64::from_le_bytes(w.try_into().unwrap_or_default());
        let found = zeros(x ^ wa) | zeros(x ^ wb);
        if found != 0 {
            return Some(n * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let rest = words.remainder();
    rest.iter().position(|&c| c == a || c == b).map(|p| s.len() - rest.len() + p)
}

#[cfg(test)]
mod tests {
    /// The word-at-a-time search finds the first of its bytes wherever it is, after any
    /// bytes (those next to `"` in value too, NUL, and bytes above 0x80).
    #[test]
    fn the_first_of_two_bytes_is_found() {
        for len in 0..40 {
            for at in 0..=len {
                for (a, b, c, fill) in [
                    (b'"', b'"', b'"', b'a'),
                    (b'"', b'"', b'"', b'!'),
                    (b'"', b'"', b'"', b'#'),
                    (b'"', b'"', b'"', 0xa2),
                    (b'"', b'"', b'"', 0x00),
                    (b'"', b'\\', b'\\', 0xc3),
                    (b'"', b'\\', b'"', b'\x21'),
                    (b'"', b'\\', b'\\', b']'),
                ] {
                    let mut s = vec![fill; len];
                    if at < len {
                        s[at] = c;
                    }
                    if at + 3 < len {
                        s[at + 3] = a;
                    }
                    let first = s.iter().position(|&x| x == a || x == b);
                    assert_eq!(super::first_of(&s, a, b), first, "{s:?}");
                }
            }
        }
    }
}
