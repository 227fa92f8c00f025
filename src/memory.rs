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
