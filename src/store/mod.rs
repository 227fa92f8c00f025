//! The data folder: reading (liberal, typed, indexed), checking, and writing
//! (canonical, atomic). Only this module touches files.

mod backup;
mod canonical;
mod changes;
mod check;
mod dataset;
mod encode;
mod error;
mod fingerprint;
mod incoming;
mod index;
pub(crate) use index::IdMap;
mod io;
mod journal;
mod kind;
mod layout;
mod line_list;
mod load;
mod lock;
mod persist;
mod read;
mod recover;
mod redo;
mod sheet;
mod snapshot;
mod source;
mod table;
mod tables;
mod tail;
mod write;
mod writer;

pub mod pg;

pub use backup::{
    BACKUP_DIR, KEEP_BACKUPS, copy_tables, create_real_dir, daily_backup, ensure_gitignore, list_backups,
    restore_backup,
};
pub use changes::{ChangeSet, TableChanges};
pub use check::check;
pub use dataset::{Dataset, RunStepsOf, TAIL_ROWS_MAX};
pub use encode::Encoded;
pub use error::{Error, Problem};
pub use fingerprint::{Fingerprint, fingerprint, fingerprints};
pub use incoming::{FieldChange, IncomingTable, differences};
pub use io::{Fault, FaultyIo, Io, RealIo};
pub use kind::{Lines, TableKind, TableSet};
pub use layout::{KEEP_OFFSETS, Layout};
pub use load::{Loaded, load, load_with_progress};
pub use lock::{FolderLock, LOCK_FILE, LockOutcome, lock_folder, lock_folder_as};
pub use persist::save;
pub use read::LoadProgress;
pub use recover::{finish_interrupted, interrupted};
pub use redo::{Interrupted, Verdict};
pub use sheet::{RunSheet, SheetItem};
pub use snapshot::{TableRows, TableSnapshot};
pub use source::{DataSource, parse_source};
pub use table::{Positions, RowChange, Table};
pub use tail::{write_redo, write_tail, write_tail_with};
pub use write::{create_empty, read_text, write_atomic, write_atomic_with, write_file, write_tables};
pub use writer::{Saved, Writer};
