//! Every op: effects, validation, versions and the cascade.

mod common;
use procedures::model::*;
use procedures::ops::{self, OpError, ProcedureDraft, StepDraft};
use procedures::store::{self, Dataset, TableKind};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

fn empty_db() -> Dataset {
    Dataset::default()
}

fn draft(name: &str, steps: &[&str]) -> ProcedureDraft {
    ProcedureDraft {
        name: name.into(),
        description: "desc".into(),
        steps: steps.iter().map(|s| StepDraft::tick(s, Some(60))).collect(),
        labels: vec![],
    }
}

#[test]
fn create_procedure_writes_steps_labels_and_version_1() {
    let mut db = empty_db();
    let label = ops::create_label(&mut db, "daily", "#3CB44B").expect("label").value;
    let mut d = draft("Open kitchen", &["Lights", "Coffee"]);
    d.labels = vec![label];
    let done = ops::create_procedure(&mut db, &d, t("2025-01-01 08:00:00")).expect("create");
    let pid = done.value;
    for table in [TableKind::Procedures, TableKind::Steps, TableKind::ProcedureLabels, TableKind::Versions] {
        assert!(done.changed.contains(table), "{table:?}");
    }
    assert_eq!(db.procedure(pid).expect("p").version, 1);
    let steps: Vec<_> = db.steps_of(pid).map(|s| (s.order, s.description.clone())).collect();
    assert_eq!(steps, vec![(1, "Lights".to_owned()), (2, "Coffee".to_owned())]);
    assert_eq!(db.labels_of(pid), &[label]);
    assert_eq!(db.label(label).expect("l").color, "#3cb44b");
    let v = db.version(db.versions_of(pid)[0]).expect("v1");
    assert_eq!(v.version, 1);
    let snap = Snapshot::parse(&v.procedure_snapshot).expect("json");
    assert_eq!(snap.name, "Open kitchen");
    assert_eq!(snap.labels, vec!["daily".to_owned()]);
    assert_eq!(snap.steps.len(), 2);
    assert_eq!(snap.steps[1].id, Some(2));
    assert_eq!(snap.steps[1].estimated_duration, Some(60));
    // JSON keys as DESIGN.md lists them.
    assert!(v.procedure_snapshot.starts_with("{\"id\":1,\"name\":\"Open kitchen\",\"description\":\"desc\",\"version\":1,\"labels\":[\"daily\"],\"steps\":[{\"id\":1,\"order\":1,"));
}

#[test]
fn invalid_input_is_refused_without_change() {
    let mut db = empty_db();
    assert!(matches!(ops::create_procedure(&mut db, &draft("  ", &["a"]), t("2025-01-01")), Err(OpError::Invalid(_))));
    assert!(matches!(
        ops::create_procedure(&mut db, &draft("x", &["a", " "]), t("2025-01-01")),
        Err(OpError::Invalid(_))
    ));
    assert!(ops::create_label(&mut db, "", "#000000").is_err());
    assert!(ops::create_label(&mut db, "x", "red").is_err());
    assert!(ops::start_run(&mut db, ProcedureId(9), t("2025-01-01")).is_err());
    assert!(ops::set_step_completed(&mut db, RunStepId(1), true, t("2025-01-01")).is_err());
    assert!(ops::finish_run(&mut db, RunId(1), RunStatus::Completed, t("2025-01-01")).is_err());
    assert_eq!(db.procedures.len(), 0);
    assert!(db.changed().is_empty());
    ops::create_label(&mut db, "Daily", "#000000").expect("label");
    assert!(ops::create_label(&mut db, "daily", "#000000").is_err(), "names are unique, case-insensitively");
}

