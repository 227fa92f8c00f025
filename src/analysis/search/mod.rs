//! Finding procedures: the search the browser lists (rows per procedure, a gram index
//! over their texts, a filter worked through within a time budget, recent results kept).
//! Computed from the `Dataset`; the view only draws what it lists.

use super::schedule::NextDue;
use crate::model::*;
use crate::store::Dataset;
use std::collections::{BTreeSet, HashMap};

mod grams;
mod rows;

use grams::{GramIndex, RowSet, exact};
use rows::{build_row, build_rows};

/// Sort order of the browser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// By name, A–Z.
    #[default]
    Name,
    /// Most recently run first.
    LastRun,
    /// Most runs first.
    Runs,
    /// Highest completion rate first.
    CompletionRate,
    /// Most overdue first, then the soonest due; unscheduled last.
    NextDue,
}

impl Sort {
    /// Every order, as the menu lists them.
    pub const ALL: [Sort; 5] = [Sort::Name, Sort::NextDue, Sort::LastRun, Sort::Runs, Sort::CompletionRate];

    /// Its name in the sort menu.
    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "Name",
            Sort::LastRun => "Last run",
            Sort::Runs => "Runs",
            Sort::CompletionRate => "Completion rate",
            Sort::NextDue => "Next due",
        }
    }
}

/// Per-procedure numbers the table shows, computed once per data generation.
#[derive(Clone, Debug)]
pub struct SearchRow {
    /// The procedure.
    pub id: ProcedureId,
    /// Its name.
    pub name: String,
    /// The name lowercased, to sort by.
    name_key: String,
    /// What a search looks in (name, description, steps, labels), lowercased.
    haystack: String,
    /// Its steps.
    pub steps: usize,
    /// Its runs.
    pub runs: usize,
    /// When it last ran.
    pub last_run: Option<Timestamp>,
    /// Completed ÷ finished runs × 100.
    pub rate: Option<f64>,
}

/// (query, labels, sort) a filter was computed for.
type FilterKey = (String, BTreeSet<LabelId>, Sort);

/// The procedure search behind the browser: each procedure's row (rebuilt only for what
/// changed), a gram index over their texts, and the listed rows for a query, labels and
/// sort — worked through within a time budget a frame at a time, the recent results kept
/// to go back at once. The view owns one and asks it; it draws nothing.
#[derive(Debug, Default)]
pub struct ProcedureSearch {
    generation: Option<u64>,
    /// The [`Dataset::lineage`] the rows were built from.
    lineage: u64,
    rows: Vec<SearchRow>,
    /// Which rows' haystacks hold which bytes and byte pairs.
    grams: GramIndex,
    /// Indexes into `rows` by name (computed with the rows).
    by_name: Vec<usize>,
    /// What `visible` was computed for.
    key: Option<FilterKey>,
    /// Indexes into `rows`, filtered and sorted.
    visible: Vec<usize>,
    /// Recent filters, to go back at once (a backspace).
    recent: Vec<(FilterKey, Vec<usize>)>,
    /// The filter under way, if `visible` is not complete yet.
    pending: Option<Pending>,
    /// All rows in a sort order other than by name.
    ordered: Option<(Sort, Vec<usize>)>,
    /// Each scheduled procedure's next occurrence not done (from Today's agenda).
    due: HashMap<ProcedureId, NextDue>,
}

/// How many recent filters are kept.
const RECENT_FILTERS: usize = 16;

/// A filter under way: the rows of `source` before `done` are sorted into `visible`.
#[derive(Debug)]
struct Pending {
    /// Rows to look at, in the order to list them.
    source: Vec<usize>,
    done: usize,
    candidates: RowSet,
}

/// Filtering time per frame; a longer search goes on in the next frames.
pub const FRAME_FILTER_BUDGET: std::time::Duration = std::time::Duration::from_micros(2000);

/// Rows filtered between two looks at the clock.
const FILTER_BATCH: usize = 256;

