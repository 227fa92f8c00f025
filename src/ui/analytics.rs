//! Analytics: where the time goes. Headline numbers, plots (runs per week or month by
//! status, completion rate, run durations with a rolling median, bottleneck steps,
//! per version) and an overview table, for all procedures or one, over a date range,
//! optionally by label. Computed on a worker thread; old numbers stay (greyed) while
//! new ones are computed.

use super::Command;
use super::widgets::rate_text;
use crate::analysis::{self, DateRange, OverviewRow, Report, ReportKey, Selection, Worker, day_date, day_number};
use crate::model::*;
use crate::store::Db;
use egui::{Color32, RichText, Ui};
use egui_plot::{Bar, BarChart, Legend, Line, MarkerShape, Plot, PlotPoints, Points};
use std::sync::Arc;

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
}

/// State of the analytics view.
#[derive(Default)]
pub struct AnalyticsState {
    /// What is analysed.
    pub selection: Selection,
    /// Filter text of the procedure picker.
    pub procedure_query: String,
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
    pub fn current(&self, db: &Db, today: chrono::NaiveDate) -> Option<&Report> {
        let key = self.key(db, today);
        self.report.as_ref().filter(|(k, _)| *k == key).map(|(_, r)| r.as_ref())
    }

    fn key(&self, db: &Db, today: chrono::NaiveDate) -> ReportKey {
        ReportKey::of(db, self.selection, today)
    }

    /// Ask the worker for the report of the current selection if it is not there yet.
    fn refresh(&mut self, ctx: &egui::Context, db: &Db, today: chrono::NaiveDate) {
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
pub fn selection_label(db: &Db, sel: &Selection) -> String {
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
pub fn analytics_ui(ui: &mut Ui, db: &Db, state: &mut AnalyticsState, now: Timestamp, cmds: &mut Vec<Command>) {
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
                    contents: analysis::summary_csv(&label, &report),
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
        let half = ((ui.available_width() - 16.0) / 2.0).max(300.0);
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
        durations_plot_ui(ui, db, &report, state, reset, cmds);
        if state.selection.procedure.is_some() {
            bottleneck_ui(ui, db, &report, state, reset, cmds);
            versions_plot_ui(ui, &report, state, reset, cmds);
        } else {
            overview_ui(ui, &report, state);
        }
    });
}

fn controls_ui(ui: &mut Ui, db: &Db, state: &mut AnalyticsState) {
    ui.horizontal_wrapped(|ui| {
        ui.heading("Analytics");
        let current = state
            .selection
            .procedure
            .and_then(|p| db.procedure(p))
            .map_or("All procedures".to_owned(), |p| p.name.clone());
        let r =
            egui::ComboBox::from_id_salt("analytics-procedure").selected_text(current).width(260.0).show_ui(ui, |ui| {
                ui.add(egui::TextEdit::singleline(&mut state.procedure_query).hint_text("Search procedures"));
                if ui.selectable_label(state.selection.procedure.is_none(), "All procedures").clicked() {
                    state.selection.procedure = None;
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
                    if ui.selectable_label(state.selection.procedure == Some(p.id), &p.name).clicked() {
                        state.selection.procedure = Some(p.id);
                        state.selected_step = None;
                    }
                }
            });
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
        ("Runs", s.runs.to_string()),
        ("Completed", s.completed.to_string()),
        ("Cancelled", s.cancelled.to_string()),
        ("In progress", s.in_progress.to_string()),
        ("Completion rate", s.completion_rate.map_or("–".into(), |r| format!("{r:.1}%"))),
        ("Mean duration", f(d.map(|d| d.mean))),
        ("Median duration", f(d.map(|d| d.median))),
        ("p90 duration", f(d.map(|d| d.p90))),
        ("Last run", s.last_run.map_or("–".into(), |t| t.canonical()[..16].to_owned())),
        ("", String::new()),
    ];
    ui.horizontal_wrapped(|ui| {
        for (k, v) in items.iter().filter(|(k, _)| !k.is_empty()) {
            egui::Frame::group(ui.style()).inner_margin(8.0).show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.label(RichText::new(*k).weak().small());
                    ui.label(RichText::new(v).size(20.0).strong());
                });
            });
        }
    });
}

fn plot<'a>(id: &'static str, reset: bool) -> Plot<'a> {
    let p = Plot::new(id).height(220.0).legend(Legend::default()).allow_scroll(false);
    if reset { p.reset() } else { p }
}

