//! History: every run, newest first, filtered and sorted, with the selected run's detail.

use super::Command;
use super::widgets::{status_text, time_text};
use crate::analysis::schedule::{Clock, Engine, Occurrence, State};
use crate::analysis::{run_duration_secs, step_durations};
use crate::model::*;
use crate::ops;
use crate::store::{Db, RunSheet};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, TryRecvError};

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
    /// Only occurrences of schedules nobody started (not runs).
    Missed,
}

/// A line of the history: a run, or an occurrence of a schedule that was missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A run.
    Run(RunId),
    /// Missed: the index into the missed occurrences.
    Missed(usize),
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
    who: String,
    label: Option<LabelId>,
    status: StatusFilter,
    range: Range,
    sort: HistorySort,
    descending: bool,
    today: i64,
    missed: bool,
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
    /// Scroll the selected run into view once.
    pub scroll_to_selected: bool,
    /// The table's scroll state, this state's own.
    salt: super::widgets::ViewSalt,
    /// List the occurrences of schedules that were missed among the runs.
    pub show_missed: bool,
    key: Option<Key>,
    rows: Vec<Entry>,
    missed: Vec<Occurrence>,
    /// The occurrence the selected run was for, and for which run and data.
    occurrence: Option<((RunId, u64), Option<Occurrence>)>,
    /// Rows being filtered and sorted on another thread (big folders), and for what.
    pending: Option<(Key, Receiver<Listing>)>,
}

/// The lines of the history and the missed occurrences they point into.
type Listing = (Vec<Entry>, Vec<Occurrence>);

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
            scroll_to_selected: false,
            salt: super::widgets::ViewSalt::default(),
            show_missed: true,
            key: None,
            rows: Vec::new(),
            missed: Vec::new(),
            occurrence: None,
            pending: None,
        }
    }
}

