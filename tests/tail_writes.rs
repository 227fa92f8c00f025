//! Tail writes: a tick rewrites only the end of run_steps.csv, the result is
//! byte-identical to a full canonical rewrite, and an interrupted tail write is
//! finished (or discarded) on the next open.

mod common;
use common::*;
use procedures::model::*;
use procedures::ops;
use procedures::store::{self, Dataset, TableKind, TableSet, Writer};
use std::path::Path;

/// Save what changed, as the app does; returns (tail writes, whole-table writes) sent.
fn save(writer: &mut Writer, dir: &Path, db: &mut Dataset) -> (usize, usize) {
    writer.save_blocking(dir, db).expect("saved")
}

/// The canonical bytes of every table of `db`.
fn canonical(db: &mut Dataset) -> Vec<(String, Vec<u8>)> {
    db.mark_full(TableSet::all());
    let snaps = db.write_snapshots(TableSet::all());
    db.take_changed();
    let mut v: Vec<(String, Vec<u8>)> = snaps.iter().map(|s| (s.kind.file_name().to_owned(), s.to_csv())).collect();
    v.sort();
    v
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("ts")
}

#[test]
fn ticks_are_tail_writes_identical_to_full_rewrites() {
    let dir = copy_of(&sample_data());
    let mut db = store::load(dir.path()).expect("load").db;
    let mut writer = Writer::spawn(|| {});
    let pid = db.procedures.rows()[7].id;
    let run = ops::start_run(&mut db, pid, t("2026-11-26 08:00:00")).expect("start").value;
    // The first save after opening writes the changed tables whole (the writer learns the layout).
    let (_, fulls) = save(&mut writer, dir.path(), &mut db);
    assert!(fulls >= 2);
    let steps = db.run_step_ids(run);
    for (i, rs) in steps.iter().enumerate() {
        ops::set_step_completed(&mut db, *rs, true, t(&format!("2026-11-26 08:{:02}:00", 10 + i))).expect("tick");
        if i == 1 {
            ops::set_step_note(&mut db, *rs, "a note, with \"quotes\"\nand a line break").expect("note");
        }
        if i == 2 {
            ops::set_step_completed(&mut db, steps[0], false, t("2026-11-26 09:00:00")).expect("untick");
        }
        let (tails, fulls) = save(&mut writer, dir.path(), &mut db);
        assert_eq!((tails, fulls), (1, 0), "tick {i} is one tail write");
    }
    // A second run, started and finished: runs and run_steps grow at the end.
    let other = ops::start_run(&mut db, pid, t("2026-11-26 10:00:00")).expect("start").value;
    ops::finish_run(&mut db, other, RunStatus::Cancelled, t("2026-11-26 10:01:00")).expect("cancel");
    ops::finish_run(&mut db, run, RunStatus::Completed, t("2026-11-26 10:02:00")).expect("finish");
    let (tails, fulls) = save(&mut writer, dir.path(), &mut db);
    assert_eq!((tails, fulls), (2, 0));

    let on_disk: Vec<(String, Vec<u8>)> =
        snapshot_files(dir.path()).into_iter().filter(|(n, _)| n.ends_with(".csv")).collect();
    assert_eq!(on_disk, canonical(&mut db), "tail writes give the bytes of a full canonical rewrite");
    assert!(!dir.path().join(".run_steps.csv.redo").exists());
    let back = store::load(dir.path()).expect("load");
    assert!(back.problems.is_empty(), "{:?}", back.problems);
}

#[test]
fn a_change_far_from_the_end_is_a_full_rewrite() {
    let dir = copy_of(&sample_data());
    let mut db = store::load(dir.path()).expect("load").db;
    let first = db.runs.rows()[0].id;
    ops::set_run_note(&mut db, first, "old run, new note").expect("note");
    let snaps = db.write_snapshots(db.changed());
    // Row 0 changed: this is a whole-file snapshot, not a copy of 160 rows.
    assert!(snaps.iter().all(|s| s.is_full()));
}

#[test]
fn interrupted_tail_write_is_finished_or_discarded_on_open() {
    let dir = copy_of(&sample_data());
    let path = dir.path().join("run_steps.csv");
    let before = std::fs::read(&path).expect("read");
    let text = String::from_utf8(before.clone()).expect("utf8");
    // Replace the last line with a ticked version of it.
    let last_start = text.trim_end_matches('\n').rfind('\n').expect("lines") + 1;
    let new_tail = "1086,160,67,True,2026-11-26 08:00:00,done\n";
    let mut after = before[..last_start].to_vec();
    after.extend_from_slice(new_tail.as_bytes());

    // Crash after the redo file was written: a reader sees the save as finished and
    // writes nothing; the holder of the lock finishes it on disk.
    store::write_redo(dir.path(), TableKind::RunSteps, last_start as u64, new_tail.as_bytes()).expect("redo");
    let loaded = store::load(dir.path()).expect("load");
    assert_eq!(std::fs::read(&path).expect("read"), before, "a reader writes nothing");
    assert!(dir.path().join(".run_steps.csv.redo").exists());
    let rs = loaded.db.run_step(RunStepId(1086)).expect("row");
    assert!(rs.completed && rs.notes() == "done", "read as the save meant: {rs:?}");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let (written, notes) = store::finish_interrupted(dir.path()).expect("finished");
    assert_eq!(written, vec![TableKind::RunSteps]);
    assert!(notes[0].contains("finished a save that was interrupted"), "{notes:?}");
    assert_eq!(std::fs::read(&path).expect("read"), after);
    assert!(!dir.path().join(".run_steps.csv.redo").exists());

    // A torn redo file (crash while writing it): discarded, the table untouched.
    std::fs::write(&path, &before).expect("restore");
    store::write_redo(dir.path(), TableKind::RunSteps, last_start as u64, new_tail.as_bytes()).expect("redo");
    let redo = dir.path().join(".run_steps.csv.redo");
    let full = std::fs::read(&redo).expect("read redo");
    std::fs::write(&redo, &full[..full.len() - 5]).expect("tear");
    store::load(dir.path()).expect("load");
    assert!(redo.exists(), "a reader leaves it");
    store::finish_interrupted(dir.path()).expect("finished");
    assert_eq!(std::fs::read(&path).expect("read"), before);
    assert!(!redo.exists());
}

