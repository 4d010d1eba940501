//! Hooks: named webhook endpoints and their settings.

use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::states::{json_column, json_list_column};
use super::SqliteStore;
use crate::clock::Millis;
use crate::error::Failure;
use crate::store::validate_name;
use crate::store::{DeleteStep, Hook, HookSettings};
use crate::store::{HookStore, SweepStore};
use crate::token;

const SELECT_HOOK: &str = "
    SELECT h.id, h.name, h.token, h.enabled, h.rate_limit, h.queue_limit, h.max_body,
           h.allow_ips, h.methods, h.json_passthrough, h.connection_id, c.name, s.name,
           h.created_at, h.disabled_at, h.disabled_reason,
           h.unassigned_since, h.last_event_at, h.queued, h.operations, h.burst,
           h.dedupe, h.dedupe_window, h.dedupe_header, h.duplicates
    FROM hooks h
    LEFT JOIN connections c ON c.id = h.connection_id
    LEFT JOIN scenarios s ON s.hook_id = h.id";

fn hook_from_row(row: &Row<'_>) -> rusqlite::Result<Hook> {
    Ok(Hook {
        id: row.get(0)?,
        name: row.get(1)?,
        token: row.get(2)?,
        enabled: row.get(3)?,
        settings: HookSettings {
            rate_limit: row.get(4)?,
            burst: row.get(20)?,
            queue_limit: row.get(5)?,
            max_body: row.get(6)?,
            allow_ips: json_list_column(row, 7)?,
            methods: json_column(row, 8)?,
            json_passthrough: row.get(9)?,
            connection_id: row.get(10)?,
            dedupe: row.get(21)?,
            dedupe_window: row.get(22)?,
            dedupe_header: row.get(23)?,
        },
        connection: row.get(11)?,
        scenario: row.get(12)?,
        created_at: row.get(13)?,
        disabled_at: row.get(14)?,
        disabled_reason: row.get(15)?,
        unassigned_since: row.get(16)?,
        last_event_at: row.get(17)?,
        queued: row.get(18)?,
        operations: row.get(19)?,
        duplicates: row.get(24)?,
    })
}

/// The hook with this id, on a connection or in a transaction.
pub(super) fn hook_by_id(conn: &Connection, id: i64) -> Result<Option<Hook>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT_HOOK} WHERE h.id = ?1"))?;
    Ok(stmt.query_row([id], hook_from_row).optional()?)
}

fn json_list<T: ToString>(items: &[T]) -> String {
    serde_json::Value::from(items.iter().map(T::to_string).collect::<Vec<_>>()).to_string()
}

