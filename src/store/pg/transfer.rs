//! Whole folders in and out of the team database: `push` (a checked folder into an empty
//! database, one transaction, `COPY … FROM STDIN` of each table's canonical CSV) and
//! `pull` (`COPY … TO STDOUT` of each table, read by the folder's own decoders, written
//! by its canonical writer, with the files' layout the push recorded), so folder →
//! database → folder gives the folder's files back byte for byte (a folder written
//! elsewhere comes back in canonical form, as the app's first save would write it).

use super::watch::{Beat, QUIET_LIMIT, watched};
use super::{PgError, connect, migrate, query_error};
use crate::store::tables::Schema;
use crate::store::{Dataset, Loaded, Table, TableKind, TableSet, TableSnapshot};
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

/// What a push or a pull moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Moved {
    /// Rows per table.
    pub rows: Vec<(TableKind, usize)>,
}

/// The database table of a folder table (the file name without `.csv`).
pub(super) fn table_name(kind: TableKind) -> &'static str {
    kind.file_name().trim_end_matches(".csv")
}

/// A column name as SQL (`order` is a keyword).
pub(super) fn column(c: &str) -> String {
    format!("\"{c}\"")
}

/// Push the folder `dir` into the empty database `url` (its schema created or migrated
/// first), in one transaction: all of it or nothing. Refused when the folder has
/// problems or columns the contract does not know, or the database holds data.
pub fn push(dir: &Path, url: &str) -> Result<Moved, PgError> {
    push_within(dir, url, QUIET_LIMIT)
}

/// [`push`], giving up when the server stays silent for `quiet` in the middle of it.
pub fn push_within(dir: &Path, url: &str, quiet: Duration) -> Result<Moved, PgError> {
    let loaded = crate::store::load(dir)?;
    if let Some(p) = loaded.problems.first() {
        return Err(PgError::Refused(format!(
            "{}: {} problem(s), the first: {p} (`procedures check` lists them); only a folder that checks clean is pushed",
            dir.display(),
            loaded.problems.len()
        )));
    }
    let snapshots = loaded.db.current_tables(TableSet::all());
    if let Some(t) = snapshots.iter().find(|t| !t.extra_columns.is_empty()) {
        return Err(PgError::Refused(format!(
            "{}: columns the team database does not have: {} (remove them, or keep this folder as a folder)",
            t.kind.file_name(),
            t.extra_columns.join(", ")
        )));
    }
    let present: Vec<bool> =
        TableKind::ALL.iter().map(|k| std::fs::symlink_metadata(dir.join(k.file_name())).is_ok()).collect();
    let url = url.to_owned();
    watched(quiet, move |beat| push_into(&url, &snapshots, &present, beat))
}

/// The database side of [`push`] (on the watched thread).
fn push_into(url: &str, snapshots: &[TableSnapshot], present: &[bool], beat: &Beat) -> Result<Moved, PgError> {
    beat.step("connecting");
    let mut client = connect(url)?;
    beat.step("looking at the database");
    super::refuse_foreign(&mut client)?;
    beat.step("creating the tables");
    migrate(&mut client, None)?;
    beat.step("starting the push");
    let mut tx = client.transaction().map_err(query_error("starting the push"))?;
    for kind in TableKind::ALL {
        let table = table_name(kind);
        beat.step(format!("reading {table}"));
        let has: bool = tx
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
            .map_err(query_error(format!("reading {table}")))?
            .get(0);
        if has {
            return Err(PgError::Refused(format!(
                "the database already holds data ({table} has rows): push goes into an empty database"
            )));
        }
    }
    // The initial load is not a change anyone needs to hear of row by row.
    beat.step("pausing the change log");
    for kind in TableKind::ALL {
        tx.batch_execute(&format!("ALTER TABLE {} DISABLE TRIGGER USER", table_name(kind)))
            .map_err(query_error("pausing the change log"))?;
    }
    tx.batch_execute("DELETE FROM folder_files").map_err(query_error("clearing folder_files"))?;
    let mut moved = Moved::default();
    for kind in TableKind::PARENTS_FIRST {
        let Some(mut snap) = snapshots.iter().find(|t| t.kind == kind).cloned() else { continue };
        let mask = snap.new_columns;
        snap.new_columns = kind.all_new();
        let cols: Vec<String> = kind.columns().iter().map(|c| column(c)).collect();
        let sql = format!("COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)", table_name(kind), cols.join(", "));
        let sending = format!("sending {}", kind.file_name());
        beat.step(sending.clone());
        let mut w = tx.copy_in(&sql).map_err(query_error(sending.clone()))?;
        // In chunks, each one progress: a server that stops reading is noticed.
        for chunk in snap.to_csv().chunks(1 << 20) {
            w.write_all(chunk).map_err(|e| PgError::Query { what: sending.clone(), why: e.to_string() })?;
            beat.tick();
        }
        beat.step(format!("storing {}", kind.file_name()));
        w.finish().map_err(query_error(format!("storing {}", kind.file_name())))?;
        let present = TableKind::ALL.iter().position(|k| *k == kind).is_none_or(|i| present[i]);
        tx.execute(
            "INSERT INTO folder_files (file, present, new_columns) VALUES ($1, $2, $3)",
            &[&kind.file_name(), &present, &i32::from(mask)],
        )
        .map_err(query_error("recording the files' layout"))?;
        moved.rows.push((kind, snap.len()));
    }
    beat.step("resuming the change log");
    for kind in TableKind::ALL {
        tx.batch_execute(&format!("ALTER TABLE {} ENABLE TRIGGER USER", table_name(kind)))
            .map_err(query_error("resuming the change log"))?;
    }
    // One position for the whole push: a client open on the database reads it again.
    tx.batch_execute(
        "WITH h AS (UPDATE log_head SET position = position + 1 RETURNING position)
         INSERT INTO changes (table_name, row_key, op, position) SELECT '*', '*', 'PUSH', position FROM h;
         NOTIFY procedures",
    )
    .map_err(query_error("recording the push"))?;
    beat.step("committing the push");
    tx.commit().map_err(query_error("committing the push"))?;
    Ok(moved)
}

