//! Analytics: where the time goes. Headline numbers, plots (runs per week or month by
//! status, completion rate, run durations with a rolling median, bottleneck steps,
//! per version) and an overview table, for all procedures or one, over a date range,
//! optionally by label. Computed on a worker thread; old numbers stay (greyed) while
//! new ones are computed.

use super::Command;
use super::widgets::rate_text;
use crate::analysis::{DateRange, OverviewRow, Report, ReportKey, Selection, Worker, day_date};
use crate::model::*;
use crate::store::Dataset;
use egui::{Color32, RichText, Ui};
use std::sync::Arc;

mod plots;

use plots::{bottleneck_ui, completion_plot_ui, durations_plot_ui, runs_plot_ui, values_ui, versions_plot_ui};
const COMPLETED: Color32 = Color32::from_rgb(0x2e, 0x9e, 0x4f);
const CANCELLED: Color32 = Color32::from_rgb(0xd0, 0x50, 0x40);
const IN_PROGRESS: Color32 = Color32::from_rgb(0x42, 0x85, 0xf4);

/// Overview table sort.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OverviewSort {
    /// By name.
    #[default]
    Name,
    /// Most runs first.
    Runs,
    /// Highest completion rate first.
    CompletionRate,
    /// Longest median first.
    Median,
    /// Biggest slowdown first.
    Trend,
    /// Most flagged values first.
    Flagged,
    /// Lowest on-time rate first (unscheduled last).
    OnTime,
}

/// State of the analytics view.
#[derive(Default)]
pub struct AnalyticsState {
    /// What is analysed.
    pub selection: Selection,
    /// Filter text of the procedure picker.
    pub procedure_query: String,
    /// The picker's list is open (its search box took the focus when it opened).
    picker_open: bool,
    /// Weeks or months for the runs plot.
    pub monthly: bool,
    /// Typed custom range.
    pub custom_from: String,
    /// Typed custom range.
    pub custom_to: String,
    /// The report shown (the newest received) and what it was computed for.
    pub report: Option<(ReportKey, Arc<Report>)>,
    /// Recent reports, to switch back to a selection at once (newest last).
    cache: Vec<(ReportKey, Arc<Report>)>,
    /// How long the newest report took.
    pub compute_time: Option<std::time::Duration>,
    /// The report asked for and not yet received.
    pub pending: Option<ReportKey>,
    /// Overview sort.
    pub sort: OverviewSort,
    /// The bottleneck step whose runs are listed.
    pub selected_step: Option<StepId>,
    /// Where each plot was drawn (for PNG export).
    pub plot_rects: Vec<(&'static str, egui::Rect)>,
    reset_plots: bool,
    worker: Option<Worker>,
}

impl std::fmt::Debug for AnalyticsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalyticsState").field("selection", &self.selection).finish_non_exhaustive()
    }
}

impl AnalyticsState {
    /// The current report's numbers, if it matches the current data and selection.
    pub fn current(&self, db: &Dataset, today: chrono::NaiveDate) -> Option<&Report> {
        let key = self.key(db, today);
        self.report.as_ref().filter(|(k, _)| *k == key).map(|(_, r)| r.as_ref())
    }

    fn key(&self, db: &Dataset, today: chrono::NaiveDate) -> ReportKey {
        ReportKey::of(db, self.selection, today)
    }

    /// Ask the worker for the report of the current selection if it is not there yet.
    fn refresh(&mut self, ctx: &egui::Context, db: &Dataset, today: chrono::NaiveDate) {
        if let Some(w) = &self.worker
            && let Some((k, r, took)) = w.poll()
        {
            self.accept(k, r, took);
        }
        let key = self.key(db, today);
        let have = self.report.as_ref().is_some_and(|(k, _)| *k == key);
        if !have && let Some(i) = self.cache.iter().position(|(k, _)| *k == key) {
            let hit = self.cache.remove(i);
            self.cache.push(hit.clone());
            self.report = Some(hit);
            return;
        }
        if !have && self.pending != Some(key) {
            let ctx = ctx.clone();
            let worker = self.worker.get_or_insert_with(|| Worker::spawn(move || ctx.request_repaint()));
            worker.request(key, db.clone());
            self.pending = Some(key);
        }
    }

