//! The procedure editor: name, description, labels, and steps (add, insert, delete,
//! duplicate, reorder by drag handle or Alt+Up/Down, durations typed as `90s`, `5m`,
//! `1h30m`, a box to paste a list of steps); per step what it asks (kind, options
//! checked as you type, required) and when it is needed ("only if", in words). Saving an existing procedure writes a new
//! version with an editable, automatically written change description.

use super::Command;
use super::actions::Action;
use super::schedules::{ScheduleForm, schedules_ui};
use super::widgets::label_toggle;
use crate::model::*;
use crate::ops::{self, ProcedureDraft, StepDraft};
use crate::store::Dataset;
use egui::{RichText, Ui};

mod steps;
mod theirs;

use steps::steps_ui;

/// State of the editor.
#[derive(Debug, Default)]
pub struct EditorState {
    /// The procedure edited (`None`: a new one).
    pub target: Option<ProcedureId>,
    /// Name, description, labels; steps' ids and texts (durations live in `durations`).
    pub draft: ProcedureDraft,
    original: ProcedureDraft,
    /// The typed duration of each step.
    pub durations: Vec<String>,
    /// A stable id per step row, so focus and drag follow a step when it moves.
    uids: Vec<u64>,
    next_uid: u64,
    /// The "paste steps" box.
    pub paste: String,
    /// Name of a label to create.
    pub new_label: String,
    new_label_color: egui::Color32,
    /// The step whose text was focused last.
    focus: Option<usize>,
    /// A step just added: its text field takes the keyboard focus (typing goes there).
    focus_new: Option<usize>,
    /// A new procedure: the Name field takes the keyboard focus.
    focus_name: bool,
    /// Saving was tried: the errors show even on an untouched new procedure.
    tried_save: bool,
    /// The change description being confirmed (save dialog open).
    pub save_dialog: Option<String>,
    /// A navigation waiting for Save / Discard / Cancel.
    pub leave_to: Option<Command>,
    /// When it is due (saved with the procedure; not part of its versions).
    pub schedules: Vec<ScheduleForm>,
    original_schedules: Vec<ScheduleForm>,
    /// What editing started from (an existing procedure), to tell when someone else
    /// saved it meanwhile.
    base: Option<theirs::Base>,
}

impl EditorState {
    /// A new, empty procedure.
    pub fn new_procedure() -> Self {
        let mut s = Self { new_label_color: egui::Color32::from_rgb(0x43, 0x63, 0xd8), ..Self::default() };
        s.push_step(StepDraft::default(), String::new());
        s.original = s.current();
        s.focus_name = true;
        s
    }

    /// Edit an existing procedure.
    pub fn edit(db: &Dataset, pid: ProcedureId) -> Option<Self> {
        let draft = ProcedureDraft::of(db, pid)?;
        let mut s =
            Self { target: Some(pid), new_label_color: egui::Color32::from_rgb(0x43, 0x63, 0xd8), ..Self::default() };
        s.draft = ProcedureDraft { steps: Vec::new(), ..draft.clone() };
        for st in draft.steps {
            let text = st.estimated_duration_secs.map(|d| format_duration(i64::from(d))).unwrap_or_default();
            s.push_step(st, text);
        }
        s.original = s.current();
        s.schedules = db.schedules_of(pid).map(ScheduleForm::of).collect();
        s.original_schedules = s.schedules.clone();
        s.base = theirs::Base::of(db, pid);
        Some(s)
    }

    fn push_step(&mut self, step: StepDraft, duration: String) {
        self.insert_step(self.draft.steps.len(), step, duration);
    }

    fn insert_step(&mut self, at: usize, step: StepDraft, duration: String) {
        let at = at.min(self.draft.steps.len());
        self.restructure(|s| {
            s.draft.steps.insert(at, step);
            s.durations.insert(at, duration);
            s.next_uid += 1;
            s.uids.insert(at, s.next_uid);
        });
    }

    fn remove_step(&mut self, at: usize) {
        if at < self.draft.steps.len() {
            self.restructure(|s| {
                s.draft.steps.remove(at);
                s.durations.remove(at);
                s.uids.remove(at);
            });
        }
    }

    /// Change the order or number of steps, keeping each "only if" on the same step (a
    /// condition names its step by position in the draft; positions move).
    fn restructure(&mut self, change: impl FnOnce(&mut Self)) {
        // Each condition's step by uid before, back to a position after.
        let targets: Vec<Option<u64>> =
            self.draft.steps.iter().map(|s| s.show_if.as_ref().and_then(|c| self.uids.get(c.on).copied())).collect();
        let owners: Vec<u64> = self.uids.clone();
        change(self);
        for (owner, target) in owners.iter().zip(targets) {
            let Some(i) = self.uids.iter().position(|u| u == owner) else { continue };
            let at = target.and_then(|t| self.uids.iter().position(|u| *u == t));
            match (at, &mut self.draft.steps[i].show_if) {
                (Some(at), Some(c)) => c.on = at,
                (None, c) => *c = None,
                _ => {}
            }
        }
    }

