//! Executions and their cycles: taking the head of a queue, committing or
//! rolling back an event, and the records of both (executions, operations).

use anyhow::Result;
use rusqlite::{params, OptionalExtension, Row};

use super::states::json_column;
use super::{hooks, scenarios, SqliteStore};
use crate::clock::Millis;
use crate::store::ExecutionStore;
use crate::store::{
    Ahead, ClaimedEvent, Committed, CycleEnd, EventState, ExecutionEnd, ExecutionRecord,
    ExecutionStatus, NewOperation, Operation, OperationStatus, Scenario, ScenarioUpdate, Schedule,
    Started, Trigger,
};

fn execution_from_row(row: &Row<'_>) -> rusqlite::Result<ExecutionRecord> {
    Ok(ExecutionRecord {
        id: row.get(0)?,
        scenario: row.get(1)?,
        trigger: row.get(2)?,
        started_at: row.get(3)?,
        finished_at: row.get(4)?,
        cycles: row.get(5)?,
        status: row.get(6)?,
        error: row.get(7)?,
    })
}

impl ExecutionStore for SqliteStore {
    fn acquire_lease(&mut self, scenario_id: i64) -> Result<bool> {
        SqliteStore::acquire_lease(self, scenario_id)
    }

    fn renew_lease(&self, scenario_id: i64) -> Result<bool> {
        SqliteStore::renew_lease(self, scenario_id)
    }

    fn release_lease(&self, scenario_id: i64) -> Result<()> {
        SqliteStore::release_lease(self, scenario_id)
    }

