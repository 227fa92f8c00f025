//! What a step asks for (CONTRACT "Steps: kinds, values, conditions"): its kind, the
//! options of a number or choice step, the condition under which it is needed, and
//! what a recorded value means (fits, flagged).

use super::ids::StepId;

/// What the runner asks at a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// A tick (empty in the file, or `check`).
    #[default]
    Check,
    /// A heading over the steps after it: not ticked, no run_steps row.
    Section,
    /// Free text.
    Text,
    /// A number, with an optional unit and acceptable range.
    Number,
    /// One of several options.
    Choice,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A person's name, confirming.
    Signoff,
}

impl StepKind {
    /// Every kind, in the order the editor offers them.
    pub const ALL: [StepKind; 7] = [
        StepKind::Check,
        StepKind::Section,
        StepKind::Text,
        StepKind::Number,
        StepKind::Choice,
        StepKind::Date,
        StepKind::Signoff,
    ];

    /// The kind written in `steps.csv` (`""` for a check: the column stays empty).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Check => "",
            Self::Section => "section",
            Self::Text => "text",
            Self::Number => "number",
            Self::Choice => "choice",
            Self::Date => "date",
            Self::Signoff => "signoff",
        }
    }

    /// A word for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Check => "Tick",
            Self::Section => "Section",
            Self::Text => "Text",
            Self::Number => "Number",
            Self::Choice => "Choice",
            Self::Date => "Date",
            Self::Signoff => "Sign-off",
        }
    }

    /// Read the `kind` column (case-insensitive; empty is a check).
    pub fn parse(s: &str) -> Option<Self> {
        // Compared in place, not lower-cased into a new string: every step of every
        // version's snapshot is read through here.
        const NAMES: [(&str, StepKind); 10] = [
            ("", StepKind::Check),
            ("check", StepKind::Check),
            ("section", StepKind::Section),
            ("text", StepKind::Text),
            ("number", StepKind::Number),
            ("choice", StepKind::Choice),
            ("date", StepKind::Date),
            ("signoff", StepKind::Signoff),
            ("sign-off", StepKind::Signoff),
            ("sign_off", StepKind::Signoff),
        ];
        let s = s.trim();
        NAMES.iter().find(|(name, _)| name.eq_ignore_ascii_case(s)).map(|(_, kind)| *kind)
    }

    /// Whether a run records a value at a step of this kind.
    pub fn has_value(self) -> bool {
        !matches!(self, Self::Check | Self::Section)
    }
}

/// A number step's unit and acceptable range (`°C 0..5`, `kg`, `..120`, `% 10..`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NumberSpec {
    /// The unit, may be empty.
    pub unit: String,
    /// Lowest acceptable value.
    pub min: Option<f64>,
    /// Highest acceptable value.
    pub max: Option<f64>,
}

impl NumberSpec {
    /// The range in words: `0–5 °C`, `at most 120 kg`, `at least 10 %`, or empty.
    pub fn range_words(&self) -> String {
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{}–{}{unit}", num(a), num(b)),
            (None, Some(b)) => format!("at most {}{unit}", num(b)),
            (Some(a), None) => format!("at least {}{unit}", num(a)),
            (None, None) => String::new(),
        }
    }

    /// Why `v` is flagged, in words: "outside 0–5 °C", "above -18 °C", "below 10 %".
    pub fn outside_words(&self, v: f64) -> String {
        let unit = if self.unit.is_empty() { String::new() } else { format!(" {}", self.unit) };
        match (self.min, self.max) {
            (Some(_), Some(_)) => format!("outside {}", self.range_words()),
            (_, Some(max)) if v > max => format!("above {}{unit}", num(max)),
            (Some(min), _) => format!("below {}{unit}", num(min)),
            _ => String::new(),
        }
    }

    /// Whether `v` lies in the acceptable range.
    pub fn in_range(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// A number as people write it: `3`, `3.5`, `-2` (no `.0`).
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

/// One answer of a choice step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChoiceOption {
    /// What is shown and recorded.
    pub label: String,
    /// An answer to flag (written with a leading `!`).
    pub flagged: bool,
}

