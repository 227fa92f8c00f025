//! Runs: start, tick/untick, notes, finish.

use super::{Done, OpError, done, invalid, new_ids};
use crate::model::*;
use crate::store::{Db, TableKind, TableSet};

fn run_in_progress(db: &Db, id: RunId) -> Result<&Run, OpError> {
    let run = db.run(id).ok_or(OpError::NotFound { what: "run", id: id.0 })?;
    if run.status != RunStatus::InProgress {
        return invalid(format!("run {id} is already {}", run.status.as_str()));
    }
    Ok(run)
}

/// Record that the procedure of `run` changed (for caches of derived data).
fn touch_run(db: &mut Db, run: RunId) {
    if let Some(pid) = db.run(run).map(|r| r.procedure_id) {
        db.touch_procedure(pid);
    }
}

/// Start a run of a procedure: one unticked run_steps row per current step; the run
/// records the procedure version it executes.
pub fn start_run(db: &mut Db, pid: ProcedureId, now: Timestamp) -> Result<Done<RunId>, OpError> {
    let p = db.procedure(pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    let version = p.version;
    let steps: Vec<StepId> = db.steps_of(pid).map(|s| s.id).collect();
    if steps.is_empty() {
        return invalid("this procedure has no steps to run");
    }
    let run = RunId(new_ids(&db.runs, 1, "runs")?);
    let first = new_ids(&db.run_steps, steps.len(), "run steps")?;
    db.runs.insert(Run::new(run, pid, now, Some(version)));
    // `first + i` stays within the ids `new_ids` vouched for (up to u32::MAX itself).
    let ids: Vec<RunStepId> = (0..steps.len()).map(|i| RunStepId(first + i as u32)).collect();
    for (id, step) in ids.iter().zip(steps) {
        db.run_steps.insert(RunStep::new(*id, run, step, false, None));
    }
    db.index_new_run(run, pid, ids.len());
    db.touch_procedure(pid);
    done(db, run, TableSet::EMPTY.with(TableKind::Runs).with(TableKind::RunSteps))
}

/// Tick (`completed = true`, completed_at = now) or untick (both cleared) a step of a
/// run in progress. A no-op when it is already in that state.
pub fn set_step_completed(db: &mut Db, id: RunStepId, completed: bool, now: Timestamp) -> Result<Done<()>, OpError> {
    let rs = db.run_step(id).ok_or(OpError::NotFound { what: "run step", id: id.0 })?;
    run_in_progress(db, rs.run_id)?;
    if rs.completed == completed {
        return Ok(Done { value: (), changed: TableSet::EMPTY });
    }
    let run = rs.run_id;
    if let Some(rs) = db.run_steps.get_mut(u64::from(id.0)) {
        rs.completed = completed;
        rs.completed_at = completed.then_some(now);
    }
    touch_run(db, run);
    done(db, (), TableSet::EMPTY.with(TableKind::RunSteps))
}

/// Set the note of a run step (allowed on finished runs too).
pub fn set_step_note(db: &mut Db, id: RunStepId, note: &str) -> Result<Done<()>, OpError> {
    let rs = db.run_step(id).ok_or(OpError::NotFound { what: "run step", id: id.0 })?;
    if rs.notes() == note {
        return Ok(Done { value: (), changed: TableSet::EMPTY });
    }
    let run = rs.run_id;
    if let Some(rs) = db.run_steps.get_mut(u64::from(id.0)) {
        rs.set_notes(note);
    }
    touch_run(db, run);
    done(db, (), TableSet::EMPTY.with(TableKind::RunSteps))
}

/// Finish a run in progress as completed or cancelled; end_time = now
/// (never before its start).
pub fn finish_run(db: &mut Db, id: RunId, status: RunStatus, now: Timestamp) -> Result<Done<()>, OpError> {
    if status == RunStatus::InProgress {
        return invalid("a run is finished as completed or cancelled");
    }
    let start = run_in_progress(db, id)?.start_time;
    // A clock set back (not a change to winter time) would end it before it began.
    let end = if now.may_follow(&start) { now } else { start };
    if let Some(r) = db.runs.get_mut(u64::from(id.0)) {
        r.status = status;
        r.end_time = Some(end);
    }
    db.index_run_status(id, status);
    touch_run(db, id);
    done(db, (), TableSet::EMPTY.with(TableKind::Runs))
}

/// Set a run's notes.
pub fn set_run_note(db: &mut Db, id: RunId, note: &str) -> Result<Done<()>, OpError> {
    let run = db.run(id).ok_or(OpError::NotFound { what: "run", id: id.0 })?;
    if run.notes() == note {
        return Ok(Done { value: (), changed: TableSet::EMPTY });
    }
    if let Some(r) = db.runs.get_mut(u64::from(id.0)) {
        r.set_notes(note);
    }
    touch_run(db, id);
    done(db, (), TableSet::EMPTY.with(TableKind::Runs))
}
