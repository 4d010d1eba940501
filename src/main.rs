//! The `hookq` binary: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = hookq::cli::Cli::parse();
    match hookq::run(cli) {
        Ok(code) => code,
        Err(err) => hookq::error::report(&err),
    }
}
