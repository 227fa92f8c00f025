//! History: every run, newest first, filtered and sorted, with the selected run's detail.

use super::Command;
use super::widgets::{status_text, time_text};
use crate::analysis::{run_duration_secs, step_durations};
use crate::model::*;
use crate::store::Db;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::collections::HashMap;

/// Sortable columns of the history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HistorySort {
    /// Start time.
    #[default]
    Started,
    /// Procedure name.
    Procedure,
    /// Duration.
    Duration,
    /// Status.
    Status,
    /// Steps done.
    StepsDone,
}

/// Which runs by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StatusFilter {
    /// All.
    #[default]
    All,
    /// Only this status.
    Only(RunStatus),
}

/// Date range filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Range {
    /// Everything.
    #[default]
    All,
    /// The last 7 days.
    Days7,
    /// The last 30 days.
    Days30,
    /// The last 365 days.
    Days365,
}

impl Range {
    fn days(self) -> Option<i64> {
        match self {
            Range::All => None,
            Range::Days7 => Some(7),
            Range::Days30 => Some(30),
            Range::Days365 => Some(365),
        }
    }
    fn label(self) -> &'static str {
        match self {
            Range::All => "All time",
            Range::Days7 => "Last 7 days",
            Range::Days30 => "Last 30 days",
            Range::Days365 => "Last 365 days",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    generation: u64,
    procedure: String,
    label: Option<LabelId>,
    status: StatusFilter,
    range: Range,
    sort: HistorySort,
    descending: bool,
    today: i64,
}

/// State of the history view.
#[derive(Debug)]
pub struct HistoryState {
    /// Procedure name filter.
    pub procedure: String,
    /// Label filter.
    pub label: Option<LabelId>,
    /// Status filter.
    pub status: StatusFilter,
    /// Date range.
    pub range: Range,
    /// Sort column.
    pub sort: HistorySort,
    /// Sort direction.
    pub descending: bool,
    /// The selected run.
    pub selected: Option<RunId>,
    /// Scroll the selected run into view once.
    pub scroll_to_selected: bool,
    key: Option<Key>,
    rows: Vec<RunId>,
}

impl Default for HistoryState {
    fn default() -> Self {
        Self {
            procedure: String::new(),
            label: None,
            status: StatusFilter::All,
            range: Range::All,
            sort: HistorySort::Started,
            descending: true,
            selected: None,
            scroll_to_selected: false,
            key: None,
            rows: Vec::new(),
        }
    }
}

impl HistoryState {
    /// The runs listed, in order.
    pub fn rows(&mut self, db: &Db, now: Timestamp) -> &[RunId] {
        self.refresh(db, now);
        &self.rows
    }

