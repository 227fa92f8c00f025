use super::*;
use crate::ops::{self, ProcedureDraft, RunStart, ScheduleDraft, StepDraft};

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("timestamp")
}

fn berlin(now: &str) -> Clock {
    Clock { zone: Zone::Europe__Berlin, now: ts(now) }
}

/// A folder with one procedure and these schedules (rule, starts_at, due_within, anchor).
fn folder(schedules: &[(&str, &str, Option<u32>, Anchor)]) -> (Dataset, ProcedureId) {
    let mut db = Dataset::default();
    let draft = ProcedureDraft {
        name: "Opening".into(),
        steps: vec![StepDraft::tick("Lights on", None)],
        ..ProcedureDraft::default()
    };
    let pid = ops::create_procedure(&mut db, &draft, ts("2025-12-01 08:00:00")).expect("create").value;
    let drafts: Vec<ScheduleDraft> = schedules
        .iter()
        .map(|(rule, start, due, anchor)| ScheduleDraft {
            id: None,
            rule: (*rule).into(),
            starts_at: ts(start),
            due_within: *due,
            anchor: *anchor,
            active: true,
        })
        .collect();
    ops::set_schedules(&mut db, pid, &drafts).expect("schedules");
    (db, pid)
}

fn run(db: &mut Dataset, pid: ProcedureId, start: &str, end: Option<&str>, scheduled_for: Option<&str>) -> RunId {
    let how = RunStart { scheduled_for: scheduled_for.map(ts), ..RunStart::default() };
    let id = ops::start_run_with(db, pid, ts(start), &how).expect("start").value;
    if let Some(end) = end {
        ops::finish_run(db, id, RunStatus::Completed, ts(end)).expect("finish");
    }
    id
}

/// (time, state) of the occurrences between two times.
fn states(db: &Dataset, pid: ProcedureId, clock: &Clock, from: &str, to: &str) -> Vec<(String, State)> {
    let mut e = Engine::new();
    e.occurrences(db, pid, clock, ts(from).wall_secs(), ts(to).wall_secs())
        .into_iter()
        .map(|o| (o.at.canonical()[..16].to_string(), o.state))
        .collect()
}

fn s(at: &str, st: State) -> (String, State) {
    (at.to_string(), st)
}

#[test]
fn a_daily_schedule_is_upcoming_due_overdue_then_missed() {
    let (db, pid) = folder(&[("FREQ=DAILY", "2026-03-02 09:00:00", Some(3600), Anchor::Calendar)]);
    let at = |now| states(&db, pid, &berlin(now), "2026-03-03 00:00:00", "2026-03-04 23:00:00");
    use State::*;
    assert_eq!(at("2026-03-03 08:59:00"), vec![s("2026-03-03 09:00", Upcoming), s("2026-03-04 09:00", Upcoming)]);
    assert_eq!(at("2026-03-03 09:00:00")[0], s("2026-03-03 09:00", Due));
    assert_eq!(at("2026-03-03 09:59:59")[0], s("2026-03-03 09:00", Due));
    assert_eq!(at("2026-03-03 10:00:00")[0], s("2026-03-03 09:00", Overdue));
    assert_eq!(at("2026-03-04 09:00:00"), vec![s("2026-03-03 09:00", Missed), s("2026-03-04 09:00", Due)]);
}

#[test]
fn without_due_within_an_occurrence_is_due_until_the_next() {
    let (db, pid) = folder(&[("FREQ=WEEKLY;BYDAY=TU", "2026-03-03 09:00:00", None, Anchor::Calendar)]);
    let at = |now| states(&db, pid, &berlin(now), "2026-03-03 00:00:00", "2026-03-10 23:00:00");
    use State::*;
    assert_eq!(at("2026-03-09 23:00:00"), vec![s("2026-03-03 09:00", Due), s("2026-03-10 09:00", Upcoming)]);
    assert_eq!(at("2026-03-10 09:00:00"), vec![s("2026-03-03 09:00", Missed), s("2026-03-10 09:00", Due)]);
}

