//! `procedures watch URL [--json] [--from POSITION]`: each change to a team database as
//! it arrives, a line per change (when, who, what), until Ctrl+C.
//!
//! It follows the change feed (`store::pg::Feed`): "the changes after my position" on
//! every wake-up, on a timer, and after a lost connection (reconnecting with backoff), so
//! no change is missed or printed twice. The row a line shows is the row as it is at the
//! end of the batch it came in (two changes of one row in quick succession both show
//! the later row). Reads only.

use crate::store::TableKind;
use crate::store::pg::{Batch, Change, ChangeOp, Feed, Followed};
use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The safety net: the changes are asked for at least this often, woken or not.
const TIMER: Duration = Duration::from_secs(5);

/// Follow `url`'s changes from `from` (default: now), printing them. Exit 0 on Ctrl+C,
/// 2 when the database cannot be reached at the start.
pub fn run(url: &str, json: bool, from: Option<i64>) -> ExitCode {
    let stop = ctrl_c();
    let shown = crate::store::pg::redacted(url);
    let mut feed = match Feed::connect(url, from) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !json {
        eprintln!("watching {shown} from change position {} (Ctrl+C stops)", feed.position());
    }
    let mut position = feed.position();
    feed.follow(&stop, TIMER, |followed| match followed {
        Followed::Batch(batch) => {
            position = batch.to;
            print_batch(&batch, json);
        }
        Followed::Lost(why) => eprintln!("connection lost ({why}); connecting again"),
        Followed::Back => eprintln!("connected again; catching up from change position {position}"),
    });
    ExitCode::SUCCESS
}

/// A flag set by Ctrl+C (SIGINT; the console's Ctrl+C on Windows).
fn ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let set = Arc::clone(&stop);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    match runtime {
        Ok(rt) => {
            let spawned = std::thread::Builder::new().name("ctrl-c".into()).spawn(move || {
                if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
                    set.store(true, Ordering::Relaxed);
                }
            });
            if let Err(e) = spawned {
                log::warn!("Ctrl+C will end the process abruptly: {e}");
            }
        }
        Err(e) => log::warn!("Ctrl+C will end the process abruptly: {e}"),
    }
    stop
}

/// Print a batch's changes, one line each.
fn print_batch(batch: &Batch, json: bool) {
    let rows: BTreeMap<TableKind, HashMap<u64, BTreeMap<String, String>>> =
        batch.rows.iter().map(|(kind, changed)| (*kind, rows_by_key(*kind, &changed.csv))).collect();
    for c in &batch.changes {
        let row = c.kind.and_then(|k| rows.get(&k)).and_then(|r| r.get(&c.key)).filter(|_| c.op != ChangeOp::Delete);
        if json {
            println!("{}", json_line(c, row));
        } else {
            println!("{}  {}  {}", c.at, c.by, describe(c, row));
        }
    }
    if batch.reload && batch.changes.iter().all(|c| c.op != ChangeOp::Push) {
        let note = "the database changed too much at once to list row by row (or was made anew)";
        if json {
            println!("{}", serde_json::json!({ "position": batch.to, "op": "reload", "note": note }));
        } else {
            println!("{note}");
        }
    }
}

/// The rows of a changed-rows CSV by key, each as column → text.
fn rows_by_key(kind: TableKind, csv: &[u8]) -> HashMap<u64, BTreeMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    let header: Vec<String> = reader.headers().map(|h| h.iter().map(str::to_owned).collect()).unwrap_or_default();
    let mut out = HashMap::new();
    for record in reader.records().flatten() {
        let row: BTreeMap<String, String> = header.iter().cloned().zip(record.iter().map(str::to_owned)).collect();
        let num = |c: &str| row.get(c).and_then(|v| v.parse::<u64>().ok());
        let key = if kind == TableKind::ProcedureLabels {
            num("procedure_id").zip(num("label_id")).map(|(p, l)| (p << 32) | l)
        } else {
            num("id")
        };
        if let Some(key) = key {
            out.insert(key, row);
        }
    }
    out
}

