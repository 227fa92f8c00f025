//! Every way out of the window asks while anything is unsaved (#27.1): Ctrl+Q, the
//! window's close button (or the system asking the app to quit), File → Quit, opening
//! another folder; the status bar says when the editor holds unsaved changes. Reopening
//! the open folder from Recent reads it again instead of locking the window out (#27.6).

mod common;
use common::*;
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use procedures::app::App;
use procedures::ui::View;
use std::path::Path;

fn app_on(dir: &std::path::Path) -> Harness<'static, App> {
    app_sized(dir, 1280.0, 900.0)
}

/// What the window's close button (or the OS asking the app to quit) sends.
fn close_button(h: &mut Harness<'static, App>) {
    h.input_mut().viewports.entry(egui::ViewportId::ROOT).or_default().events.push(egui::ViewportEvent::Close);
    h.run();
}

/// Edit "Payroll run" and type into its name, leaving the editor dirty.
fn edit_the_name(h: &mut Harness<'static, App>) {
    h.get_by_label("Payroll run").click();
    h.run();
    h.get_by_label("✏ Edit").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").type_text(" (bi-weekly)");
    h.run();
}

fn name_on_disk(dir: &std::path::Path) -> bool {
    std::fs::read_to_string(dir.join("procedures.csv")).expect("procedures.csv").contains("Payroll run (bi-weekly)")
}

#[test]
fn ctrl_q_with_an_unsaved_edit_asks_and_cancel_keeps_it() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    edit_the_name(&mut h);
    // The status bar does not claim everything is saved.
    assert!(h.query_by_label("All changes saved").is_none());
    h.get_by_label("Unsaved changes in the editor");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run();
    h.get_by_label("Save your changes?");
    assert!(!h.state().quitting(), "Ctrl+Q must not close while the editor has unsaved changes");
    h.get_by_label("Cancel").click();
    h.run();
    assert!(!h.state().quitting());
    assert_eq!(h.state().view(), View::Editor);
    assert!(h.state().editor().is_dirty(), "Cancel keeps the edit");

    // Asked again, Discard lets the window close and writes nothing.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run();
    h.get_by_label("Discard").click();
    h.run();
    assert!(h.state().quitting());
    assert!(!name_on_disk(dir.path()));
}

#[test]
fn the_close_button_with_an_unsaved_edit_asks_and_save_saves_then_closes() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    edit_the_name(&mut h);
    close_button(&mut h);
    h.get_by_label("Save your changes?");
    assert!(!h.state().quitting(), "the close button must not close while the editor has unsaved changes");
    h.get_by_label("Save").click();
    h.run();
    assert!(h.state().quitting());
    h.state_mut().flush();
    assert!(name_on_disk(dir.path()), "Save then quit writes the edit");
}

#[test]
fn a_new_procedure_with_a_name_typed_asks_before_closing() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::N);
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Name").type_text("Fire drill");
    h.run();
    close_button(&mut h);
    h.get_by_label("Save your changes?");
    assert!(!h.state().quitting());
}

#[test]
fn nothing_unsaved_quits_at_once() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    h.run();
    assert!(h.state().quitting());
    assert!(h.query_by_label("Save your changes?").is_none());
}

#[test]
fn the_close_button_while_typing_a_run_note_asks_quit_anyway() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.get_by_label("Payroll run").click();
    h.run();
    h.get_by_label("▶ Start run").click();
    h.run();
    assert_eq!(h.state().view(), View::Runner);
    h.get_by_label("Run notes…").click();
    h.run();
    h.get_all_by(|n| n.data().placeholder() == Some("Notes for this run"))
        .next()
        .expect("the notes field")
        .type_text("Bank file late");
    h.run();
    close_button(&mut h);
    h.get_by_label("Quit without it?");
    h.get_by_label_contains("the run's notes");
    assert!(!h.state().quitting());
    h.get_by_label("Cancel").click();
    h.run();
    assert!(!h.state().quitting());
    close_button(&mut h);
    h.get_by_label("Quit anyway").click();
    h.run();
    assert!(h.state().quitting());
}