    fn queued_count(&self, hook_id: i64) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("SELECT queued FROM hooks WHERE id = ?1")?
            .query_row([hook_id], |row| row.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Record the start of an execution and take its first events from the
    /// head of its hook's queue, in one transaction: up to `count`, at most
    /// two (the first and the next one, ahead). The execution's id and the
    /// events taken.
    fn start_execution(
        &mut self,
        scenario_id: i64,
        trigger: Trigger,
        now: Millis,
        hook_id: i64,
        count: u64,
    ) -> Result<(i64, Vec<ClaimedEvent>)> {
        let tx = self.write()?;
        let started = start_execution(&tx, scenario_id, trigger, now, hook_id, count)?;
        tx.commit()?;
        Ok(started)
    }

    /// For the worker of an `immediately` scenario, told that an event of
    /// `hook_id` was committed: in one transaction, look whether the
    /// scenario is still one it runs (active, `immediately`, on that hook)
    /// and events wait, and if so record an execution of up to `limit`
    /// cycles and take its first events. The scenario as it is now, and
    /// the execution; `None`, with nothing written, when there is nothing
    /// to start. One transaction instead of the five reads and the write of
    /// [`SqliteStore::start_execution`] and the looks before it: on the path of
    /// every answered webhook.
    fn start_immediately(
        &mut self,
        scenario_id: i64,
        hook_id: i64,
        now: Millis,
        limit: u32,
    ) -> Result<Option<(Scenario, Started)>> {
        let tx = self.write()?;
        let started = start_immediately(&tx, scenario_id, hook_id, now, limit)?;
        if started.is_some() {
            tx.commit()?;
        }
        Ok(started)
    }

    /// Commit or roll back cycles that ended, oldest first: each event's
    /// new state and the operation that records it, what [`Ahead`] asks of
    /// the events after them, and with `last` the end of their execution,
    /// all in one transaction, if this process still holds the lease of
    /// `scenario_id`. If another process took it over, only the operations
    /// are recorded (what ran): no event is changed or taken ahead. One
    /// transaction for every cycle that ended since the last one: a cycle
    /// costs its action, not a commit (docs/benchmarks.md).
    fn finish_cycles(
        &mut self,
        scenario_id: i64,
        cycles: &[(CycleEnd, NewOperation<'_>)],
        ahead: Ahead<'_>,
        last: Option<&ExecutionEnd<'_>>,
    ) -> Result<Committed> {
        let tx = self.write()?;
        // Fenced: once another process holds the lease, the events are its
        // own (it put ours back in the queue, and may be running them).
        let lease_held = super::leases::held_here(&tx, scenario_id)?;
        for (end, op) in cycles {
            record_cycle(&tx, lease_held, *end, op)?;
        }
        if lease_held {
            let mut release = tx.prepare_cached(
                "UPDATE events SET state = 'queued', attempts = attempts - 1
                 WHERE id = ?1 AND state = 'running'",
            )?;
            for id in ahead.release {
                release.execute([id])?;
            }
        }
        let next = ahead.claim_window(lease_held, |hook_id| claim_head(&tx, hook_id))?;
        if let Some(last) = last {
            let end = last.recorded(lease_held);
            record_end(&tx, last.execution_id, scenario_id, end)?;
        }
        tx.commit()?;
        Ok(Committed {
            ahead: next,
            lease_held,
        })
    }

    /// Record the end of an execution and apply the scenario's error policy.
    fn finish_execution(
        &mut self,
        execution_id: i64,
        scenario_id: i64,
        status: ExecutionStatus,
        error: Option<&str>,
        update: ScenarioUpdate,
        now: Millis,
    ) -> Result<ExecutionRecord> {
        let tx = self.write()?;
        record_end(&tx, execution_id, scenario_id, (status, error, update, now))?;
        tx.commit()?;
        self.execution(execution_id)
    }

    /// Cached: read after every execution a server's worker runs.
    fn execution(&self, id: i64) -> Result<ExecutionRecord> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {EXECUTION_COLUMNS}
                 FROM executions e JOIN scenarios s ON s.id = e.scenario_id WHERE e.id = ?1"
            ))?
            .query_row([id], execution_from_row)?)
    }

    /// A scenario's executions, newest first.
    fn executions(&self, scenario_id: i64, limit: u32) -> Result<Vec<ExecutionRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EXECUTION_COLUMNS}
             FROM executions e JOIN scenarios s ON s.id = e.scenario_id
             WHERE e.scenario_id = ?1 ORDER BY e.id DESC LIMIT ?2"
        ))?;
        let records = stmt
            .query_map(params![scenario_id, limit], execution_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(records)
    }

    /// The operations on a hook's events, newest first: all, or only ok or
    /// failed ones, or only those of one event.
    fn operations(
        &self,
        hook_id: i64,
        status: Option<OperationStatus>,
        event_id: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Operation>> {
        let mut stmt = self
            .conn
            .prepare_cached(&operations_sql(event_id.is_some()))?;
        let operations = stmt
            .query_map(
                params![
                    hook_id,
                    status,
                    event_id,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                |row| {
                    Ok(Operation {
                        id: row.get(0)?,
                        execution_id: row.get(1)?,
                        event_id: row.get(2)?,
                        scenario: row.get(3)?,
                        status: row.get(4)?,
                        exit_code: row.get(5)?,
                        started_at: row.get(6)?,
                        duration_ms: row.get(7)?,
                        error: row.get(8)?,
                        stdout: row.get(9)?,
                        stderr: row.get(10)?,
                        http_status: row.get(11)?,
                        http_headers: serde_json::from_str(&row.get::<_, String>(12)?)
                            .unwrap_or_default(),
                    })
                },
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(operations)
    }
}

/// Record one cycle: its event's new state (if the lease is held) and its
/// operation.
fn record_cycle(
    tx: &rusqlite::Transaction<'_>,
    lease_held: bool,
    end: CycleEnd,
    op: &NewOperation<'_>,
) -> Result<()> {
    let state = match end {
        CycleEnd::Done => EventState::Done,
        CycleEnd::Queued => EventState::Queued,
        CycleEnd::Incomplete => EventState::Incomplete,
    };
    if lease_held {
        tx.prepare_cached("UPDATE events SET state = ?2 WHERE id = ?1 AND state = 'running'")?
            .execute(params![op.event_id, state])?;
    }
    tx.prepare_cached(
        "INSERT INTO operations (execution_id, event_id, hook_id, scenario, status, exit_code,
                                 started_at, duration_ms, error, stdout, stderr,
                                 http_status, http_headers)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        op.execution_id,
        op.event_id,
        op.hook_id,
        op.scenario,
        OperationStatus::of(op.ok),
        op.exit_code,
        op.started_at,
        op.duration_ms,
        op.error,
        op.stdout,
        op.stderr,
        op.http.map(|(status, _)| status),
        op.http
            .map(|(_, headers)| serde_json::to_string(headers))
            .transpose()?,
    ])?;
    Ok(())
}

