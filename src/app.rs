//! The eframe application: menu, navigation, status bar, the command queue, and the
//! writer thread. Views return [`Command`]s; [`App::apply`] carries them out through
//! `ops` after the frame; the writer persists what changed.

use crate::model::*;
use crate::ops;
use crate::store::{self, Db, Problem, Saved, Writer};
use crate::ui::analytics::{AnalyticsState, analytics_ui};
use crate::ui::browser::{BrowserState, browser_ui};
use crate::ui::editor::{EditorState, editor_ui};
use crate::ui::history::{HistoryState, history_ui};
use crate::ui::in_progress::in_progress_ui;
use crate::ui::labels::{LabelsState, labels_ui};
use crate::ui::runner::{RunnerState, runner_ui};
use crate::ui::versions::{VersionsState, versions_ui};
use crate::ui::welcome::{WelcomeState, welcome_ui};
use crate::ui::{Command, Theme, View};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

/// How many recent folders the File menu keeps.
const MAX_RECENT: usize = 8;

/// UI preferences, kept in eframe's storage (never in the data folder).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// The folder open when the app was last closed.
    pub last_folder: Option<PathBuf>,
    /// Recently opened folders, newest first.
    pub recent: Vec<PathBuf>,
    /// Light, dark or system.
    pub theme: Theme,
    /// The view shown last.
    pub last_view: View,
    /// UI zoom (Ctrl+Plus / Ctrl+Minus / Ctrl+0).
    pub zoom: f32,
}

impl Default for Prefs {
    fn default() -> Self {
        Self { last_folder: None, recent: Vec::new(), theme: Theme::System, last_view: View::Procedures, zoom: 1.0 }
    }
}

/// An open data folder.
pub struct Folder {
    /// Where it is.
    pub dir: PathBuf,
    /// Its data.
    pub db: Db,
    /// What `check` found; non-empty means read-only.
    pub problems: Vec<Problem>,
    /// Why this window may not write, when another one holds the folder or the folder
    /// is not writable.
    pub blocked: Option<String>,
    /// This window's lock on the folder (released when the folder is closed).
    lock: Option<store::FolderLock>,
}

impl Folder {
    /// Whether nothing may be written (the folder has problems or is someone else's).
    pub fn read_only(&self) -> bool {
        !self.problems.is_empty() || self.blocked.is_some()
    }

    /// Try to become the folder's writer (again).
    fn take_lock(&mut self) {
        match store::lock_folder(&self.dir) {
            Ok(store::LockOutcome::Acquired(lock)) => {
                self.lock = Some(lock);
                self.blocked = None;
            }
            Ok(store::LockOutcome::HeldBy(who)) => {
                self.blocked = Some(format!("This folder is open in another window ({who}), so this one is read-only"));
            }
            Ok(store::LockOutcome::ReadOnlyFolder(why)) => {
                self.blocked = Some(format!("This folder cannot be written ({why}), so it is open read-only"));
            }
            Err(e) => self.blocked = Some(format!("Cannot lock the folder ({e}), so it is open read-only")),
        }
    }
}

/// A folder being loaded on a thread.
struct Loading {
    dir: PathBuf,
    progress: std::sync::Arc<store::LoadProgress>,
    rx: Receiver<Opened>,
    started: std::time::Instant,
    /// The open folder is read again after an outside change: its views stay up
    /// (read-only) meanwhile, instead of the progress screen.
    reload: bool,
}

/// What a load sends back: the folder, and the browser's rows built from it on the
/// loading thread (none when the folder was read on the UI thread).
type Opened = (Result<store::Loaded, store::Error>, Option<BrowserState>);

/// Whether the data on disk matches what the app shows.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Everything is durable.
    Saved,
    /// The writer is at work.
    Saving,
    /// A save failed; the change is kept in memory until Retry succeeds.
    Failed(String),
    /// A file was changed outside the app while the app had changes for it: nothing
    /// was overwritten; the user chooses Reload (theirs) or Keep mine.
    Conflict(String),
}

/// One undoable tick or untick: the state before it.
#[derive(Clone, Debug, PartialEq)]
struct UndoTick {
    run_step: RunStepId,
    completed: bool,
    completed_at: Option<Timestamp>,
}

/// The application.
pub struct App {
    /// Preferences (persisted by eframe).
    pub prefs: Prefs,
    /// The open folder, or `None` for the welcome screen.
    pub folder: Option<Folder>,
    /// The view shown.
    pub view: View,
    /// The browser's state.
    pub browser: BrowserState,
    /// The runner's state.
    pub runner: RunnerState,
    /// The history's state.
    pub history: HistoryState,
    /// The welcome screen's state.
    pub welcome: WelcomeState,
    /// The editor's state.
    pub editor: EditorState,
    /// The versions view's state.
    pub versions: VersionsState,
    /// The labels manager's state.
    pub labels: LabelsState,
    /// The analytics view's state.
    pub analytics: AnalyticsState,
    /// Save status for the status bar.
    pub save_state: SaveState,
    /// A message for the user (an op refused, a folder that would not open).
    pub message: Option<String>,
    undo: Vec<UndoTick>,
    writer: Writer,
    /// Folders bigger than this many bytes load on a thread with a progress bar.
    pub load_in_background_above: u64,
    loading: Option<Loading>,
    wake: std::sync::Arc<dyn Fn() + Send + Sync>,
    /// The table files as last read or written by the app.
    known_files: [store::Fingerprint; 7],
    last_disk_check: std::time::Instant,
    /// How often the folder is checked for outside changes.
    pub disk_check_interval: std::time::Duration,
    /// The file operations saves go through (tests inject faults here).
    pub io: std::sync::Arc<dyn store::Io>,
    picking: Option<(Receiver<Option<PathBuf>>, bool)>,
    exporting: Option<(Receiver<Option<PathBuf>>, Export)>,
    export_done: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    show_about: bool,
    show_shortcuts: bool,
    /// The backups dialog: its list, and the one waiting for confirmation.
    backups: Option<(Vec<String>, Option<String>)>,
    importing: Option<Receiver<Option<PathBuf>>>,
    show_problems: bool,
    title: String,
}

impl App {
    /// The app as eframe creates it: preferences from storage, then `start` (or the
    /// last folder, or the welcome screen).
    pub fn new(cc: &eframe::CreationContext<'_>, start: Option<PathBuf>) -> Self {
        let prefs: Prefs = cc.storage.and_then(|s| eframe::get_value(s, eframe::APP_KEY)).unwrap_or_default();
        Self::new_with_prefs(cc, prefs, start)
    }

