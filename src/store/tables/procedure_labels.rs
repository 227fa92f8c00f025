//! `procedure_labels.csv`: which procedure carries which label (keyed by both ids).

use super::Checker;
use super::{Schema, TableKind, columns};
use crate::model::*;
use crate::store::canonical::{FieldWriter, Sink};
use crate::store::error::Problem;
use crate::store::read::Fields;

columns! {
    ProcedureId = "procedure_id",
    LabelId = "label_id",
}

impl Schema for ProcedureLabel {
    const KIND: TableKind = TableKind::ProcedureLabels;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &[];

    fn decode(f: &mut Fields<'_>) -> Self {
        ProcedureLabel {
            procedure_id: ProcedureId(f.id(Col::ProcedureId)),
            label_id: LabelId(f.id(Col::LabelId)),
            extra: f.extra(),
        }
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, _new: u8) {
        w.int(self.procedure_id);
        w.int(self.label_id);
    }

    fn extra_values(&self) -> &[Box<str>] {
        &self.extra
    }

    /// Both ends exist.
    fn check(c: &Checker<'_>, out: &mut Vec<Problem>) {
        for (i, pl) in c.db.procedure_labels.rows().iter().enumerate() {
            if !c.known_procedure(pl.procedure_id) {
                out.push(c.problem(Self::KIND, i, "procedure_id", format!("no procedure with id {}", pl.procedure_id)));
            }
            if c.has_labels && c.db.label(pl.label_id).is_none() {
                out.push(c.problem(Self::KIND, i, "label_id", format!("no label with id {}", pl.label_id)));
            }
        }
    }
}
