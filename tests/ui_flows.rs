//! The daily path in the real app, headless (egui_kittest, no GPU): browse, search,
//! filter, start a run, tick, note, undo, complete, cancel, resume, read-only.

mod common;
use common::*;
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use procedures::app::App;
use procedures::model::*;
use procedures::ui::browser::{BrowserState, Sort};
use procedures::ui::{Command, View};

/// The whole app on `dir`, as eframe would build it (no stored preferences).
fn app_on(dir: &std::path::Path) -> Harness<'static, App> {
    app_sized(dir, 1280.0, 860.0)
}

fn visible(h: &mut Harness<'static, App>) -> Vec<String> {
    let ids = h.state_mut().visible_procedures();
    let Some(db) = h.state().db() else { return Vec::new() };
    ids.iter().filter_map(|id| db.procedure(*id)).map(|p| p.name.clone()).collect()
}

fn db<'a>(h: &'a Harness<'static, App>) -> &'a procedures::store::Dataset {
    h.state().db().expect("a folder is open")
}

/// Select a procedure in the browser and start a run of it.
fn start(h: &mut Harness<'static, App>, name: &str) -> RunId {
    h.get_by_label(name).click();
    h.run();
    h.get_by_label("▶ Start run").click();
    h.run();
    assert_eq!(h.state().view(), View::Runner);
    h.state().runner().run.expect("a run is open")
}

fn step_states(h: &Harness<'static, App>, run: RunId) -> Vec<bool> {
    let db = db(h);
    db.run_steps_of(run).map(|rs| rs.completed).collect()
}

#[test]
fn opens_folder_with_title_and_lists_procedures() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let name = dir.path().file_name().expect("name").to_string_lossy().into_owned();
    assert_eq!(h.state().title(), format!("Procedures — {name}"));
    assert_eq!(visible(&mut h).len(), 11);
    h.get_by_label("Weekly server patching");
    h.get_by_label_contains("All changes saved");
}

#[test]
fn search_and_label_filter_narrow_the_list() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::F);
    h.run();
    h.get_by_role(Role::TextInput).type_text("restore");
    h.run();
    // Matches the name of one procedure and a step text of another ("Restore to the scratch instance").
    assert_eq!(visible(&mut h), vec!["Database backup restore test".to_owned()]);
    h.state_mut().browser_mut().query.clear();
    h.run();
    assert_eq!(visible(&mut h).len(), 11);

    h.get_by_role_and_label(Role::Button, "kitchen").click();
    h.run();
    assert_eq!(visible(&mut h), vec!["Kitchen closing".to_owned(), "Kitchen opening".to_owned()]);
    h.get_by_role_and_label(Role::Button, "safety").click();
    h.run();
    assert_eq!(visible(&mut h), vec!["Kitchen closing".to_owned(), "Kitchen opening".to_owned()]);
    h.get_by_role_and_label(Role::Button, "kitchen").click();
    h.run();
    assert_eq!(visible(&mut h).len(), 5, "safety alone");
}

#[test]
fn run_ticks_notes_complete_and_history() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let run = start(&mut h, "Release deployment");
    let n = step_states(&h, run).len();
    assert_eq!(n, 8);

    // Tick the first step by click, the next two by keyboard.
    h.get_by_label("1. Freeze merges to main").click();
    h.run();
    h.key_press(Key::Space);
    h.run();
    h.key_press(Key::Enter);
    h.run();
    assert_eq!(&step_states(&h, run)[..4], &[true, true, true, false]);

    // A note on the focused (current) step with N.
    h.key_press(Key::N);
    h.run();
    h.get_by_role(Role::TextInput).type_text("waited for QA");
    h.run();
    h.key_press(Key::Enter);
    h.run();
    let fourth = db(&h).run_step_ids(run)[3];
    assert_eq!(db(&h).run_step(fourth).expect("rs").notes(), "waited for QA");

    // Complete with steps left: asks first.
    h.get_by_label("✔ Complete run").click();
    h.run();
    h.get_by_label("Complete anyway").click();
    h.run();
    let r = db(&h).run(run).expect("run");
    assert_eq!(r.status, RunStatus::Completed);
    assert!(r.end_time.is_some());
    assert_eq!(h.state().view(), View::History);
    assert_eq!(h.state().history().selected, Some(run));
    h.state_mut().flush();

    // On disk, as the UI shows it.
    let loaded = procedures::store::load(dir.path()).expect("load");
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let on_disk = loaded.db.run(run).expect("run saved");
    assert_eq!(on_disk.status, RunStatus::Completed);
    let ticked = loaded.db.run_steps_of(run).filter(|rs| rs.completed).count();
    assert_eq!(ticked, 3);
    assert_eq!(loaded.db.run_step(fourth).expect("rs").notes(), "waited for QA");
    // History shows it selected, with its detail, and lists it with its counts.
    h.get_by_label(&format!("Run #{run}"));
    h.get_by_label("Notes");
    assert!(h.query_all_by_label("3/8").count() >= 1);
}

