//! Steps that record what was found (issue #14): the new columns read and written,
//! values judged and flagged, conditions, required values, who did it.

mod common;
use common::*;
use procedures::model::*;
use procedures::ops::{self, RunStart};
use procedures::store::{self, RunSheet, TableSet, Writer};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("ts")
}

/// A kitchen opening: a section, a fridge temperature with a range, a choice that
/// decides whether the fryer is cleaned, a date, a sign-off.
const KITCHEN: &[(&str, &str)] = &[
    (
        "procedures.csv",
        "id,name,description,created_at,updated_at,version\n1,Kitchen opening,,2026-01-01 08:00:00,2026-01-01 08:00:00,1\n",
    ),
    (
        "steps.csv",
        "id,procedure_id,order,description,estimated_duration,kind,options,required,show_if\n\
1,1,1,Cold room,,section,,,\n\
2,1,2,Fridge temperature,60,number,°C 0..5,,\n\
3,1,3,Fryer on?,,choice,Yes|No,,\n\
4,1,4,Clean the fryer,,,,,3 = Yes\n\
5,1,5,Milk best before,,date,,False,\n\
6,1,6,Signed off by,,signoff,,,\n",
    ),
    ("runs.csv", "id,procedure_id,start_time,end_time,status,notes,procedure_version\n"),
    ("run_steps.csv", "id,run_id,step_id,completed,completed_at,notes\n"),
    ("versions.csv", "id,procedure_id,version,created_at,change_description,procedure_snapshot\n"),
];

#[test]
fn every_new_column_round_trips_byte_identical() {
    let dir = folder(&[
        (
            "procedures.csv",
            "id,name,description,created_at,updated_at,version\n1,P,,2026-01-01 08:00:00,2026-01-01 08:00:00,1\n",
        ),
        (
            "steps.csv",
            "id,procedure_id,order,description,estimated_duration,kind,options,required,show_if\n1,1,1,Temp,,number,°C 0..5,True,\n2,1,2,Ok?,,choice,Pass|!Fail,,\n3,1,3,Then,,,,,2 = Fail\n",
        ),
        (
            "runs.csv",
            "id,procedure_id,start_time,end_time,status,notes,procedure_version,started_by,title,scheduled_for\n1,1,2026-01-02 08:00:00,,in_progress,,1,Ann,web-01,2026-01-02 07:00:00\n",
        ),
        (
            "run_steps.csv",
            "id,run_id,step_id,completed,completed_at,notes,value,completed_by\n1,1,1,True,2026-01-02 08:01:00,,3.5,Ann\n2,1,2,True,2026-01-02 08:02:00,,Fail,Bob\n3,1,3,False,,,,\n",
        ),
    ]);
    let before = snapshot_files(dir.path());
    let loaded = store::load(dir.path()).expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let mut db = loaded.db;
    let r = db.run(RunId(1)).expect("run");
    assert_eq!((r.started_by.as_str(), r.title()), ("Ann", "web-01"));
    let rs = db.run_step(RunStepId(2)).expect("rs");
    assert_eq!((rs.value(), rs.completed_by.as_str()), ("Fail", "Bob"));
    db.mark_full(TableSet::all());
    store::save(dir.path(), &mut db).expect("saved");
    let after: Vec<_> =
        snapshot_files(dir.path()).into_iter().filter(|(n, _)| before.iter().any(|(b, _)| b == n)).collect();
    assert_eq!(after, before, "written back byte-identical");
}

