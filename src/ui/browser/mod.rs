//! The procedure browser: search, label filter, sort, a virtualized table, and the
//! selected procedure's detail with a Start button.

use super::actions::Action;
use super::widgets::{label_chips, label_toggle, rate_text, relative, status_text};
use super::{Command, ViewCtx};
use crate::analysis::schedule::{NextDue, State};
use crate::model::*;
use crate::store::Dataset;
use egui::Ui;
use egui_extras::{Column, TableBuilder};
use std::collections::{BTreeSet, HashMap};

pub use crate::analysis::search::Sort;
use crate::analysis::search::{FRAME_FILTER_BUDGET, ProcedureSearch};

/// State of the browser: what the user asked (search, labels, sort), what is selected,
/// and the search that answers it.
#[derive(Debug, Default)]
pub struct BrowserState {
    /// The search text.
    pub query: String,
    /// Show only procedures carrying all of these labels.
    pub labels: BTreeSet<LabelId>,
    /// Sort order.
    pub sort: Sort,
    /// The selected procedure.
    pub selected: Option<ProcedureId>,
    /// A delete waiting for confirmation.
    pub confirm_delete: Option<ProcedureId>,
    /// The keyboard moved the selection: scroll the table to it.
    scroll_to_selected: bool,
    /// The table's scroll state, this state's own.
    salt: super::widgets::ViewSalt,
    search: ProcedureSearch,
}

impl BrowserState {
    /// A browser with its rows built for `db` (on a loading thread: the first frame
    /// after a big folder opens need not build 10,000 rows).
    pub fn prepared(db: &Dataset) -> Self {
        let mut state = Self::default();
        state.refresh(db, None);
        state
    }

    /// The data generation the rows were built for, if they are.
    pub fn built_for(&self) -> Option<u64> {
        self.search.built_for()
    }

    /// Take the rows `other` built (for newer data), keeping the search, filters and
    /// selection.
    pub fn adopt_rows(&mut self, other: BrowserState) {
        self.search = other.search;
        self.search.forget_listing();
    }

    /// Take each procedure's next due occurrence from a new agenda (the Next due column
    /// and sort).
    pub fn set_due(&mut self, due: &HashMap<ProcedureId, NextDue>) {
        self.search.set_due(due, self.sort);
    }

    /// The ids currently listed, in order (for tests and keyboard navigation).
    pub fn visible(&mut self, db: &Dataset) -> Vec<ProcedureId> {
        self.refresh(db, None);
        self.listed()
    }

    /// Filter for about `budget` (the rest of a long search waits for the next call;
    /// [`BrowserState::searching`] tells whether there is a rest). A zero budget only
    /// rebuilds rows for new data and starts a new search.
    pub fn refresh_within(&mut self, db: &Dataset, budget: std::time::Duration) {
        self.refresh(db, Some(budget));
    }

    /// The ids listed so far, in order, without working on (tests).
    pub fn listed(&self) -> Vec<ProcedureId> {
        self.search.listed()
    }

    /// Whether a search is still being worked through (over a few frames).
    pub fn searching(&self) -> bool {
        self.search.searching()
    }

    fn refresh(&mut self, db: &Dataset, budget: Option<std::time::Duration>) {
        self.search.refresh(db, &self.query, &self.labels, self.sort, budget);
    }
}

/// The browser view.
pub fn browser_ui(ui: &mut Ui, cx: &mut ViewCtx<'_>, state: &mut BrowserState) {
    let (db, now, read_only) = (cx.db, cx.now, cx.read_only);
    if let Some(pid) = state.selected.filter(|p| db.procedure(*p).is_some()) {
        egui::Panel::right("procedure-detail").resizable(true).default_size(340.0).min_size(260.0).show(ui, |ui| {
            let due = state.search.due().get(&pid).copied();
            detail_ui(ui, cx, pid, due, &mut state.confirm_delete);
        });
    }
    keys(ui, db, state, read_only, cx.cmds);
    egui::CentralPanel::no_frame().show(ui, |ui| list_ui(ui, db, state, now));
    confirm_delete_ui(ui, db, state, cx.cmds);
}

/// Up / Down move the selection through the list shown, Enter starts a run of the
/// selected procedure — from the search field too, but not while another field has the
/// keyboard or a dialog is open.
fn keys(ui: &mut Ui, db: &Dataset, state: &mut BrowserState, read_only: bool, cmds: &mut Vec<Command>) {
    let in_search = ui.memory(|m| m.has_focus(egui::Id::unique("procedure-search")));
    if state.confirm_delete.is_some() || (ui.ctx().egui_wants_keyboard_input() && !in_search) {
        return;
    }
    if let Some(which) = ui.input_mut(|i| Action::ListMove.consume_which(i, false)) {
        let (rows, visible) = (state.search.rows(), state.search.visible());
        let at = state.selected.and_then(|p| visible.iter().position(|i| rows[*i].id == p));
        let next = match (which, at) {
            (0, Some(a)) => a.saturating_sub(1),
            (_, Some(a)) => (a + 1).min(visible.len().saturating_sub(1)),
            (_, None) => 0,
        };
        if let Some(i) = visible.get(next) {
            state.selected = Some(rows[*i].id);
            state.scroll_to_selected = true;
        }
    }
    if let Some(pid) = state.selected
        && !read_only
        && db.step_count(pid) > 0
        && ui.input_mut(|i| Action::ListStart.consume(i, false))
    {
        cmds.push(Command::StartRun(pid));
    }
}

