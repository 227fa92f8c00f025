//! The window on a team database (issues #29, #31), driven headless against the real
//! PostgreSQL server `.ci/run` starts: File → Connect, run a procedure, the ticks in the
//! database with the name the database gives the user; a tick refused because someone
//! else changed the step first asks, and Take theirs shows theirs; an editor open on a
//! procedure someone else saved says so, shows their changes and warns before saving.

mod common;
use common::pg::TestDb;
use common::*;
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use procedures::app::App;
use procedures::store::pg;
use procedures::ui::View;

#[test]
fn file_connect_opens_a_database_and_a_run_lands_there_with_the_users_name() {
    let Some(mut db) = TestDb::new("window") else { return };
    let sample = copy_of(&sample_data());
    pg::push(sample.path(), &db.url).expect("push");
    let alice = db.person("alice", Some("Alice Liddell"));
    let secret = alice.split_once('@').and_then(|(u, _)| u.rsplit(':').next()).expect("a password in the url");

    let mut h = empty_app();
    // The welcome screen offers it beside the folders (File → Connect… does the same).
    h.get_by_label("Connect to a team database…").click();
    h.run();
    // The connection string without its password, then a wrong password: asked again,
    // saying why, the string kept and the password field empty.
    let without: String = {
        let (scheme, rest) = alice.split_once("://").expect("scheme");
        let (user, host) = rest.split_once('@').expect("user");
        format!("{scheme}://{}@{host}", user.split(':').next().unwrap_or_default())
    };
    h.get_by_label_contains("A PostgreSQL connection string").type_text(&without);
    h.run();
    for password in ["not-her-password", secret] {
        h.get_by_label("Password:").click();
        h.run();
        h.get_by_label("Password:").type_text(password);
        h.run();
        h.get_by_label("Connect").click();
        h.run();
        assert!(h.query_by_label("Connect").is_none(), "the window closed");
        h.state_mut().wait_loading();
        h.run();
        if password != secret {
            let why = h.state().connect_problem().expect("asked again").to_owned();
            assert!(why.contains("password authentication failed"), "{why}");
            assert!(!why.contains(password));
        }
    }
    assert!(h.state().db().is_some(), "the database is open: {:?}", h.state().message());
    assert!(h.state().title().contains("(team database)"), "{}", h.state().title());
    assert!(!h.state().title().contains(secret), "no password in the title");
    assert_eq!(h.state().user().as_str(), "Alice Liddell");
    // File → Your name… says where the name comes from (it is not asked for here).
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Your name…").click();
    h.run();
    h.get_by_label_contains("the name the database gives you: Alice Liddell");
    assert!(h.query_by_label("Save").is_none(), "nothing to type");
    h.get_by_label("OK").click();
    h.run();
    assert!(h.query_by_label_contains("the name the database gives you").is_none(), "closed");
    let run = common::team::start_payroll(&mut h);
    h.key_press(Key::Space);
    h.run();
    h.state_mut().flush();
    h.run();
    h.get_by_label_contains("All changes saved");
    // The recent connections remember it, without the password.
    assert_eq!(h.state().prefs().recent_databases.len(), 1);
    assert!(!h.state().prefs().recent_databases[0].contains(secret));

    let mut c = pg::connect(&db.url).expect("admin");
    let started_by: String =
        c.query_one("SELECT started_by FROM runs WHERE id = $1", &[&i64::from(run.0)]).expect("the run").get(0);
    assert_eq!(started_by, "Alice Liddell");
    let ticked: Vec<String> = c
        .query("SELECT completed_by FROM run_steps WHERE run_id = $1 AND completed", &[&i64::from(run.0)])
        .expect("q")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ticked, vec!["Alice Liddell".to_owned()]);
}

