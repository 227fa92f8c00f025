//! `procedures.csv`: one row per procedure.

use super::{Schema, TableKind, columns};
use crate::model::*;
use crate::store::canonical::{FieldWriter, Sink};
use crate::store::read::Fields;

columns! {
    Id = "id",
    Name = "name",
    Description = "description",
    CreatedAt = "created_at",
    UpdatedAt = "updated_at",
    Version = "version",
}

impl Schema for Procedure {
    const KIND: TableKind = TableKind::Procedures;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &["description", "created_at", "updated_at", "version"];

    fn decode(f: &mut Fields<'_>) -> Self {
        Procedure {
            id: ProcedureId(f.id(Col::Id)),
            name: f.text(Col::Name),
            description: f.text(Col::Description),
            created_at: f.opt_ts(Col::CreatedAt),
            updated_at: f.opt_ts(Col::UpdatedAt),
            version: f.opt_u32(Col::Version).unwrap_or(1),
            extra: f.extra(),
        }
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, _new: u8) {
        w.int(self.id);
        w.text(&self.name);
        w.text(&self.description);
        w.ts(self.created_at);
        w.ts(self.updated_at);
        w.int(self.version);
    }

    fn extra_values(&self) -> &[Box<str>] {
        &self.extra
    }
}
