//! Plain data types: the rows of the seven tables, ids, timestamps and snapshots.

mod ids;
mod kinds;
mod names;
mod rare;
pub mod recurrence;
mod rows;
mod snapshot;
mod timestamp;

pub use ids::*;
pub use kinds::{
    ChoiceOption, Condition, Judged, NumberSpec, Op, Options, StepKind, canonical_value, is_flagged, judge, misfit,
    num, parse_number,
};
pub use names::Name;
pub use rows::*;
pub use snapshot::{Ask, AsksOnce, Snapshot, SnapshotAsks, SnapshotStep};
pub use timestamp::{DAY_CACHE_START, DayCache, Timestamp};

/// Format seconds as a short duration: `45s`, `5m`, `1h30m`, `2d3h`.
pub fn format_duration(secs: i64) -> String {
    let neg = secs < 0;
    let s = secs.unsigned_abs();
    let text = if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        let (m, r) = (s / 60, s % 60);
        if r == 0 { format!("{m}m") } else { format!("{m}m{r}s") }
    } else if s < 86_400 {
        let (h, m) = (s / 3600, (s % 3600) / 60);
        if m == 0 { format!("{h}h") } else { format!("{h}h{m}m") }
    } else {
        let (d, h) = (s / 86_400, (s % 86_400) / 3600);
        if h == 0 { format!("{d}d") } else { format!("{d}d{h}h") }
    };
    if neg { format!("-{text}") } else { text }
}

/// A count as people read it: `2,025,489`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Parse a duration typed as `90s`, `5m`, `1h30m`, `1h 30m`, `2d` or plain seconds `300`.
pub fn parse_duration(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.parse::<u32>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    for c in t.chars() {
        match c {
            '0'..='9' => num = Some(num.unwrap_or(0).checked_mul(10)? + u64::from(c as u8 - b'0')),
            ' ' => {}
            'd' | 'h' | 'm' | 's' => {
                let n = num.take()?;
                let unit = match c {
                    'd' => 86_400,
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                total = total.checked_add(n.checked_mul(unit)?)?;
            }
            _ => return None,
        }
    }
    if num.is_some() {
        return None;
    }
    u32::try_from(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (2_025_489, "2,025,489"), (100_000, "100,000")];
        for (n, text) in cases {
            assert_eq!(format_count(n), text);
        }
    }

    #[test]
    fn durations_round_trip() {
        for (text, secs) in [("90s", 90), ("5m", 300), ("1h30m", 5400), ("1h", 3600), ("2d3h", 183_600), ("1m30s", 90)]
        {
            assert_eq!(parse_duration(text), Some(secs), "{text}");
        }
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(90), "1m30s");
        assert_eq!(parse_duration("1h 30m"), Some(5400));
        assert_eq!(parse_duration("abc"), None);
        assert_eq!(parse_duration("5"), Some(5));
        assert_eq!(parse_duration("m"), None);
    }
}
