//! Runs: start, tick/untick, notes, finish.

use super::{Done, OpError, done, invalid, new_ids};
use crate::model::*;
use crate::store::{Dataset, RunSheet, TableKind, TableSet};

fn run_in_progress(db: &Dataset, id: RunId) -> Result<&Run, OpError> {
    let run = db.run(id).ok_or(OpError::NotFound { what: "run", id: id.0 })?;
    if run.status != RunStatus::InProgress {
        return invalid(format!("run {id} is already {}", run.status.as_str()));
    }
    Ok(run)
}

/// Record that the procedure of `run` changed (for caches of derived data).
fn touch_run(db: &mut Dataset, run: RunId) {
    if let Some(pid) = db.run(run).map(|r| r.procedure_id) {
        db.touch_procedure(pid);
    }
}

/// Who starts a run and what it is for (all optional).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunStart {
    /// Who starts it.
    pub by: Name,
    /// What it is about ("web-01").
    pub title: String,
    /// The occurrence of a schedule it is started for.
    pub scheduled_for: Option<Timestamp>,
}

/// Start a run of a procedure: one unticked run_steps row per current step that is not
/// a section; the run records the procedure version it executes.
pub fn start_run(db: &mut Dataset, pid: ProcedureId, now: Timestamp) -> Result<Done<RunId>, OpError> {
    start_run_with(db, pid, now, &RunStart::default())
}

