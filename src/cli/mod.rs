//! The command line: `check`, `stats`, `due`, `export`, `run`, `generate` (each in its own file).

mod check;
pub mod crash;
pub mod due;
pub mod export;
mod run;
mod stats;
mod watch;

use crate::generate;

use crate::store::DataSource;
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Command-line arguments of the `procedures` binary.
#[derive(Debug, Parser)]
#[command(
    name = "procedures",
    version,
    about = "Write a procedure once, run it step by step, see where the time goes."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Data folder to open in the window (default: the last one used)
    pub dir: Option<PathBuf>,
    /// A command to run instead of opening the window
    #[command(subcommand)]
    pub command: Option<Subcommand>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Subcommand {
    /// Check a data folder; prints `file:line: column: message` per problem.
    /// Exit 0 when valid, 1 when problems were found, 2 when it cannot be read.
    Check {
        /// The data folder, or a team database's postgres:// URL
        #[arg(value_name = "FOLDER_OR_URL", value_parser = crate::store::parse_source)]
        source: DataSource,
    },
    /// Completion, durations and bottleneck steps per procedure.
    Stats {
        /// The data folder, or a team database's postgres:// URL
        #[arg(value_name = "FOLDER_OR_URL", value_parser = crate::store::parse_source)]
        source: DataSource,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
        /// Only this procedure id
        #[arg(long)]
        procedure: Option<u32>,
        /// Schedules as of this local time instead of now ("YYYY-MM-DD HH:MM")
        #[arg(long)]
        at: Option<String>,
    },
    /// What is due: overdue, due and started occurrences, upcoming (7 days), missed (30 days).
    Due {
        /// The data folder, or a team database's postgres:// URL
        #[arg(value_name = "FOLDER_OR_URL", value_parser = crate::store::parse_source)]
        source: DataSource,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
        /// As of this local time instead of now ("YYYY-MM-DD HH:MM")
        #[arg(long)]
        at: Option<String>,
    },
    /// Export a run report (Markdown or CSV) or a procedure (Markdown checklist or printable HTML).
    Export {
        /// The data folder, or a team database's postgres:// URL
        #[arg(value_name = "FOLDER_OR_URL", value_parser = crate::store::parse_source)]
        source: DataSource,
        /// A run id
        #[arg(long, conflicts_with = "procedure")]
        run: Option<u32>,
        /// A procedure id
        #[arg(long)]
        procedure: Option<u32>,
        /// Output format
        #[arg(long, value_enum, default_value = "md")]
        format: export::Format,
        /// Write to this file instead of standard output
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Put a folder into an empty team database (PostgreSQL), in one transaction.
    Push {
        /// The data folder
        dir: PathBuf,
        /// The database, `postgres://user@host:port/db`
        url: String,
    },
    /// Write a team database into a new folder (the folder's files, byte for byte).
    Pull {
        /// The database, `postgres://user@host:port/db`
        url: String,
        /// A new or empty folder
        dir: PathBuf,
    },
    /// Print each change to a team database as it arrives (when, who, what), until Ctrl+C.
    Watch {
        /// The database, `postgres://user@host:port/db`
        url: String,
        /// One JSON object per line (position, at, by, table, key, op, row)
        #[arg(long)]
        json: bool,
        /// Start after this change position (a line's `position`) instead of now
        #[arg(long, value_name = "POSITION")]
        from: Option<i64>,
    },
    /// Record a run from a script: start it, tick steps (with values), finish it.
    #[command(subcommand)]
    Run(run::RunCommand),
    /// (For the crash-safety test.) Apply a deterministic series of mutations.
    #[command(hide = true)]
    CrashChild {
        /// The data folder
        dir: PathBuf,
        /// Which series
        seed: u64,
        /// How many mutations
        #[arg(default_value_t = 1_000_000)]
        count: u64,
    },
    /// Write a deterministic, realistic data folder.
    Generate {
        /// Where to write (created if needed)
        dir: PathBuf,
        /// How big
        #[arg(long, value_enum, default_value = "small")]
        scale: generate::Scale,
        /// Random seed
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Run a subcommand, printing to stdout/stderr; returns the process exit code.
pub fn run(command: Subcommand) -> ExitCode {
    if std::env::args().any(|a| crate::store::pg::has_password(&a)) {
        eprintln!(
            "warning: a password in a connection string on the command line is visible to other users of this computer (ps); put it in PGPASSWORD or ~/.pgpass instead"
        );
    }
    match command {
        Subcommand::Check { source } => check::run(&source),
        Subcommand::Stats { source, json, procedure, at } => stats::run(&source, json, procedure, at.as_deref()),
        Subcommand::Due { source, json, at } => due::run(&source, json, at.as_deref()),
        Subcommand::Export { source, run, procedure, format, output } => {
            export::run(&source, run, procedure, format, output)
        }
        Subcommand::CrashChild { dir, seed, count } => crash::run(&dir, seed, count),
        Subcommand::Run(cmd) => run::run(cmd),
        Subcommand::Watch { url, json, from } => watch::run(&url, json, from),
        Subcommand::Push { dir, url } => team(
            || crate::store::pg::push(&dir, &url),
            &format!("pushed {} into {}", dir.display(), crate::store::pg::redacted(&url)),
        ),
        Subcommand::Pull { url, dir } => team(
            || crate::store::pg::pull(&url, &dir),
            &format!("pulled {} into {}", crate::store::pg::redacted(&url), dir.display()),
        ),
        Subcommand::Generate { dir, scale, seed } => {
            let started = std::time::Instant::now();
            match generate::generate(&dir, scale, seed) {
                Ok(db) => {
                    let counts: Vec<String> = db
                        .counts()
                        .iter()
                        .map(|(t, n)| format!("{n} {}", t.file_name().trim_end_matches(".csv")))
                        .collect();
                    println!("wrote {} ({}) in {:.1?}", dir.display(), counts.join(", "), started.elapsed());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// The moment `--at` names ("YYYY-MM-DD HH:MM", local), or now; a bad time is exit 2.
fn clock_at(at: Option<&str>) -> Result<crate::analysis::schedule::Clock, ExitCode> {
    let system = crate::analysis::schedule::Clock::system();
    match at.map(crate::model::Timestamp::parse) {
        None => Ok(system),
        Some(Ok(t)) => Ok(crate::analysis::schedule::Clock { now: t.to_local(), ..system }),
        Some(Err(e)) => {
            eprintln!("error: --at: {e} (like \"2026-12-01 09:00\")");
            Err(ExitCode::from(2))
        }
    }
}

/// A folder (or database) for a reading command, its problems printed as warnings.
fn load_warning(source: &DataSource) -> Result<crate::store::Loaded, ExitCode> {
    let loaded = load_for_reading(source)?;
    for p in &loaded.problems {
        eprintln!("warning: {p}");
    }
    Ok(loaded)
}

/// A push or a pull: what moved, or the error (exit 2).
fn team(op: impl FnOnce() -> Result<crate::store::pg::Moved, crate::store::pg::PgError>, done: &str) -> ExitCode {
    match op() {
        Ok(moved) => {
            let rows: Vec<String> =
                moved.rows.iter().map(|(k, n)| format!("{n} {}", k.file_name().trim_end_matches(".csv"))).collect();
            println!("{done} ({})", rows.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Load a folder (or a team database, given its `postgres://` URL) for a command that
/// only reads: the error (exit 2) or the data, with a note on stderr for each
/// interrupted save it saw (read commands never finish one).
fn load_for_reading(source: &DataSource) -> Result<crate::store::Loaded, ExitCode> {
    match source.load() {
        Ok(loaded) => {
            for note in &loaded.notes {
                eprintln!("note: {note}");
            }
            Ok(loaded)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(2))
        }
    }
}
