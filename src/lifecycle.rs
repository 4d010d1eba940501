//! The lifecycle rules of SPEC §7, as pure functions of (facts, now).
//!
//! `hookq sweep` reads the [`HookFacts`] of every hook once, asks [`plan`]
//! what to do, and applies it in short transactions; each transaction reads
//! the facts of its hooks again and asks the same rule, so a hook that a
//! user re-enabled or attached meanwhile is spared.

use std::fmt;

use crate::clock::{Millis, DAY, HOUR};
use crate::units::Duration;

/// A hook is expired when it has had no scenario for at least 120 h and no
/// event for at least 120 h.
pub const EXPIRE_AFTER: Millis = 120 * HOUR;

/// `unassigned_since`: since when no scenario uses the hook (`None` while one
/// does). `last_activity`: its last event, or its creation if none came.
pub fn is_expired(unassigned_since: Option<Millis>, last_activity: Millis, now: Millis) -> bool {
    unassigned_since.is_some_and(|since| now - since >= EXPIRE_AFTER)
        && now - last_activity >= EXPIRE_AFTER
}

/// The thresholds of the sweep (its flags). Every one is strict: a hook
/// unassigned for exactly 120 h is not yet unassigned for *more than* 120 h.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// An enabled hook with no scenario for longer is disabled.
    pub disable_unassigned_after: Duration,
    /// An enabled hook whose scenario is inactive for longer is disabled.
    pub disable_inactive_after: Duration,
    /// A hook disabled for longer, with no scenario, is deleted.
    pub delete_after: Duration,
    /// Payloads received longer ago are purged.
    pub payload_retention: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            disable_unassigned_after: Duration(120 * HOUR),
            disable_inactive_after: Duration(30 * DAY),
            delete_after: Duration(30 * DAY),
            payload_retention: Duration(30 * DAY),
        }
    }
}

/// What the rules need to know of a hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookFacts {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub created_at: Millis,
    /// Creation, or the last time the hook was re-enabled by hand.
    pub enabled_at: Millis,
    pub disabled_at: Option<Millis>,
    /// `None` while a scenario uses the hook.
    pub unassigned_since: Option<Millis>,
    pub last_event_at: Option<Millis>,
    /// The scenario it feeds, if any.
    pub scenario: Option<ScenarioFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioFacts {
    pub active: bool,
    pub inactive_since: Option<Millis>,
}

/// Why the sweep disabled a hook; recorded as its `disabled_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisableReason {
    Unassigned(Duration),
    ScenarioInactive(Duration),
}

impl fmt::Display for DisableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisableReason::Unassigned(limit) => write!(f, "unassigned for more than {limit}"),
            DisableReason::ScenarioInactive(limit) => {
                write!(f, "scenario inactive for more than {limit}")
            }
        }
    }
}

/// `now - since > limit`, the strict comparison of every threshold.
fn longer_than(since: Millis, limit: Duration, now: Millis) -> bool {
    now.saturating_sub(since) > limit.millis()
}

impl HookFacts {
    /// The expired state (≥ 120 h, not a threshold of the sweep).
    pub fn is_expired(&self, now: Millis) -> bool {
        is_expired(
            self.unassigned_since,
            self.last_event_at.unwrap_or(self.created_at),
            now,
        )
    }

    /// Why this enabled hook must be disabled now, if it must.
    ///
    /// Unassigned: counted from the later of `unassigned_since` (which
    /// attaching a scenario clears) and the hook's `enabled_at`. Inactive
    /// scenario: from the later of its `inactive_since` and `enabled_at`.
    /// So re-enabling by hand restarts both clocks, while `unassigned_since`
    /// and the expired state (no scenario for 120 h) stay true to the facts.
    pub fn disable_reason(&self, limits: &Limits, now: Millis) -> Option<DisableReason> {
        if !self.enabled {
            return None;
        }
        match self.scenario {
            None => self
                .unassigned_since
                .filter(|&since| {
                    longer_than(
                        since.max(self.enabled_at),
                        limits.disable_unassigned_after,
                        now,
                    )
                })
                .map(|_| DisableReason::Unassigned(limits.disable_unassigned_after)),
            Some(ScenarioFacts {
                active: false,
                inactive_since: Some(since),
            }) => longer_than(
                since.max(self.enabled_at),
                limits.disable_inactive_after,
                now,
            )
            .then_some(DisableReason::ScenarioInactive(
                limits.disable_inactive_after,
            )),
            Some(_) => None,
        }
    }

