//! The window on a team database (issue #29), driven headless against the real
//! PostgreSQL server `.ci/run` starts: File → Connect, run a procedure, the ticks in the
//! database with the name the database gives the user.

mod common;
use common::pg::TestDb;
use common::*;
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use procedures::app::App;
use procedures::store::pg;
use procedures::ui::View;

/// The app on its first start with nothing open (the name question answered).
fn empty_app() -> Harness<'static, App> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .with_max_steps(24)
        .build_eframe(|cc| App::new(cc, None));
    h.run();
    h.state_mut().set_user_name("Test User");
    h.run();
    h
}

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
    if h.state().view() == View::Today {
        h.state_mut().set_view(View::Procedures);
        h.run();
    }
    h.get_by_label("Payroll run").click();
    h.run();
    h.get_by_label("▶ Start run").click();
    h.run();
    let run = h.state().runner().run.expect("a run is open");
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
