//! Version history of a procedure: every version with its date, change description and
//! how many runs used it; view any version, diff any two, restore one.

use super::Command;
use crate::model::*;
use crate::ops::{self, StepChange, Word};
use crate::store::Dataset;
use egui::text::LayoutJob;
use egui::{Color32, RichText, TextFormat, Ui};

/// State of the versions view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VersionsState {
    /// The procedure.
    pub procedure: Option<ProcedureId>,
    /// The version shown alone, when not comparing.
    pub shown: Option<u32>,
    /// Compare `a` (older) with `b` (newer), when set.
    pub compare: Option<(u32, u32)>,
    /// A restore waiting for confirmation.
    pub confirm_restore: Option<u32>,
}

impl VersionsState {
    /// Show the versions of a procedure, comparing the last two when there are two.
    pub fn of(db: &Dataset, pid: ProcedureId) -> Self {
        let current = db.procedure(pid).map_or(1, |p| p.version);
        let compare = (current > 1).then(|| (current - 1, current));
        Self { procedure: Some(pid), shown: Some(current), compare, confirm_restore: None }
    }
}

const ADDED: Color32 = Color32::from_rgb(0x2e, 0x9e, 0x4f);
const REMOVED: Color32 = Color32::from_rgb(0xd0, 0x50, 0x40);
const MOVED: Color32 = Color32::from_rgb(0x42, 0x85, 0xf4);

/// The versions view.
pub fn versions_ui(ui: &mut Ui, db: &Dataset, state: &mut VersionsState, read_only: bool, cmds: &mut Vec<Command>) {
    let Some(pid) = state.procedure.filter(|p| db.procedure(*p).is_some()) else {
        ui.label("Choose a procedure in Procedures to see its versions.");
        return;
    };
    let Some(p) = db.procedure(pid) else { return };
    let versions: Vec<&Version> = db.versions_of(pid).iter().filter_map(|v| db.version(*v)).collect();
    ui.horizontal(|ui| {
        ui.heading(format!("Versions of \u{201c}{}\u{201d}", p.name));
        ui.label(RichText::new(format!("current: version {}", p.version)).weak());
    });
    ui.separator();

    egui::Panel::left("versions-list").resizable(true).default_size(400.0).min_size(280.0).show(ui, |ui| {
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            for v in versions.iter().rev() {
                let runs = db
                    .runs_of(pid)
                    .iter()
                    .filter_map(|r| db.run(*r))
                    .filter(|r| r.procedure_version == Some(v.version))
                    .count();
                let selected = state.shown == Some(v.version) && state.compare.is_none();
                egui::Frame::new().inner_margin(4.0).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        if ui
                            .selectable_label(selected, RichText::new(format!("Version {}", v.version)).strong())
                            .clicked()
                        {
                            state.shown = Some(v.version);
                            state.compare = None;
                        }
                        ui.label(
                            RichText::new(v.created_at.map_or(String::new(), |t| t.canonical()[..16].to_owned()))
                                .weak(),
                        );
                        ui.label(RichText::new(format!("{runs} run{}", if runs == 1 { "" } else { "s" })).weak());
                    });
                    if !v.change_description.is_empty() {
                        ui.label(&v.change_description);
                    }
                    ui.horizontal(|ui| {
                        if v.version > 1
                            && ui.small_button(format!("Compare {} with {}", v.version - 1, v.version)).clicked()
                        {
                            state.compare = Some((v.version - 1, v.version));
                        }
                        if v.version != p.version
                            && ui
                                .add_enabled(
                                    !read_only,
                                    egui::Button::new(format!("Restore version {}…", v.version)).small(),
                                )
                                .clicked()
                        {
                            state.confirm_restore = Some(v.version);
                        }
                    });
                });
                ui.separator();
            }
        });
    });

    egui::CentralPanel::no_frame().show(ui, |ui| {
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| match state.compare {
            Some((a, b)) => {
                let numbers: Vec<u32> = versions.iter().map(|v| v.version).collect();
                let (mut a2, mut b2) = (a, b);
                ui.horizontal(|ui| {
                    ui.label("Compare");
                    version_picker(ui, "Older version", &numbers, &mut a2);
                    ui.label("with");
                    version_picker(ui, "Newer version", &numbers, &mut b2);
                });
                state.compare = Some((a2, b2));
                match (db.version_snapshot(pid, a2), db.version_snapshot(pid, b2)) {
                    (Some(old), Some(new)) => diff_ui(ui, &old, &new),
                    _ => {
                        ui.label("That version's snapshot cannot be read.");
                    }
                }
            }
            None => {
                let v = state.shown.unwrap_or(p.version);
                match db.version_snapshot(pid, v) {
                    Some(snap) => snapshot_ui(ui, &snap),
                    None => {
                        ui.label(format!("Version {v} cannot be read."));
                    }
                }
            }
        });
    });

    if let Some(v) = state.confirm_restore {
        let mut close = false;
        let resp = egui::Modal::new(egui::Id::unique("restore-version")).show(ui.ctx(), |ui| {
            ui.set_width(380.0);
            ui.heading(format!("Restore version {v}?"));
            ui.label(format!(
                "This saves version {} with the content of version {v}. Nothing is lost: every version stays in the history.",
                p.version + 1
            ));
            ui.horizontal(|ui| {
                if ui.button(format!("Restore version {v}")).clicked() {
                    cmds.push(Command::RestoreVersion { procedure: pid, version: v });
                    close = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        if close || resp.should_close() {
            state.confirm_restore = None;
        }
    }
}

/// A drop-down of version numbers, named for screen readers.
fn version_picker(ui: &mut Ui, name: &str, numbers: &[u32], chosen: &mut u32) {
    let r = egui::ComboBox::from_id_salt(name).selected_text(format!("version {chosen}")).show_ui(ui, |ui| {
        for n in numbers {
            ui.selectable_value(chosen, *n, format!("version {n}"));
        }
    });
    r.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, name));
}

/// One version's full content.
fn snapshot_ui(ui: &mut Ui, snap: &Snapshot) {
    ui.heading(format!("{} (version {})", snap.name, snap.version));
    if !snap.description.is_empty() {
        ui.label(&snap.description);
    }
    if !snap.labels.is_empty() {
        ui.label(RichText::new(format!("Labels: {}", snap.labels.join(", "))).weak());
    }
    ui.add_space(6.0);
    for s in &snap.steps {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{}.", s.order));
            ui.label(&s.description);
            if let Some(d) = s.estimated_duration {
                ui.label(RichText::new(format_duration(i64::from(d))).weak());
            }
        });
    }
}

