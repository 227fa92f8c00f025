//! Runs over time, for the Analytics view: runs per week and month by status, the
//! completed runs' durations for the plot (a sample of many) and their median line.

use super::{Granularity, Period, median_of, run_duration_secs};
use crate::model::*;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Runs started per period, by status.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodCounts {
    /// The period.
    pub period: Period,
    /// Completed runs started in it.
    pub completed: usize,
    /// Cancelled runs started in it.
    pub cancelled: usize,
    /// Runs still in progress started in it.
    pub in_progress: usize,
}

/// One completed run on the duration plot.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPoint {
    /// The run.
    pub run: RunId,
    /// Its procedure.
    pub procedure: ProcedureId,
    /// Start, in days since 1970-01-01 (local wall clock), for the time axis.
    pub day: f64,
    /// Duration in seconds.
    pub secs: f64,
}

/// The duration plot shows at most this many runs (every k-th of more).
pub const PLOT_MAX_POINTS: usize = 4_000;

/// Runs in the rolling median window.
pub const ROLLING_WINDOW: usize = 9;

/// Above this many completed runs the median line is per ISO week.
pub const ROLLING_MAX_RUNS: usize = 2_000;

/// Days since 1970-01-01 of a timestamp's local wall clock (fractional).
pub fn day_number(t: Timestamp) -> f64 {
    t.to_local().wall_secs() as f64 / 86_400.0
}

/// The date of a day number.
pub fn day_date(day: f64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp((day * 86_400.0).floor() as i64, 0).map(|d| d.date_naive())
}

/// The week and month of local day numbers, remembered for the last day asked (runs
/// come mostly in day order, and a calendar conversion per run is what costs).
struct Calendar {
    day: i64,
    week: Period,
    month: Period,
}

impl Calendar {
    fn new() -> Self {
        Self { day: i64::MIN, week: Period::Week(0, 0), month: Period::Month(0, 0) }
    }

    /// (week, month) of the day `day` days after 1970-01-01.
    fn periods(&mut self, day: i64) -> (Period, Period) {
        if day != self.day {
            let date = NaiveDate::from_num_days_from_ce_opt((day + 719_163).clamp(1, i64::from(i32::MAX)) as i32)
                .unwrap_or_default();
            (self.day, self.week, self.month) =
                (day, Period::of(date, Granularity::Week), Period::of(date, Granularity::Month));
        }
        (self.week, self.month)
    }
}

/// The local day number of a timestamp.
pub(super) fn local_day(t: Timestamp) -> i64 {
    t.to_local().wall_secs().div_euclid(86_400)
}

/// Runs per week and per month, by status.
pub(super) fn counts(runs: &[&Run]) -> (Vec<PeriodCounts>, Vec<PeriodCounts>) {
    let mut weeks: BTreeMap<Period, PeriodCounts> = BTreeMap::new();
    let mut months: BTreeMap<Period, PeriodCounts> = BTreeMap::new();
    let mut cal = Calendar::new();
    // Consecutive runs of one period add up before touching the maps.
    let add = |m: &mut BTreeMap<Period, PeriodCounts>, period: Period, n: [usize; 3]| {
        let c = m.entry(period).or_insert(PeriodCounts { period, completed: 0, cancelled: 0, in_progress: 0 });
        c.completed += n[0];
        c.cancelled += n[1];
        c.in_progress += n[2];
    };
    let mut current: Option<(Period, Period, [usize; 3])> = None;
    for r in runs {
        let (week, month) = cal.periods(local_day(r.start_time));
        if current.is_some_and(|(w, m, _)| w != week || m != month)
            && let Some((w, m, n)) = current.take()
        {
            add(&mut weeks, w, n);
            add(&mut months, m, n);
        }
        let n = &mut current.get_or_insert((week, month, [0; 3])).2;
        n[match r.status {
            RunStatus::Completed => 0,
            RunStatus::Cancelled => 1,
            RunStatus::InProgress => 2,
        }] += 1;
    }
    if let Some((w, m, n)) = current {
        add(&mut weeks, w, n);
        add(&mut months, m, n);
    }
    (weeks.into_values().collect(), months.into_values().collect())
}