    /// The app with given preferences (as if read from storage), then `start` (or the
    /// last folder, or the welcome screen).
    pub fn new_with_prefs(cc: &eframe::CreationContext<'_>, prefs: Prefs, start: Option<PathBuf>) -> Self {
        crate::memory::tune();
        let start = start.or_else(|| prefs.last_folder.clone().filter(|d| d.is_dir()));
        let ctx = cc.egui_ctx.clone();
        let mut app = Self::with_prefs(prefs, move || ctx.request_repaint());
        apply_theme(&cc.egui_ctx, app.prefs.theme);
        cc.egui_ctx.set_zoom_factor(app.prefs.zoom.clamp(0.5, 3.0));
        if let Some(dir) = start {
            app.open_folder(&dir);
        }
        app
    }

    /// The app with given preferences and no folder; `wake` is called when a save finishes.
    pub fn with_prefs(prefs: Prefs, wake: impl Fn() + Send + Sync + 'static) -> Self {
        let wake: std::sync::Arc<dyn Fn() + Send + Sync> = std::sync::Arc::new(wake);
        let writer_wake = std::sync::Arc::clone(&wake);
        let view = match prefs.last_view {
            View::Runner => View::InProgress,
            View::Editor | View::Versions => View::Procedures,
            v => v,
        };
        Self {
            prefs,
            folder: None,
            view,
            browser: BrowserState::default(),
            runner: RunnerState::default(),
            history: HistoryState::default(),
            welcome: WelcomeState::default(),
            editor: EditorState::default(),
            versions: VersionsState::default(),
            labels: LabelsState::default(),
            analytics: AnalyticsState::default(),
            save_state: SaveState::Saved,
            message: None,
            undo: Vec::new(),
            writer: Writer::spawn(move || writer_wake()),
            load_in_background_above: 16 << 20,
            loading: None,
            wake,
            known_files: [None; 7],
            last_disk_check: std::time::Instant::now(),
            disk_check_interval: std::time::Duration::from_secs(2),
            io: std::sync::Arc::new(store::RealIo),
            picking: None,
            exporting: None,
            export_done: std::sync::Arc::default(),
            show_about: false,
            show_shortcuts: false,
            backups: None,
            importing: None,
            show_problems: true,
            title: String::new(),
        }
    }

    /// Open a data folder (saving the current one first).
    pub fn open_folder(&mut self, dir: &Path) {
        self.flush();
        match self.load(dir, None) {
            Err(opened) => self.finish_open(dir, *opened),
            Ok(loading) => {
                self.folder = None;
                self.loading = Some(loading);
            }
        }
    }

