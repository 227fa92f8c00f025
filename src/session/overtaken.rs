//! A change of this window refused by the team database because someone else changed
//! the row first (issue #31). Nothing is written over theirs: the save state says who
//! changed what and when ([`SaveState::Overtaken`]), [`Session::overtaken`] has the
//! columns that differ, and the user chooses:
//!
//! - **Take theirs**: the refused changes are dropped and their rows read as they are now
//!   and applied (a row this window added goes away again).
//! - **Keep mine**: the refused changes are sent again as a new change over the revision
//!   shown (a row they removed is added back). Had the row changed once more meanwhile,
//!   it is refused again and shown again — never written over unseen.

use super::{SaveState, Session};
use crate::store::{ChangeSet, FieldChange, IncomingTable, TableKind, differences, pg};

/// What the user is asked to choose on.
#[derive(Clone, Debug)]
pub struct Overtaken {
    /// Who changed which row, when, and the row as it is now.
    pub theirs: pg::Theirs,
    /// The columns in which this window's version and theirs differ.
    pub fields: Vec<FieldChange>,
}

impl Overtaken {
    /// The message the status bar shows.
    pub fn message(&self) -> String {
        self.theirs.message()
    }
}

impl Session {
    /// The refused change the user is asked about, if any.
    pub fn overtaken(&self) -> Option<&Overtaken> {
        self.overtaken.as_ref()
    }

    /// The database refused `set` (kept in `unsent`) because of `theirs`.
    pub(super) fn on_overtaken(&mut self, set: &ChangeSet, theirs: pg::Theirs) {
        let (kind, key) = (theirs.kind, theirs.key);
        let mine = set.tables.iter().find(|t| t.kind == kind).map(|t| &t.rows);
        let now = theirs.now.iter().find(|t| t.kind == kind).map(|t| &t.rows);
        let fields = differences(kind, key, mine, now);
        self.save_state = SaveState::Overtaken(theirs.message());
        self.overtaken = Some(Overtaken { theirs, fields });
    }

    /// Resolve a refused change: keep mine (write it over theirs as a new change) or take
    /// theirs (see the module docs).
    pub(super) fn resolve_overtaken(&mut self, keep_mine: bool) {
        let Some(over) = self.overtaken.take() else { return };
        if keep_mine {
            self.keep_mine(&over.theirs);
        } else {
            self.take_theirs();
        }
    }

    fn keep_mine(&mut self, theirs: &pg::Theirs) {
        let (kind, key) = (theirs.kind, theirs.key);
        let Some(remote) = &mut self.remote else { return };
        // The next write names the revision shown.
        let seen: Vec<((TableKind, u64), Option<i64>)> =
            theirs.now.iter().flat_map(|t| t.revisions().into_iter().map(move |(k, r)| ((t.kind, k), r))).collect();
        remote.seen(seen.into_iter().filter(|(_, r)| r.is_some()).collect());
        if theirs.removed {
            for t in self.unsent.iter_mut().flat_map(|s| s.tables.iter_mut()).filter(|t| t.kind == kind) {
                // Removed by both: nothing left to remove. Changed here: added back.
                t.deleted.retain(|k| *k != key);
                let keys: Vec<u64> = t.keys();
                for (i, k) in keys.iter().enumerate().take(t.inserted.len()) {
                    if *k == key {
                        t.inserted[i] = true;
                    }
                }
            }
            self.unsent.retain(|s| !s.is_empty());
        }
        self.save_state = SaveState::Saved;
        self.resend_to_database();
    }

    fn take_theirs(&mut self) {
        if let Some(remote) = &mut self.remote {
            remote.forget(self.unsent.iter().map(|s| s.id.clone()).collect());
        }
        let mut keys: Vec<(TableKind, u64)> = self
            .unsent
            .drain(..)
            .flat_map(|s| s.tables)
            .flat_map(|t| t.keys().into_iter().map(move |k| (t.kind, k)))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        // What was held for them is older than what is read now.
        for t in &mut self.held {
            let kind = t.kind;
            drop(t.split_off(|k| keys.binary_search(&(kind, k)).is_ok()));
        }
        self.held.retain(|t| !t.is_empty());
        self.save_state = SaveState::Saved;
        self.refetch = keys;
        self.fetch_theirs();
        // Changes made while the question was open go now (theirs is applied under them).
        self.submit_changes();
    }

    /// Read the rows to take as they are now.
    pub(super) fn fetch_theirs(&mut self) {
        let Some(remote) = &mut self.remote else { return };
        if !self.refetch.is_empty() {
            remote.fetch(self.refetch.clone());
            self.save_state = SaveState::Saving;
        }
    }

    /// The rows to take, read as they are now (or why not).
    pub(super) fn on_fetched(&mut self, fetched: Result<Vec<IncomingTable>, String>) {
        match fetched {
            Ok(tables) => {
                self.refetch.clear();
                self.apply_remote(tables, &[]);
            }
            Err(why) => {
                log::warn!("reading their rows: {why}");
                self.save_state =
                    SaveState::Failed(format!("Their version could not be read ({why}); Retry reads it again"));
            }
        }
    }
}
