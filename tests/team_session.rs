//! The window's session on a team database (issue #29), against the real PostgreSQL
//! server `.ci/run` starts: ops write rows in transactions, with the user's name, ids
//! from reserved blocks, updates refused when someone else changed the row.

mod common;
use common::pg::TestDb;
use common::team::*;
use common::*;
use procedures::model::{Name, RunStatus};
use procedures::ops;
use procedures::session::{Event, SaveState, Session};
use procedures::store::pg;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn admin(db: &TestDb) -> postgres::Client {
    pg::connect(&db.url).expect("admin")
}

#[test]
fn a_run_and_its_ticks_are_committed_with_the_name_the_database_gives_the_user() {
    let Some((mut db, _src)) = team("who") else { return };
    let alice = db.person("alice", Some("Alice Liddell"));
    let carol = db.person("carol", None);
    let mut s = open(&alice);
    assert_eq!(s.database_user(), Some("Alice Liddell"), "the name in people");
    let pid = a_procedure(&s);
    let run = start(&mut s, pid);
    let steps = tickable(&s, run);
    tick(&mut s, steps[0]);
    assert_eq!(saved(&mut s), SaveState::Saved);
    let mut c = admin(&db);
    let r = c
        .query_one("SELECT completed, completed_by, revision FROM run_steps WHERE id = $1", &[&i64::from(steps[0].0)])
        .expect("the tick is committed");
    assert_eq!((r.get::<_, bool>(0), r.get::<_, String>(1), r.get::<_, i64>(2)), (true, "Alice Liddell".into(), 2));
    let started_by: String =
        c.query_one("SELECT started_by FROM runs WHERE id = $1", &[&i64::from(run.0)]).expect("run").get(0);
    assert_eq!(started_by, "Alice Liddell");
    let logged: String = c
        .query_one("SELECT changed_by FROM changes WHERE table_name = 'run_steps' AND op = 'UPDATE' ORDER BY revision DESC LIMIT 1", &[])
        .expect("logged")
        .get(0);
    assert!(logged.starts_with("alice_"), "{logged}");

    // Without a people row, the role's own name.
    let s2 = open(&carol);
    assert!(s2.database_user().is_some_and(|u| u.starts_with("carol_")), "{:?}", s2.database_user());
}

#[test]
fn two_people_ticking_different_steps_of_one_run_at_once_both_land() {
    let Some((mut db, _src)) = team("two_ticks") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let pid = a_procedure(&a);
    let run = start(&mut a, pid);
    assert_eq!(saved(&mut a), SaveState::Saved);
    let mut b = open(&bob);
    let steps = tickable(&a, run);
    assert_eq!(tickable(&b, run), steps, "bob reads alice's run");
    tick(&mut a, steps[0]);
    tick(&mut b, steps[1]);
    tick(&mut a, steps[2]);
    assert_eq!(saved(&mut a), SaveState::Saved);
    assert_eq!(saved(&mut b), SaveState::Saved);
    let mut c = admin(&db);
    let ticked: Vec<(i64, String)> = c
        .query(
            "SELECT id, completed_by FROM run_steps WHERE run_id = $1 AND completed ORDER BY id",
            &[&i64::from(run.0)],
        )
        .expect("q")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let want: Vec<(i64, String)> = vec![
        (i64::from(steps[0].0), "Alice".into()),
        (i64::from(steps[1].0), "Bob".into()),
        (i64::from(steps[2].0), "Alice".into()),
    ];
    assert_eq!(ticked, want);
}

#[test]
fn two_clients_starting_runs_get_ids_no_one_else_has() {
    let Some((mut db, _src)) = team("ids") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let mut b = open(&bob);
    let pid = a_procedure(&a);
    let mut runs = Vec::new();
    let mut steps = Vec::new();
    for _ in 0..3 {
        for s in [&mut a, &mut b] {
            let run = start(s, pid);
            runs.push(run);
            steps.extend(tickable(s, run));
        }
    }
    assert_eq!(saved(&mut a), SaveState::Saved);
    assert_eq!(saved(&mut b), SaveState::Saved);
    let mut unique = runs.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6, "{runs:?}");
    let n = steps.len();
    steps.sort();
    steps.dedup();
    assert_eq!(steps.len(), n, "run step ids collide");
    let stored: i64 = admin(&db)
        .query_one(
            "SELECT count(*) FROM runs WHERE id = ANY($1)",
            &[&runs.iter().map(|r| i64::from(r.0)).collect::<Vec<_>>()],
        )
        .expect("q")
        .get(0);
    assert_eq!(stored, 6, "every run committed");
}

