//! Schedules (CONTRACT "Schedules"): each schedule's occurrences, the run each one got,
//! and the state of each at a moment — upcoming, due, overdue, missed, started, done.
//! Missed occurrences are derived here, never written.
//!
//! Occurrences are wall-clock times (see `model::recurrence`); the zone only places
//! them on the time line for `due_within` (real seconds). A run is *for* an occurrence
//! when its `scheduled_for` is that occurrence, or, when empty, when it was started
//! between that occurrence and the next (the latest occurrence before its start among
//! all the procedure's schedules, so one run never fulfils two). Cancelled runs fulfil
//! nothing. A completion-anchored schedule has one open occurrence at a time: the next
//! one is the rule's interval after the day its run ended, so it is never missed.
//!
//! The [`Engine`] keeps each schedule's expansion (rrule is the slow part) and each
//! procedure's matching (redone only when the procedure's stamp moved), so the lists of
//! Today are fresh in a few milliseconds after a change.

mod agenda;

pub use agenda::{Agenda, AgendaKey, DueWorker, NextDue};

use crate::model::recurrence::{self, Recurrence, Zone};
use crate::model::*;
use crate::store::Dataset;
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::Arc;

/// What became of an occurrence, at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Its time has not come.
    Upcoming,
    /// Its time has come; it may be started without being late.
    Due,
    /// `due_within` has passed and nobody started it; the next one has not begun.
    Overdue,
    /// The next occurrence began and nobody started this one.
    Missed,
    /// A run for it is in progress.
    Started,
    /// A run for it was completed.
    Done,
}

impl State {
    /// In words, lower case.
    pub fn word(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Due => "due",
            Self::Overdue => "overdue",
            Self::Missed => "missed",
            Self::Started => "started",
            Self::Done => "done",
        }
    }
}

/// One occurrence of a schedule and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The schedule.
    pub schedule: ScheduleId,
    /// Its procedure.
    pub procedure: ProcedureId,
    /// When it is (wall clock).
    pub at: Timestamp,
    /// When it becomes overdue (none: it is due until the next one).
    pub overdue_at: Option<Timestamp>,
    /// The next occurrence (none: the rule ended, or a completion anchor waits).
    pub next: Option<Timestamp>,
    /// The run for it.
    pub run: Option<RunId>,
    /// Its state at the moment asked.
    pub state: State,
    /// Its run was started after the due time.
    pub late: bool,
}

/// A schedule's occurrences so far: counts for analytics and `stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct ScheduleCounts {
    /// Occurrences whose time has come.
    pub occurrences: usize,
    /// Started in time.
    pub on_time: usize,
    /// Started after the due time.
    pub late: usize,
    /// Nobody started them and the next one began.
    pub missed: usize,
    /// on time ÷ (on time + late + missed) × 100; none when that is 0.
    pub on_time_rate: Option<f64>,
}

impl ScheduleCounts {
    fn add(&mut self, o: &Occurrence) {
        if o.state == State::Upcoming {
            return;
        }
        self.occurrences += 1;
        match (o.run, o.state) {
            (Some(_), _) if o.late => self.late += 1,
            (Some(_), _) => self.on_time += 1,
            (None, State::Missed) => self.missed += 1,
            _ => {}
        }
        let n = self.on_time + self.late + self.missed;
        self.on_time_rate = (n > 0).then(|| self.on_time as f64 * 100.0 / n as f64);
    }
}

/// The moment states are computed for: the wall clock `now` in `zone`.
#[derive(Clone, Debug)]
pub struct Clock {
    /// The time zone occurrences are placed in (the system's, or explicit in tests).
    pub zone: Zone,
    /// Now, on that zone's wall clock.
    pub now: Timestamp,
}

impl Clock {
    /// The system's zone and time.
    pub fn system() -> Self {
        Self { zone: Zone::LOCAL, now: Timestamp::now() }
    }
}

/// Expanded this far past now (so a moving clock rarely expands again).
const HORIZON_DAYS: i64 = 38;
/// Expanded again when now is within this of the end of an expansion (Today shows 7 days).
const LOOKAHEAD_DAYS: i64 = 8;
const DAY: i64 = 86_400;

/// One schedule's occurrence times (wall seconds) and the run of each (0: none).
#[derive(Clone, Debug, Default)]
struct Track {
    schedule: ScheduleId,
    times: Arc<Vec<i64>>,
    runs: Vec<u32>,
}