    /// Read a folder: a small one here and now (`Err` with the result), a big one on
    /// a thread (`Ok`: the load under way), which also builds the browser's rows.
    /// `generation`: the one the data gets (a reload's must be newer than the views saw).
    fn load(&self, dir: &Path, generation: Option<u64>) -> Result<Loading, Box<Opened>> {
        let with_generation = move |mut loaded: Result<store::Loaded, store::Error>| {
            if let (Ok(l), Some(g)) = (&mut loaded, generation) {
                l.db.set_generation(g);
            }
            loaded
        };
        let progress = std::sync::Arc::new(store::LoadProgress::of(dir));
        if progress.total_bytes() <= self.load_in_background_above {
            return Err(Box::new((with_generation(store::load(dir)), None)));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let (path, shared) = (dir.to_path_buf(), std::sync::Arc::clone(&progress));
        let wake = self.wake.clone();
        std::thread::spawn(move || {
            let loaded = with_generation(store::load_with_progress(&path, Some(&shared)));
            let browser = loaded.as_ref().ok().map(|l| BrowserState::prepared(&l.db));
            // The load's scratch memory is freed by now: hand it back (off the UI thread).
            crate::memory::give_back();
            let _ = tx.send((loaded, browser));
            wake();
        });
        Ok(Loading { dir: dir.to_path_buf(), progress, rx, started: std::time::Instant::now(), reload: false })
    }

    /// After a conflict: keep mine (back theirs up, then write mine over them) or take
    /// theirs (save mine to a side folder, then reload).
    fn resolve_conflict(&mut self, keep_mine: bool) {
        let Some(folder) = &mut self.folder else { return };
        let stamp = Timestamp::now().canonical().replace([' ', ':'], "-");
        let dir = folder.dir.clone();
        if keep_mine {
            let theirs = dir.join(store::BACKUP_DIR).join(format!("{stamp}-theirs"));
            if let Err(e) = store::copy_tables(&dir, &theirs) {
                self.message = Some(format!("Cannot back up their version: {e}"));
                return;
            }
            let changed = folder.db.changed();
            folder.db.mark_full(changed);
            folder.db.take_changed();
            let snaps = folder.db.snapshot_tables(changed);
            self.writer.submit_forced(dir, snaps);
            self.save_state = SaveState::Saving;
            self.message = Some(format!("Kept your changes; their version is in {}", theirs.display()));
        } else {
            let side = dir.join(".conflicts").join(&stamp);
            let changed = folder.db.changed();
            folder.db.mark_full(changed);
            let snaps = folder.db.snapshot_tables(changed);
            let saved = std::fs::create_dir_all(&side)
                .map_err(|e| store::Error::io(&side, e))
                .and_then(|()| store::write_tables(&side, &snaps).map_err(|(_, e)| e));
            if let Err(e) = saved {
                self.message = Some(format!("Cannot save your changes aside: {e}"));
                return;
            }
            folder.db.take_changed();
            self.save_state = SaveState::Saved;
            self.reload_in_place();
            self.message = Some(format!("Reloaded their version; your changes are in {}", side.display()));
        }
    }

    /// A fresh writer for a folder just read: it learns the files from scratch and will
    /// not overwrite one that changed since it was read.
    fn start_writer(&mut self, dir: &Path, fingerprints: [store::Fingerprint; 7]) {
        let wake = std::sync::Arc::clone(&self.wake);
        self.writer = Writer::spawn_with(
            move || wake(),
            Some((dir.to_path_buf(), fingerprints)),
            std::sync::Arc::clone(&self.io),
        );
        self.known_files = fingerprints;
    }

    /// Read the folder again, keeping the view and the selections. A big folder is
    /// read on a thread; its views stay up, read-only, until the new data is there.
    pub fn reload_in_place(&mut self) {
        let Some(folder) = &self.folder else { return };
        if self.loading.is_some() {
            return;
        }
        // Views cache by generation: make sure they see new data.
        match self.load(&folder.dir.clone(), Some(folder.db.generation() + 1)) {
            Err(opened) => self.finish_reload(*opened),
            Ok(loading) => self.loading = Some(Loading { reload: true, ..loading }),
        }
    }

    /// Whether the open folder is being read again (its views are read-only meanwhile).
    pub fn reloading(&self) -> bool {
        self.loading.as_ref().is_some_and(|l| l.reload)
    }

    fn finish_reload(&mut self, (result, browser): Opened) {
        let Some(dir) = self.folder.as_ref().map(|f| f.dir.clone()) else { return };
        match result {
            Ok(loaded) => {
                self.start_writer(&dir, loaded.fingerprints);
                if let Some(f) = &mut self.folder {
                    f.db = loaded.db;
                    f.problems = loaded.problems;
                    // Fixed outside: a folder that had problems may now be written.
                    if f.problems.is_empty() && f.lock.is_none() && f.blocked.is_none() {
                        f.take_lock();
                    }
                    if !f.read_only() {
                        self.writer.learn_big_tables(dir, &f.db);
                    }
                }
                if let Some(b) = browser {
                    self.browser.adopt_rows(b);
                }
                self.undo.clear();
                self.save_state = SaveState::Saved;
            }
            Err(e) => self.message = Some(format!("Cannot reload: {e}")),
        }
    }

    /// Files changed outside the app while it has nothing to save are reloaded in
    /// place (checked every two seconds, only while the window is shown).
    fn check_outside_changes(&mut self, ctx: &egui::Context) {
        let Some(folder) = &self.folder else { return };
        ctx.request_repaint_after(self.disk_check_interval.max(std::time::Duration::from_millis(500)));
        if self.last_disk_check.elapsed() < self.disk_check_interval
            || self.writer.busy()
            || !folder.db.changed().is_empty()
            || self.loading.is_some()
        {
            return;
        }
        self.last_disk_check = std::time::Instant::now();
        let now = store::fingerprints(&folder.dir);
        let changed: Vec<&str> = store::TableKind::ALL
            .iter()
            .zip(now.iter().zip(&self.known_files))
            .filter(|(_, (a, b))| a != b)
            .map(|(k, _)| k.file_name())
            .collect();
        if !changed.is_empty() {
            let list = changed.join(", ");
            log::info!("reloading after outside changes to {list}");
            self.reload_in_place();
            self.message = Some(format!("Reloaded: {list} changed on disk"));
        }
    }

    /// Wait for a folder that loads in the background (tests).
    pub fn wait_loading(&mut self) {
        if let Some(l) = self.loading.take() {
            let opened = l.rx.recv().unwrap_or_else(|_| (Err(store::Error::NotAFolder(l.dir.clone())), None));
            self.finish_loading(l, opened);
        }
    }

    fn finish_loading(&mut self, l: Loading, opened: Opened) {
        log::info!("loaded {} in {:.2?}", l.dir.display(), l.started.elapsed());
        if l.reload {
            self.finish_reload(opened);
        } else {
            self.finish_open(&l.dir, opened);
        }
    }

    fn finish_open(&mut self, dir: &Path, (result, browser): Opened) {
        match result {
            Ok(loaded) => {
                let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
                self.start_writer(&dir, loaded.fingerprints);
                log::info!("opened {} ({} problems)", dir.display(), loaded.problems.len());
                self.show_problems = true;
                let mut folder =
                    Folder { dir: dir.clone(), db: loaded.db, problems: loaded.problems, blocked: None, lock: None };
                // A folder with problems is not written at all, so it is not locked either.
                if folder.problems.is_empty() {
                    folder.take_lock();
                }
                if let Some(why) = &folder.blocked {
                    log::warn!("{}: {why}", dir.display());
                }
                if !folder.read_only() {
                    self.writer.learn_big_tables(dir.clone(), &folder.db);
                }
                self.folder = Some(folder);
                self.browser = browser.unwrap_or_default();
                self.runner = RunnerState::default();
                self.history = HistoryState::default();
                self.editor = EditorState::default();
                self.versions = VersionsState::default();
                self.labels = LabelsState::default();
                self.analytics = AnalyticsState::default();
                if matches!(self.view, View::Runner | View::Editor | View::Versions) {
                    self.view = View::Procedures;
                }
                self.undo.clear();
                self.message = None;
                self.save_state = SaveState::Saved;
                self.prefs.last_folder = Some(dir.clone());
                self.prefs.recent.retain(|d| d != &dir);
                self.prefs.recent.insert(0, dir);
                self.prefs.recent.truncate(MAX_RECENT);
            }
            Err(e) => {
                log::warn!("cannot open {}: {e}", dir.display());
                self.message = Some(format!("Cannot open the folder: {e}"));
            }
        }
    }

    /// Wait until every change is on disk (tests, closing, switching folders).
    pub fn flush(&mut self) {
        while self.writer.busy() {
            let outcomes = self.writer.wait_idle();
            self.handle_saved(outcomes);
        }
    }

    /// The open data, if any.
    pub fn db(&self) -> Option<&Db> {
        self.folder.as_ref().map(|f| &f.db)
    }

    /// Apply commands from the views.
    pub fn apply_all(&mut self, ctx: &egui::Context, cmds: Vec<Command>) {
        for c in cmds {
            self.apply(ctx, c);
        }
        self.submit_changes();
    }

    /// Carry out one command.
    pub fn apply(&mut self, ctx: &egui::Context, cmd: Command) {
        let now = Timestamp::now();
        // Leaving the editor with unsaved changes asks Save / Discard / Cancel first.
        let leaves = matches!(
            cmd,
            Command::OpenFolder(_)
                | Command::NewFolder(_)
                | Command::Show(_)
                | Command::StartRun(_)
                | Command::OpenRun(_)
                | Command::ShowInHistory(_)
                | Command::NewProcedure
                | Command::EditProcedure(_)
                | Command::ShowVersions(_)
                | Command::ShowDiff { .. }
                | Command::CloseEditor
                | Command::ImportChecklistFrom(_)
                | Command::Quit
        );
        if leaves && self.view == View::Editor && self.editor.is_dirty() && self.folder.is_some() {
            self.editor.leave_to =
                Some(if cmd == Command::CloseEditor { Command::Show(View::Procedures) } else { cmd });
            return;
        }
        match cmd {
            Command::OpenFolder(dir) => self.open_folder(&dir),
            Command::NewFolder(dir) => match store::create_empty(&dir) {
                Ok(()) => self.open_folder(&dir),
                Err(e) => self.message = Some(format!("Cannot create the folder: {e}")),
            },
            Command::PickFolder | Command::PickNewFolder => {
                let create = cmd == Command::PickNewFolder;
                let (tx, rx) = std::sync::mpsc::channel();
                let ctx = ctx.clone();
                // The native dialog blocks: run it off the UI thread.
                std::thread::spawn(move || {
                    let dialog = rfd::FileDialog::new().set_title(if create {
                        "Choose where to create the data folder"
                    } else {
                        "Open a data folder"
                    });
                    let _ = tx.send(dialog.pick_folder());
                    ctx.request_repaint();
                });
                self.picking = Some((rx, create));
            }
            Command::Show(view) => {
                self.view = view;
                if view != View::Runner {
                    self.prefs.last_view = view;
                }
            }
            Command::StartRun(pid) => {
                if let Some(run) = self.mutate(|db| ops::start_run(db, pid, now)) {
                    self.undo.clear();
                    self.open_run(run);
                }
            }
            Command::OpenRun(run) => self.open_run(run),
            Command::ShowInHistory(run) => {
                self.history.selected = Some(run);
                self.history.scroll_to_selected = true;
                self.view = View::History;
            }
            Command::SetStep { run_step, completed } => {
                let Some(before) = self.db().and_then(|db| db.run_step(run_step)).cloned() else { return };
                if self.mutate(|db| ops::set_step_completed(db, run_step, completed, now)).is_some() {
                    self.undo.push(UndoTick {
                        run_step,
                        completed: before.completed,
                        completed_at: before.completed_at,
                    });
                }
            }
            Command::NewProcedure => {
                if self.folder.is_some() {
                    self.editor = EditorState::new_procedure();
                    self.view = View::Editor;
                }
            }
            Command::EditProcedure(pid) => {
                if let Some(editor) = self.db().and_then(|db| EditorState::edit(db, pid)) {
                    self.editor = editor;
                    self.view = View::Editor;
                }
            }
            Command::CloseEditor => {
                self.editor = EditorState::default();
                self.view = View::Procedures;
            }
            Command::SaveProcedure { target, draft, change } => {
                let saved = match target {
                    None => self.mutate(|db| ops::create_procedure(db, &draft, now)),
                    Some(pid) => self.mutate(|db| ops::update_procedure(db, pid, &draft, &change, now)).map(|_| pid),
                };
                if let Some(pid) = saved {
                    self.editor = EditorState::default();
                    self.browser.selected = Some(pid);
                    self.view = View::Procedures;
                }
            }
            Command::DuplicateProcedure(pid) => {
                if let Some(copy) = self.mutate(|db| ops::duplicate_procedure(db, pid, now)) {
                    self.browser.selected = Some(copy);
                }
            }
            Command::DeleteProcedure(pid) => {
                if let Some(impact) = self.mutate(|db| ops::delete_procedure(db, pid)) {
                    log::info!("deleted procedure {pid} with {} runs", impact.runs);
                    self.browser.selected = None;
                    if self.runner.run.is_some_and(|r| self.db().is_none_or(|db| db.run(r).is_none())) {
                        self.runner = RunnerState::default();
                    }
                    self.undo.clear();
                }
            }
            Command::ShowVersions(pid) => {
                if let Some(db) = self.db() {
                    self.versions = VersionsState::of(db, pid);
                    self.view = View::Versions;
                }
            }
            Command::ShowDiff { procedure, from, to } => {
                self.versions = VersionsState {
                    procedure: Some(procedure),
                    shown: Some(to),
                    compare: Some((from, to)),
                    confirm_restore: None,
                };
                self.view = View::Versions;
            }
            Command::RestoreVersion { procedure, version } => {
                if let Some(v) = self.mutate(|db| ops::restore_version(db, procedure, version, now)) {
                    self.versions.shown = Some(v);
                    self.versions.compare = Some((version, v));
                }
            }
            Command::CreateLabel { name, color, attach } => {
                if let Some(id) = self.mutate(|db| ops::create_label(db, &name, &color))
                    && attach
                {
                    self.editor.draft.labels.push(id);
                }
            }
            Command::RenameLabel { label, name } => {
                let _ = self.mutate(|db| ops::rename_label(db, label, &name));
            }
            Command::RecolorLabel { label, color } => {
                let _ = self.mutate(|db| ops::recolor_label(db, label, &color));
            }
            Command::DeleteLabel(label) => {
                let _ = self.mutate(|db| ops::delete_label(db, label));
                self.editor.draft.labels.retain(|l| *l != label);
            }
            Command::ExportText { suggested, contents } => self.ask_export_path(ctx, &suggested, Export::Csv(contents)),
            Command::ImportChecklist => {
                let (tx, rx) = std::sync::mpsc::channel();
                let ctx = ctx.clone();
                std::thread::spawn(move || {
                    let dialog = rfd::FileDialog::new()
                        .set_title("Import a checklist")
                        .add_filter("Markdown or text", &["md", "markdown", "txt"]);
                    let _ = tx.send(dialog.pick_file());
                    ctx.request_repaint();
                });
                self.importing = Some(rx);
            }
            Command::ImportChecklistFrom(path) => match store::read_text(&path) {
                Ok(text) if self.folder.is_some() => {
                    let fallback =
                        path.file_stem().map_or("Imported checklist".to_owned(), |s| s.to_string_lossy().into_owned());
                    let draft = crate::export::parse_checklist(&text, &fallback);
                    self.editor = EditorState::new_procedure();
                    self.editor.draft.name = draft.name;
                    self.editor.draft.description = draft.description;
                    let listed = draft.steps.iter().map(|s| {
                        let d = s.estimated_duration_secs.map(|d| format_duration(i64::from(d))).unwrap_or_default();
                        let d = if d.is_empty() { String::new() } else { format!(" ({d})") };
                        format!("- {}{d}", s.description.replace('\n', " "))
                    });
                    let text: Vec<String> = listed.collect();
                    self.editor.add_pasted(&text.join("\n"));
                    self.view = View::Editor;
                    self.message = Some(format!("Imported {}: check it and click Create procedure", path.display()));
                }
                Ok(_) => {}
                Err(e) => self.message = Some(format!("Cannot import: {e}")),
            },
            Command::AddStepsFrom(path) => match store::read_text(&path) {
                Ok(text) => {
                    let n = self.editor.add_pasted(&text);
                    self.message = Some(format!("Added {n} steps from {}", path.display()));
                }
                Err(e) => self.message = Some(format!("Cannot read the list: {e}")),
            },
            Command::PrintProcedure(pid) => {
                let Some(html) = self.db().and_then(|db| crate::export::procedure_html(db, pid)) else { return };
                let path = std::env::temp_dir().join(format!("procedure-{pid}.html"));
                match store::write_file(&path, html.as_bytes()) {
                    Ok(()) => {
                        open_with_system(&path);
                        self.message = Some(format!("Opened the print view ({}) in your browser", path.display()));
                    }
                    Err(e) => self.message = Some(format!("Cannot write the print view: {e}")),
                }
            }
            Command::ShowShortcuts => self.show_shortcuts = true,
            Command::ShowBackups => {
                if let Some(f) = &self.folder {
                    let names = store::list_backups(&f.dir).into_iter().map(|(n, _)| n).collect();
                    self.backups = Some((names, None));
                }
            }
            Command::RestoreBackup(name) => {
                self.flush();
                let Some(dir) = self.folder.as_ref().filter(|f| !f.read_only()).map(|f| f.dir.clone()) else {
                    self.message = Some("This folder is read-only here; nothing was restored".into());
                    return;
                };
                let stamp = Timestamp::now().canonical().replace([' ', ':'], "-");
                match store::restore_backup(&dir, &name, &stamp) {
                    Ok(safety) => {
                        self.folder = None;
                        self.open_folder(&dir);
                        self.message = Some(format!(
                            "Restored the backup of {name}; the state before is kept in {}",
                            safety.display()
                        ));
                    }
                    Err(e) => self.message = Some(format!("Cannot restore: {e}")),
                }
                self.backups = None;
            }
            Command::ResolveConflict { keep_mine } => self.resolve_conflict(keep_mine),
            Command::RetryLock => {
                if let Some(f) = &mut self.folder {
                    f.take_lock();
                }
            }
            Command::ExportPng { suggested, rect } => self.ask_export_path(ctx, &suggested, Export::Png(rect)),
            Command::Undo => {
                let Some(u) = self.undo.pop() else {
                    self.message = Some("Nothing to undo".into());
                    return;
                };
                let at = u.completed_at.unwrap_or(now);
                let _ = self.mutate(|db| ops::set_step_completed(db, u.run_step, u.completed, at));
            }
            Command::StepNote { run_step, note } => {
                let _ = self.mutate(|db| ops::set_step_note(db, run_step, &note));
            }
            Command::RunNote { run, note } => {
                let _ = self.mutate(|db| ops::set_run_note(db, run, &note));
            }
            Command::FinishRun { run, status, reason } => {
                let done = self.mutate(|db| {
                    let finished = ops::finish_run(db, run, status, now)?;
                    if !reason.is_empty() {
                        let old = db.run(run).map(|r| r.notes().to_owned()).unwrap_or_default();
                        let note = if old.is_empty() { reason.clone() } else { format!("{old}\n{reason}") };
                        ops::set_run_note(db, run, &note)?;
                    }
                    Ok(finished)
                });
                if done.is_some() {
                    self.undo.clear();
                    self.history.selected = Some(run);
                    self.history.scroll_to_selected = true;
                    self.view = View::History;
                }
            }
            Command::RetrySave => {
                self.save_state = SaveState::Saved;
            }
            Command::DismissMessage => self.message = None,
            Command::SetTheme(theme) => {
                self.prefs.theme = theme;
                apply_theme(ctx, theme);
            }
            Command::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }

    fn open_run(&mut self, run: RunId) {
        let Some(db) = self.db() else { return };
        if db.run(run).is_none() {
            return;
        }
        let mut runner = RunnerState::default();
        runner.open(db, run);
        self.runner = runner;
        self.view = View::Runner;
    }

    /// Run an op on the open folder; reports refusals to the user.
    fn mutate<T>(&mut self, op: impl FnOnce(&mut Db) -> Result<ops::Done<T>, ops::OpError>) -> Option<T> {
        let Some(folder) = &mut self.folder else { return None };
        if self.loading.is_some() {
            self.message = Some("The folder is being read again after an outside change; nothing was changed".into());
            return None;
        }
        if folder.read_only() {
            let why = folder.blocked.clone().unwrap_or_else(|| "This folder has problems and is open read-only".into());
            self.message = Some(format!("{why}; nothing was changed"));
            return None;
        }
        match op(&mut folder.db) {
            Ok(done) => Some(done.value),
            Err(e) => {
                self.message = Some(e.to_string());
                None
            }
        }
    }

    /// Hand changed tables to the writer (unless a failed save awaits Retry).
    fn submit_changes(&mut self) {
        let Some(folder) = &mut self.folder else { return };
        if folder.read_only()
            || matches!(self.save_state, SaveState::Failed(_) | SaveState::Conflict(_))
            || folder.db.changed().is_empty()
        {
            return;
        }
        let changed = folder.db.take_changed();
        let tables = folder.db.snapshot_tables(changed);
        self.writer.submit(folder.dir.clone(), tables);
        self.save_state = SaveState::Saving;
    }

    fn handle_saved(&mut self, outcomes: Vec<Saved>) {
        for s in outcomes {
            match s {
                Saved::Ok { written, .. } => {
                    for (dir, kind, print) in written {
                        if self.folder.as_ref().is_some_and(|f| f.dir == dir) {
                            self.known_files[kind as usize] = print;
                        }
                    }
                }
                Saved::NeedFull { tables, children_first, .. } => {
                    // The writer could not write just the end of these files: send them whole.
                    if let Some(f) = &mut self.folder {
                        f.db.mark_full(tables);
                        if children_first {
                            f.db.mark_children_first();
                        }
                    }
                }
                Saved::Failed { unsaved, error, .. } => {
                    if let Some(f) = &mut self.folder {
                        f.db.mark_full(unsaved);
                    }
                    self.save_state = match &error {
                        store::Error::ChangedOnDisk(path) => SaveState::Conflict(
                            path.file_name()
                                .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned()),
                        ),
                        _ => SaveState::Failed(error.to_string()),
                    };
                }
            }
        }
        self.submit_changes();
        if self.save_state == SaveState::Saving && !self.writer.busy() {
            self.save_state = SaveState::Saved;
        }
    }

    /// One frame of the whole window (also used by tests).
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll(&ctx);
        let mut cmds = Vec::new();
        let now = Timestamp::now();
        if self.folder.is_some() && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::N)) {
            cmds.push(Command::NewProcedure);
        }
        let typing = ctx.egui_wants_keyboard_input();
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::F1))
            || (!typing && ui.input_mut(|i| i.consume_key(egui::Modifiers::SHIFT, egui::Key::Questionmark)))
            || (!typing && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Questionmark)))
        {
            cmds.push(Command::ShowShortcuts);
        }
        cmds.extend(self.dropped_files(&ctx));
        self.prefs.zoom = ctx.zoom_factor();
        self.menu_bar(ui, &mut cmds);
        self.status_bar(ui, &mut cmds);
        if self.folder.is_some() {
            self.navigation(ui, &mut cmds);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(msg) = &self.message {
                ui.horizontal(|ui| {
                    ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {msg}"));
                    if ui.small_button("Dismiss").clicked() {
                        cmds.push(Command::DismissMessage);
                    }
                });
            }
            if let Some(l) = self.loading.as_ref().filter(|l| !l.reload) {
                loading_ui(ui, l);
                return;
            }
            match &mut self.folder {
                None => {
                    let sample = bundled_sample();
                    welcome_ui(ui, &mut self.welcome, &self.prefs.recent, sample.as_deref(), &mut cmds);
                }
                Some(folder) => {
                    if let Some(why) = &folder.blocked {
                        ui.horizontal(|ui| {
                            ui.colored_label(ui.visuals().warn_fg_color, format!("🔒 {why}"));
                            if ui.button("Try again").clicked() {
                                cmds.push(Command::RetryLock);
                            }
                        });
                    }
                    if !folder.problems.is_empty() {
                        problems_banner(ui, folder, &mut self.show_problems);
                    }
                    let ro = folder.read_only() || self.loading.is_some();
                    let db = &folder.db;
                    match self.view {
                        View::Procedures => browser_ui(ui, db, &mut self.browser, now, ro, &mut cmds),
                        View::InProgress => in_progress_ui(ui, db, now, &mut cmds),
                        View::History => history_ui(ui, db, &mut self.history, now, &mut cmds),
                        View::Runner => runner_ui(ui, db, &mut self.runner, now, ro, &mut cmds),
                        View::Editor => editor_ui(ui, db, &mut self.editor, ro, &mut cmds),
                        View::Versions => versions_ui(ui, db, &mut self.versions, ro, &mut cmds),
                        View::Labels => labels_ui(ui, db, &mut self.labels, ro, &mut cmds),
                        View::Analytics => analytics_ui(ui, db, &mut self.analytics, now, &mut cmds),
                    }
                }
            }
        });
        self.about_window(&ctx);
        self.shortcuts_window(&ctx);
        self.backups_window(&ctx, &mut cmds);
        self.apply_all(&ctx, cmds);
        self.update_title(&ctx);
    }

    /// Ask where to save an export (native dialog, off the UI thread).
    fn ask_export_path(&mut self, ctx: &egui::Context, suggested: &str, export: Export) {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let name = suggested.to_owned();
        std::thread::spawn(move || {
            let _ = tx.send(rfd::FileDialog::new().set_file_name(name).save_file());
            ctx.request_repaint();
        });
        self.exporting = Some((rx, export));
    }

    /// Write an export to `path` (PNG: after a screenshot of the next frame).
    pub fn export_to(&mut self, ctx: &egui::Context, path: PathBuf, export: Export) {
        match export {
            Export::Csv(text) => {
                self.message = Some(match store::write_file(&path, text.as_bytes()) {
                    Ok(()) => format!("Saved {}", path.display()),
                    Err(e) => format!("Could not save: {e}"),
                });
            }
            Export::Png(rect) => {
                let done = std::sync::Arc::clone(&self.export_done);
                let ppp = ctx.pixels_per_point();
                let wake = ctx.clone();
                ctx.request_screenshot(move |image: std::sync::Arc<egui::ColorImage>| {
                    let msg = match crop_png(&image, rect, ppp)
                        .and_then(|png| store::write_file(&path, &png).map_err(|e| e.to_string()))
                    {
                        Ok(()) => format!("Saved {}", path.display()),
                        Err(e) => format!("Could not save the image: {e}"),
                    };
                    if let Ok(mut d) = done.lock() {
                        *d = Some(msg);
                    }
                    wake.request_repaint();
                });
            }
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        self.check_outside_changes(ctx);
        if let Some(l) = &self.loading
            && let Ok(opened) = l.rx.try_recv()
            && let Some(l) = self.loading.take()
        {
            self.finish_loading(l, opened);
        }
        if let Some((rx, _)) = &self.exporting
            && let Ok(choice) = rx.try_recv()
            && let Some((_, export)) = self.exporting.take()
            && let Some(path) = choice
        {
            self.export_to(ctx, path, export);
        }
        if let Some(rx) = &self.importing
            && let Ok(choice) = rx.try_recv()
        {
            self.importing = None;
            if let Some(path) = choice {
                self.apply(ctx, Command::ImportChecklistFrom(path));
            }
        }
        if let Some(msg) = self.export_done.lock().ok().and_then(|mut d| d.take()) {
            self.message = Some(msg);
        }
        let outcomes = self.writer.poll();
        self.handle_saved(outcomes);
        if let Some((rx, create)) = &self.picking
            && let Ok(choice) = rx.try_recv()
        {
            let create = *create;
            self.picking = None;
            if let Some(dir) = choice {
                let cmd = if create { Command::NewFolder(dir) } else { Command::OpenFolder(dir) };
                self.apply(ctx, cmd);
            }
        }
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.folder {
            Some(f) => {
                let name =
                    f.dir.file_name().map_or_else(|| f.dir.display().to_string(), |n| n.to_string_lossy().into_owned());
                let ro = if f.read_only() { " (read-only)" } else { "" };
                format!("Procedures — {name}{ro}")
            }
            None => "Procedures".to_owned(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// The window title the app asks for.
    pub fn title(&self) -> &str {
        &self.title
    }

    fn menu_bar(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button("File", |ui| {
                    if ui.button("Open folder…").clicked() {
                        cmds.push(Command::PickFolder);
                    }
                    if ui.button("New folder…").clicked() {
                        cmds.push(Command::PickNewFolder);
                    }
                    if ui.add_enabled(self.folder.is_some(), egui::Button::new("New procedure (Ctrl+N)")).clicked() {
                        cmds.push(Command::NewProcedure);
                    }
                    if ui.add_enabled(self.folder.is_some(), egui::Button::new("Import checklist…")).clicked() {
                        cmds.push(Command::ImportChecklist);
                    }
                    if ui.add_enabled(self.folder.is_some(), egui::Button::new("Restore backup…")).clicked() {
                        cmds.push(Command::ShowBackups);
                    }
                    ui.menu_button("Recent", |ui| {
                        if self.prefs.recent.is_empty() {
                            ui.label("No recent folders");
                        }
                        for dir in &self.prefs.recent {
                            if ui.button(dir.display().to_string()).clicked() {
                                cmds.push(Command::OpenFolder(dir.clone()));
                            }
                        }
                    });
                    if let Some(sample) = bundled_sample()
                        && ui.button("Open the sample").clicked()
                    {
                        cmds.push(Command::OpenFolder(sample));
                    }
                    ui.separator();
                    if ui.button("Quit").clicked() {
                        cmds.push(Command::Quit);
                    }
                });
                ui.menu_button("View", |ui| {
                    for (label, view) in [
                        ("Procedures", View::Procedures),
                        ("In progress", View::InProgress),
                        ("History", View::History),
                        ("Labels", View::Labels),
                        ("Analytics", View::Analytics),
                    ] {
                        if ui.add_enabled(self.folder.is_some(), egui::Button::new(label)).clicked() {
                            cmds.push(Command::Show(view));
                        }
                    }
                    ui.separator();
                    for (label, theme) in
                        [("Follow the system", Theme::System), ("Light", Theme::Light), ("Dark", Theme::Dark)]
                    {
                        if ui.radio(self.prefs.theme == theme, label).clicked() {
                            cmds.push(Command::SetTheme(theme));
                        }
                    }
                });
                ui.menu_button("Help", |ui| {
                    if ui.button("Keyboard shortcuts (F1)").clicked() {
                        cmds.push(Command::ShowShortcuts);
                    }
                    if ui.button("About Procedures").clicked() {
                        self.show_about = true;
                    }
                });
            });
        });
    }

    /// Folders dropped on the window open; Markdown or text files become steps (in the
    /// editor) or a new procedure (elsewhere).
    fn dropped_files(&self, ctx: &egui::Context) -> Vec<Command> {
        let paths: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        paths
            .into_iter()
            .filter_map(|p| {
                if p.is_dir() {
                    return Some(Command::OpenFolder(p));
                }
                let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
                if !matches!(ext.as_str(), "md" | "markdown" | "txt") || self.folder.is_none() {
                    return None;
                }
                Some(if self.view == View::Editor { Command::AddStepsFrom(p) } else { Command::ImportChecklistFrom(p) })
            })
            .collect()
    }

    fn backups_window(&mut self, ctx: &egui::Context, cmds: &mut Vec<Command>) {
        let Some((names, confirm)) = &mut self.backups else { return };
        let mut open = true;
        egui::Window::new("Restore a backup").open(&mut open).collapsible(false).show(ctx, |ui| {
            ui.label("A backup of the tables is made before the first change of each day (the last 30 days are kept, in .backups/ in the folder).");
            if names.is_empty() {
                ui.label(egui::RichText::new("No backups yet").weak());
            }
            egui::ScrollArea::vertical().max_height(300.0).show(ui, |ui| {
                for name in names.iter() {
                    ui.horizontal(|ui| {
                        ui.label(name);
                        if ui.button(format!("Restore {name}…")).clicked() {
                            *confirm = Some(name.clone());
                        }
                    });
                }
            });
            if let Some(name) = confirm.clone() {
                ui.separator();
                ui.label(format!("Replace the tables with the backup of {name}? The current state is backed up first."));
                ui.horizontal(|ui| {
                    if ui.button("Restore").clicked() {
                        cmds.push(Command::RestoreBackup(name.clone()));
                    }
                    if ui.button("Cancel").clicked() {
                        *confirm = None;
                    }
                });
            }
        });
        if !open {
            self.backups = None;
        }
    }

    fn shortcuts_window(&mut self, ctx: &egui::Context) {
        let mut open = self.show_shortcuts;
        egui::Window::new("Keyboard shortcuts").open(&mut open).collapsible(false).resizable(false).show(ctx, |ui| {
            egui::Grid::new("shortcuts").num_columns(2).striped(true).show(ui, |ui| {
                for (keys, what) in SHORTCUTS {
                    ui.monospace(*keys);
                    ui.label(*what);
                    ui.end_row();
                }
            });
        });
        self.show_shortcuts = open;
    }

    fn about_window(&mut self, ctx: &egui::Context) {
        let mut open = self.show_about;
        egui::Window::new("About Procedures").open(&mut open).collapsible(false).resizable(false).show(ctx, |ui| {
            ui.heading(format!("Procedures {}", env!("CARGO_PKG_VERSION")));
            ui.label("Write a procedure once, run it step by step, see where the time goes.");
            ui.label("Your data is plain CSV in the folder you open.");
            match crate::logging::log_path() {
                Some(p) => ui.label(format!("Log file: {}", p.display())),
                None => ui.label("Log: standard error"),
            };
        });
        self.show_about = open;
    }

    fn navigation(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let in_progress = self.db().map_or(0, Db::in_progress_count);
        let has_run = self.runner.run.is_some();
        egui::Panel::left("nav").resizable(false).exact_size(170.0).show(ui, |ui| {
            ui.add_space(6.0);
            let items = [
                ("📋 Procedures".to_owned(), View::Procedures),
                (format!("⏵ In progress ({in_progress})"), View::InProgress),
                ("🕘 History".to_owned(), View::History),
                ("📊 Analytics".to_owned(), View::Analytics),
                ("🏷 Labels".to_owned(), View::Labels),
            ];
            for (label, view) in items {
                if ui.selectable_label(self.view == view, label).clicked() {
                    cmds.push(Command::Show(view));
                }
            }
            if has_run && ui.selectable_label(self.view == View::Runner, "▶ Runner").clicked() {
                cmds.push(Command::Show(View::Runner));
            }
            if self.view == View::Editor {
                let _ = ui.selectable_label(true, "✏ Editor");
            }
            if self.view == View::Versions {
                let _ = ui.selectable_label(true, "Versions");
            }
            ui.add_space(12.0);
            if ui.button("➕ New procedure").on_hover_text("Ctrl+N").clicked() {
                cmds.push(Command::NewProcedure);
            }
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                let Some(f) = &self.folder else {
                    ui.label("No folder open");
                    return;
                };
                ui.label(f.dir.display().to_string());
                ui.separator();
                ui.label(format!(
                    "{} procedures · {} runs · {} in progress",
                    f.db.procedures.len(),
                    f.db.runs.len(),
                    f.db.in_progress_count()
                ));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if self.loading.is_some() {
                        ui.label("Reading the folder again (changed on disk)…");
                        ui.spinner();
                        return;
                    }
                    if f.read_only() {
                        ui.colored_label(ui.visuals().warn_fg_color, "Read-only");
                        return;
                    }
                    match &self.save_state {
                        SaveState::Saved => {
                            ui.label("All changes saved");
                        }
                        SaveState::Saving => {
                            ui.label("Saving…");
                        }
                        SaveState::Failed(e) => {
                            if ui.button("Retry").clicked() {
                                cmds.push(Command::RetrySave);
                            }
                            ui.colored_label(ui.visuals().error_fg_color, format!("Not saved: {e}"));
                        }
                        SaveState::Conflict(file) => {
                            if ui
                                .button("Keep mine")
                                .on_hover_text("Write my changes; their version is backed up first")
                                .clicked()
                            {
                                cmds.push(Command::ResolveConflict { keep_mine: true });
                            }
                            if ui
                                .button("Reload")
                                .on_hover_text("Load their version; my changes are saved to a side folder first")
                                .clicked()
                            {
                                cmds.push(Command::ResolveConflict { keep_mine: false });
                            }
                            ui.colored_label(
                                ui.visuals().error_fg_color,
                                format!("{file} was changed outside the app; nothing was overwritten"),
                            );
                        }
                    }
                });
            });
        });
    }
}

