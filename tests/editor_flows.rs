//! Editor, versions and labels in the real app, headless: create from a pasted list,
//! reorder with Alt+Down, save version 2, diff 1↔2 shows the move, restore 1 as 3,
//! the unsaved-changes guard, labels manager.

mod common;
use common::*;
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use procedures::app::App;
use procedures::model::*;
use procedures::ui::View;

fn app_on(dir: &std::path::Path) -> Harness<'static, App> {
    app_sized(dir, 1280.0, 900.0)
}

/// Click the text field whose placeholder is `hint`, then type.
fn type_into(h: &mut Harness<'static, App>, hint: &str, text: &str) {
    {
        let node = h
            .get_all_by(|n| n.data().placeholder() == Some(hint))
            .next()
            .unwrap_or_else(|| panic!("no field with placeholder {hint:?}"));
        node.click();
    }
    h.run();
    {
        let node = h.get_all_by(|n| n.data().placeholder() == Some(hint)).next().expect("field");
        node.type_text(text);
    }
    h.run();
}

fn db<'a>(h: &'a Harness<'static, App>) -> &'a procedures::store::Dataset {
    h.state().db().expect("open")
}

fn find(h: &Harness<'static, App>, name: &str) -> Option<ProcedureId> {
    db(h).procedures.rows().iter().find(|p| p.name == name).map(|p| p.id)
}

fn texts(h: &Harness<'static, App>, pid: ProcedureId) -> Vec<String> {
    db(h).steps_of(pid).map(|s| s.description.clone()).collect()
}

#[test]
fn create_from_pasted_list_reorder_save_diff_restore() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::N);
    h.run();
    assert_eq!(h.state().view(), View::Editor);
    h.get_by_role_and_label(Role::TextInput, "Name").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").type_text("Bar opening");
    h.run();
    type_into(
        &mut h,
        "Paste a list of steps",
        "- Unlock the door\n- [ ] Count the float (10m)\n1. Turn on the music\n",
    );
    h.get_by_label("Add these steps").click();
    h.run();
    h.get_by_label("Create procedure").click();
    h.run();
    let pid = find(&h, "Bar opening").expect("created");
    assert_eq!(texts(&h, pid), ["Unlock the door", "Count the float", "Turn on the music"]);
    assert_eq!(db(&h).step(db(&h).steps_of(pid).nth(1).expect("s").id).expect("s").estimated_duration_secs, Some(600));
    assert_eq!(db(&h).procedure(pid).expect("p").version, 1);
    assert_eq!(h.state().view(), View::Procedures);
    assert_eq!(h.state().browser().selected, Some(pid));

    // Edit: move step 1 down with Alt+Down, save as version 2.
    h.get_by_label("✏ Edit").click();
    h.run();
    type_into(&mut h, "Step 1 text", "");
    h.key_press_modifiers(Modifiers::ALT, Key::ArrowDown);
    h.run();
    assert!(h.state().editor().is_dirty());
    h.get_by_label("Save new version…").click();
    h.run();
    assert_eq!(h.state().editor().save_dialog.as_deref(), Some("moved step 1 to 2"));
    h.get_by_label("Save version 2").click();
    h.run();
    assert_eq!(texts(&h, pid), ["Count the float", "Unlock the door", "Turn on the music"]);
    assert_eq!(db(&h).procedure(pid).expect("p").version, 2);

    // Versions: the diff of 1 and 2 shows the move.
    h.get_by_label("Versions (2)").click();
    h.run();
    assert_eq!(h.state().view(), View::Versions);
    assert_eq!(h.state().versions().compare, Some((1, 2)));
    h.get_by_label("moved from 1");
    assert_eq!(h.query_all_by_label("moved step 1 to 2").count(), 2, "in the list and atop the diff");

    // Restore version 1: version 3 has the content of version 1.
    h.get_by_label("Restore version 1…").click();
    h.run();
    h.get_by_label("Restore version 1").click();
    h.run();
    assert_eq!(db(&h).procedure(pid).expect("p").version, 3);
    assert_eq!(texts(&h, pid), ["Unlock the door", "Count the float", "Turn on the music"]);
    let (v1, v3) = (db(&h).version_snapshot(pid, 1).expect("v1"), db(&h).version_snapshot(pid, 3).expect("v3"));
    assert_eq!((v1.name, v1.steps, v1.labels), (v3.name, v3.steps, v3.labels));

    // Everything written is valid.
    h.state_mut().flush();
    let loaded = procedures::store::load(dir.path()).expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.db.versions_of(pid).len(), 3);
}

