//! The server's scheduler: starts executions of `immediately` scenarios as
//! soon as events wait, and of interval scenarios on their schedule. One
//! worker thread per running scenario, so different scenarios run in
//! parallel and one scenario never runs two executions at once.
//!
//! The worker of an `immediately` scenario outlives its executions: it
//! keeps its database connection, its command thread and the scenario's
//! lease, and waits up to
//! [`LINGER`] for the next event, which the server hands it directly. A
//! caller answered by the scenario (`--respond`) then pays for its own
//! cycle only, not for a thread, a connection and a lease per event.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::{chain, execute, execute_held, spawn, CycleReport, Lease, Start, IMMEDIATE_MAX_CYCLES};
use crate::clock::{self, Clock, Millis};
use crate::error::{code_of, Code};
use crate::shutdown::Shutdown;
use crate::store::{
    self, Access, ExecutionRecord, ExecutionStatus, Lingering, Location, Scenario, Schedule,
    Started, Store, Trigger,
};

/// How often the scheduler looks at the store when nothing woke it: events
/// added by other processes, activations and schedules are seen this late.
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// How long a scenario is left alone after its worker could not run it:
/// another process held it (a cron `scenario run`, a second server), or an
/// error (disk full, too many open files). Without this pause the server
/// would try again at once, and again, burning a core for as long as that
/// lasts.
const RETRY_LATER: Duration = Duration::from_secs(1);

/// How long the worker of an `immediately` scenario waits for the next
/// event after an execution, still holding the scenario's lease: meanwhile
/// a `scenario run` of it from another process is refused as busy (75).
pub const LINGER: Duration = Duration::from_millis(500);

/// How long a lingering worker waits for the next event before it flushes
/// its execution's relaxed commits to disk ([`Session::sync`]): far longer
/// than a sender that posts one event after the other leaves between them
/// (a fraction of a millisecond), so that its next event does not find the
/// worker flushing; short beside [`LINGER`].
///
/// [`Session::sync`]: crate::store::Session::sync
const FLUSH_AFTER: Duration = Duration::from_millis(20);

