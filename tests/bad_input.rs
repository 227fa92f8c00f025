//! One test per kind of bad input: the exact `file:line` (and column) is reported,
//! the folder still loads (read-only), and `check` exits 1.

mod common;
use common::*;
use procedures::store;

/// Load a folder and return its problems as `check` prints them.
fn problems(dir: &std::path::Path) -> Vec<String> {
    store::load(dir).expect("folder loads").problems.iter().map(ToString::to_string).collect()
}

fn assert_one(dir: &tempfile::TempDir, starts_with: &str) {
    let p = problems(dir.path());
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].starts_with(starts_with), "{:?} should start with {starts_with:?}", p[0]);
}

#[test]
fn valid_folder_has_no_problems() {
    let dir = folder(VALID);
    assert_eq!(problems(dir.path()), Vec::<String>::new());
}

#[test]
fn wrong_header() {
    let dir = valid_with("labels.csv", "id,title,color\n1,daily,#3cb44b\n");
    assert_one(&dir, "labels.csv:1: name: missing column");
}

#[test]
fn missing_column() {
    let dir = valid_with("run_steps.csv", "id,run_id,completed,completed_at,notes\n1,1,True,2025-01-02 08:01:00,\n");
    assert_one(&dir, "run_steps.csv:1: step_id: missing column");
}

#[test]
fn unequal_field_count() {
    let dir = valid_with(
        "steps.csv",
        "id,procedure_id,order,description,estimated_duration\n1,1,1,Lights on,60\n2,1,2,Coffee\n",
    );
    let p = problems(dir.path());
    assert!(p[0].starts_with("steps.csv:3: expected 5 fields, found 4"), "{p:?}");
}

#[test]
fn bad_timestamp() {
    let dir = valid_with(
        "runs.csv",
        "id,procedure_id,start_time,end_time,status,notes,procedure_version\n1,1,2025-01-02 08:00:00,2025-13-02 08:10:00,completed,,1\n",
    );
    assert_one(&dir, "runs.csv:2: end_time: no such date or time");
}

#[test]
fn bad_bool() {
    let dir = valid_with(
        "run_steps.csv",
        "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,2025-01-02 08:01:00,\n2,1,2,yes,2025-01-02 08:09:00,\n",
    );
    assert_one(&dir, "run_steps.csv:3: completed: expected True or False (found \"yes\")");
}

#[test]
fn bad_status() {
    let dir = valid_with(
        "runs.csv",
        "id,procedure_id,start_time,end_time,status,notes,procedure_version\n1,1,2025-01-02 08:00:00,2025-01-02 08:10:00,done,,1\n",
    );
    assert_one(&dir, "runs.csv:2: status: expected in_progress, completed or cancelled");
}

#[test]
fn duplicate_id() {
    let dir = valid_with("labels.csv", "id,name,color\n1,daily,#3cb44b\n2,weekly,#4363d8\n1,again,#000000\n");
    assert_one(&dir, "labels.csv:4: id: duplicate id 1 (first on line 2)");
}

#[test]
fn dangling_foreign_key() {
    let dir = valid_with("procedure_labels.csv", "procedure_id,label_id\n1,1\n1,9\n");
    assert_one(&dir, "procedure_labels.csv:3: label_id: no label with id 9");
}

#[test]
fn dangling_step_resolves_through_snapshot() {
    // Step 7 is not in steps.csv but is in a version snapshot of procedure 1: fine.
    let versions = "id,procedure_id,version,created_at,change_description,procedure_snapshot\n1,1,1,2025-01-01 08:00:00,created,\"{\"\"id\"\":1,\"\"name\"\":\"\"Open\"\",\"\"version\"\":1,\"\"steps\"\":[{\"\"id\"\":7,\"\"order\"\":1,\"\"description\"\":\"\"Old\"\"}]}\"\n";
    let run_steps = "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,2025-01-02 08:01:00,\n2,1,7,True,2025-01-02 08:09:00,\n3,1,8,False,,\n";
    let files: Vec<(&str, &str)> = VALID
        .iter()
        .map(|(n, t)| match *n {
            "versions.csv" => (*n, versions),
            "run_steps.csv" => (*n, run_steps),
            _ => (*n, *t),
        })
        .collect();
    let dir = folder(&files);
    let p = problems(dir.path());
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("run_steps.csv:4: step_id: no step with id 8"), "{p:?}");
}

