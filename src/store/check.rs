//! The integrity rules that span rows and tables (parse errors and duplicate ids are found
//! while reading). Each table's own rules live with its definition (`store::tables`);
//! this is the pass that runs them all.

use super::dataset::Dataset;
use super::error::Problem;
use super::tables::{Checker, Lines, Schema, TableSet};
use crate::model::*;

/// Check the rules of the data-folder contract that span rows and tables.
///
/// Uses only the tables, not the indexes of `db` (loading builds those meanwhile).
///
/// `incomplete` names tables that lost rows to parse errors: references into them are
/// not reported again (the parse error already says what is wrong).
pub fn check(db: &Dataset, lines: &Lines, incomplete: TableSet) -> Vec<Problem> {
    let c = Checker::new(db.tables(), lines, incomplete);
    let mut out = Vec::new();
    Procedure::check(&c, &mut out);
    Step::check(&c, &mut out);
    Run::check(&c, &mut out);
    // Versions (snapshots parse: on big folders the slow part) on another thread, while
    // the run steps are checked here.
    let versions = std::thread::scope(|scope| {
        let handle = scope.spawn(|| {
            let mut found = Vec::new();
            Version::check(&c, &mut found);
            found
        });
        RunStep::check(&c, &mut out);
        handle.join().unwrap_or_default()
    });
    out.extend(versions);
    Label::check(&c, &mut out);
    ProcedureLabel::check(&c, &mut out);
    Schedule::check(&c, &mut out);
    out
}
