//! The editor open on a procedure someone else saved meanwhile (another window on the
//! team database, issue #31; another app on the folder): it says so before saving,
//! shows what they changed (the version the editor started from against theirs, as
//! Versions shows a diff) and offers to start again from theirs.

use super::EditorState;
use crate::model::{ProcedureId, Snapshot};
use crate::store::Dataset;
use egui::{RichText, Ui};

/// What the editor started from: the procedure's version and how it was then.
#[derive(Debug, Default)]
pub(super) struct Base {
    pub version: u32,
    pub snapshot: Snapshot,
    /// Their changes are shown.
    pub show: bool,
}

impl Base {
    /// `pid` as it is in `db` now.
    pub(super) fn of(db: &Dataset, pid: ProcedureId) -> Option<Self> {
        let version = db.procedure(pid)?.version;
        Some(Self { version, snapshot: crate::ops::snapshot_of(db, pid)?, show: false })
    }
}

/// Whether someone else saved the procedure since the editor opened it (or removed it):
/// the words to say before saving.
pub(super) fn overtaken(db: &Dataset, state: &EditorState) -> Option<String> {
    let (pid, base) = (state.target?, state.base.as_ref()?);
    match db.procedure(pid) {
        None => Some("Someone else removed this procedure while you were editing it: it cannot be saved.".into()),
        Some(p) if p.version > base.version => Some(format!(
            "Someone else saved version {} of this procedure while you were editing version {}: saving makes yours version {}, over theirs.",
            p.version,
            base.version,
            p.version + 1
        )),
        Some(_) => None,
    }
}

/// The notice above the form, with their changes on demand and "Start from theirs".
pub(super) fn theirs_ui(ui: &mut Ui, db: &Dataset, state: &mut EditorState) {
    let Some(said) = overtaken(db, state) else { return };
    let Some(pid) = state.target else { return };
    let mut restart = false;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(said).color(ui.visuals().warn_fg_color));
        let Some(base) = &mut state.base else { return };
        let Some(now) = crate::ops::snapshot_of(db, pid) else { return };
        ui.horizontal(|ui| {
            let toggle = if base.show { "Hide their changes" } else { "Show their changes" };
            if ui.button(toggle).clicked() {
                base.show = !base.show;
            }
            restart = ui
                .button("Start again from theirs")
                .on_hover_text("Drop your edits here and edit their version")
                .clicked();
        });
        if base.show {
            egui::ScrollArea::vertical().id_salt("editor-theirs").max_height(220.0).show(ui, |ui| {
                crate::ui::versions::diff_ui(ui, &base.snapshot, &now);
            });
        }
    });
    if restart && let Some(fresh) = EditorState::edit(db, pid) {
        *state = fresh;
    }
}
