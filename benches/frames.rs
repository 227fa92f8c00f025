//! `cargo bench --bench frames -- DIR [FRAMES]`: CPU time of a frame in each view with
//! DIR open, driving the real app headlessly (egui_kittest, no rendering). Prints the
//! median and the maximum per view. Issue #6's budget: ≤ 4 ms median, no frame over 16 ms.

use egui_kittest::Harness;
use procedures::app::App;
use procedures::ui::View;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn measure(h: &mut Harness<'static, App>, frames: usize) -> (Duration, Duration) {
    let mut v = Vec::with_capacity(frames);
    for _ in 0..frames {
        let t = Instant::now();
        h.step();
        v.push(t.elapsed());
    }
    v.sort();
    (v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: cargo bench --bench frames -- DIR [FRAMES]");
        return;
    };
    let frames: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(60);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_max_steps(1_000)
        .with_accessibility_check(false)
        .build_eframe(move |cc| {
            let mut app = App::new_with_prefs(cc, procedures::app::Prefs::default(), None);
            app.load_in_background_above = u64::MAX;
            app.open_folder(&dir);
            app
        });
    // The first frame of a view builds its caches (a one-off): measured separately.
    let first = |h: &mut Harness<'static, App>| {
        let t = Instant::now();
        h.step();
        t.elapsed()
    };
    let f = first(&mut h);
    let (med, max) = measure(&mut h, frames);
    println!("{:<28} first {:>9.2?}  median {:>8.2?}  max {:>8.2?}", "procedures", f, med, max);

    h.state_mut().browser.query = "patch".into();
    let f = first(&mut h);
    let (med, max) = measure(&mut h, frames);
    println!("{:<28} first {:>9.2?}  median {:>8.2?}  max {:>8.2?}", "procedures, searching", f, med, max);

    for (name, view) in [("in progress", View::InProgress), ("history", View::History), ("analytics", View::Analytics)]
    {
        h.state_mut().view = view;
        let f = first(&mut h);
        if view == View::Analytics {
            h.state_mut().analytics.wait();
        }
        let (med, max) = measure(&mut h, frames);
        println!("{:<28} first {:>9.2?}  median {:>8.2?}  max {:>8.2?}", name, f, med, max);
    }
    // The runner on an open run.
    let run = h.state().db().and_then(|db| db.in_progress_runs().last());
    if let Some(run) = run {
        h.state_mut().view = View::Procedures;
        h.step();
        let state = h.state_mut();
        if let Some(db) = state.folder.as_ref().map(|f| &f.db) {
            state.runner.open(db, run);
        }
        state.view = View::Runner;
        let f = first(&mut h);
        let (med, max) = measure(&mut h, frames);
        println!("{:<28} first {:>9.2?}  median {:>8.2?}  max {:>8.2?}", "runner", f, med, max);
    }
}
