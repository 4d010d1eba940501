//! The group commit on PostgreSQL (docs/scaling.md, "An acknowledged event
//! is committed first"): one transaction per batch, a few statements
//! whatever its size (arrays, not a statement per event).

use std::collections::BTreeMap;

use anyhow::Result;

use super::PgStore;
use crate::store::{Enqueued, NewEvent, RefusalCount};

/// The statements of a batch, prepared once per connection, in the order
/// [`PgStore::enqueue_then`] names them.
const GROUP_COMMIT: &[&str] = &[
    "SELECT id, queue_limit - queued FROM hooks WHERE id = ANY($1)
     ORDER BY id FOR NO KEY UPDATE",
    "INSERT INTO deliveries (hook_id, delivery, expires_at)
     VALUES ($1, $2, $3)
     ON CONFLICT (hook_id, delivery)
     DO UPDATE SET expires_at = excluded.expires_at
     WHERE deliveries.expires_at <= $4",
    "SELECT EXISTS (SELECT 1 FROM deliveries
     WHERE hook_id = $1 AND delivery = $2
     AND expires_at > $3)",
    "UPDATE hooks SET duplicates = duplicates + 1 WHERE id = $1",
    "SELECT nextval(pg_get_serial_sequence('events', 'id'))
     FROM generate_series(1, $1::bigint)",
    "INSERT INTO events (id, hook_id, received_at, method, path, query, headers,
     remote_addr, content_type, size, replay_of)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
     $5::text[], $6::text[], $7::text[], $8::text[],
     $9::text[], $10::bigint[], $11::bigint[])",
    "INSERT INTO payloads (event_id, body)
     SELECT * FROM unnest($1::bigint[], $2::bytea[])",
    "UPDATE hooks h SET last_event_at = greatest(h.last_event_at, d.at)
     FROM (SELECT id, max(at) AS at FROM unnest($1::bigint[], $2::bigint[])
     AS u(id, at) GROUP BY id) d
     WHERE h.id = d.id",
    "SELECT pg_notify('hookq_events', string_agg(DISTINCT hook_id::text, ','))
     FROM scenarios
     WHERE hook_id = ANY($1) AND active AND schedule = 'immediately'
     HAVING count(*) > 0",
    "INSERT INTO refusals (hook_id, status, count)
     SELECT r.h, r.s, r.n FROM unnest($1::bigint[], $2::int[], $3::bigint[])
     AS r(h, s, n)
     WHERE EXISTS (SELECT 1 FROM hooks WHERE id = r.h)
     ON CONFLICT (hook_id, status)
     DO UPDATE SET count = refusals.count + excluded.count",
];

