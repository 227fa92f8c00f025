//! Reports of what happened: one run as Markdown or CSV, the analytics headline as CSV.

use super::cells::{md_escape, spreadsheet_safe};
use crate::analysis::{Report, step_durations};
use crate::model::*;
use crate::store::Db;
use std::collections::HashMap;

/// A run report in Markdown: procedure, version, start, end, status, notes, and every
/// step with its tick time, the time it took and its note.
pub fn run_report_markdown(db: &Db, run: RunId) -> Option<String> {
    let r = db.run(run)?;
    let name = db.procedure(r.procedure_id).map_or("(deleted procedure)", |p| p.name.as_str());
    let took: HashMap<RunStepId, i64> = step_durations(db, r).into_iter().map(|(rs, _, d)| (rs, d)).collect();
    let mut out = format!("# {} — run #{}\n\n", md_escape(name), r.id);
    if let Some(v) = r.procedure_version {
        out.push_str(&format!("- Version: {v}\n"));
    }
    out.push_str(&format!("- Started: {}\n", r.start_time));
    if let Some(end) = r.end_time {
        out.push_str(&format!("- Ended: {end} ({})\n", format_duration(end.elapsed_since(&r.start_time))));
    }
    out.push_str(&format!("- Status: {}\n", r.status.label()));
    if !r.notes().is_empty() {
        out.push_str(&format!("- Notes: {}\n", md_escape(r.notes())));
    }
    out.push_str("\n| # | Step | Done | Ticked at | Took | Note |\n|---|---|---|---|---|---|\n");
    for (i, (rs_id, text, _)) in db.run_step_texts(run).iter().enumerate() {
        let Some(rs) = db.run_step(*rs_id) else { continue };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            i + 1,
            md_escape(text),
            if rs.completed { "[x]" } else { "[ ]" },
            rs.completed_at.map_or(String::new(), |t| t.canonical()),
            took.get(rs_id).map_or(String::new(), |d| format_duration(*d)),
            md_escape(rs.notes())
        ));
    }
    Some(out)
}

/// A run report as CSV, one row per step (opens in a spreadsheet).
pub fn run_report_csv(db: &Db, run: RunId) -> Option<String> {
    let r = db.run(run)?;
    let name = db.procedure(r.procedure_id).map_or("", |p| p.name.as_str());
    let took: HashMap<RunStepId, i64> = step_durations(db, r).into_iter().map(|(rs, _, d)| (rs, d)).collect();
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    let _ = w.write_record([
        "procedure",
        "version",
        "run",
        "run_started",
        "run_ended",
        "run_status",
        "run_notes",
        "step",
        "step_text",
        "done",
        "ticked_at",
        "took_secs",
        "note",
    ]);
    for (i, (rs_id, text, _)) in db.run_step_texts(run).iter().enumerate() {
        let Some(rs) = db.run_step(*rs_id) else { continue };
        let _ = w.write_record([
            spreadsheet_safe(name),
            r.procedure_version.map_or(String::new(), |v| v.to_string()),
            r.id.to_string(),
            r.start_time.canonical(),
            r.end_time.map_or(String::new(), |t| t.canonical()),
            r.status.as_str().to_owned(),
            spreadsheet_safe(r.notes()),
            (i + 1).to_string(),
            spreadsheet_safe(text),
            if rs.completed { "True".into() } else { "False".into() },
            rs.completed_at.map_or(String::new(), |t| t.canonical()),
            took.get(rs_id).map_or(String::new(), |d| d.to_string()),
            spreadsheet_safe(rs.notes()),
        ]);
    }
    String::from_utf8(w.into_inner().ok()?).ok()
}

/// The headline numbers as CSV (`metric,value`), for export.
pub fn summary_csv(sel_label: &str, r: &Report) -> String {
    let s = &r.summary;
    let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    let d = s.duration_secs;
    let mut out = String::from("metric,value\n");
    let mut row = |k: &str, v: String| {
        let v = if v.contains([',', '"', '\n']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v };
        out.push_str(&format!("{k},{v}\n"));
    };
    row("selection", spreadsheet_safe(sel_label));
    row("runs", s.runs.to_string());
    row("completed", s.completed.to_string());
    row("cancelled", s.cancelled.to_string());
    row("in_progress", s.in_progress.to_string());
    row("completion_rate", f(s.completion_rate));
    row("duration_mean_secs", f(d.map(|d| d.mean)));
    row("duration_median_secs", f(d.map(|d| d.median)));
    row("duration_p90_secs", f(d.map(|d| d.p90)));
    row("last_run", s.last_run.map_or(String::new(), |t| t.canonical()));
    out
}
