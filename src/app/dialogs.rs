//! Native file dialogs, run on a thread (they block), answered through a channel the
//! app polls; and the popup windows, one at a time.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

/// Something to export once the user has picked a file.
#[derive(Clone, Debug)]
pub enum Export {
    /// A text file.
    Csv(String),
    /// The pixels of a part of the window (a plot), in points.
    Png(egui::Rect),
}

/// What a native dialog is for, and so which dialog it is.
pub(super) enum Purpose {
    /// Pick a data folder to open.
    OpenFolder,
    /// Pick where to create a data folder.
    NewFolder,
    /// Pick a Markdown or text checklist to import.
    ImportChecklist,
    /// Pick where to save an export.
    Export { suggested: String, export: Export },
}

/// A native dialog open on its thread.
pub(super) struct Pending {
    rx: Receiver<Option<PathBuf>>,
    /// What the answer is for.
    pub(super) purpose: Purpose,
}

impl Pending {
    /// Show the dialog for `purpose` on a thread; `ctx` is woken when it answers.
    pub(super) fn open(ctx: &egui::Context, purpose: Purpose) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let dialog = rfd::FileDialog::new();
        let dialog = match &purpose {
            Purpose::OpenFolder => dialog.set_title("Open a data folder"),
            Purpose::NewFolder => dialog.set_title("Choose where to create the data folder"),
            Purpose::ImportChecklist => {
                dialog.set_title("Import a checklist").add_filter("Markdown or text", &["md", "markdown", "txt"])
            }
            Purpose::Export { suggested, .. } => dialog.set_file_name(suggested.clone()),
        };
        let folder = matches!(purpose, Purpose::OpenFolder | Purpose::NewFolder);
        let save = matches!(purpose, Purpose::Export { .. });
        std::thread::spawn(move || {
            let answer = if folder {
                dialog.pick_folder()
            } else if save {
                dialog.save_file()
            } else {
                dialog.pick_file()
            };
            let _ = tx.send(answer);
            ctx.request_repaint();
        });
        Self { rx, purpose }
    }

    /// The answer once the user closed the dialog: `Some(None)` when cancelled.
    pub(super) fn answer(&self) -> Option<Option<PathBuf>> {
        self.rx.try_recv().ok()
    }
}

/// A popup window.
pub(super) enum Popup {
    /// Help → About.
    About,
    /// The keyboard shortcuts (F1).
    Shortcuts,
    /// File → Restore backup…: the backups, and the one waiting for confirmation.
    Backups { names: Vec<String>, confirm: Option<String> },
    /// "Your name": asked once on first start, and from File → Your name….
    YourName { text: String },
}
