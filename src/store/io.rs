//! The file operations the writer performs, behind a small trait so tests can make
//! any one of them fail ([`FaultyIo`]): disk full, permission denied, I/O error, a
//! short write, a failed rename.

use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// File operations used to save tables.
pub trait Io: Send + Sync {
    /// Create (or truncate) `path` and write `bytes` into it, then fsync it.
    fn write_new(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()>;
    /// Like [`Io::write_new`], with the bytes produced by `fill` piece by piece (a big
    /// table is written while it is encoded). By default they are gathered first.
    fn write_new_streamed(
        &self,
        path: &Path,
        fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        fill(&mut bytes)?;
        self.write_new(path, &bytes)
    }
    /// In the existing `path`: write `bytes` at `offset`, cut the file after them, fsync.
    fn write_at(&self, path: &Path, offset: u64, bytes: &[u8]) -> std::io::Result<()>;
    /// Rename `from` over `to`.
    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()>;
    /// Remove a file.
    fn remove(&self, path: &Path) -> std::io::Result<()>;
    /// Make renames and removals in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> std::io::Result<()>;
}

/// Create `path` afresh for writing, safely inside a data folder: whatever is there (a
/// stale temporary file, or a symbolic link planted in its place) is removed, never
/// followed, and the new file is created exclusively (`O_EXCL`, and `O_NOFOLLOW` on Unix),
/// so nothing outside the folder is ever written through it. Every temporary and redo
/// file of the app is made this way.
pub fn create_fresh(path: &Path) -> std::io::Result<std::fs::File> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc_nofollow());
    }
    options.open(path)
}

/// `O_NOFOLLOW`: open fails on a symbolic link instead of following it.
#[cfg(unix)]
pub(crate) fn libc_nofollow() -> i32 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return 0o400_000;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    return 0x0100; // macOS and the BSDs
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealIo;

impl Io for RealIo {
    fn write_new(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut f = create_fresh(path)?;
        f.write_all(bytes)?;
        f.flush()?;
        f.sync_all()
    }

    fn write_new_streamed(
        &self,
        path: &Path,
        fill: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut f = create_fresh(path)?;
        fill(&mut f)?;
        f.flush()?;
        f.sync_all()
    }

    fn write_at(&self, path: &Path, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.custom_flags(libc_nofollow());
        }
        let mut f = options.open(path)?;
        if !f.metadata()?.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        // Readers hold a shared lock while they read (store::read): in place, the bytes
        // change only while no one reads. Released when `f` closes.
        let _ = f.lock();
        f.seek(SeekFrom::Start(offset))?;
        f.write_all(bytes)?;
        f.set_len(offset + bytes.len() as u64)?;
        f.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove(&self, path: &Path) -> std::io::Result<()> {
        std::fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        #[cfg(not(unix))]
        let _ = dir;
        Ok(())
    }
}

/// A kind of failure [`FaultyIo`] injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No space left on the device.
    DiskFull,
    /// Permission denied.
    PermissionDenied,
    /// A low-level I/O error (EIO).
    IoError,
    /// Only half of the bytes are written, then an error.
    ShortWrite,
}

impl Fault {
    /// Every kind.
    pub const ALL: [Fault; 4] = [Fault::DiskFull, Fault::PermissionDenied, Fault::IoError, Fault::ShortWrite];

    fn error(self) -> std::io::Error {
        match self {
            Fault::DiskFull => {
                std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device (injected)")
            }
            Fault::PermissionDenied => {
                std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied (injected)")
            }
            Fault::IoError => std::io::Error::other("input/output error (injected)"),
            Fault::ShortWrite => std::io::Error::new(std::io::ErrorKind::WriteZero, "short write (injected)"),
        }
    }
}

/// The real file system, except that operation number `fail_at` (1-based, counted
/// from the last [`FaultyIo::arm`]) fails with the armed fault. For tests.
#[derive(Debug)]
pub struct FaultyIo {
    fail_at: AtomicUsize,
    fault: std::sync::Mutex<Fault>,
    calls: AtomicUsize,
}

impl Default for FaultyIo {
    fn default() -> Self {
        Self {
            fail_at: AtomicUsize::new(usize::MAX),
            fault: std::sync::Mutex::new(Fault::IoError),
            calls: AtomicUsize::new(0),
        }
    }
}

impl FaultyIo {
    /// From now on, operation number `fail_at` fails with `fault` (`usize::MAX`: none).
    pub fn arm(&self, fail_at: usize, fault: Fault) {
        if let Ok(mut f) = self.fault.lock() {
            *f = fault;
        }
        self.calls.store(0, Ordering::SeqCst);
        self.fail_at.store(fail_at, Ordering::SeqCst);
    }

    /// Operations since the last [`FaultyIo::arm`].
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn hit(&self) -> Option<Fault> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        (n == self.fail_at.load(Ordering::SeqCst)).then(|| self.fault.lock().map_or(Fault::IoError, |f| *f))
    }
}

impl Io for FaultyIo {
    fn write_new(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(fault) = self.hit() {
            if fault == Fault::ShortWrite {
                let _ = RealIo.write_new(path, &bytes[..bytes.len() / 2]);
            }
            return Err(fault.error());
        }
        RealIo.write_new(path, bytes)
    }

    fn write_at(&self, path: &Path, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        if let Some(fault) = self.hit() {
            if fault == Fault::ShortWrite {
                let _ = RealIo.write_at(path, offset, &bytes[..bytes.len() / 2]);
            }
            return Err(fault.error());
        }
        RealIo.write_at(path, offset, bytes)
    }

    fn rename(&self, from: &Path, to: &Path) -> std::io::Result<()> {
        if let Some(fault) = self.hit() {
            return Err(fault.error());
        }
        RealIo.rename(from, to)
    }

    fn remove(&self, path: &Path) -> std::io::Result<()> {
        if let Some(fault) = self.hit() {
            return Err(fault.error());
        }
        RealIo.remove(path)
    }

    fn sync_dir(&self, dir: &Path) -> std::io::Result<()> {
        if let Some(fault) = self.hit() {
            return Err(fault.error());
        }
        RealIo.sync_dir(dir)
    }
}
