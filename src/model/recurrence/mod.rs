//! Recurrence rules (RFC 5545 `RRULE`, by the `rrule` crate) on the local wall clock,
//! and placing wall-clock times on the time line of a time zone.
//!
//! A schedule's occurrences are wall-clock times: "daily at 09:00" is 09:00 on every
//! day, summer or winter. So the rule is expanded on a clock without DST (its start
//! taken as UTC) and each occurrence is then read in the user's zone: a time that does
//! not exist there (the hour skipped in spring) moves to the next valid one, the first
//! instant after the gap; an ambiguous one (the hour repeated in autumn) takes the first.

use chrono::{
    DateTime, Datelike as _, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset as _, TimeZone,
    Timelike as _, Utc,
};
pub use rrule::Tz as Zone;
use rrule::{Frequency, NWeekday, RRule, RRuleSet, Unvalidated};

mod walk;

/// At most this many occurrences of one schedule are expanded (a daily rule that
/// started in 1900 is 46,000; this bounds what a hostile file can cost).
pub const MAX_OCCURRENCES: usize = 100_000;

/// `UNTIL=20261201T000000` (floating: no `Z`) is valid RFC 5545 and means the local
/// wall clock; the rule is expanded on the wall clock taken as UTC, so it is that
/// instant in UTC (the parser refuses a floating UNTIL beside a UTC start).
fn floating_until_as_wall_clock(body: &str) -> String {
    body.split(';')
        .map(|part| match part.split_once('=') {
            Some((key, value))
                if key.trim().eq_ignore_ascii_case("UNTIL")
                    && value.len() == 15
                    && value.as_bytes()[8] == b'T'
                    && value.bytes().enumerate().all(|(i, b)| i == 8 || b.is_ascii_digit()) =>
            {
                format!("{key}={value}Z")
            }
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// A parsed recurrence rule, ready to expand from a start.
#[derive(Clone, Debug)]
pub struct Recurrence {
    rule: RRule<Unvalidated>,
}

impl Recurrence {
    /// Parse a rule (`FREQ=WEEKLY;BYDAY=TU`, optionally with an `RRULE:` prefix) and
    /// check that it can be expanded from `starts_at`; the error is the rule parser's.
    pub fn parse(text: &str, starts_at: NaiveDateTime) -> Result<Self, String> {
        let me = Self::read(text)?;
        let set = me.set(starts_at)?;
        if set.limit().into_iter().next().is_none() {
            return Err("the rule never occurs from starts_at on (a day that does not exist, like February 30, or an UNTIL before the start)".into());
        }
        Ok(me)
    }

    /// [`Recurrence::parse`] without building the rule at a start to see that it occurs
    /// (rrule's rule set: most of the time of expanding an editor's rule): for expanding
    /// a rule `check` has seen, where one that never occurs expands to nothing.
    pub fn read(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("missing recurrence rule (e.g. FREQ=DAILY)".into());
        }
        if t.contains(['\n', '\r']) {
            return Err("a recurrence rule is one line".into());
        }
        let body = t.strip_prefix("RRULE:").unwrap_or(t);
        if body.to_ascii_uppercase().contains("DTSTART") {
            return Err("the rule has no DTSTART: the first occurrence is starts_at".into());
        }
        let body = floating_until_as_wall_clock(body);
        let rule: RRule<Unvalidated> = body.parse().map_err(|e: rrule::RRuleError| e.to_string())?;
        // Finer than a minute costs a view sixty times a minute's work for nothing a
        // person runs (CONTRACT "Schedules").
        if rule.get_freq() == Frequency::Secondly {
            return Err("FREQ=SECONDLY: a schedule repeats at most every minute".into());
        }
        if rule.get_interval() == 0 {
            return Err("INTERVAL=0: the rule never occurs (an interval counts from 1)".into());
        }
        if rule.get_count() == Some(0) {
            return Err("COUNT=0: the rule never occurs".into());
        }
        Ok(Self { rule })
    }

    fn set(&self, start: NaiveDateTime) -> Result<RRuleSet, String> {
        let start = Zone::UTC.from_utc_datetime(&start);
        self.rule.clone().build(start).map_err(|e| e.to_string())
    }

    /// The occurrences from `start` (wall clock) on, up to and including `until`, and
    /// the first one after it (if any), at most [`MAX_OCCURRENCES`] — the last ones
    /// before `until` when there are more: a rule whose occurrences repeat by whole
    /// periods (every so many minutes, hours, days or weeks, without COUNT) is expanded
    /// from a later start that keeps its phase, so an hourly rule from 2010 or a daily
    /// one from year 1 is right today. (Monthly and yearly rules reach 8,000 years.)
    pub fn expand(&self, start: NaiveDateTime, until: NaiveDateTime) -> Vec<NaiveDateTime> {
        let Some(period) = self.period_secs() else { return self.expand_from(start, until) };
        // Go back far enough for MAX_OCCURRENCES of one per period, fewer when a period
        // holds several (BYHOUR=…): halve until the expansion reaches `until`.
        let mut periods = MAX_OCCURRENCES as i64 - 2;
        loop {
            let from = until - Duration::seconds(period.saturating_mul(periods));
            let shifted = if from > start {
                start + Duration::seconds((from - start).num_seconds() / period * period)
            } else {
                start
            };
            let out = self.expand_from(shifted, until);
            let reached = out.last().is_none_or(|last| *last > until) || out.len() < MAX_OCCURRENCES;
            if reached || periods < 2 {
                return out;
            }
            periods /= 2;
        }
    }

    /// How far apart whole periods of the rule are, in seconds, when its occurrences
    /// repeat by them (moving the start by a multiple keeps every occurrence after it):
    /// minutes, hours, days or weeks, times the interval, and no COUNT (which counts from
    /// the start).
    fn period_secs(&self) -> Option<i64> {
        if self.rule.get_count().is_some() {
            return None;
        }
        let unit = match self.rule.get_freq() {
            Frequency::Minutely => 60,
            Frequency::Hourly => 3_600,
            Frequency::Daily => 86_400,
            Frequency::Weekly => 7 * 86_400,
            _ => return None,
        };
        Some(unit * i64::from(self.rule.get_interval().max(1)))
    }

    fn expand_from(&self, start: NaiveDateTime, until: NaiveDateTime) -> Vec<NaiveDateTime> {
        if let Some(form) = self.walked_form()
            && let Some(out) = walk::walk(&form, start, until, MAX_OCCURRENCES)
        {
            return out;
        }
        self.expand_by_rrule(start, until)
    }

    /// The rule's form when [`walk::walk`] gives its occurrences: the editor's forms,
    /// weeks starting on Monday when they count.
    fn walked_form(&self) -> Option<RuleForm> {
        self.form().filter(|f| {
            !matches!(f, RuleForm::Weekly { n, .. } if *n > 1) || self.rule.get_week_start() == chrono::Weekday::Mon
        })
    }

    fn expand_by_rrule(&self, start: NaiveDateTime, until: NaiveDateTime) -> Vec<NaiveDateTime> {
        let Ok(set) = self.set(start) else { return Vec::new() };
        let mut out = Vec::new();
        for dt in set.limit().into_iter() {
            let wall = dt.naive_utc();
            out.push(wall);
            if wall > until || out.len() >= MAX_OCCURRENCES {
                break;
            }
        }
        out
    }

    /// The rule restarted at `from`: its first occurrence after `from` (a completion
    /// anchor's next occurrence: "every 90 days after the last completion").
    pub fn next_after_restart(&self, from: NaiveDateTime) -> Option<NaiveDateTime> {
        if let Some(form) = self.walked_form()
            && let Some(out) = walk::walk(&form, from, from, 2)
        {
            return out.into_iter().find(|d| *d > from);
        }
        let set = self.set(from).ok()?;
        set.limit().into_iter().map(|d| d.naive_utc()).find(|d| *d > from)
    }

    /// What the rule says, in words ("every day", "every Tuesday", "on the first Monday
    /// of every month"), or `None` when it is not one the editor builds.
    pub fn describe(&self) -> Option<String> {
        RuleForm::of(&self.rule).map(|f| f.words())
    }

    /// The rule as the editor's form, when it is one of the editor's kinds.
    pub fn form(&self) -> Option<RuleForm> {
        RuleForm::of(&self.rule)
    }
}

/// The kinds of rule the editor builds (any other rule is kept as typed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleForm {
    /// Every `n` days.
    Daily { n: u16 },
    /// On the chosen weekdays (Monday = 0), every `n` weeks.
    Weekly { n: u16, days: [bool; 7] },
    /// On day `day` of every `n` months (-1: the last day).
    MonthDay { n: u16, day: i8 },
    /// On the `nth` (1–4, or -1 for the last) `weekday` (Monday = 0) of every `n` months.
    MonthWeekday { n: u16, nth: i8, weekday: u8 },
}

const DAY_NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const DAY_CODES: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

impl RuleForm {
    fn of(r: &RRule<Unvalidated>) -> Option<Self> {
        let plain = r.get_count().is_none()
            && r.get_until().is_none()
            && r.get_by_set_pos().is_empty()
            && r.get_by_month().is_empty()
            && r.get_by_year_day().is_empty()
            && r.get_by_week_no().is_empty()
            && r.get_by_hour().is_empty()
            && r.get_by_minute().is_empty()
            && r.get_by_second().is_empty();
        if !plain {
            return None;
        }
        let n = r.get_interval().max(1);
        let days = r.get_by_weekday();
        let month_days = r.get_by_month_day();
        match r.get_freq() {
            Frequency::Daily if days.is_empty() && month_days.is_empty() => Some(Self::Daily { n }),
            Frequency::Weekly if month_days.is_empty() => {
                let mut set = [false; 7];
                for d in days {
                    match d {
                        NWeekday::Every(w) => set[w.num_days_from_monday() as usize] = true,
                        NWeekday::Nth(..) => return None,
                    }
                }
                Some(Self::Weekly { n, days: set })
            }
            Frequency::Monthly => match (days, month_days) {
                ([], [d]) => Some(Self::MonthDay { n, day: *d }),
                ([NWeekday::Nth(k, w)], []) if matches!(*k, 1..=4 | -1) => {
                    Some(Self::MonthWeekday { n, nth: *k as i8, weekday: w.num_days_from_monday() as u8 })
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// The RFC 5545 text of this form.
    pub fn rule(&self) -> String {
        let every =
            |freq: &str, n: u16| if n > 1 { format!("FREQ={freq};INTERVAL={n}") } else { format!("FREQ={freq}") };
        match self {
            Self::Daily { n } => every("DAILY", *n),
            Self::Weekly { n, days } => {
                let codes: Vec<&str> = (0..7).filter(|i| days[*i]).map(|i| DAY_CODES[i]).collect();
                if codes.is_empty() {
                    every("WEEKLY", *n)
                } else {
                    format!("{};BYDAY={}", every("WEEKLY", *n), codes.join(","))
                }
            }
            Self::MonthDay { n, day } => format!("{};BYMONTHDAY={day}", every("MONTHLY", *n)),
            Self::MonthWeekday { n, nth, weekday } => {
                format!("{};BYDAY={nth}{}", every("MONTHLY", *n), DAY_CODES[usize::from(*weekday).min(6)])
            }
        }
    }

    /// In words: "every day", "every 2 weeks on Monday and Thursday", "on the last day of
    /// every month", "on the first Monday of every 3 months".
    pub fn words(&self) -> String {
        let unit =
            |n: u16, one: &str, many: &str| if n > 1 { format!("every {n} {many}") } else { format!("every {one}") };
        match self {
            Self::Daily { n } => unit(*n, "day", "days"),
            Self::Weekly { n, days } => {
                let names: Vec<&str> = (0..7).filter(|i| days[*i]).map(|i| DAY_NAMES[i]).collect();
                let weekdays = [true, true, true, true, true, false, false];
                if *n == 1 && *days == weekdays {
                    return "every weekday (Monday to Friday)".into();
                }
                if *n == 1 && names.len() == 1 {
                    return format!("every {}", names[0]);
                }
                match names.as_slice() {
                    [] => unit(*n, "week", "weeks"),
                    [one] => format!("{} on {one}", unit(*n, "week", "weeks")),
                    [init @ .., last] => format!("{} on {} and {last}", unit(*n, "week", "weeks"), init.join(", ")),
                }
            }
            Self::MonthDay { n, day } => {
                let which = match day {
                    -1 => "the last day".to_string(),
                    d if *d < 0 => format!("the {} day from the end", ordinal(i32::from(-d))),
                    d => format!("day {d}"),
                };
                format!("on {which} of {}", unit(*n, "month", "months"))
            }
            Self::MonthWeekday { n, nth, weekday } => {
                let which = if *nth == -1 { "last".to_string() } else { ordinal(i32::from(*nth)) };
                let day = DAY_NAMES[usize::from(*weekday).min(6)];
                format!("on the {which} {day} of {}", unit(*n, "month", "months"))
            }
        }
    }
}

fn ordinal(n: i32) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        4 => "fourth".into(),
        5 => "fifth".into(),
        n => format!("{n}th"),
    }
}

/// The day of week of a date, Monday = 0.
pub fn weekday_index(d: NaiveDate) -> usize {
    d.weekday().num_days_from_monday() as usize
}

/// The weekday of `WEEKDAYS` index `i`.
pub fn weekday_name(i: usize) -> &'static str {
    DAY_NAMES[i.min(6)]
}

/// Where a wall-clock time lies on the time line of `zone` (Unix seconds): the first of
/// two when the hour repeats; the end of the gap when it does not exist.
pub fn instant(zone: &Zone, wall: NaiveDateTime) -> i64 {
    if let Some(offset) = regular_local_day(zone, wall) {
        return wall.and_utc().timestamp() - offset;
    }
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(d) => d.timestamp(),
        LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        LocalResult::None => gap_end(zone, wall),
    }
}

/// The first instant whose wall clock is at or after `wall` (which falls in a gap).
fn gap_end(zone: &Zone, wall: NaiveDateTime) -> i64 {
    // Before the gap the clock is valid; the instant `wall` would be at the old offset
    // lies after the transition. Search the transition between them to the second.
    let before = (1..=48).find_map(|h| match zone.from_local_datetime(&(wall - Duration::hours(h))) {
        LocalResult::Single(d) => Some(d),
        LocalResult::Ambiguous(a, _) => Some(a),
        LocalResult::None => None,
    });
    let Some(before) = before else { return wall.and_utc().timestamp() };
    let offset = i64::from(before.offset().fix().local_minus_utc());
    let (mut lo, mut hi) = (before.timestamp(), wall.and_utc().timestamp() - offset);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if local(zone, mid) >= wall {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// The wall clock of `zone` at Unix second `t`.
pub fn local(zone: &Zone, t: i64) -> NaiveDateTime {
    let utc = DateTime::<Utc>::from_timestamp(t, 0).unwrap_or_default().naive_utc();
    zone.from_utc_datetime(&utc).naive_local()
}

/// The offset of `wall`'s day when `zone` is the system's and the day has one offset
/// (every wall time of it is one instant): asked of a cache of days, not of the zone
/// rules per occurrence (the schedule counts of `stats` convert every occurrence).
fn regular_local_day(zone: &Zone, wall: NaiveDateTime) -> Option<i64> {
    match zone {
        Zone::Local(_) => crate::model::Timestamp::local_day_offset(wall.and_utc().timestamp()),
        _ => None,
    }
}

/// `wall` as it really shows on the clock of `zone`: itself, or the end of the gap.
pub fn normalize(zone: &Zone, wall: NaiveDateTime) -> NaiveDateTime {
    if regular_local_day(zone, wall).is_some() {
        return wall;
    }
    match zone.from_local_datetime(&wall) {
        LocalResult::None => local(zone, gap_end(zone, wall)),
        _ => wall,
    }
}

/// `secs` real seconds after the wall-clock time `wall`, on the wall clock of `zone`.
pub fn wall_after(zone: &Zone, wall: NaiveDateTime, secs: i64) -> NaiveDateTime {
    local(zone, instant(zone, wall) + secs)
}

/// The day of `wall` at the time of day of `of`.
pub fn at_time_of(day: NaiveDate, of: NaiveDateTime) -> NaiveDateTime {
    day.and_time(
        NaiveTime::from_num_seconds_from_midnight_opt(of.time().num_seconds_from_midnight(), 0).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    #[test]
    fn rules_expand_on_the_wall_clock() {
        let r = Recurrence::parse("FREQ=DAILY", at("2026-03-27 09:00")).expect("rule");
        let got = r.expand(at("2026-03-27 09:00"), at("2026-03-30 00:00"));
        let want: Vec<_> = ["2026-03-27 09:00", "2026-03-28 09:00", "2026-03-29 09:00", "2026-03-30 09:00"]
            .into_iter()
            .map(at)
            .collect();
        assert_eq!(got, want, "09:00 stays 09:00 across the change to summer time");
        let last = Recurrence::parse("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1", at("2028-01-31 17:00")).expect("rule");
        let got = last.expand(at("2028-01-31 17:00"), at("2028-03-01 00:00"));
        assert_eq!(got, vec![at("2028-01-31 17:00"), at("2028-02-29 17:00"), at("2028-03-31 17:00")]);
        assert_eq!(last.describe().as_deref(), Some("on the last day of every month"));
        let first_monday = Recurrence::parse("FREQ=MONTHLY;BYDAY=1MO", at("2026-01-05 08:00")).expect("rule");
        assert_eq!(first_monday.describe().as_deref(), Some("on the first Monday of every month"));
        assert_eq!(first_monday.expand(at("2026-01-05 08:00"), at("2026-01-06 00:00"))[1], at("2026-02-02 08:00"));
        let every90 = Recurrence::parse("FREQ=DAILY;INTERVAL=90", at("2026-01-01 09:00")).expect("rule");
        assert_eq!(every90.next_after_restart(at("2026-02-10 09:00")), Some(at("2026-05-11 09:00")));
    }

    #[test]
    fn bad_rules_say_what_the_parser_says() {
        let start = at("2026-01-01 09:00");
        for bad in ["", "FREQ=SOMETIMES", "FREQ=DAILY;INTERVAL=x", "DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY"] {
            let e = Recurrence::parse(bad, start).expect_err(bad);
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(Recurrence::parse("FREQ=SOMETIMES", start).expect_err("bad").contains("SOMETIMES"));
        for (never, says) in [
            ("FREQ=SECONDLY", "at most every minute"),
            ("FREQ=DAILY;INTERVAL=0", "never occurs"),
            ("FREQ=DAILY;COUNT=0", "never occurs"),
            ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
        ] {
            let e = Recurrence::parse(never, start).expect_err(never);
            assert!(e.contains(says), "{never}: {e}");
        }
        // A floating UNTIL is local time, and valid.
        let r = Recurrence::parse("FREQ=DAILY;UNTIL=20260105T090000", at("2026-01-01 09:00")).expect("floating");
        assert_eq!(r.expand(at("2026-01-01 09:00"), at("2027-01-01 00:00")).len(), 5);
    }

    #[test]
    fn forms_round_trip_through_their_rule_text() {
        let forms = [
            RuleForm::Daily { n: 1 },
            RuleForm::Daily { n: 90 },
            RuleForm::Weekly { n: 1, days: [true, true, true, true, true, false, false] },
            RuleForm::Weekly { n: 2, days: [false, true, false, false, false, false, false] },
            RuleForm::MonthDay { n: 1, day: 15 },
            RuleForm::MonthDay { n: 3, day: -1 },
            RuleForm::MonthWeekday { n: 1, nth: 1, weekday: 0 },
            RuleForm::MonthWeekday { n: 1, nth: -1, weekday: 4 },
        ];
        for f in forms {
            let r = Recurrence::parse(&f.rule(), at("2026-01-01 09:00")).expect("rule");
            assert_eq!(r.form(), Some(f.clone()), "{}", f.rule());
        }
        assert_eq!(
            RuleForm::Weekly { n: 2, days: [true, false, false, true, false, false, false] }.words(),
            "every 2 weeks on Monday and Thursday"
        );
        assert_eq!(Recurrence::parse("FREQ=DAILY;COUNT=3", at("2026-01-01 09:00")).expect("rule").form(), None);
    }

    #[test]
    fn wall_clock_times_are_placed_in_the_zone() {
        let berlin = Zone::Europe__Berlin;
        // Spring: 02:30 does not exist; it moves to 03:00, the end of the gap.
        assert_eq!(normalize(&berlin, at("2026-03-29 02:30")), at("2026-03-29 03:00"));
        assert_eq!(normalize(&berlin, at("2026-03-29 04:30")), at("2026-03-29 04:30"));
        // Autumn: 02:30 happens twice; the first is meant (UTC+2, 00:30 UTC).
        assert_eq!(instant(&berlin, at("2026-10-25 02:30")), at("2026-10-25 00:30").and_utc().timestamp());
        // Real seconds: 1 hour after 01:30 on the autumn night is 02:30 (the first one),
        // 2 hours after it is 02:30 again (the second), 3 hours is 03:30.
        assert_eq!(wall_after(&berlin, at("2026-10-25 01:30"), 3 * 3600), at("2026-10-25 03:30"));
        let ny = Zone::America__New_York;
        assert_eq!(normalize(&ny, at("2026-03-08 02:15")), at("2026-03-08 03:00"));
        assert_eq!(wall_after(&ny, at("2026-03-08 01:00"), 2 * 3600), at("2026-03-08 04:00"));
    }
}