impl Track {
    /// The open occurrence at `now`: the last whose time has come (0 when none has).
    fn open(&self, now: i64) -> usize {
        self.times.partition_point(|&x| x <= now).saturating_sub(1)
    }

    /// Whether occurrence `k` was missed, given the open one: the next has begun and
    /// no run was for it.
    fn missed(&self, k: usize, open: usize) -> bool {
        k < open && self.runs.get(k).copied().unwrap_or(0) == 0
    }
}

#[derive(Clone, Debug)]
struct Expansion {
    of: Schedule,
    zone: &'static str,
    until: i64,
    times: Arc<Vec<i64>>,
}

/// A procedure's tracks and the (lineage, stamp, expansion end) they were matched at.
type Matched = ((u64, u64, i64), Arc<Vec<Track>>);

/// Schedules expanded and matched, cached across calls (see the module docs).
#[derive(Default)]
pub struct Engine {
    expansions: HashMap<ScheduleId, Expansion>,
    /// Per procedure: (lineage, stamp, until) it was matched at, and its tracks.
    matched: HashMap<ProcedureId, Matched>,
}

fn wall(t: i64) -> NaiveDateTime {
    Timestamp::from_wall_secs(t).naive()
}

fn zone_name(z: &Zone) -> &'static str {
    match z {
        Zone::Local(_) => "Local",
        Zone::Tz(t) => t.name(),
    }
}

impl Engine {
    /// An empty engine.
    pub fn new() -> Self {
        Self::default()
    }

    /// The occurrences of `pid`'s active schedules from `from` to `to` (wall clock,
    /// inclusive), with their states at `clock`, ordered by time.
    pub fn occurrences(
        &mut self,
        db: &Dataset,
        pid: ProcedureId,
        clock: &Clock,
        from: i64,
        to: i64,
    ) -> Vec<Occurrence> {
        let tracks = self.tracks(db, pid, clock);
        let mut out = Vec::new();
        for t in tracks.iter() {
            let Some(s) = db.schedule(t.schedule) else { continue };
            let start = t.times.partition_point(|&x| x < from);
            for k in start..t.times.len() {
                if t.times[k] > to {
                    break;
                }
                out.push(occurrence(db, s, t, k, clock));
            }
        }
        out.sort_by_key(|o| (o.at.wall_secs(), o.schedule));
        out
    }

    /// The occurrences of `pid`'s active schedules around now: the open one (the last
    /// whose time has come, however old), those of the last `back` seconds, those of the
    /// next `ahead` seconds and the first after that; ordered by time.
    pub fn around_now(
        &mut self,
        db: &Dataset,
        pid: ProcedureId,
        clock: &Clock,
        back: i64,
        ahead: i64,
    ) -> Vec<Occurrence> {
        self.around_now_listing(db, pid, clock, back, ahead, usize::MAX).0
    }

    /// [`Engine::around_now`] listing at most the newest `keep_missed` missed occurrences
    /// of each schedule: the others are only counted, per schedule (an every-minute rule
    /// misses 43,200 in 30 days; none of them is made into an [`Occurrence`]).
    pub fn around_now_listing(
        &mut self,
        db: &Dataset,
        pid: ProcedureId,
        clock: &Clock,
        back: i64,
        ahead: i64,
        keep_missed: usize,
    ) -> (Vec<Occurrence>, Vec<(ScheduleId, usize)>) {
        let tracks = self.tracks(db, pid, clock);
        let now = clock.now.wall_secs();
        let (mut out, mut unlisted) = (Vec::new(), Vec::new());
        for t in tracks.iter() {
            let Some(s) = db.schedule(t.schedule) else { continue };
            let open = t.open(now);
            let from = t.times.partition_point(|&x| x < now - back).min(open);
            let to = (t.times.partition_point(|&x| x <= now + ahead) + 1).min(t.times.len());
            let missed = |k: usize| t.missed(k, open);
            let mut skip = (from..to).filter(|&k| missed(k)).count().saturating_sub(keep_missed);
            if skip > 0 {
                unlisted.push((s.id, skip));
            }
            for k in from..to {
                if skip > 0 && missed(k) {
                    skip -= 1;
                    continue;
                }
                out.push(occurrence(db, s, t, k, clock));
            }
        }
        out.sort_by_key(|o| (o.at.wall_secs(), o.schedule));
        (out, unlisted)
    }

