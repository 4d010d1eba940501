//! The group-commit writer: one thread owns the write connection, takes
//! every event waiting at that moment, and commits them in one transaction
//! (one fsync). A request is answered only once its batch is durable.
//! Right after the commit, before the flush to disk and before answering,
//! it wakes the scenarios that process the batch's events: an answered
//! webhook's cycle starts while the disk writes its event, without waiting
//! for its request thread to be scheduled first.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use anyhow::Result;

use super::metrics::Metrics;
use super::waiters::{CycleOutcome, Waiters};
use super::Wake;
use crate::store::{Enqueued, Lingering, NewEvent, RefusalCount, Store, Unreachable};

/// Most events in one transaction: bounds the time a batch holds the lock.
const MAX_BATCH: usize = 512;

pub type Outcome = Result<Enqueued, Failed>;

/// Why an event was not stored (the caller answers 503).
#[derive(Debug)]
pub struct Failed {
    pub message: String,
    /// The store was unreachable: [`Outage`] logged it once already, so
    /// the caller does not log it again.
    pub outage: bool,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Failed {
    fn stopped() -> Failed {
        Failed {
            message: "the writer has stopped".to_owned(),
            outage: false,
        }
    }
}

/// The server's log during an outage of its store (PostgreSQL restarted,
/// failed over, cut off): one line when it becomes unreachable, whichever
/// of the server's connections (the writer, the refresher, the registry's
/// lookup) sees it first, and one when it is back with how long it lasted,
/// at the writer's first commit since, rather than a line per failed
/// batch, request and reload. Only a commit ends it: during a shutdown,
/// a connection PostgreSQL has not cut yet still answers a reload, and the
/// outage would be logged twice. Errors that are not
/// an outage (SQLite's full disk, a replaced file, a constraint) are
/// logged by their callers each time, as before: they do not end by
/// themselves, and each refused request is worth a line.
#[derive(Default)]
pub struct Outage {
    since: Mutex<Option<(Instant, String)>>,
}

impl Outage {
    /// An operation failed with `error`: whether it is the outage's (logged
    /// here, once), so that the caller does not log it.
    pub fn failed(&self, error: &anyhow::Error) -> bool {
        if !Unreachable::is(error) {
            return false;
        }
        let mut since = self.since.lock().unwrap_or_else(|e| e.into_inner());
        if since.is_none() {
            let now = crate::clock::format(crate::clock::system_now());
            crate::output::note(format_args!(
                "{now} error: the store is unreachable, every event is refused (503) until it is \
                 back: {error:#}"
            ));
            *since = Some((Instant::now(), now));
        }
        true
    }

    /// A batch was committed: the end of an outage, if one was under way.
    pub fn succeeded(&self) {
        let mut since = self.since.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, from)) = since.take() {
            crate::output::note(format_args!(
                "{} the store is back after {:.1} s (unreachable since {from})",
                crate::clock::format(crate::clock::system_now()),
                at.elapsed().as_secs_f64()
            ));
        }
    }
}

pub enum Job {
    /// Store this event and answer on `reply` once committed (or not).
    Event {
        event: Box<NewEvent>,
        reply: SyncSender<Outcome>,
        /// The caller waits for the event's cycle: registered before commit.
        wait: Option<SyncSender<CycleOutcome>>,
        /// The hook has an `immediately` scenario: wake it once committed.
        wake: bool,
    },
    /// Refused requests were counted in [`Writer::refused`]: store the
    /// counts. Sent once per batch at most, however many were refused.
    Refusals,
}

/// Jobs gathered for one transaction.
#[derive(Default)]
struct Batch {
    events: Vec<NewEvent>,
    replies: Vec<SyncSender<Outcome>>,
    waits: Vec<Option<SyncSender<CycleOutcome>>>,
    wakes: Vec<bool>,
}

