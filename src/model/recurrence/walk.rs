//! The editor's kinds of rule ([`RuleForm`]) walked by date arithmetic: every `n` days,
//! weeks (on chosen weekdays) or months (on a day, or an nth weekday). rrule builds a
//! rule set and iterates its periods for each schedule; at y1 (3,000 schedules, 82,000
//! occurrences) that was a quarter of the analytics recompute, over the budget. The
//! same occurrences come out (a property test walks both on random forms and starts);
//! any other rule, and any walk that would search too long, goes to rrule.

use super::RuleForm;
use chrono::{Datelike as _, Duration, NaiveDate, NaiveDateTime, Weekday};

/// Months looked at past `until` for the first occurrence after it (a day 31 every
/// 12 months from February never comes; rrule is asked instead).
const MONTHS_AFTER: u32 = 48;

/// The occurrences of `form` from `start` on while they are at or before `until`, then
/// the first after it, at most `max` — as rrule gives them (week start Monday); `None`
/// when the walk gives up (rrule is asked).
pub(super) fn walk(
    form: &RuleForm,
    start: NaiveDateTime,
    until: NaiveDateTime,
    max: usize,
) -> Option<Vec<NaiveDateTime>> {
    let time = start.time();
    let first = start.date();
    let mut out = Vec::new();
    // Push a day's occurrence; true when the walk is done.
    let mut push = |d: NaiveDate| {
        let at = d.and_time(time);
        out.push(at);
        at > until || out.len() >= max
    };
    match *form {
        RuleForm::Daily { n } => {
            let step = Duration::days(i64::from(n.max(1)));
            let mut d = first;
            while !push(d) {
                d = d.checked_add_signed(step)?;
            }
        }
        RuleForm::Weekly { n, days } => {
            let days: Vec<u64> = if days.iter().any(|d| *d) {
                (0..7u64).filter(|i| days[*i as usize]).collect()
            } else {
                vec![u64::from(first.weekday().num_days_from_monday())]
            };
            let mut monday = first.week(Weekday::Mon).first_day();
            let step = Duration::weeks(i64::from(n.max(1)));
            'weeks: loop {
                for &i in &days {
                    let d = monday.checked_add_days(chrono::Days::new(i))?;
                    if d >= first && push(d) {
                        break 'weeks;
                    }
                }
                monday = monday.checked_add_signed(step)?;
            }
        }
        RuleForm::MonthDay { n, day } => months(first, n, until.date(), &mut push, |y, m| {
            let last = last_day(y, m)?;
            let d = if day > 0 {
                u32::try_from(day).ok()?
            } else {
                (last + 1).checked_sub(u32::from(day.unsigned_abs()))?
            };
            if d == 0 || d > last { None } else { NaiveDate::from_ymd_opt(y, m, d) }
        })?,
        RuleForm::MonthWeekday { n, nth, weekday } => {
            let w = Weekday::try_from(weekday).ok()?;
            months(first, n, until.date(), &mut push, |y, m| {
                if nth > 0 {
                    NaiveDate::from_weekday_of_month_opt(y, m, w, u8::try_from(nth).ok()?)
                } else {
                    let last = NaiveDate::from_ymd_opt(y, m, last_day(y, m)?)?;
                    let back = (7 + last.weekday().num_days_from_monday() - w.num_days_from_monday()) % 7;
                    last.checked_sub_days(chrono::Days::new(u64::from(back)))
                }
            })?
        }
    }
    Some(out)
}

/// Every `n`th month from `first`'s, each month's day by `day_of` (none: the month has
/// no such day), days before `first` left out; `None` when no day comes within
/// [`MONTHS_AFTER`] months looked at after `until`.
fn months(
    first: NaiveDate,
    n: u16,
    until: NaiveDate,
    push: &mut impl FnMut(NaiveDate) -> bool,
    day_of: impl Fn(i32, u32) -> Option<NaiveDate>,
) -> Option<()> {
    let n = u32::from(n.max(1));
    let (mut y, mut m) = (first.year(), first.month());
    let mut past = 0;
    loop {
        if let Some(d) = day_of(y, m).filter(|d| *d >= first)
            && push(d)
        {
            return Some(());
        }
        let next = m - 1 + n;
        y = y.checked_add(i32::try_from(next / 12).ok()?)?;
        m = next % 12 + 1;
        if NaiveDate::from_ymd_opt(y, m, 1)? > until {
            past += 1;
            if past > MONTHS_AFTER {
                return None;
            }
        }
    }
}