    /// Move step `from` to position `to`.
    pub fn move_step(&mut self, from: usize, to: usize) {
        let n = self.draft.steps.len();
        if from >= n || to >= n || from == to {
            return;
        }
        self.restructure(|st| {
            let s = st.draft.steps.remove(from);
            let d = st.durations.remove(from);
            let u = st.uids.remove(from);
            st.draft.steps.insert(to, s);
            st.durations.insert(to, d);
            st.uids.insert(to, u);
        });
        self.focus = Some(to);
    }

    /// Add steps from a pasted list.
    pub fn add_pasted(&mut self, text: &str) -> usize {
        self.add_steps(crate::transfer::parse_step_list(text))
    }

    /// Add steps as parsed (kinds, options, sections and conditions kept); returns how
    /// many.
    pub fn add_steps(&mut self, steps: Vec<ops::StepDraft>) -> usize {
        // An untouched empty first step is replaced.
        if self.draft.steps.len() == 1 && self.draft.steps[0].description.trim().is_empty() && !steps.is_empty() {
            self.remove_step(0);
        }
        let n = steps.len();
        for s in steps {
            let d = s.estimated_duration_secs.map(|d| format_duration(i64::from(d))).unwrap_or_default();
            self.push_step(s, d);
        }
        n
    }

    /// The draft with durations parsed (invalid durations count as none; see [`Self::problems`]).
    pub fn current(&self) -> ProcedureDraft {
        let mut d = self.draft.clone();
        for (s, text) in d.steps.iter_mut().zip(&self.durations) {
            s.estimated_duration_secs = parse_duration(text);
        }
        d.labels.sort();
        d.labels.dedup();
        d
    }

    /// Whether there are unsaved changes.
    pub fn is_dirty(&self) -> bool {
        self.procedure_dirty() || self.schedules != self.original_schedules
    }

    /// Whether the procedure itself changed (a new version), not only its schedules.
    pub fn procedure_dirty(&self) -> bool {
        self.current() != self.original
    }

    /// The schedules to save when they changed (all valid: see [`Self::problems`]).
    pub fn schedule_drafts(&self) -> Option<Vec<ops::ScheduleDraft>> {
        if self.schedules == self.original_schedules {
            return None;
        }
        self.schedules.iter().map(|f| f.draft().ok()).collect()
    }

    /// The command that saves what changed, with this change description.
    pub fn save_command(&self, change: String) -> Command {
        let draft = (self.target.is_none() || self.procedure_dirty()).then(|| self.current());
        Command::SaveProcedure { target: self.target, draft, change, schedules: self.schedule_drafts() }
    }

    /// Forget the changes (the editor then counts as saved).
    pub fn discard(&mut self) {
        self.original = self.current();
        self.original_schedules = self.schedules.clone();
    }

    /// Errors that block saving, and warnings that do not.
    pub fn problems(&self, db: &Dataset) -> (Vec<String>, Vec<String>) {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        // The draft's own rules, as the op applies them.
        errors.extend(ops::draft_problems(db, &self.draft).iter().map(ToString::to_string));
        let name = self.draft.name.trim();
        if !name.is_empty()
            && db.procedures.rows().iter().any(|p| Some(p.id) != self.target && p.name.eq_ignore_ascii_case(name))
        {
            warnings.push(format!("Another procedure is also named \u{201c}{name}\u{201d}"));
        }
        if self.draft.steps.is_empty() {
            warnings.push("The procedure has no steps yet, so it cannot be run".to_owned());
        }
        for (i, d) in self.durations.iter().enumerate() {
            if !d.trim().is_empty() && parse_duration(d).is_none() {
                errors.push(format!(
                    "Step {}: \u{201c}{}\u{201d} is not a duration like 90s, 5m or 1h30m",
                    i + 1,
                    d.trim()
                ));
            }
        }
        for (i, f) in self.schedules.iter().enumerate() {
            if let Err(e) = f.draft() {
                errors.push(format!("Schedule {}: {e}", i + 1));
            }
        }
        (errors, warnings)
    }
}

