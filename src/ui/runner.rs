//! The runner: one run, step by step, with a timestamp on every tick.
//!
//! Keys: Space/Enter tick or untick the focused step (the current one unless moved),
//! ↑/↓ move the focus, N edits the focused step's note, Ctrl+Z undoes the last
//! tick, Esc leaves (the run stays in progress).

use super::actions::Action;
use super::widgets::{status_text, time_text};
use super::{Command, View};
use crate::model::*;
use crate::store::Db;
use egui::{Key, RichText, Ui};

/// A dialog of the runner.
#[derive(Clone, Debug, PartialEq)]
pub enum RunnerModal {
    /// Complete although steps remain unticked?
    ConfirmComplete,
    /// Cancel the run, with an optional reason.
    Cancel {
        /// Why.
        reason: String,
    },
    /// Edit the run notes.
    Notes {
        /// The text being edited.
        text: String,
    },
}

/// State of the runner.
#[derive(Debug, Default)]
pub struct RunnerState {
    /// The run shown.
    pub run: Option<RunId>,
    /// Index of the focused step.
    pub focus: usize,
    /// The note being edited: (run step, text).
    pub note_edit: Option<(RunStepId, String)>,
    /// An open dialog.
    pub modal: Option<RunnerModal>,
    /// Step texts of the shown run, resolved once per run: (run step, text, estimate).
    steps: Vec<(RunStepId, String, Option<u32>)>,
    steps_of: Option<RunId>,
    scroll_to_focus: bool,
}

impl RunnerState {
    /// Show a run, focusing its current step.
    pub fn open(&mut self, db: &Db, run: RunId) {
        *self = Self { run: Some(run), ..Self::default() };
        self.load_steps(db);
        self.focus = current_step(db, &self.steps).unwrap_or(0);
        self.scroll_to_focus = true;
    }

    fn load_steps(&mut self, db: &Db) {
        if self.steps_of != self.run {
            self.steps = self.run.map(|r| db.run_step_texts(r)).unwrap_or_default();
            self.steps_of = self.run;
        }
    }
}

fn completed(db: &Db, rs: RunStepId) -> bool {
    db.run_step(rs).is_some_and(|r| r.completed)
}

/// The first unticked step.
fn current_step(db: &Db, steps: &[(RunStepId, String, Option<u32>)]) -> Option<usize> {
    steps.iter().position(|(rs, _, _)| !completed(db, *rs))
}

/// The open step to focus after ticking step `i`: the next open one after it, else the
/// first open one, else `i`.
fn next_open(db: &Db, steps: &[(RunStepId, String, Option<u32>)], i: usize) -> usize {
    (i + 1..steps.len()).chain(0..i).find(|j| !completed(db, steps[*j].0)).unwrap_or(i)
}

