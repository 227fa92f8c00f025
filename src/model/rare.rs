//! The rare parts of a row (notes, a recorded value, a run's title, unknown columns, a
//! time that does not fit the row) behind one word of it: nothing, a short value kept in
//! the word itself, or a box.

use super::rows::Extra;
use super::timestamp::Timestamp;

/// The rare parts of a run or run step: notes, a run step's value, a run's title (their
/// text one after the other), and rarer still, unknown columns and a run's schedule.
///
/// 40 bytes, one allocation of 48 when the text is short (a recorded number or answer:
/// hundreds of thousands at Year-1 scale): a struct of a box per part took 96 bytes and a
/// second allocation per value.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Rare {
    text: Packed,
    /// Where the notes end and where the value ends in `text` (the title follows).
    cuts: [u32; 2],
    rarer: Option<Box<Rarer>>,
}

/// Unknown columns' values and the occurrence a run was started for.
#[derive(Clone, Debug, Default, PartialEq)]
struct Rarer {
    extra: Extra,
    /// A run's occurrence; a run step's tick when it does not pack into the row.
    time: Option<Timestamp>,
}

/// A text kept in place when it is short, else in a box of its own. Always built by
/// [`Packed::new`], so one text has one form (the derived equality compares forms).
#[derive(Clone, Debug, PartialEq)]
enum Packed {
    Inline(u8, [u8; Packed::INLINE]),
    Boxed(Box<str>),
}

impl Default for Packed {
    fn default() -> Self {
        Self::Inline(0, [0; Self::INLINE])
    }
}

impl Packed {
    /// Bytes kept in place (the enum is then as big as a boxed text and its tag).
    const INLINE: usize = 22;

    fn new(text: &str) -> Self {
        match u8::try_from(text.len()) {
            Ok(n) if usize::from(n) <= Self::INLINE => {
                let mut bytes = [0; Self::INLINE];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                Self::Inline(n, bytes)
            }
            _ => Self::Boxed(text.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Inline(n, bytes) => {
                let bytes = bytes.get(..usize::from(*n)).unwrap_or_default();
                debug_assert!(std::str::from_utf8(bytes).is_ok());
                // SAFETY: an `Inline` is only made by `new`, from the bytes of a `&str`,
                // whole (`n` is its length), and never changed: they are UTF-8.
                unsafe { std::str::from_utf8_unchecked(bytes) }
            }
            Self::Boxed(text) => text,
        }
    }
}

impl Rare {
    /// The parts as given; `None` when all are empty.
    fn of(notes: &str, value: &str, title: &str, extra: Extra, time: Option<Timestamp>) -> Option<Box<Self>> {
        let rarer = (!extra.is_empty() || time.is_some()).then(|| Box::new(Rarer { extra, time }));
        if notes.is_empty() && value.is_empty() && title.is_empty() && rarer.is_none() {
            return None;
        }
        let text = match (notes.is_empty(), title.is_empty()) {
            (true, true) => Packed::new(value),
            _ => Packed::new(&[notes, value, title].concat()),
        };
        // A field is at most `MAX_FIELD_BYTES` long: the cuts fit (and `part` never
        // panics if they did not).
        let cut = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Some(Box::new(Self { text, cuts: [cut(notes.len()), cut(notes.len() + value.len())], rarer }))
    }

    /// Part `i` of the text: the notes, the value, the title.
    fn part(&self, i: usize) -> &str {
        let [a, b] = self.cuts.map(|c| c as usize);
        let (from, to) = match i {
            0 => (0, a),
            1 => (a, b),
            _ => (b, usize::MAX),
        };
        // An empty part (the value of a row with notes only) without reading the text.
        if from == to {
            return "";
        }
        let text = self.text.as_str();
        text.get(from..to.min(text.len())).unwrap_or("")
    }

    fn extra(&self) -> &[Box<str>] {
        self.rarer.as_ref().map_or(&[], |r| &r.extra)
    }

