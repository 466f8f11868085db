//! A token bucket that paces the agent's typing (characters per second with a burst), sans-IO:
//! the caller passes the time in.

use std::time::{Duration, Instant};

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Grants at most `rate` characters per second on average and `burst` at once. Tokens are kept
/// in units of 1e-9 of a character so refills are exact integer arithmetic: over any window of
/// length `t`, the grants never exceed `rate * t + burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: u32,
    burst: u32,
    /// Available tokens, in 1e-9 characters.
    nanos: u128,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn new(rate: u32, burst: u32, now: Instant) -> Self {
        Self {
            rate,
            burst,
            nanos: u128::from(burst) * NANOS_PER_SEC,
            last: now,
        }
    }

    /// Grants up to `want` characters at `now` (possibly 0) and spends them.
    pub fn take(&mut self, want: usize, now: Instant) -> usize {
        self.refill(now);
        let available = self.nanos / NANOS_PER_SEC;
        let granted = available.min(want as u128);
        self.nanos -= granted * NANOS_PER_SEC;
        granted as usize
    }

    /// How long after `now` until `want` characters (at most `burst`) are available. Never
    /// reached when `rate` is 0 and the bucket is short: then `Duration::MAX`.
    pub fn wait(&self, want: usize, now: Instant) -> Duration {
        let need = (want as u128).min(u128::from(self.burst)) * NANOS_PER_SEC;
        let have = self.level(now);
        if have >= need {
            return Duration::ZERO;
        }
        if self.rate == 0 {
            return Duration::MAX;
        }
        // Round up so that waiting this long really suffices.
        let nanos = (need - have).div_ceil(u128::from(self.rate));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    fn level(&self, now: Instant) -> u128 {
        let elapsed = now.saturating_duration_since(self.last).as_nanos();
        let cap = u128::from(self.burst) * NANOS_PER_SEC;
        self.nanos
            .saturating_add(elapsed.saturating_mul(u128::from(self.rate)))
            .min(cap)
    }

    fn refill(&mut self, now: Instant) {
        self.nanos = self.level(now);
        if now > self.last {
            self.last = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn starts_full_then_refills_at_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(100, 20, t0);
        assert_eq!(b.take(50, t0), 20);
        assert_eq!(b.take(1, t0), 0);
        assert_eq!(b.wait(10, t0), Duration::from_millis(100));
        assert_eq!(
            b.wait(1000, t0),
            Duration::from_millis(200),
            "capped at burst"
        );
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(b.wait(10, t1), Duration::ZERO);
        assert_eq!(b.take(50, t1), 10);
        let t2 = t1 + Duration::from_secs(10);
        assert_eq!(b.take(50, t2), 20, "never more than burst");
    }

    #[test]
    fn zero_rate_never_refills() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(0, 3, t0);
        assert_eq!(b.take(5, t0), 3);
        assert_eq!(b.wait(1, t0), Duration::MAX);
        assert_eq!(b.take(5, t0 + Duration::from_secs(100)), 0);
    }

    #[test]
    fn time_going_backwards_grants_nothing_extra() {
        let t0 = Instant::now() + Duration::from_secs(5);
        let mut b = TokenBucket::new(10, 10, t0);
        assert_eq!(b.take(10, t0), 10);
        assert_eq!(b.take(10, t0 - Duration::from_secs(3)), 0);
        assert_eq!(b.take(10, t0 + Duration::from_millis(200)), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn grants_within_rate_times_window_plus_burst(
            rate in 1u32..2000,
            burst in 0u32..200,
            calls in prop::collection::vec((0u64..50_000_000, 0usize..300), 1..80),
        ) {
            let t0 = Instant::now();
            let mut b = TokenBucket::new(rate, burst, t0);
            let mut log = Vec::new();
            let mut now = t0;
            for (dt, want) in calls {
                now += Duration::from_nanos(dt);
                let got = b.take(want, now);
                prop_assert!(got <= want);
                log.push((now, got));
            }
            for i in 0..log.len() {
                let mut sum = 0u128;
                for &(t, got) in &log[i..] {
                    sum += got as u128;
                    let window = t.duration_since(log[i].0).as_nanos();
                    prop_assert!(sum * NANOS_PER_SEC <= window * u128::from(rate) + u128::from(burst) * NANOS_PER_SEC);
                }
            }
        }

        #[test]
        fn waiting_as_told_is_enough(rate in 1u32..5000, burst in 1u32..100, want in 0usize..200, spent in 0usize..100) {
            let t0 = Instant::now();
            let mut b = TokenBucket::new(rate, burst, t0);
            b.take(spent, t0);
            let d = b.wait(want, t0);
            let got = b.take(want, t0 + d);
            prop_assert!(got >= want.min(burst as usize));
        }
    }
}
