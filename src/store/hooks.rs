//! Hooks: named webhook endpoints and their settings.

use crate::cidr::Cidr;
use crate::clock::Millis;

/// What a user sets on a hook with `hooks create` and `hooks edit`.
#[derive(Debug, Clone, PartialEq)]
pub struct HookSettings {
    /// Accepted requests per second, sustained (token bucket); 0 = unlimited.
    pub(crate) rate_limit: u32,
    /// Requests the bucket holds: how many can arrive at once.
    pub(crate) burst: u32,
    pub queue_limit: u64,
    pub max_body: u64,
    /// Empty = any address.
    pub(crate) allow_ips: Vec<Cidr>,
    /// Empty = any method. Upper case.
    pub(crate) methods: Vec<String>,
    pub(crate) json_passthrough: bool,
    pub(crate) connection_id: Option<i64>,
    /// Drop deliveries whose id the hook accepted within `dedupe_window`.
    pub(crate) dedupe: bool,
    /// In ms.
    pub(crate) dedupe_window: i64,
    /// The header naming a delivery; `None` = the connection kind's own.
    pub(crate) dedupe_header: Option<String>,
}

impl Default for HookSettings {
    fn default() -> Self {
        HookSettings {
            rate_limit: 5,
            burst: 50,
            queue_limit: 10_000,
            max_body: 5 << 20,
            allow_ips: Vec::new(),
            methods: Vec::new(),
            json_passthrough: false,
            connection_id: None,
            dedupe: true,
            dedupe_window: 24 * 3600 * 1000,
            dedupe_header: None,
        }
    }
}

/// A hook as stored, with the names of its scenario and connection.
#[derive(Debug, Clone)]
pub struct Hook {
    pub id: i64,
    pub(crate) name: String,
    pub token: String,
    pub(crate) enabled: bool,
    pub(crate) settings: HookSettings,
    pub(crate) connection: Option<String>,
    pub(crate) scenario: Option<String>,
    pub(crate) created_at: Millis,
    /// Creation, or the last time the hook was re-enabled by hand.
    pub(crate) disabled_at: Option<Millis>,
    pub(crate) disabled_reason: Option<String>,
    /// Since when no scenario uses the hook; `None` while one does.
    pub(crate) unassigned_since: Option<Millis>,
    pub(crate) last_event_at: Option<Millis>,
    /// Events waiting now.
    pub(crate) queued: u64,
    pub(crate) operations: u64,
    /// Deliveries answered as duplicates, not queued again.
    pub(crate) duplicates: u64,
}