/// Record the end of an execution (status, error, when) and apply the
/// scenario's error policy.
fn record_end(
    tx: &rusqlite::Transaction<'_>,
    execution_id: i64,
    scenario_id: i64,
    (status, error, update, now): (ExecutionStatus, Option<&str>, ScenarioUpdate, Millis),
) -> Result<()> {
    tx.prepare_cached(
        // Counted once here rather than by every cycle: one page fewer
        // to write per cycle (see EXECUTION_COLUMNS while it runs).
        "UPDATE executions SET finished_at = ?2, status = ?3, error = ?4,
                cycles = (SELECT count(*) FROM operations WHERE execution_id = ?1)
         WHERE id = ?1",
    )?
    .execute(params![execution_id, now, status, error])?;
    let policy = match update {
        ScenarioUpdate::Unchanged => "",
        ScenarioUpdate::ResetErrors => ", consecutive_errors = 0",
        ScenarioUpdate::CountError => ", consecutive_errors = consecutive_errors + 1",
        ScenarioUpdate::Deactivate => {
            ", consecutive_errors = consecutive_errors + 1, active = 0,
               inactive_since = CASE WHEN active THEN ?2 ELSE inactive_since END"
        }
    };
    tx.prepare_cached(&format!(
        "UPDATE scenarios SET last_run_at = ?2{policy} WHERE id = ?1"
    ))?
    .execute(params![scenario_id, now])?;
    Ok(())
}

/// What [`execution_from_row`] reads. `cycles` is stored when an execution
/// finishes; until then (or if its process died) it is counted.
const EXECUTION_COLUMNS: &str = "e.id, s.name, e.trigger, e.started_at, e.finished_at,
    CASE WHEN e.finished_at IS NULL
         THEN (SELECT count(*) FROM operations o WHERE o.execution_id = e.id)
         ELSE e.cycles END,
    e.status, e.error";

/// The query of [`SqliteStore::operations`]. One event's operations are read
/// through the event's index: the hook's would walk every operation of the
/// hook (seconds for a million).
fn operations_sql(one_event: bool) -> String {
    let rows = if one_event {
        "event_id = ?3 AND +hook_id = ?1"
    } else {
        "hook_id = ?1"
    };
    format!(
        "SELECT id, execution_id, event_id, scenario, status, exit_code, started_at,
                duration_ms, error, coalesce(stdout, x''), coalesce(stderr, x''),
                http_status, coalesce(http_headers, '[]')
         FROM operations
         WHERE {rows}
           AND (?2 IS NULL OR status = ?2)
         ORDER BY id DESC LIMIT ?4"
    )
}

/// The oldest queued event of a hook, marked `running` with one more
/// attempt, and its body. An attempt counts from the moment the event is
/// taken, ahead of its command: after a crash, the event taken ahead may
/// show an attempt that never ran, never the reverse (a command can trust
/// `HOOKQ_ATTEMPT` = 1 to mean a first run).
/// Record an execution and take up to `count` of its first events (at most
/// two: the first and the next one, ahead).
/// [`ExecutionStore::start_immediately`] in a transaction of the caller's
/// (also the group commit's: [`EventStore::enqueue_starting`]).
///
/// [`EventStore::enqueue_starting`]: crate::store::EventStore::enqueue_starting
pub(super) fn start_immediately(
    tx: &rusqlite::Transaction<'_>,
    scenario_id: i64,
    hook_id: i64,
    now: Millis,
    limit: u32,
) -> Result<Option<(Scenario, Started)>> {
    let scenario = match scenarios::scenario_by_id(tx, scenario_id)? {
        Some(s)
            if s.active && s.settings.schedule == Schedule::Immediately && s.hook_id == hook_id =>
        {
            s
        }
        _ => return Ok(None),
    };
    let Some(hook) = hooks::hook_by_id(tx, hook_id)? else {
        return Ok(None);
    };
    let planned = hook.queued.min(u64::from(limit));
    if planned == 0 {
        return Ok(None);
    }
    let trigger = Trigger::Immediately;
    let (id, taken) = start_execution(tx, scenario_id, trigger, now, hook_id, planned)?;
    let started = Started {
        id,
        hook,
        planned,
        taken,
    };
    Ok(Some((scenario, started)))
}

