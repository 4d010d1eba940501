//! The SQLite store: one file holding hooks, connections, scenarios, events,
//! payloads, executions, operations and settings.
//!
//! [`SqliteStore::open_for`] is the one place a connection is set up: the file and its
//! directory made private, WAL, `synchronous=FULL`, foreign keys, a busy
//! timeout, the migrations, and the repair of events a crash left running.
//! Everything SQLite stays here: SQL, PRAGMAs, `BEGIN IMMEDIATE`
//! ([`SqliteStore::write`]), checkpoints, the file's identity, leases judged
//! by `/proc`. The rest of hookq sees a `dyn Store`.

mod connections;
mod events;
mod executions;
mod export;
mod hooks;
mod leases;
mod scenarios;
mod states;
mod sweep;

use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub(crate) use export::Snapshot;

use super::{Access, Location, Session, Store};
use crate::error::Failure;

// The product types, for the files below (`super::Hook`, ...).
#[allow(unused_imports)]
use super::{
    Ahead, ClaimedEvent, Committed, CycleEnd, DeleteStep, Delivery, Enqueued, Event, EventFilter,
    EventState, ExecutionEnd, ExecutionRecord, ExecutionStatus, Forward, Hook, HookSettings, Input,
    NewEvent, NewOperation, Operation, OperationStatus, PurgeCursor, RefusalCount, Scenario,
    ScenarioSettings, ScenarioUpdate, Schedule, Started, StoredConnection, Trigger,
};

/// Append-only: a released migration is never edited, only followed.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_initial.sql"),
    include_str!("migrations/002_lease_holder.sql"),
    include_str!("migrations/003_hook_burst.sql"),
    include_str!("migrations/004_forward.sql"),
    include_str!("migrations/005_senders.sql"),
];

/// How often an execution's checkpoint thread checkpoints
/// ([`SqliteStore::with_checkpoints_aside`]): about 1,000 WAL pages of cycles.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// The most a WAL file keeps once written back (`journal_size_limit`), in
/// bytes: well above the 4 to 7 MB it runs at, so it is cut only after a peak.
const WAL_SIZE_LIMIT: i64 = 32 << 20;
/// SQLite's own checkpoint threshold, in WAL pages.
const DEFAULT_AUTOCHECKPOINT: i64 = 1000;

/// How long a statement waits for another process's write lock before it
/// fails with "database is locked".
const BUSY_PATIENCE: Duration = Duration::from_secs(30);
/// How often it tries to take the lock meanwhile.
const BUSY_RETRY: Duration = Duration::from_micros(500);

pub(crate) struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// `path` as a [`Location`], for [`Session::location`].
    location: Location,
    /// Set by the checkpoint thread of [`SqliteStore::with_checkpoints_aside`]
    /// after each pass: this connection finishes the checkpoint before its
    /// next write transaction.
    checkpoint_passed: Option<Arc<AtomicBool>>,
    /// The database file and its WAL as they were when first looked at
    /// ([`Session::still_in_place`]).
    identity: Option<Identity>,
}

impl Session for SqliteStore {
    fn location(&self) -> &Location {
        &self.location
    }

    /// The schema version this file is at.
    fn schema_version(&self) -> Result<usize> {
        user_version(&self.conn)
    }

    /// Cap the file at about `bytes` for writes on this connection: past it
    /// a write fails with "database or disk is full" and changes nothing.
    /// Refused (exit 3) if the file is that large already: SQLite would
    /// quietly take the current size as the cap instead.
    fn limit_size(&self, bytes: u64) -> Result<()> {
        let page_size: u64 = self
            .conn
            .pragma_query_value(None, "page_size", |r| r.get(0))?;
        let page_count: u64 = self
            .conn
            .pragma_query_value(None, "page_count", |r| r.get(0))?;
        let size = page_count * page_size;
        if size >= bytes {
            return Err(Failure::refused(format!(
                "the database is {} already, at or over the cap of {}",
                crate::units::Size(size),
                crate::units::Size(bytes)
            ))
            .hint("raise --max-db-size, or make room (hookq sweep, hooks delete)")
            .into());
        }
        let pages = (bytes / page_size.max(1)).max(1);
        self.conn.pragma_update(None, "max_page_count", pages)?;
        Ok(())
    }

