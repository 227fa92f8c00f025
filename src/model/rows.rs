//! Typed rows of the seven tables, in the column order of the data-folder contract.

use super::ids::*;
use super::kinds::{Condition, Options, StepKind};
use super::names::Name;
use super::rare::{More, Parts};
use super::timestamp::Timestamp;
use std::num::NonZeroU64;

/// Values of columns this app does not know, kept in file order and written back.
pub type Extra = Box<[Box<str>]>;

/// A row of `procedures.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Procedure {
    /// Row id.
    pub id: ProcedureId,
    /// Display name.
    pub name: String,
    /// Free text, may be empty.
    pub description: String,
    /// When it was created.
    pub created_at: Option<Timestamp>,
    /// When it was last saved.
    pub updated_at: Option<Timestamp>,
    /// Current version number (1 after creation).
    pub version: u32,
    /// Unknown columns.
    pub extra: Extra,
}

/// A row of `steps.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Row id.
    pub id: StepId,
    /// The procedure it belongs to.
    pub procedure_id: ProcedureId,
    /// Position, 1-based and contiguous within its procedure.
    pub order: u32,
    /// What to do.
    pub description: String,
    /// Expected time in seconds, if known.
    pub estimated_duration_secs: Option<u32>,
    /// What the runner asks.
    pub kind: StepKind,
    /// Unit and range of a number, answers of a choice, as written (see [`Options`]).
    pub options: String,
    /// Whether a value must be given; `None` = the kind's default (True with a value).
    pub required: Option<bool>,
    /// The condition under which the step is needed, as written (see [`Condition`]).
    pub show_if: String,
    /// Unknown columns.
    pub extra: Extra,
}

impl Step {
    /// A tick step with this text.
    pub fn new(id: StepId, procedure_id: ProcedureId, order: u32, description: &str, estimated: Option<u32>) -> Self {
        Self {
            id,
            procedure_id,
            order,
            description: description.to_owned(),
            estimated_duration_secs: estimated,
            kind: StepKind::Check,
            options: String::new(),
            required: None,
            show_if: String::new(),
            extra: Box::default(),
        }
    }

    /// Whether a value must be given before the run completes.
    pub fn is_required(&self) -> bool {
        self.kind.has_value() && self.required.unwrap_or(true)
    }

    /// The options, parsed (invalid ones read as none: `check` reports them).
    pub fn parsed_options(&self) -> Options {
        Options::parse(self.kind, &self.options).unwrap_or_default()
    }

    /// The condition, parsed (none when empty or invalid: `check` reports it).
    pub fn condition(&self) -> Option<Condition> {
        (!self.show_if.trim().is_empty()).then(|| Condition::parse(&self.show_if).ok()).flatten()
    }
}

/// Status of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RunStatus {
    /// Started, not finished.
    InProgress,
    /// Finished, all done (or accepted as done).
    Completed,
    /// Given up.
    Cancelled,
}

impl RunStatus {
    /// The text written in `runs.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    /// A human label.
    pub fn label(self) -> &'static str {
        match self {
            Self::InProgress => "In progress",
            Self::Completed => "Completed",
            Self::Cancelled => "Cancelled",
        }
    }

    /// Parse the text of `runs.csv` (case-insensitive, `-` or space for `_`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "in_progress" => Some(Self::InProgress),
            "completed" => Some(Self::Completed),
            "cancelled" | "canceled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// A row of `runs.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Row id.
    pub id: RunId,
    /// The procedure that was run.
    pub procedure_id: ProcedureId,
    /// When it started.
    pub start_time: Timestamp,
    /// When it was finished (completed or cancelled).
    pub end_time: Option<Timestamp>,
    /// Status.
    pub status: RunStatus,
    /// The procedure version it executed (missing in files of the original design).
    pub procedure_version: Option<u32>,
    /// Who started it.
    pub started_by: Name,
    /// Notes, title, schedule and unknown columns (rare: behind one word, 64 bytes a run).
    more: More,
}

impl Run {
    /// A run in progress without notes.
    pub fn new(id: RunId, procedure_id: ProcedureId, start_time: Timestamp, procedure_version: Option<u32>) -> Self {
        Self {
            id,
            procedure_id,
            start_time,
            end_time: None,
            status: RunStatus::InProgress,
            procedure_version,
            started_by: Name::NONE,
            more: More::NONE,
        }
    }

    /// What the run is about ("web-01"), empty when none.
    pub fn title(&self) -> &str {
        self.more.part(2)
    }

