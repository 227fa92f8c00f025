//! Analytics: hand-computed expectations for every metric, parity with `stats`, and
//! the view's numbers following procedure, range and label changes.

mod common;
use common::*;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use procedures::analysis::{self, DateRange, Selection};
use procedures::app::App;
use procedures::model::*;
use procedures::store;
use procedures::ui::View;

fn d(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// Two procedures (P1 labelled "daily"), runs written by hand:
/// P1 run 1: 08:00→08:10 completed, steps ticked 08:04 (step 2!) then 08:09 (step 1)
/// P1 run 2: 09:00→09:30 completed (v2), steps 09:10, 09:25
/// P1 run 3: cancelled, P1 run 4: in progress (one tick)
/// P2 run 5: completed 20 min, a week earlier
fn folder_with_runs() -> tempfile::TempDir {
    folder(&[
        ("procedures.csv", "id,name,description,created_at,updated_at,version\n1,P1,,,,2\n2,P2,,,,1\n"),
        (
            "steps.csv",
            "id,procedure_id,order,description,estimated_duration\n1,1,1,First,300\n2,1,2,Second,\n3,2,1,Only,\n",
        ),
        (
            "runs.csv",
            "id,procedure_id,start_time,end_time,status,notes,procedure_version\n\
             1,1,2025-03-10 08:00:00,2025-03-10 08:10:00,completed,,1\n\
             2,1,2025-03-11 09:00:00,2025-03-11 09:30:00,completed,,2\n\
             3,1,2025-03-12 10:00:00,2025-03-12 10:05:00,cancelled,,2\n\
             4,1,2025-03-13 11:00:00,,in_progress,,2\n\
             5,2,2025-03-03 12:00:00,2025-03-03 12:20:00,completed,,1\n",
        ),
        (
            "run_steps.csv",
            "id,run_id,step_id,completed,completed_at,notes\n\
             1,1,1,True,2025-03-10 08:09:00,\n2,1,2,True,2025-03-10 08:04:00,\n\
             3,2,1,True,2025-03-11 09:10:00,\n4,2,2,True,2025-03-11 09:25:00,\n\
             5,3,1,False,,\n6,3,2,False,,\n\
             7,4,1,True,2025-03-13 11:02:00,\n8,4,2,False,,\n\
             9,5,3,True,2025-03-03 12:19:00,\n",
        ),
        ("labels.csv", "id,name,color\n1,daily,#3cb44b\n"),
        ("procedure_labels.csv", "procedure_id,label_id\n1,1\n"),
    ])
}

#[test]
fn hand_computed_report() {
    let dir = folder_with_runs();
    let l = store::load(dir.path()).expect("load");
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    let db = &l.db;
    let today = d("2025-03-14");

    // All: 5 runs, 3 completed (10, 30, 20 min), 1 cancelled, 1 open.
    let all = analysis::report(db, &Selection::default(), today);
    let s = &all.summary;
    assert_eq!((s.runs, s.completed, s.cancelled, s.in_progress), (5, 3, 1, 1));
    assert_eq!(s.completion_rate, Some(75.0));
    let dur = s.duration_secs.expect("durations");
    assert_eq!((dur.mean, dur.median), (1200.0, 1200.0));
    assert!((dur.p90 - 1680.0).abs() < 1e-9, "p90 of 600,1200,1800 = 1200 + 0.8·600");
    assert_eq!(s.last_run.map(|t| t.canonical()), Some("2025-03-13 11:00:00".into()));
    // Weeks: 2025-W10 (P2's run) and 2025-W11 (P1's four).
    let weeks: Vec<(String, usize, usize, usize)> =
        all.weekly.iter().map(|c| (c.period.label(), c.completed, c.cancelled, c.in_progress)).collect();
    assert_eq!(weeks, vec![("2025-W10".into(), 1, 0, 0), ("2025-W11".into(), 2, 1, 1)]);
    assert_eq!(all.completion_weekly.iter().map(|(_, r)| r.round() as i64).collect::<Vec<_>>(), vec![100, 67]);
    assert_eq!(all.monthly.len(), 1);
    assert_eq!(all.durations.len(), 3);
    // Rolling median over the window: 20m; then median(20,10)=15m; then median(20,10,30)=20m.
    assert_eq!(all.rolling_median.iter().map(|(_, s)| *s).collect::<Vec<_>>(), vec![1200.0, 900.0, 1200.0]);
    assert_eq!(all.overview.len(), 2);
    assert!(all.bottlenecks.is_empty() && all.per_version.is_empty());

    // One procedure: steps ticked out of order count from the previous tick.
    let p1 = analysis::report(db, &Selection { procedure: Some(ProcedureId(1)), ..Selection::default() }, today);
    assert_eq!(p1.summary.runs, 4);
    assert!((p1.summary.completion_rate.expect("rate") - 200.0 / 3.0).abs() < 1e-9);
    // Step 1: run1 5m (08:04→08:09), run2 10m, run4 2m → median 5m; step 2: 4m, 15m → 9.5m.
    let b: Vec<(u32, f64, usize)> = p1.bottlenecks.iter().map(|b| (b.step_id.0, b.median_secs, b.count)).collect();
    assert_eq!(b, vec![(2, 570.0, 2), (1, 300.0, 3)]);
    assert_eq!(p1.bottlenecks[1].estimate_secs, Some(300));
    assert_eq!(p1.bottlenecks[0].text, "Second");
    // Per version: v1 one run of 10m (100%), v2 three runs: 30m, cancelled, open (50%).
    let v: Vec<(u32, usize, Option<f64>, Option<f64>)> =
        p1.per_version.iter().map(|v| (v.version, v.runs, v.completion_rate, v.median_secs)).collect();
    assert_eq!(v, vec![(1, 1, Some(100.0), Some(600.0)), (2, 3, Some(50.0), Some(1800.0))]);

    // Date range: the last 7 days up to 2025-03-14 leave out P2's run of 2025-03-03.
    let week = analysis::report(db, &Selection { range: DateRange::LastDays(7), ..Selection::default() }, today);
    assert_eq!(week.summary.runs, 4);
    // Trend: P1's median this week (20m) vs the week before (none) → none; custom range.
    let custom =
        Selection { range: DateRange::Custom { from: d("2025-03-03"), to: d("2025-03-10") }, ..Selection::default() };
    let c = analysis::report(db, &custom, today);
    assert_eq!(c.summary.runs, 2);
    // Trend against the period before: 03-11..03-13 against 03-08..03-10, where P1's
    // only run took 10 minutes; P2 ran in neither.
    let three =
        Selection { range: DateRange::Custom { from: d("2025-03-11"), to: d("2025-03-13") }, ..Selection::default() };
    let t = analysis::report(db, &three, today);
    let p1 = t.overview.iter().find(|o| o.id == ProcedureId(1)).expect("P1");
    let now = p1.median_secs.expect("P1 has durations in the period");
    assert_eq!(p1.trend_pct, Some((now - 600.0) / 600.0 * 100.0));
    assert_eq!(t.overview.iter().find(|o| o.id == ProcedureId(2)).expect("P2").trend_pct, None);
    // Label filter: only P1.
    let daily = analysis::report(db, &Selection { label: Some(LabelId(1)), ..Selection::default() }, today);
    assert_eq!(daily.summary.runs, 4);
    assert_eq!(daily.overview.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), vec!["P1"]);
}

