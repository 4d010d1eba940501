//! The chain protocol between an execution and its worker thread.
//!
//! A cycle's action (a command, see `action`) runs on a thread of its own,
//! the [`Worker`], in a chain: the execution names each action's successor
//! while it runs, and the worker starts that successor the moment the
//! action ends (if it may). The execution records cycle N while the action
//! of cycle N+1 already runs, so a cycle costs the action and little else.
//! Neither thread waits for the other between two actions: were the store's
//! thread to start them, or to tell this one when, each would wait for a
//! commit or a wake-up (docs/benchmarks.md, "Scenario throughput"). The
//! execution may name several successors ahead (a window of events taken
//! in one transaction): the worker runs them in turn, and when a chain
//! stops early (a failure, a shutdown, [`Worker::halt`]) it starts none of
//! the rest and discards them, up to the chain's end (`None`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};

use super::action::{self, Finished, Job, Ready};
use super::command;
use super::deliver::{Around, Seat};

/// An action's end, and whether the worker started the next one.
#[derive(Debug)]
pub struct Ended {
    pub finished: Finished,
    pub next_started: bool,
}

/// When the worker goes on to the next action of a chain.
pub struct Chain<'s> {
    /// After a failed command too (`--store-incomplete`).
    pub after_failure: bool,
    /// Asked before each next command: a shutdown ends the chain.
    pub stopping: &'s (dyn Fn() -> bool + Sync),
}

/// What the execution sends the worker.
enum Sent {
    /// A chain's first action, started on the execution's thread: a
    /// caller waiting for an `immediately` cycle does not wait for the
    /// worker's wake-up before its command starts.
    First(Result<action::Running, Finished>),
    /// What follows the action under way: the next one, or the chain's end.
    Then(Option<Ready>),
}

/// What the worker tells the execution.
enum Report {
    Ended(Ended),
    /// The delivery under way found its target not listening, and waits.
    Waiting(String),
}

impl Report {
    /// An end after which the chain goes on: what a drain is made of.
    fn plain(&self) -> bool {
        matches!(self, Report::Ended(ended) if ended.next_started)
    }
}

/// What [`Worker::wait`] tells its caller meanwhile.
pub enum Meanwhile<'a> {
    /// Now and then: the execution renews its lease.
    Tick,
    /// The delivery under way waits for its target (why).
    Waiting(&'a str),
}

/// How often [`Worker::wait`] calls its `tick` while a command runs.
const TICK: Duration = Duration::from_secs(10);

/// What the worker has told and the execution not read yet. The worker
/// wakes the execution only when it has what the execution waits for (a
/// count of ends, or anything that is not a plain end): a drain of fast
/// deliveries wakes it about once per commit, not once per event.
#[derive(Default)]
struct Reports {
    told: Mutex<Told>,
    woken: Condvar,
}

#[derive(Default)]
struct Told {
    reports: VecDeque<Report>,
    /// The execution sleeps until this many reports wait...
    wake_at: usize,
    /// ...or until one of these does: a report that is not a plain end.
    urgent: usize,
    sleeping: bool,
    /// The worker's thread has ended: nothing more will come.
    ended: bool,
}

impl Reports {
    fn lock(&self) -> MutexGuard<'_, Told> {
        // A panic while the lock was held left a queue that is still whole.
        self.told.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// From the worker.
    fn tell(&self, report: Report) {
        let mut told = self.lock();
        told.urgent += usize::from(!report.plain());
        told.reports.push_back(report);
        let wake = told.sleeping && (told.urgent > 0 || told.reports.len() >= told.wake_at);
        drop(told);
        if wake {
            self.woken.notify_one();
        }
    }

    /// The next report, waiting for `count` of them (at least one) until
    /// `by`; `Ok(None)` past `by`.
    fn next(&self, count: usize, by: Instant) -> Result<Option<Report>> {
        let mut told = self.lock();
        loop {
            if let Some(report) = told.reports.pop_front() {
                told.urgent -= usize::from(!report.plain());
                return Ok(Some(report));
            }
            if told.ended {
                return Err(stopped());
            }
            let left = by.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            told.wake_at = count.max(1);
            told.sleeping = true;
            let (again, _) = self
                .woken
                .wait_timeout_while(told, left, |told| {
                    !told.ended && told.urgent == 0 && told.reports.len() < told.wake_at
                })
                .unwrap_or_else(|e| e.into_inner());
            told = again;
            told.sleeping = false;
        }
    }
}

