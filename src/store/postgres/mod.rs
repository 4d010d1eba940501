//! The PostgreSQL store (docs/scaling.md): the same hooks, queues and
//! scenarios as the SQLite file, shared by several processes and hosts.
//!
//! A [`PgStore`] is one connection, made again on demand after it was lost
//! (a restart, a failover, a cut network): every operation on a lost
//! connection fails at once with the reason (the server answers 503), and
//! the next one after [`RETRY_EVERY`] connects again. No operation keeps a
//! transaction open across calls, so a reconnect never resumes half of one.
//! The SQL here is PostgreSQL's own; the types it reads and writes are the
//! store's, shared with SQLite.

mod admin;
mod api;
mod executions;
mod import;
mod ingest;
mod inspect;
mod leases;
pub(crate) mod listen;
mod tls;

pub(crate) use import::import;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use postgres::error::SqlState;
use postgres::types::ToSql;
#[cfg(test)]
use postgres::NoTls;
use postgres::{Client, GenericClient, Row, Statement};

use crate::error::Failure;
use crate::store::{Access, Location, PgUrl, Store, Unreachable};

/// Append-only: a released migration is never edited, only followed.
/// Numbered on their own, apart from SQLite's.
pub(crate) const MIGRATIONS: &[(&str, &str)] =
    &[("001_initial", include_str!("migrations/001_initial.sql"))];

/// The key of the advisory lock that migrations take: one process migrates
/// while the others wait, then find nothing left to do. ("hookq" in ASCII.)
const MIGRATION_LOCK: i64 = 0x0068_6f6f_6b71;

/// After a failed connect, how long every operation fails at once with
/// that error before the next try: requests get their 503 now instead of
/// waiting behind connect timeouts.
const RETRY_EVERY: Duration = Duration::from_millis(500);

/// The driver's settings and TLS for a URL, or a usage error that shows
/// the URL without its password.
pub(crate) fn config_of(url: &PgUrl) -> Result<tls::Server> {
    tls::Server::of(url)
}

/// The same server and user, another database (the test switch's database
/// per test).
#[cfg(test)]
pub(crate) fn with_dbname(url: &str, dbname: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let head = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{head}/{dbname}?{q}"),
        None => format!("{head}/{dbname}"),
    }
}

/// The connection of a store, and what is known of the last try to make it.
struct Link {
    client: Option<Client>,
    /// Statements prepared on this connection, by their SQL
    /// ([`prepared`]): one round trip each instead of two. Made again with
    /// the connection.
    statements: HashMap<String, Statement>,
    /// The last failed connect: when, and why.
    failed: Option<(Instant, String)>,
}

pub struct PgStore {
    location: Location,
    url: PgUrl,
    server: tls::Server,
    session: RefCell<Link>,
    /// [`PgStore::relax_durability`] was asked: made again on reconnect.
    relaxed: Cell<bool>,
    /// The cluster's system identifier and the database's oid at the first
    /// connection; a reconnect that finds others sets `moved`.
    identity: Cell<Option<(i64, i64)>>,
    moved: Cell<bool>,
}

impl PgStore {
    /// Connect, migrate, and unless it only reads ([`Access::Read`]), put
    /// back what a dead process left running.
    pub(crate) fn open(url: &PgUrl, access: Access) -> Result<PgStore> {
        let store = PgStore {
            location: Location::Postgres(url.clone()),
            url: url.clone(),
            server: config_of(url)?,
            session: RefCell::new(Link {
                client: None,
                statements: HashMap::new(),
                failed: None,
            }),
            relaxed: Cell::new(false),
            identity: Cell::new(None),
            moved: Cell::new(false),
        };
        store.with(migrate)?;
        if access != Access::Read {
            store
                .repair_running()
                .with_context(|| format!("could not repair running events in {url}"))?;
        }
        Ok(store)
    }

    pub(crate) fn location(&self) -> &Location {
        &self.location
    }

