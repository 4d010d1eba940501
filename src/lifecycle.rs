//! The lifecycle rules of SPEC §7, as pure functions of (facts, now).

use crate::clock::{Millis, HOUR};

/// A hook is expired when it has had no scenario for at least 120 h and no
/// event for at least 120 h.
pub const EXPIRE_AFTER: Millis = 120 * HOUR;

/// `unassigned_since`: since when no scenario uses the hook (`None` while one
/// does). `last_activity`: its last event, or its creation if none came.
pub fn is_expired(unassigned_since: Option<Millis>, last_activity: Millis, now: Millis) -> bool {
    unassigned_since.is_some_and(|since| now - since >= EXPIRE_AFTER)
        && now - last_activity >= EXPIRE_AFTER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_starts_at_exactly_120_hours() {
        let t0 = 1_000_000_000_000;
        assert!(!is_expired(Some(t0), t0, t0 + EXPIRE_AFTER - 1));
        assert!(is_expired(Some(t0), t0, t0 + EXPIRE_AFTER));
        // A recent event, or a scenario, keeps the hook alive.
        assert!(!is_expired(Some(t0), t0 + HOUR, t0 + EXPIRE_AFTER));
        assert!(!is_expired(None, t0, t0 + 10 * EXPIRE_AFTER));
    }
}