    fn refresh(&mut self, db: &Db, now: Timestamp) {
        let key = Key {
            generation: db.generation(),
            procedure: self.procedure.trim().to_lowercase(),
            label: self.label,
            status: self.status,
            range: self.range,
            sort: self.sort,
            descending: self.descending,
            today: now.wall_secs() / 86_400,
        };
        if self.key.as_ref() == Some(&key) {
            return;
        }
        // Procedures that pass the name and label filters.
        let procs: HashMap<ProcedureId, bool> = db
            .procedures
            .rows()
            .iter()
            .map(|p| {
                let name_ok = key.procedure.is_empty() || p.name.to_lowercase().contains(&key.procedure);
                let label_ok = key.label.is_none_or(|l| db.labels_of(p.id).contains(&l));
                (p.id, name_ok && label_ok)
            })
            .collect();
        let since = key.range.days().map(|d| now.wall_secs() - d * 86_400);
        let mut rows: Vec<RunId> = db
            .runs
            .rows()
            .iter()
            .filter(|r| procs.get(&r.procedure_id).copied().unwrap_or(key.procedure.is_empty() && key.label.is_none()))
            .filter(|r| match key.status {
                StatusFilter::All => true,
                StatusFilter::Only(s) => r.status == s,
            })
            .filter(|r| since.is_none_or(|s| r.start_time.to_local().wall_secs() >= s))
            .map(|r| r.id)
            .collect();
        let run = |id: &RunId| db.run(*id);
        match key.sort {
            // Keys computed once per run (a lookup per comparison is too slow at 500,000 runs).
            HistorySort::Started => rows.sort_by_cached_key(|id| (run(id).map(|r| r.start_time.sort_key()), *id)),
            HistorySort::Procedure => rows.sort_by_cached_key(|id| {
                (run(id).and_then(|r| db.procedure(r.procedure_id)).map(|p| p.name.to_lowercase()), *id)
            }),
            HistorySort::Duration => rows.sort_by_cached_key(|id| (run(id).and_then(run_duration_secs), *id)),
            HistorySort::Status => rows.sort_by_cached_key(|id| (run(id).map(|r| r.status), *id)),
            HistorySort::StepsDone => rows.sort_by_cached_key(|id| (steps_done(db, *id), *id)),
        }
        if key.descending {
            rows.reverse();
        }
        self.rows = rows;
        self.key = Some(key);
    }
}

fn steps_done(db: &Db, run: RunId) -> (usize, usize) {
    let steps = db.run_steps_of(run);
    let total = steps.len();
    (steps.filter(|s| s.completed).count(), total)
}

/// The history view.
pub fn history_ui(ui: &mut Ui, db: &Db, state: &mut HistoryState, now: Timestamp, cmds: &mut Vec<Command>) {
    if let Some(run) = state.selected.filter(|r| db.run(*r).is_some()) {
        egui::Panel::right("run-detail").resizable(true).default_size(420.0).min_size(280.0).show(ui, |ui| {
            run_detail_ui(ui, db, run, now, cmds);
        });
    }
    egui::CentralPanel::no_frame().show(ui, |ui| list_ui(ui, db, state, now));
}

/// Filters and the table of runs.
fn list_ui(ui: &mut Ui, db: &Db, state: &mut HistoryState, now: Timestamp) {
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::TextEdit::singleline(&mut state.procedure).hint_text("Filter by procedure").desired_width(200.0));
        let label_name = state.label.and_then(|l| db.label(l)).map_or("Any label".to_owned(), |l| l.name.clone());
        egui::ComboBox::from_label("Label").selected_text(label_name).show_ui(ui, |ui| {
            ui.selectable_value(&mut state.label, None, "Any label");
            for l in db.labels.rows() {
                ui.selectable_value(&mut state.label, Some(l.id), &l.name);
            }
        });
        let status_name = match state.status {
            StatusFilter::All => "Any status",
            StatusFilter::Only(s) => s.label(),
        };
        egui::ComboBox::from_label("Status").selected_text(status_name).show_ui(ui, |ui| {
            ui.selectable_value(&mut state.status, StatusFilter::All, "Any status");
            for s in [RunStatus::InProgress, RunStatus::Completed, RunStatus::Cancelled] {
                ui.selectable_value(&mut state.status, StatusFilter::Only(s), s.label());
            }
        });
        egui::ComboBox::from_label("Range").selected_text(state.range.label()).show_ui(ui, |ui| {
            for r in [Range::All, Range::Days7, Range::Days30, Range::Days365] {
                ui.selectable_value(&mut state.range, r, r.label());
            }
        });
    });
    state.refresh(db, now);
    ui.label(RichText::new(format!("{} of {} runs", state.rows.len(), db.runs.len())).weak());
    ui.separator();

    let scroll_to = state
        .scroll_to_selected
        .then(|| state.selected.and_then(|s| state.rows.iter().position(|r| *r == s)))
        .flatten();
    state.scroll_to_selected = false;
    let row_height = ui.spacing().interact_size.y + 2.0;
    let mut clicked = None;
    let mut sort_clicked = None;
    let mut table = TableBuilder::new(ui)
        .id_salt(("history-table", state.selected.is_some()))
        .striped(true)
        .resizable(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(190.0).at_least(100.0).clip(true))
        .column(Column::initial(118.0).at_least(60.0).clip(true))
        .column(Column::initial(72.0).at_least(40.0).clip(true))
        .column(Column::initial(84.0).at_least(40.0).clip(true))
        .column(Column::initial(50.0).at_least(36.0))
        .column(Column::remainder().clip(true));
    if let Some(i) = scroll_to {
        table = table.scroll_to_row(i, Some(egui::Align::Center));
    }
    let rows = &state.rows;
    let (sort, descending) = (state.sort, state.descending);
    table
        .header(22.0, |mut h| {
            for (title, col) in [
                ("Procedure", Some(HistorySort::Procedure)),
                ("Started", Some(HistorySort::Started)),
                ("Duration", Some(HistorySort::Duration)),
                ("Status", Some(HistorySort::Status)),
                ("Steps", Some(HistorySort::StepsDone)),
                ("Notes", None),
            ] {
                h.col(|ui| match col {
                    Some(c) => {
                        let arrow = if sort == c { if descending { " ⏷" } else { " ⏶" } } else { "" };
                        if ui
                            .add(egui::Button::new(RichText::new(format!("{title}{arrow}")).strong()).frame(false))
                            .on_hover_text(format!("Sort by {}", title.to_lowercase()))
                            .clicked()
                        {
                            sort_clicked = Some(c);
                        }
                    }
                    None => {
                        ui.strong(title);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| {
                let id = rows[row.index()];
                let Some(r) = db.run(id) else { return };
                let selected = state.selected == Some(id);
                row.set_selected(selected);
                let name = db.procedure(r.procedure_id).map_or("(deleted procedure)", |p| p.name.as_str());
                row.col(|ui| {
                    if ui.selectable_label(selected, name).on_hover_text(format!("Run #{id}")).clicked() {
                        clicked = Some(id);
                    }
                });
                row.col(|ui| {
                    ui.label(r.start_time.canonical()[..16].to_owned());
                });
                row.col(|ui| {
                    let d = match r.status {
                        RunStatus::InProgress => format_duration(now.secs_since(&r.start_time).max(0)) + "…",
                        _ => r.end_time.map_or(String::new(), |e| format_duration(e.secs_since(&r.start_time))),
                    };
                    ui.label(d);
                });
                row.col(|ui| {
                    ui.label(status_text(r.status));
                });
                row.col(|ui| {
                    let (done, total) = steps_done(db, id);
                    ui.label(format!("{done}/{total}"));
                });
                row.col(|ui| {
                    ui.label(&r.notes);
                });
            });
        });
    if let Some(c) = sort_clicked {
        if state.sort == c {
            state.descending = !state.descending;
        } else {
            state.sort = c;
            state.descending = c != HistorySort::Procedure;
        }
    }
    if let Some(id) = clicked {
        state.selected = Some(id);
    }
}

/// Every step of a run with tick time, time taken and note; run notes; the version.
fn run_detail_ui(ui: &mut Ui, db: &Db, run: RunId, now: Timestamp, cmds: &mut Vec<Command>) {
    let Some(r) = db.run(run) else { return };
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        let name = db.procedure(r.procedure_id).map_or("(deleted procedure)", |p| p.name.as_str());
        ui.heading(name);
        ui.horizontal(|ui| {
            ui.label(status_text(r.status));
            ui.label(RichText::new(format!("Run #{}", r.id)).weak());
            if let Some(v) = r.procedure_version {
                ui.label(RichText::new(format!("version {v}")).weak());
            }
        });
        ui.label(format!("Started {}", r.start_time));
        if let Some(end) = r.end_time {
            ui.label(format!("Ended {} ({})", end, format_duration(end.secs_since(&r.start_time))));
        }
        ui.horizontal_wrapped(|ui| {
            if r.status == RunStatus::InProgress && ui.button("Resume").clicked() {
                cmds.push(Command::OpenRun(r.id));
            }
            if ui.button("Export report (Markdown)…").clicked()
                && let Some(text) = crate::export::run_report_markdown(db, r.id)
            {
                cmds.push(Command::ExportText { suggested: format!("run-{}.md", r.id), contents: text });
            }
            if ui.button("Export report (CSV)…").clicked()
                && let Some(text) = crate::export::run_report_csv(db, r.id)
            {
                cmds.push(Command::ExportText { suggested: format!("run-{}.csv", r.id), contents: text });
            }
        });
        if !r.notes.is_empty() {
            ui.label(RichText::new(format!("Notes: {}", r.notes)).italics());
        }
        ui.add_space(6.0);
        let took: HashMap<RunStepId, i64> = step_durations(db, r).into_iter().map(|(rs, _, d)| (rs, d)).collect();
        for (i, (rs_id, text, _)) in db.run_step_texts(run).iter().enumerate() {
            let Some(rs) = db.run_step(*rs_id) else { continue };
            let mark = if rs.completed { "☑" } else { "☐" };
            ui.add(egui::Label::new(format!("{mark} {}. {text}", i + 1)).wrap());
            let mut facts = Vec::new();
            if let Some(t) = rs.completed_at {
                facts.push(format!("ticked {}", time_text(now, t)));
            }
            if let Some(d) = took.get(rs_id) {
                facts.push(format!("took {}", format_duration(*d)));
            }
            if !rs.notes().is_empty() {
                facts.push(format!("note: {}", rs.notes()));
            }
            if !facts.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    ui.add_space(18.0);
                    ui.label(RichText::new(facts.join(" · ")).weak());
                });
            }
            ui.add_space(2.0);
        }
    });
}
