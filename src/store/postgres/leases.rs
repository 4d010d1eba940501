//! Execution leases across hosts, and crash repair (docs/scaling.md, "One
//! execution per scenario across hosts").
//!
//! A lease row is renewed every 10 s by its holder and free once it has not
//! been for [`LEASE_TTL`] by the **database's** clock (hosts' clocks
//! disagree, and `HOOKQ_NOW` must never expire a lease). A holder on this
//! very boot and pid namespace is judged as with SQLite: whether its
//! process runs (`/proc`), so a dead one's lease is free at once and a
//! frozen one keeps it. Whoever changes who holds a scenario's lease, or
//! puts its running events back, first locks the scenario's row.

use std::sync::OnceLock;

use anyhow::Result;
use postgres::GenericClient;

use super::Cached;
use super::PgStore;

/// The error of an execution whose holder went away without recording its
/// end (the same words as SQLite's).
pub(super) const CUT_SHORT: &str = "cut short: it ended without recording its end";

/// How long a lease lasts without renewal, in seconds.
const LEASE_TTL: i64 = 60;

/// Close unfinished executions (`$1`: the error); the caller adds which.
pub(super) const CLOSE_UNFINISHED: &str = "UPDATE executions SET
        finished_at = coalesce((SELECT max(o.started_at + o.duration_ms) FROM operations o
                                WHERE o.execution_id = executions.id), started_at),
        cycles = (SELECT count(*) FROM operations o WHERE o.execution_id = executions.id),
        status = 'error',
        error = $1
    WHERE finished_at IS NULL";

/// This process, as a lease names it: `HOST PID BOOT NAMESPACE START
/// RANDOM` (the Linux parts `-` where they cannot be read). The random
/// part tells two processes apart that got the same pid on two hosts of
/// one name.
fn me() -> &'static str {
    static ME: OnceLock<String> = OnceLock::new();
    ME.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "-".into());
        let mut random = [0u8; 8];
        let _ = getrandom::fill(&mut random);
        let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let process = process_of("self").unwrap_or_else(|| "- - -".into());
        format!(
            "{} {} {process} {random}",
            host.replace(' ', "_"),
            std::process::id()
        )
    })
}

/// `BOOT NAMESPACE START` of a process (`self` or a pid), on Linux.
fn process_of(pid: &str) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, start) = state_and_start(&stat)?;
    Some(format!(
        "{} {} {start}",
        boot.trim(),
        namespace.display().to_string().replace(' ', "_")
    ))
}

/// Fields 3 (state) and 22 (start time) of `/proc/PID/stat`, counted from
/// the last `)` (the command name may hold both).
fn state_and_start(stat: &str) -> Option<(&str, &str)> {
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace();
    let state = fields.next()?;
    Some((state, fields.nth(22 - 4)?))
}

/// Whether the holder of a lease still runs, if that can be told from
/// here: the same boot and pid namespace, `/proc` readable.
fn holder_runs(holder: &str) -> Option<bool> {
    let parts: Vec<&str> = holder.split(' ').collect();
    let mine: Vec<&str> = me().split(' ').collect();
    let [_, pid, boot, namespace, start, _] = parts[..] else {
        return None;
    };
    if boot == "-" || (mine[2], mine[3]) != (boot, namespace) {
        return None;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let (state, started) = state_and_start(&stat)?;
            Some(started == start && state != "Z" && state != "X")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(false),
        Err(_) => None,
    }
}

/// Whether a lease is held: its holder runs (seen from here), else it was
/// renewed in time.
fn alive(holder: &str, expired: bool) -> bool {
    if holder == me() {
        return !expired;
    }
    holder_runs(holder).unwrap_or(!expired)
}

/// The lease of a scenario: its holder, and whether it expired.
fn lease(
    client: &mut impl GenericClient,
    scenario_id: i64,
    lock: bool,
) -> Result<Option<(String, bool)>> {
    let sql = format!(
        "SELECT holder, expires_at < clock_timestamp() FROM leases WHERE scenario_id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    Ok(client
        .query_opt_cached(&sql, &[&scenario_id])?
        .map(|row| (row.get(0), row.get(1))))
}

/// Whether a live process holds the execution lease of a scenario.
pub(super) fn held(client: &mut impl GenericClient, scenario_id: i64) -> Result<bool> {
    Ok(lease(client, scenario_id, false)?.is_some_and(|(holder, expired)| alive(&holder, expired)))
}

/// The fence: whether this process holds the lease, the row kept (`FOR
/// SHARE`) until the transaction ends so no take-over crosses the commit.
pub(super) fn held_here(client: &mut impl GenericClient, scenario_id: i64) -> Result<bool> {
    Ok(client
        .query_opt_cached(
            "SELECT holder = $2 FROM leases WHERE scenario_id = $1 FOR SHARE",
            &[&scenario_id, &me()],
        )?
        .is_some_and(|row| row.get(0)))
}