/// The window icon, decoded from the PNG in assets/.
pub fn window_icon() -> Option<egui::IconData> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(include_bytes!("../assets/icon-256.png").as_slice()));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return None;
    }
    buf.truncate(info.buffer_size());
    Some(egui::IconData { rgba: buf, width: info.width, height: info.height })
}

/// Every keyboard shortcut, for the help window (F1).
const SHORTCUTS: &[(&str, &str)] = &[
    ("F1 or ?", "Show these shortcuts"),
    ("Ctrl+N", "New procedure"),
    ("Ctrl+F", "Search procedures"),
    ("Ctrl+Plus / Ctrl+Minus / Ctrl+0", "Zoom in / out / reset (remembered)"),
    ("Tab / Shift+Tab", "Move between buttons and fields; Space or Enter presses"),
    ("Runner: Space or Enter", "Tick or untick the focused step"),
    ("Runner: Up / Down", "Move the focus between steps"),
    ("Runner: N", "Write a note on the focused step"),
    ("Runner: Ctrl+Z", "Undo the last tick or untick"),
    ("Runner: Esc", "Leave the runner (the run stays in progress)"),
    ("Editor: Alt+Up / Alt+Down", "Move the focused step"),
    ("Drop a folder", "Open it"),
    ("Drop a .md or .txt list", "Add its steps (editor) or import it as a procedure"),
];