#[test]
fn cancel_with_reason() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let run = start(&mut h, "Payroll run");
    h.get_by_label("Cancel run…").click();
    h.run();
    // The reason field has the focus when the dialog opens.
    h.get_by_role(Role::TextInput).type_text("timesheets missing");
    h.run();
    h.get_by_label("Cancel run").click();
    h.run();
    let r = db(&h).run(run).expect("run");
    assert_eq!(r.status, RunStatus::Cancelled);
    assert_eq!(r.notes(), "timesheets missing");
    h.state_mut().flush();
    let loaded = procedures::store::load(dir.path()).expect("load");
    assert_eq!(loaded.db.run(run).expect("run").notes(), "timesheets missing");

    // Enter in the reason confirms the dialog (Payroll run is still selected).
    h.state_mut().set_view(View::Procedures);
    h.run();
    h.get_by_label("▶ Start run").click();
    h.run();
    let run = h.state().runner().run.expect("a second run");
    h.get_by_label("Cancel run…").click();
    h.run();
    h.get_by_role(Role::TextInput).type_text("wrong day");
    h.run();
    h.key_press(Key::Enter);
    h.run();
    let r = db(&h).run(run).expect("run");
    assert_eq!((r.status, r.notes()), (RunStatus::Cancelled, "wrong day"));
}

#[test]
fn undo_a_tick() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let run = start(&mut h, "Payroll run");
    h.key_press(Key::Space);
    h.run();
    h.key_press(Key::Space);
    h.run();
    assert_eq!(&step_states(&h, run)[..3], &[true, true, false]);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(&step_states(&h, run)[..3], &[true, false, false]);
    // The focus is back on the undone step: Space ticks it, not the one after (#19.10).
    assert_eq!(h.state().runner().focus, 1);
    h.key_press(Key::Space);
    h.run();
    assert_eq!(&step_states(&h, run)[..3], &[true, true, false]);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(&step_states(&h, run)[..3], &[true, false, false]);
    // Undo of an untick restores the original tick time.
    let first = db(&h).run_step_ids(run)[0];
    let at = db(&h).run_step(first).expect("rs").completed_at();
    h.get_by_label("1. Collect and approve timesheets").click();
    h.run();
    assert!(!step_states(&h, run)[0]);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(db(&h).run_step(first).expect("rs").completed_at(), at);
}

#[test]
fn resume_in_progress_run_after_restart() {
    let dir = copy_of(&sample_data());
    let run = {
        let mut h = app_on(dir.path());
        let run = start(&mut h, "Fire safety walk-through");
        h.key_press(Key::Space);
        h.run();
        h.key_press(Key::Escape);
        h.run();
        assert_eq!(h.state().view(), View::InProgress);
        h.state_mut().flush();
        run
    };
    let mut h = app_on(dir.path());
    h.get_by_label_contains("In progress (").click();
    h.run();
    // Newest first: the run just started is the first one listed.
    h.get_all_by_label("Resume").next().expect("a Resume button").click();
    h.run();
    assert_eq!(h.state().view(), View::Runner);
    assert_eq!(h.state().runner().run, Some(run));
    assert_eq!(&step_states(&h, run)[..2], &[true, false]);
    h.key_press(Key::Space);
    h.run();
    assert_eq!(&step_states(&h, run)[..2], &[true, true]);
}

