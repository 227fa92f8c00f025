//! Completion, durations and bottlenecks.

use super::schedule::{Clock, Engine, ScheduleCounts};
use super::{median, percentile};
use crate::model::*;
use crate::store::Dataset;
use serde::Serialize;
use std::collections::HashMap;

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
    /// Stats of unsorted values; `None` when there are none.
    pub fn of(mut values: Vec<f64>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable_by(f64::total_cmp);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        Some(Self { mean, median: median(&values)?, p90: percentile(&values, 0.9)? })
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
    let mut s = Summary::default();
    let mut durations = Vec::new();
    for r in runs {
        s.runs += 1;
        match r.status {
            RunStatus::Completed => s.completed += 1,
            RunStatus::Cancelled => s.cancelled += 1,
            RunStatus::InProgress => s.in_progress += 1,
        }
        if let Some(d) = run_duration_secs(r) {
            durations.push(d as f64);
        }
        if s.last_run.is_none_or(|t| r.start_time.sort_key() > t.sort_key()) {
            s.last_run = Some(r.start_time);
        }
    }
    s.completion_rate = completion_rate(s.completed, s.cancelled);
    s.duration_secs = DurationStats::of(durations);
    s
}

/// How long each ticked step of a run took: its completed_at minus the previous
/// completed_at in the run (ordered by completed_at, then id), or minus the run's
/// start for the first. Returned in that order.
pub fn step_durations(db: &Dataset, run: &Run) -> Vec<(RunStepId, StepId, i64)> {
    let mut ticked: Vec<&RunStep> = db.run_steps_of(run.id).filter(|rs| rs.completed_at.is_some()).collect();
    ticked.sort_by_key(|rs| (rs.completed_at.map(|t| t.sort_key()), rs.id));
    let mut prev = run.start_time;
    ticked
        .into_iter()
        .filter_map(|rs| {
            let at = rs.completed_at?;
            let d = at.elapsed_since(&prev);
            prev = at;
            Some((rs.id, rs.step_id, d))
        })
        .collect()
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
pub fn bottlenecks<'a>(db: &Dataset, runs: impl IntoIterator<Item = &'a Run>) -> Vec<Bottleneck> {
    let mut per_step: HashMap<StepId, Vec<f64>> = HashMap::new();
    for run in runs {
        for (_, step, d) in step_durations(db, run) {
            per_step.entry(step).or_default().push(d as f64);
        }
    }
    let mut out: Vec<Bottleneck> = per_step
        .into_iter()
        .filter_map(|(step, mut v)| {
            v.sort_by(f64::total_cmp);
            Some(Bottleneck {
                step_id: step.0,
                median_secs: median(&v)?,
                p90_secs: percentile(&v, 0.9)?,
                count: v.len(),
            })
        })
        .collect();
    out.sort_by(|a, b| b.median_secs.total_cmp(&a.median_secs).then(a.step_id.cmp(&b.step_id)));
    out
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
    let p = db.procedure(pid)?;
    let runs: Vec<&Run> = db.runs_of(pid).iter().filter_map(|r| db.run(*r)).collect();
    Some(ProcedureStats {
        id: pid.0,
        name: p.name.clone(),
        summary: summarize(runs.iter().copied()),
        values: super::step_values(db, runs.iter().copied()),
        bottleneck_steps: bottlenecks(db, runs),
        schedule: engine.counts(db, pid, clock),
    })
}

/// [`procedure_stats`] of `ids`, in their order, on every core: the procedures are cut
/// into one contiguous share per thread, balanced by their runs (each thread has its
/// own schedule engine).
fn per_procedure_in_parallel(db: &Dataset, ids: &[ProcedureId], clock: &Clock) -> Vec<ProcedureStats> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16);
    let weight = |p: &ProcedureId| db.runs_of(*p).len() + 1;
    let total: usize = ids.iter().map(weight).sum();
    let mut shares: Vec<&[ProcedureId]> = Vec::with_capacity(threads);
    let (mut start, mut acc) = (0, 0);
    for (i, p) in ids.iter().enumerate() {
        acc += weight(p);
        if acc * threads >= total * (shares.len() + 1) && shares.len() + 1 < threads {
            shares.push(&ids[start..=i]);
            start = i + 1;
        }
    }
    shares.push(&ids[start..]);
    let share_stats = |share: &[ProcedureId]| -> Vec<ProcedureStats> {
        let mut engine = Engine::new();
        share.iter().filter_map(|p| procedure_stats(db, *p, &mut engine, clock)).collect()
    };
    if shares.len() == 1 {
        return share_stats(shares[0]);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = shares[1..].iter().map(|share| scope.spawn(|| share_stats(share))).collect();
        let mut out = share_stats(shares[0]);
        for h in handles {
            // A panic in a share is a bug: re-raise it rather than print a partial report.
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
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
    let procedures = per_procedure_in_parallel(db, &ids, clock);
    let overall = match only {
        Some(p) => summarize(db.runs_of(p).iter().filter_map(|r| db.run(*r))),
        None => summarize(db.runs.rows()),
    };
    StatsReport { procedures, overall }
}
