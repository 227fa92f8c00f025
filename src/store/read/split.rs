//! Big files parsed in two halves at once: where to cut, and joining the halves
//! without holding both copies.

use std::io::Read as _;

use std::sync::atomic::AtomicU64;

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
pub(super) fn line_end_after(source: &super::source::Source<'_>, from: u64) -> Option<u64> {
    let mut f = source.read_from(from, u64::MAX).ok()?;
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
