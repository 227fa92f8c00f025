//! Runs in progress, to resume any of them (also after a restart).

use super::Command;
use super::widgets::relative;
use crate::model::*;
use crate::store::Dataset;
use egui::Ui;

/// The list of runs in progress.
pub fn in_progress_ui(ui: &mut Ui, db: &Dataset, now: Timestamp, cmds: &mut Vec<Command>) {
    ui.heading(format!("In progress ({})", db.in_progress_count()));
    if db.in_progress_count() == 0 {
        ui.label("No run is in progress. Start one from Procedures.");
        return;
    }
    ui.add_space(6.0);
    // Newest first.
    let runs: Vec<RunId> = db.in_progress_runs().collect();
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(ui, 30.0, runs.len(), |ui, range| {
        for run in runs.iter().rev().skip(range.start).take(range.len()) {
            let Some(r) = db.run(*run) else { continue };
            let name = db.procedure(r.procedure_id).map_or("(deleted procedure)", |p| p.name.as_str());
            // The needed steps, as the runner counts them (a step not needed is not due).
            let sheet = crate::store::RunSheet::of(db, r.id);
            let needed = sheet.needed(db);
            let steps: Vec<RunStepId> =
                sheet.items.iter().zip(&needed).filter(|(_, n)| **n).filter_map(|(i, _)| i.run_step).collect();
            let total = steps.len();
            let done = steps.iter().filter(|rs| db.run_step(**rs).is_some_and(|s| s.completed)).count();
            ui.horizontal(|ui| {
                if ui.button("Resume").on_hover_text(format!("Resume run #{} of {name}", r.id)).clicked() {
                    cmds.push(Command::OpenRun(r.id));
                }
                ui.scope(|ui| {
                    // A long name is cut with an ellipsis (whole on hover), the counts stay.
                    ui.set_max_width((ui.available_width() - 320.0).max(160.0));
                    ui.add(egui::Label::new(egui::RichText::new(name).strong()).truncate()).on_hover_text(name);
                });
                ui.label(format!("{done} / {total} steps"));
                ui.add(
                    egui::ProgressBar::new(if total == 0 { 0.0 } else { done as f32 / total as f32 })
                        .desired_width(100.0),
                );
                ui.label(egui::RichText::new(format!("started {}", relative(now, r.start_time))).weak());
            });
        }
    });
}