#[test]
fn unsaved_changes_guard() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let pid = find(&h, "Payroll run").expect("p");
    let version = db(&h).procedure(pid).expect("p").version;
    h.get_by_label("Payroll run").click();
    h.run();
    h.get_by_label("✏ Edit").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").type_text(" (bi-weekly)");
    h.run();
    // Leaving asks first; Cancel stays.
    h.get_by_label("🕘 History").click();
    h.run();
    h.get_by_label("Save your changes?");
    h.get_by_label("Cancel").click();
    h.run();
    assert_eq!(h.state().view(), View::Editor);
    // Discard leaves without saving.
    h.get_by_label("🕘 History").click();
    h.run();
    h.get_by_label("Discard").click();
    h.run();
    assert_eq!(h.state().view(), View::History);
    assert_eq!(db(&h).procedure(pid).expect("p").name, "Payroll run");
    // Save saves a new version with the automatic description, then leaves.
    h.get_by_label("📋 Procedures").click();
    h.run();
    h.get_by_label("✏ Edit").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").type_text("!");
    h.run();
    h.get_by_label("🕘 History").click();
    h.run();
    h.get_by_label("Save").click();
    h.run();
    assert_eq!(h.state().view(), View::History);
    let p = db(&h).procedure(pid).expect("p");
    assert_eq!((p.name.as_str(), p.version), ("Payroll run!", version + 1));
    let last = db(&h).version(*db(&h).versions_of(pid).last().expect("v")).expect("row");
    assert_eq!(last.change_description, "renamed");
}

#[test]
fn duplicate_and_delete_with_confirmation() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.get_by_label("Quarterly access review").click();
    h.run();
    h.get_by_label("Duplicate").click();
    h.run();
    let copy = find(&h, "Copy of Quarterly access review").expect("copy");
    assert_eq!(db(&h).procedure(copy).expect("p").version, 1);
    let original = find(&h, "Quarterly access review").expect("original");
    let runs = db(&h).runs_of(original).len();
    assert!(runs > 0);
    h.state_mut().browser_mut().selected = Some(original);
    h.run();
    h.get_by_label("Delete…").click();
    h.run();
    h.get_by_label(&format!("Delete procedure and {runs} runs")).click();
    h.run();
    assert!(find(&h, "Quarterly access review").is_none());
    assert!(db(&h).runs.rows().iter().all(|r| r.procedure_id != original));
    h.state_mut().flush();
    let loaded = procedures::store::load(dir.path()).expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
}

#[test]
fn labels_manager_create_rename_delete() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.get_by_label("🏷 Labels").click();
    h.run();
    type_into(&mut h, "New label name", "audit");
    h.get_by_label("Create label").click();
    h.run();
    let id = db(&h).labels.rows().iter().find(|l| l.name == "audit").expect("created").id;
    let kitchen = db(&h).labels.rows().iter().find(|l| l.name == "kitchen").expect("k").id;
    let users = db(&h).procedures_with_label(kitchen).len();
    assert_eq!(users, 2);
    h.get_by_label("Delete label kitchen").click();
    h.run();
    h.get_by_label("Delete label").click();
    h.run();
    assert!(db(&h).label(kitchen).is_none());
    assert!(db(&h).procedure_labels.rows().iter().all(|pl| pl.label_id != kitchen));
    assert!(db(&h).label(id).is_some());

    // A label's colour comes from a palette (#19.8); its name field is wide enough to read.
    let field = h
        .get_all_by_value("daily")
        .find(|n| n.accesskit_node().role() == Role::TextInput)
        .expect("the name field")
        .rect();
    assert!(field.width() >= 150.0, "{field:?}");
    h.get_by_label("Color of daily").click();
    h.run();
    h.get_by_label("Colour #911eb4").click();
    h.run();
    let daily = db(&h).labels.rows().iter().find(|l| l.name == "daily").expect("daily").color.clone();
    assert_eq!(daily, "#911eb4");
}

#[test]
fn drift_notice_links_to_the_diff() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let pid = find(&h, "Release deployment").expect("p");
    let before = db(&h).procedure(pid).expect("p").version;
    h.get_by_label("Release deployment").click();
    h.run();
    h.get_by_label("✏ Edit").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").type_text(" (prod)");
    h.run();
    h.get_by_label("Save new version…").click();
    h.run();
    h.get_by_role_and_label(Role::Button, &format!("Save version {}", before + 1)).click();
    h.run();
    // Saved and still selected in the browser.
    assert_eq!(h.state().browser().selected, Some(pid));
    h.get_by_label("▶ Start run").click();
    h.run();
    h.get_by_label_contains("Changed since your last run");
    h.get_by_label("See what changed").click();
    h.run();
    assert_eq!(h.state().view(), View::Versions);
    assert_eq!(h.state().versions().compare, Some((before, before + 1)));
}