fn confirm_delete_ui(ui: &mut Ui, db: &Dataset, state: &mut BrowserState, cmds: &mut Vec<Command>) {
    let Some(pid) = state.confirm_delete else { return };
    let Some(p) = db.procedure(pid) else {
        state.confirm_delete = None;
        return;
    };
    let impact = crate::ops::delete_impact(db, pid);
    let mut close = false;
    let resp = egui::Modal::new(egui::Id::unique("delete-procedure")).show(ui.ctx(), |ui| {
        ui.set_width(400.0);
        ui.heading(format!("Delete \u{201c}{}\u{201d}?", p.name));
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let schedules =
            if impact.schedules > 0 { format!(", {}", plural(impact.schedules, "schedule")) } else { String::new() };
        ui.label(format!(
            "This deletes the procedure with {}, {}{schedules} and {}: the history of those runs goes with it. This cannot be undone in the app (your folder's git history or backups still have it).",
            plural(impact.runs, "run"),
            plural(impact.steps, "step"),
            plural(impact.versions, "version"),
        ));
        ui.horizontal(|ui| {
            let label = format!("Delete procedure and {}", plural(impact.runs, "run"));
            if ui.button(label).clicked() {
                cmds.push(Command::DeleteProcedure(pid));
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

/// Search, filters and the table.
fn list_ui(ui: &mut Ui, db: &Dataset, state: &mut BrowserState, now: Timestamp) {
    let search_id = egui::Id::unique("procedure-search");
    if ui.input_mut(|i| Action::Search.consume(i, false)) {
        ui.memory_mut(|m| m.request_focus(search_id));
    }
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut state.query)
                .id(search_id)
                .hint_text("Search procedures and steps (Ctrl+F)")
                .desired_width(320.0),
        );
        egui::ComboBox::from_label("Sort by").selected_text(state.sort.label()).show_ui(ui, |ui| {
            for s in Sort::ALL {
                ui.selectable_value(&mut state.sort, s, s.label());
            }
        });
    });
    if !db.labels.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label("Labels:");
            for l in db.labels.rows() {
                let on = state.labels.contains(&l.id);
                if label_toggle(ui, l, on) {
                    if on {
                        state.labels.remove(&l.id);
                    } else {
                        state.labels.insert(l.id);
                    }
                }
            }
            if !state.labels.is_empty() && ui.small_button("Clear").clicked() {
                state.labels.clear();
            }
        });
    }
    state.refresh_within(db, FRAME_FILTER_BUDGET);
    ui.separator();

    let shown = state.search.visible().len();
    if state.searching() {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(format!("{shown} of {} procedures so far", db.procedures.len())).weak());
            ui.spinner();
        });
        ui.ctx().request_repaint();
    } else {
        ui.label(egui::RichText::new(format!("{shown} of {} procedures", db.procedures.len())).weak());
    }
    let row_height = ui.spacing().interact_size.y + 4.0;
    let rows = state.search.rows();
    let visible = state.search.visible();
    let mut clicked = None;
    let scroll_to = std::mem::take(&mut state.scroll_to_selected)
        .then(|| state.selected.and_then(|p| visible.iter().position(|i| rows[*i].id == p)))
        .flatten();
    // Wider than the window (a big zoom, a narrow window, the detail open): the table
    // scrolls sideways, so every column stays reachable.
    let salt = state.salt;
    // The name takes what the other columns leave of the window, but never less than
    // can be read: past that the table scrolls.
    let others = 110.0 + 120.0 + 44.0 + 90.0 + 44.0 + 76.0 + 7.0 * ui.spacing().item_spacing.x;
    let name_width = (ui.available_width() - others).max(160.0);
    egui::ScrollArea::horizontal().id_salt(("procedures-sideways", salt)).auto_shrink([false, false]).show(ui, |ui| {
        let mut table = TableBuilder::new(ui);
        if let Some(row) = scroll_to {
            table = table.scroll_to_row(row, None);
        }
        table
            .id_salt(("procedures-table", salt))
            .striped(true)
            .resizable(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(name_width).at_least(120.0).clip(true))
            .column(Column::initial(110.0).at_least(60.0).clip(true))
            .column(Column::initial(120.0).at_least(40.0).clip(true))
            .column(Column::initial(44.0).at_least(36.0))
            .column(Column::initial(90.0).at_least(60.0).clip(true))
            .column(Column::initial(44.0).at_least(36.0))
            .column(Column::initial(76.0).at_least(60.0))
            .header(22.0, |mut h| {
                for title in ["Name", "Next due", "Labels", "Steps", "Last run", "Runs", "Completion"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, visible.len(), |mut row| {
                    let r = &rows[visible[row.index()]];
                    let selected = state.selected == Some(r.id);
                    row.set_selected(selected);
                    row.col(|ui| {
                        if ui.selectable_label(selected, &r.name).clicked() {
                            clicked = Some(r.id);
                        }
                    });
                    row.col(|ui| next_due_cell(ui, state.search.due().get(&r.id), now));
                    row.col(|ui| label_chips(ui, db, r.id));
                    row.col(|ui| {
                        ui.label(r.steps.to_string());
                    });
                    row.col(|ui| {
                        ui.label(r.last_run.map_or("never".into(), |t| relative(now, t)));
                    });
                    row.col(|ui| {
                        ui.label(r.runs.to_string());
                    });
                    row.col(|ui| {
                        ui.label(rate_text(r.rate));
                    });
                });
            });
    });
    if let Some(id) = clicked {
        state.selected = Some(id);
    }
}

