//! Per-hook token buckets: `rate` accepted requests per second, burst of
//! `rate`. Uses the monotonic clock, never `HOOKQ_NOW`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<i64, Bucket>>,
}

struct Bucket {
    rate: u32,
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    /// Take one token from the hook's bucket, or say how long until one is
    /// there. A rate of 0 is unlimited.
    pub fn take(&self, hook_id: i64, rate: u32, now: Instant) -> Result<(), Duration> {
        if rate == 0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(hook_id).or_insert(Bucket {
            rate,
            tokens: f64::from(rate),
            refilled: now,
        });
        if bucket.rate != rate {
            // The hook was edited: start over with a full bucket at the new rate.
            *bucket = Bucket {
                rate,
                tokens: f64::from(rate),
                refilled: now,
            };
        }
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * f64::from(rate)).min(f64::from(rate));
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / f64::from(rate),
            ))
        }
    }

    /// Give back a token taken for a request that was refused later on, so
    /// the limit counts accepted requests only.
    pub fn refund(&self, hook_id: i64) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bucket) = buckets.get_mut(&hook_id) {
            bucket.tokens = (bucket.tokens + 1.0).min(f64::from(bucket.rate));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_the_rate() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            assert!(limiter.take(1, 5, t0).is_ok());
        }
        let wait = limiter.take(1, 5, t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(150) && wait <= Duration::from_millis(200),
            "{wait:?}"
        );
        // 200 ms later one more token has come back, not two.
        let t1 = t0 + Duration::from_millis(200);
        assert!(limiter.take(1, 5, t1).is_ok());
        assert!(limiter.take(1, 5, t1).is_err());
        // Another hook has its own bucket; 0 is unlimited.
        assert!(limiter.take(2, 5, t1).is_ok());
        for _ in 0..1000 {
            assert!(limiter.take(3, 0, t1).is_ok());
        }
    }

    #[test]
    fn refund_gives_back_a_token_and_edits_reset_the_bucket() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        assert!(limiter.take(1, 1, t0).is_ok());
        assert!(limiter.take(1, 1, t0).is_err());
        limiter.refund(1);
        assert!(limiter.take(1, 1, t0).is_ok());
        assert!(limiter.take(1, 2, t0).is_ok(), "a new rate starts full");
    }
}
