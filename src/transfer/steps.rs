//! Steps from text: a pasted or imported list (Markdown or plain lines) read into step
//! drafts — kinds, options, sections and conditions as a written checklist says them.

use crate::model::*;
use crate::ops::{DraftCondition, StepDraft};

/// Parse a pasted list into steps: one per line; `- item`, `* item`, `1. item`,
/// `1) item`, `[ ] item`, `- [x] item` and plain lines; a trailing `(5m)`
/// is read as the estimated duration. Blank lines and headings (`# …`) are skipped.
pub fn parse_step_list(text: &str) -> Vec<StepDraft> {
    let mut steps: Vec<StepDraft> = Vec::new();
    for line in text.lines() {
        let mut t = line.trim();
        // `## Heading` (any level from two on) is a section; other `#` lines are not steps.
        if let Some(h) = t.strip_prefix("##") {
            let h = h.trim_start_matches('#').trim();
            if !h.is_empty() {
                steps.push(StepDraft { kind: StepKind::Section, ..StepDraft::tick(h, None) });
            }
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        for bullet in ["- ", "* ", "+ ", "• "] {
            if let Some(rest) = t.strip_prefix(bullet) {
                t = rest.trim_start();
            }
        }
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && matches!(t.as_bytes().get(digits), Some(b'.' | b')')) {
            t = t[digits + 1..].trim_start();
        }
        for box_ in ["[ ] ", "[x] ", "[X] "] {
            if let Some(rest) = t.strip_prefix(box_) {
                t = rest.trim_start();
            }
        }
        let mut duration = None;
        // `\(5m)` is text (an escaped parenthesis), not a duration.
        if let Some(open) = t.rfind('(')
            && t.ends_with(')')
            && !t[..open].ends_with('\\')
            && let Some(d) = parse_duration(&t[open + 1..t.len() - 1])
        {
            duration = Some(d);
            t = t[..open].trim_end();
        }
        // `… — only if “Fryer on?” is Yes`, as checklists are written out: a condition on
        // the nearest earlier step of that text (else the words stay in the text).
        let mut show_if = None;
        if let Some(at) = t.rfind(CONDITION_MARK)
            && let Some(condition) = condition_in_words(&t[at + CONDITION_MARK.len()..], &steps)
        {
            show_if = Some(condition);
            t = t[..at].trim_end();
        }
        let (text, kind, options) = value_hint(t);
        if !text.is_empty() {
            steps.push(StepDraft { kind, options, show_if, ..StepDraft::tick(&text, duration) });
        }
    }
    steps
}

/// What joins a step's text and its condition in a written checklist.
pub const CONDITION_MARK: &str = " — only if “";

/// `Fryer on?” is Yes` (what follows [`CONDITION_MARK`]) as a condition on the nearest
/// earlier step of `steps` with that text that records a value.
fn condition_in_words(words: &str, steps: &[StepDraft]) -> Option<DraftCondition> {
    let (on_text, rest) = words.split_once('”')?;
    let rest = rest.trim_start();
    // Longest words first: "is not" before "is".
    let mut ops = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::In];
    ops.sort_by_key(|op| std::cmp::Reverse(op.words().len()));
    let (op, value) = ops.iter().find_map(|op| {
        let value = rest.strip_prefix(op.words())?.strip_prefix(' ')?;
        Some((*op, value.trim()))
    })?;
    let value = if op == Op::In { value.split(", ").collect::<Vec<_>>().join("|") } else { value.to_owned() };
    let on = steps.iter().rposition(|s| s.description.trim() == on_text.trim() && s.kind.has_value())?;
    (!value.is_empty()).then_some(DraftCondition { on, op, value })
}

/// A value hint at the end of a pasted step, as the printable checklist writes them:
/// `____ °C (0–5 °C)` a number (unit, range), `[Pass / Fail ⚑]` a choice (⚑ flags an
/// answer), `____-__-__` a date, `Signed: ____` a sign-off, a long `________` text.
/// Returns the step's text without the hint, its kind and options.
fn value_hint(t: &str) -> (String, StepKind, String) {
    let plain = |s: &str| s.replace('\\', "");
    if let Some(before) = t.strip_suffix("____-__-__") {
        return (before.trim_end().to_owned(), StepKind::Date, String::new());
    }
    if let Some(at) = t.find("Signed: ____") {
        return (t[..at].trim_end().to_owned(), StepKind::Signoff, String::new());
    }
    if t.ends_with(']')
        && let Some(open) = t.rfind(" [")
    {
        let answers: Vec<String> = plain(&t[open + 2..t.len() - 1])
            .split(" / ")
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
            .map(|a| match a.strip_suffix('⚑') {
                Some(flagged) => format!("!{}", flagged.trim()),
                None => a.to_owned(),
            })
            .collect();
        if answers.len() >= 2 {
            return (t[..open].trim_end().to_owned(), StepKind::Choice, answers.join("|"));
        }
    }
    if let Some(at) = t.find(" ____") {
        let before = t[..at].trim_end().to_owned();
        let hint = &t[at + 1..];
        let underscores = hint.bytes().take_while(|b| *b == b'_').count();
        let rest = plain(hint[underscores..].trim());
        if underscores > 4 && rest.is_empty() {
            return (before, StepKind::Text, String::new());
        }
        if underscores == 4 {
            let (unit, range) = match rest.split_once('(') {
                Some((u, r)) => (u.trim().to_owned(), r.trim_end_matches(')').trim().to_owned()),
                None => (rest.trim().to_owned(), String::new()),
            };
            let bound = |s: &str| s.split_whitespace().next().unwrap_or("").to_owned();
            let range = if let Some(m) = range.strip_prefix("at most ") {
                format!("..{}", bound(m))
            } else if let Some(m) = range.strip_prefix("at least ") {
                format!("{}..", bound(m))
            } else {
                // "a–b unit": the dash between two numbers (the first may be negative).
                let r = bound(&range);
                match r.char_indices().skip(1).find(|(_, c)| *c == '–' || *c == '-') {
                    Some((i, c)) => format!("{}..{}", &r[..i], &r[i + c.len_utf8()..]),
                    None => String::new(),
                }
            };
            let options = [unit, range].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" ");
            if Options::parse(StepKind::Number, &options).is_ok() {
                return (before, StepKind::Number, options);
            }
        }
    }
    (t.to_owned(), StepKind::Check, String::new())
}
