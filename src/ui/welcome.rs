//! The welcome screen: open a folder, create one, open the sample, or connect to a team
//! database.

use super::Command;
use egui::Ui;
use std::path::{Path, PathBuf};

/// State of the welcome screen.
#[derive(Debug, Default)]
pub struct WelcomeState {
    /// The typed path (fallback for systems without a folder dialog).
    pub path: String,
}

/// The welcome screen.
pub fn welcome_ui(
    ui: &mut Ui,
    state: &mut WelcomeState,
    recent: &[PathBuf],
    recent_databases: &[String],
    sample: Option<&Path>,
    cmds: &mut Vec<Command>,
) {
    ui.vertical_centered(|ui| {
        ui.add_space(40.0);
        ui.heading(egui::RichText::new("Procedures").size(32.0));
        ui.label("Write a procedure once, run it step by step, see where the time goes.");
        ui.label(egui::RichText::new("Your data stays in plain CSV files in a folder you choose.").weak());
        ui.add_space(24.0);
        if ui.add(egui::Button::new("Open a folder…").min_size(egui::vec2(220.0, 32.0))).clicked() {
            cmds.push(Command::PickFolder);
        }
        if ui.add(egui::Button::new("Create a new folder…").min_size(egui::vec2(220.0, 32.0))).clicked() {
            cmds.push(Command::PickNewFolder);
        }
        if let Some(sample) = sample
            && ui.add(egui::Button::new("Open the sample").min_size(egui::vec2(220.0, 32.0))).clicked()
        {
            cmds.push(Command::OpenFolder(sample.to_path_buf()));
        }
        if ui
            .add(egui::Button::new("Connect to a team database…").min_size(egui::vec2(220.0, 32.0)))
            .on_hover_text("Work on the same procedures and runs as your team, in a PostgreSQL database")
            .clicked()
        {
            cmds.push(Command::AskDatabase(None));
        }
        ui.add_space(16.0);
        ui.label("Or type the path of a folder:");
        ui.horizontal(|ui| {
            let width = 420.0_f32.min(ui.available_width() - 160.0).max(120.0);
            ui.add_space(((ui.available_width() - width - 150.0) / 2.0).max(0.0));
            let edit =
                ui.add(egui::TextEdit::singleline(&mut state.path).desired_width(width).hint_text("Folder path"));
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let path = state.path.trim();
            if (ui.add_enabled(!path.is_empty(), egui::Button::new("Open")).clicked() || enter) && !path.is_empty() {
                cmds.push(Command::OpenFolder(PathBuf::from(path)));
            }
            if ui
                .add_enabled(!path.is_empty(), egui::Button::new("Create"))
                .on_hover_text("Create a new data folder at this path")
                .clicked()
            {
                cmds.push(Command::NewFolder(PathBuf::from(path)));
            }
        });
        if !recent.is_empty() {
            ui.add_space(24.0);
            ui.label(egui::RichText::new("Recent folders").strong());
            for dir in recent {
                if ui.link(dir.display().to_string()).clicked() {
                    cmds.push(Command::OpenFolder(dir.clone()));
                }
            }
        }
        if !recent_databases.is_empty() {
            ui.add_space(16.0);
            ui.label(egui::RichText::new("Recent team databases").strong());
            for url in recent_databases {
                if ui.link(url).clicked() {
                    cmds.push(Command::AskDatabase(Some(url.clone())));
                }
            }
        }
    });
}
