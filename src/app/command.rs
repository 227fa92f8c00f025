//! Carrying out the views' commands, one function per area: folders, runs, procedures
//! and versions, labels, documents in and out, the window. Every change of data goes
//! through `ops` on the session ([`App::mutate`]); one command is one op.

use super::dialogs::{Export, Popup, Purpose};
use super::{App, platform};
use crate::model::*;
use crate::ops;
use crate::session::{SaveState, UndoTick};
use crate::store::{self, Dataset};
use crate::ui::editor::EditorState;
use crate::ui::runner::RunnerState;
use crate::ui::versions::VersionsState;
use crate::ui::{Command, View};

impl App {
    /// Apply commands from the views, then hand what changed to the writer.
    pub fn apply_all(&mut self, ctx: &egui::Context, cmds: Vec<Command>) {
        for c in cmds {
            self.apply(ctx, c);
        }
        self.session.submit_changes();
    }

    /// Carry out one command.
    pub fn apply(&mut self, ctx: &egui::Context, cmd: Command) {
        // Leaving the editor with unsaved changes asks Save / Discard / Cancel first.
        if cmd.leaves_the_view() && self.view == View::Editor && self.views.editor.is_dirty() && self.db().is_some() {
            self.views.editor.leave_to =
                Some(if cmd == Command::CloseEditor { Command::Show(View::Procedures) } else { cmd });
            return;
        }
        let now = Timestamp::now();
        match cmd {
            Command::OpenFolder(_)
            | Command::AskDatabase(_)
            | Command::OpenDatabase(_)
            | Command::NewFolder(_)
            | Command::PickFolder
            | Command::PickNewFolder
            | Command::ShowBackups
            | Command::RestoreBackup(_)
            | Command::ResolveConflict { .. }
            | Command::RetryLock
            | Command::RetrySave => self.folder_command(ctx, cmd),
            Command::StartRun(_)
            | Command::StartScheduled { .. }
            | Command::OpenRun(_)
            | Command::ShowInHistory(_)
            | Command::SetStep { .. }
            | Command::RecordValue { .. }
            | Command::SetRunTitle { .. }
            | Command::Undo
            | Command::StepNote { .. }
            | Command::RunNote { .. }
            | Command::FinishRun { .. } => self.run_command(cmd, now),
            Command::NewProcedure
            | Command::EditProcedure(_)
            | Command::CloseEditor
            | Command::SaveProcedure { .. }
            | Command::DuplicateProcedure(_)
            | Command::DeleteProcedure(_)
            | Command::ShowVersions(_)
            | Command::ShowDiff { .. }
            | Command::RestoreVersion { .. } => self.procedure_command(cmd, now),
            Command::CreateLabel { .. }
            | Command::RenameLabel { .. }
            | Command::RecolorLabel { .. }
            | Command::DeleteLabel(_) => self.label_command(cmd),
            Command::ExportText { .. }
            | Command::ExportPng { .. }
            | Command::ImportChecklist
            | Command::ImportChecklistFrom(_)
            | Command::AddStepsFrom(_)
            | Command::PrintProcedure(_)
            | Command::PrintRun(_) => self.document_command(ctx, cmd),
            Command::Show(view) => {
                // Shown anew, Today puts the keyboard on its first row (Enter starts it).
                self.views.today.focus_first = view == View::Today && self.view != View::Today;
                self.view = view;
                if view != View::Runner {
                    self.prefs.last_view = view;
                }
            }
            // F1 again closes it.
            Command::ShowShortcuts => {
                self.popup = if matches!(self.popup, Some(Popup::Shortcuts)) { None } else { Some(Popup::Shortcuts) };
            }
            Command::AskName => self.popup = Some(Popup::YourName { text: self.user().as_str().to_owned() }),
            Command::DismissMessage => self.message = None,
            Command::SetTheme(theme) => {
                self.prefs.theme = theme;
                platform::apply_theme(ctx, theme);
            }
            Command::Quit => self.quit(ctx),
        }
    }

