//! Frequency and trends over calendar periods.

use super::{completion_rate, median_of, run_duration_secs};
use crate::model::*;
use chrono::{Datelike as _, NaiveDate};
use std::collections::BTreeMap;

/// A calendar bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// ISO week: (ISO year, week 1..=53).
    Week(i32, u32),
    /// Calendar month: (year, month 1..=12).
    Month(i32, u32),
}

/// Bucket size for [`frequency`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// ISO weeks.
    Week,
    /// Calendar months.
    Month,
}

impl Period {
    /// The bucket a date falls in.
    pub fn of(date: NaiveDate, g: Granularity) -> Self {
        match g {
            Granularity::Week => {
                let w = date.iso_week();
                Self::Week(w.year(), w.week())
            }
            Granularity::Month => Self::Month(date.year(), date.month()),
        }
    }

    /// First day of the bucket.
    pub fn start(self) -> NaiveDate {
        match self {
            Self::Week(y, w) => NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon).unwrap_or_default(),
            Self::Month(y, m) => NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default(),
        }
    }

    /// `2025-W03` or `2025-01`.
    pub fn label(self) -> String {
        match self {
            Self::Week(y, w) => format!("{y}-W{w:02}"),
            Self::Month(y, m) => format!("{y}-{m:02}"),
        }
    }
}

/// Runs started per period, in period order.
pub fn frequency<'a>(runs: impl IntoIterator<Item = &'a Run>, g: Granularity) -> Vec<(Period, usize)> {
    let mut m: BTreeMap<Period, usize> = BTreeMap::new();
    for r in runs {
        *m.entry(Period::of(r.start_time.local_date(), g)).or_default() += 1;
    }
    m.into_iter().collect()
}

/// One ISO week of a trend.
#[derive(Clone, Debug, PartialEq)]
pub struct WeekTrend {
    /// The week.
    pub week: Period,
    /// Runs started that week.
    pub runs: usize,
    /// Completion rate of the runs started that week (finished ones only).
    pub completion_rate: Option<f64>,
    /// Median duration of the completed runs started that week.
    pub median_duration_secs: Option<f64>,
}

/// Per ISO week: runs started, completion rate, median duration.
pub fn trends<'a>(runs: impl IntoIterator<Item = &'a Run>) -> Vec<WeekTrend> {
    #[derive(Default)]
    struct Acc {
        runs: usize,
        completed: usize,
        cancelled: usize,
        durations: Vec<f64>,
    }
    let mut m: BTreeMap<Period, Acc> = BTreeMap::new();
    for r in runs {
        let a = m.entry(Period::of(r.start_time.local_date(), Granularity::Week)).or_default();
        a.runs += 1;
        match r.status {
            RunStatus::Completed => a.completed += 1,
            RunStatus::Cancelled => a.cancelled += 1,
            RunStatus::InProgress => {}
        }
        if let Some(d) = run_duration_secs(r) {
            a.durations.push(d as f64);
        }
    }
    m.into_iter()
        .map(|(week, mut a)| WeekTrend {
            week,
            runs: a.runs,
            completion_rate: completion_rate(a.completed, a.cancelled),
            median_duration_secs: median_of(&mut a.durations),
        })
        .collect()
}
