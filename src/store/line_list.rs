//! The file line of each row of a table, kept as a run while the lines follow on.
//!
//! A file as the app writes it has its records on lines 2, 3, 4, …: five million run
//! steps need no 20 MB list to say so. The list is written out only from the first row
//! that breaks the run (a blank line, a record over several lines, a row dropped for a
//! problem, rows sorted into place).

/// The lines of a table's rows, in row order (see the module).
#[derive(Clone, Debug)]
pub(crate) enum LineList {
    /// `len` rows on lines `first`, `first + 1`, …
    Run { first: u64, len: usize },
    /// Each row's line.
    Listed(Vec<u32>),
}

impl Default for LineList {
    fn default() -> Self {
        Self::Run { first: 0, len: 0 }
    }
}

/// A line as stored in a list (saturating: a file of over 4 billion lines is not a
/// data folder).
fn stored(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

impl LineList {
    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Run { len, .. } => *len,
            Self::Listed(v) => v.len(),
        }
    }

    /// The line of row `index`.
    pub(crate) fn get(&self, index: usize) -> Option<u64> {
        match self {
            Self::Run { first, len } => (index < *len).then(|| u64::from(stored(first + index as u64))),
            Self::Listed(v) => v.get(index).map(|&l| u64::from(l)),
        }
    }

    /// Each row's line, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(0))
    }

    /// The list written out (for a change that breaks the run).
    fn listed(&mut self) -> &mut Vec<u32> {
        if let Self::Run { first, len } = *self {
            *self = Self::Listed((0..len as u64).map(|i| stored(first + i)).collect());
        }
        match self {
            Self::Listed(v) => v,
            Self::Run { .. } => unreachable!("written out above"),
        }
    }

    /// The next row's line.
    pub(crate) fn push(&mut self, line: u64) {
        match self {
            Self::Run { first, len } if *len == 0 => (*first, *len) = (line, 1),
            Self::Run { first, len } if *first + *len as u64 == line => *len += 1,
            _ => self.listed().push(stored(line)),
        }
    }

    /// Every line `by` further on (a part of a file counted from its own start).
    pub(crate) fn shift(&mut self, by: u64) {
        match self {
            Self::Run { first, .. } => *first = first.saturating_add(by),
            Self::Listed(v) => v.iter_mut().for_each(|l| *l = stored(u64::from(*l) + by)),
        }
    }

    /// The rows of `other` after these.
    pub(crate) fn append(&mut self, other: Self) {
        match (&mut *self, other) {
            (_, Self::Run { len: 0, .. }) => {}
            (Self::Run { len: 0, .. }, other) => *self = other,
            (Self::Run { first, len }, Self::Run { first: f2, len: l2 }) if *first + *len as u64 == f2 => *len += l2,
            (_, other) => {
                let more: Vec<u32> = match other {
                    Self::Listed(v) => v,
                    run => run.iter().map(stored).collect(),
                };
                super::read::append_moving(self.listed(), more);
            }
        }
    }

    /// The lines as a list (tests).
    #[cfg(test)]
    pub(crate) fn to_vec(&self) -> Vec<u64> {
        self.iter().collect()
    }
}

/// The same lines, however kept.
impl PartialEq for LineList {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// A list from lines (the tests build their cases so).
#[cfg(test)]
impl FromIterator<u64> for LineList {
    fn from_iter<I: IntoIterator<Item = u64>>(lines: I) -> Self {
        let mut out = Self::default();
        lines.into_iter().for_each(|l| out.push(l));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_stays_a_run_and_anything_else_is_listed_alike() {
        let cases: [&[u64]; 6] = [
            &[],
            &[2, 3, 4, 5],
            &[2, 3, 5, 6],
            &[7, 2, 3],
            &[2, 2],
            &[u64::from(u32::MAX) - 1, u64::from(u32::MAX), 1 << 40],
        ];
        for lines in cases {
            let list: LineList = lines.iter().copied().collect();
            let want: Vec<u64> = lines.iter().map(|&l| u64::from(stored(l))).collect();
            assert_eq!(list.to_vec(), want, "{lines:?}");
            assert_eq!(list.len(), lines.len());
            assert_eq!(list.get(lines.len()), None);
            for split in 0..=lines.len() {
                // Cut anywhere, the second part counted from its own start, shifted, joined.
                let (a, b) = lines.split_at(split);
                let base = b.iter().copied().min().unwrap_or(0).min(3);
                let mut first: LineList = a.iter().copied().collect();
                let mut second: LineList = b.iter().map(|l| l - base).collect();
                second.shift(base);
                first.append(second);
                assert_eq!(first.to_vec(), want, "{lines:?} cut at {split}");
            }
        }
        assert!(matches!([2, 3, 4].into_iter().collect::<LineList>(), LineList::Run { first: 2, len: 3 }));
    }
}