#[test]
fn one_tick_changes_exactly_one_line_on_disk() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let run = start(&mut h, "Month-end close");
    // The first tick that records a name gives run_steps.csv its completed_by column (a
    // new column is written once a row needs it: every line changes, once).
    h.key_press(Key::Space);
    h.run();
    h.state_mut().flush();
    let header = snapshot_files(dir.path()).into_iter().find(|(n, _)| n == "run_steps.csv").expect("file").1;
    assert!(
        String::from_utf8_lossy(&header).starts_with("id,run_id,step_id,completed,completed_at,notes,completed_by\n")
    );
    let before = snapshot_files(dir.path());
    h.key_press(Key::Space);
    h.run();
    h.state_mut().flush();
    let after = snapshot_files(dir.path());
    let mut changed_lines = 0;
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
        let diff =
            a.lines().zip(b.lines()).filter(|(x, y)| x != y).count() + a.lines().count().abs_diff(b.lines().count());
        if diff > 0 {
            assert_eq!(name, "run_steps.csv");
        }
        changed_lines += diff;
    }
    assert_eq!(changed_lines, 1);
    assert!(step_states(&h, run)[1]);
}

#[test]
fn folder_with_problems_opens_read_only_and_writes_nothing() {
    let dir =
        valid_with("runs.csv", "id,procedure_id,start_time,end_time,status,notes\n1,1,2025-01-02 08:00:00,,running,\n");
    let before = snapshot_files(dir.path());
    let mut h = app_on(dir.path());
    h.get_by_label_contains("open read-only");
    h.get_by_label_contains("runs.csv:2: status: expected in_progress, completed or cancelled");
    assert!(h.state().title().ends_with("(read-only)"));
    h.get_by_label("Open").click();
    h.run();
    let start = h.get_by_label("▶ Start run");
    assert!(start.accesskit_node().is_disabled());
    // Nothing invites work that would be refused: no new procedure, Ctrl+N says why.
    assert!(h.get_by_label("➕ New procedure").accesskit_node().is_disabled());
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::N);
    h.run();
    assert_ne!(h.state().view(), View::Editor);
    assert!(h.state().message().is_some_and(|m| m.contains("read-only")));
    h.state_mut().flush();
    assert_eq!(snapshot_files(dir.path()), before);
}

#[test]
fn welcome_screen_creates_a_new_folder() {
    let parent = tempfile::tempdir().expect("tmp");
    let mut h = Harness::builder()
        .with_size(egui::vec2(1000.0, 700.0))
        .with_max_steps(24)
        .build_eframe(|cc| App::new(cc, None));
    h.run();
    h.state_mut().set_user_name("Test User");
    h.run();
    h.get_by_label("Open a folder…");
    h.get_by_label("Open the sample");
    let target = parent.path().join("kitchen");
    h.get_by_role(Role::TextInput).click();
    h.run();
    h.get_by_role(Role::TextInput).type_text(&target.display().to_string());
    h.run();
    assert_eq!(h.state().welcome().path, target.display().to_string());
    h.get_by_label("Create").click();
    h.run();
    assert!(h.state().folder().is_some(), "{:?}", h.state().message());
    assert!(target.join("run_steps.csv").is_file());
    assert_eq!(
        h.state().prefs().last_folder.as_deref(),
        Some(std::fs::canonicalize(&target).expect("canon").as_path())
    );
}

