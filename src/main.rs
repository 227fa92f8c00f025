//! The `procedures` binary: the window, or a subcommand.
//!
//! On Windows the release build is a GUI program (no console window when started by a
//! double-click); started from a terminal, it attaches to that terminal's console so
//! `check`, `stats`, `generate` and `export` still print there.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

use clap::Parser as _;
use procedures::{app::App, cli};
use std::path::PathBuf;
use std::process::ExitCode;

#[cfg(windows)]
fn attach_parent_console() {
    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn AttachConsole(process_id: u32) -> i32;
    }
    const ATTACH_PARENT_PROCESS: u32 = u32::MAX;
    // SAFETY: a plain Win32 call without pointers; failure (no parent console) is fine.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}

fn main() -> ExitCode {
    #[cfg(windows)]
    attach_parent_console();
    let args = cli::Args::parse();
    if let Some(command) = args.command {
        return cli::run(command);
    }
    procedures::logging::init();
    // `cargo run` (a developer's checkout) opens the sample in data/.
    let start = args.dir.or_else(|| {
        std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join("data")).filter(|d| d.is_dir())
    });
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Procedures")
        .with_app_id("procedures")
        .with_inner_size([1200.0, 760.0])
        .with_min_inner_size([640.0, 400.0])
        .with_drag_and_drop(true);
    if let Some(icon) = procedures::app::window_icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions { viewport, renderer: eframe::Renderer::Glow, ..Default::default() };
    let result = eframe::run_native("Procedures", options, Box::new(move |cc| Ok(Box::new(App::new(cc, start)))));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("cannot open the window: {e}");
            eprintln!("error: cannot open the window: {e}");
            ExitCode::from(2)
        }
    }
}
