//! `labels.csv`: one row per label (name and colour).

use super::{Schema, TableKind, columns};
use crate::model::*;
use crate::store::canonical::{FieldWriter, Sink};
use crate::store::read::Fields;

columns! {
    Id = "id",
    Name = "name",
    Color = "color",
}

impl Schema for Label {
    const KIND: TableKind = TableKind::Labels;
    const COLUMNS: &'static [&'static str] = COLUMNS;
    const OPTIONAL: &'static [&'static str] = &["color"];

    fn decode(f: &mut Fields<'_>) -> Self {
        Label { id: LabelId(f.id(Col::Id)), name: f.text(Col::Name), color: f.text(Col::Color), extra: f.extra() }
    }

    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, _new: u8) {
        w.int(self.id);
        w.text(&self.name);
        w.text(&self.color);
    }

    fn extra_values(&self) -> &[Box<str>] {
        &self.extra
    }
}
