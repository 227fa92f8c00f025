//! The labels manager: every label with its usage; rename, recolor, delete, create.

use super::Command;
use super::widgets::{label_chip, label_color};
use crate::model::*;
use crate::store::Dataset;
use egui::Ui;
use std::collections::HashMap;

/// State of the labels manager.
#[derive(Debug, Default)]
pub struct LabelsState {
    /// Names being edited.
    names: HashMap<LabelId, String>,
    /// A delete waiting for confirmation.
    pub confirm_delete: Option<LabelId>,
    /// Name of a label to create.
    pub new_name: String,
    new_color: Option<egui::Color32>,
}

fn hex(c: egui::Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())
}

/// The labels manager.
pub fn labels_ui(ui: &mut Ui, db: &Dataset, state: &mut LabelsState, read_only: bool, cmds: &mut Vec<Command>) {
    ui.heading("Labels");
    ui.label(egui::RichText::new("A label's color is used everywhere it appears").weak());
    ui.add_space(6.0);
    egui::Grid::new("labels-grid").num_columns(4).striped(true).spacing([12.0, 6.0]).show(ui, |ui| {
        ui.strong("Label");
        ui.strong("Name");
        ui.strong("Used by");
        ui.strong("");
        ui.end_row();
        for l in db.labels.rows() {
            label_chip(ui, l);
            ui.horizontal(|ui| {
                let mut color = label_color(&l.color);
                if super::widgets::label_color_button(ui, &mut color, &format!("Color of {}", l.name)) && !read_only {
                    cmds.push(Command::RecolorLabel { label: l.id, color: hex(color) });
                }
                let name = state.names.entry(l.id).or_insert_with(|| l.name.clone());
                // A fixed size: inside the grid a text field would shrink to one letter (#19.8).
                let edit = ui.add_sized(
                    [180.0, ui.spacing().interact_size.y],
                    egui::TextEdit::singleline(name).hint_text(format!("Name of {}", l.name)),
                );
                let done = edit.lost_focus();
                if done && name.trim() != l.name && !read_only {
                    cmds.push(Command::RenameLabel { label: l.id, name: name.trim().to_owned() });
                }
                if !edit.has_focus() && !done && *name != l.name {
                    *name = l.name.clone();
                }
            });
            let n = db.procedures_with_label(l.id).len();
            ui.label(format!("{n} procedure{}", if n == 1 { "" } else { "s" }));
            let delete = ui.add_enabled(!read_only, egui::Button::new("Delete…").small());
            let name = format!("Delete label {}", l.name);
            delete.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, !read_only, &name));
            if delete.on_hover_text(format!("Delete label {}…", l.name)).clicked() {
                state.confirm_delete = Some(l.id);
            }
            ui.end_row();
        }
    });
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        let color = state.new_color.get_or_insert(egui::Color32::from_rgb(0x3c, 0xb4, 0x4b));
        ui.add(egui::TextEdit::singleline(&mut state.new_name).hint_text("New label name").desired_width(160.0));
        super::widgets::label_color_button(ui, color, "Color of the new label");
        let name = state.new_name.trim().to_owned();
        if ui.add_enabled(!name.is_empty() && !read_only, egui::Button::new("Create label")).clicked() {
            cmds.push(Command::CreateLabel { name, color: hex(*color), attach: false });
            state.new_name.clear();
        }
    });

    if let Some(id) = state.confirm_delete {
        let Some(l) = db.label(id) else {
            state.confirm_delete = None;
            return;
        };
        let n = db.procedures_with_label(id).len();
        let mut close = false;
        let resp = egui::Modal::new(egui::Id::unique("delete-label")).show(ui.ctx(), |ui| {
            ui.set_width(360.0);
            ui.heading(format!("Delete label \u{201c}{}\u{201d}?", l.name));
            ui.label(format!(
                "It is removed from {n} procedure{}. Their versions keep it in their history.",
                if n == 1 { "" } else { "s" }
            ));
            ui.horizontal(|ui| {
                if ui.button("Delete label").clicked() {
                    cmds.push(Command::DeleteLabel(id));
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        if close || resp.should_close() {
            state.confirm_delete = None;
        }
    }
}
