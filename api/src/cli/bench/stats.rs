//! What one timed run measured, and the percentile arithmetic behind its latencies.

use std::time::Duration;

/// The result of sending one workload for a while over a fixed number of connections.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Run {
    /// Responses received, whatever their status.
    pub(super) requests: u64,
    /// Responses that were not 2xx or 3xx, and requests lost to socket errors or timeouts.
    pub(super) failed: u64,
    pub(super) elapsed: Duration,
    pub(super) p50: Duration,
    pub(super) p95: Duration,
    pub(super) p99: Duration,
}

impl Run {
    /// One of this run's latencies in milliseconds; not a number when the run got no answer
    /// at all (a request slower than the run), so that no target on it counts as met.
    pub(super) fn ms(&self, latency: Duration) -> f64 {
        if self.requests == 0 { f64::NAN } else { latency.as_secs_f64() * 1000.0 }
    }

    /// Responses per second.
    pub(super) fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 { self.requests as f64 / seconds } else { 0.0 }
    }
}

/// The nearest-rank percentile `p` (0–100) of `sorted`, which is in ascending order; zero when
/// it is empty.
pub(super) fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), 50);
        assert_eq!(percentile(&values, 99.0), 99);
        assert_eq!(percentile(&values, 100.0), 100);
        assert_eq!(percentile(&values, 0.0), 1);
        assert_eq!(percentile(&[7, 9, 30], 50.0), 9);
        assert_eq!(percentile(&[7, 9, 30], 99.0), 30);
    }

    #[test]
    fn a_run_without_answers_has_no_latency() {
        let run = |requests| Run {
            requests,
            failed: 0,
            elapsed: Duration::from_secs(10),
            p50: Duration::ZERO,
            p95: Duration::ZERO,
            p99: Duration::ZERO,
        };
        assert!(run(0).ms(Duration::ZERO).is_nan());
        assert_eq!(run(1).ms(Duration::from_micros(1500)), 1.5);
    }

    #[test]
    fn an_empty_run_has_zero_percentiles_and_rate() {
        assert_eq!(percentile(&[], 99.0), 0);
        let run = Run {
            requests: 0,
            failed: 0,
            elapsed: Duration::ZERO,
            p50: Duration::ZERO,
            p95: Duration::ZERO,
            p99: Duration::ZERO,
        };
        assert_eq!(run.rate(), 0.0);
    }

    #[test]
    fn the_rate_is_responses_per_second() {
        let run = Run {
            requests: 600_000,
            failed: 0,
            elapsed: Duration::from_secs(20),
            p50: Duration::from_micros(900),
            p95: Duration::from_micros(1500),
            p99: Duration::from_micros(2100),
        };
        assert_eq!(run.rate(), 30_000.0);
    }
}
