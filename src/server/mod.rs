//! `hookq hooks serve`: a blocking tiny_http listener that durably queues
//! every accepted webhook.
//!
//! Request threads route and check a request against the in-memory
//! [`registry`], read its body, and hand the event to the group-commit
//! [`writer`]; the answer is sent only once the event is committed. While
//! slow clients hold every request thread, spares are started
//! ([`threads`]). A refresher thread reloads hooks changed by other
//! processes.
//!
//! [`start`] is a library function: tests bind `127.0.0.1:0`, get the
//! address, and stop the server with [`Running::stop`].

mod ingest;
mod metrics;
mod ratelimit;
mod registry;
mod threads;
mod waiters;
mod writer;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use tiny_http::{Header, Response};

use crate::clock::{self, Clock, Millis};
use crate::shutdown::Shutdown;
use crate::store::Store;
use metrics::Metrics;
use ratelimit::RateLimiter;
use registry::Registry;
use threads::{Held, Threads};
pub use waiters::Waiters;
use writer::Writer;

/// How often other processes' changes to hooks are picked up.
const REFRESH_EVERY: Duration = Duration::from_millis(500);
/// How often a stopping server looks whether its threads have ended.
const JOIN_POLL: Duration = Duration::from_millis(20);

/// At a stop, how long threads whose callers were just answered (their
/// cycle ended after the grace period) have to send the answer.
const ANSWER_AFTER_GRACE: Duration = Duration::from_secs(1);
/// How often an idle request thread looks at the stop flag.
const POLL_EVERY: Duration = Duration::from_millis(200);

pub struct Config {
    pub listen: SocketAddr,
    pub threads: usize,
    pub metrics: bool,
    pub quiet: bool,
    pub trust_proxy: bool,
    /// Cap on the database file, in bytes: past it events are refused (503).
    pub max_db_size: Option<u64>,
    /// At a stop, how long requests in progress have to finish; past it the
    /// server ends without them (see [`Running::stop`]).
    pub grace: Duration,
}

impl Config {
    /// Requests in progress at a stop get this long to finish: a request
    /// commits in milliseconds, but a client trickling its body can keep one
    /// going for as long as it likes.
    pub const GRACE: Duration = Duration::from_secs(10);

    /// A small multiple of the cores: request threads mostly wait for the
    /// group commit, and more of them waiting means bigger batches.
    pub fn default_threads() -> usize {
        8 * thread::available_parallelism().map_or(2, |n| n.get())
    }
}

/// Called with a hook's id after an event for it was committed.
pub type OnEvent = Box<dyn Fn(i64) + Send + Sync>;

/// Asked with a hook's id: is a worker of this server running its
/// scenario right now?
pub type RunsHook = Arc<dyn Fn(i64) -> bool + Send + Sync>;

/// The link to the scenarios when the server runs them: wake the scheduler
/// when an event arrived, the callers waiting for their cycle, and which
/// hooks' scenarios are running.
pub struct Scenarios {
    pub notify: OnEvent,
    pub waiters: Arc<Waiters>,
    pub running: RunsHook,
}

/// What the request threads share.
struct Shared {
    config: Config,
    http: tiny_http::Server,
    shutdown: Arc<Shutdown>,
    threads: Threads,
    registry: Registry,
    limiter: RateLimiter,
    writer: Writer,
    metrics: Arc<Metrics>,
    clock: Clock,
    scenarios: Option<Scenarios>,
    /// What a spare thread is started with.
    this: Weak<Shared>,
}

impl Shared {
    fn now(&self) -> Millis {
        self.clock.now()
    }

    fn events_arrived(&self, hook_id: i64) {
        if let Some(scenarios) = &self.scenarios {
            (scenarios.notify)(hook_id);
        }
    }

    /// Callers can wait for their cycle only when this server runs scenarios.
    fn waiters(&self) -> Option<&Waiters> {
        self.scenarios.as_ref().map(|s| s.waiters.as_ref())
    }

    fn log_error(&self, message: &str) {
        crate::output::note(format_args!(
            "{} error: {message}",
            clock::format(self.now())
        ));
    }

    /// This thread now waits on a client or a scenario, until the guard
    /// drops; if every thread does, a spare is started (see [`threads`]).
    fn held(&self) -> Held<'_> {
        let (held, all_held) = self.threads.hold();
        if all_held && !self.shutdown.is_stopped() && self.threads.reserve_spare() {
            self.start_spare();
        }
        held
    }

    fn start_spare(&self) {
        let Some(shared) = self.this.upgrade() else {
            return self.threads.release_spare();
        };
        let started = thread::Builder::new()
            .name("hookq-http-spare".into())
            .spawn(move || {
                if !serve_requests(&shared, true) {
                    shared.threads.release_spare();
                }
            });
        match started {
            Ok(spare) => self.threads.keep(spare),
            Err(e) => {
                self.threads.release_spare();
                self.log_error(&format!("could not start a spare request thread: {e}"));
            }
        }
    }
}

/// An answer to one HTTP request, and what the request log says of it.
pub struct Answer {
    status: u16,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
    hook: Option<String>,
    event: Option<i64>,
}

