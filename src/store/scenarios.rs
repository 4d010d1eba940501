//! Scenarios: the command a hook's events go through, and when.

use std::fmt;
use std::str::FromStr;

use super::Input;
use crate::clock::Millis;
use crate::respond::Respond;
use crate::units::Duration;

/// When a scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// As soon as events wait (in a running server).
    Immediately,
    /// Only by `scenario run`.
    OnDemand,
    /// At regular intervals (in a running server).
    Every(Duration),
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "immediately" => Ok(Schedule::Immediately),
            "on-demand" => Ok(Schedule::OnDemand),
            other => match other.parse::<Duration>() {
                Ok(every) if every.millis() >= 1_000 => Ok(Schedule::Every(every)),
                Ok(_) => Err(format!("schedule interval {other:?} is shorter than 1s")),
                Err(_) => Err(format!(
                    "invalid schedule {other:?} (expected immediately, on-demand or a duration like 15m)"
                )),
            },
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Immediately => f.write_str("immediately"),
            Schedule::OnDemand => f.write_str("on-demand"),
            Schedule::Every(every) => write!(f, "{every}"),
        }
    }
}

/// Where a forwarding scenario delivers its events (SPEC §10).
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// An http or https URL, checked when the scenario was saved.
    pub(crate) url: String,
    /// `--forward-header`: added to the request, or replacing the event's.
    pub(crate) headers: Vec<(String, String)>,
    /// How long a delivery may take, answer read included.
    pub(crate) timeout: Duration,
    /// Accept any certificate (a self-signed local dev server).
    pub(crate) insecure: bool,
}

impl Forward {
    pub(crate) const DEFAULT_TIMEOUT: Duration = Duration(30_000);

    pub(crate) fn to_json(&self) -> String {
        serde_json::json!({
            "url": self.url,
            "headers": self.headers,
            "timeout_ms": self.timeout.millis(),
            "insecure": self.insecure,
        })
        .to_string()
    }
}

/// What a user sets on a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSettings {
    /// Empty for a forwarding scenario.
    pub(crate) command: Vec<String>,
    /// Deliver each event to a URL instead of running a command.
    pub(crate) forward: Option<Forward>,
    pub(crate) schedule: Schedule,
    pub(crate) max_cycles: u32,
    pub(crate) max_errors: u32,
    pub(crate) timeout: Duration,
    pub(crate) input: Input,
    pub(crate) store_incomplete: bool,
    /// Answer the webhook caller (SPEC §6), and how.
    pub(crate) respond: Option<Respond>,
    pub(crate) response_status: u16,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) response_timeout: Duration,
}

impl ScenarioSettings {
    pub(crate) fn new(command: Vec<String>) -> Self {
        ScenarioSettings {
            command,
            forward: None,
            schedule: Schedule::Immediately,
            max_cycles: 1,
            max_errors: 3,
            timeout: Duration(5 * 60_000),
            input: Input::Raw,
            store_incomplete: false,
            respond: None,
            response_status: 200,
            response_headers: Vec::new(),
            response_timeout: Duration(5 * 60_000),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) hook_id: i64,
    pub(crate) hook: String,
    pub(crate) settings: ScenarioSettings,
    pub(crate) active: bool,
    pub(crate) inactive_since: Option<Millis>,
    pub(crate) consecutive_errors: u32,
    pub(crate) created_at: Millis,
    pub(crate) last_run_at: Option<Millis>,
    /// Since when an execution has been waiting for the forwarding target
    /// to listen (SPEC §10), if it is.
    pub(crate) waiting_since: Option<Millis>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_print() {
        assert_eq!("immediately".parse(), Ok(Schedule::Immediately));
        assert_eq!("on-demand".parse(), Ok(Schedule::OnDemand));
        assert_eq!("15m".parse(), Ok(Schedule::Every(Duration(900_000))));
        assert_eq!(Schedule::Every(Duration(3_600_000)).to_string(), "1h");
        for bad in ["", "sometimes", "15", "500ms", "-1h"] {
            assert!(bad.parse::<Schedule>().is_err(), "{bad}");
        }
    }
}
