//! The analytics plots: runs per period, completion, durations, bottlenecks, versions.

use crate::analysis::{self, Report, day_number};
use crate::model::*;
use crate::store::Dataset;
use crate::ui::Command;
use egui::{Color32, RichText, Ui};
use egui_plot::{Bar, BarChart, Legend, Line, MarkerShape, Plot, PlotPoints, Points};

use super::{AnalyticsState, CANCELLED, COMPLETED, IN_PROGRESS, date_text, secs_text};

fn plot<'a>(id: &'static str, reset: bool) -> Plot<'a> {
    plain_plot(id, reset).legend(Legend::default())
}

/// A plot of one series, named by its title and axis: no legend to cover its bars.
fn plain_plot<'a>(id: &'static str, reset: bool) -> Plot<'a> {
    let p = Plot::new(id).height(220.0).allow_scroll(false);
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

pub(super) fn runs_plot_ui(ui: &mut Ui, r: &Report, state: &mut AnalyticsState, reset: bool, cmds: &mut Vec<Command>) {
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
    // Room above the tallest bar for the legend, so it covers no bar.
    let tallest = rows.iter().map(|c| c.completed + c.cancelled + c.in_progress).max().unwrap_or(0);
    let resp = plot("runs-plot", reset)
        .include_y(tallest as f64 * 1.45)
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

pub(super) fn completion_plot_ui(
    ui: &mut Ui,
    r: &Report,
    state: &mut AnalyticsState,
    reset: bool,
    cmds: &mut Vec<Command>,
) {
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
    // Rates sit high: the legend goes low, off the last points.
    let resp = plot("completion-plot", reset)
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
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
            // The same name as the line: one legend entry (no meaningless "Weeks").
            p.points(Points::new("Completion rate", PlotPoints::from(pts)).radius(3.0).color(COMPLETED));
        });
    export_button(ui, "completion rate", resp.response.rect, state, cmds);
}