/// The editor view.
pub fn editor_ui(
    ui: &mut Ui,
    db: &Dataset,
    state: &mut EditorState,
    now: Timestamp,
    read_only: bool,
    cmds: &mut Vec<Command>,
) {
    // Alt+Up/Down move the focused step, before the text fields see the keys.
    let (up, down) =
        ui.input_mut(|i| (Action::EditorMoveUp.consume(i, false), Action::EditorMoveDown.consume(i, false)));
    if let Some(f) = state.focus {
        if up && f > 0 {
            state.move_step(f, f - 1);
        } else if down && f + 1 < state.draft.steps.len() {
            state.move_step(f, f + 1);
        }
    }

    let title = match state.target.and_then(|p| db.procedure(p)) {
        Some(p) => format!("Edit \u{201c}{}\u{201d} (version {})", p.name, p.version),
        None => "New procedure".to_owned(),
    };
    ui.heading(title);
    theirs::theirs_ui(ui, db, state);
    let (errors, warnings) = state.problems(db);

    // Save and Close stay in view below the form, however long it is.
    let save = ui.input_mut(|i| Action::EditorSave.consume(i, true));
    egui::Panel::bottom("editor-actions").show(ui, |ui| {
        ui.horizontal(|ui| {
            let can_save = errors.is_empty() && !read_only && (state.target.is_none() || state.is_dirty());
            let label = match state.target {
                Some(_) if state.procedure_dirty() || !state.is_dirty() => "Save new version…",
                Some(_) => "Save schedules",
                None => "Create procedure",
            };
            let why_not = if read_only {
                Some("This folder is open read-only".to_owned())
            } else {
                errors.first().map(|e| format!("Fix first: {e}"))
            };
            let button = ui.add_enabled(can_save, egui::Button::new(label));
            let button = match &why_not {
                Some(why) => button.on_disabled_hover_text(why),
                None => button.on_hover_text(Action::EditorSave.keys_text()),
            };
            if save && !can_save {
                state.tried_save = true;
            }
            if (button.clicked() || save) && can_save {
                match state.target {
                    Some(pid) if state.procedure_dirty() => {
                        state.save_dialog = Some(ops::draft_summary(db, pid, &state.current()));
                    }
                    // Only the schedules changed: no new version to describe.
                    Some(_) => cmds.push(state.save_command(String::new())),
                    None => cmds.push(state.save_command("created".into())),
                }
            }
            if ui.button("Close").clicked() {
                cmds.push(Command::CloseEditor);
            }
            if read_only {
                ui.colored_label(ui.visuals().warn_fg_color, "Read-only: nothing can be saved here");
            } else if state.is_dirty() {
                ui.label(RichText::new("Unsaved changes").weak());
            }
        });
    });
    // Each procedure opens at its top, not at the last one's scroll position.
    egui::ScrollArea::vertical().id_salt(("editor", state.target)).auto_shrink(false).show(ui, |ui| {
        egui::Grid::new("editor-head").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            let l = ui.label("Name");
            let name =
                ui.add(egui::TextEdit::singleline(&mut state.draft.name).desired_width(420.0)).labelled_by(l.id);
            if std::mem::take(&mut state.focus_name) {
                name.request_focus();
            }
            ui.end_row();
            let l = ui.label("Description");
            ui.add(egui::TextEdit::multiline(&mut state.draft.description).desired_rows(2).desired_width(420.0))
                .labelled_by(l.id)
                .on_hover_text("CommonMark: **bold**, `code`, [links](https://…), lists, ``` code blocks ```");
            ui.end_row();
            if !super::widgets::looks_plain(&state.draft.description) {
                ui.label(RichText::new("Preview").weak());
                ui.vertical(|ui| {
                    ui.set_max_width(420.0);
                    super::widgets::rich_text(ui, "editor-preview", &state.draft.description);
                });
                ui.end_row();
            }
            ui.label("Labels");
            ui.horizontal_wrapped(|ui| {
                for l in db.labels.rows() {
                    let on = state.draft.labels.contains(&l.id);
                    if label_toggle(ui, l, on) {
                        if on {
                            state.draft.labels.retain(|x| *x != l.id);
                        } else {
                            state.draft.labels.push(l.id);
                        }
                    }
                }
            });
            ui.end_row();
            ui.label("");
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut state.new_label).hint_text("New label").desired_width(140.0));
                super::widgets::label_color_button(ui, &mut state.new_label_color, "Color of the new label");
                let name = state.new_label.trim();
                if ui.add_enabled(!name.is_empty() && !read_only, egui::Button::new("Create label")).clicked() {
                    let c = state.new_label_color;
                    cmds.push(Command::CreateLabel {
                        name: name.to_owned(),
                        color: format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b()),
                        attach: true,
                    });
                    state.new_label.clear();
                }
            });
            ui.end_row();
        });

        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.strong(format!("Steps ({})", state.draft.steps.len()));
            ui.label(
                RichText::new("Drag ☰ or press Alt+Up/Down to reorder · durations like 90s, 5m, 1h30m").weak().small(),
            );
        });
        steps_ui(ui, state);
        if ui.button("➕ Add step").clicked() {
            state.push_step(StepDraft::default(), String::new());
            state.focus = Some(state.draft.steps.len() - 1);
            state.focus_new = state.focus;
        }

        ui.add_space(8.0);
        egui::CollapsingHeader::new("Paste steps").default_open(state.draft.steps.len() <= 1).show(ui, |ui| {
            ui.label(
                RichText::new(
                    "One step per line; - item, 1. item and [ ] item lists work; (5m) at the end sets the duration; ## Heading makes a section; ____ °C (0–5 °C), [Yes / No], ____-__-__ and Signed: ____ make value steps",
                )
                .weak(),
            );
            // A long paste scrolls in its box: the buttons below stay in reach (#19).
            egui::ScrollArea::vertical().id_salt("paste-box").max_height(240.0).show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut state.paste)
                        .hint_text("Paste a list of steps")
                        .desired_rows(4)
                        .desired_width(f32::INFINITY),
                );
            });
            if ui.add_enabled(!state.paste.trim().is_empty(), egui::Button::new("Add these steps")).clicked() {
                let text = std::mem::take(&mut state.paste);
                state.add_pasted(&text);
            }
        });

        ui.add_space(8.0);
        let n = state.schedules.len();
        egui::CollapsingHeader::new(format!("Schedule ({n})")).default_open(n > 0).show(ui, |ui| {
            ui.label(RichText::new("When it is due: Today lists it, and says when it is overdue or missed.").weak());
            schedules_ui(ui, &mut state.schedules, now, read_only);
        });

        ui.add_space(8.0);
        // A new, untouched procedure is not scolded: its errors show once it was touched
        // (or saving was tried).
        let touched = state.target.is_some() || state.is_dirty() || state.tried_save;
        for e in errors.iter().filter(|_| touched) {
            ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {e}"));
        }
        for w in &warnings {
            ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {w}"));
        }
    });
    save_dialog_ui(ui, db, state, cmds);
    leave_dialog_ui(ui, db, state, read_only, cmds);
}