#[test]
fn reopening_the_open_folder_from_recent_reads_it_again_and_keeps_it_writable() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    assert!(!h.state().folder().expect("open").read_only());
    // Recent lists the open folder; choosing it must not lock the window out of itself.
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Recent").hover();
    h.run();
    h.get_by_role_and_label(Role::Button, &dir.path().display().to_string()).click();
    h.run();
    h.state_mut().wait_loading();
    h.run();
    let folder = h.state().folder().expect("still open");
    assert!(folder.blocked.is_none(), "locked out by itself: {:?}", folder.blocked);
    assert!(!folder.read_only());
}

/// A desktop without a dialog service (no portal, no zenity), as rfd reports it.
fn no_dialog_service(_: &procedures::app::DialogRequest) -> procedures::app::Answer {
    procedures::app::Answer::Failed("Failed to pick folder with zenity: zenity not found".to_owned())
}

/// Run frames until `label` shows (the dialog answers on its thread), at most 5 s.
fn run_until_shown(h: &mut Harness<'static, App>, label: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while h.query_by_label(label).is_none() {
        assert!(std::time::Instant::now() < deadline, "{label:?} never showed");
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.run();
    }
}

/// Replace the path field's text and press the button `ok` (Enter when `None`).
fn type_path(h: &mut Harness<'static, App>, path: &str, ok: Option<&str>) {
    h.get_by_role_and_label(Role::TextInput, "Path:").click();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_role_and_label(Role::TextInput, "Path:").type_text(path);
    h.run();
    match ok {
        Some(ok) => h.get_by_role_and_label(Role::Button, ok).click(),
        None => h.key_press(Key::Enter),
    }
    h.run();
}

#[test]
fn without_a_dialog_service_open_a_folder_falls_back_to_a_typed_path() {
    let dir = copy_of(&sample_data());
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1100.0, 800.0))
        .with_max_steps(24)
        .build_eframe(|cc| App::new(cc, None));
    h.state_mut().set_user_name("Test User");
    h.state_mut().set_dialog_backend(no_dialog_service);
    h.run();
    assert!(h.state().folder().is_none());
    h.get_by_label("Open a folder…").click();
    h.run();
    // The reason is on screen, with a field to type the path.
    run_until_shown(&mut h, "Open a data folder");
    h.get_by_label_contains("zenity not found");
    // A path that is not a folder is refused in place.
    type_path(&mut h, "/no/such/folder/here", None);
    h.get_by_label("There is no folder at /no/such/folder/here.");
    assert!(h.state().folder().is_none());
    type_path(&mut h, &dir.path().display().to_string(), None);
    h.state_mut().wait_loading();
    h.run();
    assert_eq!(h.state().folder().map(|f| f.dir.clone()), Some(dir.path().to_path_buf()));
    assert!(h.query_by_label("Open a data folder").is_none(), "the field closed");
}

#[test]
fn without_a_dialog_service_an_export_is_saved_where_the_path_says() {
    let dir = copy_of(&sample_data());
    let out = tempfile::tempdir().expect("tmp");
    let mut h = app_on(dir.path());
    h.state_mut().set_dialog_backend(no_dialog_service);
    h.get_by_label("Payroll run").click();
    h.run();
    h.get_by_label("Export checklist (Markdown)…").click();
    h.run();
    run_until_shown(&mut h, "Save the export as");
    h.get_by_label_contains("zenity not found");
    let target = out.path().join("payroll.md");
    type_path(&mut h, &target.display().to_string(), Some("Save"));
    let written = std::fs::read_to_string(&target).expect("the export was written");
    assert!(written.contains("Payroll run"), "{written}");
    h.get_by_label_contains(&format!("Saved {}", target.display()));
}

