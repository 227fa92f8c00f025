//! What the editor (and the importers) hand the ops: a procedure as drafted, its steps,
//! their conditions — before any id or version is given.

use crate::model::*;
use crate::store::Dataset;

/// A step as the editor hands it over.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepDraft {
    /// The existing step this is (None for a new step).
    pub id: Option<StepId>,
    /// What to do.
    pub description: String,
    /// Expected seconds.
    pub estimated_duration_secs: Option<u32>,
    /// What the runner asks.
    pub kind: StepKind,
    /// Unit and range, or answers (see [`Options`]).
    pub options: String,
    /// Whether a value must be given (`None`: the kind's default).
    pub required: Option<bool>,
    /// Needed only if an earlier step's value compares so.
    pub show_if: Option<DraftCondition>,
}

impl StepDraft {
    /// A tick step with this text.
    pub fn tick(description: &str, estimated_duration_secs: Option<u32>) -> Self {
        Self { description: description.to_owned(), estimated_duration_secs, ..Self::default() }
    }
}

/// A step's condition in a draft: on the draft's step at index `on` (new steps have no
/// id yet; the id is written when the draft is saved).
#[derive(Clone, Debug, PartialEq)]
pub struct DraftCondition {
    /// Index of the earlier step in the draft.
    pub on: usize,
    /// How its value compares.
    pub op: Op,
    /// With what.
    pub value: String,
}

impl StepDraft {
    /// The draft of an existing step; `ids` are the ids of its procedure's steps in order
    /// (to turn its condition's step id into an index).
    pub fn of(s: &Step, ids: &[StepId]) -> Self {
        let show_if = s.condition().and_then(|c| {
            let on = ids.iter().position(|id| *id == c.step)?;
            Some(DraftCondition { on, op: c.op, value: c.value })
        });
        Self {
            id: Some(s.id),
            description: s.description.clone(),
            estimated_duration_secs: s.estimated_duration_secs,
            kind: s.kind,
            options: s.options.clone(),
            required: s.required,
            show_if,
        }
    }

    /// Write this draft into a step row at `order`; `ids` are the saved ids of the
    /// draft's steps (for the condition).
    pub(super) fn fill(&self, st: &mut Step, order: u32, ids: &[StepId]) {
        st.order = order;
        st.description = self.description.clone();
        st.estimated_duration_secs = self.estimated_duration_secs;
        st.kind = self.kind;
        st.options = if matches!(self.kind, StepKind::Number | StepKind::Choice) {
            self.options.trim().to_owned()
        } else {
            String::new()
        };
        st.required = self.required.filter(|_| self.kind.has_value());
        st.show_if = self
            .show_if
            .as_ref()
            .and_then(|c| Some(Condition { step: *ids.get(c.on)?, op: c.op, value: c.value.trim().to_owned() }.text()))
            .unwrap_or_default();
    }
}

/// A whole procedure as the editor hands it over.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcedureDraft {
    /// Name (required).
    pub name: String,
    /// Description.
    pub description: String,
    /// Steps in order.
    pub steps: Vec<StepDraft>,
    /// Labels to carry.
    pub labels: Vec<LabelId>,
}

impl ProcedureDraft {
    /// The current content of a procedure, as a draft to edit.
    pub fn of(db: &Dataset, pid: ProcedureId) -> Option<Self> {
        let p = db.procedure(pid)?;
        Some(Self {
            name: p.name.clone(),
            description: p.description.clone(),
            steps: {
                let ids: Vec<StepId> = db.steps_of(pid).map(|s| s.id).collect();
                db.steps_of(pid).map(|s| StepDraft::of(s, &ids)).collect()
            },
            labels: db.labels_of(pid).to_vec(),
        })
    }
}
