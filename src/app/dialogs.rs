//! Native file dialogs, run on a thread (they block), answered through a channel the
//! app polls; and the popup windows, one at a time.

use std::path::{Path, PathBuf};
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
#[derive(Clone, Debug)]
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

impl Purpose {
    /// The title of its dialog (and of the path field that stands in for it).
    pub(super) fn title(&self) -> &'static str {
        match self {
            Purpose::OpenFolder => "Open a data folder",
            Purpose::NewFolder => "Choose where to create the data folder",
            Purpose::ImportChecklist => "Import a checklist",
            Purpose::Export { .. } => "Save the export as",
        }
    }

    /// The path the typed field starts with: the last folder (or the home folder) for
    /// folders and imports, a file of the suggested name in Documents (or home) for
    /// exports.
    pub(super) fn default_path(&self, last_folder: Option<&Path>) -> PathBuf {
        let home = std::env::home_dir().unwrap_or_else(|| PathBuf::from("."));
        match self {
            Purpose::OpenFolder => last_folder.map_or(home, Path::to_path_buf),
            Purpose::NewFolder => home.join("Procedures"),
            Purpose::ImportChecklist => last_folder.and_then(Path::parent).map_or(home, Path::to_path_buf),
            Purpose::Export { suggested, .. } => {
                let documents = home.join("Documents");
                if documents.is_dir() { documents } else { home }.join(suggested)
            }
        }
    }

    /// Why `path` will not do for this purpose, if it will not (said in the path field).
    pub(super) fn refuse(&self, path: &Path) -> Option<String> {
        let shown = path.display();
        match self {
            _ if path.as_os_str().is_empty() => Some("Type a path first.".to_owned()),
            Purpose::OpenFolder if !path.is_dir() => Some(format!("There is no folder at {shown}.")),
            Purpose::NewFolder if path.exists() && !path.is_dir() => Some(format!("{shown} is a file, not a folder.")),
            Purpose::ImportChecklist if !path.is_file() => Some(format!("There is no file at {shown}.")),
            Purpose::Export { .. } if path.is_dir() => Some(format!("{shown} is a folder: add a file name.")),
            Purpose::Export { .. } if !path.parent().is_some_and(|d| d.as_os_str().is_empty() || d.is_dir()) => {
                Some(format!("There is no folder {}.", path.parent().unwrap_or(path).display()))
            }
            _ => None,
        }
    }
}

/// How a dialog ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The user picked this path.
    Picked(PathBuf),
    /// The user closed the dialog.
    Cancelled,
    /// No dialog could be shown (no portal, no zenity on this desktop): why.
    Failed(String),
}

/// Shows the system's dialog for a purpose and waits for it (on the dialog thread).
pub type Backend = fn(&DialogRequest) -> Answer;

/// What a dialog backend is asked to show.
#[derive(Clone, Debug)]
pub struct DialogRequest {
    /// Its title.
    pub title: &'static str,
    /// Pick a folder (else a file).
    pub folder: bool,
    /// Save (else open).
    pub save: bool,
    /// The file name suggested when saving.
    pub file_name: Option<String>,
}

/// The system's dialogs, through rfd. rfd only logs why a dialog could not be shown
/// (an error from the portal, then from zenity), returning what a cancel returns; the
/// log records it ([`crate::logging::take_dialog_error`]), so a failure is told apart
/// from a cancel and the user sees the reason.
pub fn native_dialog(request: &DialogRequest) -> Answer {
    let mut dialog = rfd::FileDialog::new().set_title(request.title);
    if let Some(name) = &request.file_name {
        dialog = dialog.set_file_name(name.clone());
    }
    if !request.folder && !request.save {
        dialog = dialog.add_filter("Markdown or text", &["md", "markdown", "txt"]);
    }
    crate::logging::take_dialog_error();
    let answer = if request.folder {
        dialog.pick_folder()
    } else if request.save {
        dialog.save_file()
    } else {
        dialog.pick_file()
    };
    match (answer, crate::logging::take_dialog_error()) {
        (Some(path), _) => Answer::Picked(path),
        // On Linux the portal's failure is followed by zenity's; a portal error alone
        // means zenity showed the dialog and the user cancelled it.
        (None, Some(why)) if why.contains("zenity") || !cfg!(target_os = "linux") => {
            Answer::Failed(if why.contains("zenity") && why.contains("No such file") {
                "no desktop portal answered and zenity is not installed".to_owned()
            } else {
                why
            })
        }
        (None, _) => Answer::Cancelled,
    }
}

/// A native dialog open on its thread.
pub(super) struct Pending {
    rx: Receiver<Answer>,
    /// What the answer is for.
    pub(super) purpose: Purpose,
}

impl Pending {
    /// Show the dialog for `purpose` on a thread; `ctx` is woken when it answers.
    pub(super) fn open(ctx: &egui::Context, purpose: Purpose, backend: Backend) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let request = DialogRequest {
            title: purpose.title(),
            folder: matches!(purpose, Purpose::OpenFolder | Purpose::NewFolder),
            save: matches!(purpose, Purpose::Export { .. }),
            file_name: match &purpose {
                Purpose::Export { suggested, .. } => Some(suggested.clone()),
                _ => None,
            },
        };
        let spawned = std::thread::Builder::new().name("dialog".into()).spawn(move || {
            tx.send(backend(&request)).ok();
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            log::error!("cannot start the dialog thread: {e}");
        }
        Self { rx, purpose }
    }

