//! `hookq hooks serve`: a blocking tiny_http listener that durably queues
//! every accepted webhook.
//!
//! Each request is handled on its connection's own thread (tiny_http's,
//! see `Server::with_handler` in vendor/tiny_http): it is routed and checked
//! against the in-memory [`registry`], its body read within the [`budget`],
//! and the event handed to the group-commit [`writer`]; the answer is sent
//! only once the event is committed. A slow client, or a caller waiting for
//! its `--respond` cycle, holds only its own connection; connections past
//! `--max-connections` are refused. A refresher thread reloads hooks
//! changed by other processes.
//!
//! [`start`] is a library function: tests bind `127.0.0.1:0`, get the
//! address, and stop the server with [`Running::stop`].

mod budget;
mod ingest;
mod listener_log;
mod metrics;
mod ratelimit;
mod registry;
mod waiters;
mod writer;

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use tiny_http::{Header, Response};

use crate::clock::{self, Clock, Millis};
use crate::shutdown::Shutdown;
use crate::store::Store;
use budget::BodyBudget;
use metrics::{InFlight, Metrics};
use ratelimit::RateLimiter;
use registry::Registry;
pub use waiters::Waiters;
use writer::Writer;

/// How often other processes' changes to hooks are picked up.
const REFRESH_EVERY: Duration = Duration::from_millis(500);
/// How often a stopping server looks whether its threads have ended.
const JOIN_POLL: Duration = Duration::from_millis(20);

/// At a stop, how long requests whose callers were just answered (their
/// cycle ended after the grace period) have to send the answer.
const ANSWER_AFTER_GRACE: Duration = Duration::from_secs(1);

/// File descriptors kept for the rest of the process when the connection
/// bound is derived from the open-files limit: the listener, the store's
/// files (database, WAL, shared memory) for each of its connections, and
/// the pipes of running commands.
const RESERVED_FDS: u64 = 128;

pub struct Config {
    pub listen: SocketAddr,
    /// Threads kept ready for new connections; each open connection beyond
    /// them has a thread of its own.
    pub threads: usize,
    /// Connections open at most; past it a new one gets 503. `None`: from
    /// the open-files limit ([`Config::default_max_connections`]).
    pub max_connections: Option<usize>,
    /// Body bytes that requests being received may hold at once; one hook
    /// may hold half of it.
    pub max_body_in_flight: u64,
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

    pub const MAX_BODY_IN_FLIGHT: u64 = 256 << 20;

    /// A small multiple of the cores: a burst of new connections finds
    /// threads ready instead of waiting for one to start.
    pub fn default_threads() -> usize {
        8 * thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// One descriptor per connection, within the soft open-files limit
    /// (`serve` raises it to the hard limit first), less what the rest of
    /// the process needs: a client past it is refused with 503 instead of
    /// making `accept()` fail for everyone.
    pub fn default_max_connections() -> usize {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes `limit`.
        let known = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
        // `rlim_t` is unsigned on Linux and macOS, signed on FreeBSD.
        #[allow(clippy::unnecessary_fallible_conversions, clippy::useless_conversion)]
        let soft = match u64::try_from(limit.rlim_cur) {
            Ok(soft) if known && limit.rlim_cur != libc::RLIM_INFINITY => soft,
            _ => 1024,
        };
        usize::try_from(soft.saturating_sub(RESERVED_FDS).max(16)).unwrap_or(usize::MAX)
    }
}

/// Called with a hook's id after an event for it was committed.
pub type OnEvent = Arc<dyn Fn(i64) + Send + Sync>;

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

/// What the connection threads share while the server runs; dropped at a
/// stop once no request is in progress, which ends the writer.
struct Shared {
    config: Config,
    /// For `/metrics`: the listener is owned by [`Running`], so that a stop
    /// closes it.
    http: OnceLock<Weak<tiny_http::Server>>,
    requests: InProgress,
    budget: BodyBudget,
    registry: Registry,
    limiter: RateLimiter,
    writer: Writer,
    metrics: Arc<Metrics>,
    clock: Clock,
    scenarios: Option<Scenarios>,
}

/// Requests being handled, and whether new ones may start: a stop waits for
/// the count to reach zero (within the grace period).
#[derive(Default)]
struct InProgress(Mutex<Progress>);

#[derive(Default)]
struct Progress {
    count: usize,
    stopping: bool,
}

/// A request in progress, until dropped.
struct Handling<'a>(&'a InProgress);

impl InProgress {
    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `None` once the server is stopping.
    fn enter(&self) -> Option<Handling<'_>> {
        let mut progress = self.lock();
        if progress.stopping {
            return None;
        }
        progress.count += 1;
        Some(Handling(self))
    }

    fn stop(&self) {
        self.lock().stopping = true;
    }

    fn count(&self) -> usize {
        self.lock().count
    }
}

impl Drop for Handling<'_> {
    fn drop(&mut self) {
        self.0.lock().count -= 1;
    }
}

