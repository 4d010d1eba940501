//! The sweep's reads and writes (SPEC §7), each write one short
//! transaction of at most a batch of rows, so that a server and scenario
//! runs keep getting the write lock during a long sweep. The rules
//! themselves are in `lifecycle`; the writes take them as closures and ask
//! them again, inside the transaction, on the facts as they are then.

use anyhow::Result;
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::SqliteStore;
use crate::clock::Millis;
use crate::lifecycle::{DisableReason, HookFacts, ScenarioFacts};
use crate::store::SweepStore;
use crate::store::{DeleteStep, PurgeCursor};

const SELECT_FACTS: &str = "
    SELECT h.id, h.name, h.enabled, h.created_at, h.enabled_at, h.disabled_at,
           h.unassigned_since, h.last_event_at, s.id IS NOT NULL, s.active, s.inactive_since
    FROM hooks h LEFT JOIN scenarios s ON s.hook_id = h.id";

fn facts_from_row(row: &Row<'_>) -> rusqlite::Result<HookFacts> {
    let has_scenario: bool = row.get(8)?;
    Ok(HookFacts {
        id: row.get(0)?,
        name: row.get(1)?,
        enabled: row.get(2)?,
        created_at: row.get(3)?,
        enabled_at: row.get(4)?,
        disabled_at: row.get(5)?,
        unassigned_since: row.get(6)?,
        last_event_at: row.get(7)?,
        scenario: if has_scenario {
            Some(ScenarioFacts {
                active: row.get(9)?,
                inactive_since: row.get(10)?,
            })
        } else {
            None
        },
    })
}

fn facts_of(tx: &Transaction<'_>, hook_id: i64) -> Result<Option<HookFacts>> {
    Ok(tx
        .prepare_cached(&format!("{SELECT_FACTS} WHERE h.id = ?1"))?
        .query_row([hook_id], facts_from_row)
        .optional()?)
}

