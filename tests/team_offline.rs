//! Offline and crashes (issue #32), on a PostgreSQL server of the test's own that the
//! tests stop and start: every change goes into the journal in the app's data directory
//! before it is sent; with the server gone the window says offline and pending and keeps
//! working; when it is back everything lands once; a client killed with changes pending
//! sends them on its next start, before anything else; a set the server committed but
//! the journal still holds is not applied twice; a journal of another format is refused
//! with a clear message and kept.

mod common;
use common::server::OwnServer;
use common::team::{a_procedure, messages, now, plain, saved, start, tick, tickable};
use procedures::model::{RunId, RunStepId};
use procedures::ops;
use procedures::session::{Event, SaveState, Session};
use procedures::store::pg;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A server of the test's own with the generated small folder pushed.
fn server() -> Option<OwnServer> {
    let server = OwnServer::start()?;
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 7).expect("generate");
    pg::push(src.path(), &server.url).expect("push");
    Some(server)
}

/// A window's session on `url` keeping its journal in `journal`; the events of opening.
fn open_with_journal(url: &str, journal: &Path) -> (Session, Vec<Event>) {
    let mut s = Session::new(Arc::new(|| {}));
    s.set_pending_dir(Some(journal.to_owned()));
    assert!(s.open_database(url).is_empty(), "read on a thread");
    let events = s.wait_loading();
    (s, events)
}

