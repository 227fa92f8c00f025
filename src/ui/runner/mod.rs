//! The runner: one run, step by step, with a timestamp on every tick.
//!
//! Keys: Space/Enter tick or untick the focused step (the current one unless moved) or,
//! on a step that records a value, put the cursor in its field (Enter records it);
//! 1–9 choose an answer; ↑/↓ move the focus (sections and steps not needed are skipped),
//! N edits the focused step's note, Ctrl+Z undoes the last tick, Esc leaves (the run
//! stays in progress).

use super::actions::Action;
use super::widgets::status_text;
use super::{Command, View, ViewCtx};
use crate::model::*;
use crate::ops;
use crate::store::{Dataset, RunSheet};
use egui::{Key, RichText, Ui};

mod step;

use step::{start_text, step_row_ui};

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
    /// Set the run's title.
    Title {
        /// The text being edited.
        text: String,
    },
}

/// State of the runner.
#[derive(Debug, Default)]
pub struct RunnerState {
    /// The run shown.
    pub run: Option<RunId>,
    /// Index of the focused step among the steps shown (sections and steps not needed
    /// are not focusable).
    pub focus: usize,
    /// The note being edited: (run step, text).
    pub note_edit: Option<(RunStepId, String)>,
    /// The value being typed: (run step, text). Enter records it, Esc drops it.
    pub value_edit: Option<(RunStepId, String)>,
    /// An open dialog.
    pub modal: Option<RunnerModal>,
    /// A value just sent for this step: once it is recorded (the op may refuse it), the
    /// focus moves on to the next open step.
    advance_after: Option<(RunStepId, String)>,
    /// Move the focus to this step in the next frame (after an undo: the undone step).
    focus_on: Option<RunStepId>,
    /// The shown run's sheet, resolved once per run (its steps as its version had them);
    /// shared, so a frame holds it while it changes the rest of the state.
    sheet: std::sync::Arc<RunSheet>,
    sheet_of: Option<RunId>,
    scroll_to_focus: bool,
}

impl RunnerState {
    /// Put the focus on this step (of the run shown) in the next frame.
    pub fn focus_step(&mut self, rs: RunStepId) {
        self.focus_on = Some(rs);
    }

    /// Show a run, focusing its current step.
    pub fn open(&mut self, db: &Dataset, run: RunId) {
        *self = Self { run: Some(run), ..Self::default() };
        self.load_sheet(db);
        let rows = Rows::of(db, &self.sheet);
        self.focus = rows.current(db, &self.sheet).unwrap_or(0);
        self.scroll_to_focus = true;
    }

    /// What has been typed in the runner and not yet entered, in words ("a note on a
    /// step"), if anything: quitting asks before it is lost. A value the runner filled
    /// in itself (the user's name in a sign-off, today in a date) is not typing.
    pub fn typing(&self, db: &Dataset, user: Name) -> Option<&'static str> {
        let stored = |rs: RunStepId| db.run_step(rs);
        if let Some((rs, text)) = &self.note_edit
            && stored(*rs).is_some_and(|r| r.notes().trim() != text.trim())
        {
            return Some("a note on a step");
        }
        if let Some((rs, text)) = &self.value_edit
            && let Some(row) = stored(*rs)
        {
            let kind = db.step(row.step_id).map(|s| s.kind);
            let filled_in = match kind {
                Some(StepKind::Signoff) => text.trim() == user.as_str(),
                Some(StepKind::Date) => text.trim() == &Timestamp::now().canonical()[..10],
                _ => false,
            };
            if !text.trim().is_empty() && text.trim() != row.value() && !filled_in {
                return Some("a value typed in a step");
            }
        }
        let run = self.run.and_then(|r| db.run(r))?;
        match &self.modal {
            Some(RunnerModal::Notes { text }) if text.trim() != run.notes().trim() => Some("the run's notes"),
            Some(RunnerModal::Title { text }) if text.trim() != run.title().trim() => Some("the run's title"),
            Some(RunnerModal::Cancel { reason }) if !reason.trim().is_empty() => Some("the reason for cancelling"),
            _ => None,
        }
    }

    fn load_sheet(&mut self, db: &Dataset) {
        if self.sheet_of != self.run {
            self.sheet = std::sync::Arc::new(self.run.map(|r| RunSheet::of(db, r)).unwrap_or_default());
            self.sheet_of = self.run;
        }
    }
}

fn completed(db: &Dataset, rs: RunStepId) -> bool {
    db.run_step(rs).is_some_and(|r| r.completed)
}

/// The run's sheet as the runner shows it this frame, and whether it takes ticks.
struct Shown<'a> {
    sheet: &'a RunSheet,
    rows: &'a Rows,
    open: bool,
}