/// One change as a JSON object (the row: every column as text, empty as null).
fn json_line(c: &Change, row: Option<&BTreeMap<String, String>>) -> serde_json::Value {
    let row = row.map(|r| {
        r.iter()
            .map(|(k, v)| (k.clone(), if v.is_empty() { serde_json::Value::Null } else { v.clone().into() }))
            .collect::<serde_json::Map<_, _>>()
    });
    serde_json::json!({
        "position": c.position,
        "at": c.at,
        "by": c.by,
        "table": c.kind.map(|k| k.file_name().trim_end_matches(".csv")),
        "key": c.kind.map(|k| crate::store::pg::row_key_text(k, c.key)),
        "op": c.op.as_str(),
        "row": row,
    })
}

/// One change in words: "ticked step 12 of run 7", "started run 7 of procedure 3".
fn describe(c: &Change, row: Option<&BTreeMap<String, String>>) -> String {
    let get = |col: &str| row.and_then(|r| r.get(col)).map_or("", String::as_str);
    let key = c.kind.map_or_else(String::new, |k| crate::store::pg::row_key_text(k, c.key));
    let Some(kind) = c.kind else { return "pushed a folder into the database".into() };
    let verb = match c.op {
        ChangeOp::Insert => "added",
        ChangeOp::Update => "changed",
        ChangeOp::Delete | ChangeOp::Push => "removed",
    };
    match (kind, c.op) {
        (TableKind::RunSteps, ChangeOp::Update) if row.is_some() => {
            let (value, notes) = (get("value"), get("notes"));
            let at = format!("step {} of run {}", get("step_id"), get("run_id"));
            if get("completed") == "True" {
                let value = if value.is_empty() { String::new() } else { format!(" ({value})") };
                format!("ticked {at}{value}")
            } else if !notes.is_empty() {
                // Not ticked, with a note: the note is what there is to say.
                format!("noted {at} (not ticked): “{notes}”")
            } else {
                format!("unticked {at}")
            }
        }
        (TableKind::Runs, ChangeOp::Insert) if row.is_some() => {
            format!("started run {key} of procedure {}", get("procedure_id"))
        }
        (TableKind::Runs, ChangeOp::Update) if row.is_some() => match get("status") {
            "completed" => format!("finished run {key}"),
            "cancelled" => format!("cancelled run {key}"),
            _ => format!("changed run {key}"),
        },
        (TableKind::Procedures, ChangeOp::Insert | ChangeOp::Update) if row.is_some() => {
            format!("{verb} procedure {key} “{}”", get("name"))
        }
        _ => {
            let what = match kind {
                TableKind::Procedures => "procedure",
                TableKind::Steps => "step",
                TableKind::Runs => "run",
                TableKind::RunSteps => "run step",
                TableKind::Labels => "label",
                TableKind::ProcedureLabels => "label of procedure",
                TableKind::Versions => "version row",
                TableKind::Schedules => "schedule",
            };
            let key = if kind == TableKind::ProcedureLabels {
                format!("{} (label {})", c.key >> 32, c.key & 0xffff_ffff)
            } else {
                key
            };
            format!("{verb} {what} {key}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: TableKind, key: u64, op: ChangeOp) -> Change {
        Change { position: 1, kind: Some(kind), key, op, at: "2026-12-06 10:00:00".into(), by: "Ann".into() }
    }

    fn row(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_line_says_what_happened_to_a_run_step_and_a_run() {
        let tick = change(TableKind::RunSteps, 30, ChangeOp::Update);
        let ticked = row(&[("step_id", "3"), ("run_id", "9"), ("completed", "True"), ("value", "7"), ("notes", "")]);
        assert_eq!(describe(&tick, Some(&ticked)), "ticked step 3 of run 9 (7)");
        let noted = row(&[("step_id", "3"), ("run_id", "9"), ("completed", "False"), ("value", ""), ("notes", "hot")]);
        assert_eq!(describe(&tick, Some(&noted)), "noted step 3 of run 9 (not ticked): “hot”");
        let open = row(&[("step_id", "3"), ("run_id", "9"), ("completed", "False"), ("value", ""), ("notes", "")]);
        assert_eq!(describe(&tick, Some(&open)), "unticked step 3 of run 9");
        let run = change(TableKind::Runs, 9, ChangeOp::Update);
        assert_eq!(describe(&run, Some(&row(&[("status", "cancelled")]))), "cancelled run 9");
        assert_eq!(describe(&run, Some(&row(&[("status", "completed")]))), "finished run 9");
        assert_eq!(describe(&change(TableKind::Labels, 4, ChangeOp::Delete), None), "removed label 4");
    }
}
