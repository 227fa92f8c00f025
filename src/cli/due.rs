//! `procedures due DIR [--json] [--at "YYYY-MM-DD HH:MM"]`: what is overdue, due, started,
//! coming in 7 days, done today and missed in 30, for a cron job or a chat bot. Reads, never writes.

use crate::analysis::schedule::{Agenda, Engine, Occurrence};
use crate::model::{Timestamp, format_duration};
use crate::store::DataSource;
use crate::store::Dataset;
use serde::Serialize;
use std::process::ExitCode;

/// One line of the answer.
#[derive(Debug, Serialize)]
struct Row<'a> {
    state: &'static str,
    at: String,
    procedure_id: u32,
    procedure: &'a str,
    schedule_id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    overdue_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<u32>,
}

/// Missed occurrences of a schedule counted, not listed (past the newest 30).
#[derive(Debug, Serialize)]
struct Unlisted {
    procedure_id: u32,
    schedule_id: u32,
    missed: usize,
}

#[derive(Debug, Serialize)]
struct Answer<'a> {
    at: String,
    occurrences: Vec<Row<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missed_not_listed: Vec<Unlisted>,
}

/// The lists in the order a reader acts on them, each with the state it is printed as.
pub fn lists(a: &Agenda) -> [(&'static str, &[Occurrence]); 7] {
    [
        ("overdue", &a.overdue),
        ("due", &a.due),
        ("started", &a.started),
        ("upcoming", &a.later_today),
        ("upcoming", &a.upcoming),
        ("done", &a.done_today),
        ("missed", &a.missed),
    ]
}

/// Print the occurrences as of `at` (default now), as text or JSON.
pub fn run(source: &DataSource, json: bool, at: Option<&str>) -> ExitCode {
    let (clock, loaded) = match super::clock_at(at).and_then(|c| Ok((c, super::load_warning(source)?))) {
        Ok(both) => both,
        Err(code) => return code,
    };
    let now = clock.now;
    let started = std::time::Instant::now();
    let agenda = Agenda::compute(&mut Engine::new(), &loaded.db, &clock);
    if std::env::var_os("PROCEDURES_TIMING").is_some() {
        let cold = started.elapsed();
        let mut engine = Engine::new();
        Agenda::compute(&mut engine, &loaded.db, &clock);
        let t = std::time::Instant::now();
        Agenda::compute(&mut engine, &loaded.db, &clock);
        let warm = t.elapsed();
        engine.forget_matches();
        let t = std::time::Instant::now();
        Agenda::compute(&mut engine, &loaded.db, &clock);
        let rematched = t.elapsed();
        eprintln!(
            "agenda of {} schedules: cold {cold:.2?}, again {warm:.2?}, every procedure matched again {rematched:.2?}",
            agenda.schedules
        );
    }
    if json {
        match serde_json::to_string_pretty(&answer(&loaded.db, &agenda, now)) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        print!("{}", text(&loaded.db, &agenda, now));
    }
    // The schedules with problems (listed as warnings) are left out: say so by the code.
    if loaded.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn answer<'a>(db: &'a Dataset, agenda: &Agenda, now: Timestamp) -> Answer<'a> {
    let mut occurrences = Vec::new();
    for (state, list) in lists(agenda) {
        for o in list {
            occurrences.push(Row {
                state,
                at: o.at.canonical(),
                procedure_id: o.procedure.0,
                procedure: db.procedure(o.procedure).map_or("", |p| p.name.as_str()),
                schedule_id: o.schedule.0,
                overdue_at: o.overdue_at.map(|t| t.canonical()),
                run_id: o.run.map(|r| r.0),
            });
        }
    }
    let missed_not_listed = agenda
        .missed_unlisted
        .iter()
        .map(|(p, s, n)| Unlisted { procedure_id: p.0, schedule_id: s.0, missed: *n })
        .collect();
    Answer { at: now.canonical(), occurrences, missed_not_listed }
}

/// The readable table: state, time, how far from now, procedure.
fn text(db: &Dataset, agenda: &Agenda, now: Timestamp) -> String {
    let mut out = String::new();
    if agenda.schedules == 0 {
        out.push_str("no schedules in this folder\n");
        return out;
    }
    for (state, list) in lists(agenda) {
        for o in list {
            let name = db.procedure(o.procedure).map_or("", |p| p.name.as_str());
            let rel = o.at.wall_secs() - now.wall_secs();
            let when = match state {
                "overdue" => format!(
                    "overdue by {}",
                    format_duration(now.wall_secs() - o.overdue_at.unwrap_or(o.at).wall_secs())
                ),
                _ if rel > 0 => format!("in {}", format_duration(rel)),
                _ => format!("{} ago", format_duration(-rel)),
            };
            out.push_str(&format!("{state:<9} {}  {:<16} #{} {name}\n", &o.at.canonical()[..16], when, o.procedure));
        }
    }
    for (pid, schedule, n) in &agenda.missed_unlisted {
        let name = db.procedure(*pid).map_or("", |p| p.name.as_str());
        out.push_str(&format!("missed    and {n} more in the last 30 days (schedule {schedule})  #{pid} {name}\n"));
    }
    if out.is_empty() {
        out.push_str("nothing due, overdue or missed; nothing in the next 7 days\n");
    }
    out
}