/// The `options` of a step, parsed for its kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Options {
    /// No options (every kind but number and choice).
    #[default]
    None,
    /// A number's unit and range.
    Number(NumberSpec),
    /// A choice's answers.
    Choice(Vec<ChoiceOption>),
}

fn parse_bound(s: &str) -> Result<Option<f64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| format!("{s:?} is not a number (write a range like 0..5)"))
}

impl Options {
    /// Parse the `options` column for a step of `kind`; the message says what is wrong.
    pub fn parse(kind: StepKind, text: &str) -> Result<Self, String> {
        let t = text.trim();
        match kind {
            StepKind::Number => {
                // The range is the last word with `..`; the rest is the unit.
                let (unit, range) = match t.rsplit_once(char::is_whitespace) {
                    Some((u, r)) if r.contains("..") => (u.trim(), r),
                    _ if t.contains("..") => ("", t),
                    _ => (t, ""),
                };
                let (min, max) = match range.split_once("..") {
                    Some((a, b)) => (parse_bound(a)?, parse_bound(b)?),
                    None => (None, None),
                };
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    return Err(format!(
                        "the range {} is empty (the lowest value comes first: {}..{})",
                        range,
                        num(b),
                        num(a)
                    ));
                }
                if unit.contains("..") {
                    return Err(format!("{t:?}: write the unit, then one range like °C 0..5"));
                }
                Ok(Self::Number(NumberSpec { unit: unit.to_owned(), min, max }))
            }
            StepKind::Choice => {
                let options: Vec<ChoiceOption> = t
                    .split('|')
                    .map(str::trim)
                    .filter(|o| !o.is_empty() && *o != "!")
                    .map(|o| match o.strip_prefix('!') {
                        Some(rest) => ChoiceOption { label: rest.trim().to_owned(), flagged: true },
                        None => ChoiceOption { label: o.to_owned(), flagged: false },
                    })
                    .collect();
                if options.is_empty() {
                    return Err("a choice needs its answers, separated by | (like Pass|!Fail|N/A)".into());
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(twice) = options.iter().find(|o| !seen.insert(o.label.to_lowercase())) {
                    return Err(format!("the answer {:?} appears twice", twice.label));
                }
                Ok(Self::Choice(options))
            }
            _ if t.is_empty() => Ok(Self::None),
            _ => Err(format!("a {} step has no options (found {t:?})", kind.label().to_lowercase())),
        }
    }

