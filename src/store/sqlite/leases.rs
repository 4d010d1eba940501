//! Execution leases (one execution of a scenario at a time, across all
//! processes) and the repair of events a dead process left `running`.
//!
//! A lease names its holder by pid and, on Linux, by the process itself
//! (`holder`: boot id, pid namespace, start time). Whether that process
//! still runs can then be told for certain, and a lease is free exactly
//! when its holder is gone: a holder frozen for an hour (Ctrl-Z, a
//! suspended laptop) keeps it, and a new process that got the same pid
//! does not inherit it. Where that cannot be told (another platform, a
//! holder in another pid namespace or booted elsewhere, `/proc` unreadable,
//! a lease written by schema version 1), the lease runs out when it has not
//! been renewed for [`LEASE_TTL`]; every holder renews its leases, so both
//! ways work at once. This process's own leases are judged that way too:
//! one it could not give back (a full disk) runs out instead of blocking
//! its scenario until a restart.

use std::sync::OnceLock;

use anyhow::Result;
use rusqlite::{params, OptionalExtension, Row};

use super::SqliteStore;
use crate::clock::{self, Millis};

/// The error of an execution whose holder went away without recording its
/// end (its process died, or lost the lease).
pub(crate) const CUT_SHORT: &str = "cut short: it ended without recording its end";

/// Close unfinished executions (`?1`: the error) as failed, ended with their
/// last recorded cycle; the caller adds which ones. An execution is recorded
/// after its lease is taken and finished before it is given back: one
/// unfinished whose lease is free, or taken over, was cut short.
const CLOSE_UNFINISHED: &str = "UPDATE executions SET
        finished_at = coalesce((SELECT max(o.started_at + o.duration_ms) FROM operations o
                                WHERE o.execution_id = executions.id), started_at),
        cycles = (SELECT count(*) FROM operations o WHERE o.execution_id = executions.id),
        status = 'error',
        error = ?1
    WHERE finished_at IS NULL";

/// How long a lease lasts without renewal where its holder's liveness
/// cannot be read. The holder renews it every 10 s.
pub(crate) const LEASE_TTL: Millis = 60 * clock::SECOND;

/// A lease, as stored.
struct Lease {
    pid: i64,
    /// `BOOT_ID PID_NAMESPACE START_TIME` of the holder (Linux), else `None`.
    holder: Option<String>,
    expires_at: Millis,
}

/// This process, as a lease names it.
struct Me {
    pid: i64,
    holder: Option<String>,
}

/// Read once: a failed read later (too many open files) must not make this
/// process a stranger to its own leases.
fn me() -> &'static Me {
    static ME: OnceLock<Me> = OnceLock::new();
    ME.get_or_init(|| Me {
        pid: i64::from(std::process::id()),
        holder: holder_of("self"),
    })
}

/// This boot of the machine (Linux), read once; `None` where it cannot be
/// told.
pub(super) fn boot_id() -> Option<&'static str> {
    static BOOT: OnceLock<Option<String>> = OnceLock::new();
    BOOT.get_or_init(|| {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
        Some(boot.trim().to_owned())
    })
    .as_deref()
}

/// `BOOT_ID PID_NAMESPACE START_TIME` of a process (`self` or a pid).
fn holder_of(pid: &str) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, start) = state_and_start(&stat)?;
    Some(format!("{} {} {start}", boot.trim(), namespace.display()))
}

/// Fields 3 (the state) and 22 (the start time) of `/proc/PID/stat`. The
/// command name (field 2) is in parentheses and may itself hold spaces and
/// parentheses: the fields are counted from the last `)`.
fn state_and_start(stat: &str) -> Option<(&str, &str)> {
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?;
    Some((state, fields.nth(22 - 4)?))
}

impl Lease {
    fn from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<Lease> {
        Ok(Lease {
            pid: row.get(first)?,
            holder: row.get(first + 1)?,
            expires_at: row.get(first + 2)?,
        })
    }

