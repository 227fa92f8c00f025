//! The per-frame work that is not drawing: what the session did (a folder opened or
//! reloaded, a message), native dialogs that answered, a PNG export that finished, the
//! window title, global shortcuts and dropped files.

use super::dialogs::{Answer, Export, Pending, Popup, Purpose};
use super::{App, MAX_RECENT, Views, platform};
use crate::session::Event;
use crate::ui::actions::Action;
use crate::ui::browser::BrowserState;
use crate::ui::{Command, View};
use std::path::PathBuf;

impl App {
    pub(super) fn poll(&mut self, ctx: &egui::Context) {
        let events = self.session.poll(|after| ctx.request_repaint_after(after));
        self.handle_events(events);
        if let Some(answer) = self.dialog.as_ref().and_then(Pending::answer)
            && let Some(pending) = self.dialog.take()
        {
            match answer {
                Answer::Picked(path) => self.answered(ctx, pending.purpose, path),
                Answer::Cancelled => {}
                // No dialog service: the path is typed in the window instead.
                Answer::Failed(why) => {
                    let text = pending.purpose.default_path(self.prefs.last_folder.as_deref()).display().to_string();
                    self.popup =
                        Some(Popup::TypePath { purpose: pending.purpose, text, why: Some(why), problem: None });
                }
            }
        }
        if let Some(msg) = self.export_done.lock().ok().and_then(|mut d| d.take()) {
            self.message = Some(msg);
        }
    }

    /// Keep Today's agenda fresh (on its worker) and announce occurrences that became due
    /// or overdue since the last agenda (once each; the first agenda of a folder only
    /// learns what is already open: the window shows it).
    pub(super) fn refresh_today(&mut self, ctx: &egui::Context, now: crate::model::Timestamp) {
        let Some(folder) = self.session.folder() else { return };
        if self.session.opening().is_some() || !self.views.today.refresh(&folder.db, now, ctx) {
            return;
        }
        self.views.browser.set_due(&self.views.today.agenda.next_due);
        let first = !std::mem::replace(&mut self.agenda_seen, true);
        let agenda = &self.views.today.agenda;
        let mut news = Vec::new();
        for o in agenda.overdue.iter().chain(&agenda.due) {
            if self.notified.insert((o.schedule, o.at.wall_secs(), o.state)) && !first {
                let name = folder.db.procedure(o.procedure).map_or("", |p| p.name.as_str());
                let when = crate::ui::today::when_words(o.at, now);
                news.push(match o.state {
                    crate::analysis::schedule::State::Overdue => {
                        (format!("Overdue: {name}"), format!("It was due {when}."))
                    }
                    _ => (format!("Due now: {name}"), format!("Scheduled for {when}.")),
                });
            }
        }
        for (summary, body) in news {
            if self.prefs.notifications {
                platform::notify(&summary, &body);
            }
            self.notifications_sent.push(summary);
        }
    }

    /// Links clicked this frame (in descriptions): http, https and mailto open in the
    /// system's browser or mail program; every other scheme is refused with a message.
    /// They are taken from egui's output, so nothing else opens them.
    pub(super) fn open_links(&mut self, ctx: &egui::Context) {
        let urls: Vec<String> = ctx.output_mut(|o| {
            let mut urls = Vec::new();
            o.commands.retain(|c| match c {
                egui::OutputCommand::OpenUrl(open) => {
                    urls.push(open.url.clone());
                    false
                }
                _ => true,
            });
            urls
        });
        for url in urls {
            match platform::link_allowed(&url) {
                Ok(()) => (self.link_opener)(&url),
                Err(why) => self.message = Some(why),
            }
        }
    }

    /// Once per folder: when its procedures or steps have CJK text, the system's CJK
    /// fonts are added (they are big, so only then; looked at on the fonts thread).
    pub(super) fn fonts_for_folder(&mut self, ctx: &egui::Context) {
        let Some(f) = self.session.folder() else { return };
        if self.fonts_for.as_ref() == Some(&f.dir) {
            return;
        }
        self.fonts_for = Some(f.dir.clone());
        super::fonts::install_cjk_if_used(ctx, f.db.clone());
    }

    /// React to what the session did.
    pub(super) fn handle_events(&mut self, events: Vec<Event>) {
        for event in events {
            match event {
                Event::Opened { dir, prepared } => {
                    self.show_problems = true;
                    let browser = prepared.and_then(|p| p.downcast::<BrowserState>().ok());
                    // Every view starts afresh on the new folder (the welcome screen keeps its text).
                    let welcome = std::mem::take(&mut self.views.welcome);
                    self.views =
                        Views { browser: browser.map(|b| *b).unwrap_or_default(), welcome, ..Views::default() };
                    if matches!(self.view, View::Runner | View::Editor | View::Versions) {
                        self.view = View::Procedures;
                    }
                    // Today is the home screen of a folder that schedules anything.
                    if self.session.folder().is_some_and(|f| f.db.schedules.rows().iter().any(|s| s.active)) {
                        self.view = View::Today;
                    }
                    self.views.today.focus_first = self.view == View::Today;
                    self.notified.clear();
                    self.agenda_seen = false;
                    self.message = None;
                    self.connecting = None;
                    if let Some(shown) = self.session.database().map(str::to_owned) {
                        self.prefs.last_database = Some(shown.clone());
                        // A database is remembered without its password (it is not in `shown`).
                        self.prefs.recent_databases.retain(|d| d != &shown);
                        self.prefs.recent_databases.insert(0, shown);
                        self.prefs.recent_databases.truncate(MAX_RECENT);
                        continue;
                    }
                    self.prefs.last_database = None;
                    self.prefs.last_folder = Some(dir.clone());
                    self.prefs.recent.retain(|d| d != &dir);
                    self.prefs.recent.insert(0, dir);
                    self.prefs.recent.truncate(MAX_RECENT);
                }
                Event::Reloaded { prepared } => {
                    if let Some(b) = prepared.and_then(|p| p.downcast::<BrowserState>().ok()) {
                        self.views.browser.adopt_rows(*b);
                    }
                }
                Event::Message(msg) => self.message = Some(msg),
                Event::DatabaseRefused { shown, why } => {
                    // Asked again with the reason; the password field empty, the connection
                    // string as typed (without the password put in it).
                    let url = self.connecting.take().unwrap_or(shown);
                    self.popup = Some(Popup::Connect { url, password: String::new(), problem: Some(why) });
                }
            }
        }
    }

