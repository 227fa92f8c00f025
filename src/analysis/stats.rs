//! Completion, durations and bottlenecks.

use super::quantiles_of;
use super::schedule::{Clock, Engine, ScheduleCounts};
use crate::model::*;
use crate::store::{Dataset, IdMap, RunStepsOf};
use serde::Serialize;

/// Mean, median and p90 of durations, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DurationStats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// 90th percentile (linear interpolation).
    pub p90: f64,
}

impl DurationStats {
    /// Stats of whole seconds in any order (reordered); `None` when there are none.
    pub fn of(values: &mut [i64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        // Summed as f64 in the order given (before the selection reorders them).
        let mean = values.iter().map(|v| *v as f64).sum::<f64>() / values.len() as f64;
        let (median, p90) = quantiles_of(values, 0.5, 0.9)?;
        Some(Self { mean, median, p90 })
    }
}

/// Headline numbers over a set of runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// All runs.
    pub runs: usize,
    /// Completed runs.
    pub completed: usize,
    /// Cancelled runs.
    pub cancelled: usize,
    /// Runs still in progress.
    pub in_progress: usize,
    /// completed ÷ (completed + cancelled) × 100; `None` with no finished run.
    pub completion_rate: Option<f64>,
    /// Durations of completed runs; `None` with no completed run.
    pub duration_secs: Option<DurationStats>,
    /// Start of the latest run.
    #[serde(skip)]
    pub last_run: Option<Timestamp>,
}

/// Duration of a completed run in seconds.
pub fn run_duration_secs(run: &Run) -> Option<i64> {
    if run.status != RunStatus::Completed {
        return None;
    }
    Some(run.end_time?.elapsed_since(&run.start_time))
}

/// completed ÷ (completed + cancelled) × 100, or `None`.
pub fn completion_rate(completed: usize, cancelled: usize) -> Option<f64> {
    let finished = completed + cancelled;
    (finished > 0).then(|| completed as f64 / finished as f64 * 100.0)
}

/// Summarize runs.
pub fn summarize<'a>(runs: impl IntoIterator<Item = &'a Run>) -> Summary {
    let mut s = SummaryOf::default();
    for r in runs {
        s.add(r);
    }
    s.finish()
}

/// [`summarize`] a run at a time (the overview sums up every procedure in one walk over
/// the runs).
#[derive(Default)]
pub struct SummaryOf {
    s: Summary,
    durations: Vec<i64>,
}

impl SummaryOf {
    /// Room for `runs` durations.
    pub fn with_capacity(runs: usize) -> Self {
        Self { s: Summary::default(), durations: Vec::with_capacity(runs) }
    }

    /// Count `r`.
    pub fn add(&mut self, r: &Run) {
        let s = &mut self.s;
        s.runs += 1;
        match r.status {
            RunStatus::Completed => s.completed += 1,
            RunStatus::Cancelled => s.cancelled += 1,
            RunStatus::InProgress => s.in_progress += 1,
        }
        if let Some(d) = run_duration_secs(r) {
            self.durations.push(d);
        }
        if s.last_run.is_none_or(|t| r.start_time.sort_key() > t.sort_key()) {
            s.last_run = Some(r.start_time);
        }
    }

    /// The summary of the runs added.
    pub fn finish(mut self) -> Summary {
        let mut s = self.s;
        s.completion_rate = completion_rate(s.completed, s.cancelled);
        s.duration_secs = DurationStats::of(&mut self.durations);
        s
    }
}

/// How long each ticked step of a run took: its completed_at minus the previous
/// completed_at in the run (ordered by completed_at, then id), or minus the run's
/// start for the first. Returned in that order.
pub fn step_durations(db: &Dataset, run: &Run) -> Vec<(RunStepId, StepId, i64)> {
    let mut ticked = Vec::new();
    let mut out = Vec::new();
    each_step_duration(run, db.run_steps_of(run.id), &mut ticked, |rs, d| out.push((rs.id, rs.step_id, d)));
    out
}

/// [`step_durations`] of `run` (`rows`: its run steps) handed to `f`, with `ticked` as
/// the scratch space for a run ticked out of order (kept between runs: no allocation per
/// run).
fn each_step_duration<'a>(
    run: &Run,
    rows: impl Iterator<Item = &'a RunStep> + Clone,
    ticked: &mut Vec<&'a RunStep>,
    mut f: impl FnMut(&RunStep, i64),
) {
    let key = |rs: &RunStep| (rs.completed_at().map(|t| t.sort_key()), rs.id);
    fn walk<'b>(run: &Run, ticks: impl Iterator<Item = &'b RunStep>, f: &mut impl FnMut(&RunStep, i64)) {
        let mut prev = run.start_time;
        for rs in ticks {
            if let Some(at) = rs.completed_at() {
                f(rs, at.elapsed_since(&prev));
                prev = at;
            }
        }
    }
    let ticks = rows.filter(|rs| rs.completed_at().is_some());
    // Mostly ticked in step order already: then walked as they are (no list of them).
    if ticks.clone().map(key).is_sorted() {
        walk(run, ticks, &mut f);
    } else {
        ticked.clear();
        ticked.extend(ticks);
        ticked.sort_by_key(|rs| key(rs));
        walk(run, ticked.iter().copied(), &mut f);
    }
}