#[test]
fn a_change_to_a_row_someone_else_changed_is_refused_naming_them() {
    let Some((mut db, _src)) = team("stale") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice Liddell")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let pid = a_procedure(&a);
    let run = start(&mut a, pid);
    assert_eq!(saved(&mut a), SaveState::Saved);
    let mut b = open(&bob);
    let step = tickable(&a, run)[1];
    a.mutate(|db| ops::set_step_note(db, step, "valve checked")).expect("note");
    a.submit_changes();
    assert_eq!(saved(&mut a), SaveState::Saved);
    // Bob still sees the step as it was when he opened the database.
    b.mutate(|db| ops::set_step_note(db, step, "valve replaced")).expect("note");
    b.submit_changes();
    let SaveState::Overtaken(why) = saved(&mut b) else { panic!("refused: {:?}", b.save_state()) };
    assert!(why.contains("Alice Liddell") && why.contains(&format!("run step {}", step.0)), "{why}");
    let note: String =
        admin(&db).query_one("SELECT notes FROM run_steps WHERE id = $1", &[&i64::from(step.0)]).expect("q").get(0);
    assert_eq!(note, "valve checked", "nothing written over alice's change");
    // Reading the database again shows alice's note; bob's change then goes through.
    let events = b.reload_in_place();
    assert!(events.is_empty());
    let events = b.wait_loading();
    assert!(events.iter().any(|e| matches!(e, Event::Reloaded { .. })), "{:?}", messages(&events));
    assert_eq!(b.db().expect("open").run_step(step).expect("step").notes(), "valve checked");
    b.mutate(|db| ops::set_step_note(db, step, "valve replaced")).expect("note");
    b.submit_changes();
    assert_eq!(saved(&mut b), SaveState::Saved);
}

#[test]
fn the_same_edits_on_a_folder_and_on_a_database_pull_back_to_the_same_files() {
    let Some((db, src)) = team("same_edits") else { return };
    let folder = copy_of(src.path());
    let edit = |s: &mut Session| {
        let pid = a_procedure(s);
        let by = Name::of("Alice").unwrap_or_default();
        let run = s
            .mutate(|db| ops::start_run_with(db, pid, now(), &ops::RunStart { by, ..Default::default() }))
            .expect("start")
            .expect("run");
        s.submit_changes();
        let steps = tickable(s, run);
        s.mutate(|db| ops::set_step_completed_by(db, steps[0], true, now(), by)).expect("tick");
        s.submit_changes();
        s.mutate(|db| ops::set_step_note(db, steps[1], "looked, fine")).expect("note");
        s.submit_changes();
        s.mutate(|db| ops::finish_run(db, run, RunStatus::Cancelled, now())).expect("finish");
        s.submit_changes();
        s.mutate(|db| ops::set_run_note(db, run, "stopped: no gas")).expect("note");
        s.submit_changes();
        assert_eq!(saved(s), SaveState::Saved);
    };
    let mut on_folder = Session::new(Arc::new(|| {}));
    on_folder.open(folder.path());
    edit(&mut on_folder);
    on_folder.close();
    let mut on_db = open(&db.url);
    edit(&mut on_db);
    let out = tempfile::tempdir().expect("tmp");
    pg::pull(&db.url, &out.path().join("pulled")).expect("pull");
    let files = |dir: &std::path::Path| {
        snapshot_files(dir).into_iter().filter(|(n, _)| n.ends_with(".csv")).collect::<Vec<_>>()
    };
    assert_eq!(files(&out.path().join("pulled")), files(folder.path()), "byte for byte");
}

#[test]
fn a_wrong_password_or_an_unreachable_server_is_said_within_ten_seconds() {
    let Some(db) = TestDb::new("window_refused") else { return };
    let base = db.url.rsplit_once('@').map(|(_, h)| h).expect("host");
    for (url, says) in [
        (format!("postgres://postgres:wrong-password@{base}"), "password"),
        ("postgres://nobody@127.0.0.1:1/db?connect_timeout=3".to_owned(), "cannot connect"),
    ] {
        let started = Instant::now();
        let mut s = Session::new(Arc::new(|| {}));
        s.open_database(&url);
        let said = messages(&s.wait_loading()).join("\n");
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        assert!(said.contains("Cannot open the database") && said.contains(says), "{said}");
        assert!(!said.contains("wrong-password"), "the password is never shown: {said}");
        assert!(s.db().is_none());
    }
}

/// `procedures run …` on a URL, as a script runs it.
fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_procedures")).args(args).output().expect("runs")
}

