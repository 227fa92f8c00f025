//! Exports (pure text from a `Db`): a run report as Markdown or CSV, a procedure as a
//! Markdown checklist or a printable HTML page, and the import of a Markdown checklist.
//! Files are written by `store`; these functions only build the text.

use crate::analysis::step_durations;
use crate::model::*;
use crate::ops::{ProcedureDraft, parse_step_list};
use crate::store::Db;
use std::collections::HashMap;

/// A cell for a spreadsheet: text starting with `=`, `+`, `-`, `@`, tab or CR would be
/// run as a formula, so it gets a leading `'` (OWASP's advice against CSV injection).
/// The data tables themselves are stored verbatim; only exports are neutralized.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

fn md_escape(s: &str) -> String {
    s.replace('\n', " ").replace('|', "\\|")
}

/// A run report in Markdown: procedure, version, start, end, status, notes, and every
/// step with its tick time, the time it took and its note.
pub fn run_report_markdown(db: &Db, run: RunId) -> Option<String> {
    let r = db.run(run)?;
    let name = db.procedure(r.procedure_id).map_or("(deleted procedure)", |p| p.name.as_str());
    let took: HashMap<RunStepId, i64> = step_durations(db, r).into_iter().map(|(rs, _, d)| (rs, d)).collect();
    let mut out = format!("# {name} — run #{}\n\n", r.id);
    if let Some(v) = r.procedure_version {
        out.push_str(&format!("- Version: {v}\n"));
    }
    out.push_str(&format!("- Started: {}\n", r.start_time));
    if let Some(end) = r.end_time {
        out.push_str(&format!("- Ended: {end} ({})\n", format_duration(end.secs_since(&r.start_time))));
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

/// A procedure as a Markdown checklist (`- [ ] step (5m)`), which [`parse_checklist`] reads back.
pub fn procedure_markdown(db: &Db, pid: ProcedureId) -> Option<String> {
    let p = db.procedure(pid)?;
    let mut out = format!("# {}\n\n", p.name);
    if !p.description.is_empty() {
        out.push_str(&p.description);
        out.push_str("\n\n");
    }
    for s in db.steps_of(pid) {
        let text = s.description.replace('\n', " ");
        match s.estimated_duration_secs {
            Some(d) => out.push_str(&format!("- [ ] {text} ({})\n", format_duration(i64::from(d)))),
            None => out.push_str(&format!("- [ ] {text}\n")),
        }
    }
    Some(out)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A procedure as a clean, printable checklist page (HTML with print styles).
pub fn procedure_html(db: &Db, pid: ProcedureId) -> Option<String> {
    let p = db.procedure(pid)?;
    let labels: Vec<String> =
        db.labels_of(pid).iter().filter_map(|l| db.label(*l)).map(|l| html_escape(&l.name)).collect();
    let mut steps = String::new();
    for s in db.steps_of(pid) {
        let est = s
            .estimated_duration_secs
            .map_or(String::new(), |d| format!("<span class=est>{}</span>", format_duration(i64::from(d))));
        steps.push_str(&format!(
            "<li><span class=box></span><span class=text>{}</span>{est}<span class=time>time ______</span></li>\n",
            html_escape(&s.description).replace('\n', "<br>")
        ));
    }
    Some(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{name}</title>\n<style>\n\
body{{font-family:system-ui,sans-serif;margin:2cm;color:#111}}h1{{margin:0 0 .2em}}\n\
.meta{{color:#555;margin-bottom:1em}}ol{{list-style:none;padding:0;counter-reset:s}}\n\
li{{counter-increment:s;display:flex;gap:.8em;align-items:baseline;padding:.55em 0;border-bottom:1px solid #ddd;break-inside:avoid}}\n\
li::before{{content:counter(s) \".\";width:2em;color:#555}}.box{{width:1em;height:1em;border:2px solid #333;flex:none}}\n\
.text{{flex:1}}.est{{color:#777}}.time{{color:#999}}.sign{{margin-top:2em}}\n\
@media print{{body{{margin:1cm}}}}\n</style></head><body>\n\
<h1>{name}</h1>\n<div class=meta>Version {version}{labels}</div>\n<p>{description}</p>\n\
<div class=meta>Date ____________ &nbsp; Started ______ &nbsp; Finished ______ &nbsp; By ____________</div>\n\
<ol>\n{steps}</ol>\n<div class=sign>Notes:<br><br><br>Signature ____________________</div>\n</body></html>\n",
        name = html_escape(&p.name),
        version = p.version,
        labels = if labels.is_empty() { String::new() } else { format!(" · {}", labels.join(", ")) },
        description = html_escape(&p.description),
    ))
}

/// Read a Markdown checklist as a new procedure: the first `# heading` is the name
/// (else `fallback_name`), plain paragraphs before the list are the description, and
/// every list item or other line is a step (see [`parse_step_list`]).
pub fn parse_checklist(text: &str, fallback_name: &str) -> ProcedureDraft {
    let mut name = None;
    let mut description = Vec::new();
    let mut body = String::new();
    let mut in_list = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix("# ").filter(|_| name.is_none()) {
            name = Some(h.trim().to_owned());
            continue;
        }
        let is_item = t.starts_with("- ")
            || t.starts_with("* ")
            || t.starts_with("+ ")
            || t.starts_with('[')
            || t.split_once(['.', ')']).is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if is_item {
            in_list = true;
        }
        if !in_list && !t.is_empty() && !t.starts_with('#') {
            description.push(t.to_owned());
        } else if in_list {
            body.push_str(line);
            body.push('\n');
        }
    }
    ProcedureDraft {
        name: name.unwrap_or_else(|| fallback_name.to_owned()),
        description: description.join("\n"),
        steps: parse_step_list(&body),
        labels: Vec::new(),
    }
}
