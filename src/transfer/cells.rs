//! Cells that are safe for the program that reads an export: spreadsheets (formula
//! injection), Markdown (structure) and HTML (markup).

/// A cell for a spreadsheet: text starting with `=`, `+`, `-`, `@`, tab or CR would be
/// run as a formula, so it gets a leading `'` (OWASP's advice against CSV injection).
/// The data tables themselves are stored verbatim; only exports are neutralized.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

pub fn md_escape(s: &str) -> String {
    s.replace('\n', " ").replace('|', "\\|")
}

/// Text for HTML: `&`, `<`, `>` and `"` escaped.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
