//! hookq: webhooks into a durable SQLite queue, processed in order by local
//! commands.
//!
//! Data travels one way: HTTP → ingest checks → store → engine → command →
//! store. `cmd` is the only module that prints.
//!
//! Comments cite the contract, `docs/spec.md`, as `SPEC §N` (its section N).

mod admission;
pub mod bundle;
pub mod cidr;
pub mod cli;
pub mod clock;
mod cmd;
pub mod engine;
pub mod error;
pub mod json;
pub mod lifecycle;
mod names;
mod output;
pub mod respond;
pub mod server;
pub mod shutdown;
pub mod store;
pub mod token;
pub mod units;
pub mod verify;

use std::process::ExitCode;

use anyhow::Result;

/// Run one command line to completion.
pub fn run(cli: cli::Cli) -> Result<ExitCode> {
    cmd::run(cli)
}