/// What the runner shows of a sheet now: the needed steps (sections as headings over
/// them), and how many are not needed.
struct Rows {
    /// Sheet item indices of the needed steps and sections, in order.
    shown: Vec<usize>,
    /// Sheet item indices of the needed steps (the focusable rows).
    steps: Vec<usize>,
    /// Steps not needed (their condition does not hold).
    hidden: usize,
}

impl Rows {
    fn of(db: &Dataset, sheet: &RunSheet) -> Self {
        let needed = sheet.needed(db);
        let shown: Vec<usize> = (0..sheet.items.len()).filter(|i| needed[*i]).collect();
        let steps: Vec<usize> = shown.iter().copied().filter(|i| sheet.items[*i].run_step.is_some()).collect();
        let hidden = (0..sheet.items.len()).filter(|i| !needed[*i] && sheet.items[*i].run_step.is_some()).count();
        Self { shown, steps, hidden }
    }

    fn run_step(&self, sheet: &RunSheet, row: usize) -> Option<RunStepId> {
        self.steps.get(row).and_then(|i| sheet.items[*i].run_step)
    }

    /// The first open step (a row index).
    fn current(&self, db: &Dataset, sheet: &RunSheet) -> Option<usize> {
        (0..self.steps.len()).find(|r| self.run_step(sheet, *r).is_some_and(|rs| !completed(db, rs)))
    }

    /// The open step to focus after step `row`: the next open one after it, else the
    /// first open one, else `row`.
    fn next_open(&self, db: &Dataset, sheet: &RunSheet, row: usize) -> usize {
        (row + 1..self.steps.len())
            .chain(0..row)
            .find(|r| self.run_step(sheet, *r).is_some_and(|rs| !completed(db, rs)))
            .unwrap_or(row)
    }
}

/// The runner view. `user` is the name a sign-off proposes.
pub fn runner_ui(ui: &mut Ui, cx: &mut ViewCtx<'_>, state: &mut RunnerState) {
    let (db, read_only, user) = (cx.db, cx.read_only, cx.user);
    let Some(run) = state.run.and_then(|r| db.run(r)) else {
        ui.label("No run selected. Start one from Procedures, or resume one from In progress.");
        return;
    };
    state.load_sheet(db);
    let run_id = run.id;
    let sheet = std::sync::Arc::clone(&state.sheet);
    let rows = Rows::of(db, &sheet);
    let n = rows.steps.len();
    let done = (0..n).filter(|r| rows.run_step(&sheet, *r).is_some_and(|rs| completed(db, rs))).count();
    let current = rows.current(db, &sheet);
    let open = run.status == RunStatus::InProgress && !read_only;
    if let Some((rs, value)) = state.advance_after.take()
        && db.run_step(rs).is_some_and(|r| r.completed && r.value() == value)
        && let Some(row) = (0..n).find(|r| rows.run_step(&sheet, *r) == Some(rs))
    {
        state.focus = rows.next_open(db, &sheet, row);
        state.scroll_to_focus = true;
    }
    if let Some(rs) = state.focus_on.take()
        && let Some(row) = (0..n).find(|r| rows.run_step(&sheet, *r) == Some(rs))
    {
        state.focus = row;
        state.scroll_to_focus = true;
    }
    state.focus = state.focus.min(n.saturating_sub(1));

    // Keyboard, before any widget can take the keys.
    let typing = ui.ctx().egui_wants_keyboard_input() || state.modal.is_some() || state.value_edit.is_some();
    if !typing {
        let (toggle, up, down, note, undo, esc, choose) = ui.input_mut(|i| {
            (
                Action::RunnerTick.consume(i, false),
                Action::RunnerUp.consume(i, false),
                Action::RunnerDown.consume(i, false),
                Action::RunnerNote.consume(i, false),
                Action::RunnerUndo.consume(i, false),
                Action::RunnerLeave.consume(i, false),
                Action::RunnerChoose.consume_which(i, false),
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
        let focused = rows.steps.get(state.focus).map(|i| &sheet.items[*i]);
        if let (Some(item), Some(rs)) = (focused, rows.run_step(&sheet, state.focus))
            && open
        {
            if toggle {
                match item.kind {
                    StepKind::Check => {
                        let now_done = !completed(db, rs);
                        cx.cmds.push(Command::SetStep { run_step: rs, completed: now_done });
                        if now_done {
                            state.focus = rows.next_open(db, &sheet, state.focus);
                            state.scroll_to_focus = true;
                        }
                    }
                    // A value is typed: Space or Enter puts the cursor in its field.
                    _ => state.value_edit = Some((rs, start_text(db, rs, item, user))),
                }
            }
            if let Some(k) = choose
                && let Some(answer) = item.options.choices().get(k)
            {
                cx.cmds.push(Command::RecordValue { run_step: rs, value: answer.label.clone() });
                state.advance_after = Some((rs, answer.label.clone()));
            }
        }
        if note && let Some(rs) = rows.run_step(&sheet, state.focus) {
            let text = db.run_step(rs).map(|r| r.notes().to_string()).unwrap_or_default();
            state.note_edit = Some((rs, text));
        }
        if undo && open {
            cx.cmds.push(Command::Undo);
        }
        if esc {
            cx.cmds.push(Command::Show(View::InProgress));
        }
    }

    let shown = Shown { sheet: &sheet, rows: &rows, open };
    header_ui(ui, cx, run, &shown, done, state);
    ui.separator();

    // Steps.
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        for &i in &rows.shown {
            let item = &sheet.items[i];
            let Some(rs_id) = item.run_step else {
                // A section: a heading over the steps after it, never ticked.
                ui.add_space(6.0);
                ui.label(RichText::new(ops::first_line(&item.text)).heading().strong());
                continue;
            };
            let Some(rs) = db.run_step(rs_id) else { continue };
            let Some(row) = rows.steps.iter().position(|s| *s == i) else { continue };
            let is_current = current == Some(row) && run.status == RunStatus::InProgress;
            let focused = state.focus == row;
            let visuals = ui.visuals();
            let fill =
                if is_current { visuals.selection.bg_fill.gamma_multiply(0.35) } else { egui::Color32::TRANSPARENT };
            let stroke =
                if focused { egui::Stroke::new(1.5, visuals.selection.stroke.color) } else { egui::Stroke::NONE };
            let frame = egui::Frame::new().fill(fill).stroke(stroke).corner_radius(4.0).inner_margin(6.0);
            let resp = frame
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    step_row_ui(ui, cx, &shown, state, item, rs, row);
                })
                .response;
            if focused && state.scroll_to_focus {
                resp.scroll_to_me(Some(egui::Align::Center));
                state.scroll_to_focus = false;
            }
        }
        if rows.hidden > 0 {
            let said = if rows.hidden == 1 {
                "1 step not needed: its condition does not hold".to_owned()
            } else {
                format!("{} steps not needed: their conditions do not hold", rows.hidden)
            };
            ui.label(RichText::new(said).weak());
        }
    });

    let open_steps = n - done;
    modal_ui(ui, state, run_id, open_steps, cx.cmds);

    if run.status == RunStatus::InProgress {
        // The elapsed time ticks: repaint once a second, only while it is shown.
        ui.ctx().request_repaint_after(std::time::Duration::from_secs(1));
    }
}