    /// `synchronous=NORMAL` on this connection: its commits are durable
    /// against a crash of the process, not against a power cut. For
    /// execution bookkeeping only, where a lost commit means at-least-once
    /// delivery runs an event again; never for acknowledging an event.
    fn relax_durability(&self) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(())
    }

    /// `synchronous=NORMAL` as for relaxed commits, and [`SqliteStore::sync`]
    /// flushes the WAL file the way a `synchronous=FULL` commit would have:
    /// a commit is as durable as before once `sync` returned.
    fn defer_sync(&self) -> Result<()> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(())
    }

    /// Write to disk what was committed to the WAL file without an fsync
    /// (deferred commits, [`SqliteStore::defer_sync`]; relaxed ones,
    /// [`SqliteStore::relax_durability`]), without waiting for anyone's
    /// lock. One flush of the file covers every connection's commits so
    /// far; the WAL header SQLite syncs itself when it starts the file over.
    /// The WAL is opened read-only: a missing one is not created, and there
    /// is nothing to flush.
    fn sync(&self) -> Result<()> {
        let wal = wal_path(&self.path);
        match std::fs::File::open(&wal) {
            Ok(file) => flush(&file).with_context(|| format!("could not flush {}", wal.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("could not open {}", wal.display())),
        }
    }

    /// A number that changes whenever hooks, connections or scenarios change.
    fn config_version(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'config_version'",
            [],
            |row| row.get(0),
        )?)
    }

    /// Fails if the database file or its WAL at this store's path is no
    /// longer the one this connection writes to: deleted, moved, or its
    /// directory removed. SQLite would go on committing into the unlinked
    /// files, which no later process can find: what it commits then is
    /// lost. Two `stat` calls; the first call remembers what it saw (the
    /// WAL exists from the first transaction on, and SQLite keeps it for
    /// as long as this connection is open).
    /// `PRAGMA data_version`: changes when another connection commits; it
    /// reads no page.
    fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))?)
    }

    fn still_in_place(&mut self) -> Result<()> {
        let now = Identity::of(&self.path);
        match (self.identity, now) {
            (None, Ok(now)) => {
                self.identity = Some(now);
                Ok(())
            }
            (Some(then), Ok(now)) if then == now => Ok(()),
            (_, Err(e)) if e.kind() != std::io::ErrorKind::NotFound => Err(anyhow::Error::from(e)
                .context(format!(
                    "could not look at database {}",
                    self.path.display()
                ))),
            _ => bail!(
                "the database file {} or its -wal was deleted or replaced under this process: \
                 what it stored from then on would be lost",
                self.path.display()
            ),
        }
    }

    fn during_long_execution(
        &mut self,
        body: &mut dyn FnMut(&mut dyn Store) -> Result<()>,
    ) -> Result<()> {
        self.with_checkpoints_aside(|store| body(store))
    }
}

#[cfg(test)]
pub(crate) fn execute_for_test(path: &Path, sql: &str) {
    Connection::open(path).unwrap().execute_batch(sql).unwrap();
}

/// The refusal for a path with no database: a reading or writing command
/// never creates one where one was expected.
pub(crate) fn missing(path: &Path) -> Failure {
    Failure::refused(format!("no database at {}", path.display()))
        .hint("create a hook first (hookq hooks create NAME), or give the right --db / HOOKQ_DB")
}

/// Device and inode of the database file and of its WAL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    db: (u64, u64),
    wal: (u64, u64),
}

impl Identity {
    fn of(path: &Path) -> std::io::Result<Identity> {
        use std::os::unix::fs::MetadataExt;
        let id = |path: &Path| std::fs::metadata(path).map(|m| (m.dev(), m.ino()));
        Ok(Identity {
            db: id(path)?,
            wal: id(&wal_path(path))?,
        })
    }
}

/// `PATH-wal`, where SQLite keeps the WAL of the database at `PATH`.
/// The flush a `synchronous=FULL` commit does: `fdatasync`, and on Apple's
/// systems `fsync` as SQLite does there by default (std's `sync_data` asks
/// for `F_FULLFSYNC`, many times slower, which SQLite leaves to `PRAGMA
/// fullfsync`).
fn flush(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(target_vendor = "apple")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `fsync` on a descriptor `file` keeps open.
        if unsafe { libc::fsync(file.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_vendor = "apple"))]
    file.sync_data()
}

fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path`, migrate it, and put
    /// back in the queue the events a dead process left `running`.
    #[cfg(test)]
    pub(crate) fn open(path: &Path) -> Result<SqliteStore> {
        SqliteStore::open_for(path, Access::Create)
    }

    /// Open the database at `path` for what a command does with it (see
    /// [`Access`]): only [`Access::Create`] creates a missing file, and only
    /// a command that writes repairs what a dead process left `running`.
    pub(crate) fn open_for(path: &Path, access: Access) -> Result<SqliteStore> {
        let context = || format!("could not open database {}", path.display());
        if access == Access::Create {
            create_private(path).with_context(context)?;
        } else if let Err(e) = std::fs::metadata(path) {
            if e.kind() == std::io::ErrorKind::NotFound {
                return Err(missing(path).into());
            }
            return Err(e).with_context(context);
        }
        // Without SQLITE_OPEN_CREATE: a file removed since the check above
        // is an error, not a new empty database.
        let flags = match access {
            Access::Create => OpenFlags::default(),
            Access::Read | Access::Write => OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE,
        };
        let mut conn = Connection::open_with_flags(path, flags).with_context(context)?;
        configure(&conn).with_context(context)?;
        migrate(&mut conn).with_context(context)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_owned(),
            location: Location::Sqlite(path.to_owned()),
            checkpoint_passed: None,
            identity: None,
        };
        if access != Access::Read {
            store.repair_running().with_context(|| {
                format!("could not repair running events in {}", path.display())
            })?;
        }
        Ok(store)
    }

    /// An empty store in memory, named after `path`: what a reading command
    /// shows where no database was created yet (the default path of a new
    /// user). Nothing is written to disk.
    pub(crate) fn empty(path: &Path) -> Result<SqliteStore> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn,
            path: path.to_owned(),
            location: Location::Sqlite(path.to_owned()),
            checkpoint_passed: None,
            identity: None,
        })
    }

    #[cfg(test)]
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A write transaction that takes the write lock up front. In WAL mode a
    /// deferred transaction that reads first and writes later can fail with
    /// SQLITE_BUSY without waiting; an immediate one waits its turn.
    pub(crate) fn write(&mut self) -> Result<Transaction<'_>> {
        if let Some(passed) = &self.checkpoint_passed {
            // Best effort: busy with another checkpoint, the next pass does it.
            if passed.swap(false, Ordering::Relaxed) {
                let _ = checkpoint(&self.conn);
            }
        }
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Run `body` with this connection's checkpoints left to a thread of
    /// their own. A checkpoint copies the WAL back into the database file
    /// and syncs it: a few milliseconds that a long execution would
    /// otherwise spend every thousand WAL pages or so with its next command
    /// waiting. (The server's writer does not use it: no gain measured, see
    /// docs/benchmarks.md.)
    ///
    /// The thread checkpoints every [`CHECKPOINT_EVERY`], PASSIVE: it never
    /// waits for this connection's writes, but for the same reason it
    /// rarely ends with the whole WAL copied, and SQLite starts the WAL over
    /// only when a write transaction begins on a WAL copied whole. So after
    /// each pass this connection copies the few pages written meanwhile
    /// itself, before its next write transaction ([`SqliteStore::write`]); without
    /// that the WAL grows for as long as the writes go on (measured: 750 MB
    /// in the first 12 s of a drain). Afterwards this connection checkpoints
    /// by itself again.
    pub(crate) fn with_checkpoints_aside<R>(
        &mut self,
        body: impl FnOnce(&mut SqliteStore) -> Result<R>,
    ) -> Result<R> {
        // Never creates: a database deleted meanwhile is not replaced by an
        // empty one at its path.
        let flags = OpenFlags::default() - OpenFlags::SQLITE_OPEN_CREATE;
        let checkpoints = Connection::open_with_flags(&self.path, flags)
            .map_err(anyhow::Error::from)
            .and_then(|conn| {
                conn.busy_handler(Some(wait_for_lock))?;
                Ok(conn)
            })
            .with_context(|| format!("could not open database {}", self.path.display()))?;
        let passed = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("hookq-checkpoint".into())
            .spawn({
                let passed = passed.clone();
                move || {
                    while let Err(RecvTimeoutError::Timeout) =
                        stopped.recv_timeout(CHECKPOINT_EVERY)
                    {
                        // Busy or failed: the next pass, or this connection's
                        // own checkpoints afterwards, do it.
                        if checkpoint(&checkpoints).is_ok() {
                            passed.store(true, Ordering::Relaxed);
                        }
                    }
                }
            })
            .context("could not start the checkpoint thread")?;
        // (On an error from here on, `stop` goes and the thread ends.)
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        self.checkpoint_passed = Some(passed);
        let result = body(self);
        self.checkpoint_passed = None;
        drop(stop);
        let _ = thread.join();
        self.conn
            .pragma_update(None, "wal_autocheckpoint", DEFAULT_AUTOCHECKPOINT)?;
        result
    }
}

/// Create the file (0600) and any missing directory (0700) before SQLite
/// does, so they are private from the first byte.
fn create_private(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("could not create directory {}", dir.display()))?;
        }
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).context("could not create the database file"),
    }
}

/// Wait for a busy lock by trying again every half millisecond. A server
/// under steady load commits back to back and leaves the write lock free
/// only for moments between two transactions; SQLite's default busy handler
/// sleeps longer and longer (up to 100 ms) between tries and can miss every
/// one of those gaps until it gives up (seen: a sweep failing 3 times in 3
/// against a loaded server).
fn wait_for_lock(tries: i32) -> bool {
    std::thread::sleep(BUSY_RETRY);
    u128::from(tries.unsigned_abs()) < BUSY_PATIENCE.as_micros() / BUSY_RETRY.as_micros()
}

/// A PASSIVE checkpoint: copies what it can of the WAL without waiting.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    // One row: busy, WAL pages, pages copied.
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_handler(Some(wait_for_lock))?;
    // Lets the sweep give purged payload pages back (PRAGMA
    // incremental_vacuum). It only takes effect on a new, empty file, and
    // setting it takes the write lock and syncs: so only on a new file, not
    // on every open (`hooks show` would pay five fsyncs for nothing).
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0))?;
    if pages == 0 {
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    }
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("could not switch to WAL mode (journal mode is {mode})");
    }
    // FULL: a commit is fsync'd to the WAL before it returns, so an
    // acknowledged event survives a power cut, not only a crash.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // SQLite reuses the WAL file from its start and never shrinks it: a
    // peak (a bulk replay, deleting a hook with a long history) would stay
    // on disk for as long as a server keeps the file open. Past this size
    // the WAL is cut back when it starts over.
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    Ok(())
}

fn user_version(conn: &Connection) -> Result<usize> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(usize::try_from(version).unwrap_or(usize::MAX))
}

/// Apply the missing migrations in one exclusive transaction. Checking the
/// version first keeps the common case (up to date) free of any write lock.
fn migrate(conn: &mut Connection) -> Result<()> {
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
    let version = user_version(conn)?;
    check(version)?;
    if version == known {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let version = user_version(&tx)?; // another process may have migrated meanwhile
    check(version)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(sql)
            .with_context(|| format!("migration {} failed", index + 1))?;
    }
    tx.pragma_update(None, "user_version", known as i64)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::store::{
        ConnectionStore, EventStore, ExecutionStore, HookStore, ScenarioStore, Session, SweepStore,
    };

    #[test]
    fn checkpoints_aside_reach_the_database_file_then_come_back_inline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let file_size = || std::fs::metadata(&path).unwrap().len();
        let before = file_size();
        store
            .with_checkpoints_aside(|store| {
                let autocheckpoint: i64 =
                    store
                        .conn
                        .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))?;
                assert_eq!(autocheckpoint, 0, "not on this connection meanwhile");
                // 2 MiB in the WAL: only a checkpoint puts it in the file.
                store.conn.execute_batch(
                    "CREATE TABLE filler (b BLOB);
                     INSERT INTO filler VALUES (zeroblob(2097152));",
                )?;
                let deadline = std::time::Instant::now() + Duration::from_secs(60);
                while file_size() < before + 2_097_152 {
                    assert!(std::time::Instant::now() < deadline, "never checkpointed");
                    thread::sleep(Duration::from_millis(5));
                }
                Ok(())
            })
            .unwrap();
        let autocheckpoint: i64 = store
            .conn
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap();
        assert_eq!(autocheckpoint, DEFAULT_AUTOCHECKPOINT);
    }

    #[test]
    fn under_writes_that_never_pause_the_wal_still_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut store = SqliteStore::open(&path).unwrap();
        store
            .conn
            .execute_batch("CREATE TABLE filler (b BLOB)")
            .unwrap();
        // The WAL header's checkpoint sequence number: SQLite bumps it each
        // time it starts the WAL over from its first page.
        let wal = dir.path().join("h.db-wal");
        let sequence = || {
            use std::io::Read;
            let mut header = [0; 16];
            std::fs::File::open(&wal)
                .and_then(|mut file| file.read_exact(&mut header))
                .unwrap();
            u32::from_be_bytes(header[12..16].try_into().unwrap())
        };
        store
            .with_checkpoints_aside(|store| {
                let first = sequence();
                let deadline = std::time::Instant::now() + Duration::from_secs(60);
                while sequence() < first + 2 {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the WAL never started over: it grows for as long as writes go on"
                    );
                    let tx = store.write()?;
                    tx.execute("INSERT INTO filler VALUES (zeroblob(8192))", [])?;
                    tx.commit()?;
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn the_wal_is_cut_back_after_a_peak() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let wal_size = || {
            std::fs::metadata(dir.path().join("h.db-wal"))
                .unwrap()
                .len()
        };
        let write = |store: &mut SqliteStore, sql: &str| {
            let tx = store.write().unwrap();
            tx.execute_batch(sql).unwrap();
            tx.commit().unwrap();
        };
        write(&mut store, "CREATE TABLE filler (b BLOB)");
        // One 48 MiB transaction: the WAL holds it all.
        write(&mut store, "INSERT INTO filler VALUES (zeroblob(50331648))");
        assert!(wal_size() > WAL_SIZE_LIMIT as u64);
        // Written back (this commit's own checkpoint did it), the WAL starts
        // over at the next write, and is cut back.
        write(&mut store, "DELETE FROM filler");
        write(&mut store, "INSERT INTO filler VALUES (x'00')");
        assert!(
            wal_size() <= WAL_SIZE_LIMIT as u64,
            "the WAL stayed at {} bytes",
            wal_size()
        );
    }

    #[test]
    fn migrating_twice_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        drop(store);
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), MIGRATIONS.len());
    }

    #[test]
    fn a_version_1_database_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO hooks (id, name, token, rate_limit, queue_limit, max_body, created_at,
                                enabled_at) VALUES (1, 'kept', 't', 5, 10, 100, 0, 0),
                                                   (2, 'other', 'u', 5, 10, 100, 0, 0);
             INSERT INTO scenarios (id, name, hook_id, command, schedule, max_cycles, max_errors,
                                    timeout_ms, input, store_incomplete, active, created_at)
             VALUES (1, 'renewed', 1, '[\"true\"]', 'on-demand', 1, 3, 1000, 'raw', 0, 1, 0),
                    (2, 'run-out', 2, '[\"true\"]', 'on-demand', 1, 3, 1000, 'raw', 0, 1, 0);",
        )
        .unwrap();
        // Leases as version 1 wrote them: a pid and an expiry, judged by
        // renewal since. One renewed, one not renewed in time.
        let now = crate::clock::system_now();
        conn.execute(
            "INSERT INTO leases (scenario_id, pid, expires_at) VALUES (1, ?1, ?2), (2, ?1, ?3)",
            rusqlite::params![std::process::id(), now + leases::LEASE_TTL, now - 1],
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        assert_eq!(store.hook("kept").unwrap().name, "kept");
        assert!(leases::held(store.conn(), 1).unwrap(), "renewed: held");
        assert!(!leases::held(store.conn(), 2).unwrap(), "run out: free");
    }

    /// A worker going idle flushes the WAL; where there is none (nothing
    /// written yet, or the file is gone) it must not leave an empty one
    /// behind, which SQLite could later take for the real one.
    #[test]
    fn flushing_relaxed_commits_creates_no_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        SqliteStore::empty(&path).unwrap().sync().unwrap();
        assert!(!wal_path(&path).exists());
        let mut store = SqliteStore::open(&path).unwrap();
        store.relax_durability().unwrap();
        store.create_hook("h", &HookSettings::default(), 0).unwrap();
        store.sync().unwrap();
        assert!(wal_path(&path).exists());
    }

    #[test]
    fn every_connection_syncs_fully_and_checks_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        let pragma = |name: &str| -> i64 {
            store
                .conn()
                .pragma_query_value(None, name, |r| r.get(0))
                .unwrap()
        };
        assert_eq!(pragma("synchronous"), 2, "FULL");
        assert_eq!(pragma("foreign_keys"), 1);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        drop(SqliteStore::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = SqliteStore::open(&path).err().unwrap();
        assert!(
            format!("{err:#}").contains("schema version 99 is newer"),
            "{err:#}"
        );
    }
}