impl Shared {
    fn now(&self) -> Millis {
        self.clock.now()
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

    fn in_flight(&self) -> InFlight {
        InFlight {
            connections: self
                .http
                .get()
                .and_then(Weak::upgrade)
                .map_or(0, |http| http.num_connections()),
            body_bytes: self.budget.in_flight(),
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
    /// Dropped at a stop: no connection is accepted after it.
    http: Arc<tiny_http::Server>,
    shared: Arc<Shared>,
    refresher: JoinHandle<()>,
    writer_thread: JoinHandle<()>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop: no new connection is accepted, a new request on an open one
    /// gets 503, the ones in progress are answered, the last batch is
    /// committed. Requests still in progress after the grace period (slow
    /// clients) are left unanswered: the server returns without them, their
    /// threads ending with the process. Nothing they could lose was
    /// acknowledged.
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
        let Running {
            shutdown: _,
            addr: _,
            waiting,
            grace,
            http,
            shared,
            refresher,
            writer_thread,
        } = self;
        shared.requests.stop();
        drop(http);
        // Callers whose cycle is under way get its answer, however long the
        // cycle takes (the process waits for the scheduler to finish it
        // anyway): it starts no other. The others are answered now (200
        // Accepted, their events staying queued).
        let mut waiting = waiting.as_ref();
        if let Some((waiters, _)) = waiting {
            waiters.stop_taking();
        }
        let mut deadline = Instant::now() + grace;
        loop {
            if let Some((waiters, runs_hook)) = waiting {
                waiters.release_unless(|hook| runs_hook(hook));
            }
            let in_progress = shared.requests.count();
            if in_progress == 0 {
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
                // Their handle on what is shared keeps the writer going
                // meanwhile.
                crate::output::note(format_args!(
                    "{} stopping without {in_progress} request(s) still in progress after {grace:?}",
                    clock::format(clock::system_now()),
                ));
                return Ok(());
            }
            thread::sleep(JOIN_POLL);
        }
        refresher
            .join()
            .map_err(|_| anyhow!("a server thread panicked"))?;
        // With the last handle on what is shared (a connection that is just
        // being refused may hold one a moment longer), the writer's goes:
        // it drains and ends.
        drop(shared);
        writer_thread
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
    listener_log::install(clock);
    let metrics = Arc::new(Metrics::new());
    let store = Store::open(db)?;
    if let Some(bytes) = config.max_db_size {
        store.limit_size(bytes)?;
    }
    let waiters = scenarios.as_ref().map(|s| s.waiters.clone());
    let waiting = scenarios
        .as_ref()
        .map(|s| (s.waiters.clone(), s.running.clone()));
    let (writer, writer_thread) = Writer::start(
        store,
        metrics.clone(),
        waiters.clone().unwrap_or_default(),
        scenarios.as_ref().map(|s| s.notify.clone()),
    );
    let refresher_store = Store::open(db)?;
    let registry = Registry::new(Store::open(db)?);
    registry.refresh(&refresher_store)?;
    let threads = config.threads.max(1);
    let max_connections = config
        .max_connections
        .unwrap_or_else(Config::default_max_connections);
    let grace = config.grace;
    let shared = Arc::new(Shared {
        budget: BodyBudget::new(config.max_body_in_flight),
        config,
        http: OnceLock::new(),
        requests: InProgress::default(),
        registry,
        limiter: RateLimiter::default(),
        writer,
        metrics,
        clock,
        scenarios,
    });
    // A lingering keep-alive connection must not keep the writer going
    // after a stop: connections hold what is shared only while they handle
    // a request.
    let weak = Arc::downgrade(&shared);
    let handler: tiny_http::Handler = Arc::new(move |request| match weak.upgrade() {
        Some(shared) => handle(&shared, request),
        None => refuse_stopping(request),
    });
    let listen = shared.config.listen;
    let http = tiny_http::Server::with_handler(
        tiny_http::ServerConfig {
            addr: tiny_http::ConfigListenAddr::IP(vec![listen]),
            ssl: None,
        },
        tiny_http::HandlerConfig {
            handler,
            idle_threads: threads,
            max_connections,
        },
    )
    .map_err(|e| anyhow!("{e}"))
    .with_context(|| format!("could not listen on {listen}"))?;
    let http = Arc::new(http);
    let _ = shared.http.set(Arc::downgrade(&http));
    let addr = http
        .server_addr()
        .to_ip()
        .context("the listener has no IP address")?;
    let (refresher_shared, refresher_shutdown) = (shared.clone(), shutdown.clone());
    let refresher = thread::Builder::new()
        .name("hookq-refresh".into())
        .spawn(move || {
            while !refresher_shutdown.wait_timeout(REFRESH_EVERY) {
                refresh(&refresher_shared, &refresher_store);
            }
        })?;
    Ok(Running {
        addr,
        shutdown,
        waiting,
        grace,
        http,
        shared,
        refresher,
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

/// A request that arrives on an open connection once the server stops.
fn refuse_stopping(request: tiny_http::Request) {
    let response = Response::from_string("The server is stopping; retry shortly.")
        .with_status_code(503)
        .with_header(Header::from_bytes("Retry-After", "1").expect("a valid header"))
        .with_header(Header::from_bytes("Connection", "close").expect("a valid header"));
    let _ = request.respond(response);
}

fn handle(shared: &Shared, mut request: tiny_http::Request) {
    let Some(_handling) = shared.requests.enter() else {
        return refuse_stopping(request);
    };
    let started = Instant::now();
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let answer = if let Some(token) = path.strip_prefix("/wh/") {
        ingest::ingest(shared, &mut request, token, query)
    } else if path == "/healthz" {
        Answer::text(200, "ok")
    } else if path == "/metrics" && shared.config.metrics {
        Answer::text(
            200,
            shared
                .metrics
                .render(&shared.registry.queue_depths(), shared.in_flight()),
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
