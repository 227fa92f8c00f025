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
    Kind = "kind",
    Options = "options",
    Required = "required",
    ShowIf = "show_if",
}

impl Schema for Step {
    const KIND: TableKind = TableKind::Steps;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] =
        &["description", "estimated_duration", "kind", "options", "required", "show_if"];
    const NEW: usize = 4;

    fn decode(f: &mut Fields<'_>) -> Self {
        let mut step =
            Step::new(StepId(f.id(Col::Id)), ProcedureId(f.id(Col::ProcedureId)), f.u32(Col::Order), "", None);
        step.description = f.text(Col::Description);
        step.estimated_duration_secs = f.opt_u32(Col::EstimatedDuration);
        let kind = f.str(Col::Kind);
        step.kind = StepKind::parse(kind).unwrap_or_else(|| {
            f.invalid(Col::Kind, "unknown kind (expected check, section, text, number, choice, date or signoff)", kind);
            StepKind::Check
        });
        step.options = f.text(Col::Options);
        step.required = f.opt_bool(Col::Required);
        step.show_if = f.text(Col::ShowIf);
        step.extra = f.extra();
        step
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, new: u8) {
        w.int(self.id);
        w.int(self.procedure_id);
        w.int(self.order);
        w.text(&self.description);
        w.opt_int(self.estimated_duration_secs);
        if new & 1 != 0 {
            w.text(self.kind.as_str());
        }
        if new & 2 != 0 {
            w.text(&self.options);
        }
        if new & 4 != 0 {
            w.opt_bool(self.required);
        }
        if new & 8 != 0 {
            w.text(&self.show_if);
        }
    }

    fn needs(&self) -> u8 {
        u8::from(self.kind != StepKind::Check)
            | (u8::from(!self.options.is_empty()) << 1)
            | (u8::from(self.required.is_some()) << 2)
            | (u8::from(!self.show_if.is_empty()) << 3)
    }

    fn extra_values(&self) -> &[Box<str>] {
        &self.extra
    }

    /// The procedure exists; the step has text; its options and condition are valid;
    /// orders run 1, 2, 3, … per procedure.
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
            if let Err(e) = Options::parse(s.kind, &s.options) {
                out.push(c.problem(Self::KIND, i, "options", e));
            }
            if s.required.is_some() && !s.kind.has_value() {
                let kind = s.kind.label().to_lowercase();
                let msg = format!("a {kind} step records no value, so it cannot be required");
                out.push(c.problem(Self::KIND, i, "required", msg));
            }
            orders.push((s.procedure_id, s.order, i));
        }
        check_conditions(c, out);
        orders.sort_unstable();
        // A table that lost rows to parse errors has gaps the parse error explains.
        let complete = c.has_steps;
        for list in orders.chunk_by(|a, b| a.0 == b.0).filter(|_| complete) {
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

/// Each `show_if` parses and names an earlier step with a value, in the same procedure.
fn check_conditions(c: &Checker<'_>, out: &mut Vec<Problem>) {
    let steps = c.db.steps.rows();
    let mut by_id: std::collections::HashMap<StepId, &Step> = std::collections::HashMap::new();
    for (i, s) in steps.iter().enumerate().filter(|(_, s)| !s.show_if.trim().is_empty()) {
        let cond = match Condition::parse(&s.show_if) {
            Ok(cond) => cond,
            Err(e) => {
                out.push(c.problem(Step::KIND, i, "show_if", e));
                continue;
            }
        };
        if by_id.is_empty() {
            by_id = steps.iter().map(|s| (s.id, s)).collect();
        }
        let msg = match by_id.get(&cond.step) {
            None => Some(format!("step {} does not exist", cond.step)),
            Some(o) if o.procedure_id != s.procedure_id => {
                Some(format!("step {} belongs to another procedure ({})", cond.step, o.procedure_id))
            }
            Some(o) if o.order >= s.order => Some(format!("step {} does not come before this one", cond.step)),
            Some(o) if !o.kind.has_value() => {
                Some(format!("step {} records no value (it is a {} step)", cond.step, o.kind.label().to_lowercase()))
            }
            Some(_) => None,
        };
        if let Some(m) = msg {
            out.push(c.problem(Step::KIND, i, "show_if", m));
        }
    }
}
