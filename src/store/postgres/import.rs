//! The target of `hookq db copy` (docs/scaling.md, "`hookq db copy`"): an
//! empty database, written in one transaction, all or nothing.
//!
//! Binary `COPY ... FROM STDIN`, one per table, rather than batched
//! `unnest` inserts: the rows stream from the SQLite snapshot to the server
//! as they are read (no batch of bodies held in memory, no array built per
//! column, one round trip per table), and each table's statement triggers
//! run once over all its rows.

use anyhow::{Context, Result};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};

use super::leases::{CLOSE_UNFINISHED, CUT_SHORT};
use super::PgStore;
use crate::error::Failure;
use crate::store::copy::{Column, Table, Value, TABLES};
use crate::store::{Access, PgUrl};

/// Each table asks `fill` for its rows, in [`TABLES`]' order.
pub(crate) type Fill<'a> =
    dyn FnMut(&Table, &mut dyn FnMut(&[Value]) -> Result<()>) -> Result<()> + 'a;

/// Migrate the database at `url`, refuse it (exit 3) unless it is empty,
/// and write every table `fill` gives, in one transaction. What a dead
/// process left in the source is repaired on the way, as a crash repair
/// would: `running` events back to `queued` (same id, same place), and
/// unfinished executions closed. The rows per table.
pub(crate) fn import(url: &PgUrl, fill: &mut Fill<'_>) -> Result<Vec<(String, u64)>> {
    let store = PgStore::open(url, Access::Read)?;
    store.with(|client| {
        let mut tx = client.transaction()?;
        // Nobody adds a hook or an event between the check and the commit;
        // readers go on.
        tx.batch_execute(
            "LOCK TABLE hooks, connections, scenarios, events IN SHARE ROW EXCLUSIVE MODE",
        )?;
        let row = tx.query_one(
            "SELECT (SELECT count(*) FROM hooks), (SELECT count(*) FROM connections),
                    (SELECT count(*) FROM scenarios), (SELECT count(*) FROM events)",
            &[],
        )?;
        let held: Vec<String> = ["hooks", "connections", "scenarios", "events"]
            .iter()
            .enumerate()
            .filter_map(|(i, what)| {
                let n: i64 = row.get(i);
                // "1 hook", "2 hooks"
                let what = if n == 1 {
                    &what[..what.len() - 1]
                } else {
                    what
                };
                (n > 0).then(|| format!("{n} {what}"))
            })
            .collect();
        if !held.is_empty() {
            return Err(
                Failure::refused(format!("{url} is not empty ({})", held.join(", ")))
                    .hint("copy into an empty database (a new one: CREATE DATABASE)")
                    .into(),
            );
        }
        let mut counts = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
            let types: Vec<Type> = table.columns.iter().map(|(_, c)| type_of(*c)).collect();
            let sink = tx.copy_in(&format!(
                "COPY {} ({}) FROM STDIN (FORMAT binary)",
                table.name,
                names.join(", ")
            ))?;
            let mut writer = BinaryCopyInWriter::new(sink, &types);
            fill(table, &mut |row| {
                writer.write_raw(row.iter().map(as_sql))?;
                Ok(())
            })?;
            let rows = writer
                .finish()
                .with_context(|| format!("could not copy {}", table.name))?;
            counts.push((table.name.to_owned(), rows));
        }
        tx.execute(
            "UPDATE events SET state = 'queued' WHERE state = 'running'",
            &[],
        )?;
        tx.execute(CLOSE_UNFINISHED, &[&CUT_SHORT])?;
        // The counters came with their hooks, and the triggers counted the
        // copied rows on top: a queue is what it holds, and `operations`
        // (which counts operations since deleted too) what the source said.
        tx.batch_execute(
            "UPDATE hooks h SET queued = (SELECT count(*) FROM events e
                                          WHERE e.hook_id = h.id AND e.state = 'queued');
             UPDATE hooks h SET operations = h.operations - d.n
               FROM (SELECT hook_id, count(*) AS n FROM operations GROUP BY hook_id) d
              WHERE h.id = d.hook_id;",
        )?;
        // New rows get ids past the copied ones.
        for table in [
            "connections",
            "hooks",
            "scenarios",
            "executions",
            "events",
            "operations",
        ] {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                   coalesce(max(id), 0) + 1, false) FROM {table}"
                ),
                &[],
            )?;
        }
        tx.commit()?;
        Ok(counts)
    })
}

fn type_of(column: Column) -> Type {
    match column {
        Column::Int8 => Type::INT8,
        Column::Int4 => Type::INT4,
        Column::Bool => Type::BOOL,
        Column::Text => Type::TEXT,
        Column::Bytes => Type::BYTEA,
    }
}

fn as_sql(value: &Value) -> &(dyn ToSql + Sync) {
    match value {
        Value::Int8(v) => v,
        Value::Int4(v) => v,
        Value::Bool(v) => v,
        Value::Text(v) => v,
        Value::Bytes(v) => v,
    }
}
