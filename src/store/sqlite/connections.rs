//! Connections: named credentials a hook uses to verify who sent a request.

use anyhow::Result;
use rusqlite::{params, OptionalExtension, Row};

use super::states::json_column;
use super::SqliteStore;
use crate::clock::Millis;
use crate::error::Failure;
use crate::store::validate_name;
use crate::store::ConnectionStore;
use crate::store::StoredConnection;
use crate::verify::{self, Kind, Options};

const SELECT_CONNECTION: &str = "
    SELECT c.id, c.name, c.kind, c.secret, c.options, c.created_at,
           (SELECT json_group_array(h.name) FROM hooks h WHERE h.connection_id = c.id),
           c.previous_secret, c.previous_until
    FROM connections c";

fn connection_from_row(row: &Row<'_>) -> rusqlite::Result<StoredConnection> {
    let kind: String = row.get(2)?;
    Ok(StoredConnection {
        id: row.get(0)?,
        name: row.get(1)?,
        kind: kind.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
        })?,
        secret: row.get(3)?,
        options: json_column(row, 4)?,
        created_at: row.get(5)?,
        hooks: json_column(row, 6)?,
        previous: match (row.get(7)?, row.get(8)?) {
            (Some(secret), Some(until)) => Some(verify::Previous { secret, until }),
            _ => None,
        },
    })
}

impl ConnectionStore for SqliteStore {
    fn connections(&self) -> Result<Vec<StoredConnection>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_CONNECTION} ORDER BY c.name"))?;
        let all = stmt
            .query_map([], connection_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(all)
    }

    fn find_connection(&self, name: &str) -> Result<Option<StoredConnection>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_CONNECTION} WHERE c.name = ?1"))?;
        Ok(stmt.query_row([name], connection_from_row).optional()?)
    }

    fn create_connection(
        &mut self,
        name: &str,
        kind: Kind,
        secret: &str,
        options: &Options,
        now: Millis,
    ) -> Result<StoredConnection> {
        validate_name("connection", name)?;
        let tx = self.write()?;
        if tx
            .query_row("SELECT 1 FROM connections WHERE name = ?1", [name], |_| {
                Ok(())
            })
            .optional()?
            .is_some()
        {
            return Err(
                Failure::usage(format!("a connection named {name:?} already exists")).into(),
            );
        }
        tx.execute(
            "INSERT INTO connections (name, kind, secret, options, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                name,
                kind.as_str(),
                secret,
                serde_json::to_string(options)?,
                now
            ],
        )?;
        tx.commit()?;
        self.connection(name)
    }

    /// Set a new secret, keeping the current one valid until `until`. A
    /// secret still in its grace from an earlier rotation is dropped: two
    /// secrets at most verify at once.
    fn rotate_connection(
        &mut self,
        connection: &StoredConnection,
        secret: &str,
        until: Millis,
    ) -> Result<StoredConnection> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE connections
             SET previous_secret = secret, previous_until = ?2, secret = ?3
             WHERE id = ?1",
            params![connection.id, until, secret],
        )?;
        tx.commit()?;
        self.connection(&connection.name)
    }

    /// Delete a connection; refused while a hook uses it.
    fn delete_connection(&mut self, connection: &StoredConnection) -> Result<()> {
        let tx = self.write()?;
        let users: Vec<String> = tx
            .prepare("SELECT name FROM hooks WHERE connection_id = ?1 ORDER BY name")?
            .query_map([connection.id], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
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
        tx.execute("DELETE FROM connections WHERE id = ?1", [connection.id])?;
        tx.commit()?;
        Ok(())
    }
}
