//! The changes not yet on the server (issue #32): a journal per database in the app's data
//! directory. The writer thread appends each change set to it, synced, before sending
//! it, and notes each one the server committed; a set is *acknowledged* only then. On the
//! next open of the database the sets still open are sent first ([`super::open`]), each
//! with the id the server records with its rows, so one that did get in before a crash is
//! not applied twice.
//!
//! The file is lines of JSON — a header naming the format and the database, then
//! `{"set": …}` (the set's id, and per table the rows in the folder's own CSV spelling,
//! which are new, the keys removed and the revisions the change was made over) and
//! `{"done": n}` — readable, and appended only. A kill in the middle of an append leaves
//! a last line without its end: it was never sent, and is dropped. When every set is
//! done the file is cut back to its header.

use super::transfer::table_name;
use crate::store::snapshot::with_rows;
use crate::store::{ChangeSet, TableChanges, TableKind, TableRows, TableSnapshot};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The format this version writes and reads.
pub const FORMAT: u32 = 1;

/// A change set as the journal keeps it: the set, and the revision each row it changes or
/// removes had when the change was made (none for a row an earlier open set changes: it
/// is changed over what that one leaves).
#[derive(Clone, Debug)]
pub struct Journaled {
    /// Its number in this journal.
    pub n: u64,
    /// The change.
    pub set: ChangeSet,
    /// The revisions it was made over.
    pub seen: Vec<((TableKind, u64), i64)>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    procedures_pending: u32,
    database: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Line {
    Set(SetLine),
    Done(u64),
}

#[derive(Serialize, Deserialize)]
struct SetLine {
    n: u64,
    id: String,
    tables: Vec<TableLine>,
}

#[derive(Serialize, Deserialize)]
struct TableLine {
    table: String,
    /// The rows added or changed, with the header, in the folder's spelling.
    csv: String,
    inserted: Vec<bool>,
    deleted: Vec<u64>,
    /// `[key, revision]` of the rows changed or removed.
    seen: Vec<(u64, i64)>,
}

/// The journal of one database, open for appending (held locked: one app per journal).
pub struct Pending {
    path: PathBuf,
    file: File,
    /// The length of the header line.
    header_len: u64,
    next: u64,
    /// The sets not yet done, in order.
    open: Vec<OpenSet>,
}

/// A set not yet done: its number, its id, the keys it changes.
type OpenSet = (u64, String, Vec<(TableKind, u64)>);

/// The journal's file name for a database (as shown, without the password).
fn file_name(shown: &str) -> String {
    // FNV-1a: stable across versions and platforms.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in shown.bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("pending-{hash:016x}.jsonl")
}

impl Pending {
    /// Open (or start) the journal of database `shown` in `dir`; the sets still open, in
    /// order. A journal this version cannot read is refused, and left as it is.
    pub fn open(dir: &Path, shown: &str) -> Result<(Self, Vec<Journaled>), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let path = dir.join(file_name(shown));
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            // The team's data: for this user's eyes only.
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // A window of this app that just closed the database may still be ending its
        // writer: it is given a moment.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while file.try_lock().is_err() {
            if std::time::Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
            return Err(format!(
                "{} is in use by another Procedures window on this computer: open the database there, or close that window",
                path.display()
            ));
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut journal = Self { path, file, header_len: 0, next: 1, open: Vec::new() };
        if bytes.is_empty() {
            journal.start(shown)?;
            return Ok((journal, Vec::new()));
        }
        let (header_len, sets, good_len) = journal.parse(&bytes, shown)?;
        journal.header_len = header_len;
        if good_len < bytes.len() as u64 {
            // A last line cut by a kill: never sent, dropped so appends start clean.
            log::warn!("{}: an unfinished last line was dropped (never sent)", journal.path.display());
            journal.file.set_len(good_len).map_err(|e| journal.failed(e))?;
        }
        journal.file.seek(SeekFrom::End(0)).map_err(|e| journal.failed(e))?;
        journal.next = sets.iter().map(|s| s.n + 1).max().unwrap_or(1).max(journal.next);
        journal.open = sets.iter().map(|s| (s.n, s.set.id.clone(), keys_of(&s.set))).collect();
        Ok((journal, sets))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many sets are not done.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// Whether a set with this id is in the journal and not done.
    pub fn holds(&self, id: &str) -> bool {
        !id.is_empty() && self.open.iter().any(|(_, i, _)| i == id)
    }