    fn accept(&mut self, key: ReportKey, report: Report, took: std::time::Duration) {
        let report = Arc::new(report);
        if self.pending == Some(key) {
            self.pending = None;
        }
        self.cache.retain(|(k, _)| *k != key);
        self.cache.push((key, Arc::clone(&report)));
        if self.cache.len() > 8 {
            self.cache.remove(0);
        }
        self.report = Some((key, report));
        self.compute_time = Some(took);
    }

    /// Block until the report asked for has arrived (tests).
    pub fn wait(&mut self) {
        while self.pending.is_some() {
            let Some((k, r, took)) = self.worker.as_ref().and_then(Worker::wait) else { return };
            self.accept(k, r, took);
        }
    }
}

fn date_text(day: f64) -> String {
    day_date(day).map_or(String::new(), |d| d.format("%Y-%m-%d").to_string())
}

fn secs_text(secs: f64) -> String {
    format_duration(secs.round() as i64)
}

/// A short description of the selection (for exports and headings).
pub fn selection_label(db: &Dataset, sel: &Selection) -> String {
    let who = sel.procedure.and_then(|p| db.procedure(p)).map_or("All procedures".to_owned(), |p| p.name.clone());
    let label = sel.label.and_then(|l| db.label(l)).map(|l| format!(", label {}", l.name)).unwrap_or_default();
    let range = match sel.range {
        DateRange::All => "all time".to_owned(),
        DateRange::LastDays(n) => format!("last {n} days"),
        DateRange::Custom { from, to } => format!("{from} to {to}"),
    };
    format!("{who}{label}, {range}")
}

/// The analytics view.
pub fn analytics_ui(ui: &mut Ui, db: &Dataset, state: &mut AnalyticsState, now: Timestamp, cmds: &mut Vec<Command>) {
    let today = now.local_date();
    controls_ui(ui, db, state);
    state.refresh(ui.ctx(), db, today);
    let stale = state.current(db, today).is_none();
    let Some((_, report)) = &state.report else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Computing…");
        });
        return;
    };
    // Shared, not copied: a report at y1 holds hundreds of thousands of points.
    let report = Arc::clone(report);
    ui.separator();
    egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
        if stale {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Updating…").weak());
            });
            ui.disable();
        }
        headline_ui(ui, &report);
        ui.horizontal(|ui| {
            if ui.button("Export numbers (CSV)…").clicked() {
                let label = selection_label(db, &state.selection);
                cmds.push(Command::ExportText {
                    suggested: "analytics.csv".into(),
                    contents: crate::transfer::summary_csv(&label, &report),
                });
            }
            if ui.button("Reset zoom").on_hover_text("Show all data in every plot (or double-click a plot)").clicked() {
                state.reset_plots = true;
            }
            if let Some(t) = state.compute_time {
                ui.label(RichText::new(format!("computed in {} ms", t.as_millis())).weak().small());
            }
        });
        state.plot_rects.clear();
        let reset = std::mem::take(&mut state.reset_plots);
        // Side by side where there is room, else one above the other (800×600).
        let half = (ui.available_width() - 16.0) / 2.0;
        if half >= 300.0 {
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(half);
                    runs_plot_ui(ui, &report, state, reset, cmds);
                });
                ui.vertical(|ui| {
                    ui.set_width(half);
                    completion_plot_ui(ui, &report, state, reset, cmds);
                });
            });
        } else {
            runs_plot_ui(ui, &report, state, reset, cmds);
            completion_plot_ui(ui, &report, state, reset, cmds);
        }
        durations_plot_ui(ui, db, &report, state, reset, cmds);
        if state.selection.procedure.is_some() {
            bottleneck_ui(ui, db, &report, state, reset, cmds);
            values_ui(ui, &report, reset);
            versions_plot_ui(ui, &report, state, reset, cmds);
        } else {
            overview_ui(ui, &report, state);
        }
    });
}

