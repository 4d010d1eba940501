//! Executions and their cycles on PostgreSQL: claims with `FOR UPDATE SKIP
//! LOCKED` and the order guard, commits fenced on the lease.

use anyhow::Result;
use postgres::{GenericClient, Row};

use super::admin::{hook_by_id, scenario_by_id};
use super::Cached;
use super::{json, leases, unsigned, word, PgStore};
use crate::clock::Millis;
use crate::store::{
    Ahead, ClaimedEvent, Committed, CycleEnd, EventState, ExecutionEnd, ExecutionRecord,
    ExecutionStatus, NewOperation, Operation, OperationStatus, Scenario, ScenarioUpdate, Schedule,
    Started, Trigger,
};

/// What [`execution_from_row`] reads. `cycles` is stored when an execution
/// finishes; until then it is counted.
const EXECUTION_COLUMNS: &str = "e.id, s.name, e.trigger, e.started_at, e.finished_at,
    CASE WHEN e.finished_at IS NULL
         THEN (SELECT count(*) FROM operations o WHERE o.execution_id = e.id)
         ELSE e.cycles END,
    e.status, e.error";

fn execution_from_row(row: &Row) -> Result<ExecutionRecord> {
    let status: Option<String> = row.get(6);
    Ok(ExecutionRecord {
        id: row.get(0),
        scenario: row.get(1),
        trigger: word(row, 2)?,
        started_at: row.get(3),
        finished_at: row.get(4),
        cycles: unsigned(row, 5)?,
        status: status
            .map(|s| {
                s.parse::<ExecutionStatus>()
                    .map_err(|e| anyhow::anyhow!("in the database: {e}"))
            })
            .transpose()?,
        error: row.get(7),
    })
}

/// The oldest queued event of a hook, marked `running` with one more
/// attempt, and its body. `SKIP LOCKED` never waits for, nor takes, an
/// event another claimer holds; the guard makes "the head is held" mean
/// "nothing now" rather than "the one after it", which would break the
/// hook's order.
///
/// The guard is "the head is the oldest queued event", read as `min(id)`
/// over `events_queued`: one index entry. Spelled `NOT EXISTS (... o.id <
/// head.id)`, the planner walked the primary key over the hook's whole
/// history instead (3.5 ms a claim after 20,000 events, growing with each
/// one: a drain slowed as it went).
pub(super) const CLAIM_HEAD: &str = "WITH head AS (
         SELECT id FROM events WHERE hook_id = $1 AND state = 'queued'
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
     UPDATE events e SET state = 'running', attempts = e.attempts + 1
     FROM head WHERE e.id = head.id
       AND head.id = (SELECT min(o.id) FROM events o WHERE o.hook_id = $1 AND o.state = 'queued')
     RETURNING e.id, e.received_at, e.method, e.query, e.headers, e.content_type,
               e.attempts, e.remote_addr";

fn claim_head(tx: &mut impl GenericClient, hook_id: i64) -> Result<Option<ClaimedEvent>> {
    let Some(row) = tx.query_opt_cached(CLAIM_HEAD, &[&hook_id])? else {
        return Ok(None);
    };
    let id: i64 = row.get(0);
    Ok(Some(ClaimedEvent {
        id,
        received_at: row.get(1),
        method: row.get(2),
        query: row.get(3),
        headers: json(&row, 4)?,
        content_type: row.get(5),
        attempt: u32::try_from(row.get::<_, i32>(6))?,
        remote_addr: row.get(7),
        body: payload(tx, id)?,
    }))
}

fn payload(client: &mut impl GenericClient, event_id: i64) -> Result<Option<Vec<u8>>> {
    Ok(client
        .query_opt_cached(
            "SELECT body FROM payloads WHERE event_id = $1",
            &[&event_id],
        )?
        .map(|row| row.get(0)))
}

/// Record an execution and take up to `count` of its first events (at most
/// two: the first and the next one, ahead).
fn start_execution(
    tx: &mut impl GenericClient,
    scenario_id: i64,
    trigger: Trigger,
    now: Millis,
    hook_id: i64,
    count: u64,
) -> Result<(i64, Vec<ClaimedEvent>)> {
    let id: i64 = tx
        .query_one_cached(
            "INSERT INTO executions (scenario_id, trigger, started_at) VALUES ($1, $2, $3)
             RETURNING id",
            &[&scenario_id, &trigger.as_str(), &now],
        )?
        .get(0);
    let mut taken = Vec::new();
    while (taken.len() as u64) < count.min(2) {
        match claim_head(tx, hook_id)? {
            Some(event) => taken.push(event),
            None => break,
        }
    }
    Ok((id, taken))
}

