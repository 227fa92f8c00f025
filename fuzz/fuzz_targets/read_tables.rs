//! Fuzz the table readers, the integrity check, interrupted saves and the Markdown
//! exports: the input is split into the seven files of a folder and a redo file for
//! run_steps.csv (a NUL byte separates them), loaded — which must change no file —,
//! checked, exported, and — when the folder is valid — its interrupted save settled,
//! written back and loaded again. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procedures::store::{self, TableKind, TableSet};

fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap_or_default()))
        .collect();
    v.sort();
    v
}

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let mut parts = data.split(|b| *b == 0);
    for (kind, part) in TableKind::ALL.iter().zip(parts.by_ref()) {
        let _ = std::fs::write(dir.path().join(kind.file_name()), part);
    }
    if let Some(redo) = parts.next() {
        let _ = std::fs::write(dir.path().join(".run_steps.csv.redo"), redo);
    }
    let before = files(dir.path());
    let Ok(mut loaded) = store::load(dir.path()) else { return };
    assert_eq!(files(dir.path()), before, "a reader writes nothing");
    for p in &loaded.problems {
        let _ = p.to_string();
    }
    for r in loaded.db.runs.rows().iter().take(20) {
        if let Some(md) = procedures::transfer::run_report_markdown(&loaded.db, r.id) {
            let steps = store::RunSheet::of(&loaded.db, r.id).items.iter().filter(|i| i.run_step.is_some()).count();
            let rows = md.split(['\n', '\r']).filter(|l| l.starts_with('|')).count();
            assert_eq!(rows, steps + 2, "one table row per step");
        }
    }
    if loaded.problems.is_empty() {
        let _ = store::finish_interrupted(dir.path());
        loaded.db.mark_full(TableSet::all());
        if store::save(dir.path(), &mut loaded.db).is_ok() {
            let again = store::load(dir.path()).expect("what we wrote loads");
            assert!(again.problems.is_empty(), "what we wrote checks clean: {:?}", again.problems);
        }
    }
});
