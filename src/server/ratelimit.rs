//! Per-hook token buckets: a bucket holds `burst` requests and refills at
//! `rate` per second (SPEC §3), so a burst of deliveries is accepted while
//! the sustained rate stays `rate`. Uses the monotonic clock, never
//! `HOOKQ_NOW`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<i64, Bucket>>,
}

/// A hook's limit: `rate` requests per second, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub rate: u32,
    pub burst: u32,
}

impl Limit {
    /// What the bucket holds when full; at least one request.
    fn capacity(self) -> f64 {
        f64::from(self.burst.max(1))
    }
}

struct Bucket {
    limit: Limit,
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    fn full(limit: Limit, now: Instant) -> Bucket {
        Bucket {
            limit,
            tokens: limit.capacity(),
            refilled: now,
        }
    }
}

impl RateLimiter {
    /// Take one token from the hook's bucket, or say how long until one is
    /// there. A rate of 0 is unlimited.
    pub fn take(&self, hook_id: i64, limit: Limit, now: Instant) -> Result<(), Duration> {
        if limit.rate == 0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets
            .entry(hook_id)
            .or_insert_with(|| Bucket::full(limit, now));
        if bucket.limit != limit {
            // The hook was edited: start over with a full bucket at the new limit.
            *bucket = Bucket::full(limit, now);
        }
        let rate = f64::from(limit.rate);
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(limit.capacity());
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }

    /// Give back a token taken for a request that was refused later on, so
    /// the limit counts accepted requests only.
    pub fn refund(&self, hook_id: i64) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = buckets.get_mut(&hook_id) {
            bucket.tokens = (bucket.tokens + 1.0).min(bucket.limit.capacity());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: Limit = Limit { rate: 5, burst: 5 };

    #[test]
    fn allows_a_burst_then_the_rate() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            assert!(limiter.take(1, FIVE, t0).is_ok());
        }
        let wait = limiter.take(1, FIVE, t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(150) && wait <= Duration::from_millis(200),
            "{wait:?}"
        );
        // 200 ms later one more token has come back, not two.
        let t1 = t0 + Duration::from_millis(200);
        assert!(limiter.take(1, FIVE, t1).is_ok());
        assert!(limiter.take(1, FIVE, t1).is_err());
        // Another hook has its own bucket; 0 is unlimited.
        assert!(limiter.take(2, FIVE, t1).is_ok());
        let unlimited = Limit { rate: 0, burst: 1 };
        for _ in 0..1000 {
            assert!(limiter.take(3, unlimited, t1).is_ok());
        }
    }

    #[test]
    fn the_burst_is_separate_from_the_sustained_rate() {
        let limiter = RateLimiter::default();
        let defaults = Limit { rate: 5, burst: 50 };
        let t0 = Instant::now();
        for n in 0..50 {
            assert!(limiter.take(1, defaults, t0).is_ok(), "request {n}");
        }
        assert!(
            limiter.take(1, defaults, t0).is_err(),
            "the 51st of an instant burst"
        );
        // Then 5 per second: 10 s refill 50, never more.
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..5 {
            assert!(limiter.take(1, defaults, t1).is_ok());
        }
        assert!(limiter.take(1, defaults, t1).is_err());
        let t2 = t1 + Duration::from_secs(3600);
        for _ in 0..50 {
            assert!(limiter.take(1, defaults, t2).is_ok());
        }
        assert!(limiter.take(1, defaults, t2).is_err());
    }

    #[test]
    fn refund_gives_back_a_token_and_edits_reset_the_bucket() {
        let limiter = RateLimiter::default();
        let one = Limit { rate: 1, burst: 1 };
        let t0 = Instant::now();
        assert!(limiter.take(1, one, t0).is_ok());
        assert!(limiter.take(1, one, t0).is_err());
        limiter.refund(1);
        assert!(limiter.take(1, one, t0).is_ok());
        let wider = Limit { rate: 1, burst: 2 };
        assert!(
            limiter.take(1, wider, t0).is_ok(),
            "a new limit starts full"
        );
        assert!(limiter.take(1, wider, t0).is_ok());
        assert!(limiter.take(1, wider, t0).is_err());
    }
}