fn record_cycle(
    tx: &mut impl GenericClient,
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
        tx.execute_cached(
            "UPDATE events SET state = $2 WHERE id = $1 AND state = 'running'",
            &[&op.event_id, &state.as_str()],
        )?;
    }
    let http_headers = op
        .http
        .map(|(_, headers)| serde_json::to_string(headers))
        .transpose()?;
    tx.execute_cached(
        "INSERT INTO operations (execution_id, event_id, hook_id, scenario, status, exit_code,
                                 started_at, duration_ms, error, stdout, stderr,
                                 http_status, http_headers)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            &op.execution_id,
            &op.event_id,
            &op.hook_id,
            &op.scenario,
            &OperationStatus::of(op.ok).as_str(),
            &op.exit_code,
            &op.started_at,
            &op.duration_ms,
            &op.error,
            &op.stdout,
            &op.stderr,
            &op.http.map(|(status, _)| i32::from(status)),
            &http_headers,
        ],
    )?;
    Ok(())
}

/// Take the scenario's row before anything else in a transaction that ends
/// an execution (it updates that row): the lock order every transaction
/// keeps (docs/scaling.md, "Lock order"), scenario, then lease, then
/// events and executions, as the acquire and crash repair take them. Taken
/// after the lease row instead, an execution's end and another process's
/// acquire each held what the other waited for: a deadlock, one of them
/// failing (two `scenario run` loops beside an `immediately` server).
fn lock_scenario(tx: &mut impl GenericClient, scenario_id: i64) -> Result<()> {
    tx.execute_cached(
        "SELECT 1 FROM scenarios WHERE id = $1 FOR NO KEY UPDATE",
        &[&scenario_id],
    )?;
    Ok(())
}

fn record_end(
    tx: &mut impl GenericClient,
    execution_id: i64,
    scenario_id: i64,
    (status, error, update, now): (ExecutionStatus, Option<&str>, ScenarioUpdate, Millis),
) -> Result<()> {
    tx.execute_cached(
        "UPDATE executions SET finished_at = $2, status = $3, error = $4,
                cycles = (SELECT count(*) FROM operations WHERE execution_id = $1)
         WHERE id = $1",
        &[&execution_id, &now, &status.as_str(), &error],
    )?;
    let policy = match update {
        ScenarioUpdate::Unchanged => "",
        ScenarioUpdate::ResetErrors => ", consecutive_errors = 0",
        ScenarioUpdate::CountError => ", consecutive_errors = consecutive_errors + 1",
        ScenarioUpdate::Deactivate => {
            ", consecutive_errors = consecutive_errors + 1, active = false,
               inactive_since = CASE WHEN active THEN $2 ELSE inactive_since END"
        }
    };
    tx.execute_cached(
        &format!("UPDATE scenarios SET last_run_at = $2{policy} WHERE id = $1"),
        &[&scenario_id, &now],
    )?;
    Ok(())
}

impl PgStore {
    pub(crate) fn queued_count(&self, hook_id: i64) -> Result<u64> {
        self.with(|c| {
            c.query_opt_cached("SELECT queued FROM hooks WHERE id = $1", &[&hook_id])?
                .map_or(Ok(0), |row| unsigned(&row, 0))
        })
    }

