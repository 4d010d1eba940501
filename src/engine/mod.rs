//! Executions: the five steps of SPEC §5. Initialization (the lease), the
//! count of cycles, one event per cycle with commit or rollback, the error
//! policy, finalization. The engine knows nothing of HTTP.

mod action;
mod answer;
mod chain;
mod command;
mod deliver;
mod http1;
mod kept;
mod scheduler;
mod spawn;
mod tail;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::bundle;
use crate::clock::{self, Clock, Millis};
use crate::error::Failure;
use crate::store::{
    Ahead, ClaimedEvent, CycleEnd, ExecutionEnd, ExecutionRecord, ExecutionStatus, Hook, Input,
    NewOperation, Scenario, ScenarioUpdate, Schedule, Started, Store, Trigger,
};
pub use action::HttpAnswer;
pub use scheduler::{OnCycle, Scheduler};

/// An `immediately` scenario processes at most this many events per
/// execution, whatever its max cycles (as the hosted products do).
pub const IMMEDIATE_MAX_CYCLES: u32 = 100;

/// An execution of this many cycles or more leaves its checkpoints to a
/// thread of their own (a checkpoint comes every ~100 cycles and takes
/// milliseconds: the next command would wait for it).
const CHECKPOINTS_ASIDE_FROM: u64 = 100;

/// Events an execution has out of the queue at most: the one whose action
/// runs and those taken ahead. A crash re-runs at most this many delivered
/// or run events whose outcome was not recorded yet (docs/reliability.md).
pub(crate) const WINDOW: u64 = 64;

/// How long a run waits, after a cycle ended, for more cycles to end and be
/// recorded in the same transaction.
const GATHER: Duration = Duration::from_millis(1);

/// The message of every failed read of a purged payload.
pub const PAYLOAD_GONE: &str = "Failed to read file from storage.";

/// What an execution reports of each cycle as it ends (for callers waiting
/// on one event's outcome).
pub struct CycleReport<'a> {
    pub event_id: i64,
    pub ok: bool,
    pub stdout: &'a [u8],
    pub error: Option<&'a str>,
    /// A delivery's answer, when one came (its body is `stdout`).
    pub http: Option<&'a HttpAnswer>,
    pub duration: Duration,
}

/// How an execution was asked for.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    pub trigger: Trigger,
    /// `--max-cycles` of `scenario run`, else the scenario's own limit.
    pub limit: Option<u32>,
    /// Run it even if the scenario is inactive (`scenario run --force`).
    pub force: bool,
}

/// The execution lease of a scenario, held by this process: taken once,
/// it may serve several executions in a row (a server's worker keeps it
/// while events keep coming, see `scheduler`), renewed as they run.
pub struct Lease {
    scenario_id: i64,
    /// When it was last taken or renewed.
    renewed: Instant,
    /// Another process took it over: it is no longer ours to use.
    lost: bool,
    /// The execution under way under it, once recorded.
    execution: Option<i64>,
}

impl Lease {
    /// Take the lease of `scenario` (SPEC §5, initialization). Busy (75)
    /// when another process holds it.
    pub fn acquire(store: &mut dyn Store, scenario: &Scenario) -> Result<Lease> {
        if !store.acquire_lease(scenario.id)? {
            return Err(
                Failure::busy(format!("scenario {:?} is already running", scenario.name))
                    .hint("one execution of a scenario at a time; try again when it ends")
                    .into(),
            );
        }
        Ok(Lease {
            scenario_id: scenario.id,
            renewed: Instant::now(),
            lost: false,
            execution: None,
        })
    }

    /// Whether another process took it over (it then stops being used).
    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// Renew it if it is due (every [`RENEW_EVERY`]): for a holder that
    /// waits between executions.
    pub fn keep(&mut self, store: &dyn Store) {
        renew(store, self.scenario_id, &mut self.renewed);
    }