/// [`start_run`], recording who starts it, its title and its occurrence.
pub fn start_run_with(
    db: &mut Dataset,
    pid: ProcedureId,
    now: Timestamp,
    start: &RunStart,
) -> Result<Done<RunId>, OpError> {
    let p = db.procedure(pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    let version = p.version;
    let steps: Vec<StepId> = db.steps_of(pid).filter(|s| s.kind != StepKind::Section).map(|s| s.id).collect();
    if steps.is_empty() {
        return invalid("this procedure has no steps to run");
    }
    let run = RunId(new_ids(&db.runs, 1, "runs")?);
    let first = new_ids(&db.run_steps, steps.len(), "run steps")?;
    let mut row = Run::new(run, pid, now, Some(version));
    row.started_by = start.by;
    row.set_title(start.title.trim());
    row.set_scheduled_for(start.scheduled_for);
    db.runs.insert(row);
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
pub fn set_step_completed(
    db: &mut Dataset,
    id: RunStepId,
    completed: bool,
    now: Timestamp,
) -> Result<Done<()>, OpError> {
    set_step_completed_by(db, id, completed, now, Name::NONE)
}

/// [`set_step_completed`], recording who ticked it. A step that records a value is
/// ticked by recording one ([`record_value`]): ticking it bare is refused when the value
/// is required; unticking it clears its value.
pub fn set_step_completed_by(
    db: &mut Dataset,
    id: RunStepId,
    completed: bool,
    now: Timestamp,
    by: Name,
) -> Result<Done<()>, OpError> {
    let rs = db.run_step(id).ok_or(OpError::NotFound { what: "run step", id: id.0 })?;
    run_in_progress(db, rs.run_id)?;
    if rs.completed == completed {
        return Ok(Done { value: (), changed: TableSet::EMPTY });
    }
    let run = rs.run_id;
    if completed {
        let sheet = RunSheet::of(db, run);
        not_needed(db, &sheet, id)?;
        if let Some(item) = sheet.item(id).filter(|i| i.required && rs.value().is_empty()) {
            return invalid(format!("“{}” needs a value: enter it to tick the step", first_line(&item.text)));
        }
    }
    if let Some(rs) = db.run_steps.get_mut(u64::from(id.0)) {
        rs.completed = completed;
        rs.set_completed_at(completed.then_some(now));
        rs.completed_by = if completed { by } else { Name::NONE };
        if !completed {
            rs.set_value("");
        }
    }
    touch_run(db, run);
    done(db, (), TableSet::EMPTY.with(TableKind::RunSteps))
}

/// Record the value found at a step of a run in progress: entering it is the tick
/// (completed_at = now, completed_by = `by`); an empty value unticks the step. Refused
/// when the value does not fit the step (not a number, not one of the answers, not a
/// date); a value out of range or a flagged answer is recorded and returned as a flag.
pub fn record_value(
    db: &mut Dataset,
    id: RunStepId,
    value: &str,
    now: Timestamp,
    by: Name,
) -> Result<Done<Option<String>>, OpError> {
    let rs = db.run_step(id).ok_or(OpError::NotFound { what: "run step", id: id.0 })?;
    let run = rs.run_id;
    run_in_progress(db, run)?;
    let sheet = RunSheet::of(db, run);
    let item = sheet.item(id).ok_or(OpError::NotFound { what: "step of this run", id: id.0 })?;
    if value.trim().is_empty() {
        set_step_completed_by(db, id, false, now, by)?;
        return done(db, None, TableSet::EMPTY.with(TableKind::RunSteps));
    }
    not_needed(db, &sheet, id)?;
    let flag = match judge(item.kind, &item.options, value) {
        Ok(Judged::Ok) => None,
        Ok(Judged::Flagged(why)) => Some(why),
        Err(why) => return invalid(format!("“{}”: {why}", first_line(&item.text))),
    };
    let value = canonical_value(item.kind, &item.options, value);
    let unchanged = db.run_step(id).is_some_and(|rs| rs.completed && rs.value() == value);
    if unchanged {
        return Ok(Done { value: flag, changed: TableSet::EMPTY });
    }
    if let Some(rs) = db.run_steps.get_mut(u64::from(id.0)) {
        rs.set_value(&value);
        if !rs.completed {
            rs.completed = true;
            rs.set_completed_at(Some(now));
        }
        rs.completed_by = by;
    }
    touch_run(db, run);
    done(db, flag, TableSet::EMPTY.with(TableKind::RunSteps))
}

/// Refuse a step its condition hides in this run (the runner does not show it; a
/// value recorded there would count where the procedure says it does not apply).
fn not_needed(db: &Dataset, sheet: &RunSheet, id: RunStepId) -> Result<(), OpError> {
    let Some(i) = sheet.items.iter().position(|it| it.run_step == Some(id)) else { return Ok(()) };
    if sheet.needed(db)[i] {
        return Ok(());
    }
    let item = &sheet.items[i];
    let why = item
        .condition
        .as_ref()
        .and_then(|c| {
            let on = sheet.items.iter().find(|o| o.step == c.step)?;
            Some(format!(" ({})", c.words(first_line(&on.text))))
        })
        .unwrap_or_default();
    invalid(format!("“{}” is not needed in this run{why}: it takes no tick or value", first_line(&item.text)))
}

/// Put a run step of a run in progress back as it was (undo): ticked or not, when, by
/// whom, with which value.
pub fn restore_run_step(
    db: &mut Dataset,
    id: RunStepId,
    completed: bool,
    completed_at: Option<Timestamp>,
    value: &str,
    by: Name,
) -> Result<Done<()>, OpError> {
    let rs = db.run_step(id).ok_or(OpError::NotFound { what: "run step", id: id.0 })?;
    let run = rs.run_id;
    run_in_progress(db, run)?;
    if let Some(rs) = db.run_steps.get_mut(u64::from(id.0)) {
        rs.completed = completed;
        rs.set_completed_at(completed_at.filter(|_| completed));
        rs.completed_by = by;
        rs.set_value(value);
    }
    touch_run(db, run);
    done(db, (), TableSet::EMPTY.with(TableKind::RunSteps))
}

/// The first line of a step's text (for messages).
pub fn first_line(text: &str) -> &str {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

/// Set or clear a run's title (allowed on finished runs too).
pub fn set_run_title(db: &mut Dataset, id: RunId, title: &str) -> Result<Done<()>, OpError> {
    let run = db.run(id).ok_or(OpError::NotFound { what: "run", id: id.0 })?;
    if run.title() == title.trim() {
        return Ok(Done { value: (), changed: TableSet::EMPTY });
    }
    if let Some(r) = db.runs.get_mut(u64::from(id.0)) {
        r.set_title(title.trim());
    }
    touch_run(db, id);
    done(db, (), TableSet::EMPTY.with(TableKind::Runs))
}

/// Set the note of a run step (allowed on finished runs too).
pub fn set_step_note(db: &mut Dataset, id: RunStepId, note: &str) -> Result<Done<()>, OpError> {
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
pub fn finish_run(db: &mut Dataset, id: RunId, status: RunStatus, now: Timestamp) -> Result<Done<()>, OpError> {
    if status == RunStatus::InProgress {
        return invalid("a run is finished as completed or cancelled");
    }
    let start = run_in_progress(db, id)?.start_time;
    if status == RunStatus::Completed {
        let sheet = RunSheet::of(db, id);
        let missing: Vec<String> = sheet.missing(db).iter().map(|i| format!("“{}”", first_line(&i.text))).collect();
        if !missing.is_empty() {
            let what = if missing.len() == 1 { "a required step has" } else { "required steps have" };
            return invalid(format!("Cannot complete: {what} no value yet: {}", missing.join(", ")));
        }
    }
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

/// [`finish_run`], keeping why in the run's notes (a cancel's reason): the reason,
/// trimmed, goes on a line of its own after the notes there are.
pub fn finish_run_saying(
    db: &mut Dataset,
    id: RunId,
    status: RunStatus,
    reason: &str,
    now: Timestamp,
) -> Result<Done<()>, OpError> {
    let finished = finish_run(db, id, status, now)?;
    let reason = reason.trim();
    if !reason.is_empty() {
        let old = db.run(id).map(|r| r.notes().to_owned()).unwrap_or_default();
        let note = if old.is_empty() { reason.to_owned() } else { format!("{old}\n{reason}") };
        set_run_note(db, id, &note)?;
    }
    Ok(finished)
}

/// Set a run's notes.
pub fn set_run_note(db: &mut Dataset, id: RunId, note: &str) -> Result<Done<()>, OpError> {
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