/// A step ranked by how long it takes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bottleneck {
    /// The step.
    pub step_id: u32,
    /// Median duration in seconds.
    pub median_secs: f64,
    /// 90th percentile in seconds.
    pub p90_secs: f64,
    /// How many timed ticks.
    pub count: usize,
}

/// Steps ranked by median step duration (slowest first, ties by step id).
pub fn bottlenecks<'a>(db: &'a Dataset, runs: impl IntoIterator<Item = &'a Run>) -> Vec<Bottleneck> {
    let mut times = StepTimes::default();
    for run in runs {
        times.add(run, db.run_steps_of(run.id));
    }
    times.finish()
}

/// [`bottlenecks`] gathered a run at a time.
#[derive(Default)]
pub struct StepTimes<'a> {
    /// Per step, its durations; the next tick's step is looked for first where the last
    /// one's was followed (ticks come in step order), then through `index` (a hash per
    /// tick only out of order, never a scan).
    per_step: Vec<(StepId, Vec<i64>)>,
    index: IdMap<StepId, usize>,
    ticked: Vec<&'a RunStep>,
    /// Room each step's list of durations gets at once (its procedure's runs, at most
    /// [`StepTimes::ROOM`]).
    runs: usize,
}

impl<'a> StepTimes<'a> {
    /// The most room a step's list gets before its first duration: a procedure edited
    /// into hundreds of step ids over 100,000 runs must not reserve for each of them.
    const ROOM: usize = 4096;

    /// For the steps of `runs` runs: each step's durations are sized once (up to
    /// [`StepTimes::ROOM`] runs; more grow as they come).
    pub fn for_runs(runs: usize) -> Self {
        Self { runs: runs.min(Self::ROOM), ..Self::default() }
    }

    /// Add the step durations of `run` (`rows`: its run steps).
    pub fn add(&mut self, run: &Run, rows: impl Iterator<Item = &'a RunStep> + Clone) {
        let (per_step, index, room) = (&mut self.per_step, &mut self.index, self.runs);
        let mut next = 0;
        each_step_duration(run, rows, &mut self.ticked, |rs, d| {
            let i = match per_step.get(next) {
                Some((step, _)) if *step == rs.step_id => next,
                _ => *index.entry(rs.step_id).or_insert_with(|| {
                    per_step.push((rs.step_id, Vec::with_capacity(room)));
                    per_step.len() - 1
                }),
            };
            per_step[i].1.push(d);
            next = i + 1;
        });
    }

    /// Steps ranked by median step duration (slowest first, ties by step id).
    pub fn finish(self) -> Vec<Bottleneck> {
        let mut out: Vec<Bottleneck> = self
            .per_step
            .into_iter()
            .filter_map(|(step, mut v)| {
                let (median_secs, p90_secs) = quantiles_of(&mut v, 0.5, 0.9)?;
                Some(Bottleneck { step_id: step.0, median_secs, p90_secs, count: v.len() })
            })
            .collect();
        out.sort_by(|a, b| b.median_secs.total_cmp(&a.median_secs).then(a.step_id.cmp(&b.step_id)));
        out
    }
}

/// The numbers of one procedure, as `stats --json` prints them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcedureStats {
    /// Procedure id.
    pub id: u32,
    /// Name.
    pub name: String,
    /// Headline numbers.
    #[serde(flatten)]
    pub summary: Summary,
    /// Slowest steps first.
    pub bottleneck_steps: Vec<Bottleneck>,
    /// What was recorded at its number and choice steps (absent when nothing was).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<super::StepValues>,
    /// Its occurrences so far and what became of them (absent without an active schedule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleCounts>,
}

/// Stats of one procedure, its schedules' counts as of `clock`.
pub fn procedure_stats(db: &Dataset, pid: ProcedureId, engine: &mut Engine, clock: &Clock) -> Option<ProcedureStats> {
    let runs: Vec<(&Run, RunStepsOf)> = db.runs_of(pid).iter().filter_map(|r| db.run_with_steps(*r)).collect();
    // The rows of each run lie elsewhere in memory, and each recorded value in an
    // allocation of its own: their fetches are started for all runs first (prefetches
    // do not wait), the rows', then the values' once the rows are in, so the processor
    // waits for many at once rather than for each in turn in the real pass.
    for (run, rows) in &runs {
        run.prefetch_more();
        rows.prefetch();
    }
    let mut valued = 0usize;
    for (run, rows) in &runs {
        run.prefetch_rarer();
        for rs in rows.clone().filter(|rs| rs.has_value()) {
            valued += 1;
            rs.prefetch_more();
        }
    }
    let mut gathered = Gathered {
        runs: Vec::with_capacity(runs.len()),
        times: StepTimes::for_runs(runs.len()),
        ..Gathered::default()
    };
    for (run, rows) in runs {
        gathered.add(db, run, rows, valued > 0);
    }
    gathered.finish(db, pid, engine, clock)
}