#[test]
fn daily_at_nine_stays_at_nine_across_both_transitions_in_berlin_and_new_york() {
    use State::*;
    // The days of the changes, and a time in the hour the autumn night repeats.
    for (zone, spring, autumn, repeated) in [
        (Zone::Europe__Berlin, "2026-03-29", "2026-10-25", "02:30"),
        (Zone::America__New_York, "2026-03-08", "2026-11-01", "01:30"),
    ] {
        let (db, pid) = folder(&[("FREQ=DAILY", "2026-01-01 09:00:00", Some(2 * 3600), Anchor::Calendar)]);
        for day in [spring, autumn] {
            let clock = Clock { zone, now: ts(&format!("{day} 10:59:00")) };
            let got = states(&db, pid, &clock, &format!("{day} 00:00:00"), &format!("{day} 23:59:00"));
            assert_eq!(got, vec![s(&format!("{day} 09:00"), Due)], "{day}");
            let clock = Clock { zone, now: ts(&format!("{day} 11:00:00")) };
            let got = states(&db, pid, &clock, &format!("{day} 00:00:00"), &format!("{day} 23:59:00"));
            assert_eq!(got, vec![s(&format!("{day} 09:00"), Overdue)], "{day}: two real hours later");
        }
        // A nightly 02:30 job: on the spring night 02:30 does not exist, so it is at 03:00;
        // on the autumn night it happens once (the first 02:30), and due_within counts
        // real seconds: 1 h after the first 02:30 is the second 02:30, not 03:30.
        let (db, pid) = folder(&[("FREQ=DAILY", "2026-01-01 02:30:00", Some(3600), Anchor::Calendar)]);
        let clock = Clock { zone, now: ts(&format!("{spring} 12:00:00")) };
        let got = states(&db, pid, &clock, &format!("{spring} 00:00:00"), &format!("{spring} 23:59:00"));
        assert_eq!(got, vec![s(&format!("{spring} 03:00"), Overdue)]);
        let (db, pid) = folder(&[("FREQ=DAILY", &format!("2026-01-01 {repeated}:00"), Some(3600), Anchor::Calendar)]);
        let mut e = Engine::new();
        let clock = Clock { zone, now: ts(&format!("{autumn} 05:00:00")) };
        let from = ts(&format!("{autumn} 00:00:00")).wall_secs();
        let o = &e.occurrences(&db, pid, &clock, from, from + 86_399)[0];
        assert_eq!(o.overdue_at.map(|t| t.canonical()), Some(format!("{autumn} {repeated}:00")));
    }
}

#[test]
fn month_ends_and_leap_days() {
    use State::*;
    let (db, pid) = folder(&[("FREQ=MONTHLY;BYMONTHDAY=-1", "2028-01-31 17:00:00", None, Anchor::Calendar)]);
    let got = states(&db, pid, &berlin("2028-02-29 18:00:00"), "2028-01-01 00:00:00", "2028-04-30 23:00:00");
    assert_eq!(
        got,
        vec![
            s("2028-01-31 17:00", Missed),
            s("2028-02-29 17:00", Due),
            s("2028-03-31 17:00", Upcoming),
            s("2028-04-30 17:00", Upcoming)
        ]
    );
    // The first Monday of the month; a yearly check on 29 February happens on leap years only.
    let (db, pid) = folder(&[("FREQ=MONTHLY;BYDAY=1MO", "2026-01-05 08:00:00", None, Anchor::Calendar)]);
    let got = states(&db, pid, &berlin("2026-01-10 08:00:00"), "2026-01-01 00:00:00", "2026-03-31 00:00:00");
    let days: Vec<&str> = got.iter().map(|(t, _)| &t[..10]).collect();
    assert_eq!(days, ["2026-01-05", "2026-02-02", "2026-03-02"]);
    let (db, pid) = folder(&[("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2024-02-29 09:00:00", None, Anchor::Calendar)]);
    let got = states(&db, pid, &berlin("2028-03-01 09:00:00"), "2024-01-01 00:00:00", "2029-01-01 00:00:00");
    let days: Vec<&str> = got.iter().map(|(t, _)| &t[..10]).collect();
    assert_eq!(days, ["2024-02-29", "2028-02-29"]);
}