    /// The missed occurrences of `pid`'s active schedules from `from` to `to` (wall
    /// seconds), oldest first: at most the newest `keep` of each schedule as occurrences,
    /// the others only counted (none of them is made into an [`Occurrence`]).
    pub fn missed_between(
        &mut self,
        db: &Dataset,
        pid: ProcedureId,
        clock: &Clock,
        from: i64,
        to: i64,
        keep: usize,
    ) -> (Vec<Occurrence>, usize) {
        let tracks = self.tracks(db, pid, clock);
        let now = clock.now.wall_secs();
        let (mut out, mut unlisted) = (Vec::new(), 0);
        for t in tracks.iter() {
            let Some(s) = db.schedule(t.schedule) else { continue };
            let open = t.open(now);
            let a = t.times.partition_point(|&x| x < from);
            let b = t.times.partition_point(|&x| x <= to).min(open).max(a);
            let missed: Vec<usize> = (a..b).filter(|&k| t.missed(k, open)).collect();
            let skip = missed.len().saturating_sub(keep);
            unlisted += skip;
            out.extend(missed[skip..].iter().map(|&k| occurrence(db, s, t, k, clock)));
        }
        out.sort_by_key(|o| (o.at.wall_secs(), o.schedule));
        (out, unlisted)
    }

    /// The counts of `pid`'s occurrences so far (all its active schedules), or none
    /// when it has no active schedule.
    pub fn counts(&mut self, db: &Dataset, pid: ProcedureId, clock: &Clock) -> Option<ScheduleCounts> {
        self.counts_between(db, pid, clock, i64::MIN, i64::MAX)
    }

    /// [`Engine::counts`] of the occurrences from `from` to `to` (wall seconds, and not
    /// after now).
    pub fn counts_between(
        &mut self,
        db: &Dataset,
        pid: ProcedureId,
        clock: &Clock,
        from: i64,
        to: i64,
    ) -> Option<ScheduleCounts> {
        let tracks = self.tracks(db, pid, clock);
        if tracks.is_empty() {
            return None;
        }
        let upto = clock.now.wall_secs().min(to);
        let mut counts = ScheduleCounts::default();
        for t in tracks.iter() {
            let Some(s) = db.schedule(t.schedule) else { continue };
            let (a, b) = (t.times.partition_point(|&x| x < from), t.times.partition_point(|&x| x <= upto));
            for k in a..b.max(a) {
                counts.add(&occurrence(db, s, t, k, clock));
            }
        }
        Some(counts)
    }

    /// Each active schedule of `pid`, expanded and matched with its runs (cached).
    fn tracks(&mut self, db: &Dataset, pid: ProcedureId, clock: &Clock) -> Arc<Vec<Track>> {
        let now = clock.now.wall_secs();
        let schedules: Vec<&Schedule> = db.schedules_of(pid).filter(|s| s.active).collect();
        // Expansions first (each cached by its row, zone and horizon).
        let mut until = i64::MAX;
        for s in schedules.iter().filter(|s| s.anchor == Anchor::Calendar) {
            until = until.min(self.expand(s, &clock.zone, now).until);
        }
        let key = (db.lineage(), db.procedure_stamp(pid), until);
        // Still valid: the same runs (stamp), the same schedules, the same expansions.
        let same = |tracks: &[Track]| {
            tracks.len() == schedules.len()
                && tracks.iter().zip(&schedules).all(|(t, s)| {
                    t.schedule == s.id
                        && match s.anchor {
                            Anchor::Calendar => {
                                self.expansions.get(&s.id).is_some_and(|e| Arc::ptr_eq(&e.times, &t.times))
                            }
                            Anchor::Completion => true,
                        }
                })
        };
        if let Some((k, tracks)) = self.matched.get(&pid)
            && *k == key
            && same(tracks)
        {
            return Arc::clone(tracks);
        }
        let mut tracks: Vec<Track> = schedules
            .iter()
            .map(|s| match s.anchor {
                Anchor::Calendar => {
                    let times = self.expansions.get(&s.id).map(|e| Arc::clone(&e.times)).unwrap_or_default();
                    Track { schedule: s.id, runs: vec![0; times.len()], times }
                }
                Anchor::Completion => Track { schedule: s.id, ..Track::default() },
            })
            .collect();
        match_runs(db, pid, &schedules, &mut tracks, &clock.zone);
        let tracks = Arc::new(tracks);
        self.matched.insert(pid, (key, Arc::clone(&tracks)));
        tracks
    }

