//! Schedules (issue #15) through the window and the command line: Today lists what is
//! overdue, Start records the occurrence and moves it out of Overdue; `due --json` says
//! exactly what a fixture has due at a fixed time.

mod common;
use common::*;
use egui_kittest::kittest::Queryable as _;
use procedures::model::*;
use procedures::ui::View;

/// `procedures ARGS DIR --at AT` with the system zone Berlin: its standard output, after
/// checking it succeeded.
fn in_berlin(command: &str, dir: &std::path::Path, more: &[&str], at: &str) -> Vec<u8> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procedures"))
        .args([command, &dir.to_string_lossy()])
        .args(more)
        .args(["--at", at])
        .env("TZ", "Europe/Berlin")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A kitchen whose opening is due every day at midnight, overdue a second later.
fn overdue_kitchen() -> tempfile::TempDir {
    let dir = copy_of(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kitchen"));
    let start = Timestamp::now().local_date() - chrono::Duration::days(3);
    let csv = format!(
        "id,procedure_id,rule,starts_at,due_within,anchor,active\n1,1,FREQ=DAILY,{} 00:00:00,1,calendar,True\n",
        start.format("%Y-%m-%d")
    );
    std::fs::write(dir.path().join("schedules.csv"), csv).expect("write");
    dir
}

#[test]
fn today_lists_the_overdue_opening_and_start_records_the_occurrence() {
    let dir = overdue_kitchen();
    let mut h = app_at_home(dir.path(), 1280.0, 800.0);
    assert_eq!(h.state().view(), View::Today, "Today is the home screen of a folder with schedules");
    h.state_mut().today_mut().wait();
    h.run();
    h.get_by_label("Overdue (1)");
    assert!(h.get_all_by_label("Kitchen opening").count() >= 1);
    h.get_by_label("📅 Today (1)");
    // Three earlier days were missed: collapsed, counted, not runs.
    h.get_by_label("⏵ Missed — last 30 days (3)");
    assert!(h.state().notifications_sent.is_empty(), "what is open on opening is shown, not announced");

    h.get_by_label("Start").click();
    h.run();
    assert_eq!(h.state().view(), View::Runner);
    let run = h.state().runner().run.expect("a run");
    let today = Timestamp::now().local_date();
    let db = h.state().db().expect("open");
    let at = db.run(run).and_then(|r| r.scheduled_for()).expect("scheduled_for");
    assert_eq!(at.canonical(), format!("{} 00:00:00", today.format("%Y-%m-%d")));

    h.get_by_label_contains("📅 Today").click();
    h.run();
    h.state_mut().today_mut().wait();
    h.run();
    assert!(h.query_by_label("Overdue (1)").is_none(), "it left Overdue");
    h.get_by_label("In progress (1)");
    h.get_by_label("Resume");
    h.get_by_label("· in progress (started late)");
    assert_eq!(h.state().today().agenda.open_count(), 0);
}

#[test]
fn due_json_is_exact_for_a_fixture_at_a_fixed_time() {
    let dir = copy_of(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scheduled"));
    let before = snapshot_files(dir.path());
    let got: serde_json::Value =
        serde_json::from_slice(&in_berlin("due", dir.path(), &["--json"], "2026-03-04 08:30")).expect("json");
    let occ = |state: &str, at: &str, overdue: &str, run: Option<u32>| {
        let mut v = serde_json::json!({
            "state": state, "at": at, "procedure_id": 1, "procedure": "Kitchen opening",
            "schedule_id": 1, "overdue_at": overdue,
        });
        if let Some(r) = run {
            v["run_id"] = r.into();
        }
        v
    };
    let want = serde_json::json!({
        "at": "2026-03-04 08:30:00",
        "occurrences": [
            occ("overdue", "2026-03-04 07:00:00", "2026-03-04 08:00:00", None),
            occ("started", "2026-03-03 07:00:00", "2026-03-03 08:00:00", Some(3)),
            occ("upcoming", "2026-03-05 07:00:00", "2026-03-05 08:00:00", None),
            occ("missed", "2026-03-02 07:00:00", "2026-03-02 08:00:00", None),
            occ("missed", "2026-02-27 07:00:00", "2026-02-27 08:00:00", None),
        ]
    });
    assert_eq!(got, want);
    // The table says the same; a reader never writes.
    let text = String::from_utf8(in_berlin("due", dir.path(), &[], "2026-03-04 08:30")).expect("text");
    assert!(text.starts_with("overdue   2026-03-04 07:00  overdue by 30m   #1 Kitchen opening\n"), "{text}");
    assert_eq!(snapshot_files(dir.path()), before);
    // stats --json counts the same history: 28 Feb on time, 1 Mar late (started the
    // next day for it), 3 Mar late and in progress, 27 Feb and 2 Mar missed.
    let stats: serde_json::Value =
        serde_json::from_slice(&in_berlin("stats", dir.path(), &["--json"], "2026-03-04 08:30")).expect("json");
    assert_eq!(
        stats["procedures"][0]["schedule"],
        serde_json::json!({"occurrences": 6, "on_time": 1, "late": 2, "missed": 2, "on_time_rate": 20.0})
    );
}

#[test]
fn a_local_schedule_in_the_hour_the_clocks_skip_falls_due_when_the_hour_ends() {
    // Daily at 02:30 in the system's zone (Berlin): on 29 March 2026 the clocks go from
    // 02:00 to 03:00, so that day's occurrence is at 03:00, due an hour later; the days
    // around it keep 02:30 (those are answered from the cache of days with one offset).
    let dir = copy_of(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scheduled"));
    std::fs::write(
        dir.path().join("schedules.csv"),
        "id,procedure_id,rule,starts_at,due_within,anchor,active\n1,1,FREQ=DAILY,2026-03-27 02:30:00,3600,calendar,True\n",
    )
    .expect("write schedules");
    let got: serde_json::Value =
        serde_json::from_slice(&in_berlin("due", dir.path(), &["--json"], "2026-03-30 01:00")).expect("json");
    let occurrences: Vec<(&str, &str, &str)> = got["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| {
            let field = |k: &str| o[k].as_str().unwrap_or_default();
            (field("state"), field("at"), field("overdue_at"))
        })
        .collect();
    assert_eq!(
        occurrences,
        [
            ("overdue", "2026-03-29 03:00:00", "2026-03-29 04:00:00"),
            ("upcoming", "2026-03-30 02:30:00", "2026-03-30 03:30:00"),
            ("missed", "2026-03-28 02:30:00", "2026-03-28 03:30:00"),
            ("missed", "2026-03-27 02:30:00", "2026-03-27 03:30:00"),
        ]
    );
}

#[test]
fn a_schedule_is_added_in_the_editor_with_its_next_occurrences_and_saved_without_a_new_version() {
    let dir = copy_of(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kitchen"));
    let mut h = app_at_home(dir.path(), 1280.0, 1000.0);
    assert_eq!(h.state().view(), View::Procedures, "no schedule yet: the browser is home");
    h.get_by_label("Kitchen opening").click();
    h.run();
    h.get_by_label("✏ Edit").click();
    h.run();
    h.get_by_label("Schedule (0)").click();
    h.run();
    h.get_by_label("➕ Add schedule").click();
    h.run();
    // A daily 09:00 from today: the next five occurrences are listed in words.
    h.get_by_label_contains("Next: ");
    h.get_by_label_contains("tomorrow, 09:00");
    // Weekdays, every week: the form builds the rule.
    h.get_by_label("Repeats").click();
    h.run();
    h.get_by_label("On chosen weekdays, every N weeks").click();
    h.run();
    h.get_by_label("Save schedules").click();
    h.run();
    let db = h.state().db().expect("open");
    let s = &db.schedules.rows()[0];
    assert_eq!((s.procedure_id, s.rule.as_str(), s.active), (ProcedureId(1), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", true));
    assert_eq!(s.starts_at.naive().format("%H:%M").to_string(), "09:00");
    assert_eq!(db.procedure(ProcedureId(1)).map(|p| p.version), Some(1), "a schedule is not a new version");
    h.state_mut().flush();
    let csv = std::fs::read_to_string(dir.path().join("schedules.csv")).expect("written");
    assert!(
        csv.starts_with(
            "id,procedure_id,rule,starts_at,due_within,anchor,active\n1,1,\"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\","
        ),
        "{csv}"
    );

    // Edited again: paused, it says so.
    h.get_by_label("✏ Edit").click();
    h.run();
    h.get_by_label("Paused").click();
    h.run();
    h.get_by_label_contains("Paused (would be next:");
    h.get_by_label("Save schedules").click();
    h.run();
    assert!(!h.state().db().expect("open").schedules.rows()[0].active);
}

/// Today puts the keyboard on its first row: Enter starts the overdue occurrence, and
/// back on Today (Ctrl+1) Enter resumes it (#27, Keyboard).
#[test]
fn enter_on_today_starts_the_first_row_and_resumes_it_later() {
    let dir = overdue_kitchen();
    let mut h = app_at_home(dir.path(), 1280.0, 800.0);
    h.state_mut().today_mut().wait();
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().view(), View::Runner, "Enter started the first row");
    let run = h.state().runner().run.expect("a run");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num1);
    h.run();
    h.state_mut().today_mut().wait();
    h.run();
    assert_eq!(h.state().view(), View::Today);
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!((h.state().view(), h.state().runner().run), (View::Runner, Some(run)), "Enter resumed it");
}