#[test]
fn runs_are_matched_by_scheduled_for_or_by_start_time_and_late_is_after_the_due_time() {
    let (mut db, pid) = folder(&[("FREQ=DAILY", "2026-03-01 09:00:00", Some(3600), Anchor::Calendar)]);
    let on_time = run(&mut db, pid, "2026-03-01 09:20:00", Some("2026-03-01 09:40:00"), None);
    let late = run(&mut db, pid, "2026-03-02 11:00:00", Some("2026-03-02 11:30:00"), None);
    // Started on the 4th for the occurrence of the 3rd (from Today): late, for the 3rd.
    let for_third = run(&mut db, pid, "2026-03-04 08:00:00", None, Some("2026-03-03 09:00:00"));
    let mut e = Engine::new();
    let clock = berlin("2026-03-05 12:00:00");
    let got =
        e.occurrences(&db, pid, &clock, ts("2026-03-01 00:00:00").wall_secs(), ts("2026-03-05 23:00:00").wall_secs());
    let summary: Vec<(String, State, Option<RunId>, bool)> =
        got.iter().map(|o| (o.at.canonical()[..10].to_string(), o.state, o.run, o.late)).collect();
    assert_eq!(
        summary,
        vec![
            ("2026-03-01".into(), State::Done, Some(on_time), false),
            ("2026-03-02".into(), State::Done, Some(late), true),
            ("2026-03-03".into(), State::Started, Some(for_third), true),
            ("2026-03-04".into(), State::Missed, None, false),
            ("2026-03-05".into(), State::Overdue, None, false),
        ]
    );
    let counts = e.counts(&db, pid, &clock).expect("scheduled");
    assert_eq!((counts.occurrences, counts.on_time, counts.late, counts.missed), (5, 1, 2, 1));
    assert_eq!(counts.on_time_rate, Some(25.0));
    // A cancelled run fulfils nothing.
    let cancelled = ops::start_run(&mut db, pid, ts("2026-03-05 12:30:00")).expect("start").value;
    ops::finish_run(&mut db, cancelled, RunStatus::Cancelled, ts("2026-03-05 12:31:00")).expect("cancel");
    let clock = berlin("2026-03-05 12:40:00");
    let got =
        e.occurrences(&db, pid, &clock, ts("2026-03-05 00:00:00").wall_secs(), ts("2026-03-05 23:00:00").wall_secs());
    assert_eq!((got[0].state, got[0].run), (State::Overdue, None));
}

#[test]
fn one_run_fulfils_one_occurrence_among_several_schedules() {
    let (mut db, pid) = folder(&[
        ("FREQ=DAILY", "2026-03-01 09:00:00", None, Anchor::Calendar),
        ("FREQ=DAILY", "2026-03-01 17:00:00", None, Anchor::Calendar),
    ]);
    run(&mut db, pid, "2026-03-02 17:30:00", Some("2026-03-02 17:50:00"), None);
    let got = states(&db, pid, &berlin("2026-03-02 18:00:00"), "2026-03-02 00:00:00", "2026-03-02 23:00:00");
    assert_eq!(got, vec![s("2026-03-02 09:00", State::Due), s("2026-03-02 17:00", State::Done)]);
}

#[test]
fn a_completion_anchor_counts_from_the_last_completion_and_is_never_missed() {
    let (mut db, pid) =
        folder(&[("FREQ=DAILY;INTERVAL=90", "2026-01-10 09:00:00", Some(7 * 86_400), Anchor::Completion)]);
    use State::*;
    // Nobody did it: overdue, for months, one occurrence only (no pile-up, never missed).
    let got = states(&db, pid, &berlin("2026-06-01 12:00:00"), "2025-01-01 00:00:00", "2027-01-01 00:00:00");
    assert_eq!(got, vec![s("2026-01-10 09:00", Overdue)]);
    // Done on 1 June: the next is 90 days after that day, at 09:00.
    run(&mut db, pid, "2026-06-01 13:00:00", Some("2026-06-01 14:00:00"), None);
    let got = states(&db, pid, &berlin("2026-06-02 12:00:00"), "2025-01-01 00:00:00", "2027-01-01 00:00:00");
    assert_eq!(got, vec![s("2026-01-10 09:00", Done), s("2026-08-30 09:00", Upcoming)]);
    // Done early (day 80, not from Today): the next counts from then.
    run(&mut db, pid, "2026-08-20 10:00:00", Some("2026-08-20 10:30:00"), None);
    let got = states(&db, pid, &berlin("2026-08-21 12:00:00"), "2026-08-01 00:00:00", "2027-01-01 00:00:00");
    assert_eq!(got, vec![s("2026-08-30 09:00", Done), s("2026-11-18 09:00", Upcoming)]);
    let mut e = Engine::new();
    let c = e.counts(&db, pid, &berlin("2026-08-21 12:00:00")).expect("scheduled");
    assert_eq!(
        (c.occurrences, c.on_time, c.late, c.missed),
        (1, 0, 1, 0),
        "the first was late; the second not yet due"
    );
}

