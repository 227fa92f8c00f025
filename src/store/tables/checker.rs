//! What a table's rules need to look at: the folder, where rows came from, which
//! tables lost rows to parse errors, which ids exist.

use crate::model::*;
use crate::store::error::Problem;
use crate::store::kind::{Lines, TableKind, TableSet};
use crate::store::table::Table;

/// The eight tables as the rules see them (rows only, no indexes): what a `Dataset`
/// lends them (`Dataset::tables`), so the rules, which live with each table, need
/// nothing above the tables.
#[derive(Clone, Copy)]
pub(crate) struct TablesRef<'a> {
    pub procedures: &'a Table<Procedure>,
    pub steps: &'a Table<Step>,
    pub runs: &'a Table<Run>,
    pub run_steps: &'a Table<RunStep>,
    pub labels: &'a Table<Label>,
    pub procedure_labels: &'a Table<ProcedureLabel>,
    pub versions: &'a Table<Version>,
    pub schedules: &'a Table<Schedule>,
}

impl<'a> TablesRef<'a> {
    /// A label by id.
    pub fn label(&self, id: LabelId) -> Option<&'a Label> {
        self.labels.get(u64::from(id.0))
    }
}

/// What a table's rules need: the folder, where rows came from, which tables are whole.
pub(crate) struct Checker<'a> {
    /// The tables (not their indexes: loading builds those meanwhile).
    pub db: TablesRef<'a>,
    lines: &'a Lines,
    /// Tables that lost rows to parse errors: references into them are not reported
    /// again (the parse error already says what is wrong).
    pub has_procedures: bool,
    pub has_steps: bool,
    pub has_runs: bool,
    pub has_run_steps: bool,
    pub has_labels: bool,
    procedure_exists: Exists,
}

impl<'a> Checker<'a> {
    /// For checking `db`, whose rows came from `lines`; `incomplete` tables lost rows.
    pub fn new(db: TablesRef<'a>, lines: &'a Lines, incomplete: TableSet) -> Self {
        Self {
            db,
            lines,
            has_procedures: !incomplete.contains(TableKind::Procedures),
            has_steps: !incomplete.contains(TableKind::Steps) && !incomplete.contains(TableKind::Versions),
            has_runs: !incomplete.contains(TableKind::Runs),
            has_run_steps: !incomplete.contains(TableKind::RunSteps),
            has_labels: !incomplete.contains(TableKind::Labels),
            // Which procedure ids exist (ids are dense: a bitmap beats a search per row).
            procedure_exists: Exists::of(db.procedures.rows().iter().map(|p| p.id.0)),
        }
    }

    /// A problem at row `index` of table `t`.
    pub fn problem(&self, t: TableKind, index: usize, col: &str, msg: String) -> Problem {
        Problem::new(t.file_name(), self.lines.line(t, index), Some(col), msg)
    }

    /// Whether a reference to this procedure is fine.
    pub fn known_procedure(&self, id: ProcedureId) -> bool {
        !self.has_procedures || self.procedure_exists.has(id.0)
    }
}

/// Which ids of a table exist, for a check per row: a bitmap when the ids are dense
/// (the usual case), else the sorted ids (a file with a huge id must not cost gigabytes).
pub(crate) enum Exists {
    Bits(Vec<bool>),
    Sorted(Vec<u32>),
}

impl Exists {
    /// From ids in increasing order.
    pub(crate) fn of(ids: impl Iterator<Item = u32> + Clone) -> Self {
        let (count, max) = ids.clone().fold((0usize, 0u32), |(n, m), id| (n + 1, m.max(id)));
        if max as usize > 4 * count + (1 << 20) {
            return Self::Sorted(ids.collect());
        }
        let mut v = vec![false; max as usize + 1];
        for id in ids {
            v[id as usize] = true;
        }
        Self::Bits(v)
    }

    pub(crate) fn has(&self, id: u32) -> bool {
        match self {
            Self::Bits(v) => v.get(id as usize).copied().unwrap_or(false),
            Self::Sorted(v) => v.binary_search(&id).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Exists;

    #[test]
    fn id_sets_are_small_even_with_a_huge_id() {
        let dense = Exists::of([1, 2, 5].into_iter());
        assert!(matches!(dense, Exists::Bits(_)));
        let sparse = Exists::of([1, 5, 4_000_000_000].into_iter());
        assert!(matches!(sparse, Exists::Sorted(_)));
        for set in [dense, sparse] {
            assert!(set.has(1) && set.has(5) && !set.has(3) && !set.has(6) && !set.has(u32::MAX));
        }
    }
}
