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
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if append_remapping(a, &mut b) {
        return;
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

/// The system's page size (madvise and mremap round to whole pages: never guess it).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn page_size() -> Option<usize> {
    // SAFETY: sysconf only reads a system constant.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok().filter(|p| p.is_power_of_two())
}

/// Move the items of `b` to the end of `a` without copying most of them: `b`'s bytes are
/// first shifted within its own memory (by less than a page) to sit at the same offset in
/// a page as their place in `a`, then its whole pages are handed to `a` by the kernel
/// (`mremap`: the page tables move, nothing is copied, and `a`'s room is not faulted in
/// page by page); the parts of a page at either end are copied. `b` is left empty, its
/// old pages unmapped-but-reserved (`MREMAP_DONTUNMAP`: no hole another mapping could
/// take before `b` frees them). Where the kernel refuses (before Linux 5.7), every byte
/// is copied instead. False (nothing done) for a `b` of less than four pages, or where a
/// move could fail halfway ([`remap_cannot_fail_halfway`]).
///
/// Joining `run_steps.csv`'s halves by copying faulted in 100 MB of fresh pages at Year-1
/// scale (a fifth of the load's page faults).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn append_remapping<T>(a: &mut Vec<T>, b: &mut Vec<T>) -> bool {
    let size = std::mem::size_of::<T>();
    let Some(page) = page_size() else { return false };
    let (n1, n2) = (a.len(), b.len());
    let bytes = n2 * size;
    // (An item aligned beyond a page could not be shifted by part of one.)
    if size == 0 || std::mem::align_of::<T>() > page || bytes < 4 * page || !remap_cannot_fail_halfway() {
        return false;
    }
    a.reserve_exact(n2);
    // Room after `b`'s items to shift them by up to a page.
    b.reserve_exact(page.div_ceil(size));
    let dst = a.as_mut_ptr() as usize + n1 * size;
    let src = b.as_mut_ptr() as usize;
    // Both are aligned for `T` and a page is a multiple of that: so is the shift.
    let delta = dst.wrapping_sub(src) & (page - 1);
    let from = src + delta;
    let head = ((page - from % page) % page).min(bytes);
    let whole = (bytes - head) / page * page;
    // SAFETY: `b`'s memory holds `n2` items and room for at least a page more (reserved
    // above, `delta` < a page); nothing else refers to it meanwhile. Bytes, possibly
    // uninitialized (padding, the room), are seen as `MaybeUninit<u8>`.
    let memory = unsafe { std::slice::from_raw_parts_mut(src as *mut std::mem::MaybeUninit<u8>, bytes + delta) };
    shift_up(memory, delta, 8 << 20);
    // SAFETY: `from + head .. from + head + whole` are whole pages inside `b`'s memory
    // (its items after the shift) and `dst + head ..` the same number of whole pages
    // inside `a`'s spare room (reserved above, nothing there in use); the two
    // allocations do not overlap. The kernel moves the pages or changes nothing.
    let moved = whole == 0
        || unsafe {
            libc::mremap(
                (from + head) as *mut libc::c_void,
                whole,
                whole,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED | libc::MREMAP_DONTUNMAP,
                (dst + head) as *mut libc::c_void,
            )
        } != libc::MAP_FAILED;
    if !moved {
        // The kernel unmaps the destination before it moves pages there: after a failure
        // past that point, `a`'s room would have a hole. Fresh memory is put back where
        // the range is free (`MAP_FIXED_NOREPLACE` takes nothing mapped: a range left
        // whole stays `a`'s; a kernel before 4.17 takes the address as a hint only).
        // SAFETY: maps fresh memory only where nothing is mapped, or nowhere we keep.
        unsafe {
            let at = (dst + head) as *mut libc::c_void;
            let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE;
            let p = libc::mmap(at, whole, libc::PROT_READ | libc::PROT_WRITE, flags, -1, 0);
            if p != libc::MAP_FAILED && p != at {
                libc::munmap(p, whole);
            }
        }
    }
    // SAFETY: `from .. from + bytes` holds the items' bytes (those in the moved pages now
    // also at `dst + head ..`), `dst .. dst + bytes` is `a`'s spare room; they do not
    // overlap. Every item ends up bitwise at its place in `a`; `b` forgets them.
    unsafe {
        if moved {
            std::ptr::copy_nonoverlapping(from as *const u8, dst as *mut u8, head);
            let tail = head + whole;
            std::ptr::copy_nonoverlapping((from + tail) as *const u8, (dst + tail) as *mut u8, bytes - tail);
        } else {
            std::ptr::copy_nonoverlapping(from as *const u8, dst as *mut u8, bytes);
        }
        b.set_len(0);
        a.set_len(n1 + n2);
    }
    true
}

