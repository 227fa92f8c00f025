//! Everything the Analytics view shows for one selection (procedure or all, label,
//! date range), computed in one pass from a `Dataset`. `stats` and the view share
//! [`summarize`], so their numbers are the same.

use super::schedule::{Clock, Engine, Occurrence, ScheduleCounts};
pub use super::timeline::{
    PLOT_MAX_POINTS, PeriodCounts, ROLLING_MAX_RUNS, ROLLING_WINDOW, RunPoint, day_date, day_number,
};
use super::timeline::{counts, durations_and_median, local_day};
use super::{Period, Summary, SummaryOf, bottlenecks, completion_rate, median_of, run_duration_secs, summarize};
use crate::model::*;
use crate::store::{Dataset, IdMap};
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
    /// Completed runs, oldest first: all of them up to [`PLOT_MAX_POINTS`], else every
    /// `durations_stride`-th (a plot of more shows nothing more and draws slowly; the
    /// report does not hold half a million points it never shows).
    pub durations: Vec<RunPoint>,
    /// Completed runs in all (the plot's sample is every `durations_stride`-th).
    pub completed_runs: usize,
    /// 1, or the step of the sample in `durations`.
    pub durations_stride: usize,
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
    // Each scheduled procedure's on-time rate (all procedures selected).
    let scheduled: Vec<ProcedureId> = if sel.procedure.is_none() {
        let scheduled: std::collections::BTreeSet<ProcedureId> =
            db.schedules.rows().iter().filter(|s| s.active).map(|s| s.procedure_id).collect();
        let keep: std::collections::HashSet<ProcedureId> = selected_procedures(db, sel).into_iter().collect();
        scheduled.into_iter().filter(|p| keep.contains(p)).collect()
    } else {
        Vec::new()
    };
    // The overview (numbers per procedure) on another thread meanwhile. The on-time
    // rates are shared as each thread comes free: this one takes procedures from the
    // front of the list, the other from the back, a few at a time, until they meet (the
    // overview and the rest of the report take different times, with the data and the
    // machine). The other thread's engine holds the back half's cached expansions; a
    // procedure computed on the "wrong" side only misses its cache.
    let shares = Shares::new(scheduled.len());
    let mut other = engine.split_off(db, &scheduled[scheduled.len() / 2..]);
    let on_time_of = |engine: &mut Engine, range: std::ops::Range<usize>, out: &mut Vec<(ProcedureId, Option<f64>)>| {
        for &p in &scheduled[range] {
            out.push((p, engine.counts_between(db, p, clock, from, to).and_then(|c| c.on_time_rate)));
        }
    };
    let (mut report, on_time) = std::thread::scope(|scope| {
        let overview = scope.spawn(|| {
            let rows = overview(db, sel, today, &runs);
            let mut on_time = Vec::new();
            while let Some(range) = shares.take(false) {
                on_time_of(&mut other, range, &mut on_time);
            }
            (rows, on_time)
        });
        let mut report = report_of_runs(db, sel, &runs);
        let mut on_time = Vec::with_capacity(scheduled.len());
        while let Some(range) = shares.take(true) {
            on_time_of(engine, range, &mut on_time);
        }
        let (rows, more) = overview.join().unwrap_or_default();
        report.overview = rows;
        on_time.extend(more);
        (report, on_time)
    });
    engine.absorb(other);
    let on_time: HashMap<ProcedureId, Option<f64>> = on_time.into_iter().collect();
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

/// A list of `n` items handed out a few at a time from both ends (see [`report_with`]).
struct Shares(std::sync::Mutex<(usize, usize)>);

impl Shares {
    /// Items handed out at once: few enough that the two threads end close together.
    const CHUNK: usize = 16;

    fn new(n: usize) -> Self {
        Self(std::sync::Mutex::new((0, n)))
    }

