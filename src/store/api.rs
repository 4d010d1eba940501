//! What the rest of hookq may ask of a store, whichever engine keeps it
//! (docs/scaling.md §1). One trait per role, each implemented by an engine
//! in a file of its own; [`Store`] is all of them. Callers hold a
//! `Box<dyn Store>` (one per thread: one connection each) and pass
//! `&dyn Store` / `&mut dyn Store`: a virtual call per operation costs
//! nothing next to the I/O behind it. Transactions, SQL and the engine's
//! own tuning (PRAGMAs, checkpoints, file identity) stay inside the engine.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;

use anyhow::Result;

use super::{
    Access, Ahead, ClaimedEvent, Committed, CycleEnd, DeleteStep, Enqueued, Event, EventFilter,
    EventState, ExecutionEnd, ExecutionRecord, ExecutionStatus, Hook, HookSettings, NewEvent,
    NewOperation, Operation, OperationStatus, PurgeCursor, RefusalCount, Scenario,
    ScenarioSettings, ScenarioUpdate, Started, StoredConnection, Trigger,
};
use super::{Enqueuing, Lingering};
use crate::clock::Millis;
use crate::error::Failure;
use crate::lifecycle::{DisableReason, HookFacts};
use crate::verify::{Kind, Options};

/// Where the store is: what `--db` / `HOOKQ_DB` named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (any other value: a path, read as an `OsStr`).
    Sqlite(PathBuf),
    /// A PostgreSQL database (a value starting `postgres://` or
    /// `postgresql://`).
    Postgres(PgUrl),
}

impl Location {
    /// What `--db` / `HOOKQ_DB` said.
    pub fn parse(value: &OsStr) -> Location {
        match value.to_str() {
            Some(url) if PgUrl::is_one(url) => Location::Postgres(PgUrl(url.to_owned())),
            _ => Location::Sqlite(PathBuf::from(value)),
        }
    }
}

/// Shown in messages: a path as it is, a URL without its password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => url.fmt(f),
        }
    }
}

/// A PostgreSQL URL as given. Its `Display` (and `Debug`) hide the
/// password, so that no message, log line or panic shows it; [`PgUrl::expose`]
/// is for the driver only.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl(String);

impl PgUrl {
    fn is_one(value: &str) -> bool {
        ["postgres://", "postgresql://"].iter().any(|scheme| {
            value
                .get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
        })
    }

    /// The URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // scheme://[user[:password]@]host...: the password is between the
        // first ':' of the authority and its last '@'.
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("postgres", &self.0));
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
                write!(f, "{scheme}://{user}@{host}{}", strip_password_param(tail))
            }
            None => write!(f, "{scheme}://{authority}{}", strip_password_param(tail)),
        }
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({self})")
    }
}

/// `?password=...` is a password too.
fn strip_password_param(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            !pair
                .split('=')
                .next()
                .is_some_and(|key| key.eq_ignore_ascii_case("password"))
        })
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// The one place a store is opened: connection, settings, migrations, and
/// (for [`Access::Write`] and [`Access::Create`]) the repair of what a dead
/// process left running.
pub fn open(location: &Location, access: Access) -> Result<Box<dyn Store>> {
    match location {
        Location::Sqlite(path) => Ok(Box::new(super::sqlite::SqliteStore::open_for(
            path, access,
        )?)),
        Location::Postgres(url) => Ok(Box::new(super::postgres::PgStore::open(url, access)?)),
    }
}

/// An empty store that writes nothing anywhere, shown as `location`: what a
/// reading command sees on the default path before anything was created.
pub fn empty(location: &Location) -> Result<Box<dyn Store>> {
    match location {
        Location::Sqlite(path) => Ok(Box::new(super::sqlite::SqliteStore::empty(path)?)),
        Location::Postgres(_) => open(location, Access::Read),
    }
}