    /// The occurrence of a schedule it was started for.
    pub fn scheduled_for(&self) -> Option<Timestamp> {
        self.more.time()
    }

    /// This run with its notes, title, occurrence and unknown-column values (as read).
    #[must_use]
    pub fn with_details(mut self, notes: &str, title: &str, scheduled_for: Option<Timestamp>, extra: Extra) -> Self {
        self.more = More::of(notes, "", title, extra, scheduled_for);
        self
    }

    /// Set the title.
    pub fn set_title(&mut self, title: &str) {
        self.change_more(|m| m.title = title.into());
    }

    /// Set the occurrence it was started for.
    pub fn set_scheduled_for(&mut self, at: Option<Timestamp>) {
        self.change_more(|m| m.time = at);
    }
}

/// A row of `run_steps.csv`.
///
/// 32 bytes: there are millions of these, and notes, values and unknown columns are
/// rare, so they sit behind one word (`model::rare::More`: nothing, a short value
/// alone in the word itself, or a box); the tick's time is kept in 8 bytes
/// ([`Timestamp::packed`]), or in that box in the rare case it does not fit (a fraction
/// finer than a millisecond).
#[derive(Clone, Debug, PartialEq)]
pub struct RunStep {
    /// Row id.
    pub id: RunStepId,
    /// The run.
    pub run_id: RunId,
    /// The step (possibly only found in a version snapshot, if since removed).
    pub step_id: StepId,
    /// Ticked.
    pub completed: bool,
    /// When it was ticked: packed, or [`RunStep::TIME_IN_MORE`].
    at: Option<NonZeroU64>,
    /// Who ticked it (two bytes, in what was padding).
    pub completed_by: Name,
    /// A value is recorded: `value()` is not empty (kept with `more`, in what was
    /// padding, so a pass over millions of rows asks without reading `more`).
    valued: bool,
    more: More,
}
/// Notes and unknown columns of rows that keep them in a `more: More`.
macro_rules! impl_rare {
    ($($t:ty),*) => { $(
        impl $t {
            /// This row with notes and unknown-column values.
            #[must_use]
            pub fn with_more(mut self, notes: &str, extra: Extra) -> Self {
                let time = self.more.time();
                self.more = More::of(notes, "", "", extra, time);
                self.sync();
                self
            }

            /// Start fetching the rare parts into the cache (see [`crate::memory::prefetch`]).
            #[inline]
            pub fn prefetch_more(&self) {
                self.more.prefetch();
            }

            /// Start fetching the rarer parts (unknown columns, the time kept with
            /// them) once the rare parts are in cache.
            #[inline]
            pub fn prefetch_rarer(&self) {
                self.more.prefetch_rarer();
            }

            /// Free text, empty when none.
            pub fn notes(&self) -> &str {
                self.more.part(0)
            }

            /// Values of unknown columns.
            pub fn extra(&self) -> &[Box<str>] {
                self.more.extra()
            }

            /// Replace the notes.
            pub fn set_notes(&mut self, notes: &str) {
                self.change_more(|m| m.notes = notes.into());
            }

            fn change_more(&mut self, change: impl FnOnce(&mut Parts)) {
                let mut parts = Parts::of(&mut self.more);
                change(&mut parts);
                self.more = parts.pack();
                self.sync();
            }
        }
    )* };
}
impl_rare!(Run, RunStep);

impl Run {
    /// Nothing kept beside the rare parts.
    fn sync(&mut self) {}
}

impl RunStep {
    /// A run step without notes or unknown columns.
    pub fn new(
        id: RunStepId,
        run_id: RunId,
        step_id: StepId,
        completed: bool,
        completed_at: Option<Timestamp>,
    ) -> Self {
        let mut rs = Self {
            id,
            run_id,
            step_id,
            completed,
            at: None,
            completed_by: Name::NONE,
            valued: false,
            more: More::NONE,
        };
        rs.set_completed_at(completed_at);
        rs
    }

    /// `at` when the time is kept whole behind `more` (never a packed time: those have
    /// the top bit set).
    const TIME_IN_MORE: NonZeroU64 = NonZeroU64::MIN;

    /// When it was ticked.
    pub fn completed_at(&self) -> Option<Timestamp> {
        let at = self.at?;
        Timestamp::unpacked(at).or_else(|| self.more.time())
    }

