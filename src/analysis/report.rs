//! Everything the Analytics view shows for one selection (procedure or all, label,
//! date range), computed in one pass from a `Dataset`. `stats` and the view share
//! [`summarize`], so their numbers are the same.

use super::schedule::{Clock, Engine, Occurrence, ScheduleCounts};
use super::{
    Granularity, Period, Summary, SummaryOf, bottlenecks, completion_rate, median, run_duration_secs, summarize,
};
use crate::model::*;
use crate::store::Dataset;
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// Which runs count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DateRange {
    /// Every run.
    #[default]
    All,
    /// Runs started in the last N days (today included).
    LastDays(u32),
    /// Runs started from `from` to `to`, both included.
    Custom {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
}

impl DateRange {
    /// The first and last day, given today; `None` for all time.
    pub fn bounds(self, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        match self {
            DateRange::All => None,
            DateRange::LastDays(n) => Some((today - chrono::Days::new(u64::from(n.max(1)) - 1), today)),
            DateRange::Custom { from, to } => Some((from.min(to), from.max(to))),
        }
    }

    /// The period of the same length just before this one.
    pub fn previous(self, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let (from, to) = self.bounds(today)?;
        let days = (to - from).num_days() + 1;
        let prev_to = from.pred_opt()?;
        Some((prev_to - chrono::Days::new(u64::try_from(days - 1).ok()?), prev_to))
    }
}

/// A selection of runs to analyse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selection {
    /// One procedure, or all.
    pub procedure: Option<ProcedureId>,
    /// Only procedures with this label.
    pub label: Option<LabelId>,
    /// Date range of the runs' start.
    pub range: DateRange,
}

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

/// A step's timing, for the bottleneck plot.
#[derive(Clone, Debug, PartialEq)]
pub struct StepTiming {
    /// The step.
    pub step_id: StepId,
    /// Its text (current, or from a version snapshot).
    pub text: String,
    /// Median seconds.
    pub median_secs: f64,
    /// 90th percentile seconds.
    pub p90_secs: f64,
    /// Timed ticks.
    pub count: usize,
    /// The estimated duration, if any.
    pub estimate_secs: Option<u32>,
}

/// Numbers of one procedure version.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionStats {
    /// Version number (0 when the runs did not record it).
    pub version: u32,
    /// Runs of it.
    pub runs: usize,
    /// Completion rate.
    pub completion_rate: Option<f64>,
    /// Median duration of its completed runs.
    pub median_secs: Option<f64>,
}

/// A row of the overview table.
#[derive(Clone, Debug, PartialEq)]
pub struct OverviewRow {
    /// Procedure.
    pub id: ProcedureId,
    /// Name.
    pub name: String,
    /// Runs in the period.
    pub runs: usize,
    /// Completion rate in the period.
    pub completion_rate: Option<f64>,
    /// Median duration in the period.
    pub median_secs: Option<f64>,
    /// Median duration change against the previous period, in percent (negative = faster).
    pub trend_pct: Option<f64>,
    /// Values recorded in the period that were flagged (out of range, a flagged answer).
    pub flagged: usize,
    /// On-time rate of its schedules' occurrences in the period (none: not scheduled,
    /// or nothing due yet).
    pub on_time_rate: Option<f64>,
}

/// Everything the Analytics view shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Headline numbers (as `stats`).
    pub summary: Summary,
    /// Runs per ISO week, by status.
    pub weekly: Vec<PeriodCounts>,
    /// Runs per month, by status.
    pub monthly: Vec<PeriodCounts>,
    /// Completion rate per ISO week (weeks with finished runs).
    pub completion_weekly: Vec<(Period, f64)>,
    /// Completed runs, oldest first.
    pub durations: Vec<RunPoint>,
    /// Rolling median of durations (window of [`ROLLING_WINDOW`] runs), or with more
    /// than [`ROLLING_MAX_RUNS`] completed runs the median per ISO week: (day, seconds).
    pub rolling_median: Vec<(f64, f64)>,
    /// Whether `rolling_median` is per week (many runs) rather than per run.
    pub weekly_median: bool,
    /// Slowest steps first (one procedure only).
    pub bottlenecks: Vec<StepTiming>,
    /// Per version (one procedure only), oldest first.
    pub per_version: Vec<VersionStats>,
    /// Per procedure (all procedures only), by name.
    pub overview: Vec<OverviewRow>,
    /// What its runs recorded at its number and choice steps (one procedure only).
    pub values: Vec<super::StepValues>,
    /// Its schedules' occurrences in the period: on time, late, missed (one procedure
    /// with an active schedule only).
    pub schedule: Option<ScheduleCounts>,
    /// Those occurrences, oldest first (the calendar strip; the last 400 at most).
    pub occurrences: Vec<Occurrence>,
}