fn badge(ui: &mut Ui, text: &str, color: Color32) {
    ui.label(RichText::new(text).small().color(color));
}

/// The differences between two versions, step by step, with word-level highlights.
pub fn diff_ui(ui: &mut Ui, old: &Snapshot, new: &Snapshot) {
    let d = ops::diff(old, new);
    ui.label(RichText::new(ops::summary(&d, old, new)).italics());
    ui.add_space(6.0);
    if d.renamed {
        ui.horizontal_wrapped(|ui| {
            ui.label("Name:");
            ui.label(RichText::new(&old.name).strikethrough().color(REMOVED));
            ui.label(RichText::new(&new.name).color(ADDED));
        });
    }
    if d.description_changed {
        ui.label("Description:");
        ui.label(words_job(ui, &ops::word_diff(&old.description, &new.description)));
    }
    if !d.labels_added.is_empty() || !d.labels_removed.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label("Labels:");
            for l in &d.labels_added {
                ui.label(RichText::new(format!("+{l}")).color(ADDED));
            }
            for l in &d.labels_removed {
                ui.label(RichText::new(format!("−{l}")).strikethrough().color(REMOVED));
            }
        });
    }
    ui.add_space(6.0);
    for c in &d.steps {
        ui.horizontal_wrapped(|ui| match c {
            StepChange::Added { new: j } => {
                ui.label(format!("{}.", j + 1));
                badge(ui, "added", ADDED);
                ui.label(RichText::new(&new.steps[*j].description).color(ADDED));
            }
            StepChange::Removed { old: i } => {
                ui.label("  ");
                badge(ui, "removed", REMOVED);
                ui.label(RichText::new(&old.steps[*i].description).strikethrough().color(REMOVED));
            }
            StepChange::Kept { old: i, new: j, reworded, moved, duration_changed, asks_changed, condition_changed } => {
                ui.label(format!("{}.", j + 1));
                if *moved {
                    badge(ui, &format!("moved from {}", i + 1), MOVED);
                }
                if *reworded {
                    badge(ui, "reworded", MOVED);
                    let words = ops::word_diff(&old.steps[*i].description, &new.steps[*j].description);
                    ui.label(words_job(ui, &words));
                } else {
                    ui.label(&new.steps[*j].description);
                }
                if *asks_changed {
                    let asks = |s: &SnapshotStep| {
                        let kind = s.step_kind().label();
                        if s.options.is_empty() { kind.to_owned() } else { format!("{kind} {}", s.options) }
                    };
                    badge(ui, &format!("asks {} (was {})", asks(&new.steps[*j]), asks(&old.steps[*i])), MOVED);
                }
                if *condition_changed {
                    let cond = |s: &SnapshotStep| {
                        if s.show_if.is_empty() { "always".to_owned() } else { format!("only if {}", s.show_if) }
                    };
                    badge(ui, &format!("needed {} (was {})", cond(&new.steps[*j]), cond(&old.steps[*i])), MOVED);
                }
                if *duration_changed {
                    let f = |s: Option<u32>| s.map_or("none".to_owned(), |v| format_duration(i64::from(v)));
                    badge(
                        ui,
                        &format!(
                            "duration {} to {}",
                            f(old.steps[*i].estimated_duration),
                            f(new.steps[*j].estimated_duration)
                        ),
                        MOVED,
                    );
                }
            }
        });
    }
}

fn words_job(ui: &Ui, words: &[Word]) -> LayoutJob {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let text = ui.visuals().text_color();
    let mut job = LayoutJob::default();
    for w in words {
        let (s, fmt) = match w {
            Word::Same(s) => (s, TextFormat { font_id: font.clone(), color: text, ..Default::default() }),
            Word::Old(s) => (
                s,
                TextFormat {
                    font_id: font.clone(),
                    color: REMOVED,
                    strikethrough: egui::Stroke::new(1.0, REMOVED),
                    ..Default::default()
                },
            ),
            Word::New(s) => (
                s,
                TextFormat {
                    font_id: font.clone(),
                    color: ADDED,
                    background: ADDED.gamma_multiply(0.15),
                    ..Default::default()
                },
            ),
        };
        job.append(s, 0.0, fmt.clone());
        job.append(" ", 0.0, fmt);
    }
    job
}