/// What one procedure's runs add up to, gathered a run at a time.
#[derive(Default)]
struct Gathered<'a> {
    runs: Vec<&'a Run>,
    values: super::values::ValuesOf,
    times: StepTimes<'a>,
}

impl<'a> Gathered<'a> {
    /// Add `run` (`rows`: its run steps; `values`: whether any run of the procedure
    /// recorded one).
    fn add(&mut self, db: &'a Dataset, run: &'a Run, rows: RunStepsOf<'a>, values: bool) {
        self.runs.push(run);
        if values {
            self.values.add(db, run, rows.clone());
        }
        self.times.add(run, rows);
    }

    fn finish(self, db: &Dataset, pid: ProcedureId, engine: &mut Engine, clock: &Clock) -> Option<ProcedureStats> {
        let p = db.procedure(pid)?;
        Some(ProcedureStats {
            id: pid.0,
            name: p.name.clone(),
            summary: {
                let mut summary = SummaryOf::with_capacity(self.runs.len());
                self.runs.iter().for_each(|r| summary.add(r));
                summary.finish()
            },
            values: self.values.finish(db),
            bottleneck_steps: self.times.finish(),
            schedule: engine.counts(db, pid, clock),
        })
    }
}

/// [`procedure_stats`] of `ids`, in their order, on every core: whichever thread comes
/// free takes the next few procedures (their costs differ with their runs, values and
/// schedules: contiguous shares balanced by runs left one core idle for the last fifth
/// of the compute). A procedure is summed up whole by one thread (its rows stay in cache;
/// a walk over all runs in id order was slower: BENCHMARKS.md); each thread has its own
/// schedule engine.
fn per_procedure_in_parallel(db: &Dataset, ids: &[ProcedureId], clock: &Clock) -> Vec<ProcedureStats> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16);
    // Procedures taken at once: at most 16 (~1 ms of work at y1), so that the threads end
    // close together; fewer in a small folder, where each thread still gets some.
    let chunk = (ids.len() / (threads * 32)).clamp(1, 16);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut engine = Engine::new();
        let mut done: Vec<(usize, Vec<ProcedureStats>)> = Vec::new();
        loop {
            let start = next.fetch_add(chunk, std::sync::atomic::Ordering::Relaxed);
            let Some(taken) = ids.get(start..(start + chunk).min(ids.len())).filter(|c| !c.is_empty()) else {
                return done;
            };
            done.push((start, taken.iter().filter_map(|p| procedure_stats(db, *p, &mut engine, clock)).collect()));
        }
    };
    let helpers = (threads - 1).min(ids.len().saturating_sub(1));
    let mut chunks = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..helpers).map(|_| scope.spawn(work)).collect();
        let mut chunks = work();
        for h in handles {
            // A panic in a share is a bug: re-raise it rather than print a partial report.
            chunks.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        chunks
    });
    chunks.sort_unstable_by_key(|c| c.0);
    chunks.into_iter().flat_map(|c| c.1).collect()
}

/// The whole `stats` report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsReport {
    /// Per procedure, in id order.
    pub procedures: Vec<ProcedureStats>,
    /// Over all runs of the procedures listed.
    pub overall: Summary,
}

/// Stats of every procedure (or just `only`), plus the overall numbers; schedules as of now.
pub fn stats_report(db: &Dataset, only: Option<ProcedureId>) -> StatsReport {
    stats_report_at(db, only, &Clock::system())
}

/// [`stats_report`], schedules as of `clock`.
pub fn stats_report_at(db: &Dataset, only: Option<ProcedureId>, clock: &Clock) -> StatsReport {
    let ids: Vec<ProcedureId> = match only {
        Some(p) => vec![p],
        None => db.procedures.rows().iter().map(|p| p.id).collect(),
    };
    let overall = || match only {
        Some(p) => summarize(db.runs_of(p).iter().filter_map(|r| db.run(*r))),
        None => summarize(db.runs.rows()),
    };
    // The overall numbers (a walk over every run and a selection among 500,000
    // durations at y1) on a thread of their own while the procedures are summed up: after
    // them, they were the compute's one stretch on one core.
    let (procedures, overall) = std::thread::scope(|scope| {
        let overall = scope.spawn(overall);
        let procedures = per_procedure_in_parallel(db, &ids, clock);
        (procedures, overall.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    });
    StatsReport { procedures, overall }
}
