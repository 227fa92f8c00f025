//! Reading a whole team database into memory, as a folder is read: every table `COPY`ed
//! out as CSV in the folder's spelling, typed by the folder's own decoders, indexed and
//! checked by `load::assemble`.
//!
//! One snapshot, several connections: the first connection's repeatable-read transaction
//! exports its snapshot and helper connections import it, so the big table (`run_steps`,
//! split by id range) and the revisions come over at the same time as the rest, all of
//! one moment. The server formats rows in one process per connection: on y1 one
//! connection took 6.3 s to open, mostly the server writing 5,000,000 rows of CSV.
//! Rows come in the table's physical order (no `ORDER BY`: sorting on the server cost a
//! second); the reader sorts them as it sorts a folder's.

use super::transfer::table_name;
use super::watch::Beat;
use super::{PgError, connect, query_error, schema_version};
use crate::store::{LoadProgress, Loaded, TableKind};
use std::sync::atomic::Ordering;

/// Each row's revision where it is not 1 (rows changed since they were inserted), by
/// table and key: what an update names as the revision it saw.
pub(super) type Revisions = std::collections::HashMap<(TableKind, u64), i64>;

/// Per table: whether the folder had its file, and which new columns it had.
pub(super) type Layout = Vec<(TableKind, bool, u8)>;

/// Everything [`read_all`] read in one snapshot.
pub(super) struct ReadAll {
    pub(super) loaded: Loaded,
    pub(super) layout: Layout,
    /// Filled when a progress was given (an open, which will write).
    pub(super) revisions: Revisions,
}

/// `run_steps` is split over helper connections from this many ids on.
pub(super) const SPLIT_FROM: i64 = 200_000;

/// How many connections share the big table (besides the first, which reads the rest).
const HELPERS: i64 = 2;

/// Read everything in one snapshot (see the module docs). `url` connects the helpers;
/// `shown` names the database in the log. With a `progress` (the window opening it, to
/// write), rows received are counted there and the rows' revisions are read too.
pub(super) fn read_all(
    client: &mut postgres::Client,
    url: &str,
    beat: &Beat,
    progress: Option<&LoadProgress>,
    split_from: i64,
) -> Result<ReadAll, PgError> {
    beat.step("reading the schema version");
    let version = schema_version(client)?;
    let newest = super::MIGRATIONS.last().map_or(0, |m| m.0);
    if version == 0 {
        return Err(PgError::Refused("this database has no Procedures tables yet: push a folder into it first".into()));
    }
    if version < newest {
        return Err(PgError::Refused(format!(
            "this database's schema is version {version} and this app's is {newest}: open it in the app (which migrates it) first"
        )));
    }
    let started = std::time::Instant::now();
    beat.step("reading the columns");
    let selects = select_lists(client)?;
    beat.step("starting to read");
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(query_error("starting to read"))?;
    tx.batch_execute("SET LOCAL DateStyle = 'ISO, YMD'").map_err(query_error("starting to read"))?;
    if let Some(p) = progress {
        estimate_rows(&mut tx, p)?;
    }
    let (low, high, heap): (Option<i64>, Option<i64>, i64) = {
        let r = tx
            .query_one("SELECT min(id), max(id), pg_relation_size('run_steps') FROM run_steps", &[])
            .map_err(query_error("reading run_steps"))?;
        (r.get(0), r.get(1), r.get(2))
    };
    // Room for a part's CSV (smaller than the table's pages): reserved, not touched, so
    // the buffer is never copied while it grows.
    let room = usize::try_from(heap / HELPERS).unwrap_or(0);
    let parts: Vec<(i64, i64)> = match (low, high) {
        (Some(low), Some(high)) if high - low >= split_from => {
            let step = (high - low) / HELPERS + 1;
            (0..HELPERS).map(|i| (low + i * step, low + (i + 1) * step)).collect()
        }
        _ => Vec::new(),
    };
    let snapshot: Option<String> = if parts.is_empty() && progress.is_none() {
        None
    } else {
        Some(tx.query_one("SELECT pg_export_snapshot()", &[]).map_err(query_error("starting to read"))?.get(0))
    };
    let run_steps_select = &selects[TableKind::RunSteps as usize];
    let (bytes, revisions) = std::thread::scope(|s| -> Result<_, PgError> {
        // The helpers: the parts of run_steps, then (when opening to write) the revisions.
        let helpers: Vec<_> = parts
            .iter()
            .enumerate()
            .map(|(i, &(from, to))| {
                let snapshot = snapshot.clone().unwrap_or_default();
                s.spawn(move || {
                    let range = format!("WHERE id >= {from} AND id < {to}");
                    let sql = copy_sql(TableKind::RunSteps, run_steps_select, &range, i == 0);
                    beat.step("reading run_steps");
                    super::fast_copy::copy_in_snapshot(url, &snapshot, &sql, room, |got| {
                        beat.tick();
                        count_rows(progress, TableKind::RunSteps, got);
                    })
                })
            })
            .collect();
        let revisions = snapshot.clone().filter(|_| progress.is_some()).map(|snapshot| {
            s.spawn(move || {
                let mut c = connect(url)?;
                let mut t = in_snapshot(&mut c, &snapshot)?;
                read_revisions(&mut t, beat)
            })
        });
        let mut bytes: Vec<Vec<u8>> = Vec::with_capacity(TableKind::COUNT);
        for kind in TableKind::ALL {
            if kind == TableKind::RunSteps && !parts.is_empty() {
                bytes.push(Vec::new());
                continue;
            }
            bytes.push(copy_out(&mut tx, kind, &selects[kind as usize], "", true, beat, progress)?);
        }
        let lost = || PgError::Refused("a reading thread failed".into());
        for h in helpers {
            let part = h.join().map_err(|_| lost())??;
            bytes[TableKind::RunSteps as usize].extend_from_slice(&part);
        }
        let revisions = match revisions {
            Some(h) => h.join().map_err(|_| lost())??,
            None => Revisions::new(),
        };
        Ok((bytes, revisions))
    })?;
    beat.step("reading folder_files");
    let layout = tx
        .query("SELECT file, present, new_columns FROM folder_files", &[])
        .map_err(query_error("reading folder_files"))?
        .iter()
        .filter_map(|r| {
            let file: String = r.get(0);
            let kind = TableKind::ALL.into_iter().find(|k| k.file_name() == file)?;
            Some((kind, r.get::<_, bool>(1), u8::try_from(r.get::<_, i32>(2)).unwrap_or(0)))
        })
        .collect();
    beat.step("finishing the read");
    tx.commit().map_err(query_error("finishing the read"))?;
    let read = decode_all(&bytes)?;
    let loaded =
        crate::store::load::assemble(read, [None; TableKind::COUNT], Vec::new(), started, &super::redacted(url));
    Ok(ReadAll { loaded, layout, revisions })
}

