//! Inspection (events, discard) and the sweep's batches on PostgreSQL.

use anyhow::Result;
use postgres::{GenericClient, Row};

use super::Cached;
use super::{json, unsigned, word, PgStore};
use crate::clock::Millis;
use crate::error::Failure;
use crate::lifecycle::{DisableReason, HookFacts, ScenarioFacts};
use crate::store::{DeleteStep, Event, EventFilter, EventState, PurgeCursor};

const SELECT_EVENT: &str = "
    SELECT e.id, h.name, e.state, e.received_at, e.method, e.path, e.query,
           e.headers, e.remote_addr, e.content_type, e.size, e.attempts, e.replay_of,
           EXISTS (SELECT 1 FROM payloads p WHERE p.event_id = e.id)
    FROM events e JOIN hooks h ON h.id = e.hook_id";

fn event_from_row(row: &Row) -> Result<Event> {
    Ok(Event {
        id: row.get(0),
        hook: row.get(1),
        state: word(row, 2)?,
        received_at: row.get(3),
        method: row.get(4),
        path: row.get(5),
        query: row.get(6),
        headers: json(row, 7)?,
        remote_addr: row.get(8),
        content_type: row.get(9),
        size: unsigned(row, 10)?,
        attempts: u32::try_from(row.get::<_, i32>(11))?,
        replay_of: row.get(12),
        payload_available: row.get(13),
    })
}

fn states_of(states: &[EventState]) -> Vec<&'static str> {
    states.iter().map(|s| s.as_str()).collect()
}

impl PgStore {
    /// A hook's events matching `filter`, newest first (or oldest first).
    pub(crate) fn events(
        &self,
        hook_id: i64,
        filter: &EventFilter,
        newest_first: bool,
        limit: u64,
    ) -> Result<Vec<Event>> {
        let states = states_of(&filter.states);
        let order = if newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "{SELECT_EVENT} WHERE e.hook_id = $1
               AND (cardinality($2::text[]) = 0 OR e.state = ANY($2))
               AND (cardinality($3::bigint[]) = 0 OR e.id = ANY($3))
               AND e.id > $4 AND e.id <= $5
               AND e.received_at >= $6 AND e.received_at <= $7
             ORDER BY e.id {order} LIMIT $8"
        );
        self.with(|c| {
            c.query_cached(
                &sql,
                &[
                    &hook_id,
                    &states,
                    &filter.ids,
                    &filter.after.unwrap_or(i64::MIN),
                    &filter.through.unwrap_or(i64::MAX),
                    &filter.since.unwrap_or(i64::MIN),
                    &filter.until.unwrap_or(i64::MAX),
                    &i64::try_from(limit).unwrap_or(i64::MAX),
                ],
            )?
            .iter()
            .map(event_from_row)
            .collect()
        })
    }

    /// A page of a hook's events, newest first: one short range of the
    /// (hook, state, id) index per state.
    pub(crate) fn newest_events(
        &self,
        hook_id: i64,
        states: &[EventState],
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Event>> {
        let states = if states.is_empty() {
            EventState::ALL
        } else {
            states
        };
        let ranges: Vec<String> = states
            .iter()
            .map(|s| {
                format!(
                    "(SELECT id FROM events
                      WHERE hook_id = $1 AND state = '{}' AND id < $2 ORDER BY id DESC LIMIT $3)",
                    s.as_str()
                )
            })
            .collect();
        let sql = format!(
            "{SELECT_EVENT} WHERE e.id IN ({}) ORDER BY e.id DESC LIMIT $3",
            ranges.join(" UNION ALL ")
        );
        self.with(|c| {
            c.query_cached(
                &sql,
                &[&hook_id, &before.unwrap_or(i64::MAX), &i64::from(limit)],
            )?
            .iter()
            .map(event_from_row)
            .collect()
        })
    }

    pub(crate) fn find_event(&self, id: i64) -> Result<Option<Event>> {
        self.with(|c| {
            c.query_opt_cached(&format!("{SELECT_EVENT} WHERE e.id = $1"), &[&id])?
                .map(|row| event_from_row(&row))
                .transpose()
        })
    }

    /// Take queued or incomplete events out of the queue; all or nothing.
    pub(crate) fn discard(&mut self, ids: &[i64]) -> Result<()> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            for &id in ids {
                let state = tx.query_opt_cached(
                    "SELECT state FROM events WHERE id = $1 FOR UPDATE",
                    &[&id],
                )?;
                let Some(row) = state else {
                    return Err(Failure::refused(format!("no event {id}")).into());
                };
                match word::<EventState>(&row, 0)? {
                    EventState::Queued | EventState::Incomplete => {
                        tx.execute_cached(
                            "UPDATE events SET state = 'discarded' WHERE id = $1",
                            &[&id],
                        )?;
                    }
                    state => {
                        return Err(Failure::refused(format!(
                            "event {id} is {state}: only queued or incomplete events can be \
                             discarded"
                        ))
                        .into())
                    }
                }
            }
            tx.commit()?;
            Ok(())
        })
    }
}

