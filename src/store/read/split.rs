//! Big files parsed in parts at once: where to cut, and joining the parts
//! without holding both copies.

use super::tokenize::Parsed;
use crate::model::Row;
use crate::store::error::Error;
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

/// The system's page size (madvise and mremap round to whole pages: never guess it).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn page_size() -> Option<usize> {
    // SAFETY: sysconf only reads a system constant.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok().filter(|p| p.is_power_of_two())
}

/// Whether [`remap_to`] moves `n` items of `T` by pages (else copying them is as cheap).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn worth_remapping<T>(n: usize, page: usize) -> bool {
    let size = std::mem::size_of::<T>();
    // (An item aligned beyond a page could not be shifted by part of one.)
    size != 0 && std::mem::align_of::<T>() <= page && n * size >= 4 * page && remap_cannot_fail_halfway()
}

/// Move the items of `b` to `dst` without copying most of them: `b`'s bytes are first
/// shifted within its own memory (by less than a page) to sit at the same offset in a
/// page as their place at `dst`, then its whole pages are handed there by the kernel
/// (`mremap`: the page tables move, nothing is copied, and the room is not faulted in
/// page by page); the parts of a page at either end are copied. `b` is left empty, its
/// old pages unmapped-but-reserved (`MREMAP_DONTUNMAP`: no hole another mapping could
/// take before `b` frees them). Where the kernel refuses (before Linux 5.7), every byte
/// is copied instead. Used only where [`worth_remapping`].
///
/// Joining `run_steps.csv`'s parts by copying faulted in ~160 MB of fresh pages at Year-1
/// scale (a fifth of the load's page faults).
///
/// # Safety
/// `dst` is aligned for `T`, valid for writes of `b.len()` items, not in `b`'s memory, and
/// nobody else reads or writes there meanwhile.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe fn remap_to<T>(dst: usize, b: &mut Vec<T>, page: usize) {
    let size = std::mem::size_of::<T>();
    let bytes = b.len() * size;
    // Room after `b`'s items to shift them by up to a page.
    b.reserve_exact(page.div_ceil(size));
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
    memory.copy_within(..bytes, delta);
    // SAFETY: `from + head .. from + head + whole` are whole pages inside `b`'s memory
    // (its items after the shift) and `dst + head ..` the same number of whole pages
    // at `dst` (the caller's room, nothing there in use); the two
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
    // also at `dst + head ..`), `dst .. dst + bytes` is the caller's room; they do not
    // overlap. Every item ends up bitwise at its place at `dst`; `b` forgets them.
    unsafe {
        if moved {
            std::ptr::copy_nonoverlapping(from as *const u8, dst as *mut u8, head);
            let tail = head + whole;
            std::ptr::copy_nonoverlapping((from + tail) as *const u8, (dst + tail) as *mut u8, bytes - tail);
        } else {
            std::ptr::copy_nonoverlapping(from as *const u8, dst as *mut u8, bytes);
        }
        b.set_len(0);
    }
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

/// Files from this size on are parsed in parts at once (a variable for tests).
pub(crate) static PARALLEL_FROM_BYTES: AtomicU64 = AtomicU64::new(32 << 20);

/// At most this many parts per file (a bigger file has bigger parts).
pub(super) const MAX_PARTS: u64 = 256;

/// Where to cut a file of `len` bytes whose records start at `data_start` into parts of
/// about a quarter of [`PARALLEL_FROM_BYTES`] (8 MB: small enough that the last part
/// to finish keeps one core busy alone only briefly, big enough that a part's set-up
/// and joining cost nothing): just after a line end. A cut may fall inside a quoted
/// field; [`parse_parts`] finds out.
pub(super) fn cuts(source: &super::source::Source<'_>, data_start: u64, len: u64) -> Vec<u64> {
    let body = len.saturating_sub(data_start);
    let part = (PARALLEL_FROM_BYTES.load(std::sync::atomic::Ordering::Relaxed) / 4).max(1);
    let n = (body / part).clamp(2, MAX_PARTS);
    let mut cuts: Vec<u64> = Vec::new();
    for i in 1..n {
        let Some(cut) = line_end_after(source, data_start + body / n * i) else { continue };
        if cut < len && cut > cuts.last().copied().unwrap_or(data_start) {
            cuts.push(cut);
        }
    }
    cuts
}

