//! Rows another client wrote to a team database, as its change feed brings them
//! (`pg::Feed`), applied to the in-memory `Dataset` row by row — no reload — keeping the
//! same indexes and per-procedure stamps a local change keeps, so every view refreshes
//! as it does after an op of this client. They are not logged as this client's changes
//! (nothing is sent back).

use super::dataset::Dataset;
use super::kind::TableKind;
use super::snapshot::TableRows;
use super::table::Table;
use crate::model::{ProcedureId, Row, RunStatus};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The rows of one table another client changed, as they are now.
#[derive(Clone, Debug)]
pub struct IncomingTable {
    /// Which table.
    pub kind: TableKind,
    /// The rows added or changed, in key order.
    pub rows: TableRows,
    /// Each row's revision in the database (aligned with `rows`).
    pub revisions: Vec<i64>,
    /// The keys removed.
    pub gone: Vec<u64>,
}

/// `$body` over the rows of `$rows` as a `Vec`, giving back the same kind of rows.
macro_rules! map_rows {
    ($rows:expr, $v:ident => $body:expr) => {
        match $rows {
            TableRows::Procedures($v) => TableRows::Procedures(Arc::new($body)),
            TableRows::Steps($v) => TableRows::Steps(Arc::new($body)),
            TableRows::Runs($v) => TableRows::Runs(Arc::new($body)),
            TableRows::RunSteps($v) => TableRows::RunSteps(Arc::new($body)),
            TableRows::Labels($v) => TableRows::Labels(Arc::new($body)),
            TableRows::ProcedureLabels($v) => TableRows::ProcedureLabels(Arc::new($body)),
            TableRows::Versions($v) => TableRows::Versions(Arc::new($body)),
            TableRows::Schedules($v) => TableRows::Schedules(Arc::new($body)),
        }
    };
}

impl IncomingTable {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty() && self.gone.is_empty()
    }

    /// Every key it names (rows and removals).
    pub fn keys(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = super::snapshot::with_rows!(&self.rows, rows => rows.iter().map(Row::key).collect());
        keys.extend(&self.gone);
        keys
    }

    /// Split off the rows and removals whose key `hold` picks (returned), keeping the rest.
    pub fn split_off(&mut self, hold: impl Fn(u64) -> bool) -> Self {
        let picks: Vec<bool> =
            super::snapshot::with_rows!(&self.rows, rows => rows.iter().map(|r| hold(r.key())).collect());
        let (mut kept_revisions, mut held_revisions) = (Vec::new(), Vec::new());
        for (r, pick) in self.revisions.iter().zip(&picks) {
            if *pick { &mut held_revisions } else { &mut kept_revisions }.push(*r);
        }
        let pick = |i: &usize| picks[*i];
        let held_rows =
            map_rows!(&self.rows, v => v.iter().enumerate().filter(|(i, _)| pick(i)).map(|(_, r)| r.clone()).collect());
        self.rows = map_rows!(&self.rows, v => v.iter().enumerate().filter(|(i, _)| !pick(i)).map(|(_, r)| r.clone()).collect());
        let (held_gone, kept_gone): (Vec<u64>, Vec<u64>) = self.gone.iter().partition(|k| hold(**k));
        self.gone = kept_gone;
        self.revisions = kept_revisions;
        Self { kind: self.kind, rows: held_rows, revisions: held_revisions, gone: held_gone }
    }

    /// Each key with its revision (`None`: removed).
    pub fn revisions(&self) -> Vec<(u64, Option<i64>)> {
        let keys: Vec<u64> = super::snapshot::with_rows!(&self.rows, rows => rows.iter().map(Row::key).collect());
        keys.into_iter()
            .zip(self.revisions.iter().map(|r| Some(*r)))
            .chain(self.gone.iter().map(|k| (*k, None)))
            .collect()
    }
}

/// What one table's rows did to the procedures and runs, for the indexes.
#[derive(Default)]
struct Effects {
    procedures: BTreeSet<ProcedureId>,
    /// Procedures whose steps or versions changed.
    reindex: BTreeSet<ProcedureId>,
    labels: bool,
    runs_added: Vec<(crate::model::RunId, ProcedureId, RunStatus)>,
    runs_removed: Vec<(crate::model::RunId, ProcedureId)>,
    /// Runs or run steps were added or removed.
    runs_moved: bool,
    /// Every added run or run step came after the last one there.
    appended: bool,
}

/// Each row that changed here: before and after.
type Done<R> = Vec<(Option<R>, Option<R>)>;

/// Apply rows to a table; the rows before and after of each that changed here, and
/// whether every new row came after the last one there.
fn apply<R: Row + Clone + PartialEq>(table: &mut Table<R>, rows: &Arc<Vec<R>>, gone: &[u64]) -> (Done<R>, bool) {
    let last = table.rows().last().map(Row::key);
    let appended = gone.is_empty() && rows.iter().all(|r| table.get(r.key()).is_some() || last < Some(r.key()));
    (table.apply_remote(rows.to_vec(), gone), appended)
}

