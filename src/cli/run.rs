//! `procedures run start|tick|finish`: record a run from a script (a CI pipeline, a cron
//! job) with the same validation and messages as the app. A writer like the app: it
//! takes the folder's lock (and says so when the app holds it), finishes an interrupted
//! save, refuses a folder with problems, and saves atomically. On a team database
//! (`postgres://…`) it writes as the window does: one transaction of changed rows, under
//! the database user's name. Exit 0 done, 2 refused.

use crate::model::*;
use crate::ops::{self, OpError, RunStart};
use crate::store::{self, Dataset, LockOutcome, RunSheet, Writer};
use std::path::Path;
use std::process::ExitCode;

/// The run subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RunCommand {
    /// Start a run of a procedure; prints the run id.
    Start {
        /// The data folder
        dir: std::path::PathBuf,
        /// The procedure id
        #[arg(long)]
        procedure: u32,
        /// What the run is about ("web-01")
        #[arg(long)]
        title: Option<String>,
        /// Who starts it (default: the OS login name)
        #[arg(long)]
        by: Option<String>,
    },
    /// Tick a step of a run in progress, or record the value found there.
    Tick {
        /// The data folder
        dir: std::path::PathBuf,
        /// The run id
        #[arg(long)]
        run: u32,
        /// The step's position in the procedure (its `order`, sections counted)
        #[arg(long)]
        step: u32,
        /// The value found (for a text, number, choice, date or sign-off step); never
        /// empty (an empty value clears nothing: use --untick)
        #[arg(long, allow_hyphen_values = true)]
        value: Option<String>,
        /// Untick the step (and clear the value it recorded)
        #[arg(long, conflicts_with = "value")]
        untick: bool,
        /// A note on the step
        #[arg(long)]
        note: Option<String>,
        /// Who ticks it (default: the OS login name)
        #[arg(long)]
        by: Option<String>,
    },
    /// Complete or cancel a run in progress.
    Finish {
        /// The data folder
        dir: std::path::PathBuf,
        /// The run id
        #[arg(long)]
        run: u32,
        /// completed or cancelled
        #[arg(long, value_parser = ["completed", "cancelled"])]
        status: String,
        /// Why (added to the run's notes)
        #[arg(long)]
        reason: Option<String>,
    },
}

/// The name to record: `--by`, else `default` (the OS login name for a folder; in a team
/// database the name the database gives the user, and `--by` is refused there).
fn who(by: Option<String>, default: &Writing) -> Result<Name, OpError> {
    let name = match (by, default) {
        (Some(_), Writing::Database(user)) => {
            return Err(OpError::Invalid(format!(
                "--by: in a team database runs and ticks record the database user ({user}); leave --by out"
            )));
        }
        (Some(by), Writing::Folder) => by,
        (None, Writing::Folder) => Name::login_name(),
        (None, Writing::Database(user)) => user.clone(),
    };
    Name::of(&name).ok_or_else(|| OpError::Invalid("too many different names in this process".into()))
}

/// Where a `run` command writes.
enum Writing {
    /// A folder.
    Folder,
    /// A team database, as this user (its `people` name, else the role).
    Database(String),
}

/// Run one of the subcommands.
pub fn run(cmd: RunCommand) -> ExitCode {
    let now = Timestamp::now();
    match cmd {
        RunCommand::Start { dir, procedure, title, by } => write(&dir, "`procedures run start`", |db, to| {
            let start = RunStart { by: who(by, to)?, title: title.unwrap_or_default(), scheduled_for: None };
            let run = ops::start_run_with(db, ProcedureId(procedure), now, &start)?.value;
            Ok(run.to_string())
        }),
        RunCommand::Tick { value: Some(v), .. } if v.trim().is_empty() => {
            // A script with an unset variable must not wipe a recorded value.
            eprintln!(
                "error: --value is empty; an empty value never clears anything (to untick the step and clear its value, use --untick)"
            );
            ExitCode::from(2)
        }
        RunCommand::Tick { dir, run, step, value, untick, note, by } => {
            write(&dir, "`procedures run tick`", |db, to| {
                let by = who(by, to)?;
                let run = RunId(run);
                db.run(run).ok_or(OpError::NotFound { what: "run", id: run.0 })?;
                let sheet = RunSheet::of(db, run);
                let item = sheet.items.iter().find(|i| i.order == step).ok_or_else(|| {
                    OpError::Invalid(format!(
                        "run {run} has no step {step} (steps are numbered by their order, 1 to {})",
                        sheet.items.len()
                    ))
                })?;
                let text = ops::first_line(&item.text).to_owned();
                let Some(rs) = item.run_step else {
                    return Err(OpError::Invalid(format!("step {step} (“{text}”) is a section: it is not ticked")));
                };
                let mut said = format!("ticked step {step} (“{text}”)");
                if untick {
                    ops::set_step_completed_by(db, rs, false, now, by)?;
                    return Ok(format!("unticked step {step} (“{text}”)"));
                }
                match value {
                    Some(v) => {
                        if !item.kind.has_value() {
                            return Err(OpError::Invalid(format!(
                                "step {step} (“{text}”) is a tick: it records no value"
                            )));
                        }
                        if let Some(flag) = ops::record_value(db, rs, &v, now, by)?.value {
                            said = format!("{said}: {v}, flagged ({flag})");
                        } else {
                            said = format!("{said}: {v}");
                        }
                    }
                    None => {
                        ops::set_step_completed_by(db, rs, true, now, by)?;
                    }
                }
                if let Some(n) = note {
                    ops::set_step_note(db, rs, n.trim())?;
                }
                Ok(said)
            })
        }
        RunCommand::Finish { dir, run, status, reason } => write(&dir, "`procedures run finish`", |db, _| {
            let status = if status == "completed" { RunStatus::Completed } else { RunStatus::Cancelled };
            let run = RunId(run);
            ops::finish_run_saying(db, run, status, reason.as_deref().unwrap_or(""), now)?;
            Ok(format!("run {run} {}", status.as_str()))
        }),
    }
}

