//! What each table of a data folder *is*, one file per table: its columns (names,
//! canonical order, which may be missing), how a record decodes (the general, liberal
//! path and the fast path for lines as the app writes them), how a row encodes, and the
//! rules `check` applies to its rows. A new column touches one file here.
//!
//! The machinery they plug into is shared: `store::read` (tokenizing, typed fields),
//! `store::encode` (canonical fields), `store::check` (the pass over all tables).

mod labels;
mod procedure_labels;
mod procedures;
mod run_steps;
mod runs;
mod schedules;
mod steps;
mod versions;

mod checker;

pub use super::kind::{Lines, TableKind, TableSet};
pub(crate) use checker::{Checker, Exists, TablesRef};

use super::canonical::{FieldWriter, Sink};
use super::error::Problem;
use super::read::{FastDecode, Fields, LoadProgress, ReadTable, read_table_fast};
use crate::model::*;
use std::path::Path;

/// One table's definition; implemented by its row type in the table's file.
pub(crate) trait Schema: Row + Clone + Send + Sync + Sized + 'static {
    /// Which table.
    const KIND: TableKind;
    /// The known columns, in canonical order.
    const COLUMNS: &'static [&'static str];
    /// Columns a file may lack (they load as empty).
    const OPTIONAL: &'static [&'static str];
    /// How many of the last [`Schema::COLUMNS`] are new in this version of the contract:
    /// a file gets one only once some row needs it (bit `k` of a table's column mask is
    /// the `k`-th of them), and keeps it from then on.
    const NEW: usize = 0;
    /// Decoder for a whole line exactly as the app writes it (see [`FastDecode`]).
    const FAST: Option<FastDecode<Self>> = None;
    /// A row from the fields of one record (liberal: every problem lands in `f`).
    fn decode(f: &mut Fields<'_>) -> Self;
    /// The row's known fields, in [`Schema::COLUMNS`] order, canonically: the new ones
    /// only when their bit is in `new` (the file's column mask).
    fn encode<S: Sink>(&self, w: &mut FieldWriter<S>, new: u8);
    /// The new columns this row needs (non-empty), as a mask (see [`Schema::NEW`]).
    fn needs(&self) -> u8 {
        0
    }
    /// The values of the unknown columns, in file order.
    fn extra_values(&self) -> &[Box<str>];
    /// Check this table's rows against the rest of the folder.
    fn check(_c: &Checker<'_>, _out: &mut Vec<Problem>) {}
}

/// Read and type one table file by its definition (its decoders, general and fast), as
/// an interrupted save would leave it (see [`super::tail`]).
pub(crate) fn read<R: Schema>(
    dir: &Path,
    progress: Option<&LoadProgress>,
    interrupted: &[super::Interrupted],
) -> Result<ReadTable<R>, super::Error> {
    let overlay = interrupted.iter().find(|i| i.kind == R::KIND).and_then(super::Interrupted::overlay);
    read_table_fast(dir, R::KIND, R::COLUMNS, R::OPTIONAL, R::decode, R::FAST, progress, overlay)
}

/// Read and type one table from bytes in memory (what the team database sent).
pub(crate) fn read_bytes<R: Schema>(bytes: &[u8]) -> Result<ReadTable<R>, super::Error> {
    super::read::read_bytes_fast(R::KIND, R::COLUMNS, R::OPTIONAL, R::decode, R::FAST, bytes)
}

/// The columns of a table: an enum `Col` whose variants index [`Schema::COLUMNS`]
/// (so a decoder says `Col::Name`, not a position), and the names.
macro_rules! columns {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// The columns of this table, in canonical order.
        #[derive(Clone, Copy, Debug)]
        #[allow(dead_code)]
        enum Col { $($variant),* }

        impl From<Col> for usize {
            fn from(c: Col) -> usize {
                c as usize
            }
        }

        const COLUMNS: &[&str] = &[$($name),*];
    };
}
pub(crate) use columns;

