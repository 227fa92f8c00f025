//! Timestamps as the files write them: a wall-clock time, with or without a UTC offset.
//!
//! A timestamp without offset is local time. Durations are real elapsed time
//! ([`Timestamp::elapsed_since`]): local times are placed on the time line by the
//! system's time-zone rules, looked up once per day (`zone`).

use chrono::{DateTime, Datelike as _, Local, NaiveDate, NaiveDateTime, TimeZone as _, Timelike as _};
use std::fmt;
use std::num::{NonZeroU32, NonZeroU64};

/// `offset` of a timestamp without one.
const NO_OFFSET: i32 = i32::MIN;

/// What [`Timestamp::packed`] adds to the seconds (41 bits: ±34,000 years) and to the
/// offset's minutes (12 bits, 0 for none; an offset is less than a day).
const PACKED_SECS_BIAS: i64 = 1 << 40;
const PACKED_OFFSET_BIAS: i32 = 1440;

/// A point in time as written in a data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Seconds of the wall-clock time since 1970-01-01 00:00:00 (as if it were UTC).
    wall_secs: i64,
    /// Fractional seconds in nanoseconds, plus one (kept when read, dropped when
    /// written). Never zero, so an `Option<Timestamp>` takes no more room than a
    /// `Timestamp` (16 bytes): that matters for millions of run steps.
    nanos_plus_one: NonZeroU32,
    /// UTC offset in seconds, when the file gave one (`Z` = 0); [`NO_OFFSET`] when not.
    offset: i32,
}

impl Timestamp {
    /// A local wall-clock time from its seconds since the epoch (as if UTC).
    pub fn from_wall_secs(wall_secs: i64) -> Self {
        Self { wall_secs, nanos_plus_one: NonZeroU32::MIN, offset: NO_OFFSET }
    }

    /// A local wall-clock time from its seconds since the epoch (as if UTC) and
    /// nanoseconds.
    pub fn from_wall_nanos(wall_secs: i64, nanos: u32) -> Self {
        Self::with(wall_secs, nanos, None)
    }

    /// A local wall-clock time.
    pub fn from_naive(dt: NaiveDateTime) -> Self {
        Self::with(dt.and_utc().timestamp(), dt.and_utc().timestamp_subsec_nanos(), None)
    }

    /// The current local time, in whole seconds.
    pub fn now() -> Self {
        Self::from_wall_secs(Local::now().naive_local().and_utc().timestamp())
    }

    /// Build from parts; returns `None` for an impossible date or time.
    pub fn from_parts(
        ymd: (i32, u32, u32),
        hms: (u32, u32, u32),
        nanos: u32,
        offset_secs: Option<i32>,
    ) -> Option<Self> {
        let date = NaiveDate::from_ymd_opt(ymd.0, ymd.1, ymd.2)?;
        let dt = date.and_hms_opt(hms.0, hms.1, hms.2)?;
        Some(Self::with(dt.and_utc().timestamp(), nanos, offset_secs))
    }

    /// The wall-clock seconds (as if UTC) as written in the file.
    pub fn wall_secs(&self) -> i64 {
        self.wall_secs
    }

    /// The UTC offset the file gave, if any.
    pub fn offset_secs(&self) -> Option<i32> {
        (self.offset != NO_OFFSET).then_some(self.offset)
    }

    fn with(wall_secs: i64, nanos: u32, offset_secs: Option<i32>) -> Self {
        Self {
            wall_secs,
            nanos_plus_one: NonZeroU32::new(nanos.min(999_999_999) + 1).unwrap_or(NonZeroU32::MIN),
            offset: offset_secs.unwrap_or(NO_OFFSET),
        }
    }

    fn nanos(&self) -> u32 {
        self.nanos_plus_one.get() - 1
    }