#[test]
fn an_old_folder_keeps_its_headers_until_a_row_needs_a_new_column() {
    let dir = copy_of(&sample_data());
    let header = |f: &str| {
        std::fs::read_to_string(dir.path().join(f)).expect("read").lines().next().unwrap_or_default().to_owned()
    };
    let old_run_steps = header("run_steps.csv");
    let mut db = store::load(dir.path()).expect("load").db;
    let mut writer = Writer::spawn(|| {});
    let rs = db.run_steps_of(RunId(160)).next().expect("rs").id;
    ops::set_step_completed(&mut db, rs, true, t("2026-11-26 08:00:00")).expect("tick");
    writer.save_blocking(dir.path(), &mut db).expect("saved");
    assert_eq!(header("run_steps.csv"), old_run_steps, "a tick without a name adds no column");
    ops::set_step_completed(&mut db, rs, false, t("2026-11-26 08:00:00")).expect("untick");
    ops::set_step_completed_by(&mut db, rs, true, t("2026-11-26 08:01:00"), Name::of("Ann").expect("name"))
        .expect("tick");
    writer.save_blocking(dir.path(), &mut db).expect("saved");
    assert_eq!(header("run_steps.csv"), format!("{old_run_steps},completed_by"));
    let again = store::load(dir.path()).expect("load");
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!(again.db.run_step(rs).expect("rs").completed_by.as_str(), "Ann");
}

#[test]
fn values_are_recorded_flagged_and_refused_as_the_contract_says() {
    let dir = folder(KITCHEN);
    let mut db = store::load(dir.path()).expect("load").db;
    let ann = Name::of("Ann").expect("name");
    let now = t("2026-01-02 08:00:00");
    let start = RunStart { by: ann, title: "Monday".into(), scheduled_for: None };
    let run = ops::start_run_with(&mut db, ProcedureId(1), now, &start).expect("start").value;
    // No run_steps row for the section.
    assert_eq!(db.run_steps_of(run).count(), 5);
    assert_eq!(db.run(run).expect("run").started_by, ann);
    let ids: Vec<(StepId, RunStepId)> = db.run_steps_of(run).map(|r| (r.step_id, r.id)).collect();
    let rs = |step: u32| ids.iter().find(|(s, _)| *s == StepId(step)).expect("rs").1;

    // An in-range temperature, then an out-of-range one: recorded and flagged.
    let ok = ops::record_value(&mut db, rs(2), "3,5", now, ann).expect("recorded");
    assert_eq!(ok.value, None);
    assert_eq!(db.run_step(rs(2)).expect("rs").value(), "3.5");
    let flagged = ops::record_value(&mut db, rs(2), "7", now, ann).expect("recorded");
    assert_eq!(flagged.value.as_deref(), Some("outside 0–5 °C"));
    assert!(db.run_step(rs(2)).expect("rs").completed);
    let err = ops::record_value(&mut db, rs(2), "warm", now, ann).expect_err("refused");
    assert!(err.to_string().contains("is not a number"), "{err}");
    let err = ops::record_value(&mut db, rs(3), "Maybe", now, ann).expect_err("refused");
    assert!(err.to_string().contains("not one of the answers"), "{err}");
    // A required value step cannot be ticked bare.
    let err = ops::set_step_completed(&mut db, rs(6), true, now).expect_err("refused");
    assert!(err.to_string().contains("needs a value"), "{err}");

    // The fryer is off: cleaning it is not needed, and does not block completing.
    ops::record_value(&mut db, rs(3), "no", now, ann).expect("recorded");
    assert_eq!(db.run_step(rs(3)).expect("rs").value(), "No", "the answer's spelling");
    let sheet = RunSheet::of(&db, run);
    let needed = sheet.needed(&db);
    let clean = sheet.items.iter().position(|i| i.step == StepId(4)).expect("item");
    assert!(!needed[clean]);
    // A step its condition hides takes no tick (the runner does not show it; `run tick`
    // is refused with the condition).
    let clean_rs = sheet.items[clean].run_step.expect("a row");
    let err = ops::set_step_completed(&mut db, clean_rs, true, now).expect_err("refused");
    assert!(err.to_string().contains("is not needed in this run (only if “"), "{err}");
    assert!(!db.run_step(clean_rs).expect("rs").completed);
    // Completing is refused while the sign-off is missing, naming it.
    let err = ops::finish_run(&mut db, run, RunStatus::Completed, now).expect_err("refused");
    assert_eq!(err.to_string(), "Cannot complete: a required step has no value yet: “Signed off by”");
    ops::record_value(&mut db, rs(6), "Ann Lee", now, ann).expect("signed");
    // The fryer is on after all: cleaning is needed (a tick, not required), still completes.
    ops::record_value(&mut db, rs(3), "Yes", now, ann).expect("recorded");
    assert!(RunSheet::of(&db, run).needed(&db)[clean]);
    ops::finish_run(&mut db, run, RunStatus::Completed, now).expect("completes");

    // What was recorded is written and read back, and checks clean.
    store::save(dir.path(), &mut db).expect("saved");
    let again = store::load(dir.path()).expect("load");
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    let text = std::fs::read_to_string(dir.path().join("run_steps.csv")).expect("read");
    assert!(text.starts_with("id,run_id,step_id,completed,completed_at,notes,value,completed_by\n"), "{text}");
    assert!(text.contains(",7,Ann\n") && text.contains(",Ann Lee,Ann\n"), "{text}");
    // stats --json: per-step values (count, min, median, max, flagged; counts per answer).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procedures"))
        .args(["stats", "--json"])
        .arg(dir.path())
        .output()
        .expect("stats");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let values = &v["procedures"][0]["values"];
    assert_eq!(values[0]["step"], "Fridge temperature");
    assert_eq!(
        (values[0]["count"].as_u64(), values[0]["max"].as_f64(), values[0]["flagged"].as_u64()),
        (Some(1), Some(7.0), Some(1))
    );
    assert_eq!(values[0]["unit"], "°C");
    assert_eq!(values[1]["kind"], "choice");
    assert_eq!(
        values[1]["answers"],
        serde_json::json!([{"answer": "Yes", "count": 1, "flagged": false}, {"answer": "No", "count": 0, "flagged": false}])
    );
    // Analytics of the procedure: the values with the flagged one; the overview counts it.
    use procedures::analysis::{self, Selection};
    let today = Timestamp::now().local_date();
    let one =
        analysis::report(&again.db, &Selection { procedure: Some(ProcedureId(1)), ..Selection::default() }, today);
    assert_eq!(
        (one.values[0].step.as_str(), one.values[0].flagged, one.values[0].range),
        ("Fridge temperature", 1, (Some(0.0), Some(5.0)))
    );
    assert_eq!(one.values[0].series.len(), 1);
    let all = analysis::report(&again.db, &Selection::default(), today);
    assert_eq!(all.overview[0].flagged, 1);
    let runs = std::fs::read_to_string(dir.path().join("runs.csv")).expect("read");
    assert!(
        runs.starts_with("id,procedure_id,start_time,end_time,status,notes,procedure_version,started_by,title\n"),
        "{runs}"
    );
}

