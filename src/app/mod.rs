//! The eframe application: the window around the views. Views return [`Command`]s;
//! [`App::apply`] (in `command.rs`) carries them out through `ops` on the open
//! [`Session`] after the frame; the session's writer persists what changed.
//!
//! - `command.rs`: carrying out commands, one function per area.
//! - `logic.rs`: the per-frame work that is not drawing (session events, dialogs).
//! - `chrome.rs`: menu bar, navigation, status bar, banners, popups.
//! - `dialogs.rs`: native file dialogs on a thread; the popups.
//! - `platform.rs`: the icon, opening files with the system, the bundled sample.

mod chrome;
mod command;
mod dialogs;
mod fonts;
mod logic;
mod platform;
mod team;

pub use dialogs::{Answer, Backend, DialogRequest, Export, native_dialog};
pub use platform::{bundled_sample, window_icon};

use crate::model::Name;
use crate::session::{Folder, SaveState, Session};
use crate::store::Dataset;
use crate::ui::ViewCtx;
use crate::ui::analytics::{AnalyticsState, analytics_ui};
use crate::ui::browser::{BrowserState, browser_ui};
use crate::ui::editor::{EditorState, editor_ui};
use crate::ui::history::{HistoryState, history_ui};
use crate::ui::in_progress::in_progress_ui;
use crate::ui::labels::{LabelsState, labels_ui};
use crate::ui::runner::{RunnerState, runner_ui};
use crate::ui::today::{TodayState, today_ui};
use crate::ui::versions::{VersionsState, versions_ui};
use crate::ui::welcome::{WelcomeState, welcome_ui};
use crate::ui::{Command, Theme, View};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// Recently opened team databases, newest first, as shown (never with a password).
    pub recent_databases: Vec<String>,
    /// The team database open when the app was last closed (as shown, no password);
    /// opened again on the next start in place of `last_folder`.
    pub last_database: Option<String>,
    /// Light, dark or system.
    pub theme: Theme,
    /// The view shown last.
    pub last_view: View,
    /// UI zoom (Ctrl+Plus / Ctrl+Minus / Ctrl+0).
    pub zoom: f32,
    /// The name runs and ticks record (asked once on first start; `None` until then:
    /// the OS login name stands in).
    pub user_name: Option<String>,
    /// Desktop notifications when an occurrence becomes due or overdue.
    pub notifications: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            last_folder: None,
            recent: Vec::new(),
            recent_databases: Vec::new(),
            last_database: None,
            theme: Theme::System,
            last_view: View::Procedures,
            zoom: 1.0,
            user_name: None,
            notifications: true,
        }
    }
}

/// The state of every view.
#[derive(Default)]
struct Views {
    today: TodayState,
    browser: BrowserState,
    runner: RunnerState,
    history: HistoryState,
    welcome: WelcomeState,
    editor: EditorState,
    versions: VersionsState,
    labels: LabelsState,
    analytics: AnalyticsState,
}

