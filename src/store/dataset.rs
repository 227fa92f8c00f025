//! The in-memory, indexed picture of a data folder.

pub use super::index::RunStepsOf;
use super::index::{IdMap, RunStepIndex, grouped_by, set_or_remove};
use super::kind::{TableKind, TableSet};
use super::snapshot::{TableRows, TableSnapshot};
use super::table::Table;
use super::tables::Schema;
use crate::model::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// A row id as a table key.
fn row_key(id: u32) -> u64 {
    u64::from(id)
}

/// Every table of a folder plus the indexes the views and ops need.
///
/// Views read it; only `ops` change it (and record which tables changed).
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    /// `procedures.csv`
    pub procedures: Table<Procedure>,
    /// `steps.csv`
    pub steps: Table<Step>,
    /// `runs.csv`
    pub runs: Table<Run>,
    /// `run_steps.csv`
    pub run_steps: Table<RunStep>,
    /// `labels.csv`
    pub labels: Table<Label>,
    /// `procedure_labels.csv`, sorted by (procedure_id, label_id)
    pub procedure_labels: Table<ProcedureLabel>,
    /// `versions.csv`
    pub versions: Table<Version>,
    /// `schedules.csv`
    pub schedules: Table<Schedule>,
    /// Behind an `Arc` so a clone of the `Dataset` (for a worker thread) costs O(1).
    index: Arc<Index>,
    changed: TableSet,
    generation: u64,
    /// Per procedure, the generation of its last change (runs, ticks, edits).
    stamps: HashMap<ProcedureId, u64>,
    /// Which load this Dataset comes from (clones and changes keep it): per-procedure stamps
    /// compare only within one lineage.
    lineage: u64,
}

/// Counts loads, for [`Dataset::lineage`].
static LINEAGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

#[derive(Clone, Debug, Default)]
struct Index {
    steps_of: IdMap<ProcedureId, Vec<StepId>>,
    runs_of: IdMap<ProcedureId, Vec<RunId>>,
    run_steps: RunStepIndex,
    labels_of: IdMap<ProcedureId, Vec<LabelId>>,
    procedures_of_label: IdMap<LabelId, Vec<ProcedureId>>,
    versions_of: IdMap<ProcedureId, Vec<VersionId>>,
    in_progress: BTreeSet<RunId>,
}

