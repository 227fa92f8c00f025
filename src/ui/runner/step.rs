//! One step of a run in the runner: its tick or value control (answers as buttons, a
//! field with its unit and range, a flag at once), when and by whom it was ticked, and its
//! note.

use super::{RunnerState, Shown};
use crate::model::*;
use crate::ops;
use crate::store::{Dataset, SheetItem};
use crate::ui::actions::Action;
use crate::ui::widgets::{looks_plain, rich_text, time_text};
use crate::ui::{Command, ViewCtx};
use egui::{Key, RichText, Ui};

/// What a value field starts with: the value recorded, or for a sign-off the user's name,
/// for a date today.
pub(super) fn start_text(db: &Dataset, rs: RunStepId, item: &SheetItem, user: Name) -> String {
    let recorded = db.run_step(rs).map(|r| r.value().to_owned()).unwrap_or_default();
    if !recorded.is_empty() {
        return recorded;
    }
    match item.kind {
        StepKind::Signoff => user.as_str().to_owned(),
        StepKind::Date => Timestamp::now().canonical()[..10].to_owned(),
        _ => String::new(),
    }
}

/// One step: its tick or its value control, flag, time, note.
pub(super) fn step_row_ui(
    ui: &mut Ui,
    cx: &mut ViewCtx<'_>,
    shown: &Shown<'_>,
    state: &mut RunnerState,
    item: &SheetItem,
    rs: &RunStep,
    row: usize,
) {
    let (db, now, read_only, user) = (cx.db, cx.now, cx.read_only, cx.user);
    let (rows, sheet, open) = (shown.rows, shown.sheet, shown.open);
    let rs_id = rs.id;
    // Plain text is the tick's label; CommonMark (commands, links, code blocks) is
    // rendered beside a tick labelled by the step's number.
    let plain = looks_plain(&item.text);
    let label = if plain { format!("{}. {}", row + 1, item.text) } else { format!("{}.", row + 1) };
    ui.horizontal(|ui| {
        let mut checked = rs.completed;
        // The step's text wraps in the room the tick time and note button leave (#19.3):
        // a 2,000-character step stays on screen with its controls.
        let text_width = (ui.available_width() - 220.0).max(200.0);
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
        let wrap = |ui: &mut Ui| ui.set_max_width(text_width);
        if item.kind == StepKind::Check {
            let cb = ui.scope(|ui| {
                wrap(ui);
                ui.add_enabled(open, egui::Checkbox::new(&mut checked, label))
            });
            let cb = cb.inner;
            if cb.changed() {
                cx.cmds.push(Command::SetStep { run_step: rs_id, completed: checked });
                state.focus = if checked { rows.next_open(db, sheet, row) } else { row };
            }
        } else {
            // The tick of a value step is its value: clicking it opens the value's field.
            let mut text = RichText::new(label);
            if item.required && rs.value().is_empty() {
                text = text.strong();
            }
            let hover =
                if item.required { "Ticked by entering a value (required)" } else { "Ticked by entering a value" };
            let cb = ui
                .scope(|ui| {
                    wrap(ui);
                    ui.add_enabled(open, egui::Checkbox::new(&mut checked, text))
                })
                .inner
                .on_hover_text(hover);
            if cb.changed() && item.kind != StepKind::Choice {
                state.value_edit = Some((rs_id, start_text(db, rs_id, item, user)));
                state.focus = row;
            }
        }
        if !plain {
            ui.vertical(|ui| {
                ui.set_max_width(text_width - 40.0);
                rich_text(ui, ("step", rs_id.0), &item.text);
            });
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
            let editing = state.note_edit.as_ref().is_some_and(|(id, _)| *id == rs_id);
            if !read_only && !editing {
                let add = ui.small_button("📝").on_hover_text(format!(
                    "Write a note for step {} ({})",
                    row + 1,
                    Action::RunnerNote.keys_short()
                ));
                if add.clicked() {
                    state.note_edit = Some((rs_id, rs.notes().to_string()));
                    state.focus = row;
                }
            }
            if cx.unconfirmed.contains(&(crate::store::TableKind::RunSteps, crate::model::Row::key(rs))) {
                // Not on the server yet (offline, or on its way): it is kept on this
                // computer until it is.
                ui.label(RichText::new("⏳ not on the server yet").small().color(ui.visuals().warn_fg_color))
                    .on_hover_text("Kept on this computer; sent when the database has it");
            }
            if let Some(at) = rs.completed_at() {
                let by = if rs.completed_by.is_none() { String::new() } else { format!(" · {}", rs.completed_by) };
                ui.label(RichText::new(format!("✔ {}{by}", time_text(now, at))).weak());
            } else if let Some(e) = item.estimated {
                ui.label(RichText::new(format!("~{}", format_duration(i64::from(e)))).weak());
            }
        });
    });
    if let Some(condition) = &item.condition {
        let on = sheet.items.iter().find(|o| o.step == condition.step).map_or("", |o| ops::first_line(&o.text));
        ui.label(RichText::new(condition.words(on)).weak().small());
    }
    if item.kind.has_value() {
        value_ui(ui, cx, state, item, rs, row, open);
    }
    note_ui(ui, state, rs, read_only, cx.cmds);
}