/// The application.
pub struct App {
    prefs: Prefs,
    session: Session,
    view: View,
    views: Views,
    /// A message for the user (an op refused, a folder that would not open), shown over
    /// the page until dismissed, the view changes, a later change succeeds, or
    /// [`chrome::MESSAGE_SECONDS`] pass.
    message: Option<String>,
    /// The message shown and when it first showed (the input clock, seconds).
    message_shown: Option<(String, f64)>,
    /// A native dialog open on its thread.
    dialog: Option<dialogs::Pending>,
    /// The popup window shown, if any.
    popup: Option<dialogs::Popup>,
    /// The answer of a PNG export, written on the screenshot's callback.
    export_done: Arc<std::sync::Mutex<Option<String>>>,
    show_problems: bool,
    title: String,
    /// Occurrences already announced (schedule, time, state), and what was announced.
    notified: std::collections::HashSet<(crate::model::ScheduleId, i64, crate::analysis::schedule::State)>,
    /// Whether an agenda of this folder arrived (the first only learns what is open).
    agenda_seen: bool,
    /// The notifications sent, newest last (the Today view's tests read it).
    pub notifications_sent: Vec<String>,
    /// The user confirmed quitting (or nothing was at risk): the next close request
    /// of the window is let through.
    quitting: bool,
    /// Shows the system's file dialogs (tests put a stand-in here).
    dialog_backend: dialogs::Backend,
    /// Opens an allowed link (tests put a stand-in here).
    link_opener: fn(&str),
    /// The folder whose scripts were looked at (CJK fonts are added when it has CJK).
    fonts_for: Option<PathBuf>,
    /// The team database being opened, as shown (no password): asked for again, with
    /// the reason, if it will not open.
    connecting: Option<String>,
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
        let start = start
            .or_else(|| prefs.last_database.clone().map(PathBuf::from))
            .or_else(|| prefs.last_folder.clone().filter(|d| d.is_dir()));
        let ctx = cc.egui_ctx.clone();
        let mut app = Self::with_prefs(prefs, move || ctx.request_repaint());
        // A team database's changes wait in the app's data directory until the server
        // has them (offline, a crash).
        app.set_pending_dir(eframe::storage_dir("Procedures").map(|d| d.join("pending")));
        // First start: ask who is using the app (the name every run and tick records) —
        // unless it starts on a team database, which names its users itself.
        let on_database = start.as_ref().is_some_and(|s| crate::store::pg::is_url(&s.to_string_lossy()));
        if app.prefs.user_name.is_none() && !on_database {
            app.popup = Some(dialogs::Popup::YourName { text: Name::login_name() });
        }
        platform::apply_theme(&cc.egui_ctx, app.prefs.theme);
        // Ctrl+Q is our own action (it asks first while anything is unsaved), not egui's
        // built-in quit, which closes at once.
        cc.egui_ctx.options_mut(|o| o.quit_shortcuts.clear());
        // Hebrew, Arabic, Devanagari… from the system's fonts (egui ships Latin, Greek,
        // Cyrillic and emoji).
        fonts::install_fallbacks(&cc.egui_ctx);
        cc.egui_ctx.set_zoom_factor(app.prefs.zoom.clamp(0.5, 3.0));
        if let Some(dir) = start {
            app.open_folder(&dir);
        }
        app
    }

    /// The app with given preferences and no folder; `wake` is called when a save finishes.
    pub fn with_prefs(prefs: Prefs, wake: impl Fn() + Send + Sync + 'static) -> Self {
        let mut session = Session::new(Arc::new(wake));
        // The browser's rows of a big folder are built on its loading thread.
        session.set_prepare(Arc::new(|db: &Dataset| Box::new(BrowserState::prepared(db)) as crate::session::Prepared));
        let view = match prefs.last_view {
            View::Runner => View::InProgress,
            View::Editor | View::Versions => View::Procedures,
            v => v,
        };
        Self {
            prefs,
            session,
            view,
            views: Views::default(),
            message: None,
            message_shown: None,
            dialog: None,
            popup: None,
            export_done: Arc::default(),
            show_problems: true,
            title: String::new(),
            notified: std::collections::HashSet::new(),
            agenda_seen: false,
            notifications_sent: Vec::new(),
            quitting: false,
            dialog_backend: dialogs::native_dialog,
            link_opener: platform::open_link,
            fonts_for: None,
            connecting: None,
        }
    }

    /// Open a data folder (saving the current one first).
    pub fn open_folder(&mut self, dir: &Path) {
        if crate::store::pg::is_url(&dir.to_string_lossy()) {
            return self.open_database(&dir.to_string_lossy());
        }
        let events = self.session.open(dir);
        self.handle_events(events);
    }

    /// Open a team database (`postgres://…`): read on a thread with the progress screen;
    /// a refusal (a wrong password, a server not there) comes back as a message.
    pub fn open_database(&mut self, url: &str) {
        self.connecting = Some(crate::store::pg::redacted(url.trim()));
        let events = self.session.open_database(url.trim());
        self.handle_events(events);
    }

    /// Wait for a folder that loads in the background (tests).
    pub fn wait_loading(&mut self) {
        let events = self.session.wait_loading();
        self.handle_events(events);
    }

    /// Wait until every change is on disk (tests, closing, switching folders).
    pub fn flush(&mut self) {
        self.session.flush();
        let events = self.session.take_events();
        self.handle_events(events);
    }

    /// Keep a team database's changes in `dir` until the server has them (the window
    /// sets the app's data directory; `None`: not kept).
    pub fn set_pending_dir(&mut self, dir: Option<PathBuf>) {
        self.session.set_pending_dir(dir);
    }

    /// Read the open folder again, keeping the view and the selections.
    pub fn reload_in_place(&mut self) {
        let events = self.session.reload_in_place();
        self.handle_events(events);
    }

    /// Whether the open folder is being read again (its views are read-only meanwhile).
    pub fn reloading(&self) -> bool {
        self.session.reloading()
    }

    /// The open data, if any.
    pub fn db(&self) -> Option<&Dataset> {
        self.session.db()
    }

    /// The open folder, if any.
    pub fn folder(&self) -> Option<&Folder> {
        self.session.folder()
    }

    /// Whether the data on disk matches what is shown.
    pub fn save_state(&self) -> &SaveState {
        self.session.save_state()
    }

    /// The preferences.
    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    /// The name runs and ticks record: the one set in the preferences, else the OS
    /// login name.
    pub fn user(&self) -> Name {
        // In a team database: the name the database gives this user (`people`, else the role).
        if let Some(name) = self.session.database_user() {
            return Name::of(name).unwrap_or_default();
        }
        let name = self.prefs.user_name.clone().unwrap_or_else(Name::login_name);
        Name::of(&name).unwrap_or_default()
    }

    /// Set the name runs and ticks record (and close the window that asks for it).
    pub fn set_user_name(&mut self, name: &str) {
        self.prefs.user_name = Some(name.trim().to_owned());
        if matches!(self.popup, Some(dialogs::Popup::YourName { .. })) {
            self.popup = None;
        }
    }

    /// The view shown.
    pub fn view(&self) -> View {
        self.view
    }

    /// Show a view (as the navigation does).
    pub fn set_view(&mut self, view: View) {
        self.view = view;
    }

    /// Show file dialogs through `backend` (tests: a desktop without a dialog service).
    pub fn set_dialog_backend(&mut self, backend: dialogs::Backend) {
        self.dialog_backend = backend;
    }

    /// Open allowed links through `opener` (tests: record them instead).
    pub fn set_link_opener(&mut self, opener: fn(&str)) {
        self.link_opener = opener;
    }

    /// Whether the app is closing (the user confirmed, or nothing was at risk).
    pub fn quitting(&self) -> bool {
        self.quitting
    }

    /// Why the team database asked for last would not open, while the connect window
    /// asks again.
    pub fn connect_problem(&self) -> Option<&str> {
        match &self.popup {
            Some(dialogs::Popup::Connect { problem, .. }) => problem.as_deref(),
            _ => None,
        }
    }

    /// The message shown to the user, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Dismiss the message.
    pub fn dismiss_message(&mut self) {
        self.message = None;
    }

    /// The window title the app asks for.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The session (tests set its polling interval, file operations, load threshold).
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// The browser's state.
    pub fn browser(&self) -> &BrowserState {
        &self.views.browser
    }

    /// The browser's state, to change it (tests type into the search).
    pub fn browser_mut(&mut self) -> &mut BrowserState {
        &mut self.views.browser
    }

    /// The procedures the browser lists now, in its order (finishing a search under way).
    pub fn visible_procedures(&mut self) -> Vec<crate::model::ProcedureId> {
        match self.session.db() {
            Some(db) => self.views.browser.visible(db),
            None => Vec::new(),
        }
    }

    /// The runner's state.
    pub fn runner(&self) -> &RunnerState {
        &self.views.runner
    }

    /// The history's state.
    pub fn history(&self) -> &HistoryState {
        &self.views.history
    }

    /// The welcome screen's state.
    pub fn welcome(&self) -> &WelcomeState {
        &self.views.welcome
    }

    /// The editor's state.
    pub fn editor(&self) -> &EditorState {
        &self.views.editor
    }

    /// The versions view's state.
    pub fn versions(&self) -> &VersionsState {
        &self.views.versions
    }

    /// The analytics view's state.
    pub fn analytics(&self) -> &AnalyticsState {
        &self.views.analytics
    }

    /// The Today view's state (tests wait for its worker).
    pub fn today_mut(&mut self) -> &mut TodayState {
        &mut self.views.today
    }

    /// The Today view's state.
    pub fn today(&self) -> &TodayState {
        &self.views.today
    }

    /// The analytics view's state, to change it (tests wait for its worker).
    pub fn analytics_mut(&mut self) -> &mut AnalyticsState {
        &mut self.views.analytics
    }

    /// One frame of the whole window (also used by tests).
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll(&ctx);
        self.fonts_for_folder(&ctx);
        let mut cmds = Vec::new();
        // The window's close button, or the system asking the app to quit: the same
        // question as File → Quit while anything is unsaved.
        if ctx.input(|i| i.viewport().close_requested()) && !self.quitting {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            cmds.push(Command::Quit);
        }
        let now = crate::model::Timestamp::now();
        self.refresh_today(&ctx, now);
        self.shortcuts(ui, &mut cmds);
        cmds.extend(self.dropped_files(&ctx));
        self.prefs.zoom = ctx.zoom_factor();
        self.menu_bar(ui, &mut cmds);
        self.status_bar(ui, &mut cmds);
        if self.session.folder().is_some() {
            self.navigation(ui, &mut cmds);
        }
        let (view_before, message_before) = (self.view, self.message.clone());
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some((dir, progress)) = self.session.opening() {
                chrome::loading_ui(ui, dir, progress);
                return;
            }
            let loading = self.session.loading();
            let user = self.user();
            let views = &mut self.views;
            match self.session.folder() {
                None => {
                    let sample = bundled_sample();
                    welcome_ui(
                        ui,
                        &mut views.welcome,
                        &self.prefs.recent,
                        &self.prefs.recent_databases,
                        sample.as_deref(),
                        &mut cmds,
                    );
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
                        chrome::problems_banner(ui, folder, &mut self.show_problems);
                    }
                    let read_only = folder.read_only() || loading;
                    let db = &folder.db;
                    // Marked in the runner while they wait: offline, or refused (a tick
                    // on its way for a millisecond is not flashed).
                    let waiting = self.session.offline().is_some()
                        || matches!(self.session.save_state(), SaveState::Failed(_) | SaveState::Overtaken(_));
                    let unconfirmed = if self.view == View::Runner && waiting {
                        self.session.unconfirmed()
                    } else {
                        Default::default()
                    };
                    let mut cx = ViewCtx { db, now, read_only, user, cmds: &mut cmds, unconfirmed: &unconfirmed };
                    match self.view {
                        View::Today => today_ui(ui, db, &mut views.today, now, read_only, cx.cmds),
                        View::Procedures => browser_ui(ui, &mut cx, &mut views.browser),
                        View::InProgress => in_progress_ui(ui, db, now, cx.cmds),
                        View::History => history_ui(ui, db, &mut views.history, now, cx.cmds),
                        View::Runner => runner_ui(ui, &mut cx, &mut views.runner),
                        View::Editor => editor_ui(ui, db, &mut views.editor, now, read_only, cx.cmds),
                        View::Versions => versions_ui(ui, db, &mut views.versions, read_only, cx.cmds),
                        View::Labels => labels_ui(ui, db, &mut views.labels, read_only, cx.cmds),
                        View::Analytics => analytics_ui(ui, db, &mut views.analytics, now, cx.cmds),
                    }
                }
            }
        });
        self.popups(&ctx, &mut cmds);
        self.overtaken_window(&ctx, &mut cmds);
        self.open_links(&ctx);
        // Messages float over the page (they never push it down under the pointer).
        self.toast(&ctx, &mut cmds);
        self.apply_all(&ctx, cmds);
        // A message belongs to the view it was said in (one said on the way to the new
        // view stays).
        if self.view != view_before && self.message == message_before {
            self.message = None;
        }
        self.update_title(&ctx);
    }
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