/// Tells the execution that the worker's thread ended, however it ends.
struct Hangup<'a>(&'a Reports);

impl Drop for Hangup<'_> {
    fn drop(&mut self) {
        self.0.lock().ended = true;
        self.0.woken.notify_one();
    }
}

/// The thread that performs an execution's actions, one at a time.
pub struct Worker {
    jobs: Sender<Sent>,
    reports: Arc<Reports>,
    /// Its [`Chain`]'s `after_failure`.
    after_failure: bool,
    /// Set by [`Worker::halt`]; cleared by [`Worker::start`].
    halted: Arc<AtomicBool>,
    /// A chain of one command, started by [`Worker::start_alone`] and waited
    /// for on the execution's thread.
    alone: Mutex<Option<command::Running>>,
}

impl Worker {
    /// Whether its chains go on after a failed command.
    pub fn after_failure(&self) -> bool {
        self.after_failure
    }

    /// Start a chain with its first job, here and now; the worker waits
    /// for its end.
    pub fn start(&self, job: Job<'_>) -> Result<()> {
        // Before the job is sent: a halt of the chain before is forgotten
        // before the worker can see this one.
        self.halted.store(false, Ordering::SeqCst);
        self.send_first(action::start(action::prepare(job)))
    }

    fn send_first(&self, started: Result<action::Running, Finished>) -> Result<()> {
        self.jobs.send(Sent::First(started)).map_err(|lost| {
            // Never left behind: a command started is waited for.
            if let Sent::First(Ok(running)) = lost.0 {
                let around = Around {
                    stopping: &|| true,
                    waiting: &|_| {},
                };
                running.wait(&mut Seat::default(), &around);
            }
            stopped()
        })
    }

    /// Start a chain of this one job (no successor will be named): a
    /// command is waited for on this thread then, its end seen by the
    /// thread that records it, without a hand-off between them (on an idle
    /// machine, a wake-up of the other CPU; docs/benchmarks-history.md,
    /// ninth session). A delivery goes to the worker, which keeps the
    /// connection to its target.
    pub fn start_alone(&self, job: Job<'_>) -> Result<()> {
        self.halted.store(false, Ordering::SeqCst);
        match action::start(action::prepare(job)) {
            Ok(action::Running::Command(running)) => {
                *self.alone.lock().unwrap_or_else(|e| e.into_inner()) = Some(running);
                Ok(())
            }
            started => self.send_first(started),
        }
    }

    /// Name what follows the job running now, before waiting for it: the
    /// next job, which the worker starts as soon as this one ends if the
    /// [`Chain`] allows, or `None` to end the chain there. The job is
    /// prepared here, on the caller's thread, while the command runs.
    pub fn then(&self, job: Option<Job<'_>>) -> Result<()> {
        if self.alone().is_some() {
            return match job {
                None => Ok(()),
                Some(_) => Err(anyhow!("a chain of one job was named a successor")),
            };
        }
        let next = Sent::Then(job.map(action::prepare));
        self.jobs.send(next).map_err(|_| stopped())
    }