/// Poll until `done` holds, at most `limit`.
fn poll_until(s: &mut Session, limit: Duration, what: &str, done: impl Fn(&Session) -> bool) {
    let started = Instant::now();
    while !done(s) {
        s.poll(|_| {});
        assert!(started.elapsed() < limit, "{what}: not within {limit:?} (offline: {:?})", s.offline());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn admin(url: &str) -> postgres::Client {
    pg::connect(url).expect("the server answers")
}

/// How many times the change log has the run steps ticked (an update each), and how many
/// of them are ticked now.
fn ticks_on_server(url: &str, ids: &[RunStepId]) -> (i64, i64) {
    let keys: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
    let ids: Vec<i64> = ids.iter().map(|id| i64::from(id.0)).collect();
    let mut c = admin(url);
    let logged: i64 = c
        .query_one(
            "SELECT count(*) FROM changes WHERE table_name = 'run_steps' AND op = 'UPDATE' AND row_key = ANY($1)",
            &[&keys],
        )
        .expect("changes")
        .get(0);
    let ticked: i64 =
        c.query_one("SELECT count(*) FROM run_steps WHERE id = ANY($1) AND completed", &[&ids]).expect("q").get(0);
    (logged, ticked)
}

#[test]
fn the_server_stopped_while_ticking_twenty_steps_all_land_once() {
    let Some(server) = server() else { return };
    let journal = tempfile::tempdir().expect("tmp");
    let (mut s, events) = open_with_journal(&server.url, journal.path());
    assert!(events.iter().any(|e| matches!(e, Event::Opened { .. })), "{:?}", messages(&events));
    let pid = a_procedure(&s);
    // Runs enough for twenty ticks, started while the server is there.
    let mut steps: Vec<RunStepId> = Vec::new();
    while steps.len() < 20 {
        let run = start(&mut s, pid);
        steps.extend(tickable(&s, run).into_iter().take(20 - steps.len()));
    }
    assert_eq!(saved(&mut s), SaveState::Saved);
    for id in &steps[..5] {
        tick(&mut s, *id);
    }
    assert_eq!(saved(&mut s), SaveState::Saved);

    server.stop();
    for id in &steps[5..] {
        tick(&mut s, *id);
        s.poll(|_| {});
    }
    // Closing now (a flush) does not wait out the lost server: the journal has them.
    let flushing = Instant::now();
    s.flush();
    assert!(flushing.elapsed() < Duration::from_secs(10), "flush waited {:?}", flushing.elapsed());
    poll_until(&mut s, Duration::from_secs(20), "offline said", |s| s.offline().is_some());
    assert_eq!(s.pending_changes(), 15, "one per tick");
    let unconfirmed = s.unconfirmed();
    assert!(
        steps[5..].iter().all(|id| unconfirmed.contains(&(procedures::store::TableKind::RunSteps, u64::from(id.0))))
    );
    assert!(!unconfirmed.contains(&(procedures::store::TableKind::RunSteps, u64::from(steps[0].0))));
    // Views stay current with what this client did.
    let db = s.db().expect("open");
    let open: Vec<(usize, RunStepId)> =
        steps.iter().copied().enumerate().filter(|(_, id)| !db.run_step(*id).is_some_and(|r| r.completed)).collect();
    assert!(open.is_empty(), "not ticked here: {open:?}");

    server.start_again();
    poll_until(&mut s, Duration::from_secs(60), "sent after the server came back", |s| {
        s.offline().is_none() && s.pending_changes() == 0
    });
    assert_eq!(saved(&mut s), SaveState::Saved);
    assert_eq!(ticks_on_server(&server.url, &steps), (20, 20), "all twenty, each once");
}

/// Not a test by itself: the client [`a_client_killed_with_changes_pending_sends_them_on_its_next_start`]
/// runs in a process of its own and kills.
#[test]
fn killed_client() {
    let Ok(url) = std::env::var("PROCEDURES_KILLED_CLIENT_URL") else { return };
    let dir = std::path::PathBuf::from(std::env::var("PROCEDURES_KILLED_CLIENT_DIR").expect("dir"));
    let (mut s, _) = open_with_journal(&url, &dir.join("journal"));
    let pid = a_procedure(&s);
    let run = start(&mut s, pid);
    assert_eq!(saved(&mut s), SaveState::Saved);
    say(&dir, "ready", &run.0.to_string());
    let started = Instant::now();
    while !dir.join("go").exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no go");
        std::thread::sleep(Duration::from_millis(20));
    }
    let steps: Vec<RunStepId> = tickable(&s, run).into_iter().take(5).collect();
    for id in &steps {
        tick(&mut s, *id);
        s.poll(|_| {});
    }
    poll_until(&mut s, Duration::from_secs(20), "offline said", |s| s.offline().is_some() && s.pending_changes() == 5);
    // The writer journals a change as it takes it (at once, even offline).
    std::thread::sleep(Duration::from_millis(500));
    let ids: Vec<String> = steps.iter().map(|id| id.0.to_string()).collect();
    say(&dir, "ticked", &ids.join(","));
    std::thread::sleep(Duration::from_secs(120));
}

/// Tell the parent test something: whole, by a rename (never seen half written).
fn say(dir: &Path, name: &str, text: &str) {
    let part = dir.join(format!("{name}.part"));
    std::fs::write(&part, text).expect("write");
    std::fs::rename(&part, dir.join(name)).expect("rename");
}

#[test]
fn a_client_killed_with_changes_pending_sends_them_on_its_next_start() {
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "killed_client", "--nocapture", "--test-threads=1"])
        .env("PROCEDURES_KILLED_CLIENT_URL", &server.url)
        .env("PROCEDURES_KILLED_CLIENT_DIR", dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the client starts");
    let wait_for = |name: &str, child: &mut std::process::Child| {
        let started = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(dir.path().join(name)) {
                return text;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the client ended before “{name}”: {status}");
            }
            assert!(started.elapsed() < Duration::from_secs(90), "the client did not say “{name}”");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let run = RunId(wait_for("ready", &mut child).trim().parse().expect("a run id"));
    server.stop();
    std::fs::write(dir.path().join("go"), "").expect("go");
    let ticked = wait_for("ticked", &mut child);
    child.kill().expect("killed");
    child.wait().expect("ended");
    let steps: Vec<RunStepId> = ticked.split(',').map(|id| RunStepId(id.parse().expect("an id"))).collect();
    assert_eq!(steps.len(), 5);

    server.start_again();
    assert_eq!(ticks_on_server(&server.url, &steps), (0, 0), "nothing got there before the kill");
    let (s, events) = open_with_journal(&server.url, &dir.path().join("journal"));
    let said = messages(&events);
    assert!(said.iter().any(|m| m.contains("5 changes made earlier") && m.contains("sent now")), "{said:?}");
    assert_eq!(ticks_on_server(&server.url, &steps), (5, 5), "each once, before the data was read");
    // The data read after them shows them; nothing is pending.
    let db = s.db().expect("open");
    assert!(db.run(run).is_some());
    assert!(steps.iter().all(|id| db.run_step(*id).is_some_and(|r| r.completed)));
    assert_eq!(s.pending_changes(), 0);
    drop(s);
    // A second start sends nothing again.
    let (_s, events) = open_with_journal(&server.url, &dir.path().join("journal"));
    assert!(messages(&events).is_empty(), "{:?}", messages(&events));
    assert_eq!(ticks_on_server(&server.url, &steps), (5, 5));
}

#[test]
fn a_set_the_server_committed_but_the_journal_kept_is_not_applied_twice() {
    let Some(server) = server() else { return };
    let journal = tempfile::tempdir().expect("tmp");
    // A client that wrote the set to its journal, sent it, and was killed after the
    // server committed it and before the journal noted it done.
    let opened = pg::open(&server.url, None, Arc::new(|| {}), None).expect("open");
    let (mut data, mut remote) = (opened.loaded.db, opened.remote);
    let pid = data.procedures.rows().iter().map(|p| p.id).find(|p| data.steps_of(*p).any(plain)).expect("a tick");
    let run = ops::start_run(&mut data, pid, now()).expect("start").value;
    remote.submit(data.take_change_set());
    assert!(matches!(remote.wait_idle(Duration::from_secs(20)).as_slice(), [pg::Written::Committed { .. }]));
    let step = data.run_steps_of(run).find(|rs| data.step(rs.step_id).is_some_and(plain)).expect("a plain step").id;
    ops::set_step_completed(&mut data, step, true, now()).expect("tick");
    let set = data.take_change_set();
    {
        let (mut pending, left) = pg::Pending::open(journal.path(), &pg::redacted(&server.url)).expect("journal");
        assert!(left.is_empty());
        pending.append(&set, |_, _| 1).expect("journaled");
        remote.submit(set.clone());
        assert!(matches!(remote.wait_idle(Duration::from_secs(20)).as_slice(), [pg::Written::Committed { .. }]));
        // Killed here: the journal still holds it.
    }
    drop(remote);
    assert_eq!(ticks_on_server(&server.url, &[step]), (1, 1));

    let (s, events) = open_with_journal(&server.url, journal.path());
    let said = messages(&events);
    assert!(said.iter().any(|m| m.contains("1 change made earlier")), "{said:?}");
    assert_eq!(ticks_on_server(&server.url, &[step]), (1, 1), "its id was there: not applied again");
    assert_eq!(s.save_state(), &SaveState::Saved, "not refused either");
    let mut c = admin(&server.url);
    let recorded: i64 = c.query_one("SELECT count(*) FROM applied_ops WHERE op_id = $1", &[&set.id]).expect("q").get(0);
    assert_eq!(recorded, 1);
}

#[test]
fn a_journal_of_another_format_is_refused_with_a_clear_message_and_kept() {
    let Some(server) = server() else { return };
    let journal = tempfile::tempdir().expect("tmp");
    let path = {
        let (pending, _) = pg::Pending::open(journal.path(), &pg::redacted(&server.url)).expect("journal");
        pending.path().to_owned()
    };
    let old = "{\"procedures_pending\":0,\"database\":\"postgres://postgres@127.0.0.1/postgres\"}\n{\"set\":{}}\n";
    std::fs::write(&path, old).expect("write");
    let (s, events) = open_with_journal(&server.url, journal.path());
    let refused: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::DatabaseRefused { why, .. } => Some(why.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1, "{:?}", messages(&events));
    let why = &refused[0];
    assert!(why.contains(&path.display().to_string()) && why.contains("format 0"), "{why}");
    assert!(why.contains("move the file away"), "what to do: {why}");
    assert!(s.database().is_none(), "not opened");
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), old, "kept as it was");
}