impl Dataset {
    /// Apply rows another client wrote (parents first); how many rows changed here.
    pub fn apply_incoming(&mut self, tables: &[IncomingTable]) -> usize {
        let (runs_before, run_steps_before) = (self.runs.len(), self.run_steps.len());
        let mut fx = Effects { appended: true, ..Effects::default() };
        let mut changed = 0;
        for t in tables {
            changed += match &t.rows {
                TableRows::Procedures(rows) => {
                    let (done, _) = apply(&mut self.procedures, rows, &t.gone);
                    for (before, after) in &done {
                        fx.procedures.extend(before.iter().chain(after).map(|p| p.id));
                    }
                    done.len()
                }
                TableRows::Steps(rows) => {
                    let (done, _) = apply(&mut self.steps, rows, &t.gone);
                    for (before, after) in &done {
                        fx.reindex.extend(before.iter().chain(after).map(|s| s.procedure_id));
                    }
                    done.len()
                }
                TableRows::Versions(rows) => {
                    let (done, _) = apply(&mut self.versions, rows, &t.gone);
                    for (before, after) in &done {
                        fx.reindex.extend(before.iter().chain(after).map(|v| v.procedure_id));
                    }
                    done.len()
                }
                TableRows::Runs(rows) => {
                    let (done, appended) = apply(&mut self.runs, rows, &t.gone);
                    fx.appended &= appended;
                    for (before, after) in &done {
                        fx.procedures.extend(before.iter().chain(after).map(|r| r.procedure_id));
                        match (before, after) {
                            (None, Some(r)) => fx.runs_added.push((r.id, r.procedure_id, r.status)),
                            (Some(r), None) => fx.runs_removed.push((r.id, r.procedure_id)),
                            (Some(b), Some(a)) if b.procedure_id != a.procedure_id => {
                                fx.runs_removed.push((b.id, b.procedure_id));
                                fx.runs_added.push((a.id, a.procedure_id, a.status));
                            }
                            (Some(_), Some(a)) => self.index_run_status(a.id, a.status),
                            (None, None) => {}
                        }
                        fx.runs_moved |= before.is_none() || after.is_none();
                    }
                    done.len()
                }
                TableRows::RunSteps(rows) => {
                    let (done, appended) = apply(&mut self.run_steps, rows, &t.gone);
                    fx.appended &= appended;
                    for (before, after) in &done {
                        fx.runs_moved |= before.is_none() || after.is_none();
                        for rs in before.iter().chain(after) {
                            if let Some(run) = self.run(rs.run_id) {
                                fx.procedures.insert(run.procedure_id);
                            }
                        }
                    }
                    done.len()
                }
                TableRows::Labels(rows) => {
                    let (done, _) = apply(&mut self.labels, rows, &t.gone);
                    fx.labels |= !done.is_empty();
                    done.len()
                }
                TableRows::ProcedureLabels(rows) => {
                    let (done, _) = apply(&mut self.procedure_labels, rows, &t.gone);
                    for (before, after) in &done {
                        fx.procedures.extend(before.iter().chain(after).map(|l| l.procedure_id));
                    }
                    fx.labels |= !done.is_empty();
                    done.len()
                }
                TableRows::Schedules(rows) => {
                    let (done, _) = apply(&mut self.schedules, rows, &t.gone);
                    for (before, after) in &done {
                        fx.procedures.extend(before.iter().chain(after).map(|s| s.procedure_id));
                    }
                    done.len()
                }
            };
        }
        if fx.runs_moved || !fx.runs_added.is_empty() || !fx.runs_removed.is_empty() {
            self.index_remote_runs(
                &fx.runs_added,
                &fx.runs_removed,
                (runs_before, run_steps_before, fx.appended && fx.runs_removed.is_empty()),
            );
        }
        for pid in &fx.reindex {
            self.reindex_procedure(*pid);
        }
        if fx.labels {
            self.reindex_labels();
        }
        for pid in fx.reindex.iter().chain(&fx.procedures) {
            self.touch_procedure(*pid);
        }
        if changed > 0 {
            self.bump_generation();
        }
        changed
    }
}

/// One column in which two versions of a row differ, in the folder's spelling (`None`:
/// that version of the row is removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// The column's name.
    pub column: &'static str,
    /// This client's value.
    pub mine: Option<String>,
    /// The other's value.
    pub theirs: Option<String>,
}

/// The columns in which row `key` of `mine` and of `theirs` differ (a version not there:
/// every column the other has a value in).
pub fn differences(
    kind: TableKind,
    key: u64,
    mine: Option<&TableRows>,
    theirs: Option<&TableRows>,
) -> Vec<FieldChange> {
    let (mine, theirs) = (fields_of(kind, key, mine), fields_of(kind, key, theirs));
    let at = |f: &Option<Vec<String>>, i: usize| f.as_ref().map(|f| f.get(i).cloned().unwrap_or_default());
    kind.columns()
        .iter()
        .enumerate()
        .map(|(i, column)| FieldChange { column, mine: at(&mine, i), theirs: at(&theirs, i) })
        .filter(|c| c.mine != c.theirs && (c.mine.as_deref(), c.theirs.as_deref()) != (Some(""), None))
        .filter(|c| (c.mine.as_deref(), c.theirs.as_deref()) != (None, Some("")))
        .collect()
}

/// Row `key` of `rows` as canonical fields, every column.
fn fields_of(kind: TableKind, key: u64, rows: Option<&TableRows>) -> Option<Vec<String>> {
    let one = map_rows!(rows?, v => v.iter().filter(|r| r.key() == key).cloned().collect());
    if super::snapshot::with_rows!(&one, v => v.is_empty()) {
        return None;
    }
    let csv = super::TableSnapshot {
        kind,
        rows: one,
        extra_columns: Arc::default(),
        first_row: 0,
        children_first: false,
        new_columns: kind.all_new(),
    }
    .to_csv();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv.as_slice());
    let record = reader.records().next()?.ok()?;
    Some(record.iter().map(str::to_owned).collect())
}