/// The calendar strip shows at most this many occurrences (the newest).
pub const STRIP_MAX: usize = 400;

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

fn in_range(r: &Run, bounds: Option<(NaiveDate, NaiveDate)>) -> bool {
    bounds.is_none_or(|(from, to)| {
        let day = |d: NaiveDate| i64::from(chrono::Datelike::num_days_from_ce(&d)) - 719_163;
        (day(from)..=day(to)).contains(&local_day(r.start_time))
    })
}

/// The procedures a selection covers, in id order.
pub fn selected_procedures(db: &Dataset, sel: &Selection) -> Vec<ProcedureId> {
    match sel.procedure {
        Some(p) => db.procedure(p).map(|_| vec![p]).unwrap_or_default(),
        None => db
            .procedures
            .rows()
            .iter()
            .map(|p| p.id)
            .filter(|p| sel.label.is_none_or(|l| db.labels_of(*p).contains(&l)))
            .collect(),
    }
}

/// The runs a selection covers, by id.
pub fn selected_runs<'a>(db: &'a Dataset, sel: &Selection, today: NaiveDate) -> Vec<&'a Run> {
    let bounds = sel.range.bounds(today);
    match sel.procedure {
        Some(p) => db.runs_of(p).iter().filter_map(|r| db.run(*r)).filter(|r| in_range(r, bounds)).collect(),
        None => {
            let label_procs: Option<std::collections::HashSet<ProcedureId>> =
                sel.label.map(|l| db.procedures_with_label(l).iter().copied().collect());
            db.runs
                .rows()
                .iter()
                .filter(|r| label_procs.as_ref().is_none_or(|s| s.contains(&r.procedure_id)))
                .filter(|r| in_range(r, bounds))
                .collect()
        }
    }
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
fn local_day(t: Timestamp) -> i64 {
    t.to_local().wall_secs().div_euclid(86_400)
}