/// "overdue", "due now", "in progress", "in 3h", "Tue 8 Dec" (empty: not scheduled).
fn next_due_cell(ui: &mut Ui, due: Option<&NextDue>, now: Timestamp) {
    let Some(d) = due else { return };
    let text = match d.state {
        State::Overdue => "overdue".to_owned(),
        State::Due => "due now".to_owned(),
        State::Started => "in progress".to_owned(),
        _ if d.at.wall_secs() - now.wall_secs() < 86_400 => {
            format!("in {}", format_duration(d.at.wall_secs() - now.wall_secs()))
        }
        _ => d.at.naive().format("%a %-d %b").to_string(),
    };
    ui.label(egui::RichText::new(text).color(crate::ui::today::state_color(ui, d.state)))
        .on_hover_text(format!("Next occurrence: {}", crate::ui::today::when_words(d.at, now)));
}

/// Its schedules in words ("every day at 07:00, due within 6h"), and the next due.
fn schedules_ui(ui: &mut Ui, db: &Dataset, pid: ProcedureId, due: Option<&NextDue>, now: Timestamp) {
    let schedules: Vec<&Schedule> = db.schedules_of(pid).collect();
    if schedules.is_empty() {
        return;
    }
    ui.add_space(6.0);
    ui.strong("Schedule");
    for s in schedules {
        let rule = crate::model::recurrence::Recurrence::parse(&s.rule, s.starts_at.naive())
            .ok()
            .and_then(|r| r.describe())
            .unwrap_or_else(|| s.rule.clone());
        let rule = match s.anchor {
            Anchor::Completion => format!("{rule} after the last completion"),
            Anchor::Calendar => rule,
        };
        let time = s.starts_at.naive().format("%H:%M");
        let within = s.due_within.map_or(String::new(), |d| format!(", due within {}", format_duration(i64::from(d))));
        let paused = if s.active { "" } else { " (paused)" };
        ui.label(egui::RichText::new(format!("{rule} at {time}{within}{paused}")).weak());
    }
    if let Some(d) = due {
        let when = crate::ui::today::when_words(d.at, now);
        let text = format!("Next: {when} ({})", d.state.word());
        ui.label(egui::RichText::new(text).color(crate::ui::today::state_color(ui, d.state)));
    }
}

