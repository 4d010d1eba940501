//! `hookq hooks serve`: the listener, and the scheduler that runs the
//! scenarios, until SIGINT or SIGTERM.

use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::Serve;
use crate::clock::Clock;
use crate::engine::{CycleReport, OnCycle, Scheduler};
use crate::output;
use crate::server::{self, Waiters};
use crate::shutdown::Shutdown;
use crate::store::{Lingering, Scenario, Started};
use crate::units::Size;

pub fn run(ctx: &Ctx, args: Serve) -> Result<ExitCode> {
    let db = ctx.location()?;
    if let Some(listen) = args.ui.filter(|addr| !addr.ip().is_loopback()) {
        return Err(crate::error::Failure::usage(format!(
            "--ui {listen}: the page beside the server listens on loopback only"
        ))
        .hint(
            "`hookq ui --listen ADDR --password-env VAR` serves it to the network, with a password",
        )
        .into());
    }
    // Checked before anything listens: the second bind would fail only
    // after the webhook port was announced.
    if let Some(page) = args
        .ui
        .filter(|page| page.port() != 0 && page.port() == args.listen.port())
    {
        return Err(crate::error::Failure::usage(format!(
            "--ui {page}: the page never shares the webhook port ({})",
            args.listen
        ))
        .hint("the webhook port may face the internet through a tunnel; give --ui another port")
        .into());
    }
    raise_open_files_limit();
    let config = server::Config {
        listen: args.listen,
        threads: args
            .threads
            .map_or_else(server::Config::default_threads, usize::from),
        max_connections: args.max_connections.map(|n| n as usize),
        max_body_in_flight: args.max_body_in_flight.0,
        metrics: args.metrics,
        quiet: args.quiet,
        trust_proxy: args.trust_proxy,
        max_db_size: args.max_db_size.map(|Size(bytes)| bytes),
        grace: server::Config::GRACE,
    };
    let shutdown = Arc::new(Shutdown::default());
    // Callers of `--respond` scenarios wait here for their event's cycle.
    let waiters = Arc::new(Waiters::new());
    // Bind, then handle signals, then start work: a server that cannot
    // listen (the address in use) must exit before it runs any scenario,
    // and a signal from then on must find a handler. So the server gets
    // the scheduler through this slot, filled once it started; until then
    // an event's arrival wakes nobody, and the scheduler's first look at
    // the store finds it.
    let slot: Arc<OnceLock<Scheduler>> = Arc::default();
    let link = (!args.no_scenarios).then(|| {
        let asked = slot.clone();
        server::Scenarios {
            wake: Arc::new(Link(slot.clone())),
            waiters: waiters.clone(),
            running: Arc::new(move |hook_id| asked.get().is_some_and(|s| s.runs_hook(hook_id))),
        }
    });
    let running = server::start(&db, config, shutdown.clone(), link)?;
    let (stopper, waker) = (shutdown.clone(), slot.clone());
    ctrlc::set_handler(move || match waker.get() {
        Some(scheduler) => scheduler.stop(),
        None => stopper.stop(),
    })
    .context("could not install the signal handler")?;
    // The address goes to stderr with the request log; with port 0 this is
    // how a script learns the port.
    output::note(format_args!("listening on http://{}", running.addr()));
    // Its own port, loopback only: the webhook port may face the internet.
    let page = match args.ui {
        Some(listen) => {
            let page = crate::ui::start(crate::ui::Config {
                db: db.clone(),
                listen,
                password: None,
                global: ctx.global.clone(),
            })?;
            output::note(format_args!("webhooks area on http://{}/", page.addr()));
            Some(page)
        }
        None => None,
    };
    let scheduler = if args.no_scenarios {
        None
    } else {
        let on_cycle: OnCycle = Arc::new(move |cycle: &CycleReport<'_>| {
            let http = cycle
                .http
                .map(|answer| (answer.status, &answer.headers[..]));
            waiters.complete(cycle.event_id, cycle.ok, cycle.stdout, cycle.error, http);
            if let Some(answer) = cycle.http {
                // The delivery, as a proxy's access log would show it.
                output::note(format_args!(
                    "{} → {} {} {} {}ms event {}",
                    crate::clock::format(crate::clock::system_now()),
                    answer.status,
                    answer.method,
                    // Masked where it was made, as `scenario list` shows it.
                    answer.url,
                    cycle.duration.as_millis(),
                    cycle.event_id
                ));
            }
        });
        // A signal that came before this stopped `shutdown`: the scheduler
        // sees it at its first look and starts nothing.
        let (scheduler, thread) =
            Scheduler::start(&db, Clock::from_env()?, shutdown.clone(), on_cycle)?;
        // Look now, not at the first tick: events may have come meanwhile.
        scheduler.notify(0);
        let _ = slot.set(scheduler);
        Some(thread)
    };
    running.wait()?;
    if let Some(page) = page {
        page.stop();
    }
    if let Some(thread) = scheduler {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("the scheduler panicked"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Each connection takes a descriptor, and the connection bound is derived
/// from this limit: the usual soft limit of 1024 would let some 900 idle
/// clients keep everyone else out until their 30 s socket timeout. Like
/// other servers, raise it to the hard limit, which any process may do.
fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write `limit`.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            // On failure the limit stays as it was: fewer connections, no harm.
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// The server's writer to the scheduler, once it started.
struct Link(Arc<OnceLock<Scheduler>>);

impl server::Wake for Link {
    fn hold(&self, hook_ids: &[i64]) -> Vec<Lingering> {
        self.0.get().map_or_else(Vec::new, |s| s.hold(hook_ids))
    }

    fn hand(&self, scenario_id: i64, started: Option<(Scenario, Started)>) {
        if let Some(scheduler) = self.0.get() {
            scheduler.hand(scenario_id, started);
        }
    }

    fn synced(&self) {
        if let Some(scheduler) = self.0.get() {
            scheduler.synced();
        }
    }

    fn notify(&self, hook_id: i64) {
        if let Some(scheduler) = self.0.get() {
            scheduler.notify(hook_id);
        }
    }
}
