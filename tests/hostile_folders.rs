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
