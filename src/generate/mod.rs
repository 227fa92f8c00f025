//! Generated data folders: deterministic, realistic folders at every scale — the fixture
//! library of the tests, the benches and the fuzz target, and what
//! `procedures generate DIR --scale small|y1|10y1 [--seed N]` writes.

use crate::model::*;
use crate::store::{self, Dataset, Table, TableSet};
use chrono::NaiveDate;
use std::path::Path;

mod words;

use words::*;

/// How big a folder to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// One procedure per template, six weeks of history.
    Small,
    /// 10,000 procedures, 100,000 steps, 500,000 runs, 5,000,000 run_steps.
    Y1,
    /// Ten times y1.
    #[value(name = "10y1")]
    TenY1,
}

struct Shape {
    procedures: usize,
    steps_per_procedure: usize,
    runs: usize,
    days: i64,
}

impl Scale {
    fn shape(self) -> Shape {
        match self {
            Scale::Small => Shape { procedures: TEMPLATES.len(), steps_per_procedure: 0, runs: 160, days: 42 },
            Scale::Y1 => Shape { procedures: 10_000, steps_per_procedure: 10, runs: 500_000, days: 365 },
            Scale::TenY1 => Shape { procedures: 100_000, steps_per_procedure: 10, runs: 5_000_000, days: 3650 },
        }
    }
}

/// A small, fast, deterministic PRNG (SplitMix64).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A position in a slice of `len` items (0 when empty).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Write a generated folder to `dir` (created if needed; existing tables replaced).
pub fn generate(dir: &Path, scale: Scale, seed: u64) -> Result<Dataset, store::Error> {
    let mut db = build(scale, seed);
    std::fs::create_dir_all(dir).map_err(|e| store::Error::io(dir, e))?;
    store::write_tables(dir, &db.write_snapshots(TableSet::all())).map_err(|(_, e)| e)?;
    Ok(db)
}

