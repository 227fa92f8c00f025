//! Reading a whole team database into memory, as a folder is read: the tables `COPY`ed
//! out as CSV in the folder's spelling and typed by the folder's own decoders, except
//! `run_steps`, which comes as binary typed as it arrives (`binary.rs`); all indexed and
//! checked by `load::assemble`.
//!
//! One snapshot, several connections: the first connection's repeatable-read transaction
//! exports its snapshot and the readers import it, so the big table (`run_steps`, split
//! by id range), the other tables and the revisions come over at the same time, all of
//! one moment. The server formats rows in one process per connection: on y1 one
//! connection took 6.3 s to open, mostly the server writing 5,000,000 rows of CSV.
//! Rows come in the table's physical order (no `ORDER BY`: sorting on the server cost a
//! second); the reader sorts them as it sorts a folder's.

use super::binary::{RunStepsDecoder, run_steps_select};
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
    /// The change position of the snapshot (the feed goes on from there).
    pub(super) position: i64,
}

/// `run_steps` is split over helper connections from this many ids on.
pub(super) const SPLIT_FROM: i64 = 200_000;

/// Each reading transaction's settings: times in the folder's spelling; no JIT (for
/// these plain scans compiling cost more than it saved: 1.04–1.25 s with, 1.04–1.06 s
/// without, for half of y1's run steps as CSV).
const READ_SETTINGS: &str = "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL jit = off";

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
    let mut tx = read_only(client)?;
    tx.batch_execute(READ_SETTINGS).map_err(query_error("starting to read"))?;
    if let Some(p) = progress {
        estimate_rows(&mut tx, p)?;
    }
    let (low, high, heap): (Option<i64>, Option<i64>, i64) = {
        let r = tx
            .query_one("SELECT min(id), max(id), pg_relation_size('run_steps') FROM run_steps", &[])
            .map_err(query_error("reading run_steps"))?;
        (r.get(0), r.get(1), r.get(2))
    };
    let span = match (low, high) {
        (Some(low), Some(high)) => high - low + 1,
        _ => 0,
    };
    let parts: Vec<String> = match low {
        Some(low) if span > split_from => split(low, span),
        _ => vec![String::new()],
    };
    // Room for a part's rows: as many as its ids, never more than the table's pages
    // hold (a row takes over 60 bytes there), so odd ids cannot make it huge.
    let room = usize::try_from(span.min(heap / 60) / i64::try_from(parts.len()).unwrap_or(1)).unwrap_or(0);
    let snapshot: String =
        tx.query_one("SELECT pg_export_snapshot()", &[]).map_err(query_error("starting to read"))?.get(0);
    let snapshot = snapshot.as_str();
    let position: i64 =
        tx.query_one("SELECT position FROM log_head", &[]).map_err(query_error("reading the change position"))?.get(0);
    // An open to write reads the revisions too: run_steps' with its rows.
    let with_revisions = progress.is_some();
    let (read, revisions) = std::thread::scope(|s| -> Result<_, PgError> {
        // The helpers: the parts of run_steps, then (when opening to write) the other
        // tables' revisions.
        let helpers: Vec<_> = parts
            .iter()
            .map(|range| {
                s.spawn(move || {
                    beat.step("reading run_steps");
                    let mut decoder = RunStepsDecoder::with_capacity(room, with_revisions);
                    let mut counted = |n| count(progress, beat, TableKind::RunSteps, n);
                    let sql = [run_steps_sql(range, with_revisions)];
                    super::fast_copy::copy_in_snapshot(url, snapshot, &sql, |_, got| decoder.feed(got, &mut counted))?;
                    decoder.finish(&mut counted)
                })
            })
            .collect();
        let revisions = with_revisions.then(|| {
            s.spawn(move || {
                let mut c = connect(url)?;
                let mut t = in_snapshot(&mut c, snapshot)?;
                read_revisions(&mut t, beat)
            })
        });
        let bytes = copy_rest(url, snapshot, &selects, beat, progress)?;
        // Typed while the helpers still read.
        let rest = decode_rest(&bytes);
        let lost = || PgError::Refused("a reading thread failed".into());
        let mut run_steps = Vec::with_capacity(parts.len());
        let mut revised = Vec::new();
        for h in helpers {
            let (part, revisions) = h.join().map_err(|_| lost())??;
            run_steps.push(part);
            revised.extend(revisions);
        }
        let mut revisions = match revisions {
            Some(h) => h.join().map_err(|_| lost())??,
            None => Revisions::new(),
        };
        revisions.extend(revised.into_iter().map(|(id, revision)| ((TableKind::RunSteps, id), revision)));
        let run_steps = crate::store::read::join_parts(TableKind::RunSteps, run_steps);
        Ok((
            rest.map(|mut read| {
                read.run_steps = run_steps;
                read
            }),
            revisions,
        ))
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
    let loaded =
        crate::store::load::assemble(read?, [None; TableKind::COUNT], Vec::new(), started, &super::redacted(url));
    Ok(ReadAll { loaded, layout, revisions, position })
}

/// The `WHERE` clauses that split `run_steps` (`span` ids from `low`) into [`HELPERS`]
/// parts by id: each part comes in id order (the server walks the primary key), so the
/// parts need no sorting. (By page — a TID range scan — the server spent 0.2 s less per
/// part, but the rows came out of order, rows updated since inserted at the end, and
/// sorting them cost the reader 0.36 s.)
fn split(low: i64, span: i64) -> Vec<String> {
    let step = span / HELPERS + 1;
    (0..HELPERS).map(|i| format!("WHERE id >= {} AND id < {}", low + i * step, low + (i + 1) * step)).collect()
}

/// A read-only repeatable-read transaction on `client` (one snapshot for every read).
fn read_only(client: &mut postgres::Client) -> Result<postgres::Transaction<'_>, PgError> {
    client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(query_error("starting to read"))
}

