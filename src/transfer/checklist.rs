//! Procedures as checklists, both ways: out as a Markdown checklist or a printable
//! HTML page, in from a Markdown or plain-text list.

use super::cells::{html_escape, md_escape, md_unescape};
use super::steps::parse_step_list;
use crate::model::*;
use crate::ops::ProcedureDraft;
use crate::store::Dataset;

/// A procedure as a Markdown checklist (`- [ ] step (5m)`), which [`parse_checklist`] reads back.
pub fn procedure_markdown(db: &Dataset, pid: ProcedureId) -> Option<String> {
    let p = db.procedure(pid)?;
    // Every text escaped (CONTRACT "Reliability"): the checklist has exactly the
    // procedure's steps, whatever their text says; the description's own Markdown shows
    // as written.
    let mut out = format!("# {}\n\n", md_escape(&p.name));
    let description: Vec<String> = p.description.lines().map(md_escape).filter(|l| !l.trim().is_empty()).collect();
    if !description.is_empty() {
        out.push_str(&description.join("\n"));
        out.push_str("\n\n");
    }
    for s in db.steps_of(pid) {
        if s.kind == StepKind::Section {
            out.push_str(&format!("\n## {}\n\n", md_escape(&s.description)));
            continue;
        }
        let mut text = md_escape(&s.description);
        if let Some(blank) = blank(s, md_escape) {
            text = format!("{text} {blank}");
        }
        if let Some(words) = condition_words(db, s, md_escape) {
            text.push_str(&words);
        }
        match s.estimated_duration_secs {
            Some(d) => out.push_str(&format!("- [ ] {text} ({})\n", format_duration(i64::from(d)))),
            None => out.push_str(&format!("- [ ] {text}\n")),
        }
    }
    Some(out)
}

/// The blank a step that records a value leaves on paper: `____ °C (0–5 °C)`,
/// `[Pass / Fail ⚑]`, `____-__-__`, `Signed: ____________`; the user's texts (unit,
/// answers) through `escape`. [`parse_step_list`] reads them back as the step's kind.
fn blank(s: &Step, escape: fn(&str) -> String) -> Option<String> {
    let options = s.parsed_options();
    Some(match s.kind {
        StepKind::Number => {
            let spec = options.number().cloned().unwrap_or_default();
            let unit = if spec.unit.is_empty() { String::new() } else { format!(" {}", escape(&spec.unit)) };
            let range = spec.range_words();
            let range = if range.is_empty() { String::new() } else { format!(" ({})", escape(&range)) };
            format!("____{unit}{range}")
        }
        StepKind::Choice => {
            let answers: Vec<String> = options
                .choices()
                .iter()
                .map(|o| if o.flagged { format!("{} ⚑", escape(&o.label)) } else { escape(&o.label) })
                .collect();
            format!("[{}]", answers.join(" / "))
        }
        StepKind::Date => "____-__-__".to_owned(),
        StepKind::Signoff => "Signed: ____________".to_owned(),
        StepKind::Text => "________________".to_owned(),
        StepKind::Check | StepKind::Section => return None,
    })
}

/// When a step is needed, as a written checklist says it (and [`parse_step_list`]
/// reads back): ` — only if “Fryer on?” is Yes`; the texts through `escape`.
fn condition_words(db: &Dataset, s: &Step, escape: fn(&str) -> String) -> Option<String> {
    let c = s.condition()?;
    let on = db.step(c.step)?;
    let value = match c.op {
        Op::In => c.value.split('|').map(|v| escape(v.trim())).collect::<Vec<_>>().join(", "),
        _ => escape(&c.value),
    };
    Some(format!("{}{}” {} {value}", super::steps::CONDITION_MARK, escape(&on.description), c.op.words()))
}

/// A procedure as a clean, printable checklist page (HTML with print styles).
pub fn procedure_html(db: &Dataset, pid: ProcedureId) -> Option<String> {
    let p = db.procedure(pid)?;
    let labels: Vec<String> =
        db.labels_of(pid).iter().filter_map(|l| db.label(*l)).map(|l| html_escape(&l.name)).collect();
    let mut steps = String::new();
    for s in db.steps_of(pid) {
        if s.kind == StepKind::Section {
            steps.push_str(&format!("<li class=section>{}</li>\n", html_escape(&s.description)));
            continue;
        }
        let blank = blank(s, html_escape).map_or(String::new(), |b| format!("<span class=blank>{b}</span>"));
        let blank = match condition_words(db, s, html_escape) {
            Some(words) => format!("{blank}<span class=cond>{}</span>", words.trim_start_matches(" — ")),
            None => blank,
        };
        let est = s
            .estimated_duration_secs
            .map_or(String::new(), |d| format!("<span class=est>{}</span>", format_duration(i64::from(d))));
        steps.push_str(&format!(
            "<li><span class=box></span><span class=text>{}{blank}</span>{est}<span class=time>time ______</span></li>\n",
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
.blank{{margin-left:.8em;color:#333;white-space:nowrap}}.cond{{display:block;font-style:italic;color:#555;font-size:.9em}}li.section{{counter-increment:none;font-weight:bold;border-bottom:2px solid #333;padding-top:1.2em}}\n\
li.section::before{{content:none}}\n\
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
        // A `## heading` is a section: it belongs to the steps.
        if is_item || t.starts_with("## ") {
            in_list = true;
        }
        if !in_list && !t.is_empty() && !t.starts_with('#') {
            description.push(t.to_owned());
        } else if in_list {
            body.push_str(line);
            body.push('\n');
        }
    }
    let mut steps = parse_step_list(&body);
    steps.iter_mut().for_each(|s| {
        s.description = md_unescape(&s.description);
        s.options = md_unescape(&s.options);
        if let Some(c) = &mut s.show_if {
            c.value = md_unescape(&c.value);
        }
    });
    ProcedureDraft {
        name: name.map_or_else(|| fallback_name.to_owned(), |n| md_unescape(&n)),
        description: md_unescape(&description.join("\n")),
        steps,
        labels: Vec::new(),
    }
}