#[test]
fn edge_cases_empty_single_cancelled_ties() {
    let today = d("2025-03-14");
    let empty = store::Dataset::default();
    let r = analysis::report(&empty, &Selection::default(), today);
    assert_eq!(r.summary.runs, 0);
    assert_eq!(r.summary.completion_rate, None);
    assert_eq!(r.summary.duration_secs, None);
    assert!(r.weekly.is_empty() && r.durations.is_empty() && r.rolling_median.is_empty());

    // Single run; all-cancelled procedure; two steps with the same median (ties by id).
    let dir = folder(&[
        ("procedures.csv", "id,name,description,created_at,updated_at,version\n1,A,,,,1\n2,B,,,,1\n"),
        ("steps.csv", "id,procedure_id,order,description,estimated_duration\n7,1,1,x,\n3,1,2,y,\n9,2,1,z,\n"),
        (
            "runs.csv",
            "id,procedure_id,start_time,end_time,status,notes\n1,1,2025-03-10 08:00:00,2025-03-10 08:10:00,completed,\n2,2,2025-03-10 09:00:00,2025-03-10 09:01:00,cancelled,\n",
        ),
        (
            "run_steps.csv",
            "id,run_id,step_id,completed,completed_at,notes\n1,1,7,True,2025-03-10 08:05:00,\n2,1,3,True,2025-03-10 08:10:00,\n3,2,9,False,,\n",
        ),
    ]);
    let l = store::load(dir.path()).expect("load");
    let a = analysis::report(&l.db, &Selection { procedure: Some(ProcedureId(1)), ..Selection::default() }, today);
    let dur = a.summary.duration_secs.expect("one run");
    assert_eq!((dur.mean, dur.median, dur.p90), (600.0, 600.0, 600.0));
    assert_eq!(a.bottlenecks.iter().map(|b| b.step_id.0).collect::<Vec<_>>(), vec![3, 7], "tie: lower id first");
    let b = analysis::report(&l.db, &Selection { procedure: Some(ProcedureId(2)), ..Selection::default() }, today);
    assert_eq!(b.summary.completion_rate, Some(0.0));
    assert_eq!(b.summary.duration_secs, None);
    assert!(b.bottlenecks.is_empty());
}