    /// The number spec, if a number step's.
    pub fn number(&self) -> Option<&NumberSpec> {
        match self {
            Self::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The answers, if a choice step's.
    pub fn choices(&self) -> &[ChoiceOption] {
        match self {
            Self::Choice(c) => c,
            _ => &[],
        }
    }

    /// Whether some value could be flagged under these options (a number range, a
    /// flagged answer): when not, [`is_flagged`] is false for every value, and the
    /// analytics need not judge them one by one.
    pub fn can_flag(&self) -> bool {
        match self {
            Self::Number(n) => n.min.is_some() || n.max.is_some(),
            Self::Choice(c) => c.iter().any(|o| o.flagged),
            Self::None => false,
        }
    }
}

/// How a recorded value stands against its step.
#[derive(Clone, Debug, PartialEq)]
pub enum Judged {
    /// Fits and is not flagged.
    Ok,
    /// Fits but is flagged: why, in words ("outside 0–5 °C", "answer Fail is flagged").
    Flagged(String),
}

/// `str::trim`, with the common case (a value with no space at either end) told from its
/// first and last bytes: the analytics and the load's check trim every recorded value,
/// and the general trim decodes characters from both ends.
fn trimmed(v: &str) -> &str {
    match v.as_bytes() {
        [first, .., last] | [first @ last] if first.is_ascii_graphic() && last.is_ascii_graphic() => v,
        _ => v.trim(),
    }
}

/// Whether `value` fits a step of `kind` with `options` and is flagged (out of range, a
/// flagged answer): what `judge` calls `Ok(Judged::Flagged(_))`, without building the
/// words — the analytics judge every recorded value of a big folder.
pub fn is_flagged(kind: StepKind, options: &Options, value: &str) -> bool {
    let v = trimmed(value);
    match kind {
        StepKind::Number => match (options.number(), ambiguous_thousands(v)) {
            (Some(spec), None) => parse_number(v).is_some_and(|n| !spec.in_range(n)),
            _ => false,
        },
        StepKind::Choice => {
            options.choices().iter().find(|o| o.label.eq_ignore_ascii_case(v)).is_some_and(|o| o.flagged)
        }
        _ => false,
    }
}

/// `1,000` could be a thousand (a separator) or one (a decimal comma): such a number,
/// cut at its comma, is ambiguous and refused with a question.
fn ambiguous_thousands(v: &str) -> Option<(&str, &str)> {
    v.split_once(',').filter(|(whole, part)| {
        part.len() == 3
            && part.bytes().all(|b| b.is_ascii_digit())
            && !whole.is_empty()
            && whole.trim_start_matches(['-', '+']).bytes().all(|b| b.is_ascii_digit())
    })
}

/// Why `value` does not fit a step of `kind` with `options` ([`judge`]'s `Err`), without
/// wording why a fitting value is flagged (the load's check asks this of every value).
pub fn misfit(kind: StepKind, options: &Options, value: &str) -> Option<String> {
    let v = trimmed(value);
    let fits = match kind {
        StepKind::Number => ambiguous_thousands(v).is_none() && parse_number(v).is_some(),
        StepKind::Choice => options.choices().iter().any(|o| o.label.eq_ignore_ascii_case(v)),
        StepKind::Text | StepKind::Signoff => true,
        StepKind::Check | StepKind::Section => v.is_empty(),
        StepKind::Date => false,
    };
    if fits { None } else { judge(kind, options, value).err() }
}

/// Whether `value` fits a step of `kind` with `options`: `Err` says why not (a number
/// step with `abc`, a choice not in the list, a bad date, a value on a tick).
pub fn judge(kind: StepKind, options: &Options, value: &str) -> Result<Judged, String> {
    let v = trimmed(value);
    match kind {
        StepKind::Check | StepKind::Section => {
            if v.is_empty() {
                Ok(Judged::Ok)
            } else {
                Err(format!("a {} step records no value (found {v:?})", kind.label().to_lowercase()))
            }
        }
        StepKind::Text | StepKind::Signoff => Ok(Judged::Ok),
        StepKind::Number => {
            if let Some((whole, part)) = ambiguous_thousands(v) {
                let (a, b) = (format!("{whole}{part}"), format!("{whole}.{}", part.trim_end_matches('0')));
                let b = b.trim_end_matches('.').to_owned();
                return Err(format!("{v:?} is ambiguous: write {a} for the thousands or {b} with a decimal point"));
            }
            let n = parse_number(v).ok_or_else(|| format!("{v:?} is not a number (write it like 3.5)"))?;
            match options.number() {
                Some(spec) if !spec.in_range(n) => Ok(Judged::Flagged(spec.outside_words(n))),
                _ => Ok(Judged::Ok),
            }
        }
        StepKind::Choice => match options.choices().iter().find(|o| o.label.eq_ignore_ascii_case(v)) {
            Some(o) if o.flagged => Ok(Judged::Flagged(format!("answer {} is flagged", o.label))),
            Some(_) => Ok(Judged::Ok),
            None => {
                let list: Vec<&str> = options.choices().iter().map(|o| o.label.as_str()).collect();
                Err(format!("{v:?} is not one of the answers ({})", list.join(", ")))
            }
        },
        StepKind::Date => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(|_| Judged::Ok)
            .map_err(|_| format!("{v:?} is not a date (write it as YYYY-MM-DD)")),
    }
}

/// A number as recorded: decimal with `.` (a `,` is read as the decimal mark too).
pub fn parse_number(v: &str) -> Option<f64> {
    let t = trimmed(v);
    let n = if t.contains(',') && !t.contains('.') { t.replacen(',', ".", 1).parse::<f64>() } else { t.parse::<f64>() };
    n.ok().filter(|n| n.is_finite())
}

/// The canonical form of a value entered for a step: numbers as typed but with `.`,
/// a choice with its option's spelling, others trimmed.
pub fn canonical_value(kind: StepKind, options: &Options, value: &str) -> String {
    let v = trimmed(value);
    match kind {
        StepKind::Number if v.contains(',') && !v.contains('.') => v.replacen(',', ".", 1),
        StepKind::Choice => {
            options.choices().iter().find(|o| o.label.eq_ignore_ascii_case(v)).map_or(v.to_owned(), |o| o.label.clone())
        }
        _ => v.to_owned(),
    }
}

/// A comparison in a step's condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in` with `a|b`
    In,
}

impl Op {
    /// Every operator, as written.
    pub const ALL: [Op; 7] = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::In];