/// Each table's columns, from its definition.
impl TableKind {
    /// The known columns, in canonical order (each table's file says them).
    pub fn columns(self) -> &'static [&'static str] {
        self.column_names().0
    }

    /// Columns a file may lack (they load as empty).
    pub fn optional_columns(self) -> &'static [&'static str] {
        self.column_names().1
    }

    /// Where the new columns start in [`TableKind::columns`] (see [`Schema::NEW`]).
    pub fn new_from(self) -> usize {
        self.columns().len() - self.column_names().2
    }

    /// The column mask with every new column (a file with all of them).
    pub fn all_new(self) -> u8 {
        ((1u16 << self.column_names().2) - 1) as u8
    }

    /// The columns a file with this column mask has, in order.
    pub fn columns_with(self, new: u8) -> impl Iterator<Item = &'static str> {
        let from = self.new_from();
        self.columns()
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i < from || new & (1 << (i - from)) != 0)
            .map(|(_, c)| *c)
    }

    /// The known columns, the optional ones and how many are new, from the definition.
    fn column_names(self) -> (&'static [&'static str], &'static [&'static str], usize) {
        match self {
            Self::Procedures => (Procedure::COLUMNS, Procedure::OPTIONAL, Procedure::NEW),
            Self::Steps => (Step::COLUMNS, Step::OPTIONAL, Step::NEW),
            Self::Runs => (Run::COLUMNS, Run::OPTIONAL, Run::NEW),
            Self::RunSteps => (RunStep::COLUMNS, RunStep::OPTIONAL, RunStep::NEW),
            Self::Labels => (Label::COLUMNS, Label::OPTIONAL, Label::NEW),
            Self::ProcedureLabels => (ProcedureLabel::COLUMNS, ProcedureLabel::OPTIONAL, ProcedureLabel::NEW),
            Self::Versions => (Version::COLUMNS, Version::OPTIONAL, Version::NEW),
            Self::Schedules => (Schedule::COLUMNS, Schedule::OPTIONAL, Schedule::NEW),
        }
    }
}

