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
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        let written = write_json(&mut out, &report, 1000)
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

/// The report as pretty JSON (what `serde_json::to_writer_pretty` writes, byte for
/// byte), its procedures rendered by two threads from `parallel_from` procedures on: the
/// text (22 MB at y1) was the last stretch of `stats` with one core idle. They render
/// [`SHARES`] shares in turn, each into a buffer used again for a later share, and this
/// thread writes them in order: the whole text in two fresh buffers was ~5,000 page
/// faults and their copies as the buffers grew.
fn write_json(out: &mut impl std::io::Write, report: &StatsReport, parallel_from: usize) -> Result<(), String> {
    /// A share of the procedures at the depth they have in the report.
    #[derive(serde::Serialize)]
    struct Share<'a> {
        procedures: &'a [analysis::ProcedureStats],
    }
    /// The rest of the report.
    #[derive(serde::Serialize)]
    struct Rest<'a> {
        overall: &'a Summary,
    }
    const HEAD: &[u8] = b"{\n  \"procedures\": [\n";
    const TAIL: &[u8] = b"\n  ]\n}";
    /// Shares of the procedures (~0.7 MB of text each at y1).
    const SHARES: usize = 32;
    /// The longest the writer waits for the other thread's next share.
    const PATIENCE: std::time::Duration = std::time::Duration::from_secs(600);
    let procedures = &report.procedures;
    if procedures.len() < parallel_from.max(2) {
        // Straight to the output: building the whole text first cost its growth copies.
        return serde_json::to_writer_pretty(out, report).map_err(|e| e.to_string());
    }
    let shape = || "the report's JSON came out in an unexpected shape".to_string();
    // A share's text into `buf` (emptied first), as it is within the whole report:
    // rendered with the share's own braces and brackets, which are left out when written.
    let render = |share: &[analysis::ProcedureStats], buf: &mut Vec<u8>| -> Result<(), String> {
        buf.clear();
        serde_json::to_writer_pretty(&mut *buf, &Share { procedures: share }).map_err(|e| e.to_string())
    };
    let inner_of = |text: &Vec<u8>| -> Result<std::ops::Range<usize>, String> {
        let ok = text.starts_with(HEAD) && text.ends_with(TAIL) && text.len() >= HEAD.len() + TAIL.len();
        if ok { Ok(HEAD.len()..text.len() - TAIL.len()) } else { Err(shape()) }
    };
    let shares: Vec<&[analysis::ProcedureStats]> = procedures.chunks(procedures.len().div_ceil(SHARES)).collect();
    let rest = serde_json::to_vec_pretty(&Rest { overall: &report.overall }).map_err(|e| e.to_string())?;
    let rest = rest.strip_prefix(b"{\n").ok_or_else(shape)?;
    let io = |e: std::io::Error| e.to_string();
    std::thread::scope(|s| {
        // The other thread renders the odd shares, one ahead at most, into buffers sent
        // back once written.
        let (done, rendered) = std::sync::mpsc::sync_channel::<Result<Vec<u8>, String>>(1);
        let (give_back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        let all = &shares;
        s.spawn(move || {
            for share in all.iter().skip(1).step_by(2) {
                let mut buf = spare.try_recv().unwrap_or_default();
                let text = render(share, &mut buf).map(|()| buf);
                // The writer is gone (it failed): nothing more to render.
                if done.send(text).is_err() {
                    return;
                }
            }
        });
        let mut mine = Vec::new();
        out.write_all(HEAD).map_err(io)?;
        for (i, share) in shares.iter().enumerate() {
            if i > 0 {
                out.write_all(b",\n").map_err(io)?;
            }
            if i % 2 == 0 {
                render(share, &mut mine)?;
                out.write_all(&mine[inner_of(&mine)?]).map_err(io)?;
            } else {
                let theirs = match rendered.recv_timeout(PATIENCE) {
                    Ok(text) => text?,
                    Err(_) => return Err("a thread writing the report failed or stalled".to_string()),
                };
                out.write_all(&theirs[inner_of(&theirs)?]).map_err(io)?;
                // The other thread may have finished: then the buffer is freed here.
                let _ = give_back.send(theirs);
            }
        }
        out.write_all(b"\n  ],\n").map_err(io)?;
        out.write_all(rest).map_err(io)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_by_two_threads_is_what_serde_writes() {
        let db = crate::store::load(std::path::Path::new("tests/fixtures/pandas-written")).expect("load").db;
        let report = analysis::stats_report(&db, None);
        assert!(report.procedures.len() >= 2, "the fixture has procedures to share");
        let whole = serde_json::to_vec_pretty(&report).expect("json");
        for parallel_from in [0, 2, 1000] {
            let mut two = Vec::new();
            write_json(&mut two, &report, parallel_from).expect("written");
            assert_eq!(String::from_utf8_lossy(&two), String::from_utf8_lossy(&whole), "from {parallel_from}");
        }
    }
}
