//! Execution leases (one execution of a scenario at a time, across all
//! processes) and the repair of events a dead process left `running`.

use std::path::Path;

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::clock::{self, Millis};

/// How long a lease lasts without renewal, where its holder cannot be
/// named ([`Holder::identity`] is `None`): there, a holder that froze or
/// died loses it after this long at most.
pub const LEASE_TTL: Millis = 60 * clock::SECOND;

/// Who holds a lease, as stored: a pid, and on Linux the process's start
/// (boot id and start time), which no other process shares.
struct Holder {
    pid: i64,
    identity: Option<String>,
    expires_at: Millis,
}

impl Holder {
    /// This process.
    fn this(expires_at: Millis) -> Holder {
        let pid = i64::from(std::process::id());
        Holder {
            pid,
            identity: identity(pid),
            expires_at,
        }
    }

    /// Whether the holder still runs. A named holder holds until it is
    /// gone, however long it is frozen (a lease taken from a live process
    /// would let two executions run the same events). An unnamed one
    /// (another platform, or a lease of schema version 1) holds while its
    /// pid lives and it renews the lease. Always judged with the system
    /// clock: `HOOKQ_NOW` must not expire leases.
    fn alive(&self) -> bool {
        match &self.identity {
            Some(started) => identity(self.pid).as_ref() == Some(started),
            None => self.expires_at > clock::system_now() && pid_alive(self.pid),
        }
    }
}

/// A process's start, unique across processes and reboots: the boot id and
/// the start time in clock ticks since boot. `None` off Linux, or if the
/// process is gone.
fn identity(pid: i64) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    static BOOT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let boot = BOOT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .map(|id| id.trim().to_owned())
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(format!("{}:{}", boot.as_deref()?, start_time(&stat)?))
}

/// Field 22 of `/proc/PID/stat`, the start time. The command name (field
/// 2) is in parentheses and may itself hold spaces and parentheses: the
/// fields are counted from the last `)`.
fn start_time(stat: &str) -> Option<&str> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(22 - 3)
}

fn pid_alive(pid: i64) -> bool {
    if pid == i64::from(std::process::id()) {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true // elsewhere, rely on expiry alone
    }
}

fn holder(conn: &rusqlite::Connection, scenario_id: i64) -> Result<Option<Holder>> {
    Ok(conn
        .prepare_cached("SELECT pid, holder, expires_at FROM leases WHERE scenario_id = ?1")?
        .query_row([scenario_id], |row| {
            Ok(Holder {
                pid: row.get(0)?,
                identity: row.get(1)?,
                expires_at: row.get(2)?,
            })
        })
        .optional()?)
}

/// Whether a live process holds the execution lease of a scenario.
pub(super) fn held(conn: &rusqlite::Connection, scenario_id: i64) -> Result<bool> {
    Ok(holder(conn, scenario_id)?.is_some_and(|holder| holder.alive()))
}

/// Whether this process holds the execution lease of a scenario.
pub(super) fn held_here(conn: &rusqlite::Connection, scenario_id: i64) -> Result<bool> {
    let here = Holder::this(0);
    Ok(holder(conn, scenario_id)?
        .is_some_and(|holder| holder.pid == here.pid && holder.identity == here.identity))
}

impl Store {
    /// Take the execution lease of a scenario for this process; false if a
    /// live process holds it. Events of its hook left `running` by a dead
    /// holder go back to the queue in the same transaction, before this
    /// execution takes the head (crash repair at open may have seen the
    /// holder still alive).
    pub fn acquire_lease(&mut self, scenario_id: i64) -> Result<bool> {
        let tx = self.write()?;
        if held(&tx, scenario_id)? {
            return Ok(false);
        }
        let here = Holder::this(clock::system_now() + LEASE_TTL);
        tx.execute(
            "INSERT OR REPLACE INTO leases (scenario_id, pid, holder, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![scenario_id, here.pid, here.identity, here.expires_at],
        )?;
        tx.execute(
            "UPDATE events SET state = 'queued'
             WHERE state = 'running'
               AND hook_id = (SELECT hook_id FROM scenarios WHERE id = ?1)",
            [scenario_id],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Push the lease's expiry forward; call well within [`LEASE_TTL`].
    pub fn renew_lease(&self, scenario_id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE leases SET expires_at = ?1 WHERE scenario_id = ?2 AND pid = ?3",
            params![
                clock::system_now() + LEASE_TTL,
                scenario_id,
                std::process::id()
            ],
        )?;
        Ok(())
    }

    pub fn release_lease(&self, scenario_id: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM leases WHERE scenario_id = ?1 AND pid = ?2",
            params![scenario_id, std::process::id()],
        )?;
        Ok(())
    }

