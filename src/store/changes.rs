//! What ops changed, row by row: the change set a team database writes (one
//! transaction per op), and the id blocks it reserves so new rows never collide.
//!
//! A folder saves by position (`Dataset::write_snapshots`: the tail from the first
//! changed row); a database saves by key: each table's log of inserted, updated and
//! removed keys (`Table::take_row_changes`) is taken after every op with the rows as they
//! are now.

use super::dataset::Dataset;
use super::kind::TableKind;
use super::snapshot::TableRows;
use super::table::{RowChange, Table};
use crate::model::Row;
use std::sync::Arc;

/// `$body` with `$t` bound to the `Table` of `$kind` in the Dataset `$db` (`ref`: shared).
macro_rules! with_table {
    (ref $db:expr, $kind:expr, $t:ident => $body:expr) => {
        match $kind {
            TableKind::Procedures => {
                let $t = &$db.procedures;
                $body
            }
            TableKind::Steps => {
                let $t = &$db.steps;
                $body
            }
            TableKind::Runs => {
                let $t = &$db.runs;
                $body
            }
            TableKind::RunSteps => {
                let $t = &$db.run_steps;
                $body
            }
            TableKind::Labels => {
                let $t = &$db.labels;
                $body
            }
            TableKind::ProcedureLabels => {
                let $t = &$db.procedure_labels;
                $body
            }
            TableKind::Versions => {
                let $t = &$db.versions;
                $body
            }
            TableKind::Schedules => {
                let $t = &$db.schedules;
                $body
            }
        }
    };
    ($db:expr, $kind:expr, $t:ident => $body:expr) => {
        match $kind {
            TableKind::Procedures => {
                let $t = &mut $db.procedures;
                $body
            }
            TableKind::Steps => {
                let $t = &mut $db.steps;
                $body
            }
            TableKind::Runs => {
                let $t = &mut $db.runs;
                $body
            }
            TableKind::RunSteps => {
                let $t = &mut $db.run_steps;
                $body
            }
            TableKind::Labels => {
                let $t = &mut $db.labels;
                $body
            }
            TableKind::ProcedureLabels => {
                let $t = &mut $db.procedure_labels;
                $body
            }
            TableKind::Versions => {
                let $t = &mut $db.versions;
                $body
            }
            TableKind::Schedules => {
                let $t = &mut $db.schedules;
                $body
            }
        }
    };
}

/// The changed rows of one table.
#[derive(Clone, Debug)]
pub struct TableChanges {
    /// Which table.
    pub kind: TableKind,
    /// The rows inserted or updated, as they are now, in key order.
    pub rows: TableRows,
    /// Per row of `rows`: whether it is new (else it was there before and changed).
    pub inserted: Vec<bool>,
    /// The keys of the rows removed.
    pub deleted: Vec<u64>,
}

impl TableChanges {
    /// How many rows change.
    pub fn len(&self) -> usize {
        self.inserted.len() + self.deleted.len()
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of every row it changes.
    pub fn keys(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = super::snapshot::with_rows!(&self.rows, rows => rows.iter().map(Row::key).collect());
        keys.extend(&self.deleted);
        keys
    }
}

/// Everything one op (or the ops since the last save) changed, table by table, parents
/// first.
#[derive(Clone, Debug, Default)]
pub struct ChangeSet {
    /// The tables with changes.
    pub tables: Vec<TableChanges>,
    /// Made by this client, unique: a team database records it with the rows, so the
    /// set sent again is applied once (empty: not recorded).
    pub id: String,
}

impl ChangeSet {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.tables.iter().all(TableChanges::is_empty)
    }

    /// How many rows changed.
    pub fn rows(&self) -> usize {
        self.tables.iter().map(TableChanges::len).sum()
    }
}

fn take<R: Row + Clone>(kind: TableKind, t: &mut Table<R>, wrap: fn(Arc<Vec<R>>) -> TableRows) -> TableChanges {
    let log = t.take_row_changes();
    let mut rows = Vec::new();
    let mut inserted = Vec::new();
    let mut deleted = Vec::new();
    for (key, change) in log {
        match change {
            RowChange::Deleted => deleted.push(key),
            RowChange::Inserted | RowChange::Updated => {
                // A row the log names is there (it was inserted or changed and not removed).
                if let Some(r) = t.get(key) {
                    rows.push(r.clone());
                    inserted.push(change == RowChange::Inserted);
                }
            }
        }
    }
    TableChanges { kind, rows: wrap(Arc::new(rows)), inserted, deleted }
}

impl Dataset {
    /// The rows changed since the last call, per table (parents first), and forget them.
    pub fn take_change_set(&mut self) -> ChangeSet {
        let tables = TableKind::PARENTS_FIRST
            .into_iter()
            .map(|kind| match kind {
                TableKind::Procedures => take(kind, &mut self.procedures, TableRows::Procedures),
                TableKind::Steps => take(kind, &mut self.steps, TableRows::Steps),
                TableKind::Runs => take(kind, &mut self.runs, TableRows::Runs),
                TableKind::RunSteps => take(kind, &mut self.run_steps, TableRows::RunSteps),
                TableKind::Labels => take(kind, &mut self.labels, TableRows::Labels),
                TableKind::ProcedureLabels => take(kind, &mut self.procedure_labels, TableRows::ProcedureLabels),
                TableKind::Versions => take(kind, &mut self.versions, TableRows::Versions),
                TableKind::Schedules => take(kind, &mut self.schedules, TableRows::Schedules),
            })
            .filter(|c| !c.is_empty())
            .collect();
        ChangeSet { tables, id: new_op_id() }
    }

    /// Forget the rows changed (a folder saves by position and does not need them).
    pub fn forget_row_changes(&mut self) {
        for kind in TableKind::ALL {
            with_table!(self, kind, t => drop(t.take_row_changes()));
        }
    }

    /// Per table that makes ids (all but `procedure_labels`), how many more ids to reserve
    /// now so the next op finds enough: none while its block holds what the largest op
    /// can take (a run of the longest procedure, a procedure of as many steps).
    pub fn id_blocks_wanted(&self) -> Vec<(TableKind, u64)> {
        const BLOCK: u64 = 1000;
        let longest = self.procedures.rows().iter().map(|p| self.step_count(p.id) as u64).max().unwrap_or(0);
        let need = |kind: TableKind| match kind {
            TableKind::RunSteps | TableKind::Steps => longest.max(64),
            _ => 16,
        };
        let mut want = Vec::new();
        for kind in TableKind::ALL.into_iter().filter(|k| *k != TableKind::ProcedureLabels) {
            let left = with_table!(ref self, kind, t => t.ids_left());
            let need = need(kind);
            if left.unwrap_or(0) < need {
                want.push((kind, (need * 4).max(BLOCK)));
            }
        }
        want
    }

    /// Take the ids of `kind` from `first..end` (a block the team database reserved).
    pub fn set_id_block(&mut self, kind: TableKind, first: u64, end: u64) {
        with_table!(self, kind, t => t.set_id_block(first, end));
    }
}

/// A new change set id: 128 random bits from the system, as hex ("" when the system has
/// no randomness to give: the set is then not recorded, as before ids).
fn new_op_id() -> String {
    let mut bytes = [0u8; 16];
    match getrandom::fill(&mut bytes) {
        Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Err(e) => {
            log::warn!("no random bytes for a change set id: {e}");
            String::new()
        }
    }
}
