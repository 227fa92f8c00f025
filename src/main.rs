//! The `procedures` binary: the window, or a subcommand.

use clap::Parser as _;
use procedures::cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match args.command {
        Some(command) => cli::run(command),
        None => {
            let dir = args.dir.unwrap_or_else(|| "data".into());
            match procedures::store::load(&dir) {
                Ok(l) => {
                    println!(
                        "{}: {} procedures, {} runs, {} problem(s)",
                        dir.display(),
                        l.db.procedures.len(),
                        l.db.runs.len(),
                        l.problems.len()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
