//! The views. Each reads the in-memory [`Dataset`](crate::store::Dataset) and its own small
//! state, and returns what the user asked for as [`Command`]s; the app applies them
//! through `ops` after the frame. Views never touch files.

pub mod actions;
pub mod analytics;
pub mod browser;
pub mod editor;
pub mod history;
pub mod in_progress;
pub mod labels;
pub mod runner;
pub mod schedules;
pub mod today;
pub mod versions;
pub mod welcome;
pub mod widgets;

use crate::model::*;
use std::path::PathBuf;

/// What a view reads and where it sends what the user asked for (as rerun's
/// `ViewerContext`): the data, the moment, whether writing is allowed, who is at the
/// keyboard, and the command sink. Views never change the data; the app carries out the
/// commands after the frame.
pub struct ViewCtx<'a> {
    /// The data, as loaded and changed by ops.
    pub db: &'a crate::store::Dataset,
    /// Now (wall clock), one reading per frame.
    pub now: Timestamp,
    /// The folder is open read-only (or reloading): offer nothing that writes.
    pub read_only: bool,
    /// Who ticks and starts (the display name, else the login name).
    pub user: Name,
    /// Where the view's commands go.
    pub cmds: &'a mut Vec<Command>,
    /// The rows with a change a team database has not confirmed yet (the runner marks
    /// such ticks); empty for a folder.
    pub unconfirmed: &'a std::collections::HashSet<(crate::store::TableKind, u64)>,
}

/// The main views (the left navigation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum View {
    /// What is due: overdue, due, coming, missed (the home screen when there are schedules).
    Today,
    /// The procedure browser.
    #[default]
    Procedures,
    /// Runs in progress.
    InProgress,
    /// All runs.
    History,
    /// Running one run, step by step.
    Runner,
    /// Editing or creating a procedure.
    Editor,
    /// The versions of a procedure.
    Versions,
    /// The labels manager.
    Labels,
    /// Analytics.
    Analytics,
}