    /// Events left `running` by a process that died go back to the queue at
    /// their old place (their id). Events of a live execution are left alone.
    pub(super) fn repair_running(&mut self) -> Result<usize> {
        let any_running: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE state = 'running')",
            [],
            |row| row.get(0),
        )?;
        if !any_running {
            return Ok(0);
        }
        let tx = self.write()?;
        let leases: Vec<(i64, Holder)> = tx
            .prepare("SELECT scenario_id, pid, holder, expires_at FROM leases")?
            .query_map([], |row| {
                let holder = Holder {
                    pid: row.get(1)?,
                    identity: row.get(2)?,
                    expires_at: row.get(3)?,
                };
                Ok((row.get(0)?, holder))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (scenario_id, holder) in leases {
            if !holder.alive() {
                tx.execute("DELETE FROM leases WHERE scenario_id = ?1", [scenario_id])?;
            }
        }
        let repaired = tx.execute(
            "UPDATE events SET state = 'queued'
             WHERE state = 'running' AND hook_id NOT IN (
                 SELECT s.hook_id FROM scenarios s JOIN leases l ON l.scenario_id = s.id)",
            [],
        )?;
        tx.commit()?;
        Ok(repaired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_time_is_read_past_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 \
                    20 0 1 0 987654 1000 200 18446744073709551615";
        assert_eq!(start_time(stat), Some("987654"));
        assert_eq!(start_time("4242 (cut short) S 1"), None);
    }

    #[test]
    fn a_named_holder_is_alive_exactly_while_its_process_runs() {
        if identity(i64::from(std::process::id())).is_none() {
            return; // not Linux: holders are unnamed there
        }
        let expired = 0;
        assert!(
            Holder::this(expired).alive(),
            "a frozen holder keeps its lease"
        );
        let mut reused = Holder::this(expired);
        reused.identity = Some("another-boot:1".into());
        assert!(!reused.alive(), "a new process with the same pid does not");
    }

    /// A store with one hook, its scenario (id 1), an execution (id 1) and
    /// one event (id 1) left `running`, and a lease of scenario 1 held by
    /// `pid` as `holder`.
    fn running_under(pid: i64, holder: Option<String>) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("h.db")).unwrap();
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

    fn state(store: &Store) -> String {
        store
            .conn()
            .query_row("SELECT state FROM events WHERE id = 1", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn taking_a_dead_holders_lease_puts_its_running_events_back() {
        let (_dir, mut store) = running_under(1, Some("a-boot-long-gone:1".into()));
        assert!(store.acquire_lease(1).unwrap());
        assert_eq!(state(&store), "queued");
    }

    #[test]
    fn a_cycle_of_an_execution_that_lost_its_lease_changes_no_event() {
        let Some(init) = identity(1) else {
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
        };
        let ahead = super::super::Ahead {
            release: None,
            take_from: Some(1),
        };
        let committed = store
            .finish_cycle(1, super::super::CycleEnd::Queued, &operation, ahead)
            .unwrap();
        assert!(!committed.lease_held);
        assert!(committed.ahead.is_none());
        assert_eq!(state(&store), "running", "the new holder's to change");
    }

    #[test]
    fn an_unnamed_holder_holds_while_it_renews() {
        let pid = i64::from(std::process::id());
        let unnamed = |expires_at| Holder {
            pid,
            identity: None,
            expires_at,
        };
        assert!(unnamed(clock::system_now() + LEASE_TTL).alive());
        assert!(!unnamed(clock::system_now() - 1).alive());
    }
}