    /// Wait for the job running now to end, telling `meanwhile` now and
    /// then (the execution renews its lease there) and when a delivery
    /// waits for its target.
    pub fn wait(&self, meanwhile: &mut dyn FnMut(Meanwhile<'_>)) -> Result<Ended> {
        self.wait_ticking(TICK, meanwhile)
    }

    /// [`Worker::wait`], ticking `every`.
    fn wait_ticking(
        &self,
        every: Duration,
        meanwhile: &mut dyn FnMut(Meanwhile<'_>),
    ) -> Result<Ended> {
        if let Some(running) = self.alone().take() {
            let finished = running.wait_ticking(every, &mut || meanwhile(Meanwhile::Tick));
            return Ok(Ended {
                finished,
                next_started: false,
            });
        }
        loop {
            match self.reports.next(1, Instant::now() + every)? {
                Some(Report::Ended(ended)) => return Ok(ended),
                Some(Report::Waiting(why)) => meanwhile(Meanwhile::Waiting(&why)),
                None => meanwhile(Meanwhile::Tick),
            }
        }
    }

    /// The end of the job that runs next if it ends by `by` (and the
    /// worker knows whether it started the one after); `None` if not:
    /// the execution records every cycle that ended meanwhile in one
    /// transaction. It wants `count` ends: it is woken when that many
    /// came (or the chain stopped), not at each.
    pub fn ended_by(
        &self,
        by: Instant,
        count: usize,
        meanwhile: &mut dyn FnMut(Meanwhile<'_>),
    ) -> Result<Option<Ended>> {
        loop {
            match self.reports.next(count, by)? {
                Some(Report::Ended(ended)) => return Ok(Some(ended)),
                Some(Report::Waiting(why)) => meanwhile(Meanwhile::Waiting(&why)),
                None => return Ok(None),
            }
        }
    }

    /// Start no further job of this chain (the one running ends as it
    /// would): the execution lost its lease, and the events named ahead
    /// are another process's now.
    pub fn halt(&self) {
        self.halted.store(true, Ordering::SeqCst);
    }

    fn alone(&self) -> MutexGuard<'_, Option<command::Running>> {
        self.alone.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn stopped() -> anyhow::Error {
    anyhow!("the thread running commands has stopped")
}

/// Run `body` with a [`Worker`] that follows `chain`, for one execution or
/// for many (a server's worker keeps it between executions). When `body`
/// returns, a command still running is waited for (never left behind),
/// then the thread ends.
pub fn with_worker<R>(chain: &Chain<'_>, body: impl FnOnce(&Worker) -> Result<R>) -> Result<R> {
    thread::scope(|scope| {
        let (jobs, queue) = mpsc::channel();
        let reports = Arc::new(Reports::default());
        let told = reports.clone();
        let halted = Arc::new(AtomicBool::new(false));
        let seen = halted.clone();
        thread::Builder::new()
            .name("hookq-command".into())
            .spawn_scoped(scope, move || {
                let _hangup = Hangup(&told);
                work(&queue, &told, chain, &seen);
            })
            .context("could not start the thread that runs commands")?;
        let worker = Worker {
            jobs,
            reports,
            after_failure: chain.after_failure,
            halted,
            alone: Mutex::default(),
        };
        let result = body(&worker);
        // Never left behind: a lone command started and not waited for.
        if let Some(running) = worker.alone().take() {
            running.wait();
        }
        result
    })
}

/// The worker's loop: chains of jobs until the execution hangs up.
fn work(jobs: &Receiver<Sent>, reports: &Reports, chain: &Chain<'_>, halted: &AtomicBool) {
    // Kept across chains: a server's worker delivers event after event over
    // one connection.
    let mut seat = Seat::default();
    let around = Around {
        stopping: chain.stopping,
        waiting: &|why| reports.tell(Report::Waiting(why.to_owned())),
    };
    while let Ok(Sent::First(first)) = jobs.recv() {
        let mut running = first;
        loop {
            let finished = match running {
                Ok(running) => running.wait(&mut seat, &around),
                Err(finished) => finished,
            };
            // Named while this one ran; a hang-up ends the chain.
            let next = match jobs.recv() {
                Ok(Sent::Then(next)) => next,
                Ok(Sent::First(_)) => unreachable!("a chain started before the one before ended"),
                Err(_) => None,
            };
            let go_on = (finished.ok() || chain.after_failure)
                && !(chain.stopping)()
                && !halted.load(Ordering::SeqCst);
            let skipped = next.is_some() && !go_on;
            let next = next.filter(|_| go_on).map(action::start);
            let next_started = next.is_some();
            // The execution may have given up (a store error): the command
            // started is still waited for.
            reports.tell(Report::Ended(Ended {
                finished,
                next_started,
            }));
            match next {
                Some(next) => running = next,
                None => {
                    // The jobs named after one not started are not run:
                    // up to the chain's end, which the execution sends.
                    if skipped {
                        while let Ok(Sent::Then(Some(_))) = jobs.recv() {}
                    }
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::command::Invocation;
    use super::*;

    fn job<'a>(command: &'a [String], stdin: &[u8]) -> Job<'a> {
        Job::Run(Invocation {
            command,
            env: vec![],
            stdin: stdin.to_vec(),
            timeout: Duration::from_secs(30),
            answer: None,
        })
    }

    fn sh_c(script: &str) -> Vec<String> {
        vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()]
    }

    const GO_ON: Chain<'static> = Chain {
        after_failure: false,
        stopping: &|| false,
    };

    /// Run `inputs` through `command` as one chain; what each command read,
    /// and whether the one after it started.
    fn chain(chain: &Chain<'_>, command: &[String], inputs: &[&[u8]]) -> Vec<(String, bool)> {
        with_worker(chain, |worker| {
            let mut jobs = inputs.iter().map(|input| job(command, input));
            let mut ends = Vec::new();
            worker.start(jobs.next().unwrap())?;
            loop {
                worker.then(jobs.next())?;
                let ended = worker.wait(&mut |_| {})?;
                let out = String::from_utf8(ended.finished.stdout).unwrap();
                ends.push((out, ended.next_started));
                if !ended.next_started {
                    return Ok(ends);
                }
            }
        })
        .unwrap()
    }

    #[test]
    fn a_chain_runs_each_command_in_turn() {
        let ends = chain(&GO_ON, &["cat".to_owned()], &[b"one", b"two", b"three"]);
        let expected = [("one", true), ("two", true), ("three", false)];
        assert_eq!(ends, expected.map(|(out, next)| (out.to_owned(), next)));
    }

    #[test]
    fn a_failed_command_ends_the_chain_unless_failures_go_on() {
        let command = sh_c("read -r line; echo \"$line\"; test \"$line\" != fail");
        let inputs: [&[u8]; 3] = [b"ok\n", b"fail\n", b"after\n"];
        let stops = chain(&GO_ON, &command, &inputs);
        assert_eq!(
            stops,
            [("ok\n".to_owned(), true), ("fail\n".to_owned(), false)]
        );
        let goes_on = Chain {
            after_failure: true,
            stopping: &|| false,
        };
        let all = chain(&goes_on, &command, &inputs);
        assert_eq!(all.len(), 3);
        assert_eq!(all[2], ("after\n".to_owned(), false));
    }

    #[test]
    fn a_stop_ends_the_chain_after_the_command_in_progress() {
        let stop = Chain {
            after_failure: true,
            stopping: &|| true,
        };
        let ends = chain(&stop, &["cat".to_owned()], &[b"one", b"two"]);
        assert_eq!(ends, [("one".to_owned(), false)]);
    }

    /// A window of jobs named ahead: after a halt (a lost lease), none of
    /// them starts once the job under way ends, and the next chain runs
    /// its own jobs, not the ones left over.
    #[test]
    fn a_halted_chain_starts_none_of_the_jobs_named_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let go = dir.path().join("go");
        assert!(std::process::Command::new("mkfifo")
            .arg(&go)
            .status()
            .unwrap()
            .success());
        let first = sh_c(&format!("read line < {}; echo first", go.display()));
        let after = |word: &str| vec!["echo".to_owned(), word.to_owned()];
        let (left_over, next) = (after("left over"), after("next"));
        let (halted, fresh) = with_worker(&GO_ON, |worker| {
            worker.start(job(&first, b""))?;
            worker.then(Some(job(&left_over, b"")))?;
            worker.then(Some(job(&left_over, b"")))?;
            worker.halt();
            // The first job ends only now, halted.
            std::fs::write(&go, "go\n")?;
            let halted = worker.wait(&mut |_| {})?;
            worker.then(None)?; // the chain's end
            worker.start(job(&next, b""))?;
            worker.then(None)?;
            Ok((halted, worker.wait(&mut |_| {})?))
        })
        .unwrap();
        assert_eq!(halted.finished.stdout, b"first\n");
        assert!(!halted.next_started);
        assert_eq!(fresh.finished.stdout, b"next\n");
        assert!(!fresh.next_started);
    }

    fn end(next_started: bool) -> Report {
        Report::Ended(Ended {
            finished: Finished::not_run("x", Duration::ZERO),
            next_started,
        })
    }

    /// An execution that waits for several ends is still told at once
    /// that the delivery waits for its target, or that the chain stopped,
    /// or that the worker is gone; the ends it waited for, in order.
    #[test]
    fn a_wait_for_many_ends_hears_what_cannot_wait() {
        let reports = Reports::default();
        let far = Instant::now() + Duration::from_secs(20);
        thread::scope(|scope| {
            scope.spawn(|| reports.tell(Report::Waiting("refused".into())));
            let told = reports.next(16, far).unwrap();
            assert!(matches!(told, Some(Report::Waiting(why)) if why == "refused"));
            scope.spawn(|| {
                reports.tell(end(true));
                reports.tell(end(false));
            });
            let first = reports.next(16, far).unwrap();
            assert!(matches!(first, Some(Report::Ended(e)) if e.next_started));
            let last = reports.next(16, far).unwrap();
            assert!(matches!(last, Some(Report::Ended(e)) if !e.next_started));
            scope.spawn(|| {
                let _hangup = Hangup(&reports);
                reports.tell(end(true));
            });
            assert!(matches!(reports.next(16, far), Ok(Some(_))));
            assert!(reports.next(16, far).is_err(), "the worker is gone");
        });
        let past = Instant::now();
        assert!(reports.next(1, past).is_err());
    }

    #[test]
    fn a_command_still_running_is_waited_for_when_the_execution_ends() {
        let dir = tempfile::tempdir().unwrap();
        let done = dir.path().join("done");
        let command = sh_c(&format!("read line; echo \"$line\" > {}", done.display()));
        let result: Result<()> = with_worker(&GO_ON, |worker| {
            worker.start(job(&command, b"finished\n"))?;
            Err(anyhow!("the store failed"))
        });
        assert_eq!(result.unwrap_err().to_string(), "the store failed");
        assert_eq!(std::fs::read_to_string(&done).unwrap(), "finished\n");
    }

    /// A chain of one command runs on the execution's own thread when it
    /// is waited for, telling `meanwhile` every tick as it runs (the
    /// execution renews its lease there); it takes no successor, and one
    /// never waited for is still waited for when the execution ends.
    #[test]
    fn a_lone_command_is_waited_for_on_the_execution_s_thread() {
        let dir = tempfile::tempdir().unwrap();
        let go = dir.path().join("go");
        let left = dir.path().join("left");
        assert!(std::process::Command::new("mkfifo")
            .arg(&go)
            .status()
            .unwrap()
            .success());
        // It ends only once the execution's thread has ticked: told to go
        // through the FIFO, from `meanwhile`.
        let waits = sh_c(&format!("read line < {}; echo \"$line\"", go.display()));
        let mut ticks = 0;
        let ended = with_worker(&GO_ON, |worker| {
            worker.start_alone(job(&waits, b""))?;
            worker.then(None)?;
            assert!(worker.then(Some(job(&waits, b""))).is_err(), "no successor");
            let here = thread::current().id();
            worker.wait_ticking(Duration::from_millis(10), &mut |meanwhile| {
                assert_eq!(thread::current().id(), here);
                if let Meanwhile::Tick = meanwhile {
                    ticks += 1;
                    if ticks == 1 {
                        std::fs::write(&go, "go\n").unwrap();
                    }
                }
            })
        })
        .unwrap();
        assert_eq!(ended.finished.stdout, b"go\n");
        assert!(!ended.next_started);
        assert!(ticks >= 1);
        // Started, never waited for: the execution gave up (a store error).
        let writes = sh_c(&format!("echo done > {}", left.display()));
        let result: Result<()> = with_worker(&GO_ON, |worker| {
            worker.start_alone(job(&writes, b""))?;
            Err(anyhow!("the store failed"))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(&left).unwrap(), "done\n");
    }
}