    /// This time in 8 bytes, when it fits (a run step keeps its tick so: millions of
    /// them, and a row of 32 bytes instead of 40): whole milliseconds, an offset of whole
    /// minutes, within ±34,000 years. The top bit is set, so no packed time is zero nor
    /// equal to a marker below 2^63. `None` when it does not fit (then it is kept whole).
    pub(crate) fn packed(&self) -> Option<NonZeroU64> {
        let nanos = self.nanos();
        if !nanos.is_multiple_of(1_000_000) {
            return None;
        }
        let offset = match self.offset_secs() {
            None => 0,
            Some(o) if o % 60 == 0 && (o / 60).abs() < PACKED_OFFSET_BIAS => (o / 60 + PACKED_OFFSET_BIAS) as u64,
            Some(_) => return None,
        };
        let secs = u64::try_from(self.wall_secs.checked_add(PACKED_SECS_BIAS)?).ok().filter(|s| *s >> 41 == 0)?;
        NonZeroU64::new(1 << 63 | secs << 22 | u64::from(nanos / 1_000_000) << 12 | offset)
    }

    /// The time [`Timestamp::packed`] gave; `None` for a value it never gives.
    pub(crate) fn unpacked(p: NonZeroU64) -> Option<Self> {
        let p = p.get();
        if p >> 63 == 0 {
            return None;
        }
        let secs = ((p >> 22) & ((1 << 41) - 1)) as i64 - PACKED_SECS_BIAS;
        let millis = ((p >> 12) & 1023) as u32;
        let offset = (p & 4095) as i32;
        let offset = if offset == 0 { NO_OFFSET } else { (offset - PACKED_OFFSET_BIAS) * 60 };
        Some(Self { wall_secs: secs, nanos_plus_one: NonZeroU32::MIN.saturating_add(millis * 1_000_000), offset })
    }

    /// The wall-clock time as written.
    pub fn naive(&self) -> NaiveDateTime {
        DateTime::from_timestamp(self.wall_secs, self.nanos()).unwrap_or_default().naive_utc()
    }

    /// The UTC offset (seconds) of the whole local day of `wall` (a wall clock in
    /// seconds since 1970) in the system's zone, when the day has one offset (not a day
    /// the clocks change): from a per-thread cache of days, so a pass over many times
    /// asks the zone rules (and the clock, which chrono reads on each look-up to notice
    /// a changed zone) once per day.
    pub(crate) fn local_day_offset(wall: i64) -> Option<i64> {
        zone::day_offset(wall)
    }

    /// This time as local wall-clock time (converting an offset time to the local zone).
    pub fn to_local(&self) -> Self {
        match self.offset_secs() {
            None => *self,
            Some(off) => {
                let utc = self.wall_secs - i64::from(off);
                let local = DateTime::from_timestamp(utc, self.nanos())
                    .map(|d| d.with_timezone(&Local).naive_local())
                    .unwrap_or_default();
                Self::from_naive(local)
            }
        }
    }

    /// Seconds since the Unix epoch (UTC), resolving local times in the local zone.
    pub fn unix_secs(&self) -> i64 {
        match self.offset_secs() {
            Some(off) => self.wall_secs - i64::from(off),
            None => Local.from_local_datetime(&self.naive()).earliest().map_or(self.wall_secs, |d| d.timestamp()),
        }
    }

    /// `self − earlier` in seconds (wall clock when both are local).
    pub fn secs_since(&self, earlier: &Timestamp) -> i64 {
        if self.offset == NO_OFFSET && earlier.offset == NO_OFFSET {
            self.wall_secs - earlier.wall_secs
        } else {
            self.unix_secs() - earlier.unix_secs()
        }
    }

