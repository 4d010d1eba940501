//! `hookq ui`: the webhooks area of SPEC §11 in a browser, over the same
//! database as the commands.
//!
//! A blocking tiny_http listener like the webhook server's, on its own
//! port: a few threads, each with its own connection to the store, take
//! requests one at a time. Every request passes [`security`] first (Host,
//! password, and for an action the token and the origin); reading pages
//! come from [`pages`], actions from [`actions`], which call the same
//! functions as the commands. The page's script polls `/api/version`,
//! which reads the store's `data_version` on one connection kept for it:
//! no page of the database is read while nothing changed.

mod actions;
mod admin_pages;
mod assets;
mod event_page;
mod hook_pages;
mod http;
mod layout;
mod pages;
mod scenario_pages;
mod security;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use anyhow::{anyhow, Context, Result};

use crate::cli::Global;
use crate::error::Failure;
use crate::store::{self, Access, Location, Store};

/// Threads that answer requests: a page is a few milliseconds of work, and
/// a second browser tab or a slow 5 MiB body must not hold up the others.
const THREADS: usize = 4;

/// What `hookq ui` and `hooks serve --ui` start.
pub struct Config {
    pub db: Location,
    pub listen: SocketAddr,
    /// Basic-auth password; required for an address that is not loopback.
    pub password: Option<String>,
    /// For the hook URLs (`--base-url`), as the commands print them.
    pub global: Global,
}

/// What every request thread shares.
struct App {
    db: Location,
    global: Global,
    /// The address actually bound (port 0 resolved): the Host check.
    addr: SocketAddr,
    password: Option<String>,
    /// Carried by every form; a page from another site cannot know it.
    token: String,
    /// The connection `/api/version` asks: `data_version` counts the
    /// commits of other connections, so one connection must answer every
    /// poll.
    watch: Mutex<Box<dyn Store>>,
    /// Set when the page stops: an execution "Run now" started ends after
    /// its cycle in progress, as `scenario run` does on Ctrl-C.
    stopping: Arc<crate::shutdown::Shutdown>,
    /// Those executions, waited for when the page stops: a process that
    /// exits under one would leave its event `running` until a repair.
    runs: Mutex<Vec<JoinHandle<()>>>,
}

/// A running page server; stopped by [`Running::stop`] or on drop.
pub struct Running {
    addr: SocketAddr,
    http: Arc<tiny_http::Server>,
    threads: Vec<JoinHandle<()>>,
    app: Arc<App>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop taking requests and wait for the ones in progress.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.app.stopping.stop();
        for _ in 0..self.threads.len() {
            self.http.unblock();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        let runs = std::mem::take(&mut *self.app.runs.lock().unwrap_or_else(|e| e.into_inner()));
        for run in runs {
            let _ = run.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shut();
    }
}

/// Bind and serve. A non-loopback address without a password is refused:
/// the pages change hooks and show payloads.
pub fn start(config: Config) -> Result<Running> {
    if !config.listen.ip().is_loopback() && config.password.is_none() {
        return Err(Failure::usage(format!(
            "the page would be open to the network on {}",
            config.listen
        ))
        .hint("listen on 127.0.0.1, or give --password-env VAR to ask for a password")
        .into());
    }
    // The database must open before the port is taken: a wrong --db fails
    // here, with the commands' message.
    let watch = store::open(&config.db, Access::Read)?;
    let http = tiny_http::Server::http(config.listen)
        .map_err(|e| anyhow!("could not listen on {}: {e}", config.listen))?;
    let addr = http
        .server_addr()
        .to_ip()
        .context("the page server has no IP address")?;
    let app = Arc::new(App {
        db: config.db,
        global: config.global,
        addr,
        password: config.password,
        token: crate::token::generate()?,
        watch: Mutex::new(watch),
        stopping: Arc::default(),
        runs: Mutex::default(),
    });
    let http = Arc::new(http);
    let threads = (0..THREADS)
        .map(|i| {
            let (app, http) = (app.clone(), http.clone());
            thread::Builder::new()
                .name(format!("ui-{i}"))
                .spawn(move || serve(&app, &http))
                .context("could not start a page thread")
        })
        .collect::<Result<_>>()?;
    Ok(Running {
        addr,
        http,
        threads,
        app,
    })
}

/// One thread: its own store, opened at its first request and kept.
fn serve(app: &App, http: &tiny_http::Server) {
    let mut store: Option<Box<dyn Store>> = None;
    while let Ok(request) = http.recv() {
        if store.is_none() {
            store = store::open(&app.db, Access::Write).ok();
        }
        let started = Instant::now();
        let (req, request) = http::read(request);
        let reply = match req {
            Ok(req) => security::guard(app, &req).unwrap_or_else(|| match &mut store {
                Some(store) => pages::route(app, &mut **store, &req),
                None => http::Reply::error(500, "could not open the database"),
            }),
            Err(refused) => refused,
        };
        // What the page cost here, for the browser's developer tools and
        // bench/ui_pages.rs.
        let spent = started.elapsed().as_secs_f64() * 1000.0;
        let reply = reply.header("Server-Timing", format!("page;dur={spent:.2}"));
        http::send(request, security::harden(reply));
    }
}
