//! `procedures stats DIR [--json] [--procedure ID] [--at TIME]`.

use crate::analysis::{self, StatsReport, Summary};
use crate::model::{ProcedureId, format_duration};

use crate::store::DataSource;
use std::io::Write as _;
use std::process::ExitCode;

/// Print the stats report as JSON or as a table.
pub fn run(source: &DataSource, json: bool, procedure: Option<u32>, at: Option<&str>) -> ExitCode {
    let (clock, loaded) = match super::clock_at(at).and_then(|c| Ok((c, super::load_warning(source)?))) {
        Ok(both) => both,
        Err(code) => return code,
    };
    let only = procedure.map(ProcedureId);
    if let Some(pid) = only
        && loaded.db.procedure(pid).is_none()
    {
        eprintln!("error: no procedure with id {pid}");
        return ExitCode::from(2);
    }
    let started = std::time::Instant::now();
    let report = analysis::stats_report_at(&loaded.db, only, &clock);
    if std::env::var_os("PROCEDURES_TIMING").is_some() {
        eprintln!("stats computed in {:.2?}", started.elapsed());
    }
    if json {
        // Straight to the output (22 MB at y1): building the whole text first cost its
        // growth copies and a tenth of `stats`' time after the numbers.
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut out, &report)
            .map_err(|e| e.to_string())
            .and_then(|()| writeln!(out).and_then(|()| out.flush()).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    } else {
        print!("{}", table(&report));
    }
    // The process ends here: freeing millions of rows one by one took 0.1 s at y1, and
    // the system takes the memory back at once.
    std::mem::forget((report, loaded));
    ExitCode::SUCCESS
}

fn rate(s: &Summary) -> String {
    s.completion_rate.map_or("–".into(), |r| format!("{r:.1}%"))
}

fn dur(s: &Summary, f: impl Fn(&analysis::DurationStats) -> f64) -> String {
    s.duration_secs.as_ref().map_or("–".into(), |d| format_duration(f(d).round() as i64))
}

/// The readable table.
pub fn table(report: &StatsReport) -> String {
    let mut out = format!(
        "{:>5}  {:<40} {:>6} {:>6} {:>6} {:>6} {:>7} {:>8} {:>8}  {}\n",
        "id", "name", "runs", "done", "cancel", "open", "rate", "median", "p90", "slowest step"
    );
    for p in &report.procedures {
        let s = &p.summary;
        let name: String = p.name.chars().take(40).collect();
        let slowest = p
            .bottleneck_steps
            .first()
            .map_or(String::new(), |b| format!("#{} ({})", b.step_id, format_duration(b.median_secs.round() as i64)));
        out.push_str(&format!(
            "{:>5}  {:<40} {:>6} {:>6} {:>6} {:>6} {:>7} {:>8} {:>8}  {}\n",
            p.id,
            name,
            s.runs,
            s.completed,
            s.cancelled,
            s.in_progress,
            rate(s),
            dur(s, |d| d.median),
            dur(s, |d| d.p90),
            slowest
        ));
    }
    let s = &report.overall;
    out.push_str(&format!(
        "{:>5}  {:<40} {:>6} {:>6} {:>6} {:>6} {:>7} {:>8} {:>8}\n",
        "",
        "overall",
        s.runs,
        s.completed,
        s.cancelled,
        s.in_progress,
        rate(s),
        dur(s, |d| d.median),
        dur(s, |d| d.p90)
    ));
    out
}