/// File → Import checklist in the window keeps what the list says: sections, value
/// kinds, options and conditions (#27.11), here through the typed-path fallback.
#[test]
fn importing_a_checklist_in_the_window_keeps_sections_kinds_options_and_conditions() {
    let dir = copy_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kitchen"));
    let db = procedures::store::load(dir.path()).expect("load").db;
    let original = procedures::model::ProcedureId(1);
    let md = procedures::transfer::procedure_markdown(&db, original).expect("md");
    let file = dir.path().join("kitchen-list.md");
    std::fs::write(&file, &md).expect("write");
    let shape = |db: &procedures::store::Dataset, pid| -> Vec<(String, procedures::model::StepKind, String, bool)> {
        db.steps_of(pid).map(|s| (s.description.clone(), s.kind, s.options.clone(), !s.show_if.is_empty())).collect()
    };
    let want = shape(&db, original);
    assert!(want.iter().any(|s| s.3), "the fixture has a condition");

    let mut h = app_on(dir.path());
    h.state_mut().set_dialog_backend(no_dialog_service);
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Import checklist…").click();
    h.run();
    run_until_shown(&mut h, "Import a checklist");
    type_path(&mut h, &file.display().to_string(), Some("Import"));
    assert_eq!(h.state().view(), View::Editor);
    h.get_by_label("Create procedure").click();
    h.run();
    let db = h.state().db().expect("open");
    let imported = db.procedures.rows().iter().map(|p| p.id).max().expect("a procedure");
    assert_ne!(imported, original);
    assert_eq!(shape(db, imported), want);
}

/// A 20 KB description nested 10,000 levels deep (`> - ` repeated) is shown plain, in
/// bounded time and memory, when its procedure is selected (#28.4).
#[test]
fn a_deeply_nested_description_is_shown_plain() {
    let description = "> - ".repeat(5_000);
    let procedures = format!(
        "id,name,description,created_at,updated_at,version\n1,Open,\"{description}\",2025-01-01 08:00:00,2025-01-01 08:00:00,1\n"
    );
    let dir = valid_with("procedures.csv", &procedures);
    let mut h = app_on(dir.path());
    h.get_by_label("Open").click();
    h.run();
    h.get_by_label_contains("Shown as plain text: nested deeper than 12 levels");
}

static OPENED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn record_link(url: &str) {
    OPENED.lock().expect("lock").push(url.to_owned());
}

/// Links in descriptions open in the system's browser for http, https and mailto; any
/// other scheme is refused with a message (#28.11).
#[test]
fn links_open_for_web_and_mail_and_other_schemes_are_refused() {
    let procedures = "id,name,description,created_at,updated_at,version\n1,Open,\"See [the runbook](https://example.com/runbook), [mail us](mailto:ops@example.com) or [this](javascript:alert(1)).\",2025-01-01 08:00:00,2025-01-01 08:00:00,1\n";
    let dir = valid_with("procedures.csv", procedures);
    let mut h = app_on(dir.path());
    h.state_mut().set_link_opener(record_link);
    h.get_by_label("Open").click();
    h.run();
    h.get_by_label("the runbook").click();
    h.run();
    h.get_by_label("mail us").click();
    h.run();
    h.get_by_label("this").click();
    h.run();
    assert_eq!(*OPENED.lock().expect("lock"), ["https://example.com/runbook", "mailto:ops@example.com"]);
    assert_eq!(
        h.state().message(),
        Some("Not opened: links to “javascript:” are refused (only http, https and mailto links open)")
    );
}

/// A `postgres://` URL given to the window opens it as a team database; one that cannot
/// be reached says so, naming it without its password.
#[test]
fn a_database_url_in_the_window_opens_it_or_says_why_without_the_password() {
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1100.0, 800.0))
        .with_max_steps(24)
        .build_eframe(|cc| App::new(cc, Some("postgres://ann:S3cr3t@127.0.0.1:1/team".into())));
    // A team database names its users: the first start does not ask for a name.
    h.run();
    assert!(h.query_by_label("Your name").is_none(), "no name asked for on a database");
    h.state_mut().wait_loading();
    h.run();
    assert!(h.state().folder().is_none());
    // The connect window asks again, saying why, with the connection string (no password).
    let said = h.state().connect_problem().expect("asked again").to_owned();
    assert!(said.contains("Cannot open the database") && said.contains("postgres://ann@127.0.0.1:1/team"), "{said}");
    assert!(!said.contains("S3cr3t") && !said.contains("not a folder"), "{said}");
    h.get_by_label_contains("Cannot open the database");
    let field = h.get_by_label_contains("A PostgreSQL connection string");
    let shown = format!("{:?}", field.value());
    assert!(shown.contains("postgres://ann@127.0.0.1:1/team") && !shown.contains("S3cr3t"), "{shown}");
}