#[test]
fn a_paused_schedule_has_no_occurrences() {
    let (mut db, pid) = folder(&[("FREQ=DAILY", "2026-03-01 09:00:00", None, Anchor::Calendar)]);
    let mut d = ScheduleDraft::of(&db.schedules.rows()[0]);
    d.active = false;
    ops::set_schedules(&mut db, pid, &[d]).expect("pause");
    assert!(states(&db, pid, &berlin("2026-03-05 12:00:00"), "2026-03-01 00:00:00", "2026-03-09 00:00:00").is_empty());
    assert_eq!(Engine::new().counts(&db, pid, &berlin("2026-03-05 12:00:00")), None);
}

#[test]
fn after_a_long_absence_one_occurrence_is_open_and_the_rest_are_missed() {
    let (db, pid) = folder(&[("FREQ=DAILY", "2026-01-01 09:00:00", Some(3600), Anchor::Calendar)]);
    let got = states(&db, pid, &berlin("2026-03-01 12:00:00"), "2026-01-01 00:00:00", "2026-03-01 23:00:00");
    assert_eq!(got.len(), 60);
    assert_eq!(got.iter().filter(|(_, st)| *st == State::Overdue).count(), 1);
    assert_eq!(got.iter().filter(|(_, st)| *st == State::Missed).count(), 59);
    assert_eq!(got.last(), Some(&s("2026-03-01 09:00", State::Overdue)));
}

#[test]
fn the_engine_reuses_its_work_until_the_procedure_changes() {
    let (mut db, pid) = folder(&[("FREQ=DAILY", "2026-01-01 09:00:00", Some(3600), Anchor::Calendar)]);
    let mut e = Engine::new();
    let clock = berlin("2026-03-01 12:00:00");
    let a = e.tracks(&db, pid, &clock);
    let b = e.tracks(&db, pid, &clock);
    assert!(Arc::ptr_eq(&a, &b));
    run(&mut db, pid, "2026-03-01 12:01:00", None, None);
    let c = e.tracks(&db, pid, &clock);
    assert!(!Arc::ptr_eq(&a, &c));
    assert!(Arc::ptr_eq(&a[0].times, &c[0].times), "the expansion is kept");
}

