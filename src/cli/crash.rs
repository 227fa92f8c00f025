//! A hidden subcommand for the crash-safety test: `procedures crash-child DIR SEED`
//! applies a deterministic series of mutations through the real ops and writer,
//! printing `durable N` after mutation N is on disk. The test kills it at random
//! moments and checks the folder against a replay of the same series.

use crate::generate::Rng;
use crate::model::*;
use crate::ops::{self, ProcedureDraft};
use crate::store::{self, Dataset, Writer};
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// Apply mutation number `i` (1-based) of the series for `seed`. Mutations that the
/// rules refuse (e.g. ticking a finished run) are skipped the same way every time.
pub fn mutate(db: &mut Dataset, seed: u64, i: u64) {
    let mut rng = Rng(seed.wrapping_mul(1_000_003).wrapping_add(i));
    let now = Timestamp::from_wall_secs(1_780_000_000 + i as i64 * 60);
    let open: Vec<RunId> = db.in_progress_runs().collect();
    let procs: Vec<ProcedureId> = db.procedures.rows().iter().map(|p| p.id).collect();
    let roll = rng.index(100);
    let _ = match roll {
        0..=44 if !open.is_empty() => {
            // Tick or untick a step of an open run.
            let run = open[rng.index(open.len())];
            let steps = db.run_step_ids(run);
            let rs = steps[rng.index(steps.len())];
            let done = db.run_step(rs).is_some_and(|r| r.completed);
            ops::set_step_completed(db, rs, !done, now).map(|_| ())
        }
        45..=54 if !open.is_empty() => {
            let run = open[rng.index(open.len())];
            let steps = db.run_step_ids(run);
            ops::set_step_note(db, steps[rng.index(steps.len())], &format!("note {i}, \"quoted\"")).map(|_| ())
        }
        55..=64 if !open.is_empty() => {
            let run = open[rng.index(open.len())];
            let status = if rng.index(4) == 0 { RunStatus::Cancelled } else { RunStatus::Completed };
            ops::finish_run(db, run, status, now).map(|_| ())
        }
        65..=69 if !procs.is_empty() => {
            // Edit a procedure: reword a step (a new version).
            let pid = procs[rng.index(procs.len())];
            let Some(mut d) = ProcedureDraft::of(db, pid) else { return };
            if d.steps.is_empty() {
                return;
            }
            let k = rng.index(d.steps.len());
            d.steps[k].description = format!("{} (edit {i})", d.steps[k].description);
            ops::update_procedure(db, pid, &d, &format!("edit {i}"), now).map(|_| ())
        }
        70..=71 if procs.len() > 3 => ops::delete_procedure(db, procs[rng.index(procs.len())]).map(|_| ()),
        72..=73 => ops::create_label(db, &format!("label {i}"), "#123456").map(|_| ()),
        _ if !procs.is_empty() => ops::start_run(db, procs[rng.index(procs.len())], now).map(|_| ()),
        _ => Ok(()),
    };
}

/// Run the series on `dir` until killed (or `count` mutations are done).
pub fn run(dir: &Path, seed: u64, count: u64) -> ExitCode {
    let Ok(loaded) = store::load(dir) else { return ExitCode::from(2) };
    // A writer: the folder's lock, then the saves a crash interrupted are finished.
    let Ok(store::LockOutcome::Acquired(_lock)) = store::lock_folder(dir) else { return ExitCode::from(2) };
    if store::finish_interrupted(dir).is_err() {
        return ExitCode::from(2);
    }
    let mut db = loaded.db;
    let mut writer = Writer::spawn(|| {});
    let mut out = std::io::stdout().lock();
    for i in 1..=count {
        mutate(&mut db, seed, i);
        if let Err(error) = writer.save_blocking(dir, &mut db) {
            eprintln!("save failed: {error}");
            return ExitCode::from(1);
        }
        let _ = writeln!(out, "durable {i}");
        let _ = out.flush();
    }
    ExitCode::SUCCESS
}