#[test]
fn update_procedure_creates_new_versions_and_keeps_history() {
    let mut db = empty_db();
    let pid = ops::create_procedure(&mut db, &draft("P", &["a", "b", "c"]), t("2025-01-01")).expect("c").value;
    let run = ops::start_run(&mut db, pid, t("2025-01-02")).expect("run").value;
    let old_steps: Vec<StepId> = db.run_steps_of(run).map(|rs| rs.step_id).collect();

    let mut d = ProcedureDraft::of(&db, pid).expect("draft");
    d.steps.remove(1); // remove "b"
    d.steps.swap(0, 1); // c, a
    d.steps.push(StepDraft::tick("d", None));
    d.name = "P2".into();
    let v =
        ops::update_procedure(&mut db, pid, &d, "renamed; removed b; moved c; added d", t("2025-01-03")).expect("u");
    assert_eq!(v.value, 2);
    assert!(v.changed.contains(TableKind::Steps));
    assert!(!v.changed.contains(TableKind::ProcedureLabels));
    let texts: Vec<_> = db.steps_of(pid).map(|s| s.description.clone()).collect();
    assert_eq!(texts, ["c", "a", "d"]);
    assert_eq!(db.versions_of(pid).len(), 2);
    let v2 = db.version_snapshot(pid, 2).expect("v2");
    assert_eq!(v2.name, "P2");
    assert_eq!(v2.steps.iter().map(|s| s.order).collect::<Vec<_>>(), [1, 2, 3]);
    let v1 = db.version_snapshot(pid, 1).expect("v1");
    assert_eq!(v1.steps[1].description, "b");
    // The run of version 1 still resolves the removed step "b".
    assert_eq!(db.run(run).expect("run").procedure_version, Some(1));
    assert_eq!(db.step_text(pid, old_steps[1]).as_deref(), Some("b"));
    assert_eq!(db.run_steps_of(run).len(), 3, "editing never changes a run's steps");
    // Saving the same content again is refused.
    let same = ProcedureDraft::of(&db, pid).expect("draft");
    assert!(ops::update_procedure(&mut db, pid, &same, "again", t("2025-01-04")).is_err());
}

#[test]
fn delete_procedure_cascades_with_counts() {
    let mut db = empty_db();
    let keep = ops::create_procedure(&mut db, &draft("Keep", &["x"]), t("2025-01-01")).expect("c").value;
    let label = ops::create_label(&mut db, "l", "#000000").expect("l").value;
    let mut d = draft("Gone", &["a", "b"]);
    d.labels = vec![label];
    let pid = ops::create_procedure(&mut db, &d, t("2025-01-01")).expect("c").value;
    ops::start_run(&mut db, pid, t("2025-01-02")).expect("run");
    ops::start_run(&mut db, pid, t("2025-01-03")).expect("run");
    let kept_run = ops::start_run(&mut db, keep, t("2025-01-03")).expect("run").value;
    let impact = ops::delete_impact(&db, pid);
    assert_eq!((impact.runs, impact.run_steps, impact.steps, impact.versions, impact.labels), (2, 4, 2, 1, 1));
    let done = ops::delete_procedure(&mut db, pid).expect("delete");
    assert_eq!(done.value, impact);
    assert!(db.procedure(pid).is_none());
    assert_eq!(db.runs.len(), 1);
    assert_eq!(db.run_steps.len(), 1);
    assert_eq!(db.steps.len(), 1);
    assert_eq!(db.versions.len(), 1);
    assert_eq!(db.procedure_labels.len(), 0);
    assert_eq!(db.in_progress_runs().collect::<Vec<_>>(), vec![kept_run]);
    assert!(db.label(label).is_some(), "labels themselves stay");
}

#[test]
fn labels_rename_recolor_delete_attach_detach() {
    let mut db = empty_db();
    let pid = ops::create_procedure(&mut db, &draft("P", &["x"]), t("2025-01-01")).expect("c").value;
    let a = ops::create_label(&mut db, "alpha", "#111111").expect("l").value;
    let b = ops::create_label(&mut db, "beta", "#222222").expect("l").value;
    ops::attach_label(&mut db, pid, a).expect("attach");
    ops::attach_label(&mut db, pid, b).expect("attach");
    assert_eq!(ops::attach_label(&mut db, pid, b).expect("again").changed, store::TableSet::EMPTY);
    assert_eq!(db.labels_of(pid), &[a, b]);
    ops::rename_label(&mut db, a, "zeta").expect("rename");
    assert_eq!(db.labels_of(pid), &[b, a], "sorted by name");
    assert!(ops::rename_label(&mut db, a, "BETA").is_err());
    ops::recolor_label(&mut db, b, "#abcdef").expect("recolor");
    assert_eq!(db.label(b).expect("b").color, "#abcdef");
    ops::detach_label(&mut db, pid, a).expect("detach");
    assert_eq!(db.labels_of(pid), &[b]);
    assert_eq!(ops::delete_label(&mut db, b).expect("delete").value, 1);
    assert!(db.labels_of(pid).is_empty());
    assert_eq!(db.procedures_with_label(b), &[] as &[ProcedureId]);
}

