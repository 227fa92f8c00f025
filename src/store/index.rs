//! The indexes of a `Dataset`: id maps with a cheap hash, run → run-step ranges, groupings.

use crate::model::*;
use std::collections::HashMap;

/// A map keyed by row ids, with a multiplicative hash: ids are small integers from
/// local files (no hash flooding to fear), and SipHash was a third of indexing.
pub(crate) type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// Fibonacci hashing of the integers written into it.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Where the run steps of each run are, without a map entry or a vector per run.
///
/// Run steps of one run are made together, so in an id-sorted table they sit
/// together: per run (aligned with the rows of `runs`) a range of `run_steps` rows.
/// A file edited by hand may scatter them; then `scattered` lists `run_steps` row
/// positions grouped by run, and the ranges point into it.
#[derive(Clone, Debug, Default)]
pub(super) struct RunStepIndex {
    pub(super) spans: Vec<(u32, u32)>,
    pub(super) scattered: Option<Vec<u32>>,
}

impl RunStepIndex {
    pub(super) fn build(runs: &[Run], run_steps: &[RunStep]) -> Self {
        let mut spans = vec![(0u32, 0u32); runs.len()];
        let mut cursor = 0usize;
        let mut contiguous = true;
        let mut i = 0;
        while i < run_steps.len() {
            let run = run_steps[i].run_id;
            let mut j = i + 1;
            while j < run_steps.len() && run_steps[j].run_id == run {
                j += 1;
            }
            // Runs come in id order too, mostly: try the next run before searching.
            let at = if runs.get(cursor).is_some_and(|r| r.id == run) {
                Some(cursor)
            } else {
                runs.binary_search_by_key(&run, |r| r.id).ok()
            };
            if let Some(at) = at {
                if spans[at].1 > spans[at].0 {
                    contiguous = false;
                    break;
                }
                spans[at] = (i as u32, j as u32);
                cursor = at + 1;
            }
            i = j;
        }
        if contiguous {
            return Self { spans, scattered: None };
        }
        // Counting sort of row positions by run position.
        let run_pos = |rs: &RunStep| runs.binary_search_by_key(&rs.run_id, |r| r.id).ok();
        let mut counts = vec![0u32; runs.len() + 1];
        for rs in run_steps {
            if let Some(p) = run_pos(rs) {
                counts[p + 1] += 1;
            }
        }
        for p in 1..counts.len() {
            counts[p] += counts[p - 1];
        }
        let spans: Vec<(u32, u32)> = (0..runs.len()).map(|p| (counts[p], counts[p + 1])).collect();
        let mut next: Vec<u32> = counts[..runs.len()].to_vec();
        let mut positions = vec![0u32; counts[runs.len()] as usize];
        for (i, rs) in run_steps.iter().enumerate() {
            if let Some(p) = run_pos(rs) {
                positions[next[p] as usize] = i as u32;
                next[p] += 1;
            }
        }
        Self { spans, scattered: Some(positions) }
    }
}

/// The run steps of one run, in id order (see [`Dataset::run_steps_of`]).
#[derive(Clone, Debug)]
pub enum RunStepsOf<'a> {
    /// Rows next to each other.
    Rows(std::slice::Iter<'a, RunStep>),
    /// Rows at these positions.
    Scattered(&'a [RunStep], std::slice::Iter<'a, u32>),
}

impl<'a> Iterator for RunStepsOf<'a> {
    type Item = &'a RunStep;

    fn next(&mut self) -> Option<&'a RunStep> {
        match self {
            Self::Rows(it) => it.next(),
            Self::Scattered(rows, it) => it.next().map(|&i| &rows[i as usize]),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            Self::Rows(it) => it.len(),
            Self::Scattered(_, it) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for RunStepsOf<'_> {}

impl RunStepsOf<'_> {
    /// Start fetching the rows into the cache, every line of them (see
    /// [`crate::memory::prefetch`]).
    pub fn prefetch(&self) {
        match self {
            Self::Rows(it) => {
                let rows = it.as_slice();
                let (start, bytes) = (rows.as_ptr().cast::<u8>(), std::mem::size_of_val(rows));
                for at in (0..bytes).step_by(64) {
                    crate::memory::prefetch(start.wrapping_add(at));
                }
                if bytes > 0 {
                    crate::memory::prefetch(start.wrapping_add(bytes - 1));
                }
            }
            Self::Scattered(rows, it) => {
                for &i in it.as_slice() {
                    if let Some(r) = rows.get(i as usize) {
                        crate::memory::prefetch(r);
                    }
                }
            }
        }
    }
}

/// Ids grouped by procedure, each group sorted by its key (step order, version number)
/// then id: one sort per procedure, no lookup per comparison.
pub(super) fn grouped_by<I: Copy + Ord>(
    items: impl Iterator<Item = (ProcedureId, (u32, I))>,
) -> IdMap<ProcedureId, Vec<I>> {
    let mut groups: IdMap<ProcedureId, Vec<(u32, I)>> = IdMap::default();
    for (pid, keyed) in items {
        groups.entry(pid).or_default().push(keyed);
    }
    groups
        .into_iter()
        .map(|(pid, mut v)| {
            v.sort_unstable();
            (pid, v.into_iter().map(|(_, id)| id).collect())
        })
        .collect()
}

pub(super) fn set_or_remove<K: std::hash::Hash + Eq, V>(map: &mut IdMap<K, Vec<V>>, key: K, v: Vec<V>) {
    if v.is_empty() {
        map.remove(&key);
    } else {
        map.insert(key, v);
    }
}