/// Call `$body` with `$t` bound to each table's row type (tests of every table).
#[cfg(test)]
macro_rules! for_each_schema {
    ($t:ident => $body:block) => {
        for_each_schema!(@each $t $body; Procedure Step Run RunStep Label ProcedureLabel Version Schedule)
    };
    (@each $t:ident $body:block; $($row:ident)*) => {{
        $({
            type $t = crate::model::$row;
            $body
        })*
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::read::{read_table, read_table_fast};

    /// Every line read with the fast decoders gives what the general path gives.
    #[test]
    fn fast_decoders_agree_with_the_general_path() {
        let run_steps = [
            "1,1,1,True,2025-01-01 08:00:00,",
            "2,1,2,False,,",
            "3,1,3,True,2025-01-01 08:00:00,a note with ünïcode",
            "4,1,4,TRUE,2025-01-01 08:00:00,",
            "5,1,5,True,2025-01-01T08:00:00,",
            "6,1,6,True,2025-01-01 08:00:00.5,",
            "7,1,7,True,2025-02-30 08:00:00,",
            "8,0,8,True,,",
            "0,1,9,False,,",
            "9,1,10,False,,\"quoted\"",
            "10,1,11,False,,two,fields",
            "11,1,12,False,,nul\0byte",
            "12,1,13,False,,\r",
            "13,1,14,False",
            "14,1,99999999999,False,,",
            "15,1,4294967295,False,,",
            " 16,1,1,False,,",
            "17,1,1,1,2025-01-01 08:00:00,",
            "",
            "18,1,1,False,,x",
        ];
        let run_lines = [
            "1,1,2025-01-01 08:00:00,2025-01-01 09:00:00,completed,,1",
            "2,1,2025-01-01 08:00:00,,in_progress,notes here,",
            "3,1,2025-01-01 08:00:00,2025-01-01 09:00:00,cancelled,,12",
            "4,1,,,in_progress,,1",
            "5,1,2025-01-01 08:00:00,,In Progress,,1",
            "6,1,2025-01-01 08:00:00,,in_progress,,1.0",
            "7,1,2025-01-01 08:00:00,,in_progress,,99999999999",
            "8,1,2025-01-01 08:00:00,,in_progress,,x",
            "9,1,2025-01-01 08:00:00,,done,,1",
            "10,1,2025-01-01 08:00:00,2025-01-01 09:00:00,completed,\"a, b\",1",
            "11,1,2025-01-01 08:00:00+02:00,,in_progress,,",
            "12,1,2025-01-01 08:00:00,,in_progress,,4294967295",
        ];
        let version_lines = [
            r#"1,1,1,2025-01-01 08:00:00,created,"{""id"":1,""name"":""P"",""version"":1,""steps"":[]}""#,
            r#"2,1,2,,"edited, twice","{""id"":1,""name"":""Ünï \""q\"""",""version"":2}""#,
            r#"3,1,3,2025-01-01 08:00:00,,"""""#,
            r#"4,1,4,2025-01-01 08:00:00,,"""#,
            r#"5,1,5,2025-01-01 08:00:00,,"a"b"#,
            r#"6,1,6,2025-01-01 08:00:00,,"a""b"c"#,
            r#"7,1,,2025-01-01 08:00:00,,{}"#,
            r#"8,1,1.0,2025-01-01 08:00:00,,{}"#,
            "9,1,9,2025-01-01 08:00:00,,\"nul\0byte\"",
            "10,1,10,2025-01-01 08:00:00,,\"two\nlines\"",
            "11,1,11,2025-01-01 08:00:00,,\"cr\r\"",
            r#"12,1,12,2025-01-01 08:00:00,"x"y,{}"#,
            r#"13,1,13,2025-01-01 08:00:00,,"{}",extra"#,
            r#"14,1,14,2025-01-01 08:00:00,,"{}""#,
        ];
        fn agree<R: Schema + PartialEq + std::fmt::Debug>(lines: &[&str], fast_some: usize) {
            let dir = tempfile::tempdir().expect("tmp");
            let kind = R::KIND;
            let text = format!("{}\n{}\n", kind.columns_with(0).collect::<Vec<_>>().join(","), lines.join("\n"));
            std::fs::write(dir.path().join(kind.file_name()), text).expect("write");
            let a = read_table(dir.path(), kind, R::decode, None).expect("general");
            let b = read_table_fast(dir.path(), kind, R::COLUMNS, R::OPTIONAL, R::decode, R::FAST, None, None)
                .expect("fast");
            assert_eq!((&a.rows, &a.lines, &a.problems), (&b.rows, &b.lines, &b.problems), "{lines:?}");
            assert!(a.rows.len() >= fast_some, "{:?}", a.problems);
        }
        agree::<RunStep>(&run_steps, 6);
        agree::<Run>(&run_lines, 4);
        agree::<Version>(&version_lines, 5);
        // Each line alone too (the last line of a file has no successor).
        for l in run_steps {
            agree::<RunStep>(&[l], 0);
        }
        for l in run_lines {
            agree::<Run>(&[l], 0);
        }
        for l in version_lines {
            agree::<Version>(&[l], 0);
        }
        // And the fast path really decodes the lines the app writes.
        let mut days = crate::store::read::DAY_CACHE_START;
        let (rs, n) = run_steps::decode_fast(b"3,1,3,True,2025-01-01 08:00:00,a note\n4", &mut days, 0).expect("fast");
        assert_eq!((rs.id, rs.notes(), n), (RunStepId(3), "a note", 38));
        // With the new columns: a value and who ticked it.
        let line = b"3,1,3,True,2025-01-01 08:00:00,,3.5,Ann\n";
        let (rs, n) = run_steps::decode_fast(line, &mut days, 0b11).expect("fast");
        assert_eq!((rs.value(), rs.completed_by.as_str(), n), ("3.5", "Ann", line.len()));
        let (rs, _) = run_steps::decode_fast(b"3,1,3,True,2025-01-01 08:00:00,,Ann\n", &mut days, 0b10).expect("fast");
        assert_eq!((rs.value(), rs.completed_by.as_str()), ("", "Ann"));
        let line = b"1,1,2025-01-01 08:00:00,,in_progress,,2,Ann,web-01,2025-01-01 09:00:00\n";
        let (r, n) = runs::decode_fast(line, &mut days, 0b111).expect("fast");
        assert_eq!((r.started_by.as_str(), r.title(), n), ("Ann", "web-01", line.len()));
        assert_eq!(r.scheduled_for().map(|t| t.canonical()).as_deref(), Some("2025-01-01 09:00:00"));
        let (r, _) = runs::decode_fast(
            run_lines[1].as_bytes().iter().chain(b"\n").copied().collect::<Vec<u8>>().as_slice(),
            &mut days,
            0,
        )
        .expect("fast");
        assert_eq!((r.status, r.notes(), r.procedure_version), (RunStatus::InProgress, "notes here", None));
        let line = format!("{}\n", version_lines[1]);
        let (v, n) = versions::decode_fast(line.as_bytes(), &mut days, 0).expect("fast");
        assert_eq!((v.change_description.as_str(), n), ("edited, twice", line.len()));
        assert_eq!(v.procedure_snapshot, r#"{"id":1,"name":"Ünï \"q\"","version":2}"#);
        assert!(
            versions::decode_fast(b"3,1,3,,,\"\"\"\"\n", &mut days, 0)
                .is_some_and(|(v, _)| v.procedure_snapshot == "\"")
        );
    }

    #[test]
    fn every_table_names_its_kind_and_keeps_its_optional_columns_among_its_columns() {
        for_each_schema!(T => {
            assert_eq!(T::KIND.columns(), T::COLUMNS);
            assert!(T::OPTIONAL.iter().all(|c| T::COLUMNS.contains(c)), "{:?}", T::KIND);
        });
    }
}