impl Batch {
    fn push(&mut self, job: Job) {
        match job {
            Job::Event {
                event,
                reply,
                wait,
                wake,
            } => {
                self.events.push(*event);
                self.replies.push(reply);
                self.waits.push(wait);
                self.wakes.push(wake);
            }
            Job::Refusals => {}
        }
    }

    fn clear(&mut self) {
        self.events.clear();
        self.replies.clear();
        self.waits.clear();
        self.wakes.clear();
    }
}

/// The writer's state, whoever holds it (a batch that panicked left it
/// as it was: the next one goes on).
fn lock(state: &Mutex<Thread>) -> std::sync::MutexGuard<'_, Thread> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Refused requests not yet stored.
#[derive(Default)]
struct Refusals {
    /// (hook id, HTTP status) → how many.
    counts: HashMap<(i64, u16), u64>,
    /// A [`Job::Refusals`] is on its way: the writer will take `counts`.
    woken: bool,
}

/// A handle to submit jobs; the thread ends when every handle is dropped.
#[derive(Clone)]
pub struct Writer {
    jobs: Sender<Job>,
    /// The writer's state, taken by whoever commits a batch: the writer
    /// thread, or a caller that finds nothing waiting and nobody committing
    /// and commits its own event (see [`Writer::store`]).
    state: Arc<Mutex<Thread>>,
    /// Events sent to the writer thread and not yet committed.
    pending: Arc<AtomicUsize>,
    /// Counted here rather than sent one job each: a flood of refused
    /// requests while the writer waits (a lock held by another process)
    /// costs a map entry per hook and status, not a job per request.
    refusals: Arc<Mutex<Refusals>>,
}

/// What the writer thread owns.
struct Thread {
    refusals: Arc<Mutex<Refusals>>,
    store: Box<dyn Store>,
    metrics: Arc<Metrics>,
    waiters: Arc<Waiters>,
    /// Wakes the scenario of a hook whose events were committed.
    scenarios: Option<Arc<dyn Wake>>,
    /// Set once the database file is no longer at its path: why every
    /// event is refused from then on.
    lost: Option<String>,
    outage: Arc<Outage>,
}

impl Writer {
    pub fn start(
        store: Box<dyn Store>,
        metrics: Arc<Metrics>,
        waiters: Arc<Waiters>,
        scenarios: Option<Arc<dyn Wake>>,
        outage: Arc<Outage>,
    ) -> (Writer, JoinHandle<()>) {
        let (jobs, queue) = mpsc::channel();
        let refusals = Arc::<Mutex<Refusals>>::default();
        let mut thread = Thread {
            refusals: refusals.clone(),
            store,
            metrics,
            waiters,
            scenarios,
            lost: None,
            outage,
        };
        thread.prepare();
        let state = Arc::new(Mutex::new(thread));
        let pending = Arc::<AtomicUsize>::default();
        let (owned, counted) = (state.clone(), pending.clone());
        let thread = thread::Builder::new()
            .name("hookq-writer".into())
            .spawn(move || Thread::run(&owned, &queue, &counted))
            .expect("spawn writer thread");
        let writer = Writer {
            jobs,
            state,
            pending,
            refusals,
        };
        (writer, thread)
    }

    /// Store an event; blocks until its transaction has committed or failed.
    /// With `wait`, the caller is registered to hear of the event's cycle;
    /// with `wake`, the hook's scenario is woken once it is committed.
    pub fn store(
        &self,
        event: NewEvent,
        wait: Option<SyncSender<CycleOutcome>>,
        wake: bool,
    ) -> Outcome {
        let (reply, answer) = mpsc::sync_channel(1);
        let job = Job::Event {
            event: Box::new(event),
            reply,
            wait,
            wake,
        };
        // Nothing waits and nobody commits (a sender posting one event
        // after the other): committed here, on the caller's thread, rather
        // than after the writer thread's wake-up. Otherwise the writer
        // thread gathers it with the others (group commit); a caller never
        // jumps ahead of events sent before it.
        let idle = self.pending.load(Ordering::SeqCst) == 0;
        match self.state.try_lock() {
            Ok(mut state) if idle => {
                let mut batch = Batch::default();
                batch.push(job);
                state.commit(&mut batch);
            }
            _ => {
                self.pending.fetch_add(1, Ordering::SeqCst);
                if self.jobs.send(job).is_err() {
                    self.pending.fetch_sub(1, Ordering::SeqCst);
                    return Err(Failed::stopped());
                }
            }
        }
        answer.recv().unwrap_or_else(|_| Err(Failed::stopped()))
    }

