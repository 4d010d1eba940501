//! `hookq ui`: the webhooks area in a browser, until SIGINT or SIGTERM.

use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::Ui;
use crate::error::Failure;
use crate::output;
use crate::shutdown::Shutdown;
use crate::ui;

pub fn run(ctx: &Ctx, args: Ui) -> Result<ExitCode> {
    let password = args.password_env.as_deref().map(password).transpose()?;
    // A first run on a new machine shows an empty table, not an error.
    drop(ctx.open()?);
    let running = ui::start(ui::Config {
        db: ctx.location()?,
        listen: args.listen,
        password,
        global: ctx.global.clone(),
    })?;
    let shutdown = Arc::new(Shutdown::default());
    let stopper = shutdown.clone();
    ctrlc::set_handler(move || stopper.stop()).context("could not install the signal handler")?;
    let url = format!("http://{}/", running.addr());
    // On stderr like the server's address: with port 0 this is how a
    // script learns the port.
    output::note(format_args!("webhooks area on {url}"));
    if args.open {
        open(&url);
    }
    shutdown.wait();
    running.stop();
    Ok(ExitCode::SUCCESS)
}

/// The password from the variable `--password-env` names.
fn password(var: &str) -> Result<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(value),
        _ => Err(Failure::usage(format!("--password-env {var}: {var} is not set or empty")).into()),
    }
}

/// The default browser, as the desktop opens a link; failing that, the
/// address printed above is there to click.
fn open(url: &str) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = Command::new(program)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        output::note(format_args!(
            "hookq: could not open a browser ({program}: {e})"
        ));
    }
}
