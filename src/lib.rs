//! hookq: webhooks into a durable SQLite queue, processed in order by local
//! commands.
//!
//! Data travels one way: HTTP → ingest checks → store → engine → command →
//! store. `cmd` is the only module that prints.
//!
//! Comments cite the contract, `docs/spec.md`, as `SPEC §N` (its section N).
//!
//! The public surface is what the binary (`cli`, `error`, [`run`]), the
//! integration tests and benchmarks (`server`, `store`, `clock`,
//! `shutdown`) and the fuzz targets (`bundle`, `json`, `verify`, `units`,
//! `cidr`, `respond`) use, and no more: everything else is `pub(crate)`, or
//! in a private module. The engine, for one, is reached only through the
//! commands:
//!
//! ```compile_fail,E0603
//! use hookq::engine;
//! ```
//!
//! and the store's transactions, SQL and engine are its own: callers hold a
//! `dyn Store`, which offers neither a transaction nor a connection:
//!
//! ```compile_fail,E0599
//! fn write(store: &mut dyn hookq::store::Store) {
//!     let _ = store.write();
//! }
//! ```

mod admission;
pub mod bundle;
pub mod cidr;
pub mod cli;
pub mod clock;
mod cmd;
mod engine;
pub mod error;
pub mod json;
mod lifecycle;
mod names;
mod output;
pub mod respond;
pub mod server;
pub mod shutdown;
pub mod store;
mod token;
pub mod ui;
pub mod units;
pub mod verify;

use std::process::ExitCode;

use anyhow::Result;

/// Run one command line to completion.
pub fn run(cli: cli::Cli) -> Result<ExitCode> {
    cmd::run(cli)
}