#[test]
fn failed_save_shows_retry_and_keeps_the_change() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let run = start(&mut h, "Kitchen opening");
    h.state_mut().flush();
    let before = std::fs::read(dir.path().join("run_steps.csv")).expect("read");
    // Something in the way of the temp file makes the next save of run_steps.csv fail.
    // (A folder named like the temp file of a full rewrite or the redo file of a tail write.)
    let blockers = [dir.path().join(".run_steps.csv.tmp"), dir.path().join(".run_steps.csv.redo")];
    for b in &blockers {
        std::fs::create_dir(b).expect("mkdir");
    }
    h.key_press(Key::Space);
    h.run();
    h.state_mut().flush();
    h.run();
    h.get_by_label_contains("Not saved:");
    assert!(step_states(&h, run)[0], "the tick stays in memory");
    assert_eq!(std::fs::read(dir.path().join("run_steps.csv")).expect("read"), before, "old file intact");

    for b in &blockers {
        std::fs::remove_dir(b).expect("rmdir");
    }
    h.get_by_label("Retry").click();
    h.run();
    h.state_mut().flush();
    h.run();
    h.get_by_label("All changes saved");
    let loaded = procedures::store::load(dir.path()).expect("load");
    let first = loaded.db.run_step_ids(run)[0];
    assert!(loaded.db.run_step(first).expect("rs").completed);
}

#[test]
fn a_second_window_on_the_same_folder_is_read_only_until_the_first_closes() {
    let dir = copy_of(&sample_data());
    let first = app_on(dir.path());
    assert!(!first.state().folder().expect("open").read_only());
    let mut second = app_on(dir.path());
    let why = second.state().folder().expect("open").blocked.clone().expect("blocked");
    assert!(why.contains(&format!("pid {}", std::process::id())), "{why}");
    second.get_by_label_contains("open in another window");
    second.get_by_label("Release deployment").click();
    second.run();
    let start = second.get_by_label("▶ Start run");
    assert!(start.accesskit_node().is_disabled());
    // The first window closes: Try again makes this one the writer.
    drop(first);
    second.get_by_label("Try again").click();
    second.run();
    assert!(!second.state().folder().expect("open").read_only());
    second.get_by_label("▶ Start run").click();
    second.run();
    assert_eq!(second.state().view(), View::Runner);
}

#[test]
fn restore_a_backup_from_the_file_menu() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    let runs_before = db(&h).runs.len();
    start(&mut h, "Payroll run");
    h.state_mut().flush();
    assert_eq!(db(&h).runs.len(), runs_before + 1);
    let today = Timestamp::now().canonical()[..10].to_owned();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Restore backup…").click();
    h.run();
    h.get_by_label(&format!("Restore {today}…")).click();
    h.run();
    h.get_by_label("Restore").click();
    h.run();
    assert_eq!(db(&h).runs.len(), runs_before, "back to the state before today's first change");
    h.get_by_label_contains("Restored the backup of");
    let loaded = procedures::store::load(dir.path()).expect("load");
    assert_eq!(loaded.db.runs.len(), runs_before);
}

/// Replace the first occurrence of `from` in a table file, as another program would.
fn edit_outside(dir: &std::path::Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{from} not in {file}");
    // Make sure the modification time moves even on coarse clocks.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn outside_edit_without_pending_changes_reloads_in_place() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.state_mut().session_mut().set_disk_check_interval(std::time::Duration::ZERO);
    h.get_by_label("Payroll run").click();
    h.run();
    let pid = h.state().browser().selected.expect("selected");
    edit_outside(dir.path(), "procedures.csv", "Payroll run", "Payroll run (edited in a spreadsheet)");
    h.run();
    assert_eq!(db(&h).procedure(pid).expect("p").name, "Payroll run (edited in a spreadsheet)");
    assert_eq!(h.state().browser().selected, Some(pid), "the selection is kept");
    h.get_by_label_contains("Reloaded: procedures.csv changed on disk");
}

