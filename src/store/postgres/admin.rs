//! Hooks, connections and scenarios: what `hooks`, `connections` and
//! `scenario` change, and what the server's registry reads.
//!
//! Names are sorted as SQLite sorts them (bytes, `COLLATE "C"`), whatever
//! the database's collation: listings read the same on both stores.

use anyhow::Result;
use postgres::{GenericClient, Row};

use super::Cached;
use super::{json, unsigned, word, PgStore};
use crate::clock::Millis;
use crate::error::Failure;
use crate::store::{
    validate_name, DeleteStep, Forward, Hook, HookSettings, Scenario, ScenarioSettings,
    StoredConnection,
};
use crate::units::Duration;
use crate::verify::{self, Kind, Options};

const SELECT_HOOK: &str = "
    SELECT h.id, h.name, h.token, h.enabled, h.rate_limit, h.queue_limit, h.max_body,
           h.allow_ips, h.methods, h.json_passthrough, h.connection_id, c.name, s.name,
           h.created_at, h.disabled_at, h.disabled_reason,
           h.unassigned_since, h.last_event_at, h.queued, h.operations, h.burst,
           h.dedupe, h.dedupe_window, h.dedupe_header, h.duplicates
    FROM hooks h
    LEFT JOIN connections c ON c.id = h.connection_id
    LEFT JOIN scenarios s ON s.hook_id = h.id";

fn hook_from_row(row: &Row) -> Result<Hook> {
    let allow_ips: Vec<String> = json(row, 7)?;
    Ok(Hook {
        id: row.get(0),
        name: row.get(1),
        token: row.get(2),
        enabled: row.get(3),
        settings: HookSettings {
            rate_limit: unsigned(row, 4)?,
            burst: unsigned(row, 20)?,
            queue_limit: unsigned(row, 5)?,
            max_body: unsigned(row, 6)?,
            allow_ips: allow_ips
                .iter()
                .map(|ip| {
                    ip.parse().map_err(|e| {
                        anyhow::anyhow!(
                            "in the database: column allow_ips holds {ip:?}, which this hookq \
                             cannot read ({e})"
                        )
                    })
                })
                .collect::<Result<_>>()?,
            methods: json(row, 8)?,
            json_passthrough: row.get(9),
            connection_id: row.get(10),
            dedupe: row.get(21),
            dedupe_window: row.get(22),
            dedupe_header: row.get(23),
        },
        connection: row.get(11),
        scenario: row.get(12),
        created_at: row.get(13),
        disabled_at: row.get(14),
        disabled_reason: row.get(15),
        unassigned_since: row.get(16),
        last_event_at: row.get(17),
        queued: unsigned(row, 18)?,
        operations: unsigned(row, 19)?,
        duplicates: unsigned(row, 24)?,
    })
}

/// The hook with this id, on a connection or in a transaction.
pub(super) fn hook_by_id(client: &mut impl GenericClient, id: i64) -> Result<Option<Hook>> {
    client
        .query_opt_cached(&format!("{SELECT_HOOK} WHERE h.id = $1"), &[&id])?
        .map(|row| hook_from_row(&row))
        .transpose()
}