    fn expand(&mut self, s: &Schedule, zone: &Zone, now: i64) -> &Expansion {
        let fresh = self
            .expansions
            .get(&s.id)
            .is_some_and(|e| e.of == *s && e.zone == zone_name(zone) && now + LOOKAHEAD_DAYS * DAY <= e.until);
        if !fresh {
            let until = now + HORIZON_DAYS * DAY;
            let start = recurrence::normalize(zone, s.starts_at.naive());
            let times = match Recurrence::read(&s.rule) {
                Ok(r) => {
                    let mut t: Vec<i64> = r
                        .expand(start, wall(until))
                        .into_iter()
                        .map(|w| Timestamp::from_naive(recurrence::normalize(zone, w)).wall_secs())
                        .collect();
                    t.dedup();
                    t
                }
                Err(_) => Vec::new(),
            };
            let e = Expansion { of: s.clone(), zone: zone_name(zone), until, times: Arc::new(times) };
            self.expansions.insert(s.id, e);
        }
        &self.expansions[&s.id]
    }

    /// The expansions and matchings of `procedures`' schedules moved into an engine of
    /// their own, for another thread to work on; [`Engine::absorb`] takes them back.
    pub fn split_off(&mut self, db: &Dataset, procedures: &[ProcedureId]) -> Engine {
        let mut other = Engine::new();
        for p in procedures {
            if let Some(m) = self.matched.remove(p) {
                other.matched.insert(*p, m);
            }
            for s in db.schedules_of(*p) {
                if let Some(e) = self.expansions.remove(&s.id) {
                    other.expansions.insert(s.id, e);
                }
            }
        }
        other
    }

    /// Take back what [`Engine::split_off`] moved out (and what was added to it since).
    pub fn absorb(&mut self, other: Engine) {
        self.expansions.extend(other.expansions);
        self.matched.extend(other.matched);
    }

    /// Forget every procedure's matching (keeping the expansions): measurements.
    pub fn forget_matches(&mut self) {
        self.matched.clear();
    }

    /// Forget schedules that are gone (after a reload or a removal).
    pub fn retain(&mut self, db: &Dataset) {
        self.expansions.retain(|id, _| db.schedule(*id).is_some());
        self.matched.retain(|pid, _| db.procedure(*pid).is_some());
    }
}

/// The occurrence `run` was for, if any (with whether it was late), at `clock`.
pub fn occurrence_of_run(db: &Dataset, run: RunId, clock: &Clock) -> Option<Occurrence> {
    let r = db.run(run)?;
    let mut engine = Engine::new();
    engine.occurrences(db, r.procedure_id, clock, i64::MIN, i64::MAX).into_iter().find(|o| o.run == Some(run))
}

/// What matching reads of a run, read once: its start and occurrence as wall seconds
/// (the occurrence sits two pointers away; reading it per run and schedule, and the start
/// per comparison of the sort, was most of the matching's time at y1).
struct Slim<'a> {
    start: i64,
    id: u32,
    scheduled_for: Option<i64>,
    run: &'a Run,
}

/// Assign each run of `pid` to the occurrence it was for (earliest start wins); build
/// completion-anchored tracks as their runs finish.
fn match_runs(db: &Dataset, pid: ProcedureId, schedules: &[&Schedule], tracks: &mut [Track], zone: &Zone) {
    let mut runs: Vec<Slim> = db
        .runs_of(pid)
        .iter()
        .filter_map(|r| db.run(*r))
        .filter(|r| r.status != RunStatus::Cancelled)
        .map(|run| Slim {
            start: run.start_time.wall_secs(),
            id: run.id.0,
            scheduled_for: run.scheduled_for().map(|f| f.wall_secs()),
            run,
        })
        .collect();
    runs.sort_unstable_by_key(|r| (r.start, r.id));
    // Completion anchors first: their occurrences come from their runs.
    let mut taken = vec![false; runs.len()];
    for (t, s) in tracks.iter_mut().zip(schedules) {
        if s.anchor == Anchor::Completion {
            completion_track(s, t, &runs, &mut taken, zone);
        }
    }
    for (i, r) in runs.iter().enumerate() {
        if taken[i] {
            continue;
        }
        let mut best: Option<(usize, usize, i64)> = None;
        for (ti, (t, s)) in tracks.iter().zip(schedules).enumerate() {
            if s.anchor == Anchor::Completion {
                continue;
            }
            let found = match r.scheduled_for {
                Some(f) => t.times.binary_search(&f).ok(),
                None => t.times.partition_point(|&x| x <= r.start).checked_sub(1),
            };
            if let Some(k) = found {
                let better = match best {
                    None => true,
                    Some((_, _, at)) => r.scheduled_for.is_none() && t.times[k] > at,
                };
                if better {
                    best = Some((ti, k, t.times[k]));
                }
            }
        }
        if let Some((ti, k, _)) = best
            && tracks[ti].runs[k] == 0
        {
            tracks[ti].runs[k] = r.id;
        }
    }
}