fn export_button(
    ui: &mut Ui,
    name: &'static str,
    rect: egui::Rect,
    state: &mut AnalyticsState,
    cmds: &mut Vec<Command>,
) {
    state.plot_rects.push((name, rect));
    if ui.small_button("Save as PNG…").on_hover_text(format!("Save the {name} plot as an image")).clicked() {
        cmds.push(Command::ExportPng { suggested: format!("{}.png", name.replace(' ', "-")), rect });
    }
}

fn runs_plot_ui(ui: &mut Ui, r: &Report, state: &mut AnalyticsState, reset: bool, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.strong("Runs started");
        ui.selectable_value(&mut state.monthly, false, "per week");
        ui.selectable_value(&mut state.monthly, true, "per month");
    });
    let (rows, width) = if state.monthly { (&r.monthly, 24.0) } else { (&r.weekly, 5.6) };
    let bar = |c: &analysis::PeriodCounts, v: usize, name: &str| {
        let x =
            day_number(Timestamp::from_naive(c.period.start().and_hms_opt(0, 0, 0).unwrap_or_default())) + width / 2.0;
        Bar::new(x, v as f64).width(width).name(format!("{}: {v} {name}", c.period.label()))
    };
    let done =
        BarChart::new("Completed", rows.iter().map(|c| bar(c, c.completed, "completed")).collect()).color(COMPLETED);
    let cancelled = BarChart::new("Cancelled", rows.iter().map(|c| bar(c, c.cancelled, "cancelled")).collect())
        .color(CANCELLED)
        .stack_on(&[&done]);
    let open = BarChart::new("In progress", rows.iter().map(|c| bar(c, c.in_progress, "in progress")).collect())
        .color(IN_PROGRESS)
        .stack_on(&[&done, &cancelled]);
    let resp = plot("runs-plot", reset)
        .x_axis_label("Start date")
        .y_axis_label("Runs")
        .x_axis_formatter(|m, _| date_text(m.value))
        .label_formatter(|_| None)
        .show(ui, |p| {
            p.bar_chart(done);
            p.bar_chart(cancelled);
            p.bar_chart(open);
        });
    export_button(ui, "runs", resp.response.rect, state, cmds);
}

fn completion_plot_ui(ui: &mut Ui, r: &Report, state: &mut AnalyticsState, reset: bool, cmds: &mut Vec<Command>) {
    ui.strong("Completion rate per week");
    let pts: Vec<[f64; 2]> = r
        .completion_weekly
        .iter()
        .map(|(p, rate)| {
            [day_number(Timestamp::from_naive(p.start().and_hms_opt(0, 0, 0).unwrap_or_default())) + 3.5, *rate]
        })
        .collect();
    let labels: Vec<String> =
        r.completion_weekly.iter().map(|(p, rate)| format!("{}: {rate:.0}%", p.label())).collect();
    let resp = plot("completion-plot", reset)
        .x_axis_label("Week")
        .y_axis_label("Completed %")
        .include_y(0.0)
        .include_y(100.0)
        .x_axis_formatter(|m, _| date_text(m.value))
        .label_formatter(move |h| match h {
            egui_plot::HoverPosition::NearDataPoint { index, .. } => labels.get(*index).cloned(),
            _ => None,
        })
        .show(ui, |p| {
            p.line(Line::new("Completion rate", PlotPoints::from(pts.clone())).color(COMPLETED).allow_band(false));
            p.points(Points::new("Weeks", PlotPoints::from(pts)).radius(3.0).color(COMPLETED));
        });
    export_button(ui, "completion rate", resp.response.rect, state, cmds);
}

