//! Scenarios: a named local command fed by exactly one hook.

use std::fmt;
use std::str::FromStr;

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{validate_name, Store};
use crate::clock::Millis;
use crate::error::Failure;
use crate::respond::Respond;
use crate::units::Duration;

/// When a scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// As soon as events wait (in a running server).
    Immediately,
    /// Only by `scenario run`.
    OnDemand,
    /// At regular intervals (in a running server).
    Every(Duration),
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "immediately" => Ok(Schedule::Immediately),
            "on-demand" => Ok(Schedule::OnDemand),
            other => match other.parse::<Duration>() {
                Ok(every) if every.millis() >= 1_000 => Ok(Schedule::Every(every)),
                Ok(_) => Err(format!("schedule interval {other:?} is shorter than 1s")),
                Err(_) => Err(format!(
                    "invalid schedule {other:?} (expected immediately, on-demand or a duration like 15m)"
                )),
            },
        }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Immediately => f.write_str("immediately"),
            Schedule::OnDemand => f.write_str("on-demand"),
            Schedule::Every(every) => write!(f, "{every}"),
        }
    }
}

/// What the command reads on stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The body as received.
    Raw,
    /// The JSON bundle: method, query, headers, content type, parsed body.
    Bundle,
}

impl FromStr for Input {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "raw" => Ok(Input::Raw),
            "bundle" => Ok(Input::Bundle),
            other => Err(format!("invalid input {other:?} (expected raw or bundle)")),
        }
    }
}

impl Input {
    pub fn as_str(self) -> &'static str {
        match self {
            Input::Raw => "raw",
            Input::Bundle => "bundle",
        }
    }
}

/// What a user sets on a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSettings {
    pub command: Vec<String>,
    pub schedule: Schedule,
    pub max_cycles: u32,
    pub max_errors: u32,
    pub timeout: Duration,
    pub input: Input,
    pub store_incomplete: bool,
    /// Answer the webhook caller (SPEC §6), and how.
    pub respond: Option<Respond>,
    pub response_status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_timeout: Duration,
}

impl ScenarioSettings {
    pub fn new(command: Vec<String>) -> Self {
        ScenarioSettings {
            command,
            schedule: Schedule::Immediately,
            max_cycles: 1,
            max_errors: 3,
            timeout: Duration(5 * 60_000),
            input: Input::Raw,
            store_incomplete: false,
            respond: None,
            response_status: 200,
            response_headers: Vec::new(),
            response_timeout: Duration(5 * 60_000),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: i64,
    pub name: String,
    pub hook_id: i64,
    pub hook: String,
    pub settings: ScenarioSettings,
    pub active: bool,
    pub inactive_since: Option<Millis>,
    pub consecutive_errors: u32,
    pub created_at: Millis,
    pub last_run_at: Option<Millis>,
}

const SELECT_SCENARIO: &str = "
    SELECT s.id, s.name, s.hook_id, h.name, s.command, s.schedule, s.max_cycles, s.max_errors,
           s.timeout_ms, s.input, s.store_incomplete, s.active, s.inactive_since,
           s.consecutive_errors, s.created_at, s.last_run_at, s.respond, s.response_status,
           s.response_headers, s.response_timeout_ms
    FROM scenarios s JOIN hooks h ON h.id = s.hook_id";

fn scenario_from_row(row: &Row<'_>) -> rusqlite::Result<Scenario> {
    let command: String = row.get(4)?;
    let schedule: String = row.get(5)?;
    let input: String = row.get(9)?;
    let respond: Option<String> = row.get(16)?;
    let response_headers: String = row.get(18)?;
    Ok(Scenario {
        id: row.get(0)?,
        name: row.get(1)?,
        hook_id: row.get(2)?,
        hook: row.get(3)?,
        settings: ScenarioSettings {
            command: serde_json::from_str(&command).unwrap_or_default(),
            schedule: schedule.parse().unwrap_or(Schedule::OnDemand),
            max_cycles: row.get(6)?,
            max_errors: row.get(7)?,
            timeout: Duration(row.get(8)?),
            input: if input == "bundle" {
                Input::Bundle
            } else {
                Input::Raw
            },
            store_incomplete: row.get(10)?,
            respond: respond.and_then(|r| r.parse().ok()),
            response_status: row.get(17)?,
            response_headers: serde_json::from_str(&response_headers).unwrap_or_default(),
            response_timeout: Duration(row.get(19)?),
        },
        active: row.get(11)?,
        inactive_since: row.get(12)?,
        consecutive_errors: row.get(13)?,
        created_at: row.get(14)?,
        last_run_at: row.get(15)?,
    })
}

/// [`Store::scenario_by_id`] on a connection or in a transaction.
pub(super) fn scenario_by_id(conn: &Connection, id: i64) -> Result<Option<Scenario>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT_SCENARIO} WHERE s.id = ?1"))?;
    Ok(stmt.query_row([id], scenario_from_row).optional()?)
}