    /// Real seconds elapsed from `earlier` to `self`, never negative (CONTRACT
    /// "Analytics semantics"). Local times are placed on the time line by the system's
    /// time-zone rules: a run from 02:50 CEST to 02:10 CET lasted 20 minutes. Where a
    /// local time is ambiguous (the hour repeated when clocks go back), the reading that
    /// gives the shortest non-negative time is taken; a clock set back gives 0.
    pub fn elapsed_since(&self, earlier: &Timestamp) -> i64 {
        if self.offset == NO_OFFSET && earlier.offset == NO_OFFSET {
            let same_day = self.wall_secs.div_euclid(86_400) == earlier.wall_secs.div_euclid(86_400);
            // utc = local − offset, so the real time is the wall time less the offset change
            // (none within a day that has one offset: one look-up for the usual case).
            let change = if same_day {
                zone::day_offset(self.wall_secs).map(|_| 0)
            } else {
                zone::day_offset(earlier.wall_secs).zip(zone::day_offset(self.wall_secs)).map(|(a, b)| b - a)
            };
            if let Some(change) = change {
                return (self.wall_secs - earlier.wall_secs - change).max(0);
            }
        }
        let (starts, ends) = (Self::instants(earlier), Self::instants(self));
        ends.iter().flat_map(|e| starts.iter().map(move |s| e - s)).filter(|d| *d >= 0).min().unwrap_or(0)
    }

    /// Whether `self` can be at or after `earlier` in real time: always when the wall
    /// clock says so, and across a change of the clocks when some reading of the two
    /// local times does (see [`Timestamp::elapsed_since`]).
    pub fn may_follow(&self, earlier: &Timestamp) -> bool {
        if self.secs_since(earlier) >= 0 {
            return true;
        }
        let (starts, ends) = (Self::instants(earlier), Self::instants(self));
        ends.iter().any(|e| starts.iter().any(|s| e >= s))
    }

    /// The instants (Unix seconds) `t` can be: one, or two in the hour repeated when
    /// clocks go back; a time skipped when they go forward is read as the one after.
    fn instants(t: &Timestamp) -> Vec<i64> {
        if t.offset != NO_OFFSET {
            return vec![t.wall_secs - i64::from(t.offset)];
        }
        zone::instants(t.wall_secs)
    }

    /// A key to order timestamps chronologically.
    pub fn sort_key(&self) -> (i64, u32) {
        match self.offset_secs() {
            None => (self.wall_secs, self.nanos()),
            Some(_) => (self.to_local().wall_secs, self.nanos()),
        }
    }

    /// The local calendar date.
    pub fn local_date(&self) -> NaiveDate {
        self.to_local().naive().date()
    }

    /// The canonical text, `YYYY-MM-DD HH:MM:SS` in local time, whole seconds.
    pub fn canonical(&self) -> String {
        let mut s = String::with_capacity(19);
        self.write_canonical(&mut s);
        s
    }

    /// Append the canonical text to `out`.
    pub fn write_canonical(&self, out: &mut String) {
        if let Some(text) = self.canonical_ascii() {
            out.extend(text.iter().map(|&b| char::from(b)));
            return;
        }
        write_with_chrono(&self.to_local().naive(), out);
    }