#[test]
fn a_condition_on_a_later_or_valueless_step_is_refused_in_the_editor() {
    let dir = folder(KITCHEN);
    let mut db = store::load(dir.path()).expect("load").db;
    let mut d = ops::ProcedureDraft::of(&db, ProcedureId(1)).expect("draft");
    assert_eq!(d.steps[3].show_if.as_ref().map(|c| c.on), Some(2), "the condition reads as an index");
    d.steps[3].show_if = Some(ops::DraftCondition { on: 4, op: Op::Eq, value: "x".into() });
    let err = ops::update_procedure(&mut db, ProcedureId(1), &d, "x", t("2026-01-02 08:00:00")).expect_err("refused");
    assert!(err.to_string().contains("earlier step"), "{err}");
    d.steps[3].show_if = Some(ops::DraftCondition { on: 0, op: Op::Eq, value: "x".into() });
    let err = ops::update_procedure(&mut db, ProcedureId(1), &d, "x", t("2026-01-02 08:00:00")).expect_err("refused");
    assert!(err.to_string().contains("records no value"), "{err}");
    // A new step with a condition on another new one gets the saved id.
    d.steps[3].show_if = None;
    d.steps.push(ops::StepDraft {
        kind: StepKind::Choice,
        options: "A|B".into(),
        ..ops::StepDraft::tick("Pick", None)
    });
    d.steps.push(ops::StepDraft {
        show_if: Some(ops::DraftCondition { on: 6, op: Op::Eq, value: "B".into() }),
        ..ops::StepDraft::tick("Only for B", None)
    });
    ops::update_procedure(&mut db, ProcedureId(1), &d, "x", t("2026-01-02 08:00:00")).expect("saved");
    let steps: Vec<&Step> = db.steps_of(ProcedureId(1)).collect();
    assert_eq!(steps[7].show_if, format!("{} = B", steps[6].id));
    // The version snapshot carries kind, options and conditions.
    let snap = db.version_snapshot(ProcedureId(1), 2).expect("v2");
    assert_eq!((snap.steps[6].kind.as_str(), snap.steps[6].options.as_str()), ("choice", "A|B"));
    assert_eq!(snap.steps[7].show_if, format!("{} = B", steps[6].id));
}

