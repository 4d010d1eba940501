//! The `hookq` binary: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    let cli = match hookq::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let args: Vec<String> = std::env::args_os()
                .skip(1)
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect();
            return hookq::error::usage(err, &hookq::cli::Cli::command(), &args);
        }
    };
    match hookq::run(cli) {
        Ok(code) => code,
        Err(err) => hookq::error::report(&err),
    }
}