impl ProcedureSearch {
    /// Start listing the rows `key` selects (at once when it is a recent one).
    fn start_filter(&mut self, key: FilterKey) {
        // The finished list goes to the recent ones (an unfinished one is dropped).
        let old = self.key.take();
        let finished = self.pending.take().is_none();
        if let Some(at) = self.recent.iter().position(|(k, _)| *k == key) {
            let (k, v) = self.recent.remove(at);
            self.visible = v.clone();
            self.recent.push((k, v));
            self.key = Some(key);
            return;
        }
        let words: Vec<&str> = key.0.split_whitespace().collect();
        // Typing on narrows the last result (each old word is inside a new one), which
        // is already in order: filter only that.
        let narrows = finished
            && old.as_ref().is_some_and(|(q, labels, sort)| {
                *labels == key.1
                    && *sort == key.2
                    && q.split_whitespace().all(|old| words.iter().any(|new| new.contains(old)))
            });
        let source = if narrows { self.visible.clone() } else { self.order(key.2) };
        // Rows holding every byte and byte pair of every word; a word the grams decide
        // exactly needs no substring search, the others are searched for in those rows.
        let candidates = self.grams.candidates(words.iter().map(|w| w.as_bytes()));
        if let Some(old) = old.filter(|_| finished) {
            self.recent.push((old, std::mem::take(&mut self.visible)));
            if self.recent.len() > RECENT_FILTERS {
                self.recent.remove(0);
            }
        }
        self.visible = Vec::with_capacity(source.len().min(1 << 16));
        self.pending = Some(Pending { source, done: 0, candidates });
        self.key = Some(key);
    }

    /// Every row in the order of `sort` (stable on top of the name order: ties stay by
    /// name), kept until the data or the sort changes.
    fn order(&mut self, sort: Sort) -> Vec<usize> {
        if sort == Sort::Name {
            return self.by_name.clone();
        }
        if let Some((s, order)) = &self.ordered
            && *s == sort
        {
            return order.clone();
        }
        let rows = &self.rows;
        let mut order = self.by_name.clone();
        match sort {
            Sort::Name => {}
            Sort::LastRun => order.sort_by_key(|i| std::cmp::Reverse(rows[*i].last_run.map(|t| t.sort_key()))),
            Sort::Runs => order.sort_by_key(|i| std::cmp::Reverse(rows[*i].runs)),
            Sort::CompletionRate => {
                let k = |i: &usize| rows[*i].rate.unwrap_or(-1.0);
                order.sort_by(|a, b| k(b).total_cmp(&k(a)));
            }
            Sort::NextDue => {
                let due = &self.due;
                order.sort_by_key(|i| due.get(&rows[*i].id).map_or(i64::MAX, |d| d.at.wall_secs()));
            }
        }
        self.ordered = Some((sort, order.clone()));
        order
    }

    /// Go on with the filter under way, for about `budget` (to the end without one;
    /// not at all with a zero budget, at least one batch with any other).
    fn filter_some(&mut self, db: &Dataset, budget: Option<std::time::Duration>) {
        let (Some(pending), Some(key)) = (&mut self.pending, &self.key) else { return };
        if budget == Some(std::time::Duration::ZERO) {
            return;
        }
        let started = std::time::Instant::now();
        let finders: Vec<memchr::memmem::Finder> = key
            .0
            .split_whitespace()
            .filter(|w| !exact(w.as_bytes()))
            .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
            .collect();
        let rows = &self.rows;
        let matches = |i: &usize| {
            pending.candidates.get(*i)
                && finders.iter().all(|f| f.find(rows[*i].haystack.as_bytes()).is_some())
                && key.1.iter().all(|l| db.labels_of(rows[*i].id).contains(l))
        };
        while pending.done < pending.source.len() {
            let end = (pending.done + FILTER_BATCH).min(pending.source.len());
            self.visible.extend(pending.source[pending.done..end].iter().copied().filter(matches));
            pending.done = end;
            if budget.is_some_and(|b| started.elapsed() >= b) {
                return;
            }
        }
        self.pending = None;
    }
}

