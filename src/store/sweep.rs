//! What the sweep's steps report.

use crate::clock::Millis;

/// Where a payload purge has got to: the last event looked at, in
/// (received_at, id) order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCursor {
    pub(crate) received_at: Millis,
    pub(crate) event_id: i64,
}

/// What one step of deleting a hook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteStep {
    /// Deleted this many of its events (with payloads and operations); more remain.
    Events(u64),
    /// Deleted its last events (this many) and the hook itself.
    Deleted(u64),
    /// The rule no longer holds (re-enabled, attached): left alone.
    Spared,
    /// Someone else deleted it meanwhile.
    Gone,
}
