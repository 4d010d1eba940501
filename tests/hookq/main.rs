//! Integration tests: the real `hookq` binary against temporary databases.

mod util;

mod cli;
mod connections;
mod hooks;
mod hostile;
mod inspect;
mod leases;
mod reliability;
mod replay;
mod respond;
mod scenario;
mod serve;
mod store;
mod sweep;