fn json_list<T: ToString>(items: &[T]) -> String {
    serde_json::Value::from(items.iter().map(T::to_string).collect::<Vec<_>>()).to_string()
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgStore {
    /// Every hook, by name.
    pub(crate) fn hooks(&self) -> Result<Vec<Hook>> {
        self.with(|c| {
            c.query_cached(&format!("{SELECT_HOOK} ORDER BY h.name COLLATE \"C\""), &[])?
                .iter()
                .map(hook_from_row)
                .collect()
        })
    }

    /// The hook with this name or token, if any.
    pub(crate) fn find_hook(&self, key: &str) -> Result<Option<Hook>> {
        self.with(|c| {
            c.query_opt_cached(
                &format!(
                    "{SELECT_HOOK} WHERE h.name = $1 OR h.token = $1
                     ORDER BY h.name = $1 DESC LIMIT 1"
                ),
                &[&key],
            )?
            .map(|row| hook_from_row(&row))
            .transpose()
        })
    }

    pub(crate) fn has_token(&self, token: &str) -> Result<bool> {
        self.with(|c| {
            Ok(c.query_one_cached(
                "SELECT EXISTS (SELECT 1 FROM hooks WHERE token = $1)",
                &[&token],
            )?
            .get(0))
        })
    }

    pub(crate) fn create_hook(
        &mut self,
        name: &str,
        settings: &HookSettings,
        now: Millis,
    ) -> Result<Hook> {
        validate_name("hook", name)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            // Two creations of one name at once: the second waits here.
            tx.execute_cached("SELECT pg_advisory_xact_lock(hashtext($1))", &[&name])?;
            let clash = tx.query_opt_cached(
                "SELECT name FROM hooks WHERE name = $1 OR token = $1",
                &[&name],
            )?;
            if let Some(row) = clash {
                let existing: String = row.get(0);
                if existing == name {
                    return Err(
                        Failure::usage(format!("a hook named {name:?} already exists"))
                            .hint("choose another name, or change it with `hookq hooks edit`")
                            .into(),
                    );
                }
                return Err(Failure::usage(format!(
                    "{name:?} is the token of hook {existing:?} and cannot name another hook"
                ))
                .into());
            }
            let token = loop {
                let token = crate::token::generate()?;
                let taken: bool = tx
                    .query_one_cached(
                        "SELECT EXISTS (SELECT 1 FROM hooks WHERE token = $1 OR name = $1)",
                        &[&token],
                    )?
                    .get(0);
                if !taken {
                    break token;
                }
            };
            let row = tx.query_one_cached(
                "INSERT INTO hooks (name, token, rate_limit, queue_limit, max_body, allow_ips,
                                    methods, json_passthrough, connection_id, created_at,
                                    enabled_at, unassigned_since, burst, dedupe, dedupe_window,
                                    dedupe_header)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10, $11, $12, $13, $14)
                 RETURNING id",
                &[
                    &name,
                    &token,
                    &i64::from(settings.rate_limit),
                    &i64_of(settings.queue_limit),
                    &i64_of(settings.max_body),
                    &json_list(&settings.allow_ips),
                    &json_list(&settings.methods),
                    &settings.json_passthrough,
                    &settings.connection_id,
                    &now,
                    &i64::from(settings.burst),
                    &settings.dedupe,
                    &settings.dedupe_window,
                    &settings.dedupe_header,
                ],
            )?;
            let id: i64 = row.get(0);
            let hook = hook_by_id(&mut tx, id)?;
            tx.commit()?;
            Ok(hook.expect("inserted above"))
        })
    }

    pub(crate) fn update_hook_settings(&mut self, id: i64, settings: &HookSettings) -> Result<()> {
        self.with(|c| {
            c.execute_cached(
                "UPDATE hooks SET rate_limit = $2, queue_limit = $3, max_body = $4, allow_ips = $5,
                                  methods = $6, json_passthrough = $7, connection_id = $8,
                                  burst = $9, dedupe = $10, dedupe_window = $11,
                                  dedupe_header = $12
                 WHERE id = $1",
                &[
                    &id,
                    &i64::from(settings.rate_limit),
                    &i64_of(settings.queue_limit),
                    &i64_of(settings.max_body),
                    &json_list(&settings.allow_ips),
                    &json_list(&settings.methods),
                    &settings.json_passthrough,
                    &settings.connection_id,
                    &i64::from(settings.burst),
                    &settings.dedupe,
                    &settings.dedupe_window,
                    &settings.dedupe_header,
                ],
            )?;
            Ok(())
        })
    }

    pub(crate) fn enable_hook(&mut self, id: i64, now: Millis) -> Result<bool> {
        self.with(|c| {
            Ok(c.execute_cached(
                "UPDATE hooks SET enabled = true, enabled_at = $2, disabled_at = NULL,
                                  disabled_reason = NULL
                 WHERE id = $1 AND NOT enabled",
                &[&id, &now],
            )? == 1)
        })
    }

    pub(crate) fn disable_hook(&mut self, id: i64, now: Millis, reason: &str) -> Result<bool> {
        self.with(|c| {
            Ok(c.execute_cached(
                "UPDATE hooks SET enabled = false, disabled_at = $2, disabled_reason = $3
                 WHERE id = $1 AND enabled",
                &[&id, &now, &reason],
            )? == 1)
        })
    }

    /// One step of deleting a hook (see the SQLite store's).
    pub(crate) fn delete_hook_step(&mut self, hook: &Hook, batch: usize) -> Result<Option<u64>> {
        match self.sweep_delete_step(hook.id, batch, &|facts| facts.scenario.is_none())? {
            DeleteStep::Events(deleted) => Ok(Some(deleted)),
            DeleteStep::Deleted(_) | DeleteStep::Gone => Ok(None),
            DeleteStep::Spared => {
                let scenario: Option<String> = self.with(|c| {
                    Ok(c.query_opt_cached(
                        "SELECT name FROM scenarios WHERE hook_id = $1",
                        &[&hook.id],
                    )?
                    .map(|row| row.get(0)))
                })?;
                Err(Failure::refused(format!(
                    "hook {:?} is used by scenario {:?}",
                    hook.name,
                    scenario.unwrap_or_default()
                ))
                .hint("delete the scenario, or move it with `hookq scenario edit --hook`")
                .into())
            }
        }
    }

    pub(crate) fn refusals(&self, hook_id: i64) -> Result<Vec<(u16, u64)>> {
        self.with(|c| {
            c.query_cached(
                "SELECT status, count FROM refusals WHERE hook_id = $1 ORDER BY status",
                &[&hook_id],
            )?
            .iter()
            .map(|row| Ok((u16::try_from(row.get::<_, i32>(0))?, unsigned(row, 1)?)))
            .collect()
        })
    }

    pub(crate) fn queue_depths(&self) -> Result<Vec<(i64, u64)>> {
        self.with(|c| {
            c.query_cached("SELECT id, queued FROM hooks", &[])?
                .iter()
                .map(|row| Ok((row.get(0), unsigned(row, 1)?)))
                .collect()
        })
    }
}