    /// Count a refused request for a hook (status); stored with the next
    /// batch.
    pub fn refused(&self, hook_id: i64, status: u16) {
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        *refusals.counts.entry((hook_id, status)).or_default() += 1;
        let wake = !std::mem::replace(&mut refusals.woken, true);
        drop(refusals);
        if wake {
            let _ = self.jobs.send(Job::Refusals);
        }
    }
}

impl Thread {
    /// The files as they are now, before the first batch (another process
    /// could recreate a deleted WAL before then), and commits split in two.
    fn prepare(&mut self) {
        let _ = self.still_in_place();
        // Each batch is flushed by `sync` in `commit`. Should this fail,
        // commits stay durable when they return, and `sync` flushes
        // nothing new.
        let _ = self.store.defer_sync();
    }

    /// The writer thread: block for the first job, then take whatever else
    /// is already waiting, and commit them as one batch.
    fn run(state: &Mutex<Thread>, queue: &Receiver<Job>, pending: &AtomicUsize) {
        let mut batch = Batch::default();
        while let Ok(first) = queue.recv() {
            batch.push(first);
            while batch.events.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let events = batch.events.len();
            lock(state).commit(&mut batch);
            pending.fetch_sub(events, Ordering::SeqCst);
        }
        // Every handle is gone: store what was refused since the last batch.
        let mut state = lock(state);
        let counts = state.take_refusals();
        if !counts.is_empty() && state.lost.is_none() {
            let _ = state.store.enqueue(&[], &counts);
        }
    }

