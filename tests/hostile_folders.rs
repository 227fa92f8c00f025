//! Folders that try to make the app write outside them (issue #18): planted symbolic
//! links in place of the lock, temporary and redo files are never followed.
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