    /// The canonical text as bytes, computed without chrono (millions of these are
    /// written in a full save); `None` for years outside 0–9999.
    pub fn canonical_ascii(&self) -> Option<[u8; 19]> {
        let wall = if self.offset_secs().is_none() { self.wall_secs } else { self.to_local().wall_secs };
        let (days, secs) = (wall.div_euclid(86_400), wall.rem_euclid(86_400));
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let mut out = *b"0000-00-00 00:00:00";
        let mut put = |at: usize, width: usize, mut v: i64| {
            for i in (at..at + width).rev() {
                out[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y);
        put(5, 2, m);
        put(8, 2, d);
        put(11, 2, secs / 3600);
        put(14, 2, secs / 60 % 60);
        put(17, 2, secs % 60);
        Some(out)
    }

    /// Parse the liberal forms described in DESIGN.md:
    /// `2025-01-01 08:06:46`, `T` instead of space, fractional seconds,
    /// `Z` or `+01:00`/`+0100`/`+01` offset, minutes without seconds, or a date alone.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let b = s.trim().as_bytes();
        let num = |r: &[u8]| -> Option<u32> {
            if r.is_empty() || !r.iter().all(u8::is_ascii_digit) {
                return None;
            }
            r.iter().try_fold(0u32, |a, &d| a.checked_mul(10)?.checked_add(u32::from(d - b'0')))
        };
        const EXPECTED: &str = "expected a timestamp like 2025-01-31 08:06:46";
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(EXPECTED);
        }
        let year = num(&b[0..4]).ok_or(EXPECTED)? as i32;
        let month = num(&b[5..7]).ok_or(EXPECTED)?;
        let day = num(&b[8..10]).ok_or(EXPECTED)?;
        let mut rest = &b[10..];
        let (mut h, mut m, mut sec, mut nanos) = (0, 0, 0, 0);
        let mut offset = None;
        if !rest.is_empty() {
            if rest[0] != b' ' && rest[0] != b'T' && rest[0] != b't' {
                return Err(EXPECTED);
            }
            rest = &rest[1..];
            if rest.len() < 5 || rest[2] != b':' {
                return Err(EXPECTED);
            }
            h = num(&rest[0..2]).ok_or(EXPECTED)?;
            m = num(&rest[3..5]).ok_or(EXPECTED)?;
            rest = &rest[5..];
            if rest.first() == Some(&b':') {
                sec = num(rest.get(1..3).ok_or(EXPECTED)?).ok_or(EXPECTED)?;
                rest = &rest[3..];
            }
            if rest.first() == Some(&b'.') || rest.first() == Some(&b',') {
                let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits == 0 {
                    return Err(EXPECTED);
                }
                let frac = &rest[1..1 + digits];
                let mut n: u32 = 0;
                for i in 0..9 {
                    n = n * 10 + frac.get(i).map_or(0, |d| u32::from(d - b'0'));
                }
                nanos = n;
                rest = &rest[1 + digits..];
            }
            match rest.first() {
                None => {}
                Some(b'Z' | b'z') if rest.len() == 1 => offset = Some(0),
                Some(&sign @ (b'+' | b'-')) => {
                    let r = &rest[1..];
                    let (oh, om) = match r.len() {
                        2 => (num(r), Some(0)),
                        4 => (num(&r[0..2]), num(&r[2..4])),
                        5 if r[2] == b':' => (num(&r[0..2]), num(&r[3..5])),
                        _ => (None, None),
                    };
                    let (Some(oh), Some(om)) = (oh, om) else {
                        return Err("bad UTC offset (expected Z, +01:00 or +0100)");
                    };
                    if oh > 23 || om > 59 {
                        return Err("bad UTC offset (expected Z, +01:00 or +0100)");
                    }
                    let secs = (oh * 3600 + om * 60) as i32;
                    offset = Some(if sign == b'-' { -secs } else { secs });
                }
                _ => return Err(EXPECTED),
            }
        }
        Self::from_parts((year, month, day), (h, m, sec), nanos, offset).ok_or("no such date or time")
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// `YYYY-MM-DD HH:MM:SS` by chrono (any year).
fn write_with_chrono(dt: &NaiveDateTime, out: &mut String) {
    use std::fmt::Write as _;
    let (y, mo, d) = (dt.year(), dt.month(), dt.day());
    let _ = write!(out, "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second());
}

/// `YYYY-MM-DD` and its days since 1970-01-01: see [`Timestamp::parse_canonical`].
pub type DayCache = ([u8; 10], i64);

/// A [`DayCache`] to start with.
pub const DAY_CACHE_START: DayCache = (*b"1970-01-01", 0);

impl Timestamp {
    /// `YYYY-MM-DD HH:MM:SS` exactly (what the app writes: the inverse of
    /// [`Timestamp::write_canonical`]), without chrono; `cache` holds the last date seen
    /// (timestamps of a file mostly share their date with the one before).
    pub fn parse_canonical(b: &[u8], cache: &mut DayCache) -> Option<Timestamp> {
        canonical_bytes(b, cache)
    }
}

fn canonical_bytes(b: &[u8], cache: &mut DayCache) -> Option<Timestamp> {
    if b.len() != 19 || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |a, &c| c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0')))
    };
    let days = if b[..10] == cache.0 {
        cache.1
    } else {
        let days = civil_days(&b[..10])?;
        cache.0.copy_from_slice(&b[..10]);
        cache.1 = days;
        days
    };
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    Some(Timestamp::from_wall_secs(days * 86_400 + hh * 3600 + mm * 60 + ss))
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (a valid date only).
fn civil_days(b: &[u8]) -> Option<i64> {
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |a, &c| c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0')))
    };
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_liberal_forms() {
        let base = Timestamp::parse("2025-01-01 08:06:46").unwrap();
        assert_eq!(base.canonical(), "2025-01-01 08:06:46");
        assert_eq!(Timestamp::parse("2025-01-01T08:06:46").unwrap(), base);
        let frac = Timestamp::parse("2025-01-01 08:06:46.123456").unwrap();
        assert_eq!(frac.canonical(), "2025-01-01 08:06:46");
        assert_eq!(frac.secs_since(&base), 0);
        assert_eq!(Timestamp::parse("2025-01-01").unwrap().canonical(), "2025-01-01 00:00:00");
        assert_eq!(Timestamp::parse("2025-01-01 08:06").unwrap().canonical(), "2025-01-01 08:06:00");
        let z = Timestamp::parse("2025-01-01T08:06:46Z").unwrap();
        assert_eq!(z.offset_secs(), Some(0));
        let plus = Timestamp::parse("2025-01-01T09:06:46+01:00").unwrap();
        assert_eq!(plus.unix_secs(), z.unix_secs());
        assert_eq!(Timestamp::parse("2025-01-01T09:06:46+0100").unwrap(), plus);
        assert_eq!(plus.secs_since(&z), 0);
    }

    #[test]
    fn an_optional_timestamp_is_as_small_as_a_timestamp() {
        assert_eq!(std::mem::size_of::<Timestamp>(), 16);
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), 16);
    }

