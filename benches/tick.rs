//! `cargo bench --bench tick -- DIR [TICKS]`: the latency of a step tick on a recent run,
//! from the op to durable on disk (through the writer, as the app does), over TICKS
//! (default 200) ticks on a copy of DIR. Prints p50 and p99; also one tick on a run in
//! the first 1% of run_steps.csv (a full rewrite).

use procedures::model::{RunStatus, Timestamp};
use procedures::ops;
use procedures::store::{self, TableKind, TableSet, Writer};
use std::path::Path;
use std::time::{Duration, Instant};

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(src) = args.first() else {
        eprintln!("usage: cargo bench --bench tick -- DIR [TICKS]");
        return;
    };
    let ticks: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().expect("tmp");
    for kind in TableKind::ALL {
        let _ = std::fs::copy(Path::new(src).join(kind.file_name()), dir.path().join(kind.file_name()));
    }
    let loaded = store::load(dir.path()).expect("load");
    let mut db = loaded.db;
    let mut writer = Writer::spawn_expecting(|| {}, Some((dir.path().to_path_buf(), loaded.fingerprints)));
    let big = TableSet::EMPTY.with(TableKind::RunSteps).with(TableKind::Runs);
    writer.learn(dir.path().to_path_buf(), db.current_tables(big));
    let now = Timestamp::now();
    let mut times = Vec::new();
    let pid = db.procedures.rows()[0].id;
    while times.len() < ticks {
        let run = ops::start_run(&mut db, pid, now).expect("start").value;
        writer.save_blocking(dir.path(), &mut db).expect("save");
        for rs in db.run_step_ids(run) {
            if times.len() >= ticks {
                break;
            }
            let t = Instant::now();
            ops::set_step_completed(&mut db, rs, true, now).expect("tick");
            writer.save_blocking(dir.path(), &mut db).expect("save");
            times.push(t.elapsed());
        }
        ops::finish_run(&mut db, run, RunStatus::Completed, now).expect("finish");
        writer.save_blocking(dir.path(), &mut db).expect("save");
    }
    let (p50, p99) = (percentile(&mut times, 0.5), percentile(&mut times, 0.99));
    println!("tick on a recent run, durable: p50 {p50:.2?}, p99 {p99:.2?} over {} ticks", times.len());

    // A run in the first 1% of run_steps.csv: its tick rewrites the whole file.
    let early = db.run_steps.rows()[db.run_steps.len() / 200].run_id;
    let early_run = db.run(early).map(|r| r.status);
    let rs = db.run_step_ids(early)[0];
    let t = Instant::now();
    let result = if early_run == Some(RunStatus::InProgress) {
        ops::set_step_completed(&mut db, rs, true, now).map(|_| ())
    } else {
        ops::set_step_note(&mut db, rs, "late note").map(|_| ())
    };
    result.expect("change");
    writer.save_blocking(dir.path(), &mut db).expect("save");
    println!("a change in the first 1% of run_steps.csv, durable: {:.2?}", t.elapsed());
}