fn durations_plot_ui(
    ui: &mut Ui,
    db: &Db,
    r: &Report,
    state: &mut AnalyticsState,
    reset: bool,
    cmds: &mut Vec<Command>,
) {
    ui.add_space(8.0);
    let line_name = if r.weekly_median { "Weekly median" } else { "Rolling median" };
    // Many thousands of points draw slowly and show nothing more: plot every k-th run.
    const MAX_POINTS: usize = 4_000;
    let stride = r.durations.len().div_ceil(MAX_POINTS).max(1);
    let sample: Vec<&analysis::RunPoint> = r.durations.iter().step_by(stride).collect();
    if stride > 1 {
        ui.strong(format!(
            "Run durations ({} completed runs, every {stride}th shown) with the weekly median",
            r.durations.len()
        ));
    } else {
        ui.strong(format!("Run durations (completed runs) with the {}", line_name.to_lowercase()));
    }
    let pts: Vec<[f64; 2]> = sample.iter().map(|p| [p.day, p.secs / 60.0]).collect();
    // Hover texts are made for the point hovered only (thousands per frame cost ~1 ms).
    let name = |i: usize| {
        sample.get(i).map(|p| {
            let name = db.procedure(p.procedure).map_or("?", |x| x.name.as_str());
            format!("Run #{} of {name}\n{} · {}", p.run, date_text(p.day), secs_text(p.secs))
        })
    };
    let median_pts: Vec<[f64; 2]> = r.rolling_median.iter().map(|(d, s)| [*d, s / 60.0]).collect();
    let median =
        |i: usize| r.rolling_median.get(i).map(|(d, s)| format!("{line_name} {} on {}", secs_text(*s), date_text(*d)));
    let resp = plot("durations-plot", reset)
        .height(240.0)
        .x_axis_label("Start date")
        .y_axis_label("Minutes")
        .include_y(0.0)
        .x_axis_formatter(|m, _| date_text(m.value))
        .label_formatter(move |h| match h {
            egui_plot::HoverPosition::NearDataPoint { plot_name, index, .. } if *plot_name == "Runs" => name(*index),
            egui_plot::HoverPosition::NearDataPoint { index, .. } => median(*index),
            _ => None,
        })
        .show(ui, |p| {
            p.points(Points::new("Runs", PlotPoints::from(pts)).radius(2.5).color(IN_PROGRESS.gamma_multiply(0.8)));
            p.line(
                Line::new(line_name, PlotPoints::from(median_pts))
                    .color(Color32::from_rgb(0xf5, 0x82, 0x31))
                    .width(2.0)
                    .allow_band(false),
            );
        });
    export_button(ui, "durations", resp.response.rect, state, cmds);
}

fn bottleneck_ui(ui: &mut Ui, db: &Db, r: &Report, state: &mut AnalyticsState, reset: bool, cmds: &mut Vec<Command>) {
    ui.add_space(8.0);
    ui.strong("Bottleneck steps: median time per step (bar), p90 (whisker), estimate (diamond); click a bar");
    if r.bottlenecks.is_empty() {
        ui.label(RichText::new("No ticked steps in this range").weak());
        return;
    }
    let n = r.bottlenecks.len();
    // Slowest at the top: y = n - 1 - i.
    let y = |i: usize| (n - 1 - i) as f64;
    let bars: Vec<Bar> = r
        .bottlenecks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            Bar::new(y(i), b.median_secs / 60.0).width(0.6).name(format!(
                "{}\nmedian {} · p90 {} · {} ticks",
                b.text,
                secs_text(b.median_secs),
                secs_text(b.p90_secs),
                b.count
            ))
        })
        .collect();
    let labels: Vec<String> = r.bottlenecks.iter().map(|b| b.text.clone()).collect();
    let estimates: Vec<[f64; 2]> = r
        .bottlenecks
        .iter()
        .enumerate()
        .filter_map(|(i, b)| b.estimate_secs.map(|e| [f64::from(e) / 60.0, y(i)]))
        .collect();
    let height = (n as f32 * 26.0 + 60.0).clamp(160.0, 600.0);
    let resp = plot("bottleneck-plot", reset)
        .height(height)
        .x_axis_label("Minutes")
        .y_axis_formatter(move |m, _| {
            let idx = n as f64 - 1.0 - m.value;
            if (m.value - m.value.round()).abs() < 1e-6 && idx >= 0.0 {
                labels.get(idx as usize).map(|t| t.chars().take(28).collect()).unwrap_or_default()
            } else {
                String::new()
            }
        })
        .label_formatter(|_| None)
        .show(ui, |p| {
            p.bar_chart(BarChart::new("Median", bars).horizontal().color(COMPLETED.gamma_multiply(0.9)));
            for (i, b) in r.bottlenecks.iter().enumerate() {
                let seg = vec![[b.median_secs / 60.0, y(i)], [b.p90_secs / 60.0, y(i)]];
                p.line(Line::new("p90", PlotPoints::from(seg)).color(CANCELLED).width(2.0));
            }
            p.points(
                Points::new("Estimate", PlotPoints::from(estimates))
                    .shape(MarkerShape::Diamond)
                    .radius(5.0)
                    .color(IN_PROGRESS),
            );
            p.pointer_coordinate()
        });
    if resp.response.clicked()
        && let Some(pos) = resp.inner
    {
        let i = n as f64 - 1.0 - pos.y.round();
        if i >= 0.0 && (i as usize) < n {
            state.selected_step = Some(r.bottlenecks[i as usize].step_id);
        }
    }
    export_button(ui, "bottlenecks", resp.response.rect, state, cmds);
    // Picking a step by keyboard or screen reader, too.
    ui.horizontal_wrapped(|ui| {
        ui.label("Show the runs of step:");
        for b in r.bottlenecks.iter().take(12) {
            let text: String = b.text.chars().take(24).collect();
            if ui.selectable_label(state.selected_step == Some(b.step_id), text).clicked() {
                state.selected_step = Some(b.step_id);
            }
        }
    });
    if let (Some(step), Some(pid)) = (state.selected_step, state.selection.procedure) {
        step_runs_ui(ui, db, pid, step, state, cmds);
    }
}