#[test]
fn a_big_folder_is_read_again_in_the_background_and_refuses_changes_meanwhile() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.state_mut().session_mut().set_disk_check_interval(std::time::Duration::from_secs(3600));
    h.state_mut().session_mut().set_load_in_background_above(0); // treat the sample as big
    h.get_by_label("Payroll run").click();
    h.run();
    let pid = h.state().browser().selected.expect("selected");
    let runs = db(&h).runs.len();
    edit_outside(dir.path(), "procedures.csv", "Payroll run", "Payroll run (edited in a spreadsheet)");
    h.state_mut().reload_in_place();
    assert!(h.state().reloading());
    // Meanwhile the old data stays up and nothing can change it.
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, Command::StartRun(pid));
    assert_eq!(db(&h).runs.len(), runs, "no run started while the folder is read again");
    assert!(h.state().message().is_some_and(|m| m.contains("being read again")), "{:?}", h.state().message());
    assert_eq!(db(&h).procedure(pid).expect("p").name, "Payroll run");
    h.step();
    h.state_mut().wait_loading();
    assert!(!h.state().reloading());
    assert_eq!(db(&h).procedure(pid).expect("p").name, "Payroll run (edited in a spreadsheet)");
    assert_eq!(h.state().browser().built_for(), Some(db(&h).generation()), "rows built on the loading thread");
    assert_eq!(h.state().browser().selected, Some(pid), "the selection is kept");
    h.state_mut().dismiss_message();
    h.run();
    // Writable again once the new data is there.
    h.get_by_label("▶ Start run").click();
    h.run();
    assert_eq!(h.state().view(), View::Runner);
    assert_eq!(db(&h).runs.len(), runs + 1);
    h.state_mut().flush();
    assert_eq!(procedures::store::load(dir.path()).expect("load").db.runs.len(), runs + 1);
}

#[test]
fn outside_edit_with_pending_changes_is_never_overwritten() {
    for keep_mine in [true, false] {
        let dir = copy_of(&sample_data());
        let mut h = app_on(dir.path());
        h.state_mut().session_mut().set_disk_check_interval(std::time::Duration::from_secs(3600));
        let run = start(&mut h, "Kitchen closing");
        h.state_mut().flush();
        // Someone edits an old note in run_steps.csv; then I tick a step.
        let theirs_marker = "ok";
        let text = std::fs::read_to_string(dir.path().join("run_steps.csv")).expect("read");
        let old_line = text.lines().find(|l| l.ends_with(&format!(",{theirs_marker}"))).expect("a note").to_owned();
        edit_outside(dir.path(), "run_steps.csv", &old_line, &old_line.replace(",ok", ",THEIR EDIT"));
        h.key_press(Key::Space);
        h.run();
        h.state_mut().flush();
        h.run();
        h.get_by_label_contains("run_steps.csv was changed outside the app");
        let on_disk = std::fs::read_to_string(dir.path().join("run_steps.csv")).expect("read");
        assert!(on_disk.contains("THEIR EDIT"), "their change is not overwritten");
        let first = db(&h).run_step_ids(run)[0];

        h.get_by_label(if keep_mine { "Keep mine" } else { "Reload" }).click();
        h.run();
        h.state_mut().flush();
        let on_disk = std::fs::read_to_string(dir.path().join("run_steps.csv")).expect("read");
        let loaded = procedures::store::load(dir.path()).expect("load");
        if keep_mine {
            assert!(loaded.db.run_step(first).expect("rs").completed, "my tick is written");
            assert!(!on_disk.contains("THEIR EDIT"));
            let backups = procedures::store::list_backups(dir.path());
            let theirs = backups.iter().find(|(n, _)| n.ends_with("-theirs")).expect("their version backed up");
            assert!(std::fs::read_to_string(theirs.1.join("run_steps.csv")).expect("read").contains("THEIR EDIT"));
        } else {
            assert!(on_disk.contains("THEIR EDIT"));
            assert!(!db(&h).run_step(first).expect("rs").completed, "their version is what the app shows");
            let side = std::fs::read_dir(dir.path().join(".conflicts"))
                .expect("side folder")
                .next()
                .expect("one")
                .expect("entry");
            let mine = procedures::store::load(&side.path()).expect("my changes load");
            assert!(mine.db.run_step(first).expect("rs").completed, "my tick is kept aside");
        }
    }
}