/// Open a file with the system's default program (the print view in a browser).
fn open_with_system(path: &Path) {
    #[cfg(target_os = "windows")]
    let result = std::process::Command::new("cmd").arg("/C").arg("start").arg("").arg(path).spawn();
    #[cfg(target_os = "macos")]
    let result = std::process::Command::new("open").arg(path).spawn();
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let result = std::process::Command::new("xdg-open").arg(path).spawn();
    if let Err(e) = result {
        log::warn!("cannot open {}: {e}", path.display());
    }
}

/// Something to export once the user has picked a file.
#[derive(Clone, Debug)]
pub enum Export {
    /// A text file.
    Csv(String),
    /// The pixels of a part of the window (a plot), in points.
    Png(egui::Rect),
}

/// Crop a screenshot to `rect` (points) and encode it as PNG.
fn crop_png(image: &egui::ColorImage, rect: egui::Rect, pixels_per_point: f32) -> Result<Vec<u8>, String> {
    let [w, h] = image.size;
    let px = |v: f32, max: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(max);
    let (x0, x1) = (px(rect.min.x, w), px(rect.max.x, w));
    let (y0, y1) = (px(rect.min.y, h), px(rect.max.y, h));
    if x1 <= x0 || y1 <= y0 {
        return Err("the plot is not on screen".into());
    }
    let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
    for y in y0..y1 {
        for x in x0..x1 {
            rgba.extend_from_slice(&image.pixels[y * w + x].to_srgba_unmultiplied());
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, (x1 - x0) as u32, (y1 - y0) as u32);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&rgba).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Progress of a folder that loads in the background: bytes read per table.
fn loading_ui(ui: &mut egui::Ui, l: &Loading) {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.heading(format!("Opening {}", l.dir.display()));
        ui.add_space(12.0);
        let total = l.progress.total_bytes().max(1);
        let read: u64 = store::TableKind::ALL.iter().map(|k| l.progress.table(*k).0).sum();
        ui.add(egui::ProgressBar::new(read as f32 / total as f32).desired_width(420.0).text(format!(
            "{:.0} of {:.0} MB",
            read as f64 / 1e6,
            total as f64 / 1e6
        )));
        ui.add_space(8.0);
        egui::Grid::new("load-progress").num_columns(2).show(ui, |ui| {
            for kind in store::TableKind::ALL {
                let (r, t) = l.progress.table(kind);
                if t == 0 {
                    continue;
                }
                ui.label(kind.file_name());
                ui.add(egui::ProgressBar::new(r as f32 / t as f32).desired_width(240.0));
                ui.end_row();
            }
        });
        if read >= total {
            ui.label(egui::RichText::new("Checking and indexing…").weak());
        }
    });
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
}

