//! The editor's Schedule section: when a procedure is due, as a form (daily, on chosen
//! weekdays, every N weeks, monthly on day N / the first Monday / the last day, N days
//! after the last completion, or any RFC 5545 rule), with the next five occurrences in
//! words as you type. Several schedules per procedure.

use crate::model::recurrence::{Recurrence, RuleForm, weekday_name};
use crate::model::*;
use crate::ops::ScheduleDraft;
use egui::{RichText, Ui};

/// What kind of rule a form builds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    /// Every N days.
    #[default]
    Daily,
    /// Every N weeks on chosen weekdays.
    Weekly,
    /// Every N months on day D (or the last day).
    MonthDay,
    /// Every N months on the first (…, last) weekday.
    MonthWeekday,
    /// N days after the last completion.
    AfterCompletion,
    /// Any RFC 5545 rule, as typed.
    Custom,
}

impl Kind {
    const ALL: [Kind; 6] =
        [Kind::Daily, Kind::Weekly, Kind::MonthDay, Kind::MonthWeekday, Kind::AfterCompletion, Kind::Custom];

    fn label(self) -> &'static str {
        match self {
            Kind::Daily => "Every day / every N days",
            Kind::Weekly => "On chosen weekdays, every N weeks",
            Kind::MonthDay => "Monthly on a day (or the last day)",
            Kind::MonthWeekday => "Monthly on the first/last weekday",
            Kind::AfterCompletion => "N days after the last completion",
            Kind::Custom => "Custom rule (RFC 5545)",
        }
    }
}

/// One schedule as the form edits it (text fields as typed).
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleForm {
    /// The row it edits (none: new).
    pub id: Option<ScheduleId>,
    /// The kind of rule.
    pub kind: Kind,
    /// Every N (days, weeks, months).
    pub every: u16,
    /// Weekdays, Monday first.
    pub days: [bool; 7],
    /// Day of the month (1–31, -1 the last).
    pub month_day: i8,
    /// Which weekday of the month (1–4, -1 the last).
    pub nth: i8,
    /// That weekday (Monday = 0).
    pub weekday: u8,
    /// A custom rule's text.
    pub custom: String,
    /// The first day, `YYYY-MM-DD`.
    pub starts: String,
    /// The time of day, `HH:MM`.
    pub time: String,
    /// Due within, as typed (`1h`, `2d`; empty: until the next occurrence).
    pub due_within: String,
    /// Paused.
    pub paused: bool,
}

impl ScheduleForm {
    /// A new daily schedule at 09:00 from `today`.
    pub fn new(today: Timestamp) -> Self {
        Self {
            id: None,
            kind: Kind::Daily,
            every: 1,
            days: [true, true, true, true, true, false, false],
            month_day: 1,
            nth: 1,
            weekday: 0,
            custom: String::new(),
            starts: today.local_date().format("%Y-%m-%d").to_string(),
            time: "09:00".into(),
            due_within: String::new(),
            paused: false,
        }
    }

    /// The form of an existing schedule (a rule the form cannot show stays custom).
    pub fn of(s: &Schedule) -> Self {
        let mut f = Self::new(s.starts_at);
        f.id = Some(s.id);
        f.time = s.starts_at.naive().format("%H:%M").to_string();
        f.due_within = s.due_within.map(|d| format_duration(i64::from(d))).unwrap_or_default();
        f.paused = !s.active;
        f.custom = s.rule.clone();
        let form = Recurrence::parse(&s.rule, s.starts_at.naive()).ok().and_then(|r| r.form());
        match (form, s.anchor) {
            (Some(RuleForm::Daily { n }), Anchor::Completion) => (f.kind, f.every) = (Kind::AfterCompletion, n),
            (_, Anchor::Completion) => f.kind = Kind::Custom,
            (Some(RuleForm::Daily { n }), _) => (f.kind, f.every) = (Kind::Daily, n),
            (Some(RuleForm::Weekly { n, days }), _) => (f.kind, f.every, f.days) = (Kind::Weekly, n, days),
            (Some(RuleForm::MonthDay { n, day }), _) => (f.kind, f.every, f.month_day) = (Kind::MonthDay, n, day),
            (Some(RuleForm::MonthWeekday { n, nth, weekday }), _) => {
                (f.kind, f.every, f.nth, f.weekday) = (Kind::MonthWeekday, n, nth, weekday);
            }
            (None, _) => f.kind = Kind::Custom,
        }
        f
    }