#[test]
fn a_tick_refused_because_someone_changed_the_step_first_asks_and_take_theirs_shows_theirs() {
    let Some(mut db) = TestDb::new("window_clash") else { return };
    let sample = copy_of(&sample_data());
    pg::push(sample.path(), &db.url).expect("push");
    let (alice, bob) = (db.person("alice", Some("Alice Liddell")), db.person("bob", Some("Bob")));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .with_max_steps(24)
        .build_eframe(move |cc| App::new(cc, Some(std::path::PathBuf::from(&bob))));
    h.run();
    h.state_mut().wait_loading();
    h.run();
    assert!(h.state().db().is_some(), "bob's window is on the database: {:?}", h.state().message());
    let run = common::team::start_payroll(&mut h);
    let first = h.state().db().and_then(|d| d.run_steps_of(run).next().map(|rs| rs.id)).expect("a step");
    // Alice changes the first step in a transaction still open while bob ticks it: his
    // write waits for hers and then finds the step changed.
    let mut c = pg::connect(&alice).expect("alice");
    let mut t = c.transaction().expect("begin");
    t.execute("UPDATE run_steps SET notes = 'valve checked' WHERE id = $1", &[&i64::from(first.0)]).expect("note");
    h.key_press(Key::Space);
    h.run();
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.commit().expect("commit");
    h.state_mut().flush();
    h.run();
    h.run();
    let procedures::session::SaveState::Overtaken(why) = h.state().save_state().clone() else {
        panic!("refused: {:?}", h.state().save_state())
    };
    assert!(why.contains("Alice Liddell changed run step"), "{why}");
    h.get_by_label("Not saved: changed by someone else");
    // The status bar says it short (the folder and the zoom keep their room).
    h.get_by_label(&format!("Not saved: Alice Liddell changed run step {} first", first.0));
    h.get_by_label("valve checked");
    assert!(h.query_all_by_label("Keep mine").count() >= 1);
    h.get_all_by_label("Take theirs").next().expect("the choice").click();
    h.run();
    let started = std::time::Instant::now();
    while h.state().save_state() != &procedures::session::SaveState::Saved
        || h.state().db().and_then(|d| d.run_step(first)).is_some_and(|rs| rs.completed)
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "theirs not shown: {:?}",
            h.state().save_state()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run();
    }
    let shown = h.state().db().and_then(|d| d.run_step(first)).expect("the step").clone();
    assert_eq!((shown.completed, shown.notes()), (false, "valve checked"), "theirs, not mine");
    assert!(h.query_by_label("Not saved: changed by someone else").is_none(), "the question is gone");
    let completed: bool =
        c.query_one("SELECT completed FROM run_steps WHERE id = $1", &[&i64::from(first.0)]).expect("q").get(0);
    assert!(!completed, "nothing written over alice's change");
}

#[test]
fn an_editor_open_on_a_procedure_someone_else_saved_says_so_and_shows_their_changes() {
    let Some(mut db) = TestDb::new("window_editor") else { return };
    let sample = copy_of(&sample_data());
    pg::push(sample.path(), &db.url).expect("push");
    let (alice, bob) = (db.person("alice", Some("Alice Liddell")), db.person("bob", Some("Bob")));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 900.0))
        .with_max_steps(24)
        .build_eframe(move |cc| App::new(cc, Some(std::path::PathBuf::from(&bob))));
    h.run();
    h.state_mut().wait_loading();
    h.run();
    h.state_mut().set_view(View::Procedures);
    h.run();
    h.get_by_label("Payroll run").click();
    h.run();
    h.get_by_label("✏ Edit").click();
    h.run();
    let pid = h.state().db().and_then(|d| d.procedures.rows().iter().find(|p| p.name == "Payroll run").map(|p| p.id));
    let pid = pid.expect("the procedure");
    let version = h.state().db().and_then(|d| d.procedure(pid)).map(|p| p.version).expect("version");
    assert!(h.query_by_label_contains("Someone else saved").is_none(), "nothing to say yet");
    // Alice saves a new version from her window.
    let mut a = procedures::session::Session::new(std::sync::Arc::new(|| {}));
    assert!(a.open_database(&alice).is_empty());
    a.wait_loading();
    let mut draft = procedures::ops::ProcedureDraft::of(a.db().expect("open"), pid).expect("draft");
    draft.steps[0].description = "Export the timesheets twice".into();
    let now = procedures::model::Timestamp::parse("2026-12-06 10:00:00").expect("time");
    a.mutate(|d| procedures::ops::update_procedure(d, pid, &draft, "doubled the export", now)).expect("saved");
    a.submit_changes();
    a.flush();
    // Bob's editor says so within a second or two.
    let started = std::time::Instant::now();
    while h.query_by_label_contains("Someone else saved version").is_none() {
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "the editor did not say so");
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run();
    }
    h.get_by_label_contains(&format!("saving makes yours version {}", version + 2));
    h.get_by_label("Show their changes").click();
    h.run();
    h.get_by_label_contains("twice");
    // Before saving, the save dialog says it too.
    h.get_all_by_role(egui::accesskit::Role::MultilineTextInput).next().expect("the description").click();
    h.run();
    h.event(egui::Event::Text(" (bob)".into()));
    h.run();
    h.get_by_label("Save new version…").click();
    h.run();
    assert!(h.query_all_by_label_contains("Someone else saved version").count() >= 2, "said in the save dialog too");
    // Start again from theirs: the editor shows their version, nothing of bob's kept.
    h.get_by_label("Cancel").click();
    h.run();
    h.get_by_label("Start again from theirs").click();
    h.run();
    assert!(h.query_by_label_contains("Someone else saved").is_none());
    assert!(!h.state().editor().is_dirty(), "their version, untouched");
}
