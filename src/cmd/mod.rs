//! One module per command group; the only place that prints.

mod connections;
mod events;
mod hooks;
mod replay;
mod scenario;
mod serve;
mod sweep;

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, Command, Global, Shell};
use crate::clock::{self, Millis};
use crate::store::Store;

/// What every command needs: the global flags and the time, read once.
pub struct Ctx {
    pub global: Global,
    pub now: Millis,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Ctx {
    /// `--db` / `HOOKQ_DB`, else `hookq.db` in the platform data directory.
    pub fn db_path(&self) -> Result<PathBuf> {
        if let Some(path) = &self.global.db {
            return Ok(path.clone());
        }
        let dirs = directories::ProjectDirs::from("", "", "hookq")
            .context("could not find a home directory for the default database; give --db PATH")?;
        Ok(dirs.data_dir().join("hookq.db"))
    }

    pub fn open(&self) -> Result<Store> {
        Store::open(&self.db_path()?)
    }

    /// The URL a sender uses for a hook's token.
    pub fn url(&self, token: &str) -> String {
        let base = match &self.global.base_url {
            Some(base) => base.trim_end_matches('/').to_owned(),
            None => format!("http://{DEFAULT_LISTEN}"),
        };
        format!("{base}/wh/{token}")
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = Ctx {
        global: cli.global,
        now: clock::now()?,
    };
    match cli.command {
        Command::Hooks(command) => hooks::run(&ctx, command),
        Command::Scenario(command) => scenario::run(&ctx, command),
        Command::Connections(command) => connections::run(&ctx, command),
        Command::Sweep(args) => sweep::run(&ctx, args),
        Command::Completions { shell } => completions(shell),
    }
}

fn completions(shell: Shell) -> Result<ExitCode> {
    use clap_complete::Shell as S;
    let shell = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Elvish => S::Elvish,
        Shell::Powershell => S::PowerShell,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hookq", &mut out);
    io::Write::write_all(&mut io::stdout().lock(), &out)?;
    Ok(ExitCode::SUCCESS)
}
