//! Executions and their cycles (operations): what the engine hands the
//! store and reads back.

use super::Hook;
use super::{ExecutionStatus, OperationStatus, Trigger};
use crate::clock::Millis;

/// An execution as recorded (`scenario runs`).
#[derive(Debug, Clone)]
pub struct ExecutionRecord {
    pub(crate) id: i64,
    pub(crate) scenario: String,
    pub(crate) trigger: Trigger,
    pub(crate) started_at: Millis,
    pub(crate) finished_at: Option<Millis>,
    pub(crate) cycles: u32,
    /// `None` while it runs (or if its process died before repair).
    pub(crate) status: Option<ExecutionStatus>,
    pub(crate) error: Option<String>,
}

/// An event taken from the head of its queue for one cycle.
#[derive(Debug, Clone)]
pub struct ClaimedEvent {
    pub(crate) id: i64,
    pub(crate) received_at: Millis,
    pub(crate) method: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) content_type: Option<String>,
    /// The sender's address, when known.
    pub(crate) remote_addr: Option<String>,
    /// This cycle's attempt, from 1.
    pub(crate) attempt: u32,
    /// `None` once purged by payload retention.
    pub(crate) body: Option<Vec<u8>>,
}

/// What a transaction that records cycles does with the events after them.
/// An execution keeps a window of events taken ahead, so that the next
/// actions run while the last ones are recorded, and so that one commit
/// records every cycle that ended meanwhile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ahead<'a> {
    /// Events taken ahead that this execution will not run: back to the
    /// queue at their place, their attempts not counted.
    pub(crate) release: &'a [i64],
    /// Take up to `take` more events of this hook ahead: at least one if
    /// any waits, then more while their bodies stay under [`AHEAD_BYTES`].
    pub(crate) take_from: Option<i64>,
    pub(crate) take: u64,
}

/// Bodies taken ahead by one commit, at most (bar the first one): a window
/// of large events must not hold hundreds of MiB.
pub const AHEAD_BYTES: usize = 4 << 20;

impl Ahead<'_> {
    /// The events to take ahead, claimed one at a time by `claim` (the
    /// engine's claim of a hook's head, inside the cycle's transaction):
    /// none if the lease was lost, else up to `take`, at least one if any
    /// waits, more only while their bodies stay under [`AHEAD_BYTES`].
    /// Both engines keep this one window rule (SQLite's `claim` reads the
    /// next row of one query).
    pub(crate) fn claim_window(
        &self,
        lease_held: bool,
        mut claim: impl FnMut(i64) -> anyhow::Result<Option<ClaimedEvent>>,
    ) -> anyhow::Result<Vec<ClaimedEvent>> {
        let mut next = Vec::new();
        let Some((hook_id, take)) = self.wanted(lease_held) else {
            return Ok(next);
        };
        let mut bytes = 0;
        while (next.len() as u64) < take && (next.is_empty() || bytes < AHEAD_BYTES) {
            let Some(event) = claim(hook_id)? else {
                break;
            };
            bytes += event.body.as_ref().map_or(0, Vec::len);
            next.push(event);
        }
        Ok(next)
    }

    /// The hook to take events ahead from and how many at most; none if
    /// the lease was lost or nothing is asked.
    pub(crate) fn wanted(&self, lease_held: bool) -> Option<(i64, u64)> {
        self.take_from
            .filter(|_| lease_held && self.take > 0)
            .map(|hook_id| (hook_id, self.take))
    }
}

/// The worker of an `immediately` scenario, idle, waits for an event of its
/// hook: [`EventStore::enqueue_starting`](super::EventStore::enqueue_starting)
/// may start its next execution in the transaction that stores the event,
/// as [`ExecutionStore::start_immediately`](super::ExecutionStore::start_immediately)
/// would right after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lingering {
    pub scenario_id: i64,
    pub hook_id: i64,
    /// When the execution starts.
    pub now: Millis,
    /// Its most cycles.
    pub limit: u32,
}

/// An execution recorded, with its first events taken: ready to run.
#[derive(Debug)]
pub struct Started {
    pub(crate) id: i64,
    /// The hook it takes events from.
    pub(crate) hook: Hook,
    /// How many cycles at most: min(queued, limit) when it started.
    pub(crate) planned: u64,
    /// Its first events (the second one is taken ahead).
    pub(crate) taken: Vec<ClaimedEvent>,
}

/// What [`ExecutionStore::finish_cycles`](super::ExecutionStore::finish_cycles)
/// leaves for the next cycles.
#[derive(Debug)]
pub struct Committed {
    /// The events taken ahead, oldest first, if asked and the lease is
    /// still held.
    pub(crate) ahead: Vec<ClaimedEvent>,
    /// False when another process took the scenario's lease over (possible
    /// only where leases run out: this one stalled past its expiry, seen
    /// from another pid namespace, or the clock jumped): stop.
    pub(crate) lease_held: bool,
}