/// Called at the end of every cycle the scheduler's executions run.
pub type OnCycle = Arc<dyn Fn(&CycleReport<'_>) + Send + Sync>;

/// Handle for the server: wake the scheduler when an event arrived.
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    db: Location,
    clock: Clock,
    shutdown: Arc<Shutdown>,
    on_cycle: OnCycle,
    /// Set when the server committed an event: look now, not in 500 ms.
    woken: Mutex<bool>,
    wake: Condvar,
    /// Scenarios with a worker in this process → that worker.
    running: Mutex<HashMap<i64, Worker>>,
    /// Wakes the workers waiting for an event ([`LINGER`]).
    poke: Condvar,
    /// [`LINGER`], but for tests.
    linger: Duration,
    /// Scenarios left alone for now (see [`RETRY_LATER`]).
    resting: Mutex<Resting>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Scheduler {
    pub fn start(
        db: &Location,
        clock: Clock,
        shutdown: Arc<Shutdown>,
        on_cycle: OnCycle,
    ) -> Result<(Scheduler, JoinHandle<()>)> {
        let store = store::open(db, Access::Create)?;
        let scheduler = Scheduler::new(db, clock, shutdown, on_cycle);
        let looper = scheduler.clone();
        let thread = thread::Builder::new()
            .name("hookq-scheduler".into())
            .spawn(move || looper.run(store))?;
        Ok((scheduler, thread))
    }

    fn new(db: &Location, clock: Clock, shutdown: Arc<Shutdown>, on_cycle: OnCycle) -> Scheduler {
        Scheduler {
            inner: Arc::new(Inner {
                db: db.clone(),
                clock,
                shutdown,
                on_cycle,
                woken: Mutex::new(false),
                wake: Condvar::new(),
                running: Mutex::default(),
                poke: Condvar::new(),
                linger: LINGER,
                resting: Mutex::default(),
                workers: Mutex::default(),
            }),
        }
    }

    /// An event was committed for this hook. A worker that has the hook's
    /// scenario is poked: one waiting for an event runs it at once, one
    /// running looks at the queue again after its execution, and the
    /// scheduler is woken when a worker ends (so an event that comes just
    /// after its last look is not missed). Under a steady flow of webhooks
    /// this spares the scheduler a scan of every scenario per event (7% of
    /// a core at 14,000 req/s).
    pub fn notify(&self, hook_id: i64) {
        if self.poke(hook_id) {
            return;
        }
        *self.inner.woken.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.inner.wake.notify_one();
    }

    /// Poke the worker of this hook's scenario; false if there is none.
    fn poke(&self, hook_id: i64) -> bool {
        let mut running = self.running();
        let Some(worker) = running.values_mut().find(|w| w.hook_id == hook_id) else {
            return false;
        };
        worker.poked = true;
        let waiting = worker.waiting;
        drop(running);
        if waiting {
            self.inner.poke.notify_all();
        }
        true
    }

    /// The server's writer is about to store events of these hooks: the
    /// workers waiting for one are held until [`Scheduler::hand`], so that
    /// the writer can start their next execution in the same transaction
    /// (the worker then starts its command without one of its own, and
    /// does not give its lease up meanwhile). Each as the store needs it.
    pub fn hold(&self, hook_ids: &[i64]) -> Vec<Lingering> {
        let now = self.inner.clock.now();
        let mut running = self.running();
        let mut held = Vec::new();
        for (&scenario_id, worker) in running.iter_mut() {
            if worker.waiting && !worker.held && hook_ids.contains(&worker.hook_id) {
                worker.held = true;
                held.push(Lingering {
                    scenario_id,
                    hook_id: worker.hook_id,
                    now,
                    limit: IMMEDIATE_MAX_CYCLES,
                });
            }
        }
        held
    }

    /// A held worker's next execution (`None`: it looks at the queue
    /// itself, as when poked); it goes on, up to its command's start,
    /// which waits for [`Scheduler::synced`].
    pub fn hand(&self, scenario_id: i64, started: Option<(Scenario, Started)>) {
        let mut running = self.running();
        let Some(worker) = running.get_mut(&scenario_id) else {
            return;
        };
        worker.held = false;
        worker.poked = true;
        worker.unsynced = started.is_some();
        worker.handed = started;
        drop(running);
        self.inner.poke.notify_all();
    }

    /// The batch whose executions were handed over is on disk: their
    /// commands may start. Not before: a command must never see an event
    /// (its id, `HOOKQ_EVENT_ID`) that a power cut could take back, and
    /// give to another event.
    pub fn synced(&self) {
        let mut running = self.running();
        for worker in running.values_mut() {
            worker.unsynced = false;
        }
        drop(running);
        self.inner.poke.notify_all();
    }

    /// Wait until the execution handed to this worker may start its command.
    fn until_synced(&self, scenario_id: i64) {
        let running = self.running();
        let _running = self
            .inner
            .poke
            .wait_while(running, |running| {
                running.get(&scenario_id).is_some_and(|w| w.unsynced)
            })
            .unwrap_or_else(|e| e.into_inner());
    }

    /// Whether a worker runs the scenario of this hook right now (one
    /// waiting for an event runs nothing).
    pub fn runs_hook(&self, hook_id: i64) -> bool {
        self.running()
            .values()
            .any(|w| w.hook_id == hook_id && !w.waiting)
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Worker>> {
        self.inner.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wake the loop and the waiting workers so they see the shutdown.
    pub fn stop(&self) {
        self.inner.shutdown.stop();
        *self.inner.woken.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.inner.wake.notify_one();
        // Under the lock: a worker between its look at the shutdown and
        // its wait would miss the wake-up.
        let running = self.running();
        self.inner.poke.notify_all();
        drop(running);
    }

    fn run(&self, store: Box<dyn Store>) {
        loop {
            self.wait();
            if self.inner.shutdown.is_stopped() {
                break;
            }
            match self.start_due(&*store, Instant::now()) {
                // The server's log says it once (server/writer.rs,
                // `Outage`), not this loop at each tick.
                Err(e) if crate::store::Unreachable::is(&e) => {}
                Err(e) => log(&self.inner.clock, &format!("scheduler: {e:#}")),
                Ok(_) => {}
            }
        }
        // Shutdown: each worker finishes the cycle in progress and stops.
        let workers =
            std::mem::take(&mut *self.inner.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in workers {
            let _ = worker.join();
        }
    }

    fn wait(&self) {
        let woken = self.inner.woken.lock().unwrap_or_else(|e| e.into_inner());
        let (mut woken, _) = self
            .inner
            .wake
            .wait_timeout_while(woken, LOOK_EVERY, |woken| {
                !*woken && !self.inner.shutdown.is_stopped()
            })
            .unwrap_or_else(|e| e.into_inner());
        *woken = false;
    }

    /// Start a worker for every active scenario that has work and none yet,
    /// and is not resting at `instant`.
    fn start_due(&self, store: &dyn Store, instant: Instant) -> Result<()> {
        if self.inner.shutdown.is_stopped() {
            return Ok(());
        }
        let now = self.inner.clock.now();
        let later = self
            .inner
            .resting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .at(instant);
        for scenario in store.scenarios()? {
            let trigger = match scenario.settings.schedule {
                _ if !scenario.active || later.contains(&scenario.id) => continue,
                Schedule::OnDemand => continue,
                Schedule::Immediately => {
                    if store.queued_count(scenario.hook_id)? == 0 {
                        continue;
                    }
                    Trigger::Immediately
                }
                Schedule::Every(every) => {
                    if !interval_due(scenario.last_run_at, every.millis(), now) {
                        continue;
                    }
                    Trigger::Schedule
                }
            };
            match self.running().entry(scenario.id) {
                // A worker is on it. One waiting for an event is told of
                // these, which another process added (`hooks send`,
                // `replay`): no poke came for them.
                Entry::Occupied(mut worker) => {
                    let worker = worker.get_mut();
                    if worker.waiting && trigger == Trigger::Immediately {
                        worker.poked = true;
                        self.inner.poke.notify_all();
                    }
                    continue;
                }
                Entry::Vacant(free) => free.insert(Worker {
                    hook_id: scenario.hook_id,
                    ..Worker::default()
                }),
            };
            let (id, name) = (scenario.id, scenario.name.clone());
            let worker = self.clone();
            let started = thread::Builder::new()
                .name(format!("hookq-run-{id}"))
                .spawn(move || {
                    // A panic must not leave the scenario marked as running
                    // here (nothing would start it again until a restart):
                    // it rests like a scenario that could not run.
                    let work = std::panic::AssertUnwindSafe(|| worker.work(scenario, trigger));
                    let done = std::panic::catch_unwind(work).unwrap_or(Done::NotRun);
                    worker.ended(id, done);
                    // An event may have come between the worker's last look
                    // at the queue and now, its wake-up skipped because this
                    // worker still ran: look again at once.
                    worker.notify(0);
                });
            match started {
                Ok(handle) => {
                    let mut workers = self.inner.workers.lock().unwrap_or_else(|e| e.into_inner());
                    workers.retain(|w| !w.is_finished());
                    workers.push(handle);
                }
                // Too many threads for now: the others may still start.
                Err(e) => {
                    log(&self.inner.clock, &format!("scenario {name}: {e}"));
                    self.ended(id, Done::NotRun);
                }
            }
        }
        Ok(())
    }

    /// A worker's turn at a scenario is over (or never began).
    fn ended(&self, scenario_id: i64, done: Done) {
        self.inner
            .resting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .ended(scenario_id, done, Instant::now());
        self.running().remove(&scenario_id);
    }

    /// Run executions of one scenario: an `immediately` one runs again at
    /// once while events wait, and waits for more (see [`LINGER`]).
    fn work(&self, scenario: Scenario, trigger: Trigger) -> Done {
        let clock = self.inner.clock;
        // Never creates: a database deleted under the server is not
        // replaced by an empty one at its path.
        let mut store = match store::open(&self.inner.db, Access::Write) {
            Ok(store) => store,
            Err(e) => {
                log(&clock, &format!("scenario {}: {e:#}", scenario.name));
                return Done::NotRun;
            }
        };
        if trigger != Trigger::Immediately {
            let shutdown = self.inner.shutdown.clone();
            let start = Start {
                trigger,
                limit: None,
                force: false,
            };
            let result = execute(
                &mut *store,
                &scenario,
                start,
                &clock,
                &move || shutdown.is_stopped(),
                &mut |cycle: &CycleReport<'_>| (self.inner.on_cycle)(cycle),
            );
            return self.outcome(&scenario, result);
        }
        let lease = store
            .relax_durability()
            .and_then(|()| Lease::acquire(&mut *store, &scenario));
        let mut lease = match lease {
            Ok(lease) => lease,
            Err(e) => return self.outcome(&scenario, Err(e)),
        };
        // Its commands run on one thread for as long as it works.
        let shutdown = self.inner.shutdown.clone();
        let stopping = move || shutdown.is_stopped();
        let chain = chain::Chain {
            after_failure: scenario.settings.store_incomplete,
            stopping: &stopping,
        };
        let name = scenario.name.clone();
        let done = chain::with_worker(&chain, |worker| {
            Ok(self.immediately(&mut *store, &mut lease, scenario, worker))
        })
        .unwrap_or_else(|e| {
            log(&clock, &format!("scenario {name}: {e:#}"));
            Done::NotRun
        });
        // Given back before this worker is counted out: a worker started
        // for the next event must find it free.
        if let Err(e) = lease.release(&*store) {
            log(&clock, &format!("could not give a lease back: {e:#}"));
        }
        done
    }

    /// The executions of an `immediately` scenario under its lease, until
    /// no event came for [`LINGER`], the scenario changed, or a stop.
    fn immediately(
        &self,
        store: &mut dyn Store,
        lease: &mut Lease,
        mut scenario: Scenario,
        worker: &chain::Worker,
    ) -> Done {
        let clock = self.inner.clock;
        let shutdown = self.inner.shutdown.clone();
        let stopping = move || shutdown.is_stopped();
        let mut started = None;
        loop {
            // Events committed from now on poke this worker again.
            self.unpoke(scenario.id);
            let start = Start {
                trigger: Trigger::Immediately,
                limit: None,
                force: false,
            };
            let result = execute_held(
                store,
                lease,
                &scenario,
                start,
                &clock,
                &stopping,
                &mut |cycle: &CycleReport<'_>| (self.inner.on_cycle)(cycle),
                Some(worker),
                started.take(),
            );
            if self.outcome(&scenario, result) == Done::NotRun {
                return Done::NotRun;
            }
            // Look again: still active, still `immediately`, on the same
            // hook (the one this worker is known to run), and events
            // waiting? If none wait, wait for one.
            let (mut idle, mut flushed) = (false, false);
            loop {
                if stopping() || lease.is_lost() {
                    return Done::Ran;
                }
                match store.scenario_by_id(scenario.id) {
                    Ok(Some(fresh))
                        if fresh.active
                            && fresh.settings.schedule == Schedule::Immediately
                            && fresh.hook_id == scenario.hook_id =>
                    {
                        scenario = fresh;
                    }
                    _ => return Done::Ran,
                }
                if store.queued_count(scenario.hook_id).unwrap_or(0) > 0 {
                    // Events came while it ran.
                    if let Some((fresh, execution)) = start_next(store, &scenario, &clock) {
                        scenario = fresh;
                        started = Some(execution);
                    }
                    break;
                }
                lease.keep(store);
                if !idle {
                    // Idle now: what the next command's start needs, bar
                    // its event, is made now rather than when the event comes.
                    if scenario.settings.forward.is_none() {
                        spawn::prepare_spare(&scenario.settings.command);
                    }
                    idle = true;
                }
                let linger = self.inner.linger;
                let soon = FLUSH_AFTER.min(linger);
                let lingered = match self.linger(scenario.id, soon) {
                    Lingered::Quiet => {
                        // Quiet for a moment: the execution's relaxed
                        // commits go to disk now rather than inside the
                        // flush of the next event's batch, which its caller
                        // may wait for. Not at once: a sender that posts
                        // again at once would find this worker busy
                        // flushing. A failure changes nothing: that flush
                        // writes them as before.
                        if !flushed {
                            let _ = store.sync();
                            flushed = true;
                        }
                        self.linger(scenario.id, linger - soon)
                    }
                    woken => woken,
                };
                match lingered {
                    Lingered::Quiet => return Done::Ran,
                    // Started with its event by the writer: run it, even
                    // during a stop (which puts its events back).
                    Lingered::Handed(handed) => {
                        // Woken while the disk writes its event: what is
                        // left of the wake-up overlaps that.
                        self.until_synced(scenario.id);
                        let (fresh, execution) = *handed;
                        scenario = fresh;
                        started = Some(execution);
                        break;
                    }
                    Lingered::Poked => {}
                }
                // Told of an event: look and start in one transaction, or
                // else the long way round (this loop again).
                if stopping() {
                    continue;
                }
                if let Some((fresh, execution)) = start_next(store, &scenario, &clock) {
                    scenario = fresh;
                    started = Some(execution);
                    break;
                }
            }
        }
    }

    /// What an execution's result means for its worker, logged.
    fn outcome(&self, scenario: &Scenario, result: Result<ExecutionRecord>) -> Done {
        let clock = &self.inner.clock;
        match result {
            Ok(record) if record.status == Some(ExecutionStatus::Error) => {
                log(
                    clock,
                    &format!(
                        "scenario {}: execution {} failed: {}",
                        scenario.name,
                        record.id,
                        record.error.unwrap_or_default()
                    ),
                );
                Done::Ran
            }
            Ok(_) => Done::Ran,
            // Another process runs it (a cron `scenario run`): its turn.
            Err(e) if code_of(&e) == Code::Busy => Done::NotRun,
            Err(e) => {
                log(clock, &format!("scenario {}: {e:#}", scenario.name));
                Done::NotRun
            }
        }
    }

    /// Forget the pokes so far: the worker is about to look at the queue.
    fn unpoke(&self, scenario_id: i64) {
        if let Some(worker) = self.running().get_mut(&scenario_id) {
            worker.poked = false;
        }
    }

    /// Wait up to `timeout` for an event of the worker's hook, and past it
    /// while the writer holds the worker ([`Scheduler::hold`]).
    fn linger(&self, scenario_id: i64, timeout: Duration) -> Lingered {
        let mut running = self.running();
        let Some(worker) = running.get_mut(&scenario_id) else {
            return Lingered::Quiet;
        };
        worker.waiting = true;
        let stopped = || self.inner.shutdown.is_stopped();
        let (running, _) = self
            .inner
            .poke
            .wait_timeout_while(running, timeout, |running| {
                running
                    .get(&scenario_id)
                    .is_some_and(|w| w.held || (!w.poked && !stopped()))
            })
            .unwrap_or_else(|e| e.into_inner());
        // Held since: the writer hands it its execution (or nothing) soon.
        let mut running = self
            .inner
            .poke
            .wait_while(running, |running| {
                running.get(&scenario_id).is_some_and(|w| w.held)
            })
            .unwrap_or_else(|e| e.into_inner());
        let Some(worker) = running.get_mut(&scenario_id) else {
            return Lingered::Quiet;
        };
        worker.waiting = false;
        // Forgotten as it looks again: a poke from now on is a new event.
        let poked = std::mem::take(&mut worker.poked);
        match worker.handed.take() {
            Some(handed) => Lingered::Handed(Box::new(handed)),
            None if poked && !stopped() => Lingered::Poked,
            None => Lingered::Quiet,
        }
    }
}

/// How a worker's wait for an event ended.
enum Lingered {
    /// No event came (or the server is stopping).
    Quiet,
    /// An event came: the worker looks at the queue.
    Poked,
    /// The writer started its next execution with the event.
    Handed(Box<(Scenario, Started)>),
}

/// A worker of the scheduler, as the others see it.
#[derive(Debug, Default)]
struct Worker {
    /// The hook its scenario reads.
    hook_id: i64,
    /// An event of its hook was committed since it last looked at the queue.
    poked: bool,
    /// It waits for an event ([`LINGER`]) and runs nothing meanwhile.
    waiting: bool,
    /// The server's writer is storing an event of its hook and may start
    /// its next execution with it ([`Scheduler::hold`]): it waits for that,
    /// however long its linger.
    held: bool,
    /// Its next execution, started by the writer ([`Scheduler::hand`]).
    handed: Option<(Scenario, Started)>,
    /// That execution's events are committed, not yet on disk
    /// ([`Scheduler::synced`]).
    unsynced: bool,
}

/// The next execution of an `immediately` scenario its worker holds, looked
/// at and started in one transaction ([`ExecutionStore::start_immediately`]);
/// `None` if there is nothing to start or it failed: the worker then goes
/// the long way round, which reports a failure.
///
/// [`ExecutionStore::start_immediately`]: crate::store::ExecutionStore::start_immediately
fn start_next(
    store: &mut dyn Store,
    scenario: &Scenario,
    clock: &Clock,
) -> Option<(Scenario, Started)> {
    let (id, hook_id) = (scenario.id, scenario.hook_id);
    store
        .start_immediately(id, hook_id, clock.now(), IMMEDIATE_MAX_CYCLES)
        .ok()
        .flatten()
}

/// Whether an interval scenario last run at `last` is due at `now`. A last
/// run in the future (the clock was set back, or a `scenario run` had
/// `HOOKQ_NOW` ahead) cannot be trusted: due now, rather than silent until
/// real time catches up with it.
fn interval_due(last: Option<Millis>, every: Millis, now: Millis) -> bool {
    match last {
        None => true,
        Some(last) if last > now => true,
        Some(last) => now - last >= every,
    }
}

/// How a worker's turn at a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    /// Its executions ran; look again whenever woken.
    Ran,
    /// It could not run (held elsewhere, or an error): leave it alone for
    /// [`RETRY_LATER`].
    NotRun,
}

/// The scenarios the scheduler leaves alone for now: those a worker could
/// not run, until [`RETRY_LATER`] has passed.
#[derive(Debug, Default)]
struct Resting(HashMap<i64, Instant>);

impl Resting {
    /// A worker's turn at a scenario ended at `now`.
    fn ended(&mut self, scenario_id: i64, done: Done, now: Instant) {
        if done == Done::NotRun {
            self.0.insert(scenario_id, now + RETRY_LATER);
        }
    }

    /// The scenarios to leave alone at `now`; the others are forgotten.
    fn at(&mut self, now: Instant) -> HashSet<i64> {
        self.0.retain(|_, until| *until > now);
        self.0.keys().copied().collect()
    }
}

fn log(clock: &Clock, message: &str) {
    crate::output::note(format_args!("{} {message}", clock::format(clock.now())));
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::{interval_due, Done, Resting, Scheduler, RETRY_LATER};
    use crate::clock::{self, Clock};
    use crate::shutdown::Shutdown;
    use crate::store::{
        self, Access, Enqueued, EventState, HookSettings, Location, NewEvent, ScenarioSettings,
        Store,
    };

    #[test]
    fn an_interval_scenario_is_due_once_its_interval_has_passed() {
        let hour = 3_600_000;
        assert!(interval_due(None, hour, 0), "never run");
        assert!(!interval_due(Some(0), hour, hour - 1));
        assert!(interval_due(Some(0), hour, hour));
        // A last run in the future: the clock went back. Due, not silent
        // for as long as the clock was off.
        assert!(interval_due(Some(10 * hour), hour, hour));
    }

    /// A scenario another process runs (a cron `scenario run`) is not
    /// tried again at once, over and over: that was a whole core for as
    /// long as the other run lasted.
    #[test]
    fn a_scenario_that_could_not_run_is_left_alone_for_a_while() {
        let t0 = Instant::now();
        let mut resting = Resting::default();
        resting.ended(1, Done::NotRun, t0);
        resting.ended(2, Done::Ran, t0);
        assert_eq!(resting.at(t0), HashSet::from([1]));
        let almost = RETRY_LATER - Duration::from_millis(1);
        assert_eq!(resting.at(t0 + almost), HashSet::from([1]));
        assert_eq!(resting.at(t0 + RETRY_LATER), HashSet::new());
        // Its rest over, it is tried again; a second refusal, a second rest.
        resting.ended(1, Done::NotRun, t0 + RETRY_LATER);
        assert_eq!(resting.at(t0 + RETRY_LATER + almost), HashSet::from([1]));
    }

    /// How many workers `start_due` started at `instant`, once they ended.
    fn workers_started(scheduler: &Scheduler, store: &dyn Store, instant: Instant) -> usize {
        scheduler.start_due(store, instant).unwrap();
        let workers = std::mem::take(&mut *scheduler.inner.workers.lock().unwrap());
        let started = workers.len();
        for worker in workers {
            worker.join().unwrap();
        }
        started
    }

    #[test]
    fn the_scheduler_leaves_a_scenario_another_process_runs_alone_for_a_while() {
        let dir = tempfile::tempdir().unwrap();
        let db = Location::Sqlite(dir.path().join("h.db"));
        let mut store = store::open(&db, Access::Create).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        let settings = ScenarioSettings::new(vec!["true".to_owned()]);
        let scenario = store
            .create_scenario("s", hook.id, &settings, true, 0)
            .unwrap();
        let event = NewEvent::sample(hook.id, 0, b"x");
        let stored = store.enqueue(&[event], &[]).unwrap();
        assert!(matches!(stored[..], [Enqueued::Stored(_)]));
        // A live process (init) holds the scenario: a cron `scenario run`.
        store::execute_for_test(
            &db,
            &format!(
                "INSERT INTO leases (scenario_id, pid, expires_at) VALUES ({}, 1, {})",
                scenario.id,
                clock::system_now() + 3_600_000
            ),
        );
        let scheduler = Scheduler::new(
            &db,
            Clock::fixed(0),
            Arc::new(Shutdown::default()),
            Arc::new(|_| {}),
        );
        let before = Instant::now();
        assert_eq!(workers_started(&scheduler, &*store, before), 1, "tried");
        // The worker found it busy: not tried again on the next wake-ups.
        assert_eq!(workers_started(&scheduler, &*store, before), 0);
        let ended = Instant::now();
        assert_eq!(workers_started(&scheduler, &*store, ended), 0);
        // Tried again once the rest is over: the event still waits.
        let rested = ended + RETRY_LATER;
        assert_eq!(workers_started(&scheduler, &*store, rested), 1);
        assert_eq!(store.queued_count(hook.id).unwrap(), 1);
    }

    /// Waits up to 20 s for `check`.
    fn eventually(what: &str, mut check: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !check() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A store in `dir` with hook `h`, its `immediately` scenario (`true`),
    /// and a scheduler whose workers wait for the next event until a stop,
    /// however slow the machine.
    fn immediately(
        dir: &tempfile::TempDir,
    ) -> (Box<dyn Store>, store::Hook, store::Scenario, Scheduler) {
        let db = Location::Sqlite(dir.path().join("h.db"));
        let mut store = store::open(&db, Access::Create).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        let settings = ScenarioSettings::new(vec!["true".to_owned()]);
        let scenario = store
            .create_scenario("s", hook.id, &settings, true, 0)
            .unwrap();
        let mut scheduler = Scheduler::new(
            &db,
            Clock::fixed(0),
            Arc::new(Shutdown::default()),
            Arc::new(|_| {}),
        );
        Arc::get_mut(&mut scheduler.inner).unwrap().linger = Duration::from_secs(3600);
        (store, hook, scenario, scheduler)
    }

    /// The worker of an `immediately` scenario waits for the next event
    /// with its lease held, runs it when poked (no scheduler scan, no new
    /// thread), or when the scheduler finds events another process added,
    /// records each execution as before, and gives the lease back at a
    /// stop, however long it would have waited.
    #[test]
    fn a_worker_waits_for_the_next_event_and_gives_its_lease_back_at_a_stop() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, hook, scenario, scheduler) = immediately(&dir);
        let waiting = |scheduler: &Scheduler| {
            scheduler
                .running()
                .get(&scenario.id)
                .is_some_and(|w| w.waiting)
        };
        let finished = |store: &dyn Store| {
            let runs = store.executions(scenario.id, 10).unwrap();
            runs.iter().all(|r| r.finished_at.is_some()).then_some(runs)
        };
        store
            .enqueue(&[NewEvent::sample(hook.id, 0, b"1")], &[])
            .unwrap();
        scheduler.start_due(&*store, Instant::now()).unwrap();
        eventually("the worker to wait for the next event", || {
            waiting(&scheduler)
        });
        assert!(
            !store.acquire_lease(scenario.id).unwrap(),
            "the waiting worker holds the lease"
        );
        store
            .enqueue(&[NewEvent::sample(hook.id, 0, b"2")], &[])
            .unwrap();
        scheduler.notify(hook.id);
        eventually("the second event's execution", || {
            store.queued_count(hook.id).unwrap() == 0
                && finished(&*store).is_some_and(|runs| runs.len() == 2)
                && waiting(&scheduler)
        });
        let runs = finished(&*store).unwrap();
        for run in &runs {
            assert_eq!(
                (run.trigger, run.cycles, run.status),
                (
                    super::Trigger::Immediately,
                    1,
                    Some(super::ExecutionStatus::Ok)
                )
            );
        }
        // An event another process added: no poke, but the scheduler's
        // look (every 500 ms) tells the waiting worker.
        store
            .enqueue(&[NewEvent::sample(hook.id, 0, b"3")], &[])
            .unwrap();
        scheduler.start_due(&*store, Instant::now()).unwrap();
        eventually("the third event's execution", || {
            store.queued_count(hook.id).unwrap() == 0
                && finished(&*store).is_some_and(|runs| runs.len() == 3)
        });
        assert_eq!(scheduler.inner.workers.lock().unwrap().len(), 1);
        scheduler.stop();
        let workers = std::mem::take(&mut *scheduler.inner.workers.lock().unwrap());
        let (joined, join) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for worker in workers {
                worker.join().unwrap();
            }
            joined.send(()).unwrap();
        });
        join.recv_timeout(Duration::from_secs(20))
            .expect("the waiting worker saw the stop");
        assert!(
            store.acquire_lease(scenario.id).unwrap(),
            "the lease was given back"
        );
    }

    /// The server's writer starts the next execution of a waiting worker
    /// in the transaction that stores its event (its events are `running`
    /// once committed), and the worker runs that one: no execution of its
    /// own, none left unfinished, and its command only once the writer has
    /// the event on disk. A worker held once is not held twice.
    #[test]
    fn a_waiting_worker_runs_the_execution_the_writer_started_with_its_event() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, hook, scenario, scheduler) = immediately(&dir);
        let other = store.create_hook("o", &HookSettings::default(), 0).unwrap();
        store
            .enqueue(&[NewEvent::sample(hook.id, 0, b"1")], &[])
            .unwrap();
        scheduler.start_due(&*store, Instant::now()).unwrap();
        let waiting = || {
            scheduler
                .running()
                .get(&scenario.id)
                .is_some_and(|w| w.waiting)
        };
        eventually("the worker to wait for the next event", waiting);
        assert!(scheduler.hold(&[other.id]).is_empty(), "not its hook");
        let held = scheduler.hold(&[other.id, hook.id]);
        assert_eq!(
            held.iter()
                .map(|l| (l.scenario_id, l.hook_id))
                .collect::<Vec<_>>(),
            [(scenario.id, hook.id)]
        );
        assert!(scheduler.hold(&[hook.id]).is_empty(), "held once");
        let mut batch = store
            .enqueue_starting(
                &[NewEvent::sample(hook.id, 0, b"2")],
                &[],
                &held,
                &mut |_| {},
            )
            .unwrap();
        let [Enqueued::Stored(id)] = batch.outcomes[..] else {
            panic!("{batch:?}")
        };
        assert!(!batch.ids_reserved, "the first: its ids reserved with it");
        assert_eq!(store.event(id).unwrap().state, EventState::Running);
        scheduler.hand(scenario.id, batch.started.pop().unwrap());
        // Taken, but its command waits until the event is on disk: for as
        // long as it is not, the event stays as the writer left it.
        eventually("the worker to take its execution", || {
            scheduler
                .running()
                .get(&scenario.id)
                .is_some_and(|w| w.handed.is_none())
        });
        let watch = Instant::now() + Duration::from_millis(500);
        while Instant::now() < watch {
            assert_eq!(store.event(id).unwrap().state, EventState::Running);
            std::thread::sleep(Duration::from_millis(10));
        }
        scheduler.synced();
        eventually("the second event's execution", || {
            let runs = store.executions(scenario.id, 10).unwrap();
            store.event(id).unwrap().state == EventState::Done
                && runs.len() == 2
                && runs.iter().all(|r| r.finished_at.is_some())
        });
        scheduler.stop();
        for worker in std::mem::take(&mut *scheduler.inner.workers.lock().unwrap()) {
            worker.join().unwrap();
        }
    }

    /// A worker held by the writer waits for its hand-off past the end of
    /// its linger: gone, it would leave the execution the writer started
    /// for it `running` with nobody to run it, its lease given back.
    #[test]
    fn a_held_worker_waits_for_its_hand_off_however_short_its_linger() {
        let dir = tempfile::tempdir().unwrap();
        let db = Location::Sqlite(dir.path().join("h.db"));
        let scheduler = Scheduler::new(
            &db,
            Clock::fixed(0),
            Arc::new(Shutdown::default()),
            Arc::new(|_| {}),
        );
        // As `hold` leaves a waiting worker.
        scheduler.running().insert(
            7,
            super::Worker {
                hook_id: 1,
                held: true,
                ..super::Worker::default()
            },
        );
        let lingering = {
            let scheduler = scheduler.clone();
            std::thread::spawn(move || scheduler.linger(7, Duration::ZERO))
        };
        // Seen waiting only if it waits (the lock released) rather than
        // returning at once with its linger over.
        eventually("the worker to wait for its hand-off", || {
            scheduler.running().get(&7).is_some_and(|w| w.waiting)
        });
        scheduler.hand(7, None);
        assert!(matches!(lingering.join().unwrap(), super::Lingered::Poked));
    }
}
