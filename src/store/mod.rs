//! The store: hooks, connections, scenarios, events, payloads, executions,
//! operations and settings, kept by one of two engines behind one interface
//! ([`Store`], docs/scaling.md §1).
//!
//! [`open`] is the one place a store is opened. The product types below are
//! shared by both engines; what is specific to one (SQL, its settings, its
//! files) stays in its module. The store knows nothing of HTTP or of the
//! command line.

mod api;
mod connections;
pub(crate) mod copy;
mod events;
mod executions;
mod hooks;
pub(crate) mod postgres;
mod scenarios;
mod sqlite;
mod states;
mod sweep;
mod wakeups;

use crate::error::Failure;

pub use api::{
    empty, open, ConnectionStore, EventStore, ExecutionStore, HookStore, Location, PgUrl,
    ScenarioStore, Session, Store, SweepStore,
};
pub use connections::StoredConnection;
pub use copy::{copy, Copied};
pub use events::{Delivery, Enqueued, Enqueuing, Event, EventFilter, NewEvent, RefusalCount};
pub use executions::{
    Ahead, ClaimedEvent, Committed, CycleEnd, ExecutionEnd, ExecutionRecord, Lingering,
    NewOperation, Operation, ScenarioUpdate, Started, AHEAD_BYTES,
};
pub use hooks::{Hook, HookSettings};
pub use scenarios::{Forward, Scenario, ScenarioSettings, Schedule};
pub use states::{EventState, ExecutionStatus, Input, OperationStatus, Trigger};
pub use sweep::{DeleteStep, PurgeCursor};
pub use wakeups::{WakeUp, WakeUps};

/// Run `sql` (statements the test prepares a store with, beyond what the
/// interface offers: a lease another process holds) straight on the store.
#[cfg(test)]
pub(crate) fn execute_for_test(location: &Location, sql: &str) {
    match location {
        Location::Sqlite(path) => sqlite::execute_for_test(path, sql),
        Location::Postgres(url) => panic!("no SQL for tests on {url} yet"),
    }
}

/// The store cannot be reached now (PostgreSQL away: a restart, a
/// failover, a cut network), and the same operation may succeed once it is
/// back: a server logs the outage once, not each failed request. Its
/// message is the error it wraps, unchanged. SQLite never says so: a full
/// disk or a replaced file is no outage that ends by itself.
#[derive(Debug)]
pub struct Unreachable(pub(crate) anyhow::Error);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for Unreachable {}

impl Unreachable {
    /// Whether `error` (or what it wraps) says the store is unreachable.
    pub fn is(error: &anyhow::Error) -> bool {
        error.chain().any(|cause| cause.is::<Unreachable>())
    }
}

/// What a command does with the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Only reads: the file must exist. Nothing is created, and nothing is
    /// repaired (a read must work on a full or read-only disk, and must not
    /// take the write lock).
    Read,
    /// Writes or runs: the file must exist. What a dead process left
    /// `running` is put back first.
    Write,
    /// May be the first command on this path: creates the file and its
    /// directory if missing, then as [`Access::Write`].
    Create,
}

/// A name of a hook, scenario or connection (`what`): 1 to 64 characters,
/// no whitespace, control, invisible or bidirectional characters.
pub(crate) fn validate_name(what: &str, name: &str) -> Result<(), Failure> {
    if name.is_empty() {
        return Err(Failure::usage(format!("a {what} name cannot be empty")));
    }
    if name.chars().count() > 64 {
        return Err(Failure::usage(format!(
            "{what} name {name:?} is longer than 64 characters"
        )));
    }
    if let Some(refused) = crate::names::refused_char(name) {
        return Err(
            Failure::usage(format!("{what} name {name:?} contains {refused}"))
                .hint("use letters, digits, '-', '_' or '.'"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules() {
        assert!(validate_name("hook", "github-push").is_ok());
        assert!(validate_name("hook", "café.orders_v2").is_ok());
        assert!(validate_name("hook", "").is_err());
        assert!(validate_name("hook", "two words").is_err());
        assert!(validate_name("hook", "tab\there").is_err());
        assert!(validate_name("hook", &"x".repeat(64)).is_ok());
        assert!(validate_name("hook", &"x".repeat(65)).is_err());
    }
}
