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
mod stop;
mod waiters;
mod writer;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context, Result};
use tiny_http::{Header, Response};

use crate::clock::{self, Clock, Millis};
use crate::shutdown::Shutdown;
use crate::store::{self, Access, Lingering, Location, Scenario, Started, Store};
use budget::BodyBudget;
use metrics::{InFlight, Metrics};
use ratelimit::RateLimiter;
use registry::Registry;
pub use stop::Running;
use stop::{refuse_stopping, InProgress};
pub use waiters::Waiters;
use writer::{Outage, Writer};

/// How often other processes' changes to hooks are picked up.
const REFRESH_EVERY: Duration = Duration::from_millis(500);

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
    pub(crate) fn default_threads() -> usize {
        8 * thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// One descriptor per connection, within the soft open-files limit
    /// (`serve` raises it to the hard limit first), less what the rest of
    /// the process needs: a client past it is refused with 503 instead of
    /// making `accept()` fail for everyone.
    pub(crate) fn default_max_connections() -> usize {
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

/// What the writer tells the scenarios this server runs.
pub trait Wake: Send + Sync {
    /// The workers that wait, idle, for an event of one of these hooks
    /// (their `immediately` scenarios): held, waiting for the writer, until
    /// [`Wake::hand`] gives each its next execution, started in the
    /// transaction that stores the event.
    fn hold(&self, hook_ids: &[i64]) -> Vec<Lingering>;

    /// A held worker's next execution (`None`: not started, it looks at
    /// the queue itself); it is free again, but starts no command before
    /// [`Wake::synced`].
    fn hand(&self, scenario_id: i64, started: Option<(Scenario, Started)>);

    /// The batch whose executions were handed over is on disk (or its
    /// flush failed: its callers are answered 503, and the commands run,
    /// at least once): their commands may start.
    fn synced(&self);

    /// An event for this hook was committed.
    fn notify(&self, hook_id: i64);
}

/// Asked with a hook's id: is a worker of this server running its
/// scenario right now?
pub type RunsHook = Arc<dyn Fn(i64) -> bool + Send + Sync>;

/// The link to the scenarios when the server runs them: wake the scheduler
/// when an event arrived, the callers waiting for their cycle, and which
/// hooks' scenarios are running.
pub struct Scenarios {
    pub wake: Arc<dyn Wake>,
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
    /// The store unreachable: logged once, not per request and refresh.
    outage: Arc<Outage>,
    metrics: Arc<Metrics>,
    clock: Clock,
    scenarios: Option<Scenarios>,
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
pub(crate) struct Answer {
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

    fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
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

/// Start serving the database at `db`.
pub fn start(
    db: &Location,
    config: Config,
    shutdown: Arc<Shutdown>,
    scenarios: Option<Scenarios>,
) -> Result<Running> {
    let clock = Clock::from_env()?;
    listener_log::install(clock);
    let metrics = Arc::new(Metrics::new());
    let store = store::open(db, Access::Create)?;
    if let Some(bytes) = config.max_db_size {
        store.limit_size(bytes)?;
    }
    let waiters = scenarios.as_ref().map(|s| s.waiters.clone());
    let waiting = scenarios
        .as_ref()
        .map(|s| (s.waiters.clone(), s.running.clone()));
    let outage = Arc::<Outage>::default();
    let (writer, writer_thread) = Writer::start(
        store,
        metrics.clone(),
        waiters.clone().unwrap_or_default(),
        scenarios.as_ref().map(|s| s.wake.clone()),
        outage.clone(),
    );
    let refresher_store = store::open(db, Access::Create)?;
    let registry = Registry::new(store::open(db, Access::Create)?);
    registry.refresh(&*refresher_store)?;
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
        outage,
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
        .spawn(move || match refresher_store.listen() {
            Ok(Some(wakeups)) => refresh_on_wake_ups(
                &refresher_shared,
                &*refresher_store,
                wakeups,
                &refresher_shutdown,
            ),
            result => {
                if let Err(e) = result {
                    refresher_shared.log_error(&format!(
                        "could not listen for wake-ups, looking every {} ms: {e:#}",
                        REFRESH_EVERY.as_millis()
                    ));
                }
                while !refresher_shutdown.wait_timeout(REFRESH_EVERY) {
                    refresh(&refresher_shared, &*refresher_store);
                }
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

/// The refresher where the store sends wake-ups (PostgreSQL's `LISTEN`):
/// an event committed by any process for an `immediately` scenario pokes
/// the scheduler at once, a configuration change reloads at once; the
/// 500 ms refresh stays as the fallback (a notification is lost while the
/// listening connection is down). Waits in short slices so that a stop is
/// seen promptly.
fn refresh_on_wake_ups(
    shared: &Shared,
    store: &dyn Store,
    mut wakeups: Box<dyn store::WakeUps>,
    shutdown: &Shutdown,
) {
    const SLICE: Duration = Duration::from_millis(100);
    let mut refreshed = Instant::now();
    while !shutdown.is_stopped() {
        // An error is the store being away: the writer says so, and the
        // listener connects again on its next wait.
        let woken = wakeups.wait(SLICE).unwrap_or_default();
        let mut reload = refreshed.elapsed() >= REFRESH_EVERY;
        for wake in woken {
            match wake {
                store::WakeUp::Events { hook_id } => {
                    if let Some(scenarios) = &shared.scenarios {
                        scenarios.wake.notify(hook_id);
                    }
                }
                store::WakeUp::Config | store::WakeUp::Lost => reload = true,
            }
        }
        if reload {
            refresh(shared, store);
            refreshed = Instant::now();
        }
    }
}

/// One tick of the refresher: reload what other processes changed, then
/// let go of callers waiting on a scenario that no longer answers and that
/// no worker runs (looked at every tick, not only on a reload: a caller may
/// have registered with the registry as it was just before, and a worker
/// may have ended since).
fn refresh(shared: &Shared, store: &dyn Store) {
    // The end of an outage is the writer's to say (its first commit): a
    // reload on a connection PostgreSQL has not cut yet, during its
    // shutdown, is no sign that it is back.
    if let Err(e) = shared.registry.refresh(store) {
        if !shared.outage.failed(&e) {
            shared.log_error(&format!("could not reload hooks: {e:#}"));
        }
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