#[test]
fn opening_a_folder_writes_nothing() {
    let dir = copy_of(&sample_data());
    let before = snapshot_files(dir.path());
    let mut h = app_on(dir.path());
    h.state_mut().flush();
    let after: Vec<(String, Vec<u8>)> =
        snapshot_files(dir.path()).into_iter().filter(|(n, _)| n != ".procedures.lock").collect();
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, b)| format!("{n} {}", b.len())).collect::<Vec<_>>();
    assert_eq!(names(&after), names(&before));
    assert!(after == before, "a table file changed");
    assert!(!dir.path().join(".backups").exists());
}

#[test]
fn a_long_search_goes_on_over_frames_and_lists_what_a_fresh_search_lists() {
    let loaded = procedures::store::load(&sample_data()).expect("sample loads");
    let mut db = loaded.db;
    for i in 0..3_000 {
        let draft = procedures::ops::ProcedureDraft {
            name: format!("Generated {i:04} {}", if i % 3 == 0 { "alpha" } else { "beta" }),
            description: String::new(),
            steps: vec![procedures::ops::StepDraft::tick(&format!("Step of {i}"), None)],
            labels: Vec::new(),
        };
        procedures::ops::create_procedure(&mut db, &draft, Timestamp::now()).expect("create");
    }
    let fresh = |q: &str, sort: Sort| {
        let mut b = BrowserState::default();
        (b.query, b.sort) = (q.into(), sort);
        b.visible(&db)
    };
    let mut typing = BrowserState::default();
    typing.visible(&db);
    // With no time at all, a search is only started; with a nanosecond, each call
    // filters one batch: the list grows in order.
    typing.query = "alpha".into();
    typing.refresh_within(&db, std::time::Duration::ZERO);
    assert!(typing.searching() && typing.listed().is_empty());
    let tick = std::time::Duration::from_nanos(1);
    typing.refresh_within(&db, tick);
    assert!(typing.searching(), "3,000 rows take more than one batch");
    let all = fresh("alpha", Sort::Name);
    assert_eq!(all.len(), 1_000);
    let mut calls = 1;
    while typing.searching() {
        let so_far = typing.listed();
        assert_eq!(so_far[..], all[..so_far.len()], "a prefix of the full result");
        typing.refresh_within(&db, tick);
        calls += 1;
    }
    assert!(calls >= 3, "{calls}");
    assert_eq!(typing.listed(), all);
    // Typing on before a search is done: the unfinished list is not narrowed (nor kept).
    for (q, sort) in
        [("gen", Sort::Runs), ("gener", Sort::Runs), ("generated 1", Sort::Runs), ("step of 2", Sort::Name)]
    {
        (typing.query, typing.sort) = (q.into(), sort);
        typing.refresh_within(&db, tick);
        assert!(typing.searching(), "{q}");
    }
    for (q, sort) in [("gen", Sort::Runs), ("generated 1", Sort::Runs), ("step of 2", Sort::Name), ("beta", Sort::Name)]
    {
        (typing.query, typing.sort) = (q.into(), sort);
        assert_eq!(typing.visible(&db), fresh(q, sort), "{q}");
        assert!(!typing.searching());
    }
}

#[test]
fn search_results_are_the_same_typed_key_by_key_as_fresh() {
    // The browser narrows the last result while typing and remembers recent ones:
    // every step must list what a fresh search lists.
    let loaded = procedures::store::load(&sample_data()).expect("sample loads");
    let db = &loaded.db;
    let mut typing = BrowserState::default();
    for q in ["c", "ch", "che", "chec", "check", "check s", "check st", "check", "chec", "c", "", "x", "open", "o"] {
        typing.query = q.into();
        let mut fresh = BrowserState::default();
        fresh.query = q.into();
        assert_eq!(typing.visible(db), fresh.visible(db), "{q:?}");
    }
    typing.query = "e".into();
    for sort in [Sort::LastRun, Sort::Runs, Sort::CompletionRate, Sort::Name] {
        typing.sort = sort;
        let mut fresh = BrowserState::default();
        (fresh.query, fresh.sort) = ("e".into(), sort);
        assert_eq!(typing.visible(db), fresh.visible(db), "{sort:?}");
        assert!(!fresh.visible(db).is_empty());
    }
    // A run started elsewhere: only that procedure's row is rebuilt, and it counts.
    let mut db2 = db.clone();
    let last = *typing.visible(db).last().expect("a procedure");
    procedures::ops::start_run(&mut db2, last, Timestamp::now()).expect("start");
    for sort in [Sort::LastRun, Sort::Runs, Sort::Name] {
        typing.sort = sort;
        let mut fresh = BrowserState::default();
        (fresh.query, fresh.sort) = ("e".into(), sort);
        assert_eq!(typing.visible(&db2), fresh.visible(&db2), "{sort:?} after a run");
    }
    typing.sort = Sort::LastRun;
    assert_eq!(typing.visible(&db2)[0], last, "the procedure just run comes first");
}