impl Answer {
    fn text(status: u16, body: impl Into<String>) -> Self {
        Answer {
            status,
            body: body.into().into_bytes(),
            headers: Vec::new(),
            hook: None,
            event: None,
        }
    }

    /// A scenario's answer (SPEC §6).
    fn reply(reply: crate::respond::Reply) -> Self {
        Answer {
            status: reply.status,
            body: reply.body,
            headers: reply.headers,
            hook: None,
            event: None,
        }
    }

    fn empty(status: u16) -> Self {
        Self::text(status, "")
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn for_hook(mut self, name: &str) -> Self {
        self.hook = Some(name.to_owned());
        self
    }

    fn event(mut self, id: i64) -> Self {
        self.event = Some(id);
        self
    }
}

/// A running server.
pub struct Running {
    addr: SocketAddr,
    shutdown: Arc<Shutdown>,
    /// The callers waiting for their cycle, and which hooks' scenarios run.
    waiting: Option<(Arc<Waiters>, RunsHook)>,
    grace: Duration,
    threads: Vec<JoinHandle<()>>,
    spares: Arc<Mutex<Vec<JoinHandle<()>>>>,
    writer_thread: JoinHandle<()>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop: no new requests are taken, the ones in progress are answered,
    /// the last batch is committed. Requests still in progress after the
    /// grace period (slow clients) are left unanswered: the server returns
    /// without them, their threads ending with the process. Nothing they
    /// could lose was acknowledged.
    pub fn stop(self) -> Result<()> {
        self.shutdown.stop();
        self.join()
    }

    /// Block until its shutdown is signalled, then finish as `stop`.
    pub fn wait(self) -> Result<()> {
        self.shutdown.wait();
        self.join()
    }

    fn join(self) -> Result<()> {
        // Callers whose cycle is under way get its answer, however long the
        // cycle takes (the process waits for the scheduler to finish it
        // anyway): it starts no other. The others are answered now (200
        // Accepted, their events staying queued).
        let mut waiting = self.waiting.as_ref();
        if let Some((waiters, _)) = waiting {
            waiters.stop_taking();
        }
        let mut deadline = Instant::now() + self.grace;
        let mut threads = self.threads;
        // A spare is kept by the thread that started it, before that thread
        // can end: once every thread has ended and no spare is left, none
        // can start.
        loop {
            if let Some((waiters, runs_hook)) = waiting {
                waiters.release_unless(|hook| runs_hook(hook));
            }
            let (done, running): (Vec<_>, Vec<_>) =
                threads.into_iter().partition(JoinHandle::is_finished);
            for thread in done {
                thread
                    .join()
                    .map_err(|_| anyhow!("a server thread panicked"))?;
            }
            threads = running;
            threads.extend(std::mem::take(
                &mut *self.spares.lock().unwrap_or_else(|e| e.into_inner()),
            ));
            if threads.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                if let Some((waiters, _)) = waiting {
                    if !waiters.is_empty() {
                        // Only callers of a cycle under way are left.
                        thread::sleep(JOIN_POLL);
                        continue;
                    }
                    // The last answers may still be on their way out.
                    waiting = None;
                    deadline = Instant::now() + ANSWER_AFTER_GRACE;
                    continue;
                }
                // Their writer handles keep the writer going meanwhile.
                crate::output::note(format_args!(
                    "{} stopping without {} request(s) still in progress after {:?}",
                    clock::format(clock::system_now()),
                    threads.len(),
                    self.grace
                ));
                return Ok(());
            }
            thread::sleep(JOIN_POLL);
        }
        // Every writer handle is gone with the threads: it drains and ends.
        self.writer_thread
            .join()
            .map_err(|_| anyhow!("the writer thread panicked"))
    }
}

/// Start serving the database at `db`.
pub fn start(
    db: &Path,
    config: Config,
    shutdown: Arc<Shutdown>,
    scenarios: Option<Scenarios>,
) -> Result<Running> {
    let clock = Clock::from_env()?;
    let metrics = Arc::new(Metrics::new());
    let store = Store::open(db)?;
    if let Some(bytes) = config.max_db_size {
        store.limit_size(bytes)?;
    }
    let waiters = scenarios.as_ref().map(|s| s.waiters.clone());
    let waiting = scenarios
        .as_ref()
        .map(|s| (s.waiters.clone(), s.running.clone()));
    let (writer, writer_thread) =
        Writer::start(store, metrics.clone(), waiters.clone().unwrap_or_default());
    let refresher_store = Store::open(db)?;
    let registry = Registry::new(Store::open(db)?);
    registry.refresh(&refresher_store)?;
    let http = tiny_http::Server::http(config.listen)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("could not listen on {}", config.listen))?;
    let addr = http
        .server_addr()
        .to_ip()
        .context("the listener has no IP address")?;
    let threads = config.threads.max(1);
    let grace = config.grace;
    let shared = Arc::new_cyclic(|this| Shared {
        config,
        http,
        shutdown: shutdown.clone(),
        threads: Threads::new(threads),
        registry,
        limiter: RateLimiter::default(),
        writer,
        metrics,
        clock,
        scenarios,
        this: this.clone(),
    });
    let spares = shared.threads.spares();
    let mut handles = Vec::with_capacity(threads + 1);
    for i in 0..threads {
        let shared = shared.clone();
        handles.push(
            thread::Builder::new()
                .name(format!("hookq-http-{i}"))
                .spawn(move || {
                    serve_requests(&shared, false);
                })?,
        );
    }
    let (refresher_shared, refresher_shutdown) = (shared.clone(), shutdown.clone());
    handles.push(
        thread::Builder::new()
            .name("hookq-refresh".into())
            .spawn(move || {
                while !refresher_shutdown.wait_timeout(REFRESH_EVERY) {
                    refresh(&refresher_shared, &refresher_store);
                }
            })?,
    );
    drop(shared); // the threads hold the only handles to the writer now
    Ok(Running {
        addr,
        shutdown,
        waiting,
        grace,
        threads: handles,
        spares,
        writer_thread,
    })
}

