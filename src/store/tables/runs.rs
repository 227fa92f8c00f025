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
}

impl Schema for Run {
    const KIND: TableKind = TableKind::Runs;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &["procedure_version"];
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
        run.with_more(notes, f.extra())
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>) {
        w.int(self.id);
        w.int(self.procedure_id);
        w.ts(Some(self.start_time));
        w.ts(self.end_time);
        w.text(self.status.as_str());
        w.text(self.notes());
        w.opt_int(self.procedure_version);
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
pub(crate) fn decode_fast(b: &[u8], days: &mut DayCache) -> Option<(Run, usize)> {
    const STATUS: [RunStatus; 3] = [RunStatus::InProgress, RunStatus::Completed, RunStatus::Cancelled];
    let mut i = 0;
    let id = fast::id(b, &mut i)?;
    let procedure_id = fast::id(b, &mut i)?;
    let start_time = fast::opt_ts(b, &mut i, days)??;
    let end_time = fast::opt_ts(b, &mut i, days)?;
    let status = STATUS[fast::word(b, &mut i, &[b"in_progress", b"completed", b"cancelled"])?];
    let notes = fast::text(b, &mut i, false)?;
    let procedure_version = fast::opt_u32(b, &mut i, true)?;
    let mut run = Run::new(RunId(id), ProcedureId(procedure_id), start_time, procedure_version);
    (run.end_time, run.status) = (end_time, status);
    Some((run.with_more(notes, Box::default()), fast::end(b, i)?))
}