/// The runner view.
pub fn runner_ui(
    ui: &mut Ui,
    db: &Db,
    state: &mut RunnerState,
    now: Timestamp,
    read_only: bool,
    cmds: &mut Vec<Command>,
) {
    let Some(run) = state.run.and_then(|r| db.run(r)) else {
        ui.label("No run selected. Start one from Procedures, or resume one from In progress.");
        return;
    };
    state.load_steps(db);
    let run_id = run.id;
    let steps = std::mem::take(&mut state.steps);
    let n = steps.len();
    let done = steps.iter().filter(|(rs, _, _)| completed(db, *rs)).count();
    let current = current_step(db, &steps);
    let open = run.status == RunStatus::InProgress && !read_only;
    state.focus = state.focus.min(n.saturating_sub(1));

    // Keyboard, before any widget can take the keys.
    let typing = ui.ctx().egui_wants_keyboard_input() || state.modal.is_some();
    if !typing {
        let (toggle, up, down, note, undo, esc) = ui.input_mut(|i| {
            (
                Action::RunnerTick.consume(i, false),
                Action::RunnerUp.consume(i, false),
                Action::RunnerDown.consume(i, false),
                Action::RunnerNote.consume(i, false),
                Action::RunnerUndo.consume(i, false),
                Action::RunnerLeave.consume(i, false),
            )
        });
        if up && state.focus > 0 {
            state.focus -= 1;
            state.scroll_to_focus = true;
        }
        if down && state.focus + 1 < n {
            state.focus += 1;
            state.scroll_to_focus = true;
        }
        if toggle
            && open
            && let Some((rs, _, _)) = steps.get(state.focus)
        {
            let now_done = !completed(db, *rs);
            cmds.push(Command::SetStep { run_step: *rs, completed: now_done });
            if now_done {
                state.focus = next_open(db, &steps, state.focus);
                state.scroll_to_focus = true;
            }
        }
        if note && let Some((rs, _, _)) = steps.get(state.focus) {
            let text = db.run_step(*rs).map(|r| r.notes().to_string()).unwrap_or_default();
            state.note_edit = Some((*rs, text));
        }
        if undo && open {
            cmds.push(Command::Undo);
        }
        if esc {
            cmds.push(Command::Show(View::InProgress));
        }
    }

    // Header.
    let p = db.procedure(run.procedure_id);
    ui.horizontal(|ui| {
        ui.heading(p.map_or("(deleted procedure)", |p| p.name.as_str()));
        if let Some(v) = run.procedure_version {
            ui.label(RichText::new(format!("version {v}")).weak());
        }
        ui.label(status_text(run.status));
    });
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{done} / {n}")).strong());
        let frac = if n == 0 { 0.0 } else { done as f32 / n as f32 };
        ui.add(egui::ProgressBar::new(frac).desired_width(240.0).show_percentage());
        let end = run.end_time.unwrap_or(now);
        ui.label(format!("Elapsed {}", format_duration(end.elapsed_since(&run.start_time))));
        if run.status == RunStatus::InProgress {
            let left: u32 = steps.iter().filter(|(rs, _, _)| !completed(db, *rs)).filter_map(|(_, _, e)| *e).sum();
            ui.label(format!("Estimated time left {}", format_duration(i64::from(left))));
        }
    });
    ui.horizontal(|ui| {
        if ui.add_enabled(open, egui::Button::new("✔ Complete run")).clicked() {
            if done < n {
                state.modal = Some(RunnerModal::ConfirmComplete);
            } else {
                cmds.push(Command::FinishRun { run: run_id, status: RunStatus::Completed, reason: String::new() });
            }
        }
        if ui.add_enabled(open, egui::Button::new("Cancel run…")).clicked() {
            state.modal = Some(RunnerModal::Cancel { reason: String::new() });
        }
        if ui.add_enabled(!read_only, egui::Button::new("Run notes…")).clicked() {
            state.modal = Some(RunnerModal::Notes { text: run.notes().to_owned() });
        }
        if ui.button("Back").on_hover_text("Leave the runner (Esc); the run stays in progress").clicked() {
            cmds.push(Command::Show(View::InProgress));
        }
    });
    if !run.notes().is_empty() {
        ui.label(RichText::new(format!("Notes: {}", run.notes())).italics());
    }
    drift_notice(ui, db, run, cmds);
    ui.label(
        RichText::new("Keys: Space or Enter tick · Up/Down move · N note · Ctrl+Z undo · Esc back").weak().small(),
    );
    ui.separator();

    // Steps.
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        for (i, (rs_id, text, est)) in steps.iter().enumerate() {
            let Some(rs) = db.run_step(*rs_id) else { continue };
            let is_current = current == Some(i) && run.status == RunStatus::InProgress;
            let focused = state.focus == i;
            let visuals = ui.visuals();
            let fill =
                if is_current { visuals.selection.bg_fill.gamma_multiply(0.35) } else { egui::Color32::TRANSPARENT };
            let stroke =
                if focused { egui::Stroke::new(1.5, visuals.selection.stroke.color) } else { egui::Stroke::NONE };
            let frame = egui::Frame::new().fill(fill).stroke(stroke).corner_radius(4.0).inner_margin(6.0);
            let resp = frame
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        let mut checked = rs.completed;
                        let label = format!("{}. {}", i + 1, text);
                        let cb = ui.add_enabled(open, egui::Checkbox::new(&mut checked, label));
                        if cb.changed() {
                            cmds.push(Command::SetStep { run_step: *rs_id, completed: checked });
                            state.focus = if checked { next_open(db, &steps, i) } else { i };
                        }
                        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                            let editing = state.note_edit.as_ref().is_some_and(|(id, _)| id == rs_id);
                            if !read_only && !editing {
                                let add =
                                    ui.small_button("📝").on_hover_text(format!("Write a note for step {} (N)", i + 1));
                                if add.clicked() {
                                    state.note_edit = Some((*rs_id, rs.notes().to_string()));
                                    state.focus = i;
                                }
                            }
                            if let Some(at) = rs.completed_at {
                                ui.label(RichText::new(format!("✔ {}", time_text(now, at))).weak());
                            } else if let Some(e) = est {
                                ui.label(RichText::new(format!("~{}", format_duration(i64::from(*e)))).weak());
                            }
                        });
                    });
                    // Note.
                    let editing = state.note_edit.as_ref().is_some_and(|(id, _)| id == rs_id);
                    if editing && let Some((_, mut note)) = state.note_edit.take() {
                        ui.horizontal(|ui| {
                            let edit = ui.add(
                                egui::TextEdit::singleline(&mut note)
                                    .hint_text("Note for this step")
                                    .desired_width(f32::INFINITY),
                            );
                            if !edit.has_focus() && !edit.lost_focus() {
                                edit.request_focus();
                            }
                            let escape = ui.input(|i| i.key_pressed(Key::Escape));
                            if escape {
                                // Esc throws the edit away.
                            } else if edit.lost_focus() {
                                // Enter, Tab or a click elsewhere keeps what was typed, like a form field.
                                cmds.push(Command::StepNote { run_step: *rs_id, note: note.trim().to_owned() });
                            } else {
                                state.note_edit = Some((*rs_id, note));
                            }
                        });
                    } else if !rs.notes().is_empty() {
                        ui.horizontal(|ui| {
                            ui.add_space(24.0);
                            let text = RichText::new(format!("📝 {}", rs.notes())).italics();
                            let l = ui.add(egui::Label::new(text).sense(egui::Sense::click()));
                            if l.on_hover_text("Click to edit the note").clicked() && !read_only {
                                state.note_edit = Some((*rs_id, rs.notes().to_string()));
                            }
                        });
                    }
                })
                .response;
            if focused && state.scroll_to_focus {
                resp.scroll_to_me(Some(egui::Align::Center));
                state.scroll_to_focus = false;
            }
        }
    });
    state.steps = steps;

    modal_ui(ui, state, run_id, n - done, cmds);

    if run.status == RunStatus::InProgress {
        // The elapsed time ticks: repaint once a second, only while it is shown.
        ui.ctx().request_repaint_after(std::time::Duration::from_secs(1));
    }
}