/// A whole run without the mouse, in a handful of keys (#27, Keyboard): Ctrl+2 shows
/// the procedures, the search field finds one, Down selects it, Enter starts a run,
/// Space ticks, Ctrl+Enter completes.
#[test]
fn a_run_from_start_to_complete_with_a_handful_of_keys() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.state_mut().set_view(View::Today);
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Num2);
    h.run();
    assert_eq!(h.state().view(), View::Procedures);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::F);
    h.run();
    h.event(egui::Event::Text("payroll".into()));
    h.run();
    h.key_press(Key::ArrowDown);
    h.run();
    let pid = h.state().browser().selected.expect("Down selects the first match");
    let first = visible(&mut h).first().cloned().expect("a match");
    assert_eq!(db(&h).procedure(pid).expect("p").name, first);
    h.key_press(Key::Enter);
    h.run();
    assert_eq!(h.state().view(), View::Runner, "Enter starts a run of the selected procedure");
    let run = h.state().runner().run.expect("a run");
    let steps = db(&h).run_steps_of(run).count();
    for _ in 0..steps {
        h.key_press(Key::Space);
        h.run();
    }
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Enter);
    h.run();
    assert_eq!(db(&h).run(run).expect("run").status, RunStatus::Completed);
    // The keys are in the F1 help.
    h.key_press(Key::F1);
    h.run();
    h.get_by_label("Runner: Ctrl+Enter");
    h.get_by_label("Ctrl+1 … Ctrl+6");
}

/// Ctrl+N puts the cursor in Name; Ctrl+S creates; an untouched new procedure shows no
/// red errors until it is touched or saving is tried.
#[test]
fn ctrl_n_types_into_the_name_and_ctrl_s_saves() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::N);
    h.run();
    assert!(h.query_by_label_contains("needs a name").is_none(), "scolded before touching anything");
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    h.run();
    h.get_by_label_contains("needs a name");
    h.event(egui::Event::Text("Fire drill".into()));
    h.run();
    assert_eq!(h.state().editor().draft.name, "Fire drill");
    h.get_all_by(|n| n.data().placeholder() == Some("Step 1 text")).next().expect("step 1").click();
    h.run();
    h.event(egui::Event::Text("Sound the alarm".into()));
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::S);
    h.run();
    let created = db(&h).procedures.rows().iter().find(|p| p.name == "Fire drill").map(|p| p.id);
    let created = created.expect("Ctrl+S created it");
    assert_eq!(db(&h).steps_of(created).count(), 1);
}