fn controls_ui(ui: &mut Ui, db: &Dataset, state: &mut AnalyticsState) {
    ui.horizontal_wrapped(|ui| {
        ui.heading("Analytics");
        let current = state
            .selection
            .procedure
            .and_then(|p| db.procedure(p))
            .map_or("All procedures".to_owned(), |p| p.name.clone());
        // Clicking the search box keeps the list open; it has the focus when the list
        // opens; Enter picks the first match (#19.5).
        let r = egui::ComboBox::from_id_salt("analytics-procedure")
            .selected_text(current)
            .width(260.0)
            .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
            .show_ui(ui, |ui| {
                let edit =
                    ui.add(egui::TextEdit::singleline(&mut state.procedure_query).hint_text("Search procedures"));
                if !state.picker_open {
                    edit.request_focus();
                    state.picker_open = true;
                }
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.selectable_label(state.selection.procedure.is_none(), "All procedures").clicked() {
                    state.selection.procedure = None;
                    ui.close();
                }
                let q = state.procedure_query.trim().to_lowercase();
                let mut shown = 0;
                for p in db.procedures.rows() {
                    if !q.is_empty() && !p.name.to_lowercase().contains(&q) {
                        continue;
                    }
                    shown += 1;
                    if shown > 200 {
                        ui.label(RichText::new("… type to narrow the list").weak());
                        break;
                    }
                    let first_match = enter && shown == 1 && !q.is_empty();
                    if ui.selectable_label(state.selection.procedure == Some(p.id), &p.name).clicked() || first_match {
                        state.selection.procedure = Some(p.id);
                        state.selected_step = None;
                        ui.close();
                    }
                }
                if shown == 0 {
                    ui.label(RichText::new("No procedure matches").weak());
                }
            });
        if r.inner.is_none() {
            state.picker_open = false;
        }
        r.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Procedure"));

        let ranges = [
            (DateRange::LastDays(30), "Last 30 days"),
            (DateRange::LastDays(90), "Last 90 days"),
            (DateRange::LastDays(365), "Last 365 days"),
            (DateRange::All, "All time"),
        ];
        let range_text = match state.selection.range {
            DateRange::Custom { .. } => "Custom",
            r => ranges.iter().find(|(x, _)| *x == r).map_or("Custom", |(_, t)| *t),
        };
        let r = egui::ComboBox::from_id_salt("analytics-range").selected_text(range_text).show_ui(ui, |ui| {
            for (r, t) in ranges {
                ui.selectable_value(&mut state.selection.range, r, t);
            }
            if ui.selectable_label(matches!(state.selection.range, DateRange::Custom { .. }), "Custom…").clicked() {
                let today = Timestamp::now().local_date();
                let from = today - chrono::Days::new(29);
                state.custom_from = from.to_string();
                state.custom_to = today.to_string();
                state.selection.range = DateRange::Custom { from, to: today };
            }
        });
        r.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Date range"));
        if let DateRange::Custom { .. } = state.selection.range {
            let a = ui.add(
                egui::TextEdit::singleline(&mut state.custom_from).hint_text("From YYYY-MM-DD").desired_width(96.0),
            );
            ui.label("to");
            let b =
                ui.add(egui::TextEdit::singleline(&mut state.custom_to).hint_text("To YYYY-MM-DD").desired_width(96.0));
            if a.changed() || b.changed() {
                let p = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
                if let (Some(from), Some(to)) = (p(&state.custom_from), p(&state.custom_to)) {
                    state.selection.range = DateRange::Custom { from, to };
                }
            }
        }
        if state.selection.procedure.is_none() {
            let label_text =
                state.selection.label.and_then(|l| db.label(l)).map_or("Any label".to_owned(), |l| l.name.clone());
            let r = egui::ComboBox::from_id_salt("analytics-label").selected_text(label_text).show_ui(ui, |ui| {
                ui.selectable_value(&mut state.selection.label, None, "Any label");
                for l in db.labels.rows() {
                    ui.selectable_value(&mut state.selection.label, Some(l.id), &l.name);
                }
            });
            r.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Label"));
        }
    });
}

