//! Procedures: create, update (a new version each time), delete (cascade).

use super::{Done, OpError, done, invalid, new_ids};
use crate::model::*;
use crate::store::{Db, TableKind, TableSet};

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
    fn fill(&self, st: &mut Step, order: u32, ids: &[StepId]) {
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
    pub fn of(db: &Db, pid: ProcedureId) -> Option<Self> {
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

fn validate(db: &Db, d: &ProcedureDraft) -> Result<(), OpError> {
    if d.name.trim().is_empty() {
        return invalid("a procedure needs a name");
    }
    for (i, s) in d.steps.iter().enumerate() {
        if s.description.trim().is_empty() {
            return invalid(format!("step {} has no text", i + 1));
        }
        if matches!(s.kind, StepKind::Number | StepKind::Choice)
            && let Err(e) = Options::parse(s.kind, &s.options)
        {
            return invalid(format!("step {}: {e}", i + 1));
        }
        if let Some(c) = &s.show_if {
            match d.steps.get(c.on) {
                Some(o) if c.on < i && o.kind.has_value() => {}
                Some(_) if c.on < i => {
                    return invalid(format!(
                        "step {}: its condition is on step {}, which records no value",
                        i + 1,
                        c.on + 1
                    ));
                }
                _ => return invalid(format!("step {}: a condition can only be on an earlier step", i + 1)),
            }
            if c.value.trim().is_empty() {
                return invalid(format!("step {}: its condition has no value to compare with", i + 1));
            }
        }
    }
    for l in &d.labels {
        db.label(*l).ok_or(OpError::NotFound { what: "label", id: l.0 })?;
    }
    Ok(())
}

/// The snapshot of a procedure's current state (what a version stores).
pub fn snapshot_of(db: &Db, pid: ProcedureId) -> Option<Snapshot> {
    let p = db.procedure(pid)?;
    Some(Snapshot {
        id: pid.0,
        name: p.name.clone(),
        description: p.description.clone(),
        version: p.version,
        labels: db.labels_of(pid).iter().filter_map(|l| db.label(*l)).map(|l| l.name.clone()).collect(),
        steps: db
            .steps_of(pid)
            .map(|s| SnapshotStep {
                id: Some(s.id.0),
                order: s.order,
                description: s.description.clone(),
                estimated_duration: s.estimated_duration_secs,
                kind: s.kind.as_str().to_owned(),
                options: s.options.clone(),
                required: s.required,
                show_if: s.show_if.clone(),
            })
            .collect(),
    })
}

/// Write the version `id` (reserved with [`new_ids`] before anything changed).
fn write_version(db: &mut Db, id: VersionId, pid: ProcedureId, change: &str, now: Timestamp) {
    let Some(snap) = snapshot_of(db, pid) else { return };
    db.versions.insert(Version {
        id,
        procedure_id: pid,
        version: snap.version,
        created_at: Some(now),
        change_description: change.to_owned(),
        procedure_snapshot: snap.to_json(),
        extra: Box::default(),
    });
}

fn dedup_labels(labels: &[LabelId]) -> Vec<LabelId> {
    let mut l = labels.to_vec();
    l.sort();
    l.dedup();
    l
}

/// Create a procedure with its steps and labels, and its version 1.
pub fn create_procedure(db: &mut Db, draft: &ProcedureDraft, now: Timestamp) -> Result<Done<ProcedureId>, OpError> {
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
    db: &mut Db,
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
            None => db.snapshot_step(pid, id).is_some(),
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
pub fn delete_impact(db: &Db, pid: ProcedureId) -> DeleteImpact {
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
pub fn delete_procedure(db: &mut Db, pid: ProcedureId) -> Result<Done<DeleteImpact>, OpError> {
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
pub fn duplicate_procedure(db: &mut Db, pid: ProcedureId, now: Timestamp) -> Result<Done<ProcedureId>, OpError> {
    let mut draft = ProcedureDraft::of(db, pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    draft.name = format!("Copy of {}", draft.name);
    draft.steps.iter_mut().for_each(|s| s.id = None);
    create_procedure(db, &draft, now)
}

/// The content of one version as a draft (labels by name; labels deleted since are
/// left out and reported in the second value).
pub fn draft_of_version(db: &Db, pid: ProcedureId, version: u32) -> Option<(ProcedureDraft, Vec<String>)> {
    let snap = db.snapshot(pid, version)?;
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
pub fn restore_version(db: &mut Db, pid: ProcedureId, version: u32, now: Timestamp) -> Result<Done<u32>, OpError> {
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

/// Parse a pasted list into steps: one per line; `- item`, `* item`, `1. item`,
/// `1) item`, `[ ] item`, `- [x] item` and plain lines; a trailing `(5m)`
/// is read as the estimated duration. Blank lines and headings (`# …`) are skipped.
pub fn parse_step_list(text: &str) -> Vec<StepDraft> {
    let mut steps: Vec<StepDraft> = Vec::new();
    for line in text.lines() {
        let mut t = line.trim();
        // `## Heading` (any level from two on) is a section; other `#` lines are not steps.
        if let Some(h) = t.strip_prefix("##") {
            let h = h.trim_start_matches('#').trim();
            if !h.is_empty() {
                steps.push(StepDraft { kind: StepKind::Section, ..StepDraft::tick(h, None) });
            }
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        for bullet in ["- ", "* ", "+ ", "• "] {
            if let Some(rest) = t.strip_prefix(bullet) {
                t = rest.trim_start();
            }
        }
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && matches!(t.as_bytes().get(digits), Some(b'.' | b')')) {
            t = t[digits + 1..].trim_start();
        }
        for box_ in ["[ ] ", "[x] ", "[X] "] {
            if let Some(rest) = t.strip_prefix(box_) {
                t = rest.trim_start();
            }
        }
        let mut duration = None;
        // `\(5m)` is text (an escaped parenthesis), not a duration.
        if let Some(open) = t.rfind('(')
            && t.ends_with(')')
            && !t[..open].ends_with('\\')
            && let Some(d) = parse_duration(&t[open + 1..t.len() - 1])
        {
            duration = Some(d);
            t = t[..open].trim_end();
        }
        // `… — only if “Fryer on?” is Yes`, as checklists are written out: a condition on
        // the nearest earlier step of that text (else the words stay in the text).
        let mut show_if = None;
        if let Some(at) = t.rfind(CONDITION_MARK)
            && let Some(condition) = condition_in_words(&t[at + CONDITION_MARK.len()..], &steps)
        {
            show_if = Some(condition);
            t = t[..at].trim_end();
        }
        let (text, kind, options) = value_hint(t);
        if !text.is_empty() {
            steps.push(StepDraft { kind, options, show_if, ..StepDraft::tick(&text, duration) });
        }
    }
    steps
}

/// What joins a step's text and its condition in a written checklist.
pub const CONDITION_MARK: &str = " — only if “";

/// `Fryer on?” is Yes` (what follows [`CONDITION_MARK`]) as a condition on the nearest
/// earlier step of `steps` with that text that records a value.
fn condition_in_words(words: &str, steps: &[StepDraft]) -> Option<DraftCondition> {
    let (on_text, rest) = words.split_once('”')?;
    let rest = rest.trim_start();
    // Longest words first: "is not" before "is".
    let mut ops = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::In];
    ops.sort_by_key(|op| std::cmp::Reverse(op.words().len()));
    let (op, value) = ops.iter().find_map(|op| {
        let value = rest.strip_prefix(op.words())?.strip_prefix(' ')?;
        Some((*op, value.trim()))
    })?;
    let value = if op == Op::In { value.split(", ").collect::<Vec<_>>().join("|") } else { value.to_owned() };
    let on = steps.iter().rposition(|s| s.description.trim() == on_text.trim() && s.kind.has_value())?;
    (!value.is_empty()).then_some(DraftCondition { on, op, value })
}

/// A value hint at the end of a pasted step, as the printable checklist writes them:
/// `____ °C (0–5 °C)` a number (unit, range), `[Pass / Fail ⚑]` a choice (⚑ flags an
/// answer), `____-__-__` a date, `Signed: ____` a sign-off, a long `________` text.
/// Returns the step's text without the hint, its kind and options.
fn value_hint(t: &str) -> (String, StepKind, String) {
    let plain = |s: &str| s.replace('\\', "");
    if let Some(before) = t.strip_suffix("____-__-__") {
        return (before.trim_end().to_owned(), StepKind::Date, String::new());
    }
    if let Some(at) = t.find("Signed: ____") {
        return (t[..at].trim_end().to_owned(), StepKind::Signoff, String::new());
    }
    if t.ends_with(']')
        && let Some(open) = t.rfind(" [")
    {
        let answers: Vec<String> = plain(&t[open + 2..t.len() - 1])
            .split(" / ")
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
            .map(|a| match a.strip_suffix('⚑') {
                Some(flagged) => format!("!{}", flagged.trim()),
                None => a.to_owned(),
            })
            .collect();
        if answers.len() >= 2 {
            return (t[..open].trim_end().to_owned(), StepKind::Choice, answers.join("|"));
        }
    }
    if let Some(at) = t.find(" ____") {
        let before = t[..at].trim_end().to_owned();
        let hint = &t[at + 1..];
        let underscores = hint.bytes().take_while(|b| *b == b'_').count();
        let rest = plain(hint[underscores..].trim());
        if underscores > 4 && rest.is_empty() {
            return (before, StepKind::Text, String::new());
        }
        if underscores == 4 {
            let (unit, range) = match rest.split_once('(') {
                Some((u, r)) => (u.trim().to_owned(), r.trim_end_matches(')').trim().to_owned()),
                None => (rest.trim().to_owned(), String::new()),
            };
            let bound = |s: &str| s.split_whitespace().next().unwrap_or("").to_owned();
            let range = if let Some(m) = range.strip_prefix("at most ") {
                format!("..{}", bound(m))
            } else if let Some(m) = range.strip_prefix("at least ") {
                format!("{}..", bound(m))
            } else {
                // "a–b unit": the dash between two numbers (the first may be negative).
                let r = bound(&range);
                match r.char_indices().skip(1).find(|(_, c)| *c == '–' || *c == '-') {
                    Some((i, c)) => format!("{}..{}", &r[..i], &r[i + c.len_utf8()..]),
                    None => String::new(),
                }
            };
            let options = [unit, range].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" ");
            if Options::parse(StepKind::Number, &options).is_ok() {
                return (before, StepKind::Number, options);
            }
        }
    }
    (t.to_owned(), StepKind::Check, String::new())
}

/// The snapshot a draft would be saved as (version number not yet assigned).
pub fn draft_snapshot(db: &Db, pid: Option<ProcedureId>, draft: &ProcedureDraft) -> Snapshot {
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
pub fn draft_summary(db: &Db, pid: ProcedureId, draft: &ProcedureDraft) -> String {
    let Some(before) = snapshot_of(db, pid) else { return String::new() };
    let after = draft_snapshot(db, Some(pid), draft);
    super::summary(&super::diff(&before, &after), &before, &after)
}
