//! Store round trips: liberal reading, canonical writing, byte-identical re-save,
//! only changed tables rewritten, failed writes leave old files intact.

mod common;
use common::*;
use procedures::model::*;
use procedures::ops;
use procedures::store::{self, TableKind, TableSet};

fn load(dir: &std::path::Path) -> store::Loaded {
    let l = store::load(dir).expect("loads");
    assert!(l.problems.is_empty(), "{:#?}", l.problems);
    l
}

fn save_all(dir: &std::path::Path, db: &mut store::Dataset) {
    db.mark_changed(TableSet::all());
    store::save(dir, db).expect("saves");
}

#[test]
fn pandas_fixture_opens_and_normalizes_once() {
    let dir = copy_of(&pandas_fixture());
    let mut l = load(dir.path());
    assert_eq!(l.db.procedures.len(), 40);
    assert_eq!(l.db.steps.len(), 240);
    assert_eq!(l.db.runs.len(), 400);
    assert_eq!(l.db.run_steps.len(), 2400);
    // `233.0` read as 233 seconds; quoted text with commas and doubled quotes.
    let s3 = l.db.step(StepId(3)).expect("step 3");
    assert_eq!(s3.estimated_duration_secs, Some(233));
    assert_eq!(s3.description, "Step 3: check item, confirm \"ok\", note value");
    assert_eq!(l.db.run(RunId(1)).expect("run").procedure_version, None);

    save_all(dir.path(), &mut l.db);
    let steps = std::fs::read_to_string(dir.path().join("steps.csv")).expect("read");
    assert!(
        steps.contains("\n3,1,3,\"Step 3: check item, confirm \"\"ok\"\", note value\",233\n"),
        "{}",
        &steps[..300]
    );
    assert!(!steps.contains(".0\n"));
    let runs = std::fs::read_to_string(dir.path().join("runs.csv")).expect("read");
    assert!(runs.starts_with("id,procedure_id,start_time,end_time,status,notes,procedure_version\n"));

    // What the app wrote re-saves byte-identically, and loads to the same data.
    let first = snapshot_files(dir.path());
    let mut again = load(dir.path());
    save_all(dir.path(), &mut again.db);
    assert_eq!(snapshot_files(dir.path()), first);
    assert_eq!(again.db.run_steps.rows(), l.db.run_steps.rows());
    assert_eq!(again.db.versions.rows(), l.db.versions.rows());
}

#[test]
fn sample_data_resaves_byte_identically() {
    let dir = copy_of(&sample_data());
    let before = snapshot_files(dir.path());
    let mut l = load(dir.path());
    save_all(dir.path(), &mut l.db);
    assert_eq!(snapshot_files(dir.path()), before);
}

#[test]
fn liberal_forms_read_and_round_trip() {
    // BOM, CRLF, columns in another order, an extra column, offsets, fractions, T, 1/0.
    let dir = folder(&[
        ("procedures.csv", "\u{feff}name,id,version,owner\r\n\"Quote \"\"q\"\", comma, and\nnewline\",1,2.0,ann\r\n"),
        ("steps.csv", "id,procedure_id,order,description,estimated_duration\r\n1,1,1.0,Only step,90.0\r\n"),
        (
            "runs.csv",
            "id,procedure_id,start_time,end_time,status,notes\n1,1,2025-01-02T08:00:00.250,2025-01-02 08:10:00Z,completed,\n",
        ),
        ("run_steps.csv", "id,run_id,step_id,completed,completed_at,notes\n1,1,1,1,2025-01-02T09:05:00+01:00,done\n"),
    ]);
    let mut l = load(dir.path());
    let p = l.db.procedure(ProcedureId(1)).expect("procedure");
    assert_eq!(p.name, "Quote \"q\", comma, and\nnewline");
    assert_eq!(p.version, 2);
    assert_eq!(&*p.extra, &[Box::<str>::from("ann")]);
    assert_eq!(l.db.procedures.extra_columns.as_slice(), &["owner".to_owned()]);
    let rs = l.db.run_step(RunStepId(1)).expect("run step");
    assert!(rs.completed);
    assert_eq!(rs.completed_at().and_then(|t| t.offset_secs()), Some(3600));

    save_all(dir.path(), &mut l.db);
    let procs = std::fs::read_to_string(dir.path().join("procedures.csv")).expect("read");
    assert_eq!(
        procs,
        "id,name,description,created_at,updated_at,version,owner\n1,\"Quote \"\"q\"\", comma, and\nnewline\",,,,2,ann\n"
    );
    let steps = std::fs::read_to_string(dir.path().join("steps.csv")).expect("read");
    assert_eq!(steps, "id,procedure_id,order,description,estimated_duration\n1,1,1,Only step,90\n");
    let runs = std::fs::read_to_string(dir.path().join("runs.csv")).expect("read");
    assert!(runs.contains(",2025-01-02 08:00:00,"), "{runs}");
    // Missing files are written with their headers.
    let labels = std::fs::read_to_string(dir.path().join("labels.csv")).expect("read");
    assert_eq!(labels, "id,name,color\n");
    // And the canonical result loads back to the same rows.
    let again = load(dir.path());
    assert_eq!(again.db.procedures.rows(), l.db.procedures.rows());
}

