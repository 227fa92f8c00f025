//! `procedures export DIR (--run ID | --procedure ID) [--format …] [-o FILE]`.

use crate::model::{ProcedureId, RunId};
use crate::store;
use crate::store::DataSource;
use crate::transfer;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown (run report, or procedure checklist).
    Md,
    /// CSV (run report).
    Csv,
    /// Printable HTML (procedure).
    Html,
}

/// Print (or write to `out`) a run report or a procedure checklist.
pub fn run(
    source: &DataSource,
    run: Option<u32>,
    procedure: Option<u32>,
    format: Format,
    out: Option<PathBuf>,
) -> ExitCode {
    let loaded = match super::load_for_reading(source) {
        Ok(l) => l,
        Err(code) => return code,
    };
    // A folder with problems reads without its broken rows: an export from it would
    // silently leave them out.
    if !loaded.problems.is_empty() {
        for p in &loaded.problems {
            eprintln!("{p}");
        }
        eprintln!(
            "error: the folder has {} problem(s) (listed above); nothing was exported, since the export would leave out the rows they are in",
            loaded.problems.len()
        );
        return ExitCode::from(1);
    }
    let db = &loaded.db;
    let text = match (run, procedure, format) {
        (Some(r), None, Format::Md) => transfer::run_report_markdown(db, RunId(r)),
        (Some(r), None, Format::Csv) => transfer::run_report_csv(db, RunId(r)),
        (None, Some(p), Format::Md) => transfer::procedure_markdown(db, ProcedureId(p)),
        (None, Some(p), Format::Html) => transfer::procedure_html(db, ProcedureId(p)),
        _ => {
            eprintln!("error: give --run ID (md or csv) or --procedure ID (md or html)");
            return ExitCode::from(2);
        }
    };
    let Some(text) = text else {
        match (run, procedure) {
            (Some(r), _) => eprintln!("error: there is no run {r} in this folder"),
            (_, Some(p)) => eprintln!("error: there is no procedure {p} in this folder"),
            _ => eprintln!("error: no such run or procedure"),
        }
        return ExitCode::from(2);
    };
    match out {
        None => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Some(path) => match store::write_file(&path, text.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}
