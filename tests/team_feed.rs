//! The change feed of a team database (issue #31), against the real PostgreSQL server
//! `.ci/run` starts: every writing transaction gets one gapless, commit-ordered position;
//! a client that was away catches up with every change once; a push says "read it all
//! again"; `procedures watch` prints changes as they come and stops on Ctrl+C.

mod common;
use common::pg::TestDb;
use procedures::store::TableKind;
use procedures::store::pg::{self, Batch, ChangeOp, Feed};
use std::collections::BTreeSet;
use std::io::BufRead as _;
use std::sync::mpsc;
use std::time::Duration;

/// A team database holding the generated small folder (pushed by the administrator).
fn team(tag: &str) -> Option<TestDb> {
    let db = TestDb::new(tag)?;
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 7).expect("generate");
    pg::push(src.path(), &db.url).expect("push");
    Some(db)
}

fn client(url: &str) -> postgres::Client {
    let mut c = pg::connect(url).expect("connect");
    // No statement of a test waits for ever.
    c.batch_execute("SET statement_timeout = '20s'").expect("timeout");
    c
}

/// Every (table, key, op) of a batch.
fn seen(batch: &Batch) -> Vec<(TableKind, u64, ChangeOp)> {
    batch.changes.iter().map(|c| (c.kind.expect("a table"), c.key, c.op)).collect()
}

/// The positions of a batch, checked to be every position from `from + 1` to `to`, in
/// order.
fn gapless(batch: &Batch) {
    let positions: BTreeSet<i64> = batch.changes.iter().map(|c| c.position).collect();
    assert_eq!(positions, (batch.from + 1..=batch.to).collect(), "every position once, none skipped");
    assert!(batch.changes.windows(2).all(|w| w[0].position <= w[1].position), "in position order");
}

#[test]
fn a_client_that_was_away_catches_up_with_every_change_once_even_committed_out_of_id_order() {
    let Some(db) = team("feed_away") else { return };
    let before = Feed::connect(&db.url, None).expect("feed").position();
    // The client is away (its feed dropped) while others write.
    let mut a = client(&db.url);
    let mut b = client(&db.url);
    a.batch_execute("INSERT INTO labels (id, name, color) VALUES (900001, 'Night shift', '#224466')").expect("one");
    a.batch_execute("UPDATE labels SET name = 'Night' WHERE id = 900001").expect("two");
    // Out of id order: the transaction that takes the lower id begins first and commits
    // last; one that began later commits in between.
    let mut first = a.transaction().expect("begin");
    first.execute("SELECT reserve_ids('labels', 1)", &[]).expect("reserve");
    b.batch_execute("INSERT INTO labels (id, name, color) VALUES (900003, 'Later', '#000000')").expect("three");
    first.batch_execute("INSERT INTO labels (id, name, color) VALUES (900002, 'Earlier', '#ffffff')").expect("four");
    first.commit().expect("commit");
    b.batch_execute("DELETE FROM labels WHERE id = 900003").expect("five");
    // One transaction, two tables.
    let run: i64 = b.query_one("SELECT min(id) FROM runs", &[]).expect("a run").get(0);
    let mut t = b.transaction().expect("begin");
    t.execute("UPDATE runs SET notes = 'checked twice' WHERE id = $1", &[&run]).expect("run");
    t.batch_execute("UPDATE labels SET color = '#112233' WHERE id = 900002").expect("label");
    t.commit().expect("commit");

    let mut feed = Feed::connect(&db.url, Some(before)).expect("back");
    let batch = feed.catch_up().expect("catch up");
    assert!(!batch.reload);
    assert_eq!(batch.to - before, 6, "six writing transactions, six positions");
    gapless(&batch);
    assert_eq!(
        seen(&batch),
        vec![
            (TableKind::Labels, 900001, ChangeOp::Insert),
            (TableKind::Labels, 900001, ChangeOp::Update),
            (TableKind::Labels, 900003, ChangeOp::Insert),
            (TableKind::Labels, 900002, ChangeOp::Insert),
            (TableKind::Labels, 900003, ChangeOp::Delete),
            (TableKind::Runs, run as u64, ChangeOp::Update),
            (TableKind::Labels, 900002, ChangeOp::Update),
        ]
    );
    assert_eq!(batch.changes[5].position, batch.changes[6].position, "one transaction, one position");
    // The rows come as they are now: a label removed is gone, the others carry their
    // latest values and revisions.
    let labels = &batch.rows[&TableKind::Labels];
    assert_eq!(labels.gone, vec![900003]);
    assert_eq!(labels.revisions, vec![(900001, 2), (900002, 2)]);
    let text = String::from_utf8(labels.csv.clone()).expect("utf-8");
    assert!(text.starts_with("id,name,color"), "{text}");
    assert!(text.contains("900001,Night,#224466") && text.contains("900002,Earlier,#112233"), "{text}");
    assert!(String::from_utf8_lossy(&batch.rows[&TableKind::Runs].csv).contains("checked twice"));
    assert_eq!(feed.position(), batch.to);
    // Nothing twice.
    assert!(feed.catch_up().expect("again").is_empty());
}