impl Dataset {
    /// A Dataset from loaded tables without indexes yet: [`Dataset::indexed`] or [`Dataset::reindex`]
    /// builds them (`check` does not need them, so loading does both at once).
    #[allow(clippy::too_many_arguments, reason = "one argument per table of the folder")]
    pub fn unindexed(
        procedures: Table<Procedure>,
        steps: Table<Step>,
        runs: Table<Run>,
        run_steps: Table<RunStep>,
        labels: Table<Label>,
        procedure_labels: Table<ProcedureLabel>,
        versions: Table<Version>,
        schedules: Table<Schedule>,
    ) -> Self {
        Self {
            procedures,
            steps,
            runs,
            run_steps,
            labels,
            procedure_labels,
            versions,
            schedules,
            index: Arc::default(),
            changed: TableSet::EMPTY,
            generation: 0,
            stamps: HashMap::new(),
            lineage: LINEAGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// This Dataset with every index built.
    #[must_use]
    pub fn indexed(mut self) -> Self {
        self.reindex();
        self
    }

    /// The indexes, to change them (copied once if a worker thread still holds them).
    fn ix(&mut self) -> &mut Index {
        Arc::make_mut(&mut self.index)
    }

    /// Rebuild every index from the tables.
    pub fn reindex(&mut self) {
        let mut ix = Index::default();
        ix.runs_of.reserve(self.procedures.len());
        ix.steps_of = grouped_by(self.steps.rows().iter().map(|s| (s.procedure_id, (s.order, s.id))));
        for r in self.runs.rows() {
            ix.runs_of.entry(r.procedure_id).or_default().push(r.id);
            if r.status == RunStatus::InProgress {
                ix.in_progress.insert(r.id);
            }
        }
        ix.run_steps = RunStepIndex::build(self.runs.rows(), self.run_steps.rows());
        ix.versions_of = grouped_by(self.versions.rows().iter().map(|v| (v.procedure_id, (v.version, v.id))));
        self.index = Arc::new(ix);
        self.reindex_labels();
    }

    /// Rebuild the label indexes (both ways) from `procedure_labels`.
    pub(crate) fn reindex_labels(&mut self) {
        let mut labels_of: IdMap<ProcedureId, Vec<LabelId>> = IdMap::default();
        let mut procedures_of_label: IdMap<LabelId, Vec<ProcedureId>> = IdMap::default();
        for pl in self.procedure_labels.rows() {
            labels_of.entry(pl.procedure_id).or_default().push(pl.label_id);
            procedures_of_label.entry(pl.label_id).or_default().push(pl.procedure_id);
        }
        for v in labels_of.values_mut() {
            v.sort_by_key(|l| self.labels.get(row_key(l.0)).map(|l| l.name.to_lowercase()));
        }
        let ix = self.ix();
        ix.labels_of = labels_of;
        ix.procedures_of_label = procedures_of_label;
    }

    /// Rebuild the step and version indexes of one procedure.
    pub(crate) fn reindex_procedure(&mut self, pid: ProcedureId) {
        let steps = self.steps.rows().iter().filter(|s| s.procedure_id == pid).map(|s| (pid, (s.order, s.id)));
        let steps = grouped_by(steps).remove(&pid).unwrap_or_default();
        let versions = self.versions.rows().iter().filter(|v| v.procedure_id == pid).map(|v| (pid, (v.version, v.id)));
        let versions = grouped_by(versions).remove(&pid).unwrap_or_default();
        set_or_remove(&mut self.ix().steps_of, pid, steps);
        set_or_remove(&mut self.ix().versions_of, pid, versions);
    }

    /// Record a new run (and its run_steps, already in the tables) in the indexes.
    pub(crate) fn index_new_run(&mut self, run: RunId, pid: ProcedureId, run_steps: usize) {
        self.ix().runs_of.entry(pid).or_default().push(run);
        self.ix().in_progress.insert(run);
        // The usual case: the run and its steps are the last rows (their ids are new).
        let (runs, rows) = (self.runs.len(), self.run_steps.len());
        let last_run = self.runs.rows().last().map(|r| r.id);
        let appended = last_run == Some(run)
            && self.index.run_steps.scattered.is_none()
            && self.index.run_steps.spans.len() + 1 == runs
            && self.run_steps.rows()[rows - run_steps.min(rows)..].iter().all(|rs| rs.run_id == run);
        if appended {
            self.ix().run_steps.spans.push(((rows - run_steps) as u32, rows as u32));
        } else {
            self.ix().run_steps = RunStepIndex::build(self.runs.rows(), self.run_steps.rows());
        }
    }

    /// Record a run's new status in the indexes.
    pub(crate) fn index_run_status(&mut self, run: RunId, status: RunStatus) {
        if status == RunStatus::InProgress {
            self.ix().in_progress.insert(run);
        } else {
            self.ix().in_progress.remove(&run);
        }
    }

    /// Forget a procedure's runs in the indexes (after they were deleted).
    pub(crate) fn unindex_runs_of(&mut self, pid: ProcedureId) {
        for run in self.ix().runs_of.remove(&pid).unwrap_or_default() {
            self.ix().in_progress.remove(&run);
        }
        // Rows moved: the run step ranges are rebuilt.
        self.ix().run_steps = RunStepIndex::build(self.runs.rows(), self.run_steps.rows());
    }

    /// Runs another client added or removed (already in or out of `runs`): the indexes
    /// follow. The run step ranges grow when the new runs and their steps are the last
    /// rows (`runs_before` and `run_steps_before` rows were there), else are rebuilt.
    pub(super) fn index_remote_runs(
        &mut self,
        added: &[(RunId, ProcedureId, RunStatus)],
        removed: &[(RunId, ProcedureId)],
        (runs_before, run_steps_before, appended): (usize, usize, bool),
    ) {
        for (run, pid) in removed {
            if let Some(v) = self.ix().runs_of.get_mut(pid) {
                v.retain(|r| r != run);
            }
            self.ix().in_progress.remove(run);
        }
        for (run, pid, status) in added {
            let runs = self.ix().runs_of.entry(*pid).or_default();
            let at = runs.partition_point(|r| r < run);
            runs.insert(at, *run);
            self.index_run_status(*run, *status);
        }
        let grows =
            appended && self.index.run_steps.scattered.is_none() && self.index.run_steps.spans.len() == runs_before;
        let (runs, rows) = (self.runs.rows(), self.run_steps.rows());
        let mut spans = Vec::new();
        let mut at = run_steps_before;
        if grows {
            for run in &runs[runs_before..] {
                let start = at;
                while rows.get(at).is_some_and(|rs| rs.run_id == run.id) {
                    at += 1;
                }
                spans.push((start as u32, at as u32));
            }
        }
        if grows && at == rows.len() {
            self.ix().run_steps.spans.extend(spans);
        } else {
            self.ix().run_steps = RunStepIndex::build(self.runs.rows(), self.run_steps.rows());
        }
    }

    /// Count a change no procedure's stamp covers (a label's name or colour).
    pub(super) fn bump_generation(&mut self) {
        self.generation += 1;
    }

    /// Mark tables as changed (to be saved).
    pub fn mark_changed(&mut self, tables: TableSet) {
        if !tables.is_empty() {
            self.generation += 1;
        }
        self.changed.extend(tables);
    }

    /// Continue the generation counter of a Dataset this one replaces (a reload).
    pub fn set_generation(&mut self, generation: u64) {
        self.generation = generation;
    }

    /// Record that a procedure's data (its runs, ticks, steps) changed.
    pub fn touch_procedure(&mut self, pid: ProcedureId) {
        self.generation += 1;
        self.stamps.insert(pid, self.generation);
    }

    /// Which load this Dataset comes from: a view that cached rows per procedure may update
    /// only the procedures whose [`Dataset::procedure_stamp`] moved if the lineage is the same.
    pub fn lineage(&self) -> u64 {
        self.lineage
    }

    /// The generation of a procedure's last change (0: unchanged since loading).
    pub fn procedure_stamp(&self, pid: ProcedureId) -> u64 {
        self.stamps.get(&pid).copied().unwrap_or(0)
    }

    /// A counter that grows with every change: views cache derived data per generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The tables changed since the last [`Dataset::take_changed`].
    pub fn changed(&self) -> TableSet {
        self.changed
    }

    /// Take the set of changed tables, leaving it empty.
    pub fn take_changed(&mut self) -> TableSet {
        std::mem::take(&mut self.changed)
    }

    /// The procedure with this id.
    pub fn procedure(&self, id: ProcedureId) -> Option<&Procedure> {
        self.procedures.get(row_key(id.0))
    }

    /// The step with this id (current steps only; see [`Dataset::step_text`] for history).
    pub fn step(&self, id: StepId) -> Option<&Step> {
        self.steps.get(row_key(id.0))
    }

    /// The run with this id.
    pub fn run(&self, id: RunId) -> Option<&Run> {
        self.runs.get(row_key(id.0))
    }

    /// The run step with this id.
    pub fn run_step(&self, id: RunStepId) -> Option<&RunStep> {
        self.run_steps.get(row_key(id.0))
    }

    /// The tables, rows only, as the rules of `check` read them.
    pub(crate) fn tables(&self) -> super::tables::TablesRef<'_> {
        super::tables::TablesRef {
            procedures: &self.procedures,
            steps: &self.steps,
            runs: &self.runs,
            run_steps: &self.run_steps,
            labels: &self.labels,
            procedure_labels: &self.procedure_labels,
            versions: &self.versions,
            schedules: &self.schedules,
        }
    }

    /// The label with this id.
    pub fn label(&self, id: LabelId) -> Option<&Label> {
        self.labels.get(row_key(id.0))
    }

    /// The version row with this id.
    pub fn version(&self, id: VersionId) -> Option<&Version> {
        self.versions.get(row_key(id.0))
    }

    /// The schedule with this id.
    pub fn schedule(&self, id: ScheduleId) -> Option<&Schedule> {
        self.schedules.get(row_key(id.0))
    }

    /// The schedules of a procedure, by id (a few rows: a scan, no index to keep).
    pub fn schedules_of(&self, pid: ProcedureId) -> impl Iterator<Item = &Schedule> + '_ {
        self.schedules.rows().iter().filter(move |s| s.procedure_id == pid)
    }