fn save_dialog_ui(ui: &mut Ui, db: &Dataset, state: &mut EditorState, cmds: &mut Vec<Command>) {
    let Some(pid) = state.target else { return };
    let Some(change) = state.save_dialog.clone() else { return };
    let mut change = change;
    let next = db.procedure(pid).map_or(1, |p| p.version + 1);
    let mut close = false;
    let resp = egui::Modal::new(egui::Id::unique("editor-save")).show(ui.ctx(), |ui| {
        ui.set_width(420.0);
        ui.heading(format!("New version {next}"));
        if let Some(said) = theirs::overtaken(db, state) {
            ui.colored_label(ui.visuals().warn_fg_color, said);
        }
        ui.label("What changed (kept with the version):");
        ui.add(
            egui::TextEdit::multiline(&mut change)
                .desired_rows(2)
                .desired_width(f32::INFINITY)
                .hint_text("Change description"),
        );
        ui.horizontal(|ui| {
            if ui.button(format!("Save version {next}")).clicked() {
                cmds.push(state.save_command(change.trim().to_owned()));
                close = true;
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if close || resp.should_close() {
        state.save_dialog = None;
    } else {
        state.save_dialog = Some(change);
    }
}

fn leave_dialog_ui(ui: &mut Ui, db: &Dataset, state: &mut EditorState, read_only: bool, cmds: &mut Vec<Command>) {
    let Some(next) = state.leave_to.clone() else { return };
    let mut close = false;
    let resp = egui::Modal::new(egui::Id::unique("editor-leave")).show(ui.ctx(), |ui| {
        ui.set_width(380.0);
        ui.heading("Save your changes?");
        ui.label("This procedure has unsaved changes.");
        let (errors, _) = state.problems(db);
        // Only what can be done: a read-only folder cannot take them, a draft with
        // errors must be fixed first (the reason is said, not just a greyed button).
        if read_only {
            ui.label("This folder is open read-only, so they cannot be saved here.");
        } else if let Some(first) = errors.first() {
            ui.colored_label(ui.visuals().warn_fg_color, format!("Cannot save yet: {first}."));
        }
        ui.horizontal(|ui| {
            if !read_only && ui.add_enabled(errors.is_empty(), egui::Button::new("Save")).clicked() {
                let change = match state.target {
                    Some(pid) if state.procedure_dirty() => ops::draft_summary(db, pid, &state.current()),
                    Some(_) => String::new(),
                    None => "created".to_owned(),
                };
                cmds.push(state.save_command(change));
                cmds.push(next.clone());
                close = true;
            }
            if ui.button("Discard").clicked() {
                state.discard();
                cmds.push(next.clone());
                close = true;
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if close || resp.should_close() {
        state.leave_to = None;
    }
}
