//! A change refused because someone else changed the row first (issue #31): who did it,
//! when, and the row as it is in the database now. The window shows them and lets the
//! user take theirs (the refused change's rows are read as they are now, [`fetch`]) or
//! keep *mine*: written again as a new change over the revision shown.

use super::feed::{incoming_of, rows_by_key};
use super::transfer::table_name;
use super::{PgError, query_error};
use crate::store::{IncomingTable, TableKind};
use std::collections::BTreeMap;

/// Someone else's change to a row this client's change was refused for.
#[derive(Clone, Debug)]
pub struct Theirs {
    /// The table of the row.
    pub kind: TableKind,
    /// The row's key (see [`super::Change::key`]).
    pub key: u64,
    /// Who changed it last (the `people` name, else the role), if the log says.
    pub who: Option<String>,
    /// When (`YYYY-MM-DD HH:MM:SS`, the server's clock), if the log says.
    pub when: Option<String>,
    /// They removed it.
    pub removed: bool,
    /// The row as it is now with its revision (nothing when removed), typed.
    pub now: Vec<IncomingTable>,
}

impl Theirs {
    /// The row in words: "procedure 12", "run step 7".
    pub fn what(&self) -> String {
        let key = self.key;
        match self.kind {
            TableKind::Procedures => format!("procedure {key}"),
            TableKind::Steps => format!("step {key}"),
            TableKind::Runs => format!("run {key}"),
            TableKind::RunSteps => format!("run step {key}"),
            TableKind::Labels => format!("label {key}"),
            TableKind::ProcedureLabels => format!("a label of procedure {}", key >> 32),
            TableKind::Versions => format!("version row {key}"),
            TableKind::Schedules => format!("schedule {key}"),
        }
    }

    /// The message cut to fit a status bar: who did what to which row.
    pub fn short(&self) -> String {
        let did = if self.removed { "removed" } else { "changed" };
        format!("{} {did} {} first", self.who.as_deref().unwrap_or("Someone else"), self.what())
    }

    /// What to tell the user.
    pub fn message(&self) -> String {
        let did = if self.removed { "removed" } else { "changed" };
        let who = self.who.as_deref().unwrap_or("Someone else");
        let when = self.when.as_ref().map(|w| format!(" at {w}")).unwrap_or_default();
        format!(
            "{who} {did} {}{when}, after you read it. Your change was not written over theirs: take theirs, or keep yours as a new change",
            self.what()
        )
    }
}

/// Who last changed row `key` of `kind`, and the row as it is now (after the refused
/// transaction was rolled back). A failure to read them leaves them unknown.
pub(super) fn theirs(client: &mut postgres::Client, selects: &[String], kind: TableKind, key: u64) -> Theirs {
    let mut out = Theirs { kind, key, who: None, when: None, removed: false, now: Vec::new() };
    let last = client.query_opt(
        "SELECT coalesce(p.name, c.changed_by), to_char(c.changed_at, 'YYYY-MM-DD HH24:MI:SS'), c.op
         FROM changes c LEFT JOIN people p ON p.role = c.changed_by
         WHERE c.table_name = $1 AND c.row_key = $2 ORDER BY c.revision DESC LIMIT 1",
        &[&table_name(kind), &row_key_text(kind, key)],
    );
    match last {
        Ok(Some(r)) => {
            out.who = Some(r.get(0));
            out.when = Some(r.get(1));
            out.removed = r.get::<_, &str>(2) == "DELETE";
        }
        Ok(None) => {}
        Err(e) => log::warn!("who changed {}: {e}", out.what()),
    }
    match fetch(client, selects, &[(kind, key)]) {
        Ok(now) => {
            out.removed = now.iter().any(|t| t.gone.contains(&key));
            out.now = now;
        }
        Err(e) => log::warn!("reading {} as it is now: {e}", out.what()),
    }
    out
}

/// The rows of these keys as they are now, with their revisions (the keys not there in
/// `gone`), typed, parents first.
pub(super) fn fetch(
    client: &mut postgres::Client,
    selects: &[String],
    keys: &[(TableKind, u64)],
) -> Result<Vec<IncomingTable>, PgError> {
    let mut wanted: BTreeMap<TableKind, Vec<i64>> = BTreeMap::new();
    for (kind, key) in keys {
        wanted.entry(*kind).or_default().push(*key as i64);
    }
    let mut tx = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(query_error("reading rows as they are now"))?;
    tx.batch_execute("SET LOCAL DateStyle = 'ISO, YMD'").map_err(query_error("reading rows as they are now"))?;
    let rows = rows_by_key(&mut tx, selects, wanted)?;
    tx.commit().map_err(query_error("reading rows as they are now"))?;
    Ok(incoming_of(&rows))
}

/// A row's key as the change log spells it (`procedure_id:label_id` for a label link).
pub fn row_key_text(kind: TableKind, key: u64) -> String {
    if kind == TableKind::ProcedureLabels { format!("{}:{}", key >> 32, key & 0xffff_ffff) } else { key.to_string() }
}