    /// As written in `show_if`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::In => "in",
        }
    }

    /// In words: "is", "is not", "is below", …
    pub fn words(self) -> &'static str {
        match self {
            Self::Eq => "is",
            Self::Ne => "is not",
            Self::Lt => "is below",
            Self::Le => "is at most",
            Self::Gt => "is above",
            Self::Ge => "is at least",
            Self::In => "is one of",
        }
    }
}

/// `show_if`: the step is needed only when an earlier step's value compares so.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The earlier step.
    pub step: StepId,
    /// How it compares.
    pub op: Op,
    /// With what (for `in`: the answers, separated by `|`).
    pub value: String,
}

impl Condition {
    /// Parse `<step id> <op> <value>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let step = t[..digits]
            .parse::<u32>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| format!("{t:?}: a condition starts with a step id, like \"12 = No\""))?;
        let rest = t[digits..].trim_start();
        // Longest operators first.
        let (op, after) = [("!=", Op::Ne), ("<=", Op::Le), (">=", Op::Ge), ("=", Op::Eq), ("<", Op::Lt), (">", Op::Gt)]
            .iter()
            .find_map(|(w, op)| rest.strip_prefix(w).map(|a| (*op, a)))
            .or_else(|| rest.strip_prefix("in").filter(|a| a.starts_with(char::is_whitespace)).map(|a| (Op::In, a)))
            .ok_or_else(|| format!("{t:?}: expected an operator (=, !=, <, <=, >, >= or in) after the step id"))?;
        let value = after.trim();
        if value.is_empty() {
            return Err(format!("{t:?}: the condition has no value to compare with"));
        }
        // `==`, `=>`, `<>`, `=<`: a typo for another operator, never a value that starts
        // with an operator sign (which would compare against "= 3").
        if value.starts_with(['=', '<', '>', '!']) {
            let written: String = rest.chars().take_while(|c| "=<>!".contains(*c)).collect();
            return Err(format!(
                "{t:?}: “{written}” is not an operator; write =, !=, <, <=, >, >= or in (numbers compare as numbers, other values as text)"
            ));
        }
        Ok(Self { step: StepId(step), op, value: value.to_owned() })
    }

    /// As written in `show_if`.
    pub fn text(&self) -> String {
        format!("{} {} {}", self.step, self.op.as_str(), self.value)
    }

    /// Whether it holds for `recorded`, the value of its step (none: it does not).
    /// Numbers compare as numbers when both sides are numbers, text case-insensitively.
    pub fn holds(&self, recorded: Option<&str>) -> bool {
        let Some(v) = recorded.map(str::trim).filter(|v| !v.is_empty()) else { return false };
        let cmp = |want: &str| -> Option<std::cmp::Ordering> {
            match (parse_number(v), parse_number(want)) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => Some(v.to_lowercase().cmp(&want.trim().to_lowercase())),
            }
        };
        use std::cmp::Ordering::*;
        match self.op {
            Op::Eq => cmp(&self.value) == Some(Equal),
            Op::Ne => cmp(&self.value) != Some(Equal),
            Op::Lt => cmp(&self.value) == Some(Less),
            Op::Le => matches!(cmp(&self.value), Some(Less | Equal)),
            Op::Gt => cmp(&self.value) == Some(Greater),
            Op::Ge => matches!(cmp(&self.value), Some(Greater | Equal)),
            Op::In => self.value.split('|').any(|w| cmp(w) == Some(Equal)),
        }
    }

    /// In words, given the other step's text: `only if "Fryer on?" is No`.
    pub fn words(&self, step_text: &str) -> String {
        let value = if self.op == Op::In { self.value.replace('|', ", ") } else { self.value.clone() };
        format!("only if “{}” {} {value}", step_text.trim(), self.op.words())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_trim_is_str_trim() {
        for v in ["", " ", "a", " a", "a ", "3.5", "\t7\n", "é", " é ", "\u{a0}5\u{a0}", "x\u{2003}", "a b"] {
            assert_eq!(super::trimmed(v), v.trim(), "{v:?}");
        }
    }

    #[test]
    fn number_options_parse_with_unit_and_range() {
        let n = |t: &str| Options::parse(StepKind::Number, t).map(|o| o.number().cloned().expect("number"));
        assert_eq!(n("°C 0..5"), Ok(NumberSpec { unit: "°C".into(), min: Some(0.0), max: Some(5.0) }));
        assert_eq!(n("kg"), Ok(NumberSpec { unit: "kg".into(), min: None, max: None }));
        assert_eq!(n("..120"), Ok(NumberSpec { unit: String::new(), min: None, max: Some(120.0) }));
        assert_eq!(n("% 10.."), Ok(NumberSpec { unit: "%".into(), min: Some(10.0), max: None }));
        assert_eq!(n(""), Ok(NumberSpec::default()));
        assert!(n("°C 5..0").expect_err("empty").contains("is empty"));
        assert!(n("°C a..5").expect_err("nan").contains("not a number"));
        assert_eq!(n("°C 0..5").expect("ok").range_words(), "0–5 °C");
    }

    #[test]
    fn misfit_is_what_judge_refuses() {
        let kinds = [
            (StepKind::Number, "°C 2..8"),
            (StepKind::Number, ""),
            (StepKind::Choice, "Pass | Fail!"),
            (StepKind::Text, ""),
            (StepKind::Signoff, ""),
            (StepKind::Check, ""),
            (StepKind::Section, ""),
            (StepKind::Date, ""),
        ];
        let values = ["", " 3.5 ", "9", "1,000", "3,5", "abc", "fail", "Pass", "2026-02-30", "2026-02-28", "x"];
        for (kind, text) in kinds {
            let o = Options::parse(kind, text).expect("options");
            for v in values {
                assert_eq!(misfit(kind, &o, v), judge(kind, &o, v).err(), "{kind:?} {text:?} {v:?}");
            }
        }
    }

    #[test]
    fn a_thousands_comma_is_ambiguous_and_a_decimal_comma_is_not() {
        let o = Options::parse(StepKind::Number, "kg").expect("ok");
        let e = judge(StepKind::Number, &o, "1,000").expect_err("ambiguous");
        assert_eq!(e, "\"1,000\" is ambiguous: write 1000 for the thousands or 1 with a decimal point");
        assert!(judge(StepKind::Number, &o, "-12,500").expect_err("ambiguous").contains("-12500"));
        assert_eq!(judge(StepKind::Number, &o, "3,5"), Ok(Judged::Ok));
        assert_eq!(judge(StepKind::Number, &o, "1,25"), Ok(Judged::Ok));
    }

    #[test]
    fn operator_typos_are_refused_not_read_as_values() {
        for typo in ["18 == 3", "18 => 3", "18 <> 3", "18 =< 3", "18 !== 3", "18 >> 3"] {
            let e = Condition::parse(typo).expect_err(typo);
            assert!(e.contains("is not an operator"), "{typo}: {e}");
        }
        assert_eq!(Condition::parse("18 >= 3").expect("ok").op, Op::Ge);
        assert_eq!(Condition::parse("18 != -3").expect("ok").value, "-3");
        assert_eq!(Condition::parse("18 in a|b").expect("ok").value, "a|b");
    }

    #[test]
    fn choices_parse_and_flag() {
        let o = Options::parse(StepKind::Choice, "Pass|!Fail|N/A").expect("ok");
        assert_eq!(o.choices().len(), 3);
        assert_eq!(judge(StepKind::Choice, &o, "fail"), Ok(Judged::Flagged("answer Fail is flagged".into())));
        assert_eq!(judge(StepKind::Choice, &o, "Pass"), Ok(Judged::Ok));
        assert!(judge(StepKind::Choice, &o, "Maybe").is_err());
        assert!(Options::parse(StepKind::Choice, " | ").is_err());
        assert!(Options::parse(StepKind::Text, "x").is_err());
    }

    #[test]
    fn values_are_judged_by_kind() {
        let o = Options::parse(StepKind::Number, "°C 0..5").expect("ok");
        assert_eq!(judge(StepKind::Number, &o, "3.5"), Ok(Judged::Ok));
        assert_eq!(judge(StepKind::Number, &o, "7"), Ok(Judged::Flagged("outside 0–5 °C".into())));
        assert!(judge(StepKind::Number, &o, "abc").is_err());
        assert!(judge(StepKind::Date, &Options::None, "2026-13-01").is_err());
        assert_eq!(judge(StepKind::Date, &Options::None, "2026-12-01"), Ok(Judged::Ok));
        assert!(judge(StepKind::Check, &Options::None, "x").is_err());
    }

    #[test]
    fn is_flagged_says_what_judge_says() {
        let cases = [
            (StepKind::Number, "°C 0..5"),
            (StepKind::Number, "..120"),
            (StepKind::Number, "kg"),
            (StepKind::Choice, "Pass|!Fail|N/A"),
            (StepKind::Text, ""),
            (StepKind::Check, ""),
            (StepKind::Date, ""),
        ];
        let values = [
            "",
            " 3.5 ",
            "7",
            "-1",
            "3,5",
            "1,000",
            "-2,500",
            "abc",
            "fail",
            " Pass",
            "n/a",
            "Maybe",
            "2026-12-01",
            "121",
        ];
        for (kind, text) in cases {
            let o = Options::parse(kind, text).expect("options");
            for v in values {
                let judged = matches!(judge(kind, &o, v), Ok(Judged::Flagged(_)));
                assert_eq!(is_flagged(kind, &o, v), judged, "{kind:?} {text:?} {v:?}");
                assert!(o.can_flag() || !judged, "{kind:?} {text:?} {v:?}: flagged, yet cannot flag");
            }
        }
        let can = |kind, text| Options::parse(kind, text).expect("options").can_flag();
        assert!(can(StepKind::Number, "°C 0..5") && can(StepKind::Number, "..120") && can(StepKind::Number, "3.."));
        assert!(!can(StepKind::Number, "kg") && !can(StepKind::Number, ""));
        assert!(can(StepKind::Choice, "Pass|!Fail") && !can(StepKind::Choice, "Pass|Fail"));
        assert!(!can(StepKind::Text, ""));
        let o = Options::parse(StepKind::Number, "°C 0..5").expect("ok");
        assert!(is_flagged(StepKind::Number, &o, "7") && !is_flagged(StepKind::Number, &o, "4,5"));
    }

    #[test]
    fn conditions_parse_and_hold() {
        let c = Condition::parse("12 = No").expect("ok");
        assert_eq!((c.step, c.op, c.value.as_str()), (StepId(12), Op::Eq, "No"));
        assert!(c.holds(Some("no")) && !c.holds(Some("Yes")) && !c.holds(None));
        let c = Condition::parse("3 >= 4.5").expect("ok");
        assert!(c.holds(Some("10")) && !c.holds(Some("4")));
        let c = Condition::parse("3 in Fail|N/A").expect("ok");
        assert!(c.holds(Some("N/A")) && !c.holds(Some("Pass")));
        assert_eq!(c.text(), "3 in Fail|N/A");
        assert!(Condition::parse("x = 1").is_err());
        assert!(Condition::parse("3 ~ 1").is_err());
        assert!(Condition::parse("3 =").is_err());
        assert_eq!(Condition::parse("7 != Yes").expect("ok").words("Fryer on?"), "only if “Fryer on?” is not Yes");
    }
}