    /// The current steps of a procedure, in order.
    pub fn steps_of(&self, pid: ProcedureId) -> impl Iterator<Item = &Step> + '_ {
        self.index.steps_of.get(&pid).into_iter().flatten().filter_map(|id| self.step(*id))
    }

    /// How many current steps a procedure has.
    pub fn step_count(&self, pid: ProcedureId) -> usize {
        self.index.steps_of.get(&pid).map_or(0, Vec::len)
    }

    /// The runs of a procedure, by id (oldest first).
    pub fn runs_of(&self, pid: ProcedureId) -> &[RunId] {
        self.index.runs_of.get(&pid).map_or(&[], Vec::as_slice)
    }

    /// The run_steps of a run, by id (the order they were created in: step order).
    pub fn run_steps_of(&self, run: RunId) -> RunStepsOf<'_> {
        let at = self.runs.position(row_key(run.0));
        self.run_steps_at(at.unwrap_or(usize::MAX))
    }

    /// The ids of a run's run_steps, in order.
    pub fn run_step_ids(&self, run: RunId) -> Vec<RunStepId> {
        self.run_steps_of(run).map(|rs| rs.id).collect()
    }

    /// A run and its run_steps (one search, not two).
    pub fn run_with_steps(&self, id: RunId) -> Option<(&Run, RunStepsOf<'_>)> {
        let at = self.runs.position(row_key(id.0))?;
        Some((self.runs.rows().get(at)?, self.run_steps_at(at)))
    }

    /// The run_steps of the run at position `at` of `runs` (no search).
    pub fn run_steps_at(&self, at: usize) -> RunStepsOf<'_> {
        let (from, to) = self.index.run_steps.spans.get(at).map_or((0, 0), |&(a, b)| (a as usize, b as usize));
        let rows = self.run_steps.rows();
        match &self.index.run_steps.scattered {
            None => RunStepsOf::Rows(rows.get(from..to).unwrap_or_default().iter()),
            Some(pos) => RunStepsOf::Scattered(rows, pos.get(from..to).unwrap_or_default().iter()),
        }
    }

    /// The labels of a procedure, by name.
    pub fn labels_of(&self, pid: ProcedureId) -> &[LabelId] {
        self.index.labels_of.get(&pid).map_or(&[], Vec::as_slice)
    }

    /// The procedures that carry a label.
    pub fn procedures_with_label(&self, label: LabelId) -> &[ProcedureId] {
        self.index.procedures_of_label.get(&label).map_or(&[], Vec::as_slice)
    }

    /// The versions of a procedure, oldest first.
    pub fn versions_of(&self, pid: ProcedureId) -> &[VersionId] {
        self.index.versions_of.get(&pid).map_or(&[], Vec::as_slice)
    }

    /// Runs in progress, by id.
    pub fn in_progress_runs(&self) -> impl Iterator<Item = RunId> + '_ {
        self.index.in_progress.iter().copied()
    }

    /// How many runs are in progress.
    pub fn in_progress_count(&self) -> usize {
        self.index.in_progress.len()
    }

    /// The snapshot of one version of a procedure, parsed.
    pub fn version_snapshot(&self, pid: ProcedureId, version: u32) -> Option<Snapshot> {
        self.version_of(pid, version).and_then(|v| Snapshot::parse(&v.procedure_snapshot).ok())
    }

    /// The row of version `version` of `pid`.
    pub fn version_of(&self, pid: ProcedureId, version: u32) -> Option<&Version> {
        self.versions_of(pid).iter().filter_map(|v| self.version(*v)).find(|v| v.version == version)
    }

    /// The text of a step as a run saw it: the current step, or else the newest
    /// version snapshot of the run's procedure that has this step id.
    pub fn step_text(&self, pid: ProcedureId, step: StepId) -> Option<String> {
        if let Some(s) = self.step(step) {
            return Some(s.description.clone());
        }
        self.step_in_versions(pid, step).map(|s| s.description)
    }

    /// A step found only in version snapshots of a procedure (newest first).
    pub fn step_in_versions(&self, pid: ProcedureId, step: StepId) -> Option<SnapshotStep> {
        self.versions_of(pid).iter().rev().filter_map(|v| self.version(*v)).find_map(|v| {
            let snap = Snapshot::parse(&v.procedure_snapshot).ok()?;
            snap.steps.into_iter().find(|s| s.id == Some(step.0))
        })
    }

    /// Row counts, for status bars and logs.
    pub fn counts(&self) -> [(TableKind, usize); TableKind::COUNT] {
        TableKind::ALL.map(|t| (t, self.row_count(t)))
    }

    /// Rows in a table.
    pub fn row_count(&self, t: TableKind) -> usize {
        match t {
            TableKind::Procedures => self.procedures.len(),
            TableKind::Steps => self.steps.len(),
            TableKind::Runs => self.runs.len(),
            TableKind::RunSteps => self.run_steps.len(),
            TableKind::Labels => self.labels.len(),
            TableKind::ProcedureLabels => self.procedure_labels.len(),
            TableKind::Versions => self.versions.len(),
            TableKind::Schedules => self.schedules.len(),
        }
    }
}

