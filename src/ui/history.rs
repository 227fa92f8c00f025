//! History: every run, newest first, filtered and sorted, with the selected run's detail.

use super::Command;
use super::widgets::{status_text, time_text};
use crate::analysis::background::Latest;
use crate::analysis::history::{self, HistoryQuery, Listing, steps_done};
pub use crate::analysis::history::{Entry, HistorySort, Range, StatusFilter};
use crate::analysis::schedule::{Clock, Occurrence, State};
use crate::analysis::step_durations;
use crate::model::*;
use crate::ops;
use crate::store::{Dataset, RunSheet};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::collections::HashMap;

/// How History scrolls to its selected run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reveal {
    /// Not at all.
    #[default]
    No,
    /// To the list's middle (a run shown from elsewhere: one just finished, "Show in
    /// History").
    Centred,
    /// Only as far as it takes to stay in view, the list kept where it was when it can (a
    /// run clicked in the list).
    InView,
}

/// State of the history view.
#[derive(Debug)]
pub struct HistoryState {
    /// Procedure name filter.
    pub procedure: String,
    /// Person or title filter (who started it, who ticked, what it was about).
    pub who: String,
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
    /// How the selected run is scrolled to in the next frame, once.
    pub reveal: Reveal,
    /// The table's scroll state, this state's own.
    salt: super::widgets::ViewSalt,
    /// List the occurrences of schedules that were missed among the runs.
    pub show_missed: bool,
    key: Option<HistoryQuery>,
    rows: Vec<Entry>,
    missed: Vec<Occurrence>,
    /// Older missed occurrences counted, not listed.
    unlisted: usize,
    /// The occurrence the selected run was for, and for which run and data.
    occurrence: Option<((RunId, u64), Option<Occurrence>)>,
    /// What the background thread was asked for and has not answered (big folders).
    pending: Option<HistoryQuery>,
    /// The thread that lists big folders (started when first needed).
    worker: Option<HistoryWorker>,
}

/// The thread that lists the history of big folders: a query, the data and now in; the
/// query and its listing out.
type HistoryWorker = Latest<(HistoryQuery, Dataset, Timestamp), (HistoryQuery, Listing)>;

/// From this many runs on, filtering and sorting run on another thread.
pub const BACKGROUND_FROM: usize = 20_000;

impl Default for HistoryState {
    fn default() -> Self {
        Self {
            procedure: String::new(),
            who: String::new(),
            label: None,
            status: StatusFilter::All,
            range: Range::All,
            sort: HistorySort::Started,
            descending: true,
            selected: None,
            reveal: Reveal::No,
            salt: super::widgets::ViewSalt::default(),
            show_missed: true,
            key: None,
            rows: Vec::new(),
            missed: Vec::new(),
            unlisted: 0,
            occurrence: None,
            pending: None,
            worker: None,
        }
    }
}

impl HistoryState {
    /// The lines listed, in order (computed here and now).
    pub fn rows(&mut self, db: &Dataset, now: Timestamp) -> &[Entry] {
        self.refresh(db, now, None);
        &self.rows
    }

    /// The missed occurrence a [`Entry::Missed`] line shows.
    pub fn missed(&self, i: usize) -> Option<&Occurrence> {
        self.missed.get(i)
    }

    /// Whether the rows are being recomputed on another thread.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Bring the rows up to date with the filters and the data. With `ctx` and a big
    /// folder the work goes to another thread (which repaints when done) and the old
    /// rows stay until then.
    fn refresh(&mut self, db: &Dataset, now: Timestamp, ctx: Option<&egui::Context>) {
        if let Some(((key, (rows, missed, unlisted)), _)) = self.worker.as_ref().and_then(Latest::poll) {
            if self.pending.as_ref() == Some(&key) {
                self.pending = None;
            }
            (self.rows, self.missed, self.unlisted) = (rows, missed, unlisted);
            self.key = Some(key);
        }
        let key = HistoryQuery {
            generation: db.generation(),
            procedure: self.procedure.trim().to_lowercase(),
            who: self.who.trim().to_lowercase(),
            label: self.label,
            status: self.status,
            range: self.range,
            sort: self.sort,
            descending: self.descending,
            today: now.wall_secs() / 86_400,
            missed: self.show_missed,
        };
        if self.key.as_ref() == Some(&key) {
            self.pending = None;
            return;
        }
        match ctx {
            Some(ctx) if db.runs.len() >= BACKGROUND_FROM => {
                if self.pending.as_ref() == Some(&key) {
                    return;
                }
                let worker = self.worker.get_or_insert_with(|| {
                    let ctx = ctx.clone();
                    let work = |(q, db, now): (HistoryQuery, Dataset, Timestamp)| {
                        let listing = history::list(&db, &q, now);
                        (q, listing)
                    };
                    Latest::spawn("history", work, move || ctx.request_repaint())
                });
                worker.request((key.clone(), db.clone(), now));
                self.pending = Some(key);
            }
            _ => {
                (self.rows, self.missed, self.unlisted) = history::list(db, &key, now);
                self.key = Some(key);
                self.pending = None;
            }
        }
    }
}