fn problems_banner(ui: &mut egui::Ui, folder: &Folder, open: &mut bool) {
    egui::Frame::new().fill(ui.visuals().warn_fg_color.gamma_multiply(0.15)).inner_margin(8.0).corner_radius(4.0).show(
        ui,
        |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.strong(format!(
                    "This folder has {} problem(s), so it is open read-only: nothing will be written. Fix the files and open it again.",
                    folder.problems.len()
                ));
                let label = if *open { "Hide problems" } else { "Show problems" };
                if ui.small_button(label).clicked() {
                    *open = !*open;
                }
            });
            if *open {
                egui::ScrollArea::vertical().max_height(160.0).id_salt("problems").show(ui, |ui| {
                    for p in folder.problems.iter().take(500) {
                        ui.monospace(p.to_string());
                    }
                    if folder.problems.len() > 500 {
                        ui.label(format!("… and {} more (run `procedures check`)", folder.problems.len() - 500));
                    }
                });
            }
        },
    );
    ui.add_space(4.0);
}

fn apply_theme(ctx: &egui::Context, theme: Theme) {
    ctx.set_theme(match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    });
}

/// The sample folder shipped with the app: `data/` next to the executable or in the
/// source tree.
pub fn bundled_sample() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("data"));
        candidates.push(dir.join("../../data"));
    }
    candidates.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data"));
    candidates.into_iter().find(|d| d.join("procedures.csv").is_file())
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_icon_decodes() {
        let icon = window_icon().expect("icon");
        assert_eq!((icon.width, icon.height, icon.rgba.len()), (256, 256, 256 * 256 * 4));
    }

    #[test]
    fn crop_png_cuts_the_plot_rect_out_of_a_screenshot() {
        // A 4×2 px image at 2 px per point: the rect (1,0)-(2,1) points is px (2,0)-(4,2).
        let mut image = egui::ColorImage::filled([4, 2], egui::Color32::BLACK);
        image.pixels[3] = egui::Color32::WHITE;
        let png =
            crop_png(&image, egui::Rect::from_min_max(egui::pos2(1.0, 0.0), egui::pos2(2.0, 1.0)), 2.0).expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("frame");
        assert_eq!((info.width, info.height), (2, 2));
        assert_eq!(&buf[4..8], &[255, 255, 255, 255], "the white pixel is top right");
        assert!(crop_png(&image, egui::Rect::from_min_max(egui::pos2(9.0, 9.0), egui::pos2(10.0, 10.0)), 2.0).is_err());
    }
}
