//! A run's sheet: the steps of the procedure version it ran, in order, sections
//! included, each with its run-step row, what it asks and whether it is needed now
//! (CONTRACT "Steps: kinds, values, conditions"). What the runner shows, what completing
//! checks, what history and reports print.

use super::dataset::Dataset;
use crate::model::*;
use std::collections::{HashMap, HashSet};

/// One step of a run's sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetItem {
    /// The step.
    pub step: StepId,
    /// Its position in the procedure (1-based, sections counted), as in steps.csv.
    pub order: u32,
    /// Its row in run_steps.csv (none for a section).
    pub run_step: Option<RunStepId>,
    /// What to do (CommonMark).
    pub text: String,
    /// Expected seconds.
    pub estimated: Option<u32>,
    /// What it asks.
    pub kind: StepKind,
    /// Unit and range, or answers.
    pub options: Options,
    /// Whether a value must be given before the run completes.
    pub required: bool,
    /// Needed only when this holds.
    pub condition: Option<Condition>,
}

/// A run's steps as it saw them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunSheet {
    /// The steps in order.
    pub items: Vec<SheetItem>,
}

impl SheetItem {
    fn of_snapshot(s: &SnapshotStep, run_step: Option<RunStepId>) -> Self {
        let (kind, options) = s.asks();
        Self {
            step: StepId(s.id.unwrap_or_default()),
            order: s.order,
            run_step,
            text: s.description.clone(),
            estimated: s.estimated_duration,
            kind,
            options,
            required: kind.has_value() && s.required.unwrap_or(true),
            condition: (!s.show_if.trim().is_empty()).then(|| Condition::parse(&s.show_if).ok()).flatten(),
        }
    }

    fn of_step(s: &Step, run_step: Option<RunStepId>) -> Self {
        Self {
            step: s.id,
            order: s.order,
            run_step,
            text: s.description.clone(),
            estimated: s.estimated_duration_secs,
            kind: s.kind,
            options: s.parsed_options(),
            required: s.is_required(),
            condition: s.condition(),
        }
    }
}

impl RunSheet {
    /// The sheet of a run: the steps of the version it ran (its snapshot), else the
    /// current steps; run steps no definition names are listed last as they are.
    pub fn of(db: &Dataset, run: RunId) -> Self {
        let Some(r) = db.run(run) else { return Self::default() };
        let rows: Vec<(StepId, RunStepId)> = db.run_steps_of(run).map(|rs| (rs.step_id, rs.id)).collect();
        // Looked up per step: a map, so a procedure of 50,000 steps costs no more than
        // linear time (first row of a step wins, as in row order).
        let mut by_step: HashMap<StepId, RunStepId> = HashMap::with_capacity(rows.len());
        for (step, id) in &rows {
            by_step.entry(*step).or_insert(*id);
        }
        let row_of = |step: StepId| by_step.get(&step).copied();
        let snap = r.procedure_version.and_then(|v| db.version_snapshot(r.procedure_id, v));
        let mut items: Vec<SheetItem> = match &snap {
            Some(s) if s.steps.iter().all(|st| st.id.is_some()) => {
                s.steps.iter().map(|st| SheetItem::of_snapshot(st, row_of(StepId(st.id.unwrap_or_default())))).collect()
            }
            _ => db.steps_of(r.procedure_id).map(|st| SheetItem::of_step(st, row_of(st.id))).collect(),
        };
        // Rows of steps the definition does not have (edited since, files without
        // versions): each as the best definition found, in row order.
        items.retain(|i| i.run_step.is_some() || i.kind == StepKind::Section);
        let listed: HashSet<RunStepId> = items.iter().filter_map(|i| i.run_step).collect();
        for (step, id) in &rows {
            if listed.contains(id) {
                continue;
            }
            let item = match (db.step(*step), db.step_in_versions(r.procedure_id, *step)) {
                (Some(st), _) => SheetItem::of_step(st, Some(*id)),
                (None, Some(st)) => SheetItem::of_snapshot(&st, Some(*id)),
                (None, None) => SheetItem {
                    step: *step,
                    order: 0,
                    run_step: Some(*id),
                    text: format!("(unknown step #{step})"),
                    estimated: None,
                    kind: StepKind::Check,
                    options: Options::None,
                    required: false,
                    condition: None,
                },
            };
            items.push(item);
        }
        // A section with no step after it (before the next section) shows nothing.
        let mut keep = vec![true; items.len()];
        for (i, item) in items.iter().enumerate() {
            if item.kind == StepKind::Section {
                keep[i] =
                    items[i + 1..].iter().take_while(|n| n.kind != StepKind::Section).any(|n| n.run_step.is_some());
            }
        }
        let mut k = keep.into_iter();
        items.retain(|_| k.next().unwrap_or(true));
        Self { items }
    }

    /// The value recorded at each item (empty for none).
    pub fn values<'a>(&self, db: &'a Dataset) -> Vec<&'a str> {
        self.items.iter().map(|i| i.run_step.and_then(|rs| db.run_step(rs)).map_or("", RunStep::value)).collect()
    }

    /// Whether each item is needed: its condition holds on the value of the step it
    /// names (which must itself be needed); a section is needed when a step under it is.
    pub fn needed(&self, db: &Dataset) -> Vec<bool> {
        let values = self.values(db);
        let mut needed = vec![true; self.items.len()];
        // Where each step first is, for the conditions that name it.
        let mut at: HashMap<StepId, usize> = HashMap::new();
        for (i, item) in self.items.iter().enumerate() {
            if let Some(c) = &item.condition {
                let on = at.get(&c.step).copied();
                needed[i] = on.is_some_and(|o| needed[o] && c.holds(Some(values[o])));
            }
            at.entry(item.step).or_insert(i);
        }
        for i in (0..self.items.len()).rev() {
            if self.items[i].kind == StepKind::Section {
                let under = (i + 1..self.items.len()).take_while(|n| self.items[*n].kind != StepKind::Section);
                needed[i] = under.clone().count() == 0 || under.into_iter().any(|n| needed[n]);
            }
        }
        needed
    }

    /// The needed required steps without a value (what blocks completing the run).
    pub fn missing(&self, db: &Dataset) -> Vec<&SheetItem> {
        let (values, needed) = (self.values(db), self.needed(db));
        self.items
            .iter()
            .enumerate()
            .filter(|(i, it)| needed[*i] && it.required && values[*i].trim().is_empty())
            .map(|(_, it)| it)
            .collect()
    }

    /// The item of a run step.
    pub fn item(&self, rs: RunStepId) -> Option<&SheetItem> {
        self.items.iter().find(|i| i.run_step == Some(rs))
    }
}
