//! Folders that try to make the app write outside them or lose data (issue #18): planted
//! symbolic links are never followed, tables that are not regular files are refused,
//! redo files are applied only by the lock's holder and only when they fit.
#![cfg(unix)]

mod common;

use procedures::store::{self, LockOutcome, TableKind};
use std::os::unix::fs::symlink;

/// A folder with the sample's tables, and a precious file outside it.
fn folder_and_outside() -> (tempfile::TempDir, tempfile::TempDir, std::path::PathBuf) {
    let dir = common::copy_of(&common::sample_data());
    let outside = tempfile::tempdir().expect("tmp");
    let precious = outside.path().join("precious.txt");
    std::fs::write(&precious, "precious contents\n").expect("write");
    (dir, outside, precious)
}

#[test]
fn a_lock_file_that_is_a_symlink_is_never_written_through() {
    let (dir, _outside, precious) = folder_and_outside();
    symlink(&precious, dir.path().join(store::LOCK_FILE)).expect("symlink");
    match store::lock_folder(dir.path()).expect("no error") {
        LockOutcome::ReadOnlyFolder(why) => assert!(why.contains("symbolic link"), "{why}"),
        _ => panic!("a symlinked lock must not be taken"),
    }
    assert_eq!(std::fs::read_to_string(&precious).expect("read"), "precious contents\n");
}

#[test]
fn planted_temp_and_redo_symlinks_do_not_redirect_a_save() {
    let (dir, _outside, precious) = folder_and_outside();
    let tmp = dir.path().join(".runs.csv.tmp");
    symlink(&precious, &tmp).expect("symlink");
    let bytes = std::fs::read(dir.path().join("runs.csv")).expect("read");
    store::write_atomic(dir.path(), "runs.csv", &bytes).expect("saved");
    assert_eq!(std::fs::read_to_string(&precious).expect("read"), "precious contents\n", "nothing written outside");
    let runs = dir.path().join("runs.csv");
    assert!(std::fs::symlink_metadata(&runs).expect("meta").file_type().is_file(), "runs.csv stays a regular file");
    assert_eq!(std::fs::read(&runs).expect("read"), bytes);
    assert!(!tmp.exists(), "the temp name is gone after the rename");

    let redo = dir.path().join(".run_steps.csv.redo");
    symlink(&precious, &redo).expect("symlink");
    store::write_redo(dir.path(), TableKind::RunSteps, 0, b"x").expect("redo written");
    assert_eq!(std::fs::read_to_string(&precious).expect("read"), "precious contents\n");
    assert!(
        std::fs::symlink_metadata(&redo).expect("meta").file_type().is_file(),
        "a regular redo file replaced the link"
    );
}

/// A table that is not a regular file: a FIFO (which would block an open forever), a
/// directory, a link to a device. Loading says so at once instead of hanging or reading
/// it as empty.
#[test]
fn tables_that_are_not_regular_files_are_refused_with_a_clear_message() {
    type MakeTable = fn(&std::path::Path);
    let cases: [(&str, MakeTable); 3] = [
        ("a named pipe (FIFO)", |p| {
            let made = std::process::Command::new("mkfifo").arg(p).status().expect("mkfifo");
            assert!(made.success());
        }),
        ("a directory", |p| std::fs::create_dir(p).expect("mkdir")),
        ("a device", |p| symlink("/dev/zero", p).expect("symlink")),
    ];
    for (what, make) in cases {
        let dir = common::copy_of(&common::sample_data());
        let runs = dir.path().join("runs.csv");
        std::fs::remove_file(&runs).expect("rm");
        make(&runs);
        let (tx, rx) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let _ = tx.send(store::load(&path).err().map(|e| e.to_string()));
        });
        let error = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("no hang").expect("refused");
        assert!(error.contains(&format!("runs.csv: is {what}, not a regular file: cannot be read")), "{error}");
    }
}