/// At most this many rows are copied for a tail write; a change further from the end
/// rewrites the whole file (sharing the rows, not copying them).
pub const TAIL_ROWS_MAX: usize = 20_000;

fn snapshot<R: Schema>(kind: TableKind, t: &mut Table<R>, wrap: fn(Arc<Vec<R>>) -> TableRows) -> TableSnapshot {
    let mut from = t.take_dirty_from().unwrap_or(0);
    // A changed row that needs a new column: the header changes, so the whole file is
    // written (once: the column stays from then on). The changed rows are known by id
    // when few; else every row from the first change is looked at.
    let needed = match t.take_touched(Schema::needs) {
        Some(mask) => t.new_columns | mask,
        None => t.rows()[from.min(t.len())..].iter().fold(t.new_columns, |m, r| m | r.needs()),
    };
    if needed != t.new_columns {
        t.new_columns = needed;
        from = 0;
    }
    let (rows, first_row) =
        if from > 0 && t.len().saturating_sub(from) <= TAIL_ROWS_MAX { (t.tail(from), from) } else { (t.shared(), 0) };
    TableSnapshot {
        kind,
        rows: wrap(rows),
        extra_columns: Arc::clone(&t.extra_columns),
        first_row,
        children_first: false,
        new_columns: t.new_columns,
    }
}

