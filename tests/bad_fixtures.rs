//! Every broken folder in tests/fixtures/bad/ opens without a panic and reports exactly
//! the problems in its `expected.txt` (the lines `procedures check` prints).
//! `UPDATE_EXPECTED=1 cargo test --test bad_fixtures` rewrites them (review the diff).

mod common;
use common::*;
use procedures::store;
use std::path::Path;

fn report(dir: &Path) -> String {
    match store::load(dir) {
        Ok(l) => l.problems.iter().map(|p| format!("{p}\n")).collect(),
        Err(e) => format!("error: {e}\n"),
    }
}

#[test]
fn every_bad_fixture_gives_its_exact_messages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad");
    let mut cases: Vec<_> =
        std::fs::read_dir(&root).expect("fixtures").filter_map(Result::ok).map(|e| e.path()).collect();
    cases.sort();
    assert!(cases.len() >= 25, "{} cases", cases.len());
    let update = std::env::var_os("UPDATE_EXPECTED").is_some();
    for case in cases {
        // Copied first: nothing may be written to the fixtures.
        let dir = copy_of(&case);
        let got = report(dir.path());
        let expected_path = case.join("expected.txt");
        if update {
            std::fs::write(&expected_path, &got).expect("write expected");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        assert_eq!(got, expected, "{}", case.display());
    }
}

#[test]
fn a_ten_megabyte_field_is_refused_not_loaded() {
    let big = format!(
        "id,procedure_id,order,description,estimated_duration\n1,1,1,Lights on,60\n2,1,2,{},\n",
        "x".repeat(10 << 20)
    );
    let dir = valid_with("steps.csv", &big);
    assert_eq!(
        report(dir.path()),
        "steps.csv:3: description: field of 10485760 bytes is longer than the 1 MiB limit (found \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\")\n"
    );
}
