//! After a crash: the saves it interrupted — single tables' redo files and the journal
//! of a save across tables — as every reader sees them ([`interrupted`], reads only) and
//! as the lock's holder finishes them ([`finish_interrupted`]).

use super::kind::TableKind;
use super::redo::Interrupted;
use std::path::Path;

/// The interrupted saves in a folder, and where each table stands with its save. Reads
/// only: any reader may call it.
pub fn interrupted(dir: &Path) -> std::io::Result<Vec<Interrupted>> {
    // Each holding file's fingerprint from before it is read: see `Interrupted::stamp`.
    let held = |i: &Interrupted| dir.join(&i.held_in);
    let before: Vec<(std::path::PathBuf, super::Fingerprint)> = super::TableKind::ALL
        .iter()
        .map(|k| super::redo::redo_path(dir, *k))
        .chain([dir.join(super::journal::JOURNAL)])
        .map(|p| {
            let print = super::fingerprint(&p);
            (p, print)
        })
        .collect();
    let mut found = super::tail::redo_files(dir)?;
    found.extend(super::journal::look(dir)?);
    for i in &mut found {
        let path = held(i);
        let print = before.iter().find(|(p, _)| *p == path).and_then(|(_, f)| *f);
        i.stamp = Some((path, print));
    }
    Ok(found)
}

/// Finish or set aside the saves a crash interrupted. Only for the holder of the
/// folder's lock: it looks again (under the lock), finishes a save whose file is
/// exactly what the save expected, and when the file changed since, keeps both — the
/// file as it is, and the save's new rows in `NAME.unfinished-save.csv` — and says so.
/// Returns the tables it wrote, and a note for each thing it did.
pub fn finish_interrupted(dir: &Path) -> std::io::Result<(Vec<TableKind>, Vec<String>)> {
    let (mut written, mut notes) = (Vec::new(), Vec::new());
    super::tail::finish_redo_files(dir, &mut written, &mut notes)?;
    super::journal::finish(dir, &mut written, &mut notes)?;
    Ok((written, notes))
}