/// A read-only transaction on `client` that sees the snapshot another one exported.
fn in_snapshot<'c>(client: &'c mut postgres::Client, snapshot: &str) -> Result<postgres::Transaction<'c>, PgError> {
    let mut t = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(query_error("starting to read"))?;
    t.batch_execute(&join_snapshot(snapshot)).map_err(query_error("joining the read's snapshot"))?;
    Ok(t)
}

/// The statements that make a transaction see an exported snapshot, times in the
/// folder's spelling.
pub(super) fn join_snapshot(snapshot: &str) -> String {
    // The snapshot id is the server's own (`pg_export_snapshot`): digits, letters, dashes.
    let id: String = snapshot.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    format!("SET TRANSACTION SNAPSHOT '{id}'; SET LOCAL DateStyle = 'ISO, YMD'")
}

/// The revisions that are not 1, every table.
fn read_revisions(tx: &mut postgres::Transaction<'_>, beat: &Beat) -> Result<Revisions, PgError> {
    let mut revisions = Revisions::new();
    for kind in TableKind::ALL {
        let table = table_name(kind);
        let key = if kind == TableKind::ProcedureLabels { "(procedure_id << 32) | label_id" } else { "id" };
        beat.step(format!("reading the revisions of {table}"));
        for r in tx
            .query(&format!("SELECT {key}, revision FROM {table} WHERE revision <> 1"), &[])
            .map_err(query_error(format!("reading the revisions of {table}")))?
        {
            revisions.insert((kind, r.get::<_, i64>(0) as u64), r.get(1));
        }
    }
    Ok(revisions)
}

/// The rows each table holds, as the server estimates them (for the progress bar: rows
/// received of rows expected).
fn estimate_rows(tx: &mut postgres::Transaction<'_>, progress: &LoadProgress) -> Result<(), PgError> {
    progress.rows.store(true, Ordering::Relaxed);
    for kind in TableKind::ALL {
        let rows: f32 = tx
            .query_one(
                "SELECT greatest(reltuples, 0)::real FROM pg_class WHERE oid = $1::text::regclass",
                &[&table_name(kind)],
            )
            .map_err(query_error("estimating the rows"))?
            .get(0);
        progress.total[kind as usize].store(rows as u64 + 1, Ordering::Relaxed);
    }
    Ok(())
}