fn last_day(y: i32, m: u32) -> Option<u32> {
    let next = if m == 12 { NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { NaiveDate::from_ymd_opt(y, m + 1, 1) }?;
    Some(next.pred_opt()?.day())
}

#[cfg(test)]
mod tests {
    use super::super::Recurrence;
    use super::*;

    /// A small deterministic generator (xorshift): the same cases every run.
    struct Gen(u64);

    impl Gen {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn form(g: &mut Gen) -> RuleForm {
        // Every n here reaches a month of 31 days from any month (a rule that never
        // occurs is refused by `parse`, after rrule's long search).
        let n = [1, 1, 1, 2, 3, 5, 13, 90][g.below(8) as usize];
        match g.below(4) {
            0 => RuleForm::Daily { n },
            1 => RuleForm::Weekly { n, days: std::array::from_fn(|_| g.below(3) == 0) },
            2 => {
                let day = [1, 15, 28, 29, 30, 31, -1, -2, -28, -31][g.below(10) as usize];
                RuleForm::MonthDay { n, day }
            }
            _ => {
                let nth = [1, 2, 3, 4, -1][g.below(5) as usize];
                RuleForm::MonthWeekday { n, nth, weekday: g.below(7) as u8 }
            }
        }
    }

    #[test]
    fn walks_give_what_rrule_gives() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let base = NaiveDate::from_ymd_opt(2023, 1, 1).expect("date").and_hms_opt(0, 0, 0).expect("time");
        let mut walked = 0;
        for case in 0..3_000 {
            let f = form(&mut g);
            let start = base
                + Duration::days(g.below(1_500) as i64)
                + Duration::minutes(g.below(24 * 60) as i64)
                + Duration::seconds(g.below(2) as i64 * 30);
            let until = start + Duration::days(g.below(900) as i64) + Duration::hours(g.below(24) as i64);
            let Ok(rule) = Recurrence::parse(&f.rule(), start) else { continue };
            assert_eq!(rule.form().as_ref(), Some(&f), "case {case}: {}", f.rule());
            let max = [5, 1_000][g.below(2) as usize];
            let Some(fast) = walk(&f, start, until, max) else { continue };
            let mut slow = rule.expand_by_rrule(start, until);
            slow.truncate(max);
            assert_eq!(fast, slow, "case {case}: {} from {start} until {until}", f.rule());
            walked += 1;
        }
        assert!(walked > 2_500, "most cases walk ({walked})");
    }

    #[test]
    fn restarts_give_what_rrule_gives() {
        let mut g = Gen(0x2545_f491_4f6c_dd1d);
        let base = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date").and_hms_opt(7, 30, 0).expect("time");
        for case in 0..2_000 {
            let f = form(&mut g);
            let from = base + Duration::days(g.below(1_000) as i64) + Duration::minutes(g.below(24 * 60) as i64);
            let Ok(rule) = Recurrence::read(&f.rule()) else { continue };
            let slow =
                rule.set(from).ok().and_then(|s| s.limit().into_iter().map(|d| d.naive_utc()).find(|d| *d > from));
            assert_eq!(rule.next_after_restart(from), slow, "case {case}: {} from {from}", f.rule());
        }
    }

    #[test]
    fn a_day_that_never_comes_is_left_to_rrule() {
        let start = NaiveDate::from_ymd_opt(2026, 2, 1).expect("date").and_hms_opt(9, 0, 0).expect("time");
        let f = RuleForm::MonthDay { n: 12, day: 30 };
        assert_eq!(walk(&f, start, start + Duration::days(30), 1_000), None);
        let f = RuleForm::MonthDay { n: 1, day: 30 };
        let got = walk(&f, start, start + Duration::days(30), 1_000).expect("walks");
        let march_30 = NaiveDate::from_ymd_opt(2026, 3, 30).expect("date").and_time(start.time());
        assert_eq!(got, vec![march_30]);
    }
}