/// How long a `run` command waits for the folder's lock before giving up.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a `run` command waits for a team database to commit its change.
const COMMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(90);

fn refuse(msg: String) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Open the team database, apply `change`, commit its rows in one transaction (as the
/// window does: ids from this client's block, an update naming the revision it read).
fn write_database(url: &str, change: impl FnOnce(&mut Dataset, &Writing) -> Result<String, OpError>) -> ExitCode {
    let opened = match store::pg::open(url, None, std::sync::Arc::new(|| {}), None) {
        Ok(o) => o,
        Err(e) => return refuse(e.to_string()),
    };
    let (mut db, mut remote) = (opened.loaded.db, opened.remote);
    if !opened.loaded.problems.is_empty() {
        for p in opened.loaded.problems.iter().take(20) {
            eprintln!("{p}");
        }
        return refuse(format!("the database has {} problem(s): nothing was written", opened.loaded.problems.len()));
    }
    let to = Writing::Database(remote.user().to_owned());
    let said = match change(&mut db, &to) {
        Ok(said) => said,
        Err(e) => return refuse(e.to_string()),
    };
    remote.submit(db.take_change_set());
    let written = remote.wait_idle(COMMIT_WAIT);
    match written.into_iter().next() {
        Some(store::pg::Written::Committed { .. }) => {
            println!("{said}");
            ExitCode::SUCCESS
        }
        Some(store::pg::Written::Failed { why, .. }) => refuse(why),
        Some(other) => refuse(format!("unexpected answer from the writer: {other:?}")),
        None => refuse(format!(
            "the database did not confirm the change within {} s; it may or may not be there (`procedures check` it)",
            COMMIT_WAIT.as_secs()
        )),
    }
}

/// Take the lock (waiting up to [`LOCK_WAIT`]), load, apply `change`, save; print what
/// it says. `holder` names this command in the lock file. A `postgres://` URL is
/// written as the window writes it ([`write_database`]).
fn write(dir: &Path, holder: &str, change: impl FnOnce(&mut Dataset, &Writing) -> Result<String, OpError>) -> ExitCode {
    if store::pg::is_url(&dir.to_string_lossy()) {
        return write_database(&dir.to_string_lossy(), change);
    }
    // Another command (or the app) may hold the folder for a moment: wait a bounded time.
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    let locked = loop {
        match store::lock_folder_as(dir, holder) {
            Ok(LockOutcome::HeldBy(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other,
        }
    };
    let _lock = match locked {
        Ok(LockOutcome::Acquired(lock)) => lock,
        Ok(LockOutcome::HeldBy(who)) => {
            return refuse(format!(
                "the folder stayed locked for {} s by {who}; nothing was written (close it there, or try again)",
                LOCK_WAIT.as_secs()
            ));
        }
        Ok(LockOutcome::ReadOnlyFolder(why)) => return refuse(format!("the folder cannot be written ({why})")),
        Err(e) => return refuse(format!("cannot lock the folder: {e}")),
    };
    match store::finish_interrupted(dir) {
        Ok((_, notes)) => notes.iter().for_each(|n| eprintln!("note: {n}")),
        Err(e) => return refuse(format!("cannot finish an interrupted save: {e}")),
    }
    let loaded = match store::load(dir) {
        Ok(l) => l,
        Err(e) => return refuse(e.to_string()),
    };
    if !loaded.problems.is_empty() {
        for p in &loaded.problems {
            eprintln!("{p}");
        }
        return refuse(format!("the folder has {} problem(s): nothing was written", loaded.problems.len()));
    }
    let mut db = loaded.db;
    let said = match change(&mut db, &Writing::Folder) {
        Ok(said) => said,
        Err(e) => return refuse(e.to_string()),
    };
    let mut writer = Writer::spawn_expecting(|| {}, Some((dir.to_path_buf(), loaded.fingerprints)));
    if let Err(e) = writer.save_blocking(dir, &mut db) {
        return refuse(format!("not saved: {e}"));
    }
    println!("{said}");
    ExitCode::SUCCESS
}
