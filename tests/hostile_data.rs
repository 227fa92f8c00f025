//! Data that tries to break the app's promises (issue #18): ids at the top of their
//! range, exports forged by what the text says, clocks that change.

mod common;
use common::*;
use procedures::model::*;
use procedures::{ops, store, transfer};

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("ts")
}

/// Item 5: a run with id 4294967295 was overwritten by the next Start run; a run-step id
/// of 4294967295 made a run of 0 of 0 steps. Now the op is refused and nothing changes.
#[test]
fn ids_at_the_top_of_the_range_are_never_wrapped_or_reused() {
    let runs = "id,procedure_id,start_time,end_time,status,notes,procedure_version\n4294967295,1,2025-01-02 08:00:00,2025-01-02 08:10:00,completed,keep me,1\n";
    let run_steps = "id,run_id,step_id,completed,completed_at,notes\n1,4294967295,1,True,2025-01-02 08:01:00,\n2,4294967295,2,True,2025-01-02 08:09:00,\n";
    let dir = folder(
        &VALID
            .iter()
            .map(|(n, text)| match *n {
                "runs.csv" => (*n, runs),
                "run_steps.csv" => (*n, run_steps),
                _ => (*n, *text),
            })
            .collect::<Vec<_>>(),
    );
    let loaded = store::load(dir.path()).expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let mut db = loaded.db;
    let err = ops::start_run(&mut db, ProcedureId(1), t("2026-01-01 08:00:00")).expect_err("refused");
    assert!(err.to_string().contains("no ids left for new runs"), "{err}");
    assert_eq!(db.runs.len(), 1);
    assert_eq!(db.run(RunId(u32::MAX)).expect("kept").notes(), "keep me");
    assert!(db.changed().is_empty(), "nothing to save");

    // The run steps are the full table this time.
    let run_steps = "id,run_id,step_id,completed,completed_at,notes\n4294967295,1,1,True,2025-01-02 08:01:00,\n";
    let dir = valid_with("run_steps.csv", run_steps);
    let mut db = store::load(dir.path()).expect("load").db;
    let err = ops::start_run(&mut db, ProcedureId(1), t("2026-01-01 08:00:00")).expect_err("refused");
    assert!(err.to_string().contains("no ids left for new run steps"), "{err}");
    assert_eq!(db.runs.len(), 1, "no run of 0 of 0 steps");

    // The last id itself can still be given.
    let run_steps = "id,run_id,step_id,completed,completed_at,notes\n4294967293,1,1,True,2025-01-02 08:01:00,\n";
    let dir = valid_with("run_steps.csv", run_steps);
    let mut db = store::load(dir.path()).expect("load").db;
    let run = ops::start_run(&mut db, ProcedureId(1), t("2026-01-01 08:00:00")).expect("fits").value;
    let ids: Vec<u32> = db.run_steps_of(run).map(|rs| rs.id.0).collect();
    assert_eq!(ids, vec![4294967294, 4294967295]);
}

/// Item 6: names, step texts and notes were written raw into Markdown: a newline or CR
/// followed by `- [x] …` became an extra checked item, a name a heading, a CR split a
/// report row, HTML and `javascript:` links passed. Now the export has exactly the
/// items, headings and cells the data has — and reads back as the same text.
#[test]
fn markdown_exports_cannot_be_forged_by_the_text_they_carry() {
    let forged_step =
        "Check\r- [x] forged item\n# Forged heading <script>alert(1)</script> [click](javascript:alert(1))";
    let dir = folder(&[
        (
            "procedures.csv",
            "id,name,description,created_at,updated_at,version\n1,\"Open\n# Not a heading\",\"Intro\r- [x] not an item\",2025-01-01 08:00:00,2025-01-01 08:00:00,1\n",
        ),
        (
            "steps.csv",
            &format!(
                "id,procedure_id,order,description,estimated_duration\n1,1,1,\"{}\",60\n2,1,2,1. numbered (5m),\n",
                forged_step
            ),
        ),
        (
            "runs.csv",
            "id,procedure_id,start_time,end_time,status,notes,procedure_version\n1,1,2025-01-02 08:00:00,2025-01-02 08:10:00,completed,\"a | b\rc\",1\n",
        ),
        (
            "run_steps.csv",
            "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,2025-01-02 08:01:00,\"x\n| forged | row |\"\n2,1,2,False,,\n",
        ),
    ]);
    let loaded = store::load(dir.path()).expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let db = &loaded.db;
    let lines_of =
        |s: &str| s.split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']).map(str::to_owned).collect::<Vec<_>>();

    let checklist = transfer::procedure_markdown(db, ProcedureId(1)).expect("md");
    let lines = lines_of(&checklist);
    assert_eq!(lines.iter().filter(|l| l.starts_with('#')).count(), 1, "one heading:\n{checklist}");
    assert_eq!(lines.iter().filter(|l| l.trim_start().starts_with("- [")).count(), 2, "two items:\n{checklist}");
    assert!(!checklist.contains("<script>") && !checklist.contains("](javascript"), "{checklist}");
    // It reads back as the same procedure.
    let back = transfer::parse_checklist(&checklist, "x");
    assert_eq!(back.name, "Open # Not a heading");
    let steps: Vec<_> = back.steps.iter().map(|s| (s.description.as_str(), s.estimated_duration_secs)).collect();
    assert_eq!(
        steps,
        vec![
            (
                "Check - [x] forged item # Forged heading <script>alert(1)</script> [click](javascript:alert(1))",
                Some(60)
            ),
            ("1. numbered (5m)", None)
        ]
    );

    let report = transfer::run_report_markdown(db, RunId(1)).expect("report");
    let lines = lines_of(&report);
    assert_eq!(lines.iter().filter(|l| l.starts_with('#')).count(), 1, "{report}");
    let rows: Vec<_> = lines.iter().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 4, "header, rule and one row per step:\n{report}");
    // Every row has the table's 8 cells: no `|` of the data splits one.
    for row in rows {
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 9, "{row}");
    }
}

