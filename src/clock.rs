//! The one clock of hookq.
//!
//! Every command reads the wall clock once, through [`now`], and passes the
//! value down; `HOOKQ_NOW=<RFC 3339>` replaces it for tests and what-if
//! sweeps. Timestamps are stored as unix milliseconds ([`Millis`]).
//! Rate limiting and timeouts use `std::time::Instant` instead.

use anyhow::{Context, Result};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::Failure;

/// Milliseconds since the unix epoch, UTC.
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const HOUR: Millis = 3_600 * SECOND;
pub const DAY: Millis = 24 * HOUR;

/// The variable that overrides the clock.
pub(crate) const NOW_VAR: &str = "HOOKQ_NOW";

/// The current time: `HOOKQ_NOW` if set, else the system clock.
pub(crate) fn now() -> Result<Millis> {
    match std::env::var(NOW_VAR) {
        Ok(value) => parse(&value).with_context(|| format!("invalid {NOW_VAR}")),
        Err(_) => Ok(system_now()),
    }
}

/// The clock of a long-running process (a server, an execution): the time
/// of `HOOKQ_NOW` if it was set when the process started, else the system
/// clock at each reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    fixed: Option<Millis>,
}

impl Clock {
    pub(crate) fn from_env() -> Result<Clock> {
        let fixed = match std::env::var(NOW_VAR) {
            Ok(_) => Some(now()?),
            Err(_) => None,
        };
        Ok(Clock { fixed })
    }

    /// A clock stopped at `at`, for tests.
    #[cfg(test)]
    pub(crate) fn fixed(at: Millis) -> Clock {
        Clock { fixed: Some(at) }
    }

    pub(crate) fn now(&self) -> Millis {
        self.fixed.unwrap_or_else(system_now)
    }
}

/// The system clock, ignoring `HOOKQ_NOW`: for leases between processes,
/// which must expire in real time whatever a test pretends.
pub fn system_now() -> Millis {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as Millis
}

/// Parse an RFC 3339 timestamp (`2026-11-29T12:00:00Z`).
pub fn parse(text: &str) -> Result<Millis> {
    let at = OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|e| {
        Failure::usage(format!(
            "invalid timestamp {text:?}: {e} (expected RFC 3339, e.g. 2026-11-29T12:00:00Z)"
        ))
    })?;
    Ok((at.unix_timestamp_nanos() / 1_000_000) as Millis)
}

/// Format as RFC 3339 UTC, with milliseconds only when there are some, and
/// then always three digits (`.120Z`, not `.12Z`): times within a second
/// then sort as strings do, as scripts sort them. A whole second stays as
/// written (`HOOKQ_NOW=...:00Z` reads back the same).
pub fn format(at: Millis) -> String {
    let nanos = i128::from(at) * 1_000_000;
    let Some(mut text) = OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
    else {
        return at.to_string();
    };
    if let (Some(dot), Some(zone)) = (text.rfind('.'), text.rfind('Z')) {
        let digits = zone - dot - 1;
        text.insert_str(zone, &"0".repeat(3usize.saturating_sub(digits)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339() {
        let at = parse("2026-11-29T12:00:00Z").unwrap();
        assert_eq!(at, 1_795_953_600_000);
        assert_eq!(format(at), "2026-11-29T12:00:00Z");
        assert_eq!(format(at + 5), "2026-11-29T12:00:00.005Z");
        assert_eq!(format(at + 120), "2026-11-29T12:00:00.120Z");
        assert_eq!(format(at + 500), "2026-11-29T12:00:00.500Z");
        assert!(format(at + 120) < format(at + 787));
        assert_eq!(parse("2026-11-29T13:00:00+01:00").unwrap(), at);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("yesterday").is_err());
        assert!(parse("2026-11-29").is_err());
    }
}
