//! Computes reports on a worker thread so the UI never waits for analytics.

use super::{Report, Selection};
use crate::store::Dataset;
use chrono::NaiveDate;

/// What a report was computed for: the state of the data it covers, the selection,
/// and today's date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReportKey {
    /// For one procedure, [`Dataset::procedure_stamp`] (other procedures' changes do not
    /// invalidate it); for several, [`Dataset::generation`].
    pub generation: u64,
    /// The selection.
    pub selection: Selection,
    /// Today (for relative date ranges).
    pub today: NaiveDate,
}

impl ReportKey {
    /// The key of a selection's report for the current data.
    pub fn of(db: &Dataset, selection: Selection, today: NaiveDate) -> Self {
        let generation = match selection.procedure {
            Some(p) => db.procedure_stamp(p),
            None => db.generation(),
        };
        Self { generation, selection, today }
    }
}

/// Handle to the analytics thread.
pub struct Worker(super::background::Latest<(ReportKey, Dataset), (ReportKey, Report)>);

impl Worker {
    /// Start the thread; `wake` is called when a report is ready.
    pub fn spawn(wake: impl Fn() + Send + 'static) -> Self {
        // Schedules' expansions are kept from one report to the next.
        let mut engine = super::schedule::Engine::new();
        let work = move |(key, db): (ReportKey, Dataset)| {
            let clock = super::schedule::Clock::system();
            let r = super::report_with(&mut engine, &db, &key.selection, key.today, &clock);
            drop(db);
            // The computation's scratch memory (per procedure lists) goes back.
            crate::memory::give_back();
            (key, r)
        };
        Self(super::background::Latest::spawn("analytics", work, wake))
    }

    /// Ask for a report (`db` is a cheap clone: its tables are shared).
    pub fn request(&self, key: ReportKey, db: Dataset) {
        self.0.request((key, db));
    }

    /// The newest finished report, if any arrived.
    pub fn poll(&self) -> Option<(ReportKey, Report, std::time::Duration)> {
        self.0.poll().map(|((k, r), t)| (k, r, t))
    }

    /// Wait for the next finished report (tests).
    pub fn wait(&self) -> Option<(ReportKey, Report, std::time::Duration)> {
        self.0.wait(std::time::Duration::from_secs(30)).map(|((k, r), t)| (k, r, t))
    }
}
