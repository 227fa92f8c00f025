//! The search's prefilter: one bitmap over the rows per byte and byte pair.

/// Which rows' texts hold which bytes and byte pairs, as one bitmap over the rows per
/// gram: every byte (256), every pair of lowercase letters and digits exactly (36 × 36),
/// other pairs hashed (256). The rows that can contain a word are the AND of its grams'
/// bitmaps, a few thousand word operations at 10,000 rows; for a word of one byte, or
/// two letters or digits, that is exact.
#[derive(Clone, Debug, Default)]
pub(super) struct GramIndex {
    /// Rows.
    len: usize,
    /// `u64`s per bitmap.
    stride: usize,
    /// The bitmaps, gram after gram.
    bits: Vec<u64>,
}

/// Number of grams: pairs (exact, then hashed), then bytes.
const GRAMS: usize = PAIR_GRAMS + 256;
const PAIR_GRAMS: usize = 36 * 36 + 256;

/// Position of a letter or digit among the 36, if it is one.
fn alnum(b: u8) -> Option<usize> {
    match b {
        b'a'..=b'z' => Some(usize::from(b - b'a')),
        b'0'..=b'9' => Some(26 + usize::from(b - b'0')),
        _ => None,
    }
}

/// The gram of a byte pair: exact for two letters or digits, else hashed.
fn pair_gram(a: u8, b: u8) -> usize {
    match (alnum(a), alnum(b)) {
        (Some(x), Some(y)) => x * 36 + y,
        _ => 36 * 36 + ((usize::from(a) * 131 + usize::from(b)) & 255),
    }
}

/// The grams of a text, each once, in order.
fn grams_of(text: &[u8]) -> Vec<usize> {
    let mut g: Vec<usize> = text.iter().map(|b| PAIR_GRAMS + usize::from(*b)).collect();
    g.extend(text.windows(2).map(|w| pair_gram(w[0], w[1])));
    g.sort_unstable();
    g.dedup();
    g
}

/// Whether a row holding all of the word's grams surely contains the word.
pub(super) fn exact(word: &[u8]) -> bool {
    word.len() == 1 || (word.len() == 2 && alnum(word[0]).is_some() && alnum(word[1]).is_some())
}

/// A set of rows.
#[derive(Debug)]
pub(super) struct RowSet(Vec<u64>);

impl RowSet {
    pub(super) fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

impl GramIndex {
    pub(super) fn of<'a>(texts: impl ExactSizeIterator<Item = &'a [u8]>) -> Self {
        let stride = texts.len().div_ceil(64);
        let mut index = Self { len: texts.len(), stride, bits: vec![0; GRAMS * stride] };
        let mut seen = vec![false; GRAMS];
        for (i, text) in texts.enumerate() {
            index.add(i, text, &mut seen);
        }
        index
    }

    /// Sets row `i`'s bits of `text` (`seen` is all false, and is left so).
    fn add(&mut self, i: usize, text: &[u8], seen: &mut [bool]) {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let mut set = |g: usize| {
            if !seen[g] {
                seen[g] = true;
                self.bits[g * self.stride + word] |= bit;
            }
        };
        text.iter().for_each(|b| set(PAIR_GRAMS + usize::from(*b)));
        text.windows(2).for_each(|w| set(pair_gram(w[0], w[1])));
        text.iter().for_each(|b| seen[PAIR_GRAMS + usize::from(*b)] = false);
        text.windows(2).for_each(|w| seen[pair_gram(w[0], w[1])] = false);
    }

    /// Row `i` now holds `text`.
    pub(super) fn set_row(&mut self, i: usize, text: &[u8]) {
        if i >= self.len {
            return;
        }
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        for g in 0..GRAMS {
            self.bits[g * self.stride + word] &= !bit;
        }
        self.add(i, text, &mut vec![false; GRAMS]);
    }

    /// The rows that may contain every word (exactly those, for [`exact`] words).
    pub(super) fn candidates<'a>(&self, words: impl Iterator<Item = &'a [u8]>) -> RowSet {
        let mut set = vec![u64::MAX; self.stride];
        if !self.len.is_multiple_of(64)
            && let Some(last) = set.last_mut()
        {
            *last = (1 << (self.len % 64)) - 1;
        }
        for word in words {
            for g in grams_of(word) {
                let column = &self.bits[g * self.stride..(g + 1) * self.stride];
                set.iter_mut().zip(column).for_each(|(s, c)| *s &= c);
            }
        }
        RowSet(set)
    }
}

#[cfg(test)]
mod tests {
    use super::{GramIndex, exact};

    fn substrings(text: &[u8]) -> impl Iterator<Item = &[u8]> {
        (0..text.len())
            .flat_map(move |start| (start + 1..=text.len().min(start + 12)).map(move |end| &text[start..end]))
    }

    #[test]
    fn grams_never_rule_out_a_substring_and_are_exact_for_two_letters() {
        let texts: [&[u8]; 3] = [
            "check extinguisher pressure gauges — étiquettes, 2ème étage\ntest the alarm".as_bytes(),
            b"open the till\ncount the float",
            b"",
        ];
        let mut index = GramIndex::of(texts.iter().copied());
        for (i, text) in texts.iter().enumerate() {
            for sub in substrings(text) {
                assert!(index.candidates([sub].into_iter()).get(i), "{i} {:?}", sub);
            }
        }
        assert!(!index.candidates([&b"y"[..]].into_iter()).get(0), "no y at all");
        assert!(!index.candidates([&b"zz"[..]].into_iter()).get(0));
        assert!(!index.candidates([&b"e"[..]].into_iter()).get(2), "the empty text holds nothing");
        assert!(!index.candidates([&b"e"[..]].into_iter()).get(3), "no such row");
        // Two letters: exact both ways, for one word and for two.
        for a in b'a'..=b'z' {
            for b in b'a'..=b'z' {
                let word = [a, b];
                assert!(exact(&word));
                for (i, text) in texts.iter().enumerate() {
                    let has = text.windows(2).any(|w| w == word);
                    assert_eq!(index.candidates([&word[..]].into_iter()).get(i), has, "{}{}", a as char, b as char);
                    let both = has && text.windows(2).any(|w| w == b"ti");
                    assert_eq!(index.candidates([&word[..], b"ti"].into_iter()).get(i), both);
                }
            }
        }
        // A row changed: its old grams go, its new ones come; the others stay.
        index.set_row(1, b"zebra");
        assert!(index.candidates([&b"zeb"[..]].into_iter()).get(1));
        assert!(!index.candidates([&b"till"[..]].into_iter()).get(1));
        assert!(index.candidates([&b"alarm"[..]].into_iter()).get(0));
    }
}
