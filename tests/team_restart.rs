//! The server restarted in the middle of a session (issue #31), on a PostgreSQL server of
//! the test's own: both windows' connections end; the next change is written on a new
//! connection without asking, and the other window's feed connects again and catches up.

mod common;
use common::server::OwnServer;
use common::team::{open, saved};
use procedures::model::{Name, ProcedureId, Timestamp};
use procedures::ops;
use procedures::session::SaveState;
use procedures::store::pg;
use std::time::{Duration, Instant};

#[test]
fn the_server_restarted_mid_session_the_windows_write_again_and_catch_up() {
    let Some(server) = OwnServer::start() else { return };
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 7).expect("generate");
    pg::push(src.path(), &server.url).expect("push");
    let mut a = open(&server.url);
    let mut b = open(&server.url);
    let pid: ProcedureId = a.db().expect("open").procedures.rows()[0].id;
    let before = a.db().expect("open").runs_of(pid).len();

    server.restart();

    // Bob starts a run: written on a new connection, nobody asked to retry.
    let now = Timestamp::parse("2026-12-06 10:00:00").expect("time");
    let by = Name::of("Bob").unwrap_or_default();
    let run = b
        .mutate(|d| ops::start_run_with(d, pid, now, &ops::RunStart { by, ..Default::default() }))
        .expect("started")
        .expect("a run");
    b.submit_changes();
    assert_eq!(saved(&mut b), SaveState::Saved, "written after the restart");
    // Alice's feed connects again and brings it.
    let started = Instant::now();
    loop {
        a.poll(|_| {});
        if a.db().is_some_and(|d| d.run(run).is_some()) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "alice did not catch up: {:?}", a.live_problem());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(a.db().expect("open").runs_of(pid).len(), before + 1);
    assert!(a.live_problem().is_none(), "connected again");
    // And alice writes again too.
    a.mutate(|d| ops::set_run_note(d, run, "seen after the restart")).expect("note");
    a.submit_changes();
    assert_eq!(saved(&mut a), SaveState::Saved);
}
