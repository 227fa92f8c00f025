//! The change feed (CONTRACT "Team database"; migration 005): every writing transaction
//! advances one commit-ordered, gapless position, and each row of `changes` carries its
//! transaction's position. A client that has seen everything up to position P asks for
//! "the changes after P" — on every NOTIFY (only a wake-up: it is not replayed to a
//! client that was away, and its payload is small), on connect and reconnect, and on a
//! slow timer — and gets them with the rows as they are now, all read in one snapshot,
//! so that applying them brings it to the head position of that snapshot.
//!
//! A [`Feed`] is one connection that listens; [`Feed::catch_up`] reads a [`Batch`];
//! [`Feed::wait`] waits for a wake-up (bounded). Used by `procedures watch` and by the
//! window's live updates.

use super::read::select_lists;
use super::transfer::table_name;
use super::{PgError, connect, query_error};
use crate::store::snapshot::with_rows;
use crate::store::{IncomingTable, TableKind, TableRows};
use postgres::fallible_iterator::FallibleIterator;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// At most this many rows of `changes` in one batch (the next catch-up takes the rest).
const MAX_CHANGES: i64 = 20_000;

/// How long a statement of the feed may take on the server.
const STATEMENT_LIMIT: &str = "30s";

/// How long one wait of [`Feed::follow`] lasts before it looks at its stop flag again.
const SLICE: Duration = Duration::from_millis(250);

/// The longest pause between attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What [`Feed::follow`] reports.
#[derive(Debug)]
pub enum Followed {
    /// Changes (never empty).
    Batch(Batch),
    /// The connection was lost (why); it is tried again, waiting longer each time.
    Lost(String),
    /// Connected again; what happened meanwhile comes next.
    Back,
}

/// What happened to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOp {
    /// A new row.
    Insert,
    /// A row changed.
    Update,
    /// A row removed.
    Delete,
    /// A whole folder pushed into the database (read it again).
    Push,
}

impl ChangeOp {
    fn parse(op: &str) -> Option<Self> {
        match op {
            "INSERT" => Some(Self::Insert),
            "UPDATE" => Some(Self::Update),
            "DELETE" => Some(Self::Delete),
            "PUSH" => Some(Self::Push),
            _ => None,
        }
    }

    /// Lower case, as `watch --json` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Insert => "insert",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Push => "push",
        }
    }
}

/// One row's change, as the server logged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The position of the transaction that made it.
    pub position: i64,
    /// The table (`None` for a push: every table).
    pub kind: Option<TableKind>,
    /// The row's key (`procedure_id << 32 | label_id` for a label link).
    pub key: u64,
    /// What happened.
    pub op: ChangeOp,
    /// When, on the server's clock in its time zone, `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
    /// Who: the `people` name of the role, else the role.
    pub by: String,
}

/// The rows of one table that changed, as they are at the batch's position.
#[derive(Clone, Debug, Default)]
pub struct ChangedRows {
    /// The rows still there, as CSV in the folder's spelling with a header (every
    /// column), in key order.
    pub csv: Vec<u8>,
    /// Each row's key and revision, in the same order.
    pub revisions: Vec<(u64, i64)>,
    /// The keys that changed and are no longer there.
    pub gone: Vec<u64>,
}

/// The changes after a position, up to [`Batch::to`], with the rows as they are there.
#[derive(Debug, Default)]
pub struct Batch {
    /// The position asked from (exclusive).
    pub from: i64,
    /// The position this batch brings a client to.
    pub to: i64,
    /// Every change, in position order (a transaction's changes in the order made).
    pub changes: Vec<Change>,
    /// The changed rows by table.
    pub rows: BTreeMap<TableKind, ChangedRows>,
    /// The database must be read again: a push, a transaction too big for one batch,
    /// or a head behind the position asked from (the database was made anew).
    pub reload: bool,
}

impl Batch {
    /// Whether the batch brings nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && !self.reload
    }
}

impl Batch {
    /// The changed rows typed by the folder's own decoders, per table, parents first (on
    /// the thread that follows the feed, not the UI thread). A row the decoders find a
    /// problem in is kept as they read it, and the problem logged.
    pub fn incoming(&self) -> Vec<IncomingTable> {
        incoming_of(&self.rows)
    }
}