/// Steps that record, in the editor: options checked as you type (an empty range blocks
/// saving), a pasted value hint makes a number step, an "only if" picked from the earlier
/// steps is shown in words, and the version's summary says what changed.
#[test]
fn editing_kinds_options_and_conditions() {
    let dir = copy_of(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kitchen"));
    // Tall enough for ten steps, the description's preview and the save button.
    let mut h = app_sized(dir.path(), 1280.0, 1400.0);
    h.get_by_label("Kitchen opening").click();
    h.run();
    h.get_by_label("✏ Edit").click();
    h.run();
    assert_eq!(h.state().view(), View::Editor);
    // The fridge's range, typed wrong: said at once, and saving is blocked.
    {
        let node = h.get_all_by(|n| n.data().value() == Some("°C 0..5")).next().expect("options field");
        node.click();
    }
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run();
    h.get_all_by(|n| n.data().value() == Some("°C 0..5")).next().expect("field").type_text("°C 5..0");
    h.run();
    h.get_by_label("⚠ Step 2: the range 5..0 is empty (the lowest value comes first: 0..5)");
    assert!(h.get_by_label("Save new version…").accesskit_node().is_disabled());
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run();
    h.get_all_by(|n| n.data().value() == Some("°C 5..0")).next().expect("field").type_text("°C 1..4");
    h.run();

    // A pasted step with a value hint is a number step.
    h.get_by_label("Paste steps").click();
    h.run();
    type_into(&mut h, "Paste a list of steps", "- Oil temperature ____ °C (160–180 °C)\n");
    h.get_by_label("Add these steps").click();
    h.run();
    let last = h.state().editor().draft.steps.last().cloned().expect("step");
    assert_eq!(
        (last.description.as_str(), last.kind, last.options.as_str()),
        ("Oil temperature", StepKind::Number, "°C 160..180")
    );
    // Only if the fryer is on, picked from the earlier steps, shown in words.
    h.get_all_by_label("needed").last().expect("the new step picker").click();
    h.run();
    h.get_by_label("only if 5. Fryer on?").click();
    h.run();
    // Step 6 already had that condition; the new step has it now too.
    assert_eq!(h.get_all_by_label("only if “Fryer on?” is Yes").count(), 2);

    h.get_by_label("Save new version…").click();
    h.run();
    assert_eq!(h.state().editor().save_dialog.as_deref(), Some("added step 10; changed what step 2 asks"));
    h.get_by_label("Save version 2").click();
    h.run();
    let db = db(&h);
    let steps: Vec<&Step> = db.steps_of(ProcedureId(1)).collect();
    assert_eq!(steps[1].options, "°C 1..4");
    assert_eq!(steps[9].show_if, format!("{} = Yes", steps[4].id));
    h.state_mut().flush();
    let again = procedures::store::load(dir.path()).expect("load");
    assert!(again.problems.is_empty(), "{:?}", again.problems);
}

#[test]
fn a_long_paste_scrolls_in_its_box_and_the_buttons_stay_in_reach() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::N);
    h.run();
    let lines: String = (1..=200).map(|i| format!("- Step number {i}\n")).collect();
    type_into(&mut h, "Paste a list of steps", &lines);
    let window = h.ctx.content_rect();
    let add = h.get_by_label("Add these steps").rect();
    assert!(add.max.y < window.max.y, "the button is on screen: {add:?} in {window:?}");
    h.get_by_label("Add these steps").click();
    h.run();
    assert_eq!(h.state().editor().draft.steps.iter().filter(|s| !s.description.is_empty()).count(), 200);
}

#[test]
fn add_step_puts_the_typing_in_the_new_step() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::N);
    h.run();
    h.get_by_label("➕ Add step").click();
    h.run();
    // No click into the field: what is typed lands in the new step (#19.12).
    h.input_mut().events.push(egui::Event::Text("Wipe the bar".into()));
    h.run();
    let steps: Vec<String> = h.state().editor().draft.steps.iter().map(|s| s.description.clone()).collect();
    assert_eq!(steps, ["", "Wipe the bar"]);
}
