//! The source of `hookq db copy` (docs/scaling.md, "`hookq db copy`"): one
//! read transaction over the file, so that every table comes from the same
//! moment while a server may go on writing beside it (WAL), and a look
//! afterwards at what arrived since.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use rusqlite::types::ValueRef;
use rusqlite::OptionalExtension;

use super::SqliteStore;
use crate::error::Failure;
use crate::store::copy::{Column, Table, Value};
use crate::store::Access;

pub(crate) struct Snapshot {
    store: SqliteStore,
    /// The newest event (id, received_at) and execution id in the snapshot.
    newest_event: Option<(i64, i64)>,
    newest_execution: i64,
}

impl Snapshot {
    /// Open the file (it must exist) and begin the read transaction.
    /// Refused (exit 3) while a live process holds an execution lease: its
    /// events would be copied half-run, and it would go on writing to the
    /// file after the copy.
    pub(crate) fn take(path: &Path) -> Result<Snapshot> {
        let store = SqliteStore::open_for(path, Access::Read)?;
        // A deferred transaction's snapshot is taken at its first read and
        // kept until it ends: every table below is read as of that moment.
        store.conn.execute_batch("BEGIN")?;
        let live = super::leases::live_holders(&store.conn)?;
        if !live.is_empty() {
            return Err(Failure::refused(format!(
                "{} is in use: scenario {} is running (a live process holds its lease)",
                path.display(),
                live.join(", ")
            ))
            .hint("stop every hooks serve and scenario run on it, then copy")
            .into());
        }
        let newest_event = store
            .conn
            .query_row(
                "SELECT id, received_at FROM events ORDER BY id DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let newest_execution =
            store
                .conn
                .query_row("SELECT coalesce(max(id), 0) FROM executions", [], |row| {
                    row.get(0)
                })?;
        Ok(Snapshot {
            store,
            newest_event,
            newest_execution,
        })
    }

    /// Every row of `table` in its order, as the target's columns want it.
    pub(crate) fn rows(
        &mut self,
        table: &Table,
        sink: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            names.join(", "),
            table.name,
            table.order
        );
        let mut statement = self.store.conn.prepare(&sql)?;
        let mut rows = statement.query([])?;
        let mut values = Vec::with_capacity(names.len());
        while let Some(row) = rows.next()? {
            values.clear();
            for (index, (name, column)) in table.columns.iter().enumerate() {
                let value = convert(row.get_ref(index)?, *column).ok_or_else(|| {
                    anyhow!(
                        "{}.{name} holds a value of the wrong type in row {:?}",
                        table.name,
                        row.get_ref(0).ok()
                    )
                })?;
                values.push(value);
            }
            sink(&values).with_context(|| format!("could not copy {}", table.name))?;
        }
        Ok(())
    }

    /// End the snapshot and count what arrived in the file since it was
    /// taken: events past its newest (or in its newest's place: SQLite may
    /// hand out the id of a deleted last row again), and executions started.
    pub(crate) fn since(&mut self) -> Result<(u64, u64)> {
        self.store.conn.execute_batch("COMMIT")?;
        let (id, received_at) = self.newest_event.unwrap_or((0, 0));
        let events: i64 = self.store.conn.query_row(
            "SELECT count(*) FROM events WHERE id > ?1 OR (id = ?1 AND received_at <> ?2)",
            [id, received_at],
            |row| row.get(0),
        )?;
        let executions: i64 = self.store.conn.query_row(
            "SELECT count(*) FROM executions WHERE id > ?1",
            [self.newest_execution],
            |row| row.get(0),
        )?;
        Ok((events as u64, executions as u64))
    }
}

/// A SQLite value as `column` takes it; `None` if it cannot be one. Text
/// must be UTF-8 (PostgreSQL's `text`); bodies and outputs may have been
/// stored as text or as blobs.
fn convert(value: ValueRef<'_>, column: Column) -> Option<Value> {
    Some(match (value, column) {
        (ValueRef::Null, Column::Int8) => Value::Int8(None),
        (ValueRef::Null, Column::Int4) => Value::Int4(None),
        (ValueRef::Null, Column::Bool) => Value::Bool(None),
        (ValueRef::Null, Column::Text) => Value::Text(None),
        (ValueRef::Null, Column::Bytes) => Value::Bytes(None),
        (ValueRef::Integer(n), Column::Int8) => Value::Int8(Some(n)),
        (ValueRef::Integer(n), Column::Int4) => Value::Int4(Some(i32::try_from(n).ok()?)),
        (ValueRef::Integer(n), Column::Bool) => Value::Bool(Some(n != 0)),
        (ValueRef::Integer(n), Column::Text) => Value::Text(Some(n.to_string())),
        (ValueRef::Text(text), Column::Text) => {
            Value::Text(Some(String::from_utf8(text.to_vec()).ok()?))
        }
        (ValueRef::Text(bytes) | ValueRef::Blob(bytes), Column::Bytes) => {
            Value::Bytes(Some(bytes.to_vec()))
        }
        _ => return None,
    })
}
