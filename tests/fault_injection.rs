//! Faults: every file operation of a save fails in turn (disk full, permission denied,
//! I/O error, short write); the file on disk is then the old one or the new one, never a
//! mix; the change stays in memory and a retry saves it; the error reaches the status bar.

mod common;
use common::*;
use procedures::model::*;
use procedures::ops;
use procedures::store::{self, Dataset, Fault, FaultyIo, TableKind, TableSet, Writer};
use std::path::Path;
use std::sync::Arc;

/// Save what changed through `writer`; returns the error, if the save failed.
fn save(writer: &mut Writer, dir: &Path, db: &mut Dataset) -> Option<String> {
    writer.save_blocking(dir, db).err().map(|e| e.to_string())
}

fn canonical(db: &Dataset, kind: TableKind) -> Vec<u8> {
    let mut db = db.clone();
    db.mark_full(TableSet::all());
    db.write_snapshots(TableSet::EMPTY.with(kind)).remove(0).to_csv()
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("ts")
}

/// For each fault and each operation of one save, run `change` then save with that
/// operation failing; check the file, then retry without the fault.
fn every_fault(kind: TableKind, change: impl Fn(&mut Dataset, usize)) {
    for fault in Fault::ALL {
        let mut n = 1;
        loop {
            let dir = copy_of(&sample_data());
            let mut db = store::load(dir.path()).expect("load").db;
            let io = Arc::new(FaultyIo::default());
            let mut writer = Writer::spawn_with(|| {}, None, io.clone());
            // A first save teaches the writer the file (later ticks are tail writes).
            change(&mut db, 0);
            assert_eq!(save(&mut writer, dir.path(), &mut db), None);
            let path = dir.path().join(kind.file_name());
            let old = std::fs::read(&path).expect("read");

            change(&mut db, 1);
            let new = canonical(&db, kind);
            io.arm(n, fault);
            let failed = save(&mut writer, dir.path(), &mut db);
            let ops_used = io.calls();
            let on_disk = std::fs::read(&path).expect("read");
            match &failed {
                Some(e) => {
                    assert!(on_disk == old || on_disk == new, "{fault:?} at op {n}: after \"{e}\" the file is a mix")
                }
                None => assert_eq!(on_disk, new, "{fault:?} at op {n}: saved, but not the new content"),
            }
            if failed.is_some() {
                assert!(!db.changed().is_empty(), "the change stays in memory for a retry");
            }
            // Retry without the fault.
            io.arm(usize::MAX, fault);
            assert_eq!(save(&mut writer, dir.path(), &mut db), None, "{fault:?} at op {n}: retry");
            assert_eq!(std::fs::read(&path).expect("read"), new);
            let back = store::load(dir.path()).expect("load");
            assert!(back.problems.is_empty(), "{:?}", back.problems);
            if ops_used < n {
                // The save took fewer operations than n: every one has failed once.
                break;
            }
            n += 1;
        }
        assert!(n > 3, "{fault:?}: a save is several operations ({n})");
    }
}

#[test]
fn a_failing_full_rewrite_leaves_the_old_file() {
    // A note on the first run: the whole of runs.csv is rewritten.
    every_fault(TableKind::Runs, |db, i| {
        let first = db.runs.rows()[0].id;
        ops::set_run_note(db, first, &format!("note {i}")).expect("note");
    });
}

#[test]
fn a_failing_tail_write_leaves_the_old_file() {
    // Ticks on a run at the end: tail writes of run_steps.csv (redo file, apply).
    every_fault(TableKind::RunSteps, |db, i| {
        if i == 0 {
            let pid = db.procedures.rows()[0].id;
            ops::start_run(db, pid, t("2026-11-26 08:00:00")).expect("start");
        } else {
            let run = db.in_progress_runs().last().expect("run");
            let rs = db.run_step_ids(run)[i - 1];
            ops::set_step_completed(db, rs, true, t("2026-11-26 08:05:00")).expect("tick");
        }
    });
}

#[test]
fn a_disk_full_error_shows_in_the_status_bar_and_retry_saves() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;
    let dir = copy_of(&sample_data());
    let io = Arc::new(FaultyIo::default());
    let (path, shared) = (dir.path().to_path_buf(), io.clone());
    let mut h = Harness::builder().with_size(egui::vec2(1200.0, 800.0)).with_max_steps(24).build_eframe(move |cc| {
        let mut app = procedures::app::App::new_with_prefs(
            cc,
            procedures::app::Prefs { user_name: Some("Test User".into()), ..procedures::app::Prefs::default() },
            None,
        );
        app.session_mut().set_io(shared);
        app.open_folder(&path);
        app
    });
    h.run();
    let before = std::fs::read(dir.path().join("runs.csv")).expect("read");
    io.arm(1, Fault::DiskFull);
    // The run started from the browser (the sample opens on Today), its save refused.
    let run = common::team::start_payroll(&mut h);
    h.get_by_label_contains("no space left on device");
    assert_eq!(std::fs::read(dir.path().join("runs.csv")).expect("read"), before);
    io.arm(usize::MAX, Fault::DiskFull);
    h.get_by_label("Retry").click();
    h.run();
    h.state_mut().flush();
    h.run();
    h.get_by_label("All changes saved");
    assert!(store::load(dir.path()).expect("load").db.run(run).is_some());
}
