//! Scenarios: a named local command fed by exactly one hook.

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::states::json_column;
use super::SqliteStore;
use crate::clock::Millis;
use crate::error::Failure;
use crate::store::validate_name;
use crate::store::ScenarioStore;
use crate::store::{Forward, Scenario, ScenarioSettings};
use crate::units::Duration;

const SELECT_SCENARIO: &str = "
    SELECT s.id, s.name, s.hook_id, h.name, s.command, s.schedule, s.max_cycles, s.max_errors,
           s.timeout_ms, s.input, s.store_incomplete, s.active, s.inactive_since,
           s.consecutive_errors, s.created_at, s.last_run_at, s.respond, s.response_status,
           s.response_headers, s.response_timeout_ms, s.forward, s.waiting_since
    FROM scenarios s JOIN hooks h ON h.id = s.hook_id";

/// `scenarios.forward` as `Forward::to_json` wrote it; NULL for a
/// command. Text this hookq cannot read is an error naming the column (a
/// forwarding scenario read as a command with no arguments would fail
/// every cycle for a reason nobody could see).
fn forward_column(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Forward>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Stored {
        url: String,
        headers: Vec<(String, String)>,
        timeout_ms: i64,
        insecure: bool,
    }
    if row.get_ref(idx)? == rusqlite::types::ValueRef::Null {
        return Ok(None);
    }
    let stored: Stored = json_column(row, idx)?;
    Ok(Some(Forward {
        url: stored.url,
        headers: stored.headers,
        timeout: Duration(stored.timeout_ms),
        insecure: stored.insecure,
    }))
}

fn scenario_from_row(row: &Row<'_>) -> rusqlite::Result<Scenario> {
    Ok(Scenario {
        id: row.get(0)?,
        name: row.get(1)?,
        hook_id: row.get(2)?,
        hook: row.get(3)?,
        settings: ScenarioSettings {
            command: json_column(row, 4)?,
            schedule: row.get(5)?,
            forward: forward_column(row, 20)?,
            max_cycles: row.get(6)?,
            max_errors: row.get(7)?,
            timeout: Duration(row.get(8)?),
            input: row.get(9)?,
            store_incomplete: row.get(10)?,
            respond: row.get(16)?,
            response_status: row.get(17)?,
            response_headers: json_column(row, 18)?,
            response_timeout: Duration(row.get(19)?),
        },
        active: row.get(11)?,
        inactive_since: row.get(12)?,
        consecutive_errors: row.get(13)?,
        created_at: row.get(14)?,
        last_run_at: row.get(15)?,
        waiting_since: row.get(21)?,
    })
}

/// [`SqliteStore::scenario_by_id`] on a connection or in a transaction.
pub(super) fn scenario_by_id(conn: &Connection, id: i64) -> Result<Option<Scenario>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT_SCENARIO} WHERE s.id = ?1"))?;
    Ok(stmt.query_row([id], scenario_from_row).optional()?)
}