/// Move the first `buf.len() - by` bytes of `buf` up by `by` (what
/// `buf.copy_within(..buf.len() - by, by)` does), by two threads from `parallel_from`
/// bytes on: before the join by pages, run_steps.csv's second half (~100 MB at Year-1
/// scale) is shifted so, on one core while the other waited. The two parts meet where
/// the first part's writes would cover the second part's first `by` bytes: those are set
/// aside first, and written by the second part after its move.
fn shift_up<T: Copy + Send + Sync>(buf: &mut [T], by: usize, parallel_from: usize) {
    let Some(n) = buf.len().checked_sub(by) else { return };
    if by == 0 || n == 0 {
        return;
    }
    let mid = n / 2;
    if n < parallel_from.max(2 * by) {
        buf.copy_within(..n, by);
        return;
    }
    let seam: Vec<T> = buf[mid..mid + by].to_vec();
    // `low`: the first part and where it goes; `high`: the rest of the second part, where
    // it goes, and where the seam goes (at its start).
    let (low, high) = buf.split_at_mut(mid + by);
    std::thread::scope(|s| {
        s.spawn(|| {
            high.copy_within(..n - mid - by, by);
            high[..by].copy_from_slice(&seam);
        });
        low.copy_within(..mid, by);
    });
}

/// Whether `mremap` can only fail before it changed a mapping here. It unmaps the
/// destination first; what can fail after that is a limit on the address space or the
/// data segment (the pages left behind still count) and strict overcommit (they are
/// charged again) — then the join copies — or the kernel out of memory for its own
/// structures.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn remap_cannot_fail_halfway() -> bool {
    static ANSWER: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWER.get_or_init(|| {
        let unlimited = |resource| {
            let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            // SAFETY: getrlimit only writes the struct it is given.
            (unsafe { libc::getrlimit(resource, &mut limit) }) == 0 && limit.rlim_cur == libc::RLIM_INFINITY
        };
        let strict = std::fs::read_to_string("/proc/sys/vm/overcommit_memory").map_or(true, |s| s.trim() == "2");
        unlimited(libc::RLIMIT_AS) && unlimited(libc::RLIMIT_DATA) && !strict
    })
}

/// Copy items `from..to` of the `T`s at `src` to the same places at `dst`, a block at a
/// time, handing back each block's whole pages at `src` once copied.
///
/// # Safety
/// `src` and `dst` are valid for the items `from..to`, do not overlap, and nobody else
/// reads or writes those items (nor the pages wholly inside them) meanwhile.
unsafe fn copy_releasing<T>(src: usize, dst: usize, from: usize, to: usize) {
    const CHUNK: usize = 1 << 16;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    let page = page_size();
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

#[cfg(test)]
mod tests {
    use super::shift_up;

    #[test]
    fn a_shift_in_two_parts_moves_what_one_copy_moves() {
        for len in [0, 1, 2, 7, 64, 1000, 4099, 10_007] {
            for by in [0, 1, 3, 32, 500, 4095] {
                for parallel_from in [0, 1 << 20] {
                    let original: Vec<u32> = (0..len as u32).map(|i| i.wrapping_mul(2_654_435_761)).collect();
                    let mut want = original.clone();
                    if by <= len {
                        want.copy_within(..len - by, by);
                    }
                    let mut got = original.clone();
                    shift_up(&mut got, by, parallel_from);
                    assert_eq!(got, want, "len {len}, by {by}, from {parallel_from}");
                }
            }
        }
    }
}