#[test]
fn a_transaction_still_open_holds_back_the_ones_after_it_so_no_position_is_skipped() {
    let Some(db) = team("feed_order") else { return };
    let mut feed = Feed::connect(&db.url, None).expect("feed");
    let start = feed.position();
    let mut a = client(&db.url);
    let mut open = a.transaction().expect("begin");
    open.batch_execute("INSERT INTO labels (id, name, color) VALUES (900010, 'Slow', '#000000')").expect("slow");
    // A second writer begins meanwhile: it waits for the first to end.
    let url = db.url.clone();
    let (done, finished) = mpsc::channel();
    let writer = std::thread::spawn(move || {
        let mut b = client(&url);
        let r = b.batch_execute("INSERT INTO labels (id, name, color) VALUES (900011, 'Quick', '#000000')");
        done.send(r.map_err(|e| e.to_string())).expect("send");
    });
    assert!(finished.recv_timeout(Duration::from_millis(300)).is_err(), "the second writer waits");
    assert!(feed.catch_up().expect("catch up").is_empty(), "nothing committed yet");
    open.commit().expect("commit");
    finished.recv_timeout(Duration::from_secs(20)).expect("the second writer goes on").expect("inserted");
    writer.join().expect("writer");
    let batch = feed.catch_up().expect("catch up");
    gapless(&batch);
    assert_eq!(batch.to, start + 2);
    assert_eq!(
        seen(&batch),
        vec![(TableKind::Labels, 900010, ChangeOp::Insert), (TableKind::Labels, 900011, ChangeOp::Insert)]
    );
}

#[test]
fn a_rolled_back_transaction_leaves_no_gap_and_a_wake_up_comes_with_each_commit() {
    let Some(db) = team("feed_wake") else { return };
    let mut feed = Feed::connect(&db.url, None).expect("feed");
    let start = feed.position();
    let mut a = client(&db.url);
    let mut t = a.transaction().expect("begin");
    t.batch_execute("INSERT INTO labels (id, name, color) VALUES (900020, 'Never', '#000000')").expect("insert");
    t.rollback().expect("rollback");
    assert!(!feed.wait(Duration::from_millis(200)).expect("wait"), "a rollback wakes no one");
    a.batch_execute("UPDATE steps SET description = 'Check the oil twice' WHERE id = (SELECT min(id) FROM steps)")
        .expect("edit");
    assert!(feed.wait(Duration::from_secs(1)).expect("wait"), "a commit wakes the client");
    let batch = feed.catch_up().expect("catch up");
    assert_eq!((batch.from, batch.to), (start, start + 1), "the rolled-back position was given back");
    assert_eq!(batch.changes.len(), 1);
    assert_eq!(batch.changes[0].op, ChangeOp::Update);
    assert_eq!(batch.changes[0].kind, Some(TableKind::Steps));
}

