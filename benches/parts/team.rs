//! The team-database budgets (issue #29), measured when `cargo bench -- --pg URL` names a
//! server (an administrator's URL, as `PROCEDURES_TEST_PG`): the Year-1 folder pushed
//! once into `procedures_bench_y1`, then opening it as the window does, `check URL`,
//! ticks committed one transaction each, as the window's writer thread sends them (each
//! journaled and synced first, issue #32), and
//! how long until another window (a second session on the database, polled as each
//! frame polls it) shows a tick (issue #31).

use super::{median, ms, percentile};
use procedures::model::{RunStatus, RunStepId, Timestamp};
use procedures::ops;
use procedures::session::Session;
use procedures::store::{Dataset, pg};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One measured budget: what, measured, budget, verdict.
pub type Measured = (String, String, &'static str, Option<bool>);

/// The bench database on the server `admin`, with `dir` pushed into it (once).
fn bench_database(admin: &str, dir: &Path) -> String {
    let name = "procedures_bench_y1";
    let mut c = pg::connect(admin).expect("the bench server answers");
    let exists = c.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).expect("q").is_some();
    if !exists {
        c.batch_execute(&format!("CREATE DATABASE {name}")).expect("create the bench database");
    }
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    let url = format!("{base}/{name}");
    let mut d = pg::connect(&url).expect("connect");
    if pg::schema_version(&mut d).expect("version") == 0 {
        eprintln!("pushing {} into {} (once) …", dir.display(), pg::redacted(&url));
        let t = Instant::now();
        pg::push(dir, &url).expect("push the bench folder");
        eprintln!("pushed in {:.1?}", t.elapsed());
    }
    url
}

/// Send what the ops changed and wait until it is committed; take any ids reserved.
fn commit(db: &mut Dataset, remote: &mut pg::Remote) {
    remote.submit(db.take_change_set());
    remote.reserve(db.id_blocks_wanted());
    for w in remote.wait_idle(Duration::from_secs(60)) {
        match w {
            pg::Written::Committed { .. } => {}
            pg::Written::Reserved(blocks) => pg::set_blocks(db, &blocks),
            other => panic!("not committed: {other:?}"),
        }
    }
}

/// Measure the team budgets; `tick` ticks a step as a person would.
pub fn measure(
    admin: &str,
    dir: &Path,
    runs: usize,
    ticks: usize,
    tick: fn(&mut Dataset, RunStepId, Timestamp),
) -> Vec<Measured> {
    let url = bench_database(admin, dir);
    let mut out = Vec::new();

    // As the window opens it: its changes go through a journal (issue #32), synced
    // before each is sent.
    let journal = tempfile::tempdir().expect("a journal directory");
    let mut opens = Vec::new();
    let mut opened = None;
    for _ in 0..runs.min(3) {
        drop(opened.take());
        let t = Instant::now();
        let o = pg::open(&url, None, Arc::new(|| {}), Some(journal.path())).expect("open");
        opens.push(t.elapsed());
        assert!(o.loaded.problems.is_empty(), "{:?}", &o.loaded.problems[..1]);
        opened = Some(o);
    }
    let open = median(&mut opens);
    out.push((
        "team database: open y1 as the window does (localhost)".to_owned(),
        ms(open),
        "<= 3 s",
        Some(open <= Duration::from_secs(3)),
    ));

    let mut checks: Vec<Duration> = (0..runs.min(3))
        .map(|_| {
            let t = Instant::now();
            let l = pg::load_url(&url).expect("check URL");
            assert!(l.problems.is_empty());
            t.elapsed()
        })
        .collect();
    let check = median(&mut checks);
    out.push((
        "team database: `check URL` at y1".to_owned(),
        ms(check),
        "<= 2.5 s",
        Some(check <= Duration::from_millis(2500)),
    ));

    let Some(opened) = opened else { return out };
    // Another window on the same database, following its changes.
    let mut other = Session::new(Arc::new(|| {}));
    let _ = other.open_database(&url);
    let _ = other.wait_loading();
    assert!(other.db().is_some(), "the other window opened the database");
    let mut shown_after = Vec::new();
    let (mut db, mut remote) = (opened.loaded.db, opened.remote);
    let mut times = ticked(&mut db, &mut remote, ticks, tick, Some((&mut other, &mut shown_after)));
    let (p50, p99) = (percentile(&mut times, 0.5), percentile(&mut times, 0.99));
    out.push((
        format!("team database: a tick committed ({} ticks)", times.len()),
        format!("p50 {}, p99 {}", ms(p50), ms(p99)),
        "p50 <= 20 ms, p99 <= 100 ms",
        Some(p50 <= Duration::from_millis(20) && p99 <= Duration::from_millis(100)),
    ));
    // The same without a journal (the CLI's path), side by side: what the journal costs.
    drop((db, remote));
    let plain = pg::open(&url, None, Arc::new(|| {}), None).expect("open");
    let (mut db, mut remote) = (plain.loaded.db, plain.remote);
    let mut times = ticked(&mut db, &mut remote, ticks, tick, None);
    let (p50, p99) = (percentile(&mut times, 0.5), percentile(&mut times, 0.99));
    out.push((
        format!("team database: a tick committed without a journal, as the CLI ({} ticks)", times.len()),
        format!("p50 {}, p99 {}", ms(p50), ms(p99)),
        "(comparison)",
        None,
    ));
    let (p50, max) = (percentile(&mut shown_after, 0.5), percentile(&mut shown_after, 1.0));
    out.push((
        format!("team database: another window shows a tick ({} ticks, y1 open in both)", shown_after.len()),
        format!("p50 {}, max {}", ms(p50), ms(max)),
        "<= 1 s",
        Some(max <= Duration::from_secs(1)),
    ));
    out
}

/// Tick `ticks` steps of runs started for it, each committed before the next; how long
/// each took, and (for the first 50) how long until `other` showed it.
fn ticked(
    db: &mut Dataset,
    remote: &mut pg::Remote,
    ticks: usize,
    tick: fn(&mut Dataset, RunStepId, Timestamp),
    mut other: Option<(&mut Session, &mut Vec<Duration>)>,
) -> Vec<Duration> {
    let now = Timestamp::now();
    let pid = db.procedures.rows()[0].id;
    let mut times = Vec::new();
    while times.len() < ticks {
        let run = ops::start_run(db, pid, now).expect("start").value;
        commit(db, remote);
        for rs in db.run_step_ids(run) {
            if times.len() >= ticks {
                break;
            }
            let t = Instant::now();
            tick(db, rs, now);
            commit(db, remote);
            times.push(t.elapsed());
            if let Some((other, shown_after)) = &mut other
                && shown_after.len() < 50
            {
                shown_after.push(t.elapsed() + shown_in(other, rs));
            }
        }
        ops::finish_run(db, run, RunStatus::Completed, now).expect("finish");
        commit(db, remote);
    }
    times
}

/// How long after now `other` shows run step `rs` ticked, polling as a frame does.
fn shown_in(other: &mut Session, rs: RunStepId) -> Duration {
    let t = Instant::now();
    loop {
        other.poll(|_| {});
        if other.db().and_then(|d| d.run_step(rs)).is_some_and(|r| r.completed) {
            return t.elapsed();
        }
        assert!(t.elapsed() < Duration::from_secs(10), "the other window never showed the tick");
        std::thread::sleep(Duration::from_millis(1));
    }
}
