//! Where data lives: a folder, or a team database named by its `postgres://` URL. What
//! a command is pointed at (and, with the storage seam, what the window opens).

use std::path::PathBuf;

/// A folder or a team database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// A data folder.
    Folder(PathBuf),
    /// A team database, by its connection string (which may hold a password: never
    /// shown as given, see [`DataSource::shown`]).
    Database(String),
}

impl DataSource {
    /// What a command-line argument names: a database when it is a `postgres://` or
    /// `postgresql://` URL, else a folder.
    pub fn parse(arg: &str) -> Self {
        if super::pg::is_url(arg) { Self::Database(arg.trim().to_owned()) } else { Self::Folder(PathBuf::from(arg)) }
    }

    /// How messages name it: the folder's path, or the database without its password.
    pub fn shown(&self) -> String {
        match self {
            Self::Folder(dir) => dir.display().to_string(),
            Self::Database(url) => super::pg::redacted(url),
        }
    }

    /// Read all of it, as `check`, `stats`, `due` and `export` do: nothing is written.
    pub fn load(&self) -> Result<super::Loaded, String> {
        match self {
            Self::Folder(dir) => super::load(dir).map_err(|e| e.to_string()),
            Self::Database(url) => super::pg::load_url(url).map_err(|e| e.to_string()),
        }
    }
}

/// [`DataSource::parse`] for clap.
pub fn parse_source(arg: &str) -> Result<DataSource, String> {
    Ok(DataSource::parse(arg))
}
