//! Every keyboard action in one table (as rerun's `re_ui::UICommand`): its keys, what
//! the help says, and the menu text. The key handling of the window and the views, the
//! menus and the F1 help all read it, so they cannot disagree.

use egui::{Key, KeyboardShortcut, Modifiers};

/// A keyboard action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Show the shortcuts (F1 or ?).
    ShowShortcuts,
    /// A new procedure (Ctrl+N).
    NewProcedure,
    /// Focus the procedure search (Ctrl+F).
    Search,
    /// Zoom in / out / reset (egui's own keys; listed for the help).
    Zoom,
    /// Tab through controls (egui's own keys; listed for the help).
    Tab,
    /// Runner: tick or untick the focused step.
    RunnerTick,
    /// Runner: focus the step above.
    RunnerUp,
    /// Runner: focus the step below.
    RunnerDown,
    /// Runner: write a note on the focused step.
    RunnerNote,
    /// Runner: choose answer 1–9 of the focused choice step.
    RunnerChoose,
    /// Runner: undo the last tick or untick.
    RunnerUndo,
    /// Runner: leave the runner (the run stays in progress).
    RunnerLeave,
    /// Editor: move the focused step up.
    EditorMoveUp,
    /// Editor: move the focused step down.
    EditorMoveDown,
    /// Drop a folder on the window (listed for the help).
    DropFolder,
    /// Drop a list on the window (listed for the help).
    DropList,
    /// Quit (asks first while anything is unsaved).
    Quit,
    /// Editor: save (create, or save a new version).
    EditorSave,
    /// Show a view: Ctrl+1 Today … Ctrl+6 Labels (the navigation's order).
    ShowView,
    /// Procedures: move the selection up or down the list.
    ListMove,
    /// Procedures: start a run of the selected procedure.
    ListStart,
    /// Runner: complete the run.
    RunnerComplete,
}

const fn key(modifiers: Modifiers, logical_key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, logical_key)
}

impl Action {
    /// Every action, in the order the help lists them.
    pub const ALL: [Action; 22] = [
        Self::ShowShortcuts,
        Self::NewProcedure,
        Self::ShowView,
        Self::Search,
        Self::ListMove,
        Self::ListStart,
        Self::Zoom,
        Self::Tab,
        Self::RunnerTick,
        Self::RunnerUp,
        Self::RunnerDown,
        Self::RunnerNote,
        Self::RunnerChoose,
        Self::RunnerUndo,
        Self::RunnerComplete,
        Self::RunnerLeave,
        Self::EditorMoveUp,
        Self::EditorMoveDown,
        Self::EditorSave,
        Self::DropFolder,
        Self::DropList,
        Self::Quit,
    ];

