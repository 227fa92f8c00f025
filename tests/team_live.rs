//! Two windows on one team database (issue #31), against the real PostgreSQL server
//! `.ci/run` starts: another person's run, tick, edit and label appear in the open data
//! row by row, with the indexes the views read; two ticks on different steps of one run
//! are both kept; the feed's connection cut, the window catches up; a change to a row
//! someone else changed first is refused naming who and what, and the user takes theirs
//! or keeps mine.

mod common;
use common::pg::TestDb;
use common::team::*;
use procedures::model::{RunStatus, RunStepId};
use procedures::ops;
use procedures::session::{SaveState, Session};
use procedures::store::{FieldChange, pg};
use std::time::{Duration, Instant};

/// Poll `s` (as the window does each frame) until `seen` holds, at most `limit`; how long
/// it took.
fn until(s: &mut Session, limit: Duration, what: &str, seen: impl Fn(&Session) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        s.poll(|_| {});
        if seen(s) {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not seen within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn another_persons_run_and_tick_show_within_a_second_with_the_indexes_the_views_read() {
    let Some((mut db, _src)) = team("live_tick") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let mut b = open(&bob);
    let pid = a_procedure(&a);
    let generation = a.db().expect("open").generation();
    let stamp = a.db().expect("open").procedure_stamp(pid);
    let run = start(&mut b, pid);
    assert_eq!(saved(&mut b), SaveState::Saved);
    until(&mut a, Duration::from_secs(1), "bob's new run", |s| s.db().is_some_and(|d| d.run(run).is_some()));
    {
        let d = a.db().expect("open");
        assert!(d.runs_of(pid).contains(&run), "in the procedure's runs");
        assert!(d.in_progress_runs().any(|r| r == run), "in progress");
        assert_eq!(tickable(&a, run), tickable(&b, run), "with its steps");
        assert!(d.generation() > generation && d.procedure_stamp(pid) > stamp, "the views see a change");
        assert_eq!(d.run(run).expect("run").started_by.as_str(), "Bob");
    }
    let steps = tickable(&b, run);
    tick(&mut b, steps[0]);
    assert_eq!(saved(&mut b), SaveState::Saved);
    let took = until(&mut a, Duration::from_secs(1), "bob's tick", |s| {
        s.db().and_then(|d| d.run_step(steps[0])).is_some_and(|rs| rs.completed)
    });
    eprintln!("alice saw bob's tick {took:?} after it was committed");
    assert_eq!(a.db().expect("open").run_step(steps[0]).expect("step").completed_by.as_str(), "Bob");
    // Bob gives the run up: it leaves alice's In progress.
    b.mutate(|d| ops::finish_run(d, run, RunStatus::Cancelled, now())).expect("finish");
    b.submit_changes();
    assert_eq!(saved(&mut b), SaveState::Saved);
    until(&mut a, Duration::from_secs(1), "bob's finish", |s| {
        s.db().is_some_and(|d| !d.in_progress_runs().any(|r| r == run))
    });
    assert_eq!(a.save_state(), &SaveState::Saved, "nothing of bob's is sent back");
    // Alice works on the run bob started: her change names the revision she now shows.
    a.mutate(|d| ops::set_run_note(d, run, "checked by alice")).expect("note");
    a.submit_changes();
    assert_eq!(saved(&mut a), SaveState::Saved);
}

#[test]
fn two_ticks_on_different_steps_of_one_run_are_both_kept_and_both_windows_show_both() {
    let Some((mut db, _src)) = team("live_two") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let mut b = open(&bob);
    let pid = a_procedure(&a);
    let run = start(&mut a, pid);
    assert_eq!(saved(&mut a), SaveState::Saved);
    until(&mut b, Duration::from_secs(5), "alice's run", |s| s.db().is_some_and(|d| d.run(run).is_some()));
    let steps = tickable(&a, run);
    // At the same moment: neither has seen the other's tick.
    tick(&mut a, steps[0]);
    tick(&mut b, steps[1]);
    assert_eq!(saved(&mut a), SaveState::Saved, "nobody is told anything");
    assert_eq!(saved(&mut b), SaveState::Saved);
    for s in [&mut a, &mut b] {
        until(s, Duration::from_secs(5), "both ticks", |s| {
            let d = s.db().expect("open");
            [steps[0], steps[1]].iter().all(|id| d.run_step(*id).is_some_and(|rs| rs.completed))
        });
    }
    let d = a.db().expect("open");
    assert_eq!(d.run_step(steps[0]).expect("step").completed_by.as_str(), "Alice");
    assert_eq!(d.run_step(steps[1]).expect("step").completed_by.as_str(), "Bob");
    let mut c = pg::connect(&db.url).expect("admin");
    let n: i64 = c
        .query_one("SELECT count(*) FROM run_steps WHERE run_id = $1 AND completed", &[&i64::from(run.0)])
        .expect("q")
        .get(0);
    assert_eq!(n, 2);
}

#[test]
fn an_edit_a_label_and_a_schedule_from_someone_else_appear() {
    let Some((mut db, _src)) = team("live_edit") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let pid = a_procedure(&a);
    // Bob, from a script or another tool: a new step text, a new label on the procedure.
    let mut c = pg::connect(&bob).expect("bob");
    let step: i64 = c
        .query_one(
            "UPDATE steps SET description = 'Check the valve twice' WHERE id = (SELECT min(id) FROM steps WHERE procedure_id = $1) RETURNING id",
            &[&i64::from(pid.0)],
        )
        .expect("edit")
        .get(0);
    let label: i64 = c.query_one("SELECT reserve_ids('labels', 1)", &[]).expect("id").get(0);
    let mut t = c.transaction().expect("begin");
    t.execute("INSERT INTO labels (id, name, color) VALUES ($1, 'Night shift', '#224466')", &[&label]).expect("label");
    t.execute("INSERT INTO procedure_labels (procedure_id, label_id) VALUES ($1, $2)", &[&i64::from(pid.0), &label])
        .expect("link");
    t.commit().expect("commit");
    until(&mut a, Duration::from_secs(2), "bob's edit and label", |s| {
        let d = s.db().expect("open");
        let text = d.steps_of(pid).find(|st| i64::from(st.id.0) == step).map(|st| st.description.clone());
        let labelled = d.labels_of(pid).iter().any(|l| i64::from(l.0) == label);
        text.as_deref() == Some("Check the valve twice") && labelled
    });
    let d = a.db().expect("open");
    assert!(d.procedures_with_label(procedures::model::LabelId(label as u32)).contains(&pid));
    // Bob removes the label: it goes from alice's window too.
    c.execute("DELETE FROM procedure_labels WHERE label_id = $1", &[&label]).expect("unlink");
    until(&mut a, Duration::from_secs(2), "the label removed", |s| {
        s.db().is_some_and(|d| !d.labels_of(pid).iter().any(|l| i64::from(l.0) == label))
    });
}

#[test]
fn a_window_whose_feed_connection_was_cut_connects_again_and_catches_up() {
    let Some((mut db, _src)) = team("live_cut") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let mut b = open(&bob);
    let pid = a_procedure(&a);
    // The server ends alice's feed connection (as a restart does) …
    let mut admin = pg::connect(&db.admin).expect("admin");
    let feeds = |admin: &mut postgres::Client, kill: bool| {
        let what = if kill { "pg_terminate_backend(pid)" } else { "pid" };
        admin
            .query(
                &format!(
                    "SELECT {what} FROM pg_stat_activity WHERE datname = $1 AND application_name = 'procedures feed'"
                ),
                &[&db.name],
            )
            .expect("feeds")
            .len()
    };
    let started = Instant::now();
    while feeds(&mut admin, false) < 2 {
        assert!(started.elapsed() < Duration::from_secs(10), "both feeds are listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(feeds(&mut admin, true), 2, "both cut");
    // … while bob works.
    let run = start(&mut b, pid);
    assert_eq!(saved(&mut b), SaveState::Saved);
    until(&mut a, Duration::from_secs(15), "bob's run after the cut", |s| s.db().is_some_and(|d| d.run(run).is_some()));
    assert!(a.live_problem().is_none(), "connected again");
}

/// Alice and Bob on one run; alice notes a step, then bob — whose window has not looked at
/// the database since — notes the same step: his change is refused, naming alice, the
/// row and the column, and nothing is written over hers.
fn a_clash(tag: &str) -> Option<(TestDb, tempfile::TempDir, Session, Session, RunStepId)> {
    let (mut db, src) = team(tag)?;
    let (alice, bob) = (db.person("alice", Some("Alice Liddell")), db.person("bob", Some("Bob")));
    let mut a = open(&alice);
    let pid = a_procedure(&a);
    let run = start(&mut a, pid);
    assert_eq!(saved(&mut a), SaveState::Saved);
    let mut b = open(&bob);
    let step = tickable(&a, run)[1];
    a.mutate(|d| ops::set_step_note(d, step, "valve checked")).expect("note");
    a.submit_changes();
    assert_eq!(saved(&mut a), SaveState::Saved);
    b.mutate(|d| ops::set_step_note(d, step, "valve replaced")).expect("note");
    b.submit_changes();
    let SaveState::Overtaken(why) = saved(&mut b) else { panic!("refused: {:?}", b.save_state()) };
    assert!(why.contains("Alice Liddell changed") && why.contains(&format!("run step {}", step.0)), "{why}");
    let over = b.overtaken().expect("the question");
    assert_eq!(
        over.fields,
        vec![FieldChange {
            column: "notes",
            mine: Some("valve replaced".into()),
            theirs: Some("valve checked".into())
        }],
        "what they changed, against mine"
    );
    assert_eq!(note_in(&db, step), "valve checked", "nothing written over alice's change");
    Some((db, src, a, b, step))
}

fn note_in(db: &TestDb, step: RunStepId) -> String {
    let mut c = pg::connect(&db.url).expect("admin");
    c.query_one("SELECT notes FROM run_steps WHERE id = $1", &[&i64::from(step.0)]).expect("q").get(0)
}

fn note_shown(s: &Session, step: RunStepId) -> Option<String> {
    s.db().and_then(|d| d.run_step(step)).map(|rs| rs.notes().to_owned())
}

#[test]
fn a_conflicting_change_names_who_and_what_and_take_theirs_shows_theirs() {
    let Some((db, _src, mut a, mut b, step)) = a_clash("clash_theirs") else { return };
    b.resolve_conflict(false);
    until(&mut b, Duration::from_secs(5), "their note taken", |s| {
        s.save_state() == &SaveState::Saved && note_shown(s, step).as_deref() == Some("valve checked")
    });
    assert!(b.overtaken().is_none());
    assert_eq!(note_in(&db, step), "valve checked", "theirs kept");
    // Bob works on from theirs: his next change names the revision he now shows.
    b.mutate(|d| ops::set_step_note(d, step, "valve checked, then replaced")).expect("note");
    b.submit_changes();
    assert_eq!(saved(&mut b), SaveState::Saved);
    assert_eq!(note_in(&db, step), "valve checked, then replaced");
    until(&mut a, Duration::from_secs(2), "bob's later note", |s| {
        note_shown(s, step).as_deref() == Some("valve checked, then replaced")
    });
}

#[test]
fn keep_mine_writes_my_change_over_theirs_as_a_new_change_that_they_then_see() {
    let Some((db, _src, mut a, mut b, step)) = a_clash("clash_mine") else { return };
    b.resolve_conflict(true);
    assert_eq!(saved(&mut b), SaveState::Saved);
    assert_eq!(note_in(&db, step), "valve replaced", "mine, over theirs");
    until(&mut a, Duration::from_secs(2), "bob's note in alice's window", |s| {
        note_shown(s, step).as_deref() == Some("valve replaced")
    });
    // Bob's window does not take alice's older note back over his.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_millis(300) {
        b.poll(|_| {});
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(note_shown(&b, step).as_deref(), Some("valve replaced"));
}

#[test]
fn keep_mine_on_a_row_someone_removed_adds_it_back() {
    let Some((mut db, _src)) = team("clash_removed") else { return };
    let (alice, bob) = (db.person("alice", Some("Alice")), db.person("bob", Some("Bob")));
    let mut b = open(&bob);
    let label = b.mutate(|d| ops::create_label(d, "Night shift", "#224466")).expect("label").expect("id");
    b.submit_changes();
    assert_eq!(saved(&mut b), SaveState::Saved);
    let mut c = pg::connect(&alice).expect("alice");
    c.execute("DELETE FROM labels WHERE id = $1", &[&i64::from(label.0)]).expect("removed");
    b.mutate(|d| ops::rename_label(d, label, "Late shift")).expect("rename");
    b.submit_changes();
    let SaveState::Overtaken(why) = saved(&mut b) else { panic!("refused: {:?}", b.save_state()) };
    assert!(why.contains("Alice removed") && why.contains(&format!("label {}", label.0)), "{why}");
    let over = b.overtaken().expect("the question");
    assert!(
        over.fields.iter().any(|f| f.column == "name" && f.mine.as_deref() == Some("Late shift") && f.theirs.is_none())
    );
    b.resolve_conflict(true);
    assert_eq!(saved(&mut b), SaveState::Saved);
    let name: String =
        c.query_one("SELECT name FROM labels WHERE id = $1", &[&i64::from(label.0)]).expect("added back").get(0);
    assert_eq!(name, "Late shift");
}
