//! `schedules.csv`: when each procedure is due (CONTRACT "Schedules"). A folder without
//! the file has no schedules; the file is written only once a schedule exists.

use super::Checker;
use super::{Schema, TableKind, columns};
use crate::model::recurrence::Recurrence;
use crate::model::*;
use crate::store::canonical::{FieldWriter, Sink};
use crate::store::error::Problem;
use crate::store::read::Fields;

columns! {
    Id = "id",
    ProcedureId = "procedure_id",
    Rule = "rule",
    StartsAt = "starts_at",
    DueWithin = "due_within",
    Anchor = "anchor",
    Active = "active",
}

impl Schema for Schedule {
    const KIND: TableKind = TableKind::Schedules;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &["due_within", "anchor", "active"];

    fn decode(f: &mut Fields<'_>) -> Self {
        let due = f.str(Col::DueWithin).trim();
        let due_within = if due.starts_with('-') {
            f.invalid(Col::DueWithin, "must not be negative (seconds after an occurrence)", due);
            None
        } else {
            f.opt_u32(Col::DueWithin)
        };
        let anchor_text = f.str(Col::Anchor);
        let anchor = Anchor::parse(anchor_text).unwrap_or_else(|| {
            f.invalid(Col::Anchor, "unknown anchor (expected calendar or completion)", anchor_text);
            Anchor::Calendar
        });
        Schedule {
            id: ScheduleId(f.id(Col::Id)),
            procedure_id: ProcedureId(f.id(Col::ProcedureId)),
            rule: f.text(Col::Rule),
            starts_at: f.ts(Col::StartsAt),
            due_within,
            anchor,
            active: f.opt_bool(Col::Active).unwrap_or(true),
            extra: f.extra(),
        }
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, _new: u8) {
        w.int(self.id);
        w.int(self.procedure_id);
        w.text(&self.rule);
        w.ts(Some(self.starts_at));
        match self.due_within {
            Some(d) => w.int(d),
            None => w.text(""),
        }
        w.text(self.anchor.as_str());
        w.bool(self.active);
    }

    fn extra_values(&self) -> &[Box<str>] {
        &self.extra
    }

    /// The procedure exists; the rule parses and expands from `starts_at`.
    fn check(c: &Checker<'_>, out: &mut Vec<Problem>) {
        for (i, s) in c.db.schedules.rows().iter().enumerate() {
            if !c.known_procedure(s.procedure_id) {
                out.push(c.problem(Self::KIND, i, "procedure_id", format!("no procedure with id {}", s.procedure_id)));
            }
            if let Err(e) = Recurrence::parse(&s.rule, s.starts_at.naive()) {
                let e = e.trim_end_matches('.');
                let msg =
                    if s.rule.trim().is_empty() { e.to_owned() } else { format!("{e} (found {:?})", s.rule.trim()) };
                out.push(c.problem(Self::KIND, i, "rule", msg));
            }
        }
    }
}
