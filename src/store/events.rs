//! Events: the queue itself, and the group commit that fills it.

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::clock::Millis;

/// A request accepted for a hook, not yet stored.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub hook_id: i64,
    pub received_at: Millis,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub remote_addr: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub replay_of: Option<i64>,
}

/// What became of one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// Stored with this id, committed.
    Stored(i64),
    /// The hook's queue holds `queue_limit` events already.
    QueueFull,
    /// The hook was deleted meanwhile.
    NoHook,
}

/// Refused requests to count: (hook id, HTTP status, how many).
pub type RefusalCount = (i64, u16, u64);

impl Store {
    /// Store a batch of events and refusal counts in one transaction: one
    /// fsync for the whole batch (group commit). The queue limit is checked
    /// here, inside the transaction, so concurrent writers cannot overfill
    /// a queue. Either everything is committed or the error is returned and
    /// nothing is.
    pub fn enqueue(
        &mut self,
        events: &[NewEvent],
        refusals: &[RefusalCount],
    ) -> Result<Vec<Enqueued>> {
        let tx = self.write()?;
        let mut outcomes = Vec::with_capacity(events.len());
        {
            let mut room =
                tx.prepare_cached("SELECT queue_limit - queued FROM hooks WHERE id = ?1")?;
            let mut insert_event = tx.prepare_cached(
                "INSERT INTO events (hook_id, received_at, method, path, query, headers,
                                     remote_addr, content_type, size, replay_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let mut insert_payload =
                tx.prepare_cached("INSERT INTO payloads (event_id, body) VALUES (?1, ?2)")?;
            let mut touch_hook = tx.prepare_cached(
                "UPDATE hooks SET last_event_at = max(coalesce(last_event_at, ?2), ?2)
                 WHERE id = ?1",
            )?;
            for event in events {
                let room: Option<i64> = room
                    .query_row([event.hook_id], |row| row.get(0))
                    .optional()?;
                let outcome = match room {
                    None => Enqueued::NoHook,
                    Some(room) if room <= 0 => Enqueued::QueueFull,
                    Some(_) => {
                        insert_event.execute(params![
                            event.hook_id,
                            event.received_at,
                            event.method,
                            event.path,
                            event.query,
                            headers_json(&event.headers),
                            event.remote_addr,
                            event.content_type,
                            event.body.len() as i64,
                            event.replay_of,
                        ])?;
                        let id = tx.last_insert_rowid();
                        insert_payload.execute(params![id, event.body])?;
                        touch_hook.execute(params![event.hook_id, event.received_at])?;
                        Enqueued::Stored(id)
                    }
                };
                outcomes.push(outcome);
            }
            let mut count = tx.prepare_cached(
                "INSERT INTO refusals (hook_id, status, count)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM hooks WHERE id = ?1)
                 ON CONFLICT (hook_id, status) DO UPDATE SET count = count + excluded.count",
            )?;
            for (hook_id, status, n) in refusals {
                count.execute(params![hook_id, status, n])?;
            }
        }
        tx.commit()?;
        Ok(outcomes)
    }

    /// Queued events per hook id, for every hook.
    pub fn queue_depths(&self) -> Result<Vec<(i64, u64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, queued FROM hooks")?;
        let depths = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(depths)
    }
}

pub(crate) fn headers_json(headers: &[(String, String)]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn headers_from_json(text: &str) -> Vec<(String, String)> {
    serde_json::from_str(text).unwrap_or_default()
}