    fn time(&self) -> Option<Timestamp> {
        self.rarer.as_ref().and_then(|r| r.time)
    }
}

/// The rare parts unpacked, to change one.
#[derive(Default)]
pub(super) struct Parts {
    pub notes: String,
    pub value: String,
    pub title: String,
    pub extra: Extra,
    pub time: Option<Timestamp>,
}

impl Parts {
    /// The parts of `more` (left empty).
    pub(super) fn of(more: &mut More) -> Self {
        if let Some(m) = more.take_box() {
            return Self {
                notes: m.part(0).to_owned(),
                value: m.part(1).to_owned(),
                title: m.part(2).to_owned(),
                time: m.time(),
                extra: m.rarer.map(|r| r.extra).unwrap_or_default(),
            };
        }
        let value = more.part(1).to_owned();
        more.word = 0;
        Self { value, ..Self::default() }
    }

    pub(super) fn pack(self) -> More {
        More::of(&self.notes, &self.value, &self.title, self.extra, self.time)
    }
}

/// What a [`More`] word holds.
#[derive(Debug, PartialEq)]
enum Kind {
    None,
    Inline,
    Boxed,
}

/// The rare parts of a row in one word: 0 when there are none; a value of up to
/// [`More::INLINE`] bytes and nothing else kept in the word itself (its lowest bit set,
/// the length beside it, the bytes in the rest); else the address of a `Box<Rare>` (whose
/// lowest bit is clear: `Rare` is aligned to at least 2).
///
/// Most recorded values are a short number or answer ("3.5", "Yes"): in the row they
/// cost no allocation, no page of heap and no second cache miss when read (hundreds of
/// thousands at Year-1 scale). A value has one form (inline exactly when it fits and
/// nothing else is kept), so rows compare by their words' contents.
pub(super) struct More {
    word: usize,
}

const _: () = assert!(std::mem::align_of::<Rare>() >= 2);

impl More {
    /// Nothing kept.
    pub(super) const NONE: Self = Self { word: 0 };

    /// The most bytes of a value kept in the word (the rest of the word after its tag).
    const INLINE: usize = std::mem::size_of::<usize>() - 1;

    /// Where the tag byte (the word's lowest) sits in memory, and where the text starts.
    const TAG_AT: usize = if cfg!(target_endian = "little") { 0 } else { Self::INLINE };
    const TEXT_AT: usize = if cfg!(target_endian = "little") { 1 } else { 0 };

    /// The parts as given.
    pub(super) fn of(notes: &str, value: &str, title: &str, extra: Extra, time: Option<Timestamp>) -> Self {
        if notes.is_empty() && title.is_empty() && extra.is_empty() && time.is_none() && value.len() <= Self::INLINE {
            if value.is_empty() {
                return Self::NONE;
            }
            let mut bytes = [0u8; std::mem::size_of::<usize>()];
            bytes[Self::TAG_AT] = ((value.len() as u8) << 1) | 1;
            bytes[Self::TEXT_AT..Self::TEXT_AT + value.len()].copy_from_slice(value.as_bytes());
            return Self { word: usize::from_ne_bytes(bytes) };
        }
        match Rare::of(notes, value, title, extra, time) {
            None => Self::NONE,
            Some(rare) => Self { word: Box::into_raw(rare).expose_provenance() },
        }
    }

    fn kind(word: usize) -> Kind {
        match word {
            0 => Kind::None,
            w if w & 1 == 1 => Kind::Inline,
            _ => Kind::Boxed,
        }
    }