/// Snapshots for the writer and the marks that decide what the next save writes.
impl Dataset {
    /// Snapshots of the given tables for the writer: the rows changed since the last
    /// snapshot when they are few and recent (a tail), else all rows, shared in O(1).
    pub fn write_snapshots(&mut self, tables: TableSet) -> Vec<TableSnapshot> {
        // Rows removed: children first (run_steps before runs before procedures); else
        // parents first. Either way a crash between two files leaves no dangling reference.
        let removed = [
            self.procedures.take_removed(),
            self.steps.take_removed(),
            self.runs.take_removed(),
            self.run_steps.take_removed(),
            self.labels.take_removed(),
            self.procedure_labels.take_removed(),
            self.versions.take_removed(),
            self.schedules.take_removed(),
        ]
        .contains(&true);
        let mut order = TableKind::PARENTS_FIRST;
        if removed {
            order.reverse();
        }
        let snaps: Vec<TableSnapshot> = order
            .into_iter()
            .filter(|kind| tables.contains(*kind))
            .map(|kind| match kind {
                TableKind::Procedures => snapshot(kind, &mut self.procedures, TableRows::Procedures),
                TableKind::Steps => snapshot(kind, &mut self.steps, TableRows::Steps),
                TableKind::Runs => snapshot(kind, &mut self.runs, TableRows::Runs),
                TableKind::RunSteps => snapshot(kind, &mut self.run_steps, TableRows::RunSteps),
                TableKind::Labels => snapshot(kind, &mut self.labels, TableRows::Labels),
                TableKind::ProcedureLabels => snapshot(kind, &mut self.procedure_labels, TableRows::ProcedureLabels),
                TableKind::Versions => snapshot(kind, &mut self.versions, TableRows::Versions),
                TableKind::Schedules => snapshot(kind, &mut self.schedules, TableRows::Schedules),
            })
            .collect();
        snaps.into_iter().map(|s| TableSnapshot { children_first: removed, ..s }).collect()
    }

