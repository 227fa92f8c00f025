//! `runs.csv`: every run of a procedure, with the version it executed.

use super::Checker;
use super::{Schema, TableKind, columns};
use crate::model::*;
use crate::store::canonical::{FieldWriter, Sink};
use crate::store::error::Problem;
use crate::store::read::{DayCache, Fields, fast};

columns! {
    Id = "id",
    ProcedureId = "procedure_id",
    StartTime = "start_time",
    EndTime = "end_time",
    Status = "status",
    Notes = "notes",
    ProcedureVersion = "procedure_version",
    StartedBy = "started_by",
    Title = "title",
    ScheduledFor = "scheduled_for",
}

impl Schema for Run {
    const KIND: TableKind = TableKind::Runs;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &["procedure_version", "started_by", "title", "scheduled_for"];
    const NEW: usize = 3;
    const FAST: Option<crate::store::read::FastDecode<Self>> = Some(decode_fast);

    fn decode(f: &mut Fields<'_>) -> Self {
        let id = RunId(f.id(Col::Id));
        let procedure_id = ProcedureId(f.id(Col::ProcedureId));
        let start_time = f.ts(Col::StartTime);
        let end_time = f.opt_ts(Col::EndTime);
        let status_text = f.str(Col::Status);
        let status = RunStatus::parse(status_text).unwrap_or_else(|| {
            f.invalid(Col::Status, "expected in_progress, completed or cancelled", status_text);
            RunStatus::InProgress
        });
        let notes = f.str(Col::Notes);
        let mut run = Run::new(id, procedure_id, start_time, f.opt_u32(Col::ProcedureVersion));
        (run.end_time, run.status) = (end_time, status);
        let by = f.str(Col::StartedBy);
        run.started_by = Name::of(by).unwrap_or_else(|| {
            f.invalid(Col::StartedBy, "more than 65,535 different names in one folder", by);
            Name::NONE
        });
        let (title, scheduled_for) = (f.str(Col::Title), f.opt_ts(Col::ScheduledFor));
        run.with_details(notes, title, scheduled_for, f.extra())
    }

    fn needs(&self) -> u8 {
        u8::from(!self.started_by.is_none())
            | (u8::from(!self.title().is_empty()) << 1)
            | (u8::from(self.scheduled_for().is_some()) << 2)
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, new: u8) {
        w.int(self.id);
        w.int(self.procedure_id);
        w.ts(Some(self.start_time));
        w.ts(self.end_time);
        w.text(self.status.as_str());
        w.text(self.notes());
        w.opt_int(self.procedure_version);
        if new & 1 != 0 {
            w.text(self.started_by.as_str());
        }
        if new & 2 != 0 {
            w.text(self.title());
        }
        if new & 4 != 0 {
            w.ts(self.scheduled_for());
        }
    }

    fn extra_values(&self) -> &[Box<str>] {
        self.extra()
    }

    /// The procedure exists; a run never ends before it starts.
    fn check(c: &Checker<'_>, out: &mut Vec<Problem>) {
        for (i, r) in c.db.runs.rows().iter().enumerate() {
            if !c.known_procedure(r.procedure_id) {
                out.push(c.problem(Self::KIND, i, "procedure_id", format!("no procedure with id {}", r.procedure_id)));
            }
            if let Some(end) = r.end_time
                && !end.may_follow(&r.start_time)
            {
                out.push(c.problem(
                    Self::KIND,
                    i,
                    "end_time",
                    format!("ends before it starts ({} < {})", end, r.start_time),
                ));
            }
        }
    }
}

/// [`Run::decode`] for lines as the app writes them.
pub(crate) fn decode_fast(b: &[u8], days: &mut DayCache, new: u8) -> Option<(Run, usize)> {
    const STATUS: [RunStatus; 3] = [RunStatus::InProgress, RunStatus::Completed, RunStatus::Cancelled];
    let mut i = 0;
    let id = fast::id(b, &mut i)?;
    let procedure_id = fast::id(b, &mut i)?;
    let start_time = fast::opt_ts(b, &mut i, days)??;
    let end_time = fast::opt_ts(b, &mut i, days)?;
    let status = STATUS[fast::word(b, &mut i, &[b"in_progress", b"completed", b"cancelled"])?];
    let notes = fast::text(b, &mut i, false)?;
    let procedure_version = fast::opt_u32(b, &mut i, new == 0)?;
    let mut run = Run::new(RunId(id), ProcedureId(procedure_id), start_time, procedure_version);
    (run.end_time, run.status) = (end_time, status);
    if new & 1 != 0 {
        run.started_by = Name::of(fast::text(b, &mut i, fast::last_bit(new, 0))?)?;
    }
    let title = if new & 2 != 0 { fast::text(b, &mut i, fast::last_bit(new, 1))? } else { "" };
    let scheduled_for = if new & 4 != 0 { fast::opt_ts_at(b, &mut i, days, true)? } else { None };
    let run = run.with_details(notes, title, scheduled_for, Box::default());
    Some((run, fast::end(b, i)?))
}