fn step_runs_ui(ui: &mut Ui, db: &Db, pid: ProcedureId, step: StepId, state: &AnalyticsState, cmds: &mut Vec<Command>) {
    let today = Timestamp::now().local_date();
    let runs = analysis::selected_runs(db, &state.selection, today);
    let mut rows: Vec<(RunId, Timestamp, i64)> = Vec::new();
    for run in runs.iter().rev() {
        if let Some((_, _, d)) = analysis::step_durations(db, run).into_iter().find(|(_, s, _)| *s == step) {
            rows.push((run.id, run.start_time, d));
        }
        if rows.len() >= 50 {
            break;
        }
    }
    let text = db.step_text(pid, step).unwrap_or_default();
    ui.label(RichText::new(format!("\u{201c}{text}\u{201d}: newest {} timed runs", rows.len())).strong());
    egui::Grid::new("step-runs").striped(true).num_columns(3).show(ui, |ui| {
        for (run, start, d) in rows {
            if ui.link(format!("Run #{run}")).clicked() {
                cmds.push(Command::ShowInHistory(run));
            }
            ui.label(start.canonical()[..16].to_owned());
            ui.label(format_duration(d));
            ui.end_row();
        }
    });
}

fn versions_plot_ui(ui: &mut Ui, r: &Report, state: &mut AnalyticsState, reset: bool, cmds: &mut Vec<Command>) {
    ui.add_space(8.0);
    ui.strong("Per version: did an edit help?");
    let bars = |f: &dyn Fn(&analysis::VersionStats) -> Option<f64>, unit: &str| -> Vec<Bar> {
        r.per_version
            .iter()
            .filter_map(|v| {
                let val = f(v)?;
                let name = if v.version == 0 { "no version".to_owned() } else { format!("version {}", v.version) };
                Some(
                    Bar::new(f64::from(v.version), val)
                        .width(0.6)
                        .name(format!("{name}: {val:.1}{unit} ({} runs)", v.runs)),
                )
            })
            .collect()
    };
    let half = ((ui.available_width() - 16.0) / 2.0).max(260.0);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(half);
            let resp = plot("version-duration", reset)
                .x_axis_label("Version")
                .y_axis_label("Median minutes")
                .label_formatter(|_| None)
                .show(ui, |p| {
                    p.bar_chart(
                        BarChart::new("Median duration", bars(&|v| v.median_secs.map(|s| s / 60.0), " min"))
                            .color(IN_PROGRESS),
                    )
                });
            export_button(ui, "version durations", resp.response.rect, state, cmds);
        });
        ui.vertical(|ui| {
            ui.set_width(half);
            let resp = plot("version-completion", reset)
                .x_axis_label("Version")
                .y_axis_label("Completed %")
                .include_y(0.0)
                .include_y(100.0)
                .label_formatter(|_| None)
                .show(ui, |p| {
                    p.bar_chart(BarChart::new("Completion rate", bars(&|v| v.completion_rate, "%")).color(COMPLETED))
                });
            export_button(ui, "version completion", resp.response.rect, state, cmds);
        });
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
    }
    let mut clicked = None;
    let mut focus = None;
    egui_extras::TableBuilder::new(ui)
        .id_salt("overview-table")
        .striped(true)
        .vscroll(false)
        .column(egui_extras::Column::remainder().at_least(200.0).clip(true))
        .columns(egui_extras::Column::initial(110.0), 4)
        .header(22.0, |mut h| {
            for (title, s) in [
                ("Procedure", OverviewSort::Name),
                ("Runs", OverviewSort::Runs),
                ("Completion", OverviewSort::CompletionRate),
                ("Median", OverviewSort::Median),
                ("Trend", OverviewSort::Trend),
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