/// `procedures run start|tick|finish`, end to end, and a refusal while the app holds the
/// folder.
#[test]
fn the_run_commands_record_a_run_from_a_script() {
    let dir = folder(KITCHEN);
    let exe = env!("CARGO_BIN_EXE_procedures");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(exe).args(args).output().expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        )
    };
    let d = dir.path().to_str().expect("utf8");
    let (code, id, err) = run(&["run", "start", d, "--procedure", "1", "--title", "Monday", "--by", "Ann"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(id, "1");
    let (code, said, _) = run(&["run", "tick", d, "--run", "1", "--step", "2", "--value", "7", "--by", "Ann"]);
    assert_eq!((code, said.as_str()), (Some(0), "ticked step 2 (“Fridge temperature”): 7, flagged (outside 0–5 °C)"));
    let (code, _, err) = run(&["run", "tick", d, "--run", "1", "--step", "2", "--value", "warm"]);
    assert_eq!(code, Some(2));
    assert_eq!(err, "error: “Fridge temperature”: \"warm\" is not a number (write it like 3.5)");
    let (code, _, err) = run(&["run", "tick", d, "--run", "1", "--step", "1"]);
    assert_eq!((code, err.as_str()), (Some(2), "error: step 1 (“Cold room”) is a section: it is not ticked"));
    let (code, _, err) = run(&["run", "finish", d, "--run", "1", "--status", "completed"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("Cannot complete: required steps have no value yet: “Fryer on?”, “Signed off by”"), "{err}");
    run(&["run", "tick", d, "--run", "1", "--step", "3", "--value", "no"]);
    let (code, _, err) =
        run(&["run", "tick", d, "--run", "1", "--step", "6", "--value", "Ann Lee", "--note", "all good"]);
    assert_eq!(code, Some(0), "{err}");

    // While the app holds the folder, nothing is written and the command says why.
    let tables = |dir: &std::path::Path| {
        snapshot_files(dir).into_iter().filter(|(n, _)| n.ends_with(".csv")).collect::<Vec<_>>()
    };
    let before = tables(dir.path());
    let lock = store::lock_folder(dir.path()).expect("lock");
    assert!(matches!(lock, store::LockOutcome::Acquired(_)));
    let (code, _, err) = run(&["run", "finish", d, "--run", "1", "--status", "completed"]);
    assert_eq!(code, Some(2));
    // (after waiting a few seconds for the lock, naming who holds it)
    assert!(err.starts_with("error: the folder stayed locked for 5 s by the Procedures app on host "), "{err}");
    assert_eq!(tables(dir.path()), before);
    drop(lock);

    let (code, said, err) = run(&["run", "finish", d, "--run", "1", "--status", "completed"]);
    assert_eq!((code, said.as_str()), (Some(0), "run 1 completed"), "{err}");
    let loaded = store::load(dir.path()).expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let r = loaded.db.run(RunId(1)).expect("run");
    assert_eq!((r.status, r.title(), r.started_by.as_str()), (RunStatus::Completed, "Monday", "Ann"));
    let signed = loaded.db.run_steps_of(RunId(1)).find(|rs| rs.step_id == StepId(6)).expect("rs");
    assert_eq!((signed.value(), signed.notes()), ("Ann Lee", "all good"));
}

/// The printable checklist leaves blanks for values ("____ °C (0–5 °C)") and sections as
/// headings; pasting or importing it reads them back as the same kinds and options.
#[test]
fn checklists_print_blanks_and_read_them_back_as_kinds() {
    let dir = folder(KITCHEN);
    let db = store::load(dir.path()).expect("load").db;
    let md = procedures::transfer::procedure_markdown(&db, ProcedureId(1)).expect("md");
    assert!(md.contains("\n## Cold room\n"), "{md}");
    assert!(md.contains("- [ ] Fridge temperature ____ °C (0–5 °C) (1m)\n"), "{md}");
    assert!(md.contains("- [ ] Fryer on? [Yes / No]\n"), "{md}");
    assert!(md.contains("- [ ] Milk best before ____-__-__\n"), "{md}");
    assert!(md.contains("- [ ] Signed off by Signed: ____________\n"), "{md}");
    // Conditions are on paper too, and come back as conditions.
    assert!(md.contains("- [ ] Clean the fryer — only if “Fryer on?” is Yes\n"), "{md}");
    let back = procedures::transfer::parse_checklist(&md, "x");
    let got: Vec<(String, StepKind, String)> =
        back.steps.iter().map(|s| (s.description.clone(), s.kind, s.options.clone())).collect();
    let want: Vec<(String, StepKind, String)> =
        db.steps_of(ProcedureId(1)).map(|s| (s.description.clone(), s.kind, s.options.clone())).collect();
    assert_eq!(got, want);
    assert_eq!(back.steps[3].show_if, Some(ops::DraftCondition { on: 2, op: Op::Eq, value: "Yes".into() }));
    let html = procedures::transfer::procedure_html(&db, ProcedureId(1)).expect("html");
    assert!(html.contains("<span class=blank>____ °C (0–5 °C)</span>"), "{html}");
    assert!(html.contains("<li class=section>Cold room</li>"), "{html}");
    assert!(html.contains("<span class=cond>only if “Fryer on?” is Yes</span>"), "{html}");
}

/// A value is judged by the step as the run's version had it: editing a step into
/// another kind never makes old values wrong.
#[test]
fn old_values_are_judged_by_the_version_their_run_executed() {
    let dir = folder(KITCHEN);
    let mut db = store::load(dir.path()).expect("load").db;
    let now = t("2026-01-02 08:00:00");
    // Version 1 has no snapshot in the fixture: save one edit to get versions 2 and 3.
    let mut d = ops::ProcedureDraft::of(&db, ProcedureId(1)).expect("draft");
    d.name = "Kitchen opening (v2)".into();
    ops::update_procedure(&mut db, ProcedureId(1), &d, "v2", now).expect("v2");
    let run = ops::start_run(&mut db, ProcedureId(1), now).expect("start").value;
    let fridge = db.run_steps_of(run).find(|r| r.step_id == StepId(2)).expect("rs").id;
    ops::record_value(&mut db, fridge, "3.5", now, Name::NONE).expect("recorded");
    // The fridge step becomes a choice: 3.5 is not one of its answers, but the run ran v2.
    let mut d = ops::ProcedureDraft::of(&db, ProcedureId(1)).expect("draft");
    d.steps[1].kind = StepKind::Choice;
    d.steps[1].options = "Cold|!Warm".into();
    ops::update_procedure(&mut db, ProcedureId(1), &d, "v3", now).expect("v3");
    store::save(dir.path(), &mut db).expect("saved");
    let again = store::load(dir.path()).expect("load");
    assert!(again.problems.is_empty(), "{:?}", again.problems);
}

/// Runs the CLI; (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procedures")).args(args).output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

fn run_steps_csv(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("run_steps.csv")).expect("run_steps.csv")
}

#[test]
fn an_empty_value_is_refused_and_clears_nothing_untick_is_explicit_and_values_may_start_with_a_minus() {
    let dir = folder(KITCHEN);
    let d = dir.path().to_str().expect("utf8");
    assert_eq!(cli(&["run", "start", d, "--procedure", "1", "--by", "Ann"]).0, Some(0));
    assert_eq!(cli(&["run", "tick", d, "--run", "1", "--step", "2", "--value", "3"]).0, Some(0));
    let before = run_steps_csv(dir.path());
    // A script with an unset variable: refused, nothing changed.
    for empty in ["", "  "] {
        let (code, said, err) = cli(&["run", "tick", d, "--run", "1", "--step", "2", "--value", empty]);
        assert_eq!(code, Some(2), "{said}");
        assert!(err.contains("--value is empty") && err.contains("--untick"), "{err}");
        assert_eq!(run_steps_csv(dir.path()), before);
    }
    // A negative number is a value, not an option.
    let (code, said, err) = cli(&["run", "tick", d, "--run", "1", "--step", "2", "--value", "-18"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(said, "ticked step 2 (“Fridge temperature”): -18, flagged (outside 0–5 °C)");
    // Unticking is asked for by name, and clears the value.
    let (code, said, err) = cli(&["run", "tick", d, "--run", "1", "--step", "2", "--untick"]);
    assert_eq!((code, said.as_str()), (Some(0), "unticked step 2 (“Fridge temperature”)"), "{err}");
    let db = store::load(dir.path()).expect("load").db;
    let rs = db.run_steps.rows().iter().find(|r| r.step_id == StepId(2)).expect("row");
    assert!(!rs.completed && rs.value().is_empty());
}

#[test]
fn run_commands_at_the_same_moment_wait_for_each_other_and_all_land() {
    let dir = folder(KITCHEN);
    let d = dir.path().to_str().expect("utf8").to_owned();
    assert_eq!(cli(&["run", "start", &d, "--procedure", "1", "--by", "Ann"]).0, Some(0));
    let ticks = [("2", "3"), ("3", "No"), ("5", "2026-02-01"), ("6", "Ann")];
    let handles: Vec<_> = ticks
        .iter()
        .map(|(step, value)| {
            let (d, step, value) = (d.clone(), step.to_string(), value.to_string());
            std::thread::spawn(move || cli(&["run", "tick", &d, "--run", "1", "--step", &step, "--value", &value]))
        })
        .collect();
    for h in handles {
        let (code, said, err) = h.join().expect("thread");
        assert_eq!(code, Some(0), "{said} {err}");
    }
    let db = store::load(dir.path()).expect("load").db;
    let done = db.run_steps.rows().iter().filter(|r| r.completed).count();
    assert_eq!(done, 4, "every tick landed");
}

/// `export` from a folder with problems says so and exports nothing (an export would
/// leave out the broken rows), and names what is missing (#28.14).
#[test]
fn export_refuses_a_folder_with_problems_and_names_what_is_missing() {
    let dir = folder(KITCHEN);
    let d = dir.path().to_str().expect("utf8");
    let (code, _, err) = cli(&["export", d, "--procedure", "7"]);
    assert_eq!((code, err.as_str()), (Some(2), "error: there is no procedure 7 in this folder"));
    let broken = valid_with(
        "runs.csv",
        "id,procedure_id,start_time,end_time,status,notes,procedure_version\n1,1,yesterday,,completed,,1\n",
    );
    let (code, out, err) = cli(&["export", broken.path().to_str().expect("utf8"), "--procedure", "1"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("runs.csv:2") && err.contains("nothing was exported"), "{err}");
}

/// A number with a thousands comma is ambiguous and refused; a decimal comma is read
/// (#28.14).
#[test]
fn a_thousands_comma_is_refused_on_the_command_line() {
    let dir = folder(KITCHEN);
    let d = dir.path().to_str().expect("utf8");
    assert_eq!(cli(&["run", "start", d, "--procedure", "1"]).0, Some(0));
    let (code, _, err) = cli(&["run", "tick", d, "--run", "1", "--step", "2", "--value", "1,000"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("is ambiguous: write 1000 for the thousands or 1 with a decimal point"), "{err}");
    let (code, said, _) = cli(&["run", "tick", d, "--run", "1", "--step", "2", "--value", "3,5"]);
    assert_eq!((code, said.as_str()), (Some(0), "ticked step 2 (“Fridge temperature”): 3,5"));
}

/// Rules finer than a minute or that never occur are refused at their line; `due` on
/// them reports the problem and exits 1 (#28.5, #28.7).
#[test]
fn schedules_that_cannot_be_kept_are_problems_and_due_says_so() {
    let mut files: Vec<(&str, &str)> = KITCHEN.to_vec();
    files.push((
        "schedules.csv",
        "id,procedure_id,rule,starts_at,due_within,anchor,active\n1,1,FREQ=SECONDLY,2026-01-01 09:00:00,,calendar,True\n2,1,FREQ=DAILY;COUNT=0,2026-01-01 09:00:00,,calendar,True\n",
    ));
    let dir = folder(&files);
    let d = dir.path().to_str().expect("utf8");
    let (code, out, _) = cli(&["check", d]);
    assert_eq!(code, Some(1));
    assert!(out.contains("schedules.csv:2: rule: FREQ=SECONDLY: a schedule repeats at most every minute"), "{out}");
    assert!(out.contains("schedules.csv:3: rule: COUNT=0: the rule never occurs"), "{out}");
    let (code, _, err) = cli(&["due", d]);
    assert_eq!(code, Some(1));
    assert!(err.contains("schedules.csv:2"), "{err}");
}

/// The printable record of a run has what was found, flagged values marked, who, when,
/// and steps not needed as such; its texts escaped (#27.10).
#[test]
fn a_run_prints_as_a_record_with_values_flags_and_who() {
    let dir = folder(KITCHEN);
    let d = dir.path().to_str().expect("utf8");
    assert_eq!(cli(&["run", "start", d, "--procedure", "1", "--by", "Ann <ops>", "--title", "Monday"]).0, Some(0));
    assert_eq!(cli(&["run", "tick", d, "--run", "1", "--step", "2", "--value", "7", "--by", "Ann <ops>"]).0, Some(0));
    assert_eq!(cli(&["run", "tick", d, "--run", "1", "--step", "3", "--value", "No"]).0, Some(0));
    assert_eq!(cli(&["run", "finish", d, "--run", "1", "--status", "cancelled", "--reason", "fire alarm"]).0, Some(0));
    let db = store::load(dir.path()).expect("load").db;
    let html = procedures::transfer::run_report_html(&db, RunId(1)).expect("record");
    assert!(html.contains("<title>Kitchen opening — run #1</title>"), "{html}");
    assert!(html.contains("<b>Monday</b>"), "{html}");
    assert!(html.contains("started") && html.contains("by Ann &lt;ops&gt;"), "{html}");
    assert!(html.contains("7 °C <span class=flag>⚠ outside 0–5 °C</span>"), "{html}");
    assert!(html.contains("<span class=muted>not needed</span>"), "{html}");
    assert!(html.contains("Notes: fire alarm"), "{html}");
    assert!(!html.contains("<ops>"), "unescaped");
}
