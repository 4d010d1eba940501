//! `hookq db copy`: a SQLite store into an empty PostgreSQL database
//! (docs/scaling.md, "`hookq db copy`"). What both engines agree on lives
//! here: which tables travel, in which order, with which columns, and the
//! count of what was copied. Reading the SQLite snapshot is the SQLite
//! module's ([`super::sqlite::Snapshot`]), writing the PostgreSQL
//! transaction the PostgreSQL module's ([`super::postgres::import`]).

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::PgUrl;

/// A value on its way from one engine to the other, typed as the target's
/// column (SQLite keeps booleans and small numbers as integers).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Int8(Option<i64>),
    Int4(Option<i32>),
    Bool(Option<bool>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

/// What a column holds in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Int8,
    Int4,
    Bool,
    Text,
    Bytes,
}

pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [(&'static str, Column)],
    /// The order rows are read and written in: ids, so that each queue
    /// is written in its order.
    pub(crate) order: &'static str,
}

use Column::{Bool, Bytes, Int4, Int8, Text};

/// Every table that travels, parents before children (foreign keys).
/// Leases do not travel: an execution cannot move between stores. The
/// settings row is the target's own (its triggers count the copy).
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "connections",
        columns: &[
            ("id", Int8),
            ("name", Text),
            ("kind", Text),
            ("secret", Text),
            ("options", Text),
            ("created_at", Int8),
            ("previous_secret", Text),
            ("previous_until", Int8),
        ],
        order: "id",
    },
    Table {
        name: "hooks",
        columns: &[
            ("id", Int8),
            ("name", Text),
            ("token", Text),
            ("enabled", Bool),
            ("connection_id", Int8),
            ("rate_limit", Int8),
            ("burst", Int8),
            ("queue_limit", Int8),
            ("max_body", Int8),
            ("allow_ips", Text),
            ("methods", Text),
            ("json_passthrough", Bool),
            ("created_at", Int8),
            ("enabled_at", Int8),
            ("disabled_at", Int8),
            ("disabled_reason", Text),
            ("unassigned_since", Int8),
            ("last_event_at", Int8),
            ("queued", Int8),
            ("operations", Int8),
            ("dedupe", Bool),
            ("dedupe_window", Int8),
            ("dedupe_header", Text),
            ("duplicates", Int8),
        ],
        order: "id",
    },
    Table {
        name: "refusals",
        columns: &[("hook_id", Int8), ("status", Int4), ("count", Int8)],
        order: "hook_id, status",
    },
    Table {
        name: "deliveries",
        columns: &[("hook_id", Int8), ("delivery", Text), ("expires_at", Int8)],
        order: "hook_id, delivery",
    },
    Table {
        name: "scenarios",
        columns: &[
            ("id", Int8),
            ("name", Text),
            ("hook_id", Int8),
            ("command", Text),
            ("schedule", Text),
            ("max_cycles", Int8),
            ("max_errors", Int8),
            ("timeout_ms", Int8),
            ("input", Text),
            ("store_incomplete", Bool),
            ("respond", Text),
            ("response_status", Int4),
            ("response_headers", Text),
            ("response_timeout_ms", Int8),
            ("active", Bool),
            ("inactive_since", Int8),
            ("consecutive_errors", Int8),
            ("created_at", Int8),
            ("last_run_at", Int8),
            ("forward", Text),
            ("waiting_since", Int8),
        ],
        order: "id",
    },
    Table {
        name: "executions",
        columns: &[
            ("id", Int8),
            ("scenario_id", Int8),
            ("trigger", Text),
            ("started_at", Int8),
            ("finished_at", Int8),
            ("cycles", Int8),
            ("status", Text),
            ("error", Text),
        ],
        order: "id",
    },
    Table {
        name: "events",
        columns: &[
            ("id", Int8),
            ("hook_id", Int8),
            ("state", Text),
            ("received_at", Int8),
            ("method", Text),
            ("path", Text),
            ("query", Text),
            ("headers", Text),
            ("remote_addr", Text),
            ("content_type", Text),
            ("size", Int8),
            ("attempts", Int4),
            ("replay_of", Int8),
        ],
        order: "id",
    },
    Table {
        name: "payloads",
        columns: &[("event_id", Int8), ("body", Bytes)],
        order: "event_id",
    },
    Table {
        name: "operations",
        columns: &[
            ("id", Int8),
            ("execution_id", Int8),
            ("event_id", Int8),
            ("hook_id", Int8),
            ("scenario", Text),
            ("status", Text),
            ("exit_code", Int4),
            ("started_at", Int8),
            ("duration_ms", Int8),
            ("error", Text),
            ("stdout", Bytes),
            ("stderr", Bytes),
            ("http_status", Int4),
            ("http_headers", Text),
        ],
        order: "id",
    },
];

/// What one copy moved: `hookq db copy`'s report.
#[derive(Debug, Default)]
pub struct Copied {
    /// Rows per table, in the order they were copied.
    pub tables: Vec<(String, u64)>,
    /// Events left in a queue (`running` ones count: they were copied as
    /// `queued`).
    pub queued: u64,
    pub payload_bytes: u64,
    pub duration_ms: u64,
    /// Events that arrived in the source, and executions that started
    /// there, after its snapshot was taken: not in the target.
    pub arrived: u64,
    pub started: u64,
}

impl Copied {
    /// A table is about to be read (again, if its transaction is tried
    /// once more after a deadlock).
    fn restart(&mut self, table: &Table) {
        match table.name {
            "events" => self.queued = 0,
            "payloads" => self.payload_bytes = 0,
            _ => {}
        }
    }

    fn count(&mut self, table: &Table, row: &[Value]) {
        match table.name {
            "events" => {
                if matches!(&row[2], Value::Text(Some(state)) if state == "queued" || state == "running")
                {
                    self.queued += 1;
                }
            }
            "payloads" => {
                if let Value::Bytes(Some(body)) = &row[1] {
                    self.payload_bytes += body.len() as u64;
                }
            }
            _ => {}
        }
    }
}

/// Copy the SQLite store at `source` into the empty PostgreSQL database at
/// `target`, in one read snapshot and one target transaction. Then look
/// again at the source for what arrived meanwhile ([`Copied::arrived`],
/// [`Copied::started`]): the caller says so.
pub fn copy(source: &Path, target: &PgUrl) -> Result<Copied> {
    let started = Instant::now();
    let mut snapshot = super::sqlite::Snapshot::take(source)?;
    let mut copied = Copied::default();
    let tables = {
        let mut fill = |table: &Table, sink: &mut dyn FnMut(&[Value]) -> Result<()>| {
            copied.restart(table);
            snapshot.rows(table, &mut |row| {
                copied.count(table, row);
                sink(row)
            })
        };
        super::postgres::import(target, &mut fill)?
    };
    copied.tables = tables;
    let (arrived, executions) = snapshot.since()?;
    copied.arrived = arrived;
    copied.started = executions;
    copied.duration_ms = started.elapsed().as_millis() as u64;
    Ok(copied)
}