    /// Whether this hook must be deleted now: disabled for longer than the
    /// limit and no scenario. A hook the same sweep disables has
    /// `disabled_at = now`, so it is never deleted in the run that disabled
    /// it (for any limit, `0s` included).
    pub fn must_delete(&self, limits: &Limits, now: Millis) -> bool {
        !self.enabled
            && self.scenario.is_none()
            && self
                .disabled_at
                .is_some_and(|since| longer_than(since, limits.delete_after, now))
    }
}

/// Payloads of events received strictly before this time are purged.
pub fn purge_before(limits: &Limits, now: Millis) -> Millis {
    now.saturating_sub(limits.payload_retention.millis())
}

/// What one sweep does to the hooks, decided from one reading of the facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// (hook id, name, why), by name.
    pub disable: Vec<(i64, String, DisableReason)>,
    /// (hook id, name), by name.
    pub delete: Vec<(i64, String)>,
    /// The hooks that are expired once the sweep is done, by name.
    pub expired: Vec<String>,
}

/// The plan of a sweep at `now`. A dry run reports it; a real run applies
/// it, rule by rule, checking each hook again as it goes.
pub fn plan(hooks: &[HookFacts], limits: &Limits, now: Millis) -> Plan {
    let mut plan = Plan::default();
    let mut hooks: Vec<&HookFacts> = hooks.iter().collect();
    hooks.sort_by(|a, b| a.name.cmp(&b.name));
    for hook in hooks {
        if let Some(reason) = hook.disable_reason(limits, now) {
            plan.disable.push((hook.id, hook.name.clone(), reason));
        }
        if hook.must_delete(limits, now) {
            plan.delete.push((hook.id, hook.name.clone()));
        } else if hook.is_expired(now) {
            plan.expired.push(hook.name.clone());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_000_000_000_000;
    const SECOND: Millis = 1_000;

    #[test]
    fn expiry_starts_at_exactly_120_hours() {
        let t0 = 1_000_000_000_000;
        assert!(!is_expired(Some(t0), t0, t0 + EXPIRE_AFTER - 1));
        assert!(is_expired(Some(t0), t0, t0 + EXPIRE_AFTER));
        // A recent event, or a scenario, keeps the hook alive.
        assert!(!is_expired(Some(t0), t0 + HOUR, t0 + EXPIRE_AFTER));
        assert!(!is_expired(None, t0, t0 + 10 * EXPIRE_AFTER));
    }

    /// A hook created at T0, enabled, with no scenario and no event.
    fn unassigned() -> HookFacts {
        HookFacts {
            id: 1,
            name: "h".into(),
            enabled: true,
            created_at: T0,
            enabled_at: T0,
            disabled_at: None,
            unassigned_since: Some(T0),
            last_event_at: None,
            scenario: None,
        }
    }

    fn with_scenario(active: bool, inactive_since: Option<Millis>) -> HookFacts {
        HookFacts {
            unassigned_since: None,
            scenario: Some(ScenarioFacts {
                active,
                inactive_since,
            }),
            ..unassigned()
        }
    }

    fn disabled_at(at: Millis) -> HookFacts {
        HookFacts {
            enabled: false,
            disabled_at: Some(at),
            ..unassigned()
        }
    }

    #[test]
    fn defaults_are_those_of_the_spec() {
        let limits = Limits::default();
        assert_eq!(limits.disable_unassigned_after.to_string(), "5d");
        assert_eq!(limits.disable_inactive_after.to_string(), "30d");
        assert_eq!(limits.delete_after.to_string(), "30d");
        assert_eq!(limits.payload_retention.to_string(), "30d");
    }

    #[test]
    fn an_unassigned_hook_is_disabled_after_more_than_120_hours() {
        let limits = Limits::default();
        let hook = unassigned();
        assert_eq!(hook.disable_reason(&limits, T0 + 120 * HOUR), None);
        let reason = hook.disable_reason(&limits, T0 + 120 * HOUR + 1);
        assert_eq!(
            reason,
            Some(DisableReason::Unassigned(Duration(120 * HOUR)))
        );
        assert_eq!(reason.unwrap().to_string(), "unassigned for more than 5d");
    }

    #[test]
    fn attaching_or_re_enabling_restarts_the_unassigned_clock() {
        let limits = Limits::default();
        let later = T0 + 200 * HOUR;
        // Attached: no unassigned_since at all.
        assert_eq!(
            with_scenario(true, None).disable_reason(&limits, later),
            None
        );
        // Re-enabled at T0 + 100 h: the disable clock counts from then, while
        // the hook has had no scenario (and no event) since T0: expired.
        let re_enabled = HookFacts {
            enabled_at: T0 + 100 * HOUR,
            ..unassigned()
        };
        assert_eq!(re_enabled.unassigned_since, Some(T0));
        assert_eq!(re_enabled.disable_reason(&limits, later), None);
        assert!(re_enabled.is_expired(later));
        assert!(re_enabled
            .disable_reason(&limits, T0 + 220 * HOUR + 1)
            .is_some());
    }

    #[test]
    fn a_hook_whose_scenario_is_inactive_is_disabled_after_more_than_30_days() {
        let limits = Limits::default();
        let hook = with_scenario(false, Some(T0));
        assert_eq!(hook.disable_reason(&limits, T0 + 30 * DAY), None);
        let reason = hook.disable_reason(&limits, T0 + 30 * DAY + 1).unwrap();
        assert_eq!(reason.to_string(), "scenario inactive for more than 30d");
        // An active scenario keeps it enabled whatever the dates.
        assert_eq!(
            with_scenario(true, None).disable_reason(&limits, T0 + 999 * DAY),
            None
        );
    }

    #[test]
    fn re_enabling_restarts_the_inactive_clock() {
        let limits = Limits::default();
        let hook = HookFacts {
            enabled_at: T0 + 10 * DAY,
            ..with_scenario(false, Some(T0))
        };
        assert_eq!(hook.disable_reason(&limits, T0 + 40 * DAY), None);
        assert!(hook.disable_reason(&limits, T0 + 40 * DAY + 1).is_some());
    }

    #[test]
    fn a_disabled_hook_is_not_disabled_again() {
        let limits = Limits::default();
        let hook = disabled_at(T0);
        assert_eq!(hook.disable_reason(&limits, T0 + 999 * DAY), None);
    }

    #[test]
    fn a_hook_is_deleted_after_more_than_30_days_disabled_without_scenario() {
        let limits = Limits::default();
        let hook = disabled_at(T0);
        assert!(!hook.must_delete(&limits, T0 + 30 * DAY));
        assert!(hook.must_delete(&limits, T0 + 30 * DAY + 1));
        let with_scenario = HookFacts {
            enabled: false,
            disabled_at: Some(T0),
            ..with_scenario(false, Some(T0))
        };
        assert!(!with_scenario.must_delete(&limits, T0 + 999 * DAY));
        assert!(!unassigned().must_delete(&limits, T0 + 999 * DAY));
    }

    #[test]
    fn a_hook_disabled_by_this_sweep_is_not_deleted_by_it() {
        let limits = Limits {
            delete_after: Duration(0),
            ..Limits::default()
        };
        let now = T0 + 6 * DAY;
        let plan = plan(&[unassigned()], &limits, now);
        assert_eq!(plan.disable.len(), 1);
        assert!(plan.delete.is_empty());
        // The same hook as the real run leaves it: disabled at `now`.
        assert!(!disabled_at(now).must_delete(&limits, now));
        assert!(disabled_at(now).must_delete(&limits, now + 1));
    }

    #[test]
    fn payloads_older_than_the_retention_are_purged() {
        let limits = Limits::default();
        // Strictly before: received exactly 30 days ago (at T0) is kept,
        // one millisecond earlier is purged.
        assert_eq!(purge_before(&limits, T0 + 30 * DAY), T0);
    }

    #[test]
    fn the_plan_lists_by_name_and_expired_hooks_that_remain() {
        let limits = Limits::default();
        let now = T0 + 40 * DAY;
        let hooks = [
            HookFacts {
                id: 3,
                name: "c-deleted".into(),
                ..disabled_at(T0)
            },
            HookFacts {
                id: 2,
                name: "b-disabled".into(),
                ..unassigned()
            },
            HookFacts {
                id: 1,
                name: "a-busy".into(),
                last_event_at: Some(now - SECOND),
                ..unassigned()
            },
            HookFacts {
                id: 4,
                name: "d-used".into(),
                ..with_scenario(true, None)
            },
        ];
        let plan = plan(&hooks, &limits, now);
        let disabled: Vec<&str> = plan.disable.iter().map(|(_, n, _)| n.as_str()).collect();
        assert_eq!(disabled, ["a-busy", "b-disabled"]);
        assert_eq!(plan.delete, [(3, "c-deleted".to_owned())]);
        // a-busy had an event a second ago; c-deleted is gone; d-used has a scenario.
        assert_eq!(plan.expired, ["b-disabled"]);
    }
}