#[test]
fn runs_start_tick_note_finish() {
    let mut db = empty_db();
    let pid = ops::create_procedure(&mut db, &draft("P", &["a", "b"]), t("2025-01-01")).expect("c").value;
    let run = ops::start_run(&mut db, pid, t("2025-01-02 08:00:00")).expect("run").value;
    let other = ops::start_run(&mut db, pid, t("2025-01-02 08:05:00")).expect("run").value;
    assert_eq!(db.in_progress_count(), 2, "several runs in progress at once");
    let rs = db.run_step_ids(run);
    assert_eq!(rs.len(), 2);
    assert_eq!(db.run(run).expect("r").procedure_version, Some(1));

    ops::set_step_completed(&mut db, rs[1], true, t("2025-01-02 08:03:00")).expect("tick out of order");
    assert_eq!(db.run_step(rs[1]).expect("rs").completed_at(), Some(t("2025-01-02 08:03:00")));
    ops::set_step_completed(&mut db, rs[1], false, t("2025-01-02 08:04:00")).expect("untick");
    assert_eq!(db.run_step(rs[1]).expect("rs").completed_at(), None);
    ops::set_step_completed(&mut db, rs[0], true, t("2025-01-02 08:05:00")).expect("tick");
    ops::set_step_note(&mut db, rs[0], "all good").expect("note");
    assert_eq!(db.run_step(rs[0]).expect("rs").notes(), "all good");
    ops::set_run_note(&mut db, run, "smooth").expect("run note");

    ops::finish_run(&mut db, run, RunStatus::Completed, t("2025-01-02 08:10:00")).expect("finish");
    let r = db.run(run).expect("r");
    assert_eq!((r.status, r.end_time), (RunStatus::Completed, Some(t("2025-01-02 08:10:00"))));
    assert!(
        ops::set_step_completed(&mut db, rs[1], true, t("2025-01-02 08:11:00")).is_err(),
        "finished runs are closed"
    );
    assert!(ops::finish_run(&mut db, run, RunStatus::Cancelled, t("2025-01-02 08:11:00")).is_err());
    ops::finish_run(&mut db, other, RunStatus::Cancelled, t("2025-01-02 08:06:00")).expect("cancel");
    assert_eq!(db.in_progress_count(), 0);
}

#[test]
fn ops_results_pass_check_after_save() {
    let dir = tempfile::tempdir().expect("tmp");
    store::create_empty(dir.path()).expect("create");
    let mut db = store::load(dir.path()).expect("load").db;
    let pid = ops::create_procedure(&mut db, &draft("P", &["a", "b"]), t("2025-01-01")).expect("c").value;
    let run = ops::start_run(&mut db, pid, t("2025-01-02")).expect("run").value;
    let first = db.run_step_ids(run)[0];
    ops::set_step_completed(&mut db, first, true, t("2025-01-02 00:01:00")).expect("tick");
    let mut d = ProcedureDraft::of(&db, pid).expect("draft");
    d.steps.remove(0);
    ops::update_procedure(&mut db, pid, &d, "removed a", t("2025-01-03")).expect("update");
    store::save(dir.path(), &mut db).expect("save");
    let back = store::load(dir.path()).expect("load");
    assert!(back.problems.is_empty(), "{:#?}", back.problems);
}