/// The end of an execution, recorded with its last cycle (one transaction
/// fewer, and none left to write once the caller has its answer).
#[derive(Debug, Clone)]
pub struct ExecutionEnd<'a> {
    pub(crate) execution_id: i64,
    /// `ok` or `error`, and the error, if the lease is still held.
    pub(crate) status: ExecutionStatus,
    pub(crate) error: Option<&'a str>,
    pub(crate) update: ScenarioUpdate,
    /// The error if another process took the lease over (the status is
    /// then `error`, the error policy left out).
    pub(crate) lost: &'a str,
    pub(crate) now: Millis,
}

impl<'a> ExecutionEnd<'a> {
    /// What is recorded: the execution's own end while its lease is held;
    /// else `error` with [`lost`](Self::lost), the error policy left out
    /// (another process runs the scenario now).
    pub(crate) fn recorded(
        &self,
        lease_held: bool,
    ) -> (ExecutionStatus, Option<&'a str>, ScenarioUpdate, Millis) {
        if lease_held {
            (self.status, self.error, self.update, self.now)
        } else {
            (
                ExecutionStatus::Error,
                Some(self.lost),
                ScenarioUpdate::Unchanged,
                self.now,
            )
        }
    }
}

/// Where an event goes after its cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleEnd {
    /// Commit: the event is done.
    Done,
    /// Rollback: back to the queue, at its old place.
    Queued,
    /// Rollback with `--store-incomplete`.
    Incomplete,
}

/// One operation: the record of a cycle.
#[derive(Debug, Clone)]
pub struct NewOperation<'a> {
    pub(crate) execution_id: i64,
    pub(crate) event_id: i64,
    pub(crate) hook_id: i64,
    pub(crate) scenario: &'a str,
    pub(crate) ok: bool,
    pub(crate) exit_code: Option<i32>,
    pub(crate) started_at: Millis,
    pub(crate) duration_ms: i64,
    pub(crate) error: Option<&'a str>,
    pub(crate) stdout: &'a [u8],
    pub(crate) stderr: &'a [u8],
    /// A delivery's answer: its status and headers (its body is `stdout`).
    pub(crate) http: Option<(u16, &'a [(String, String)])>,
}

/// How an execution ends, for the scenario's error policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioUpdate {
    /// Nothing to change but `last_run_at`.
    Unchanged,
    /// A successful execution: consecutive errors back to 0.
    ResetErrors,
    /// A failed execution: one more consecutive error.
    CountError,
    /// A failed execution that switches the scenario off.
    Deactivate,
}

/// An operation as recorded: what one cycle did with one event.
#[derive(Debug, Clone)]
pub struct Operation {
    pub(crate) id: i64,
    pub(crate) execution_id: Option<i64>,
    pub(crate) event_id: i64,
    pub(crate) scenario: String,
    pub(crate) status: OperationStatus,
    pub(crate) exit_code: Option<i32>,
    pub(crate) started_at: Millis,
    pub(crate) duration_ms: i64,
    pub(crate) error: Option<String>,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// A delivery's answer status, and its headers.
    pub(crate) http_status: Option<u16>,
    pub(crate) http_headers: Vec<(String, String)>,
}

impl Operation {
    /// What came back, as the listings show it: a delivery's answer status
    /// (`HTTP 502`), else a command's exit code, else `-` (killed, or never
    /// started).
    pub(crate) fn result(&self) -> String {
        match (self.http_status, self.exit_code) {
            (Some(status), _) => format!("HTTP {status}"),
            (None, Some(code)) => code.to_string(),
            (None, None) => "-".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window takes the first event whatever its size, then more while
    /// the bodies before stay under 4 MiB, up to `take` (both stores claim
    /// through this one rule).
    #[test]
    fn a_window_is_cut_at_four_mib_of_bodies_or_at_its_count() {
        const MIB: usize = 1 << 20;
        // (bodies of the queue's head, take, taken)
        let cases: [(&[usize], u64, usize); 10] = [
            (&[], 32, 0),
            (&[10; 40], 0, 0),
            (&[10; 40], 1, 1),
            (&[10; 40], 32, 32),
            (&[5 * MIB, 1], 32, 1),
            (&[3 * MIB, 2 * MIB, 1], 32, 2),
            (&[MIB, MIB, MIB, MIB - 1, 7, 8], 32, 5),
            (&[MIB, MIB, MIB, MIB - 1, 7, 8], 2, 2),
            (&[4 * MIB - 1, 0, 0], 32, 3),
            (&[4 * MIB, 0], 32, 1),
        ];
        for (sizes, take, expected) in cases {
            let ahead = Ahead {
                release: &[],
                take_from: Some(1),
                take,
            };
            let mut queue = sizes.iter().enumerate();
            let taken = ahead
                .claim_window(true, |_| {
                    Ok(queue.next().map(|(id, size)| ClaimedEvent {
                        id: id as i64,
                        received_at: 0,
                        method: "POST".into(),
                        query: String::new(),
                        headers: Vec::new(),
                        content_type: None,
                        remote_addr: None,
                        attempt: 1,
                        body: Some(vec![0; *size]),
                    }))
                })
                .unwrap();
            assert_eq!(taken.len(), expected, "{sizes:?}, take {take}");
        }
        let lost = Ahead {
            release: &[],
            take_from: Some(1),
            take: 32,
        };
        assert_eq!(lost.wanted(false), None, "no event for a lost lease");
    }
}
