//! Desktop behaviour: drag and drop, exports and import, zoom that is remembered,
//! the shortcuts help, and an accessible name on every widget of every view.

mod common;
use common::*;
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use procedures::app::{App, Prefs};
use procedures::model::*;
use procedures::ui::View;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut Harness<'static, App>, path: &Path) {
    h.input_mut().dropped_files.push(Arc::new(Dropped(path.to_path_buf())));
    h.run();
}

fn harness(start: Option<PathBuf>, prefs: Prefs) -> Harness<'static, App> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 950.0))
        .with_max_steps(24)
        .build_eframe(move |cc| App::new_with_prefs(cc, Prefs { user_name: Some("Test User".into()), ..prefs }, start));
    h.run();
    to_procedures(&mut h);
    h
}

/// The sample has schedules, so it opens on Today; these flows start in the browser.
fn to_procedures(h: &mut Harness<'static, App>) {
    if h.state().view() == View::Today {
        h.state_mut().today_mut().wait();
        h.run();
        h.state_mut().set_view(View::Procedures);
        h.run();
    }
}

#[test]
fn dropping_a_folder_opens_it() {
    let dir = copy_of(&sample_data());
    let mut h = harness(None, Prefs::default());
    assert!(h.state().folder().is_none());
    h.get_by_label("Open a folder…");
    drop_file(&mut h, dir.path());
    assert!(h.state().folder().is_some());
    assert_eq!(h.state().db().expect("db").procedures.len(), 11);
}

#[test]
fn run_report_markdown_and_csv_for_a_fixture_run() {
    let dir = folder(VALID);
    let db = procedures::store::load(dir.path()).expect("load").db;
    let md = procedures::transfer::run_report_markdown(&db, RunId(1)).expect("report");
    assert_eq!(
        md,
        "# Open — run #1\n\n- Version: 1\n- Started: 2025-01-02 08:00:00\n- Ended: 2025-01-02 08:10:00 (10m)\n- Status: Completed\n\n\
| # | Step | Done | Value | Ticked at | By | Took | Note |\n|---|---|---|---|---|---|---|---|\n\
| 1 | Lights on | [x] |  | 2025-01-02 08:01:00 |  | 1m |  |\n\
| 2 | Coffee | [x] |  | 2025-01-02 08:09:00 |  | 8m |  |\n"
    );
    let csv = procedures::transfer::run_report_csv(&db, RunId(1)).expect("csv");
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][8], "Coffee");
    assert_eq!(&rows[1][11], "480");
    let checklist = procedures::transfer::procedure_markdown(&db, ProcedureId(1)).expect("md");
    assert_eq!(checklist, "# Open\n\n- [ ] Lights on (1m)\n- [ ] Coffee\n");
    let html = procedures::transfer::procedure_html(&db, ProcedureId(1)).expect("html");
    assert!(html.contains("<h1>Open</h1>") && html.contains("Lights on") && html.contains("@media print"));
}

#[test]
fn importing_a_markdown_checklist_creates_a_procedure() {
    let dir = copy_of(&sample_data());
    let lists = tempfile::tempdir().expect("tmp");
    let md = lists.path().join("bar-opening.md");
    std::fs::write(
        &md,
        "# Bar opening\n\nBefore the doors open.\n\n- [ ] Unlock (1m)\n- [ ] Count the float (10m)\n- [ ] Music on\n",
    )
    .expect("write");
    let mut h = harness(Some(dir.path().to_path_buf()), Prefs::default());
    drop_file(&mut h, &md);
    assert_eq!(h.state().view(), View::Editor);
    // Dropping a list onto the editor adds its steps.
    let more = lists.path().join("more.txt");
    std::fs::write(&more, "1. Check the taps\n2. Stock the fridge\n").expect("write");
    drop_file(&mut h, &more);
    h.get_by_label("Create procedure").click();
    h.run();
    let db = h.state().db().expect("db");
    let p = db.procedures.rows().iter().find(|p| p.name == "Bar opening").expect("created");
    assert_eq!(p.description, "Before the doors open.");
    let steps: Vec<(String, Option<u32>)> =
        db.steps_of(p.id).map(|s| (s.description.clone(), s.estimated_duration_secs)).collect();
    assert_eq!(
        steps,
        vec![
            ("Unlock".to_owned(), Some(60)),
            ("Count the float".to_owned(), Some(600)),
            ("Music on".to_owned(), None),
            ("Check the taps".to_owned(), None),
            ("Stock the fridge".to_owned(), None),
        ]
    );
    // And it exports back to the same checklist.
    let again = procedures::transfer::procedure_markdown(db, p.id).expect("md");
    let parsed = procedures::transfer::parse_checklist(&again, "x");
    assert_eq!(parsed.steps.len(), 5);
    assert_eq!(parsed.name, "Bar opening");
}