/// A read-only transaction on `client` that sees the snapshot another one exported.
fn in_snapshot<'c>(client: &'c mut postgres::Client, snapshot: &str) -> Result<postgres::Transaction<'c>, PgError> {
    let mut t = read_only(client)?;
    t.batch_execute(&join_snapshot(snapshot)).map_err(query_error("joining the read's snapshot"))?;
    Ok(t)
}

/// The statements that make a transaction see an exported snapshot, times in the
/// folder's spelling.
pub(super) fn join_snapshot(snapshot: &str) -> String {
    // The snapshot id is the server's own (`pg_export_snapshot`): digits, letters, dashes.
    let id: String = snapshot.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    format!("SET TRANSACTION SNAPSHOT '{id}'; {READ_SETTINGS}")
}

/// The revisions that are not 1, every table but `run_steps` (read with its rows).
fn read_revisions(tx: &mut postgres::Transaction<'_>, beat: &Beat) -> Result<Revisions, PgError> {
    let mut revisions = Revisions::new();
    for kind in TableKind::ALL.into_iter().filter(|k| *k != TableKind::RunSteps) {
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

/// Every table but `run_steps` typed by its decoders from its bytes (`runs` on a
/// thread of its own); `run_steps` is left empty.
fn decode_rest(bytes: &[Vec<u8>]) -> Result<crate::store::load::Read, PgError> {
    use crate::model::*;
    use crate::store::tables::read_bytes;
    let at = |k: TableKind| bytes[k as usize].as_slice();
    let (runs, rest) = std::thread::scope(|s| {
        let runs = s.spawn(|| read_bytes::<Run>(at(TableKind::Runs)));
        let rest = (
            read_bytes::<Procedure>(at(TableKind::Procedures)),
            read_bytes::<Step>(at(TableKind::Steps)),
            read_bytes::<Label>(at(TableKind::Labels)),
            read_bytes::<ProcedureLabel>(at(TableKind::ProcedureLabels)),
            read_bytes::<Version>(at(TableKind::Versions)),
            read_bytes::<Schedule>(at(TableKind::Schedules)),
        );
        (runs.join().map_err(|_| PgError::Refused("a reader thread failed".into())), rest)
    });
    let (procedures, steps, labels, links, versions, schedules) = rest;
    Ok(crate::store::load::Read {
        procedures: procedures?,
        steps: steps?,
        runs: runs??,
        run_steps: crate::store::read::ReadTable::empty(),
        labels: labels?,
        links: links?,
        versions: versions?,
        schedules: schedules?,
    })
}

/// Per table, the select list that gives its columns in the folder's spelling
/// (`True`/`False`; timestamps as `YYYY-MM-DD HH:MM:SS`, which is how the server writes
/// a `timestamp(0)` with `DateStyle = ISO`: migration 004), in canonical order.
pub(super) fn select_lists(client: &mut postgres::Client) -> Result<Vec<String>, PgError> {
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

/// Every table but `run_steps` as CSV with a header, in the folder's spelling, into
/// memory, on a connection of its own in `snapshot` (the async client: the sync one
/// costs a runtime entry per row); rows received counted into `progress`.
fn copy_rest(
    url: &str,
    snapshot: &str,
    selects: &[String],
    beat: &Beat,
    progress: Option<&LoadProgress>,
) -> Result<Vec<Vec<u8>>, PgError> {
    let kinds: Vec<TableKind> = TableKind::ALL.into_iter().filter(|k| *k != TableKind::RunSteps).collect();
    let sqls: Vec<String> = kinds
        .iter()
        .map(|k| {
            let (table, select) = (table_name(*k), &selects[*k as usize]);
            format!("COPY (SELECT {select} FROM {table}) TO STDOUT WITH (FORMAT csv, HEADER true)")
        })
        .collect();
    let mut bytes: Vec<Vec<u8>> = vec![Vec::new(); TableKind::COUNT];
    // The table being received, and its bytes counted into the progress so far.
    let (mut at, mut told) = (0, 0);
    // Rows received: the lines, near enough.
    let tell = |bytes: &[Vec<u8>], at: usize, told: &mut usize| {
        let out = &bytes[kinds[at] as usize];
        count(progress, beat, kinds[at], out[*told..].iter().filter(|b| **b == b'\n').count());
        *told = out.len();
    };
    beat.step("reading the tables");
    super::fast_copy::copy_in_snapshot(url, snapshot, &sqls, |i, chunk| {
        if i != at {
            tell(&bytes, at, &mut told);
            (at, told) = (i, 0);
        }
        let out = &mut bytes[kinds[i] as usize];
        out.extend_from_slice(chunk);
        if out.len() - told >= 1 << 16 {
            tell(&bytes, at, &mut told);
        }
        Ok(())
    })?;
    tell(&bytes, at, &mut told);
    Ok(bytes)
}

/// The binary `COPY` of the run steps `filter` picks.
fn run_steps_sql(filter: &str, with_revisions: bool) -> String {
    let select = run_steps_select(with_revisions);
    format!("COPY (SELECT {select} FROM run_steps {filter}) TO STDOUT WITH (FORMAT binary)")
}

/// Count `n` rows of `kind` received into `progress` (rows received of the rows
/// expected); the read goes on.
fn count(progress: Option<&LoadProgress>, beat: &Beat, kind: TableKind, n: usize) {
    beat.tick();
    if let Some(p) = progress {
        p.read[kind as usize].fetch_add(n as u64, Ordering::Relaxed);
    }
}