/// Everything the rest of the code may ask of a store.
pub trait Store:
    Session + HookStore + ConnectionStore + ScenarioStore + EventStore + ExecutionStore + SweepStore
{
}

impl<T> Store for T where
    T: Session
        + HookStore
        + ConnectionStore
        + ScenarioStore
        + EventStore
        + ExecutionStore
        + SweepStore
{
}

/// The connection itself: where it is, its schema, its durability.
pub trait Session: Send {
    /// Where this store is (for messages).
    fn location(&self) -> &Location;

    /// The schema version the store is at.
    fn schema_version(&self) -> Result<usize>;

    /// A number that changes whenever hooks, connections or scenarios
    /// change (not on events).
    fn config_version(&self) -> Result<i64>;

    /// A number that changes whenever another connection commits anything
    /// (the UI's live refresh polls it); cheap: it should read no data.
    fn data_version(&self) -> Result<i64>;

    /// Refuse writes that would make the store larger than about `bytes`
    /// (`--max-db-size`). Refused (exit 3) if it is that large already.
    fn limit_size(&self, bytes: u64) -> Result<()>;

    /// Commits of this connection need not survive a power cut, only a
    /// crash of the process: execution bookkeeping and the sweep, where a
    /// lost commit means an event runs again. Never for the writer.
    fn relax_durability(&self) -> Result<()>;

    /// Commits of this connection return once other connections see them,
    /// before they are durable; [`Session::sync`] makes them durable. For
    /// the server's writer: it wakes the scenarios of a batch between the
    /// two, so that their start overlaps the disk's flush, and tells no
    /// one their event is stored before `sync` returned. PostgreSQL cannot
    /// split a commit: its commits stay durable when they return.
    fn defer_sync(&self) -> Result<()>;

    /// Make every commit so far durable now, without waiting for anyone's
    /// lock: deferred ones ([`Session::defer_sync`]), and relaxed ones where
    /// the engine can (SQLite; PostgreSQL's WAL writer flushes those within
    /// a few hundred ms). Also for a thread about to go idle, so that the
    /// next durable commit does not pay for its relaxed ones.
    fn sync(&self) -> Result<()>;

    /// Run a long execution's `body` on this store with whatever the engine
    /// does to keep such a run fast (SQLite: checkpoints on a thread aside).
    fn during_long_execution(
        &mut self,
        body: &mut dyn FnMut(&mut dyn Store) -> Result<()>,
    ) -> Result<()>;

    /// Wake-ups from other processes and hosts, on a connection of their
    /// own; `None` where the engine has none (SQLite: the server wakes its
    /// own scheduler, and sees other processes' work by its 500 ms looks).
    fn listen(&self) -> Result<Option<Box<dyn super::WakeUps>>> {
        Ok(None)
    }

    /// After each commit, before any caller hears of it: is what this
    /// connection commits still what other processes read? (SQLite: the
    /// file and its -wal are still the ones at the path.)
    fn still_in_place(&mut self) -> Result<()>;
}

/// Hooks (`hookq hooks`, the server's registry).
pub trait HookStore {
    /// Every hook, by name.
    fn hooks(&self) -> Result<Vec<Hook>>;

    /// The hook with this name or token, if any.
    fn find_hook(&self, key: &str) -> Result<Option<Hook>>;

    /// Whether a hook has this token (one index read).
    fn has_token(&self, token: &str) -> Result<bool>;

    /// Create a hook with a fresh token. A name taken (as a name or a
    /// token) is a usage error.
    fn create_hook(&mut self, name: &str, settings: &HookSettings, now: Millis) -> Result<Hook>;

    fn update_hook_settings(&mut self, id: i64, settings: &HookSettings) -> Result<()>;

    /// Whether it changed.
    fn enable_hook(&mut self, id: i64, now: Millis) -> Result<bool>;

    /// Whether it changed.
    fn disable_hook(&mut self, id: i64, now: Millis, reason: &str) -> Result<bool>;