    fn is_mine(&self) -> bool {
        let me = me();
        self.pid == me.pid && self.holder == me.holder
    }

    /// Whether the holder still runs. Always judged with the system clock:
    /// `HOOKQ_NOW` must not expire leases.
    fn alive(&self) -> bool {
        let renewed = self.expires_at > clock::system_now();
        if self.is_mine() {
            return renewed;
        }
        // Where the holder cannot be seen from here, its pid means nothing
        // either (another pid namespace has other pids): renewal decides.
        self.holder_runs().unwrap_or(renewed)
    }

    /// Whether the holder still runs, if that can be told from here: the
    /// same boot and pid namespace, and `/proc` readable.
    fn holder_runs(&self) -> Option<bool> {
        let mut stored = self.holder.as_deref()?.split(' ');
        let (boot, namespace, start) = (stored.next()?, stored.next()?, stored.next()?);
        let mut mine = me().holder.as_deref()?.split(' ');
        if (mine.next()?, mine.next()?) != (boot, namespace) {
            return None;
        }
        match std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) {
            Ok(stat) => {
                let (state, started) = state_and_start(&stat)?;
                // A zombie is gone: it only waits for its parent to read it.
                Some(started == start && state != "Z" && state != "X")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(false),
            Err(_) => None,
        }
    }
}

fn lease(conn: &rusqlite::Connection, scenario_id: i64) -> Result<Option<Lease>> {
    Ok(conn
        .prepare_cached("SELECT pid, holder, expires_at FROM leases WHERE scenario_id = ?1")?
        .query_row([scenario_id], |row| Lease::from_row(row, 0))
        .optional()?)
}

/// Whether a live process holds the execution lease of a scenario.
pub(super) fn held(conn: &rusqlite::Connection, scenario_id: i64) -> Result<bool> {
    Ok(lease(conn, scenario_id)?.is_some_and(|lease| lease.alive()))
}

