//! `steps.csv`: the current steps of every procedure, ordered 1, 2, 3, … per procedure.

use super::Checker;
use super::{Schema, TableKind, columns};
use crate::model::*;
use crate::store::canonical::{FieldWriter, Sink};
use crate::store::error::Problem;
use crate::store::read::Fields;

columns! {
    Id = "id",
    ProcedureId = "procedure_id",
    Order = "order",
    Description = "description",
    EstimatedDuration = "estimated_duration",
}

impl Schema for Step {
    const KIND: TableKind = TableKind::Steps;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &["description", "estimated_duration"];

    fn decode(f: &mut Fields<'_>) -> Self {
        Step {
            id: StepId(f.id(Col::Id)),
            procedure_id: ProcedureId(f.id(Col::ProcedureId)),
            order: f.u32(Col::Order),
            description: f.text(Col::Description),
            estimated_duration_secs: f.opt_u32(Col::EstimatedDuration),
            extra: f.extra(),
        }
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>) {
        w.int(self.id);
        w.int(self.procedure_id);
        w.int(self.order);
        w.text(&self.description);
        w.opt_int(self.estimated_duration_secs);
    }

    fn extra_values(&self) -> &[Box<str>] {
        &self.extra
    }

    /// The procedure exists; the step has text; orders run 1, 2, 3, … per procedure.
    fn check(c: &Checker<'_>, out: &mut Vec<Problem>) {
        let mut orders: Vec<(ProcedureId, u32, usize)> = Vec::with_capacity(c.db.steps.len());
        for (i, s) in c.db.steps.rows().iter().enumerate() {
            if !c.known_procedure(s.procedure_id) {
                out.push(c.problem(Self::KIND, i, "procedure_id", format!("no procedure with id {}", s.procedure_id)));
            }
            // What the editor refuses, check refuses too (a blank step could not be saved again).
            if s.description.trim().is_empty() {
                out.push(c.problem(
                    Self::KIND,
                    i,
                    "description",
                    "a step needs text (this one is empty or only spaces)".into(),
                ));
            }
            orders.push((s.procedure_id, s.order, i));
        }
        orders.sort_unstable();
        for list in orders.chunk_by(|a, b| a.0 == b.0) {
            let pid = list[0].0;
            for (expected, (_, order, i)) in (1u32..).zip(list) {
                if *order != expected {
                    let msg = if *order < expected {
                        format!("order {order} appears twice in procedure {pid}")
                    } else {
                        format!(
                            "order {order} in procedure {pid} leaves a gap (expected {expected}; orders must run 1, 2, 3, …)"
                        )
                    };
                    out.push(c.problem(Self::KIND, *i, "order", msg));
                    break;
                }
            }
        }
    }
}