#[test]
fn end_before_start() {
    let dir = valid_with(
        "runs.csv",
        "id,procedure_id,start_time,end_time,status,notes,procedure_version\n1,1,2025-01-02 08:00:00,2025-01-02 07:10:00,completed,,1\n",
    );
    assert_one(&dir, "runs.csv:2: end_time: ends before it starts");
}

#[test]
fn completed_without_time() {
    let dir = valid_with(
        "run_steps.csv",
        "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,,\n2,1,2,False,2025-01-02 08:09:00,\n",
    );
    let p = problems(dir.path());
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].starts_with("run_steps.csv:2: completed_at: completed is True but completed_at is empty"));
    assert!(p[1].starts_with("run_steps.csv:3: completed_at: completed_at is set but completed is False"));
}

#[test]
fn order_not_contiguous() {
    let dir = valid_with(
        "steps.csv",
        "id,procedure_id,order,description,estimated_duration\n1,1,1,Lights on,60\n2,1,3,Coffee,\n",
    );
    assert_one(&dir, "steps.csv:3: order: order 3 in procedure 1 leaves a gap");
}

#[test]
fn bad_snapshot_json() {
    let dir = valid_with(
        "versions.csv",
        "id,procedure_id,version,created_at,change_description,procedure_snapshot\n1,1,1,2025-01-01 08:00:00,created,{not json\n",
    );
    assert_one(&dir, "versions.csv:2: procedure_snapshot: not a valid snapshot JSON");
}

#[test]
fn invalid_utf8() {
    let dir = folder(VALID);
    let mut bytes = b"id,name,color\n1,daily,#3cb44b\n2,caf".to_vec();
    bytes.extend_from_slice(&[0xE9]);
    bytes.extend_from_slice(b",#000000\n");
    std::fs::write(dir.path().join("labels.csv"), bytes).expect("write");
    assert_one(&dir, "labels.csv:3: name: invalid UTF-8");
}

#[test]
fn unterminated_quote() {
    let dir = valid_with(
        "steps.csv",
        "id,procedure_id,order,description,estimated_duration\n1,1,1,Lights on,60\n2,1,2,\"Coffee, then\n",
    );
    assert_one(&dir, "steps.csv:3: unterminated quoted field");
}

#[test]
fn torn_last_line() {
    let dir = valid_with(
        "run_steps.csv",
        "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,2025-01-02 08:01:00,\n2,1,2,Tr",
    );
    assert_one(&dir, "run_steps.csv:3: incomplete last line");
}

#[test]
fn problem_line_counts_physical_lines_of_multiline_records() {
    // Record 1 spans lines 2-3, so the bad record starts on line 4.
    let dir = valid_with("labels.csv", "id,name,color\n1,\"two\nlines\",#3cb44b\nx,bad,#000000\n");
    assert_one(&dir, "labels.csv:4: id: expected a positive integer id");
}

#[test]
fn check_command_exit_codes() {
    let exe = env!("CARGO_BIN_EXE_procedures");
    let ok = folder(VALID);
    let status = std::process::Command::new(exe).args(["check"]).arg(ok.path()).output().expect("run");
    assert_eq!(status.status.code(), Some(0));

    let bad = valid_with("labels.csv", "id,name,color\n1,daily,#3cb44b\n1,again,#000000\n");
    let out = std::process::Command::new(exe).args(["check"]).arg(bad.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("labels.csv:3: id: duplicate id 1"), "{stdout}");

    let missing = std::process::Command::new(exe).args(["check", "/no/such/folder"]).output().expect("run");
    assert_eq!(missing.status.code(), Some(2));
    let no_args = std::process::Command::new(exe).args(["check"]).output().expect("run");
    assert_eq!(no_args.status.code(), Some(2));
}
