//! The run history's query: which runs (and missed occurrences of schedules) pass the
//! filters, in which order. Computed from the `Dataset`; the History view draws it, and on a
//! big folder asks a background thread for it (`background::Latest`).

use super::run_duration_secs;
use super::schedule::{Clock, Engine, Occurrence};
use crate::model::*;
use crate::store::Dataset;
use std::collections::{HashMap, HashSet};

/// Sortable columns of the history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HistorySort {
    /// Start time.
    #[default]
    Started,
    /// Procedure name.
    Procedure,
    /// Duration.
    Duration,
    /// Status.
    Status,
    /// Steps done.
    StepsDone,
}

/// Which runs by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StatusFilter {
    /// All.
    #[default]
    All,
    /// Only this status.
    Only(RunStatus),
    /// Only occurrences of schedules nobody started (not runs).
    Missed,
}

/// A line of the history: a run, or an occurrence of a schedule that was missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A run.
    Run(RunId),
    /// Missed: the index into the missed occurrences.
    Missed(usize),
}

/// Date range filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Range {
    /// Everything.
    #[default]
    All,
    /// The last 7 days.
    Days7,
    /// The last 30 days.
    Days30,
    /// The last 365 days.
    Days365,
}

impl Range {
    /// How many days back, if not all.
    pub fn days(self) -> Option<i64> {
        match self {
            Range::All => None,
            Range::Days7 => Some(7),
            Range::Days30 => Some(30),
            Range::Days365 => Some(365),
        }
    }
    /// Its name in the menu.
    pub fn label(self) -> &'static str {
        match self {
            Range::All => "All time",
            Range::Days7 => "Last 7 days",
            Range::Days30 => "Last 30 days",
            Range::Days365 => "Last 365 days",
        }
    }
}

/// What the history lists: its filters and order, for a state of the data and a day.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HistoryQuery {
    /// [`Dataset::generation`] of the data listed.
    pub generation: u64,
    /// In the procedure's name (lowercase).
    pub procedure: String,
    /// In the run's title, its starter's or a ticker's name (lowercase).
    pub who: String,
    /// Procedures with this label.
    pub label: Option<LabelId>,
    /// Runs by status, or missed occurrences only.
    pub status: StatusFilter,
    /// How far back.
    pub range: Range,
    /// Order.
    pub sort: HistorySort,
    /// Largest first.
    pub descending: bool,
    /// The day (wall seconds ÷ 86,400) the range counts back from.
    pub today: i64,
    /// List the missed occurrences of schedules among the runs.
    pub missed: bool,
}

/// The lines, the missed occurrences they point into, and how many older missed
/// occurrences are not listed.
pub type Listing = (Vec<Entry>, Vec<Occurrence>, usize);