    /// The next items from the front (or the back), `None` once every item is taken.
    fn take(&self, front: bool) -> Option<std::ops::Range<usize>> {
        let mut ends = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (a, b) = *ends;
        if a >= b {
            return None;
        }
        if front {
            let end = (a + Self::CHUNK).min(b);
            ends.0 = end;
            Some(a..end)
        } else {
            let start = b.saturating_sub(Self::CHUNK).max(a);
            ends.1 = start;
            Some(start..b)
        }
    }
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

    let (durations, completed_runs, durations_stride, rolling_median) = durations_and_median(runs);
    let weekly_median = completed_runs > ROLLING_MAX_RUNS;

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
        completed_runs,
        durations_stride,
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
fn flagged_by_procedure(db: &Dataset, runs: &[&Run]) -> IdMap<ProcedureId, usize> {
    // Step ids are dense: a vector by id beats a map per value (ids past it, from a file
    // edited by hand, go to a map). It holds 0 (not looked up yet), 1 (no such step, or
    // options under which nothing is flagged: its values are not judged) or 2 + the place
    // of the step's parsed options in `defs` (4 bytes a step, not 72).
    let top = db.steps.rows().last().map_or(0, |s| s.id.0 as usize + 1).min(1 << 24);
    let mut slot_of: Vec<u32> = vec![0; top];
    let mut far_slots: IdMap<StepId, u32> = IdMap::default();
    let mut defs: Vec<(StepKind, Options)> = Vec::new();
    let mut out: IdMap<ProcedureId, usize> = IdMap::default();
    // One sequential pass over run_steps (not a range per run): the procedure of each
    // selected run by run id (0 = not selected), in a vector when ids are dense.
    let top_run = db.runs.rows().last().map_or(0, |r| r.id.0 as usize + 1);
    let dense = top_run <= 8 * db.runs.len() + (1 << 20);
    let mut run_pid = vec![0u32; if dense { top_run } else { 0 }];
    let mut far_runs: IdMap<RunId, u32> = IdMap::default();
    for r in runs {
        match run_pid.get_mut(r.id.0 as usize) {
            Some(p) => *p = r.procedure_id.0,
            None => _ = far_runs.insert(r.id, r.procedure_id.0),
        }
    }
    // Run steps come grouped by run: counted per procedure as they come, added up when
    // the procedure changes (not a map lookup per flagged value).
    let (mut current, mut count) = (0u32, 0usize);
    for rs in db.run_steps.rows() {
        if !rs.has_value() {
            continue;
        }
        let pid = match run_pid.get(rs.run_id.0 as usize) {
            Some(p) => *p,
            None => far_runs.get(&rs.run_id).copied().unwrap_or(0),
        };
        if pid == 0 {
            continue;
        }
        let slot = match slot_of.get_mut(rs.step_id.0 as usize) {
            Some(slot) => slot,
            None => far_slots.entry(rs.step_id).or_insert(0),
        };
        if *slot == 0 {
            *slot = match db.step(rs.step_id).map(|s| (s.kind, s.parsed_options())) {
                Some((kind, options)) if options.can_flag() => {
                    defs.push((kind, options));
                    u32::try_from(defs.len() + 1).unwrap_or(1)
                }
                _ => 1,
            };
        }
        if let Some((kind, options)) = defs.get((*slot as usize).wrapping_sub(2))
            && is_flagged(*kind, options, rs.value())
        {
            if pid != current {
                if count > 0 {
                    *out.entry(ProcedureId(current)).or_default() += count;
                }
                (current, count) = (pid, 0);
            }
            count += 1;
        }
    }
    if count > 0 {
        *out.entry(ProcedureId(current)).or_default() += count;
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
    let mut by_proc: IdMap<ProcedureId, SummaryOf> = IdMap::default();
    for r in runs {
        // Room for every run of the procedure at once (no list grown twice its size).
        by_proc
            .entry(r.procedure_id)
            .or_insert_with(|| SummaryOf::with_capacity(db.runs_of(r.procedure_id).len()))
            .add(r);
    }
    // Durations of the previous period, in one pass over the runs (not a lookup per
    // run of each procedure).
    let mut before_by_proc: IdMap<ProcedureId, Vec<f64>> = IdMap::default();
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
                let before = median_of(&mut before_by_proc.remove(&pid)?)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Flagged values per procedure, judged one by one through `judge` (as first written).
    fn flagged_one_by_one(db: &Dataset, runs: &[&Run]) -> IdMap<ProcedureId, usize> {
        let mut out = IdMap::default();
        for r in runs {
            for rs in db.run_steps_of(r.id) {
                let Some(step) = db.step(rs.step_id) else { continue };
                if matches!(judge(step.kind, &step.parsed_options(), rs.value()), Ok(Judged::Flagged(_))) {
                    *out.entry(r.procedure_id).or_default() += 1;
                }
            }
        }
        out
    }

    #[test]
    fn flagged_values_are_counted_per_procedure_as_judged_one_by_one() {
        let mut db = crate::generate::build(crate::generate::Scale::Small, 7);
        // A procedure whose step and run have ids far past the rest (a file edited by
        // hand): counted too.
        let (pid, step, run) = (ProcedureId(900_000), StepId(40_000_000), RunId(4_000_000_000));
        db.procedures.insert(Procedure {
            id: pid,
            name: "Far".into(),
            description: String::new(),
            created_at: None,
            updated_at: None,
            version: 1,
            extra: Box::default(),
        });
        let mut s = Step::new(step, pid, 1, "Temperature", None);
        (s.kind, s.options) = (StepKind::Number, "°C 0..5".into());
        db.steps.insert(s);
        db.runs.insert(Run::new(run, pid, Timestamp::from_wall_secs(1_764_000_000), Some(1)));
        for (i, v) in ["9", "3", "-1"].into_iter().enumerate() {
            let mut rs = RunStep::new(RunStepId(4_000_000_000 + i as u32), run, step, true, None);
            rs.set_value(v);
            db.run_steps.insert(rs);
        }
        db.reindex();
        let runs: Vec<&Run> = db.runs.rows().iter().collect();
        let want = flagged_one_by_one(&db, &runs);
        assert_eq!(want.get(&pid), Some(&2), "the far procedure's two values out of range");
        assert!(want.len() > 2, "the generated folder flags values of several procedures: {want:?}");
        assert_eq!(flagged_by_procedure(&db, &runs), want);
        // A selection counts only its runs.
        let some: Vec<&Run> = runs.iter().copied().filter(|r| r.id.0 % 3 == 0).collect();
        assert_eq!(flagged_by_procedure(&db, &some), flagged_one_by_one(&db, &some));
    }

    #[test]
    fn shares_hand_out_every_item_once_from_both_ends() {
        for n in [0, 1, 15, 16, 17, 33, 100] {
            for pattern in [0u32, 0b0101, 0b0011, 0b1110_0110] {
                let shares = Shares::new(n);
                let mut seen = vec![0; n];
                let mut turn = 0;
                while let Some(range) = shares.take(pattern >> (turn % 8) & 1 == 1) {
                    range.for_each(|i| seen[i] += 1);
                    turn += 1;
                }
                assert!(seen.iter().all(|&k| k == 1), "n {n}, pattern {pattern:b}: {seen:?}");
            }
        }
    }

    #[test]
    fn the_overview_has_each_scheduled_procedures_on_time_rate() {
        let db = crate::generate::build(crate::generate::Scale::Small, 3);
        let clock = Clock { now: Timestamp::from_wall_secs(1_795_564_800), ..Clock::system() };
        let all = Selection::default();
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        let report = report_with(&mut Engine::new(), &db, &all, today, &clock);
        let mut rated = 0;
        for row in &report.overview {
            let want =
                Engine::new().counts_between(&db, row.id, &clock, i64::MIN, i64::MAX).and_then(|c| c.on_time_rate);
            assert_eq!(row.on_time_rate, want, "procedure {}", row.id);
            rated += usize::from(want.is_some());
        }
        assert!(rated >= 2, "the small folder has scheduled procedures: {rated}");
    }
}