    #[test]
    fn a_time_packs_into_8_bytes_exactly_or_not_at_all() {
        let fits = [
            "2025-01-01 08:06:46",
            "0000-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "1969-12-31 23:59:59.999",
            "2025-01-01T08:06:46.5Z",
            "2025-01-01T08:06:46+23:59",
            "2025-01-01T08:06:46-23:59",
            "2025-01-01T08:06:46-00:00",
        ];
        for text in fits {
            let t = Timestamp::parse(text).expect(text);
            let p = t.packed().expect(text);
            assert!(p.get() >> 63 == 1, "{text}");
            let back = Timestamp::unpacked(p).expect(text);
            assert_eq!(back, t, "{text}");
            assert_eq!((back.to_string(), back.offset_secs()), (t.to_string(), t.offset_secs()), "{text}");
        }
        for t in [
            Timestamp::parse("2025-01-01 08:06:46.0001").expect("micros"),
            Timestamp::from_wall_nanos(0, 1),
            Timestamp::from_wall_secs(i64::MAX),
            Timestamp::from_wall_secs(i64::MIN),
            Timestamp::from_wall_secs(-(1 << 40) - 1),
            Timestamp::with(0, 0, Some(30)),
            Timestamp::with(0, 0, Some(86_400)),
        ] {
            assert_eq!(t.packed(), None, "{t:?}");
        }
        assert_eq!(Timestamp::unpacked(std::num::NonZeroU64::MIN), None);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "yesterday",
            "2025-13-01 00:00:00",
            "2025-02-30",
            "2025-01-01 25:00:00",
            "2025-01-01 08:06:46+99:00",
            "2025-01-01 08:06:46 junk",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn canonical_text_without_chrono_matches_chrono() {
        let mut secs = -2_208_988_800i64; // 1900-01-01
        while secs < 4_102_444_800 {
            // 2100-01-01
            let t = Timestamp::from_wall_secs(secs);
            let mut expected = String::new();
            write_with_chrono(&t.naive(), &mut expected);
            assert_eq!(t.canonical(), expected, "{secs}");
            secs += 86_399 * 3 + 7_777;
        }
        assert_eq!(Timestamp::from_wall_secs(0).canonical(), "1970-01-01 00:00:00");
        assert_eq!(Timestamp::from_wall_secs(-1).canonical(), "1969-12-31 23:59:59");
    }
}

/// The local time zone, as the durations need it: the UTC offset of a whole local day
/// (almost every day has one), remembered per thread so that millions of durations cost
/// a look-up each only when the day changes.
mod zone {
    use chrono::{DateTime, LocalResult, TimeZone as _};
    use std::cell::Cell;