const SELECT_FACTS: &str = "
    SELECT h.id, h.name, h.enabled, h.created_at, h.enabled_at, h.disabled_at,
           h.unassigned_since, h.last_event_at, s.id IS NOT NULL, s.active, s.inactive_since
    FROM hooks h LEFT JOIN scenarios s ON s.hook_id = h.id";

fn facts_from_row(row: &Row) -> HookFacts {
    let has_scenario: bool = row.get(8);
    HookFacts {
        id: row.get(0),
        name: row.get(1),
        enabled: row.get(2),
        created_at: row.get(3),
        enabled_at: row.get(4),
        disabled_at: row.get(5),
        unassigned_since: row.get(6),
        last_event_at: row.get(7),
        scenario: has_scenario.then(|| ScenarioFacts {
            active: row.get(9),
            inactive_since: row.get(10),
        }),
    }
}

/// A hook's facts, its row locked until the transaction ends: the rule's
/// answer holds until commit (`scenario create` and `hooks enable` update
/// that row too).
fn facts_of(tx: &mut impl GenericClient, hook_id: i64) -> Result<Option<HookFacts>> {
    Ok(tx
        .query_opt_cached(
            &format!("{SELECT_FACTS} WHERE h.id = $1 FOR NO KEY UPDATE OF h"),
            &[&hook_id],
        )?
        .map(|row| facts_from_row(&row)))
}

impl PgStore {
    pub(crate) fn hook_facts(&self) -> Result<Vec<HookFacts>> {
        self.with(|c| {
            Ok(c.query_cached(
                &format!("{SELECT_FACTS} ORDER BY h.name COLLATE \"C\""),
                &[],
            )?
            .iter()
            .map(facts_from_row)
            .collect())
        })
    }

    pub(crate) fn sweep_disable(
        &mut self,
        hook_ids: &[i64],
        now: Millis,
        rule: &dyn Fn(&HookFacts) -> Option<DisableReason>,
    ) -> Result<Vec<(i64, DisableReason)>> {
        let mut ids = hook_ids.to_vec();
        ids.sort_unstable(); // hooks locked in id order
        self.with(|c| {
            let mut tx = c.transaction()?;
            let mut disabled = Vec::new();
            for &id in &ids {
                let Some(reason) = facts_of(&mut tx, id)?.and_then(|facts| rule(&facts)) else {
                    continue;
                };
                if tx.execute_cached(
                    "UPDATE hooks SET enabled = false, disabled_at = $2, disabled_reason = $3
                     WHERE id = $1 AND enabled",
                    &[&id, &now, &reason.to_string()],
                )? == 1
                {
                    disabled.push((id, reason));
                }
            }
            tx.commit()?;
            Ok(disabled)
        })
    }