    /// Snapshots of all rows of the given tables, leaving the changed state alone (for
    /// the writer to learn the files' layout right after opening).
    pub fn current_tables(&self, tables: TableSet) -> Vec<TableSnapshot> {
        fn full<R: Row + Clone>(kind: TableKind, t: &Table<R>, wrap: fn(Arc<Vec<R>>) -> TableRows) -> TableSnapshot {
            TableSnapshot {
                kind,
                rows: wrap(t.shared()),
                extra_columns: Arc::clone(&t.extra_columns),
                first_row: 0,
                children_first: false,
                new_columns: t.new_columns,
            }
        }
        tables
            .iter()
            .map(|kind| match kind {
                TableKind::Procedures => full(kind, &self.procedures, TableRows::Procedures),
                TableKind::Steps => full(kind, &self.steps, TableRows::Steps),
                TableKind::Runs => full(kind, &self.runs, TableRows::Runs),
                TableKind::RunSteps => full(kind, &self.run_steps, TableRows::RunSteps),
                TableKind::Labels => full(kind, &self.labels, TableRows::Labels),
                TableKind::ProcedureLabels => full(kind, &self.procedure_labels, TableRows::ProcedureLabels),
                TableKind::Versions => full(kind, &self.versions, TableRows::Versions),
                TableKind::Schedules => full(kind, &self.schedules, TableRows::Schedules),
            })
            .collect()
    }

    /// The next save writes children first (a save that removed rows must be redone).
    pub fn mark_rows_removed(&mut self) {
        self.procedures.mark_removed();
    }

    /// Mark tables as changed in full: their next save rewrites the whole file.
    pub fn mark_full(&mut self, tables: TableSet) {
        for t in tables.iter() {
            match t {
                TableKind::Procedures => self.procedures.touch_all(),
                TableKind::Steps => self.steps.touch_all(),
                TableKind::Runs => self.runs.touch_all(),
                TableKind::RunSteps => self.run_steps.touch_all(),
                TableKind::Labels => self.labels.touch_all(),
                TableKind::ProcedureLabels => self.procedure_labels.touch_all(),
                TableKind::Versions => self.versions.touch_all(),
                TableKind::Schedules => self.schedules.touch_all(),
            }
        }
        self.mark_changed(tables);
    }
}