impl ProcedureSearch {
    /// The data generation the rows were built for, if they are.
    pub fn built_for(&self) -> Option<u64> {
        self.generation
    }

    /// The rows (indexed by [`ProcedureSearch::visible`]).
    pub fn rows(&self) -> &[SearchRow] {
        &self.rows
    }

    /// The rows listed so far, in order.
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    /// Each scheduled procedure's next occurrence not done.
    pub fn due(&self) -> &HashMap<ProcedureId, NextDue> {
        &self.due
    }

    /// The ids listed so far, in order.
    pub fn listed(&self) -> Vec<ProcedureId> {
        self.visible.iter().map(|i| self.rows[*i].id).collect()
    }

    /// Whether a search is still being worked through (over a few frames).
    pub fn searching(&self) -> bool {
        self.pending.is_some()
    }

    /// Forget the listing (rows taken from a search built on another thread).
    pub fn forget_listing(&mut self) {
        self.key = None;
        self.pending = None;
        self.recent.clear();
    }

    /// Take each procedure's next due occurrence (the Next due column and sort).
    pub fn set_due(&mut self, due: &HashMap<ProcedureId, NextDue>, sort: Sort) {
        if self.due == *due {
            return;
        }
        self.due = due.clone();
        if sort == Sort::NextDue {
            self.key = None;
            self.pending = None;
            self.ordered = None;
            self.recent.clear();
        }
    }

    /// Rebuild rows for new data and list those `query`, `labels` and `sort` select —
    /// completely, or (with a `budget`) for about that long: a search over 100,000
    /// procedures' texts lists a first screenful at once and the rest over the next
    /// frames. A zero budget only rebuilds rows and starts the search.
    pub fn refresh(
        &mut self,
        db: &Dataset,
        query: &str,
        labels: &BTreeSet<LabelId>,
        sort: Sort,
        budget: Option<std::time::Duration>,
    ) {
        if self.generation != Some(db.generation()) {
            self.rebuild(db);
        }
        let key = (query.trim().to_lowercase(), labels.clone(), sort);
        if self.key.as_ref() != Some(&key) {
            self.start_filter(key);
        }
        self.filter_some(db, budget);
    }

    /// The rows for new data: only those of procedures changed since when the same
    /// procedures are there (a tick changes one), all of them otherwise.
    fn rebuild(&mut self, db: &Dataset) {
        let procedures = db.procedures.rows();
        let same = self.lineage == db.lineage()
            && self.rows.len() == procedures.len()
            && self.rows.iter().zip(procedures).all(|(r, p)| r.id == p.id);
        let mut renamed = !same;
        match self.generation {
            Some(since) if same => {
                for (i, (row, p)) in self.rows.iter_mut().zip(procedures).enumerate() {
                    if db.procedure_stamp(p.id) > since {
                        let new = build_row(db, p);
                        renamed |= new.name_key != row.name_key;
                        if new.haystack != row.haystack {
                            self.grams.set_row(i, new.haystack.as_bytes());
                        }
                        *row = new;
                    }
                }
            }
            _ => {
                self.rows = build_rows(db);
                self.grams = GramIndex::of(self.rows.iter().map(|r| r.haystack.as_bytes()));
            }
        }
        if renamed {
            let rows = &self.rows;
            let mut by_name: Vec<usize> = (0..rows.len()).collect();
            by_name.sort_by(|a, b| rows[*a].name_key.cmp(&rows[*b].name_key));
            self.by_name = by_name;
        }
        self.generation = Some(db.generation());
        self.lineage = db.lineage();
        self.key = None;
        self.pending = None;
        self.ordered = None;
        self.recent.clear();
    }
}