#[test]
fn every_two_weeks_on_two_weekdays_and_the_hourly_edge_of_a_day() {
    use State::*;
    let (db, pid) =
        folder(&[("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "2026-03-02 08:30:00", Some(1800), Anchor::Calendar)]);
    let got = states(&db, pid, &berlin("2026-03-16 08:45:00"), "2026-03-01 00:00:00", "2026-03-31 00:00:00");
    assert_eq!(
        got,
        vec![
            s("2026-03-02 08:30", Missed),
            s("2026-03-05 08:30", Missed),
            s("2026-03-16 08:30", Due),
            s("2026-03-19 08:30", Upcoming),
            s("2026-03-30 08:30", Upcoming),
        ]
    );
    // Half an hour later it is overdue; the next begins on Thursday.
    let got = states(&db, pid, &berlin("2026-03-16 09:00:00"), "2026-03-16 00:00:00", "2026-03-16 23:00:00");
    assert_eq!(got, vec![s("2026-03-16 08:30", Overdue)]);
}

#[test]
fn a_schedule_from_long_ago_is_bounded_and_still_current() {
    let (db, pid) = folder(&[("FREQ=DAILY", "1990-01-01 09:00:00", Some(3600), Anchor::Calendar)]);
    let mut e = Engine::new();
    let c = e.counts(&db, pid, &berlin("2026-03-01 12:00:00")).expect("scheduled");
    assert_eq!(c.missed + 1, c.occurrences, "every day missed but today's, which is overdue");
    assert!(c.occurrences < recurrence::MAX_OCCURRENCES);
}

#[test]
fn rules_from_far_back_are_right_today() {
    use State::*;
    let now = "2026-03-04 10:20:00";
    for (rule, start, expect) in [
        // 140,000 hours from 2010: the open one is this hour's.
        ("FREQ=HOURLY", "2010-01-01 00:00:00", "2026-03-04 10:00"),
        // Every 15 minutes from 2024 (75,000 by now, 100,000 would end in 2026).
        ("FREQ=MINUTELY;INTERVAL=15", "2024-01-01 00:05:00", "2026-03-04 10:20"),
        // Daily from year 1 (740,000 days).
        ("FREQ=DAILY", "0001-01-01 09:00:00", "2026-03-04 09:00"),
        // Every other day from 1900, three times a day: the phase is kept.
        ("FREQ=DAILY;INTERVAL=2;BYHOUR=8,9,10", "1900-01-01 08:00:00", "2026-03-03 10:00"),
    ] {
        let (db, pid) = folder(&[(rule, start, None, Anchor::Calendar)]);
        let mut e = Engine::new();
        let open: Vec<_> = e
            .around_now(&db, pid, &berlin(now), 0, 0)
            .into_iter()
            .filter(|o| o.state == Due)
            .map(|o| o.at.canonical()[..16].to_string())
            .collect();
        assert_eq!(open, vec![expect.to_string()], "{rule} from {start}");
    }
}

#[test]
fn a_completion_anchor_with_many_completed_runs_is_still_due() {
    let (mut db, pid) = folder(&[("FREQ=DAILY", "2020-01-01 09:00:00", None, Anchor::Completion)]);
    // A run every day for six years, each done in ten minutes (2,200 runs; the matching
    // is linear in them).
    let mut day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("day");
    let last = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).expect("day");
    while day <= last {
        let at = |t: &str| format!("{day} {t}");
        run(&mut db, pid, &at("09:00:00"), Some(&at("09:10:00")), None);
        day = day.succ_opt().expect("next day");
    }
    let mut e = Engine::new();
    let c = e.counts(&db, pid, &berlin("2026-01-12 12:00:00")).expect("scheduled");
    assert_eq!(c.missed, 0);
    let due: Vec<_> = e
        .around_now(&db, pid, &berlin("2026-01-12 12:00:00"), 0, 0)
        .into_iter()
        .filter(|o| o.state == State::Due || o.state == State::Overdue)
        .map(|o| o.at.canonical()[..10].to_string())
        .collect();
    assert_eq!(due, vec!["2026-01-11".to_string()], "the day after the last completion");
}

#[test]
fn an_every_minute_rule_lists_its_newest_missed_and_counts_the_rest() {
    let (db, _) = folder(&[("FREQ=MINUTELY", "2026-03-01 00:00:00", None, Anchor::Calendar)]);
    let a = Agenda::compute(&mut Engine::new(), &db, &berlin("2026-03-04 10:20:30"));
    // 3 days and 620 minutes before the open one (10:20), none run.
    assert_eq!(a.missed_count(), 3 * 1440 + 620);
    assert_eq!(a.missed.len(), agenda::MISSED_LISTED);
    assert_eq!(a.missed[0].at, ts("2026-03-04 10:19:00"), "newest first");
    assert_eq!(a.missed_unlisted.iter().map(|(.., n)| n).sum::<usize>(), 3 * 1440 + 620 - agenda::MISSED_LISTED);
    assert_eq!(a.due.len(), 1);
    assert_eq!(a.later_today.len(), agenda::LATER_TODAY_LISTED);
}

#[test]
fn missed_occurrences_for_history_are_listed_newest_first_up_to_a_bound_and_counted() {
    let (db, pid) = folder(&[("FREQ=MINUTELY", "2026-03-01 00:00:00", None, Anchor::Calendar)]);
    let clock = berlin("2026-03-04 10:20:30");
    let (listed, more) = Engine::new().missed_between(&db, pid, &clock, i64::MIN, clock.now.wall_secs(), 100);
    assert_eq!((listed.len(), more), (100, 3 * 1440 + 620 - 100));
    assert_eq!(listed.last().map(|o| o.at), Some(ts("2026-03-04 10:19:00")), "the newest are the ones kept");
    assert!(listed.iter().all(|o| o.state == State::Missed));
}