    const DAY: i64 = 86_400;
    /// A day with a change of the clocks in it (or out of chrono's range).
    const NONE: i64 = i64::MIN;

    /// Days the cache holds: more than four years without two days sharing a slot, so
    /// a pass over one procedure's runs (each on another day, years of them) finds each
    /// day once it was asked (with 8 slots every run missed: two time-zone lookups and
    /// a clock read each, a third of a full analytics recompute).
    const SLOTS: usize = 2048;

    thread_local! {
        /// (local day, its offset or NONE), direct-mapped by day (32 KiB a thread).
        static DAYS: [Cell<(i64, i64)>; SLOTS] = const { [const { Cell::new((i64::MIN, NONE)) }; SLOTS] };
        /// The day asked last, with its offset: the ticks of a run mostly fall on its
        /// start's day, and this stays in the cache where a slot of `DAYS` was a miss
        /// (two thirds of the look-up's time) once rows had pushed it out.
        static LAST: Cell<(i64, i64)> = const { Cell::new((i64::MIN, NONE)) };
    }

    fn naive(wall: i64) -> Option<chrono::NaiveDateTime> {
        DateTime::from_timestamp(wall, 0).map(|d| d.naive_utc())
    }

    fn single_offset(wall: i64) -> Option<i64> {
        match chrono::Local.from_local_datetime(&naive(wall)?) {
            LocalResult::Single(d) => Some(i64::from(d.offset().local_minus_utc())),
            _ => None,
        }
    }

    /// The UTC offset (seconds) of every time of the local day of `wall`, when it is one.
    pub(super) fn day_offset(wall: i64) -> Option<i64> {
        let day = wall.div_euclid(DAY);
        let (last, offset) = LAST.get();
        if last == day {
            return (offset != NONE).then_some(offset);
        }
        let slot = day.rem_euclid(SLOTS as i64) as usize;
        let (cached, offset) = DAYS.with(|d| d[slot].get());
        let offset = if cached == day {
            offset
        } else {
            let start = day * DAY;
            let offset = match (single_offset(start), single_offset(start + DAY - 1)) {
                (Some(a), Some(b)) if a == b => a,
                _ => NONE,
            };
            DAYS.with(|d| d[slot].set((day, offset)));
            offset
        };
        LAST.set((day, offset));
        (offset != NONE).then_some(offset)
    }

    /// The instants (Unix seconds) the local time `wall` can be.
    pub(super) fn instants(wall: i64) -> Vec<i64> {
        let Some(t) = naive(wall) else { return vec![wall] };
        match chrono::Local.from_local_datetime(&t) {
            LocalResult::Single(d) => vec![d.timestamp()],
            LocalResult::Ambiguous(a, b) => vec![a.timestamp(), b.timestamp()],
            // Skipped (clocks went forward): read with the offset before the gap, which
            // is the instant just after it.
            LocalResult::None => {
                let before = single_offset(wall - 3 * 3600).or_else(|| single_offset(wall - DAY)).unwrap_or(0);
                vec![wall - before]
            }
        }
    }
}
