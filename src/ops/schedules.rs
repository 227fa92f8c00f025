//! Schedules: a procedure's list of schedules, set as a whole from the editor.

use super::{Done, OpError, done, invalid, new_ids};
use crate::model::recurrence::Recurrence;
use crate::model::*;
use crate::store::{Dataset, TableKind, TableSet};

/// One schedule as the editor holds it (`id` none: a new one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleDraft {
    /// The row it edits, or none for a new schedule.
    pub id: Option<ScheduleId>,
    /// RFC 5545 rule text (`FREQ=DAILY`).
    pub rule: String,
    /// The first occurrence; its time of day is every occurrence's.
    pub starts_at: Timestamp,
    /// Seconds after an occurrence before it is overdue.
    pub due_within: Option<u32>,
    /// Calendar or completion.
    pub anchor: Anchor,
    /// False: paused.
    pub active: bool,
}

impl ScheduleDraft {
    /// The draft of an existing schedule.
    pub fn of(s: &Schedule) -> Self {
        Self {
            id: Some(s.id),
            rule: s.rule.clone(),
            starts_at: s.starts_at,
            due_within: s.due_within,
            anchor: s.anchor,
            active: s.active,
        }
    }

    /// Why this draft cannot be saved, if it cannot (the rule parser's message).
    pub fn problem(&self) -> Option<String> {
        Recurrence::parse(&self.rule, self.starts_at.naive()).err()
    }
}

/// Make `drafts` the schedules of procedure `pid`: new ones are added, changed ones
/// updated, the procedure's others removed. Refused, changing nothing, when a rule does
/// not parse or a draft names a schedule of another procedure.
pub fn set_schedules(db: &mut Dataset, pid: ProcedureId, drafts: &[ScheduleDraft]) -> Result<Done<()>, OpError> {
    db.procedure(pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    for (i, d) in drafts.iter().enumerate() {
        if let Some(e) = d.problem() {
            return invalid(format!("schedule {}: {e}", i + 1));
        }
        if let Some(id) = d.id {
            match db.schedule(id) {
                Some(s) if s.procedure_id == pid => {}
                Some(_) => return invalid(format!("schedule {id} belongs to another procedure")),
                None => return Err(OpError::NotFound { what: "schedule", id: id.0 }),
            }
        }
    }
    let new_count = drafts.iter().filter(|d| d.id.is_none()).count();
    let first = new_ids(&db.schedules, new_count, "schedules")?;
    let keep: Vec<ScheduleId> = drafts.iter().filter_map(|d| d.id).collect();
    let mut changed = db.schedules.remove_where(|s| s.procedure_id == pid && !keep.contains(&s.id)) > 0;
    let mut next = first;
    for d in drafts {
        let row = |id| Schedule {
            id,
            procedure_id: pid,
            rule: d.rule.trim().to_owned(),
            starts_at: d.starts_at.to_local(),
            due_within: d.due_within,
            anchor: d.anchor,
            active: d.active,
            extra: Box::default(),
        };
        match d.id {
            Some(id) => {
                let old = db.schedule(id).cloned();
                if let Some(old) = old {
                    let new = Schedule { extra: old.extra.clone(), ..row(id) };
                    if old != new
                        && let Some(s) = db.schedules.get_mut(u64::from(id.0))
                    {
                        *s = new;
                        changed = true;
                    }
                }
            }
            None => {
                db.schedules.insert(row(ScheduleId(next)));
                next += 1;
                changed = true;
            }
        }
    }
    if !changed {
        return Ok(Done { value: (), changed: TableSet::EMPTY });
    }
    db.touch_procedure(pid);
    done(db, (), TableSet::EMPTY.with(TableKind::Schedules))
}