impl PgStore {
    /// Take the lease of a scenario; false if a live process holds it. What
    /// a dead holder left running of its hook goes back to the queue in
    /// the same transaction.
    pub(crate) fn acquire_lease(&mut self, scenario_id: i64) -> Result<bool> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let Some(row) = tx.query_opt_cached(
                "SELECT hook_id FROM scenarios WHERE id = $1 FOR NO KEY UPDATE",
                &[&scenario_id],
            )?
            else {
                return Ok(false);
            };
            let hook_id: i64 = row.get(0);
            if let Some((holder, expired)) = lease(&mut tx, scenario_id, true)? {
                if alive(&holder, expired) {
                    return Ok(false);
                }
            }
            tx.execute_cached(
                &format!(
                    "INSERT INTO leases (scenario_id, holder, expires_at)
                     VALUES ($1, $2, clock_timestamp() + interval '{LEASE_TTL} seconds')
                     ON CONFLICT (scenario_id) DO UPDATE
                     SET holder = excluded.holder, expires_at = excluded.expires_at"
                ),
                &[&scenario_id, &me()],
            )?;
            tx.execute_cached(
                "UPDATE events SET state = 'queued' WHERE state = 'running' AND hook_id = $1",
                &[&hook_id],
            )?;
            tx.execute_cached(
                &format!("{CLOSE_UNFINISHED} AND scenario_id = $2"),
                &[&CUT_SHORT, &scenario_id],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// Push the lease's expiry forward; false if this process lost it.
    pub(crate) fn renew_lease(&self, scenario_id: i64) -> Result<bool> {
        self.with(|c| {
            Ok(c.execute_cached(
                &format!(
                    "UPDATE leases SET expires_at = clock_timestamp() + interval '{LEASE_TTL} seconds'
                     WHERE scenario_id = $1 AND holder = $2"
                ),
                &[&scenario_id, &me()],
            )? == 1)
        })
    }

    pub(crate) fn release_lease(&self, scenario_id: i64) -> Result<()> {
        self.with(|c| {
            c.execute_cached(
                "DELETE FROM leases WHERE scenario_id = $1 AND holder = $2",
                &[&scenario_id, &me()],
            )?;
            Ok(())
        })
    }

    /// Crash repair at open: for each scenario whose holder is dead, one
    /// transaction puts its running events back and closes its execution;
    /// running events of a hook with no scenario go back too. Looked at in
    /// reads first: a store where every execution is alive takes no lock.
    pub(crate) fn repair_running(&self) -> Result<u64> {
        self.with(|c| {
            let leases: Vec<(i64, String, bool)> = c
                .query_cached(
                    "SELECT scenario_id, holder, expires_at < clock_timestamp() FROM leases",
                    &[],
                )?
                .iter()
                .map(|row| (row.get(0), row.get(1), row.get(2)))
                .collect();
            let live: Vec<i64> = leases
                .iter()
                .filter(|(_, holder, expired)| alive(holder, *expired))
                .map(|(id, _, _)| *id)
                .collect();
            // Scenarios with running events or unfinished executions and
            // no live holder; hooks with running events and no scenario.
            let dead: Vec<i64> = c
                .query_cached(
                    "SELECT s.id FROM scenarios s
                     WHERE s.id <> ALL($1)
                       AND (EXISTS (SELECT 1 FROM events e
                                    WHERE e.state = 'running' AND e.hook_id = s.hook_id)
                            OR EXISTS (SELECT 1 FROM executions x
                                       WHERE x.finished_at IS NULL AND x.scenario_id = s.id))",
                    &[&live],
                )?
                .iter()
                .map(|row| row.get(0))
                .collect();
            let mut repaired = 0;
            for scenario_id in dead {
                let mut tx = c.transaction()?;
                let Some(row) = tx.query_opt_cached(
                    "SELECT hook_id FROM scenarios WHERE id = $1 FOR NO KEY UPDATE",
                    &[&scenario_id],
                )?
                else {
                    continue;
                };
                let hook_id: i64 = row.get(0);
                if let Some((holder, expired)) = lease(&mut tx, scenario_id, true)? {
                    if alive(&holder, expired) {
                        continue; // taken meanwhile
                    }
                    tx.execute_cached(
                        "DELETE FROM leases WHERE scenario_id = $1",
                        &[&scenario_id],
                    )?;
                }
                repaired += tx.execute_cached(
                    "UPDATE events SET state = 'queued' WHERE state = 'running' AND hook_id = $1",
                    &[&hook_id],
                )?;
                tx.execute_cached(
                    &format!("{CLOSE_UNFINISHED} AND scenario_id = $2"),
                    &[&CUT_SHORT, &scenario_id],
                )?;
                tx.commit()?;
            }
            repaired += c.execute_cached(
                "UPDATE events e SET state = 'queued'
                 WHERE e.state = 'running'
                   AND NOT EXISTS (SELECT 1 FROM scenarios s WHERE s.hook_id = e.hook_id)",
                &[],
            )?;
            Ok(repaired)
        })
    }
}