impl HookStore for SqliteStore {
    /// Every hook, by name.
    fn hooks(&self) -> Result<Vec<Hook>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_HOOK} ORDER BY h.name"))?;
        let hooks = stmt
            .query_map([], hook_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(hooks)
    }

    /// The hook with this name or token, if any.
    fn find_hook(&self, key: &str) -> Result<Option<Hook>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SELECT_HOOK} WHERE h.name = ?1 OR h.token = ?1 ORDER BY h.name = ?1 DESC LIMIT 1"
        ))?;
        Ok(stmt.query_row([key], hook_from_row).optional()?)
    }

    /// Whether a hook has this token: one read of the token's unique index.
    /// The server asks it of a token it does not know yet (a hook created
    /// a moment ago), so a flood of random tokens costs no more than that.
    fn has_token(&self, token: &str) -> Result<bool> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM hooks WHERE token = ?1)")?;
        Ok(stmt.query_row([token], |row| row.get(0))?)
    }

    /// Create a hook with a fresh token. The name must be free and must not
    /// be the token of another hook (a hook is addressed by either).
    fn create_hook(&mut self, name: &str, settings: &HookSettings, now: Millis) -> Result<Hook> {
        validate_name("hook", name)?;
        let tx = self.write()?;
        let clash: Option<(String, String)> = tx
            .query_row(
                "SELECT name, token FROM hooks WHERE name = ?1 OR token = ?1",
                [name],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        match clash {
            Some((existing, _)) if existing == name => {
                return Err(
                    Failure::usage(format!("a hook named {name:?} already exists"))
                        .hint("choose another name, or change it with `hookq hooks edit`")
                        .into(),
                )
            }
            Some((other, _)) => {
                return Err(Failure::usage(format!(
                    "{name:?} is the token of hook {other:?} and cannot name another hook"
                ))
                .into())
            }
            None => {}
        }
        let token = loop {
            let token = token::generate()?;
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM hooks WHERE token = ?1 OR name = ?1)",
                [&token],
                |row| row.get(0),
            )?;
            if !taken {
                break token;
            }
        };
        tx.execute(
            "INSERT INTO hooks (name, token, rate_limit, queue_limit, max_body, allow_ips,
                                methods, json_passthrough, connection_id, created_at,
                                enabled_at, unassigned_since, burst, dedupe, dedupe_window,
                                dedupe_header)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10, ?11, ?12, ?13, ?14)",
            params![
                name,
                token,
                settings.rate_limit,
                settings.queue_limit,
                settings.max_body,
                json_list(&settings.allow_ips),
                json_list(&settings.methods),
                settings.json_passthrough,
                settings.connection_id,
                now,
                settings.burst,
                settings.dedupe,
                settings.dedupe_window,
                settings.dedupe_header,
            ],
        )?;
        tx.commit()?;
        self.hook(name)
    }

    fn update_hook_settings(&mut self, id: i64, settings: &HookSettings) -> Result<()> {
        self.conn
            .execute(
                "UPDATE hooks SET rate_limit = ?2, queue_limit = ?3, max_body = ?4, allow_ips = ?5,
                                  methods = ?6, json_passthrough = ?7, connection_id = ?8,
                                  burst = ?9, dedupe = ?10, dedupe_window = ?11,
                                  dedupe_header = ?12
                 WHERE id = ?1",
                params![
                    id,
                    settings.rate_limit,
                    settings.queue_limit,
                    settings.max_body,
                    json_list(&settings.allow_ips),
                    json_list(&settings.methods),
                    settings.json_passthrough,
                    settings.connection_id,
                    settings.burst,
                    settings.dedupe,
                    settings.dedupe_window,
                    settings.dedupe_header,
                ],
            )
            .context("could not update the hook")?;
        Ok(())
    }

    /// Re-enable a disabled hook by hand: its sweep clocks start again.
    /// Returns false if it was already enabled.
    fn enable_hook(&mut self, id: i64, now: Millis) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE hooks SET enabled = 1, enabled_at = ?2, disabled_at = NULL,
                              disabled_reason = NULL
             WHERE id = ?1 AND enabled = 0",
            params![id, now],
        )?;
        Ok(changed == 1)
    }

    /// Disable an enabled hook, recording when and why. Returns false if it
    /// was already disabled.
    fn disable_hook(&mut self, id: i64, now: Millis, reason: &str) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE hooks SET enabled = 0, disabled_at = ?2, disabled_reason = ?3
             WHERE id = ?1 AND enabled = 1",
            params![id, now, reason],
        )?;
        Ok(changed == 1)
    }

    /// One step of deleting a hook with its events, payloads and
    /// operations: up to `batch` events, and the hook once none is left, in
    /// one transaction (as the sweep does: [`SqliteStore::sweep_delete_step`]).
    /// The events deleted while more remain, `None` once the hook is gone.
    /// Refused while a scenario uses it.
    fn delete_hook_step(&mut self, hook: &Hook, batch: usize) -> Result<Option<u64>> {
        match self.sweep_delete_step(hook.id, batch, &|facts| facts.scenario.is_none())? {
            DeleteStep::Events(deleted) => Ok(Some(deleted)),
            DeleteStep::Deleted(_) | DeleteStep::Gone => Ok(None),
            DeleteStep::Spared => {
                let scenario: Option<String> = self
                    .conn
                    .query_row(
                        "SELECT name FROM scenarios WHERE hook_id = ?1",
                        [hook.id],
                        |row| row.get(0),
                    )
                    .optional()?;
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

    /// Refused requests of a hook: (HTTP status, count), by status.
    fn refusals(&self, hook_id: i64) -> Result<Vec<(u16, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT status, count FROM refusals WHERE hook_id = ?1 ORDER BY status",
        )?;
        let counts = stmt
            .query_map([hook_id], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(counts)
    }
}
