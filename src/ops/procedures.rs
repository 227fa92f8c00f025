//! Procedures: create, update (a new version each time), delete (cascade).

use super::{Done, DraftCondition, OpError, ProcedureDraft, StepDraft, done, invalid, new_ids};
use crate::model::*;
use crate::store::{Dataset, TableKind, TableSet};

/// What deleting a procedure takes with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeleteImpact {
    /// Runs of it.
    pub runs: usize,
    /// Their run_steps rows.
    pub run_steps: usize,
    /// Its steps.
    pub steps: usize,
    /// Its versions.
    pub versions: usize,
    /// Its label links.
    pub labels: usize,
    /// Its schedules.
    pub schedules: usize,
}

/// What keeps a draft from being saved, typed: the editor lists them as they are typed,
/// the ops refuse a draft with the first one — one rule, one wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftProblem {
    /// The name is empty.
    NoName,
    /// A step (0-based) has no text.
    StepWithoutText(usize),
    /// A step's unit and range or answers do not parse.
    BadOptions(usize, String),
    /// A step's condition names a step that is not before it.
    ConditionNotEarlier(usize),
    /// A step's condition names an earlier step (the second) that records no value.
    ConditionOnNoValue(usize, usize),
    /// A step's condition has nothing to compare with.
    ConditionWithoutValue(usize),
    /// A label the draft carries does not exist.
    UnknownLabel(LabelId),
}

impl std::fmt::Display for DraftProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoName => write!(f, "The procedure needs a name"),
            Self::StepWithoutText(i) => write!(f, "Step {} has no text", i + 1),
            Self::BadOptions(i, why) => write!(f, "Step {}: {why}", i + 1),
            Self::ConditionNotEarlier(i) => write!(f, "Step {}: “only if” must name an earlier step", i + 1),
            Self::ConditionOnNoValue(i, on) => {
                write!(f, "Step {}: “only if” names step {}, which records no value", i + 1, on + 1)
            }
            Self::ConditionWithoutValue(i) => write!(f, "Step {}: “only if” needs a value to compare with", i + 1),
            Self::UnknownLabel(l) => write!(f, "no label with id {l}"),
        }
    }
}

/// Everything that keeps `d` from being saved, in order.
pub fn draft_problems(db: &Dataset, d: &ProcedureDraft) -> Vec<DraftProblem> {
    let mut out = Vec::new();
    if d.name.trim().is_empty() {
        out.push(DraftProblem::NoName);
    }
    for (i, s) in d.steps.iter().enumerate() {
        if s.description.trim().is_empty() {
            out.push(DraftProblem::StepWithoutText(i));
        }
        if matches!(s.kind, StepKind::Number | StepKind::Choice)
            && let Err(e) = Options::parse(s.kind, &s.options)
        {
            out.push(DraftProblem::BadOptions(i, e.to_string()));
        }
        if let Some(c) = &s.show_if {
            match d.steps.get(c.on) {
                Some(o) if c.on < i && o.kind.has_value() => {
                    if c.value.trim().is_empty() {
                        out.push(DraftProblem::ConditionWithoutValue(i));
                    }
                }
                Some(_) if c.on < i => out.push(DraftProblem::ConditionOnNoValue(i, c.on)),
                _ => out.push(DraftProblem::ConditionNotEarlier(i)),
            }
        }
    }
    out.extend(d.labels.iter().filter(|l| db.label(**l).is_none()).map(|l| DraftProblem::UnknownLabel(*l)));
    out
}

fn validate(db: &Dataset, d: &ProcedureDraft) -> Result<(), OpError> {
    match draft_problems(db, d).into_iter().next() {
        None => Ok(()),
        Some(DraftProblem::UnknownLabel(l)) => Err(OpError::NotFound { what: "label", id: l.0 }),
        Some(p) => invalid(p.to_string()),
    }
}

/// The snapshot of a procedure's current state (what a version stores).
pub fn snapshot_of(db: &Dataset, pid: ProcedureId) -> Option<Snapshot> {
    let p = db.procedure(pid)?;
    Some(Snapshot {
        id: pid.0,
        name: p.name.clone(),
        description: p.description.clone(),
        version: p.version,
        labels: db.labels_of(pid).iter().filter_map(|l| db.label(*l)).map(|l| l.name.clone()).collect(),
        steps: db.steps_of(pid).map(SnapshotStep::of).collect(),
    })
}