    /// The rule text and anchor the form says.
    fn rule(&self) -> (String, Anchor) {
        let n = self.every.max(1);
        match self.kind {
            Kind::Daily => (RuleForm::Daily { n }.rule(), Anchor::Calendar),
            Kind::Weekly => (RuleForm::Weekly { n, days: self.days }.rule(), Anchor::Calendar),
            Kind::MonthDay => (RuleForm::MonthDay { n, day: self.month_day }.rule(), Anchor::Calendar),
            Kind::MonthWeekday => {
                (RuleForm::MonthWeekday { n, nth: self.nth, weekday: self.weekday }.rule(), Anchor::Calendar)
            }
            Kind::AfterCompletion => (RuleForm::Daily { n }.rule(), Anchor::Completion),
            Kind::Custom => (self.custom.trim().to_owned(), Anchor::Calendar),
        }
    }

    /// The schedule to save, or what is wrong with the form.
    pub fn draft(&self) -> Result<ScheduleDraft, String> {
        let starts = Timestamp::parse(&format!("{} {}", self.starts.trim(), self.time.trim())).map_err(|_| {
            format!(
                "starts {} {}: expected a day like 2026-12-01 and a time like 09:00",
                self.starts.trim(),
                self.time.trim()
            )
        })?;
        let due_within = match self.due_within.trim() {
            "" => None,
            t => Some(parse_duration(t).ok_or_else(|| format!("due within {t:?}: expected a duration like 1h or 2d"))?),
        };
        if self.kind == Kind::Weekly && !self.days.contains(&true) {
            return Err("choose at least one weekday".into());
        }
        let (rule, anchor) = self.rule();
        let d = ScheduleDraft { id: self.id, rule, starts_at: starts, due_within, anchor, active: !self.paused };
        match d.problem() {
            Some(e) => Err(format!("rule {}: {e}", d.rule)),
            None => Ok(d),
        }
    }

    /// The next five occurrences after `now`, in words, or why there are none.
    pub fn next_five(&self, now: Timestamp) -> Result<Vec<String>, String> {
        let d = self.draft()?;
        let start = d.starts_at.naive();
        let r = Recurrence::parse(&d.rule, start)?;
        if d.anchor == Anchor::Completion {
            let first = crate::ui::today::when_words(d.starts_at, now);
            return Ok(vec![format!("first {first}, then {} days after each completion", self.every.max(1))]);
        }
        let horizon = now.naive() + chrono::Duration::days(3660);
        let next: Vec<String> = r
            .expand(start, horizon)
            .into_iter()
            .map(Timestamp::from_naive)
            .filter(|t| t.wall_secs() > now.wall_secs())
            .take(5)
            .map(|t| crate::ui::today::when_words(t, now))
            .collect();
        if next.is_empty() { Err("no occurrence after now (the rule has ended)".into()) } else { Ok(next) }
    }
}

/// The Schedule section: each schedule's form with its next occurrences; Add schedule.
pub fn schedules_ui(ui: &mut Ui, forms: &mut Vec<ScheduleForm>, now: Timestamp, read_only: bool) {
    let mut remove = None;
    for (i, f) in forms.iter_mut().enumerate() {
        ui.push_id(("schedule", i), |ui| {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                form_ui(ui, f, now);
                if ui.add_enabled(!read_only, egui::Button::new("Remove schedule")).clicked() {
                    remove = Some(i);
                }
            });
        });
    }
    if let Some(i) = remove {
        forms.remove(i);
    }
    if ui.add_enabled(!read_only, egui::Button::new("➕ Add schedule")).clicked() {
        forms.push(ScheduleForm::new(now));
    }
}