fn point(r: &Run) -> Option<RunPoint> {
    Some(RunPoint {
        run: r.id,
        procedure: r.procedure_id,
        day: day_number(r.start_time),
        secs: run_duration_secs(r)? as f64,
    })
}

/// The completed runs for the duration plot (oldest first; every k-th when there are
/// more than [`PLOT_MAX_POINTS`]), how many there are, k, and the median line: rolling
/// over [`ROLLING_WINDOW`] runs, or per ISO week above [`ROLLING_MAX_RUNS`] runs.
///
/// Runs come in id order, which is start order unless clocks or imports say otherwise:
/// then the points, the sample and the weekly medians come in one pass (each run's time
/// read once), and only runs out of order make a sorted list of every point first.
pub(super) fn durations_and_median(runs: &[&Run]) -> (Vec<RunPoint>, usize, usize, Vec<(f64, f64)>) {
    // Completed runs with an end are the ones with a duration (`run_duration_secs`):
    // counted without reading their times.
    let count = runs.iter().filter(|r| r.status == RunStatus::Completed && r.end_time.is_some()).count();
    let stride = count.div_ceil(PLOT_MAX_POINTS).max(1);
    if count > ROLLING_MAX_RUNS
        && let Some((points, line)) = weekly_in_start_order(runs, count, stride)
    {
        return (points, count, stride, line);
    }
    let order = |a: &RunPoint, b: &RunPoint| a.day.total_cmp(&b.day).then(a.run.cmp(&b.run));
    let mut all: Vec<RunPoint> = runs.iter().filter_map(|r| point(r)).collect();
    if !all.is_sorted_by(|a, b| order(a, b).is_le()) {
        all.sort_unstable_by(order);
    }
    let line = if count > ROLLING_MAX_RUNS {
        // Out of start order: the weeks gathered in a map.
        let mut cal = Calendar::new();
        let mut by_week: BTreeMap<Period, Vec<f64>> = BTreeMap::new();
        for p in &all {
            by_week.entry(cal.periods(p.day.floor() as i64).0).or_default().push(p.secs);
        }
        by_week.into_iter().filter_map(|(w, mut v)| week_median(w, &mut v)).collect()
    } else {
        all.iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let start = (i + 1).saturating_sub(ROLLING_WINDOW);
                let mut window: Vec<f64> = all[start..=i].iter().map(|q| q.secs).collect();
                median_of(&mut window).map(|m| (p.day, m))
            })
            .collect()
    };
    (all.into_iter().step_by(stride).collect(), count, stride, line)
}

/// The median line: (day, seconds) points.
type MedianLine = Vec<(f64, f64)>;

/// A week's point on the median line: the middle of the week, the median of `durations`.
fn week_median(week: Period, durations: &mut [f64]) -> Option<(f64, f64)> {
    let mid = day_number(Timestamp::from_naive(week.start().and_hms_opt(12, 0, 0).unwrap_or_default())) + 3.0;
    median_of(durations).map(|m| (mid, m))
}