fn headline_ui(ui: &mut Ui, r: &Report) {
    let s = &r.summary;
    let d = s.duration_secs;
    let f = |v: Option<f64>| v.map_or("–".to_owned(), secs_text);
    let items: [(&str, String); 10] = [
        ("Runs", format_count(s.runs as u64)),
        ("Completed", format_count(s.completed as u64)),
        ("Cancelled", format_count(s.cancelled as u64)),
        ("In progress", format_count(s.in_progress as u64)),
        ("Completion rate", s.completion_rate.map_or("–".into(), |r| format!("{r:.1}%"))),
        ("Mean duration", f(d.map(|d| d.mean))),
        ("Median duration", f(d.map(|d| d.median))),
        ("p90 duration", f(d.map(|d| d.p90))),
        ("Last run", s.last_run.map_or("–".into(), |t| t.canonical()[..16].to_owned())),
        ("", String::new()),
    ];
    let schedule = r.schedule.map(|c| {
        let rate = c.on_time_rate.map_or("–".into(), |x| format!("{x:.0}%"));
        [
            ("On time (schedule)", rate),
            ("On time · late · missed", format!("{} · {} · {}", c.on_time, c.late, c.missed)),
        ]
    });
    let cards: Vec<(&str, String)> = items
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (*k, v.clone()))
        .chain(schedule.into_iter().flatten())
        .collect();
    // Cards flow into rows as wide as the view: each measured first (a frame's size is
    // not known before it is drawn, so egui's wrapping layout would let it overflow).
    let title_font = egui::TextStyle::Small.resolve(ui.style());
    let value_font = egui::FontId::proportional(20.0);
    let gap = ui.spacing().item_spacing.x;
    let width_of = |ui: &Ui, (k, v): &(&str, String)| {
        let w = |text: &str, font: &egui::FontId| {
            ui.fonts_mut(|f| f.layout_no_wrap(text.to_owned(), font.clone(), egui::Color32::WHITE).size().x)
        };
        w(k, &title_font).max(w(v, &value_font))
            + 16.0
            + 2.0 * ui.style().visuals.widgets.noninteractive.bg_stroke.width
    };
    let room = ui.available_width();
    let mut rows: Vec<Vec<&(&str, String)>> = vec![Vec::new()];
    let mut used = 0.0;
    for card in &cards {
        let w = width_of(ui, card) + gap;
        if used + w > room && rows.last().is_some_and(|r| !r.is_empty()) {
            rows.push(Vec::new());
            used = 0.0;
        }
        used += w;
        if let Some(row) = rows.last_mut() {
            row.push(card);
        }
    }
    for row in rows {
        ui.horizontal(|ui| {
            for (k, v) in row {
                egui::Frame::group(ui.style()).inner_margin(8.0).show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.add(egui::Label::new(RichText::new(*k).weak().small()).extend());
                        ui.add(egui::Label::new(RichText::new(v).size(20.0).strong()).extend());
                    });
                });
            }
        });
    }
    if !r.occurrences.is_empty() {
        strip_ui(ui, r);
    }
}

/// The calendar strip: one square per occurrence, oldest first, coloured by outcome.
fn strip_ui(ui: &mut Ui, r: &Report) {
    use crate::analysis::schedule::State;
    ui.add_space(4.0);
    ui.label(RichText::new(format!("Occurrences ({}), oldest first", r.occurrences.len())).weak().small());
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing = egui::vec2(2.0, 2.0);
        for o in &r.occurrences {
            let (color, word) = match (o.state, o.late) {
                (State::Done | State::Started, false) => (COMPLETED, "on time"),
                (State::Done | State::Started, true) => (egui::Color32::from_rgb(0xe0, 0xa0, 0x30), "late"),
                (State::Missed, _) => (CANCELLED, "missed"),
                (State::Overdue, _) => (CANCELLED, "overdue"),
                _ => (ui.visuals().weak_text_color(), "due"),
            };
            let (rect, resp) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, color);
            resp.on_hover_text(format!("{} · {word}", o.at.canonical()[..16].to_owned()));
        }
    });
    ui.horizontal(|ui| {
        for (c, w) in [
            (COMPLETED, "on time"),
            (egui::Color32::from_rgb(0xe0, 0xa0, 0x30), "late"),
            (CANCELLED, "missed / overdue"),
        ] {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, c);
            ui.label(RichText::new(w).small());
        }
    });
}

