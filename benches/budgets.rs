//! `cargo bench`: every budget of issue #6, measured on a Year-1 folder, printed as a
//! table (what, measured, budget, verdict).
//!
//! The folder is generated once (`procedures generate --scale y1`, seed 1) into
//! `target/bench-data/y1` and reused. Options after `--`:
//!
//! - `--dir DIR`: measure another folder instead;
//! - `--10y1`: also generate `target/bench-data/10y1` (2.9 GB) and time its open;
//! - `--runs N`: repetitions of the open (default 5), `--ticks N` (default 200),
//!   `--frames N` per view (default 60);
//! - `--pg URL` (or `PROCEDURES_BENCH_PG`): also the team-database budgets on that
//!   server (an administrator's URL; the folder is pushed once into
//!   `procedures_bench_y1`); `--only-pg`: only those.
//!
//! Memory is the peak resident size (VmHWM, Linux) of a child process that opens the
//! folder in the real app state and shows every view; frame times drive that same
//! app headlessly through `egui::Context::run` (egui_kittest, no GPU).

#[path = "parts/team.rs"]
mod team;

use egui_kittest::Harness;
use procedures::analysis::schedule::{Agenda, Clock, Engine};
use procedures::analysis::{DateRange, Selection};
use procedures::app::{App, Prefs};
use procedures::generate::{Scale, generate};
use procedures::model::{ProcedureId, RunStatus, Timestamp};
use procedures::ops;
use procedures::store::{self, TableKind, Writer};
use procedures::ui::View;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Options {
    dir: Option<PathBuf>,
    pg: Option<String>,
    only_pg: bool,
    ten: bool,
    runs: usize,
    ticks: usize,
    frames: usize,
}

fn options(args: &[String]) -> Options {
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let number = |name: &str, default: usize| value(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    Options {
        dir: value("--dir").map(PathBuf::from),
        pg: value("--pg").cloned().or_else(|| std::env::var("PROCEDURES_BENCH_PG").ok()),
        only_pg: args.iter().any(|a| a == "--only-pg"),
        ten: args.iter().any(|a| a == "--10y1"),
        runs: number("--runs", 5).max(1),
        ticks: number("--ticks", 200).max(1),
        frames: number("--frames", 60).max(1),
    }
}

/// `target/bench-data/NAME`, generated when missing.
fn bench_folder(name: &str, scale: Scale) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from);
    let dir = target.join("bench-data").join(name);
    let done = dir.join(".generated");
    if !done.exists() {
        eprintln!("generating {} (once) …", dir.display());
        let t = Instant::now();
        generate(&dir, scale, 1).expect("generate the benchmark folder");
        std::fs::write(&done, "procedures generate, seed 1\n").expect("mark the folder as generated");
        eprintln!("generated in {:.1?}", t.elapsed());
    }
    dir
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Tokenize every file with one reused `csv::ByteRecord` on one thread: the floor.
fn tokenize(dir: &Path) -> usize {
    let mut records = 0;
    let mut rec = csv::ByteRecord::new();
    for kind in TableKind::ALL {
        let Ok(file) = std::fs::File::open(dir.join(kind.file_name())) else { continue };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
        while rdr.read_byte_record(&mut rec).unwrap_or(false) {
            records += 1;
        }
    }
    records
}

/// One printed row.
struct Row {
    what: String,
    measured: String,
    budget: &'static str,
    ok: Option<bool>,
}

fn row(what: impl Into<String>, measured: String, budget: &'static str, ok: Option<bool>) -> Row {
    Row { what: what.into(), measured, budget, ok }
}

fn app_harness(dir: PathBuf) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(1_000)
        .with_accessibility_check(false)
        .build_eframe(move |cc| {
            let mut app = App::new_with_prefs(cc, Prefs { user_name: Some("Bench".into()), ..Prefs::default() }, None);
            app.session_mut().set_load_in_background_above(u64::MAX);
            app.open_folder(&dir);
            app
        })
}

fn frame(h: &mut Harness<'static, App>) -> Duration {
    let t = Instant::now();
    h.step();
    t.elapsed()
}

/// (first, median, max) of `n` frames of the current view.
fn view_frames(h: &mut Harness<'static, App>, n: usize) -> (Duration, Duration, Duration) {
    let first = frame(h);
    let mut v: Vec<Duration> = (0..n).map(|_| frame(h)).collect();
    let med = median(&mut v);
    (first, med, *v.iter().max().unwrap_or(&Duration::ZERO))
}

