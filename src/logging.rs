//! A small file logger: `procedures.log` in the app's storage folder (stderr when
//! that folder cannot be used). Shown in Help → About.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();

struct FileLogger {
    file: Option<Mutex<std::fs::File>>,
}

impl log::Log for FileLogger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Info || m.target().starts_with("procedures")
    }

    fn log(&self, r: &log::Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        if r.level() == log::Level::Error && r.target().starts_with("rfd") {
            note_dialog_error(r.args().to_string());
        }
        let line = format!("{} {:<5} {}: {}\n", crate::model::Timestamp::now(), r.level(), r.target(), r.args());
        match &self.file {
            Some(f) => {
                if let Ok(mut f) = f.lock() {
                    let _ = f.write_all(line.as_bytes());
                }
            }
            None => eprint!("{line}"),
        }
    }

    fn flush(&self) {}
}

/// Keep the log small: past [`MAX_LOG_BYTES`] it becomes `procedures.log.1` (one
/// older generation is kept).
const MAX_LOG_BYTES: u64 = 4 << 20;

fn rotate(path: &std::path::Path) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_LOG_BYTES) {
        let _ = std::fs::rename(path, path.with_extension("log.1"));
    }
}

/// Start logging to the log file (once).
pub fn init() {
    let path = eframe::storage_dir("Procedures").map(|d| d.join("procedures.log"));
    let file = path.as_ref().and_then(|p| {
        std::fs::create_dir_all(p.parent()?).ok()?;
        rotate(p);
        std::fs::OpenOptions::new().create(true).append(true).open(p).ok()
    });
    let _ = PATH.set(if file.is_some() { path } else { None });
    let logger = FileLogger { file: file.map(Mutex::new) };
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
}

/// Where the log goes, when it is a file.
pub fn log_path() -> Option<PathBuf> {
    PATH.get().cloned().flatten()
}

/// The last error the dialog library logged (it logs why a dialog could not be shown
/// and answers as if cancelled); taken by the dialog that asked.
static DIALOG_ERROR: Mutex<Option<String>> = Mutex::new(None);

fn note_dialog_error(message: String) {
    if let Ok(mut last) = DIALOG_ERROR.lock() {
        *last = Some(message);
    }
}

/// The error the dialog library logged since the last call, if any.
pub fn take_dialog_error() -> Option<String> {
    DIALOG_ERROR.lock().ok().and_then(|mut last| last.take())
}