    /// The text kept in an inline `word` (borrowed from it).
    fn inline_text(word: &usize) -> &str {
        let len = usize::from(word.to_ne_bytes()[Self::TAG_AT] >> 1).min(Self::INLINE);
        // SAFETY: `word` is a live usize: its bytes are readable for its lifetime, and
        // `TEXT_AT + len` is within them (len <= INLINE).
        let bytes =
            unsafe { std::slice::from_raw_parts(std::ptr::from_ref(word).cast::<u8>().add(Self::TEXT_AT), len) };
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: an inline word is only made by `of`, from the whole bytes of a `&str`
        // (its length beside them), and never changed: they are UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// The box, when the parts are in one.
    fn rare(&self) -> Option<&Rare> {
        match Self::kind(self.word) {
            // SAFETY: a boxed word is the address of a live `Box<Rare>` owned by `self`
            // (exposed by `of`), borrowed for as long as `self` is.
            Kind::Boxed => Some(unsafe { &*std::ptr::with_exposed_provenance::<Rare>(self.word) }),
            _ => None,
        }
    }

    /// The box, now owned by the caller (`self` then keeps nothing); `None` when the
    /// parts are not in a box (then `self` is unchanged).
    fn take_box(&mut self) -> Option<Box<Rare>> {
        if Self::kind(self.word) != Kind::Boxed {
            return None;
        }
        let word = std::mem::replace(&mut self.word, 0);
        // SAFETY: a boxed word is the address of a `Box<Rare>` made by `of` (exposed
        // there) and owned by `self` alone; `self` no longer holds it.
        Some(unsafe { Box::from_raw(std::ptr::with_exposed_provenance_mut::<Rare>(word)) })
    }

    /// Nothing is kept.
    pub(super) fn is_none(&self) -> bool {
        self.word == 0
    }

    /// Part `i`: the notes, the value, the title.
    pub(super) fn part(&self, i: usize) -> &str {
        match Self::kind(self.word) {
            Kind::Inline if i == 1 => Self::inline_text(&self.word),
            _ => self.rare().map_or("", |m| m.part(i)),
        }
    }

    /// Unknown columns' values.
    pub(super) fn extra(&self) -> &[Box<str>] {
        self.rare().map_or(&[], Rare::extra)
    }

    /// The time kept behind the word.
    pub(super) fn time(&self) -> Option<Timestamp> {
        self.rare().and_then(Rare::time)
    }

    /// Start fetching the box into the cache (see [`crate::memory::prefetch`]).
    pub(super) fn prefetch(&self) {
        if Self::kind(self.word) == Kind::Boxed {
            crate::memory::prefetch(std::ptr::with_exposed_provenance::<Rare>(self.word));
        }
    }

    /// Start fetching the rarer parts, once the box is in cache.
    pub(super) fn prefetch_rarer(&self) {
        if let Some(r) = self.rare().and_then(|m| m.rarer.as_ref()) {
            crate::memory::prefetch(&**r);
        }
    }
}

impl Drop for More {
    fn drop(&mut self) {
        drop(self.take_box());
    }
}

impl Clone for More {
    fn clone(&self) -> Self {
        match self.rare() {
            Some(rare) => Self { word: Box::into_raw(Box::new(rare.clone())).expose_provenance() },
            // Nothing, or bytes in the word: copied with it.
            None => Self { word: self.word },
        }
    }
}

impl PartialEq for More {
    fn eq(&self, other: &Self) -> bool {
        match (self.rare(), other.rare()) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.word == other.word,
            _ => false,
        }
    }
}

impl std::fmt::Debug for More {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.rare() {
            Some(rare) => rare.fmt(f),
            None if self.is_none() => f.write_str("None"),
            None => f.debug_tuple("Inline").field(&Self::inline_text(&self.word)).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_value_alone_is_kept_in_the_word_and_everything_reads_back() {
        let at = Some(Timestamp::from_wall_secs(1_764_000_000));
        for value in ["", "1", "3.5", "Yes", "1234567", "12345678", "ä", "äöü1", "äöüß", "a value too long for a word"]
        {
            let m = More::of("", value, "", Box::default(), None);
            let fits = !value.is_empty() && value.len() <= More::INLINE;
            assert_eq!(More::kind(m.word) == Kind::Inline, fits, "{value}");
            assert_eq!((m.part(0), m.part(1), m.part(2), m.extra().len(), m.time()), ("", value, "", 0, None));
            assert_eq!(m.is_none(), value.is_empty());
            let copy = m.clone();
            assert_eq!((&copy, copy.part(1)), (&m, value));
            // Beside anything else, the value goes into the box, and reads back the same.
            for other in [
                More::of("n", value, "", Box::default(), None),
                More::of("", value, "web-01", Box::default(), None),
                More::of("", value, "", Box::new([Box::from("x")]), None),
                More::of("", value, "", Box::default(), at),
            ] {
                assert_eq!(More::kind(other.word), Kind::Boxed);
                assert_eq!(other.part(1), value);
                assert_ne!(other, m);
                assert_eq!(other.clone(), other);
            }
            // Taken apart, the word keeps nothing; packed again, the same form.
            let mut taken = m.clone();
            let parts = Parts::of(&mut taken);
            assert!(taken.is_none());
            assert_eq!(parts.value, value);
            assert_eq!(parts.pack(), m);
            if fits {
                assert_eq!(format!("{m:?}"), format!("Inline({value:?})"));
            }
        }
    }
}