    /// The keys that trigger it (empty: handled by egui or not a key).
    pub fn keys(self) -> &'static [KeyboardShortcut] {
        match self {
            Self::ShowShortcuts => {
                const {
                    &[
                        key(Modifiers::NONE, Key::F1),
                        key(Modifiers::NONE, Key::Questionmark),
                        key(Modifiers::SHIFT, Key::Questionmark),
                    ]
                }
            }
            Self::NewProcedure => const { &[key(Modifiers::COMMAND, Key::N)] },
            Self::Search => const { &[key(Modifiers::COMMAND, Key::F)] },
            Self::RunnerTick => const { &[key(Modifiers::NONE, Key::Space), key(Modifiers::NONE, Key::Enter)] },
            Self::RunnerUp => const { &[key(Modifiers::NONE, Key::ArrowUp)] },
            Self::RunnerDown => const { &[key(Modifiers::NONE, Key::ArrowDown)] },
            Self::RunnerNote => const { &[key(Modifiers::NONE, Key::N)] },
            Self::RunnerChoose => {
                const {
                    &[
                        key(Modifiers::NONE, Key::Num1),
                        key(Modifiers::NONE, Key::Num2),
                        key(Modifiers::NONE, Key::Num3),
                        key(Modifiers::NONE, Key::Num4),
                        key(Modifiers::NONE, Key::Num5),
                        key(Modifiers::NONE, Key::Num6),
                        key(Modifiers::NONE, Key::Num7),
                        key(Modifiers::NONE, Key::Num8),
                        key(Modifiers::NONE, Key::Num9),
                    ]
                }
            }
            Self::RunnerUndo => const { &[key(Modifiers::COMMAND, Key::Z)] },
            Self::RunnerLeave => const { &[key(Modifiers::NONE, Key::Escape)] },
            Self::EditorMoveUp => const { &[key(Modifiers::ALT, Key::ArrowUp)] },
            Self::EditorMoveDown => const { &[key(Modifiers::ALT, Key::ArrowDown)] },
            Self::Quit => const { &[key(Modifiers::COMMAND, Key::Q)] },
            Self::EditorSave => const { &[key(Modifiers::COMMAND, Key::S)] },
            Self::ShowView => {
                const {
                    &[
                        key(Modifiers::COMMAND, Key::Num1),
                        key(Modifiers::COMMAND, Key::Num2),
                        key(Modifiers::COMMAND, Key::Num3),
                        key(Modifiers::COMMAND, Key::Num4),
                        key(Modifiers::COMMAND, Key::Num5),
                        key(Modifiers::COMMAND, Key::Num6),
                    ]
                }
            }
            Self::ListMove => const { &[key(Modifiers::NONE, Key::ArrowUp), key(Modifiers::NONE, Key::ArrowDown)] },
            Self::ListStart => const { &[key(Modifiers::NONE, Key::Enter)] },
            Self::RunnerComplete => const { &[key(Modifiers::COMMAND, Key::Enter)] },
            Self::Zoom | Self::Tab | Self::DropFolder | Self::DropList => const { &[] },
        }
    }

    /// The keys as the help shows them.
    pub fn keys_text(self) -> &'static str {
        match self {
            Self::ShowShortcuts => "F1 or ?",
            Self::NewProcedure => "Ctrl+N",
            Self::Search => "Ctrl+F",
            Self::Zoom => "Ctrl+Plus / Ctrl+Minus / Ctrl+0",
            Self::Tab => "Tab / Shift+Tab",
            Self::RunnerTick => "Runner: Space or Enter",
            Self::RunnerUp => "Runner: Up / Down",
            Self::RunnerDown => "",
            Self::RunnerNote => "Runner: N",
            Self::RunnerChoose => "Runner: 1 … 9",
            Self::RunnerUndo => "Runner: Ctrl+Z",
            Self::RunnerLeave => "Runner: Esc",
            Self::EditorMoveUp => "Editor: Alt+Up / Alt+Down",
            Self::EditorMoveDown => "",
            Self::DropFolder => "Drop a folder",
            Self::DropList => "Drop a .md or .txt list",
            Self::Quit => "Ctrl+Q",
            Self::EditorSave => "Editor: Ctrl+S",
            Self::ShowView => "Ctrl+1 … Ctrl+6",
            Self::ListMove => "Procedures: Up / Down",
            Self::ListStart => "Procedures: Enter",
            Self::RunnerComplete => "Runner: Ctrl+Enter",
        }
    }

    /// The keys alone, without the view they work in ("Space or Enter"): for hints
    /// beside the controls.
    pub fn keys_short(self) -> &'static str {
        let text = self.keys_text();
        text.split_once(": ").map_or(text, |(_, keys)| keys)
    }

    /// What the help says it does.
    pub fn help(self) -> &'static str {
        match self {
            Self::ShowShortcuts => "Show these shortcuts",
            Self::NewProcedure => "New procedure",
            Self::Search => "Search procedures",
            Self::Zoom => "Zoom in / out / reset (remembered)",
            Self::Tab => "Move between buttons and fields; Space or Enter presses",
            Self::RunnerTick => "Tick or untick the focused step",
            Self::RunnerUp | Self::RunnerDown => "Move the focus between steps",
            Self::RunnerNote => "Write a note on the focused step",
            Self::RunnerChoose => "Choose an answer of the focused step (Space or Enter: type a value)",
            Self::RunnerUndo => "Undo the last tick or untick",
            Self::RunnerLeave => "Leave the runner (the run stays in progress)",
            Self::EditorMoveUp | Self::EditorMoveDown => "Move the focused step",
            Self::DropFolder => "Open it",
            Self::DropList => "Add its steps (editor) or import it as a procedure",
            Self::Quit => "Quit (asks first while anything is unsaved)",
            Self::EditorSave => "Save the procedure (create it, or save a new version)",
            Self::ShowView => "Today, Procedures, In progress, History, Analytics, Labels",
            Self::ListMove => "Select the procedure above or below (also from the search field)",
            Self::ListStart => "Start a run of the selected procedure",
            Self::RunnerComplete => "Complete the run",
        }
    }

    /// The menu or button text, with the first key (`None`: not in a menu).
    pub fn menu_text(self) -> Option<String> {
        let label = match self {
            Self::ShowShortcuts => "Keyboard shortcuts",
            Self::NewProcedure => "New procedure",
            Self::Quit => "Quit",
            _ => return None,
        };
        let keys = match self {
            Self::ShowShortcuts => "F1",
            _ => self.keys_text(),
        };
        Some(format!("{label} ({keys})"))
    }

    /// Whether its keys are pressed now (taking every one of them). While `typing` in a
    /// text field, only keys with Ctrl/Cmd or Alt and function keys count (a `?` or a
    /// Space belongs to the text).
    pub fn consume(self, input: &mut egui::InputState, typing: bool) -> bool {
        self.keys()
            .iter()
            .filter(|k| !typing || k.modifiers.command || k.modifiers.alt || k.logical_key == Key::F1)
            .fold(false, |pressed, k| input.consume_shortcut(k) | pressed)
    }

    /// Which of its keys is pressed now, taken (the answer number of
    /// [`Action::RunnerChoose`]); `None` while typing.
    pub fn consume_which(self, input: &mut egui::InputState, typing: bool) -> Option<usize> {
        if typing {
            return None;
        }
        self.keys().iter().position(|k| input.consume_shortcut(k))
    }

    /// The lines of the help: (keys, what), actions that share a line listed once.
    pub fn help_lines() -> impl Iterator<Item = (&'static str, &'static str)> {
        Self::ALL.into_iter().filter(|a| !a.keys_text().is_empty()).map(|a| (a.keys_text(), a.help()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_every_action_once_and_every_key_action_has_keys() {
        let lines: Vec<_> = Action::help_lines().collect();
        assert_eq!(lines.len(), 20);
        assert_eq!(lines[0], ("F1 or ?", "Show these shortcuts"));
        for a in Action::ALL {
            let egui_keys = matches!(a, Action::Zoom | Action::Tab | Action::DropFolder | Action::DropList);
            assert_eq!(a.keys().is_empty(), egui_keys, "{a:?}");
        }
        assert_eq!(Action::NewProcedure.menu_text().as_deref(), Some("New procedure (Ctrl+N)"));
    }
}