/// The history view.
pub fn history_ui(ui: &mut Ui, db: &Dataset, state: &mut HistoryState, now: Timestamp, cmds: &mut Vec<Command>) {
    if let Some(run) = state.selected.filter(|r| db.run(*r).is_some()) {
        let key = (run, db.generation());
        if state.occurrence.as_ref().is_none_or(|(k, _)| *k != key) {
            let clock = Clock { now, ..Clock::system() };
            let occ = (!db.schedules.is_empty())
                .then(|| crate::analysis::schedule::occurrence_of_run(db, run, &clock))
                .flatten();
            state.occurrence = Some((key, occ));
        }
        let occ = state.occurrence.as_ref().and_then(|(_, o)| o.as_ref());
        egui::Panel::right("run-detail").resizable(true).default_size(420.0).min_size(280.0).show(ui, |ui| {
            run_detail_ui(ui, db, run, occ, now, cmds);
        });
    }
    egui::CentralPanel::no_frame().show(ui, |ui| list_ui(ui, db, state, now));
}

/// Filters and the table of runs.
fn list_ui(ui: &mut Ui, db: &Dataset, state: &mut HistoryState, now: Timestamp) {
    ui.horizontal_wrapped(|ui| {
        ui.add(egui::TextEdit::singleline(&mut state.procedure).hint_text("Filter by procedure").desired_width(200.0));
        ui.add(egui::TextEdit::singleline(&mut state.who).hint_text("Person or title").desired_width(150.0));
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
            StatusFilter::Missed => "Missed (not runs)",
        };
        egui::ComboBox::from_label("Status").selected_text(status_name).show_ui(ui, |ui| {
            ui.selectable_value(&mut state.status, StatusFilter::All, "Any status");
            for s in [RunStatus::InProgress, RunStatus::Completed, RunStatus::Cancelled] {
                ui.selectable_value(&mut state.status, StatusFilter::Only(s), s.label());
            }
            if !db.schedules.is_empty() {
                ui.selectable_value(&mut state.status, StatusFilter::Missed, "Missed (not runs)");
            }
        });
        if !db.schedules.is_empty() {
            ui.checkbox(&mut state.show_missed, "Missed occurrences")
                .on_hover_text("List the occurrences of schedules nobody started, among the runs");
        }
        egui::ComboBox::from_label("Range").selected_text(state.range.label()).show_ui(ui, |ui| {
            for r in [Range::All, Range::Days7, Range::Days30, Range::Days365] {
                ui.selectable_value(&mut state.range, r, r.label());
            }
        });
    });
    state.refresh(db, now, Some(ui.ctx()));
    ui.horizontal(|ui| {
        let runs = state.rows.iter().filter(|e| matches!(e, Entry::Run(_))).count();
        let missed = state.rows.len() - runs;
        let older = if state.unlisted > 0 {
            format!(", {} older ones not listed", format_count(state.unlisted as u64))
        } else {
            String::new()
        };
        let missed = if missed > 0 {
            format!(" · {} missed occurrences (not runs){older}", format_count(missed as u64))
        } else {
            String::new()
        };
        ui.label(
            RichText::new(format!(
                "{} of {} runs{missed}",
                format_count(runs as u64),
                format_count(db.runs.len() as u64)
            ))
            .weak(),
        );
        if state.busy() {
            ui.spinner();
            ui.label(RichText::new("Filtering and sorting…").weak());
        }
    });
    ui.separator();

    let align = match std::mem::take(&mut state.reveal) {
        Reveal::No => None,
        Reveal::Centred => Some(Some(egui::Align::Center)),
        Reveal::InView => Some(None),
    };
    let scroll_to = align.and_then(|align| {
        let selected = state.selected?;
        Some((state.rows.iter().position(|r| *r == Entry::Run(selected))?, align))
    });
    let row_height = ui.spacing().interact_size.y + 2.0;
    let mut clicked = None;
    let mut sort_clicked = None;
    // Wider than the window (a big zoom, a narrow window, the detail open): the table
    // scrolls sideways, so every column stays reachable.
    let salt = state.salt;
    // The notes take what the other columns leave of the window, but never less than
    // can be read: past that the table scrolls.
    let others = 190.0 + 118.0 + 72.0 + 84.0 + 50.0 + 96.0 + 7.0 * ui.spacing().item_spacing.x;
    let notes_width = (ui.available_width() - others).max(160.0);
    egui::ScrollArea::horizontal().id_salt(("history-sideways", salt)).auto_shrink([false, false]).show(ui, |ui| {
        let mut table = TableBuilder::new(ui)
            .id_salt(("history-table", salt))
            .striped(true)
            .resizable(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(190.0).at_least(100.0).clip(true))
            .column(Column::initial(118.0).at_least(60.0).clip(true))
            .column(Column::initial(72.0).at_least(40.0).clip(true))
            .column(Column::initial(84.0).at_least(40.0).clip(true))
            .column(Column::initial(50.0).at_least(36.0))
            .column(Column::initial(96.0).at_least(40.0).clip(true))
            .column(Column::initial(notes_width).at_least(120.0).clip(true));
        if let Some((i, align)) = scroll_to {
            table = table.scroll_to_row(i, align);
        }
        let (rows, missed) = (&state.rows, &state.missed);
        let (sort, descending) = (state.sort, state.descending);
        table
            .header(22.0, |mut h| {
                for (title, col) in [
                    ("Procedure", Some(HistorySort::Procedure)),
                    ("Started", Some(HistorySort::Started)),
                    ("Duration", Some(HistorySort::Duration)),
                    ("Status", Some(HistorySort::Status)),
                    ("Steps", Some(HistorySort::StepsDone)),
                    ("By", None),
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
                    let id = match rows[row.index()] {
                        Entry::Run(id) => id,
                        Entry::Missed(i) => {
                            if let Some(o) = missed.get(i) {
                                missed_row(&mut row, db, o);
                            }
                            return;
                        }
                    };
                    let Some(r) = db.run(id) else { return };
                    let selected = state.selected == Some(id);
                    row.set_selected(selected);
                    let name = db.procedure(r.procedure_id).map_or("(deleted procedure)", |p| p.name.as_str());
                    let name = if r.title().is_empty() { name.to_owned() } else { format!("{name} — {}", r.title()) };
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
                            RunStatus::InProgress => format_duration(now.elapsed_since(&r.start_time)) + "…",
                            _ => r.end_time.map_or(String::new(), |e| format_duration(e.elapsed_since(&r.start_time))),
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
                        ui.label(r.started_by.as_str());
                    });
                    row.col(|ui| {
                        ui.label(r.notes());
                    });
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
        // The detail opens beside the list: the filters above may wrap onto more lines.
        state.reveal = Reveal::InView;
    }
}

/// A missed occurrence among the runs: greyed, italic, "missed — not run".
fn missed_row(row: &mut egui_extras::TableRow<'_, '_>, db: &Dataset, o: &Occurrence) {
    let name = db.procedure(o.procedure).map_or("(deleted procedure)", |p| p.name.as_str());
    let weak = |t: String| RichText::new(t).italics().weak();
    row.col(|ui| {
        ui.label(weak(name.to_owned())).on_hover_text("An occurrence of a schedule nobody started: not a run");
    });
    row.col(|ui| {
        ui.label(weak(o.at.canonical()[..16].to_owned()));
    });
    row.col(|_| {});
    row.col(|ui| {
        ui.label(RichText::new("missed").italics().color(crate::ui::today::state_color(ui, State::Missed)));
    });
    row.col(|_| {});
    row.col(|_| {});
    row.col(|ui| {
        ui.label(weak("no run was started for this occurrence".into()));
    });
}

/// Every step of a run with tick time, time taken and note; run notes; the version.
fn run_detail_ui(
    ui: &mut Ui,
    db: &Dataset,
    run: RunId,
    occ: Option<&Occurrence>,
    now: Timestamp,
    cmds: &mut Vec<Command>,
) {
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
        if !r.title().is_empty() {
            ui.label(RichText::new(r.title()).strong());
        }
        let by = if r.started_by.is_none() { String::new() } else { format!(" by {}", r.started_by) };
        ui.label(format!("Started {}{by}", r.start_time));
        if let Some(end) = r.end_time {
            ui.label(format!("Ended {} ({})", end, format_duration(end.elapsed_since(&r.start_time))));
        }
        match (occ, r.scheduled_for()) {
            (Some(o), _) => {
                let (text, state) = if o.late { ("late", State::Overdue) } else { ("on time", State::Done) };
                ui.horizontal(|ui| {
                    ui.label(format!("For the occurrence of {}", crate::ui::today::when_words(o.at, now)));
                    ui.label(RichText::new(text).color(crate::ui::today::state_color(ui, state)));
                });
            }
            (None, Some(at)) => {
                ui.label(format!(
                    "For the occurrence of {} (no schedule has it now)",
                    crate::ui::today::when_words(at, now)
                ));
            }
            (None, None) => {}
        }
        ui.horizontal_wrapped(|ui| {
            if r.status == RunStatus::InProgress && ui.button("Resume").clicked() {
                cmds.push(Command::OpenRun(r.id));
            }
            if ui.button("Export report (Markdown)…").clicked()
                && let Some(text) = crate::transfer::run_report_markdown(db, r.id)
            {
                cmds.push(Command::ExportText { suggested: format!("run-{}.md", r.id), contents: text });
            }
            if ui.button("Export report (CSV)…").clicked()
                && let Some(text) = crate::transfer::run_report_csv(db, r.id)
            {
                cmds.push(Command::ExportText { suggested: format!("run-{}.csv", r.id), contents: text });
            }
            if ui.button("Print…").on_hover_text("The run's record as a page to print, in your browser").clicked() {
                cmds.push(Command::PrintRun(r.id));
            }
        });
        if !r.notes().is_empty() {
            ui.label(RichText::new(format!("Notes: {}", r.notes())).italics());
        }
        ui.add_space(6.0);
        let took: HashMap<RunStepId, i64> = step_durations(db, r).into_iter().map(|(rs, _, d)| (rs, d)).collect();
        let sheet = RunSheet::of(db, run);
        let needed = sheet.needed(db);
        let mut number = 0;
        for (item, needed) in sheet.items.iter().zip(needed) {
            let Some(rs_id) = item.run_step else {
                ui.add_space(4.0);
                ui.label(RichText::new(ops::first_line(&item.text)).strong());
                continue;
            };
            let Some(rs) = db.run_step(rs_id) else { continue };
            number += 1;
            if !needed {
                let text = format!("– {number}. {} (not needed)", ops::first_line(&item.text));
                ui.add(egui::Label::new(RichText::new(text).weak()).wrap());
                continue;
            }
            let mark = if rs.completed { "☑" } else { "☐" };
            ui.add(egui::Label::new(format!("{mark} {number}. {}", ops::first_line(&item.text))).wrap());
            if !rs.value().is_empty() {
                ui.horizontal_wrapped(|ui| {
                    ui.add_space(18.0);
                    let unit = item.options.number().map_or(String::new(), |n| format!(" {}", n.unit));
                    ui.label(RichText::new(format!("{}{unit}", rs.value())).strong());
                    if let Ok(Judged::Flagged(why)) = judge(item.kind, &item.options, rs.value()) {
                        ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {why}"));
                    }
                });
            }
            let mut facts = Vec::new();
            if let Some(t) = rs.completed_at() {
                facts.push(format!("ticked {}", time_text(now, t)));
            }
            if !rs.completed_by.is_none() {
                facts.push(format!("by {}", rs.completed_by));
            }
            if let Some(d) = took.get(&rs_id) {
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
