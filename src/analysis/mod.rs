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
}
