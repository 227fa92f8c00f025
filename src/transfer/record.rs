//! The printable record of a run: what was found, by whom and when, on one page (HTML
//! with print styles), for a completed run as for one in progress.

use super::cells::html_escape;
use super::report::lines;
use crate::model::*;
use crate::store::Dataset;

/// A run as a printable page: procedure, title, version, who started it, when, how
/// long, its status and notes, and every step with its tick time, the value found
/// (flagged ones marked), who ticked it, the time it took and its note; steps not
/// needed are listed as such. Every text is escaped.
pub fn run_report_html(db: &Dataset, run: RunId) -> Option<String> {
    let r = db.run(run)?;
    let name = db.procedure(r.procedure_id).map_or("(deleted procedure)", |p| p.name.as_str());
    let mut meta = Vec::new();
    if !r.title().is_empty() {
        meta.push(format!("<b>{}</b>", html_escape(r.title())));
    }
    if let Some(v) = r.procedure_version {
        meta.push(format!("version {v}"));
    }
    let by = if r.started_by.is_none() { String::new() } else { format!(" by {}", html_escape(r.started_by.as_str())) };
    meta.push(format!("started {}{by}", r.start_time));
    if let Some(end) = r.end_time {
        meta.push(format!("ended {end} ({})", format_duration(end.elapsed_since(&r.start_time))));
    }
    meta.push(html_escape(r.status.label()));
    let mut rows = String::new();
    for l in lines(db, r) {
        let step = if l.section.is_empty() {
            html_escape(&l.text)
        } else {
            format!("<span class=sec>{} ›</span> {}", html_escape(&l.section), html_escape(&l.text))
        };
        let done = match (l.needed, l.completed) {
            (false, _) => "<span class=muted>not needed</span>",
            (true, true) => "✔",
            (true, false) => "—",
        };
        let value = if l.flag.is_empty() {
            html_escape(&l.value)
        } else {
            format!("{} <span class=flag>⚠ {}</span>", html_escape(&l.value), html_escape(&l.flag))
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{done}</td><td>{value}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            l.number,
            step.replace('\n', "<br>"),
            l.ticked,
            html_escape(&l.by),
            l.took,
            html_escape(&l.note).replace('\n', "<br>"),
        ));
    }
    let notes = if r.notes().is_empty() {
        String::new()
    } else {
        format!("<p class=notes>Notes: {}</p>\n", html_escape(r.notes()).replace('\n', "<br>"))
    };
    Some(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>\n\
body{{font-family:system-ui,sans-serif;margin:2cm;color:#111}}h1{{margin:0 0 .2em}}.meta{{color:#555;margin-bottom:1em}}\n\
table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;padding:.4em .5em;border-bottom:1px solid #ddd;vertical-align:top}}\n\
th{{border-bottom:2px solid #333}}tr{{break-inside:avoid}}.sec,.muted{{color:#777}}.flag{{color:#b00;font-weight:bold}}\n\
.notes{{font-style:italic}}@media print{{body{{margin:1cm}}}}\n</style></head><body>\n\
<h1>{title}</h1>\n<div class=meta>{meta}</div>\n{notes}\
<table><tr><th>#</th><th>Step</th><th>Done</th><th>Value</th><th>Ticked at</th><th>By</th><th>Took</th><th>Note</th></tr>\n{rows}</table>\n\
</body></html>\n",
        title = format!("{} — run #{}", html_escape(name), r.id),
        meta = meta.join(" · "),
    ))
}
