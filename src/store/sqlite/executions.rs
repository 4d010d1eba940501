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
        record_cycles(&tx, lease_held, cycles)?;
        if lease_held {
            let mut release = tx.prepare_cached(
                "UPDATE events SET state = 'queued', attempts = attempts - 1
                 WHERE id = ?1 AND state = 'running'",
            )?;
            for id in ahead.release {
                release.execute([id])?;
            }
        }
        let next = match ahead.wanted(lease_held) {
            Some((hook_id, take)) => claim_heads(&tx, hook_id, take)?,
            None => Vec::new(),
        };
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

/// Record cycles: their events' new states (if the lease is held) and
/// their operations, with a few statements whatever their number. Every
/// statement that changes a row here has its statement journal (the
/// triggers, the foreign keys and the CHECKs may abort it): the pages it
/// touches are copied once per statement, not once per cycle
/// (docs/benchmarks.md, "Forwarding drain").
fn record_cycles(
    tx: &rusqlite::Transaction<'_>,
    lease_held: bool,
    cycles: &[(CycleEnd, NewOperation<'_>)],
) -> Result<()> {
    if lease_held {
        for end in [CycleEnd::Done, CycleEnd::Queued, CycleEnd::Incomplete] {
            let ids: Vec<i64> = cycles
                .iter()
                .filter(|(e, _)| *e == end)
                .map(|(_, op)| op.event_id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            let state = match end {
                CycleEnd::Done => EventState::Done,
                CycleEnd::Queued => EventState::Queued,
                CycleEnd::Incomplete => EventState::Incomplete,
            };
            tx.prepare_cached(
                "UPDATE events SET state = ?1
                 WHERE id IN (SELECT value FROM json_each(?2)) AND state = 'running'",
            )?
            .execute(params![state, serde_json::to_string(&ids)?])?;
        }
    }
    let mut rest = cycles;
    while !rest.is_empty() {
        // Three statements at most in the cache, whatever the count.
        let rows = [16, 4, 1]
            .into_iter()
            .find(|n| *n <= rest.len())
            .unwrap_or(1);
        let (these, after) = rest.split_at(rows);
        insert_operations(tx, these)?;
        rest = after;
    }
    Ok(())
}

/// The columns of an operation as [`insert_operations`] binds them.
const OPERATION_COLUMNS: usize = 13;

/// Insert these cycles' operations with one statement, in their order.
fn insert_operations(
    tx: &rusqlite::Transaction<'_>,
    cycles: &[(CycleEnd, NewOperation<'_>)],
) -> Result<()> {
    let derived = cycles
        .iter()
        .map(|(_, op)| {
            let headers = op
                .http
                .map(|(_, headers)| serde_json::to_string(headers))
                .transpose()?;
            Ok((
                OperationStatus::of(op.ok),
                op.http.map(|(status, _)| status),
                headers,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut values: Vec<&dyn rusqlite::ToSql> =
        Vec::with_capacity(cycles.len() * OPERATION_COLUMNS);
    for ((_, op), (status, http_status, http_headers)) in cycles.iter().zip(&derived) {
        values.extend([
            &op.execution_id as &dyn rusqlite::ToSql,
            &op.event_id,
            &op.hook_id,
            &op.scenario,
            status,
            &op.exit_code,
            &op.started_at,
            &op.duration_ms,
            &op.error,
            &op.stdout,
            &op.stderr,
            http_status,
            http_headers,
        ]);
    }
    let row = format!("({})", vec!["?"; OPERATION_COLUMNS].join(", "));
    let sql = format!(
        "INSERT INTO operations (execution_id, event_id, hook_id, scenario, status, exit_code,
                                 started_at, duration_ms, error, stdout, stderr,
                                 http_status, http_headers)
         VALUES {}",
        vec![row; cycles.len()].join(", ")
    );
    tx.prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(values))?;
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
    let taken = claim_heads(tx, hook_id, count.min(2))?;
    Ok((id, taken))
}

/// The oldest queued events of a hook, up to `take` and as many as
/// [`Ahead::claim_window`] allows, marked `running` with one more attempt,
/// with their bodies. An attempt counts from the moment the event is
/// taken, ahead of its command: after a crash, an event taken ahead may
/// show an attempt that never ran, never the reverse (a command can trust
/// `HOOKQ_ATTEMPT` = 1 to mean a first run). Read with one statement, each
/// row with its body as the window rule asks for it (the row past the
/// window is never read), and marked with another, whatever their number:
/// a window costs two statements, not a claim per event
/// (docs/benchmarks.md, "Forwarding drain").
fn claim_heads(
    tx: &rusqlite::Transaction<'_>,
    hook_id: i64,
    take: u64,
) -> Result<Vec<ClaimedEvent>> {
    if take == 0 {
        return Ok(Vec::new());
    }
    let mut heads = tx.prepare_cached(
        "SELECT e.id, e.received_at, e.method, e.query, e.headers, e.content_type,
                e.attempts + 1, e.remote_addr, p.body
         FROM events e LEFT JOIN payloads p ON p.event_id = e.id
         WHERE e.hook_id = ?1 AND e.state = 'queued'
         ORDER BY e.id",
    )?;
    // Not a bound LIMIT: SQLite plans with its value, and would prepare the
    // statement again for every other count. The rows are read as the
    // window asks for them.
    let mut rows = heads.query(params![hook_id])?;
    let window = Ahead {
        release: &[],
        take_from: Some(hook_id),
        take,
    };
    let taken = window.claim_window(true, |_| {
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some(ClaimedEvent {
            id: row.get(0)?,
            received_at: row.get(1)?,
            method: row.get(2)?,
            query: row.get(3)?,
            headers: json_column(row, 4)?,
            content_type: row.get(5)?,
            attempt: row.get(6)?,
            remote_addr: row.get(7)?,
            body: row.get(8)?,
        }))
    })?;
    drop(rows);
    let Some(last) = taken.last() else {
        return Ok(Vec::new());
    };
    // The same events: the oldest queued ones up to the last read, in the
    // transaction that read them.
    let marked = tx
        .prepare_cached(
            "UPDATE events SET state = 'running', attempts = attempts + 1
             WHERE hook_id = ?1 AND state = 'queued' AND id <= ?2",
        )?
        .execute(params![hook_id, last.id])?;
    anyhow::ensure!(
        marked == taken.len(),
        "the queue of hook {hook_id} changed while its head was taken"
    );
    Ok(taken)
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

    /// Hooks "h" and "o", scenario "s" on "h", its lease held, and an
    /// execution of it started with nothing taken.
    fn executing() -> (tempfile::TempDir, SqliteStore, i64, i64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("h.db")).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        let other = store.create_hook("o", &HookSettings::default(), 0).unwrap();
        let settings = ScenarioSettings::new(vec!["true".into()]);
        let s = store
            .create_scenario("s", hook.id, &settings, true, 0)
            .unwrap();
        assert!(store.acquire_lease(s.id).unwrap());
        let (execution, _) = store
            .start_execution(s.id, Trigger::Manual, 0, hook.id, 0)
            .unwrap();
        (dir, store, hook.id, other.id, execution)
    }

    fn take(store: &mut SqliteStore, hook_id: i64, take: u64) -> Vec<ClaimedEvent> {
        let ahead = Ahead {
            release: &[],
            take_from: Some(hook_id),
            take,
        };
        store.finish_cycles(1, &[], ahead, None).unwrap().ahead
    }

    /// A window is the oldest queued events of its hook only, each with its
    /// own body (none once purged) and one more attempt; it stops at
    /// `take`, or once the bodies before reach 4 MiB.
    #[test]
    fn a_window_takes_the_head_of_its_hook_up_to_four_mib_of_bodies() {
        let (_dir, mut store, hook, other, _) = executing();
        let mib = |n: usize| vec![b'x'; n << 20];
        let events = [
            NewEvent::sample(hook, 0, b"first"),
            NewEvent::sample(other, 0, b"other hook"),
            NewEvent::sample(hook, 0, b"purged"),
            NewEvent::sample(hook, 0, &mib(3)),
            NewEvent::sample(hook, 0, &mib(2)),
            NewEvent::sample(hook, 0, b"after 4 MiB"),
        ];
        store.enqueue(&events, &[]).unwrap();
        store
            .conn
            .execute("DELETE FROM payloads WHERE event_id = 3", [])
            .unwrap();
        let first = take(&mut store, hook, 2);
        let bodies: Vec<_> = first.iter().map(|e| (e.id, e.body.clone())).collect();
        assert_eq!(bodies, [(1, Some(b"first".to_vec())), (3, None)]);
        assert!(first.iter().all(|e| e.attempt == 1));
        let rest = take(&mut store, hook, 32);
        let sizes: Vec<_> = rest
            .iter()
            .map(|e| (e.id, e.body.as_ref().map(Vec::len)))
            .collect();
        assert_eq!(sizes, [(4, Some(3 << 20)), (5, Some(2 << 20))]);
        assert_eq!(store.queued_count(hook).unwrap(), 1);
        assert_eq!(store.queued_count(other).unwrap(), 1);
        let last = take(&mut store, hook, 32);
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].body.as_deref(), Some(&b"after 4 MiB"[..]));
        assert!(take(&mut store, hook, 32).is_empty());
        assert_eq!(
            take(&mut store, other, 32)[0].body.as_deref(),
            Some(&b"other hook"[..])
        );
    }

    /// Cycles recorded in one commit, however many: every operation in
    /// order with what its cycle said, every event in its own new state.
    #[test]
    fn cycles_recorded_together_keep_their_order_and_their_outcomes() {
        let (_dir, mut store, hook, _, execution) = executing();
        let events = vec![NewEvent::sample(hook, 0, b"x"); 23];
        store.enqueue(&events, &[]).unwrap();
        let taken = take(&mut store, hook, 32);
        assert_eq!(taken.len(), 23);
        let headers = vec![("X-Seen".to_owned(), "1".to_owned())];
        let end_of = |i: usize| match i % 5 {
            3 => CycleEnd::Incomplete,
            4 => CycleEnd::Queued,
            _ => CycleEnd::Done,
        };
        let errors: Vec<String> = (0..23).map(|i| format!("failed {i}")).collect();
        let outs: Vec<Vec<u8>> = (0..23).map(|i| format!("out {i}").into_bytes()).collect();
        // 21 of them: as many statements of 16, 4 and 1 rows as there are.
        let cycles: Vec<_> = taken[..21]
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let ok = end_of(i) == CycleEnd::Done;
                (
                    end_of(i),
                    NewOperation {
                        execution_id: execution,
                        event_id: event.id,
                        hook_id: hook,
                        scenario: "s",
                        ok,
                        exit_code: (!ok).then_some(i as i32),
                        started_at: i as i64,
                        duration_ms: 2 * i as i64,
                        error: (!ok).then(|| errors[i].as_str()),
                        stdout: &outs[i],
                        stderr: b"",
                        http: (i % 2 == 0).then_some((200 + i as u16, &headers[..])),
                    },
                )
            })
            .collect();
        let ahead = Ahead {
            release: &[taken[21].id, taken[22].id],
            take_from: None,
            take: 0,
        };
        store.finish_cycles(1, &cycles, ahead, None).unwrap();
        let mut ops = store.operations(hook, None, None, 100).unwrap();
        ops.reverse();
        assert_eq!(ops.len(), 21);
        for (i, (op, (_, event))) in ops.iter().zip(taken.iter().enumerate()).enumerate() {
            assert_eq!(op.event_id, event.id);
            assert_eq!(op.execution_id, Some(execution));
            assert_eq!(op.status, OperationStatus::of(end_of(i) == CycleEnd::Done));
            assert_eq!((op.started_at, op.duration_ms), (i as i64, 2 * i as i64));
            assert_eq!(op.stdout, outs[i]);
            let failed = end_of(i) != CycleEnd::Done;
            assert_eq!(op.error.as_deref(), failed.then(|| errors[i].as_str()));
            assert_eq!(op.exit_code, failed.then_some(i as i32));
            match i % 2 {
                0 => {
                    assert_eq!(op.http_status, Some(200 + i as u16));
                    assert_eq!(op.http_headers, headers);
                }
                _ => assert_eq!((op.http_status, op.http_headers.len()), (None, 0)),
            }
        }
        let states: Vec<String> = store
            .conn
            .prepare("SELECT state FROM events ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for (i, state) in states.iter().enumerate() {
            let expected = match i {
                21 | 22 => "queued", // released
                _ => match end_of(i) {
                    CycleEnd::Done => "done",
                    CycleEnd::Incomplete => "incomplete",
                    CycleEnd::Queued => "queued",
                },
            };
            assert_eq!(state, expected, "event {}", i + 1);
        }
        // 4 rolled back (i % 5 == 4 below 21) and the 2 released.
        assert_eq!(store.queued_count(hook).unwrap(), 6);
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