    /// Commit a batch (with the refusals counted so far), wake its
    /// scenarios, flush it, and answer its callers.
    fn commit(&mut self, batch: &mut Batch) {
        let Batch {
            events,
            replies,
            waits,
            wakes,
        } = batch;
        let counts = self.take_refusals();
        if events.is_empty() && counts.is_empty() {
            return; // woken for refusals an earlier batch stored
        }
        let mut registered = Vec::new();
        let waiters = &self.waiters;
        let mut register = |outcomes: &[Enqueued]| {
            for ((outcome, wait), event) in outcomes.iter().zip(waits.iter_mut()).zip(&*events) {
                if let (&Enqueued::Stored(id), Some(answer)) = (outcome, wait.take()) {
                    if waiters.register(id, event.hook_id, answer) {
                        registered.push(id);
                    }
                }
            }
        };
        // Their idle workers start their next execution with the batch.
        let scenarios = self.scenarios.clone();
        let mut held = Held::new(scenarios.as_deref(), events, wakes);
        let committed = match &self.lost {
            Some(why) => Err(anyhow::anyhow!("{why}")),
            // Checked after the commit, before anyone hears of it: a
            // file deleted during the batch is caught too.
            None => self
                .store
                .enqueue_starting(events, &counts, &held.lingering, &mut register)
                .and_then(|done| self.still_in_place().map(|()| done)),
        };
        // Woken between the commit and its flush: the scenarios start
        // their commands while the disk writes the batch if its events'
        // ids were reserved on disk before it (a power cut then gives no
        // id a command saw to another event), else once it is written
        // (`held` dropped: `Wake::synced`). No caller hears of it before
        // the flush (a failed one answers 503, though the batch is in the
        // store).
        let durable = committed.and_then(|batch| {
            held.hand(batch.started);
            if batch.ids_reserved {
                held.synced();
            }
            self.wake(events, wakes, &batch.outcomes);
            self.store.sync().map(|()| batch.outcomes)
        });
        drop(held);
        match durable {
            Ok(outcomes) => {
                self.outage.succeeded();
                if !events.is_empty() {
                    self.metrics.batch_size.observe(events.len() as f64);
                }
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(err) => {
                for id in registered {
                    self.waiters.cancel(id);
                }
                // Nothing of the batch is stored: every caller gets the
                // error (503). Refusal counts are kept for the next batch
                // (the next refusal, or the last flush, stores them).
                let mut kept = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
                for (hook, status, n) in counts {
                    *kept.counts.entry((hook, status)).or_default() += n;
                }
                drop(kept);
                let message = format!("{err:#}");
                let outage = self.outage.failed(&err);
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(Failed {
                        message: message.clone(),
                        outage,
                    }));
                }
            }
        }
        batch.clear();
    }

    /// Wake the scenario of each hook that had an event stored, once per
    /// hook however many.
    fn wake(&self, events: &[NewEvent], wakes: &[bool], outcomes: &[Enqueued]) {
        let Some(scenarios) = &self.scenarios else {
            return;
        };
        let mut woken = Vec::new();
        for ((event, &wake), outcome) in events.iter().zip(wakes).zip(outcomes) {
            if wake && matches!(outcome, Enqueued::Stored(_)) && !woken.contains(&event.hook_id) {
                woken.push(event.hook_id);
                scenarios.notify(event.hook_id);
            }
        }
    }

    /// Whether the store is still the one other processes read (SQLite: the
    /// file and its WAL at its path); if not, says so once, loudly, and
    /// refuses every event from then on (a file deleted stays deleted: what
    /// this process would store is lost).
    fn still_in_place(&mut self) -> Result<()> {
        if let Err(e) = self.store.still_in_place() {
            let why = format!("{e:#}; every event is refused (503) until the server is restarted");
            crate::output::note(format_args!(
                "{} ALERT: {why}",
                crate::clock::format(crate::clock::system_now())
            ));
            self.lost = Some(why.clone());
            anyhow::bail!(why);
        }
        Ok(())
    }

    /// The refusal counts to store with this batch; the next refusal wakes
    /// the writer again.
    fn take_refusals(&self) -> Vec<RefusalCount> {
        let mut refusals = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        refusals.woken = false;
        refusals
            .counts
            .drain()
            .map(|((hook, status), n)| (hook, status, n))
            .collect()
    }
}

/// The workers held for a batch ([`Wake::hold`]): each is handed its next
/// execution once the batch is committed, or nothing if it is not, and
/// told when it is on disk ([`Wake::synced`]) once this is dropped after
/// the flush (also when the writer panics: a held worker waits for both).
struct Held<'a> {
    scenarios: Option<&'a dyn Wake>,
    lingering: Vec<Lingering>,
    /// An execution was handed over: tell [`Wake::synced`] on drop.
    handed: bool,
}