    /// Give it back (a lease taken over by another process stays theirs).
    pub fn release(self, store: &dyn Store) -> Result<()> {
        store.release_lease(self.scenario_id)
    }
}

/// Run one execution of `scenario`, lease taken and given back. `stopping`
/// is asked between cycles: a shutdown finishes the cycle in progress and
/// no more. Exit-code errors: busy (75) when another process holds the
/// scenario's lease; refused (3) when the scenario was deactivated or
/// deleted before the lease was taken.
pub fn execute(
    store: &mut dyn Store,
    scenario: &Scenario,
    start: Start,
    clock: &Clock,
    stopping: &(dyn Fn() -> bool + Sync),
    on_cycle: &mut dyn FnMut(&CycleReport<'_>),
) -> Result<ExecutionRecord> {
    // Execution bookkeeping need not survive a power cut: delivery is at
    // least once, and a lost commit only means the event runs again. The
    // fsync that matters is the one acknowledging an event (FULL, in the
    // server).
    store.relax_durability()?;
    let mut lease = Lease::acquire(store, scenario)?;
    let result = execute_held(
        store, &mut lease, scenario, start, clock, stopping, on_cycle, None, None,
    );
    let released = lease.release(store);
    let record = result?;
    released?;
    Ok(record)
}

/// [`execute`] under a lease this process holds already; the lease is kept
/// (given back only if hookq panics). Call [`Session::relax_durability`](crate::store::Session::relax_durability) once
/// on `store` first. The commands run on `worker` if it follows the
/// scenario's chain (`--store-incomplete`), else on a thread of this
/// execution's own. With `started`, the execution is recorded already
/// (by [`ExecutionStore::start_immediately`](crate::store::ExecutionStore::start_immediately), with `scenario` as it was then).
#[allow(clippy::too_many_arguments)]
pub(crate) fn execute_held(
    store: &mut dyn Store,
    lease: &mut Lease,
    scenario: &Scenario,
    start: Start,
    clock: &Clock,
    stopping: &(dyn Fn() -> bool + Sync),
    on_cycle: &mut dyn FnMut(&CycleReport<'_>),
    worker: Option<&chain::Worker>,
    started: Option<Started>,
) -> Result<ExecutionRecord> {
    debug_assert_eq!(lease.scenario_id, scenario.id);
    let run = Run {
        start,
        clock,
        stopping,
        worker,
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if let Some(started) = started {
            return run_started(store, lease, scenario, started, run, on_cycle);
        }
        // As it is now that it is held: a `scenario edit --hook` (refused
        // from now on) may have moved it since the caller read it, and its
        // events must be taken from the hook that crash repair will see it on.
        match store.scenario_by_id(scenario.id)? {
            Some(current) if current.active || start.force => {
                cycles(store, lease, &current, run, on_cycle)
            }
            Some(_) => Err(Failure::refused(format!(
                "scenario {:?} was deactivated before it started",
                scenario.name
            ))
            .into()),
            None => {
                Err(Failure::refused(format!("scenario {:?} was deleted", scenario.name)).into())
            }
        }
    }));
    match result {
        Ok(result) => {
            lease.execution = None;
            result
        }
        Err(panic) => {
            // A bug of hookq's: the execution is recorded as failed and the
            // lease given back (the process goes on: a server). The error
            // policy applies, as for a failed command: a panic that comes
            // back with the same event would otherwise come back every second.
            // Its end may be recorded already, with its last cycle (the
            // panic came after, answering a caller): it failed all the same.
            let message = panic_message(panic.as_ref());
            if let Some(id) = lease.execution.take() {
                let _ = store.finish_execution(
                    id,
                    scenario.id,
                    ExecutionStatus::Error,
                    Some(&format!("hookq panicked: {message}")),
                    on_error(scenario),
                    clock.now(),
                );
            }
            let _ = store.release_lease(scenario.id);
            lease.lost = true;
            std::panic::resume_unwind(panic);
        }
    }
}