    /// Changes whenever something the pages show changed in this database:
    /// a new event, operation or execution, a queue's length, the hooks,
    /// connections or scenarios (end points of indexes and one small
    /// table, no event read). Not the next transaction id: exact, but the
    /// whole cluster's, so every other database's writes would refresh the
    /// pages too; nor PostgreSQL's per-database row counters, which each
    /// session reports when it goes idle, up to 10 s late. What none of
    /// these sees (an incomplete event discarded, a payload purged) shows
    /// at the next change or reload.
    pub(crate) fn data_version(&self) -> Result<i64> {
        use std::hash::{Hash, Hasher};
        let row = self.with(|c| {
            Ok(c.query_one_cached(
                "SELECT (SELECT value FROM settings WHERE key = 'config_version'),
                        (SELECT coalesce(max(id), 0) FROM events),
                        (SELECT coalesce(max(id), 0) FROM operations),
                        (SELECT coalesce(max(id), 0) FROM executions),
                        (SELECT coalesce(sum(queued), 0)::bigint FROM hooks)",
                &[],
            )?)
        })?;
        // Deterministic (SipHash with fixed keys): the same values give the
        // same version in every poll.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for i in 0..row.len() {
            row.get::<_, Option<i64>>(i).hash(&mut hasher);
        }
        Ok(hasher.finish() as i64)
    }

    /// Commits are durable when they return (a commit cannot be split);
    /// relaxed ones reach the disk by PostgreSQL's WAL writer within a few
    /// hundred ms, and never delay another session's commit.
    pub(crate) fn sync(&self) -> Result<()> {
        Ok(())
    }

    /// Nothing to set aside: PostgreSQL's checkpoints are the server's.
    pub(crate) fn during_long_execution(
        &mut self,
        body: &mut dyn FnMut(&mut dyn Store) -> Result<()>,
    ) -> Result<()> {
        body(self)
    }

    /// Run `body` on the connection, connecting first if there is none. An
    /// error that means the connection is gone drops it (the next call
    /// connects again); a deadlock or serialization failure is tried once
    /// more, since `body` always starts its own transaction.
    pub(crate) fn with<R>(&self, mut body: impl FnMut(&mut Client) -> Result<R>) -> Result<R> {
        self.with_prepared(&[], |client, _| body(client))
    }

    /// [`PgStore::with`], `body` getting `sql` prepared on this connection
    /// (in the same order): for the statements of the hot paths. Any
    /// statement run through [`Cached`] during `body` is prepared once per
    /// connection too.
    pub(crate) fn with_prepared<R>(
        &self,
        sql: &[&'static str],
        mut body: impl FnMut(&mut Client, &[Statement]) -> Result<R>,
    ) -> Result<R> {
        let mut session = self.session.borrow_mut();
        let mut tried = false;
        loop {
            self.connected(&mut session)?;
            let Link {
                client: slot,
                statements,
                ..
            } = &mut *session;
            let client = slot.as_mut().expect("connected above");
            // This connection's statements, where [`prepared`] finds them
            // during the call; back in the link after it.
            let outer = PREPARED.replace(Some(std::mem::take(statements)));
            let result = sql
                .iter()
                .map(|&sql| Ok(prepared(client, sql)?))
                .collect::<Result<Vec<_>>>()
                .and_then(|statements| body(client, &statements));
            *statements = PREPARED.replace(outer).unwrap_or_default();
            match result {
                Ok(r) => return Ok(r),
                Err(e) => {
                    let code = sql_state(&e);
                    if client.is_closed() || code.as_ref().is_some_and(connection_lost) {
                        *slot = None;
                        statements.clear();
                        let e = e.context(format!("lost the connection to {}", self.url));
                        return Err(Unreachable(e).into());
                    }
                    let retry = code == Some(SqlState::T_R_DEADLOCK_DETECTED)
                        || code == Some(SqlState::T_R_SERIALIZATION_FAILURE);
                    if retry && !tried {
                        tried = true;
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// A failure to connect is [`Unreachable`]: the server answers 503 and
    /// logs the outage once.
    fn connected(&self, session: &mut Link) -> Result<()> {
        self.connect_if_needed(session)
            .map_err(|e| Unreachable(e).into())
    }

    fn connect_if_needed(&self, session: &mut Link) -> Result<()> {
        if session.client.as_ref().is_some_and(Client::is_closed) {
            session.client = None;
        }
        if session.client.is_none() {
            if let Some((at, why)) = &session.failed {
                if at.elapsed() < RETRY_EVERY {
                    bail!("PostgreSQL unreachable: {why}");
                }
            }
            match self.connect() {
                Ok(client) => {
                    session.client = Some(client);
                    session.statements.clear();
                    session.failed = None;
                }
                Err(e) => {
                    let why = format!("{e:#}");
                    session.failed = Some((Instant::now(), why));
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// One new connection with hookq's settings: commits durable unless
    /// relaxed, SQLite's busy patience as the lock timeout, and no row lock
    /// held for ever by a frozen process.
    fn connect(&self) -> Result<Client> {
        let mut config = self.server.config.clone();
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_tcp_user_timeout().is_none() {
            // A cut network fails a statement in seconds, not the
            // kernel's 15 minutes.
            config.tcp_user_timeout(Duration::from_secs(10));
        }
        config.keepalives_idle(Duration::from_secs(10));
        if config.get_application_name().is_none() {
            config.application_name("hookq");
        }
        let mut client = self.server.connect(&config, &self.url)?;
        let synchronous = if self.relaxed.get() { "off" } else { "on" };
        client
            .batch_execute(&format!(
                "SET synchronous_commit = {synchronous}; SET lock_timeout = '30s';
                 SET idle_in_transaction_session_timeout = '60s'"
            ))
            .with_context(|| format!("could not set up the connection to {}", self.url))?;
        let row = client.query_one(
            "SELECT (pg_control_system()).system_identifier,
                    (SELECT oid::bigint FROM pg_database WHERE datname = current_database())",
            &[],
        )?;
        let now = (row.get::<_, i64>(0), row.get::<_, i64>(1));
        match self.identity.get() {
            None => self.identity.set(Some(now)),
            Some(then) if then != now => self.moved.set(true),
            Some(_) => {}
        }
        Ok(client)
    }

    /// The schema version the database is at.
    pub(crate) fn schema_version(&self) -> Result<usize> {
        self.with(schema_version)
    }

    /// `synchronous_commit = off` on this connection (execution
    /// bookkeeping, the sweep): never for the writer.
    pub(crate) fn relax_durability(&self) -> Result<()> {
        self.relaxed.set(true);
        self.with(|client| Ok(client.batch_execute("SET synchronous_commit = off")?))
    }

    /// Whether what this connection commits is still what other processes
    /// read: after a reconnect, the same cluster and database as at first.
    pub(crate) fn still_in_place(&mut self) -> Result<()> {
        if self.moved.get() {
            bail!(
                "{} now leads to another PostgreSQL cluster or database than when this process \
                 started: what it stored there would be lost to the others",
                self.url
            );
        }
        Ok(())
    }

    /// `--max-db-size`: a PostgreSQL database's size is its DBA's to bound.
    pub(crate) fn limit_size(&self, _bytes: u64) -> Result<()> {
        Err(
            Failure::usage("--max-db-size applies to a SQLite file only")
                .hint("bound a PostgreSQL database with its tablespace or a disk quota")
                .into(),
        )
    }

    /// A number that changes whenever hooks, connections or scenarios change.
    pub(crate) fn config_version(&self) -> Result<i64> {
        self.with(|client| {
            Ok(client
                .query_one_cached(
                    "SELECT value FROM settings WHERE key = 'config_version'",
                    &[],
                )?
                .get(0))
        })
    }
}

/// Most statements kept per connection: the SQL of hookq is a fixed set
/// (a few variants built from constants), so this is never reached unless
/// a future statement embeds a value in its text; past it, statements are
/// prepared per call again rather than piling up.
const MAX_PREPARED: usize = 256;

thread_local! {
    /// The statements of the connection whose [`PgStore::with_prepared`]
    /// runs on this thread: a store is used by one thread at a time, and
    /// its body reaches only that connection.
    static PREPARED: RefCell<Option<HashMap<String, Statement>>> = const { RefCell::new(None) };
}

/// `sql` prepared on `client`'s connection, once per connection.
fn prepared<C: GenericClient + ?Sized>(
    client: &mut C,
    sql: &str,
) -> Result<Statement, postgres::Error> {
    if let Some(statement) =
        PREPARED.with_borrow(|cache| cache.as_ref().and_then(|cache| cache.get(sql).cloned()))
    {
        return Ok(statement);
    }
    let statement = client.prepare(sql)?;
    PREPARED.with_borrow_mut(|cache| {
        if let Some(cache) = cache.as_mut().filter(|cache| cache.len() < MAX_PREPARED) {
            cache.insert(sql.to_owned(), statement.clone());
        }
    });
    Ok(statement)
}

/// A statement given as SQL text, run as a statement prepared once per
/// connection ([`prepared`]): one round trip instead of two (a text
/// statement is prepared, then run, on every call).
pub(super) trait Cached: GenericClient {
    fn query_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error> {
        let statement = prepared(self, sql)?;
        self.query(&statement, params)
    }

    fn query_one_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, postgres::Error> {
        let statement = prepared(self, sql)?;
        self.query_one(&statement, params)
    }

    fn query_opt_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error> {
        let statement = prepared(self, sql)?;
        self.query_opt(&statement, params)
    }

    fn execute_cached(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let statement = prepared(self, sql)?;
        self.execute(&statement, params)
    }
}

impl<C: GenericClient> Cached for C {}

/// The SQLSTATE of the PostgreSQL error in `e`'s chain, if any.
fn sql_state(e: &anyhow::Error) -> Option<SqlState> {
    e.chain()
        .find_map(|cause| cause.downcast_ref::<postgres::Error>())
        .and_then(|pg| pg.code().cloned())
}

/// Whether an error means the connection is gone: the server shutting
/// down or starting up, or the network.
fn connection_lost(code: &SqlState) -> bool {
    let code = code.code();
    code.starts_with("08") || code.starts_with("57P")
}

fn schema_version(client: &mut Client) -> Result<usize> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version: Option<i32> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])?
        .get(0);
    Ok(version.map_or(0, |v| v as usize))
}

/// Apply the missing migrations in one transaction under an advisory lock.
/// Reading the version first keeps the common case (up to date) free of
/// any lock.
fn migrate(client: &mut Client) -> Result<()> {
    let known = MIGRATIONS.len();
    let check = |version: usize| -> Result<()> {
        if version > known {
            bail!(
                "its schema version {version} is newer than this hookq knows ({known}); \
                 upgrade hookq to use this database"
            );
        }
        Ok(())
    };
    let version = schema_version(client)?;
    check(version)?;
    if version == known {
        return Ok(());
    }
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )?;
    // Another process may have migrated meanwhile.
    let version: Option<i32> = tx
        .query_one("SELECT max(version) FROM schema_migrations", &[])?
        .get(0);
    let version = version.map_or(0, |v| v as usize);
    check(version)?;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.batch_execute(sql)
            .with_context(|| format!("migration {name} failed"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&(index as i32 + 1), name],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Reads a column the store keeps as JSON text.
pub(super) fn json<T: serde::de::DeserializeOwned>(row: &postgres::Row, idx: usize) -> Result<T> {
    let text: String = row.get(idx);
    serde_json::from_str(&text).with_context(|| {
        format!(
            "in the database: column {} holds {text:?}, which this hookq cannot read",
            row.columns()[idx].name()
        )
    })
}

/// Reads a column the store keeps as one of a fixed set of words.
pub(super) fn word<T: FromStr<Err = String>>(row: &postgres::Row, idx: usize) -> Result<T> {
    let text: &str = row.get(idx);
    text.parse()
        .map_err(|e: String| anyhow::anyhow!("in the database: {e}"))
}

/// An unsigned count or setting kept as `bigint`.
pub(super) fn unsigned<T: TryFrom<i64>>(row: &postgres::Row, idx: usize) -> Result<T> {
    let value: i64 = row.get(idx);
    T::try_from(value).map_err(|_| {
        anyhow::anyhow!(
            "in the database: column {} holds {value}, out of range",
            row.columns()[idx].name()
        )
    })
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A new, migrated database on the cluster of `HOOKQ_TEST_PG`, dropped
    /// at the end; `None` (the test skips) without one.
    pub(crate) struct Scratch {
        admin: String,
        name: String,
        pub(crate) url: PgUrl,
    }

    impl Scratch {
        pub(crate) fn new(name: &str) -> Option<Scratch> {
            // Unset in the first `cargo test` of .ci/run too: its second run
            // sets it.
            let Ok(admin) = std::env::var("HOOKQ_TEST_PG") else {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("skipped: HOOKQ_TEST_PG is not set");
                }
                return None;
            };
            let name = format!("u_{}_{name}", std::process::id());
            let mut client = Client::connect(&admin, NoTls).unwrap();
            for sql in [
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                format!("CREATE DATABASE {name}"),
            ] {
                client.batch_execute(&sql).unwrap();
            }
            let Location::Postgres(url) =
                Location::parse(std::ffi::OsStr::new(&with_dbname(&admin, &name)))
            else {
                panic!("not a PostgreSQL URL: {admin}");
            };
            Some(Scratch { admin, name, url })
        }

        /// Drop the database and make a new one of the same name.
        pub(crate) fn recreate(&self) {
            let mut client = Client::connect(&self.admin, NoTls).unwrap();
            for sql in [
                format!("DROP DATABASE {} WITH (FORCE)", self.name),
                format!("CREATE DATABASE {}", self.name),
            ] {
                client.batch_execute(&sql).unwrap();
            }
        }

        pub(crate) fn connect(&self) -> Client {
            Client::connect(self.url.expose(), NoTls).unwrap()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            if let Ok(mut client) = Client::connect(&self.admin, NoTls) {
                let _ = client.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::Scratch;
    use super::*;
    use crate::store::{Enqueued, EventStore, HookSettings, NewEvent, ScenarioSettings, Trigger};

    #[test]
    fn another_database_of_the_same_server() {
        assert_eq!(
            with_dbname("postgres://me:pw@db:6543/queue?sslmode=disable", "t_1"),
            "postgres://me:pw@db:6543/t_1?sslmode=disable"
        );
        assert_eq!(with_dbname("postgres://db", "t_2"), "postgres://db/t_2");
    }

    #[test]
    fn migrating_twice_is_harmless() {
        let Some(db) = Scratch::new("migrate") else {
            return;
        };
        let store = PgStore::open(&db.url, Access::Create).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        drop(store);
        let store = PgStore::open(&db.url, Access::Create).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        store
            .with(|c| Ok(c.batch_execute("INSERT INTO schema_migrations VALUES (99, 'x')")?))
            .unwrap();
        let err = PgStore::open(&db.url, Access::Create).err().unwrap();
        assert!(
            format!("{err:#}").contains("schema version 99 is newer"),
            "{err:#}"
        );
    }

    /// The claim reads a few index entries of the queue's head, not the
    /// hook's history: counted in buffers (not time), with 3,000 events
    /// done before the 5 still queued, behind another hook's backlog. (Its guard spelled `NOT EXISTS
    /// (... o.id < head.id)` read 100+ blocks here: the primary key over
    /// the history.)
    #[test]
    fn a_claim_reads_the_head_not_the_history() {
        let Some(db) = Scratch::new("claim_cost") else {
            return;
        };
        let mut store = PgStore::open(&db.url, Access::Create).unwrap();
        // Another hook's backlog first, then this hook's events.
        let big = HookSettings {
            queue_limit: 100_000,
            ..HookSettings::default()
        };
        let other = store.create_hook("other", &big, 0).unwrap();
        let hook = store.create_hook("h", &big, 0).unwrap();
        store
            .enqueue(&vec![NewEvent::sample(other.id, 7, b"x"); 10_000], &[])
            .unwrap();
        store
            .enqueue(&vec![NewEvent::sample(hook.id, 7, b"x"); 3005], &[])
            .unwrap();
        let mut client = db.connect();
        // Statistics taken while the whole history was queued, as during a
        // long drain (autovacuum's next ANALYZE comes later), and the old
        // versions vacuumed away: the planner believes the queue is long.
        client.batch_execute("ANALYZE events").unwrap();
        client
            .batch_execute(
                "UPDATE events SET state = 'done'
                 WHERE hook_id = (SELECT id FROM hooks WHERE name = 'h')
                   AND id < (SELECT max(id) - 4 FROM events)",
            )
            .unwrap();
        client.batch_execute("VACUUM events").unwrap();
        let mut tx = client.transaction().unwrap();
        // The text protocol: the plan is `json`, which the driver reads
        // as a string only there.
        let explained = tx
            .simple_query(&format!(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}",
                executions::CLAIM_HEAD.replace("$1", &hook.id.to_string())
            ))
            .unwrap()
            .into_iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            })
            .unwrap();
        tx.rollback().unwrap();
        let plan: serde_json::Value = serde_json::from_str(&explained).unwrap();
        let plan = &plan[0]["Plan"];
        assert_eq!(plan["Actual Rows"], 1, "{plan}");
        let blocks = plan["Shared Hit Blocks"].as_u64().unwrap()
            + plan["Shared Read Blocks"].as_u64().unwrap();
        assert!(blocks < 60, "the claim read {blocks} blocks: {plan}");
    }

    /// A cycle's statements are prepared once per connection and kept (one
    /// round trip each afterwards), and made again after a reconnect.
    #[test]
    fn claims_are_prepared_once_per_connection() {
        let Some(db) = Scratch::new("prepared") else {
            return;
        };
        let mut store = PgStore::open(&db.url, Access::Create).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        store
            .enqueue(&vec![NewEvent::sample(hook.id, 7, b"x"); 4], &[])
            .unwrap();
        let scenario = store
            .create_scenario(
                "s",
                hook.id,
                &ScenarioSettings::new(vec!["true".into()]),
                true,
                0,
            )
            .unwrap();
        assert!(store.acquire_lease(scenario.id).unwrap());
        let kept = |store: &PgStore| -> i64 {
            store
                .with(|c| {
                    Ok(c.query_one(
                        "SELECT count(*) FROM pg_prepared_statements
                         WHERE statement LIKE '%FOR UPDATE SKIP ' || 'LOCKED%'",
                        &[],
                    )?
                    .get(0))
                })
                .unwrap()
        };
        let mut claims = Vec::new();
        for _ in 0..2 {
            let (_, taken) = store
                .start_execution(scenario.id, Trigger::Manual, 0, hook.id, 1)
                .unwrap();
            assert_eq!(taken.len(), 1);
            claims.push(kept(&store));
        }
        assert!(
            claims[0] > 0,
            "the claims' statements kept on the connection"
        );
        assert_eq!(claims[0], claims[1], "prepared once, not per call");
        // A new connection (the server restarted): prepared again there.
        store
            .with(|c| Ok(c.batch_execute("SELECT pg_terminate_backend(pg_backend_pid())")?))
            .unwrap_err();
        let (_, taken) = store
            .start_execution(scenario.id, Trigger::Manual, 0, hook.id, 1)
            .unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(kept(&store), claims[0]);
    }

    /// The page refreshes when its own database changes, not when another
    /// database of the same cluster does.
    #[test]
    fn data_version_follows_this_database_only() {
        let (Some(mine), Some(other)) = (Scratch::new("dv_mine"), Scratch::new("dv_other")) else {
            return;
        };
        let mut store = PgStore::open(&mine.url, Access::Create).unwrap();
        let mut elsewhere = PgStore::open(&other.url, Access::Create).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        let far = elsewhere
            .create_hook("h", &HookSettings::default(), 0)
            .unwrap();
        let before = store.data_version().unwrap();
        elsewhere
            .enqueue(&[NewEvent::sample(far.id, 0, b"x")], &[])
            .unwrap();
        assert_eq!(store.data_version().unwrap(), before, "another database");
        store
            .enqueue(&[NewEvent::sample(hook.id, 0, b"x")], &[])
            .unwrap();
        assert_ne!(store.data_version().unwrap(), before, "an event here");
    }

    /// A URL that leads, after a reconnect, to another database than the
    /// one this process committed to (a restore, a DNS change): what it
    /// would store there is lost to the others, so the writer must stop.
    #[test]
    fn a_reconnect_to_another_database_is_not_in_place() {
        let Some(db) = Scratch::new("moved") else {
            return;
        };
        let mut store = PgStore::open(&db.url, Access::Create).unwrap();
        store.still_in_place().unwrap();
        db.recreate();
        // The first statement finds its connection gone; the next one
        // connects to the new database of the same name.
        let _ = store.config_version();
        let _ = store.with(|c| Ok(c.batch_execute("SELECT 1")?));
        let err = store.still_in_place().unwrap_err();
        assert!(
            format!("{err:#}").contains("another PostgreSQL cluster or database"),
            "{err:#}"
        );
    }

    #[test]
    fn a_queue_is_taken_in_order_by_one_claimer_at_a_time() {
        let Some(db) = Scratch::new("claims") else {
            return;
        };
        let mut store = PgStore::open(&db.url, Access::Create).unwrap();
        let limited = HookSettings {
            queue_limit: 3,
            ..HookSettings::default()
        };
        let hook = store.create_hook("h", &limited, 0).unwrap();
        let events = vec![NewEvent::sample(hook.id, 7, b"x"); 4];
        let outcomes = store.enqueue(&events, &[(hook.id, 401, 2)]).unwrap();
        let ids: Vec<i64> = outcomes
            .iter()
            .filter_map(|o| match o {
                Enqueued::Stored(id) => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(outcomes[3], Enqueued::QueueFull);
        assert_eq!(store.queued_count(hook.id).unwrap(), 3);
        assert_eq!(store.refusals(hook.id).unwrap(), vec![(401, 2)]);
        let found = store.find_hook("h").unwrap().unwrap();
        assert_eq!(found.last_event_at, Some(7));
        let scenario = store
            .create_scenario(
                "s",
                hook.id,
                &ScenarioSettings::new(vec!["true".into()]),
                true,
                0,
            )
            .unwrap();
        assert!(store.acquire_lease(scenario.id).unwrap());
        assert!(!store.acquire_lease(scenario.id).unwrap(), "held");
        assert!(store.renew_lease(scenario.id).unwrap());
        // Another session holds the head: nothing now, never the next one.
        let mut other = db.connect();
        let mut held = other.transaction().unwrap();
        held.execute("SELECT 1 FROM events WHERE id = $1 FOR UPDATE", &[&ids[0]])
            .unwrap();
        let (_, taken) = store
            .start_execution(scenario.id, Trigger::Manual, 0, hook.id, 2)
            .unwrap();
        assert!(taken.is_empty(), "{taken:?}");
        held.rollback().unwrap();
        let (_, taken) = store
            .start_execution(scenario.id, Trigger::Manual, 0, hook.id, 2)
            .unwrap();
        let taken: Vec<i64> = taken.iter().map(|e| e.id).collect();
        assert_eq!(taken, ids[..2]);
        assert_eq!(store.queued_count(hook.id).unwrap(), 1);
        // A crash: another process's repair puts them back once the lease
        // is free.
        store.release_lease(scenario.id).unwrap();
        assert_eq!(store.repair_running().unwrap(), 2);
        assert_eq!(store.queued_count(hook.id).unwrap(), 3);
    }
}

#[cfg(test)]
mod wake_up_tests {
    use std::time::Duration;

    use super::tests_support::Scratch;
    use super::*;
    use crate::store::{
        EventStore, HookSettings, NewEvent, ScenarioSettings, Schedule, WakeUp, WakeUps,
    };

    /// Waits (up to 20 s) for what the listener hears.
    fn heard(listener: &mut dyn WakeUps) -> Vec<WakeUp> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let woken = listener.wait(Duration::from_millis(200)).unwrap();
            if !woken.is_empty() || Instant::now() > deadline {
                return woken;
            }
        }
    }

    #[test]
    fn committed_events_and_config_changes_wake_other_processes() {
        let Some(db) = Scratch::new("wake") else {
            return;
        };
        let mut store = PgStore::open(&db.url, Access::Create).unwrap();
        let now_hook = store
            .create_hook("now", &HookSettings::default(), 0)
            .unwrap();
        let later_hook = store
            .create_hook("later", &HookSettings::default(), 0)
            .unwrap();
        let settings = ScenarioSettings::new(vec!["true".into()]);
        store
            .create_scenario("now", now_hook.id, &settings, true, 0)
            .unwrap();
        let on_demand = ScenarioSettings {
            schedule: Schedule::OnDemand,
            ..settings
        };
        store
            .create_scenario("later", later_hook.id, &on_demand, true, 0)
            .unwrap();
        let mut listener = super::listen::Listener::new(&db.url).unwrap();
        // Only the hook whose scenario runs `immediately` wakes anyone,
        // once per transaction however many events.
        let events = vec![
            NewEvent::sample(later_hook.id, 0, b"x"),
            NewEvent::sample(now_hook.id, 0, b"x"),
            NewEvent::sample(now_hook.id, 0, b"y"),
        ];
        store.enqueue(&events, &[]).unwrap();
        assert_eq!(
            heard(&mut listener),
            vec![WakeUp::Events {
                hook_id: now_hook.id
            }]
        );
        store.disable_hook(later_hook.id, 0, "test").unwrap();
        assert_eq!(heard(&mut listener), vec![WakeUp::Config]);
    }
}