#[test]
fn first_write_of_the_day_backs_up_and_restore_brings_it_back() {
    let dir = copy_of(&sample_data());
    let original = snapshot_files(dir.path());
    let mut db = store::load(dir.path()).expect("load").db;
    let mut writer = Writer::spawn(|| {});
    let pid = db.procedures.rows()[0].id;
    ops::start_run(&mut db, pid, t("2026-11-26 08:00:00")).expect("start");
    save(&mut writer, dir.path(), &mut db);

    // .gitignore, and a backup of the tables as they were before the first write.
    let gitignore = std::fs::read_to_string(dir.path().join(".gitignore")).expect("gitignore");
    assert!(gitignore.contains(".backups/") && gitignore.contains(".procedures.lock"));
    let backups = store::list_backups(dir.path());
    assert_eq!(backups.len(), 1);
    assert_eq!(backups[0].0, Timestamp::now().canonical()[..10]);
    assert_eq!(snapshot_files(&backups[0].1), original);
    assert_ne!(
        snapshot_files(dir.path()).into_iter().filter(|(n, _)| n.ends_with(".csv")).collect::<Vec<_>>(),
        original
    );

    // Restore: the tables come back; the state before the restore is kept as a backup too.
    drop(writer);
    let safety = store::restore_backup(dir.path(), &backups[0].0, "2026-11-26-0900").expect("restore");
    let now: Vec<(String, Vec<u8>)> =
        snapshot_files(dir.path()).into_iter().filter(|(n, _)| n.ends_with(".csv")).collect();
    assert_eq!(now, original);
    assert!(safety.ends_with("2026-11-26-0900-before-restore"));
    assert_eq!(store::list_backups(dir.path()).len(), 2);
}

#[test]
fn only_the_last_30_backups_are_kept() {
    let dir = copy_of(&sample_data());
    for day in 1..=35 {
        store::daily_backup(dir.path(), &format!("2026-10-{day:02}")).expect("backup");
    }
    let names: Vec<String> = store::list_backups(dir.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 30);
    assert_eq!(names[0], "2026-10-35");
    assert_eq!(names[29], "2026-10-06");
}

/// A copy of `src`, loaded, with a writer that learnt its big tables (as the app opens).
fn opened_and_learnt(src: &std::path::Path) -> (tempfile::TempDir, store::Dataset, Writer) {
    let dir = copy_of(src);
    let db = store::load(dir.path()).expect("load").db;
    let mut writer = Writer::spawn(|| {});
    writer.learn_big_tables(dir.path().to_path_buf(), &db);
    (dir, db, writer)
}

#[test]
fn after_learning_the_files_the_first_tick_is_already_a_tail_write() {
    let (dir, mut db, mut writer) = opened_and_learnt(&sample_data());
    let pid = db.procedures.rows()[1].id;
    ops::start_run(&mut db, pid, t("2026-11-26 08:00:00")).expect("start");
    assert_eq!(save(&mut writer, dir.path(), &mut db), (2, 0), "runs and run_steps: tails, no full rewrite");
    let on_disk: Vec<(String, Vec<u8>)> =
        snapshot_files(dir.path()).into_iter().filter(|(n, _)| n.ends_with(".csv")).collect();
    assert_eq!(on_disk, canonical(&mut db));
}

#[test]
fn a_file_not_in_canonical_form_is_not_learnt() {
    // The pandas fixture's runs.csv has no procedure_version column: not canonical, so
    // the first change rewrites it whole (normalizing it). Its run_steps.csv happens to
    // be canonical already, so that one is learnt and gets a tail write.
    let (dir, mut db, mut writer) = opened_and_learnt(&pandas_fixture());
    let run = db.in_progress_runs().last().expect("open run");
    ops::set_run_note(&mut db, run, "x").expect("run note");
    let rs = db.run_step_ids(run)[0];
    ops::set_step_note(&mut db, rs, "y").expect("step note");
    let (tails, fulls) = save(&mut writer, dir.path(), &mut db);
    assert_eq!(fulls, 2, "runs.csv normalized by a full rewrite (and run_steps after it, to keep the order)");
    assert_eq!(tails, 2);
    let want = canonical(&mut db);
    for name in ["runs.csv", "run_steps.csv"] {
        let on_disk = std::fs::read(dir.path().join(name)).expect("read");
        assert_eq!(on_disk, want.iter().find(|(n, _)| n == name).expect("t").1, "{name}");
    }
}
