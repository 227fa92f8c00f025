//! Errors of the store: fatal errors and the problems found in a folder's files.

use std::fmt;
use std::path::PathBuf;

/// Something wrong in a data file, at a place a person can find with an editor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Problem {
    /// File name inside the folder, e.g. `runs.csv`.
    pub file: String,
    /// Physical line where the record starts (header = 1); 0 when the whole file is meant.
    pub line: u64,
    /// Column name, when one column is at fault.
    pub column: Option<String>,
    /// The offending value, when there is one.
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem at a file and line.
    pub fn new(file: &str, line: u64, column: Option<&str>, message: impl Into<String>) -> Self {
        Self { file: file.to_owned(), line, column: column.map(str::to_owned), value: None, message: message.into() }
    }

    /// Attach the offending value.
    pub fn with_value(mut self, value: &str) -> Self {
        let mut v: String = value.chars().take(60).collect();
        if v.len() < value.len() {
            v.push('…');
        }
        self.value = Some(v);
        self
    }
}

/// `file:line: column: message` — the format of `procedures check`.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(c) = &self.column {
            write!(f, "{c}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(v) = &self.value {
            write!(f, " (found {v:?})")?;
        }
        Ok(())
    }
}

/// A store operation that could not be done at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The folder does not exist or is not a folder.
    #[error("{0}: not a folder")]
    NotAFolder(PathBuf),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The folder has problems, so it is not written to.
    #[error("the folder has {0} problem(s); it is open read-only")]
    ReadOnly(usize),
    /// A file changed on disk since it was loaded; it is not overwritten.
    #[error("{0} was changed outside the app since it was loaded; not overwriting it")]
    ChangedOnDisk(PathBuf),
}

impl Error {
    /// Wrap an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}