/// The control of a step that records a value: answers as buttons for a choice, a field
/// (with the unit and range) for the others; a flag at once when the value is out of range.
fn value_ui(
    ui: &mut Ui,
    cx: &mut ViewCtx<'_>,
    state: &mut RunnerState,
    item: &SheetItem,
    rs: &RunStep,
    row: usize,
    open: bool,
) {
    let (db, user, cmds) = (cx.db, cx.user, &mut *cx.cmds);
    let rs_id = rs.id;
    ui.horizontal(|ui| {
        ui.add_space(24.0);
        match item.kind {
            StepKind::Choice => {
                for (k, answer) in item.options.choices().iter().enumerate() {
                    let chosen = rs.value().eq_ignore_ascii_case(&answer.label);
                    let text = if answer.flagged { format!("{} ⚑", answer.label) } else { answer.label.clone() };
                    let b = ui.add_enabled(open, egui::Button::selectable(chosen, text));
                    let b = if k < 9 { b.on_hover_text(format!("Key {}", k + 1)) } else { b };
                    if b.clicked() && !chosen {
                        cmds.push(Command::RecordValue { run_step: rs_id, value: answer.label.clone() });
                        state.focus = row;
                        state.advance_after = Some((rs_id, answer.label.clone()));
                    }
                }
            }
            _ => {
                let editing = state.value_edit.as_ref().is_some_and(|(id, _)| *id == rs_id);
                if editing && let Some((_, mut text)) = state.value_edit.take() {
                    let hint = match item.kind {
                        StepKind::Number => "a number".to_owned(),
                        StepKind::Date => "YYYY-MM-DD".to_owned(),
                        StepKind::Signoff => "your name".to_owned(),
                        _ => "what you found".to_owned(),
                    };
                    let edit = ui.add(egui::TextEdit::singleline(&mut text).hint_text(hint).desired_width(220.0));
                    if !edit.has_focus() && !edit.lost_focus() {
                        edit.request_focus();
                    }
                    unit_ui(ui, item);
                    let escape = ui.input(|i| i.key_pressed(Key::Escape));
                    if escape {
                        // Esc drops what was typed.
                    } else if edit.lost_focus() {
                        // Enter, Tab or a click elsewhere records it.
                        if text.trim() != rs.value() {
                            cmds.push(Command::RecordValue { run_step: rs_id, value: text.trim().to_owned() });
                        }
                        if !text.trim().is_empty() {
                            state.advance_after = Some((rs_id, canonical_value(item.kind, &item.options, &text)));
                        }
                    } else {
                        state.value_edit = Some((rs_id, text));
                    }
                } else {
                    let shown = if rs.value().is_empty() { "—".to_owned() } else { rs.value().to_owned() };
                    let verb = match (item.kind, rs.value().is_empty()) {
                        (StepKind::Signoff, true) => "Sign…",
                        (_, true) => "Enter…",
                        _ => "Change…",
                    };
                    ui.label(RichText::new(shown).strong().monospace());
                    unit_ui(ui, item);
                    if ui.add_enabled(open, egui::Button::new(verb).small()).clicked() {
                        state.value_edit = Some((rs_id, start_text(db, rs_id, item, user)));
                        state.focus = row;
                    }
                }
            }
        }
        if !rs.value().is_empty()
            && let Ok(Judged::Flagged(why)) = judge(item.kind, &item.options, rs.value())
        {
            ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {why}"));
        }
    });
}

/// The unit and the acceptable range of a number step, beside its value.
fn unit_ui(ui: &mut Ui, item: &SheetItem) {
    if let Some(spec) = item.options.number() {
        if !spec.unit.is_empty() {
            ui.label(&spec.unit);
        }
        let range = spec.range_words();
        if spec.min.is_some() || spec.max.is_some() {
            ui.label(RichText::new(format!("({range})")).weak());
        }
    }
}

fn note_ui(ui: &mut Ui, state: &mut RunnerState, rs: &RunStep, read_only: bool, cmds: &mut Vec<Command>) {
    let rs_id = rs.id;
    let editing = state.note_edit.as_ref().is_some_and(|(id, _)| *id == rs_id);
    if editing && let Some((_, mut note)) = state.note_edit.take() {
        ui.horizontal(|ui| {
            let edit = ui.add(
                egui::TextEdit::singleline(&mut note).hint_text("Note for this step").desired_width(f32::INFINITY),
            );
            if !edit.has_focus() && !edit.lost_focus() {
                edit.request_focus();
            }
            let escape = ui.input(|i| i.key_pressed(Key::Escape));
            if escape {
                // Esc throws the edit away.
            } else if edit.lost_focus() {
                // Enter, Tab or a click elsewhere keeps what was typed, like a form field.
                cmds.push(Command::StepNote { run_step: rs_id, note: note.trim().to_owned() });
            } else {
                state.note_edit = Some((rs_id, note));
            }
        });
    } else if !rs.notes().is_empty() {
        ui.horizontal(|ui| {
            ui.add_space(24.0);
            let text = RichText::new(format!("📝 {}", rs.notes())).italics();
            let l = ui.add(egui::Label::new(text).sense(egui::Sense::click()));
            if l.on_hover_text("Click to edit the note").clicked() && !read_only {
                state.note_edit = Some((rs_id, rs.notes().to_string()));
            }
        });
    }
}