/// Changed rows typed by the folder's own decoders, per table, parents first.
pub(super) fn incoming_of(tables: &BTreeMap<TableKind, ChangedRows>) -> Vec<IncomingTable> {
    let mut out = Vec::new();
    for kind in TableKind::PARENTS_FIRST {
        let Some(changed) = tables.get(&kind) else { continue };
        let rows = match typed_rows(kind, &changed.csv, true) {
            Ok((rows, problems)) => {
                for p in problems.iter().take(3) {
                    log::warn!("a changed row from the database: {p}");
                }
                rows
            }
            Err(e) => {
                log::warn!("changed rows from the database not read: {e}");
                // The header alone: no rows (the removals still apply).
                let header = kind.columns().join(",");
                match typed_rows(kind, header.as_bytes(), true) {
                    Ok((rows, _)) => rows,
                    Err(_) => continue,
                }
            }
        };
        let keys: Vec<u64> = with_rows!(&rows, r => r.iter().map(crate::model::Row::key).collect());
        let revisions = keys
            .iter()
            .map(|k| changed.revisions.binary_search_by_key(k, |r| r.0).map_or(1, |i| changed.revisions[i].1))
            .collect();
        out.push(IncomingTable { kind, rows, revisions, gone: changed.gone.clone() });
    }
    out
}

/// Rows of one table from CSV in the folder's spelling, in the order given; a row the
/// decoders find a problem in refuses them all.
pub(super) fn typed_in_order(kind: TableKind, csv: &[u8]) -> Result<TableRows, String> {
    let (rows, problems) = typed_rows(kind, csv, false)?;
    match problems.into_iter().next() {
        Some(p) => Err(p),
        None => Ok(rows),
    }
}

/// Rows of one table from CSV in the folder's spelling (`sorted`: by key, one per key),
/// and the problems the decoders found (the rows they kept are there as read).
fn typed_rows(kind: TableKind, csv: &[u8], sorted: bool) -> Result<(TableRows, Vec<String>), String> {
    use crate::model::*;
    use crate::store::tables::read_bytes;
    match kind {
        TableKind::Procedures => typed(csv, read_bytes::<Procedure>, TableRows::Procedures, sorted),
        TableKind::Steps => typed(csv, read_bytes::<Step>, TableRows::Steps, sorted),
        TableKind::Runs => typed(csv, read_bytes::<Run>, TableRows::Runs, sorted),
        TableKind::RunSteps => typed(csv, read_bytes::<RunStep>, TableRows::RunSteps, sorted),
        TableKind::Labels => typed(csv, read_bytes::<Label>, TableRows::Labels, sorted),
        TableKind::ProcedureLabels => typed(csv, read_bytes::<ProcedureLabel>, TableRows::ProcedureLabels, sorted),
        TableKind::Versions => typed(csv, read_bytes::<Version>, TableRows::Versions, sorted),
        TableKind::Schedules => typed(csv, read_bytes::<Schedule>, TableRows::Schedules, sorted),
    }
}

/// Rows of one table from CSV, with the decoders' problems.
fn typed<R: crate::model::Row + Clone>(
    csv: &[u8],
    read: fn(&[u8]) -> Result<crate::store::read::ReadTable<R>, crate::store::Error>,
    wrap: fn(Arc<Vec<R>>) -> TableRows,
    sorted: bool,
) -> Result<(TableRows, Vec<String>), String> {
    let table = read(csv).map_err(|e| e.to_string())?;
    let problems = table.problems.iter().map(ToString::to_string).collect();
    let mut rows = table.rows;
    if sorted {
        rows.sort_by_key(crate::model::Row::key);
        rows.dedup_by_key(|r| r.key());
    }
    Ok((wrap(Arc::new(rows)), problems))
}

/// A listening connection to a team database's change feed.
pub struct Feed {
    url: String,
    client: postgres::Client,
    /// Each table's select list in the folder's spelling.
    selects: Vec<String>,
    /// The position seen up to.
    position: i64,
}

impl Feed {
    /// Connect and listen, from `position` (`None`: the head now — only what comes next).
    pub fn connect(url: &str, position: Option<i64>) -> Result<Self, PgError> {
        let mut client = listening(url)?;
        let selects = select_lists(&mut client)?;
        let position = match position {
            Some(p) => p,
            None => head(&mut client)?,
        };
        Ok(Self { url: url.to_owned(), client, selects, position })
    }

    /// The position seen up to.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Connect again after the connection was lost (the position is kept: the next
    /// [`Feed::catch_up`] brings what happened meanwhile).
    pub fn reconnect(&mut self) -> Result<(), PgError> {
        self.client = listening(&self.url)?;
        Ok(())
    }