#[test]
fn restore_writes_a_new_version_equal_to_the_old_one() {
    let mut db = empty_db();
    let label = ops::create_label(&mut db, "daily", "#3cb44b").expect("l").value;
    let mut d = draft("P", &["a", "b", "c"]);
    d.labels = vec![label];
    let pid = ops::create_procedure(&mut db, &d, t("2025-01-01")).expect("c").value;
    let v1 = db.version_snapshot(pid, 1).expect("v1");

    let mut d2 = ProcedureDraft::of(&db, pid).expect("draft");
    d2.steps.remove(1);
    d2.steps.swap(0, 1);
    d2.labels.clear();
    d2.name = "P renamed".into();
    ops::update_procedure(&mut db, pid, &d2, "edit", t("2025-01-02")).expect("v2");
    ops::delete_label(&mut db, label).expect("delete label");

    let done = ops::restore_version(&mut db, pid, 1, t("2025-01-03")).expect("restore");
    assert_eq!(done.value, 3);
    let v3 = db.version_snapshot(pid, 3).expect("v3");
    let strip = |s: &Snapshot| (s.name.clone(), s.description.clone(), s.labels.clone(), s.steps.clone());
    assert_eq!(strip(&v3), strip(&v1), "same content, same step ids");
    assert_eq!(
        db.version(*db.versions_of(pid).last().expect("v")).expect("row").change_description,
        "restored version 1"
    );
    assert!(ops::diff(&v1, &v3).is_empty());
}

#[test]
fn duplicate_is_a_new_procedure_at_version_1() {
    let mut db = empty_db();
    let pid = ops::create_procedure(&mut db, &draft("Open", &["a", "b"]), t("2025-01-01")).expect("c").value;
    let mut d = ProcedureDraft::of(&db, pid).expect("d");
    d.steps.pop();
    ops::update_procedure(&mut db, pid, &d, "x", t("2025-01-02")).expect("v2");
    ops::start_run(&mut db, pid, t("2025-01-03")).expect("run");
    let copy = ops::duplicate_procedure(&mut db, pid, t("2025-01-04")).expect("dup").value;
    let p = db.procedure(copy).expect("copy");
    assert_eq!((p.name.as_str(), p.version), ("Copy of Open", 1));
    assert_eq!(db.runs_of(copy).len(), 0);
    let texts: Vec<_> = db.steps_of(copy).map(|s| s.description.clone()).collect();
    assert_eq!(texts, ["a"]);
    assert!(db.steps_of(copy).all(|s| db.steps_of(pid).all(|o| o.id != s.id)), "new step ids");
}

#[test]
fn automatic_change_summary() {
    let mut db = empty_db();
    let pid = ops::create_procedure(&mut db, &draft("P", &["a", "b", "c"]), t("2025-01-01")).expect("c").value;
    let before = ops::snapshot_of(&db, pid).expect("snap");
    let mut d = ProcedureDraft::of(&db, pid).expect("d");
    d.name = "P2".into();
    d.steps[1].description = "b, carefully".into();
    d.steps.remove(0);
    d.steps.push(StepDraft::tick("d", None));
    d.steps.push(StepDraft::tick("e", None));
    let summary = ops::draft_summary(&db, pid, &d);
    assert_eq!(summary, "renamed; added steps 3–4; reworded step 1; removed 1 step");
    let v = ops::update_procedure(&mut db, pid, &d, &summary, t("2025-01-02")).expect("v2").value;
    let after = db.version_snapshot(pid, v).expect("v2");
    assert_eq!(ops::summary(&ops::diff(&before, &after), &before, &after), summary);
}

#[test]
fn pasted_lists_become_steps() {
    let text = "# Opening\n- Lights on\n* [ ] Coffee machine (5m)\n1. Unlock doors\n2) Count the till (1h30m)\n\n[x] Music\nplain line\n";
    let steps = procedures::transfer::parse_step_list(text);
    let got: Vec<(&str, Option<u32>)> =
        steps.iter().map(|s| (s.description.as_str(), s.estimated_duration_secs)).collect();
    assert_eq!(
        got,
        vec![
            ("Lights on", None),
            ("Coffee machine", Some(300)),
            ("Unlock doors", None),
            ("Count the till", Some(5400)),
            ("Music", None),
            ("plain line", None)
        ]
    );
}