    /// One short transaction of deleting a hook: up to `batch` of its
    /// events, then the hook. `Some(n)`: deleted the hook (and its last `n`
    /// events); `None`: more remain.
    fn delete_hook_step(&mut self, hook: &Hook, batch: usize) -> Result<Option<u64>>;

    /// Refused requests of this hook by HTTP status.
    fn refusals(&self, hook_id: i64) -> Result<Vec<(u16, u64)>>;

    /// The hook with this name or token; exit 3 when there is none.
    fn hook(&self, key: &str) -> Result<Hook> {
        self.find_hook(key)?.ok_or_else(|| {
            Failure::refused(format!("no hook named {key:?}"))
                .hint("`hookq hooks list` shows the hooks")
                .into()
        })
    }
}

/// Connections: the stored verification settings of senders.
pub trait ConnectionStore {
    /// Every connection, by name.
    fn connections(&self) -> Result<Vec<StoredConnection>>;

    fn find_connection(&self, name: &str) -> Result<Option<StoredConnection>>;

    fn create_connection(
        &mut self,
        name: &str,
        kind: Kind,
        secret: &str,
        options: &Options,
        now: Millis,
    ) -> Result<StoredConnection>;

    /// A new secret; the previous one stays accepted until `until`.
    fn rotate_connection(
        &mut self,
        connection: &StoredConnection,
        secret: &str,
        until: Millis,
    ) -> Result<StoredConnection>;

    fn delete_connection(&mut self, connection: &StoredConnection) -> Result<()>;

    /// The connection of this name; exit 3 when there is none.
    fn connection(&self, name: &str) -> Result<StoredConnection> {
        self.find_connection(name)?.ok_or_else(|| {
            Failure::refused(format!("no connection named {name:?}"))
                .hint("`hookq connections list` shows the connections")
                .into()
        })
    }