/// At 150 % every column of Procedures and History is reachable (the table scrolls
/// sideways), the zoom is shown; selecting a run deep in History keeps it in view and
/// the list where it was (#27.4, #27.5).
#[test]
fn at_150_percent_every_column_is_reachable_and_history_keeps_its_place() {
    let dir = copy_of(&sample_data());
    let mut h = app_sized(dir.path(), 1100.0, 700.0);
    h.ctx.set_zoom_factor(1.5);
    h.run();
    h.get_by_label("150 %");
    let width = 1100.0 / 1.5;
    let scroll_right = |h: &mut Harness<'static, App>, over: egui::Pos2| {
        h.event(egui::Event::PointerMoved(over));
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(-2000.0, 0.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        h.run();
    };
    let completion = h.get_by_label("Completion").rect();
    assert!(completion.max.x > width, "the table is wider than the window here: {completion:?}");
    let over = h.get_by_label("Payroll run").rect().center();
    scroll_right(&mut h, over);
    let completion = h.get_by_label("Completion").rect();
    assert!(completion.max.x <= width && completion.min.x > 0.0, "Completion not reachable: {completion:?}");

    h.get_by_label("🕘 History").click();
    h.run();
    let notes = h.get_by_label("Notes").rect();
    assert!(notes.max.x > width, "{notes:?}");
    let over = h.get_by_label("Started ⏷").rect().center() + egui::vec2(0.0, 60.0);
    scroll_right(&mut h, over);
    let notes = h.get_by_label("Notes").rect();
    assert!(notes.max.x <= width + 1.0, "Notes not reachable: {notes:?}");

    // Down the list (back at its left edge), a click opens the run's detail and the
    // list stays where it was.
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(2000.0, -1500.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    h.run();
    let (label, before) = {
        // A run's row: its procedure's name (which runs are in the middle depends on the
        // date, as Today's count above the list does).
        let names: Vec<String> = db(&h).procedures.rows().iter().map(|p| p.name.to_string()).collect();
        let rows: Vec<_> = h.get_all_by_role(egui::accesskit::Role::Button).collect();
        let middle = rows
            .iter()
            .filter(|n| n.rect().min.y > 300.0 && n.rect().max.y < 400.0)
            .find(|n| n.accesskit_node().label().is_some_and(|l| names.iter().any(|name| l.contains(name.as_str()))))
            .expect("a run in the middle of the list");
        (middle.accesskit_node().label().expect("label"), middle.rect())
    };
    let header_before = h.get_by_label("Started ⏷").rect();
    h.get_all_by_label(&label).find(|n| n.rect() == before).expect("the row").click();
    h.run();
    assert!(h.state().history().selected.is_some(), "the run is selected");
    // The run stays in view, and the table keeps its scroll position where it can: the
    // row sits where it sat under the header, unless the filters above, wrapping onto
    // more lines now the detail takes room, would push it out of the list's room; then
    // the list moves only as far as it takes (the row at the bottom, above the status bar).
    let header = h.get_by_label("Started ⏷").rect();
    let below = before.min.y - header_before.min.y;
    let status_bar = h.get_by_label("150 %").rect().min.y;
    // (The list ends a little above the status bar: a row that ends a row higher fits.)
    let bottom = status_bar - before.height();
    // The list's row (the detail beside it is headed by the run's name too).
    let row = h
        .get_all_by_label(&label)
        .map(|n| n.rect())
        .find(|r| (r.min.x - before.min.x).abs() < 1.0)
        .unwrap_or_else(|| panic!("{label} is no longer in view (the header at {header:?})"));
    assert!(row.min.y >= header.max.y && row.max.y <= status_bar, "{label} out of view: {row:?}, header {header:?}");
    if header.min.y + below + before.height() <= bottom {
        assert!(
            (row.min.y - header.min.y - below).abs() < 1.0,
            "the list moved: {label} was {below} below the header, now at {row:?} with the header at {header:?}"
        );
    } else {
        assert!(status_bar - row.max.y < 1.5 * before.height() + 4.0, "moved further than it takes: {row:?}");
    }
}

/// At 200 % in an 800×600 window the status bar still says whether everything is saved,
/// whole and inside the window; the folder and its counts take the room left (#27.4).
#[test]
fn at_200_percent_in_a_small_window_the_save_state_stays_in_sight() {
    let dir = copy_of(&sample_data());
    let mut h = app_sized(dir.path(), 800.0, 600.0);
    h.ctx.set_zoom_factor(2.0);
    h.run();
    h.get_by_label("200 %");
    let saved = h.get_by_label("All changes saved").rect();
    let width = 800.0 / 2.0;
    assert!(saved.min.x >= 0.0 && saved.max.x <= width + 0.5, "cut: {saved:?}");
    let folder = h.get_by_label_contains("procedures ·").rect();
    assert!(folder.max.x <= saved.min.x + 0.5, "the folder's line runs under the save state: {folder:?} {saved:?}");
}
