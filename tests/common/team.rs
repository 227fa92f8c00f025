//! A team database and the windows' sessions on it, as the team tests drive them: the
//! generated small folder pushed, a session opened on a URL, runs started and steps
//! ticked under the database's name for the user, saves waited for.

use super::pg::TestDb;
use procedures::model::{Name, ProcedureId, RunId, RunStepId, Timestamp};
use procedures::ops;
use procedures::session::{Event, SaveState, Session};
use procedures::store::pg;
use std::sync::Arc;

/// A team database holding the generated small folder (pushed by the administrator).
pub fn team(tag: &str) -> Option<(TestDb, tempfile::TempDir)> {
    let db = TestDb::new(tag)?;
    let src = tempfile::tempdir().expect("tmp");
    procedures::generate::generate(src.path(), procedures::generate::Scale::Small, 7).expect("generate");
    pg::push(src.path(), &db.url).expect("push");
    Some((db, src))
}

/// A window's session with the database `url` open.
pub fn open(url: &str) -> Session {
    let mut s = Session::new(Arc::new(|| {}));
    assert!(s.open_database(url).is_empty(), "a database is read on a thread");
    let events = s.wait_loading();
    assert!(events.iter().any(|e| matches!(e, Event::Opened { .. })), "{:?}", messages(&events));
    assert!(s.database().is_some());
    s
}

/// The messages among `events`.
pub fn messages(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) | Event::DatabaseRefused { why: m, .. } => Some(m.clone()),
            _ => None,
        })
        .collect()
}

pub fn now() -> Timestamp {
    Timestamp::parse("2026-12-03 10:00:00").expect("time")
}

/// Whether a step is a plain tick (no value, no condition).
pub fn plain(step: &procedures::model::Step) -> bool {
    step.kind == procedures::model::StepKind::Check && step.show_if.is_empty()
}

/// The first procedure with at least three plain steps (ticks without a value).
pub fn a_procedure(s: &Session) -> ProcedureId {
    let db = s.db().expect("open");
    db.procedures
        .rows()
        .iter()
        .map(|p| p.id)
        .find(|p| db.steps_of(*p).filter(|st| plain(st)).count() >= 3)
        .expect("a procedure with plain steps")
}

/// The run steps of a run that are plain ticks, in order.
pub fn tickable(s: &Session, run: RunId) -> Vec<RunStepId> {
    let db = s.db().expect("open");
    db.run_steps_of(run).filter(|rs| db.step(rs.step_id).is_some_and(plain)).map(|rs| rs.id).collect()
}

/// The name the database gives the session's user.
pub fn by(s: &Session) -> Name {
    Name::of(s.database_user().expect("a database")).unwrap_or_default()
}

/// Start a run of `pid` and send it.
pub fn start(s: &mut Session, pid: ProcedureId) -> RunId {
    let by = by(s);
    let run = s
        .mutate(|db| ops::start_run_with(db, pid, now(), &ops::RunStart { by, ..Default::default() }))
        .expect("started")
        .expect("a value");
    s.submit_changes();
    run
}

/// Tick a run step and send it.
pub fn tick(s: &mut Session, id: RunStepId) {
    let by = by(s);
    s.mutate(|db| ops::set_step_completed_by(db, id, true, now(), by)).expect("ticked");
    s.submit_changes();
}

/// Wait for what was sent, then the save state.
pub fn saved(s: &mut Session) -> SaveState {
    s.flush();
    s.poll(|_| {});
    s.save_state().clone()
}

/// In the window: start a run of Payroll run from the procedures and wait until its save
/// settled (written, or refused); the run.
pub fn start_payroll(h: &mut egui_kittest::Harness<'static, procedures::app::App>) -> RunId {
    use egui_kittest::kittest::Queryable as _;
    if h.state().view() != procedures::ui::View::Procedures {
        h.state_mut().set_view(procedures::ui::View::Procedures);
        h.run();
    }
    h.get_by_label("Payroll run").click();
    h.run();
    h.get_by_label("▶ Start run").click();
    h.run();
    h.state_mut().flush();
    h.run();
    h.state().runner().run.expect("a run is open")
}
