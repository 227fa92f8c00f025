//! Metrics, exactly as DESIGN.md's "Analytics semantics" defines them. The CLI's
//! `stats` and the Analytics view both use these functions.

pub mod background;
pub mod history;
mod report;
pub mod schedule;
pub mod search;
mod stats;
mod time;
mod timeline;
mod values;
mod worker;

pub use report::*;
pub use stats::*;
pub use time::*;
pub use values::{AnswerCount, StepValues, step_values};
pub use worker::{ReportKey, Worker};

/// The `p`-quantile (0..=1) of sorted values, interpolating linearly between the
/// closest ranks (numpy's default). `None` for no values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let pos = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// [`percentile`] of values in any order, by selection (linear time, no sort; the same
/// number as sorting first). The values are reordered.
pub fn percentile_of(values: &mut [f64], p: f64) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let pos = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let (_, at_lo, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let at_lo = *at_lo;
    // The next rank up is the least of the values placed above the selected one.
    let at_hi = if hi == lo { at_lo } else { above.iter().copied().min_by(f64::total_cmp)? };
    Some(at_lo + (at_hi - at_lo) * (pos - lo as f64))
}

/// The `low`- and `high`-quantiles (`low` ≤ `high`, each 0..=1) of whole seconds in any
/// order, as [`percentile`] gives them on the values sorted as `f64`; `None` for none.
/// One selection serves both (the higher rank is searched for only among the values above
/// the lower one), and on integers: a comparison of two `f64` by their total order took
/// several instructions, and the bottlenecks' quantiles were an eighth of `stats`' compute.
/// The values are reordered.
pub fn quantiles_of(values: &mut [i64], low: f64, high: f64) -> Option<(f64, f64)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let rank = |p: f64| {
        let pos = (n - 1) as f64 * p.clamp(0.0, 1.0);
        (pos.floor() as usize, pos.ceil() as usize, pos - pos.floor())
    };
    // As `percentile` computes it from the two values as f64 (the same number).
    let between = |a: i64, b: i64, frac: f64| a as f64 + (b as f64 - a as f64) * frac;
    let ((lo1, hi1, f1), (lo2, hi2, f2)) = (rank(low), rank(high.max(low)));
    let (_, at_lo1, above1) = values.select_nth_unstable(lo1);
    let at_lo1 = *at_lo1;
    // The next rank up is the least of the values placed above the selected one.
    let least = |above: &[i64]| above.iter().copied().min();
    let first = between(at_lo1, if hi1 == lo1 { at_lo1 } else { least(above1)? }, f1);
    if lo2 == lo1 {
        return Some((first, between(at_lo1, if hi2 == lo2 { at_lo1 } else { least(above1)? }, f2)));
    }
    let (_, at_lo2, above2) = above1.select_nth_unstable(lo2 - lo1 - 1);
    let at_lo2 = *at_lo2;
    Some((first, between(at_lo2, if hi2 == lo2 { at_lo2 } else { least(above2)? }, f2)))
}

/// [`median`] of values in any order (reordered).
pub fn median_of(values: &mut [f64]) -> Option<f64> {
    percentile_of(values, 0.5)
}

/// Median of sorted values.
pub fn median(sorted: &[f64]) -> Option<f64> {
    percentile(sorted, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(median(&v), Some(2.5));
        // numpy.percentile([1,2,3,4], 90) == 3.7
        assert!((percentile(&v, 0.9).unwrap() - 3.7).abs() < 1e-9);
        assert_eq!(percentile(&[5.0], 0.9), Some(5.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    /// Selection gives the number sorting gives, for every size and quantile.
    #[test]
    fn selection_gives_the_sorted_quantiles() {
        let mut seed = 7_u64;
        for n in 0..60 {
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    ((seed >> 40) % 50) as f64 - 10.0
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            for p in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
                let mut v = values.clone();
                assert_eq!(percentile_of(&mut v, p), percentile(&sorted, p), "n {n} p {p}");
            }
            let whole: Vec<i64> = values.iter().map(|v| *v as i64).collect();
            for (low, high) in [(0.5, 0.9), (0.0, 1.0), (0.1, 0.1), (0.5, 0.5), (0.9, 0.99), (0.0, 0.0), (1.0, 1.0)] {
                let mut v = whole.clone();
                let want = percentile(&sorted, low).zip(percentile(&sorted, high));
                assert_eq!(quantiles_of(&mut v, low, high), want, "n {n} {low} {high}");
            }
        }
    }
}