    /// The answer once the dialog closed; a dialog thread that died answers Failed.
    pub(super) fn answer(&self) -> Option<Answer> {
        match self.rx.try_recv() {
            Ok(answer) => Some(answer),
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                Some(Answer::Failed("the dialog stopped without an answer".to_owned()))
            }
        }
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
    /// A path typed in the window, where the system's dialog could not be shown (`why`)
    /// or the user chose to type; `problem` says why the last path would not do.
    TypePath { purpose: Purpose, text: String, why: Option<String>, problem: Option<String> },
    /// Quitting would lose `what` (typed text not yet entered, a save that failed):
    /// quit anyway, or stay.
    Quit { what: String },
    /// File → Connect to a team database…: the connection string, a password when it
    /// holds none (kept in memory only), what was wrong with the last try.
    Connect { url: String, password: String, problem: Option<String> },
}

/// What the connect window did this frame.
pub(super) enum Connecting {
    /// Still open.
    Open,
    /// Closed without connecting.
    Cancelled,
    /// Connect with this (the password put in, in memory only).
    Url(String),
}

/// The connect window: a connection string, an optional password, Connect and Cancel.
pub(super) fn connect_ui(
    ctx: &egui::Context,
    url: &mut String,
    password: &mut String,
    problem: &mut Option<String>,
) -> Connecting {
    let mut out = Connecting::Open;
    let modal = egui::Modal::new(egui::Id::unique("connect-database")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading("Connect to a team database");
        let label = ui.label("A PostgreSQL connection string, as your administrator gave it:");
        let field = ui
            .add(
                egui::TextEdit::singleline(url)
                    .hint_text("postgres://you@server:5432/team")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if ui.memory(|m| m.focused().is_none()) {
            field.request_focus();
        }
        let has_password = crate::store::pg::has_password(url);
        ui.add_enabled_ui(!has_password, |ui| {
            ui.horizontal(|ui| {
                let label = ui.label("Password:");
                ui.add(egui::TextEdit::singleline(password).password(true).desired_width(240.0)).labelled_by(label.id);
            });
        });
        ui.label(
            egui::RichText::new(
                "Leave the password empty when PGPASSWORD or ~/.pgpass holds it. It is kept only while the app runs, never written.",
            )
            .weak()
            .small(),
        );
        if let Some(p) = problem.as_deref() {
            ui.colored_label(ui.visuals().error_fg_color, p);
        }
        ui.horizontal(|ui| {
            let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Connect").clicked() || enter {
                let typed = url.trim();
                if !crate::store::pg::is_url(typed) {
                    *problem = Some("A connection string starts with postgres:// or postgresql://".into());
                } else if typed.parse::<postgres::Config>().is_err() {
                    *problem = Some(format!("This is not a connection string PostgreSQL understands: {}", crate::store::pg::redacted(typed)));
                } else if password.is_empty() || has_password {
                    out = Connecting::Url(typed.to_owned());
                } else {
                    out = Connecting::Url(crate::store::pg::with_password(typed, password));
                }
            }
            if ui.button("Cancel").clicked() {
                out = Connecting::Cancelled;
            }
        });
    });
    if modal.should_close() && matches!(out, Connecting::Open) {
        out = Connecting::Cancelled;
    }
    out
}

/// What the path field did this frame.
pub(super) enum Typed {
    /// Still open.
    Open,
    /// Closed without a path.
    Cancelled,
    /// This path was accepted for the purpose.
    Path(PathBuf),
}

/// The path field that stands in for a dialog: why the dialog is not there, the path
/// (starting from a sensible default), what is wrong with it, OK and Cancel.
pub(super) fn type_path_ui(
    ctx: &egui::Context,
    purpose: &Purpose,
    text: &mut String,
    why: Option<&str>,
    problem: &mut Option<String>,
) -> Typed {
    let mut typed = Typed::Open;
    let modal = egui::Modal::new(egui::Id::unique("type-a-path")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading(purpose.title());
        if let Some(why) = why {
            ui.label(format!("The system's file dialog could not be shown: {why}"));
            ui.label("Type the path instead.");
        }
        let edit = ui
            .horizontal(|ui| {
                let label = ui.label("Path:");
                ui.add(egui::TextEdit::singleline(text).desired_width(440.0)).labelled_by(label.id)
            })
            .inner;
        if ui.memory(|m| m.focused().is_none()) {
            edit.request_focus();
        }
        if let Some(problem) = problem.as_deref() {
            ui.colored_label(ui.visuals().warn_fg_color, problem);
        }
        let enter = (edit.has_focus() || edit.lost_focus()) && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let ok = match purpose {
            Purpose::OpenFolder => "Open",
            Purpose::NewFolder => "Create",
            Purpose::ImportChecklist => "Import",
            Purpose::Export { .. } => "Save",
        };
        ui.horizontal(|ui| {
            if ui.button(ok).clicked() || enter {
                let path = expand_home(text.trim());
                *problem = purpose.refuse(&path);
                if problem.is_none() {
                    typed = Typed::Path(path);
                }
            }
            if ui.button("Cancel").clicked() {
                typed = Typed::Cancelled;
            }
        });
    });
    if modal.should_close() && matches!(typed, Typed::Open) {
        typed = Typed::Cancelled;
    }
    typed
}

/// `~` and `~/…` as the home folder, as a shell would.
fn expand_home(text: &str) -> PathBuf {
    match (text.strip_prefix('~'), std::env::home_dir()) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
            home.join(rest.trim_start_matches(['/', '\\']))
        }
        _ => PathBuf::from(text),
    }
}
