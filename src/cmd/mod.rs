//! One module per command group; the only place that prints.

pub(crate) mod connections;
mod db;
pub(crate) mod events;
pub(crate) mod hooks;
pub(crate) mod replay;
pub(crate) mod scenario;
mod serve;
pub(crate) mod sweep;
mod ui;

use std::io;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, Command, ConnectionsCommand, Global, HooksCommand, ScenarioCommand, Shell};
use crate::clock::{self, Millis};
use crate::store::{self, Access, Location, Store};

/// What every command needs: the global flags, the time, read once, and
/// what the command does with the store.
pub struct Ctx {
    pub global: Global,
    pub now: Millis,
    pub access: Access,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl Ctx {
    /// `--db` / `HOOKQ_DB`, else `hookq.db` in the platform data directory.
    pub fn location(&self) -> Result<Location> {
        if let Some(db) = &self.global.db {
            return Ok(Location::parse(db.as_os_str()));
        }
        let dirs = directories::ProjectDirs::from("", "", "hookq")
            .context("could not find a home directory for the default database; give --db PATH")?;
        Ok(Location::Sqlite(dirs.data_dir().join("hookq.db")))
    }

    /// The store, opened for what this command does with it. A reading
    /// command on the default path before anything was created there (a new
    /// user's first `hooks list`) sees an empty store, and nothing is
    /// created; on a path the user named, a missing file is an error.
    pub fn open(&self) -> Result<Box<dyn Store>> {
        let location = self.location()?;
        if let Location::Sqlite(path) = &location {
            if self.access == Access::Read && self.global.db.is_none() && !path.exists() {
                return store::empty(&location);
            }
        }
        store::open(&location, self.access)
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
        access: access(&cli.command),
        global: cli.global,
        now: clock::now()?,
    };
    match cli.command {
        Command::Hooks(command) => hooks::run(&ctx, command),
        Command::Scenario(command) => scenario::run(&ctx, command),
        Command::Connections(command) => connections::run(&ctx, command),
        Command::Sweep(args) => sweep::run(&ctx, args),
        Command::Ui(args) => ui::run(&ctx, args),
        Command::Db(command) => db::run(&ctx, command),
        Command::Completions { shell } => completions(shell),
    }
}

/// What a command does with the store: only commands that create a hook
/// or a connection, and the server, create a database; commands that only
/// read never write (docs/reliability.md).
fn access(command: &Command) -> Access {
    use {ConnectionsCommand as C, HooksCommand as H, ScenarioCommand as S};
    match command {
        Command::Hooks(H::Create(_) | H::Serve(_))
        | Command::Connections(C::Create(_))
        | Command::Ui(_) => Access::Create,
        Command::Hooks(
            H::List(_) | H::Show(_) | H::Url(_) | H::Events(_) | H::Ops(_) | H::Payload(_),
        )
        | Command::Scenario(S::List | S::Show(_) | S::Runs(_))
        | Command::Connections(C::List | C::Show(_))
        | Command::Db(_)
        | Command::Completions { .. } => Access::Read,
        Command::Sweep(args) if args.dry_run => Access::Read,
        _ => Access::Write,
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
