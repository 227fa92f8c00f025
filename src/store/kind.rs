//! The eight tables by name (which file, which order to write them in) and sets of
//! them; where each row came from. What each table *is* lives in `store::tables`.

/// The eight tables of a data folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableKind {
    /// `procedures.csv`
    Procedures,
    /// `steps.csv`
    Steps,
    /// `runs.csv`
    Runs,
    /// `run_steps.csv`
    RunSteps,
    /// `labels.csv`
    Labels,
    /// `procedure_labels.csv`
    ProcedureLabels,
    /// `versions.csv`
    Versions,
    /// `schedules.csv`
    Schedules,
}

impl TableKind {
    /// How many tables a folder has.
    pub const COUNT: usize = 8;

    /// The order to write tables in when rows were added: parents before children, so
    /// that a crash between two files never leaves a reference to a missing row.
    pub const PARENTS_FIRST: [TableKind; Self::COUNT] = [
        Self::Procedures,
        Self::Labels,
        Self::Steps,
        Self::Versions,
        Self::Schedules,
        Self::ProcedureLabels,
        Self::Runs,
        Self::RunSteps,
    ];

    /// All tables, in a fixed order.
    pub const ALL: [TableKind; Self::COUNT] = [
        Self::Procedures,
        Self::Steps,
        Self::Runs,
        Self::RunSteps,
        Self::Labels,
        Self::ProcedureLabels,
        Self::Versions,
        Self::Schedules,
    ];

    /// The file name in the folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Procedures => "procedures.csv",
            Self::Steps => "steps.csv",
            Self::Runs => "runs.csv",
            Self::RunSteps => "run_steps.csv",
            Self::Labels => "labels.csv",
            Self::ProcedureLabels => "procedure_labels.csv",
            Self::Versions => "versions.csv",
            Self::Schedules => "schedules.csv",
        }
    }

    /// A bit for sets of tables.
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of tables, e.g. the tables an op changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableSet(u8);

impl TableSet {
    /// No table.
    pub const EMPTY: TableSet = TableSet(0);

    /// Every table.
    pub fn all() -> Self {
        TableKind::ALL.iter().fold(Self::EMPTY, |s, t| s.with(*t))
    }

    /// This set plus `t`.
    #[must_use]
    pub fn with(self, t: TableKind) -> Self {
        Self(self.0 | t.bit())
    }

    /// Add `t`.
    pub fn insert(&mut self, t: TableKind) {
        self.0 |= t.bit();
    }

    /// Add all of `other`.
    pub fn extend(&mut self, other: TableSet) {
        self.0 |= other.0;
    }

    /// Whether `t` is in the set.
    pub fn contains(self, t: TableKind) -> bool {
        self.0 & t.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The tables in the set.
    pub fn iter(self) -> impl Iterator<Item = TableKind> {
        TableKind::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

/// The lines each row came from, per table, aligned with the table's rows.
#[derive(Clone, Debug, Default)]
pub struct Lines {
    pub(crate) per_table: [super::line_list::LineList; TableKind::COUNT],
}

impl Lines {
    /// The file line of the row at `index` of table `t` (0 when unknown, e.g. a new row).
    pub fn line(&self, t: TableKind, index: usize) -> u64 {
        self.per_table[t as usize].get(index).unwrap_or(0)
    }
}