/// Light, dark, or follow the system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Theme {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// Something the user asked for, applied by the app after the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Open a data folder.
    OpenFolder(PathBuf),
    /// Create an empty data folder (the seven headers) and open it.
    NewFolder(PathBuf),
    /// Ask for a folder with the native dialog, then open it.
    PickFolder,
    /// Ask for a team database's connection string (this one filled in).
    AskDatabase(Option<String>),
    /// Open a team database (the connection string as typed; it may hold a password,
    /// which is never shown or stored).
    OpenDatabase(String),
    /// Ask for a folder with the native dialog, then create a new data folder there.
    PickNewFolder,
    /// Show a view.
    Show(View),
    /// Start a run of a procedure and show it in the runner.
    StartRun(ProcedureId),
    /// Start a run for an occurrence of a schedule (it records `scheduled_for`).
    StartScheduled {
        /// The procedure.
        procedure: ProcedureId,
        /// The occurrence.
        at: Timestamp,
    },
    /// Show a run in progress in the runner.
    OpenRun(RunId),
    /// Show a run in history.
    ShowInHistory(RunId),
    /// Tick or untick a step.
    SetStep {
        /// The run step.
        run_step: RunStepId,
        /// Ticked or not.
        completed: bool,
    },
    /// Record the value found at a step (entering it is the tick; empty unticks).
    RecordValue {
        /// The run step.
        run_step: RunStepId,
        /// What was found, as typed.
        value: String,
    },
    /// Set or clear a run's title.
    SetRunTitle {
        /// The run.
        run: RunId,
        /// What it is about.
        title: String,
    },
    /// Ask for the user's name (the name runs and ticks record).
    AskName,
    /// Set a step's note.
    StepNote {
        /// The run step.
        run_step: RunStepId,
        /// The note.
        note: String,
    },
    /// Set a run's notes.
    RunNote {
        /// The run.
        run: RunId,
        /// The notes.
        note: String,
    },
    /// Complete or cancel a run; a non-empty reason is appended to the run notes.
    FinishRun {
        /// The run.
        run: RunId,
        /// Completed or cancelled.
        status: RunStatus,
        /// Why it was cancelled.
        reason: String,
    },
    /// Open the editor on a new procedure.
    NewProcedure,
    /// Open the editor on a procedure.
    EditProcedure(ProcedureId),
    /// Save the editor's draft: create (`target` None) or a new version.
    SaveProcedure {
        /// The procedure, or None for a new one.
        target: Option<ProcedureId>,
        /// The content (none: unchanged, only the schedules changed).
        draft: Option<crate::ops::ProcedureDraft>,
        /// The change description of the new version.
        change: String,
        /// Its schedules (none: unchanged).
        schedules: Option<Vec<crate::ops::ScheduleDraft>>,
    },
    /// Leave the editor (asks first when there are unsaved changes).
    CloseEditor,
    /// Duplicate a procedure as "Copy of …".
    DuplicateProcedure(ProcedureId),
    /// Delete a procedure and everything that belongs to it (already confirmed).
    DeleteProcedure(ProcedureId),
    /// Show the versions of a procedure.
    ShowVersions(ProcedureId),
    /// Compare two versions of a procedure.
    ShowDiff {
        /// The procedure.
        procedure: ProcedureId,
        /// The older version.
        from: u32,
        /// The newer version.
        to: u32,
    },
    /// Save a version again as the newest.
    RestoreVersion {
        /// The procedure.
        procedure: ProcedureId,
        /// The version to restore.
        version: u32,
    },
    /// Create a label (and attach it to the procedure in the editor).
    CreateLabel {
        /// Name.
        name: String,
        /// `#rrggbb`.
        color: String,
        /// Add it to the editor's draft.
        attach: bool,
    },
    /// Rename a label.
    RenameLabel {
        /// The label.
        label: LabelId,
        /// New name.
        name: String,
    },
    /// Recolor a label.
    RecolorLabel {
        /// The label.
        label: LabelId,
        /// `#rrggbb`.
        color: String,
    },
    /// Delete a label (already confirmed).
    DeleteLabel(LabelId),
    /// Save text through a save dialog (analytics numbers, run reports, checklists).
    ExportText {
        /// Suggested file name.
        suggested: String,
        /// The file's contents.
        contents: String,
    },
    /// Save a part of the window (a plot) as PNG through a save dialog.
    ExportPng {
        /// Suggested file name.
        suggested: String,
        /// The area, in points.
        rect: egui::Rect,
    },
    /// Choose a Markdown or text checklist to import as a new procedure.
    ImportChecklist,
    /// Import this Markdown or text checklist as a new procedure (opens the editor).
    ImportChecklistFrom(PathBuf),
    /// Add the steps listed in this file to the procedure in the editor.
    AddStepsFrom(PathBuf),
    /// Open a printable page of a procedure in the system's browser.
    PrintProcedure(ProcedureId),
    /// Open the printable record of a run (values, flags, who, when) in the browser.
    PrintRun(RunId),
    /// Show the keyboard shortcuts.
    ShowShortcuts,
    /// Try again to become the folder's writer (another window had it).
    RetryLock,
    /// After a conflict with an outside change: keep mine, or reload theirs.
    ResolveConflict {
        /// Write mine (theirs backed up) rather than reload theirs (mine saved aside).
        keep_mine: bool,
    },
    /// Show the list of backups to restore one.
    ShowBackups,
    /// Restore a backup (already confirmed) and reopen the folder.
    RestoreBackup(String),
    /// Undo the last tick or untick.
    Undo,
    /// Try the failed save again.
    RetrySave,
    /// Close the problem banner / message.
    DismissMessage,
    /// Change the theme.
    SetTheme(Theme),
    /// Leave the app.
    Quit,
}

impl Command {
    /// Whether carrying it out leaves the view shown (the editor asks first when it
    /// has unsaved changes).
    pub fn leaves_the_view(&self) -> bool {
        matches!(
            self,
            Command::OpenFolder(_)
                | Command::OpenDatabase(_)
                | Command::NewFolder(_)
                | Command::Show(_)
                | Command::StartRun(_)
                | Command::OpenRun(_)
                | Command::ShowInHistory(_)
                | Command::NewProcedure
                | Command::EditProcedure(_)
                | Command::ShowVersions(_)
                | Command::ShowDiff { .. }
                | Command::CloseEditor
                | Command::ImportChecklistFrom(_)
                | Command::Quit
        )
    }
}
