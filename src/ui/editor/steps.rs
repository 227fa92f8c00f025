//! The editor's steps: each step's text, duration and buttons, reordering by drag or
//! Alt+Up/Down, and under each what it asks (kind, options, required) and when it is
//! needed ("only if").

use super::EditorState;
use crate::model::*;
use crate::ops::{self, StepDraft};
use egui::{RichText, Ui};

pub(super) fn steps_ui(ui: &mut Ui, state: &mut EditorState) {
    let valued = valued_steps(state);
    let mut action: Option<(usize, &'static str)> = None;
    let mut dropped: Option<(usize, usize)> = None;
    // While a step is dragged, the texts it passes over are not selected.
    if egui::DragAndDrop::has_any_payload(ui.ctx()) {
        ui.style_mut().interaction.selectable_labels = false;
    }
    for i in 0..state.draft.steps.len() {
        let uid = state.uids[i];
        let row = ui.horizontal(|ui| {
            let handle = ui
                .add(egui::Label::new(RichText::new("☰").size(16.0)).selectable(false).sense(egui::Sense::drag()))
                .on_hover_text("Drag to move this step");
            if handle.drag_started() {
                handle.dnd_set_drag_payload(i);
            }
            if handle.dragged() {
                ui.ctx().set_cursor_icon(egui::CursorIcon::Grabbing);
            }
            ui.label(format!("{:>2}.", i + 1));
            let text = ui.add(
                egui::TextEdit::multiline(&mut state.draft.steps[i].description)
                    .id(egui::Id::unique(("step-text", uid)))
                    .hint_text(format!("Step {} text", i + 1))
                    .desired_rows(1)
                    .desired_width((ui.available_width() - 260.0).max(160.0)),
            );
            if state.focus_new == Some(i) {
                text.request_focus();
                state.focus_new = None;
            }
            if text.has_focus() {
                state.focus = Some(i);
            }
            ui.add(
                egui::TextEdit::singleline(&mut state.durations[i])
                    .id(egui::Id::unique(("step-duration", uid)))
                    .hint_text("duration")
                    .desired_width(64.0),
            );
            if ui.small_button("⬆").on_hover_text("Move up (Alt+Up)").clicked() {
                action = Some((i, "up"));
            }
            if ui.small_button("⬇").on_hover_text("Move down (Alt+Down)").clicked() {
                action = Some((i, "down"));
            }
            if ui.small_button("➕").on_hover_text("Insert a step below").clicked() {
                action = Some((i, "insert"));
            }
            if ui.small_button("📑").on_hover_text("Duplicate this step").clicked() {
                action = Some((i, "duplicate"));
            }
            if ui.small_button("🗑").on_hover_text("Delete this step").clicked() {
                action = Some((i, "delete"));
            }
        });
        kind_row_ui(ui, state, &valued, i, uid);
        if let Some(from) = row.response.dnd_release_payload::<usize>() {
            dropped = Some((*from, i));
        }
        if let Some(from) = row.response.dnd_hover_payload::<usize>()
            && row.response.contains_pointer()
            && *from != i
        {
            let y = if *from < i { row.response.rect.bottom() } else { row.response.rect.top() };
            let stroke = egui::Stroke::new(2.0, ui.visuals().selection.stroke.color);
            ui.painter().hline(row.response.rect.x_range(), y, stroke);
        }
    }
    if let Some((from, to)) = dropped {
        state.move_step(from, to);
    }
    match action {
        Some((i, "up")) if i > 0 => state.move_step(i, i - 1),
        Some((i, "down")) => state.move_step(i, i + 1),
        Some((i, "insert")) => {
            state.insert_step(i + 1, StepDraft::default(), String::new());
            state.focus = Some(i + 1);
            state.focus_new = state.focus;
        }
        Some((i, "duplicate")) => {
            let copy = StepDraft { id: None, ..state.draft.steps[i].clone() };
            let d = state.durations[i].clone();
            state.insert_step(i + 1, copy, d);
        }
        Some((i, "delete")) => state.remove_step(i),
        _ => {}
    }
}

/// What a step asks (kind, options, required) and when it is needed ("only if"), under
/// its text; the condition in words.
/// The steps that record a value (the ones an "only if" can name): (position, "N. text",
/// kind, options), made once a frame.
type Valued = Vec<(usize, String, StepKind, Options)>;

fn valued_steps(state: &EditorState) -> Valued {
    state
        .draft
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind.has_value())
        .map(|(k, s)| {
            (
                k,
                format!("{}. {}", k + 1, ops::first_line(&s.description)),
                s.kind,
                Options::parse(s.kind, &s.options).unwrap_or_default(),
            )
        })
        .collect()
}