impl<'a> Held<'a> {
    fn new(scenarios: Option<&'a dyn Wake>, events: &[NewEvent], wakes: &[bool]) -> Held<'a> {
        let mut hooks: Vec<i64> = events
            .iter()
            .zip(wakes)
            .filter(|(_, &wake)| wake)
            .map(|(event, _)| event.hook_id)
            .collect();
        hooks.sort_unstable();
        hooks.dedup();
        let lingering = match scenarios {
            Some(scenarios) if !hooks.is_empty() => scenarios.hold(&hooks),
            _ => Vec::new(),
        };
        Held {
            scenarios,
            lingering,
            handed: false,
        }
    }

    /// Hand each its execution, in the order of [`Held::lingering`].
    fn hand(&mut self, started: Vec<Option<(crate::store::Scenario, crate::store::Started)>>) {
        let Some(scenarios) = self.scenarios else {
            return;
        };
        for (lingering, started) in self.lingering.drain(..).zip(started) {
            self.handed |= started.is_some();
            scenarios.hand(lingering.scenario_id, started);
        }
    }

    /// The executions handed over may start their commands.
    fn synced(&mut self) {
        if let Some(scenarios) = self.scenarios.filter(|_| self.handed) {
            scenarios.synced();
        }
        self.handed = false;
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(scenarios) = self.scenarios {
            for lingering in self.lingering.drain(..) {
                scenarios.hand(lingering.scenario_id, None);
            }
        }
        self.synced();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::store::{
        self, Access, EventState, HookSettings, Location, Scenario, ScenarioSettings, Started,
    };

    /// The scheduler as the writer sees it: what it was told, and which
    /// scenarios it has waiting (held once each).
    #[derive(Default)]
    struct Told {
        waiting: Mutex<Vec<Lingering>>,
        /// A store's view, taken when a hook's scenario is woken: the
        /// event is visible by then.
        look: Mutex<Option<Box<dyn Store>>>,
        woken: Mutex<Vec<(i64, u64)>>,
        /// (scenario, the first event of the execution handed to it).
        handed: Mutex<Vec<(i64, Option<i64>)>>,
        /// How many times it heard that handed executions may start.
        synced: Mutex<usize>,
    }

    impl Wake for Told {
        fn hold(&self, hook_ids: &[i64]) -> Vec<Lingering> {
            let mut waiting = self.waiting.lock().unwrap();
            let (held, kept) = waiting
                .drain(..)
                .partition(|l| hook_ids.contains(&l.hook_id));
            *waiting = kept;
            held
        }

        fn hand(&self, scenario_id: i64, started: Option<(Scenario, Started)>) {
            let first = started.and_then(|(_, s)| s.taken.first().map(|e| e.id));
            self.handed.lock().unwrap().push((scenario_id, first));
        }

        fn synced(&self) {
            *self.synced.lock().unwrap() += 1;
        }

        fn notify(&self, hook_id: i64) {
            let look = self.look.lock().unwrap();
            let queued = look.as_ref().unwrap().queued_count(hook_id).unwrap();
            self.woken.lock().unwrap().push((hook_id, queued));
        }
    }

    /// A writer on `store` that tells `Told` (which looks at `path`).
    fn start(store: Box<dyn Store>, path: &Location) -> (Arc<Told>, Writer, JoinHandle<()>) {
        let told = Arc::new(Told::default());
        *told.look.lock().unwrap() = Some(store::open(path, Access::Create).unwrap());
        let metrics = Arc::new(Metrics::new());
        let (writer, thread) = Writer::start(
            store,
            metrics,
            Arc::default(),
            Some(told.clone()),
            Arc::default(),
        );
        (told, writer, thread)
    }

    /// The scenario of a hook is woken by the writer itself once the event
    /// is committed (another connection sees it then), and only for a hook
    /// that has an `immediately` scenario and an event actually stored.
    #[test]
    fn scenarios_are_woken_once_their_events_are_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = Location::Sqlite(dir.path().join("h.db"));
        let mut store = store::open(&path, Access::Create).unwrap();
        let full = HookSettings {
            queue_limit: 0,
            ..HookSettings::default()
        };
        let runs = store
            .create_hook("runs", &HookSettings::default(), 0)
            .unwrap();
        let other = store
            .create_hook("other", &HookSettings::default(), 0)
            .unwrap();
        let full = store.create_hook("full", &full, 0).unwrap();
        let (told, writer, thread) = start(store, &path);
        let send = |hook_id, wake| writer.store(NewEvent::sample(hook_id, 0, b"x"), None, wake);
        assert!(matches!(send(runs.id, true), Ok(Enqueued::Stored(_))));
        assert!(matches!(send(other.id, false), Ok(Enqueued::Stored(_))));
        assert!(matches!(send(full.id, true), Ok(Enqueued::QueueFull)));
        assert_eq!(*told.woken.lock().unwrap(), [(runs.id, 1)]);
        // The thread ends once every handle is gone.
        drop(writer);
        thread.join().unwrap();
    }

    /// A worker waiting for an event of its hook is handed the execution
    /// the batch started for it, its event taken (`running`) in the same
    /// transaction; and handed nothing when the batch fails, rather than
    /// left waiting for a hand-off that never comes.
    #[test]
    fn a_waiting_worker_is_handed_its_execution_or_nothing_if_the_batch_fails() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h.db");
        let path = Location::Sqlite(file.clone());
        let mut store = store::open(&path, Access::Create).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        let settings = ScenarioSettings::new(vec!["true".to_owned()]);
        let scenario = store
            .create_scenario("s", hook.id, &settings, true, 0)
            .unwrap();
        let look = store::open(&path, Access::Create).unwrap();
        let lingering = Lingering {
            scenario_id: scenario.id,
            hook_id: hook.id,
            now: 0,
            limit: 1,
        };
        let (told, writer, thread) = start(store, &path);
        told.waiting.lock().unwrap().push(lingering);
        let stored = writer.store(NewEvent::sample(hook.id, 0, b"x"), None, true);
        let Ok(Enqueued::Stored(id)) = stored else {
            panic!("{stored:?}")
        };
        assert_eq!(*told.handed.lock().unwrap(), [(scenario.id, Some(id))]);
        assert_eq!(*told.synced.lock().unwrap(), 1, "told once flushed");
        assert_eq!(look.event(id).unwrap().state, EventState::Running);
        // The file is gone: the batch fails, the worker is let go.
        told.waiting.lock().unwrap().push(lingering);
        std::fs::remove_file(&file).unwrap();
        let stored = writer.store(NewEvent::sample(hook.id, 0, b"y"), None, true);
        assert!(stored.is_err(), "{stored:?}");
        assert_eq!(
            *told.handed.lock().unwrap(),
            [(scenario.id, Some(id)), (scenario.id, None)]
        );
        assert_eq!(
            *told.synced.lock().unwrap(),
            1,
            "nothing handed: nothing to tell"
        );
        drop(writer);
        thread.join().unwrap();
    }

