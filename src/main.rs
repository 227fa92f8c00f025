//! The `procedures` binary: the window, or a subcommand.

use clap::Parser as _;
use procedures::{app::App, cli};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    if let Some(command) = args.command {
        return cli::run(command);
    }
    procedures::logging::init();
    // `cargo run` (a developer's checkout) opens the sample in data/.
    let start = args.dir.or_else(|| {
        std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join("data")).filter(|d| d.is_dir())
    });
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Procedures")
            .with_app_id("procedures")
            .with_inner_size([1200.0, 760.0])
            .with_min_inner_size([640.0, 400.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
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