fn kind_row_ui(ui: &mut Ui, state: &mut EditorState, valued: &Valued, i: usize, uid: u64) {
    let earlier: Vec<&(usize, String, StepKind, Options)> = valued.iter().filter(|e| e.0 < i).collect();
    let step = &mut state.draft.steps[i];
    ui.horizontal_wrapped(|ui| {
        ui.add_space(44.0);
        let asks = ui.label(RichText::new("asks").weak().small());
        egui::ComboBox::from_id_salt(("step-kind", uid))
            .selected_text(step.kind.label())
            .width(92.0)
            .show_ui(ui, |ui| {
                for k in StepKind::ALL {
                    ui.selectable_value(&mut step.kind, k, k.label());
                }
            })
            .response
            .labelled_by(asks.id)
            .on_hover_text("What the runner asks at this step");
        match step.kind {
            StepKind::Number | StepKind::Choice => {
                let hint = if step.kind == StepKind::Number { "unit and range: °C 0..5" } else { "answers: Pass|!Fail|N/A" };
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut step.options)
                        .id(egui::Id::unique(("step-options", uid)))
                        .hint_text(hint)
                        .desired_width(180.0)
                        // Grows with the answers, never cuts them.
                        .clip_text(false),
                );
                edit.on_hover_text("A number: its unit and acceptable range (..120, 10..). A choice: its answers separated by |, a leading ! flags one");
                if let Err(e) = Options::parse(step.kind, &step.options) {
                    ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {e}"));
                }
            }
            _ => {}
        }
        if step.kind.has_value() {
            let mut required = step.required.unwrap_or(true);
            if ui.checkbox(&mut required, "Required").on_hover_text("The run cannot complete without a value here").changed() {
                step.required = (!required).then_some(false);
            }
        }
        if step.kind == StepKind::Section {
            return;
        }
        // "Only if": an earlier step with a value, an operator, a value.
        let current = step.show_if.as_ref().and_then(|c| earlier.iter().find(|e| e.0 == c.on));
        let text = current.map_or("always".to_owned(), |e| format!("only if {}", e.1));
        let needed = ui.label(RichText::new("needed").weak().small());
        let picker = egui::ComboBox::from_id_salt(("step-only-if", uid)).selected_text(text).width(150.0).show_ui(ui, |ui| {
            if ui.selectable_label(step.show_if.is_none(), "always").clicked() {
                step.show_if = None;
            }
            for (k, name, kind, options) in &earlier {
                let on = step.show_if.as_ref().is_some_and(|c| c.on == *k);
                if ui.selectable_label(on, format!("only if {name}")).clicked() {
                    let value = options.choices().first().map_or(String::new(), |o| o.label.clone());
                    let op = if *kind == StepKind::Number { Op::Gt } else { Op::Eq };
                    step.show_if = Some(ops::DraftCondition { on: *k, op, value });
                }
            }
        });
        picker.response.labelled_by(needed.id);
        if let Some(c) = &mut step.show_if
            && let Some((_, name, kind, options)) = earlier.iter().find(|e| e.0 == c.on)
        {
            egui::ComboBox::from_id_salt(("step-op", uid))
                .selected_text(c.op.words())
                .width(90.0)
                .show_ui(ui, |ui| {
                    for op in Op::ALL {
                        ui.selectable_value(&mut c.op, op, op.words());
                    }
                })
                .response
                .labelled_by(needed.id);
            if *kind == StepKind::Choice && c.op != Op::In {
                egui::ComboBox::from_id_salt(("step-if-value", uid))
                    .selected_text(c.value.clone())
                    .width(90.0)
                    .show_ui(ui, |ui| {
                        for o in options.choices() {
                            ui.selectable_value(&mut c.value, o.label.clone(), &o.label);
                        }
                    })
                    .response
                    .labelled_by(needed.id);
            } else {
                ui.add(
                    egui::TextEdit::singleline(&mut c.value)
                        .id(egui::Id::unique(("step-if-text", uid)))
                        .hint_text(if c.op == Op::In { "a|b" } else { "value" })
                        .desired_width(90.0)
                        .clip_text(false),
                );
            }
            let words = Condition { step: StepId(0), op: c.op, value: c.value.clone() }.words(name.split_once(". ").map_or(name.as_str(), |(_, t)| t));
            ui.label(RichText::new(words).italics().weak());
        }
    });
}