    /// Set when it was ticked.
    pub fn set_completed_at(&mut self, at: Option<Timestamp>) {
        let was_in_more = self.at == Some(Self::TIME_IN_MORE);
        match at.map(|t| t.packed().ok_or(t)) {
            None => self.at = None,
            Some(Ok(packed)) => self.at = Some(packed),
            Some(Err(whole)) => {
                self.at = Some(Self::TIME_IN_MORE);
                self.change_more(|m| m.time = Some(whole));
                return;
            }
        }
        if was_in_more {
            self.change_more(|m| m.time = None);
        }
    }

    /// The value recorded (empty when none).
    pub fn value(&self) -> &str {
        if self.valued { self.more.part(1) } else { "" }
    }

    /// Whether a value is recorded (without reading it).
    pub fn has_value(&self) -> bool {
        self.valued
    }

    /// `valued` from the rare parts, after they changed.
    fn sync(&mut self) {
        self.valued = !self.more.part(1).is_empty();
    }

    /// This run step with its notes, value and unknown-column values (as read).
    #[must_use]
    pub fn with_details(mut self, notes: &str, value: &str, extra: Extra) -> Self {
        let time = self.more.time();
        self.more = More::of(notes, value, "", extra, time);
        self.sync();
        self
    }

    /// Record a value (empty clears it).
    pub fn set_value(&mut self, value: &str) {
        self.change_more(|m| m.value = value.into());
    }
}

/// A row of `labels.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Row id.
    pub id: LabelId,
    /// Unique name.
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    /// Unknown columns.
    pub extra: Extra,
}

/// A row of `procedure_labels.csv`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProcedureLabel {
    /// The procedure.
    pub procedure_id: ProcedureId,
    /// The label.
    pub label_id: LabelId,
    /// Unknown columns.
    pub extra: Extra,
}

/// A row of `versions.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// Row id.
    pub id: VersionId,
    /// The procedure.
    pub procedure_id: ProcedureId,
    /// Version number, 1-based.
    pub version: u32,
    /// When it was saved.
    pub created_at: Option<Timestamp>,
    /// What changed.
    pub change_description: String,
    /// JSON of the procedure as saved (see [`super::Snapshot`]).
    pub procedure_snapshot: String,
    /// Unknown columns.
    pub extra: Extra,
    /// What `procedure_snapshot`'s steps ask (read once, on first use: [`Version::asks`]).
    pub asks_cache: super::AsksOnce,
}

impl Version {
    /// The steps of this version that record a value (id, kind, options), by id; or why
    /// its snapshot is refused. Read once per row.
    pub fn asks(&self) -> Result<&std::sync::Arc<[super::Ask]>, &str> {
        self.asks_cache.of(&self.procedure_snapshot)
    }
}

/// Where a schedule counts its next occurrence from (CONTRACT "Schedules").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The rule's own dates from `starts_at` (`calendar`, the default).
    #[default]
    Calendar,
    /// The rule's interval after the end of the last completed run (`completion`).
    Completion,
}

impl Anchor {
    /// The canonical text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Calendar => "calendar",
            Self::Completion => "completion",
        }
    }

    /// Parse liberally (any case, surrounding space); empty is `calendar`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "calendar" => Some(Self::Calendar),
            "completion" => Some(Self::Completion),
            _ => None,
        }
    }
}

/// A row of `schedules.csv`: when a procedure is due (CONTRACT "Schedules").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Schedule {
    /// Row id.
    pub id: ScheduleId,
    /// The procedure that is due.
    pub procedure_id: ProcedureId,
    /// An RFC 5545 recurrence rule without DTSTART (`FREQ=WEEKLY;BYDAY=TU`).
    pub rule: String,
    /// The first occurrence (local time); its time of day is every occurrence's.
    pub starts_at: Timestamp,
    /// Seconds after an occurrence before it is overdue (none: due until the next one).
    pub due_within: Option<u32>,
    /// Where the next occurrence counts from.
    pub anchor: Anchor,
    /// Paused when false.
    pub active: bool,
    /// Unknown columns.
    pub extra: Extra,
}

/// Rows that have an id and live in an id-sorted table.
pub trait Row {
    /// The row's sort key: its id (for links, procedure_id and label_id together).
    fn key(&self) -> u64;
}

macro_rules! impl_row {
    ($($t:ty),*) => { $(impl Row for $t { fn key(&self) -> u64 { u64::from(self.id.0) } })* };
}
impl_row!(Procedure, Step, Run, RunStep, Label, Version, Schedule);