/// A client that noted the first run step, journaled the change in `journal` and was
/// killed before sending it: the step, and the journal's file.
fn noted_and_journaled(url: &str, journal: &Path, note: &str) -> (RunStepId, std::path::PathBuf) {
    let opened = pg::open(url, None, Arc::new(|| {}), None).expect("open");
    let mut data = opened.loaded.db;
    drop(opened.remote);
    let step = data.run_steps.rows()[0].id;
    ops::set_step_note(&mut data, step, note).expect("note");
    let set = data.take_change_set();
    let (mut pending, _) = pg::Pending::open(journal, &pg::redacted(url)).expect("journal");
    pending.append(&set, |_, _| 1).expect("journaled");
    (step, pending.path().to_owned())
}

#[test]
fn a_change_left_in_the_journal_that_someone_else_overtook_is_asked_about_not_dropped() {
    let Some(server) = server() else { return };
    let journal = tempfile::tempdir().expect("tmp");
    // A client noted a step, journaled it, and was killed before sending it.
    let (step, _) = noted_and_journaled(&server.url, journal.path(), "mine, from before the crash");
    // Meanwhile someone else changed the same row.
    admin(&server.url)
        .execute("UPDATE run_steps SET notes = 'theirs' WHERE id = $1", &[&i64::from(step.0)])
        .expect("theirs");

    let (mut s, events) = open_with_journal(&server.url, journal.path());
    let said = messages(&events);
    assert!(said.iter().any(|m| m.contains("1 change made earlier") && m.contains("not taken")), "{said:?}");
    assert!(matches!(s.save_state(), SaveState::Overtaken(_)), "{:?}", s.save_state());
    let over = s.overtaken().expect("asked");
    assert_eq!(over.theirs.key, u64::from(step.0));
    assert!(
        over.fields
            .iter()
            .any(|f| f.mine.as_deref().is_some_and(|m| m.contains("mine")) && f.theirs.as_deref() == Some("theirs")),
        "{:?}",
        over.fields
    );
    assert_eq!(s.pending_changes(), 1, "kept until the user decides");

    s.resolve_conflict(true);
    assert_eq!(saved(&mut s), SaveState::Saved);
    let notes: String = admin(&server.url)
        .query_one("SELECT notes FROM run_steps WHERE id = $1", &[&i64::from(step.0)])
        .expect("q")
        .get(0);
    assert_eq!(notes, "mine, from before the crash");
    poll_until(&mut s, Duration::from_secs(10), "the window shows mine", |s| {
        s.db().and_then(|d| d.run_step(step)).is_some_and(|r| r.notes().contains("mine"))
    });
    drop(s);
    let (s, events) = open_with_journal(&server.url, journal.path());
    assert!(messages(&events).is_empty(), "nothing left to send: {:?}", messages(&events));
    assert_eq!(s.save_state(), &SaveState::Saved);
}