    /// Show a native dialog (on a thread); its answer comes in a later frame.
    pub(super) fn ask(&mut self, ctx: &egui::Context, purpose: Purpose) {
        self.dialog = Some(Pending::open(ctx, purpose, self.dialog_backend));
    }

    /// Carry out what a path was picked (or typed) for.
    pub(super) fn answered(&mut self, ctx: &egui::Context, purpose: Purpose, path: PathBuf) {
        match purpose {
            Purpose::OpenFolder => self.apply(ctx, Command::OpenFolder(path)),
            Purpose::NewFolder => self.apply(ctx, Command::NewFolder(path)),
            Purpose::ImportChecklist => self.apply(ctx, Command::ImportChecklistFrom(path)),
            Purpose::Export { export, .. } => self.export_to(ctx, path, export),
        }
    }

    /// Write an export to `path` (PNG: after a screenshot of the next frame).
    pub fn export_to(&mut self, ctx: &egui::Context, path: PathBuf, export: Export) {
        match export {
            Export::Csv(text) => {
                self.message = Some(match crate::store::write_file(&path, text.as_bytes()) {
                    Ok(()) => format!("Saved {}", path.display()),
                    Err(e) => format!("Could not save: {e}"),
                });
            }
            Export::Png(rect) => {
                let done = std::sync::Arc::clone(&self.export_done);
                let ppp = ctx.pixels_per_point();
                let wake = ctx.clone();
                ctx.request_screenshot(move |image: std::sync::Arc<egui::ColorImage>| {
                    let msg = match platform::crop_png(&image, rect, ppp)
                        .and_then(|png| crate::store::write_file(&path, &png).map_err(|e| e.to_string()))
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

    pub(super) fn update_title(&mut self, ctx: &egui::Context) {
        let title = match self.session.folder() {
            Some(f) if self.session.database().is_some() => {
                let shown = self.session.database().unwrap_or_default();
                // postgres://role@host:port/name → "name on host:port"
                let (rest, name) = shown.rsplit_once('/').unwrap_or((shown, ""));
                let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h).trim_start_matches("postgres://");
                let read_only = if f.read_only() { " (read-only)" } else { "" };
                format!("Procedures — {name} on {host} (team database){read_only}")
            }
            Some(f) => {
                let name =
                    f.dir.file_name().map_or_else(|| f.dir.display().to_string(), |n| n.to_string_lossy().into_owned());
                let read_only = if f.read_only() { " (read-only)" } else { "" };
                format!("Procedures — {name}{read_only}")
            }
            None => "Procedures".to_owned(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// The window's own shortcuts (the views handle theirs), from the actions table.
    pub(super) fn shortcuts(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        if self.session.folder().is_some() && ui.input_mut(|i| Action::NewProcedure.consume(i, false)) {
            cmds.push(Command::NewProcedure);
        }
        let typing = ui.ctx().egui_wants_keyboard_input();
        if ui.input_mut(|i| Action::ShowShortcuts.consume(i, typing)) {
            cmds.push(Command::ShowShortcuts);
        }
        if ui.input_mut(|i| Action::Quit.consume(i, typing)) {
            cmds.push(Command::Quit);
        }
        const VIEWS: [View; 6] =
            [View::Today, View::Procedures, View::InProgress, View::History, View::Analytics, View::Labels];
        if self.session.folder().is_some()
            && let Some(n) = ui.input_mut(|i| Action::ShowView.consume_which(i, false))
        {
            cmds.push(Command::Show(VIEWS[n]));
        }
    }

    /// Folders dropped on the window open; Markdown or text files become steps (in the
    /// editor) or a new procedure (elsewhere).
    pub(super) fn dropped_files(&self, ctx: &egui::Context) -> Vec<Command> {
        let paths: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        paths
            .into_iter()
            .filter_map(|p| {
                if p.is_dir() {
                    return Some(Command::OpenFolder(p));
                }
                let ext = p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
                if !matches!(ext.as_str(), "md" | "markdown" | "txt") || self.session.folder().is_none() {
                    return None;
                }
                Some(if self.view == View::Editor { Command::AddStepsFrom(p) } else { Command::ImportChecklistFrom(p) })
            })
            .collect()
    }
}