    /// One step of deleting a hook: its events first (history before its
    /// queue), locked before the hook's row, the order every transaction
    /// takes them in; then the rule asked again; then the deletes.
    pub(crate) fn sweep_delete_step(
        &mut self,
        hook_id: i64,
        batch: usize,
        rule: &dyn Fn(&HookFacts) -> bool,
    ) -> Result<DeleteStep> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let events: Vec<i64> = tx
                .query_cached(
                    "SELECT id FROM events WHERE hook_id = $1
                     ORDER BY state COLLATE \"C\", id LIMIT $2 FOR UPDATE",
                    &[&hook_id, &(batch as i64)],
                )?
                .iter()
                .map(|row| row.get(0))
                .collect();
            let Some(facts) = facts_of(&mut tx, hook_id)? else {
                return Ok(DeleteStep::Gone);
            };
            if !rule(&facts) {
                return Ok(DeleteStep::Spared);
            }
            let operations = tx.execute_cached(
                "DELETE FROM operations WHERE event_id = ANY($1)",
                &[&events],
            )?;
            tx.execute_cached("DELETE FROM events WHERE id = ANY($1)", &[&events])?;
            let deleted = events.len() as u64;
            let step = if events.len() < batch {
                tx.execute_cached("DELETE FROM hooks WHERE id = $1", &[&hook_id])?;
                DeleteStep::Deleted(deleted)
            } else {
                tx.execute_cached(
                    "UPDATE hooks SET operations = operations - $2 WHERE id = $1",
                    &[&hook_id, &(operations as i64)],
                )?;
                DeleteStep::Events(deleted)
            };
            tx.commit()?;
            Ok(step)
        })
    }

    pub(crate) fn payloads_to_purge(
        &self,
        before: Millis,
        cursor: PurgeCursor,
        batch: usize,
    ) -> Result<Vec<PurgeCursor>> {
        self.with(|c| {
            Ok(c.query_cached(
                "SELECT e.received_at, e.id FROM events e
                 WHERE e.received_at < $1 AND (e.received_at, e.id) > ($2, $3)
                   AND EXISTS (SELECT 1 FROM payloads p WHERE p.event_id = e.id)
                 ORDER BY e.received_at, e.id LIMIT $4",
                &[
                    &before,
                    &cursor.received_at,
                    &cursor.event_id,
                    &(batch as i64),
                ],
            )?
            .iter()
            .map(|row| PurgeCursor {
                received_at: row.get(0),
                event_id: row.get(1),
            })
            .collect())
        })
    }

    pub(crate) fn prune_deliveries(&mut self, now: Millis, batch: usize) -> Result<u64> {
        self.with(|c| {
            Ok(c.execute_cached(
                "DELETE FROM deliveries WHERE (hook_id, delivery) IN (
                     SELECT hook_id, delivery FROM deliveries WHERE expires_at <= $1 LIMIT $2)",
                &[&now, &(batch as i64)],
            )?)
        })
    }

    pub(crate) fn purge_payloads(&mut self, event_ids: &[i64], before: Millis) -> Result<u64> {
        self.with(|c| {
            Ok(c.execute_cached(
                "DELETE FROM payloads p USING events e
                 WHERE p.event_id = e.id AND e.id = ANY($1) AND e.received_at < $2",
                &[&event_ids, &before],
            )?)
        })
    }

    /// PostgreSQL gives space back by itself (autovacuum); hookq never
    /// runs `VACUUM FULL`.
    pub(crate) fn free_pages(&self) -> Result<u64> {
        Ok(0)
    }

    pub(crate) fn reclaim_pages(&mut self, _pages: u64) -> Result<u64> {
        Ok(0)
    }

    pub(crate) fn checkpoint(&self) -> Result<()> {
        Ok(())
    }

    pub(crate) fn count_payloads_to_purge(&self, before: Millis, deleting: &[i64]) -> Result<u64> {
        self.with(|c| {
            unsigned(
                &c.query_one_cached(
                    "SELECT count(*) FROM events e JOIN payloads p ON p.event_id = e.id
                     WHERE e.received_at < $1 AND e.hook_id <> ALL($2)",
                    &[&before, &deleting],
                )?,
                0,
            )
        })
    }
}
