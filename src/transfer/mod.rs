//! Moving procedures and runs in and out of the app as documents: run reports
//! (Markdown, CSV), the analytics headline (CSV), checklists out (Markdown, printable
//! HTML) and in (Markdown or text lists), and the cell escaping that keeps each safe for
//! its reader. Pure text from a `Dataset`: files are written by `store`.

mod cells;
mod checklist;
mod record;
mod report;
mod steps;

pub use cells::{html_escape, md_escape, md_unescape, spreadsheet_safe};
pub use checklist::{parse_checklist, procedure_html, procedure_markdown};
pub use record::run_report_html;
pub use report::{run_report_csv, run_report_markdown, summary_csv};
pub use steps::{CONDITION_MARK, parse_step_list};