const SELECT_CONNECTION: &str = "
    SELECT c.id, c.name, c.kind, c.secret, c.options, c.created_at,
           (SELECT coalesce(json_agg(h.name ORDER BY h.id)::text, '[]')
            FROM hooks h WHERE h.connection_id = c.id),
           c.previous_secret, c.previous_until
    FROM connections c";

fn connection_from_row(row: &Row) -> Result<StoredConnection> {
    let kind: String = row.get(2);
    let options: Options = json(row, 4)?;
    Ok(StoredConnection {
        id: row.get(0),
        name: row.get(1),
        kind: kind
            .parse::<Kind>()
            .map_err(|e| anyhow::anyhow!("in the database: {e}"))?,
        secret: row.get(3),
        options,
        created_at: row.get(5),
        hooks: json(row, 6)?,
        previous: match (row.get(7), row.get(8)) {
            (Some(secret), Some(until)) => Some(verify::Previous { secret, until }),
            _ => None,
        },
    })
}

impl PgStore {
    pub(crate) fn connections(&self) -> Result<Vec<StoredConnection>> {
        self.with(|c| {
            c.query_cached(
                &format!("{SELECT_CONNECTION} ORDER BY c.name COLLATE \"C\""),
                &[],
            )?
            .iter()
            .map(connection_from_row)
            .collect()
        })
    }

    pub(crate) fn find_connection(&self, name: &str) -> Result<Option<StoredConnection>> {
        self.with(|c| {
            c.query_opt_cached(&format!("{SELECT_CONNECTION} WHERE c.name = $1"), &[&name])?
                .map(|row| connection_from_row(&row))
                .transpose()
        })
    }

    fn connection_named(&self, name: &str) -> Result<StoredConnection> {
        self.find_connection(name)?
            .ok_or_else(|| anyhow::anyhow!("connection {name:?} vanished"))
    }

    pub(crate) fn create_connection(
        &mut self,
        name: &str,
        kind: Kind,
        secret: &str,
        options: &Options,
        now: Millis,
    ) -> Result<StoredConnection> {
        validate_name("connection", name)?;
        let options = serde_json::to_string(options)?;
        let inserted = self.with(|c| {
            Ok(c.execute_cached(
                "INSERT INTO connections (name, kind, secret, options, created_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
                &[&name, &kind.as_str(), &secret, &options, &now],
            )?)
        })?;
        if inserted == 0 {
            return Err(
                Failure::usage(format!("a connection named {name:?} already exists")).into(),
            );
        }
        self.connection_named(name)
    }

    pub(crate) fn rotate_connection(
        &mut self,
        connection: &StoredConnection,
        secret: &str,
        until: Millis,
    ) -> Result<StoredConnection> {
        self.with(|c| {
            c.execute_cached(
                "UPDATE connections
                 SET previous_secret = secret, previous_until = $2, secret = $3
                 WHERE id = $1",
                &[&connection.id, &until, &secret],
            )?;
            Ok(())
        })?;
        self.connection_named(&connection.name)
    }

