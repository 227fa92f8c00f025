//! Labels: create, rename, recolor, delete, attach, detach.

use super::{Done, OpError, done, invalid, new_ids};
use crate::model::*;
use crate::store::{Dataset, TableKind, TableSet};

fn label_exists(db: &Dataset, id: LabelId) -> Result<(), OpError> {
    db.label(id).map(|_| ()).ok_or(OpError::NotFound { what: "label", id: id.0 })
}

fn valid_name(db: &Dataset, name: &str, except: Option<LabelId>) -> Result<String, OpError> {
    let name = name.trim();
    if name.is_empty() {
        return invalid("a label needs a name");
    }
    if name.contains(['\n', '\r']) {
        return invalid("a label name must be one line");
    }
    let taken = db.labels.rows().iter().any(|l| Some(l.id) != except && l.name.eq_ignore_ascii_case(name));
    if taken {
        return invalid(format!("a label named {name:?} already exists"));
    }
    Ok(name.to_owned())
}

/// Whether `c` is a color as labels store it: `#rrggbb`.
pub fn is_valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn valid_color(c: &str) -> Result<String, OpError> {
    let c = c.trim();
    if is_valid_color(c) { Ok(c.to_ascii_lowercase()) } else { invalid(format!("{c:?} is not a color like #3cb44b")) }
}

/// Create a label with a unique name and a `#rrggbb` color.
pub fn create_label(db: &mut Dataset, name: &str, color: &str) -> Result<Done<LabelId>, OpError> {
    let name = valid_name(db, name, None)?;
    let color = valid_color(color)?;
    let id = LabelId(new_ids(&db.labels, 1, "labels")?);
    db.labels.insert(Label { id, name, color, extra: Box::default() });
    done(db, id, TableSet::EMPTY.with(TableKind::Labels))
}

/// Rename a label (names are unique, case-insensitively).
pub fn rename_label(db: &mut Dataset, id: LabelId, name: &str) -> Result<Done<()>, OpError> {
    label_exists(db, id)?;
    let name = valid_name(db, name, Some(id))?;
    if let Some(l) = db.labels.get_mut(u64::from(id.0)) {
        if l.name == name {
            return Ok(Done { value: (), changed: TableSet::EMPTY });
        }
        l.name = name;
    }
    db.reindex_labels();
    done(db, (), TableSet::EMPTY.with(TableKind::Labels))
}

/// Change a label's color.
pub fn recolor_label(db: &mut Dataset, id: LabelId, color: &str) -> Result<Done<()>, OpError> {
    label_exists(db, id)?;
    let color = valid_color(color)?;
    if let Some(l) = db.labels.get_mut(u64::from(id.0)) {
        if l.color == color {
            return Ok(Done { value: (), changed: TableSet::EMPTY });
        }
        l.color = color;
    }
    done(db, (), TableSet::EMPTY.with(TableKind::Labels))
}

/// Delete a label and detach it from every procedure; returns how many were detached.
pub fn delete_label(db: &mut Dataset, id: LabelId) -> Result<Done<usize>, OpError> {
    label_exists(db, id)?;
    let key = u64::from(id.0);
    db.labels.remove_where(|l| u64::from(l.id.0) == key);
    let detached = db.procedure_labels.remove_where(|pl| pl.label_id == id);
    db.reindex_labels();
    let mut changed = TableSet::EMPTY.with(TableKind::Labels);
    if detached > 0 {
        changed.insert(TableKind::ProcedureLabels);
    }
    done(db, detached, changed)
}

/// Attach a label to a procedure (no-op when already attached).
pub fn attach_label(db: &mut Dataset, pid: ProcedureId, id: LabelId) -> Result<Done<()>, OpError> {
    label_exists(db, id)?;
    db.procedure(pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    if db.labels_of(pid).contains(&id) {
        return Ok(Done { value: (), changed: TableSet::EMPTY });
    }
    db.procedure_labels.insert(ProcedureLabel { procedure_id: pid, label_id: id, extra: Box::default() });
    db.reindex_labels();
    done(db, (), TableSet::EMPTY.with(TableKind::ProcedureLabels))
}

/// Detach a label from a procedure (no-op when not attached).
pub fn detach_label(db: &mut Dataset, pid: ProcedureId, id: LabelId) -> Result<Done<()>, OpError> {
    label_exists(db, id)?;
    db.procedure(pid).ok_or(OpError::NotFound { what: "procedure", id: pid.0 })?;
    let n = db.procedure_labels.remove_where(|pl| pl.procedure_id == pid && pl.label_id == id);
    if n == 0 {
        return Ok(Done { value: (), changed: TableSet::EMPTY });
    }
    db.reindex_labels();
    done(db, (), TableSet::EMPTY.with(TableKind::ProcedureLabels))
}