impl Store {
    pub fn scenarios(&self) -> Result<Vec<Scenario>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_SCENARIO} ORDER BY s.name"))?;
        let scenarios = stmt
            .query_map([], scenario_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(scenarios)
    }

    pub fn find_scenario(&self, name: &str) -> Result<Option<Scenario>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_SCENARIO} WHERE s.name = ?1"))?;
        Ok(stmt.query_row([name], scenario_from_row).optional()?)
    }

    /// The scenario of this name; exit 3 when there is none.
    pub fn scenario(&self, name: &str) -> Result<Scenario> {
        self.find_scenario(name)?.ok_or_else(|| {
            Failure::refused(format!("no scenario named {name:?}"))
                .hint("`hookq scenario list` shows the scenarios")
                .into()
        })
    }

    pub fn scenario_by_id(&self, id: i64) -> Result<Option<Scenario>> {
        scenario_by_id(&self.conn, id)
    }

    /// Attach a new scenario to a hook that has none. The hook stops being
    /// unassigned from now.
    pub fn create_scenario(
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
                                    response_timeout_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                name,
                hook_id,
                serde_json::to_string(&settings.command)?,
                settings.schedule.to_string(),
                settings.max_cycles,
                settings.max_errors,
                settings.timeout.millis(),
                settings.input.as_str(),
                settings.store_incomplete,
                active,
                (!active).then_some(now),
                now,
                settings.respond.map(Respond::as_str),
                settings.response_status,
                serde_json::to_string(&settings.response_headers)?,
                settings.response_timeout.millis(),
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
    pub fn update_scenario(
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
                                  response_headers = ?12, response_timeout_ms = ?13
             WHERE id = ?1",
            params![
                scenario.id,
                hook_id,
                serde_json::to_string(&settings.command)?,
                settings.schedule.to_string(),
                settings.max_cycles,
                settings.max_errors,
                settings.timeout.millis(),
                settings.input.as_str(),
                settings.store_incomplete,
                settings.respond.map(Respond::as_str),
                settings.response_status,
                serde_json::to_string(&settings.response_headers)?,
                settings.response_timeout.millis(),
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Activate (errors forgotten) or deactivate (inactive from now).
    /// Returns false if it already was.
    pub fn set_scenario_active(&mut self, id: i64, active: bool, now: Millis) -> Result<bool> {
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
    pub fn delete_scenario_step(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_print() {
        assert_eq!("immediately".parse(), Ok(Schedule::Immediately));
        assert_eq!("on-demand".parse(), Ok(Schedule::OnDemand));
        assert_eq!("15m".parse(), Ok(Schedule::Every(Duration(900_000))));
        assert_eq!(Schedule::Every(Duration(3_600_000)).to_string(), "1h");
        for bad in ["", "sometimes", "15", "500ms", "-1h"] {
            assert!(bad.parse::<Schedule>().is_err(), "{bad}");
        }
    }
}