fn form_ui(ui: &mut Ui, f: &mut ScheduleForm, now: Timestamp) {
    ui.horizontal_wrapped(|ui| {
        let repeats = ui.label("Repeats");
        let combo = egui::ComboBox::from_id_salt("kind").selected_text(f.kind.label()).width(260.0).show_ui(ui, |ui| {
            for k in Kind::ALL {
                ui.selectable_value(&mut f.kind, k, k.label());
            }
        });
        combo.response.labelled_by(repeats.id);
        let unit = match f.kind {
            Kind::Daily | Kind::AfterCompletion => Some("day(s)"),
            Kind::Weekly => Some("week(s)"),
            Kind::MonthDay | Kind::MonthWeekday => Some("month(s)"),
            Kind::Custom => None,
        };
        if let Some(unit) = unit {
            let l = ui.label(if f.kind == Kind::AfterCompletion { "after" } else { "every" });
            ui.add(egui::DragValue::new(&mut f.every).range(1..=999)).labelled_by(l.id);
            ui.label(unit);
        }
        match f.kind {
            Kind::Weekly => {
                ui.label("on");
                for (d, on) in f.days.iter_mut().enumerate() {
                    ui.toggle_value(on, &weekday_name(d)[..3]).on_hover_text(weekday_name(d));
                }
            }
            Kind::MonthDay => {
                let text = if f.month_day == -1 { "last".to_owned() } else { f.month_day.to_string() };
                egui::ComboBox::from_label("day of the month").selected_text(text).width(60.0).show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.month_day, -1, "last");
                    for d in 1..=31 {
                        ui.selectable_value(&mut f.month_day, d, d.to_string());
                    }
                });
            }
            Kind::MonthWeekday => {
                let nth = |n: i8| match n {
                    1 => "first",
                    2 => "second",
                    3 => "third",
                    4 => "fourth",
                    _ => "last",
                };
                egui::ComboBox::from_label("weekday of the month").selected_text(nth(f.nth)).width(70.0).show_ui(
                    ui,
                    |ui| {
                        for n in [1, 2, 3, 4, -1] {
                            ui.selectable_value(&mut f.nth, n, nth(n));
                        }
                    },
                );
                egui::ComboBox::from_label("weekday")
                    .selected_text(weekday_name(usize::from(f.weekday)))
                    .width(100.0)
                    .show_ui(ui, |ui| {
                        for d in 0..7u8 {
                            ui.selectable_value(&mut f.weekday, d, weekday_name(usize::from(d)));
                        }
                    });
            }
            Kind::Custom => {
                let l = ui.label("rule");
                ui.add(
                    egui::TextEdit::singleline(&mut f.custom).hint_text("FREQ=MONTHLY;BYDAY=-1FR").desired_width(260.0),
                )
                .labelled_by(l.id);
            }
            _ => {}
        }
    });
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("at");
        ui.add(egui::TextEdit::singleline(&mut f.time).desired_width(48.0))
            .labelled_by(l.id)
            .on_hover_text("Time of day, HH:MM");
        let l = ui.label("starting");
        ui.add(egui::TextEdit::singleline(&mut f.starts).desired_width(90.0))
            .labelled_by(l.id)
            .on_hover_text("The first day, YYYY-MM-DD");
        let l = ui.label("due within");
        ui.add(egui::TextEdit::singleline(&mut f.due_within).hint_text("until the next").desired_width(100.0))
            .labelled_by(l.id)
            .on_hover_text("After this long it is overdue (1h, 90m, 2d); empty: due until the next occurrence");
        ui.checkbox(&mut f.paused, "Paused");
    });
    match f.next_five(now) {
        Ok(next) if f.paused => {
            ui.label(RichText::new(format!("Paused (would be next: {})", next.join(" · "))).weak());
        }
        Ok(next) => {
            ui.label(RichText::new(format!("Next: {}", next.join(" · "))).weak());
        }
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("⚠ {e}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_round_trip_through_schedules() {
        let now = Timestamp::parse("2026-12-02 10:00").expect("now");
        let mut f = ScheduleForm::new(now);
        f.kind = Kind::Weekly;
        f.every = 2;
        f.days = [false, true, false, true, false, false, false];
        f.due_within = "1h".into();
        let d = f.draft().expect("valid");
        assert_eq!(
            (d.rule.as_str(), d.due_within, d.anchor),
            ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", Some(3600), Anchor::Calendar)
        );
        let row = Schedule {
            id: ScheduleId(1),
            procedure_id: ProcedureId(1),
            rule: d.rule.clone(),
            starts_at: d.starts_at,
            due_within: d.due_within,
            anchor: d.anchor,
            active: true,
            extra: Box::default(),
        };
        let back = ScheduleForm::of(&row);
        assert_eq!((back.kind, back.every, back.days, back.due_within.as_str()), (f.kind, 2, f.days, "1h"));
        assert_eq!(f.next_five(now).expect("next").first().map(String::as_str), Some("tomorrow, 09:00"));
        f.time = "9 o'clock".into();
        assert!(f.draft().is_err());
        f.time = "09:00".into();
        f.kind = Kind::Custom;
        f.custom = "FREQ=FORTNIGHTLY".into();
        assert!(f.draft().expect_err("bad rule").contains("FORTNIGHTLY"));
        f.kind = Kind::AfterCompletion;
        f.every = 90;
        assert_eq!(f.draft().expect("valid").anchor, Anchor::Completion);
        assert_eq!(
            ScheduleForm::of(&Schedule { anchor: Anchor::Completion, rule: "FREQ=DAILY;INTERVAL=90".into(), ..row })
                .kind,
            Kind::AfterCompletion
        );
    }
}