/// Runs per week and per month, by status.
fn counts(runs: &[&Run]) -> (Vec<PeriodCounts>, Vec<PeriodCounts>) {
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

fn median_of(mut v: Vec<f64>) -> Option<f64> {
    v.sort_unstable_by(f64::total_cmp);
    median(&v)
}

/// Compute the report of a selection (schedules as of now).
pub fn report(db: &Dataset, sel: &Selection, today: NaiveDate) -> Report {
    report_with(&mut Engine::new(), db, sel, today, &Clock::system())
}

/// [`report`] with an engine that keeps its schedule expansions between reports, and
/// schedules as of `clock`.
pub fn report_with(engine: &mut Engine, db: &Dataset, sel: &Selection, today: NaiveDate, clock: &Clock) -> Report {
    let runs = selected_runs(db, sel, today);
    let (from, to) = match sel.range.bounds(today) {
        Some((a, b)) => (day_start(a), day_start(b) + 86_399),
        None => (i64::MIN, i64::MAX),
    };
    // The overview (numbers per procedure) on another thread meanwhile.
    let (mut report, on_time) = std::thread::scope(|scope| {
        let overview = scope.spawn(|| overview(db, sel, today, &runs));
        let report = report_of_runs(db, sel, &runs);
        // Each scheduled procedure's on-time rate here (the engine is not shared).
        let on_time: HashMap<ProcedureId, Option<f64>> = if sel.procedure.is_none() {
            let scheduled: std::collections::BTreeSet<ProcedureId> =
                db.schedules.rows().iter().filter(|s| s.active).map(|s| s.procedure_id).collect();
            let keep: std::collections::HashSet<ProcedureId> = selected_procedures(db, sel).into_iter().collect();
            scheduled
                .into_iter()
                .filter(|p| keep.contains(p))
                .map(|p| (p, engine.counts_between(db, p, clock, from, to).and_then(|c| c.on_time_rate)))
                .collect()
        } else {
            HashMap::new()
        };
        let mut report = report;
        report.overview = overview.join().unwrap_or_default();
        (report, on_time)
    });
    for row in &mut report.overview {
        row.on_time_rate = on_time.get(&row.id).copied().flatten();
    }
    if let Some(pid) = sel.procedure {
        report.schedule = engine.counts_between(db, pid, clock, from, to);
        if report.schedule.is_some() {
            let mut occ = engine.occurrences(db, pid, clock, from, to.min(clock.now.wall_secs()));
            if occ.len() > STRIP_MAX {
                occ.drain(..occ.len() - STRIP_MAX);
            }
            report.occurrences = occ;
        }
    }
    report
}

fn day_start(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map_or(0, |t| Timestamp::from_naive(t).wall_secs())
}

/// Everything but the overview.
fn report_of_runs(db: &Dataset, sel: &Selection, runs: &[&Run]) -> Report {
    let summary = summarize(runs.iter().copied());
    let (weekly, monthly) = counts(runs);
    let completion_weekly =
        weekly.iter().filter_map(|c| completion_rate(c.completed, c.cancelled).map(|r| (c.period, r))).collect();

    let mut durations: Vec<RunPoint> = runs
        .iter()
        .filter_map(|r| {
            Some(RunPoint {
                run: r.id,
                procedure: r.procedure_id,
                day: day_number(r.start_time),
                secs: run_duration_secs(r)? as f64,
            })
        })
        .collect();
    let order = |a: &RunPoint, b: &RunPoint| a.day.total_cmp(&b.day).then(a.run.cmp(&b.run));
    if !durations.is_sorted_by(|a, b| order(a, b).is_le()) {
        durations.sort_unstable_by(order);
    }
    let weekly_median = durations.len() > ROLLING_MAX_RUNS;
    let rolling_median = if weekly_median {
        let mut weeks: BTreeMap<Period, Vec<f64>> = BTreeMap::new();
        let mut cal = Calendar::new();
        for p in &durations {
            let (week, _) = cal.periods(p.day.floor() as i64);
            weeks.entry(week).or_default().push(p.secs);
        }
        weeks
            .into_iter()
            .filter_map(|(w, v)| {
                let mid = day_number(Timestamp::from_naive(w.start().and_hms_opt(12, 0, 0).unwrap_or_default())) + 3.0;
                median_of(v).map(|m| (mid, m))
            })
            .collect()
    } else {
        durations
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let start = (i + 1).saturating_sub(ROLLING_WINDOW);
                median_of(durations[start..=i].iter().map(|q| q.secs).collect()).map(|m| (p.day, m))
            })
            .collect()
    };

    let (bottleneck_rows, per_version) = match sel.procedure {
        Some(pid) => {
            let rows = bottlenecks(db, runs.iter().copied())
                .into_iter()
                .map(|b| {
                    let step = StepId(b.step_id);
                    let (text, estimate) = match db.step(step) {
                        Some(s) => (s.description.clone(), s.estimated_duration_secs),
                        None => db
                            .step_in_versions(pid, step)
                            .map_or((format!("step #{}", b.step_id), None), |s| (s.description, s.estimated_duration)),
                    };
                    StepTiming {
                        step_id: step,
                        text,
                        median_secs: b.median_secs,
                        p90_secs: b.p90_secs,
                        count: b.count,
                        estimate_secs: estimate,
                    }
                })
                .collect();
            let mut by_version: BTreeMap<u32, Vec<&Run>> = BTreeMap::new();
            for r in runs {
                by_version.entry(r.procedure_version.unwrap_or(0)).or_default().push(r);
            }
            let per_version = by_version
                .into_iter()
                .map(|(version, rs)| {
                    let s = summarize(rs.iter().copied());
                    VersionStats {
                        version,
                        runs: s.runs,
                        completion_rate: s.completion_rate,
                        median_secs: s.duration_secs.map(|d| d.median),
                    }
                })
                .collect();
            (rows, per_version)
        }
        None => (Vec::new(), Vec::new()),
    };
    let values = if sel.procedure.is_some() { super::step_values(db, runs.iter().copied()) } else { Vec::new() };

    Report {
        summary,
        weekly,
        monthly,
        completion_weekly,
        durations,
        rolling_median,
        weekly_median,
        bottlenecks: bottleneck_rows,
        per_version,
        overview: Vec::new(),
        values,
        schedule: None,
        occurrences: Vec::new(),
    }
}

