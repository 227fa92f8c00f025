//! Business rules: every mutation of a [`Dataset`], validated, as one function.
//!
//! Each op checks its input, changes the `Dataset` (keeping its indexes), marks the tables
//! it changed (so only those are saved) and returns a [`Done`] with its result and
//! that set. Invalid calls return an [`OpError`]; nothing is changed then.

mod diff;
mod draft;
mod labels;
mod procedures;
mod runs;
mod schedules;

pub use diff::*;
pub use draft::*;
pub use labels::*;
pub use procedures::*;
pub use runs::*;
pub use schedules::*;

use crate::store::{Dataset, TableSet};

/// What an op produced and which tables it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Done<T> {
    /// The op's result (e.g. a new id).
    pub value: T,
    /// The tables that changed (empty when the op changed nothing).
    pub changed: TableSet,
}

/// Why an op was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpError {
    /// A referenced row does not exist.
    #[error("no {what} with id {id}")]
    NotFound {
        /// Kind of row.
        what: &'static str,
        /// The id asked for.
        id: u32,
    },
    /// The input breaks a rule.
    #[error("{0}")]
    Invalid(String),
}

/// The first of `count` new ids of a table, or a refusal that says the table is full.
fn new_ids<R: crate::model::Row + Clone>(
    table: &crate::store::Table<R>,
    count: usize,
    what: &str,
) -> Result<u32, OpError> {
    table.new_ids(count).ok_or_else(|| {
        OpError::Invalid(format!(
            "no ids left for new {what}: ids go up to {} and this folder uses the last of them",
            u32::MAX
        ))
    })
}

fn invalid<T>(msg: impl Into<String>) -> Result<T, OpError> {
    Err(OpError::Invalid(msg.into()))
}

fn done<T>(db: &mut Dataset, value: T, changed: TableSet) -> Result<Done<T>, OpError> {
    db.mark_changed(changed);
    Ok(Done { value, changed })
}