    pub(crate) fn delete_connection(&mut self, connection: &StoredConnection) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            // Locked first: no hook can take it up between the look and
            // the delete (its foreign key check waits for this row).
            tx.execute_cached(
                "SELECT 1 FROM connections WHERE id = $1 FOR UPDATE",
                &[&connection.id],
            )?;
            let users: Vec<String> = tx
                .query_cached(
                    "SELECT name FROM hooks WHERE connection_id = $1 ORDER BY name COLLATE \"C\"",
                    &[&connection.id],
                )?
                .iter()
                .map(|row| row.get(0))
                .collect();
            if !users.is_empty() {
                return Err(Failure::refused(format!(
                    "connection {:?} is used by hook{} {}",
                    connection.name,
                    if users.len() == 1 { "" } else { "s" },
                    users.join(", ")
                ))
                .hint("detach it first with `hookq hooks edit HOOK --no-connection`")
                .into());
            }
            tx.execute_cached("DELETE FROM connections WHERE id = $1", &[&connection.id])?;
            tx.commit()?;
            Ok(())
        })
    }
}

const SELECT_SCENARIO: &str = "
    SELECT s.id, s.name, s.hook_id, h.name, s.command, s.schedule, s.max_cycles, s.max_errors,
           s.timeout_ms, s.input, s.store_incomplete, s.active, s.inactive_since,
           s.consecutive_errors, s.created_at, s.last_run_at, s.respond, s.response_status,
           s.response_headers, s.response_timeout_ms, s.forward, s.waiting_since
    FROM scenarios s JOIN hooks h ON h.id = s.hook_id";

fn forward_column(row: &Row, idx: usize) -> Result<Option<Forward>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Stored {
        url: String,
        headers: Vec<(String, String)>,
        timeout_ms: i64,
        insecure: bool,
    }
    let Some(text) = row.get::<_, Option<String>>(idx) else {
        return Ok(None);
    };
    let stored: Stored = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "in the database: column forward holds {text:?}, which this hookq cannot read ({e})"
        )
    })?;
    Ok(Some(Forward {
        url: stored.url,
        headers: stored.headers,
        timeout: Duration(stored.timeout_ms),
        insecure: stored.insecure,
    }))
}

fn forward_json(forward: &Forward) -> String {
    serde_json::json!({
        "url": forward.url,
        "headers": forward.headers,
        "timeout_ms": forward.timeout.millis(),
        "insecure": forward.insecure,
    })
    .to_string()
}

fn scenario_from_row(row: &Row) -> Result<Scenario> {
    let respond: Option<String> = row.get(16);
    Ok(Scenario {
        id: row.get(0),
        name: row.get(1),
        hook_id: row.get(2),
        hook: row.get(3),
        settings: ScenarioSettings {
            command: json(row, 4)?,
            schedule: word(row, 5)?,
            forward: forward_column(row, 20)?,
            max_cycles: unsigned(row, 6)?,
            max_errors: unsigned(row, 7)?,
            timeout: Duration(row.get(8)),
            input: word(row, 9)?,
            store_incomplete: row.get(10),
            respond: respond
                .map(|r| {
                    r.parse()
                        .map_err(|e: String| anyhow::anyhow!("in the database: {e}"))
                })
                .transpose()?,
            response_status: u16::try_from(row.get::<_, i32>(17))?,
            response_headers: json(row, 18)?,
            response_timeout: Duration(row.get(19)),
        },
        active: row.get(11),
        inactive_since: row.get(12),
        consecutive_errors: unsigned(row, 13)?,
        created_at: row.get(14),
        last_run_at: row.get(15),
        waiting_since: row.get(21),
    })
}

pub(super) fn scenario_by_id(client: &mut impl GenericClient, id: i64) -> Result<Option<Scenario>> {
    client
        .query_opt_cached(&format!("{SELECT_SCENARIO} WHERE s.id = $1"), &[&id])?
        .map(|row| scenario_from_row(&row))
        .transpose()
}

