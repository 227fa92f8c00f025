//! Today: what is overdue, due now, in progress, later today, coming in 7 days, done
//! today and missed in 30 days, each with Start (recording the occurrence) or Resume.
//! The lists come from the schedules worker (`analysis::schedule`), never computed here.

use super::Command;
use crate::analysis::schedule::{Agenda, AgendaKey, Clock, DueWorker, Occurrence, State};
use crate::model::*;
use crate::store::Dataset;
use egui::{Color32, RichText, Ui};

/// The Today view's state: the newest agenda and the worker computing the next.
#[derive(Default)]
pub struct TodayState {
    /// The newest agenda (empty until the first one arrives).
    pub agenda: Agenda,
    worker: Option<DueWorker>,
    asked: Option<AgendaKey>,
    got: Option<AgendaKey>,
    /// How long the newest agenda took.
    pub took: Option<std::time::Duration>,
    /// The Missed list is open.
    pub show_missed: bool,
    /// The view was just shown: the first row's button takes the keyboard focus, so
    /// Enter starts (or resumes) what is most pressing.
    pub focus_first: bool,
}

impl TodayState {
    /// Ask for a fresh agenda when the data or the minute changed; take one that arrived.
    /// Returns true when a new agenda arrived this frame.
    pub fn refresh(&mut self, db: &Dataset, now: Timestamp, ctx: &egui::Context) -> bool {
        let mut arrived = false;
        if let Some((key, agenda, took)) = self.worker.as_ref().and_then(DueWorker::poll) {
            (self.agenda, self.got, self.took, arrived) = (agenda, Some(key), Some(took), true);
        }
        let key = AgendaKey::of(db, now);
        if self.asked != Some(key) {
            let ctx = ctx.clone();
            let worker = self.worker.get_or_insert_with(|| DueWorker::spawn(move || ctx.request_repaint()));
            worker.request(key, db.clone(), Clock { now, ..Clock::system() });
            self.asked = Some(key);
        }
        // The worker repaints when its answer is ready; the next minute changes states.
        let into_minute = now.wall_secs().rem_euclid(60) as u64;
        ctx.request_repaint_after(std::time::Duration::from_secs(60 - into_minute.min(59)));
        arrived
    }

    /// Wait for the agenda asked for (tests).
    pub fn wait(&mut self) {
        while self.got != self.asked {
            let Some((key, agenda, took)) = self.worker.as_ref().and_then(DueWorker::wait) else { return };
            (self.agenda, self.got, self.took) = (agenda, Some(key), Some(took));
        }
    }
}

/// "today, 09:00", "yesterday, 07:00", "Tue 8 Dec, 09:00" (the year when not this one).
pub fn when_words(at: Timestamp, now: Timestamp) -> String {
    let (d, today) = (at.local_date(), now.local_date());
    let time = at.naive().format("%H:%M");
    match (d - today).num_days() {
        0 => format!("today, {time}"),
        -1 => format!("yesterday, {time}"),
        1 => format!("tomorrow, {time}"),
        _ if d.format("%Y").to_string() == today.format("%Y").to_string() => {
            format!("{}, {time}", at.naive().format("%a %-d %b"))
        }
        _ => format!("{}, {time}", at.naive().format("%a %-d %b %Y")),
    }
}

/// How an occurrence stands, in words: "overdue by 2h", "due for 40m more", "in 3h".
pub fn standing_words(o: &Occurrence, now: Timestamp) -> String {
    let n = now.wall_secs();
    match o.state {
        State::Overdue => {
            let from = o.overdue_at.unwrap_or(o.at).wall_secs();
            format!("overdue by {}", format_duration(n - from))
        }
        State::Due => match o.overdue_at {
            Some(t) => format!("due, overdue in {}", format_duration(t.wall_secs() - n)),
            None => "due".to_owned(),
        },
        State::Upcoming => format!("in {}", format_duration(o.at.wall_secs() - n)),
        State::Missed => "missed".to_owned(),
        State::Started if o.late => "in progress (started late)".to_owned(),
        State::Started => "in progress".to_owned(),
        State::Done if o.late => "done (late)".to_owned(),
        State::Done => "done".to_owned(),
    }
}

/// The colour of a state.
pub fn state_color(ui: &Ui, state: State) -> Color32 {
    match state {
        State::Overdue => ui.visuals().error_fg_color,
        State::Due => ui.visuals().warn_fg_color,
        State::Missed => Color32::from_rgb(0xb0, 0x60, 0x60),
        State::Done => Color32::from_rgb(0x3c, 0xa0, 0x50),
        State::Started => ui.visuals().hyperlink_color,
        State::Upcoming => ui.visuals().weak_text_color(),
    }
}

fn section<'a>(lines: &mut Vec<Line<'a>>, title: &'static str, items: &'a [Occurrence], st: State) {
    if !items.is_empty() {
        lines.push(Line::Header(title, items.len(), st));
        lines.extend(items.iter().map(Line::Item));
        lines.push(Line::Gap);
    }
}

