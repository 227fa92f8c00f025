//! Canonical writing: rows in id order, LF, minimal quoting, `YYYY-MM-DD HH:MM:SS`,
//! `True`/`False`, integers without `.0`, unknown columns after the known ones.
//! Every file is replaced atomically and durably.

use super::db::Db;
use super::error::Error;
use super::table::{TableKind, TableSet};
use crate::model::*;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

/// Rows of one table, shared with (not copied to) the writer thread.
#[derive(Clone, Debug)]
pub enum TableRows {
    /// `procedures.csv`
    Procedures(Arc<Vec<Procedure>>),
    /// `steps.csv`
    Steps(Arc<Vec<Step>>),
    /// `runs.csv`
    Runs(Arc<Vec<Run>>),
    /// `run_steps.csv`
    RunSteps(Arc<Vec<RunStep>>),
    /// `labels.csv`
    Labels(Arc<Vec<Label>>),
    /// `procedure_labels.csv`
    ProcedureLabels(Arc<Vec<ProcedureLabel>>),
    /// `versions.csv`
    Versions(Arc<Vec<Version>>),
}

/// The state of one table to be written.
#[derive(Clone, Debug)]
pub struct TableSnapshot {
    /// Which table.
    pub kind: TableKind,
    /// Its rows.
    pub rows: TableRows,
    /// Unknown columns, written after the known ones.
    pub extra_columns: Arc<Vec<String>>,
}

impl Db {
    /// O(1) snapshots of the given tables, for the writer.
    pub fn snapshot_tables(&self, tables: TableSet) -> Vec<TableSnapshot> {
        tables
            .iter()
            .map(|kind| {
                let (rows, extra_columns) = match kind {
                    TableKind::Procedures => {
                        (TableRows::Procedures(self.procedures.shared()), &self.procedures.extra_columns)
                    }
                    TableKind::Steps => (TableRows::Steps(self.steps.shared()), &self.steps.extra_columns),
                    TableKind::Runs => (TableRows::Runs(self.runs.shared()), &self.runs.extra_columns),
                    TableKind::RunSteps => {
                        (TableRows::RunSteps(self.run_steps.shared()), &self.run_steps.extra_columns)
                    }
                    TableKind::Labels => (TableRows::Labels(self.labels.shared()), &self.labels.extra_columns),
                    TableKind::ProcedureLabels => (
                        TableRows::ProcedureLabels(self.procedure_labels.shared()),
                        &self.procedure_labels.extra_columns,
                    ),
                    TableKind::Versions => (TableRows::Versions(self.versions.shared()), &self.versions.extra_columns),
                };
                TableSnapshot { kind, rows, extra_columns: Arc::clone(extra_columns) }
            })
            .collect()
    }
}

/// Reused buffers for encoding fields.
struct Enc {
    w: csv::Writer<Vec<u8>>,
    buf: String,
}

impl Enc {
    fn new(capacity: usize) -> Self {
        let w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(Vec::with_capacity(capacity));
        Self { w, buf: String::new() }
    }

    fn text(&mut self, s: &str) {
        let _ = self.w.write_field(s);
    }

    fn int(&mut self, v: impl std::fmt::Display) {
        self.buf.clear();
        let _ = write!(self.buf, "{v}");
        let _ = self.w.write_field(&self.buf);
    }

    fn opt_int(&mut self, v: Option<u32>) {
        match v {
            Some(v) => self.int(v),
            None => self.text(""),
        }
    }

    fn ts(&mut self, t: Option<Timestamp>) {
        self.buf.clear();
        if let Some(t) = t {
            t.write_canonical(&mut self.buf);
        }
        let _ = self.w.write_field(&self.buf);
    }

    fn bool(&mut self, b: bool) {
        self.text(if b { "True" } else { "False" });
    }

    fn end(&mut self, extra: &Extra, width: usize) {
        for i in 0..width {
            let v = extra.get(i).map_or("", |s| &**s);
            let _ = self.w.write_field(v);
        }
        let _ = self.w.write_record(None::<&[u8]>);
    }
}

