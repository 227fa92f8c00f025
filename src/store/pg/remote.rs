//! A team database open in the window or the CLI: reading it (with progress, the rows'
//! revisions, the user's name, the first blocks of ids) and the thread that writes each
//! op's changed rows in one transaction, refusing an update or a removal of a row that
//! someone else changed since this client read it.

use super::read::{Revisions, read_all};
use super::theirs::Theirs;
use super::transfer::{column, table_name};
use super::watch::{QUIET_LIMIT, watched};
use super::{PgError, connect, migrate, query_error, redacted, refuse_foreign};
use crate::model::Row;
use crate::store::snapshot::with_rows;
use crate::store::{
    ChangeSet, Dataset, IncomingTable, LoadProgress, Loaded, TableChanges, TableKind, TableRows, TableSnapshot,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

/// How long one statement may take on the server before it is given up.
const STATEMENT_LIMIT: &str = "30s";

/// A database opened to work on: its data and the writer.
pub struct Opened {
    /// The data, as a folder's is loaded.
    pub loaded: Loaded,
    /// The thread that writes changes.
    pub remote: Remote,
    /// The change position the data is at (the change feed goes on from there).
    pub position: i64,
}

/// What the writer thread did with a job.
#[derive(Debug)]
pub enum Written {
    /// A change set committed.
    Committed {
        /// Rows written.
        rows: usize,
        /// From sending to committed.
        took: Duration,
        /// Each row's revision now (`None`: removed).
        revisions: Vec<((TableKind, u64), Option<i64>)>,
    },
    /// A change set not written (nothing of it is in the database).
    Failed {
        /// What to tell the user.
        why: String,
        /// The changes, to send again on Retry.
        set: ChangeSet,
        /// Someone else changed the row first (who, when, the row now): the user takes
        /// theirs or keeps mine. `None`: the server or the connection failed, and sending
        /// it again may work (Retry).
        theirs: Option<Box<Theirs>>,
    },
    /// Rows as they are now ([`Remote::fetch`]), or why they could not be read.
    Fetched(Result<Vec<IncomingTable>, String>),
    /// Ids reserved: per table, `first..end`.
    Reserved(Vec<(TableKind, u64, u64)>),
    /// Reserving ids failed (tried again after the next op).
    ReserveFailed(String),
    /// The connection was lost (why): the changes wait in the journal and are sent when
    /// it is back (`None`). Not an answer to a job.
    Connection(Option<String>),
    /// Something the user should know that is not an answer (the journal cannot be
    /// written).
    Warning(String),
}

impl Written {
    /// Whether it answers a job (else it is news: [`Written::Connection`],
    /// [`Written::Warning`]).
    pub fn is_answer(&self) -> bool {
        !matches!(self, Written::Connection(_) | Written::Warning(_))
    }
}

/// What the changes left in the journal by an earlier session did when the database was
/// opened (sent before anything was read).
#[derive(Debug, Default)]
pub struct Replayed {
    /// The journal.
    pub journal: std::path::PathBuf,
    /// Sets the server took now (or had taken already).
    pub sent: usize,
    /// Sets it refused: someone else changed the row first, or the server would not.
    pub refused: Vec<Written>,
}

pub(super) enum Job {
    Write(ChangeSet),
    Reserve(Vec<(TableKind, u64)>),
    /// Revisions of rows others wrote, as this client now shows them (no answer).
    Seen(Vec<((TableKind, u64), Option<i64>)>),
    Fetch(Vec<(TableKind, u64)>),
    /// Sets the user dropped (Take theirs): done in the journal (no answer).
    Forget(Vec<String>),
}

/// The writer of one open database: jobs go to its thread in order; results come back
/// through [`Remote::poll`].
pub struct Remote {
    shown: String,
    user: String,
    jobs: Option<Sender<Job>>,
    done: Receiver<Written>,
    pending: usize,
    replayed: Option<Replayed>,
}

impl Remote {
    /// The database, as it may be shown (no password).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The name on what this client starts and ticks: the `people` name of the database
    /// role, else the role.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Send a change set to be written (in one transaction, after the ones sent before).
    pub fn submit(&mut self, set: ChangeSet) {
        self.send(Job::Write(set));
    }

    /// Reserve more ids (see [`Dataset::id_blocks_wanted`]).
    pub fn reserve(&mut self, want: Vec<(TableKind, u64)>) {
        if !want.is_empty() {
            self.send(Job::Reserve(want));
        }
    }

    /// The revisions of rows others wrote that this client applied: its next update of
    /// such a row names them (in order with the jobs sent before and after).
    pub fn seen(&mut self, revisions: Vec<((TableKind, u64), Option<i64>)>) {
        if let Some(tx) = &self.jobs {
            let _ = tx.send(Job::Seen(revisions));
        }
    }

    /// Change sets the user dropped (their ids): the journal stops keeping them.
    pub fn forget(&mut self, ids: Vec<String>) {
        if let Some(tx) = &self.jobs {
            let _ = tx.send(Job::Forget(ids));
        }
    }

    /// What the changes an earlier session left in the journal did (once).
    pub fn take_replayed(&mut self) -> Option<Replayed> {
        self.replayed.take()
    }

    /// Read these rows as they are now (answered by [`Written::Fetched`]).
    pub fn fetch(&mut self, keys: Vec<(TableKind, u64)>) {
        self.send(Job::Fetch(keys));
    }

    fn send(&mut self, job: Job) {
        if self.jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok()) {
            self.pending += 1;
        }
    }

    /// Whether jobs are still under way.
    pub fn busy(&self) -> bool {
        self.pending > 0
    }

    /// What finished since the last call.
    pub fn poll(&mut self) -> Vec<Written> {
        let out: Vec<Written> = self.done.try_iter().collect();
        self.pending = self.pending.saturating_sub(out.iter().filter(|w| w.is_answer()).count());
        out
    }

    /// Wait until every job sent has finished, at most `limit`, or until the connection
    /// is lost (then what finished).
    pub fn wait_idle(&mut self, limit: Duration) -> Vec<Written> {
        let until = Instant::now() + limit;
        let mut out = Vec::new();
        while self.pending > 0 {
            let left = until.saturating_duration_since(Instant::now());
            match self.done.recv_timeout(left) {
                Ok(w) => {
                    if w.is_answer() {
                        self.pending -= 1;
                    }
                    // The connection is lost: what is left waits in the journal.
                    let lost = matches!(w, Written::Connection(Some(_)));
                    out.push(w);
                    if lost {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        out
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // The thread ends when its queue is closed and empty.
        self.jobs = None;
    }
}

/// Open the database `url` to work on: refuse one holding tables the app did not make,
/// create or migrate the schema, send the changes an earlier session left in the journal
/// in `journal` (a directory; `None`: no journal — a failure is reported at once, as the
/// CLI wants), read everything in one snapshot (rows received counted in `progress`),
/// then reserve the first ids. `wake` is called when a job finishes.
pub fn open(
    url: &str,
    progress: Option<Arc<LoadProgress>>,
    wake: Arc<dyn Fn() + Send + Sync>,
    journal: Option<&std::path::Path>,
) -> Result<Opened, PgError> {
    let shown = redacted(url);
    let journal = match journal {
        Some(dir) => Some(super::pending::Pending::open(dir, &shown).map_err(PgError::Refused)?),
        None => None,
    };
    // Changes an earlier session left: said when the database cannot be opened now.
    let kept = journal.as_ref().filter(|(_, sets)| !sets.is_empty()).map(|(j, sets)| (j.path().to_owned(), sets.len()));
    let owned = url.to_owned();
    let opened = watched(QUIET_LIMIT, move |beat| {
        beat.step("connecting");
        let mut client = connect(&owned)?;
        beat.step("looking at the database");
        refuse_foreign(&mut client)?;
        beat.step("bringing the tables up to date");
        migrate(&mut client, None)?;
        client
            .batch_execute(&format!(
                "SET statement_timeout = '{STATEMENT_LIMIT}'; SET lock_timeout = '{STATEMENT_LIMIT}'"
            ))
            .map_err(query_error("setting the time limits"))?;
        let mut writer = Thread {
            url: owned.clone(),
            client,
            revisions: Revisions::default(),
            types: HashMap::new(),
            selects: Vec::new(),
            statements: HashMap::new(),
        };
        let (journal, replayed) = match journal {
            Some((mut journal, sets)) => {
                beat.step("sending the changes not sent last time");
                let replayed = super::offline::replay(&mut writer, &mut journal, sets)?;
                (Some(journal), replayed)
            }
            None => (None, None),
        };
        let read = read_all(
            &mut writer.client,
            &owned,
            beat,
            Some(progress.as_deref().unwrap_or(&LoadProgress::default())),
            super::read::SPLIT_FROM,
        )?;
        writer.revisions = read.revisions;
        beat.step("reading who you are");
        let user: String = writer
            .client
            .query_one("SELECT coalesce((SELECT name FROM people WHERE role = current_user), current_user::text)", &[])
            .map_err(query_error("reading who you are"))?
            .get(0);
        Ok((read.loaded, writer, user, read.position, journal, replayed))
    });
    let (mut loaded, mut writer, user, position, journal, replayed) = match (opened, kept) {
        (Ok(opened), _) => opened,
        (Err(e), Some((path, n))) => {
            let changes = if n == 1 { "1 change".to_owned() } else { format!("{n} changes") };
            return Err(PgError::Refused(format!(
                "{e}. {changes} made earlier on this computer and not yet in the database are kept in {} and sent when it opens",
                path.display()
            )));
        }
        (Err(e), None) => return Err(e),
    };
    let blocks = writer.reserve(&loaded.db.id_blocks_wanted())?;
    set_blocks(&mut loaded.db, &blocks);
    let (jobs, rx) = std::sync::mpsc::channel();
    let (tx, done) = std::sync::mpsc::channel();
    let worker = super::offline::Worker::new(writer, journal, rx, tx, wake);
    std::thread::Builder::new()
        .name("pg-writer".into())
        .spawn(move || worker.run())
        .map_err(|e| PgError::Refused(format!("cannot start the database writer: {e}")))?;
    let remote = Remote { shown, user, jobs: Some(jobs), done, pending: 0, replayed };
    Ok(Opened { loaded, remote, position })
}

/// Give the tables the id blocks reserved for them.
pub fn set_blocks(db: &mut Dataset, blocks: &[(TableKind, u64, u64)]) {
    for (kind, first, end) in blocks {
        db.set_id_block(*kind, *first, *end);
    }
}

/// The writer thread's state: its connection, the revision of every row it knows to be
/// past 1, the tables' column types.
pub(super) struct Thread {
    url: String,
    client: postgres::Client,
    pub(super) revisions: Revisions,
    types: HashMap<(String, String), String>,
    /// Each table's select list in the folder's spelling (for reading rows back).
    selects: Vec<String>,
    /// Each table's statements, prepared once per connection.
    statements: HashMap<TableKind, Statements>,
}

/// The statements that write one table's rows.
struct Statements {
    /// `DELETE … WHERE key AND revision = $seen`.
    delete: postgres::Statement,
    /// `INSERT` of every column.
    insert: postgres::Statement,
    /// `UPDATE … SET every other column WHERE key AND revision = $seen RETURNING
    /// revision` (none for a table of keys only).
    update: Option<postgres::Statement>,
}

/// What writing a change set gave.
pub(super) enum Outcome {
    /// Committed, or refused by the server (someone else changed the row first; a
    /// statement failed).
    Written(Written),
    /// The connection is gone (why): nothing is known to be written.
    Lost(String),
}

/// A row's revision after a write (`None`: removed).
type NewRevision = ((TableKind, u64), Option<i64>);

/// Why a change set was not written.
enum Refusal {
    /// Someone else changed or removed the row since this client read it.
    Stale(TableKind, u64),
    /// The server or the connection failed before the commit (nothing was written).
    Server(PgError),
    /// The commit failed: whether it was written is not known (not sent again unasked).
    AtCommit(PgError),
}

impl From<PgError> for Refusal {
    fn from(e: PgError) -> Self {
        Self::Server(e)
    }
}

impl Thread {
    /// A live connection (a new one when the last was lost).
    fn ensure_connected(&mut self) -> Result<(), PgError> {
        if self.client.is_closed() {
            self.client = connect(&self.url)?;
            self.statements.clear();
            self.client
                .batch_execute(&format!("SET statement_timeout = '{STATEMENT_LIMIT}'"))
                .map_err(query_error("setting the time limits"))?;
        }
        if self.types.is_empty() {
            self.types = super::column_types(&mut self.client)?;
        }
        if self.selects.is_empty() {
            self.selects = super::read::select_lists(&mut self.client)?;
        }
        Ok(())
    }

    /// Rows as they are now.
    pub(super) fn fetch(&mut self, keys: &[(TableKind, u64)]) -> Result<Vec<IncomingTable>, PgError> {
        self.ensure_connected()?;
        super::theirs::fetch(&mut self.client, &self.selects, keys)
    }

    pub(super) fn reserve(&mut self, want: &[(TableKind, u64)]) -> Result<Vec<(TableKind, u64, u64)>, PgError> {
        self.ensure_connected()?;
        let mut out = Vec::new();
        for (kind, n) in want {
            let first: i64 = self
                .client
                .query_one("SELECT reserve_ids($1, $2)", &[&table_name(*kind), &(*n as i64)])
                .map_err(query_error(format!("reserving ids for {}", table_name(*kind))))?
                .get(0);
            out.push((*kind, first as u64, first as u64 + n));
        }
        Ok(out)
    }

    /// Rows others wrote, applied by this client: a revision only moves forward.
    pub(super) fn saw(&mut self, revisions: Vec<((TableKind, u64), Option<i64>)>) {
        for (key, revision) in revisions {
            match revision {
                Some(r) if r > self.revisions.get(&key).copied().unwrap_or(1) => {
                    self.revisions.insert(key, r);
                }
                Some(_) => {}
                None => {
                    self.revisions.remove(&key);
                }
            }
        }
    }

    /// Write a change set in one transaction (see [`Outcome`]).
    pub(super) fn write(&mut self, set: &ChangeSet) -> Outcome {
        let started = Instant::now();
        let mut result = self.ensure_connected().map_err(Refusal::Server).and_then(|()| self.write_set(set));
        if matches!(result, Err(Refusal::Server(_))) && self.client.is_closed() {
            // The connection died while idle (a server restart) and the transaction did
            // not get to its commit: nothing of this set is in the database, so it is
            // sent once more on a new connection.
            log::info!("the database connection was lost while idle: connecting again");
            result = self.ensure_connected().map_err(Refusal::Server).and_then(|()| self.write_set(set));
        }
        match result {
            Ok(now) => {
                for (key, revision) in &now {
                    match revision {
                        Some(r) if *r != 1 => self.revisions.insert(*key, *r),
                        _ => self.revisions.remove(key),
                    };
                }
                Outcome::Written(Written::Committed { rows: set.rows(), took: started.elapsed(), revisions: now })
            }
            Err(Refusal::Stale(kind, key)) => {
                let theirs = super::theirs::theirs(&mut self.client, &self.selects, kind, key);
                Outcome::Written(Written::Failed {
                    why: theirs.message(),
                    set: set.clone(),
                    theirs: Some(Box::new(theirs)),
                })
            }
            // Sending it again is safe: a set that did get in is found by its id.
            Err(Refusal::Server(e) | Refusal::AtCommit(e)) if self.client.is_closed() => Outcome::Lost(e.to_string()),
            Err(Refusal::Server(e) | Refusal::AtCommit(e)) => Outcome::Written(Written::Failed {
                why: format!("Not saved to the database: {e}"),
                set: set.clone(),
                theirs: None,
            }),
        }
    }

    /// Write a change set in one transaction; the rows' revisions after it.
    fn write_set(&mut self, set: &ChangeSet) -> Result<Vec<NewRevision>, Refusal> {
        for changes in &set.tables {
            if !self.statements.contains_key(&changes.kind) {
                let prepared = prepare(&mut self.client, &self.types, changes.kind)?;
                self.statements.insert(changes.kind, prepared);
            }
        }
        let mut now = Vec::new();
        let (statements, revisions) = (&self.statements, &self.revisions);
        let mut tx = self.client.transaction().map_err(query_error("starting to write"))?;
        // The set's id, with its rows: found already there, the set was applied before
        // (its answer was lost) and nothing of it is written again.
        if !set.id.is_empty() {
            let recorded = tx
                .execute("INSERT INTO applied_ops (op_id) VALUES ($1) ON CONFLICT DO NOTHING", &[&set.id])
                .map_err(query_error("recording the change's id"))?;
            if recorded == 0 {
                log::info!("change set {} was applied already: nothing written again", set.id);
                tx.rollback().map_err(query_error("ending the transaction"))?;
                return Ok(Vec::new());
            }
        }
        for changes in &set.tables {
            let Some(sql) = statements.get(&changes.kind) else { continue };
            write_table(&mut tx, sql, revisions, changes, &mut now)?;
        }
        tx.commit().map_err(|e| Refusal::AtCommit(query_error("committing")(e)))?;
        Ok(now)
    }
}

/// The `WHERE` that finds a row by key (`$1`, and `$2` for a label link) and revision.
fn key_match(kind: TableKind, revision_param: usize) -> String {
    if kind == TableKind::ProcedureLabels {
        format!("procedure_id = $1 AND label_id = $2 AND revision = ${revision_param}")
    } else {
        format!("id = $1 AND revision = ${revision_param}")
    }
}

/// The key as bigint parameters.
fn key_params(kind: TableKind, key: u64) -> Vec<i64> {
    if kind == TableKind::ProcedureLabels {
        vec![(key >> 32) as i64, (key & 0xffff_ffff) as i64]
    } else {
        vec![key as i64]
    }
}

/// Prepare the statements that write `kind` (its columns cast from the folder's text).
fn prepare(
    client: &mut postgres::Client,
    types: &HashMap<(String, String), String>,
    kind: TableKind,
) -> Result<Statements, PgError> {
    let table = table_name(kind);
    let cols = kind.columns();
    let keys = key_params(kind, 0).len();
    let cast = |i: usize, c: &str| {
        let ty = types.get(&(table.to_owned(), (*c).to_owned())).map_or("text", String::as_str);
        format!("CAST(${}::text AS {ty})", i + 1)
    };
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        cols.iter().map(|c| column(c)).collect::<Vec<_>>().join(", "),
        cols.iter().enumerate().map(|(i, c)| cast(i, c)).collect::<Vec<_>>().join(", ")
    );
    let sets: Vec<String> =
        cols.iter().enumerate().skip(keys).map(|(i, c)| format!("{} = {}", column(c), cast(i, c))).collect();
    let prepare =
        |client: &mut postgres::Client, sql: &str| client.prepare(sql).map_err(query_error(format!("writing {table}")));
    let update = if sets.is_empty() {
        None
    } else {
        let key: Vec<String> =
            cols[..keys].iter().enumerate().map(|(i, c)| format!("{} = {}", column(c), cast(i, c))).collect();
        let sql = format!(
            "UPDATE {table} SET {} WHERE {} AND revision = ${} RETURNING revision",
            sets.join(", "),
            key.join(" AND "),
            cols.len() + 1
        );
        Some(prepare(client, &sql)?)
    };
    Ok(Statements {
        delete: prepare(client, &format!("DELETE FROM {table} WHERE {}", key_match(kind, keys + 1)))?,
        insert: prepare(client, &insert)?,
        update,
    })
}

/// Write one table's changes inside the transaction: removals, then new rows, then
/// changed rows (each naming the revision this client saw).
fn write_table(
    tx: &mut postgres::Transaction<'_>,
    sql: &Statements,
    revisions: &Revisions,
    changes: &TableChanges,
    now: &mut Vec<NewRevision>,
) -> Result<(), Refusal> {
    let kind = changes.kind;
    let table = table_name(kind);
    let seen = |key: u64| revisions.get(&(kind, key)).copied().unwrap_or(1);
    for key in &changes.deleted {
        let mut params: Vec<i64> = key_params(kind, *key);
        params.push(seen(*key));
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
        let n = tx.execute(&sql.delete, &refs).map_err(query_error(format!("removing from {table}")))?;
        if n == 0 {
            return Err(Refusal::Stale(kind, *key));
        }
        now.push(((kind, *key), None));
    }
    if changes.inserted.is_empty() {
        return Ok(());
    }
    // The rows in the folder's own spelling (every column), one record each.
    let csv = TableSnapshot {
        kind,
        rows: changes.rows.clone(),
        extra_columns: Arc::default(),
        first_row: 0,
        children_first: false,
        new_columns: kind.all_new(),
    }
    .to_csv();
    let row_keys: Vec<u64> = with_rows!(&changes.rows, rows => rows.iter().map(Row::key).collect());
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv.as_slice());
    for ((record, inserted), key) in reader.records().zip(&changes.inserted).zip(row_keys) {
        let record = record.map_err(|e| PgError::Refused(format!("encoding a row of {table}: {e}")))?;
        let fields: Vec<Option<&str>> = record.iter().map(|f| (!f.is_empty()).then_some(f)).collect();
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            fields.iter().map(|f| f as &(dyn postgres::types::ToSql + Sync)).collect();
        if *inserted {
            tx.execute(&sql.insert, &params).map_err(query_error(format!("adding to {table}")))?;
            now.push(((kind, key), Some(1)));
        } else if let Some(update) = &sql.update {
            let saw = seen(key);
            params.push(&saw);
            let rows = tx.query(update, &params).map_err(query_error(format!("changing {table}")))?;
            let Some(row) = rows.first() else { return Err(Refusal::Stale(kind, key)) };
            now.push(((kind, key), Some(row.get(0))));
        }
    }
    Ok(())
}