enum Line<'a> {
    Header(&'static str, usize, State),
    Item(&'a Occurrence),
    MissedToggle(usize),
    /// Missed occurrences of a procedure's schedule counted, not listed.
    MoreMissed(ProcedureId, usize),
    Gap,
}

/// The Today view.
pub fn today_ui(
    ui: &mut Ui,
    db: &Dataset,
    state: &mut TodayState,
    now: Timestamp,
    read_only: bool,
    cmds: &mut Vec<Command>,
) {
    let a = &state.agenda;
    // No spinner while the worker computes (a few milliseconds; it repaints when done).
    ui.heading(format!("Today — {}", now.naive().format("%A %-d %B")));
    if db.schedules.is_empty() {
        ui.add_space(8.0);
        ui.label("Nothing is scheduled yet. Open a procedure, Edit, and add a schedule (daily, on weekdays, monthly, or some days after the last time it was done): it then shows here when it is due, overdue or missed.");
        return;
    }
    if state.got.is_none() {
        return;
    }
    let mut lines = Vec::new();
    section(&mut lines, "Overdue", &a.overdue, State::Overdue);
    section(&mut lines, "Due now", &a.due, State::Due);
    section(&mut lines, "In progress", &a.started, State::Started);
    section(&mut lines, "Later today", &a.later_today, State::Upcoming);
    section(&mut lines, "Coming up — next 7 days", &a.upcoming, State::Upcoming);
    section(&mut lines, "Done today", &a.done_today, State::Done);
    if !a.missed.is_empty() {
        lines.push(Line::MissedToggle(a.missed_count()));
        if state.show_missed {
            lines.extend(a.missed.iter().map(Line::Item));
            lines.extend(a.missed_unlisted.iter().map(|(pid, _, n)| Line::MoreMissed(*pid, *n)));
        }
    }
    if a.open_count() == 0 && a.started.is_empty() {
        ui.label(RichText::new("✔ Nothing is due or overdue.").color(state_color(ui, State::Done)));
    }
    ui.add_space(4.0);
    let row_h = 30.0;
    let mut toggle = false;
    egui::ScrollArea::vertical().auto_shrink(false).show_rows(ui, row_h, lines.len(), |ui, range| {
        for line in &lines[range] {
            match line {
                Line::Header(title, n, st) => {
                    ui.horizontal(|ui| {
                        ui.set_height(row_h - 4.0);
                        ui.label(
                            RichText::new(format!("{title} ({n})")).strong().size(16.0).color(state_color(ui, *st)),
                        );
                    });
                }
                Line::Gap => {
                    ui.allocate_space(egui::vec2(1.0, row_h - ui.spacing().item_spacing.y));
                }
                Line::MissedToggle(n) => {
                    ui.horizontal(|ui| {
                        ui.set_height(row_h - 4.0);
                        let arrow = if state.show_missed { "⏷" } else { "⏵" };
                        let text = RichText::new(format!("{arrow} Missed — last 30 days ({n})"))
                            .strong()
                            .size(16.0)
                            .color(state_color(ui, State::Missed));
                        if ui
                            .add(egui::Button::new(text).frame(false))
                            .on_hover_text("Occurrences nobody started before the next one began (derived, not runs)")
                            .clicked()
                        {
                            toggle = true;
                        }
                    });
                }
                Line::MoreMissed(pid, n) => {
                    ui.horizontal(|ui| {
                        ui.set_height(row_h - 4.0);
                        let name = db.procedure(*pid).map_or("", |p| p.name.as_str());
                        ui.label(
                            RichText::new(format!("and {n} more missed of {name} in the last 30 days"))
                                .color(state_color(ui, State::Missed)),
                        );
                    });
                }
                Line::Item(o) => {
                    let button = occurrence_row(ui, db, o, now, read_only, row_h, cmds);
                    // Once nothing else has the keyboard (a first-start question closed).
                    if state.focus_first && ui.memory(|m| m.focused().is_none()) {
                        button.request_focus();
                        state.focus_first = false;
                    }
                }
            }
        }
    });
    if toggle {
        state.show_missed = !state.show_missed;
    }
}

fn occurrence_row(
    ui: &mut Ui,
    db: &Dataset,
    o: &Occurrence,
    now: Timestamp,
    read_only: bool,
    h: f32,
    cmds: &mut Vec<Command>,
) -> egui::Response {
    let name = db.procedure(o.procedure).map_or("(deleted procedure)", |p| p.name.as_str());
    ui.horizontal(|ui| {
        ui.set_height(h - 4.0);
        ui.add_space(12.0);
        let when = when_words(o.at, now);
        let button = match (o.run, o.state) {
            (Some(run), State::Started) => {
                let button = egui::Button::new("Resume").min_size(egui::vec2(84.0, 0.0));
                let resp = ui.add(button).on_hover_text(format!("Resume the run of {name} for {when}"));
                if resp.clicked() {
                    cmds.push(Command::OpenRun(run));
                }
                resp
            }
            (Some(run), _) => {
                let button = egui::Button::new("Show").min_size(egui::vec2(84.0, 0.0));
                let resp = ui.add(button).on_hover_text("Show this run in History");
                if resp.clicked() {
                    cmds.push(Command::ShowInHistory(run));
                }
                resp
            }
            (None, _) => {
                let label = match o.state {
                    State::Upcoming => "Start early",
                    State::Missed => "Start late",
                    _ => "Start",
                };
                let hover = format!("Start {name} for the occurrence of {when}");
                let button = egui::Button::new(label).min_size(egui::vec2(84.0, 0.0));
                let resp = ui.add_enabled(!read_only, button).on_hover_text(hover);
                if resp.clicked() {
                    cmds.push(Command::StartScheduled { procedure: o.procedure, at: o.at });
                }
                resp
            }
        };
        let width = (ui.available_width() - 300.0).clamp(80.0, 420.0);
        ui.allocate_ui_with_layout(
            egui::vec2(width, h - 8.0),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_min_width(width);
                ui.add(egui::Label::new(RichText::new(name).strong()).truncate()).on_hover_text(name);
            },
        );
        ui.label(when);
        ui.label(RichText::new(format!("· {}", standing_words(o, now))).color(state_color(ui, o.state)));
        button
    })
    .inner
}