    /// Close the window, unless something would be lost: the editor asks Save / Discard
    /// / Cancel; typed text not yet entered, or a save that failed, asks Quit anyway /
    /// Cancel.
    fn quit(&mut self, ctx: &egui::Context) {
        if self.views.editor.is_dirty() && self.db().is_some() {
            self.view = View::Editor;
            self.views.editor.leave_to = Some(Command::Quit);
            return;
        }
        if let Some(what) = self.at_risk() {
            self.popup = Some(Popup::Quit { what });
            return;
        }
        self.quitting = true;
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    /// What quitting now would lose (besides the editor's draft), in words.
    pub(super) fn at_risk(&self) -> Option<String> {
        let folder = self.folder()?;
        if self.view == View::Runner
            && let Some(what) = self.views.runner.typing(&folder.db, self.user())
        {
            return Some(format!("You have typed {what} that is not entered yet."));
        }
        match self.save_state() {
            SaveState::Failed(e) if self.session.keeps_pending() => Some(format!(
                "Some changes were not taken by the database ({e}); they are kept on this computer and sent again on the next start."
            )),
            SaveState::Failed(e) => Some(format!("Some changes could not be saved ({e}); they are only in memory.")),
            SaveState::Overtaken(why) => {
                Some(format!("A change of yours was not saved: {why}. Take theirs or Keep mine decides."))
            }
            SaveState::Conflict(file) => Some(format!(
                "{file} was changed outside the app and your changes to it are not written yet (Keep mine or Reload decides)."
            )),
            SaveState::Saved | SaveState::Saving => None,
        }
    }

    /// Run an op on the open folder; reports refusals to the user.
    pub(super) fn mutate<T>(
        &mut self,
        op: impl FnOnce(&mut Dataset) -> Result<ops::Done<T>, ops::OpError>,
    ) -> Option<T> {
        match self.session.mutate(op) {
            // A refusal said earlier is no longer what is true.
            Ok(value) => {
                self.message = None;
                value
            }
            Err(why) => {
                self.message = Some(why);
                None
            }
        }
    }

    fn folder_command(&mut self, ctx: &egui::Context, cmd: Command) {
        match cmd {
            Command::OpenFolder(dir) => self.open_folder(&dir),
            Command::AskDatabase(url) => {
                self.popup =
                    Some(Popup::Connect { url: url.unwrap_or_default(), password: String::new(), problem: None });
            }
            Command::OpenDatabase(url) => self.open_database(&url),
            Command::NewFolder(dir) => match store::create_empty(&dir) {
                Ok(()) => self.open_folder(&dir),
                Err(e) => self.message = Some(format!("Cannot create the folder: {e}")),
            },
            Command::PickFolder => self.ask(ctx, Purpose::OpenFolder),
            Command::PickNewFolder => self.ask(ctx, Purpose::NewFolder),
            Command::ShowBackups if self.session.folder().is_some() => {
                self.popup = Some(Popup::Backups { names: self.session.backups(), confirm: None });
            }
            Command::RestoreBackup(name) => {
                let events = self.session.restore_backup(&name);
                self.handle_events(events);
                self.popup = None;
            }
            Command::ResolveConflict { keep_mine } => self.session.resolve_conflict(keep_mine),
            Command::RetryLock => self.session.retry_lock(),
            Command::RetrySave => self.session.clear_save_error(),
            _ => {}
        }
    }

    fn run_command(&mut self, cmd: Command, now: Timestamp) {
        match cmd {
            Command::StartRun(pid) => {
                let start = ops::RunStart { by: self.user(), ..ops::RunStart::default() };
                if let Some(run) = self.mutate(|db| ops::start_run_with(db, pid, now, &start)) {
                    self.session.undo_mut().clear();
                    self.open_run(run);
                }
            }
            Command::StartScheduled { procedure, at } => {
                let start = ops::RunStart { by: self.user(), scheduled_for: Some(at), ..ops::RunStart::default() };
                if let Some(run) = self.mutate(|db| ops::start_run_with(db, procedure, now, &start)) {
                    self.session.undo_mut().clear();
                    self.open_run(run);
                }
            }
            Command::OpenRun(run) => self.open_run(run),
            Command::ShowInHistory(run) => {
                self.views.history.selected = Some(run);
                self.views.history.reveal = crate::ui::history::Reveal::Centred;
                self.view = View::History;
            }
            Command::SetStep { run_step, completed } => {
                let Some(before) = self.db().and_then(|db| db.run_step(run_step)).map(UndoTick::of) else { return };
                let by = self.user();
                if self.mutate(|db| ops::set_step_completed_by(db, run_step, completed, now, by)).is_some() {
                    self.session.undo_mut().push(before);
                }
            }
            Command::RecordValue { run_step, value } => {
                let Some(before) = self.db().and_then(|db| db.run_step(run_step)).map(UndoTick::of) else { return };
                let by = self.user();
                if self.mutate(|db| ops::record_value(db, run_step, &value, now, by)).is_some() {
                    self.session.undo_mut().push(before);
                }
            }
            Command::SetRunTitle { run, title } => {
                let _ = self.mutate(|db| ops::set_run_title(db, run, &title));
            }
            Command::Undo => {
                let Some(u) = self.session.undo_mut().pop() else {
                    self.message = Some("Nothing to undo".into());
                    return;
                };
                let restored = self.mutate(|db| {
                    ops::restore_run_step(db, u.run_step, u.completed, u.completed_at, &u.value, u.completed_by)
                });
                // The undone step is where the user goes on (#19.10): Space ticks it next.
                if restored.is_some() {
                    self.views.runner.focus_step(u.run_step);
                }
            }
            Command::StepNote { run_step, note } => {
                let _ = self.mutate(|db| ops::set_step_note(db, run_step, &note));
            }
            Command::RunNote { run, note } => {
                let _ = self.mutate(|db| ops::set_run_note(db, run, &note));
            }
            Command::FinishRun { run, status, reason } => {
                let done = self.mutate(|db| ops::finish_run_saying(db, run, status, &reason, now));
                if done.is_some() {
                    self.session.undo_mut().clear();
                    self.views.history.selected = Some(run);
                    self.views.history.reveal = crate::ui::history::Reveal::Centred;
                    self.view = View::History;
                }
            }
            _ => {}
        }
    }

    fn open_run(&mut self, run: RunId) {
        let Some(db) = self.db() else { return };
        if db.run(run).is_none() {
            return;
        }
        let mut runner = RunnerState::default();
        runner.open(db, run);
        self.views.runner = runner;
        self.view = View::Runner;
    }

    fn procedure_command(&mut self, cmd: Command, now: Timestamp) {
        match cmd {
            Command::NewProcedure if self.folder().is_some_and(|f| f.read_only()) => {
                self.message = Some("This folder is open read-only: a new procedure cannot be saved here".into());
            }
            Command::NewProcedure if self.db().is_some() => {
                self.views.editor = EditorState::new_procedure();
                self.view = View::Editor;
            }
            Command::EditProcedure(pid) => {
                if let Some(editor) = self.db().and_then(|db| EditorState::edit(db, pid)) {
                    self.views.editor = editor;
                    self.view = View::Editor;
                }
            }
            Command::CloseEditor => {
                self.views.editor = EditorState::default();
                self.view = View::Procedures;
            }
            Command::SaveProcedure { target, draft, change, schedules } => {
                let saved = match (target, draft) {
                    (None, Some(draft)) => self.mutate(|db| ops::create_procedure(db, &draft, now)),
                    (Some(pid), Some(draft)) => {
                        self.mutate(|db| ops::update_procedure(db, pid, &draft, &change, now)).map(|_| pid)
                    }
                    (Some(pid), None) => Some(pid),
                    (None, None) => None,
                };
                // Schedules are saved with the procedure but are not part of its versions.
                let saved = match (saved, schedules) {
                    (Some(pid), Some(s)) => self.mutate(|db| ops::set_schedules(db, pid, &s)).map(|()| pid),
                    (saved, _) => saved,
                };
                if let Some(pid) = saved {
                    self.views.editor = EditorState::default();
                    self.views.browser.selected = Some(pid);
                    self.view = View::Procedures;
                }
            }
            Command::DuplicateProcedure(pid) => {
                if let Some(copy) = self.mutate(|db| ops::duplicate_procedure(db, pid, now)) {
                    self.views.browser.selected = Some(copy);
                }
            }
            Command::DeleteProcedure(pid) => {
                if let Some(impact) = self.mutate(|db| ops::delete_procedure(db, pid)) {
                    log::info!("deleted procedure {pid} with {} runs", impact.runs);
                    self.views.browser.selected = None;
                    let open_run = self.views.runner.run;
                    if open_run.is_some_and(|r| self.db().is_none_or(|db| db.run(r).is_none())) {
                        self.views.runner = RunnerState::default();
                    }
                    self.session.undo_mut().clear();
                }
            }
            Command::ShowVersions(pid) => {
                if let Some(db) = self.db() {
                    self.views.versions = VersionsState::of(db, pid);
                    self.view = View::Versions;
                }
            }
            Command::ShowDiff { procedure, from, to } => {
                self.views.versions = VersionsState {
                    procedure: Some(procedure),
                    shown: Some(to),
                    compare: Some((from, to)),
                    confirm_restore: None,
                };
                self.view = View::Versions;
            }
            Command::RestoreVersion { procedure, version } => {
                if let Some(v) = self.mutate(|db| ops::restore_version(db, procedure, version, now)) {
                    self.views.versions.shown = Some(v);
                    self.views.versions.compare = Some((version, v));
                }
            }
            _ => {}
        }
    }

    fn label_command(&mut self, cmd: Command) {
        match cmd {
            Command::CreateLabel { name, color, attach } => {
                if let Some(id) = self.mutate(|db| ops::create_label(db, &name, &color))
                    && attach
                {
                    self.views.editor.draft.labels.push(id);
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
                self.views.editor.draft.labels.retain(|l| *l != label);
            }
            _ => {}
        }
    }

    fn document_command(&mut self, ctx: &egui::Context, cmd: Command) {
        match cmd {
            Command::ExportText { suggested, contents } => {
                self.ask(ctx, Purpose::Export { suggested, export: Export::Csv(contents) });
            }
            Command::ExportPng { suggested, rect } => {
                self.ask(ctx, Purpose::Export { suggested, export: Export::Png(rect) });
            }
            Command::ImportChecklist => self.ask(ctx, Purpose::ImportChecklist),
            Command::ImportChecklistFrom(path) => match store::read_text(&path) {
                Ok(text) if self.db().is_some() => {
                    let fallback =
                        path.file_stem().map_or("Imported checklist".to_owned(), |s| s.to_string_lossy().into_owned());
                    let draft = crate::transfer::parse_checklist(&text, &fallback);
                    let mut editor = EditorState::new_procedure();
                    editor.draft.name = draft.name;
                    editor.draft.description = draft.description;
                    // What was parsed, as parsed: sections, kinds, options, conditions.
                    editor.add_steps(draft.steps);
                    self.views.editor = editor;
                    self.view = View::Editor;
                    self.message = Some(format!("Imported {}: check it and click Create procedure", path.display()));
                }
                Ok(_) => {}
                Err(e) => self.message = Some(format!("Cannot import: {e}")),
            },
            Command::AddStepsFrom(path) => match store::read_text(&path) {
                Ok(text) => {
                    let n = self.views.editor.add_pasted(&text);
                    self.message = Some(format!("Added {n} steps from {}", path.display()));
                }
                Err(e) => self.message = Some(format!("Cannot read the list: {e}")),
            },
            Command::PrintProcedure(pid) => {
                let Some(html) = self.db().and_then(|db| crate::transfer::procedure_html(db, pid)) else { return };
                self.print(ctx, &format!("procedure-{pid}.html"), &html);
            }
            Command::PrintRun(run) => {
                let Some(html) = self.db().and_then(|db| crate::transfer::run_report_html(db, run)) else { return };
                self.print(ctx, &format!("run-{run}.html"), &html);
            }
            _ => {}
        }
    }

    /// Write a printable page to the temporary folder and open it in the browser; the
    /// message says, once the system answered, whether it opened or where the page is.
    fn print(&mut self, ctx: &egui::Context, file: &str, html: &str) {
        let path = std::env::temp_dir().join(file);
        if let Err(e) = store::write_file(&path, html.as_bytes()) {
            self.message = Some(format!("Cannot write the print view: {e}"));
            return;
        }
        self.message = Some(format!("Opening the print view ({}) in your browser…", path.display()));
        let done = std::sync::Arc::clone(&self.export_done);
        let wake = ctx.clone();
        let shown = path.display().to_string();
        platform::open_with_system(&path, move |result| {
            let msg = match result {
                Ok(()) => format!("Opened the print view in your browser ({shown}); print it from there"),
                Err(why) => {
                    format!("No browser opened ({why}). The print view is at {shown}: open it in a browser to print")
                }
            };
            if let Ok(mut d) = done.lock() {
                *d = Some(msg);
            }
            wake.request_repaint();
        });
    }
}
