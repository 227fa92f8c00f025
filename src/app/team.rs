//! The window's parts for a team database that are not a view: the question asked when
//! the database refused a change because someone else changed the row first (issue #31).

use super::App;
use crate::session::Overtaken;
use crate::ui::Command;

/// The longest value shown whole in the table of differences.
const SHOWN_CHARS: usize = 60;

impl App {
    /// While a refused change awaits the choice: who changed what, the columns that
    /// differ (yours and theirs), Keep mine / Take theirs.
    pub(super) fn overtaken_window(&mut self, ctx: &egui::Context, cmds: &mut Vec<Command>) {
        let Some(over) = self.session.overtaken() else { return };
        egui::Window::new("Not saved: changed by someone else")
            .id(egui::Id::unique("overtaken"))
            .collapsible(true)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 48.0])
            .show(ctx, |ui| {
                ui.set_max_width(520.0);
                ui.label(over.message());
                ui.add_space(6.0);
                overtaken_fields(ui, over);
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    if ui
                        .button("Keep mine")
                        .on_hover_text("Write my change again, over theirs, as a new change")
                        .clicked()
                    {
                        cmds.push(Command::ResolveConflict { keep_mine: true });
                    }
                    if ui.button("Take theirs").on_hover_text("Drop my change and show theirs").clicked() {
                        cmds.push(Command::ResolveConflict { keep_mine: false });
                    }
                });
            });
    }
}

/// The columns in which yours and theirs differ, side by side.
pub(super) fn overtaken_fields(ui: &mut egui::Ui, over: &Overtaken) {
    if over.fields.is_empty() {
        ui.label("Their version is the same as yours in every column.");
        return;
    }
    egui::Grid::new("overtaken-fields").striped(true).num_columns(3).show(ui, |ui| {
        ui.strong("Column");
        ui.strong("Yours");
        ui.strong("Theirs");
        ui.end_row();
        for f in &over.fields {
            ui.label(f.column);
            ui.label(shown(f.mine.as_deref()));
            ui.label(shown(f.theirs.as_deref()));
            ui.end_row();
        }
    });
}

/// A value as the table shows it: cut when long, "(removed)" for a removed row, "(empty)".
fn shown(value: Option<&str>) -> String {
    match value {
        None => "(removed)".into(),
        Some("") => "(empty)".into(),
        Some(v) if v.chars().count() > SHOWN_CHARS => format!("{}…", v.chars().take(SHOWN_CHARS).collect::<String>()),
        Some(v) => v.into(),
    }
}

/// "Offline — 3 changes pending", in the status bar (the page does not move), with why
/// and what happens to them on hover.
pub(super) fn offline_ui(ui: &mut egui::Ui, why: &str, pending: usize) {
    let changes = match pending {
        0 => "nothing pending".to_owned(),
        1 => "1 change pending".to_owned(),
        n => format!("{n} changes pending"),
    };
    let visuals = ui.visuals();
    let (fill, text) = (visuals.warn_fg_color.gamma_multiply(0.25), visuals.strong_text_color());
    egui::Frame::new()
        .fill(fill)
        .corner_radius(3.0)
        .inner_margin(egui::Margin::symmetric(6, 1))
        .show(ui, |ui| ui.label(egui::RichText::new(format!("⚠ Offline — {changes}")).color(text).strong()))
        .response
        .on_hover_text(format!(
            "The database cannot be reached: {why}\nYour changes are kept on this computer and sent, in order, when it is back (tried again every few seconds). You can go on working, and quit: they are sent on the next start."
        ));
}