#[test]
fn zoom_shortcut_is_remembered() {
    let dir = copy_of(&sample_data());
    let mut h = harness(Some(dir.path().to_path_buf()), Prefs::default());
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Plus);
    h.run();
    let zoom = h.state().prefs().zoom;
    assert!(zoom > 1.0, "zoomed in: {zoom}");
    // The next start (preferences read back) uses it.
    let prefs = h.state().prefs().clone();
    let h2 = harness(Some(dir.path().to_path_buf()), prefs);
    assert!((h2.ctx.zoom_factor() - zoom).abs() < 1e-6);
}

#[test]
fn f1_shows_the_shortcuts() {
    let dir = copy_of(&sample_data());
    let mut h = harness(Some(dir.path().to_path_buf()), Prefs::default());
    h.key_press(Key::F1);
    h.run();
    h.get_by_label("Keyboard shortcuts");
    h.get_by_label("Undo the last tick or untick");
    // Esc closes it (#19); F1 opens it again and F1 closes it.
    h.key_press(Key::Escape);
    h.run();
    assert!(h.query_by_label("Keyboard shortcuts").is_none(), "Esc closes the help");
    h.key_press(Key::F1);
    h.run();
    h.get_by_label("Keyboard shortcuts");
    h.key_press(Key::F1);
    h.run();
    assert!(h.query_by_label("Keyboard shortcuts").is_none(), "F1 closes it too");
}

#[test]
fn every_view_has_names_on_every_widget() {
    // The harness checks accessible names after every run(): visit every view.
    let dir = copy_of(&sample_data());
    let mut h = harness(Some(dir.path().to_path_buf()), Prefs::default());
    h.state_mut().set_view(View::Today);
    h.run();
    h.get_by_label_contains("Today — ");
    h.state_mut().set_view(View::Procedures);
    h.run();
    h.get_by_label("Release deployment").click();
    h.run();
    h.get_by_label("▶ Start run").click();
    h.run();
    h.key_press(Key::N);
    h.run();
    h.key_press(Key::Escape);
    h.run();
    for nav in ["⏵ In progress (3)", "🕘 History", "📊 Analytics", "🏷 Labels", "📋 Procedures"] {
        h.get_by_label(nav).click();
        h.step();
        h.step();
        h.state_mut().analytics_mut().wait();
        h.run();
    }
    h.get_by_label("✏ Edit").click();
    h.run();
    assert_eq!(h.state().view(), View::Editor);
    h.get_by_label("📋 Procedures").click();
    h.run();
    h.get_by_label("Versions (3)").click();
    h.run();
    assert_eq!(h.state().view(), View::Versions);
    assert!(h.unnamed_widgets().is_empty(), "{:?}", h.unnamed_widgets());
}

#[test]
fn a_big_folder_loads_in_the_background_with_progress() {
    let dir = copy_of(&sample_data());
    let path = dir.path().to_path_buf();
    let mut h = Harness::builder().with_size(egui::vec2(1200.0, 800.0)).with_max_steps(24).build_eframe(move |cc| {
        let mut app = App::new_with_prefs(cc, Prefs { user_name: Some("Test User".into()), ..Prefs::default() }, None);
        app.session_mut().set_load_in_background_above(0); // treat the sample as big
        app.open_folder(&path);
        assert!(app.folder().is_none(), "open_folder returns before the data is there");
        app
    });
    h.state_mut().wait_loading();
    let generation = h.state().db().expect("loaded").generation();
    assert_eq!(h.state().browser().built_for(), Some(generation), "the list was built on the loading thread");
    h.run();
    assert_eq!(h.state().db().expect("loaded").procedures.len(), 11);
    to_procedures(&mut h);
    h.get_by_label("Release deployment");
}

#[test]
fn exports_for_spreadsheets_neutralize_formulas() {
    use procedures::transfer::spreadsheet_safe;
    for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
        assert!(spreadsheet_safe(bad).starts_with('\''), "{bad:?}");
    }
    assert_eq!(spreadsheet_safe("Lights on"), "Lights on");
    // A note typed as a formula stays verbatim in the data, but not in the report.
    let dir = folder(VALID);
    let mut db = procedures::store::load(dir.path()).expect("load").db;
    let rs = db.run_step_ids(RunId(1))[0];
    procedures::ops::set_step_note(&mut db, rs, "=cmd|' /C calc'!A0").expect("note");
    let csv = procedures::transfer::run_report_csv(&db, RunId(1)).expect("csv");
    assert!(csv.contains(",'=cmd|' /C calc'!A0"), "{csv}");
    assert_eq!(db.run_step(rs).expect("rs").notes(), "=cmd|' /C calc'!A0");
}