fn header_ui(ui: &mut Ui, cx: &mut ViewCtx<'_>, run: &Run, shown: &Shown<'_>, done: usize, state: &mut RunnerState) {
    let (db, now, read_only) = (cx.db, cx.now, cx.read_only);
    let (sheet, rows, open) = (shown.sheet, shown.rows, shown.open);
    let cmds = &mut *cx.cmds;
    let n = rows.steps.len();
    let run_id = run.id;
    let p = db.procedure(run.procedure_id);
    ui.horizontal(|ui| {
        // A long name is cut with an ellipsis (the whole name on hover), leaving room for
        // the version, status and who (#19.3).
        let name = p.map_or("(deleted procedure)", |p| p.name.as_str());
        ui.scope(|ui| {
            ui.set_max_width((ui.available_width() - 420.0).max(200.0));
            ui.add(egui::Label::new(RichText::new(name).heading()).truncate()).on_hover_text(name);
        });
        if !run.title().is_empty() {
            ui.scope(|ui| {
                ui.set_max_width(240.0);
                ui.add(egui::Label::new(RichText::new(format!("— {}", run.title())).heading().weak()).truncate())
                    .on_hover_text(run.title());
            });
        }
        if let Some(v) = run.procedure_version {
            ui.label(RichText::new(format!("version {v}")).weak());
        }
        ui.label(status_text(run.status));
        if !run.started_by.is_none() {
            ui.label(RichText::new(format!("started by {}", run.started_by)).weak());
        }
        if let Some(at) = run.scheduled_for() {
            ui.label(RichText::new(format!("for {}", crate::ui::today::when_words(at, now))).weak())
                .on_hover_text("The occurrence of its schedule it was started for");
        }
    });
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{done} / {n}")).strong());
        let frac = if n == 0 { 0.0 } else { done as f32 / n as f32 };
        ui.add(egui::ProgressBar::new(frac).desired_width(240.0).show_percentage());
        let end = run.end_time.unwrap_or(now);
        ui.label(format!("Elapsed {}", format_duration(end.elapsed_since(&run.start_time))));
        if run.status == RunStatus::InProgress {
            let open: Vec<usize> = rows
                .steps
                .iter()
                .copied()
                .filter(|i| sheet.items[*i].run_step.is_some_and(|rs| !completed(db, rs)))
                .collect();
            let left: u32 = open.iter().filter_map(|i| sheet.items[*i].estimated).sum();
            let unknown = open.iter().filter(|i| sheet.items[**i].estimated.is_none()).count();
            let plural = if unknown == 1 { "step has" } else { "steps have" };
            let said = match (left, unknown) {
                (_, 0) => format!("Estimated time left {}", format_duration(i64::from(left))),
                (0, n) => format!("Time left unknown ({n} open {plural} no estimate)"),
                (_, n) => format!(
                    "Estimated time left at least {} ({n} open {plural} no estimate)",
                    format_duration(i64::from(left))
                ),
            };
            ui.label(said);
        }
    });
    // Named by their first line, cut at 60 characters (a long step stays one mention).
    let short = |t: &str| {
        let line = ops::first_line(t);
        if line.chars().count() > 60 {
            format!("{}…", line.chars().take(59).collect::<String>())
        } else {
            line.to_owned()
        }
    };
    let missing: Vec<String> = sheet.missing(db).iter().map(|i| format!("“{}”", short(&i.text))).collect();
    ui.horizontal(|ui| {
        let complete = ui.add_enabled(open, egui::Button::new("✔ Complete run"));
        let complete = if missing.is_empty() {
            complete
        } else {
            complete.on_hover_text(format!("Needs a value first: {}", missing.join(", ")))
        };
        let complete_key = open && ui.input_mut(|i| Action::RunnerComplete.consume(i, true));
        if complete.clicked() || complete_key {
            if !missing.is_empty() || done >= n {
                // The op refuses while a required value is missing, naming the steps.
                cmds.push(Command::FinishRun { run: run_id, status: RunStatus::Completed, reason: String::new() });
            } else {
                state.modal = Some(RunnerModal::ConfirmComplete);
            }
        }
        if ui.add_enabled(open, egui::Button::new("Cancel run…")).clicked() {
            state.modal = Some(RunnerModal::Cancel { reason: String::new() });
        }
        if ui.add_enabled(!read_only, egui::Button::new("Run notes…")).clicked() {
            state.modal = Some(RunnerModal::Notes { text: run.notes().to_owned() });
        }
        if ui
            .add_enabled(!read_only, egui::Button::new("Title…"))
            .on_hover_text("What this run is about (web-01, Jane Doe)")
            .clicked()
        {
            state.modal = Some(RunnerModal::Title { text: run.title().to_owned() });
        }
        if ui
            .button("Back")
            .on_hover_text(format!(
                "Leave the runner ({}); the run stays in progress",
                Action::RunnerLeave.keys_short()
            ))
            .clicked()
        {
            cmds.push(Command::Show(View::InProgress));
        }
    });
    if !missing.is_empty() && open {
        ui.colored_label(ui.visuals().warn_fg_color, format!("Required before completing: {}", missing.join(", ")));
    }
    if !run.notes().is_empty() {
        ui.label(RichText::new(format!("Notes: {}", run.notes())).italics());
    }
    drift_notice(ui, db, run, cmds);
    ui.label(
        RichText::new(
            format!(
                "Keys: {} tick (or type a value) · {} choose an answer · {} move · {} note · {} undo · {} complete · {} back",
                Action::RunnerTick.keys_short(),
                Action::RunnerChoose.keys_short(),
                Action::RunnerUp.keys_short(),
                Action::RunnerNote.keys_short(),
                Action::RunnerUndo.keys_short(),
                Action::RunnerComplete.keys_short(),
                Action::RunnerLeave.keys_short(),
            ),
        )
        .weak()
        .small(),
    );
}

/// "Changed since your last run": this run executes a newer version than the
/// previous run of the same procedure, with a link to what changed.
fn drift_notice(ui: &mut Ui, db: &Dataset, run: &Run, cmds: &mut Vec<Command>) {
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
                // Enter in the reason confirms (#19).
                let enter = (edit.has_focus() || edit.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
                ui.horizontal(|ui| {
                    if ui.button("Cancel run").clicked() || enter {
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
            RunnerModal::Title { text } => {
                ui.heading("Run title");
                ui.label("What this run is about: a host, a person, a batch.");
                let edit = ui.add(egui::TextEdit::singleline(text).hint_text("web-01").desired_width(f32::INFINITY));
                if ui.memory(|m| m.focused().is_none()) {
                    edit.request_focus();
                }
                // Inside a modal the field keeps the focus on Enter.
                let enter = (edit.has_focus() || edit.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
                ui.horizontal(|ui| {
                    if ui.button("Save title").clicked() || enter {
                        cmds.push(Command::SetRunTitle { run, title: text.trim().to_owned() });
                        close = true;
                    }
                    if ui.button("Discard").clicked() {
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
