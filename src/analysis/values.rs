//! What runs recorded at the steps of a procedure (CONTRACT "Analytics semantics",
//! values): per number step count, min, median, max and how many were flagged; per
//! choice step the count of each answer and how many were flagged. Each value is judged
//! by the step as its run's version had it.

use super::median_of;
use crate::model::*;
use crate::store::{Dataset, IdMap};
use serde::Serialize;
use std::collections::HashMap;

/// How often an answer was given.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnswerCount {
    /// The answer.
    pub answer: String,
    /// How many runs gave it.
    pub count: usize,
    /// Whether it is an answer to flag.
    pub flagged: bool,
}

/// The values recorded at one step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepValues {
    /// The step.
    pub step_id: u32,
    /// Its text (first line).
    pub step: String,
    /// `number` or `choice`.
    pub kind: &'static str,
    /// The unit of a number step.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Values recorded.
    pub count: usize,
    /// Lowest number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Median number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median: Option<f64>,
    /// Highest number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Values out of range or flagged answers.
    pub flagged: usize,
    /// A choice step's answers with their counts (in the step's order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<AnswerCount>,
    /// A number step's values over time: (start of the run, value, flagged).
    #[serde(skip)]
    pub series: Vec<(Timestamp, f64, bool)>,
    /// A number step's acceptable range.
    #[serde(skip)]
    pub range: (Option<f64>, Option<f64>),
}

/// What a procedure version's steps ask a value at: (id, kind, options) by id.
type Definitions = std::sync::Arc<[Ask]>;

/// The values recorded at the number and choice steps of `runs` (of one procedure), in
/// step order of the procedure's current version, then steps since removed.
pub fn step_values<'a>(db: &Dataset, runs: impl IntoIterator<Item = &'a Run>) -> Vec<StepValues> {
    let mut values = ValuesOf::default();
    for run in runs {
        values.add(db, run, db.run_steps_of(run.id));
    }
    values.finish(db)
}

/// [`step_values`] gathered a run at a time (`stats` walks every run once, in id order,
/// and hands each run's rows to its procedure's gatherer).
#[derive(Default)]
pub struct ValuesOf {
    /// Definitions per (procedure, version): step → (kind, options), parsed once.
    defs: IdMap<(ProcedureId, Option<u32>), Definitions>,
    by_step: IdMap<StepId, StepValues>,
    pid: Option<ProcedureId>,
}

impl ValuesOf {
    /// Add what `run` recorded (`rows`: its run steps).
    pub fn add<'a>(&mut self, db: &Dataset, run: &Run, rows: impl Iterator<Item = &'a RunStep>) {
        self.pid = Some(run.procedure_id);
        let mut rows = rows.filter(|rs| rs.has_value()).peekable();
        if rows.peek().is_none() {
            return;
        }
        let def = self.defs.entry((run.procedure_id, run.procedure_version)).or_insert_with(|| {
            let row = run.procedure_version.and_then(|v| db.version_of(run.procedure_id, v));
            match row.map(Version::asks) {
                Some(Ok(asks)) => std::sync::Arc::clone(asks),
                _ => {
                    let mut current: Vec<Ask> = db
                        .steps_of(run.procedure_id)
                        .filter(|s| s.kind.has_value())
                        .map(|s| (s.id.0, s.kind, s.parsed_options()))
                        .collect();
                    current.sort_by_key(|a| a.0);
                    current.into()
                }
            }
        });
        for rs in rows {
            let Ok(at) = def.binary_search_by_key(&rs.step_id.0, |a| a.0) else { continue };
            let (_, kind, options) = &def[at];
            if !matches!(kind, StepKind::Number | StepKind::Choice) {
                continue;
            }
            let flagged = is_flagged(*kind, options, rs.value());
            let entry = self.by_step.entry(rs.step_id).or_insert_with(|| StepValues {
                step_id: rs.step_id.0,
                step: db.step_text(run.procedure_id, rs.step_id).map_or(String::new(), |t| {
                    t.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_owned()
                }),
                kind: if *kind == StepKind::Number { "number" } else { "choice" },
                unit: options.number().map_or(String::new(), |n| n.unit.clone()),
                count: 0,
                min: None,
                median: None,
                max: None,
                flagged: 0,
                answers: options
                    .choices()
                    .iter()
                    .map(|o| AnswerCount { answer: o.label.clone(), count: 0, flagged: o.flagged })
                    .collect(),
                series: Vec::new(),
                range: options.number().map_or((None, None), |n| (n.min, n.max)),
            });
            entry.count += 1;
            entry.flagged += usize::from(flagged);
            match *kind {
                StepKind::Number => {
                    if let Some(v) = parse_number(rs.value()) {
                        entry.series.push((run.start_time, v, flagged));
                    }
                }
                _ => match entry.answers.iter_mut().find(|a| a.answer.eq_ignore_ascii_case(rs.value())) {
                    Some(a) => a.count += 1,
                    None => entry.answers.push(AnswerCount { answer: rs.value().to_owned(), count: 1, flagged }),
                },
            }
        }
    }

    /// The values per step, in step order of the procedure's current version, then
    /// steps since removed.
    pub fn finish(self, db: &Dataset) -> Vec<StepValues> {
        let mut out: Vec<StepValues> = self.by_step.into_values().collect();
        for v in &mut out {
            let mut numbers: Vec<f64> = v.series.iter().map(|(_, v, _)| *v).collect();
            v.min = numbers.iter().copied().min_by(f64::total_cmp);
            v.max = numbers.iter().copied().max_by(f64::total_cmp);
            v.median = median_of(&mut numbers);
            v.series.sort_by_key(|a| a.0.sort_key());
        }
        let order: HashMap<StepId, u32> =
            self.pid.map(|p| db.steps_of(p).map(|s| (s.id, s.order)).collect()).unwrap_or_default();
        out.sort_by_key(|v| (order.get(&StepId(v.step_id)).copied().unwrap_or(u32::MAX), v.step_id));
        out
    }
}