/// The window, headless: the server stops while a run is open — the status bar says
/// offline and how many changes wait, the runner marks the ticks not yet on the server;
/// the server comes back — they are sent, the marks go, All changes saved.
#[test]
fn the_window_says_offline_and_pending_and_marks_the_ticks_until_they_land() {
    use egui::Key;
    use egui_kittest::kittest::Queryable as _;

    let Some(server) = OwnServer::start() else { return };
    let sample = common::copy_of(&common::sample_data());
    pg::push(sample.path(), &server.url).expect("push");
    let journal = tempfile::tempdir().expect("tmp");
    let mut h = common::empty_app();
    h.state_mut().set_pending_dir(Some(journal.path().to_owned()));
    h.state_mut().open_database(&server.url);
    h.state_mut().wait_loading();
    h.run();
    assert!(h.state().db().is_some(), "open: {:?}", h.state().message());
    let run = common::team::start_payroll(&mut h);

    server.stop();
    for _ in 0..3 {
        h.key_press(Key::Space);
        h.run();
    }
    let until = Instant::now() + Duration::from_secs(20);
    while h.query_by_label_contains("Offline — 3 changes pending").is_none() {
        assert!(Instant::now() < until, "the status bar never said offline: {:?}", h.state().save_state());
        std::thread::sleep(Duration::from_millis(20));
        h.run();
    }
    assert_eq!(h.query_all_by_label_contains("not on the server yet").count(), 3, "each tick marked");

    server.start_again();
    let until = Instant::now() + Duration::from_secs(60);
    while h.query_by_label_contains("All changes saved").is_none() {
        assert!(Instant::now() < until, "not sent after the server came back");
        std::thread::sleep(Duration::from_millis(50));
        h.run();
    }
    assert!(h.query_by_label_contains("Offline").is_none());
    h.run();
    assert_eq!(
        h.query_all_by_label_contains("not on the server yet").count(),
        0,
        "the marks go: {:?} {:?}",
        h.state_mut().session_mut().unconfirmed(),
        h.state().save_state()
    );
    let ticked: i64 = admin(&server.url)
        .query_one("SELECT count(*) FROM run_steps WHERE run_id = $1 AND completed", &[&i64::from(run.0)])
        .expect("q")
        .get(0);
    assert_eq!(ticked, 3);
}

/// Started while the server is away, with changes left in the journal: the database does
/// not open, and the message says the changes are kept and sent when it opens; they are.
#[test]
fn started_while_the_server_is_away_the_kept_changes_are_said_and_sent_when_it_opens() {
    let Some(server) = server() else { return };
    let journal = tempfile::tempdir().expect("tmp");
    let (step, path) = noted_and_journaled(&server.url, journal.path(), "written while away");
    let kept = std::fs::read(&path).expect("journal");

    server.stop();
    let (s, events) = open_with_journal(&server.url, journal.path());
    let why = events
        .iter()
        .find_map(|e| match e {
            Event::DatabaseRefused { why, .. } => Some(why.clone()),
            _ => None,
        })
        .expect("refused");
    assert!(why.contains("1 change made earlier") && why.contains(&path.display().to_string()), "{why}");
    assert!(s.database().is_none());
    drop(s);
    assert_eq!(std::fs::read(&path).expect("journal"), kept, "kept as it was");

    server.start_again();
    let (_s, events) = open_with_journal(&server.url, journal.path());
    assert!(messages(&events).iter().any(|m| m.contains("1 change made earlier")), "{:?}", messages(&events));
    let notes: String = admin(&server.url)
        .query_one("SELECT notes FROM run_steps WHERE id = $1", &[&i64::from(step.0)])
        .expect("q")
        .get(0);
    assert_eq!(notes, "written while away");
}