impl ScenarioStore for SqliteStore {
    fn scenarios(&self) -> Result<Vec<Scenario>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_SCENARIO} ORDER BY s.name"))?;
        let scenarios = stmt
            .query_map([], scenario_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(scenarios)
    }

    fn find_scenario(&self, name: &str) -> Result<Option<Scenario>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_SCENARIO} WHERE s.name = ?1"))?;
        Ok(stmt.query_row([name], scenario_from_row).optional()?)
    }

    fn scenario_by_id(&self, id: i64) -> Result<Option<Scenario>> {
        scenario_by_id(&self.conn, id)
    }

    /// Attach a new scenario to a hook that has none. The hook stops being
    /// unassigned from now.
    fn create_scenario(
        &mut self,
        name: &str,
        hook_id: i64,
        settings: &ScenarioSettings,
        active: bool,
        now: Millis,
    ) -> Result<Scenario> {
        validate_name("scenario", name)?;
        let tx = self.write()?;
        if tx
            .query_row(
                "SELECT 1 FROM scenarios WHERE name = ?1",
                [name],
                |_| Ok(()),
            )
            .optional()?
            .is_some()
        {
            return Err(Failure::usage(format!("a scenario named {name:?} already exists")).into());
        }
        ensure_hook_free(&tx, hook_id, None)?;
        tx.execute(
            "INSERT INTO scenarios (name, hook_id, command, schedule, max_cycles, max_errors,
                                    timeout_ms, input, store_incomplete, active, inactive_since,
                                    created_at, respond, response_status, response_headers,
                                    response_timeout_ms, forward)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17)",
            params![
                name,
                hook_id,
                serde_json::to_string(&settings.command)?,
                settings.schedule,
                settings.max_cycles,
                settings.max_errors,
                settings.timeout.millis(),
                settings.input,
                settings.store_incomplete,
                active,
                (!active).then_some(now),
                now,
                settings.respond,
                settings.response_status,
                serde_json::to_string(&settings.response_headers)?,
                settings.response_timeout.millis(),
                settings.forward.as_ref().map(Forward::to_json),
            ],
        )?;
        tx.execute(
            "UPDATE hooks SET unassigned_since = NULL WHERE id = ?1",
            [hook_id],
        )?;
        tx.commit()?;
        self.scenario(name)
    }

    /// Change a scenario's settings, and move it to another hook if
    /// `hook_id` differs: the old hook is unassigned from now, the new one
    /// no longer is.
    fn update_scenario(
        &mut self,
        scenario: &Scenario,
        hook_id: i64,
        settings: &ScenarioSettings,
        now: Millis,
    ) -> Result<()> {
        let tx = self.write()?;
        if hook_id != scenario.hook_id {
            ensure_hook_free(&tx, hook_id, Some(scenario.id))?;
            // Its running events belong to the old hook: moved under a live
            // execution, they would look orphaned to the crash repair of the
            // next process to open the file, and run twice.
            ensure_not_running(&tx, scenario, "its hook cannot change now")?;
            tx.execute(
                "UPDATE hooks SET unassigned_since = ?2 WHERE id = ?1",
                params![scenario.hook_id, now],
            )?;
            tx.execute(
                "UPDATE hooks SET unassigned_since = NULL WHERE id = ?1",
                [hook_id],
            )?;
        }
        tx.execute(
            "UPDATE scenarios SET hook_id = ?2, command = ?3, schedule = ?4, max_cycles = ?5,
                                  max_errors = ?6, timeout_ms = ?7, input = ?8,
                                  store_incomplete = ?9, respond = ?10, response_status = ?11,
                                  response_headers = ?12, response_timeout_ms = ?13,
                                  forward = ?14
             WHERE id = ?1",
            params![
                scenario.id,
                hook_id,
                serde_json::to_string(&settings.command)?,
                settings.schedule,
                settings.max_cycles,
                settings.max_errors,
                settings.timeout.millis(),
                settings.input,
                settings.store_incomplete,
                settings.respond,
                settings.response_status,
                serde_json::to_string(&settings.response_headers)?,
                settings.response_timeout.millis(),
                settings.forward.as_ref().map(Forward::to_json),
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Say that an execution of the scenario waits for its forwarding
    /// target (`Some(since)`), or no longer does.
    fn set_scenario_waiting(&self, id: i64, since: Option<Millis>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE scenarios SET waiting_since = ?2 WHERE id = ?1")?
            .execute(params![id, since])?;
        Ok(())
    }

    /// Activate (errors forgotten) or deactivate (inactive from now).
    /// Returns false if it already was.
    fn set_scenario_active(&mut self, id: i64, active: bool, now: Millis) -> Result<bool> {
        let changed = if active {
            self.conn.execute(
                "UPDATE scenarios SET active = 1, inactive_since = NULL, consecutive_errors = 0
                 WHERE id = ?1 AND active = 0",
                [id],
            )?
        } else {
            self.conn.execute(
                "UPDATE scenarios SET active = 0, inactive_since = ?2 WHERE id = ?1 AND active = 1",
                params![id, now],
            )?
        };
        Ok(changed == 1)
    }

    /// One step of deleting a scenario and its execution history, in one
    /// transaction of about `batch` rows: execution after execution, oldest
    /// first, its operations are detached (they stay with the hook's events)
    /// and it goes; then the scenario itself, its hook unassigned from
    /// `now`. The rows changed while more remain, `None` once it is gone.
    /// Each step is short however long the history (one transaction for a
    /// year of executions held the write lock for seconds), and starts where
    /// the last one ended: nothing is walked twice. Refused (75) while an
    /// execution runs: its next cycle would find its execution gone.
    fn delete_scenario_step(
        &mut self,
        scenario: &Scenario,
        batch: usize,
        now: Millis,
    ) -> Result<Option<u64>> {
        let tx = self.write()?;
        ensure_not_running(&tx, scenario, "it cannot be deleted now")?;
        let mut changed = 0;
        let mut oldest = tx.prepare_cached(
            "SELECT id FROM executions WHERE scenario_id = ?1 ORDER BY id LIMIT 1",
        )?;
        let mut detach = tx.prepare_cached(
            "UPDATE operations SET execution_id = NULL WHERE id IN (
                 SELECT id FROM operations WHERE execution_id = ?1 LIMIT ?2)",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM executions WHERE id = ?1")?;
        while changed < batch {
            let Some(execution) = oldest
                .query_row([scenario.id], |row| row.get::<_, i64>(0))
                .optional()?
            else {
                break;
            };
            changed += detach.execute(params![execution, (batch - changed) as i64])?;
            if changed < batch {
                // None of its operations is left attached.
                changed += delete.execute([execution])?;
            }
        }
        drop((oldest, detach, delete));
        let step = if changed < batch {
            // Its hook as it is now (an edit may have moved it meanwhile).
            tx.execute(
                "UPDATE hooks SET unassigned_since = ?2
                 WHERE id = (SELECT hook_id FROM scenarios WHERE id = ?1)",
                params![scenario.id, now],
            )?;
            tx.execute("DELETE FROM scenarios WHERE id = ?1", [scenario.id])?;
            None
        } else {
            Some(changed as u64)
        };
        tx.commit()?;
        Ok(step)
    }
}

/// Busy (75) while an execution of the scenario runs: `refused` says what
/// cannot be done meanwhile.
fn ensure_not_running(
    tx: &rusqlite::Transaction<'_>,
    scenario: &Scenario,
    refused: &str,
) -> Result<()> {
    if super::leases::held(tx, scenario.id)? {
        return Err(Failure::busy(format!(
            "scenario {:?} is running: {refused}",
            scenario.name
        ))
        .hint("try again when the execution ends")
        .into());
    }
    Ok(())
}

/// A hook feeds at most one scenario.
fn ensure_hook_free(
    tx: &rusqlite::Transaction<'_>,
    hook_id: i64,
    except: Option<i64>,
) -> Result<()> {
    let user: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT s.id, s.name, h.name FROM scenarios s JOIN hooks h ON h.id = s.hook_id
             WHERE s.hook_id = ?1",
            [hook_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    match user {
        Some((id, scenario, hook)) if Some(id) != except => Err(Failure::refused(format!(
            "hook {hook:?} already feeds scenario {scenario:?}"
        ))
        .hint("a hook feeds at most one scenario: create another hook")
        .into()),
        _ => Ok(()),
    }
}