#[test]
fn every_table_round_trips() {
    let dir = copy_of(&sample_data());
    let l = load(dir.path());
    let out = tempfile::tempdir().expect("tmp");
    let mut db = l.db.clone();
    save_all(out.path(), &mut db);
    let back = load(out.path());
    assert_eq!(back.db.procedures.rows(), l.db.procedures.rows());
    assert_eq!(back.db.steps.rows(), l.db.steps.rows());
    assert_eq!(back.db.runs.rows(), l.db.runs.rows());
    assert_eq!(back.db.run_steps.rows(), l.db.run_steps.rows());
    assert_eq!(back.db.labels.rows(), l.db.labels.rows());
    assert_eq!(back.db.procedure_labels.rows(), l.db.procedure_labels.rows());
    assert_eq!(back.db.versions.rows(), l.db.versions.rows());
}

#[test]
fn one_tick_changes_one_line_of_one_file() {
    let dir = copy_of(&sample_data());
    let before = snapshot_files(dir.path());
    let mut l = load(dir.path());
    let run = l.db.in_progress_runs().next().expect("an open run");
    let rs = l.db.run_steps_of(run).find(|rs| !rs.completed).expect("an open step").id;
    let done = ops::set_step_completed(&mut l.db, rs, true, Timestamp::parse("2026-11-25 09:00:00").expect("ts"))
        .expect("tick");
    assert_eq!(done.changed, TableSet::EMPTY.with(TableKind::RunSteps));
    store::save(dir.path(), &mut l.db).expect("save");
    let after = snapshot_files(dir.path());
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        if name == "run_steps.csv" {
            let a = String::from_utf8_lossy(a);
            let b = String::from_utf8_lossy(b);
            let diff: Vec<_> = a.lines().zip(b.lines()).filter(|(x, y)| x != y).collect();
            assert_eq!(diff.len(), 1, "{diff:?}");
            assert_eq!(a.lines().count(), b.lines().count());
            assert!(diff[0].1.contains(",True,2026-11-25 09:00:00,"), "{diff:?}");
        } else {
            assert_eq!(a, b, "{name} changed");
        }
    }
}

#[test]
fn failed_write_leaves_old_file_intact() {
    let dir = copy_of(&sample_data());
    let before = std::fs::read(dir.path().join("runs.csv")).expect("read");
    let mut l = load(dir.path());
    let run = l.db.in_progress_runs().next().expect("an open run");
    ops::set_run_note(&mut l.db, run, "changed").expect("note");
    // A directory where the temp file must go makes the write fail midway.
    std::fs::create_dir(dir.path().join(".runs.csv.tmp")).expect("mkdir");
    let err = store::save(dir.path(), &mut l.db).expect_err("save fails");
    assert!(err.to_string().contains("runs.csv"), "{err}");
    assert_eq!(std::fs::read(dir.path().join("runs.csv")).expect("read"), before);
    // The change is still pending and saves once the obstacle is gone.
    assert!(l.db.changed().contains(TableKind::Runs));
    std::fs::remove_dir(dir.path().join(".runs.csv.tmp")).expect("rmdir");
    store::save(dir.path(), &mut l.db).expect("save");
    assert!(std::fs::read_to_string(dir.path().join("runs.csv")).expect("read").contains(",changed,"));
}

#[test]
fn create_empty_folder_writes_headers_and_loads() {
    let dir = tempfile::tempdir().expect("tmp");
    let sub = dir.path().join("new");
    store::create_empty(&sub).expect("create");
    let l = load(&sub);
    assert_eq!(l.db.procedures.len(), 0);
    assert_eq!(std::fs::read_to_string(sub.join("procedure_labels.csv")).expect("read"), "procedure_id,label_id\n");
}

#[test]
fn missing_folder_is_an_error() {
    assert!(matches!(store::load(std::path::Path::new("/no/such/dir")), Err(store::Error::NotAFolder(_))));
}

#[test]
fn run_steps_of_a_run_are_found_when_a_hand_edit_scattered_them() {
    // Run steps of runs 1 and 2 interleaved (a hand edit; the app writes them together).
    let dir = folder(&[
        VALID[0],
        VALID[1],
        (
            "runs.csv",
            "id,procedure_id,start_time,end_time,status,notes,procedure_version\n\
             1,1,2025-01-02 08:00:00,2025-01-02 08:10:00,completed,,1\n\
             2,1,2025-01-03 08:00:00,,in_progress,,1\n",
        ),
        (
            "run_steps.csv",
            "id,run_id,step_id,completed,completed_at,notes\n\
             1,1,1,True,2025-01-02 08:01:00,\n2,2,1,False,,\n3,1,2,True,2025-01-02 08:09:00,\n4,2,2,False,,\n",
        ),
    ]);
    let mut db = load(dir.path()).db;
    let ids = |db: &store::Dataset, run: u32| db.run_step_ids(RunId(run)).iter().map(|r| r.0).collect::<Vec<_>>();
    assert_eq!(ids(&db, 1), [1, 3]);
    assert_eq!(ids(&db, 2), [2, 4]);
    assert_eq!(db.run_steps_of(RunId(9)).len(), 0, "no such run");
    // A new run is indexed too, and the old ones stay right.
    let run = ops::start_run(&mut db, ProcedureId(1), Timestamp::now()).expect("start").value;
    assert_eq!(ids(&db, run.0), [5, 6]);
    assert_eq!(ids(&db, 1), [1, 3]);
    // Deleting the procedure drops them all.
    ops::delete_procedure(&mut db, ProcedureId(1)).expect("delete");
    assert_eq!(db.run_steps_of(RunId(1)).len(), 0);
}