#[test]
fn run_commands_on_a_url_record_as_the_window_does_and_two_at_once_both_land() {
    let Some((mut db, _src)) = team("cli") else { return };
    let alice = db.person("alice", Some("Alice Liddell"));
    let s = open(&alice);
    let pid = a_procedure(&s);
    let orders: Vec<String> = {
        let d = s.db().expect("open");
        d.steps_of(pid).filter(|st| plain(st)).map(|st| st.order.to_string()).take(2).collect()
    };
    drop(s);
    let pid = pid.0.to_string();

    // Two runs started at the same moment get distinct ids.
    let started: Vec<std::process::Output> = std::thread::scope(|sc| {
        let a = sc.spawn(|| cli(&["run", "start", &alice, "--procedure", &pid]));
        let b = sc.spawn(|| cli(&["run", "start", &alice, "--procedure", &pid]));
        vec![a.join().expect("a"), b.join().expect("b")]
    });
    let ids: Vec<String> = started
        .iter()
        .map(|o| {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        })
        .collect();
    assert_ne!(ids[0], ids[1]);

    // Two ticks of different steps of one run at the same moment: both land.
    let run = ids[0].as_str();
    let ticked: Vec<std::process::Output> = std::thread::scope(|sc| {
        let a = sc.spawn(|| cli(&["run", "tick", &alice, "--run", run, "--step", &orders[0]]));
        let b = sc.spawn(|| cli(&["run", "tick", &alice, "--run", run, "--step", &orders[1]]));
        vec![a.join().expect("a"), b.join().expect("b")]
    });
    for o in &ticked {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let mut c = admin(&db);
    let run_id: i64 = run.parse().expect("an id");
    let done: Vec<String> = c
        .query("SELECT completed_by FROM run_steps WHERE run_id = $1 AND completed", &[&run_id])
        .expect("q")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(done, vec!["Alice Liddell".to_owned(); 2]);

    // --by is the database's to say.
    let o = cli(&["run", "tick", &alice, "--run", run, "--step", &orders[0], "--untick", "--by", "Mallory"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("database user"), "{}", String::from_utf8_lossy(&o.stderr));

    let o = cli(&["run", "finish", &alice, "--run", run, "--status", "cancelled", "--reason", "drill"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let status: String = c.query_one("SELECT status FROM runs WHERE id = $1", &[&run_id]).expect("q").get(0);
    assert_eq!(status, "cancelled");
    // The password is never printed.
    assert!(!String::from_utf8_lossy(&o.stdout).contains("secret-"));
}

/// Rows changed before a client opened the database (revision 2 and more) are read
/// with their revisions — run steps with their rows, other tables apart — so that
/// client's own change to them is not taken for a stale one.
#[test]
fn rows_revised_before_the_open_can_be_changed_after_it() {
    let Some((mut db, _src)) = team("revised") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let pid = a_procedure(&a);
    let run = start(&mut a, pid);
    let steps = tickable(&a, run);
    tick(&mut a, steps[0]);
    a.mutate(|d| ops::set_step_completed_by(d, steps[0], false, now(), Name::NONE)).expect("unticked");
    a.submit_changes();
    assert_eq!(saved(&mut a), SaveState::Saved);
    let revision: i64 = admin(&db)
        .query_one("SELECT revision FROM run_steps WHERE id = $1", &[&i64::from(steps[0].0)])
        .expect("row")
        .get(0);
    assert_eq!(revision, 3, "inserted, ticked, unticked");

    // Bob opens now, ticks that step and finishes the run: both rows were revised.
    let mut b = open(&bob);
    tick(&mut b, steps[0]);
    assert_eq!(saved(&mut b), SaveState::Saved, "not refused as stale");
    let by: String = admin(&db)
        .query_one("SELECT completed_by FROM run_steps WHERE id = $1 AND completed", &[&i64::from(steps[0].0)])
        .expect("ticked by Bob")
        .get(0);
    assert_eq!(by, "Bob");
}

/// A change set sent twice — its answer lost after the server committed it, then sent
/// again on Retry, a reconnect or a replay (issue #32) — is applied once: its id is
/// recorded with its rows, and the second sending writes nothing.
#[test]
fn a_change_set_sent_again_after_it_was_committed_is_applied_once() {
    let Some((mut db, _src)) = team("exactly_once") else { return };
    let alice = db.person("alice", Some("Alice"));
    let opened = pg::open(&alice, None, Arc::new(|| {}), None).expect("open");
    let (mut data, mut remote) = (opened.loaded.db, opened.remote);
    let pid = data.procedures.rows()[0].id;
    // A run and its steps, one with a note: every row new (sent twice, the second
    // would otherwise fail on the ids already there).
    let run = ops::start_run(&mut data, pid, now()).expect("start").value;
    let step = data.run_step_ids(run)[0];
    ops::set_step_note(&mut data, step, "first").expect("note");
    let set = data.take_change_set();
    assert_eq!(set.id.len(), 32, "an id of 128 bits: {}", set.id);
    let mut c = pg::connect(&db.url).expect("admin");
    remote.submit(set.clone());
    remote.submit(set.clone());
    let written = remote.wait_idle(Duration::from_secs(20));
    assert_eq!(written.len(), 2, "both answered: {written:?}");
    for w in &written {
        assert!(matches!(w, pg::Written::Committed { .. }), "not refused, not failed: {w:?}");
    }
    let (n, revision): (i64, i64) = {
        let r = c
            .query_one("SELECT count(*), max(revision) FROM run_steps WHERE id = $1", &[&i64::from(step.0)])
            .expect("q");
        (r.get(0), r.get(1))
    };
    assert_eq!((n, revision), (1, 1), "inserted once, never updated again");
    let runs: i64 = c.query_one("SELECT count(*) FROM runs WHERE id = $1", &[&i64::from(run.0)]).expect("q").get(0);
    assert_eq!(runs, 1);
    let recorded: i64 = c.query_one("SELECT count(*) FROM applied_ops WHERE op_id = $1", &[&set.id]).expect("q").get(0);
    assert_eq!(recorded, 1);
}