    pub(crate) fn start_execution(
        &mut self,
        scenario_id: i64,
        trigger: Trigger,
        now: Millis,
        hook_id: i64,
        count: u64,
    ) -> Result<(i64, Vec<ClaimedEvent>)> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let started = start_execution(&mut tx, scenario_id, trigger, now, hook_id, count)?;
            tx.commit()?;
            Ok(started)
        })
    }

    /// See the SQLite store's: one transaction that looks whether the
    /// scenario still runs `immediately` on that hook with events waiting,
    /// and if so starts an execution.
    pub(crate) fn start_immediately(
        &mut self,
        scenario_id: i64,
        hook_id: i64,
        now: Millis,
        limit: u32,
    ) -> Result<Option<(Scenario, Started)>> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let scenario = match scenario_by_id(&mut tx, scenario_id)? {
                Some(s)
                    if s.active
                        && s.settings.schedule == Schedule::Immediately
                        && s.hook_id == hook_id =>
                {
                    s
                }
                _ => return Ok(None),
            };
            let Some(hook) = hook_by_id(&mut tx, hook_id)? else {
                return Ok(None);
            };
            let planned = hook.queued.min(u64::from(limit));
            if planned == 0 {
                return Ok(None);
            }
            let trigger = Trigger::Immediately;
            let (id, taken) =
                start_execution(&mut tx, scenario_id, trigger, now, hook_id, planned)?;
            tx.commit()?;
            let started = Started {
                id,
                hook,
                planned,
                taken,
            };
            Ok(Some((scenario, started)))
        })
    }

    pub(crate) fn payload(&self, event_id: i64) -> Result<Option<Vec<u8>>> {
        self.with(|c| payload(c, event_id))
    }

    /// Commit or roll back cycles that ended (see the SQLite store's),
    /// fenced on the lease: its row is read `FOR SHARE` first, so a host
    /// taking the lease over waits for this commit, and if another holds
    /// it already only the operations are recorded.
    pub(crate) fn finish_cycles(
        &mut self,
        scenario_id: i64,
        cycles: &[(CycleEnd, NewOperation<'_>)],
        ahead: Ahead<'_>,
        last: Option<&ExecutionEnd<'_>>,
    ) -> Result<Committed> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            if last.is_some() {
                lock_scenario(&mut tx, scenario_id)?;
            }
            let lease_held = leases::held_here(&mut tx, scenario_id)?;
            for (end, op) in cycles {
                record_cycle(&mut tx, lease_held, *end, op)?;
            }
            if lease_held && !ahead.release.is_empty() {
                tx.execute_cached(
                    "UPDATE events SET state = 'queued', attempts = attempts - 1
                     WHERE id = ANY($1) AND state = 'running'",
                    &[&ahead.release],
                )?;
            }
            let next = ahead.claim_window(lease_held, |hook_id| claim_head(&mut tx, hook_id))?;
            if let Some(last) = last {
                let end = last.recorded(lease_held);
                record_end(&mut tx, last.execution_id, scenario_id, end)?;
            }
            tx.commit()?;
            Ok(Committed {
                ahead: next,
                lease_held,
            })
        })
    }

    pub(crate) fn finish_execution(
        &mut self,
        execution_id: i64,
        scenario_id: i64,
        status: ExecutionStatus,
        error: Option<&str>,
        update: ScenarioUpdate,
        now: Millis,
    ) -> Result<ExecutionRecord> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            lock_scenario(&mut tx, scenario_id)?;
            record_end(
                &mut tx,
                execution_id,
                scenario_id,
                (status, error, update, now),
            )?;
            tx.commit()?;
            Ok(())
        })?;
        self.execution(execution_id)
    }

    pub(crate) fn execution(&self, id: i64) -> Result<ExecutionRecord> {
        self.with(|c| {
            execution_from_row(&c.query_one_cached(
                &format!(
                    "SELECT {EXECUTION_COLUMNS}
                     FROM executions e JOIN scenarios s ON s.id = e.scenario_id WHERE e.id = $1"
                ),
                &[&id],
            )?)
        })
    }

    pub(crate) fn executions(&self, scenario_id: i64, limit: u32) -> Result<Vec<ExecutionRecord>> {
        self.with(|c| {
            c.query_cached(
                &format!(
                    "SELECT {EXECUTION_COLUMNS}
                     FROM executions e JOIN scenarios s ON s.id = e.scenario_id
                     WHERE e.scenario_id = $1 ORDER BY e.id DESC LIMIT $2"
                ),
                &[&scenario_id, &i64::from(limit)],
            )?
            .iter()
            .map(execution_from_row)
            .collect()
        })
    }

    /// The operations on a hook's events, newest first.
    pub(crate) fn operations(
        &self,
        hook_id: i64,
        status: Option<OperationStatus>,
        event_id: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Operation>> {
        let status = status.map(OperationStatus::as_str);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|c| {
            c.query_cached(
                "SELECT id, execution_id, event_id, scenario, status, exit_code, started_at,
                        duration_ms, error, coalesce(stdout, ''::bytea),
                        coalesce(stderr, ''::bytea), http_status,
                        coalesce(http_headers, '[]')
                 FROM operations
                 WHERE hook_id = $1 AND ($3::bigint IS NULL OR event_id = $3)
                   AND ($2::text IS NULL OR status = $2)
                 ORDER BY id DESC LIMIT $4",
                &[&hook_id, &status, &event_id, &limit],
            )?
            .iter()
            .map(|row| {
                Ok(Operation {
                    id: row.get(0),
                    execution_id: row.get(1),
                    event_id: row.get(2),
                    scenario: row.get(3),
                    status: word(row, 4)?,
                    exit_code: row.get(5),
                    started_at: row.get(6),
                    duration_ms: row.get(7),
                    error: row.get(8),
                    stdout: row.get(9),
                    stderr: row.get(10),
                    http_status: row
                        .get::<_, Option<i32>>(11)
                        .map(u16::try_from)
                        .transpose()?,
                    http_headers: serde_json::from_str(row.get(12)).unwrap_or_default(),
                })
            })
            .collect()
        })
    }
}