    /// Callers commit their own event when nothing waits and nobody
    /// commits, and hand it to the writer thread otherwise: under senders
    /// at once, every event is stored once and answered, each sender's
    /// in the order it sent them, and nothing is left counted as pending.
    #[test]
    fn concurrent_senders_are_all_stored_in_order_by_one_path_or_the_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = Location::Sqlite(dir.path().join("h.db"));
        let mut store = store::open(&path, Access::Create).unwrap();
        let hook = store.create_hook("h", &HookSettings::default(), 0).unwrap();
        let (_told, writer, thread) = start(store, &path);
        let ids: Vec<Vec<i64>> = std::thread::scope(|scope| {
            let senders: Vec<_> = (0..8)
                .map(|_| {
                    let writer = writer.clone();
                    scope.spawn(move || {
                        (0..200)
                            .map(|_| {
                                match writer.store(NewEvent::sample(hook.id, 0, b"x"), None, false)
                                {
                                    Ok(Enqueued::Stored(id)) => id,
                                    other => panic!("{other:?}"),
                                }
                            })
                            .collect()
                    })
                })
                .collect();
            senders.into_iter().map(|s| s.join().unwrap()).collect()
        });
        for sent in &ids {
            assert!(sent.windows(2).all(|w| w[0] < w[1]), "in order: {sent:?}");
        }
        let mut all: Vec<i64> = ids.concat();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 1600);
        let look = store::open(&path, Access::Create).unwrap();
        assert_eq!(look.queued_count(hook.id).unwrap(), 1600);
        assert_eq!(writer.pending.load(Ordering::SeqCst), 0);
        drop(writer);
        thread.join().unwrap();
    }
}