/// Every table's bytes typed by its decoders (the two big ones on their own threads).
fn decode_all(bytes: &[Vec<u8>]) -> Result<crate::store::load::Read, PgError> {
    use crate::model::*;
    use crate::store::tables::read_bytes;
    let at = |k: TableKind| bytes[k as usize].as_slice();
    let (run_steps, runs, rest) = std::thread::scope(|s| {
        let run_steps = s.spawn(|| read_bytes::<RunStep>(at(TableKind::RunSteps)));
        let runs = s.spawn(|| read_bytes::<Run>(at(TableKind::Runs)));
        let rest = (
            read_bytes::<Procedure>(at(TableKind::Procedures)),
            read_bytes::<Step>(at(TableKind::Steps)),
            read_bytes::<Label>(at(TableKind::Labels)),
            read_bytes::<ProcedureLabel>(at(TableKind::ProcedureLabels)),
            read_bytes::<Version>(at(TableKind::Versions)),
            read_bytes::<Schedule>(at(TableKind::Schedules)),
        );
        let lost = || PgError::Refused("a reader thread failed".into());
        (run_steps.join().map_err(|_| lost()), runs.join().map_err(|_| lost()), rest)
    });
    let (procedures, steps, labels, links, versions, schedules) = rest;
    Ok(crate::store::load::Read {
        procedures: procedures?,
        steps: steps?,
        runs: runs??,
        run_steps: run_steps??,
        labels: labels?,
        links: links?,
        versions: versions?,
        schedules: schedules?,
    })
}

/// Per table, the select list that gives its columns in the folder's spelling
/// (`True`/`False`; timestamps as `YYYY-MM-DD HH:MM:SS`, which is how the server writes
/// a `timestamp(0)` with `DateStyle = ISO`: migration 004), in canonical order.
fn select_lists(client: &mut postgres::Client) -> Result<Vec<String>, PgError> {
    let types = super::column_types(client)?;
    Ok(TableKind::ALL
        .iter()
        .map(|kind| {
            let table = table_name(*kind);
            kind.columns()
                .iter()
                .map(|c| {
                    let q = super::transfer::column(c);
                    match types.get(&(table.to_owned(), (*c).to_owned())).map(String::as_str) {
                        Some("boolean") => format!("CASE WHEN {q} THEN 'True' WHEN NOT {q} THEN 'False' END AS {q}"),
                        _ => q,
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect())
}

/// One table (the rows `filter` picks) as CSV, with a header when `header`, in the
/// folder's spelling, into memory; rows received counted into `progress`.
fn copy_out(
    client: &mut impl postgres::GenericClient,
    kind: TableKind,
    select: &str,
    filter: &str,
    header: bool,
    beat: &Beat,
    progress: Option<&LoadProgress>,
) -> Result<Vec<u8>, PgError> {
    use std::io::Read as _;
    let table = table_name(kind);
    let sql = copy_sql(kind, select, filter, header);
    let what = format!("reading {table}");
    beat.step(what.clone());
    let mut reader = client.copy_out(&sql).map_err(query_error(what.clone()))?;
    let mut out = Vec::new();
    // In chunks, each one progress.
    let mut chunk = vec![0; 1 << 20];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| PgError::Query { what: what.clone(), why: e.to_string() })?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&chunk[..n]);
        beat.tick();
        count_rows(progress, kind, &chunk[..n]);
    }
}

/// The `COPY` of the rows `filter` picks, as CSV (with a header when `header`).
fn copy_sql(kind: TableKind, select: &str, filter: &str, header: bool) -> String {
    let table = table_name(kind);
    format!("COPY (SELECT {select} FROM {table} {filter}) TO STDOUT WITH (FORMAT csv, HEADER {header})")
}

/// Count the rows in `got` (lines, near enough) into `progress`: rows received of the
/// rows expected.
fn count_rows(progress: Option<&LoadProgress>, kind: TableKind, got: &[u8]) {
    if let Some(p) = progress {
        let lines = got.iter().filter(|b| **b == b'\n').count() as u64;
        p.read[kind as usize].fetch_add(lines, Ordering::Relaxed);
    }
}
