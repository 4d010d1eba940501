//! Integration tests: the real `hookq` binary against temporary databases.
//! `SPEC §N` is section N of the contract, `docs/spec.md`.

// A test's report is its stderr.
#![allow(clippy::print_stderr)]

mod pg;
mod util;

mod admission;
mod bounds;
mod browser;
mod burst;
mod cli;
mod cluster;
mod connections;
mod db_copy;
mod executions;
mod forward;
mod framing;
mod hooks;
mod hostile;
mod inspect;
mod json_bodies;
mod new_hooks;
mod proxies;
mod readme;
mod reliability;
mod replay;
mod reply_framing;
mod respond;
mod scenario;
mod scheduling;
mod secrets;
mod senders;
mod serve;
mod store;
mod sweep;
mod ui;