impl Row for ProcedureLabel {
    fn key(&self) -> u64 {
        (u64::from(self.procedure_id.0) << 32) | u64::from(self.label_id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_step_is_small() {
        // 5,000,000 of them at Year-1 scale: every byte is 5 MB.
        assert!(std::mem::size_of::<RunStep>() <= 32, "{}", std::mem::size_of::<RunStep>());
        assert!(std::mem::size_of::<Run>() <= 64, "{}", std::mem::size_of::<Run>());
        let rs = RunStep::new(RunStepId(1), RunId(1), StepId(1), false, None);
        assert_eq!(rs.notes(), "");
        let mut rs = rs.with_more("", Box::new([Box::from("x")]));
        rs.set_notes("checked");
        assert_eq!((rs.notes(), rs.extra().len()), ("checked", 1));
        rs.set_notes("");
        assert_eq!((rs.notes(), rs.extra().len()), ("", 1));
        assert_eq!(std::mem::size_of::<super::super::rare::Rare>(), 40);
    }

    #[test]
    fn the_rare_parts_read_back_as_set_short_or_long() {
        let long = "a note long enough to be kept in a box of its own, é ü";
        for notes in ["", "n", long] {
            for value in ["", "3.5", "Fail", "ünïcödé välüe of some length here"] {
                let rs = RunStep::new(RunStepId(1), RunId(1), StepId(1), true, None).with_details(
                    notes,
                    value,
                    Box::default(),
                );
                assert_eq!((rs.notes(), rs.value(), rs.extra().len()), (notes, value, 0));
                assert_eq!(rs.has_value(), !value.is_empty());
                let mut other = RunStep::new(RunStepId(1), RunId(1), StepId(1), true, None);
                other.set_value(value);
                other.set_notes(notes);
                assert_eq!(other, rs, "built part by part or at once: the same row");
                assert_eq!(other.has_value(), !value.is_empty());
                other.set_value("");
                assert_eq!((other.has_value(), other.value(), other.notes()), (false, "", notes));
                let noted = other.clone().with_more(notes, Box::default());
                assert!(!noted.has_value());
                for title in ["", "web-01", long] {
                    let at = Some(Timestamp::from_wall_secs(1_764_000_000));
                    let run = Run::new(RunId(1), ProcedureId(1), Timestamp::from_wall_secs(0), None).with_details(
                        notes,
                        title,
                        at,
                        Box::new([Box::from(value)]),
                    );
                    assert_eq!(
                        (run.notes(), run.title(), run.scheduled_for(), run.extra()[0].as_ref()),
                        (notes, title, at, value)
                    );
                    let mut r = run.clone();
                    r.set_title("");
                    r.set_scheduled_for(None);
                    assert_eq!((r.notes(), r.title(), r.scheduled_for(), r.extra().len()), (notes, "", None, 1));
                }
            }
        }
        // Emptied, a row keeps nothing in its word.
        let mut rs = RunStep::new(RunStepId(1), RunId(1), StepId(1), true, None).with_details("n", "4", Box::default());
        rs.set_value("");
        rs.set_notes("");
        assert!(rs.more.is_none());
    }

    #[test]
    fn a_tick_time_too_fine_to_pack_is_kept_whole_behind_the_pointer() {
        let fine = Timestamp::parse("2025-01-01 08:06:46.123456").expect("time");
        let coarse = Timestamp::parse("2025-01-01T08:06:46.5+01:00").expect("time");
        let mut rs = RunStep::new(RunStepId(1), RunId(1), StepId(1), true, Some(fine));
        assert_eq!(rs.completed_at(), Some(fine));
        // Notes, a value and unknown columns come and go; the time stays.
        rs = rs.with_details("n", "4", Box::new([Box::from("x")]));
        rs.set_value("");
        rs.set_notes("");
        rs = rs.with_more("", Box::default());
        assert_eq!((rs.completed_at(), rs.notes(), rs.value()), (Some(fine), "", ""));
        // Replaced by a time that packs, or cleared, nothing is left in the row's word.
        for other in [Some(coarse), None] {
            let mut r = rs.clone();
            r.set_completed_at(other);
            assert_eq!(r.completed_at(), other);
            assert!(r.more.is_none());
            assert_eq!(r, RunStep::new(RunStepId(1), RunId(1), StepId(1), true, other), "one form per value");
        }
        let mut r = RunStep::new(RunStepId(1), RunId(1), StepId(1), true, Some(coarse));
        assert!(r.more.is_none());
        r.set_completed_at(Some(fine));
        assert_eq!(r, rs, "one form per value");
    }
}