/// Write the version `id` (reserved with [`new_ids`] before anything changed).
fn write_version(db: &mut Dataset, id: VersionId, pid: ProcedureId, change: &str, now: Timestamp) {
    let Some(snap) = snapshot_of(db, pid) else { return };
    db.versions.insert(Version {
        id,
        procedure_id: pid,
        version: snap.version,
        created_at: Some(now),
        change_description: change.to_owned(),
        procedure_snapshot: snap.to_json(),
        extra: Box::default(),
        asks_cache: Default::default(),
    });
}

fn dedup_labels(labels: &[LabelId]) -> Vec<LabelId> {
    let mut l = labels.to_vec();
    l.sort();
    l.dedup();
    l
}

/// Create a procedure with its steps and labels, and its version 1.
pub fn create_procedure(
    db: &mut Dataset,
    draft: &ProcedureDraft,
    now: Timestamp,
) -> Result<Done<ProcedureId>, OpError> {
    validate(db, draft)?;
    if draft.steps.iter().any(|s| s.id.is_some()) {
        return invalid("a new procedure cannot reuse existing steps");
    }
    let pid = ProcedureId(new_ids(&db.procedures, 1, "procedures")?);
    let first = new_ids(&db.steps, draft.steps.len(), "steps")?;
    let version = VersionId(new_ids(&db.versions, 1, "versions")?);
    db.procedures.insert(Procedure {
        id: pid,
        name: draft.name.trim().to_owned(),
        description: draft.description.clone(),
        created_at: Some(now),
        updated_at: Some(now),
        version: 1,
        extra: Box::default(),
    });
    let mut changed = TableSet::EMPTY.with(TableKind::Procedures).with(TableKind::Versions);
    let ids: Vec<StepId> = (0..draft.steps.len()).map(|i| StepId(first + i as u32)).collect();
    for (i, s) in draft.steps.iter().enumerate() {
        let mut step = Step::new(ids[i], pid, 0, "", None);
        s.fill(&mut step, i as u32 + 1, &ids);
        db.steps.insert(step);
        changed.insert(TableKind::Steps);
    }
    for l in dedup_labels(&draft.labels) {
        db.procedure_labels.insert(ProcedureLabel { procedure_id: pid, label_id: l, extra: Box::default() });
        changed.insert(TableKind::ProcedureLabels);
    }
    db.reindex_labels();
    db.reindex_procedure(pid);
    write_version(db, version, pid, "created", now);
    db.reindex_procedure(pid);
    db.touch_procedure(pid);
    done(db, pid, changed)
}