    /// Every connection, by id, for the server.
    fn connections_by_id(&self) -> Result<HashMap<i64, StoredConnection>> {
        Ok(self.connections()?.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// Scenarios.
pub trait ScenarioStore {
    /// Every scenario, by name.
    fn scenarios(&self) -> Result<Vec<Scenario>>;

    fn find_scenario(&self, name: &str) -> Result<Option<Scenario>>;

    fn scenario_by_id(&self, id: i64) -> Result<Option<Scenario>>;

    /// Attach a new scenario to a hook that has none.
    fn create_scenario(
        &mut self,
        name: &str,
        hook_id: i64,
        settings: &ScenarioSettings,
        active: bool,
        now: Millis,
    ) -> Result<Scenario>;

    fn update_scenario(
        &mut self,
        scenario: &Scenario,
        hook_id: i64,
        settings: &ScenarioSettings,
        now: Millis,
    ) -> Result<()>;

    /// Since when it waits for its forwarding target (`None`: it does not).
    fn set_scenario_waiting(&self, id: i64, since: Option<Millis>) -> Result<()>;

    /// Whether it changed.
    fn set_scenario_active(&mut self, id: i64, active: bool, now: Millis) -> Result<bool>;

    /// One short transaction of deleting a scenario's history, then the
    /// scenario: `Some(n)` once deleted, `None` while more remain.
    fn delete_scenario_step(
        &mut self,
        scenario: &Scenario,
        batch: usize,
        now: Millis,
    ) -> Result<Option<u64>>;

    /// The scenario of this name; exit 3 when there is none.
    fn scenario(&self, name: &str) -> Result<Scenario> {
        self.find_scenario(name)?.ok_or_else(|| {
            Failure::refused(format!("no scenario named {name:?}"))
                .hint("`hookq scenario list` shows the scenarios")
                .into()
        })
    }
}

/// Events: ingest (group commit), queues, inspection.
pub trait EventStore {
    /// Store a batch of events and refusal counts in one transaction (group
    /// commit), the queue limits checked inside it; `before_commit` sees
    /// the outcomes before anyone else can see the events. All or nothing.
    /// In the same transaction, the next execution of each `lingering`
    /// scenario, if it has events queued now (as
    /// [`ExecutionStore::start_immediately`] would start it right after):
    /// its worker runs it without a transaction of its own, one less on the
    /// path of an answered webhook. `None` for one not started, which its
    /// worker then looks at itself; PostgreSQL starts none (the hooks' rows
    /// the batch locks would come before the scenario's, the reverse of
    /// every other transaction's order).
    fn enqueue_starting(
        &mut self,
        events: &[NewEvent],
        refusals: &[RefusalCount],
        lingering: &[Lingering],
        before_commit: &mut dyn FnMut(&[Enqueued]),
    ) -> Result<Enqueuing>;

    /// Queued events per hook id.
    fn queue_depths(&self) -> Result<Vec<(i64, u64)>>;

    fn events(
        &self,
        hook_id: i64,
        filter: &EventFilter,
        newest_first: bool,
        limit: u64,
    ) -> Result<Vec<Event>>;

    /// A page of a hook's newest events in these states, below `before`.
    fn newest_events(
        &self,
        hook_id: i64,
        states: &[EventState],
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Event>>;

    fn find_event(&self, id: i64) -> Result<Option<Event>>;

    /// An event's body, unless purged.
    fn payload(&self, event_id: i64) -> Result<Option<Vec<u8>>>;

    /// Take queued or incomplete events out of the queue, all or nothing.
    fn discard(&mut self, ids: &[i64]) -> Result<()>;

    /// [`EventStore::enqueue_starting`] with no execution to start.
    fn enqueue_then(
        &mut self,
        events: &[NewEvent],
        refusals: &[RefusalCount],
        before_commit: &mut dyn FnMut(&[Enqueued]),
    ) -> Result<Vec<Enqueued>> {
        Ok(self
            .enqueue_starting(events, refusals, &[], before_commit)?
            .outcomes)
    }

    /// [`EventStore::enqueue_then`] with nothing to do before the commit.
    fn enqueue(&mut self, events: &[NewEvent], refusals: &[RefusalCount]) -> Result<Vec<Enqueued>> {
        self.enqueue_then(events, refusals, &mut |_| {})
    }

    /// One event by id; exit 3 when there is none.
    fn event(&self, id: i64) -> Result<Event> {
        self.find_event(id)?
            .ok_or_else(|| Failure::refused(format!("no event {id}")).into())
    }
}

/// Leases and executions: one execution per scenario, claim, commit,
/// rollback.
pub trait ExecutionStore {
    /// Take the scenario's lease (false: a live holder has it), putting back
    /// what a dead holder left running, in the same transaction.
    fn acquire_lease(&mut self, scenario_id: i64) -> Result<bool>;

    /// Whether this process still holds it.
    fn renew_lease(&self, scenario_id: i64) -> Result<bool>;

    fn release_lease(&self, scenario_id: i64) -> Result<()>;

    fn queued_count(&self, hook_id: i64) -> Result<u64>;

    fn start_execution(
        &mut self,
        scenario_id: i64,
        trigger: Trigger,
        now: Millis,
        hook_id: i64,
        count: u64,
    ) -> Result<(i64, Vec<ClaimedEvent>)>;

    /// For an `immediately` scenario: take its lease and start an execution
    /// in one transaction, if it is free, active and has something queued.
    fn start_immediately(
        &mut self,
        scenario_id: i64,
        hook_id: i64,
        now: Millis,
        limit: u32,
    ) -> Result<Option<(Scenario, Started)>>;

    /// Commit these cycles' outcomes in one transaction, fenced on the
    /// lease (another holder: only the operations are recorded).
    fn finish_cycles(
        &mut self,
        scenario_id: i64,
        cycles: &[(CycleEnd, NewOperation<'_>)],
        ahead: Ahead<'_>,
        last: Option<&ExecutionEnd<'_>>,
    ) -> Result<Committed>;

    fn finish_execution(
        &mut self,
        execution_id: i64,
        scenario_id: i64,
        status: ExecutionStatus,
        error: Option<&str>,
        update: ScenarioUpdate,
        now: Millis,
    ) -> Result<ExecutionRecord>;

    fn execution(&self, id: i64) -> Result<ExecutionRecord>;

    fn executions(&self, scenario_id: i64, limit: u32) -> Result<Vec<ExecutionRecord>>;

    fn operations(
        &self,
        hook_id: i64,
        status: Option<OperationStatus>,
        event_id: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Operation>>;
}

/// The sweep (SPEC §7): each write one short transaction of at most a
/// batch of rows; the rules are asked again inside it.
pub trait SweepStore {
    /// The facts the lifecycle rules read, for every hook.
    fn hook_facts(&self) -> Result<Vec<HookFacts>>;

    /// Disable each of these hooks for which `rule`, asked on its facts as
    /// they are now, gives a reason. One transaction.
    fn sweep_disable(
        &mut self,
        hook_ids: &[i64],
        now: Millis,
        rule: &dyn Fn(&HookFacts) -> Option<DisableReason>,
    ) -> Result<Vec<(i64, DisableReason)>>;

    /// One step of deleting a hook if `rule` still holds on its facts.
    fn sweep_delete_step(
        &mut self,
        hook_id: i64,
        batch: usize,
        rule: &dyn Fn(&HookFacts) -> bool,
    ) -> Result<DeleteStep>;

    fn payloads_to_purge(
        &self,
        before: Millis,
        cursor: PurgeCursor,
        batch: usize,
    ) -> Result<Vec<PurgeCursor>>;

    /// Forget up to `batch` expired delivery ids; how many.
    fn prune_deliveries(&mut self, now: Millis, batch: usize) -> Result<u64>;

    fn purge_payloads(&mut self, event_ids: &[i64], before: Millis) -> Result<u64>;

    fn count_payloads_to_purge(&self, before: Millis, deleting: &[i64]) -> Result<u64>;

    /// Units of free space the store could give back (SQLite: free pages;
    /// an engine that reclaims by itself: 0).
    fn free_pages(&self) -> Result<u64>;

    /// Give at most `pages` of them back, in one transaction; how many.
    fn reclaim_pages(&mut self, pages: u64) -> Result<u64>;

    /// Let the files show what was given back, without waiting for anyone
    /// (SQLite: a PASSIVE checkpoint). Best effort.
    fn checkpoint(&self) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_a_postgres_location_and_anything_else_a_path() {
        for url in ["postgres://u@h/db", "postgresql://h/db", "POSTGRES://h/db"] {
            assert!(
                matches!(Location::parse(OsStr::new(url)), Location::Postgres(_)),
                "{url}"
            );
        }
        for path in ["hookq.db", "./postgres://x", "/tmp/postgres", "postgres:/x"] {
            assert_eq!(
                Location::parse(OsStr::new(path)),
                Location::Sqlite(PathBuf::from(path))
            );
        }
    }

    #[test]
    fn a_postgres_url_is_shown_without_its_password() {
        let shown = |url: &str| Location::parse(OsStr::new(url)).to_string();
        assert_eq!(
            shown("postgres://ann:s3cret@db:5432/hq"),
            "postgres://ann@db:5432/hq"
        );
        assert_eq!(
            shown("postgresql://ann:p@ss@db/hq?sslmode=require"),
            "postgresql://ann@db/hq?sslmode=require"
        );
        assert_eq!(
            shown("postgres://db/hq?password=s3cret&sslmode=disable"),
            "postgres://db/hq?sslmode=disable"
        );
        assert_eq!(shown("postgres://ann@db/hq"), "postgres://ann@db/hq");
        let url = Location::parse(OsStr::new("postgres://ann:s3cret@db/hq"));
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