fn overview_ui(ui: &mut Ui, r: &Report, state: &mut AnalyticsState) {
    ui.add_space(8.0);
    ui.strong("Procedures");
    let mut rows: Vec<&OverviewRow> = r.overview.iter().collect();
    match state.sort {
        OverviewSort::Name => {}
        OverviewSort::Runs => rows.sort_by_key(|r| std::cmp::Reverse(r.runs)),
        OverviewSort::CompletionRate => {
            rows.sort_by(|a, b| b.completion_rate.unwrap_or(-1.0).total_cmp(&a.completion_rate.unwrap_or(-1.0)))
        }
        OverviewSort::Median => {
            rows.sort_by(|a, b| b.median_secs.unwrap_or(-1.0).total_cmp(&a.median_secs.unwrap_or(-1.0)))
        }
        OverviewSort::Trend => {
            rows.sort_by(|a, b| b.trend_pct.unwrap_or(f64::MIN).total_cmp(&a.trend_pct.unwrap_or(f64::MIN)))
        }
        OverviewSort::Flagged => rows.sort_by_key(|r| std::cmp::Reverse(r.flagged)),
        OverviewSort::OnTime => {
            rows.sort_by(|a, b| a.on_time_rate.unwrap_or(f64::MAX).total_cmp(&b.on_time_rate.unwrap_or(f64::MAX)))
        }
    }
    let mut clicked = None;
    let mut focus = None;
    egui_extras::TableBuilder::new(ui)
        .id_salt("overview-table")
        .striped(true)
        .vscroll(false)
        .column(egui_extras::Column::remainder().at_least(200.0).clip(true))
        .columns(egui_extras::Column::initial(110.0), 6)
        .header(22.0, |mut h| {
            for (title, s) in [
                ("Procedure", OverviewSort::Name),
                ("Runs", OverviewSort::Runs),
                ("Completion", OverviewSort::CompletionRate),
                ("Median", OverviewSort::Median),
                ("Trend", OverviewSort::Trend),
                ("Flagged", OverviewSort::Flagged),
                ("On time", OverviewSort::OnTime),
            ] {
                h.col(|ui| {
                    let arrow = if state.sort == s { " ⏷" } else { "" };
                    if ui
                        .add(egui::Button::new(RichText::new(format!("{title}{arrow}")).strong()).frame(false))
                        .clicked()
                    {
                        clicked = Some(s);
                    }
                });
            }
        })
        .body(|body| {
            let row_height = 20.0;
            body.rows(row_height, rows.len().min(2000), |mut row| {
                let o = rows[row.index()];
                row.col(|ui| {
                    if ui.link(&o.name).on_hover_text("Analyse this procedure").clicked() {
                        focus = Some(o.id);
                    }
                });
                row.col(|ui| {
                    ui.label(o.runs.to_string());
                });
                row.col(|ui| {
                    ui.label(rate_text(o.completion_rate));
                });
                row.col(|ui| {
                    ui.label(o.median_secs.map_or("–".into(), secs_text));
                });
                row.col(|ui| {
                    match o.trend_pct {
                        Some(t) => {
                            let (color, word) = if t <= 0.0 { (COMPLETED, "faster") } else { (CANCELLED, "slower") };
                            ui.colored_label(color, format!("{:.0}% {word}", t.abs()))
                        }
                        None => ui.label("–"),
                    };
                });
                row.col(|ui| {
                    if o.flagged > 0 {
                        ui.colored_label(CANCELLED, format!("⚠ {}", o.flagged));
                    } else {
                        ui.label("–");
                    }
                });
                row.col(|ui| {
                    ui.label(rate_text(o.on_time_rate)).on_hover_text("Occurrences of its schedules started in time");
                });
            });
        });
    if let Some(s) = clicked {
        state.sort = s;
    }
    if let Some(p) = focus {
        state.selection.procedure = Some(p);
        state.selected_step = None;
    }
}