    /// Whether the connection is gone.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Wait at most `limit` for a wake-up (a NOTIFY of a commit). `Ok(true)`: woken;
    /// `Ok(false)`: the time passed. Every wake-up waiting is taken (one catch-up serves
    /// them all).
    pub fn wait(&mut self, limit: Duration) -> Result<bool, PgError> {
        let mut notes = self.client.notifications();
        let woken = notes.timeout_iter(limit).next().map_err(query_error("waiting for changes"))?.is_some();
        while notes.iter().next().map_err(query_error("waiting for changes"))?.is_some() {}
        Ok(woken)
    }

    /// Follow the changes until `stop` is set: catch up at once, on every wake-up, at
    /// least every `timer` (the safety net), and after a lost connection (connecting again
    /// after 1 s, 2 s, … up to 30 s). Each non-empty batch goes to `each`; the stop flag
    /// is looked at every quarter of a second.
    pub fn follow(&mut self, stop: &AtomicBool, timer: Duration, mut each: impl FnMut(Followed)) {
        let mut backoff = Duration::from_secs(1);
        let mut since = Duration::ZERO;
        let mut due = true;
        while !stop.load(Ordering::Relaxed) {
            let result = if due { self.catch_up().map(Some) } else { Ok(None) };
            let result = result.and_then(|batch| {
                if let Some(batch) = batch {
                    since = Duration::ZERO;
                    if !batch.is_empty() {
                        each(Followed::Batch(batch));
                    }
                }
                self.wait(SLICE)
            });
            match result {
                Ok(woken) => {
                    since += SLICE;
                    due = woken || since >= timer;
                    backoff = Duration::from_secs(1);
                }
                Err(e) => {
                    each(Followed::Lost(e.to_string()));
                    if !self.reconnect_after(&mut backoff, stop, &mut each) {
                        return;
                    }
                    due = true;
                }
            }
        }
    }

    /// Connect again, waiting `backoff` first (doubled each time, up to [`MAX_BACKOFF`]);
    /// false when `stop` was set meanwhile.
    fn reconnect_after(&mut self, backoff: &mut Duration, stop: &AtomicBool, each: &mut impl FnMut(Followed)) -> bool {
        loop {
            let mut waited = Duration::ZERO;
            while waited < *backoff {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                std::thread::sleep(SLICE);
                waited += SLICE;
            }
            *backoff = (*backoff * 2).min(MAX_BACKOFF);
            match self.reconnect() {
                Ok(()) => {
                    each(Followed::Back);
                    return true;
                }
                Err(e) => each(Followed::Lost(e.to_string())),
            }
        }
    }

    /// The changes after the position seen, with their rows, in one snapshot; the
    /// position moves to the batch's end.
    pub fn catch_up(&mut self) -> Result<Batch, PgError> {
        let from = self.position;
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(query_error("starting to read the changes"))?;
        tx.batch_execute("SET LOCAL DateStyle = 'ISO, YMD'").map_err(query_error("reading the changes"))?;
        let head: i64 = tx
            .query_one("SELECT position FROM log_head", &[])
            .map_err(query_error("reading the change position"))?
            .get(0);
        let mut batch = Batch { from, to: head, ..Batch::default() };
        if head < from {
            batch.reload = true;
        }
        if head <= from {
            tx.commit().map_err(query_error("reading the changes"))?;
            self.position = head;
            return Ok(batch);
        }
        let rows = tx
            .query(
                "SELECT c.position, c.table_name, c.row_key, c.op,
                        to_char(c.changed_at, 'YYYY-MM-DD HH24:MI:SS'), coalesce(p.name, c.changed_by)
                 FROM changes c LEFT JOIN people p ON p.role = c.changed_by
                 WHERE c.position > $1 AND c.position <= $2
                 ORDER BY c.position, c.revision LIMIT $3",
                &[&from, &head, &(MAX_CHANGES + 1)],
            )
            .map_err(query_error("reading the changes"))?;
        let mut changes: Vec<Change> = rows
            .iter()
            .filter_map(|r| {
                let table: String = r.get(1);
                let op = ChangeOp::parse(r.get::<_, &str>(3))?;
                let kind = TableKind::ALL.into_iter().find(|k| table_name(*k) == table);
                if kind.is_none() && op != ChangeOp::Push {
                    return None;
                }
                Some(Change {
                    position: r.get(0),
                    kind,
                    key: kind.map_or(Some(0), |k| parse_key(k, r.get(2)))?,
                    op,
                    at: r.get(4),
                    by: r.get(5),
                })
            })
            .collect();
        if rows.len() as i64 > MAX_CHANGES {
            // The last position may be cut short: it waits for the next batch, unless it
            // is the only one (one transaction bigger than a batch: read it all again).
            let last = changes.last().map_or(head, |c| c.position);
            changes.retain(|c| c.position < last);
            batch.to = last - 1;
            if changes.is_empty() {
                batch.to = head;
                batch.reload = true;
            }
        }
        if changes.iter().any(|c| c.op == ChangeOp::Push) {
            batch.reload = true;
        }
        if !batch.reload {
            batch.rows = rows_of(&mut tx, &self.selects, &changes)?;
        }
        tx.commit().map_err(query_error("reading the changes"))?;
        batch.changes = changes;
        self.position = batch.to;
        Ok(batch)
    }
}

