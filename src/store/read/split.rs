//! Big files parsed in two halves at once: where to cut, and joining the halves
//! without holding both copies.

use std::io::Read as _;

use std::sync::atomic::AtomicU64;

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

/// [`append_moving`] by two threads at once, each copying half of `b` and handing back
/// the pages it copied as it goes (Linux: `MADV_DONTNEED` on the middle of a vector's
/// memory), so the peak stays about `a + b`; elsewhere, and for small `b`, one thread.
///
/// Joining the two halves of `run_steps.csv` was a serial tail of the load (one core
/// copying and faulting in 100 MB while the other waited).
pub(crate) fn append_moving_in_two<T: Send>(a: &mut Vec<T>, mut b: Vec<T>) {
    let size = std::mem::size_of::<T>();
    if !cfg!(all(target_os = "linux", target_env = "gnu")) || size == 0 || b.len() * size < (8 << 20) {
        return append_moving(a, b);
    }
    let (n1, n2) = (a.len(), b.len());
    a.reserve_exact(n2);
    let mid = n2 / 2;
    // Addresses, to hand to the other thread: `a` and `b` stay borrowed here meanwhile.
    let (src, dst) = (b.as_ptr() as usize, a.as_mut_ptr() as usize + n1 * size);
    std::thread::scope(|s| {
        // SAFETY (both calls): `src` holds `n2` items and `dst` room for `n2`; the two
        // calls copy and release disjoint item ranges.
        s.spawn(move || unsafe { copy_releasing::<T>(src, dst, mid, n2) });
        unsafe { copy_releasing::<T>(src, dst, 0, mid) };
    });
    // SAFETY: every item of `b` was copied bitwise into `a`'s spare room; `b` forgets
    // them (its length 0) and frees only its memory, so each is owned exactly once.
    unsafe {
        b.set_len(0);
        a.set_len(n1 + n2);
    }
}

/// Copy items `from..to` of the `T`s at `src` to the same places at `dst`, a block at a
/// time, handing back each block's whole pages at `src` once copied.
///
/// # Safety
/// `src` and `dst` are valid for the items `from..to`, do not overlap, and nobody else
/// reads or writes those items (nor the pages wholly inside them) meanwhile.
unsafe fn copy_releasing<T>(src: usize, dst: usize, from: usize, to: usize) {
    const CHUNK: usize = 1 << 16;
    // The system's page (madvise rounds a length up to whole pages: never guess it).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: sysconf only reads a system constant.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok().filter(|p| p.is_power_of_two());
    let mut start = from;
    while start < to {
        let end = (start + CHUNK).min(to);
        // SAFETY: the caller's promise, for items `start..end`.
        unsafe {
            std::ptr::copy_nonoverlapping((src as *const T).add(start), (dst as *mut T).add(start), end - start);
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        if let Some(page) = page {
            let size = std::mem::size_of::<T>();
            let first = (src + start * size).next_multiple_of(page);
            let last = (src + end * size) / page * page;
            if last > first {
                // SAFETY: the pages lie wholly inside items this call owns and has
                // copied; nothing reads them again (the vector frees them unread).
                unsafe { libc::madvise(first as *mut libc::c_void, last - first, libc::MADV_DONTNEED) };
            }
        }
        start = end;
    }
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