impl TableSnapshot {
    /// The canonical bytes of this table.
    pub fn to_csv(&self) -> Vec<u8> {
        let n = self.extra_columns.len();
        let rows = match &self.rows {
            TableRows::RunSteps(r) => r.len() * 48,
            TableRows::Versions(r) => r.len() * 400,
            _ => 4096,
        };
        let mut e = Enc::new(rows + 256);
        for c in self.kind.columns() {
            e.text(c);
        }
        for c in self.extra_columns.iter() {
            e.text(c);
        }
        let _ = e.w.write_record(None::<&[u8]>);
        match &self.rows {
            TableRows::Procedures(rows) => rows.iter().for_each(|r| {
                e.int(r.id);
                e.text(&r.name);
                e.text(&r.description);
                e.ts(r.created_at);
                e.ts(r.updated_at);
                e.int(r.version);
                e.end(&r.extra, n);
            }),
            TableRows::Steps(rows) => rows.iter().for_each(|r| {
                e.int(r.id);
                e.int(r.procedure_id);
                e.int(r.order);
                e.text(&r.description);
                e.opt_int(r.estimated_duration_secs);
                e.end(&r.extra, n);
            }),
            TableRows::Runs(rows) => rows.iter().for_each(|r| {
                e.int(r.id);
                e.int(r.procedure_id);
                e.ts(Some(r.start_time));
                e.ts(r.end_time);
                e.text(r.status.as_str());
                e.text(&r.notes);
                e.opt_int(r.procedure_version);
                e.end(&r.extra, n);
            }),
            TableRows::RunSteps(rows) => rows.iter().for_each(|r| {
                e.int(r.id);
                e.int(r.run_id);
                e.int(r.step_id);
                e.bool(r.completed);
                e.ts(r.completed_at);
                e.text(&r.notes);
                e.end(&r.extra, n);
            }),
            TableRows::Labels(rows) => rows.iter().for_each(|r| {
                e.int(r.id);
                e.text(&r.name);
                e.text(&r.color);
                e.end(&r.extra, n);
            }),
            TableRows::ProcedureLabels(rows) => rows.iter().for_each(|r| {
                e.int(r.procedure_id);
                e.int(r.label_id);
                e.end(&r.extra, n);
            }),
            TableRows::Versions(rows) => rows.iter().for_each(|r| {
                e.int(r.id);
                e.int(r.procedure_id);
                e.int(r.version);
                e.ts(r.created_at);
                e.text(&r.change_description);
                e.text(&r.procedure_snapshot);
                e.end(&r.extra, n);
            }),
        }
        e.w.into_inner().unwrap_or_default()
    }
}

/// Replace `dir/name` with `bytes` atomically and durably: write a temp file in the
/// same folder, flush and fsync it, rename it over the old file, fsync the folder.
/// On failure the old file is untouched and the temp file removed.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &path)?;
        sync_dir(dir)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// Make a rename in `dir` durable (a no-op where folders cannot be synced).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Write table snapshots to the folder, one atomic replace each, stopping at the first error.
pub fn write_tables(dir: &Path, tables: &[TableSnapshot]) -> Result<(), (TableKind, Error)> {
    for t in tables {
        write_atomic(dir, t.kind.file_name(), &t.to_csv()).map_err(|e| (t.kind, e))?;
    }
    Ok(())
}

/// Save the tables `db` marked as changed, synchronously (the CLI and tests; the app
/// uses the writer thread). On success the changed set is cleared.
pub fn save(dir: &Path, db: &mut Db) -> Result<(), Error> {
    let changed = db.changed();
    write_tables(dir, &db.snapshot_tables(changed)).map_err(|(_, e)| e)?;
    db.take_changed();
    Ok(())
}

/// Create an empty data folder: the seven files with their headers (existing files are kept).
pub fn create_empty(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for kind in TableKind::ALL {
        if !dir.join(kind.file_name()).exists() {
            let header = format!("{}\n", kind.columns().join(","));
            write_atomic(dir, kind.file_name(), header.as_bytes())?;
        }
    }
    Ok(())
}

/// Write a file outside the data folder (an export) atomically: temp file beside it,
/// fsync, rename.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| Error::io(path, std::io::Error::other("not a file name")))?;
    write_atomic(dir, &name.to_string_lossy(), bytes)
}