    fn failed(&self, e: std::io::Error) -> String {
        format!("cannot write {}: {e}", self.path.display())
    }

    fn start(&mut self, shown: &str) -> Result<(), String> {
        let header = Header { procedures_pending: FORMAT, database: shown.to_owned() };
        let mut line = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
        line.push(b'\n');
        self.file.set_len(0).map_err(|e| self.failed(e))?;
        self.file.seek(SeekFrom::Start(0)).map_err(|e| self.failed(e))?;
        self.file.write_all(&line).map_err(|e| self.failed(e))?;
        self.file.sync_all().map_err(|e| self.failed(e))?;
        if let Some(dir) = self.path.parent() {
            use crate::store::Io as _;
            let _ = crate::store::RealIo.sync_dir(dir);
        }
        self.header_len = line.len() as u64;
        Ok(())
    }

    /// Read the lines: the header's length, the open sets, the length of the whole lines.
    fn parse(&self, bytes: &[u8], shown: &str) -> Result<(u64, Vec<Journaled>, u64), String> {
        let shown_path = self.path.display();
        let refuse = |why: String| {
            format!(
                "the changes not yet sent to {shown} from an earlier session are in {shown_path}, which this version cannot read ({why}). The file is kept as it is: open the database with the version of Procedures that wrote it to send them, or move the file away to open the database without them"
            )
        };
        let first_end = bytes.iter().position(|b| *b == b'\n').ok_or_else(|| refuse("no header line".into()))?;
        let header: Header = serde_json::from_slice(&bytes[..first_end])
            .map_err(|e| refuse(format!("line 1, column {}: not a header of this format: {e}", e.column())))?;
        if header.procedures_pending != FORMAT {
            return Err(refuse(format!(
                "it is format {}, this version reads format {FORMAT}",
                header.procedures_pending
            )));
        }
        let mut sets: Vec<Journaled> = Vec::new();
        let mut at = first_end + 1;
        let mut number = 1;
        while at < bytes.len() {
            number += 1;
            let Some(len) = bytes[at..].iter().position(|b| *b == b'\n') else {
                // The last line, cut by a kill before its end.
                break;
            };
            let line: Line = serde_json::from_slice(&bytes[at..at + len])
                .map_err(|e| refuse(format!("line {number}, column {}: {e}", e.column())))?;
            match line {
                Line::Set(set) => {
                    let n = set.n;
                    sets.push(decode(set).map_err(|e| refuse(format!("line {number}: {e}")))?);
                    debug_assert!(sets.last().is_some_and(|s| s.n == n));
                }
                Line::Done(n) => sets.retain(|s| s.n != n),
            }
            at += len + 1;
        }
        Ok((first_end as u64 + 1, sets, at.min(bytes.len()) as u64))
    }

    /// Append a set, synced, before it is sent; `seen` gives the revision a row had when
    /// the change was made. Its number.
    pub fn append(&mut self, set: &ChangeSet, seen: impl Fn(TableKind, u64) -> i64) -> Result<u64, String> {
        let n = self.next;
        let earlier: HashSet<(TableKind, u64)> = self.open.iter().flat_map(|(_, _, k)| k.iter().copied()).collect();
        let tables = set
            .tables
            .iter()
            .map(|t| {
                let inserted: HashSet<u64> = inserted_keys(t);
                let seen = t
                    .keys()
                    .into_iter()
                    .filter(|k| !inserted.contains(k) && !earlier.contains(&(t.kind, *k)))
                    .map(|k| (k, seen(t.kind, k)))
                    .collect();
                TableLine {
                    table: table_name(t.kind).to_owned(),
                    csv: String::from_utf8_lossy(&csv_of(t)).into_owned(),
                    inserted: t.inserted.clone(),
                    deleted: t.deleted.clone(),
                    seen,
                }
            })
            .collect();
        let line = Line::Set(SetLine { n, id: set.id.clone(), tables });
        let mut bytes = serde_json::to_vec(&line).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        self.file.write_all(&bytes).map_err(|e| self.failed(e))?;
        self.file.sync_data().map_err(|e| self.failed(e))?;
        self.next += 1;
        self.open.push((n, set.id.clone(), keys_of(set)));
        Ok(n)
    }