/// Save a new content for a procedure as version N+1 with `change_description`.
/// Steps with an id keep it; new steps get new ids; steps left out are removed from
/// `steps.csv` (past runs still resolve them through the version snapshots).
/// Returns the new version number. Refused when nothing changed.
pub fn update_procedure(
    db: &mut Dataset,
    pid: ProcedureId,
    draft: &ProcedureDraft,
    change_description: &str,
    now: Timestamp,
) -> Result<Done<u32>, OpError> {
    validate(db, draft)?;
    let current = ProcedureDraft::of(db, pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    for s in &draft.steps {
        let Some(id) = s.id else { continue };
        let ok = match db.step(id) {
            Some(st) => st.procedure_id == pid,
            // A step removed earlier comes back (restore) with its old id.
            None => db.step_in_versions(pid, id).is_some(),
        };
        if !ok {
            return invalid(format!("step {id} is not a step of procedure {pid}"));
        }
    }
    let mut wanted = draft.clone();
    wanted.name = wanted.name.trim().to_owned();
    wanted.labels = dedup_labels(&wanted.labels);
    let mut have = current.clone();
    have.labels = dedup_labels(&have.labels);
    if wanted == have {
        return invalid("nothing changed");
    }
    let version_id = VersionId(new_ids(&db.versions, 1, "versions")?);
    let added = wanted.steps.iter().filter(|s| s.id.is_none()).count();
    let mut next = new_ids(&db.steps, added, "steps")?;
    // A step restored with its old id may sit above the new ones' start: begin after it.
    let restored = wanted.steps.iter().filter_map(|s| s.id).filter(|id| db.step(*id).is_none()).map(|id| id.0).max();
    if let Some(r) = restored.filter(|r| *r >= next && added > 0) {
        next = r
            .checked_add(1)
            .filter(|n| u64::from(*n) + added as u64 - 1 <= u64::from(u32::MAX))
            .ok_or_else(|| OpError::Invalid(format!("no ids left for new steps: ids go up to {}", u32::MAX)))?;
    }
    let mut changed = TableSet::EMPTY.with(TableKind::Procedures).with(TableKind::Versions);

    // Steps.
    if wanted.steps != have.steps {
        changed.insert(TableKind::Steps);
        let keep: Vec<StepId> = wanted.steps.iter().filter_map(|s| s.id).collect();
        db.steps.remove_where(|s| s.procedure_id == pid && !keep.contains(&s.id));
        // Every step's id first (new ones get theirs), so conditions can name them.
        let ids: Vec<StepId> = wanted
            .steps
            .iter()
            .map(|s| {
                s.id.unwrap_or_else(|| {
                    let id = StepId(next);
                    next = next.saturating_add(1);
                    id
                })
            })
            .collect();
        for (i, s) in wanted.steps.iter().enumerate() {
            let order = i as u32 + 1;
            match db.steps.get_mut(u64::from(ids[i].0)) {
                Some(st) => s.fill(st, order, &ids),
                None => {
                    let mut st = Step::new(ids[i], pid, order, "", None);
                    s.fill(&mut st, order, &ids);
                    db.steps.insert(st);
                }
            }
        }
    }
    // Labels.
    if wanted.labels != have.labels {
        changed.insert(TableKind::ProcedureLabels);
        db.procedure_labels.remove_where(|pl| pl.procedure_id == pid);
        for l in &wanted.labels {
            db.procedure_labels.insert(ProcedureLabel { procedure_id: pid, label_id: *l, extra: Box::default() });
        }
        db.reindex_labels();
    }
    let version = {
        let Some(p) = db.procedures.get_mut(u64::from(pid.0)) else {
            return Err(OpError::NotFound { what: "procedure", id: pid.0 });
        };
        p.name = wanted.name.clone();
        p.description = wanted.description.clone();
        p.updated_at = Some(now);
        p.version += 1;
        p.version
    };
    db.reindex_procedure(pid);
    write_version(db, version_id, pid, change_description, now);
    db.reindex_procedure(pid);
    db.touch_procedure(pid);
    done(db, version, changed)
}

/// What [`delete_procedure`] would remove, for the confirmation.
pub fn delete_impact(db: &Dataset, pid: ProcedureId) -> DeleteImpact {
    let runs = db.runs_of(pid);
    DeleteImpact {
        runs: runs.len(),
        run_steps: runs.iter().map(|r| db.run_steps_of(*r).len()).sum(),
        steps: db.step_count(pid),
        versions: db.versions_of(pid).len(),
        labels: db.labels_of(pid).len(),
        schedules: db.schedules_of(pid).count(),
    }
}

/// Delete a procedure with its steps, label links, versions, schedules, runs and run_steps.
pub fn delete_procedure(db: &mut Dataset, pid: ProcedureId) -> Result<Done<DeleteImpact>, OpError> {
    db.procedure(pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    let impact = delete_impact(db, pid);
    let runs: std::collections::HashSet<RunId> = db.runs_of(pid).iter().copied().collect();
    let mut changed = TableSet::EMPTY.with(TableKind::Procedures);
    if db.run_steps.remove_where(|rs| runs.contains(&rs.run_id)) > 0 {
        changed.insert(TableKind::RunSteps);
    }
    if db.runs.remove_where(|r| r.procedure_id == pid) > 0 {
        changed.insert(TableKind::Runs);
    }
    if db.steps.remove_where(|s| s.procedure_id == pid) > 0 {
        changed.insert(TableKind::Steps);
    }
    if db.versions.remove_where(|v| v.procedure_id == pid) > 0 {
        changed.insert(TableKind::Versions);
    }
    if db.procedure_labels.remove_where(|pl| pl.procedure_id == pid) > 0 {
        changed.insert(TableKind::ProcedureLabels);
    }
    if db.schedules.remove_where(|s| s.procedure_id == pid) > 0 {
        changed.insert(TableKind::Schedules);
    }
    db.procedures.remove_where(|p| p.id == pid);
    db.unindex_runs_of(pid);
    db.touch_procedure(pid);
    db.reindex_procedure(pid);
    db.reindex_labels();
    done(db, impact, changed)
}

/// Duplicate a procedure as "Copy of …" (new steps, same labels, version 1, no runs).
pub fn duplicate_procedure(db: &mut Dataset, pid: ProcedureId, now: Timestamp) -> Result<Done<ProcedureId>, OpError> {
    let mut draft = ProcedureDraft::of(db, pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    draft.name = format!("Copy of {}", draft.name);
    draft.steps.iter_mut().for_each(|s| s.id = None);
    create_procedure(db, &draft, now)
}

/// The content of one version as a draft (labels by name; labels deleted since are
/// left out and reported in the second value).
pub fn draft_of_version(db: &Dataset, pid: ProcedureId, version: u32) -> Option<(ProcedureDraft, Vec<String>)> {
    let snap = db.version_snapshot(pid, version)?;
    let mut missing = Vec::new();
    let labels = snap
        .labels
        .iter()
        .filter_map(|name| {
            let found = db.labels.rows().iter().find(|l| &l.name == name).map(|l| l.id);
            if found.is_none() {
                missing.push(name.clone());
            }
            found
        })
        .collect();
    let current: Vec<StepId> = db.steps_of(pid).map(|s| s.id).collect();
    let steps = snap
        .steps
        .iter()
        .map(|s| {
            let id = s.id.map(StepId).filter(|id| match db.step(*id) {
                Some(st) => st.procedure_id == pid || current.contains(id),
                None => true,
            });
            let show_if = Condition::parse(&s.show_if).ok().and_then(|c| {
                let on = snap.steps.iter().position(|o| o.id == Some(c.step.0))?;
                Some(DraftCondition { on, op: c.op, value: c.value })
            });
            StepDraft {
                id,
                description: s.description.clone(),
                estimated_duration_secs: s.estimated_duration,
                kind: s.step_kind(),
                options: s.options.clone(),
                required: s.required,
                show_if,
            }
        })
        .collect();
    Some((ProcedureDraft { name: snap.name, description: snap.description, steps, labels }, missing))
}

/// Restore an old version: writes a new version whose content equals it (labels that
/// were deleted since are created again).
pub fn restore_version(db: &mut Dataset, pid: ProcedureId, version: u32, now: Timestamp) -> Result<Done<u32>, OpError> {
    let (mut draft, missing) = draft_of_version(db, pid, version)
        .ok_or(OpError::Invalid(format!("procedure {pid} has no version {version}")))?;
    let mut changed = TableSet::EMPTY;
    for name in missing {
        let made = super::create_label(db, &name, "#808080")?;
        changed.extend(made.changed);
        draft.labels.push(made.value);
    }
    let done = update_procedure(db, pid, &draft, &format!("restored version {version}"), now)?;
    changed.extend(done.changed);
    Ok(Done { value: done.value, changed })
}

/// The snapshot a draft would be saved as (version number not yet assigned).
pub fn draft_snapshot(db: &Dataset, pid: Option<ProcedureId>, draft: &ProcedureDraft) -> Snapshot {
    Snapshot {
        id: pid.map_or(0, |p| p.0),
        name: draft.name.trim().to_owned(),
        description: draft.description.clone(),
        version: 0,
        labels: draft.labels.iter().filter_map(|l| db.label(*l)).map(|l| l.name.clone()).collect(),
        steps: draft
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // A condition on a step not saved yet names it by its position.
                let show_if = s.show_if.as_ref().map_or(String::new(), |c| {
                    let on =
                        draft.steps.get(c.on).and_then(|o| o.id).map_or(format!("#{}", c.on + 1), |id| id.to_string());
                    format!("{on} {} {}", c.op.as_str(), c.value.trim())
                });
                SnapshotStep {
                    id: s.id.map(|id| id.0),
                    order: i as u32 + 1,
                    description: s.description.clone(),
                    estimated_duration: s.estimated_duration_secs,
                    kind: s.kind.as_str().to_owned(),
                    options: s.options.trim().to_owned(),
                    required: s.required.filter(|_| s.kind.has_value()),
                    show_if,
                }
            })
            .collect(),
    }
}

/// The automatic change description for saving `draft` over the current procedure.
pub fn draft_summary(db: &Dataset, pid: ProcedureId, draft: &ProcedureDraft) -> String {
    let Some(before) = snapshot_of(db, pid) else { return String::new() };
    let after = draft_snapshot(db, Some(pid), draft);
    super::summary(&super::diff(&before, &after), &before, &after)
}
