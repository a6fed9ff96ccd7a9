//! Reconnect delays: exponential with full jitter, capped, over a small floor.
//!
//! Written here rather than taken from `backon`/`backoff`: those add jitter on top of the
//! exponential delay (`d + rand(0..d)`), which keeps a herd of clients synchronised within
//! a factor of two. Full jitter (`rand(0..=ceiling)`, AWS's "Exponential Backoff And
//! Jitter") spreads them over the whole window, and the state machine needs the delay as
//! a plain value it can compute without timers.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    pub min: Duration,
    pub initial: Duration,
    pub max: Duration,
}

#[derive(Debug, Clone)]
pub struct Backoff {
    policy: BackoffPolicy,
    rng: SmallRng,
    /// The server's own wish for the first delay (SSE `retry:`), used instead of
    /// `policy.initial` within `policy.max`.
    server_initial: Option<Duration>,
}

impl Backoff {
    pub fn new(policy: BackoffPolicy, seed: u64) -> Self {
        Backoff {
            policy,
            rng: SmallRng::seed_from_u64(seed),
            server_initial: None,
        }
    }

    /// Honours a server's reconnect wish (SSE `retry:`) as the first delay's ceiling: the
    /// floor, the cap, the doubling and the full jitter still apply, so a server asking for
    /// 0 ms cannot make a herd reconnect at once and one asking for an hour waits `max`.
    pub fn server_retry(&mut self, wish: Duration) {
        self.server_initial = Some(wish.min(self.policy.max));
    }

    /// The exponential ceiling after `failures` consecutive failures (1 = first failure).
    pub fn ceiling(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let initial = self.server_initial.unwrap_or(self.policy.initial);
        let ms = (initial.as_millis() as u64).saturating_mul(1u64 << exp);
        Duration::from_millis(ms).min(self.policy.max)
    }

    /// A delay in `[min, min + ceiling(failures)]`, uniformly.
    pub fn delay(&mut self, failures: u32) -> Duration {
        let ceiling = self.ceiling(failures).as_millis() as u64;
        self.policy.min + Duration::from_millis(self.rng.random_range(0..=ceiling))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            min: Duration::from_millis(250),
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }

    #[test]
    fn ceiling_doubles_and_caps() {
        let b = Backoff::new(policy(), 1);
        let c: Vec<u64> = (1..=9).map(|f| b.ceiling(f).as_secs()).collect();
        assert_eq!(c, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn delays_stay_in_bounds_and_are_spread() {
        let mut b = Backoff::new(policy(), 7);
        for failures in 1..12 {
            let ceiling = b.ceiling(failures);
            let delays: Vec<Duration> = (0..500).map(|_| b.delay(failures)).collect();
            for d in &delays {
                assert!(*d >= policy().min && *d <= policy().min + ceiling, "{d:?}");
            }
            // Full jitter: the samples cover the low and the high part of the window.
            let lo = delays
                .iter()
                .filter(|d| **d < policy().min + ceiling / 4)
                .count();
            let hi = delays
                .iter()
                .filter(|d| **d > policy().min + ceiling * 3 / 4)
                .count();
            assert!(lo > 50 && hi > 50, "failures={failures} lo={lo} hi={hi}");
        }
    }

    #[test]
    fn a_server_retry_wish_is_honoured_within_the_bounds() {
        let mut b = Backoff::new(policy(), 7);
        b.server_retry(Duration::from_secs(5));
        assert_eq!(b.ceiling(1), Duration::from_secs(5));
        assert_eq!(b.ceiling(2), Duration::from_secs(10));
        for n in 1..5 {
            let d = b.delay(n);
            assert!(
                d >= policy().min && d <= policy().min + b.ceiling(n),
                "{d:?}"
            );
        }
        // A wish of 0 still gets the floor; a wish of an hour gets the cap.
        b.server_retry(Duration::ZERO);
        assert_eq!(b.delay(1), policy().min);
        b.server_retry(Duration::from_secs(3600));
        assert_eq!(b.ceiling(1), policy().max);
        // Full jitter still spreads a herd that got the same wish.
        let delays: std::collections::BTreeSet<_> = (0..20)
            .map(|seed| {
                let mut b = Backoff::new(policy(), seed);
                b.server_retry(Duration::from_secs(5));
                b.delay(1)
            })
            .collect();
        assert!(delays.len() > 10, "{delays:?}");
    }
}
