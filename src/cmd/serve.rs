//! `hookq hooks serve`: the listener, and the scheduler that runs the
//! scenarios, until SIGINT or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::Serve;
use crate::clock::Clock;
use crate::engine::Scheduler;
use crate::server;
use crate::shutdown::Shutdown;
use crate::units::Size;

pub fn run(ctx: &Ctx, args: Serve) -> Result<ExitCode> {
    let db = ctx.db_path()?;
    let config = server::Config {
        listen: args.listen,
        threads: args
            .threads
            .map_or_else(server::Config::default_threads, usize::from),
        metrics: args.metrics,
        quiet: args.quiet,
        trust_proxy: args.trust_proxy,
        max_db_size: args.max_db_size.map(|Size(bytes)| bytes),
    };
    let shutdown = Arc::new(Shutdown::default());
    let scheduler = if args.no_scenarios {
        None
    } else {
        Some(Scheduler::start(&db, Clock::from_env()?, shutdown.clone())?)
    };
    let on_event: Option<server::OnEvent> = scheduler.as_ref().map(|(scheduler, _)| {
        let scheduler = scheduler.clone();
        Box::new(move |hook_id| scheduler.notify(hook_id)) as server::OnEvent
    });
    let running = server::start(&db, config, shutdown.clone(), on_event)?;
    let stopper = shutdown.clone();
    let waker = scheduler.as_ref().map(|(scheduler, _)| scheduler.clone());
    ctrlc::set_handler(move || match &waker {
        Some(scheduler) => scheduler.stop(),
        None => stopper.stop(),
    })
    .context("could not install the signal handler")?;
    // The address goes to stderr with the request log; with port 0 this is
    // how a script learns the port.
    eprintln!("listening on http://{}", running.addr());
    running.wait()?;
    if let Some((_, thread)) = scheduler {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("the scheduler panicked"))?;
    }
    Ok(ExitCode::SUCCESS)
}