/// The sample with a crash's redo file for its last run_steps row (a tick of row 1086),
/// the file not yet touched. Returns the folder, the file's bytes, and the bytes the
/// interrupted save meant.
fn interrupted_tick() -> (tempfile::TempDir, Vec<u8>, Vec<u8>) {
    let dir = common::copy_of(&common::sample_data());
    let before = std::fs::read(dir.path().join("run_steps.csv")).expect("read");
    let text = String::from_utf8(before.clone()).expect("utf8");
    let last = text.trim_end_matches('\n').rfind('\n').expect("lines") + 1;
    let tail = "1086,160,71,True,2026-11-26 08:00:00,checked\n";
    store::write_redo(dir.path(), TableKind::RunSteps, last as u64, tail.as_bytes()).expect("redo");
    let after = [&before[..last], tail.as_bytes()].concat();
    (dir, before, after)
}

/// Item 3: a read command applied a leftover redo file blindly, deleting rows a `git
/// pull` had appended since. Now readers write nothing, and the lock's holder keeps both.
#[test]
fn a_redo_file_that_no_longer_fits_the_file_is_never_applied() {
    let (dir, before, _) = interrupted_tick();
    let path = dir.path().join("run_steps.csv");
    // A pull appends rows after the crash.
    let pulled = [before.as_slice(), b"1087,160,71,False,,\n"].concat();
    std::fs::write(&path, &pulled).expect("append");
    let loaded = store::load(dir.path()).expect("load");
    assert_eq!(std::fs::read(&path).expect("read"), pulled, "check changes nothing");
    assert!(dir.path().join(".run_steps.csv.redo").exists(), "and keeps the redo file");
    assert!(loaded.db.run_step(procedures::model::RunStepId(1087)).is_some(), "the pulled row is read");
    assert!(
        loaded.notes.iter().any(|n| n.contains("changed since a save to it was interrupted")),
        "{:?}",
        loaded.notes
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procedures")).arg("check").arg(dir.path()).output();
    let out = out.expect("check runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("note: run_steps.csv: changed since"), "says so");
    assert_eq!(std::fs::read(&path).expect("read"), pulled);

    // The app (holding the lock) keeps both: the file as it is, the save's rows aside.
    let (written, notes) = store::finish_interrupted(dir.path()).expect("settled");
    assert!(written.is_empty());
    assert_eq!(std::fs::read(&path).expect("read"), pulled);
    let kept = std::fs::read_to_string(dir.path().join("run_steps.csv.unfinished-save.csv")).expect("kept aside");
    assert_eq!(kept, "id,run_id,step_id,completed,completed_at,notes\n1086,160,71,True,2026-11-26 08:00:00,checked\n");
    assert!(notes[0].contains("run_steps.csv.unfinished-save.csv"), "{notes:?}");
    assert!(!dir.path().join(".run_steps.csv.redo").exists());
}

/// Item 3: a redo file whose offset lies past the end of the file padded it with NUL bytes.
#[test]
fn a_redo_file_past_the_end_of_the_file_pads_nothing() {
    let (dir, _, after) = interrupted_tick();
    let labels = dir.path().join("labels.csv");
    let labels_before = std::fs::read(&labels).expect("read");
    // A redo for labels.csv written when the file was longer (now cut short by hand).
    let long = [labels_before.as_slice(), &vec![b'x'; 5000], b"\n"].concat();
    std::fs::write(&labels, &long).expect("longer");
    store::write_redo(dir.path(), TableKind::Labels, 5000, b"9,late,#123456\n").expect("redo");
    std::fs::write(&labels, &labels_before).expect("cut");
    let (written, _) = store::finish_interrupted(dir.path()).expect("settled");
    assert!(!written.contains(&TableKind::Labels));
    assert_eq!(std::fs::read(&labels).expect("read"), labels_before, "no padding, no change");
    assert_eq!(std::fs::read(dir.path().join("run_steps.csv")).expect("read"), after, "the fitting one is finished");
}

/// Item 3: a save cut off half-way through its in-place write (some of the new bytes
/// there, the rest old) is read as finished, and finished by the lock's holder.
#[test]
fn a_half_applied_tail_write_is_read_and_finished_as_meant() {
    let (dir, before, after) = interrupted_tick();
    let path = dir.path().join("run_steps.csv");
    let mut torn = before.clone();
    let start = before.len() - "1086,160,71,False,,\n".len();
    torn[start..start + 12].copy_from_slice(&after[start..start + 12]);
    std::fs::write(&path, &torn).expect("torn");
    let loaded = store::load(dir.path()).expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.db.run_step(procedures::model::RunStepId(1086)).expect("row").notes(), "checked");
    assert_eq!(std::fs::read(&path).expect("read"), torn, "a reader writes nothing");
    store::finish_interrupted(dir.path()).expect("settled");
    assert_eq!(std::fs::read(&path).expect("read"), after);
}

/// Item 4: `check` in a loop while the app ticks: check used to delete the app's redo
/// file mid-save (a conflict nobody caused, an older state on disk, exit 2). Now the
/// readers only read; every check sees a whole state; the app's saves all land.
#[test]
fn check_racing_the_app_changes_nothing_and_always_reads_a_whole_folder() {
    use procedures::ops;
    let dir = common::copy_of(&common::sample_data());
    let path = dir.path().to_path_buf();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let checker = {
        let (path, stop) = (path.clone(), std::sync::Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut checks = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let loaded = store::load(&path).expect("check never fails");
                assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
                checks += 1;
            }
            checks
        })
    };
    let mut db = store::load(&path).expect("load").db;
    let mut writer = store::Writer::spawn(|| {});
    let ids: Vec<_> = db.run_steps_of(procedures::model::RunId(160)).map(|rs| rs.id).collect();
    let now = procedures::model::Timestamp::parse("2026-11-26 08:00:00").expect("ts");
    for round in 0..6 {
        for id in &ids {
            ops::set_step_completed(&mut db, *id, round % 2 == 0, now).expect("tick");
            writer.save_blocking(&path, &mut db).expect("every save lands");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let checks = checker.join().expect("checker");
    assert!(checks > 0);
    let on_disk = store::load(&path).expect("load").db;
    for id in &ids {
        assert_eq!(on_disk.run_step(*id).map(|rs| rs.completed), db.run_step(*id).map(|rs| rs.completed));
    }
    assert!(!path.join(".run_steps.csv.redo").exists());
}

/// A reader that found a save's redo file must not lay that save over the file once the
/// save finished and a later one rewrote the rows before it (ticks of an earlier step: the
/// lines shift). Under load this tore a line ("expected 6 fields, found 10"); the redo is
/// now applied only while it is the one the reader read.
#[test]
fn a_reader_never_lays_a_finished_save_over_a_later_one() {
    use procedures::ops;
    let dir = common::copy_of(&common::sample_data());
    let path = dir.path().to_path_buf();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let checkers: Vec<_> = (0..2)
        .map(|_| {
            let (path, stop) = (path.clone(), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut torn = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let loaded = store::load(&path).expect("check never fails");
                    torn.extend(loaded.problems);
                }
                torn
            })
        })
        .collect();
    let mut db = store::load(&path).expect("load").db;
    let mut writer = store::Writer::spawn(|| {});
    let ids: Vec<_> = db.run_steps_of(procedures::model::RunId(160)).map(|rs| rs.id).collect();
    let now = procedures::model::Timestamp::parse("2026-11-26 08:00:00").expect("ts");
    for round in 0..40 {
        // Last step first, then the first: each save starts earlier than the one before.
        for id in ids.iter().rev() {
            ops::set_step_completed(&mut db, *id, round % 2 == 0, now).expect("tick");
            writer.save_blocking(&path, &mut db).expect("every save lands");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in checkers {
        let torn = c.join().expect("checker");
        assert!(torn.is_empty(), "{:?}", &torn[..torn.len().min(3)]);
    }
}

/// Item 11: a read-only folder holding a leftover redo file opens (read as the save
/// meant), instead of failing with "Permission denied".
#[test]
fn a_read_only_folder_with_a_redo_file_opens() {
    use std::os::unix::fs::PermissionsExt as _;
    let (dir, before, _) = interrupted_tick();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let loaded = store::load(dir.path());
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    let loaded = loaded.expect("opens");
    assert_eq!(loaded.db.run_step(procedures::model::RunStepId(1086)).expect("row").notes(), "checked");
    assert_eq!(std::fs::read(dir.path().join("run_steps.csv")).expect("read"), before);
    assert!(dir.path().join(".run_steps.csv.redo").exists());
}

/// Item 10: a table that is a symbolic link is read but is a problem (the folder opens
/// read-only), one documented behaviour instead of "written through on a tail write,
/// replaced on a full rewrite".
#[test]
fn a_symlinked_table_is_read_but_never_written() {
    let (dir, outside, _) = folder_and_outside();
    let labels = dir.path().join("labels.csv");
    let target = outside.path().join("labels.csv");
    std::fs::rename(&labels, &target).expect("move out");
    symlink(&target, &labels).expect("link");
    let loaded = store::load(dir.path()).expect("load");
    assert!(!loaded.db.labels.is_empty(), "read");
    let problem = loaded.problems.iter().map(ToString::to_string).find(|p| p.contains("symbolic link"));
    assert_eq!(
        problem.as_deref(),
        Some(
            "labels.csv:0: is a symbolic link: the app reads it but writes only regular files inside the folder (replace the link with the file itself)"
        )
    );
}

/// Item 9: a header of a million columns is read in linear time (it took O(N²)).
#[test]
fn a_million_column_header_is_read_in_linear_time() {
    let mut header = String::from("id,name,color");
    for i in 0..1_000_000 {
        header.push_str(&format!(",c{i}"));
    }
    header.push('\n');
    let dir = common::folder(&[("labels.csv", &header)]);
    let (tx, rx) = std::sync::mpsc::channel();
    let path = dir.path().to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(store::load(&path).map(|l| l.problems.len()));
    });
    let problems = rx.recv_timeout(std::time::Duration::from_secs(120)).expect("finishes").expect("loads");
    assert_eq!(problems, 0);
}

