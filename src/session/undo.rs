//! Undo of ticks in the runner: the state of a run step before each tick or untick.

use crate::model::*;

/// One undoable tick or untick: the state before it.
#[derive(Clone, Debug, PartialEq)]
pub struct UndoTick {
    /// The run step ticked or unticked.
    pub run_step: RunStepId,
    /// Whether it was completed before.
    pub completed: bool,
    /// When it was completed before.
    pub completed_at: Option<Timestamp>,
    /// Its value before.
    pub value: String,
    /// Who had ticked it.
    pub completed_by: Name,
}

impl UndoTick {
    /// The state of `before`, to go back to.
    pub fn of(before: &RunStep) -> Self {
        Self {
            run_step: before.id,
            completed: before.completed,
            completed_at: before.completed_at(),
            value: before.value().to_owned(),
            completed_by: before.completed_by,
        }
    }
}