/// What a generated step asks, by a hash of its place (not the random stream): about
/// 6% numbers, 5% choices (Pass / Fail flagged / N/A), a sign-off to end one procedure
/// in seven, a section to start one in ten, and a follow-up after a third of the choices
/// that is needed only when the answer was Fail.
fn asks(step: &mut Step, p: usize, s: usize, n: usize, previous: Option<&Step>) {
    let h = (p as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (s as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let roll = (h >> 11) % 1000;
    if s == 0 && p % 10 == 3 {
        step.kind = StepKind::Section;
    } else if s + 1 == n && p % 7 == 2 {
        step.kind = StepKind::Signoff;
    } else if let Some(prev) = previous.filter(|prev| prev.kind == StepKind::Choice && roll.is_multiple_of(3)) {
        step.show_if = format!("{} = Fail", prev.id);
    } else if roll < 60 {
        step.kind = StepKind::Number;
        step.options = NUMBER_OPTIONS[(h % NUMBER_OPTIONS.len() as u64) as usize].to_owned();
    } else if roll < 110 {
        step.kind = StepKind::Choice;
        step.options = "Pass|!Fail|N/A".to_owned();
    }
}

/// What a run found at a step: a number mostly in range (one in 25 outside), an answer
/// (mostly Pass, one in 12 Fail), the name of who signs off.
fn found_value(rng: &mut Rng, step: &Step, by: Name) -> String {
    match step.kind {
        StepKind::Number => {
            let spec = step.parsed_options().number().cloned().unwrap_or_default();
            let (lo, hi) = match (spec.min, spec.max) {
                (Some(a), Some(b)) => (a, b),
                (None, Some(b)) => (b * 0.3, b),
                (Some(a), None) => (a, a * 2.0),
                (None, None) => (0.0, 10.0),
            };
            let width = (hi - lo).max(0.1);
            let v = if rng.chance(0.04) { hi + width * (0.1 + rng.unit() * 0.5) } else { lo + width * rng.unit() };
            num((v * 10.0).round() / 10.0)
        }
        StepKind::Choice => {
            let roll = rng.unit();
            (if roll < 0.08 {
                "Fail"
            } else if roll < 0.12 {
                "N/A"
            } else {
                "Pass"
            })
            .to_owned()
        }
        StepKind::Signoff => by.as_str().to_owned(),
        StepKind::Text => "ok".to_owned(),
        StepKind::Date => "2026-12-01".to_owned(),
        StepKind::Check | StepKind::Section => String::new(),
    }
}

/// The schedule of procedure `p`, if it has one: (rule, hour, due within, anchor).
fn schedule_of(scale: Scale, p: usize) -> Option<(String, i64, i64, Anchor)> {
    const DAY: i64 = 86_400;
    let days = ["MO", "TU", "WE", "TH", "FR"];
    if scale == Scale::Small {
        let labels = TEMPLATES[p % TEMPLATES.len()].labels;
        return if labels.contains(&"daily") {
            Some(("FREQ=DAILY".into(), 7, 3600, Anchor::Calendar))
        } else if labels.contains(&"weekly") {
            Some((format!("FREQ=WEEKLY;BYDAY={}", days[p % 5]), 9, DAY, Anchor::Calendar))
        } else if labels.contains(&"monthly") {
            Some(("FREQ=MONTHLY;BYMONTHDAY=-1".into(), 9, 3 * DAY, Anchor::Calendar))
        } else {
            None
        };
    }
    // A procedure runs about weekly at these scales: fortnightly and monthly schedules
    // miss a realistic few occurrences; a completion anchor now and then.
    match (p as u64).wrapping_mul(2_654_435_761) % 100 {
        0..17 => Some((format!("FREQ=WEEKLY;INTERVAL=2;BYDAY={}", days[p % 5]), 9, DAY, Anchor::Calendar)),
        17..25 => Some((format!("FREQ=MONTHLY;BYMONTHDAY={}", 1 + p % 28), 10, 3 * DAY, Anchor::Calendar)),
        25..28 => Some(("FREQ=MONTHLY;BYDAY=1MO".into(), 8, 7 * DAY, Anchor::Calendar)),
        28..30 => Some(("FREQ=DAILY;INTERVAL=14".into(), 9, 3 * DAY, Anchor::Completion)),
        _ => None,
    }
}

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_wall_secs(secs)
}

/// Build the generated data in memory.
pub fn build(scale: Scale, seed: u64) -> Dataset {
    let shape = scale.shape();
    let mut rng = Rng(seed ^ 0x5EED_0FC0_FFEE);
    let end = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default().and_hms_opt(0, 0, 0).unwrap_or_default();
    let end_secs = end.and_utc().timestamp();
    let begin_secs = end_secs - shape.days * 86_400;

    let labels: Vec<Label> = LABELS
        .iter()
        .enumerate()
        .map(|(i, (n, c))| Label {
            id: LabelId(i as u32 + 1),
            name: (*n).into(),
            color: (*c).into(),
            extra: Box::default(),
        })
        .collect();
    let label_id = |name: &str| LABELS.iter().position(|(n, _)| *n == name).map_or(1, |i| i as u32 + 1);

    let mut procedures = Vec::with_capacity(shape.procedures);
    let mut steps = Vec::with_capacity(shape.procedures * 10);
    let mut links = Vec::new();
    let mut versions = Vec::new();
    // Per procedure: (first step index in `steps`, step count, version change times).
    let mut meta: Vec<(usize, usize, Vec<i64>)> = Vec::with_capacity(shape.procedures);
    for p in 0..shape.procedures {
        let t = &TEMPLATES[p % TEMPLATES.len()];
        let pid = ProcedureId(p as u32 + 1);
        let name = if scale == Scale::Small {
            t.name.to_owned()
        } else {
            format!("{} — {} #{}", t.name, rng.pick(VARIANTS), p / TEMPLATES.len() + 1)
        };
        let n_steps = if shape.steps_per_procedure == 0 { t.steps.len() } else { shape.steps_per_procedure };
        let created = begin_secs - 86_400 * (7 + rng.below(60) as i64);
        let n_versions = 1 + rng.below(4) as usize;
        let mut vtimes: Vec<i64> = (0..n_versions)
            .map(|v| if v == 0 { created } else { begin_secs + rng.below((shape.days * 86_400) as u64) as i64 })
            .collect();
        vtimes.sort_unstable();
        let first = steps.len();
        for s in 0..n_steps {
            let (text, est) = match t.steps.get(s) {
                Some((text, est)) => ((*text).to_owned(), *est),
                None => (EXTRA_STEPS[(s - t.steps.len()) % EXTRA_STEPS.len()].to_owned(), 120),
            };
            let estimated = (!rng.chance(0.1)).then_some(est);
            let mut step = Step::new(StepId(steps.len() as u32 + 1), pid, s as u32 + 1, &text, estimated);
            let previous = (s > 0).then(|| &steps[steps.len() - 1]);
            asks(&mut step, p, s, n_steps, previous);
            steps.push(step);
        }
        let mut label_ids: Vec<u32> = t.labels.iter().map(|l| label_id(l)).collect();
        label_ids.sort_unstable();
        for l in &label_ids {
            links.push(ProcedureLabel { procedure_id: pid, label_id: LabelId(*l), extra: Box::default() });
        }
        // Versions: each later version rewords one step (the current text is the last one's).
        let reworded: Vec<usize> = (1..n_versions).map(|_| rng.below(n_steps as u64) as usize).collect();
        for v in 0..n_versions {
            let snap = Snapshot {
                id: pid.0,
                name: name.clone(),
                description: t.description.to_owned(),
                version: v as u32 + 1,
                labels: label_ids.iter().map(|l| LABELS[*l as usize - 1].0.to_owned()).collect(),
                steps: steps[first..]
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let old = reworded[v..].contains(&i);
                        let mut step = SnapshotStep::of(s);
                        if old {
                            step.description = format!("{} (old wording)", s.description);
                        }
                        step
                    })
                    .collect(),
            };
            versions.push(Version {
                id: VersionId(versions.len() as u32 + 1),
                procedure_id: pid,
                version: v as u32 + 1,
                created_at: Some(ts(vtimes[v])),
                change_description: if v == 0 {
                    "created".into()
                } else {
                    format!("reworded step {}", reworded[v - 1] + 1)
                },
                procedure_snapshot: snap.to_json(),
                extra: Box::default(),
                asks_cache: Default::default(),
            });
        }
        procedures.push(Procedure {
            id: pid,
            name,
            description: t.description.to_owned(),
            created_at: Some(ts(created)),
            updated_at: Some(ts(*vtimes.last().unwrap_or(&created))),
            version: n_versions as u32,
            extra: Box::default(),
        });
        meta.push((first, n_steps, vtimes));
    }

    // Schedules (about 30% of procedures; in the small folder those labelled daily,
    // weekly or monthly), and each calendar schedule's occurrences to aim runs at.
    let mut schedules = Vec::new();
    let mut aims: Vec<Option<(Vec<i64>, i64)>> = vec![None; shape.procedures];
    for (p, aim) in aims.iter_mut().enumerate() {
        let Some((rule, hour, due, anchor)) = schedule_of(scale, p) else { continue };
        let day = begin_secs - begin_secs.rem_euclid(86_400);
        let starts_at = ts(day + hour * 3600);
        if anchor == Anchor::Calendar
            && let Ok(r) = crate::model::recurrence::Recurrence::parse(&rule, starts_at.naive())
        {
            let times = r.expand(starts_at.naive(), ts(end_secs).naive());
            *aim = Some((times.iter().map(|t| ts(t.and_utc().timestamp()).wall_secs()).collect(), due));
        }
        schedules.push(Schedule {
            id: ScheduleId(schedules.len() as u32 + 1),
            procedure_id: ProcedureId(p as u32 + 1),
            rule,
            starts_at,
            due_within: Some(due as u32),
            anchor,
            active: true,
            extra: Box::default(),
        });
    }

    // Runs spread evenly over the period, in time order.
    let mut runs = Vec::with_capacity(shape.runs);
    let mut run_steps = Vec::with_capacity(shape.runs * 10);
    let span = (shape.days * 86_400) as f64;
    for r in 0..shape.runs {
        let p = rng.below(shape.procedures as u64) as usize;
        let (first, n, vtimes) = &meta[p];
        let linear = begin_secs + (span * (r as f64 + rng.unit()) / shape.runs as f64) as i64;
        let mut start = linear - linear.rem_euclid(86_400) + 6 * 3600 + rng.below(12 * 3600) as i64;
        // A scheduled procedure is run for its latest occurrence: mostly in time, some
        // late, half of them started from Today (scheduled_for); occurrences no run
        // went to are missed. From a stream of its own, like the values.
        let mut aim = Rng(seed ^ 0xD0E ^ (r as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let mut scheduled_for = None;
        if let Some((times, due)) = &aims[p]
            && let Some(k) = times.partition_point(|&x| x <= linear).checked_sub(1)
        {
            let late = aim.chance(0.15);
            let delay =
                if late { due + aim.below(*due as u64) as i64 } else { aim.below((*due / 2).max(1) as u64) as i64 };
            start = (times[k] + delay).min(end_secs - 60);
            scheduled_for = aim.chance(0.5).then(|| ts(times[k]));
        }
        let version = vtimes.iter().filter(|t| **t <= start).count().max(1) as u32;
        let recent = end_secs - start < 2 * 86_400;
        let roll = rng.unit();
        let status = if recent && roll < 0.3 || roll < 0.001 {
            RunStatus::InProgress
        } else if roll < 0.1 {
            RunStatus::Cancelled
        } else {
            RunStatus::Completed
        };
        let ticked = match status {
            RunStatus::Completed => *n,
            RunStatus::Cancelled => rng.below(*n as u64) as usize,
            RunStatus::InProgress => rng.below(*n as u64 + 1) as usize,
        };
        let mut t = start;
        // Some steps are slow: about 1 in 7 takes three times its estimate.
        let run_id = RunId(r as u32 + 1);
        // Who and what was found come from a stream of their own (the rest of the data
        // stays as it was before steps recorded values).
        let mut found = Rng(seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let by = Name::of(PEOPLE[found.index(PEOPLE.len())]).unwrap_or_default();
        let mut failed = false;
        for s in 0..*n {
            let step = &steps[first + s];
            if step.kind == StepKind::Section {
                continue;
            }
            // A follow-up is needed only when the answer before it was flagged.
            if !step.show_if.is_empty() && !failed {
                let id = RunStepId(run_steps.len() as u32 + 1);
                run_steps.push(RunStep::new(id, run_id, step.id, false, None));
                continue;
            }
            let est = f64::from(step.estimated_duration_secs.unwrap_or(300));
            let slow = (u64::from(step.id.0) * 2_654_435_761) % 7 == 0;
            let factor = (0.5 + rng.unit() * 1.2) * if slow { 3.0 } else { 1.0 };
            let done = s < ticked;
            if done {
                t += (est * factor) as i64 + 5;
            }
            let notes = if done && rng.chance(0.03) { *rng.pick(STEP_NOTES) } else { "" };
            let id = RunStepId(run_steps.len() as u32 + 1);
            let mut row = RunStep::new(id, run_id, step.id, done, done.then(|| ts(t))).with_more(notes, Box::default());
            if done {
                row.completed_by = by;
                let value = found_value(&mut found, step, by);
                failed = step.kind == StepKind::Choice && value == "Fail";
                row.set_value(&value);
            }
            run_steps.push(row);
        }
        let end_time = match status {
            RunStatus::InProgress => None,
            _ => Some(ts(t + 30 + rng.below(120) as i64)),
        };
        let notes = match status {
            RunStatus::Cancelled => *rng.pick(CANCEL_NOTES),
            _ if rng.chance(0.05) => *rng.pick(RUN_NOTES),
            _ => "",
        };
        let mut run = Run::new(run_id, ProcedureId(p as u32 + 1), ts(start), Some(version));
        (run.end_time, run.status) = (end_time, status);
        run.started_by = by;
        let mut run = run.with_more(notes, Box::default());
        run.set_scheduled_for(scheduled_for);
        runs.push(run);
    }
    links.sort_by_key(|l| (l.procedure_id, l.label_id));
    Dataset::unindexed(
        Table::from_sorted(procedures, Vec::new()),
        Table::from_sorted(steps, Vec::new()),
        Table::from_sorted(runs, Vec::new()),
        Table::from_sorted(run_steps, Vec::new()),
        Table::from_sorted(labels, Vec::new()),
        Table::from_sorted(links, Vec::new()),
        Table::from_sorted(versions, Vec::new()),
        Table::from_sorted(schedules, Vec::new()),
    )
    .indexed()
}
