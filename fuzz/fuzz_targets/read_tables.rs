//! Fuzz the table readers and the integrity check: the input is split into the seven
//! files of a folder (a NUL byte separates them), loaded, checked, and — when the
//! folder is valid — written back and loaded again. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use procedures::store::{self, TableKind, TableSet};

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    for (kind, part) in TableKind::ALL.iter().zip(data.split(|b| *b == 0)) {
        let _ = std::fs::write(dir.path().join(kind.file_name()), part);
    }
    let Ok(mut loaded) = store::load(dir.path()) else { return };
    for p in &loaded.problems {
        let _ = p.to_string();
    }
    if loaded.problems.is_empty() {
        loaded.db.mark_full(TableSet::all());
        if store::save(dir.path(), &mut loaded.db).is_ok() {
            let again = store::load(dir.path()).expect("what we wrote loads");
            assert!(again.problems.is_empty(), "what we wrote checks clean: {:?}", again.problems);
        }
    }
});