/// The selected procedure: description, steps, labels, recent runs, Start.
#[allow(clippy::too_many_arguments, reason = "the detail's data, its state and where commands go")]
fn detail_ui(
    ui: &mut Ui,
    cx: &mut ViewCtx<'_>,
    pid: ProcedureId,
    due: Option<NextDue>,
    confirm_delete: &mut Option<ProcedureId>,
) {
    let (db, now, read_only, cmds) = (cx.db, cx.now, cx.read_only, &mut *cx.cmds);
    let Some(p) = db.procedure(pid) else { return };
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        ui.heading(&p.name);
        ui.horizontal_wrapped(|ui| {
            ui.label(egui::RichText::new(format!("Version {}", p.version)).weak());
            label_chips(ui, db, pid);
        });
        if !p.description.is_empty() {
            super::widgets::rich_text(ui, ("procedure", pid.0), &p.description);
        }
        ui.add_space(6.0);
        let start = ui
            .add_enabled(
                !read_only && db.step_count(pid) > 0,
                egui::Button::new("▶ Start run").min_size(egui::vec2(120.0, 28.0)),
            )
            .on_hover_text("Start a new run of this procedure")
            .on_disabled_hover_text(if read_only {
                "The folder is open read-only"
            } else {
                "This procedure has no steps"
            });
        if start.clicked() {
            cmds.push(Command::StartRun(pid));
        }
        ui.horizontal_wrapped(|ui| {
            if ui.add_enabled(!read_only, egui::Button::new("✏ Edit")).clicked() {
                cmds.push(Command::EditProcedure(pid));
            }
            if ui.button(format!("Versions ({})", db.versions_of(pid).len())).clicked() {
                cmds.push(Command::ShowVersions(pid));
            }
            if ui.add_enabled(!read_only, egui::Button::new("Duplicate")).clicked() {
                cmds.push(Command::DuplicateProcedure(pid));
            }
            if ui.add_enabled(!read_only, egui::Button::new("Delete…")).clicked() {
                *confirm_delete = Some(pid);
            }
        });
        ui.horizontal_wrapped(|ui| {
            if ui.button("Print…").on_hover_text("Open a printable checklist page in your browser").clicked() {
                cmds.push(Command::PrintProcedure(pid));
            }
            if ui.button("Export checklist (Markdown)…").clicked()
                && let Some(text) = crate::transfer::procedure_markdown(db, pid)
            {
                cmds.push(Command::ExportText { suggested: format!("{}.md", file_stem(&p.name)), contents: text });
            }
            if ui.button("Export printable page (HTML)…").clicked()
                && let Some(text) = crate::transfer::procedure_html(db, pid)
            {
                cmds.push(Command::ExportText { suggested: format!("{}.html", file_stem(&p.name)), contents: text });
            }
        });
        let open: Vec<RunId> = db
            .runs_of(pid)
            .iter()
            .copied()
            .filter(|r| db.run(*r).is_some_and(|r| r.status == RunStatus::InProgress))
            .collect();
        for r in open {
            if ui.button(format!("Resume run #{r} (in progress)")).clicked() {
                cmds.push(Command::OpenRun(r));
            }
        }
        schedules_ui(ui, db, pid, due.as_ref(), now);
        ui.add_space(8.0);
        ui.strong(format!("Steps ({})", db.step_count(pid)));
        let total: u32 = db.steps_of(pid).filter_map(|s| s.estimated_duration_secs).sum();
        let mut number = 0;
        for st in db.steps_of(pid) {
            if st.kind == StepKind::Section {
                ui.add_space(4.0);
                ui.label(egui::RichText::new(crate::ops::first_line(&st.description)).strong());
                continue;
            }
            number += 1;
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("{number}."));
                ui.label(crate::ops::first_line(&st.description));
                let asks = match st.kind {
                    StepKind::Number => st.parsed_options().number().map(|n| {
                        let range = n.range_words();
                        if range.is_empty() { format!("number {}", n.unit) } else { format!("number, {range}") }
                    }),
                    StepKind::Choice => Some(
                        st.parsed_options().choices().iter().map(|o| o.label.as_str()).collect::<Vec<_>>().join(" / "),
                    ),
                    StepKind::Check | StepKind::Section => None,
                    k => Some(k.label().to_lowercase()),
                };
                if let Some(a) = asks {
                    ui.label(egui::RichText::new(format!("[{}]", a.trim())).weak().small());
                }
                if !st.show_if.is_empty() {
                    ui.label(egui::RichText::new("(conditional)").weak().small());
                }
                if let Some(d) = st.estimated_duration_secs {
                    ui.label(egui::RichText::new(format_duration(i64::from(d))).weak());
                }
            });
        }
        if total > 0 {
            ui.label(egui::RichText::new(format!("Estimated total: {}", format_duration(i64::from(total)))).weak());
        }
        ui.add_space(8.0);
        ui.strong("Recent runs");
        let recent: Vec<&Run> = db.runs_of(pid).iter().rev().take(8).filter_map(|r| db.run(*r)).collect();
        if recent.is_empty() {
            ui.label(egui::RichText::new("Not run yet").weak());
        }
        for r in recent {
            ui.horizontal(|ui| {
                ui.label(status_text(r.status));
                let done = db.run_steps_of(r.id).filter(|s| s.completed).count();
                let text = format!("{} · {}/{} steps", relative(now, r.start_time), done, db.run_steps_of(r.id).len());
                if ui.link(text).clicked() {
                    cmds.push(if r.status == RunStatus::InProgress {
                        Command::OpenRun(r.id)
                    } else {
                        Command::ShowInHistory(r.id)
                    });
                }
            });
        }
    });
}

/// A file name from a procedure name: letters, digits, spaces and dashes.
fn file_stem(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() || c == ' ' || c == '-' { c } else { '-' }).collect();
    let s = s.trim().to_owned();
    if s.is_empty() { "procedure".to_owned() } else { s }
}
