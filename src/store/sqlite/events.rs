//! Events: the queue itself, and the group commit that fills it.

use std::collections::hash_map::{Entry, HashMap};

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::states::json_column;
use super::{executions, SqliteStore};
use crate::clock::Millis;
use crate::error::Failure;
use crate::store::EventStore;
use crate::store::{
    Enqueued, Enqueuing, Event, EventFilter, EventState, Lingering, NewEvent, RefusalCount,
};

/// How many event ids the server's writer reserves at a time for commands
/// that start before their event's batch is flushed
/// ([`Enqueuing::ids_reserved`]): one batch in this many waits for its
/// flush before its commands start, and ids may jump by up to this much
/// after the machine restarts.
const RESERVE_IDS: i64 = 256;

impl EventStore for SqliteStore {
    /// The events inserted, the lingering scenarios' executions started,
    /// then `before_commit` with the outcomes, before anyone else can see
    /// any of it.
    fn enqueue_starting(
        &mut self,
        events: &[NewEvent],
        refusals: &[RefusalCount],
        lingering: &[Lingering],
        before_commit: &mut dyn FnMut(&[Enqueued]),
    ) -> Result<Enqueuing> {
        let tx = self.write()?;
        let mut outcomes = Vec::with_capacity(events.len());
        // Ids reserved for commands that start before their batch is
        // flushed, in this boot of the machine or an earlier one. After a
        // reboot (a power cut, a crash of the system: what was not flushed
        // may be lost), no id up to them is given again, as a command may
        // have seen it. A crash of hookq alone loses nothing committed.
        let (last, reservation): (i64, Option<String>) = tx
            .prepare_cached(
                "SELECT coalesce((SELECT max(id) FROM events), 0),
                        (SELECT value FROM settings WHERE key = 'event_ids_reserved')",
            )?
            .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let (reserved, this_boot) = match reservation.as_deref().and_then(|r| r.split_once(' ')) {
            Some((up_to, boot)) => (
                up_to.parse::<i64>().unwrap_or(i64::MAX),
                super::leases::boot_id() == Some(boot),
            ),
            None => (0, true),
        };
        let floor = if this_boot { 0 } else { reserved };
        let mut next_id = last.max(floor) + 1;
        {
            let mut room =
                tx.prepare_cached("SELECT queue_limit - queued FROM hooks WHERE id = ?1")?;
            let mut insert_event = tx.prepare_cached(
                "INSERT INTO events (hook_id, received_at, method, path, query, headers,
                                     remote_addr, content_type, size, replay_of, id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut insert_payload =
                tx.prepare_cached("INSERT INTO payloads (event_id, body) VALUES (?1, ?2)")?;
            let mut seen = tx.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM deliveries
                                WHERE hook_id = ?1 AND delivery = ?2 AND expires_at > ?3)",
            )?;
            // One descent of the key: a new id (or one past its window) is
            // remembered, and a remembered one changes nothing (0 rows).
            let mut remember = tx.prepare_cached(
                "INSERT INTO deliveries (hook_id, delivery, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (hook_id, delivery) DO UPDATE SET expires_at = excluded.expires_at
                 WHERE expires_at <= ?4",
            )?;
            let mut count_duplicate =
                tx.prepare_cached("UPDATE hooks SET duplicates = duplicates + 1 WHERE id = ?1")?;
            // Each hook of the batch is read once and written once (its
            // `queued` count apart, kept by the insert trigger).
            let mut hooks: HashMap<i64, BatchHook> = HashMap::new();
            for event in events {
                let hook = match hooks.entry(event.hook_id) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(new) => new.insert(BatchHook {
                        room: room
                            .query_row([event.hook_id], |row| row.get(0))
                            .optional()?,
                        last_event_at: None,
                    }),
                };
                // Inside the write transaction: of concurrent deliveries of
                // one id, exactly one is stored. A duplicate is answered as
                // accepted even when the queue is full: it is stored already.
                let duplicate = match (&event.delivery, hook.room) {
                    (Some(delivery), Some(room)) if room > 0 => {
                        let new = remember.execute(params![
                            event.hook_id,
                            delivery.id,
                            event.received_at.saturating_add(delivery.window),
                            event.received_at,
                        ])?;
                        new == 0
                    }
                    (Some(delivery), Some(_)) => seen.query_row(
                        params![event.hook_id, delivery.id, event.received_at],
                        |row| row.get::<_, bool>(0),
                    )?,
                    _ => false,
                };
                let outcome = match hook.room {
                    None => Enqueued::NoHook,
                    Some(_) if duplicate => {
                        count_duplicate.execute([event.hook_id])?;
                        Enqueued::Duplicate
                    }
                    Some(room) if room <= 0 => Enqueued::QueueFull,
                    Some(ref mut room) => {
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
                            next_id,
                        ])?;
                        let id = next_id;
                        next_id += 1;
                        insert_payload.execute(params![id, event.body])?;
                        *room -= 1;
                        hook.last_event_at = hook.last_event_at.max(Some(event.received_at));
                        Enqueued::Stored(id)
                    }
                };
                outcomes.push(outcome);
            }
            let mut touch_hook = tx.prepare_cached(
                "UPDATE hooks SET last_event_at = max(coalesce(last_event_at, ?2), ?2)
                 WHERE id = ?1",
            )?;
            for (hook_id, hook) in &hooks {
                if let Some(at) = hook.last_event_at {
                    touch_hook.execute(params![hook_id, at])?;
                }
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
        let started: Vec<_> = lingering
            .iter()
            .map(|l| executions::start_immediately(&tx, l.scenario_id, l.hook_id, l.now, l.limit))
            .collect::<Result<_>>()?;
        // Ids its commands see before the batch is flushed must be reserved
        // on disk, in this boot, already; if not, this batch reserves the
        // next ones (on disk with it) and its commands wait for its flush.
        // Where the boot cannot be told, they always wait.
        let boot = super::leases::boot_id();
        let ids_reserved = boot.is_some() && this_boot && next_id - 1 <= reserved;
        if let Some(boot) = boot.filter(|_| !ids_reserved) {
            if started.iter().any(Option::is_some) {
                tx.prepare_cached(
                    "INSERT INTO settings (key, value) VALUES ('event_ids_reserved', ?1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )?
                .execute([format!("{} {boot}", next_id - 1 + RESERVE_IDS)])?;
            }
        }
        before_commit(&outcomes);
        tx.commit()?;
        Ok(Enqueuing {
            outcomes,
            started,
            ids_reserved,
        })
    }

    /// Queued events per hook id, for every hook.
    fn queue_depths(&self) -> Result<Vec<(i64, u64)>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, queued FROM hooks")?;
        let depths = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(depths)
    }

    /// A hook's events matching `filter`, newest first (or oldest first), at
    /// most `limit`.
    fn events(
        &self,
        hook_id: i64,
        filter: &EventFilter,
        newest_first: bool,
        limit: u64,
    ) -> Result<Vec<Event>> {
        let mut sql = format!("{SELECT_EVENT} WHERE e.hook_id = ?1");
        if !filter.states.is_empty() {
            let states: Vec<String> = filter
                .states
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            sql.push_str(&format!(" AND e.state IN ({})", states.join(",")));
        }
        if !filter.ids.is_empty() {
            let ids: Vec<String> = filter.ids.iter().map(i64::to_string).collect();
            sql.push_str(&format!(" AND e.id IN ({})", ids.join(",")));
        }
        if let Some(after) = filter.after {
            sql.push_str(&format!(" AND e.id > {after}"));
        }
        if let Some(through) = filter.through {
            sql.push_str(&format!(" AND e.id <= {through}"));
        }
        sql.push_str(" AND e.received_at >= ?2 AND e.received_at <= ?3");
        sql.push_str(if newest_first {
            " ORDER BY e.id DESC"
        } else {
            " ORDER BY e.id"
        });
        sql.push_str(" LIMIT ?4");
        let mut stmt = self.conn.prepare(&sql)?;
        let events = stmt
            .query_map(
                params![
                    hook_id,
                    filter.since.unwrap_or(i64::MIN),
                    filter.until.unwrap_or(i64::MAX),
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                event_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(events)
    }

    /// A page of a hook's events, newest first: those in `states` (any
    /// when empty) with an id below `before`. One short range of the
    /// (hook, state, id) index per state, so the newest page of a hook with
    /// millions of events costs as little as that of a hook with ten.
    fn newest_events(
        &self,
        hook_id: i64,
        states: &[EventState],
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Event>> {
        let sql = newest_events_sql(states);
        let events = self
            .conn
            .prepare_cached(&sql)?
            .query_map(
                params![hook_id, before.unwrap_or(i64::MAX), limit],
                event_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(events)
    }

    /// Take queued or incomplete events out of the queue (`discarded`, kept
    /// in history). All or nothing: any other state refuses the whole call.
    fn discard(&mut self, ids: &[i64]) -> Result<()> {
        let tx = self.write()?;
        for &id in ids {
            let state: Option<EventState> = tx
                .query_row("SELECT state FROM events WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            match state {
                None => return Err(Failure::refused(format!("no event {id}")).into()),
                Some(EventState::Queued | EventState::Incomplete) => {
                    tx.execute("UPDATE events SET state = 'discarded' WHERE id = ?1", [id])?;
                }
                Some(state) => {
                    return Err(Failure::refused(format!(
                        "event {id} is {state}: only queued or incomplete events can be discarded"
                    ))
                    .into())
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn find_event(&self, id: i64) -> Result<Option<Event>> {
        Ok(self
            .conn
            .prepare_cached(&format!("{SELECT_EVENT} WHERE e.id = ?1"))?
            .query_row([id], event_from_row)
            .optional()?)
    }

    /// The body of an event; `None` once purged by payload retention.
    fn payload(&self, event_id: i64) -> Result<Option<Vec<u8>>> {
        super::executions::payload(&self.conn, event_id)
    }
}

/// A hook as one batch of [`SqliteStore::enqueue_then`] sees it.
struct BatchHook {
    /// Events its queue still takes; `None`: no such hook.
    room: Option<i64>,
    /// The newest event of the batch stored for it.
    last_event_at: Option<Millis>,
}

pub(crate) fn headers_json(headers: &[(String, String)]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".into())
}

/// The query of [`SqliteStore::newest_events`]: the ids of each state's range,
/// newest first, then the page among them.
fn newest_events_sql(states: &[EventState]) -> String {
    let states = if states.is_empty() {
        EventState::ALL
    } else {
        states
    };
    let ranges: Vec<String> = states
        .iter()
        .map(|s| {
            format!(
                "SELECT * FROM (SELECT id FROM events
                 WHERE hook_id = ?1 AND state = '{}' AND id < ?2 ORDER BY id DESC LIMIT ?3)",
                s.as_str()
            )
        })
        .collect();
    format!(
        "{SELECT_EVENT} WHERE e.id IN ({}) ORDER BY e.id DESC LIMIT ?3",
        ranges.join(" UNION ALL ")
    )
}

const SELECT_EVENT: &str = "
    SELECT e.id, h.name, e.state, e.received_at, e.method, e.path, e.query,
           e.headers, e.remote_addr, e.content_type, e.size, e.attempts, e.replay_of,
           EXISTS (SELECT 1 FROM payloads p WHERE p.event_id = e.id)
    FROM events e JOIN hooks h ON h.id = e.hook_id";

fn event_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: row.get(0)?,
        hook: row.get(1)?,
        state: row.get(2)?,
        received_at: row.get(3)?,
        method: row.get(4)?,
        path: row.get(5)?,
        query: row.get(6)?,
        headers: json_column(row, 7)?,
        remote_addr: row.get(8)?,
        content_type: row.get(9)?,
        size: row.get(10)?,
        attempts: row.get(11)?,
        replay_of: row.get(12)?,
        payload_available: row.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::store::{
        ConnectionStore, EventStore, ExecutionStore, HookStore, ScenarioStore, Session, SweepStore,
    };

    #[test]
    fn the_newest_page_reads_one_short_index_range_per_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        for states in [&[][..], &[EventState::Done][..]] {
            let plan =
                crate::store::sqlite::executions::tests::plan(&store, &newest_events_sql(states));
            // Each state's events are found by (hook, state, id) and taken
            // newest first from the index: nothing sorts the hook's events.
            let ranges = plan
                .iter()
                .filter(|step| step.contains("(hook_id=? AND state=? AND id<?)"))
                .count();
            assert_eq!(
                ranges,
                states
                    .len()
                    .max(EventState::ALL.len() * usize::from(states.is_empty())),
                "{plan:?}"
            );
            assert!(
                !plan
                    .iter()
                    .any(|step| step.starts_with("SCAN events") || step.starts_with("SCAN e ")),
                "{plan:?}"
            );
        }
    }

    /// Ids that a command may see before their batch is flushed (handed
    /// to a waiting worker with the batch) are reserved on disk first, and
    /// never given to another event after a power cut that lost the batch
    /// (the machine restarted: another boot id): the next event's id comes
    /// after the reservation. Within one boot, ids stay consecutive.
    #[cfg(target_os = "linux")]
    #[test]
    fn ids_a_command_may_see_before_the_flush_are_never_given_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut store = SqliteStore::open(&path).unwrap();
        let hook = store
            .create_hook("h", &crate::store::HookSettings::default(), 0)
            .unwrap();
        let settings = crate::store::ScenarioSettings::new(vec!["true".to_owned()]);
        let scenario = store
            .create_scenario("s", hook.id, &settings, true, 0)
            .unwrap();
        let lingering = [Lingering {
            scenario_id: scenario.id,
            hook_id: hook.id,
            now: 0,
            limit: 1,
        }];
        let send = |store: &mut SqliteStore, lingering: &[Lingering]| {
            let batch = store
                .enqueue_starting(
                    &[NewEvent::sample(hook.id, 0, b"x")],
                    &[],
                    lingering,
                    &mut |_| {},
                )
                .unwrap();
            let [Enqueued::Stored(id)] = batch.outcomes[..] else {
                panic!("{batch:?}")
            };
            (
                id,
                batch.ids_reserved,
                batch.started.iter().any(Option::is_some),
            )
        };
        let (plain, ..) = send(&mut store, &[]);
        assert_eq!(
            send(&mut store, &[]).0,
            plain + 1,
            "no execution: consecutive"
        );
        let (first, reserved, started) = send(&mut store, &lingering);
        assert_eq!(
            (first, reserved, started),
            (plain + 2, false, true),
            "reserved with it"
        );
        let (second, reserved, started) = send(&mut store, &lingering);
        assert_eq!(
            (second, reserved, started),
            (first + 1, true, true),
            "reserved before"
        );
        assert_eq!(
            send(&mut store, &[]).0,
            second + 1,
            "this boot: consecutive"
        );
        // A power cut loses the last two batches, the second's command
        // already started; the machine boots again.
        crate::store::sqlite::execute_for_test(
            &path,
            &format!(
                "DELETE FROM events WHERE id >= {second};
                 UPDATE settings SET value = substr(value, 1, instr(value, ' ')) || 'another-boot'
                 WHERE key = 'event_ids_reserved'"
            ),
        );
        let (next, reserved, _) = send(&mut store, &[]);
        assert_eq!(next, first + RESERVE_IDS + 1, "not {second} again");
        assert!(!reserved);
    }
}
