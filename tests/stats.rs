//! `stats` on the pandas fixture, against values computed by hand (a short script over
//! the CSV, independent of this code), and the CLI's JSON shape.

mod common;
use common::*;
use procedures::analysis;
use procedures::model::ProcedureId;
use procedures::store;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn pandas_fixture_stats_match_hand_computed_values() {
    let l = store::load(&pandas_fixture()).expect("load");
    assert!(l.problems.is_empty());
    let r = analysis::stats_report(&l.db, None);
    let o = &r.overall;
    assert_eq!((o.runs, o.completed, o.cancelled, o.in_progress), (400, 302, 44, 54));
    assert!(close(o.completion_rate.expect("rate"), 302.0 / 346.0 * 100.0));
    let d = o.duration_secs.expect("durations");
    assert!(close(d.mean, 3598.698675496689));
    assert!(close(d.median, 3376.0));
    assert!(close(d.p90, 6490.8));

    let p3 = analysis::procedure_stats(
        &l.db,
        ProcedureId(3),
        &mut analysis::schedule::Engine::new(),
        &analysis::schedule::Clock::system(),
    )
    .expect("p3");
    assert_eq!((p3.summary.runs, p3.summary.completed, p3.summary.cancelled, p3.summary.in_progress), (8, 7, 0, 1));
    assert_eq!(p3.summary.completion_rate, Some(100.0));
    let d = p3.summary.duration_secs.expect("d");
    assert!(close(d.mean, 3267.4285714285716) && close(d.median, 2919.0) && close(d.p90, 4775.0));
    let top: Vec<(u32, f64, f64, usize)> =
        p3.bottleneck_steps.iter().take(3).map(|b| (b.step_id, b.median_secs, b.p90_secs, b.count)).collect();
    assert_eq!(top[0].0, 16);
    assert!(close(top[0].1, 630.0) && close(top[0].2, 982.8) && top[0].3 == 7);
    assert_eq!((top[1].0, top[2].0), (17, 18));

    let p36 = analysis::procedure_stats(
        &l.db,
        ProcedureId(36),
        &mut analysis::schedule::Engine::new(),
        &analysis::schedule::Clock::system(),
    )
    .expect("p36");
    assert_eq!(p36.summary.completion_rate, Some(75.0));
    assert!(close(p36.summary.duration_secs.expect("d").median, 3891.5));
}

#[test]
fn stats_json_cli_shape() {
    let exe = env!("CARGO_BIN_EXE_procedures");
    let out = std::process::Command::new(exe)
        .args(["stats", "--json", "--procedure", "1"])
        .arg(pandas_fixture())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let p = &v["procedures"][0];
    assert_eq!(p["id"], 1);
    assert_eq!(p["runs"], 11);
    assert_eq!(p["completed"], 10);
    assert_eq!(p["cancelled"], 1);
    assert_eq!(p["in_progress"], 0);
    assert!(close(p["completion_rate"].as_f64().expect("rate"), 100.0 * 10.0 / 11.0));
    assert_eq!(p["duration_secs"]["median"], 2852.5);
    assert!(p["bottleneck_steps"][0]["step_id"].is_u64());
    assert_eq!(v["overall"]["runs"], 11);
}

#[test]
fn empty_and_cancelled_only_give_none_not_zero() {
    let dir = folder(VALID);
    let mut db = store::load(dir.path()).expect("load").db;
    let r = analysis::stats_report(&db, None);
    assert_eq!(r.overall.completion_rate, Some(100.0));
    // Only a cancelled run: rate 0, no durations.
    let run = db.runs.get_mut(1).expect("run");
    run.status = procedures::model::RunStatus::Cancelled;
    let r = analysis::stats_report(&db, None);
    assert_eq!(r.overall.completion_rate, Some(0.0));
    assert_eq!(r.overall.duration_secs, None);
    // No runs at all: none.
    let empty = analysis::summarize(std::iter::empty());
    assert_eq!(empty.completion_rate, None);
    assert_eq!(empty.duration_secs, None);
}

