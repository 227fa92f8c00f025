//! `versions.csv`: every saved version of every procedure, with its snapshot JSON.

use super::Checker;
use super::{Schema, TableKind, columns};
use crate::model::*;
use crate::store::canonical::{FieldWriter, Sink};
use crate::store::error::Problem;
use crate::store::read::{DayCache, Fields, fast};

columns! {
    Id = "id",
    ProcedureId = "procedure_id",
    Version = "version",
    CreatedAt = "created_at",
    ChangeDescription = "change_description",
    ProcedureSnapshot = "procedure_snapshot",
}

impl Schema for Version {
    const KIND: TableKind = TableKind::Versions;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &["created_at", "change_description"];
    const FAST: Option<crate::store::read::FastDecode<Self>> = Some(decode_fast);

    fn decode(f: &mut Fields<'_>) -> Self {
        Version {
            id: VersionId(f.id(Col::Id)),
            procedure_id: ProcedureId(f.id(Col::ProcedureId)),
            version: f.u32(Col::Version),
            created_at: f.opt_ts(Col::CreatedAt),
            change_description: f.text(Col::ChangeDescription),
            procedure_snapshot: f.text(Col::ProcedureSnapshot),
            extra: f.extra(),
            asks_cache: Default::default(),
        }
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, _new: u8) {
        w.int(self.id);
        w.int(self.procedure_id);
        w.int(self.version);
        w.ts(self.created_at);
        w.text(&self.change_description);
        w.text(&self.procedure_snapshot);
    }

    fn extra_values(&self) -> &[Box<str>] {
        &self.extra
    }

    /// The procedure exists; the snapshot parses.
    fn check(c: &Checker<'_>, out: &mut Vec<Problem>) {
        for (i, v) in c.db.versions.rows().iter().enumerate() {
            if !c.known_procedure(v.procedure_id) {
                out.push(c.problem(Self::KIND, i, "procedure_id", format!("no procedure with id {}", v.procedure_id)));
            }
            // Read as `Snapshot::parse` reads it (the same JSON refused, the same message),
            // without copying its texts; what its steps ask is kept for the analytics.
            if let Err(e) = v.asks() {
                out.push(c.problem(Self::KIND, i, "procedure_snapshot", format!("not a valid snapshot JSON: {e}")));
            }
        }
    }
}

/// [`Version::decode`] for lines as the app writes them (the snapshot quoted).
pub(crate) fn decode_fast(b: &[u8], days: &mut DayCache, _new: u8) -> Option<(Version, usize)> {
    let mut i = 0;
    let id = VersionId(fast::id(b, &mut i)?);
    let procedure_id = ProcedureId(fast::id(b, &mut i)?);
    let version = fast::opt_u32(b, &mut i, false)??;
    let created_at = fast::opt_ts(b, &mut i, days)?;
    let change_description = fast::owned(b, &mut i, false)?;
    let procedure_snapshot = fast::owned(b, &mut i, true)?;
    let row = Version {
        id,
        procedure_id,
        version,
        created_at,
        change_description,
        procedure_snapshot,
        extra: Default::default(),
        asks_cache: Default::default(),
    };
    Some((row, fast::end(b, i)?))
}