/// [`durations_and_median`] above [`ROLLING_MAX_RUNS`] runs when they come in start
/// order: every `stride`-th point and the median per week in one pass, one week held
/// at a time. `None` at the first run out of order.
fn weekly_in_start_order(runs: &[&Run], count: usize, stride: usize) -> Option<(Vec<RunPoint>, MedianLine)> {
    let mut points = Vec::with_capacity(count.div_ceil(stride));
    let mut line = Vec::new();
    let mut cal = Calendar::new();
    let mut week: Option<Period> = None;
    let mut durations: Vec<f64> = Vec::new();
    let mut last: Option<(f64, RunId)> = None;
    for (k, p) in runs.iter().filter_map(|r| point(r)).enumerate() {
        if last.is_some_and(|(day, id)| day.total_cmp(&p.day).then(id.cmp(&p.run)).is_gt()) {
            return None;
        }
        last = Some((p.day, p.run));
        let this = cal.periods(p.day.floor() as i64).0;
        if let Some(w) = week.filter(|w| *w != this) {
            line.extend(week_median(w, &mut durations));
            durations.clear();
        }
        week = Some(this);
        durations.push(p.secs);
        if k.is_multiple_of(stride) {
            points.push(p);
        }
    }
    if let Some(w) = week {
        line.extend(week_median(w, &mut durations));
    }
    Some((points, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` completed runs, one every 20 minutes from 2025-01-06 (a Monday), each lasting
    /// 10 + (i * 7 % 50) minutes; `shuffled` gives them ids out of start order.
    fn runs(n: u32, shuffled: bool) -> Vec<Run> {
        (0..n)
            .map(|i| {
                let start = Timestamp::from_wall_secs(1_736_121_600 + i64::from(i) * 1_200);
                let id = if shuffled { (i * 7_919) % n + 1 } else { i + 1 };
                let mut r = Run::new(RunId(id), ProcedureId(1 + i % 3), start, Some(1));
                r.status = RunStatus::Completed;
                r.end_time = Some(Timestamp::from_wall_secs(start.wall_secs() + 600 + i64::from(i * 7 % 50) * 60));
                r
            })
            .collect()
    }

    /// The plot's points and median line as first written: every point, sorted, then
    /// every k-th, and the weekly median from all of them.
    fn as_before(runs: &[&Run]) -> (Vec<RunPoint>, usize, usize, Vec<(f64, f64)>) {
        let mut all: Vec<RunPoint> = runs.iter().filter_map(|r| point(r)).collect();
        all.sort_by(|a, b| a.day.total_cmp(&b.day).then(a.run.cmp(&b.run)));
        let mut weeks: BTreeMap<Period, Vec<f64>> = BTreeMap::new();
        let mut cal = Calendar::new();
        for p in &all {
            weeks.entry(cal.periods(p.day.floor() as i64).0).or_default().push(p.secs);
        }
        let line = weeks
            .into_iter()
            .filter_map(|(w, mut v)| {
                let mid = day_number(Timestamp::from_naive(w.start().and_hms_opt(12, 0, 0).unwrap_or_default())) + 3.0;
                v.sort_by(f64::total_cmp);
                crate::analysis::median(&v).map(|m| (mid, m))
            })
            .collect();
        let stride = all.len().div_ceil(PLOT_MAX_POINTS).max(1);
        let n = all.len();
        (all.into_iter().step_by(stride).collect(), n, stride, line)
    }

    #[test]
    fn many_runs_keep_a_sample_and_the_same_weekly_median_in_or_out_of_order() {
        for shuffled in [false, true] {
            let rows = runs(9_001, shuffled);
            let mut by_id: Vec<&Run> = rows.iter().collect();
            by_id.sort_by_key(|r| r.id);
            let got = durations_and_median(&by_id);
            let want = as_before(&by_id);
            assert_eq!(got, want, "shuffled: {shuffled}");
            assert_eq!((got.1, got.2, got.0.len()), (9_001, 3, 3_001), "shuffled: {shuffled}");
            assert!(got.0.is_sorted_by(|a, b| a.day <= b.day));
            assert!(got.3.len() >= 18, "a median per week: {}", got.3.len());
        }
    }

    #[test]
    fn few_runs_keep_every_point_and_a_rolling_median() {
        let rows = runs(30, true);
        let by_id: Vec<&Run> = rows.iter().collect();
        let (points, count, stride, line) = durations_and_median(&by_id);
        assert_eq!((points.len(), count, stride, line.len()), (30, 30, 1, 30));
        assert!(points.is_sorted_by(|a, b| a.day <= b.day));
        // The first point's median is its own duration; the ninth's the median of nine.
        assert_eq!(line[0], (points[0].day, points[0].secs));
        let mut nine: Vec<f64> = points[..9].iter().map(|p| p.secs).collect();
        nine.sort_by(f64::total_cmp);
        assert_eq!(line[8].1, nine[4]);
    }
}