#[test]
fn the_client_names_who_changed_a_row_and_catches_up_after_its_connection_is_cut() {
    let Some(mut db) = team("feed_cut") else { return };
    let ana = db.person("ana", Some("Ana Ruiz"));
    let mut feed = Feed::connect(&db.url, None).expect("feed");
    // The server ends the feed's connection (as a restart does) …
    let mut admin = client(&db.admin);
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
            db.name
        ))
        .expect("terminate");
    // … and someone works meanwhile.
    let mut c = client(&ana);
    let tick: i64 = c
        .query_one(
            "UPDATE run_steps SET completed = true, value = '21.5' WHERE id = (SELECT min(id) FROM run_steps) RETURNING id",
            &[],
        )
        .expect("tick")
        .get(0);
    let lost = feed.wait(Duration::from_secs(2)).and_then(|_| feed.catch_up().map(|_| ()));
    assert!(lost.is_err() || feed.is_closed(), "the cut connection is noticed");
    feed.reconnect().expect("reconnect");
    let batch = feed.catch_up().expect("catch up");
    assert_eq!(batch.changes.len(), 1, "{:?}", batch.changes);
    let change = &batch.changes[0];
    assert_eq!((change.kind, change.key, change.op), (Some(TableKind::RunSteps), tick as u64, ChangeOp::Update));
    assert_eq!(change.by, "Ana Ruiz", "the people name of the role");
    assert_eq!(change.at.len(), "2026-12-03 10:00:00".len(), "{}", change.at);
}

#[test]
fn a_push_into_the_database_says_read_it_all_again() {
    let Some(db) = TestDb::new("feed_push") else { return };
    let mut c = client(&db.url);
    pg::migrate(&mut c, None).expect("schema");
    let mut feed = Feed::connect(&db.url, None).expect("feed");
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 7).expect("generate");
    pg::push(src.path(), &db.url).expect("push");
    assert!(feed.wait(Duration::from_secs(1)).expect("wait"), "a push wakes the client");
    let batch = feed.catch_up().expect("catch up");
    assert!(batch.reload, "a push is read again whole, not row by row");
    assert_eq!(batch.changes.len(), 1);
    assert_eq!((batch.changes[0].kind, batch.changes[0].op), (None, ChangeOp::Push));
    assert!(feed.catch_up().expect("again").is_empty());
    // A client at a position the database never reached (it was made anew) reads it again.
    let mut ahead = Feed::connect(&db.url, Some(batch.to + 100)).expect("feed");
    assert!(ahead.catch_up().expect("catch up").reload);
}

#[test]
fn watch_prints_each_change_as_it_comes_and_stops_on_ctrl_c() {
    let Some(db) = team("feed_watch") else { return };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_procedures"))
        .args(["watch", &db.url, "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("watch starts");
    let stdout = child.stdout.take().expect("stdout");
    let (line_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    // Tick until watch has seen one (it may not be listening yet for the first).
    let mut c = client(&db.url);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let line = loop {
        assert!(std::time::Instant::now() < deadline, "watch printed no line within 20 s");
        c.batch_execute(
            "UPDATE run_steps SET completed = true, value = '7' WHERE id = (SELECT min(id) FROM run_steps)",
        )
        .expect("tick");
        if let Ok(line) = lines.recv_timeout(Duration::from_secs(2)) {
            break line;
        }
    };
    let v: serde_json::Value = serde_json::from_str(&line).expect("one JSON object per line");
    assert_eq!(v["table"], "run_steps");
    assert_eq!(v["op"], "update");
    assert_eq!(v["row"]["completed"], "True");
    assert_eq!(v["row"]["value"], "7");
    assert!(v["position"].as_i64().is_some_and(|p| p > 0));
    // Ctrl+C (SIGINT) ends it cleanly.
    #[cfg(unix)]
    {
        let pid = child.id().to_string();
        std::process::Command::new("kill").args(["-INT", &pid]).status().expect("kill");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            assert!(std::time::Instant::now() < deadline, "watch did not stop within 10 s of Ctrl+C");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status:?}");
    }
    #[cfg(not(unix))]
    child.kill().expect("kill");
}