/// The rows the changes name, as they are in the transaction's snapshot.
fn rows_of(
    tx: &mut postgres::Transaction<'_>,
    selects: &[String],
    changes: &[Change],
) -> Result<BTreeMap<TableKind, ChangedRows>, PgError> {
    let mut keys: BTreeMap<TableKind, Vec<i64>> = BTreeMap::new();
    for c in changes {
        if let Some(kind) = c.kind {
            keys.entry(kind).or_default().push(c.key as i64);
        }
    }
    rows_by_key(tx, selects, keys)
}

/// The rows of these keys (see [`Change::key`]) as they are in the transaction's
/// snapshot; the keys not there are `gone`.
pub(super) fn rows_by_key(
    tx: &mut postgres::Transaction<'_>,
    selects: &[String],
    keys: BTreeMap<TableKind, Vec<i64>>,
) -> Result<BTreeMap<TableKind, ChangedRows>, PgError> {
    let mut out = BTreeMap::new();
    for (kind, mut wanted) in keys {
        wanted.sort_unstable();
        wanted.dedup();
        let table = table_name(kind);
        let key = key_sql(kind);
        let list = wanted.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let copy = format!(
            "COPY (SELECT {} FROM {table} WHERE {key} = ANY('{{{list}}}'::bigint[]) ORDER BY {key}) TO STDOUT WITH (FORMAT csv, HEADER true)",
            selects[kind as usize]
        );
        let mut csv = Vec::new();
        let mut reader = tx.copy_out(&copy).map_err(query_error(format!("reading changed rows of {table}")))?;
        std::io::Read::read_to_end(&mut reader, &mut csv)
            .map_err(|e| PgError::Query { what: format!("reading changed rows of {table}"), why: e.to_string() })?;
        drop(reader);
        let revisions: Vec<(u64, i64)> = tx
            .query(&format!("SELECT {key}, revision FROM {table} WHERE {key} = ANY($1) ORDER BY {key}"), &[&wanted])
            .map_err(query_error(format!("reading changed rows of {table}")))?
            .iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
            .collect();
        let gone =
            wanted.iter().map(|k| *k as u64).filter(|k| revisions.binary_search_by_key(k, |r| r.0).is_err()).collect();
        out.insert(kind, ChangedRows { csv, revisions, gone });
    }
    Ok(out)
}

/// A connection that listens on the feed's channel, with time limits on its statements.
fn listening(url: &str) -> Result<postgres::Client, PgError> {
    let mut client = connect(url)?;
    client
        .batch_execute(&format!(
            "SET statement_timeout = '{STATEMENT_LIMIT}'; SET application_name = 'procedures feed'; LISTEN procedures"
        ))
        .map_err(query_error("listening for changes"))?;
    Ok(client)
}

/// The head position now.
fn head(client: &mut postgres::Client) -> Result<i64, PgError> {
    Ok(client
        .query_one("SELECT position FROM log_head", &[])
        .map_err(query_error("reading the change position"))?
        .get(0))
}

/// A row key as one number (see [`Change::key`]) in SQL.
fn key_sql(kind: TableKind) -> &'static str {
    if kind == TableKind::ProcedureLabels { "((procedure_id << 32) | label_id)" } else { "id" }
}

/// A `changes.row_key` as one number.
fn parse_key(kind: TableKind, text: &str) -> Option<u64> {
    if kind == TableKind::ProcedureLabels {
        let (p, l) = text.split_once(':')?;
        Some((p.parse::<u64>().ok()? << 32) | l.parse::<u64>().ok()?)
    } else {
        text.parse().ok()
    }
}