impl HistoryState {
    /// The lines listed, in order (computed here and now).
    pub fn rows(&mut self, db: &Db, now: Timestamp) -> &[Entry] {
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
    fn refresh(&mut self, db: &Db, now: Timestamp, ctx: Option<&egui::Context>) {
        if let Some((key, rx)) = &self.pending {
            match rx.try_recv() {
                Ok((rows, missed)) => {
                    (self.rows, self.missed) = (rows, missed);
                    self.key = Some(key.clone());
                    self.pending = None;
                }
                Err(TryRecvError::Disconnected) => self.pending = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        let key = Key {
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
                if self.pending.as_ref().is_some_and(|(k, _)| *k == key) {
                    return;
                }
                let (tx, rx) = std::sync::mpsc::channel();
                let (shared, job, ctx) = (db.clone(), key.clone(), ctx.clone());
                let spawned = std::thread::Builder::new().name("history".into()).spawn(move || {
                    if tx.send(compute_rows(&shared, &job, now)).is_ok() {
                        ctx.request_repaint();
                    }
                });
                match spawned {
                    Ok(_) => self.pending = Some((key, rx)),
                    Err(_) => {
                        (self.rows, self.missed) = compute_rows(db, &key, now);
                        self.key = Some(key);
                    }
                }
            }
            _ => {
                (self.rows, self.missed) = compute_rows(db, &key, now);
                self.key = Some(key);
                self.pending = None;
            }
        }
    }
}

/// The runs that pass the filters of `key`, sorted, with the missed occurrences of the
/// procedures that pass them (by time among the runs; after them in other sorts).
fn compute_rows(db: &Db, key: &Key, now: Timestamp) -> Listing {
    // Procedures that pass the name and label filters (none: every procedure passes).
    let all = key.procedure.is_empty() && key.label.is_none();
    let procs: HashSet<ProcedureId> = if all {
        HashSet::new()
    } else {
        db.procedures
            .rows()
            .iter()
            .filter(|p| key.procedure.is_empty() || p.name.to_lowercase().contains(&key.procedure))
            .filter(|p| key.label.is_none_or(|l| db.labels_of(p.id).contains(&l)))
            .map(|p| p.id)
            .collect()
    };
    let since = key.range.days().map(|d| now.wall_secs() - d * 86_400);
    let runs: Vec<&Run> = db
        .runs
        .rows()
        .iter()
        .filter(|r| all || procs.contains(&r.procedure_id))
        .filter(|r| match key.status {
            StatusFilter::All => true,
            StatusFilter::Only(s) => r.status == s,
            StatusFilter::Missed => false,
        })
        .filter(|r| since.is_none_or(|s| r.start_time.to_local().wall_secs() >= s))
        .filter(|r| key.who.is_empty() || by_person_or_title(db, r, &key.who))
        .collect();
    // Keys computed once per run, then one sort of (key, id) pairs.
    fn sorted<K: Ord>(runs: &[&Run], key: impl Fn(&Run) -> K) -> Vec<RunId> {
        let mut keyed: Vec<(K, RunId)> = runs.iter().map(|r| (key(r), r.id)).collect();
        if !keyed.is_sorted() {
            keyed.sort_unstable();
        }
        keyed.into_iter().map(|(_, id)| id).collect()
    }
    let mut rows = match key.sort {
        HistorySort::Started => sorted(&runs, |r| r.start_time.sort_key()),
        HistorySort::Procedure => {
            // Names ranked once per procedure, not lowercased per run.
            let mut names: Vec<(String, ProcedureId)> =
                db.procedures.rows().iter().map(|p| (p.name.to_lowercase(), p.id)).collect();
            names.sort_unstable();
            let rank: HashMap<ProcedureId, usize> = names.into_iter().enumerate().map(|(i, (_, p))| (p, i)).collect();
            sorted(&runs, |r| rank.get(&r.procedure_id).copied())
        }
        HistorySort::Duration => sorted(&runs, run_duration_secs),
        HistorySort::Status => sorted(&runs, |r| r.status),
        HistorySort::StepsDone => sorted(&runs, |r| steps_done(db, r.id)),
    };
    if key.descending {
        rows.reverse();
    }
    let want_missed = key.status == StatusFilter::Missed || (key.missed && key.status == StatusFilter::All);
    if !want_missed || !key.who.is_empty() {
        return (rows.into_iter().map(Entry::Run).collect(), Vec::new());
    }
    let mut missed = missed_occurrences(db, |p| all || procs.contains(&p), since, now);
    if key.descending {
        missed.reverse();
    }
    // Merge by time when sorted by start; else the missed ones come after the runs.
    let mut out = Vec::with_capacity(rows.len() + missed.len());
    let mut m = 0;
    for id in rows {
        if key.sort == HistorySort::Started
            && let Some(start) = db.run(id).map(|r| r.start_time.wall_secs())
        {
            while m < missed.len() && (missed[m].at.wall_secs() > start) == key.descending {
                out.push(Entry::Missed(m));
                m += 1;
            }
        }
        out.push(Entry::Run(id));
    }
    out.extend((m..missed.len()).map(Entry::Missed));
    (out, missed)
}

/// Every missed occurrence (oldest first) of the procedures `keep` passes, since `since`.
fn missed_occurrences(
    db: &Db,
    keep: impl Fn(ProcedureId) -> bool,
    since: Option<i64>,
    now: Timestamp,
) -> Vec<Occurrence> {
    let clock = Clock { now, ..Clock::system() };
    let mut engine = Engine::new();
    let procedures: std::collections::BTreeSet<ProcedureId> =
        db.schedules.rows().iter().filter(|s| s.active && keep(s.procedure_id)).map(|s| s.procedure_id).collect();
    let from = since.unwrap_or(i64::MIN);
    let mut out: Vec<Occurrence> = procedures
        .into_iter()
        .flat_map(|p| engine.occurrences(db, p, &clock, from, now.wall_secs()))
        .filter(|o| o.state == State::Missed)
        .collect();
    out.sort_by_key(|o| (o.at.wall_secs(), o.procedure, o.schedule));
    out
}

/// Whether `who` (lowercase) is in the run's title, its starter's name, or the name of
/// someone who ticked one of its steps.
fn by_person_or_title(db: &Db, r: &Run, who: &str) -> bool {
    let has = |text: &str| text.to_lowercase().contains(who);
    has(r.title())
        || has(r.started_by.as_str())
        || db.run_steps_of(r.id).any(|rs| !rs.completed_by.is_none() && has(rs.completed_by.as_str()))
}

fn steps_done(db: &Db, run: RunId) -> (usize, usize) {
    let steps = db.run_steps_of(run);
    let total = steps.len();
    (steps.filter(|s| s.completed).count(), total)
}

/// The history view.
pub fn history_ui(ui: &mut Ui, db: &Db, state: &mut HistoryState, now: Timestamp, cmds: &mut Vec<Command>) {
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
fn list_ui(ui: &mut Ui, db: &Db, state: &mut HistoryState, now: Timestamp) {
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
        let missed = if missed > 0 { format!(" · {missed} missed occurrences (not runs)") } else { String::new() };
        ui.label(RichText::new(format!("{runs} of {} runs{missed}", db.runs.len())).weak());
        if state.busy() {
            ui.spinner();
            ui.label(RichText::new("Filtering and sorting…").weak());
        }
    });
    ui.separator();

    let scroll_to = state
        .scroll_to_selected
        .then(|| state.selected.and_then(|s| state.rows.iter().position(|r| *r == Entry::Run(s))))
        .flatten();
    state.scroll_to_selected = false;
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
        if let Some(i) = scroll_to {
            table = table.scroll_to_row(i, Some(egui::Align::Center));
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
    }
}

/// A missed occurrence among the runs: greyed, italic, "missed — not run".
fn missed_row(row: &mut egui_extras::TableRow<'_, '_>, db: &Db, o: &Occurrence) {
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
fn run_detail_ui(ui: &mut Ui, db: &Db, run: RunId, occ: Option<&Occurrence>, now: Timestamp, cmds: &mut Vec<Command>) {
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
            if let Some(t) = rs.completed_at {
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