/// A hook feeds at most one scenario.
fn ensure_hook_free(tx: &mut impl GenericClient, hook_id: i64, except: Option<i64>) -> Result<()> {
    let user = tx.query_opt_cached(
        "SELECT s.id, s.name, h.name FROM scenarios s JOIN hooks h ON h.id = s.hook_id
         WHERE s.hook_id = $1",
        &[&hook_id],
    )?;
    match user {
        Some(row) if Some(row.get::<_, i64>(0)) != except => {
            let (scenario, hook): (String, String) = (row.get(1), row.get(2));
            Err(
                Failure::refused(format!("hook {hook:?} already feeds scenario {scenario:?}"))
                    .hint("a hook feeds at most one scenario: create another hook")
                    .into(),
            )
        }
        _ => Ok(()),
    }
}

/// Busy (75) while an execution of the scenario runs.
fn ensure_not_running(
    tx: &mut impl GenericClient,
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

impl PgStore {
    pub(crate) fn scenarios(&self) -> Result<Vec<Scenario>> {
        self.with(|c| {
            c.query_cached(
                &format!("{SELECT_SCENARIO} ORDER BY s.name COLLATE \"C\""),
                &[],
            )?
            .iter()
            .map(scenario_from_row)
            .collect()
        })
    }

    pub(crate) fn find_scenario(&self, name: &str) -> Result<Option<Scenario>> {
        self.with(|c| {
            c.query_opt_cached(&format!("{SELECT_SCENARIO} WHERE s.name = $1"), &[&name])?
                .map(|row| scenario_from_row(&row))
                .transpose()
        })
    }

    pub(crate) fn scenario_by_id(&self, id: i64) -> Result<Option<Scenario>> {
        self.with(|c| scenario_by_id(c, id))
    }

    pub(crate) fn create_scenario(
        &mut self,
        name: &str,
        hook_id: i64,
        settings: &ScenarioSettings,
        active: bool,
        now: Millis,
    ) -> Result<Scenario> {
        validate_name("scenario", name)?;
        let command = serde_json::to_string(&settings.command)?;
        let response_headers = serde_json::to_string(&settings.response_headers)?;
        let id = self.with(|c| {
            let mut tx = c.transaction()?;
            // The hook's row first (lock order: the sweep's rule reads it).
            tx.execute_cached(
                "SELECT 1 FROM hooks WHERE id = $1 FOR NO KEY UPDATE",
                &[&hook_id],
            )?;
            if tx
                .query_opt_cached("SELECT 1 FROM scenarios WHERE name = $1", &[&name])?
                .is_some()
            {
                return Err(
                    Failure::usage(format!("a scenario named {name:?} already exists")).into(),
                );
            }
            ensure_hook_free(&mut tx, hook_id, None)?;
            let row = tx.query_one_cached(
                "INSERT INTO scenarios (name, hook_id, command, schedule, max_cycles, max_errors,
                                        timeout_ms, input, store_incomplete, active,
                                        inactive_since, created_at, respond, response_status,
                                        response_headers, response_timeout_ms, forward)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                         $17)
                 RETURNING id",
                &[
                    &name,
                    &hook_id,
                    &command,
                    &settings.schedule.to_string(),
                    &i64::from(settings.max_cycles),
                    &i64::from(settings.max_errors),
                    &settings.timeout.millis(),
                    &settings.input.as_str(),
                    &settings.store_incomplete,
                    &active,
                    &(!active).then_some(now),
                    &now,
                    &settings.respond.as_ref().map(ToString::to_string),
                    &i32::from(settings.response_status),
                    &response_headers,
                    &settings.response_timeout.millis(),
                    &settings.forward.as_ref().map(forward_json),
                ],
            )?;
            tx.execute_cached(
                "UPDATE hooks SET unassigned_since = NULL WHERE id = $1",
                &[&hook_id],
            )?;
            tx.commit()?;
            Ok(row.get::<_, i64>(0))
        })?;
        self.scenario_by_id(id)?
            .ok_or_else(|| anyhow::anyhow!("scenario {name:?} vanished"))
    }

    pub(crate) fn update_scenario(
        &mut self,
        scenario: &Scenario,
        hook_id: i64,
        settings: &ScenarioSettings,
        now: Millis,
    ) -> Result<()> {
        let command = serde_json::to_string(&settings.command)?;
        let response_headers = serde_json::to_string(&settings.response_headers)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            // The scenario's row first: who holds its lease cannot change
            // meanwhile (docs/scaling.md, lock order).
            tx.execute_cached(
                "SELECT 1 FROM scenarios WHERE id = $1 FOR NO KEY UPDATE",
                &[&scenario.id],
            )?;
            if hook_id != scenario.hook_id {
                ensure_hook_free(&mut tx, hook_id, Some(scenario.id))?;
                ensure_not_running(&mut tx, scenario, "its hook cannot change now")?;
                tx.execute_cached(
                    "UPDATE hooks SET unassigned_since = $2 WHERE id = $1",
                    &[&scenario.hook_id, &now],
                )?;
                tx.execute_cached(
                    "UPDATE hooks SET unassigned_since = NULL WHERE id = $1",
                    &[&hook_id],
                )?;
            }
            tx.execute_cached(
                "UPDATE scenarios SET hook_id = $2, command = $3, schedule = $4, max_cycles = $5,
                                      max_errors = $6, timeout_ms = $7, input = $8,
                                      store_incomplete = $9, respond = $10,
                                      response_status = $11, response_headers = $12,
                                      response_timeout_ms = $13, forward = $14
                 WHERE id = $1",
                &[
                    &scenario.id,
                    &hook_id,
                    &command,
                    &settings.schedule.to_string(),
                    &i64::from(settings.max_cycles),
                    &i64::from(settings.max_errors),
                    &settings.timeout.millis(),
                    &settings.input.as_str(),
                    &settings.store_incomplete,
                    &settings.respond.as_ref().map(ToString::to_string),
                    &i32::from(settings.response_status),
                    &response_headers,
                    &settings.response_timeout.millis(),
                    &settings.forward.as_ref().map(forward_json),
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    pub(crate) fn set_scenario_waiting(&self, id: i64, since: Option<Millis>) -> Result<()> {
        self.with(|c| {
            c.execute_cached(
                "UPDATE scenarios SET waiting_since = $2 WHERE id = $1",
                &[&id, &since],
            )?;
            Ok(())
        })
    }

    pub(crate) fn set_scenario_active(
        &mut self,
        id: i64,
        active: bool,
        now: Millis,
    ) -> Result<bool> {
        self.with(|c| {
            let changed = if active {
                c.execute_cached(
                    "UPDATE scenarios SET active = true, inactive_since = NULL,
                                          consecutive_errors = 0
                     WHERE id = $1 AND NOT active",
                    &[&id],
                )?
            } else {
                c.execute_cached(
                    "UPDATE scenarios SET active = false, inactive_since = $2
                     WHERE id = $1 AND active",
                    &[&id, &now],
                )?
            };
            Ok(changed == 1)
        })
    }

    /// One step of deleting a scenario and its history (see the SQLite
    /// store's): about `batch` rows per transaction.
    pub(crate) fn delete_scenario_step(
        &mut self,
        scenario: &Scenario,
        batch: usize,
        now: Millis,
    ) -> Result<Option<u64>> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute_cached(
                "SELECT 1 FROM scenarios WHERE id = $1 FOR NO KEY UPDATE",
                &[&scenario.id],
            )?;
            ensure_not_running(&mut tx, scenario, "it cannot be deleted now")?;
            let mut changed = 0u64;
            let batch = batch as u64;
            while changed < batch {
                let Some(row) = tx.query_opt_cached(
                    "SELECT id FROM executions WHERE scenario_id = $1 ORDER BY id LIMIT 1",
                    &[&scenario.id],
                )?
                else {
                    break;
                };
                let execution: i64 = row.get(0);
                changed += tx.execute_cached(
                    "UPDATE operations SET execution_id = NULL WHERE id IN (
                         SELECT id FROM operations WHERE execution_id = $1 LIMIT $2)",
                    &[&execution, &((batch - changed) as i64)],
                )?;
                if changed < batch {
                    changed +=
                        tx.execute_cached("DELETE FROM executions WHERE id = $1", &[&execution])?;
                }
            }
            let step = if changed < batch {
                tx.execute_cached(
                    "UPDATE hooks SET unassigned_since = $2
                     WHERE id = (SELECT hook_id FROM scenarios WHERE id = $1)",
                    &[&scenario.id, &now],
                )?;
                tx.execute_cached("DELETE FROM scenarios WHERE id = $1", &[&scenario.id])?;
                None
            } else {
                Some(changed)
            };
            tx.commit()?;
            Ok(step)
        })
    }
}