fn start_execution(
    tx: &rusqlite::Transaction<'_>,
    scenario_id: i64,
    trigger: Trigger,
    now: Millis,
    hook_id: i64,
    count: u64,
) -> Result<(i64, Vec<ClaimedEvent>)> {
    tx.prepare_cached(
        "INSERT INTO executions (scenario_id, trigger, started_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![scenario_id, trigger, now])?;
    let id = tx.last_insert_rowid();
    let mut taken = Vec::new();
    while (taken.len() as u64) < count.min(2) {
        match claim_head(tx, hook_id)? {
            Some(event) => taken.push(event),
            None => break,
        }
    }
    Ok((id, taken))
}

fn claim_head(tx: &rusqlite::Transaction<'_>, hook_id: i64) -> Result<Option<ClaimedEvent>> {
    let event = tx
        .prepare_cached(
            "UPDATE events SET state = 'running', attempts = attempts + 1
             WHERE id = (SELECT id FROM events WHERE hook_id = ?1 AND state = 'queued'
                         ORDER BY id LIMIT 1)
             RETURNING id, received_at, method, query, headers, content_type, attempts,
                       remote_addr",
        )?
        .query_row([hook_id], |row| {
            Ok(ClaimedEvent {
                id: row.get(0)?,
                received_at: row.get(1)?,
                method: row.get(2)?,
                query: row.get(3)?,
                headers: json_column(row, 4)?,
                content_type: row.get(5)?,
                attempt: row.get(6)?,
                remote_addr: row.get(7)?,
                body: None,
            })
        })
        .optional()?;
    event
        .map(|mut event| {
            event.body = payload(tx, event.id)?;
            Ok(event)
        })
        .transpose()
}

pub(super) fn payload(conn: &rusqlite::Connection, event_id: i64) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT body FROM payloads WHERE event_id = ?1")?
        .query_row([event_id], |row| row.get(0))
        .optional()?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::store::{
        ConnectionStore, EventStore, ExecutionStore, HookStore, ScenarioStore, Session, SweepStore,
    };
    use crate::store::{HookSettings, NewEvent, ScenarioSettings};

    /// How SQLite would run `sql`: the details of its query plan.
    pub(crate) fn plan(store: &SqliteStore, sql: &str) -> Vec<String> {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let nulls = rusqlite::params_from_iter(vec![rusqlite::types::Null; stmt.parameter_count()]);
        stmt.query_map(nulls, |row| row.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn one_events_operations_are_read_through_its_own_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        let plan = plan(&store, &operations_sql(true));
        assert!(
            plan.iter().any(|step| step.contains("operations_by_event")),
            "{plan:?}"
        );
        let plan = self::plan(&store, &operations_sql(false));
        assert!(
            plan.iter().any(|step| step.contains("operations_by_hook")),
            "{plan:?}"
        );
    }

    /// A worker told of an event starts an execution in one transaction
    /// only if its scenario still is what it runs and events wait; else
    /// nothing is recorded (no empty execution for every wake-up).
    #[test]
    fn an_immediately_execution_starts_only_for_what_the_worker_runs() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        let other = store.create_hook("o", &HookSettings::default(), 0).unwrap();
        let settings = ScenarioSettings::new(vec!["true".into()]);
        let s = store
            .create_scenario("s", hook.id, &settings, true, 0)
            .unwrap();
        let start = |store: &mut SqliteStore, hook_id| {
            store.start_immediately(s.id, hook_id, 5, 100).unwrap()
        };
        assert!(start(&mut store, hook.id).is_none(), "nothing queued");
        let queued = |n: usize| vec![NewEvent::sample(hook.id, 0, b"x"); n];
        store.enqueue(&queued(3), &[]).unwrap();
        assert!(start(&mut store, other.id).is_none(), "another hook");
        store.set_scenario_active(s.id, false, 0).unwrap();
        assert!(start(&mut store, hook.id).is_none(), "inactive");
        assert!(store.executions(s.id, 10).unwrap().is_empty());
        assert_eq!(store.queued_count(hook.id).unwrap(), 3);
        store.set_scenario_active(s.id, true, 0).unwrap();
        let (scenario, started) = start(&mut store, hook.id).unwrap();
        assert!(scenario.active);
        assert_eq!(started.planned, 3);
        // The first event, and the next one ahead.
        assert_eq!(started.taken.len(), 2);
        assert_eq!(started.taken[0].attempt, 1);
        assert_eq!(store.queued_count(hook.id).unwrap(), 1);
        let runs = store.executions(s.id, 10).unwrap();
        assert_eq!((runs.len(), runs[0].id), (1, started.id));
        assert_eq!(
            (runs[0].trigger.as_str(), runs[0].started_at),
            ("immediately", 5)
        );
    }
}
