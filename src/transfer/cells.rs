//! Cells that are safe for the program that reads an export: spreadsheets (formula
//! injection), Markdown (structure) and HTML (markup).

/// A cell for a spreadsheet: text starting with `=`, `+`, `-`, `@`, tab or CR would be
/// run as a formula, so it gets a leading `'` (OWASP's advice against CSV injection).
/// The data tables themselves are stored verbatim; only exports are neutralized.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

/// Text as Markdown that reads as exactly this text, on one line: every line break (LF,
/// CR, and Unicode's NEL, LS, PS) becomes a space, and every character that could start
/// or change structure — emphasis, code, links and images, raw HTML and entities, table
/// cells, headings, list and task markers — is backslash-escaped (CommonMark lets any
/// ASCII punctuation be escaped and shows it as itself). So an export has exactly the
/// items, headings and cells its data had, and no link or HTML its data did not.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut at_start = true;
    let mut chars = s.trim_start().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                out.push(' ');
                continue;
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!' | '&' | '(' | ')' => {
                out.push('\\');
                out.push(c);
            }
            // Markers only at the start of a line, and only as markers: `- `, `+ `, `--`
            // (a rule), `==` (setext), `1. ` — `-12` and `3.5` stay as they are.
            '-' | '+' | '=' if at_start && chars.peek().is_none_or(|n| n.is_whitespace() || *n == c) => {
                out.push('\\');
                out.push(c);
            }
            '0'..='9' if at_start => {
                out.push(c);
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    out.push(d);
                }
                let mut ahead = chars.clone();
                if let Some(p) = ahead.next().filter(|p| matches!(p, '.' | ')'))
                    && ahead.next().is_none_or(char::is_whitespace)
                {
                    chars.next();
                    out.push('\\');
                    out.push(p);
                }
            }
            _ => out.push(c),
        }
        at_start = false;
    }
    out
}

/// What [`md_escape`] (or any CommonMark backslash escape) stands for: `\\*` is `*`.
pub fn md_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(n) if c == '\\' && n.is_ascii_punctuation() => {
                out.push(*n);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Text for HTML: `&`, `<`, `>` and `"` escaped.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