/// Item 7: after a failed daily backup (a full disk), the next save makes it: it was
/// skipped for the day, leaving a `.partial` folder and no `.gitignore`.
#[test]
fn a_failed_daily_backup_is_made_at_the_next_save() {
    use procedures::ops;
    let dir = common::copy_of(&common::sample_data());
    // `.backups` as a file: making the backup fails, as on a full disk.
    std::fs::write(dir.path().join(".backups"), "in the way").expect("block");
    let mut db = store::load(dir.path()).expect("load").db;
    let mut writer = store::Writer::spawn(|| {});
    let now = procedures::model::Timestamp::parse("2026-11-26 08:00:00").expect("ts");
    let rs = db.run_steps_of(procedures::model::RunId(160)).next().expect("step").id;
    ops::set_step_completed(&mut db, rs, true, now).expect("tick");
    writer.save_blocking(dir.path(), &mut db).expect("the save itself lands");
    std::fs::remove_file(dir.path().join(".backups")).expect("unblock");
    ops::set_step_completed(&mut db, rs, false, now).expect("untick");
    writer.save_blocking(dir.path(), &mut db).expect("saved");
    let backups = store::list_backups(dir.path());
    assert_eq!(backups.len(), 1, "today's backup made at the next save");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join(".backups"))
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());
    assert!(dir.path().join(".gitignore").exists());
}

/// A planted `.backups` link would make backups write outside the folder.
#[test]
fn a_backups_folder_that_is_a_link_is_never_written_through() {
    let (dir, outside, _) = folder_and_outside();
    symlink(outside.path(), dir.path().join(".backups")).expect("link");
    assert!(store::daily_backup(dir.path(), "2026-12-02").is_err());
    assert!(!outside.path().join("2026-12-02").exists());
}
