//! Kill at any instant: a child process (`procedures crash-child`) mutates a copy of the
//! sample through the real ops and writer (full rewrites, tail writes with their redo
//! file, daily backups) and is killed with SIGKILL at a different moment each time. After
//! every kill the folder must open cleanly, every mutation the child reported durable
//! must be there, and each table must be exactly its state after the last durable
//! mutation or after the one in flight.

mod common;
use common::*;
use procedures::cli::crash;
use procedures::store::{self, Dataset, TableKind, TableSet};
use std::collections::HashMap;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The canonical bytes of every table of `db`.
fn tables(db: &Dataset) -> HashMap<TableKind, Vec<u8>> {
    let mut db = db.clone();
    db.mark_full(TableSet::all());
    db.write_snapshots(TableSet::all()).into_iter().map(|s| (s.kind, s.to_csv())).collect()
}

#[test]
fn killed_at_random_moments_nothing_durable_is_lost_and_nothing_is_torn() {
    let exe = env!("CARGO_BIN_EXE_procedures");
    let pristine = store::load(&sample_data()).expect("sample").db;
    let kills = 200;
    let mut total_durable = 0;
    for iter in 0..kills {
        let seed = 1000 + iter as u64;
        let dir = copy_of(&sample_data());
        let mut child = Command::new(exe)
            .args(["crash-child"])
            .arg(dir.path())
            .arg(seed.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        // A different moment each time: 3 to 80 ms after the start.
        std::thread::sleep(Duration::from_millis(3 + (iter as u64 * 7919) % 78));
        child.kill().expect("kill");
        child.wait().expect("wait");
        let mut out = String::new();
        child.stdout.take().expect("stdout").read_to_string(&mut out).expect("read");
        let durable: u64 = out.lines().filter_map(|l| l.strip_prefix("durable ")?.parse().ok()).max().unwrap_or(0);
        total_durable += durable;

        // A reader sees the folder as the interrupted save meant (and writes nothing);
        // then the app, holding the lock, finishes that save on disk.
        let read = store::load(dir.path()).unwrap_or_else(|e| panic!("iteration {iter}: cannot open: {e}"));
        assert!(read.problems.is_empty(), "iteration {iter} (seed {seed}): {:?}", read.problems);
        let lock = store::lock_folder(dir.path()).expect("lock");
        assert!(matches!(lock, store::LockOutcome::Acquired(_)));
        store::finish_interrupted(dir.path()).expect("finished");
        let loaded = store::load(dir.path()).unwrap_or_else(|e| panic!("iteration {iter}: cannot open: {e}"));
        assert!(loaded.problems.is_empty(), "iteration {iter} (seed {seed}): {:?}", loaded.problems);
        assert_eq!(tables(&read.db), tables(&loaded.db), "iteration {iter}: the reader saw what the app finished");

        // Replay the same series: the state after `durable` mutations, and one more.
        let mut db = pristine.clone();
        for i in 1..=durable {
            crash::mutate(&mut db, seed, i);
        }
        let before = tables(&db);
        crash::mutate(&mut db, seed, durable + 1);
        let after = tables(&db);
        for kind in TableKind::ALL {
            // A missing file is an empty table (a folder without schedules has no schedules.csv).
            let empty = || format!("{}\n", kind.columns_with(0).collect::<Vec<_>>().join(",")).into_bytes();
            let on_disk = std::fs::read(dir.path().join(kind.file_name())).unwrap_or_else(|_| empty());
            assert!(
                on_disk == before[&kind] || on_disk == after[&kind],
                "iteration {iter} (seed {seed}, {durable} durable): {} is neither the state before nor after the last mutation",
                kind.file_name()
            );
        }
    }
    // The kills must have landed in the middle of work, not before it started.
    assert!(total_durable > kills as u64, "only {total_durable} mutations in {kills} runs");
}