/// Pull the database `url` into the folder `dir` (created if needed; refused when it
/// already holds a data file: nothing is written over). The tables are received and
/// decoded in memory; the only files written are the folder's tables, through the
/// store's atomic writes (no scratch folder whose links could be followed).
pub fn pull(url: &str, dir: &Path) -> Result<Moved, PgError> {
    pull_within(url, dir, QUIET_LIMIT)
}

/// [`pull`], giving up when the server stays silent for `quiet` in the middle of it.
pub fn pull_within(url: &str, dir: &Path, quiet: Duration) -> Result<Moved, PgError> {
    if let Some(kind) = TableKind::ALL.into_iter().find(|k| std::fs::symlink_metadata(dir.join(k.file_name())).is_ok())
    {
        return Err(PgError::Refused(format!(
            "{} already has {}: pull writes into a new or empty folder, never over one",
            dir.display(),
            kind.file_name()
        )));
    }
    let (mut loaded, layout) = read_url(url, quiet, super::read::SPLIT_FROM)?;
    std::fs::create_dir_all(dir).map_err(|e| crate::store::Error::io(dir, e))?;
    let mut write = TableSet::EMPTY;
    for kind in TableKind::ALL {
        let (present, mask) = layout.iter().find(|(k, ..)| *k == kind).map_or((true, 0), |(_, p, m)| (*p, *m));
        let rows = loaded.db.row_count(kind);
        if present || rows > 0 {
            write.insert(kind);
        }
        set_mask(&mut loaded.db, kind, mask);
    }
    loaded.db.mark_full(write);
    crate::store::save(dir, &mut loaded.db)?;
    Ok(Moved { rows: write.iter().map(|k| (k, loaded.db.row_count(k))).collect() })
}

/// Read the database `url` as a folder is read (the same decoders and checks): what
/// `check`, `stats`, `due` and `export` do with a URL. Nothing is written anywhere.
pub fn load_url(url: &str) -> Result<Loaded, PgError> {
    Ok(read_url(url, QUIET_LIMIT, super::read::SPLIT_FROM)?.0)
}

/// [`load_url`], splitting `run_steps` over helper connections from `split_from` ids on
/// (tests take every path on a small database).
#[doc(hidden)]
pub fn load_url_split_from(url: &str, split_from: i64) -> Result<Loaded, PgError> {
    Ok(read_url(url, QUIET_LIMIT, split_from)?.0)
}

/// Connect and read everything, on the watched thread.
fn read_url(url: &str, quiet: Duration, split_from: i64) -> Result<(Loaded, Layout), PgError> {
    let url = url.to_owned();
    watched(quiet, move |beat| {
        beat.step("connecting");
        let mut client = connect(&url)?;
        let read = super::read::read_all(&mut client, &url, beat, None, split_from)?;
        Ok((read.loaded, read.layout))
    })
}

type Layout = super::read::Layout;

/// Give a pulled table the new columns its file had when pushed (and any its rows need).
fn set_mask(db: &mut Dataset, kind: TableKind, stored: u8) {
    fn set<R: Schema>(t: &mut Table<R>, stored: u8) {
        t.new_columns = t.rows().iter().fold(stored, |m, r| m | r.needs());
    }
    match kind {
        TableKind::Procedures => set(&mut db.procedures, stored),
        TableKind::Steps => set(&mut db.steps, stored),
        TableKind::Runs => set(&mut db.runs, stored),
        TableKind::RunSteps => set(&mut db.run_steps, stored),
        TableKind::Labels => set(&mut db.labels, stored),
        TableKind::ProcedureLabels => set(&mut db.procedure_labels, stored),
        TableKind::Versions => set(&mut db.versions, stored),
        TableKind::Schedules => set(&mut db.schedules, stored),
    }
}
