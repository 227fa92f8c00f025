//! Giving memory back to the system (glibc on Linux; elsewhere these do nothing).
//!
//! Loading a big folder allocates and frees hundreds of MB on several threads. glibc
//! raises its mmap threshold after big frees and keeps freed heap pages per thread
//! arena, so without help the window keeps tens of MB it no longer uses.

/// Allocator settings for the app: allocations from 1 MiB on get their own mapping
/// (returned to the system when freed) instead of a threshold that grows.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; any value is valid for it.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Return freed memory to the system (after a folder was loaded).
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Ask the processor to bring the cache line at `p` in, without waiting for it (a pass
/// over rows scattered in memory starts the fetches of many rows at once, then reads
/// them). Never faults, whatever `p` is; does nothing on other processors.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it reads nothing the program sees and never faults,
    // even for an address that is not mapped.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The system's allocator, asking Linux for huge pages (2 MiB) under every allocation
/// of [`Huge::FROM`] bytes and more: loading a big folder fills hundreds of MB of fresh
/// rows, and a fault per 4 KiB page was a sixth of `stats`' CPU at Year-1 scale
/// (transparent huge pages are commonly on "madvise": only memory asked for gets them).
/// Elsewhere, and below the size, exactly the system's allocator. At most one huge page
/// per allocation is touched beyond what is used (its last, partly filled one).
pub struct Huge;

impl Huge {
    /// Allocations from this size on get huge pages.
    pub const FROM: usize = 4 << 20;

    #[inline]
    fn advise(p: *mut u8, size: usize) {
        #[cfg(target_os = "linux")]
        if size >= Self::FROM && !p.is_null() {
            const PAGE: usize = 2 << 20;
            if !Self::kernel_has_them() {
                return;
            }
            let (start, end) = ((p as usize).next_multiple_of(PAGE), (p as usize + size) / PAGE * PAGE);
            if end > start {
                // SAFETY: the range lies inside the allocation just made; the advice only
                // changes how the kernel backs it (never its contents); a failure (no
                // huge pages in this kernel) changes nothing.
                unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (p, size);
    }

    /// Whether this kernel has transparent huge pages (else the advice is refused), asked
    /// once.
    #[cfg(target_os = "linux")]
    fn kernel_has_them() -> bool {
        use std::sync::atomic::{AtomicU8, Ordering};
        static HAS: AtomicU8 = AtomicU8::new(0);
        match HAS.load(Ordering::Relaxed) {
            1 => true,
            2 => false,
            _ => {
                // (The path's check allocates nothing big: no recursion into `Huge`.)
                let has = std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists();
                HAS.store(if has { 1 } else { 2 }, Ordering::Relaxed);
                has
            }
        }
    }
}

// SAFETY: every call goes to the system allocator with the caller's arguments; the
// advice touches no allocation's contents.
unsafe impl std::alloc::GlobalAlloc for Huge {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { std::alloc::System.alloc(layout) };
        Self::advise(p, layout.size());
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { std::alloc::System.alloc_zeroed(layout) };
        Self::advise(p, layout.size());
        p
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { std::alloc::System.dealloc(p, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let q = unsafe { std::alloc::System.realloc(p, layout, new_size) };
        Self::advise(q, new_size);
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's flags of the mapping that holds `at` (from /proc/self/smaps).
    #[cfg(target_os = "linux")]
    fn flags_at(at: usize) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((a, b)) = range.split_once('-')
                && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
            {
                inside = (a..b).contains(&at);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return Some(flags.trim().to_owned());
            }
        }
        None
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn big_allocations_ask_for_huge_pages_and_keep_their_bytes() {
        const PAGE: usize = 2 << 20;
        // A big one: the whole huge pages inside it are marked (VmFlags "hg").
        let mut big: Vec<u8> = Vec::with_capacity(3 * Huge::FROM);
        big.extend((0..3 * Huge::FROM).map(|i| (i % 251) as u8));
        let inside = (big.as_ptr() as usize).next_multiple_of(PAGE);
        let flags = flags_at(inside).expect("the allocation is mapped");
        assert!(flags.split(' ').any(|f| f == "hg"), "asked for huge pages: {flags}");
        // Grown past its room (a move or an extension): still asked for, bytes kept.
        big.reserve(4 * Huge::FROM);
        let inside = (big.as_ptr() as usize).next_multiple_of(PAGE);
        assert!(flags_at(inside).is_some_and(|f| f.split(' ').any(|f| f == "hg")));
        assert!(big.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8), "grown, the bytes stayed");
    }
}
