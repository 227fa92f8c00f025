//! Reports of what happened: one run as Markdown or CSV, the analytics headline as CSV.

use super::cells::{md_escape, spreadsheet_safe};
use crate::analysis::{Report, step_durations};
use crate::model::*;
use crate::store::{Dataset, RunSheet};
use std::collections::HashMap;

/// One step of a run as a report prints it.
pub(super) struct Line {
    pub(super) number: usize,
    pub(super) section: String,
    pub(super) text: String,
    pub(super) needed: bool,
    pub(super) completed: bool,
    pub(super) ticked: String,
    pub(super) value: String,
    pub(super) flag: String,
    pub(super) by: String,
    pub(super) took: String,
    pub(super) took_secs: String,
    pub(super) note: String,
}

/// The steps of a run as reports print them: sections folded into their steps' lines,
/// steps not needed marked, values with their unit and flag.
pub(super) fn lines(db: &Dataset, run: &Run) -> Vec<Line> {
    let took: HashMap<RunStepId, i64> = step_durations(db, run).into_iter().map(|(rs, _, d)| (rs, d)).collect();
    let sheet = RunSheet::of(db, run.id);
    let needed = sheet.needed(db);
    let (mut out, mut section) = (Vec::new(), String::new());
    for (item, needed) in sheet.items.iter().zip(needed) {
        let Some(rs) = item.run_step.and_then(|id| db.run_step(id)) else {
            section = crate::ops::first_line(&item.text).to_owned();
            continue;
        };
        let unit = item.options.number().map_or(String::new(), |n| n.unit.clone());
        let value = match (rs.value(), unit.as_str()) {
            ("", _) => String::new(),
            (v, "") => v.to_owned(),
            (v, u) => format!("{v} {u}"),
        };
        let flag = match judge(item.kind, &item.options, rs.value()) {
            Ok(Judged::Flagged(why)) if !rs.value().is_empty() => why,
            _ => String::new(),
        };
        let took = took.get(&rs.id).copied();
        out.push(Line {
            number: out.len() + 1,
            section: section.clone(),
            text: item.text.clone(),
            needed,
            completed: rs.completed,
            ticked: rs.completed_at().map_or(String::new(), |t| t.canonical()),
            value,
            flag,
            by: rs.completed_by.as_str().to_owned(),
            took: took.map_or(String::new(), format_duration),
            took_secs: took.map_or(String::new(), |d| d.to_string()),
            note: rs.notes().to_owned(),
        });
    }
    out
}

/// A run report in Markdown: procedure, title, version, who, start, end, status, notes,
/// and every step with its tick, the value found (flagged ones marked), who ticked it,
/// the time it took and its note. Every text is escaped: the report has exactly the
/// run's steps.
pub fn run_report_markdown(db: &Dataset, run: RunId) -> Option<String> {
    let r = db.run(run)?;
    let name = db.procedure(r.procedure_id).map_or("(deleted procedure)", |p| p.name.as_str());
    let mut out = format!("# {} — run #{}\n\n", md_escape(name), r.id);
    if !r.title().is_empty() {
        out.push_str(&format!("- Title: {}\n", md_escape(r.title())));
    }
    if let Some(v) = r.procedure_version {
        out.push_str(&format!("- Version: {v}\n"));
    }
    let by = if r.started_by.is_none() { String::new() } else { format!(" by {}", md_escape(r.started_by.as_str())) };
    out.push_str(&format!("- Started: {}{by}\n", r.start_time));
    if let Some(end) = r.end_time {
        out.push_str(&format!("- Ended: {end} ({})\n", format_duration(end.elapsed_since(&r.start_time))));
    }
    out.push_str(&format!("- Status: {}\n", r.status.label()));
    if !r.notes().is_empty() {
        out.push_str(&format!("- Notes: {}\n", md_escape(r.notes())));
    }
    out.push_str("\n| # | Step | Done | Value | Ticked at | By | Took | Note |\n|---|---|---|---|---|---|---|---|\n");
    for l in lines(db, r) {
        let step = if l.section.is_empty() { l.text.clone() } else { format!("{} › {}", l.section, l.text) };
        let done = match (l.needed, l.completed) {
            (false, _) => "not needed",
            (true, true) => "[x]",
            (true, false) => "[ ]",
        };
        let value = if l.flag.is_empty() {
            md_escape(&l.value)
        } else {
            format!("{} ⚠ {}", md_escape(&l.value), md_escape(&l.flag))
        };
        out.push_str(&format!(
            "| {} | {} | {done} | {value} | {} | {} | {} | {} |\n",
            l.number,
            md_escape(&step),
            l.ticked,
            md_escape(&l.by),
            l.took,
            md_escape(&l.note)
        ));
    }
    Some(out)
}

/// A run report as CSV, one row per step (opens in a spreadsheet).
pub fn run_report_csv(db: &Dataset, run: RunId) -> Option<String> {
    let r = db.run(run)?;
    let name = db.procedure(r.procedure_id).map_or("", |p| p.name.as_str());
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
        "section",
        "needed",
        "value",
        "flagged",
        "ticked_by",
        "run_title",
        "run_started_by",
    ]);
    for l in lines(db, r) {
        let _ = w.write_record([
            spreadsheet_safe(name),
            r.procedure_version.map_or(String::new(), |v| v.to_string()),
            r.id.to_string(),
            r.start_time.canonical(),
            r.end_time.map_or(String::new(), |t| t.canonical()),
            r.status.as_str().to_owned(),
            spreadsheet_safe(r.notes()),
            l.number.to_string(),
            spreadsheet_safe(&l.text),
            if l.completed { "True".into() } else { "False".into() },
            l.ticked.clone(),
            l.took_secs.clone(),
            spreadsheet_safe(&l.note),
            spreadsheet_safe(&l.section),
            if l.needed { "True".into() } else { "False".into() },
            spreadsheet_safe(&l.value),
            spreadsheet_safe(&l.flag),
            spreadsheet_safe(&l.by),
            spreadsheet_safe(r.title()),
            spreadsheet_safe(r.started_by.as_str()),
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
