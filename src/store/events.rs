//! Events: what a sender delivered, as queued and as shown.

use super::EventState;
use crate::clock::Millis;

/// A request accepted for a hook, not yet stored.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub hook_id: i64,
    pub received_at: Millis,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub remote_addr: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub replay_of: Option<i64>,
    /// The id its sender gave the delivery, when the hook drops duplicates.
    pub delivery: Option<Delivery>,
}

/// A delivery's id, remembered with the event for the hook's window.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    /// How long the id is remembered, in ms.
    pub window: i64,
}

#[cfg(test)]
impl NewEvent {
    /// For unit tests: a POST of `body` to the hook, received at `received_at`.
    pub(crate) fn sample(hook_id: i64, received_at: Millis, body: &[u8]) -> NewEvent {
        NewEvent {
            hook_id,
            received_at,
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers: Vec::new(),
            remote_addr: None,
            content_type: None,
            body: body.to_vec(),
            replay_of: None,
            delivery: None,
        }
    }
}

/// What [`EventStore::enqueue_starting`](super::EventStore::enqueue_starting)
/// did with a batch.
#[derive(Debug)]
pub struct Enqueuing {
    /// What became of each event, in order.
    pub outcomes: Vec<Enqueued>,
    /// The execution started for each lingering scenario, in order.
    pub started: Vec<Option<(super::Scenario, super::Started)>>,
    /// The ids of the batch's events were reserved on disk before it: a
    /// command may see them (`HOOKQ_EVENT_ID`) before the batch itself is
    /// flushed, since a power cut that loses the batch never gives them to
    /// other events. Otherwise its commands wait for the flush.
    pub ids_reserved: bool,
}

/// What became of one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Stored with this id, committed.
    Stored(i64),
    /// The hook's queue holds `queue_limit` events already.
    QueueFull,
    /// The hook was deleted meanwhile.
    NoHook,
    /// The hook accepted a delivery of this id within its window: not
    /// stored again.
    Duplicate,
}

/// Refused requests to count: (hook id, HTTP status, how many).
pub type RefusalCount = (i64, u16, u64);

/// A stored event, without its body.
#[derive(Debug, Clone)]
pub struct Event {
    pub(crate) id: i64,
    pub(crate) hook: String,
    pub(crate) state: EventState,
    pub(crate) received_at: Millis,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) remote_addr: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) size: u64,
    pub(crate) attempts: u32,
    pub(crate) replay_of: Option<i64>,
    pub(crate) payload_available: bool,
}

/// Which events of a hook to list or replay.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub(crate) states: Vec<EventState>,
    pub(crate) since: Option<Millis>,
    pub(crate) until: Option<Millis>,
    /// Only these ids (empty = any).
    pub(crate) ids: Vec<i64>,
    /// Only ids above this one: the next page of a listing in id order.
    pub(crate) after: Option<i64>,
    /// Only ids up to this one.
    pub(crate) through: Option<i64>,
}