/// One tick of the refresher: reload what other processes changed, then
/// let go of callers waiting on a scenario that no longer answers and that
/// no worker runs (looked at every tick, not only on a reload: a caller may
/// have registered with the registry as it was just before, and a worker
/// may have ended since).
fn refresh(shared: &Shared, store: &Store) {
    if let Err(e) = shared.registry.refresh(store) {
        shared.log_error(&format!("could not reload hooks: {e:#}"));
    }
    if let Some(scenarios) = shared.scenarios.as_ref() {
        if !scenarios.waiters.is_empty() {
            // An execution under way runs its cycles to the end, answering
            // their callers, even once its scenario is switched off.
            let answering = shared.registry.answering();
            scenarios
                .waiters
                .release_unless(|hook| answering.contains(&hook) || (scenarios.running)(hook));
        }
    }
}

/// Take requests until the server stops; a spare also ends once it has
/// been idle for a while and another thread is free. True if it so retired
/// (and was counted out).
fn serve_requests(shared: &Shared, spare: bool) -> bool {
    let mut idle_since = Instant::now();
    while !shared.shutdown.is_stopped() {
        match shared.http.recv_timeout(POLL_EVERY) {
            Ok(Some(request)) => {
                handle(shared, request);
                if spare && shared.threads.retire_surplus_spare() {
                    return true;
                }
                idle_since = Instant::now();
            }
            Ok(None) => {
                if spare
                    && idle_since.elapsed() >= threads::SPARE_IDLE
                    && shared.threads.retire_spare()
                {
                    return true;
                }
            }
            Err(e) => {
                shared.log_error(&format!("listener failed: {e}"));
                shared.shutdown.stop();
            }
        }
    }
    false
}

fn handle(shared: &Shared, mut request: tiny_http::Request) {
    let started = Instant::now();
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let answer = if let Some(token) = path.strip_prefix("/wh/") {
        ingest::ingest(shared, &mut request, token, query)
    } else if path == "/healthz" {
        Answer::text(200, "ok")
    } else if path == "/metrics" && shared.config.metrics {
        let threads = shared.threads.counts();
        Answer::text(
            200,
            shared
                .metrics
                .render(&shared.registry.queue_depths(), threads),
        )
        .header("Content-Type", "text/plain; version=0.0.4")
    } else {
        Answer::text(404, "Not found.")
    };
    let elapsed = started.elapsed();
    if path.starts_with("/wh/") {
        shared
            .metrics
            .request(answer.hook.as_deref().unwrap_or(""), answer.status);
        shared.metrics.ingest_seconds.observe(elapsed.as_secs_f64());
    }
    if !shared.config.quiet {
        log_request(shared, &answer, elapsed);
    }
    let mut response = Response::from_data(answer.body).with_status_code(answer.status);
    if !answer
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        response.add_header(
            Header::from_bytes("Content-Type", "text/plain; charset=utf-8")
                .expect("a valid header"),
        );
    }
    for (name, value) in &answer.headers {
        // Framing is the server's alone (SPEC §6), whatever an answer
        // carries; the `Connection: close` of its own refusals only ends
        // the exchange early.
        let closes = name.eq_ignore_ascii_case("connection") && value == "close";
        if !crate::respond::is_settable_header(name) && !closes {
            continue;
        }
        if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    // Writing the answer, and dropping the request with any body left
    // unread (tiny_http drains it), wait on the client.
    let _held = shared.held();
    // A client that went away is not the server's problem.
    let _ = request.respond(response);
}

/// One line per request: time, hook, status, event id, duration.
fn log_request(shared: &Shared, answer: &Answer, elapsed: Duration) {
    let event = answer
        .event
        .map_or_else(|| "-".to_owned(), |id| format!("event={id}"));
    let _ = writeln!(
        std::io::stderr().lock(),
        "{} {} {} {} {:.1}ms",
        clock::format(shared.now()),
        answer.hook.as_deref().unwrap_or("-"),
        answer.status,
        event,
        elapsed.as_secs_f64() * 1e3
    );
}
