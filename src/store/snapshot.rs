//! The state of one table handed to the writer: all rows, or the changed tail, shared
//! with (not copied to) the writer thread.

use super::kind::TableKind;
use crate::model::*;
use std::sync::Arc;

/// Rows of one table, shared with (not copied to) the writer thread.
#[derive(Clone, Debug)]
pub enum TableRows {
    /// `procedures.csv`
    Procedures(Arc<Vec<Procedure>>),
    /// `steps.csv`
    Steps(Arc<Vec<Step>>),
    /// `runs.csv`
    Runs(Arc<Vec<Run>>),
    /// `run_steps.csv`
    RunSteps(Arc<Vec<RunStep>>),
    /// `labels.csv`
    Labels(Arc<Vec<Label>>),
    /// `procedure_labels.csv`
    ProcedureLabels(Arc<Vec<ProcedureLabel>>),
    /// `versions.csv`
    Versions(Arc<Vec<Version>>),
    /// `schedules.csv`
    Schedules(Arc<Vec<Schedule>>),
}

/// The state of one table to be written: all rows, or only the rows from
/// `first_row` on (a tail write, when only recent rows changed).
#[derive(Clone, Debug)]
pub struct TableSnapshot {
    /// Which table.
    pub kind: TableKind,
    /// Its rows from `first_row` to the end.
    pub rows: TableRows,
    /// Unknown columns, written after the known ones.
    pub extra_columns: Arc<Vec<String>>,
    /// Position of the first row in `rows` within the whole table.
    pub first_row: usize,
    /// Part of a save that removed rows, written children first.
    pub children_first: bool,
    /// Which of the table's new columns are written (see `Schema::NEW`).
    pub new_columns: u8,
}

/// `$body` with `$rows` bound to the rows of whichever table `$table_rows` holds.
macro_rules! with_rows {
    ($table_rows:expr, $rows:ident => $body:expr) => {
        match $table_rows {
            TableRows::Procedures($rows) => $body,
            TableRows::Steps($rows) => $body,
            TableRows::Runs($rows) => $body,
            TableRows::RunSteps($rows) => $body,
            TableRows::Labels($rows) => $body,
            TableRows::ProcedureLabels($rows) => $body,
            TableRows::Versions($rows) => $body,
            TableRows::Schedules($rows) => $body,
        }
    };
}

pub(crate) use with_rows;

impl TableSnapshot {
    /// Whether this holds every row (a full rewrite) rather than a tail.
    pub fn is_full(&self) -> bool {
        self.first_row == 0
    }

    /// How many rows this snapshot holds.
    pub fn len(&self) -> usize {
        with_rows!(&self.rows, rows => rows.len())
    }

    /// Whether it holds no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
