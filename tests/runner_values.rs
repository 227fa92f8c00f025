//! The runner with steps that record (issue #14), headless: sections as headings the
//! keyboard skips, temperatures typed (one flagged at once), a choice that hides a later
//! step, a sign-off with the user's name, completion refused until it is given.

mod common;
use common::*;
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use procedures::app::App;
use procedures::model::*;
use procedures::ui::View;

fn kitchen() -> tempfile::TempDir {
    copy_of(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kitchen"))
}

fn start(h: &mut Harness<'static, App>) -> RunId {
    h.get_by_label("Kitchen opening").click();
    h.run();
    h.get_by_label("▶ Start run").click();
    h.run();
    assert_eq!(h.state().view(), View::Runner);
    h.state().runner().run.expect("a run is open")
}

fn value_of(h: &Harness<'static, App>, run: RunId, step: u32) -> (bool, String, String) {
    let db = h.state().db().expect("open");
    let rs = db.run_steps_of(run).find(|rs| rs.step_id == StepId(step)).expect("row");
    (rs.completed, rs.value().to_owned(), rs.completed_by.as_str().to_owned())
}

/// Type into the focused value field and press Enter.
fn type_value(h: &mut Harness<'static, App>, text: &str) {
    h.key_press(Key::Enter);
    h.run();
    h.get_by_role(Role::TextInput).type_text(text);
    h.run();
    h.key_press(Key::Enter);
    h.run();
}

#[test]
fn a_kitchen_opening_records_values_flags_one_skips_a_step_and_is_signed_off() {
    let dir = kitchen();
    let mut h = app_sized(dir.path(), 1280.0, 900.0);
    let run = start(&mut h);
    // Sections are headings, not steps: 7 steps, no row for "Cold room".
    h.get_by_label("Cold room");
    assert_eq!(h.state().db().expect("open").run_steps_of(run).count(), 7);
    // Filtering the fryer oil waits for the fryer question: not needed yet.
    h.get_by_label_contains("0 / 6");
    // Steps without an estimate make the time left a lower bound, said so.
    h.get_by_label_contains("Estimated time left at least");
    h.get_by_label_contains("open steps have no estimate");

    // The keyboard starts on the fridge (the section is skipped): an in-range value.
    type_value(&mut h, "3.5");
    assert_eq!(value_of(&h, run, 2), (true, "3.5".into(), "Test User".into()));
    // The freezer is too warm: recorded, and flagged at once.
    type_value(&mut h, "-12");
    assert_eq!(value_of(&h, run, 3).1, "-12");
    h.get_by_label("⚠ above -18 °C");
    // Not a number: refused with the reason, nothing recorded, the focus stays.
    h.key_press(Key::ArrowUp);
    h.run();
    type_value(&mut h, " cold");
    h.get_by_label_contains("is not a number");
    assert_eq!(value_of(&h, run, 3).1, "-12");
    assert_eq!(h.state().runner().focus, 1);
    h.key_press(Key::ArrowDown);
    h.run();

    // The fryer is off (key 2 = the second answer): filtering its oil is not needed.
    h.key_press(Key::Num2);
    h.run();
    assert_eq!(value_of(&h, run, 5).1, "No");
    h.get_by_label("1 step not needed: its condition does not hold");
    assert!(h.query_by_label_contains("Filter the fryer oil").is_none(), "hidden");
    h.get_by_label_contains("3 / 6");

    // The walk-in smells fresh, by clicking the answer.
    h.get_by_label("Fresh").click();
    h.run();
    assert_eq!(value_of(&h, run, 7).1, "Fresh");

    // Completing is refused while the sign-off is missing, and says which — over the
    // page, which does not move under the pointer (#27.7).
    let heading = h.get_by_label("Cold room").rect();
    h.get_by_label("✔ Complete run").click();
    h.run();
    h.get_by_label_contains("Cannot complete: a required step has no value yet: “Signed off by”");
    assert_eq!(h.get_by_label("Cold room").rect(), heading, "the message pushed the page");
    assert_eq!(h.state().db().expect("open").run(run).expect("run").status, RunStatus::InProgress);

    // The sign-off proposes the user's name.
    h.get_by_label("Sign…").click();
    h.run();
    h.key_press(Key::Enter);
    h.run();
    assert_eq!(value_of(&h, run, 9), (true, "Test User".into(), "Test User".into()));
    // The refusal is no longer true: it is gone.
    assert!(h.query_by_label_contains("Cannot complete").is_none(), "a stale message stayed");

    // The optional date is left empty: completing asks about the open step, then completes.
    h.get_by_label("✔ Complete run").click();
    h.run();
    h.get_by_label("Complete anyway").click();
    h.run();
    let db = h.state().db().expect("open");
    assert_eq!(db.run(run).expect("run").status, RunStatus::Completed);
    assert_eq!(db.run(run).expect("run").started_by.as_str(), "Test User");
    h.state_mut().flush();
    let again = procedures::store::load(dir.path()).expect("load");
    assert!(again.problems.is_empty(), "{:?}", again.problems);

    // The run report has the values, the flag and who; analytics plots them.
    let report = procedures::transfer::run_report_markdown(&again.db, run).expect("report");
    assert!(report.contains("| 2 | Cold room › Freezer temperature | [x] | -12 °C ⚠ above -18 °C |"), "{report}");
    assert!(report.contains("| Test User |"), "{report}");
    h.get_by_label("📊 Analytics").click();
    h.step();
    h.step();
    h.state_mut().analytics_mut().wait();
    h.run();
    h.state_mut().analytics_mut().selection.procedure = Some(ProcedureId(1));
    h.step();
    h.step();
    h.state_mut().analytics_mut().wait();
    h.run();
    h.get_by_label("Values recorded");
    h.get_by_label("Freezer temperature (°C): 1 value, 1 flagged, median -12");
    h.get_by_label("Fryer on?: 1 value, 0 flagged");
}

#[test]
fn the_first_start_asks_for_the_name_and_records_it() {
    let dir = kitchen();
    let mut h = first_start(dir.path(), 1280.0, 900.0);
    h.get_by_label("Runs and ticks record who did them. What name should they record?");
    let field = h.get_by_role_and_label(Role::TextInput, "Your name:");
    field.click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(Role::TextInput, "Your name:").type_text("Ana Chef");
    h.run();
    h.key_press(Key::Enter);
    h.run();
    assert_eq!(h.state().prefs().user_name.as_deref(), Some("Ana Chef"));
    assert!(h.query_by_label_contains("What name should they record?").is_none());
    let run = start(&mut h);
    assert_eq!(h.state().db().expect("open").run(run).expect("run").started_by.as_str(), "Ana Chef");
}

/// Step descriptions are CommonMark: a server-patching step's command is a code block
/// with a copy button, inline code and links render; plain steps stay plain labels.
#[test]
fn a_code_block_in_a_step_has_a_copy_button() {
    let dir = folder(&[
        (
            "procedures.csv",
            "id,name,description,created_at,updated_at,version\n1,Patch web-01,\"Patch **one** host; see [the runbook](https://example.org/runbook).\",2026-01-01 08:00:00,2026-01-01 08:00:00,1\n",
        ),
        (
            "steps.csv",
            "id,procedure_id,order,description,estimated_duration\n1,1,1,Drain the host,\n2,1,2,\"Upgrade the packages:\n\n```\nsudo apt-get upgrade -y\n```\",\n",
        ),
    ]);
    let mut h = app_sized(dir.path(), 1280.0, 900.0);
    h.get_by_label("Patch web-01").click();
    h.run();
    // The description renders: bold without its asterisks, the link as a link.
    h.get_by_label("the runbook");
    assert!(h.query_by_label_contains("**one**").is_none());
    h.get_by_label("▶ Start run").click();
    h.run();
    h.get_by_label("1. Drain the host");
    assert!(h.get_all_by(|n| n.data().value() == Some("sudo apt-get upgrade -y")).next().is_some(), "the code block");
    h.get_by_label("🗐").click();
    h.step();
    let copied = h.output().platform_output.commands.iter().any(|c| {
        matches!(c, egui::OutputCommand::CopyText(t) if t == "sudo apt-get upgrade -y\n" || t == "sudo apt-get upgrade -y")
    });
    assert!(copied, "{:?}", h.output().platform_output.commands);
    h.run();
    // Space ticks the first step, then the code step (its tick is labelled by its number).
    h.key_press(Key::Space);
    h.run();
    h.get_by_label("2.").click();
    h.run();
    let db = h.state().db().expect("open");
    let run = h.state().runner().run.expect("run");
    assert!(db.run_steps_of(run).all(|rs| rs.completed));
}

#[test]
fn a_two_thousand_character_step_wraps_and_its_controls_stay_on_screen() {
    let dir = kitchen();
    {
        let mut l = procedures::store::load(dir.path()).expect("load");
        let pid = ProcedureId(1);
        let mut draft = procedures::ops::ProcedureDraft::of(&l.db, pid).expect("draft");
        draft.steps[1].description = "Check every shelf of the walk-in, ".repeat(60);
        procedures::ops::update_procedure(&mut l.db, pid, &draft, "long step", Timestamp::now()).expect("update");
        procedures::store::save(dir.path(), &mut l.db).expect("save");
    }
    let mut h = app_sized(dir.path(), 1100.0, 900.0);
    start(&mut h);
    let window = h.ctx.content_rect();
    let nodes: Vec<egui::Rect> =
        h.get_all_by_label_contains("Check every shelf of the walk-in").map(|n| n.rect()).collect();
    assert!(!nodes.is_empty());
    for step in &nodes {
        assert!(step.max.x <= window.max.x, "the text wraps inside the window: {step:?} in {window:?}");
    }
    assert!(nodes.iter().any(|r| r.height() > 40.0), "on several lines: {nodes:?}");
    let notes: Vec<egui::Rect> = h.get_all_by_label("📝").map(|n| n.rect()).collect();
    assert!(!notes.is_empty());
    for note in notes {
        assert!(note.max.x <= window.max.x, "every note button is reachable: {note:?}");
    }
}
