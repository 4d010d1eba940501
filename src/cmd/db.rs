//! `hookq db copy`: move a SQLite store into PostgreSQL (docs/scaling.md,
//! "How to move").

use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;
use crate::cli::{DbCommand, DbCopy};
use crate::error::Failure;
use crate::output;
use crate::store::{self, Copied, Location};
use crate::units::Size;

pub fn run(ctx: &Ctx, command: DbCommand) -> Result<ExitCode> {
    match command {
        DbCommand::Copy(args) => copy(ctx, args),
    }
}

fn copy(ctx: &Ctx, args: DbCopy) -> Result<ExitCode> {
    let source = match ctx.location()? {
        Location::Sqlite(path) => path,
        Location::Postgres(url) => {
            return Err(Failure::usage(format!(
                "hookq db copy reads a SQLite file, and --db / HOOKQ_DB names PostgreSQL ({url})"
            ))
            .hint("give the SQLite file as --db PATH")
            .into())
        }
    };
    let target = match Location::parse(&args.to) {
        Location::Postgres(url) => url,
        Location::Sqlite(_) => {
            return Err(Failure::usage(format!(
                "--to takes a PostgreSQL URL (postgres://...), not {:?}",
                args.to
            ))
            .hint("hookq db copy --to postgres://USER@HOST/DATABASE")
            .into())
        }
    };
    let copied = store::copy(&source, &target)?;
    if ctx.global.json {
        let tables: serde_json::Map<String, serde_json::Value> = copied
            .tables
            .iter()
            .map(|(name, rows)| (name.clone(), (*rows).into()))
            .collect();
        output::json(&serde_json::json!({
            "from": source.display().to_string(),
            "to": target.to_string(),
            "tables": tables,
            "queued": copied.queued,
            "payload_bytes": copied.payload_bytes,
            "duration_ms": copied.duration_ms,
        }))?;
    } else {
        print(&copied, &source.display().to_string(), &target.to_string())?;
    }
    let late: Vec<String> = [
        (copied.arrived, "event", "arrived"),
        (copied.started, "execution", "started"),
    ]
    .iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, what, how)| format!("{n} {what}{} {how}", if *n == 1 { "" } else { "s" }))
    .collect();
    if !late.is_empty() {
        return Err(Failure::failed(format!(
            "{} in {} during the copy: not in {target}",
            late.join(" and "),
            source.display()
        ))
        .hint(
            "stop every hooks serve and scenario run on the file, empty the target and copy again",
        )
        .into());
    }
    Ok(ExitCode::SUCCESS)
}

fn print(copied: &Copied, from: &str, to: &str) -> Result<()> {
    output::line(format!(
        "copied {from} into {to} in {:.1} s",
        copied.duration_ms as f64 / 1000.0
    ))?;
    let mut table = output::Table::new(["table", "rows"]);
    for (name, rows) in &copied.tables {
        let rows = match name.as_str() {
            "events" => format!("{rows} ({} queued)", copied.queued),
            "payloads" => format!("{rows} ({})", Size(copied.payload_bytes)),
            _ => rows.to_string(),
        };
        table.row(vec![name.clone(), rows]);
    }
    table.print()
}