impl PgStore {
    /// Store a batch of events and refusal counts in one transaction,
    /// calling `before_commit` with the outcomes once the events are
    /// inserted but before anyone else can see them.
    ///
    /// Within a hook, id order is commit order: the hook's row is locked
    /// (in id order, so writers never deadlock) before its events take
    /// their ids, and the lock is held until commit. Sequence order alone
    /// is not commit order: without the lock a claim could run 17 before
    /// 16 commits.
    pub(crate) fn enqueue_then(
        &mut self,
        events: &[NewEvent],
        refusals: &[RefusalCount],
        before_commit: &mut dyn FnMut(&[Enqueued]),
    ) -> Result<Vec<Enqueued>> {
        self.with_prepared(GROUP_COMMIT, |c, prepared| {
            let [lock_hooks, remember, seen, count_duplicate, take_ids, insert_events, insert_payloads, touch_hooks, wake, count_refusals] =
                prepared
            else {
                unreachable!("one statement each")
            };
            let mut tx = c.transaction()?;
            let mut hook_ids: Vec<i64> = events.iter().map(|e| e.hook_id).collect();
            hook_ids.sort_unstable();
            hook_ids.dedup();
            // Room in each queue, under the hooks' row locks.
            let mut room: BTreeMap<i64, i64> = BTreeMap::new();
            if !hook_ids.is_empty() {
                for row in tx.query(lock_hooks, &[&hook_ids])? {
                    room.insert(row.get(0), row.get(1));
                }
            }
            let mut outcomes = Vec::with_capacity(events.len());
            let mut stored = Vec::new();
            for event in events {
                let Some(left) = room.get_mut(&event.hook_id) else {
                    outcomes.push(Enqueued::NoHook);
                    continue;
                };
                // Of concurrent deliveries of one id, exactly one is
                // stored: the second insert waits for the first's commit,
                // then finds the key. A duplicate is answered as accepted
                // even when the queue is full: it is stored already.
                let duplicate = match &event.delivery {
                    Some(delivery) if *left > 0 => {
                        tx.execute(
                            remember,
                            &[
                                &event.hook_id,
                                &delivery.id,
                                &event.received_at.saturating_add(delivery.window),
                                &event.received_at,
                            ],
                        )? == 0
                    }
                    Some(delivery) => tx
                        .query_one(seen, &[&event.hook_id, &delivery.id, &event.received_at])?
                        .get(0),
                    None => false,
                };
                if duplicate {
                    tx.execute(count_duplicate, &[&event.hook_id])?;
                    outcomes.push(Enqueued::Duplicate);
                } else if *left <= 0 {
                    outcomes.push(Enqueued::QueueFull);
                } else {
                    *left -= 1;
                    stored.push(outcomes.len());
                    outcomes.push(Enqueued::Stored(0)); // its id below
                }
            }
            if !stored.is_empty() {
                // Ids taken under the locks, handed out in the batch's order.
                let mut ids: Vec<i64> = tx
                    .query(take_ids, &[&(stored.len() as i64)])?
                    .iter()
                    .map(|row| row.get(0))
                    .collect();
                ids.sort_unstable();
                let rows: Vec<&NewEvent> = stored.iter().map(|&i| &events[i]).collect();
                let column = |f: &dyn Fn(&NewEvent) -> i64| rows.iter().map(|e| f(e)).collect();
                let hook: Vec<i64> = column(&|e| e.hook_id);
                let received: Vec<i64> = column(&|e| e.received_at);
                let size: Vec<i64> = column(&|e| e.body.len() as i64);
                let method: Vec<&str> = rows.iter().map(|e| e.method.as_str()).collect();
                let path: Vec<&str> = rows.iter().map(|e| e.path.as_str()).collect();
                let query: Vec<&str> = rows.iter().map(|e| e.query.as_str()).collect();
                let headers: Vec<String> = rows
                    .iter()
                    .map(|e| serde_json::to_string(&e.headers).unwrap_or_else(|_| "[]".into()))
                    .collect();
                let remote: Vec<Option<&str>> =
                    rows.iter().map(|e| e.remote_addr.as_deref()).collect();
                let content: Vec<Option<&str>> =
                    rows.iter().map(|e| e.content_type.as_deref()).collect();
                let replay: Vec<Option<i64>> = rows.iter().map(|e| e.replay_of).collect();
                let body: Vec<&[u8]> = rows.iter().map(|e| e.body.as_slice()).collect();
                tx.execute(
                    insert_events,
                    &[
                        &ids, &hook, &received, &method, &path, &query, &headers, &remote,
                        &content, &size, &replay,
                    ],
                )?;
                tx.execute(insert_payloads, &[&ids, &body])?;
                tx.execute(touch_hooks, &[&hook, &received])?;
                for (&i, &id) in stored.iter().zip(&ids) {
                    outcomes[i] = Enqueued::Stored(id);
                }
                // Wake-ups for the hooks whose scenario runs `immediately`,
                // once per transaction, delivered at commit.
                tx.execute(wake, &[&hook])?;
            }
            if !refusals.is_empty() {
                // Merged and sorted by (hook, status): two servers upsert
                // the same rows in the same order.
                let mut counts: BTreeMap<(i64, u16), u64> = BTreeMap::new();
                for &(hook, status, n) in refusals {
                    *counts.entry((hook, status)).or_default() += n;
                }
                let hook: Vec<i64> = counts.keys().map(|k| k.0).collect();
                let status: Vec<i32> = counts.keys().map(|k| i32::from(k.1)).collect();
                let n: Vec<i64> = counts.values().map(|&n| n as i64).collect();
                tx.execute(count_refusals, &[&hook, &status, &n])?;
            }
            before_commit(&outcomes);
            tx.commit()?;
            Ok(outcomes)
        })
    }
}
