//! `hookq connections ...`: credentials that verify who sent a webhook.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Ctx;
use crate::cli::{ConnectionsCommand, CreateConnection, SecretSource};
use crate::clock;
use crate::error::Failure;
use crate::output::{self, Table};
use crate::store::StoredConnection;
use crate::units::Duration;
use crate::verify::{self, Kind, Options};

pub fn run(ctx: &Ctx, command: ConnectionsCommand) -> Result<ExitCode> {
    match command {
        ConnectionsCommand::Create(args) => create(ctx, args),
        ConnectionsCommand::List => list(ctx),
        ConnectionsCommand::Show(args) => {
            let connection = ctx.open()?.connection(&args.connection)?;
            show(ctx, &connection)
        }
        ConnectionsCommand::Delete(args) => {
            let mut store = ctx.open()?;
            let connection = store.connection(&args.connection)?;
            store.delete_connection(&connection)?;
            if ctx.global.json {
                output::json(&serde_json::json!({"connection": connection.name, "deleted": true}))?;
            } else {
                output::line(format_args!("deleted connection {}", connection.name))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn create(ctx: &Ctx, args: CreateConnection) -> Result<ExitCode> {
    let options = options(&args)?;
    let (secret, generated) = secret(args.kind, &args.secret)?;
    verify::validate_secret(args.kind, &secret)
        .map_err(|e| Failure::usage(format!("invalid {} secret: {e}", args.kind)))?;
    let mut store = ctx.open()?;
    let connection = store.create_connection(&args.name, args.kind, &secret, &options, ctx.now)?;
    if ctx.global.json {
        let mut json = ConnectionJson::new(&connection);
        if generated {
            json.secret = secret; // shown once, at creation
        }
        output::json(&json)?;
    } else if generated {
        output::line(&secret)?;
        output::note(format_args!(
            "connection {} created; this secret is not shown again: give it to the sender now",
            connection.name
        ));
    } else {
        output::line(format_args!(
            "connection {} created ({})",
            connection.name, connection.kind
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The settings of the kind, refusing those that mean nothing for it.
fn options(args: &CreateConnection) -> Result<Options> {
    let kind = args.kind;
    let only = |given: bool, flag: &str, kinds: &[Kind]| -> Result<()> {
        if given && !kinds.contains(&kind) {
            let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            return Err(Failure::usage(format!(
                "{flag} applies to connections of kind {}, not {kind}",
                names.join(" or ")
            ))
            .into());
        }
        Ok(())
    };
    only(
        args.header.is_some(),
        "--header",
        &[Kind::Hmac, Kind::ApiKey],
    )?;
    only(args.algorithm.is_some(), "--algorithm", &[Kind::Hmac])?;
    only(args.encoding.is_some(), "--encoding", &[Kind::Hmac])?;
    only(args.prefix.is_some(), "--prefix", &[Kind::Hmac])?;
    only(
        args.tolerance.is_some(),
        "--tolerance",
        &[Kind::Stripe, Kind::StandardWebhooks],
    )?;
    if kind == Kind::Hmac && args.header.is_none() {
        return Err(
            Failure::usage("a connection of kind hmac needs --header NAME")
                .hint("e.g. --header X-Signature")
                .into(),
        );
    }
    // A name no request can carry would refuse every request, silently.
    if let Some(header) = args.header.as_deref() {
        if crate::respond::check_syntax(header, "").is_err() {
            return Err(Failure::usage(format!(
                "--header {header:?} is not a valid HTTP header name"
            ))
            .hint("a header name is letters, digits and !#$%&'*+-.^_`|~, e.g. X-Signature")
            .into());
        }
    }
    let defaults = Options::default();
    Ok(Options {
        header: args.header.clone(),
        algorithm: args.algorithm.unwrap_or(defaults.algorithm),
        encoding: args.encoding.unwrap_or(defaults.encoding),
        prefix: args.prefix.clone(),
        tolerance_secs: args
            .tolerance
            .map_or(defaults.tolerance_secs, |Duration(ms)| (ms / 1000) as u64),
    })
}

/// The secret from its source, and whether it was generated here.
fn secret(kind: Kind, source: &SecretSource) -> Result<(String, bool)> {
    let strip = |mut text: String| {
        while text.ends_with('\n') || text.ends_with('\r') {
            text.pop();
        }
        text
    };
    if let Some(var) = &source.secret_env {
        let value = std::env::var(var)
            .map_err(|_| Failure::usage(format!("environment variable {var} is not set")))?;
        return Ok((value, false));
    }
    if let Some(path) = &source.secret_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the secret from {}", path.display()))?;
        return Ok((strip(text), false));
    }
    if source.secret_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("could not read the secret from standard input")?;
        return Ok((strip(text), false));
    }
    Ok((verify::generate_secret(kind), true))
}

fn list(ctx: &Ctx) -> Result<ExitCode> {
    let all: Vec<ConnectionJson> = ctx
        .open()?
        .connections()?
        .iter()
        .map(ConnectionJson::new)
        .collect();
    if ctx.global.json {
        output::json(&all)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(["name", "kind", "secret", "hooks"]);
    for c in all {
        let hooks = if c.hooks.is_empty() {
            "-".into()
        } else {
            c.hooks.join(",")
        };
        table.row(vec![c.name, c.kind.to_owned(), c.secret, hooks]);
    }
    table.print()?;
    Ok(ExitCode::SUCCESS)
}

fn show(ctx: &Ctx, connection: &StoredConnection) -> Result<ExitCode> {
    let c = ConnectionJson::new(connection);
    if ctx.global.json {
        output::json(&c)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut fields = vec![
        ("name", c.name.clone()),
        ("kind", c.kind.to_owned()),
        ("secret", c.secret.clone()),
    ];
    if let Some(header) = &c.header {
        fields.push(("header", header.clone()));
    }
    if connection.kind == Kind::Hmac {
        fields.push(("algorithm", connection.options.algorithm.to_string()));
        fields.push(("encoding", connection.options.encoding.to_string()));
        fields.push(("prefix", c.prefix.clone().unwrap_or_else(|| "-".into())));
    }
    if let Some(tolerance) = &c.tolerance {
        fields.push(("tolerance", tolerance.clone()));
    }
    fields.push((
        "hooks",
        if c.hooks.is_empty() {
            "-".into()
        } else {
            c.hooks.join(", ")
        },
    ));
    fields.push(("created", c.created_at.clone()));
    output::fields(&fields)?;
    Ok(ExitCode::SUCCESS)
}

/// A connection as `--json` shows it: the secret masked.
#[derive(Serialize)]
pub(crate) struct ConnectionJson {
    name: String,
    kind: &'static str,
    secret: String,
    header: Option<String>,
    algorithm: Option<&'static str>,
    encoding: Option<&'static str>,
    prefix: Option<String>,
    tolerance: Option<String>,
    hooks: Vec<String>,
    created_at: String,
}

impl ConnectionJson {
    pub(crate) fn new(c: &StoredConnection) -> Self {
        let hmac = c.kind == Kind::Hmac;
        let timestamped = matches!(c.kind, Kind::Stripe | Kind::StandardWebhooks);
        ConnectionJson {
            name: c.name.clone(),
            kind: c.kind.as_str(),
            secret: verify::mask(&c.secret),
            header: match c.kind {
                Kind::ApiKey => Some(
                    c.options
                        .header
                        .clone()
                        .unwrap_or_else(|| "x-api-key".into()),
                ),
                Kind::Hmac => c.options.header.clone(),
                _ => None,
            },
            algorithm: hmac.then(|| c.options.algorithm.as_str()),
            encoding: hmac.then(|| c.options.encoding.as_str()),
            prefix: if hmac { c.options.prefix.clone() } else { None },
            tolerance: timestamped
                .then(|| Duration(c.options.tolerance_secs as i64 * 1000).to_string()),
            hooks: c.hooks.clone(),
            created_at: clock::format(c.created_at),
        }
    }
}