    /// The set with this id is on the server (or dropped by the user): noted, not synced —
    /// lost to a crash, it is sent again and the server finds its id. With none left
    /// open, the file is cut back to its header.
    pub fn done(&mut self, id: &str) {
        let Some(i) = self.open.iter().position(|(_, i, _)| i == id) else { return };
        let (n, ..) = self.open.remove(i);
        let result = if self.open.is_empty() {
            self.file.set_len(self.header_len).and_then(|()| self.file.seek(SeekFrom::End(0)).map(drop))
        } else {
            let mut line = serde_json::to_vec(&Line::Done(n)).unwrap_or_default();
            line.push(b'\n');
            self.file.write_all(&line)
        };
        if let Err(e) = result {
            log::warn!("{}", self.failed(e));
        }
    }
}

/// The keys a set changes.
fn keys_of(set: &ChangeSet) -> Vec<(TableKind, u64)> {
    set.tables.iter().flat_map(|t| t.keys().into_iter().map(move |k| (t.kind, k))).collect()
}

fn inserted_keys(t: &TableChanges) -> HashSet<u64> {
    let keys: Vec<u64> = with_rows!(&t.rows, rows => rows.iter().map(crate::model::Row::key).collect());
    keys.into_iter().zip(&t.inserted).filter(|(_, new)| **new).map(|(k, _)| k).collect()
}

/// One table's rows in the folder's spelling, every column, with the header.
pub(super) fn csv_of(t: &TableChanges) -> Vec<u8> {
    TableSnapshot {
        kind: t.kind,
        rows: t.rows.clone(),
        extra_columns: Arc::default(),
        first_row: 0,
        children_first: false,
        new_columns: t.kind.all_new(),
    }
    .to_csv()
}

/// A set line typed by the folder's decoders.
fn decode(line: SetLine) -> Result<Journaled, String> {
    let by_name: HashMap<&str, TableKind> = TableKind::ALL.iter().map(|k| (table_name(*k), *k)).collect();
    let mut set = ChangeSet { tables: Vec::new(), id: line.id };
    let mut seen = Vec::new();
    for t in line.tables {
        let kind = *by_name.get(t.table.as_str()).ok_or_else(|| format!("no table “{}”", t.table))?;
        let rows = super::feed::typed_in_order(kind, t.csv.as_bytes())?;
        let count = with_rows!(&rows, r => r.len());
        if count != t.inserted.len() {
            return Err(format!("{} rows of {} for {} marks", count, t.table, t.inserted.len()));
        }
        seen.extend(t.seen.into_iter().map(|(k, r)| ((kind, k), r)));
        set.tables.push(TableChanges { kind, rows, inserted: t.inserted, deleted: t.deleted });
    }
    Ok(Journaled { n: line.n, set, seen })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    /// The kitchen fixture with a run started: its change set (a run and its steps).
    fn a_start() -> (crate::store::Dataset, ChangeSet) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kitchen");
        let mut db = crate::store::load(&dir).expect("kitchen").db;
        db.forget_row_changes();
        let pid = db.procedures.rows()[0].id;
        let now = Timestamp::parse("2026-12-03 10:00:00").expect("time");
        crate::ops::start_run_with(&mut db, pid, now, &crate::ops::RunStart::default()).expect("started");
        let set = db.take_change_set();
        assert!(set.rows() > 1, "a run and its steps");
        (db, set)
    }

    fn csv_all(set: &ChangeSet) -> Vec<Vec<u8>> {
        set.tables.iter().map(csv_of).collect()
    }

