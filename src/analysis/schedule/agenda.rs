//! What Today shows: every active schedule's open, coming and recent occurrences, in
//! the lists of the Today view, and each procedure's next due time; computed on a worker
//! thread that keeps an [`Engine`] between requests.

use super::{Clock, Engine, Occurrence, State};
use crate::model::*;
use crate::store::Dataset;
use std::collections::{BTreeSet, HashMap};

/// Upcoming occurrences are listed this far ahead.
pub const UPCOMING_DAYS: i64 = 7;
/// Missed occurrences are listed this far back.
pub const MISSED_DAYS: i64 = 30;
/// At most this many missed occurrences of one schedule are listed (the newest); the
/// others are counted ("and 43,170 more").
pub const MISSED_LISTED: usize = 30;
/// At most this many of one schedule's occurrences later today are listed (an hourly
/// rule's rest of the day; an every-minute rule's next ones).
pub const LATER_TODAY_LISTED: usize = 24;
const DAY: i64 = 86_400;

/// A procedure's next occurrence that is not done: the open one or the next coming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextDue {
    /// When.
    pub at: Timestamp,
    /// Due, overdue, started or upcoming.
    pub state: State,
}

/// The lists of the Today view at one moment.
#[derive(Clone, Debug, Default)]
pub struct Agenda {
    /// The moment (wall clock).
    pub now: Option<Timestamp>,
    /// Past their due time, nobody started them; oldest first.
    pub overdue: Vec<Occurrence>,
    /// Their time has come; oldest first.
    pub due: Vec<Occurrence>,
    /// A run for them is in progress.
    pub started: Vec<Occurrence>,
    /// Later today.
    pub later_today: Vec<Occurrence>,
    /// The next occurrence of each schedule in the next 7 days (after today).
    pub upcoming: Vec<Occurrence>,
    /// Done today (the occurrence or its run's end today).
    pub done_today: Vec<Occurrence>,
    /// Missed in the last 30 days, newest first (at most [`MISSED_LISTED`] a schedule).
    pub missed: Vec<Occurrence>,
    /// Per schedule, the missed occurrences of the last 30 days not listed in `missed`.
    pub missed_unlisted: Vec<(ProcedureId, ScheduleId, usize)>,
    /// Per procedure, its next occurrence that is not done.
    pub next_due: HashMap<ProcedureId, NextDue>,
    /// How many active schedules there are.
    pub schedules: usize,
}

impl Agenda {
    /// Compute the lists for `clock` (the engine keeps its work for the next call).
    pub fn compute(engine: &mut Engine, db: &Dataset, clock: &Clock) -> Self {
        let now = clock.now.wall_secs();
        let today = clock.now.local_date();
        let mut a = Agenda { now: Some(clock.now), ..Agenda::default() };
        let procedures: BTreeSet<ProcedureId> =
            db.schedules.rows().iter().filter(|s| s.active).map(|s| s.procedure_id).collect();
        a.schedules = db.schedules.rows().iter().filter(|s| s.active).count();
        for pid in procedures {
            let (occurrences, unlisted) =
                engine.around_now_listing(db, pid, clock, MISSED_DAYS * DAY, UPCOMING_DAYS * DAY, MISSED_LISTED);
            a.missed_unlisted.extend(unlisted.into_iter().map(|(s, n)| (pid, s, n)));
            let mut seen_upcoming = BTreeSet::new();
            let mut later_today: HashMap<ScheduleId, usize> = HashMap::new();
            for o in occurrences {
                let at = o.at.wall_secs();
                if at < now - MISSED_DAYS * DAY && o.state != State::Overdue && o.state != State::Due {
                    continue;
                }
                if matches!(o.state, State::Due | State::Overdue | State::Started | State::Upcoming) {
                    let earlier = a.next_due.get(&pid).is_some_and(|n| n.at.wall_secs() <= at);
                    if !earlier {
                        a.next_due.insert(pid, super::NextDue { at: o.at, state: o.state });
                    }
                }
                match o.state {
                    State::Overdue => a.overdue.push(o),
                    State::Due => a.due.push(o),
                    State::Started => a.started.push(o),
                    State::Missed => a.missed.push(o),
                    State::Done => {
                        let ended_today = o
                            .run
                            .and_then(|r| db.run(r))
                            .and_then(|r| r.end_time)
                            .is_some_and(|e| e.local_date() == today);
                        if o.at.local_date() == today || ended_today {
                            a.done_today.push(o);
                        }
                    }
                    State::Upcoming if o.at.local_date() == today => {
                        seen_upcoming.insert(o.schedule);
                        let listed = later_today.entry(o.schedule).or_default();
                        if *listed < LATER_TODAY_LISTED {
                            *listed += 1;
                            a.later_today.push(o);
                        }
                    }
                    State::Upcoming => {
                        if at <= now + UPCOMING_DAYS * DAY && seen_upcoming.insert(o.schedule) {
                            a.upcoming.push(o);
                        }
                    }
                }
            }
        }
        let by_time = |v: &mut Vec<Occurrence>| v.sort_by_key(|o| (o.at.wall_secs(), o.procedure, o.schedule));
        for v in [&mut a.overdue, &mut a.due, &mut a.started, &mut a.later_today, &mut a.upcoming, &mut a.done_today] {
            by_time(v);
        }
        by_time(&mut a.missed);
        a.missed.reverse();
        engine.retain(db);
        a
    }

    /// Every missed occurrence of the last 30 days, listed or only counted.
    pub fn missed_count(&self) -> usize {
        self.missed.len() + self.missed_unlisted.iter().map(|(.., n)| n).sum::<usize>()
    }

    /// Overdue and due occurrences: what the navigation counts.
    pub fn open_count(&self) -> usize {
        self.overdue.len() + self.due.len()
    }
}

/// What an agenda was computed for: the data's generation and lineage, and the minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgendaKey {
    /// [`Dataset::lineage`].
    pub lineage: u64,
    /// [`Dataset::generation`].
    pub generation: u64,
    /// The wall-clock minute.
    pub minute: i64,
}

impl AgendaKey {
    /// The key for `db` at `now`.
    pub fn of(db: &Dataset, now: Timestamp) -> Self {
        Self { lineage: db.lineage(), generation: db.generation(), minute: now.wall_secs().div_euclid(60) }
    }
}

/// Handle to the thread that computes agendas (it keeps an [`Engine`] between them).
pub struct DueWorker(crate::analysis::background::Latest<(AgendaKey, Dataset, Clock), (AgendaKey, Agenda)>);

impl DueWorker {
    /// Start the thread; `wake` is called when an agenda is ready.
    pub fn spawn(wake: impl Fn() + Send + 'static) -> Self {
        let mut engine = Engine::new();
        let work =
            move |(key, db, clock): (AgendaKey, Dataset, Clock)| (key, Agenda::compute(&mut engine, &db, &clock));
        Self(crate::analysis::background::Latest::spawn("schedules", work, wake))
    }

    /// Ask for the agenda of `db` at `clock` (`db` is a cheap clone).
    pub fn request(&self, key: AgendaKey, db: Dataset, clock: Clock) {
        self.0.request((key, db, clock));
    }

    /// The newest finished agenda, if one arrived.
    pub fn poll(&self) -> Option<(AgendaKey, Agenda, std::time::Duration)> {
        self.0.poll().map(|((k, a), t)| (k, a, t))
    }

    /// Wait for the next agenda (tests).
    pub fn wait(&self) -> Option<(AgendaKey, Agenda, std::time::Duration)> {
        self.0.wait(std::time::Duration::from_secs(30)).map(|((k, a), t)| (k, a, t))
    }
}