/// The runs that pass the filters of `key`, sorted, with the missed occurrences of the
/// procedures that pass them (by time among the runs; after them in other sorts).
pub fn list(db: &Dataset, key: &HistoryQuery, now: Timestamp) -> Listing {
    // Procedures that pass the name and label filters (none: every procedure passes).
    let all = key.procedure.is_empty() && key.label.is_none();
    let procs: HashSet<ProcedureId> = if all {
        HashSet::new()
    } else {
        db.procedures
            .rows()
            .iter()
            .filter(|p| key.procedure.is_empty() || p.name.to_lowercase().contains(&key.procedure))
            .filter(|p| key.label.is_none_or(|l| db.labels_of(p.id).contains(&l)))
            .map(|p| p.id)
            .collect()
    };
    let since = key.range.days().map(|d| now.wall_secs() - d * 86_400);
    let runs: Vec<&Run> = db
        .runs
        .rows()
        .iter()
        .filter(|r| all || procs.contains(&r.procedure_id))
        .filter(|r| match key.status {
            StatusFilter::All => true,
            StatusFilter::Only(s) => r.status == s,
            StatusFilter::Missed => false,
        })
        .filter(|r| since.is_none_or(|s| r.start_time.to_local().wall_secs() >= s))
        .filter(|r| key.who.is_empty() || by_person_or_title(db, r, &key.who))
        .collect();
    // Keys computed once per run, then one sort of (key, id) pairs.
    fn sorted<K: Ord>(runs: &[&Run], key: impl Fn(&Run) -> K) -> Vec<RunId> {
        let mut keyed: Vec<(K, RunId)> = runs.iter().map(|r| (key(r), r.id)).collect();
        if !keyed.is_sorted() {
            keyed.sort_unstable();
        }
        keyed.into_iter().map(|(_, id)| id).collect()
    }
    let mut rows = match key.sort {
        HistorySort::Started => sorted(&runs, |r| r.start_time.sort_key()),
        HistorySort::Procedure => {
            // Names ranked once per procedure, not lowercased per run.
            let mut names: Vec<(String, ProcedureId)> =
                db.procedures.rows().iter().map(|p| (p.name.to_lowercase(), p.id)).collect();
            names.sort_unstable();
            let rank: HashMap<ProcedureId, usize> = names.into_iter().enumerate().map(|(i, (_, p))| (p, i)).collect();
            sorted(&runs, |r| rank.get(&r.procedure_id).copied())
        }
        HistorySort::Duration => sorted(&runs, run_duration_secs),
        HistorySort::Status => sorted(&runs, |r| r.status),
        HistorySort::StepsDone => sorted(&runs, |r| steps_done(db, r.id)),
    };
    if key.descending {
        rows.reverse();
    }
    let want_missed = key.status == StatusFilter::Missed || (key.missed && key.status == StatusFilter::All);
    if !want_missed || !key.who.is_empty() {
        return (rows.into_iter().map(Entry::Run).collect(), Vec::new(), 0);
    }
    let (mut missed, unlisted) = missed_occurrences(db, |p| all || procs.contains(&p), since, now);
    if key.descending {
        missed.reverse();
    }
    // Merge by time when sorted by start; else the missed ones come after the runs.
    let mut out = Vec::with_capacity(rows.len() + missed.len());
    let mut m = 0;
    for id in rows {
        if key.sort == HistorySort::Started
            && let Some(start) = db.run(id).map(|r| r.start_time.wall_secs())
        {
            while m < missed.len() && (missed[m].at.wall_secs() > start) == key.descending {
                out.push(Entry::Missed(m));
                m += 1;
            }
        }
        out.push(Entry::Run(id));
    }
    out.extend((m..missed.len()).map(Entry::Missed));
    (out, missed, unlisted)
}

/// The missed occurrences (oldest first) of the procedures `keep` passes, since `since`:
/// at most the newest [`MISSED_LISTED`] of each schedule, and how many older ones are
/// not listed (an every-minute rule misses 100,000 in 69 days).
fn missed_occurrences(
    db: &Dataset,
    keep: impl Fn(ProcedureId) -> bool,
    since: Option<i64>,
    now: Timestamp,
) -> (Vec<Occurrence>, usize) {
    let clock = Clock { now, ..Clock::system() };
    let mut engine = Engine::new();
    let procedures: std::collections::BTreeSet<ProcedureId> =
        db.schedules.rows().iter().filter(|s| s.active && keep(s.procedure_id)).map(|s| s.procedure_id).collect();
    let from = since.unwrap_or(i64::MIN);
    let (mut out, mut unlisted) = (Vec::new(), 0);
    for p in procedures {
        let (missed, more) = engine.missed_between(db, p, &clock, from, now.wall_secs(), MISSED_LISTED);
        out.extend(missed);
        unlisted += more;
    }
    out.sort_by_key(|o| (o.at.wall_secs(), o.procedure, o.schedule));
    (out, unlisted)
}

/// At most this many missed occurrences of one schedule are listed among the runs.
pub const MISSED_LISTED: usize = 1_000;

/// Whether `who` (lowercase) is in the run's title, its starter's name, or the name of
/// someone who ticked one of its steps.
fn by_person_or_title(db: &Dataset, r: &Run, who: &str) -> bool {
    let has = |text: &str| text.to_lowercase().contains(who);
    has(r.title())
        || has(r.started_by.as_str())
        || db.run_steps_of(r.id).any(|rs| !rs.completed_by.is_none() && has(rs.completed_by.as_str()))
}

/// Steps ticked and steps of a run.
pub fn steps_done(db: &Dataset, run: RunId) -> (usize, usize) {
    let steps = db.run_steps_of(run);
    let total = steps.len();
    (steps.filter(|s| s.completed).count(), total)
}