#[test]
fn view_numbers_equal_stats_json_for_the_pandas_fixture() {
    let l = store::load(&pandas_fixture()).expect("load");
    let today = d("2026-01-01");
    let exe = env!("CARGO_BIN_EXE_procedures");
    let out = std::process::Command::new(exe).args(["stats", "--json"]).arg(pandas_fixture()).output().expect("run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let check = |s: &analysis::Summary, j: &serde_json::Value| {
        assert_eq!(j["runs"], s.runs);
        assert_eq!(j["completed"], s.completed);
        assert_eq!(j["cancelled"], s.cancelled);
        assert_eq!(j["in_progress"], s.in_progress);
        assert_eq!(j["completion_rate"].as_f64(), s.completion_rate);
        assert_eq!(j["duration_secs"]["median"].as_f64(), s.duration_secs.map(|d| d.median));
        assert_eq!(j["duration_secs"]["p90"].as_f64(), s.duration_secs.map(|d| d.p90));
        assert_eq!(j["duration_secs"]["mean"].as_f64(), s.duration_secs.map(|d| d.mean));
    };
    let all = analysis::report(&l.db, &Selection::default(), today);
    check(&all.summary, &json["overall"]);
    for p in json["procedures"].as_array().expect("array") {
        let pid = ProcedureId(p["id"].as_u64().expect("id") as u32);
        let r = analysis::report(&l.db, &Selection { procedure: Some(pid), ..Selection::default() }, today);
        check(&r.summary, p);
        let ids: Vec<u64> =
            p["bottleneck_steps"].as_array().expect("b").iter().map(|b| b["step_id"].as_u64().expect("id")).collect();
        assert_eq!(ids, r.bottlenecks.iter().map(|b| u64::from(b.step_id.0)).collect::<Vec<_>>());
    }
}

fn app_on(dir: &std::path::Path) -> Harness<'static, App> {
    app_sized(dir, 1400.0, 1000.0)
}

/// Wait for the worker, then let the view draw the new numbers.
fn settle(h: &mut Harness<'static, App>) {
    // A click is handled in one frame, the view asks for the report in the next.
    h.step();
    h.step();
    h.state_mut().analytics_mut().wait();
    h.run();
}

fn shown(h: &Harness<'static, App>) -> analysis::Summary {
    let app = h.state();
    let db = app.db().expect("open");
    app.analytics().current(db, Timestamp::now().local_date()).expect("a current report").summary.clone()
}

fn expected(h: &Harness<'static, App>, sel: Selection) -> analysis::Summary {
    let db = h.state().db().expect("open");
    analysis::report(db, &sel, Timestamp::now().local_date()).summary
}

#[test]
fn switching_procedure_range_and_label_changes_the_numbers() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.get_by_label("📊 Analytics").click();
    settle(&mut h);
    assert_eq!(h.state().view(), View::Analytics);
    let all = shown(&h);
    assert_eq!(all, expected(&h, Selection::default()));
    assert_eq!(all.runs, 160);
    assert!(h.query_all_by_label("160").count() >= 1, "the headline shows the run count");

    // One procedure, from the overview table.
    h.get_by_role_and_label(Role::Link, "Month-end close").click();
    settle(&mut h);
    let pid = h.state().analytics().selection.procedure.expect("a procedure");
    let one = shown(&h);
    assert_eq!(one, expected(&h, Selection { procedure: Some(pid), ..Selection::default() }));
    assert!(one.runs < all.runs);
    h.get_by_label_contains("Bottleneck steps");

    // Range: last 30 days.
    h.get_by_label("Date range").click();
    h.run();
    h.get_by_label("Last 30 days").click();
    settle(&mut h);
    let sel = Selection { procedure: Some(pid), range: DateRange::LastDays(30), label: None };
    assert_eq!(h.state().analytics().selection, sel);
    assert_eq!(shown(&h), expected(&h, sel));

    // Back to all procedures, label "kitchen".
    h.get_by_label("Procedure").click();
    h.run();
    h.get_by_label("All procedures").click();
    settle(&mut h);
    h.get_by_label("Label").click();
    h.run();
    h.get_by_label("kitchen").click();
    settle(&mut h);
    let db = h.state().db().expect("db");
    let kitchen = db.labels.rows().iter().find(|l| l.name == "kitchen").expect("label").id;
    let sel = Selection { procedure: None, range: DateRange::LastDays(30), label: Some(kitchen) };
    assert_eq!(h.state().analytics().selection, sel);
    let k = shown(&h);
    assert_eq!(k, expected(&h, sel));
    assert!(k.runs > 0 && k.runs < all.runs);
}