/// "Changed since your last run": this run executes a newer version than the
/// previous run of the same procedure, with a link to what changed.
fn drift_notice(ui: &mut Ui, db: &Db, run: &Run, cmds: &mut Vec<Command>) {
    let Some(now_v) = run.procedure_version else { return };
    let previous = db
        .runs_of(run.procedure_id)
        .iter()
        .rev()
        .filter(|r| **r < run.id)
        .find_map(|r| db.run(*r).and_then(|r| r.procedure_version));
    let Some(before) = previous.filter(|v| *v < now_v) else { return };
    ui.horizontal(|ui| {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("⚠ Changed since your last run (that one ran version {before}, this is version {now_v})"),
        );
        if ui.link("See what changed").clicked() {
            cmds.push(Command::ShowDiff { procedure: run.procedure_id, from: before, to: now_v });
        }
    });
}

fn modal_ui(ui: &mut Ui, state: &mut RunnerState, run: RunId, open_steps: usize, cmds: &mut Vec<Command>) {
    let Some(modal) = &mut state.modal else { return };
    let mut close = false;
    let resp = egui::Modal::new(egui::Id::unique("runner-modal")).show(ui.ctx(), |ui| {
        ui.set_width(360.0);
        match modal {
            RunnerModal::ConfirmComplete => {
                ui.heading("Complete this run?");
                let s = if open_steps == 1 { "step is" } else { "steps are" };
                ui.label(format!("{open_steps} {s} not ticked. Complete the run anyway?"));
                ui.horizontal(|ui| {
                    if ui.button("Complete anyway").clicked() {
                        cmds.push(Command::FinishRun { run, status: RunStatus::Completed, reason: String::new() });
                        close = true;
                    }
                    if ui.button("Keep running").clicked() {
                        close = true;
                    }
                });
            }
            RunnerModal::Cancel { reason } => {
                ui.heading("Cancel this run?");
                ui.label("The run is kept in history as cancelled.");
                let edit = ui.add(
                    egui::TextEdit::singleline(reason).hint_text("Reason (optional)").desired_width(f32::INFINITY),
                );
                if ui.memory(|m| m.focused().is_none()) {
                    edit.request_focus();
                }
                ui.horizontal(|ui| {
                    if ui.button("Cancel run").clicked() {
                        cmds.push(Command::FinishRun {
                            run,
                            status: RunStatus::Cancelled,
                            reason: reason.trim().to_owned(),
                        });
                        close = true;
                    }
                    if ui.button("Keep running").clicked() {
                        close = true;
                    }
                });
            }
            RunnerModal::Notes { text } => {
                ui.heading("Run notes");
                let edit = ui
                    .add(egui::TextEdit::multiline(text).hint_text("Notes for this run").desired_width(f32::INFINITY));
                if ui.memory(|m| m.focused().is_none()) {
                    edit.request_focus();
                }
                ui.horizontal(|ui| {
                    if ui.button("Save notes").clicked() {
                        cmds.push(Command::RunNote { run, note: text.trim().to_owned() });
                        close = true;
                    }
                    if ui.button("Discard").clicked() {
                        close = true;
                    }
                });
            }
        }
    });
    if close || resp.should_close() {
        state.modal = None;
    }
}