/// A completion-anchored schedule's occurrences: the first at `starts_at`, each next one
/// the rule's interval after the day the previous one's run ended.
fn completion_track(s: &Schedule, t: &mut Track, runs: &[Slim], taken: &mut [bool], zone: &Zone) {
    let start = recurrence::normalize(zone, s.starts_at.naive());
    let Ok(rule) = Recurrence::read(&s.rule) else { return };
    let mut times = Vec::new();
    let mut at = Timestamp::from_naive(start).wall_secs();
    let mut after = i64::MIN;
    // Runs started for an occurrence, by it (in start order); the others in start order,
    // passed by a cursor (each occurrence's run starts after the previous one ended).
    let mut for_occurrence: HashMap<i64, std::collections::VecDeque<usize>> = HashMap::new();
    let mut free = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        match r.scheduled_for {
            Some(f) => for_occurrence.entry(f).or_default().push_back(i),
            None => free.push(i),
        }
    }
    let mut cursor = 0;
    // Each occurrence but the last takes a run: bounded by the runs, not by a cap.
    while times.len() <= runs.len() {
        times.push(at);
        // The first run for it: started from Today for it, or else started after the
        // previous one's run ended (early is fine: "90 days after the last time"), and
        // for the first occurrence, at or after it.
        let named = for_occurrence.get_mut(&at).and_then(|q| {
            while q.front().is_some_and(|&i| taken[i]) {
                q.pop_front();
            }
            q.front().copied()
        });
        while free.get(cursor).is_some_and(|&i| {
            let start = runs[i].start;
            taken[i] || if after == i64::MIN { start < at } else { start <= after }
        }) {
            cursor += 1;
        }
        let found = match (named, free.get(cursor).copied()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(i) = found else {
            t.runs.push(0);
            break;
        };
        taken[i] = true;
        let run = runs[i].run;
        t.runs.push(runs[i].id);
        let Some(end) = run.end_time.filter(|_| run.status == RunStatus::Completed) else { break };
        after = end.wall_secs();
        let from = recurrence::at_time_of(end.local_date(), start);
        match rule.next_after_restart(from) {
            Some(next) => at = Timestamp::from_naive(recurrence::normalize(zone, next)).wall_secs(),
            None => break,
        }
    }
    t.times = Arc::new(times);
}

/// Occurrence `k` of track `t` at `clock`.
fn occurrence(db: &Dataset, s: &Schedule, t: &Track, k: usize, clock: &Clock) -> Occurrence {
    let at = t.times[k];
    let next = t.times.get(k + 1).copied();
    let overdue_at = s
        .due_within
        .map(|d| Timestamp::from_naive(recurrence::wall_after(&clock.zone, wall(at), i64::from(d))).wall_secs());
    let run = (t.runs.get(k).copied().unwrap_or(0) != 0).then(|| RunId(t.runs[k])).and_then(|id| db.run(id));
    let now = clock.now.wall_secs();
    let due_end = overdue_at.or(next);
    let state = match run {
        Some(r) if r.status == RunStatus::Completed => State::Done,
        Some(_) => State::Started,
        None if now < at => State::Upcoming,
        None if next.is_some_and(|n| now >= n) => State::Missed,
        None if overdue_at.is_some_and(|o| now >= o) => State::Overdue,
        None => State::Due,
    };
    let late = run.is_some_and(|r| due_end.is_some_and(|e| r.start_time.wall_secs() > e));
    Occurrence {
        schedule: s.id,
        procedure: s.procedure_id,
        at: Timestamp::from_wall_secs(at),
        overdue_at: overdue_at.map(Timestamp::from_wall_secs),
        next: next.map(Timestamp::from_wall_secs),
        run: run.map(|r| r.id),
        state,
        late,
    }
}

#[cfg(test)]
mod tests;