/// Item 13: a run from 02:50 CEST to 02:10 CET (clocks back at 03:00 on 25 Oct 2026 in
/// Berlin) lasted 20 minutes — it was recorded as 0 s, its steps as −40 and +40 min. The
/// zone is the system's, so this runs the command line with TZ set.
#[test]
fn durations_across_a_change_of_the_clocks_are_real_elapsed_time() {
    if !std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
        eprintln!("skipped: no time-zone database");
        return;
    }
    let dir = folder(&[
        (
            "procedures.csv",
            "id,name,description,created_at,updated_at,version\n1,Night check,,2026-10-01 08:00:00,2026-10-01 08:00:00,1\n",
        ),
        ("steps.csv", "id,procedure_id,order,description,estimated_duration\n1,1,1,Before,\n2,1,2,After,\n"),
        (
            "runs.csv",
            "id,procedure_id,start_time,end_time,status,notes,procedure_version\n1,1,2026-10-25 02:50:00,2026-10-25 02:10:00,completed,,1\n2,1,2026-03-29 01:50:00,2026-03-29 03:10:00,completed,,1\n",
        ),
        (
            "run_steps.csv",
            "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,2026-10-25 02:55:00,\n2,1,2,True,2026-10-25 02:05:00,\n3,2,1,True,2026-03-29 01:55:00,\n4,2,2,True,2026-03-29 03:05:00,\n",
        ),
    ]);
    let exe = env!("CARGO_BIN_EXE_procedures");
    let run = |args: &[&str]| {
        std::process::Command::new(exe).args(args).arg(dir.path()).env("TZ", "Europe/Berlin").output().expect("runs")
    };
    let check = run(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
    let stats = run(&["stats", "--json"]);
    assert_eq!(stats.status.code(), Some(0), "{}", String::from_utf8_lossy(&stats.stderr));
    let v: serde_json::Value = serde_json::from_slice(&stats.stdout).expect("json");
    let d = &v["procedures"][0]["duration_secs"];
    // Autumn: 20 minutes; spring (01:50 CET to 03:10 CEST): 20 minutes too.
    assert_eq!((d["mean"].as_f64(), d["p90"].as_f64()), (Some(1200.0), Some(1200.0)), "{d}");
    let text = String::from_utf8_lossy(&stats.stdout);
    assert!(!text.contains(": -"), "no negative step time: {text}");
}

/// Item 13: a clock set back while a run is open ends it at its start (0 s), not before
/// it (a folder its own `check` rejects), and no step time is negative.
#[test]
fn a_clock_set_back_gives_no_negative_duration_and_nothing_check_rejects() {
    let dir = copy_of(&sample_data());
    let mut db = store::load(dir.path()).expect("load").db;
    let pid = db.procedures.rows()[0].id;
    let run = ops::start_run(&mut db, pid, t("2026-11-26 08:00:00")).expect("start").value;
    let first = db.run_steps_of(run).next().expect("step").id;
    ops::set_step_completed(&mut db, first, true, t("2026-11-26 07:00:00")).expect("tick");
    ops::finish_run(&mut db, run, RunStatus::Cancelled, t("2026-06-01 08:00:00")).expect("finish");
    let r = db.run(run).expect("run");
    assert_eq!(r.end_time, Some(r.start_time));
    assert!(procedures::analysis::step_durations(&db, r).iter().all(|(_, _, d)| *d >= 0));
    let mut writer = store::Writer::spawn(|| {});
    writer.save_blocking(dir.path(), &mut db).expect("saved");
    let again = store::load(dir.path()).expect("load");
    assert!(again.problems.is_empty(), "{:?}", again.problems);
}
