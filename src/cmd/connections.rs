//! `hookq connections ...`: credentials that verify who sent a webhook.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Ctx;
use crate::cli::{ConnectionsCommand, CreateConnection, RotateConnection, SecretSource};
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
        ConnectionsCommand::Rotate(args) => rotate(ctx, args),
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
    let options = options(&args, ctx.global.base_url.as_deref())?;
    if args.kind == Kind::Discord && args.secret.generate {
        return Err(Failure::usage(
            "a discord connection takes the application's public key, which Discord makes: \
             give it with --secret-env, --secret-file or --secret-stdin",
        )
        .into());
    }
    let (secret, generated) = secret(args.kind, &args.secret)?;
    verify::validate_secret(args.kind, &secret)
        .map_err(|e| Failure::usage(format!("invalid {} secret: {e}", args.kind)))?;
    let mut store = ctx.open()?;
    let connection = store.create_connection(&args.name, args.kind, &secret, &options, ctx.now)?;
    if ctx.global.json {
        let mut json = ConnectionJson::new(&connection, ctx.now);
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

/// A new secret; the old one verifies until the grace ends (SPEC §12).
fn rotate(ctx: &Ctx, args: RotateConnection) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let connection = store.connection(&args.connection)?;
    let (secret, generated) = secret(connection.kind, &args.secret)?;
    verify::validate_secret(connection.kind, &secret)
        .map_err(|e| Failure::usage(format!("invalid {} secret: {e}", connection.kind)))?;
    if secret == connection.secret {
        return Err(Failure::usage("the new secret is the current one").into());
    }
    let Duration(grace) = args.grace;
    if grace < 0 {
        return Err(Failure::usage("--grace cannot be negative").into());
    }
    let until = ctx.now.saturating_add(grace);
    let connection = store.rotate_connection(&connection, &secret, until)?;
    if ctx.global.json {
        let mut json = ConnectionJson::new(&connection, ctx.now);
        if generated {
            json.secret = secret;
        }
        output::json(&json)?;
    } else {
        if generated {
            output::line(&secret)?;
        }
        output::note(format_args!(
            "connection {} rotated; the previous secret verifies until {}",
            connection.name,
            clock::format(until)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The settings of the kind, refusing those that mean nothing for it.
fn options(args: &CreateConnection, base_url: Option<&str>) -> Result<Options> {
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
    only(args.signed.is_some(), "--signed", &[Kind::Hmac])?;
    only(
        args.timestamp_header.is_some(),
        "--timestamp-header",
        &[Kind::Hmac],
    )?;
    only(args.id_header.is_some(), "--id-header", &[Kind::Hmac])?;
    only(
        args.verify_token_env.is_some(),
        "--verify-token-env",
        &[Kind::Meta],
    )?;
    if kind == Kind::Hmac && args.header.is_none() {
        return Err(
            Failure::usage("a connection of kind hmac needs --header NAME")
                .hint("e.g. --header X-Signature")
                .into(),
        );
    }
    // A name no request can carry would refuse every request, silently.
    for (flag, name) in [
        ("--header", &args.header),
        ("--timestamp-header", &args.timestamp_header),
        ("--id-header", &args.id_header),
    ] {
        if let Some(name) = name.as_deref() {
            if crate::respond::check_syntax(name, "").is_err() {
                return Err(Failure::usage(format!(
                    "{flag} {name:?} is not a valid HTTP header name"
                ))
                .hint("a header name is letters, digits and !#$%&'*+-.^_`|~, e.g. X-Signature")
                .into());
            }
        }
    }
    let defaults = Options::default();
    let options =
        Options {
            header: args.header.clone(),
            algorithm: args.algorithm.unwrap_or(defaults.algorithm),
            encoding: args.encoding.unwrap_or(defaults.encoding),
            prefix: args.prefix.clone(),
            tolerance_secs: args
                .tolerance
                .map_or(defaults.tolerance_secs, |Duration(ms)| (ms / 1000) as u64),
            signed: args.signed.clone(),
            timestamp_header: args.timestamp_header.clone(),
            id_header: args.id_header.clone(),
            base_url: None,
            verify_token: match &args.verify_token_env {
                Some(var) => Some(std::env::var(var).map_err(|_| {
                    Failure::usage(format!("environment variable {var} is not set"))
                })?),
                None => None,
            },
        };
    if let Some(template) = options.signed.as_deref() {
        let parts = verify::parse_template(template)
            .map_err(|e| Failure::usage(format!("--signed {template:?}: {e}")))?;
        for (part, name, flag, given) in [
            (
                verify::Part::Timestamp,
                "{timestamp}",
                "--timestamp-header",
                options.timestamp_header.is_some(),
            ),
            (
                verify::Part::Id,
                "{id}",
                "--id-header",
                options.id_header.is_some(),
            ),
            (verify::Part::Url, "{url}", "--base-url", base_url.is_some()),
        ] {
            if parts.contains(&part) && !given {
                return Err(Failure::usage(format!(
                    "--signed {template:?} uses {name}: give {flag}"
                ))
                .into());
            }
        }
    }
    if args.tolerance.is_some() && !kind.timestamped(&options) {
        return Err(Failure::usage(if kind == Kind::Hmac {
            "--tolerance needs --timestamp-header for an hmac connection".to_owned()
        } else {
            format!("--tolerance applies to kinds whose signature covers a timestamp, not {kind}")
        })
        .into());
    }
    let mut options = options;
    // The URL a sender signs is the hook's public URL: the base of hook URLs
    // (`--base-url`, `HOOKQ_BASE_URL`), kept with the connection so that
    // the server needs neither.
    if kind.needs_url(&options) {
        let Some(base) = base_url else {
            return Err(Failure::usage(format!(
                "a {kind} connection signs the URL the sender calls: give --base-url (or HOOKQ_BASE_URL)"
            ))
            .hint("e.g. --base-url https://hooks.example.com (hookq adds /wh/<token>)")
            .into());
        };
        options.base_url = Some(base.trim_end_matches('/').to_owned());
    }
    if kind == Kind::Meta && options.verify_token.is_none() {
        return Err(Failure::usage(
            "a meta connection needs the verify token of Meta's handshake: --verify-token-env VAR",
        )
        .into());
    }
    Ok(options)
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
        .map(|c| ConnectionJson::new(c, ctx.now))
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
        let secret = match &c.previous {
            Some(previous) => format!(
                "{} (and {previous} until {})",
                c.secret,
                c.previous_until.clone().unwrap_or_default()
            ),
            None => c.secret,
        };
        table.row(vec![c.name, c.kind.to_owned(), secret, hooks]);
    }
    table.print()?;
    Ok(ExitCode::SUCCESS)
}

fn show(ctx: &Ctx, connection: &StoredConnection) -> Result<ExitCode> {
    let c = ConnectionJson::new(connection, ctx.now);
    if ctx.global.json {
        output::json(&c)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut fields = vec![
        ("name", c.name.clone()),
        ("kind", c.kind.to_owned()),
        ("secret", c.secret.clone()),
    ];
    if let (Some(previous), Some(until)) = (&c.previous, &c.previous_until) {
        fields.push(("previous", format!("{previous} until {until}")));
    }
    for (name, value) in [
        ("signed", &c.signed),
        ("timestamp header", &c.timestamp_header),
        ("id header", &c.id_header),
        ("base url", &c.base_url),
        ("verify token", &c.verify_token),
    ] {
        if let Some(value) = value {
            fields.push((name, value.clone()));
        }
    }
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
    signed: Option<String>,
    timestamp_header: Option<String>,
    id_header: Option<String>,
    base_url: Option<String>,
    /// Masked, as the secret.
    verify_token: Option<String>,
    /// The secret before `connections rotate`, masked, while it still verifies.
    previous: Option<String>,
    previous_until: Option<String>,
    hooks: Vec<String>,
    created_at: String,
}

impl ConnectionJson {
    pub(crate) fn new(c: &StoredConnection, now: clock::Millis) -> Self {
        let hmac = c.kind == Kind::Hmac;
        let timestamped = c.kind.timestamped(&c.options);
        let previous = c.previous.as_ref().filter(|p| p.until > now);
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
            signed: c.options.signed.clone(),
            timestamp_header: c.options.timestamp_header.clone(),
            id_header: c.options.id_header.clone(),
            base_url: c.options.base_url.clone(),
            verify_token: c.options.verify_token.as_deref().map(verify::mask),
            previous: previous.map(|p| verify::mask(&p.secret)),
            previous_until: previous.map(|p| clock::format(p.until)),
            hooks: c.hooks.clone(),
            created_at: clock::format(c.created_at),
        }
    }
}
