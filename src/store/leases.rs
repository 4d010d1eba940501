//! Execution leases (one execution of a scenario at a time, across all
//! processes) and the repair of events a dead process left `running`.

use std::path::Path;

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::clock::{self, Millis};

/// How long a lease lasts without renewal. The holder renews it well within
/// this; a holder that froze or died loses it after this long at most.
pub const LEASE_TTL: Millis = 60 * clock::SECOND;

/// A lease is held while its process lives and it was renewed in time.
/// Always judged with the system clock: `HOOKQ_NOW` must not expire leases.
fn holder_alive(pid: i64, expires_at: Millis) -> bool {
    expires_at > clock::system_now() && process_alive(pid)
}

fn process_alive(pid: i64) -> bool {
    if pid == i64::from(std::process::id()) {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true // elsewhere, rely on expiry alone
    }
}

/// Whether a live process holds the execution lease of a scenario.
pub(super) fn held(conn: &rusqlite::Connection, scenario_id: i64) -> Result<bool> {
    let holder: Option<(i64, Millis)> = conn
        .query_row(
            "SELECT pid, expires_at FROM leases WHERE scenario_id = ?1",
            [scenario_id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    Ok(holder.is_some_and(|(pid, expires_at)| holder_alive(pid, expires_at)))
}

impl Store {
    /// Take the execution lease of a scenario for this process; false if a
    /// live process holds it.
    pub fn acquire_lease(&mut self, scenario_id: i64) -> Result<bool> {
        let tx = self.write()?;
        if held(&tx, scenario_id)? {
            return Ok(false);
        }
        tx.execute(
            "INSERT OR REPLACE INTO leases (scenario_id, pid, expires_at) VALUES (?1, ?2, ?3)",
            params![
                scenario_id,
                std::process::id(),
                clock::system_now() + LEASE_TTL
            ],
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
        let leases: Vec<(i64, i64, Millis)> = tx
            .prepare("SELECT scenario_id, pid, expires_at FROM leases")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (scenario_id, pid, expires_at) in leases {
            if !holder_alive(pid, expires_at) {
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