/// The child process of the memory row: open the folder in the app, show every view,
/// print the peak resident size.
fn child_memory(dir: PathBuf) {
    let mut h = app_harness(dir);
    h.step();
    for view in [View::Procedures, View::InProgress, View::History, View::Analytics] {
        h.state_mut().set_view(view);
        h.step();
        if view == View::Analytics {
            h.state_mut().analytics_mut().wait();
        }
        h.step();
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).map_or("", str::trim);
    println!("VMHWM {kb}");
}

fn peak_memory(dir: &Path) -> Option<u64> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe).arg("--child-memory").arg(dir).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find_map(|l| l.strip_prefix("VMHWM "))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let Some(i) = args.iter().position(|a| a == "--child-memory") {
        child_memory(PathBuf::from(&args[i + 1]));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child-open") {
        let t = Instant::now();
        let loaded = store::load(Path::new(&args[i + 1])).expect("load");
        println!("OPEN {} {}", t.elapsed().as_secs_f64(), loaded.db.run_steps.len());
        std::mem::forget(loaded);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child-analytics") {
        // The analytics row alone, as the bench measures it (for quick comparisons):
        // `budgets --child-analytics DIR [RUNS]`.
        let loaded = store::load(Path::new(&args[i + 1])).expect("load");
        procedures::memory::give_back();
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        println!("loaded: {}", status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or(""));
        let all = Selection { procedure: None, label: None, range: DateRange::All };
        let today = chrono::Local::now().date_naive();
        for _ in 0..args.get(i + 2).and_then(|n| n.parse().ok()).unwrap_or(7) {
            let t = Instant::now();
            let r = procedures::analysis::report(&loaded.db, &all, today);
            let d = t.elapsed();
            let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let kb = |k: &str| status.lines().find_map(|l| l.strip_prefix(k)).map_or("", str::trim).to_owned();
            println!("ANALYTICS {:.2} ms, resident {} (peak {})", d.as_secs_f64() * 1e3, kb("VmRSS:"), kb("VmHWM:"));
            assert!(r.summary.runs > 0);
        }
        std::mem::forget(loaded);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child-stats") {
        // `stats`' compute alone, loaded once (for quick comparisons):
        // `budgets --child-stats DIR [RUNS]`.
        let loaded = store::load(Path::new(&args[i + 1])).expect("load");
        let clock = procedures::analysis::schedule::Clock::system();
        let mut times = Vec::new();
        for _ in 0..args.get(i + 2).and_then(|n| n.parse().ok()).unwrap_or(7) {
            let t = Instant::now();
            let r = procedures::analysis::stats_report_at(&loaded.db, None, &clock);
            times.push(t.elapsed());
            assert!(r.overall.runs > 0);
        }
        println!("STATS COMPUTE median {} of {:?}", ms(median(&mut times)), times);
        std::mem::forget(loaded);
        return;
    }
    let opt = options(&args);
    let dir = opt.dir.clone().unwrap_or_else(|| bench_folder("y1", Scale::Y1));
    let mut rows = Vec::new();
    if let Some(url) = &opt.pg {
        for (what, measured, budget, ok) in team::measure(url, &dir, opt.runs, opt.ticks, tick) {
            rows.push(row(what, measured, budget, ok));
        }
        if opt.only_pg {
            print_rows(&rows);
            return;
        }
    }

    // Open: typed, indexed, checked, against tokenizing only.
    let (mut tok, mut open) = (Vec::new(), Vec::new());
    let mut loaded = None;
    for _ in 0..opt.runs {
        let t = Instant::now();
        let n = tokenize(&dir);
        tok.push(t.elapsed());
        drop(loaded.take());
        let t = Instant::now();
        let l = store::load(&dir).expect("load");
        open.push(t.elapsed());
        assert!(l.problems.is_empty(), "the benchmark folder has problems: {:?}", &l.problems[..1]);
        assert!(n > l.db.run_steps.len());
        loaded = Some(l);
    }
    let (tok, open) = (median(&mut tok), median(&mut open));
    let ratio = open.as_secs_f64() / tok.as_secs_f64();
    rows.push(row("tokenize only (1 thread, reused ByteRecord)", ms(tok), "(baseline)", None));
    rows.push(row(
        "open: parse, type, index, check",
        format!("{} = {ratio:.2}x tokenize", ms(open)),
        "<= 600 ms and <= 1.3x",
        Some(open <= Duration::from_millis(600) && ratio <= 1.3),
    ));
    let Some(loaded) = loaded else { return };

    match peak_memory(&dir) {
        Some(kb) => {
            let mib = kb as f64 / 1024.0;
            rows.push(row(
                "peak memory, app with the folder open",
                format!("{mib:.0} MiB"),
                "<= 450 MiB",
                Some(mib <= 450.0),
            ));
        }
        None => rows.push(row(
            "peak memory, app with the folder open",
            "n/a (needs Linux /proc)".into(),
            "<= 450 MiB",
            None,
        )),
    }

    // Ticks on a copy of the folder, through the writer thread as the app does.
    let copy = tempfile::tempdir().expect("tmp");
    for kind in TableKind::ALL {
        let _ = std::fs::copy(dir.join(kind.file_name()), copy.path().join(kind.file_name()));
    }
    let loaded_copy = store::load(copy.path()).expect("load the copy");
    let mut db = loaded_copy.db;
    let mut writer = Writer::spawn_expecting(|| {}, Some((copy.path().to_path_buf(), loaded_copy.fingerprints)));
    writer.learn_big_tables(copy.path().to_path_buf(), &db);
    let now = Timestamp::now();
    let pid = db.procedures.rows()[0].id;
    let mut ticks = Vec::new();
    while ticks.len() < opt.ticks {
        let run = ops::start_run(&mut db, pid, now).expect("start").value;
        writer.save_blocking(copy.path(), &mut db).expect("save");
        for rs in db.run_step_ids(run) {
            if ticks.len() >= opt.ticks {
                break;
            }
            let t = Instant::now();
            tick(&mut db, rs, now);
            writer.save_blocking(copy.path(), &mut db).expect("save");
            ticks.push(t.elapsed());
        }
        ops::finish_run(&mut db, run, RunStatus::Completed, now).expect("finish");
        writer.save_blocking(copy.path(), &mut db).expect("save");
    }
    let (p50, p99) = (percentile(&mut ticks, 0.5), percentile(&mut ticks, 0.99));
    rows.push(row(
        format!("tick on a recent run, keypress to durable ({} ticks)", ticks.len()),
        format!("p50 {}, p99 {}", ms(p50), ms(p99)),
        "p50 <= 20 ms, p99 <= 100 ms",
        Some(p50 <= Duration::from_millis(20) && p99 <= Duration::from_millis(100)),
    ));

    // A change in the first 1% of run_steps.csv: the UI thread only hands it over.
    let early = db.run_steps.rows()[db.run_steps.len() / 200].id;
    let t = Instant::now();
    ops::set_step_note(&mut db, early, "a late note").expect("note");
    let changed = db.take_changed();
    let tables = db.write_snapshots(changed);
    writer.submit(copy.path().to_path_buf(), tables);
    let ui_side = t.elapsed();
    let outcomes = writer.wait_idle();
    let mut durable = t.elapsed();
    if outcomes.iter().any(|o| matches!(o, store::Saved::NeedFull { .. })) {
        db.mark_changed(changed);
        writer.save_blocking(copy.path(), &mut db).expect("save");
        durable = t.elapsed();
    }
    rows.push(row(
        "tick in the first 1% of run_steps.csv",
        format!("UI thread {}, durable {}", ms(ui_side), ms(durable)),
        "never blocks the UI; durable <= 1.5 s",
        Some(ui_side <= Duration::from_millis(4) && durable <= Duration::from_millis(1500)),
    ));
    drop(writer);

    // Analytics, all procedures, all time, computed as the worker does.
    let all = Selection { procedure: None, label: None, range: DateRange::All };
    let today = chrono::Local::now().date_naive();
    let mut times: Vec<Duration> = (0..opt.runs)
        .map(|_| {
            let t = Instant::now();
            let r = procedures::analysis::report(&loaded.db, &all, today);
            let d = t.elapsed();
            assert!(r.summary.runs > 0);
            d
        })
        .collect();
    let a = median(&mut times);
    rows.push(row(
        "full analytics recompute (all procedures, all time)",
        ms(a),
        "<= 150 ms, off the UI thread",
        Some(a <= Duration::from_millis(150)),
    ));

    // Today's lists as its worker computes them: first after opening (every schedule
    // expanded and matched), then after a change (a run started: one procedure matched
    // again, the rest reused).
    let clock = Clock { now: Timestamp::now(), ..Clock::system() };
    let mut engine = Engine::new();
    let t = Instant::now();
    let agenda = Agenda::compute(&mut engine, &loaded.db, &clock);
    let cold = t.elapsed();
    let mut started = loaded.db.clone();
    let scheduled: Vec<ProcedureId> = started.schedules.rows().iter().map(|s| s.procedure_id).collect();
    let mut times: Vec<Duration> = (0..opt.runs.max(5))
        .map(|i| {
            let pid = scheduled[i * 7919 % scheduled.len()];
            ops::start_run(&mut started, pid, Timestamp::now()).expect("start");
            let t = Instant::now();
            let a = Agenda::compute(&mut engine, &started, &clock);
            let d = t.elapsed();
            assert_eq!(a.schedules, agenda.schedules);
            d
        })
        .collect();
    drop(started);
    let after = median(&mut times);
    rows.push(row(
        format!("Today's lists after a change ({} schedules; first after opening {})", agenda.schedules, ms(cold)),
        ms(after),
        "<= 20 ms, off the UI thread",
        Some(after <= Duration::from_millis(20)),
    ));

    // The procedure list after a tick elsewhere (its run counts changed): the frame
    // that shows the browser again.
    let mut browser = procedures::ui::browser::BrowserState::default();
    let t = Instant::now();
    browser.visible(&loaded.db);
    let built = t.elapsed();
    let mut changed = loaded.db.clone();
    let last = changed.run_steps.rows()[changed.run_steps.len() - 1].id;
    ops::set_step_note(&mut changed, last, "checked twice").expect("note");
    let t = Instant::now();
    browser.visible(&changed);
    let rebuilt = t.elapsed();
    rows.push(row(
        format!("procedure list after a tick elsewhere (built first in {})", ms(built)),
        ms(rebuilt),
        "<= 16 ms (one frame)",
        Some(rebuilt <= Duration::from_millis(16)),
    ));
    drop((changed, loaded));

    // Frames of the real app, headless.
    let mut h = app_harness(dir.clone());
    let n = opt.frames;
    let frame_row = |rows: &mut Vec<Row>, name: &str, (first, med, max): (Duration, Duration, Duration)| {
        rows.push(row(
            format!("frame: {name} (first {})", ms(first)),
            format!("median {}, max {}", ms(med), ms(max)),
            "median <= 4 ms, max <= 16 ms",
            Some(med <= Duration::from_millis(4) && max <= Duration::from_millis(16)),
        ));
    };
    // A folder with schedules opens on Today.
    let first_today = frame(&mut h);
    h.state_mut().today_mut().wait();
    let (_, med, max) = view_frames(&mut h, n);
    frame_row(&mut rows, "today", (first_today, med, max));
    h.state_mut().set_view(View::Procedures);
    frame_row(&mut rows, "procedures", view_frames(&mut h, n));
    // Search keystrokes: the frame after each key, typing and erasing words that are
    // rare ("patch"), in every procedure ("the") and spread over steps ("drain node").
    let queries: Vec<String> = ["patch", "check the", "drain node"]
        .iter()
        .flat_map(|word| {
            let typed = (1..=word.len()).map(|n| word[..n].to_owned());
            let erased = (0..word.len()).rev().map(|n| word[..n].to_owned());
            typed.chain(erased).collect::<Vec<_>>()
        })
        .collect();
    let mut keys = Vec::new();
    // A long search lists a first screenful in the key's frame and goes on over the
    // next frames: how many frames, and how long until the list is complete.
    let (mut most_frames, mut longest) = (1, Duration::ZERO);
    for q in &queries {
        h.state_mut().browser_mut().query = q.clone();
        let t = Instant::now();
        keys.push(frame(&mut h));
        let mut frames = 1;
        while h.state().browser().searching() {
            keys.push(frame(&mut h));
            frames += 1;
        }
        most_frames = most_frames.max(frames);
        longest = longest.max(t.elapsed());
    }
    let key_max = *keys.iter().max().unwrap_or(&Duration::ZERO);
    // The same keys, the filter alone (no drawing), on a fresh browser state.
    if let Some(db) = h.state().db() {
        let mut b = procedures::ui::browser::BrowserState::default();
        b.visible(db);
        let mut filter: Vec<Duration> = queries
            .iter()
            .map(|q| {
                b.query = q.clone();
                let t = Instant::now();
                b.visible(db);
                t.elapsed()
            })
            .collect();
        let max = *filter.iter().max().unwrap_or(&Duration::ZERO);
        rows.push(row(
            "search: the filter alone, same keys (no drawing)",
            format!("median {}, max {}", ms(median(&mut filter)), ms(max)),
            "(part of a keystroke)",
            None,
        ));
    }
    rows.push(row(
        "search: key to the complete list (frames, CPU)",
        format!("at most {most_frames} frames, {}", ms(longest)),
        "(a first screenful in the key's frame)",
        None,
    ));
    rows.push(row(
        format!("search keystroke over all procedures and step texts ({} keys)", queries.len()),
        format!("median {}, max {}", ms(median(&mut keys)), ms(key_max)),
        "<= 5 ms",
        Some(key_max <= Duration::from_millis(5)),
    ));
    h.state_mut().browser_mut().query = "patch".into();
    frame_row(&mut rows, "procedures, searching", view_frames(&mut h, n));
    h.state_mut().browser_mut().query.clear();
    h.state_mut().set_view(View::InProgress);
    frame_row(&mut rows, "in progress", view_frames(&mut h, n));
    h.state_mut().set_view(View::History);
    let first_history = frame(&mut h);
    for _ in 0..200 {
        if !h.state().history().busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    let middle = h.state().db().map(|db| db.runs.rows()[db.runs.len() / 2].id);
    if let Some(middle) = middle {
        let ctx = h.ctx.clone();
        h.state_mut().apply(&ctx, procedures::ui::Command::ShowInHistory(middle));
    }
    let (_, med, max) = view_frames(&mut h, n);
    frame_row(&mut rows, "history scrolled to the middle", (first_history, med, max));
    h.state_mut().set_view(View::Analytics);
    let first = frame(&mut h);
    h.state_mut().analytics_mut().wait();
    let (_, med, max) = view_frames(&mut h, n);
    frame_row(&mut rows, "analytics", (first, med, max));
    let run = h.state().db().and_then(|db| db.in_progress_runs().last());
    if let Some(run) = run {
        let ctx = h.ctx.clone();
        h.state_mut().apply(&ctx, procedures::ui::Command::OpenRun(run));
        frame_row(&mut rows, "runner", view_frames(&mut h, n));
    }
    drop(h);

    if opt.ten {
        // Each open in a new process, as a user opens the app.
        let ten = bench_folder("10y1", Scale::TenY1);
        let exe = std::env::current_exe().expect("the bench's own path");
        let mut times = Vec::new();
        let mut run_steps = String::new();
        for _ in 0..3 {
            let out = std::process::Command::new(&exe).arg("--child-open").arg(&ten).output().expect("child");
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if let Some(rest) = text.lines().find_map(|l| l.strip_prefix("OPEN ")) {
                let mut parts = rest.split_whitespace();
                times.push(Duration::from_secs_f64(parts.next().and_then(|t| t.parse().ok()).unwrap_or(f64::NAN)));
                run_steps = parts.next().unwrap_or_default().to_owned();
            }
        }
        if !times.is_empty() {
            let d = median(&mut times);
            rows.push(row(
                format!("open 10y1 ({run_steps} run steps), median of 3 processes"),
                ms(d),
                "<= 6 s",
                Some(d <= Duration::from_secs(6)),
            ));
        }
    }

    println!();
    println!("Folder: {}", dir.display());
    print_rows(&rows);
}