    #[test]
    fn sets_not_done_come_back_as_they_were_written() {
        let dir = tempfile::tempdir().expect("tmp");
        let (_, first) = a_start();
        let (_, second) = a_start();
        {
            let (mut journal, left) = Pending::open(dir.path(), "postgres://a@h/db").expect("journal");
            assert!(left.is_empty());
            journal.append(&first, |_, _| 4).expect("append");
            journal.append(&second, |_, _| 4).expect("append");
            journal.done(&first.id);
            assert_eq!(journal.open_count(), 1);
        }
        let (journal, left) = Pending::open(dir.path(), "postgres://a@h/db").expect("again");
        assert_eq!(left.len(), 1, "the set not done");
        assert_eq!(left[0].set.id, second.id);
        assert_eq!(csv_all(&left[0].set), csv_all(&second), "the rows, column for column");
        let inserted: Vec<Vec<bool>> = left[0].set.tables.iter().map(|t| t.inserted.clone()).collect();
        assert_eq!(inserted, second.tables.iter().map(|t| t.inserted.clone()).collect::<Vec<_>>());
        // New rows carry no revision to check; another database has its own journal.
        assert!(left[0].seen.is_empty(), "{:?}", left[0].seen);
        assert!(journal.holds(&second.id) && !journal.holds(&first.id));
        let (_, other) = Pending::open(dir.path(), "postgres://b@h/db").expect("other");
        assert!(other.is_empty());
    }

    #[test]
    fn every_set_done_cuts_the_file_to_its_header() {
        let dir = tempfile::tempdir().expect("tmp");
        let (_, set) = a_start();
        let (mut journal, _) = Pending::open(dir.path(), "postgres://a@h/db").expect("journal");
        let header = std::fs::metadata(journal.path()).expect("file").len();
        journal.append(&set, |_, _| 1).expect("append");
        assert!(std::fs::metadata(journal.path()).expect("file").len() > header);
        journal.done(&set.id);
        assert_eq!(std::fs::metadata(journal.path()).expect("file").len(), header);
    }

    #[test]
    fn a_last_line_cut_by_a_kill_is_dropped_and_appends_go_on() {
        let dir = tempfile::tempdir().expect("tmp");
        let (_, first) = a_start();
        let (_, second) = a_start();
        let path = {
            let (mut journal, _) = Pending::open(dir.path(), "postgres://a@h/db").expect("journal");
            journal.append(&first, |_, _| 1).expect("append");
            journal.path().to_owned()
        };
        // Half of a second set, as a kill in the middle of its append leaves it.
        let whole = std::fs::read(&path).expect("read");
        let mut torn = whole.clone();
        torn.extend_from_slice(&whole[whole.len() / 2..whole.len() - 10]);
        std::fs::write(&path, &torn).expect("write");
        let (mut journal, left) = Pending::open(dir.path(), "postgres://a@h/db").expect("opens");
        assert_eq!(left.len(), 1);
        assert_eq!(std::fs::read(&path).expect("read"), whole, "the cut line is gone");
        journal.append(&second, |_, _| 1).expect("append");
        drop(journal);
        let (_, left) = Pending::open(dir.path(), "postgres://a@h/db").expect("opens");
        assert_eq!(left.iter().map(|j| j.set.id.clone()).collect::<Vec<_>>(), vec![first.id, second.id]);
    }

    #[test]
    fn a_journal_of_another_format_is_refused_and_kept() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(file_name("postgres://a@h/db"));
        let old = b"{\"procedures_pending\":0,\"database\":\"postgres://a@h/db\"}\n{\"set\":[1,2,3]}\n";
        std::fs::write(&path, old).expect("write");
        let Err(why) = Pending::open(dir.path(), "postgres://a@h/db") else { panic!("refused") };
        assert!(why.contains("format 0") && why.contains(&path.display().to_string()), "{why}");
        assert!(why.contains("kept as it is"), "{why}");
        assert_eq!(std::fs::read(&path).expect("read"), old, "untouched");
        // Not JSON at all: refused with the line and column.
        std::fs::write(&path, b"PROCPENDING\n").expect("write");
        let Err(why) = Pending::open(dir.path(), "postgres://a@h/db") else { panic!("refused") };
        assert!(why.contains("line 1, column"), "{why}");
        // A set line this version cannot type: refused with its line.
        let mut lines = format!("{{\"procedures_pending\":{FORMAT},\"database\":\"x\"}}\n").into_bytes();
        lines.extend_from_slice(b"{\"set\":{\"n\":1,\"id\":\"x\",\"tables\":[{\"table\":\"nope\",\"csv\":\"\",\"inserted\":[],\"deleted\":[],\"seen\":[]}]}}\n");
        std::fs::write(&path, &lines).expect("write");
        let Err(why) = Pending::open(dir.path(), "postgres://a@h/db") else { panic!("refused") };
        assert!(why.contains("line 2") && why.contains("no table “nope”"), "{why}");
    }
}