impl SweepStore for SqliteStore {
    /// The facts the lifecycle rules read, for every hook.
    fn hook_facts(&self) -> Result<Vec<HookFacts>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT_FACTS} ORDER BY h.name"))?;
        let facts = stmt
            .query_map([], facts_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(facts)
    }

    /// In one transaction, disable each of these hooks for which `rule`,
    /// asked on its facts as they are now, gives a reason; record `now` and
    /// the reason. Returns the hooks disabled, with their reasons.
    fn sweep_disable(
        &mut self,
        hook_ids: &[i64],
        now: Millis,
        rule: &dyn Fn(&HookFacts) -> Option<DisableReason>,
    ) -> Result<Vec<(i64, DisableReason)>> {
        let tx = self.write()?;
        let mut disabled = Vec::new();
        {
            let mut disable = tx.prepare_cached(
                "UPDATE hooks SET enabled = 0, disabled_at = ?2, disabled_reason = ?3
                 WHERE id = ?1 AND enabled = 1",
            )?;
            for &id in hook_ids {
                let Some(reason) = facts_of(&tx, id)?.and_then(|facts| rule(&facts)) else {
                    continue;
                };
                if disable.execute(params![id, now, reason.to_string()])? == 1 {
                    disabled.push((id, reason));
                }
            }
        }
        tx.commit()?;
        Ok(disabled)
    }

    /// One step of deleting a hook, in one transaction: if `rule` still
    /// holds on its facts, delete up to `batch` of its events with their
    /// payloads and operations, and the hook itself once it has no more.
    /// A hook with a million events is deleted in many short steps; a sweep
    /// interrupted between two leaves a disabled hook with fewer events
    /// (counters kept right), which the next sweep finishes.
    fn sweep_delete_step(
        &mut self,
        hook_id: i64,
        batch: usize,
        rule: &dyn Fn(&HookFacts) -> bool,
    ) -> Result<DeleteStep> {
        let tx = self.write()?;
        let Some(facts) = facts_of(&tx, hook_id)? else {
            return Ok(DeleteStep::Gone);
        };
        if !rule(&facts) {
            return Ok(DeleteStep::Spared);
        }
        // History first, queued events last ('discarded' < 'done' <
        // 'incomplete' < 'queued', on the (hook_id, state, id) index): if a
        // scenario takes the hook between two steps, its queue is likely
        // still whole.
        let events: Vec<i64> = tx
            .prepare_cached("SELECT id FROM events WHERE hook_id = ?1 ORDER BY state, id LIMIT ?2")?
            .query_map(params![hook_id, batch as i64], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut operations = 0;
        {
            let mut delete_operations =
                tx.prepare_cached("DELETE FROM operations WHERE event_id = ?1")?;
            // Its payload goes with it (ON DELETE CASCADE).
            let mut delete_event = tx.prepare_cached("DELETE FROM events WHERE id = ?1")?;
            for &id in &events {
                operations += delete_operations.execute([id])?;
                delete_event.execute([id])?;
            }
        }
        let deleted = events.len() as u64;
        let step = if events.len() < batch {
            tx.execute("DELETE FROM hooks WHERE id = ?1", [hook_id])?;
            DeleteStep::Deleted(deleted)
        } else {
            tx.execute(
                "UPDATE hooks SET operations = operations - ?2 WHERE id = ?1",
                params![hook_id, operations as i64],
            )?;
            DeleteStep::Events(deleted)
        };
        tx.commit()?;
        Ok(step)
    }

    /// The next events received before `before` that still have a payload,
    /// after `cursor`, at most `batch`, oldest first. A plain read: it takes
    /// no lock, however many purged events it walks past.
    fn payloads_to_purge(
        &self,
        before: Millis,
        cursor: PurgeCursor,
        batch: usize,
    ) -> Result<Vec<PurgeCursor>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.received_at, e.id FROM events e
             WHERE e.received_at < ?1 AND (e.received_at, e.id) > (?2, ?3)
               AND EXISTS (SELECT 1 FROM payloads p WHERE p.event_id = e.id)
             ORDER BY e.received_at, e.id LIMIT ?4",
        )?;
        let events = stmt
            .query_map(
                params![before, cursor.received_at, cursor.event_id, batch as i64],
                |row| {
                    Ok(PurgeCursor {
                        received_at: row.get(0)?,
                        event_id: row.get(1)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(events)
    }

    /// Purge the payloads of these events, in one transaction; the events
    /// stay. Each is checked again (received before `before`) in case an id
    /// was reused meanwhile. Returns how many payloads were purged.
    /// Forget up to `batch` delivery ids whose window ended by `now`
    /// (by the expiry index); how many were forgotten.
    fn prune_deliveries(&mut self, now: Millis, batch: usize) -> Result<u64> {
        let tx = self.write()?;
        let n = tx.execute(
            "DELETE FROM deliveries WHERE (hook_id, delivery) IN (
                 SELECT hook_id, delivery FROM deliveries WHERE expires_at <= ?1 LIMIT ?2)",
            params![now, batch as i64],
        )?;
        tx.commit()?;
        Ok(n as u64)
    }

    fn purge_payloads(&mut self, event_ids: &[i64], before: Millis) -> Result<u64> {
        let tx = self.write()?;
        let mut purged = 0;
        {
            let mut purge = tx.prepare_cached(
                "DELETE FROM payloads WHERE event_id = ?1
                 AND EXISTS (SELECT 1 FROM events WHERE id = ?1 AND received_at < ?2)",
            )?;
            for &id in event_ids {
                purged += purge.execute(params![id, before])? as u64;
            }
        }
        tx.commit()?;
        Ok(purged)
    }

    /// How many payloads a purge before `before` would take, leaving out
    /// the events of the hooks `deleting` (they go with their hook).
    fn count_payloads_to_purge(&self, before: Millis, deleting: &[i64]) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM events e JOIN payloads p ON p.event_id = e.id
             WHERE e.received_at < ?1 AND e.hook_id NOT IN (SELECT value FROM json_each(?2))",
            params![before, serde_json::to_string(deleting)?],
            |row| row.get(0),
        )?)
    }

    /// Pages of the file that hold nothing (freed by deletions).
    fn free_pages(&self) -> Result<u64> {
        Ok(self
            .conn
            .pragma_query_value(None, "freelist_count", |row| row.get(0))?)
    }

    /// Give at most `pages` free pages back to the file system, in one
    /// transaction (`PRAGMA incremental_vacuum`: the file was created with
    /// `auto_vacuum=INCREMENTAL`). Returns how many were given back.
    fn reclaim_pages(&mut self, pages: u64) -> Result<u64> {
        let tx = self.write()?;
        let mut reclaimed = 0;
        {
            // One result row per page moved; the work happens as they are read.
            let mut stmt = tx.prepare(&format!("PRAGMA incremental_vacuum({})", pages.max(1)))?;
            let mut rows = stmt.query([])?;
            while rows.next()?.is_some() {
                reclaimed += 1;
            }
        }
        tx.commit()?;
        Ok(reclaimed)
    }

    /// Copy what the WAL holds into the file without waiting for anyone
    /// (`wal_checkpoint(PASSIVE)`), so that the file shows the pages given
    /// back. Best effort: readers may hold part of the WAL.
    fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::store::{
        ConnectionStore, EventStore, ExecutionStore, HookStore, ScenarioStore, Session, SweepStore,
    };
    use crate::store::{Enqueued, HookSettings, NewEvent};

    fn fill(store: &mut SqliteStore, hook_id: i64, received_at: Millis, n: usize) {
        let events: Vec<NewEvent> = (0..n)
            .map(|_| NewEvent::sample(hook_id, received_at, &[b'x'; 100]))
            .collect();
        let stored = store.enqueue(&events, &[]).unwrap();
        assert!(stored.iter().all(|e| matches!(e, Enqueued::Stored(_))));
    }

    fn count(store: &SqliteStore, sql: &str) -> i64 {
        store.conn().query_row(sql, [], |row| row.get(0)).unwrap()
    }

    #[test]
    fn the_purge_cursor_walks_past_events_with_the_same_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        fill(&mut store, hook.id, 1_000, 250);
        fill(&mut store, hook.id, 2_000, 10);
        assert_eq!(store.count_payloads_to_purge(2_000, &[]).unwrap(), 250);
        assert_eq!(store.count_payloads_to_purge(2_000, &[hook.id]).unwrap(), 0);
        let mut cursor = PurgeCursor::default();
        let mut purged = 0;
        loop {
            let batch = store.payloads_to_purge(2_000, cursor, 100).unwrap();
            let Some(&last) = batch.last() else { break };
            let ids: Vec<i64> = batch.iter().map(|e| e.event_id).collect();
            purged += store.purge_payloads(&ids, 2_000).unwrap();
            cursor = last;
        }
        assert_eq!(purged, 250);
        assert_eq!(count(&store, "SELECT count(*) FROM payloads"), 10);
        assert_eq!(count(&store, "SELECT count(*) FROM events"), 260);
    }

    #[test]
    fn a_hook_is_deleted_in_steps_and_spared_when_the_rule_stops_holding() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        fill(&mut store, hook.id, 1_000, 250);
        let step =
            |store: &mut SqliteStore| store.sweep_delete_step(hook.id, 100, &|_| true).unwrap();
        assert_eq!(step(&mut store), DeleteStep::Events(100));
        assert_eq!(count(&store, "SELECT queued FROM hooks"), 150);
        assert_eq!(
            store.sweep_delete_step(hook.id, 100, &|_| false).unwrap(),
            DeleteStep::Spared
        );
        assert_eq!(step(&mut store), DeleteStep::Events(100));
        assert_eq!(step(&mut store), DeleteStep::Deleted(50));
        assert_eq!(step(&mut store), DeleteStep::Gone);
        assert_eq!(count(&store, "SELECT count(*) FROM payloads"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM hooks"), 0);
    }

    #[test]
    fn a_hook_loses_its_history_before_its_queue() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        fill(&mut store, hook.id, 1_000, 4);
        // The two oldest wait in the queue; the two newest are history.
        store
            .conn()
            .execute("UPDATE events SET state = 'done' WHERE id > 2", [])
            .unwrap();
        let step = store.sweep_delete_step(hook.id, 2, &|_| true).unwrap();
        assert_eq!(step, DeleteStep::Events(2));
        let left = "SELECT group_concat(id || ':' || state) FROM events";
        let left: String = store.conn().query_row(left, [], |r| r.get(0)).unwrap();
        assert_eq!(left, "1:queued,2:queued");
    }

    #[test]
    fn free_pages_are_given_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        fill(&mut store, hook.id, 1_000, 500);
        let ids: Vec<i64> = store
            .payloads_to_purge(2_000, PurgeCursor::default(), 1_000)
            .unwrap()
            .iter()
            .map(|e| e.event_id)
            .collect();
        assert_eq!(store.purge_payloads(&ids, 2_000).unwrap(), 500);
        let free = store.free_pages().unwrap();
        assert!(free > 0);
        assert_eq!(store.reclaim_pages(1).unwrap(), 1);
        let mut reclaimed = 1;
        while store.free_pages().unwrap() > 0 {
            reclaimed += store.reclaim_pages(10).unwrap();
        }
        assert_eq!(reclaimed, free);
    }
}