/// The rows as a Markdown table.
fn print_rows(rows: &[Row]) {
    let w = rows.iter().map(|r| r.what.len()).max().unwrap_or(0);
    let m = rows.iter().map(|r| r.measured.len()).max().unwrap_or(0);
    let b = rows.iter().map(|r| r.budget.len()).max().unwrap_or(0);
    println!("| {:w$} | {:m$} | {:b$} | ok |", "what", "measured", "budget");
    println!("|{}|{}|{}|----|", "-".repeat(w + 2), "-".repeat(m + 2), "-".repeat(b + 2));
    for r in rows {
        let ok = match r.ok {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        println!("| {:w$} | {:m$} | {:b$} | {ok:3}|", r.what, r.measured, r.budget);
    }
}

/// Tick a step as a person would: a step that records a value gets one that fits (so
/// the run can be completed); a step not needed is left alone.
fn tick(db: &mut procedures::store::Dataset, rs: procedures::model::RunStepId, now: Timestamp) {
    use procedures::model::{Name, StepKind};
    let Some(step) = db.run_step(rs).and_then(|r| db.step(r.step_id)).cloned() else { return };
    let by = Name::of("Bench").unwrap_or_default();
    let value = match step.kind {
        StepKind::Check | StepKind::Section => None,
        StepKind::Number => {
            let spec = step.parsed_options().number().cloned().unwrap_or_default();
            Some(procedures::model::num(spec.min.or(spec.max).unwrap_or(1.0)))
        }
        StepKind::Choice => step.parsed_options().choices().first().map(|o| o.label.clone()),
        StepKind::Date => Some("2026-12-01".to_owned()),
        StepKind::Text | StepKind::Signoff => Some("Bench".to_owned()),
    };
    match value {
        Some(v) => {
            ops::record_value(db, rs, &v, now, by).expect("record");
        }
        None => {
            ops::set_step_completed_by(db, rs, true, now, by).expect("tick");
        }
    }
}