/// Parse a file cut at `cuts` (its records from `data_start`, on line `data_line`):
/// every part at once, by the threads of the pool, then joined in order.
///
/// `parse(start, first_line, end)` parses the bytes from `start` to `end` (the file's end
/// for `None`), counting lines from `first_line`, and the quotes of a part with an end.
/// A cut after an odd number of quotes fell inside a quoted field: the parts on either
/// side of it are parsed again as one (a line break inside a quoted field near a cut
/// costs one more parse of the parts around it, not of the file).
pub(super) fn parse_parts<R: Row + Send>(
    data_start: u64,
    data_line: u64,
    cuts: &[u64],
    parse: impl Fn(u64, u64, Option<u64>) -> Result<Parsed<R>, Error> + Sync,
) -> Result<Parsed<R>, Error> {
    use rayon::prelude::*;
    if cuts.is_empty() {
        return parse(data_start, data_line, None);
    }
    let starts: Vec<u64> = std::iter::once(data_start).chain(cuts.iter().copied()).collect();
    let first_line = |i: usize| if i == 0 { data_line } else { 1 };
    let parts: Vec<Parsed<R>> = (0..starts.len())
        .into_par_iter()
        .map(|i| parse(starts[i], first_line(i), cuts.get(i).copied()))
        .collect::<Result<_, _>>()?;
    // Where a good stretch starts: the file's first record, and each cut after an even
    // number of quotes.
    let mut quotes = 0;
    let mut good = vec![true];
    for p in &parts[..parts.len() - 1] {
        quotes += p.quotes;
        good.push(quotes % 2 == 0);
    }
    let stretches: Vec<(usize, usize)> = {
        let mut v = Vec::new();
        let mut i = 0;
        while i < parts.len() {
            let j = (i + 1..parts.len()).find(|&j| good[j]).unwrap_or(parts.len());
            v.push((i, j));
            i = j;
        }
        v
    };
    let again: Vec<Parsed<R>> = stretches
        .par_iter()
        .filter(|(i, j)| j - i > 1)
        .map(|&(i, j)| parse(starts[i], first_line(i), cuts.get(j - 1).copied()))
        .collect::<Result<_, _>>()?;
    let mut again = again.into_iter();
    let mut parts = parts.into_iter();
    let mut joined: Vec<Parsed<R>> = Vec::with_capacity(stretches.len());
    for (i, j) in stretches {
        if j - i == 1 {
            joined.extend(parts.next());
        } else {
            parts.by_ref().take(j - i).for_each(drop);
            joined.extend(again.next());
        }
    }
    Ok(join(data_line, joined))
}

/// Parts parsed apart, in order, as one: lines counted on, whether the rows came in
/// order (within and across the parts) kept, and the rows moved into one vector by the
/// pool's threads at once ([`move_all`]).
fn join<R: Row + Send>(data_line: u64, mut parts: Vec<Parsed<R>>) -> Parsed<R> {
    if parts.len() == 1
        && let Some(whole) = parts.pop()
    {
        return whole;
    }
    let mut parts = parts.into_iter();
    let mut all = parts.next().unwrap_or_else(Parsed::empty);
    // The first part's rows are moved too (into room for all at once): growing its
    // vector to the whole copied them.
    let mut rows = vec![std::mem::take(&mut all.rows)];
    let mut last = rows[0].last().map(Row::key);
    for part in parts {
        // The part counted its lines from 1; it starts where the ones before ended.
        let shift = data_line + all.newlines - 1;
        if let (Some(a), Some(b)) = (last, part.rows.first()) {
            all.in_order &= a < b.key();
        }
        last = part.rows.last().map(Row::key).or(last);
        all.in_order &= part.in_order;
        super::append_counted((&mut all.lines, &mut all.problems), (part.lines, part.problems), shift);
        all.newlines += part.newlines;
        all.quotes += part.quotes;
        rows.push(part.rows);
    }
    move_all(&mut all.rows, rows);
    all
}

/// Move the items of `parts` to the end of `a`, in order: each part into its place by a
/// thread of the pool at once, by pages where it can ([`remap_to`]), else copied.
pub(super) fn move_all<T: Send>(a: &mut Vec<T>, parts: Vec<Vec<T>>) {
    use rayon::prelude::*;
    let n1 = a.len();
    let total: usize = parts.iter().map(Vec::len).sum();
    a.reserve_exact(total);
    let size = std::mem::size_of::<T>();
    let mut at = a.as_mut_ptr() as usize + n1 * size;
    let placed: Vec<(usize, Vec<T>)> = parts
        .into_iter()
        .map(|p| {
            let dst = at;
            at += p.len() * size;
            (dst, p)
        })
        .collect();
    placed.into_par_iter().for_each(|(dst, mut b)| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        if let Some(page) = page_size().filter(|&page| worth_remapping::<T>(b.len(), page)) {
            // SAFETY: `dst` is this part's place in `a`'s spare room (reserved above,
            // aligned for `T`: an offset of whole items), which no other part's overlaps.
            unsafe { remap_to(dst, &mut b, page) };
            return;
        }
        // SAFETY: as above; `b`'s items are copied there bitwise and `b` forgets them.
        unsafe {
            std::ptr::copy_nonoverlapping(b.as_ptr(), dst as *mut T, b.len());
            b.set_len(0);
        }
    });
    // SAFETY: items `n1..n1 + total` were all moved into place above.
    unsafe { a.set_len(n1 + total) };
}

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