/// Flagged values per procedure among `runs`, judged by the current steps (a step
/// removed since is not counted): one pass, each step's options parsed once.
fn flagged_by_procedure(db: &Dataset, runs: &[&Run]) -> HashMap<ProcedureId, usize> {
    // Step ids are dense: a vector by id (filled on first use) beats a map per value.
    let top = db.steps.rows().last().map_or(0, |s| s.id.0 as usize + 1).min(1 << 24);
    let mut defs: Vec<Option<Option<(StepKind, Options)>>> = vec![None; top];
    let mut out: HashMap<ProcedureId, usize> = HashMap::new();
    // One sequential pass over run_steps (not a range per run): the procedure of each
    // selected run by run id (ids are dense; 0 = not selected).
    let top_run = db.runs.rows().last().map_or(0, |r| r.id.0 as usize + 1);
    if top_run > 8 * db.runs.len() + (1 << 20) {
        return out;
    }
    let mut run_pid = vec![0u32; top_run];
    for r in runs {
        run_pid[r.id.0 as usize] = r.procedure_id.0;
    }
    for rs in db.run_steps.rows() {
        if rs.value().is_empty() {
            continue;
        }
        let pid = run_pid.get(rs.run_id.0 as usize).copied().unwrap_or(0);
        if pid == 0 {
            continue;
        }
        {
            let r = ProcedureId(pid);
            let Some(slot) = defs.get_mut(rs.step_id.0 as usize) else { continue };
            let def = slot.get_or_insert_with(|| db.step(rs.step_id).map(|s| (s.kind, s.parsed_options())));
            if let Some((kind, options)) = def
                && is_flagged(*kind, options, rs.value())
            {
                *out.entry(r).or_default() += 1;
            }
        }
    }
    out
}

/// Per procedure numbers (all procedures selected), by name.
fn overview(db: &Dataset, sel: &Selection, today: NaiveDate, runs: &[&Run]) -> Vec<OverviewRow> {
    if sel.procedure.is_some() {
        return Vec::new();
    }
    let prev = sel.range.previous(today);
    // Each procedure summed up in one walk over the runs (in id order: memory read
    // forward), not a list of runs per procedure read back at random.
    let mut by_proc: HashMap<ProcedureId, SummaryOf> = HashMap::new();
    for r in runs {
        by_proc.entry(r.procedure_id).or_default().add(r);
    }
    // Durations of the previous period, in one pass over the runs (not a lookup per
    // run of each procedure).
    let mut before_by_proc: HashMap<ProcedureId, Vec<f64>> = HashMap::new();
    for r in db.runs.rows().iter().filter(|r| prev.is_some() && in_range(r, prev)) {
        if let Some(d) = run_duration_secs(r) {
            before_by_proc.entry(r.procedure_id).or_default().push(d as f64);
        }
    }
    let mut flagged = flagged_by_procedure(db, runs);
    let mut rows: Vec<OverviewRow> = selected_procedures(db, sel)
        .into_iter()
        .filter_map(|pid| {
            let p = db.procedure(pid)?;
            let s = by_proc.remove(&pid).unwrap_or_default().finish();
            let median_secs = s.duration_secs.map(|d| d.median);
            let trend_pct = prev.and_then(|_| {
                let before = median_of(before_by_proc.remove(&pid)?)?;
                let now = median_secs?;
                (before > 0.0).then(|| (now - before) / before * 100.0)
            });
            Some(OverviewRow {
                id: pid,
                name: p.name.clone(),
                runs: s.runs,
                completion_rate: s.completion_rate,
                median_secs,
                trend_pct,
                flagged: flagged.remove(&pid).unwrap_or(0),
                on_time_rate: None,
            })
        })
        .collect();
    rows.sort_by_cached_key(|r| (r.name.to_lowercase(), r.id));
    rows
}