pub(super) fn durations_plot_ui(
    ui: &mut Ui,
    db: &Dataset,
    r: &Report,
    state: &mut AnalyticsState,
    reset: bool,
    cmds: &mut Vec<Command>,
) {
    ui.add_space(8.0);
    let line_name = if r.weekly_median { "Weekly median" } else { "Rolling median" };
    // Many thousands of points draw slowly and show nothing more: the report holds every
    // k-th run.
    let (stride, sample) = (r.durations_stride, &r.durations);
    if stride > 1 {
        ui.strong(format!(
            "Run durations ({} completed runs, every {stride}th shown) with the weekly median",
            crate::model::format_count(r.completed_runs as u64)
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

pub(super) fn bottleneck_ui(
    ui: &mut Ui,
    db: &Dataset,
    r: &Report,
    state: &mut AnalyticsState,
    reset: bool,
    cmds: &mut Vec<Command>,
) {
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
    // Step names need room on the axis; the legend sits low, where the bars are short
    // (the longest, with its p90 whisker, is at the top).
    let resp = plot("bottleneck-plot", reset)
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .y_axis_min_width(200.0)
        .height(height)
        .x_axis_label("Minutes")
        .y_axis_formatter(move |m, _| {
            let idx = n as f64 - 1.0 - m.value;
            if (m.value - m.value.round()).abs() < 1e-6 && idx >= 0.0 {
                labels.get(idx as usize).map(|t| cut(t, 34)).unwrap_or_default()
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
            let label = ui.selectable_label(state.selected_step == Some(b.step_id), cut(&b.text, 40));
            if label.on_hover_text(b.text.as_str()).clicked() {
                state.selected_step = Some(b.step_id);
            }
        }
    });
    if let (Some(step), Some(pid)) = (state.selected_step, state.selection.procedure) {
        step_runs_ui(ui, db, pid, step, state, cmds);
    }
}

fn step_runs_ui(
    ui: &mut Ui,
    db: &Dataset,
    pid: ProcedureId,
    step: StepId,
    state: &AnalyticsState,
    cmds: &mut Vec<Command>,
) {
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

pub(super) fn versions_plot_ui(
    ui: &mut Ui,
    r: &Report,
    state: &mut AnalyticsState,
    reset: bool,
    cmds: &mut Vec<Command>,
) {
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
            let resp = plain_plot("version-duration", reset)
                .include_y(0.0)
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
            let resp = plain_plot("version-completion", reset)
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

/// What the runs recorded: per number step its values over time with the acceptable
/// band and the flagged ones marked; per choice step how often each answer was given.
pub(super) fn values_ui(ui: &mut Ui, r: &Report, reset: bool) {
    if r.values.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.strong("Values recorded");
    for v in &r.values {
        let unit = if v.unit.is_empty() { String::new() } else { format!(" ({})", v.unit) };
        let median = v.median.map_or(String::new(), |m| format!(", median {}", num(m)));
        let values = if v.count == 1 { "value" } else { "values" };
        ui.label(format!("{}{unit}: {} {values}, {} flagged{median}", v.step, v.count, v.flagged));
        let plot = Plot::new(("values", v.step_id)).height(160.0).legend(Legend::default()).allow_scroll(false);
        let plot = if reset { plot.reset() } else { plot };
        if v.kind == "number" {
            let ok: Vec<[f64; 2]> = v.series.iter().filter(|p| !p.2).map(|(t, x, _)| [day_number(*t), *x]).collect();
            let bad: Vec<[f64; 2]> = v.series.iter().filter(|p| p.2).map(|(t, x, _)| [day_number(*t), *x]).collect();
            let (lo, hi) = v.range;
            // Every value and the acceptable band in sight, with room around them (one
            // value, or all alike, would leave an axis reading only "0").
            let ys = v.series.iter().map(|(_, x, _)| *x).chain(lo).chain(hi);
            let (y_min, y_max) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
            let plot = if y_min.is_finite() && y_max.is_finite() {
                let pad = ((y_max - y_min) * 0.15).max(y_max.abs().max(1.0) * 0.05);
                plot.include_y(y_min - pad).include_y(y_max + pad)
            } else {
                plot
            };
            plot.x_axis_formatter(|m, _| date_text(m.value)).show(ui, |p| {
                if let Some(lo) = lo {
                    p.hline(
                        egui_plot::HLine::new("lowest acceptable", lo)
                            .color(COMPLETED)
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
                if let Some(hi) = hi {
                    p.hline(
                        egui_plot::HLine::new("highest acceptable", hi)
                            .color(COMPLETED)
                            .style(egui_plot::LineStyle::dashed_loose()),
                    );
                }
                p.points(Points::new("in range", PlotPoints::from(ok)).radius(2.5).color(IN_PROGRESS));
                p.points(
                    Points::new("flagged", PlotPoints::from(bad))
                        .radius(4.0)
                        .shape(MarkerShape::Cross)
                        .color(CANCELLED),
                );
            });
        } else {
            // Flagged answers and the others as two charts, so the legend's colours are
            // the bars' colours.
            let bars = |flagged: bool| -> Vec<Bar> {
                v.answers
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.flagged == flagged)
                    .map(|(i, a)| {
                        Bar::new(i as f64, a.count as f64).width(0.6).name(format!("{}: {}", a.answer, a.count))
                    })
                    .collect()
            };
            let (fine, flagged) = (bars(false), bars(true));
            let most = v.answers.iter().map(|a| a.count).max().unwrap_or(0) as f64;
            let names: Vec<String> = v.answers.iter().map(|a| a.answer.clone()).collect();
            plot.include_y(0.0)
                .include_y(most * 1.35)
                .x_axis_formatter(move |m, _| {
                    let i = m.value.round();
                    if (m.value - i).abs() < 0.01 && i >= 0.0 {
                        names.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .show(ui, |p| {
                    if !fine.is_empty() {
                        p.bar_chart(BarChart::new("answers", fine).color(COMPLETED));
                    }
                    if !flagged.is_empty() {
                        p.bar_chart(BarChart::new("flagged answers", flagged).color(CANCELLED));
                    }
                });
        }
    }
}

/// A step's text cut to `n` characters on one line, with an ellipsis when cut.
fn cut(text: &str, n: usize) -> String {
    let line = crate::ops::first_line(text);
    if line.chars().count() <= n {
        line.to_owned()
    } else {
        format!("{}…", line.chars().take(n - 1).collect::<String>().trim_end())
    }
}