/// The scenarios whose execution lease a live process holds, by name.
pub(super) fn live_holders(conn: &rusqlite::Connection) -> Result<Vec<String>> {
    let leases: Vec<(String, Lease)> = conn
        .prepare(
            "SELECT s.name, l.pid, l.holder, l.expires_at
             FROM leases l JOIN scenarios s ON s.id = l.scenario_id ORDER BY s.name",
        )?
        .query_map([], |row| Ok((row.get(0)?, Lease::from_row(row, 1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(leases
        .into_iter()
        .filter(|(_, lease)| lease.alive())
        .map(|(name, _)| name)
        .collect())
}

/// Whether this process holds the execution lease of a scenario.
pub(super) fn held_here(conn: &rusqlite::Connection, scenario_id: i64) -> Result<bool> {
    Ok(lease(conn, scenario_id)?.is_some_and(|lease| lease.is_mine()))
}

impl SqliteStore {
    /// Take the execution lease of a scenario for this process; false if a
    /// live process holds it. Events of its hook left `running` by a dead
    /// holder go back to the queue in the same transaction, before this
    /// execution takes the head (crash repair at open may have seen the
    /// holder still alive).
    pub(super) fn acquire_lease(&mut self, scenario_id: i64) -> Result<bool> {
        let tx = self.write()?;
        if held(&tx, scenario_id)? {
            return Ok(false);
        }
        let me = me();
        tx.execute(
            "INSERT OR REPLACE INTO leases (scenario_id, pid, holder, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                scenario_id,
                me.pid,
                me.holder,
                clock::system_now() + LEASE_TTL
            ],
        )?;
        tx.execute(
            "UPDATE events SET state = 'queued'
             WHERE state = 'running'
               AND hook_id = (SELECT hook_id FROM scenarios WHERE id = ?1)",
            [scenario_id],
        )?;
        tx.execute(
            &format!("{CLOSE_UNFINISHED} AND scenario_id = ?2"),
            params![CUT_SHORT, scenario_id],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Push the lease's expiry forward; call well within [`LEASE_TTL`].
    /// False if this process no longer holds it.
    pub(super) fn renew_lease(&self, scenario_id: i64) -> Result<bool> {
        let me = me();
        let renewed = self.conn.execute(
            "UPDATE leases SET expires_at = ?1 WHERE scenario_id = ?2 AND pid = ?3 AND holder IS ?4",
            params![clock::system_now() + LEASE_TTL, scenario_id, me.pid, me.holder],
        )?;
        Ok(renewed == 1)
    }

    pub(super) fn release_lease(&self, scenario_id: i64) -> Result<()> {
        let me = me();
        self.conn.execute(
            "DELETE FROM leases WHERE scenario_id = ?1 AND pid = ?2 AND holder IS ?3",
            params![scenario_id, me.pid, me.holder],
        )?;
        Ok(())
    }
}

impl SqliteStore {
    /// Whether an event is `running`, or an execution unfinished, with no
    /// live holder: looked at in a read, so that a store where every
    /// execution is alive (a server at work) is repaired without taking the
    /// write lock, nor needing a byte of free disk.
    fn anything_dead(&self) -> Result<bool> {
        let live: Vec<(i64, i64)> = self
            .conn
            .prepare(
                "SELECT s.id, s.hook_id, l.pid, l.holder, l.expires_at
                 FROM leases l JOIN scenarios s ON s.id = l.scenario_id",
            )?
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, Lease::from_row(row, 2)?))
            })?
            .filter_map(|row| match row {
                Ok((scenario, hook, lease)) => lease.alive().then_some(Ok((scenario, hook))),
                Err(e) => Some(Err(e)),
            })
            .collect::<rusqlite::Result<_>>()?;
        let orphans = |sql: &str, live_id: fn(&(i64, i64)) -> i64| -> Result<bool> {
            let ids: Vec<i64> = self
                .conn
                .prepare(sql)?
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(ids.iter().any(|id| !live.iter().any(|l| live_id(l) == *id)))
        };
        Ok(orphans(
            "SELECT DISTINCT hook_id FROM events WHERE state = 'running'",
            |l| l.1,
        )? || orphans(
            "SELECT DISTINCT scenario_id FROM executions WHERE finished_at IS NULL",
            |l| l.0,
        )?)
    }

    /// Events left `running` by a process that died go back to the queue at
    /// their old place (their id), and its unfinished execution is recorded
    /// as failed. Those of a live execution are left alone.
    pub(super) fn repair_running(&mut self) -> Result<usize> {
        if !self.anything_dead()? {
            return Ok(0);
        }
        let tx = self.write()?;
        let leases: Vec<(i64, Lease)> = tx
            .prepare("SELECT scenario_id, pid, holder, expires_at FROM leases")?
            .query_map([], |row| Ok((row.get(0)?, Lease::from_row(row, 1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (scenario_id, lease) in leases {
            if !lease.alive() {
                tx.execute("DELETE FROM leases WHERE scenario_id = ?1", [scenario_id])?;
            }
        }
        let repaired = tx.execute(
            "UPDATE events SET state = 'queued'
             WHERE state = 'running' AND hook_id NOT IN (
                 SELECT s.hook_id FROM scenarios s JOIN leases l ON l.scenario_id = s.id)",
            [],
        )?;
        tx.execute(
            &format!("{CLOSE_UNFINISHED} AND scenario_id NOT IN (SELECT scenario_id FROM leases)"),
            [CUT_SHORT],
        )?;
        tx.commit()?;
        Ok(repaired)
    }
}

#[cfg(test)]
mod tests {
    use std::process::{Child, Command};

    use super::*;
    use crate::store::ExecutionStore;

    #[test]
    fn state_and_start_are_read_past_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 \
                    20 0 1 0 987654 1000 200 18446744073709551615";
        assert_eq!(state_and_start(stat), Some(("S", "987654")));
        assert_eq!(state_and_start("4242 (cut short) S 1"), None);
    }

    /// Another process, and the lease it would write.
    fn other() -> (Child, Lease) {
        let child = Command::new("sleep").arg("600").spawn().unwrap();
        let pid = i64::from(child.id());
        let holder = holder_of(&pid.to_string());
        let expired = 0; // never renewed: a frozen holder
        let lease = Lease {
            pid,
            holder,
            expires_at: expired,
        };
        (child, lease)
    }

    /// A process that has ended, and its holder as it was.
    fn gone() -> (i64, Option<String>) {
        let (mut child, lease) = other();
        child.kill().unwrap();
        child.wait().unwrap();
        (lease.pid, lease.holder)
    }

    #[test]
    fn a_named_holder_holds_exactly_while_its_process_runs() {
        let (mut child, lease) = other();
        let Some(holder) = lease.holder.clone() else {
            child.kill().unwrap();
            return; // not Linux: holders are unnamed there
        };
        assert!(lease.alive(), "a frozen holder keeps its lease");
        let (boot_and_namespace, _) = holder.rsplit_once(' ').unwrap();
        let reused = Lease {
            pid: lease.pid,
            holder: Some(format!("{boot_and_namespace} 1")),
            expires_at: lease.expires_at,
        };
        assert!(!reused.alive(), "a new process with the same pid does not");
        child.kill().unwrap();
        // Killed but not yet waited for: a zombie, gone all the same.
        let stat = format!("/proc/{}/stat", child.id());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !std::fs::read_to_string(&stat).is_ok_and(|s| s.contains(") Z ")) {
            assert!(std::time::Instant::now() < deadline, "no zombie");
            std::thread::yield_now();
        }
        assert!(!lease.alive(), "a zombie holds nothing");
        child.wait().unwrap();
        assert!(!lease.alive());
    }

    #[test]
    fn a_holder_in_another_pid_namespace_holds_while_it_renews() {
        let (mut child, lease) = other();
        let Some(holder) = lease.holder.clone() else {
            child.kill().unwrap();
            return;
        };
        let parts: Vec<&str> = holder.split(' ').collect();
        let elsewhere = format!("{} pid:[1] {}", parts[0], parts[2]);
        let renewed = Lease {
            holder: Some(elsewhere.clone()),
            expires_at: clock::system_now() + LEASE_TTL,
            ..lease
        };
        assert!(renewed.alive());
        let frozen = Lease {
            holder: Some(elsewhere),
            expires_at: 0,
            ..renewed
        };
        assert!(
            !frozen.alive(),
            "its pid means nothing here: expiry decides"
        );
        child.kill().unwrap();
        child.wait().unwrap();
        // Its pid may well not exist here at all.
        let (absent, _) = gone();
        let renewed_elsewhere = Lease {
            pid: absent,
            expires_at: clock::system_now() + LEASE_TTL,
            ..frozen
        };
        assert!(
            renewed_elsewhere.alive(),
            "renewed: held, whatever its pid here"
        );
    }

    #[test]
    fn this_processs_own_lease_runs_out_unless_renewed() {
        let me = me();
        let mine = |expires_at| Lease {
            pid: me.pid,
            holder: me.holder.clone(),
            expires_at,
        };
        assert!(mine(clock::system_now() + LEASE_TTL).alive());
        assert!(!mine(0).alive(), "one it failed to give back runs out");
    }

    /// A store with one hook, its scenario (id 1), an execution (id 1) and
    /// one event (id 1) left `running`, and a lease of scenario 1 held by
    /// `pid` as `holder`.
    fn running_under(pid: i64, holder: Option<String>) -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        store
            .conn()
            .execute_batch(
                "INSERT INTO hooks (id, name, token, rate_limit, queue_limit, max_body,
                                    created_at, enabled_at) VALUES (1, 'h', 't', 0, 10, 100, 0, 0);
                 INSERT INTO scenarios (id, name, hook_id, command, schedule, max_cycles,
                                        max_errors, timeout_ms, input, store_incomplete,
                                        active, created_at)
                 VALUES (1, 's', 1, '[\"true\"]', 'on-demand', 1, 3, 1000, 'raw', 0, 1, 0);
                 INSERT INTO executions (id, scenario_id, trigger, started_at)
                 VALUES (1, 1, 'manual', 0);
                 INSERT INTO events (id, hook_id, state, received_at, method, path, query,
                                     headers, size, attempts)
                 VALUES (1, 1, 'running', 0, 'POST', '/wh/t', '', '[]', 0, 1);",
            )
            .unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO leases (scenario_id, pid, holder, expires_at) VALUES (1, ?1, ?2, 0)",
                params![pid, holder],
            )
            .unwrap();
        (dir, store)
    }

    fn state(store: &SqliteStore) -> String {
        store
            .conn()
            .query_row("SELECT state FROM events WHERE id = 1", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn taking_a_dead_holders_lease_puts_its_running_events_back() {
        let (pid, holder) = gone();
        let (_dir, mut store) = running_under(pid, holder);
        assert!(store.acquire_lease(1).unwrap());
        assert_eq!(state(&store), "queued");
    }

    #[test]
    fn a_cycle_of_an_execution_that_lost_its_lease_changes_no_event() {
        let Some(init) = holder_of("1") else {
            return; // not Linux: holders are unnamed there
        };
        // Another process (pid 1, alive) holds the lease now.
        let (_dir, mut store) = running_under(1, Some(init));
        let operation = super::super::NewOperation {
            execution_id: 1,
            event_id: 1,
            hook_id: 1,
            scenario: "s",
            ok: false,
            exit_code: Some(1),
            started_at: 0,
            duration_ms: 1,
            error: Some("exit code 1"),
            stdout: b"",
            stderr: b"",
            http: None,
        };
        let ahead = super::super::Ahead {
            release: &[1],
            take_from: Some(1),
            take: 1,
        };
        let cycles = [(super::super::CycleEnd::Queued, operation)];
        let committed = store.finish_cycles(1, &cycles, ahead, None).unwrap();
        assert!(!committed.lease_held);
        assert!(committed.ahead.is_empty());
        assert_eq!(state(&store), "running", "the new holder's to change");
    }

    /// Crash repair beside a server at work: every `running` event has a
    /// live holder, and another connection holds the write lock. The
    /// repair must see there is nothing dead without waiting for the lock;
    /// a dead holder's event it puts back once the lock is free.
    #[test]
    fn repair_takes_the_write_lock_only_for_what_is_really_dead() {
        let (mut child, lease) = other();
        let renewed = clock::system_now() + LEASE_TTL; // alive, wherever
        let (dir, mut store) = running_under(lease.pid, lease.holder);
        store
            .conn()
            .execute("UPDATE leases SET expires_at = ?1", [renewed])
            .unwrap();
        let writer = rusqlite::Connection::open(dir.path().join("h.db")).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        store.conn().busy_handler(None).unwrap(); // busy: fail at once
        assert_eq!(store.repair_running().unwrap(), 0);
        assert_eq!(state(&store), "running");
        writer.execute_batch("COMMIT").unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        store
            .conn()
            .execute("UPDATE leases SET expires_at = 0", [])
            .unwrap();
        assert_eq!(store.repair_running().unwrap(), 1, "its holder is gone");
        assert_eq!(state(&store), "queued");
    }

    #[test]
    fn an_unnamed_holder_holds_while_it_renews() {
        let (mut child, lease) = other();
        let unnamed = |expires_at| Lease {
            pid: lease.pid,
            holder: None,
            expires_at,
        };
        assert!(unnamed(clock::system_now() + LEASE_TTL).alive());
        assert!(!unnamed(0).alive());
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