#[test]
fn export_numbers_as_csv() {
    let dir = copy_of(&sample_data());
    let out = tempfile::tempdir().expect("tmp");
    let mut h = app_on(dir.path());
    h.get_by_label("📊 Analytics").click();
    settle(&mut h);
    let report = {
        let app = h.state();
        app.analytics().current(app.db().expect("db"), Timestamp::now().local_date()).expect("report").clone()
    };
    let path = out.path().join("numbers.csv");
    let ctx = h.ctx.clone();
    h.state_mut().export_to(
        &ctx,
        path.clone(),
        procedures::app::Export::Csv(procedures::transfer::summary_csv("All", &report)),
    );
    let text = std::fs::read_to_string(&path).expect("written");
    assert!(text.starts_with("metric,value\nselection,All\nruns,160\n"), "{text}");
}

#[test]
fn a_change_invalidates_only_the_reports_it_touches() {
    let dir = folder_with_runs();
    let mut db = store::load(dir.path()).expect("load").db;
    let today = d("2025-03-14");
    let one = |p: u32| Selection { procedure: Some(ProcedureId(p)), ..Selection::default() };
    let (k1, k2, kall) = (
        analysis::ReportKey::of(&db, one(1), today),
        analysis::ReportKey::of(&db, one(2), today),
        analysis::ReportKey::of(&db, Selection::default(), today),
    );
    // Tick the open run of P1.
    let rs = db.run_step_ids(RunId(4))[1];
    procedures::ops::set_step_completed(&mut db, rs, true, Timestamp::parse("2025-03-13 11:30:00").expect("t"))
        .expect("tick");
    assert_ne!(analysis::ReportKey::of(&db, one(1), today), k1, "P1's report is recomputed");
    assert_eq!(analysis::ReportKey::of(&db, one(2), today), k2, "P2's report is still valid");
    assert_ne!(analysis::ReportKey::of(&db, Selection::default(), today), kall);
}

#[test]
fn the_procedure_picker_is_searched_by_typing_and_enter_picks() {
    let dir = copy_of(&sample_data());
    let mut h = app_on(dir.path());
    h.get_by_label("📊 Analytics").click();
    settle(&mut h);
    h.get_by_label("Procedure").click();
    h.run();
    // The search box has the focus when the list opens; typing narrows, the list stays.
    let search = h.get_by_role(Role::TextInput);
    assert!(search.is_focused(), "the search box is focused");
    let payroll = h.query_all_by_label("Payroll run").count();
    search.type_text("kitchen op");
    h.run();
    assert_eq!(h.query_all_by_label("Payroll run").count(), payroll - 1, "narrowed; the list stays open");
    assert!(h.query_all_by_label("Kitchen opening").count() >= 2, "in the list and the table");
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    let kitchen =
        h.state().db().and_then(|db| db.procedures.rows().iter().find(|p| p.name == "Kitchen opening").map(|p| p.id));
    assert_eq!(h.state().analytics().selection.procedure, kitchen);
}

/// At 800×600 the cards wrap to the view's width and the plots, Export and Reset follow
/// them, not an empty area (#27.4).
#[test]
fn at_800_by_600_the_cards_wrap_and_the_plots_follow() {
    let dir = copy_of(&sample_data());
    let mut h = common::app_sized(dir.path(), 800.0, 600.0);
    h.get_by_label("📊 Analytics").click();
    settle(&mut h);
    let last_run = h.get_by_label("Last run").rect();
    assert!(last_run.max.x <= 800.0, "a card runs off the view: {last_run:?}");
    let export = h.get_by_label("Export numbers (CSV)…").rect();
    assert!(export.max.y < 600.0 && export.min.y > last_run.max.y, "{export:?} after {last_run:?}");
    let runs = h.get_by_label("Runs started").rect();
    assert!(runs.max.y < 600.0, "the first plot is out of sight: {runs:?}");
    // Its legend names each series once (no "Weeks" beside "Completion rate").
    assert!(h.query_by_label("Weeks").is_none());
}