/// How an execution runs: what asked for it, and where its commands run.
struct Run<'a> {
    start: Start,
    clock: &'a Clock,
    stopping: &'a (dyn Fn() -> bool + Sync),
    worker: Option<&'a chain::Worker>,
}

fn cycles(
    store: &mut dyn Store,
    lease: &mut Lease,
    scenario: &Scenario,
    run: Run<'_>,
    on_cycle: &mut dyn FnMut(&CycleReport<'_>),
) -> Result<ExecutionRecord> {
    let Start { trigger, limit, .. } = run.start;
    let hook = store.hook(&scenario.hook)?;
    let limit = limit.unwrap_or(match scenario.settings.schedule {
        Schedule::Immediately => IMMEDIATE_MAX_CYCLES,
        _ => scenario.settings.max_cycles,
    });
    // Read before the execution is recorded: from then on, a failure is
    // recorded with it.
    let planned = store.queued_count(hook.id)?.min(u64::from(limit));
    let take = if (run.stopping)() { 0 } else { planned };
    // Recorded and its first events taken in one transaction.
    let now = run.clock.now();
    let (id, taken) = store.start_execution(scenario.id, trigger, now, hook.id, take)?;
    let started = Started {
        id,
        hook,
        planned,
        taken,
    };
    run_started(store, lease, scenario, started, run, on_cycle)
}

/// The cycles of an execution recorded already, and its end.
fn run_started(
    store: &mut dyn Store,
    lease: &mut Lease,
    scenario: &Scenario,
    Started {
        id,
        hook,
        planned,
        taken,
    }: Started,
    Run {
        clock,
        stopping,
        worker,
        ..
    }: Run<'_>,
    on_cycle: &mut dyn FnMut(&CycleReport<'_>),
) -> Result<ExecutionRecord> {
    lease.execution = Some(id);
    // A process that died while it waited for the target left it said.
    if scenario.waiting_since.is_some() {
        let _ = store.set_scenario_waiting(scenario.id, None);
    }
    let mut execution = Execution {
        id,
        scenario,
        planned,
        hook,
        clock,
        done: 0,
        first_error: None,
        renewed: lease.renewed,
        lease_lost: false,
        ended: false,
        waiting: false,
    };
    let ran = if !taken.is_empty() {
        let chain = chain::Chain {
            after_failure: scenario.settings.store_incomplete,
            stopping,
        };
        let long = execution.planned >= CHECKPOINTS_ASIDE_FROM;
        let run = |store: &mut dyn Store| match worker {
            Some(worker) if worker.after_failure() == chain.after_failure => {
                execution.run(store, taken, worker, on_cycle)
            }
            _ => chain::with_worker(&chain, |worker| {
                execution.run(store, taken, worker, on_cycle)
            }),
        };
        if long {
            // Called once: `run` moves the claimed events into the execution.
            let mut run = Some(run);
            store.during_long_execution(&mut |store| match run.take() {
                Some(run) => run(store),
                None => Ok(()),
            })
        } else {
            run(store)
        }
    } else {
        Ok(())
    };
    lease.renewed = execution.renewed;
    lease.lost |= execution.lease_lost;
    if let Err(error) = ran {
        // Something failed under the execution (the store: a full disk,
        // a lock held too long; or a thread that could not start):
        // record it as failed if the store lets us, rather than leave it
        // "running". Not the command's fault: no error policy. Its
        // claimed events go back to the queue when the lease is next
        // taken, or at the next open.
        let _ = store.finish_execution(
            execution.id,
            scenario.id,
            ExecutionStatus::Error,
            Some(&format!("{error:#}")),
            ScenarioUpdate::Unchanged,
            clock.now(),
        );
        return Err(error);
    }
    if execution.ended {
        return store.execution(execution.id);
    }
    if execution.lease_lost {
        // Not the command's fault: the error policy is left out of it.
        return store.finish_execution(
            execution.id,
            scenario.id,
            ExecutionStatus::Error,
            Some(&execution.lost(execution.done)),
            ScenarioUpdate::Unchanged,
            clock.now(),
        );
    }
    let (status, update) = match (execution.done, &execution.first_error) {
        (0, _) => (ExecutionStatus::Empty, ScenarioUpdate::Unchanged),
        (_, None) => (ExecutionStatus::Ok, ScenarioUpdate::ResetErrors),
        (_, Some(_)) => (ExecutionStatus::Error, on_error(scenario)),
    };
    store.finish_execution(
        execution.id,
        scenario.id,
        status,
        execution.first_error.as_deref(),
        update,
        clock.now(),
    )
}

/// An execution under way.
struct Execution<'a> {
    id: i64,
    scenario: &'a Scenario,
    hook: Hook,
    /// How many cycles at most: min(queued, limit).
    planned: u64,
    clock: &'a Clock,
    /// Cycles recorded so far.
    done: u64,
    first_error: Option<String>,
    /// When the lease was last renewed.
    renewed: Instant,
    /// Another process took the lease over: no cycle after the one that
    /// found out (and the one already started beside it).
    lease_lost: bool,
    /// Its end is recorded (with its last cycle).
    ended: bool,
    /// The scenario is marked as waiting for its forwarding target.
    waiting: bool,
}

impl<'a> Execution<'a> {
    /// The error of an execution that lost its lease after `done` cycles
    /// (not the command's fault: the error policy is left out of it).
    fn lost(&self, done: u64) -> String {
        let lost =
            format!("stopped after {done} cycles: another process took over the scenario's lease");
        match &self.first_error {
            Some(first) => format!("{first}; then {lost}"),
            None => lost,
        }
    }

    /// The cycles, as one chain of actions on `worker`. Up to [`WINDOW`]
    /// events are out of the queue at a time: the one whose action runs,
    /// and the next ones, taken ahead so that each action starts the moment
    /// the one before ends. Every cycle that ended while the last ones were
    /// recorded is recorded in one transaction, which takes as many events
    /// ahead as it recorded: a cycle costs its action, and the commit is
    /// shared (docs/benchmarks.md, "Forwarding throughput").
    fn run(
        &mut self,
        store: &mut dyn Store,
        taken: Vec<ClaimedEvent>,
        worker: &chain::Worker,
        on_cycle: &mut dyn FnMut(&CycleReport<'_>),
    ) -> Result<()> {
        let (scenario, clock) = (self.scenario, self.clock);
        // Events taken so far, and the cycles named to the worker whose end
        // is not recorded yet, oldest first (the first one runs).
        let mut count = 0;
        let mut flight: VecDeque<Cycle> = VecDeque::new();
        // The chain's end (`None`) is sent: no job follows the last in flight.
        let mut closed = false;
        let prompt = scenario.settings.schedule == Schedule::Immediately;
        self.name(worker, &mut flight, &mut count, taken)?;
        if flight.is_empty() {
            return Ok(()); // someone discarded them meanwhile
        }
        loop {
            // The worker needs the successor of each job before it tells
            // its end: name the chain's end if nothing more will follow (all
            // planned taken, the lease lost, or the queue ran dry: a commit
            // that could take events ahead takes at least one if any waits).
            if !closed && (flight.len() < 2 || count >= self.planned || self.lease_lost) {
                worker.then(None)?;
                closed = true;
            }
            let (renewed, waiting) = (&mut self.renewed, &mut self.waiting);
            let mut meanwhile = |meanwhile: chain::Meanwhile<'_>| match meanwhile {
                chain::Meanwhile::Tick => renew(store, scenario.id, renewed),
                chain::Meanwhile::Waiting(why) => {
                    wait_for_target(store, scenario, clock, why);
                    *waiting = true;
                }
            };
            // The first end waited for; then, unless it is an `immediately`
            // scenario's (a caller may wait for its commit), those that
            // come within GATHER of it, up to half a window: the commit's
            // cost shared by more cycles, and its CPU time not taken from
            // the actions beside it, while slow actions are recorded as
            // they end. The worker tells the last end in flight only once
            // it knows what follows.
            let wanted = match (prompt, closed) {
                (true, _) => 1,
                (false, true) => flight.len(),
                (false, false) => (WINDOW as usize / 2).min(flight.len() - 1).max(1),
            };
            let mut ends = vec![worker.wait(&mut meanwhile)?];
            let by = Instant::now() + GATHER;
            while ends.len() < wanted && ends[ends.len() - 1].next_started {
                match worker.ended_by(by, wanted - ends.len(), &mut meanwhile)? {
                    Some(ended) => ends.push(ended),
                    None => break,
                }
            }
            // And any that came meanwhile.
            while ends.len() < flight.len() && ends[ends.len() - 1].next_started {
                match worker.ended_by(Instant::now(), 1, &mut meanwhile)? {
                    Some(ended) => ends.push(ended),
                    None => break,
                }
            }
            if std::mem::take(&mut self.waiting) {
                // Best effort: it only tells `scenario list`.
                let _ = store.set_scenario_waiting(scenario.id, None);
            }
            let chain_over = !ends[ends.len() - 1].next_started;
            let mut ran: Vec<Cycle> = flight.drain(..ends.len()).collect();
            // Not started, or stopped before its action happened (a stop
            // while a delivery waited for its target to listen): back to
            // the queue as they were, no operation, no attempt counted.
            let mut release = Vec::new();
            if ends.last().is_some_and(|ended| ended.finished.interrupted) {
                ends.pop();
                release.extend(ran.pop().map(|cycle| cycle.event.id));
            }
            // Each started when the one before it ended.
            for i in 1..ran.len() {
                let before = ends[i - 1].finished.duration.as_millis() as Millis;
                ran[i].started_at = ran[i - 1].started_at + before;
            }
            if chain_over {
                release.extend(flight.drain(..).map(|cycle| cycle.event.id));
            }
            if chain_over && !closed {
                // The worker discards what was named after it stopped, up
                // to the chain's end.
                worker.then(None)?;
                closed = true;
            }
            if let Some(running) = flight.front_mut() {
                running.started_at = clock.now();
            }
            let mut cycles = Vec::with_capacity(ends.len());
            for (cycle, ended) in ran.iter().zip(&ends) {
                let finished = &ended.finished;
                let end = match (finished.ok(), scenario.settings.store_incomplete) {
                    (true, _) => CycleEnd::Done,
                    (false, true) => CycleEnd::Incomplete,
                    (false, false) => CycleEnd::Queued, // rolled back; the chain ended
                };
                if let Some(error) = &finished.error {
                    self.first_error
                        .get_or_insert_with(|| format!("event {}: {error}", cycle.event.id));
                }
                cycles.push((
                    end,
                    NewOperation {
                        execution_id: self.id,
                        event_id: cycle.event.id,
                        hook_id: self.hook.id,
                        scenario: &scenario.name,
                        ok: finished.ok(),
                        exit_code: finished.exit_code,
                        started_at: cycle.started_at,
                        duration_ms: finished.duration.as_millis() as i64,
                        error: finished.error.as_deref(),
                        stdout: finished.kept_stdout(),
                        stderr: &finished.stderr,
                        http: finished
                            .http
                            .as_ref()
                            .map(|answer| (answer.status, &answer.headers[..])),
                    },
                ));
            }
            // As many taken ahead as there are free places in the window.
            let room = WINDOW.saturating_sub(flight.len() as u64);
            let ahead = Ahead {
                release: &release,
                take_from: (!closed && count < self.planned).then_some(self.hook.id),
                take: room.min(self.planned - count.min(self.planned)),
            };
            // The last cycles record the end of the execution with them: the
            // caller answered after this commit has nothing to wait for,
            // and the next event's commit no lock to wait for.
            let done = self.done + ends.len() as u64;
            let lost = self.lost(done);
            let last = chain_over.then(|| {
                let (status, update) = match (&self.first_error, self.lease_lost) {
                    (_, true) => (ExecutionStatus::Error, ScenarioUpdate::Unchanged),
                    (None, false) => (ExecutionStatus::Ok, ScenarioUpdate::ResetErrors),
                    (Some(_), false) => (ExecutionStatus::Error, on_error(scenario)),
                };
                ExecutionEnd {
                    execution_id: self.id,
                    status,
                    error: if self.lease_lost {
                        Some(&lost)
                    } else {
                        self.first_error.as_deref()
                    },
                    update,
                    lost: &lost,
                    now: clock.now(),
                }
            });
            let committed = store.finish_cycles(scenario.id, &cycles, ahead, last.as_ref())?;
            drop(cycles);
            if !committed.lease_held && !self.lease_lost {
                // The events named ahead are the new holder's: none starts.
                worker.halt();
            }
            self.lease_lost |= !committed.lease_held;
            self.ended = last.is_some();
            self.done = done;
            if !closed {
                self.name(worker, &mut flight, &mut count, committed.ahead)?;
            }
            // A cycle whose commit was fenced off has no outcome to tell:
            // its event is the new holder's, and will run again. (Nor has an
            // interrupted one, released above: its caller is answered as the
            // shutdown answers those whose cycle never came.)
            for (cycle, ended) in ran.iter().zip(&ends) {
                let finished = &ended.finished;
                if committed.lease_held {
                    on_cycle(&CycleReport {
                        event_id: cycle.event.id,
                        ok: finished.ok(),
                        stdout: &finished.stdout,
                        error: finished.error.as_deref(),
                        http: finished.http.as_deref(),
                        duration: finished.duration,
                    });
                }
            }
            renew(store, scenario.id, &mut self.renewed);
            if chain_over {
                return Ok(());
            }
        }
    }

    /// Name `events` to the worker, after the cycles in flight.
    fn name(
        &self,
        worker: &chain::Worker,
        flight: &mut VecDeque<Cycle>,
        count: &mut u64,
        events: Vec<ClaimedEvent>,
    ) -> Result<()> {
        for event in events {
            *count += 1;
            let mut cycle = Cycle::new(event, *count, self.clock);
            let job = cycle.job(self.scenario, &self.hook);
            if flight.is_empty() && *count == self.planned {
                // The execution's only cycle.
                worker.start_alone(job)?;
            } else if flight.is_empty() {
                worker.start(job)?;
            } else {
                worker.then(Some(job))?;
            }
            flight.push_back(cycle);
        }
        Ok(())
    }
}

/// One cycle: its number in the execution and its event.
struct Cycle {
    number: u64,
    event: ClaimedEvent,
    /// When its command started (set when it does).
    started_at: Millis,
}

impl Cycle {
    fn new(event: ClaimedEvent, number: u64, clock: &Clock) -> Cycle {
        Cycle {
            number,
            event,
            started_at: clock.now(),
        }
    }

    /// The action of this cycle, with the event's body (taken out).
    fn job<'a>(&'a mut self, scenario: &'a Scenario, hook: &Hook) -> action::Job<'a> {
        let Some(body) = self.event.body.take() else {
            return action::Job::NotRun(PAYLOAD_GONE);
        };
        if let Some(forward) = &scenario.settings.forward {
            let event = &self.event;
            return action::Job::Deliver(deliver::Delivery {
                forward,
                event_id: event.id,
                attempt: event.attempt,
                method: &event.method,
                query: &event.query,
                headers: &event.headers,
                remote_addr: event.remote_addr.as_deref(),
                body,
                answer: scenario.settings.respond.is_some(),
            });
        }
        action::Job::Run(command::Invocation {
            command: &scenario.settings.command,
            env: environment(&self.event, &hook.name, &scenario.name, self.number),
            stdin: input(
                scenario.settings.input,
                &self.event,
                body,
                hook.settings.json_passthrough,
            ),
            timeout: scenario.settings.timeout.std(),
            answer: scenario.settings.respond,
        })
    }
}

/// What a panic said, when it said it with a string.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// The error policy: an `immediately` scenario is switched off at its first
/// failed execution; a scheduled or on-demand one after `max_errors`
/// consecutive failed executions.
fn on_error(scenario: &Scenario) -> ScenarioUpdate {
    let errors = scenario.consecutive_errors + 1;
    match scenario.settings.schedule {
        Schedule::Immediately => ScenarioUpdate::Deactivate,
        _ if errors >= scenario.settings.max_errors => ScenarioUpdate::Deactivate,
        _ => ScenarioUpdate::CountError,
    }
}

/// The delivery under way found its target not listening: said in the
/// log and in `scenario list` (SPEC §10); no error is counted.
fn wait_for_target(store: &dyn Store, scenario: &Scenario, clock: &Clock, why: &str) {
    // Masked: the log is read over shoulders and pasted into issues.
    let url = scenario
        .settings
        .forward
        .as_ref()
        .map_or_else(String::new, |forward| crate::verify::mask_url(&forward.url));
    crate::output::note(format_args!(
        "{} scenario {}: waiting for {url} ({why})",
        clock::format(clock.now()),
        scenario.name
    ));
    let _ = store.set_scenario_waiting(scenario.id, Some(clock.now()));
}

const RENEW_EVERY: Duration = Duration::from_secs(10);

fn renew(store: &dyn Store, scenario_id: i64, renewed: &mut Instant) {
    if renewed.elapsed() >= RENEW_EVERY {
        // A failed renewal is retried at the next tick; the lease lasts 60 s.
        // A lease found lost (`Ok(false)`) stops the execution at its next
        // commit, which is fenced on it.
        if store.renew_lease(scenario_id).is_ok() {
            *renewed = Instant::now();
        }
    }
}

/// The `HOOKQ_*` variables: the event's metadata, never spliced into a
/// command line.
fn environment(
    event: &ClaimedEvent,
    hook: &str,
    scenario: &str,
    cycle: u64,
) -> Vec<(&'static str, String)> {
    vec![
        ("HOOKQ_EVENT_ID", event.id.to_string()),
        ("HOOKQ_HOOK", hook.to_owned()),
        ("HOOKQ_SCENARIO", scenario.to_owned()),
        ("HOOKQ_METHOD", event.method.clone()),
        ("HOOKQ_QUERY", event.query.clone()),
        (
            "HOOKQ_CONTENT_TYPE",
            event.content_type.clone().unwrap_or_default(),
        ),
        (
            "HOOKQ_HEADERS",
            serde_json::Value::Object(bundle::headers_object(&event.headers)).to_string(),
        ),
        ("HOOKQ_RECEIVED_AT", clock::format(event.received_at)),
        ("HOOKQ_ATTEMPT", event.attempt.to_string()),
        ("HOOKQ_CYCLE", cycle.to_string()),
    ]
}

/// What the command reads on stdin.
fn input(input: Input, event: &ClaimedEvent, body: Vec<u8>, json_passthrough: bool) -> Vec<u8> {
    match input {
        Input::Raw => body,
        Input::Bundle => bundle::to_json(
            &bundle::Request {
                event_id: event.id,
                method: &event.method,
                query: &event.query,
                headers: &event.headers,
                content_type: event.content_type.as_deref(),
                received_at: event.received_at,
                body: &body,
                json_passthrough,
            },
            bundle::Layout::Compact,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Access, Location, ScenarioSettings};
    use crate::units;

    fn scenario(schedule: Schedule, consecutive_errors: u32, max_errors: u32) -> Scenario {
        let mut settings = ScenarioSettings::new(vec!["true".into()]);
        settings.schedule = schedule;
        settings.max_errors = max_errors;
        Scenario {
            id: 1,
            name: "s".into(),
            hook_id: 1,
            hook: "h".into(),
            settings,
            active: true,
            inactive_since: None,
            consecutive_errors,
            created_at: 0,
            last_run_at: None,
            waiting_since: None,
        }
    }

    #[test]
    fn immediately_is_switched_off_at_the_first_error() {
        assert_eq!(
            on_error(&scenario(Schedule::Immediately, 0, 3)),
            ScenarioUpdate::Deactivate
        );
    }

    #[test]
    fn scheduled_ones_after_max_errors_consecutive_failures() {
        let every = Schedule::Every(units::Duration(60_000));
        assert_eq!(on_error(&scenario(every, 0, 3)), ScenarioUpdate::CountError);
        assert_eq!(on_error(&scenario(every, 1, 3)), ScenarioUpdate::CountError);
        assert_eq!(on_error(&scenario(every, 2, 3)), ScenarioUpdate::Deactivate);
        assert_eq!(
            on_error(&scenario(Schedule::OnDemand, 0, 1)),
            ScenarioUpdate::Deactivate
        );
    }

    /// A store with hook "h" and its active scenario "s" running `true`.
    fn with_scenario(schedule: Schedule) -> (tempfile::TempDir, Box<dyn Store>, Scenario) {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::Sqlite(dir.path().join("h.db"));
        let mut store = crate::store::open(&location, Access::Create).unwrap();
        let hook = store
            .create_hook("h", &crate::store::HookSettings::default(), 0)
            .unwrap();
        let mut settings = ScenarioSettings::new(vec!["true".into()]);
        settings.schedule = schedule;
        let scenario = store
            .create_scenario("s", hook.id, &settings, true, 0)
            .unwrap();
        (dir, store, scenario)
    }

    /// The scenario as it is once the lease is held decides: one switched
    /// off between the caller's look and the lease does not run, unless
    /// forced (`scenario run --force`).
    #[test]
    fn an_inactive_scenario_runs_only_when_forced() {
        let (_dir, mut store, looked) = with_scenario(Schedule::Immediately);
        store.set_scenario_active(looked.id, false, 0).unwrap();
        let clock = Clock::from_env().unwrap();
        let mut run = |force| {
            let start = Start {
                trigger: Trigger::Manual,
                limit: None,
                force,
            };
            execute(&mut *store, &looked, start, &clock, &|| false, &mut |_| {})
        };
        let refused = run(false).unwrap_err();
        assert_eq!(crate::error::code_of(&refused), crate::error::Code::Refused);
        assert_eq!(run(true).unwrap().status, Some(ExecutionStatus::Empty));
        assert!(
            store.acquire_lease(looked.id).unwrap(),
            "the lease was given back"
        );
    }

    /// A panic in an execution (a bug of hookq's): the execution is
    /// recorded as failed, the error policy applies, the lease is free.
    #[test]
    fn a_panic_is_recorded_and_gives_the_lease_back() {
        let (_dir, mut store, s) = with_scenario(Schedule::OnDemand);
        let event = crate::store::NewEvent::sample(s.hook_id, 0, b"x");
        store.enqueue(&[event], &[]).unwrap();
        let clock = Clock::from_env().unwrap();
        let start = Start {
            trigger: Trigger::Manual,
            limit: None,
            force: false,
        };
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            execute(&mut *store, &s, start, &clock, &|| false, &mut |_| {
                panic!("boom")
            })
        }));
        assert!(panicked.is_err());
        let run = &store.executions(s.id, 1).unwrap()[0];
        assert_eq!(run.status, Some(ExecutionStatus::Error));
        assert_eq!(run.error.as_deref(), Some("hookq panicked: boom"));
        assert_eq!(store.scenario("s").unwrap().consecutive_errors, 1);
        assert!(
            store.acquire_lease(s.id).unwrap(),
            "the lease was given back"
        );
    }
}