#[test]
fn step_durations_follow_tick_order_not_step_order() {
    let dir = folder(&[
        ("procedures.csv", "id,name,description,created_at,updated_at,version\n1,P,,,,1\n"),
        ("steps.csv", "id,procedure_id,order,description,estimated_duration\n1,1,1,a,\n2,1,2,b,\n3,1,3,c,\n"),
        ("runs.csv", "id,procedure_id,start_time,end_time,status,notes\n1,1,2025-01-01 08:00:00,,in_progress,\n"),
        (
            "run_steps.csv",
            "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,2025-01-01 08:10:00,\n2,1,2,True,2025-01-01 08:04:00,\n3,1,3,False,,\n",
        ),
    ]);
    let l = store::load(dir.path()).expect("load");
    let run = l.db.run(procedures::model::RunId(1)).expect("run");
    let d: Vec<(u32, i64)> = analysis::step_durations(&l.db, run).iter().map(|(_, s, d)| (s.0, *d)).collect();
    assert_eq!(d, vec![(2, 240), (1, 360)]);
    let b = analysis::bottlenecks(&l.db, [run]);
    assert_eq!(b.iter().map(|b| b.step_id).collect::<Vec<_>>(), vec![1, 2]);
}

#[test]
fn frequency_and_trends_by_iso_week_and_month() {
    let l = store::load(&pandas_fixture()).expect("load");
    let weeks = analysis::frequency(l.db.runs.rows(), analysis::Granularity::Week);
    assert_eq!(weeks.iter().map(|(_, n)| n).sum::<usize>(), 400);
    assert!(weeks.windows(2).all(|w| w[0].0 < w[1].0));
    let months = analysis::frequency(l.db.runs.rows(), analysis::Granularity::Month);
    assert_eq!(months[0].0.label(), "2025-01");
    let trends = analysis::trends(l.db.runs.rows());
    assert_eq!(trends.len(), weeks.len());
    assert_eq!(trends.iter().map(|t| t.runs).sum::<usize>(), 400);
}

#[test]
fn stats_on_every_core_equal_stats_one_procedure_at_a_time() {
    use procedures::analysis::schedule::{Clock, Engine};
    use procedures::analysis::{procedure_stats, stats_report_at};
    use procedures::model::recurrence::Zone;
    let db = procedures::generate::build(procedures::generate::Scale::Small, 9);
    let clock =
        Clock { zone: Zone::UTC, now: procedures::model::Timestamp::parse("2026-06-01 12:00:00").expect("time") };
    let report = stats_report_at(&db, None, &clock);
    let mut engine = Engine::new();
    let one_by_one: Vec<_> =
        db.procedures.rows().iter().filter_map(|p| procedure_stats(&db, p.id, &mut engine, &clock)).collect();
    assert!(one_by_one.len() > 10, "a folder with many procedures");
    assert!(one_by_one.iter().any(|p| !p.values.is_empty()), "values recorded");
    assert_eq!(report.procedures, one_by_one);
}

/// A run started for an occurrence before 1970 (a hand-edited folder) is summed up like
/// any other: nothing in the walk over the runs overflows on its negative time.
#[test]
fn a_run_for_an_occurrence_before_1970_is_summed_up() {
    let mut db = procedures::generate::build(procedures::generate::Scale::Small, 3);
    let run = db.runs.rows()[0].clone();
    let early = procedures::model::Timestamp::parse("1901-05-01 08:00:00").expect("a time");
    let id = u64::from(run.id.0);
    *db.runs.get_mut(id).expect("the run") = run.with_details("", "", Some(early), Box::default());
    let report = analysis::stats_report(&db, None);
    assert_eq!(report.overall.runs, db.runs.len());
    assert_eq!(report.procedures.iter().map(|p| p.summary.runs).sum::<usize>(), db.runs.len());
}
