//! The window's chrome around the views: menu bar, navigation, status bar (which always
//! says whether changes are on disk), the progress of an open, the problems banner and
//! the popups.

use super::dialogs::Popup;
use super::{App, bundled_sample};
use crate::model::format_count;
use crate::session::{Folder, SaveState};
use crate::store::{self, Dataset};
use crate::ui::actions::Action;
use crate::ui::{Command, Theme, View};
use std::path::Path;

/// How long a message stays (unless dismissed first, or no longer true).
pub(super) const MESSAGE_SECONDS: f64 = 15.0;

impl App {
    pub(super) fn menu_bar(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                ui.menu_button("File", |ui| {
                    if ui.button("Open folder…").clicked() {
                        cmds.push(Command::PickFolder);
                    }
                    if ui.button("New folder…").clicked() {
                        cmds.push(Command::PickNewFolder);
                    }
                    if ui.button("Connect to a team database…").clicked() {
                        cmds.push(Command::AskDatabase(None));
                    }
                    // Only what can be done: a read-only folder takes no new procedure.
                    let writable = self.session.folder().is_some_and(|f| !f.read_only());
                    let why = "This folder is open read-only";
                    if ui
                        .add_enabled(writable, egui::Button::new(Action::NewProcedure.menu_text().unwrap_or_default()))
                        .on_disabled_hover_text(why)
                        .clicked()
                    {
                        cmds.push(Command::NewProcedure);
                    }
                    if ui
                        .add_enabled(writable, egui::Button::new("Import checklist…"))
                        .on_disabled_hover_text(why)
                        .clicked()
                    {
                        cmds.push(Command::ImportChecklist);
                    }
                    let folder = self.session.folder().is_some() && self.session.database().is_none();
                    if ui
                        .add_enabled(folder, egui::Button::new("Restore backup…"))
                        .on_disabled_hover_text("Backups are kept for a folder")
                        .clicked()
                    {
                        cmds.push(Command::ShowBackups);
                    }
                    if ui.button("Your name…").clicked() {
                        cmds.push(Command::AskName);
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
                        if !self.prefs.recent_databases.is_empty() {
                            ui.separator();
                            ui.label(egui::RichText::new("Team databases").weak());
                        }
                        for url in &self.prefs.recent_databases {
                            if ui.button(format!("🗄 {url}")).clicked() {
                                cmds.push(Command::AskDatabase(Some(url.clone())));
                            }
                        }
                    });
                    if let Some(sample) = bundled_sample()
                        && ui.button("Open the sample").clicked()
                    {
                        cmds.push(Command::OpenFolder(sample));
                    }
                    ui.separator();
                    if ui.button(Action::Quit.menu_text().unwrap_or_default()).clicked() {
                        cmds.push(Command::Quit);
                    }
                });
                ui.menu_button("View", |ui| {
                    for (label, view) in [
                        ("Today", View::Today),
                        ("Procedures", View::Procedures),
                        ("In progress", View::InProgress),
                        ("History", View::History),
                        ("Labels", View::Labels),
                        ("Analytics", View::Analytics),
                    ] {
                        if ui.add_enabled(self.session.folder().is_some(), egui::Button::new(label)).clicked() {
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
                    ui.separator();
                    // A preference of the app (eframe's storage), not of the folder.
                    ui.checkbox(&mut self.prefs.notifications, "Notifications")
                        .on_hover_text("A desktop notification when a scheduled procedure becomes due or overdue");
                });
                ui.menu_button("Help", |ui| {
                    if ui.button(Action::ShowShortcuts.menu_text().unwrap_or_default()).clicked() {
                        cmds.push(Command::ShowShortcuts);
                    }
                    if ui.button("About Procedures").clicked() {
                        self.popup = Some(Popup::About);
                    }
                });
            });
        });
    }

    /// The popup shown, if any: About, the shortcuts (from the actions table), backups.
    pub(super) fn popups(&mut self, ctx: &egui::Context, cmds: &mut Vec<Command>) {
        let mut open = true;
        // Esc closes the windows that only inform (About, the shortcuts).
        if matches!(self.popup, Some(Popup::About | Popup::Shortcuts))
            && ctx.input(|i| i.key_pressed(egui::Key::Escape))
        {
            self.popup = None;
            return;
        }
        match &mut self.popup {
            None => return,
            Some(Popup::About) => {
                egui::Window::new("About Procedures").open(&mut open).collapsible(false).resizable(false).show(
                    ctx,
                    |ui| {
                        ui.heading(format!("Procedures {}", env!("CARGO_PKG_VERSION")));
                        ui.label("Write a procedure once, run it step by step, see where the time goes.");
                        ui.label("Your data is plain CSV in the folder you open.");
                        match crate::logging::log_path() {
                            Some(p) => ui.label(format!("Log file: {}", p.display())),
                            None => ui.label("Log: standard error"),
                        };
                    },
                );
            }
            Some(Popup::Shortcuts) => {
                egui::Window::new("Keyboard shortcuts").open(&mut open).collapsible(false).resizable(false).show(
                    ctx,
                    |ui| {
                        egui::Grid::new("shortcuts").num_columns(2).striped(true).show(ui, |ui| {
                            for (keys, what) in Action::help_lines() {
                                ui.monospace(keys);
                                ui.label(what);
                                ui.end_row();
                            }
                        });
                    },
                );
            }
            Some(Popup::YourName { .. }) if self.session.database_user().is_some() => {
                // In a team database the name is the database's (`people`, else the role).
                let name = self.session.database_user().unwrap_or_default().to_owned();
                let modal = egui::Modal::new(egui::Id::unique("your-name")).show(ctx, |ui| {
                    ui.set_width(360.0);
                    ui.heading("Your name");
                    ui.label(format!(
                        "In this team database, runs and ticks record the name the database gives you: {name}."
                    ));
                    ui.label(
                        egui::RichText::new("An administrator sets it in the database's people table.").weak().small(),
                    );
                    ui.button("OK").clicked()
                });
                if modal.should_close() || modal.inner {
                    open = false;
                }
            }
            Some(Popup::YourName { text }) => {
                let mut save = false;
                // A modal in the middle of the window: the question comes before the work.
                let modal = egui::Modal::new(egui::Id::unique("your-name")).show(ctx, |ui| {
                    ui.set_width(360.0);
                    ui.heading("Your name");
                    ui.label("Runs and ticks record who did them. What name should they record?");
                    let edit = ui
                        .horizontal(|ui| {
                            let label = ui.label("Your name:");
                            ui.add(egui::TextEdit::singleline(text).desired_width(220.0)).labelled_by(label.id)
                        })
                        .inner;
                    if ui.memory(|m| m.focused().is_none()) {
                        edit.request_focus();
                    }
                    // Enter saves (inside a modal the field keeps the focus on Enter).
                    let enter =
                        (edit.has_focus() || edit.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    ui.label(egui::RichText::new("Change it any time: File, Your name…").weak().small());
                    if ui.add_enabled(!text.trim().is_empty(), egui::Button::new("Save")).clicked()
                        || (enter && !text.trim().is_empty())
                    {
                        save = true;
                    }
                });
                if modal.should_close() {
                    open = false;
                }
                if save {
                    let name = text.clone();
                    self.set_user_name(&name);
                    open = false;
                }
            }
            Some(Popup::TypePath { purpose, text, why, problem }) => {
                match super::dialogs::type_path_ui(ctx, purpose, text, why.as_deref(), problem) {
                    super::dialogs::Typed::Open => {}
                    super::dialogs::Typed::Cancelled => open = false,
                    super::dialogs::Typed::Path(path) => {
                        let purpose = purpose.clone();
                        self.popup = None;
                        self.answered(ctx, purpose, path);
                        return;
                    }
                }
            }
            Some(Popup::Connect { url, password, problem }) => {
                match super::dialogs::connect_ui(ctx, url, password, problem) {
                    super::dialogs::Connecting::Open => {}
                    super::dialogs::Connecting::Cancelled => open = false,
                    super::dialogs::Connecting::Url(url) => {
                        self.popup = None;
                        self.open_database(&url);
                        return;
                    }
                }
            }
            Some(Popup::Quit { what }) => {
                let failed = matches!(self.session.save_state(), SaveState::Failed(_));
                let modal = egui::Modal::new(egui::Id::unique("quit-anyway")).show(ctx, |ui| {
                    ui.set_width(380.0);
                    ui.heading("Quit without it?");
                    ui.label(what.as_str());
                    ui.horizontal(|ui| {
                        if failed && ui.button("Retry saving").clicked() {
                            cmds.push(Command::RetrySave);
                            open = false;
                        }
                        if ui.button("Quit anyway").clicked() {
                            self.quitting = true;
                            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                            open = false;
                        }
                        if ui.button("Cancel").clicked() {
                            open = false;
                        }
                    });
                });
                if modal.should_close() {
                    open = false;
                }
            }
            Some(Popup::Backups { names, confirm }) => {
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
                        ui.label(format!(
                            "Replace the tables with the backup of {name}? The current state is backed up first."
                        ));
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
            }
        }
        if !open {
            self.popup = None;
        }
    }

    /// The message, floating above the status bar (it never moves the page), with a
    /// way to dismiss it; it goes by itself after [`MESSAGE_SECONDS`].
    pub(super) fn toast(&mut self, ctx: &egui::Context, cmds: &mut Vec<Command>) {
        let Some(text) = self.message.clone() else {
            self.message_shown = None;
            return;
        };
        let now = ctx.input(|i| i.time);
        let since = match &self.message_shown {
            Some((shown, since)) if *shown == text => *since,
            _ => {
                self.message_shown = Some((text.clone(), now));
                now
            }
        };
        if now - since > MESSAGE_SECONDS {
            self.message = None;
            self.message_shown = None;
            return;
        }
        ctx.request_repaint_after(std::time::Duration::from_secs_f64(MESSAGE_SECONDS - (now - since) + 0.05));
        egui::Area::new(egui::Id::unique("message-toast"))
            .order(egui::Order::Foreground)
            .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -40.0))
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.set_max_width(640.0);
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::Label::new(
                                egui::RichText::new(format!("⚠ {text}")).color(ui.visuals().warn_fg_color),
                            )
                            .wrap(),
                        );
                        if ui.small_button("Dismiss").clicked() {
                            cmds.push(Command::DismissMessage);
                        }
                    });
                });
            });
    }

    pub(super) fn navigation(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let in_progress = self.db().map_or(0, Dataset::in_progress_count);
        let has_run = self.views.runner.run.is_some();
        let agenda = &self.views.today.agenda;
        let (overdue, due) = (agenda.overdue.len(), agenda.due.len());
        egui::Panel::left("nav").resizable(false).exact_size(170.0).show(ui, |ui| {
            ui.add_space(6.0);
            let today = match overdue + due {
                0 => "📅 Today".to_owned(),
                n => format!("📅 Today ({n})"),
            };
            let text = if overdue > 0 && self.view != View::Today {
                egui::RichText::new(today).color(ui.visuals().error_fg_color)
            } else {
                egui::RichText::new(today)
            };
            if ui
                .selectable_label(self.view == View::Today, text)
                .on_hover_text(format!("{overdue} overdue, {due} due now"))
                .clicked()
            {
                cmds.push(Command::Show(View::Today));
            }
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
            let writable = self.session.folder().is_some_and(|f| !f.read_only());
            if ui
                .add_enabled(writable, egui::Button::new("➕ New procedure"))
                .on_hover_text(Action::NewProcedure.keys_text())
                .on_disabled_hover_text("This folder is open read-only: nothing can be added")
                .clicked()
            {
                cmds.push(Command::NewProcedure);
            }
        });
    }

    pub(super) fn status_bar(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.horizontal(|ui| {
                // The zoom, always in sight; a click goes back to 100 %.
                let zoom = ui.ctx().zoom_factor();
                if ui
                    .small_button(format!("{:.0} %", zoom * 100.0))
                    .on_hover_text("Zoom: Ctrl+Plus / Ctrl+Minus; click for 100 %")
                    .clicked()
                {
                    ui.ctx().set_zoom_factor(1.0);
                }
                ui.separator();
                // The save state first, at the right: it is never covered; the folder and
                // its counts take the room left, cut with an ellipsis (whole on hover).
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let Some(f) = self.session.folder() else {
                        let what = match self.session.opening() {
                            Some((place, _)) => format!("Opening {}…", place.display()),
                            None => "No folder open".to_owned(),
                        };
                        ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                            ui.label(what);
                        });
                        return;
                    };
                    self.save_state_ui(ui, f.read_only(), cmds);
                    if let Some(why) = self.session.live_problem().filter(|_| self.session.offline().is_none()) {
                        ui.colored_label(
                            ui.visuals().warn_fg_color,
                            "Others' changes are not coming in: connecting again…",
                        )
                        .on_hover_text(why);
                    }
                    let counts = format!(
                        "{} procedures · {} runs · {} in progress",
                        format_count(f.db.procedures.len() as u64),
                        format_count(f.db.runs.len() as u64),
                        format_count(f.db.in_progress_count() as u64)
                    );
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                        let place = match (self.session.database(), self.session.database_user()) {
                            (Some(db), Some(user)) => format!("🗄 {db} as {user}"),
                            _ => f.dir.display().to_string(),
                        };
                        ui.add(egui::Label::new(format!("{place}  ·  {counts}")).truncate());
                    });
                });
            });
        });
    }

    /// Saving…, All changes saved, or what went wrong with what to do (right to left).
    fn save_state_ui(&self, ui: &mut egui::Ui, read_only: bool, cmds: &mut Vec<Command>) {
        if self.session.loading() {
            ui.label("Reading the folder again (changed on disk)…");
            ui.spinner();
            return;
        }
        if read_only {
            ui.colored_label(ui.visuals().warn_fg_color, "Read-only");
            return;
        }
        let state = self.session.save_state();
        if let Some(why) = self.session.offline() {
            super::team::offline_ui(ui, why, self.session.pending_changes());
            if matches!(state, SaveState::Saved | SaveState::Saving) {
                return;
            }
        }
        match state {
            SaveState::Saved if self.views.editor.is_dirty() => {
                ui.colored_label(ui.visuals().warn_fg_color, "Unsaved changes in the editor")
                    .on_hover_text("Save them in the editor; quitting asks first");
            }
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
            SaveState::Overtaken(why) => {
                if ui.button("Keep mine").on_hover_text("Write my change again, over theirs, as a new change").clicked()
                {
                    cmds.push(Command::ResolveConflict { keep_mine: true });
                }
                if ui.button("Take theirs").on_hover_text("Drop my change and show theirs").clicked() {
                    cmds.push(Command::ResolveConflict { keep_mine: false });
                }
                // Short here (the folder and the zoom keep their room); all of it on hover.
                let over = self.session.overtaken();
                let short = over.map_or_else(|| why.clone(), |o| o.theirs.short());
                let label = ui.colored_label(ui.visuals().error_fg_color, format!("Not saved: {short}"));
                label.on_hover_ui(|ui| {
                    ui.label(why.as_str());
                    if let Some(over) = over {
                        super::team::overtaken_fields(ui, over);
                    }
                });
            }
            SaveState::Conflict(file) => {
                if ui.button("Keep mine").on_hover_text("Write my changes; their version is backed up first").clicked()
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
    }
}

/// Progress of a folder that loads in the background: bytes read per table.
pub(super) fn loading_ui(ui: &mut egui::Ui, dir: &Path, progress: &store::LoadProgress) {
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.heading(format!("Opening {}", dir.display()));
        ui.add_space(12.0);
        let total = progress.total_bytes().max(1);
        let read: u64 = store::TableKind::ALL.iter().map(|k| progress.table(*k).0).sum();
        // A team database counts rows received of the rows the server expects (an estimate).
        let rows = progress.rows.load(std::sync::atomic::Ordering::Relaxed);
        let text = if rows {
            format!("{} of about {} rows", format_count(read.min(total)), format_count(total))
        } else {
            format!("{:.0} of {:.0} MB", read as f64 / 1e6, total as f64 / 1e6)
        };
        ui.add(egui::ProgressBar::new((read as f32 / total as f32).min(1.0)).desired_width(420.0).text(text));
        ui.add_space(8.0);
        egui::Grid::new("load-progress").num_columns(2).show(ui, |ui| {
            for kind in store::TableKind::ALL {
                let (r, t) = progress.table(kind);
                if t == 0 {
                    continue;
                }
                ui.label(if rows { kind.file_name().trim_end_matches(".csv") } else { kind.file_name() });
                ui.add(egui::ProgressBar::new((r as f32 / t as f32).min(1.0)).desired_width(240.0));
                ui.end_row();
            }
        });
        if read >= total {
            ui.label(egui::RichText::new("Checking and indexing…").weak());
        }
    });
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
}

pub(super) fn problems_banner(ui: &mut egui::Ui, folder: &Folder, open: &mut bool) {
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
