//! Shared test helpers: temp folders from fixtures or from literal files.
#![allow(dead_code)]

pub mod pg;
pub mod server;
pub mod team;

use std::path::{Path, PathBuf};

/// The whole app on `dir`, as eframe builds it (no stored preferences), in a window of
/// `width` × `height`, after its first frames, its user named "Test User" (the first-start
/// question answered).
pub fn app_sized(dir: &Path, width: f32, height: f32) -> egui_kittest::Harness<'static, procedures::app::App> {
    let mut h = app_at_home(dir, width, height);
    // Most flows start in the browser (a folder with schedules opens on Today).
    if h.state().view() == procedures::ui::View::Today {
        h.state_mut().set_view(procedures::ui::View::Procedures);
        h.run();
    }
    h
}

/// [`app_sized`] on the view the folder opens on (Today when it has schedules).
pub fn app_at_home(dir: &Path, width: f32, height: f32) -> egui_kittest::Harness<'static, procedures::app::App> {
    let mut h = first_start(dir, width, height);
    h.state_mut().set_user_name("Test User");
    h.run();
    h
}

/// The app on its first start with nothing open (the name question answered).
pub fn empty_app() -> egui_kittest::Harness<'static, procedures::app::App> {
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .with_max_steps(24)
        .build_eframe(|cc| procedures::app::App::new(cc, None));
    h.run();
    h.state_mut().set_user_name("Test User");
    h.run();
    h
}

/// The whole app on `dir` on its very first start (it asks for the user's name).
pub fn first_start(dir: &Path, width: f32, height: f32) -> egui_kittest::Harness<'static, procedures::app::App> {
    let dir = dir.to_path_buf();
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(width, height))
        .with_max_steps(24)
        .build_eframe(move |cc| procedures::app::App::new(cc, Some(dir)));
    h.run();
    h
}

/// The pandas-written fixture folder (read-only; copy it before writing).
pub fn pandas_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pandas-written")
}

/// The bundled sample folder.
pub fn sample_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// A temp copy of a folder's CSV files.
pub fn copy_of(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for e in std::fs::read_dir(src).expect("read fixture") {
        let e = e.expect("entry");
        if e.path().is_file() {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy");
            let mut perm = std::fs::metadata(dir.path().join(e.file_name())).expect("meta").permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            std::fs::set_permissions(dir.path().join(e.file_name()), perm).expect("perm");
        }
    }
    dir
}

/// A temp folder holding exactly these files.
pub fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

/// Read every file of a folder (name → bytes), sorted by name.
pub fn snapshot_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read")))
        .collect();
    v.sort();
    v
}

/// A minimal valid folder: one procedure with two steps, one finished run.
pub const VALID: &[(&str, &str)] = &[
    (
        "procedures.csv",
        "id,name,description,created_at,updated_at,version\n1,Open,,2025-01-01 08:00:00,2025-01-01 08:00:00,1\n",
    ),
    ("steps.csv", "id,procedure_id,order,description,estimated_duration\n1,1,1,Lights on,60\n2,1,2,Coffee,\n"),
    (
        "runs.csv",
        "id,procedure_id,start_time,end_time,status,notes,procedure_version\n1,1,2025-01-02 08:00:00,2025-01-02 08:10:00,completed,,1\n",
    ),
    (
        "run_steps.csv",
        "id,run_id,step_id,completed,completed_at,notes\n1,1,1,True,2025-01-02 08:01:00,\n2,1,2,True,2025-01-02 08:09:00,\n",
    ),
    ("labels.csv", "id,name,color\n1,daily,#3cb44b\n"),
    ("procedure_labels.csv", "procedure_id,label_id\n1,1\n"),
    (
        "versions.csv",
        "id,procedure_id,version,created_at,change_description,procedure_snapshot\n1,1,1,2025-01-01 08:00:00,created,\"{\"\"id\"\":1,\"\"name\"\":\"\"Open\"\",\"\"version\"\":1,\"\"steps\"\":[]}\"\n",
    ),
];

/// `VALID` with one file replaced.
pub fn valid_with(name: &str, text: &str) -> tempfile::TempDir {
    let files: Vec<(&str, &str)> = VALID.iter().map(|(n, t)| if *n == name { (*n, text) } else { (*n, *t) }).collect();
    folder(&files)
}
