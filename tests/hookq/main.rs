//! Integration tests: the real `hookq` binary against temporary databases.
//! `SPEC §N` is section N of the contract, `docs/spec.md`.

mod util;

mod cli;
mod connections;
mod executions;
mod hooks;
mod hostile;
mod inspect;
mod readme;
mod reliability;
mod replay;
mod respond;
mod scenario;
mod scheduling;
mod secrets;
mod serve;
mod store;
mod sweep;
