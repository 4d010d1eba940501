//! `hookq hooks events|ops|payload`: see what arrived and what ran.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::Ctx;
use crate::bundle;
use crate::cli::{ListEvents, ListOps, OpStatus, ShowPayload};
use crate::clock;
use crate::engine::PAYLOAD_GONE;
use crate::error::Failure;
use crate::output::{self, Table};
use crate::store::{Event, EventFilter, Operation, OperationStatus, Store};
use crate::units::Size;

/// `hooks events --json` (SPEC §8).
#[derive(Serialize)]
pub(crate) struct EventJson {
    id: i64,
    hook: String,
    state: &'static str,
    received_at: String,
    method: String,
    content_type: Option<String>,
    size: u64,
    attempts: u32,
    replay_of: Option<i64>,
    payload_available: bool,
}

impl EventJson {
    pub(crate) fn new(e: &Event) -> Self {
        EventJson {
            id: e.id,
            hook: e.hook.clone(),
            state: e.state.as_str(),
            received_at: clock::format(e.received_at),
            method: e.method.clone(),
            content_type: e.content_type.clone(),
            size: e.size,
            attempts: e.attempts,
            replay_of: e.replay_of,
            payload_available: e.payload_available,
        }
    }
}

pub fn events(ctx: &Ctx, args: ListEvents) -> Result<ExitCode> {
    let store = ctx.open()?;
    let hook = store.hook(&args.hook)?;
    let filter = EventFilter {
        states: args.state,
        since: args.received.since,
        until: args.received.until,
        ids: Vec::new(),
        ..EventFilter::default()
    };
    let events: Vec<EventJson> = store
        .events(hook.id, &filter, true, args.limit)?
        .iter()
        .map(EventJson::new)
        .collect();
    if ctx.global.json {
        output::json(&events)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new([
        "id",
        "state",
        "received",
        "method",
        "content_type",
        "size",
        "attempts",
    ]);
    for e in events {
        let mut state = e.state.to_owned();
        if let Some(original) = e.replay_of {
            state = format!("{state} (replay of {original})");
        }
        if !e.payload_available {
            state.push_str(" (purged)");
        }
        table.row(vec![
            e.id.to_string(),
            state,
            e.received_at,
            e.method,
            e.content_type.unwrap_or_else(|| "-".into()),
            Size(e.size).to_string(),
            e.attempts.to_string(),
        ]);
    }
    table.print()?;
    Ok(ExitCode::SUCCESS)
}

/// `hooks ops --json` (SPEC §8); the output only with `--output`.
#[derive(Serialize)]
struct OperationJson {
    id: i64,
    run_id: Option<i64>,
    event_id: i64,
    scenario: String,
    status: &'static str,
    exit_code: Option<i32>,
    /// A delivery's answer status (forwarding scenarios only).
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    started_at: String,
    duration_ms: i64,
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_headers: Option<Vec<(String, String)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stderr: Option<String>,
}

impl OperationJson {
    fn new(op: &Operation, with_output: bool) -> Self {
        let text = |bytes: &[u8]| with_output.then(|| String::from_utf8_lossy(bytes).into_owned());
        OperationJson {
            id: op.id,
            run_id: op.execution_id,
            event_id: op.event_id,
            scenario: op.scenario.clone(),
            status: op.status.as_str(),
            exit_code: op.exit_code,
            http_status: op.http_status,
            started_at: clock::format(op.started_at),
            duration_ms: op.duration_ms,
            error: op.error.clone(),
            http_headers: (with_output && op.http_status.is_some())
                .then(|| op.http_headers.clone()),
            stdout: text(&op.stdout),
            stderr: text(&op.stderr),
        }
    }
}

pub fn ops(ctx: &Ctx, args: ListOps) -> Result<ExitCode> {
    let store = ctx.open()?;
    let hook = store.hook(&args.hook)?;
    // An event that is not this hook's has no operations to show; saying
    // nothing would read as "it never ran".
    if let Some(id) = args.event {
        if store.event(id)?.hook != hook.name {
            return Err(
                Failure::refused(format!("no event {id} of hook {:?}", hook.name))
                    .hint(format!(
                        "`hookq hooks events {}` lists its events",
                        hook.name
                    ))
                    .into(),
            );
        }
    }
    let status = args.status.map(|s| match s {
        OpStatus::Ok => OperationStatus::Ok,
        OpStatus::Error => OperationStatus::Error,
    });
    let ops = store.operations(hook.id, status, args.event, args.limit)?;
    if ctx.global.json {
        let ops: Vec<OperationJson> = ops
            .iter()
            .map(|op| OperationJson::new(op, args.output))
            .collect();
        output::json(&ops)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.output {
        let mut out = io::stdout().lock();
        for op in &ops {
            let exit = match (op.http_status, op.exit_code) {
                (Some(status), _) => format!("HTTP {status}, {}ms", op.duration_ms),
                (None, code) => format!(
                    "exit {}",
                    code.map_or_else(|| "-".into(), |c| c.to_string())
                ),
            };
            writeln!(
                out,
                "== operation {} (event {}, {}, {exit}, {}){}",
                op.id,
                op.event_id,
                op.status.as_str(),
                clock::format(op.started_at),
                op.error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            )?;
            if op.http_status.is_some() {
                // The answer as the target sent it: its headers, then the
                // first 64 KiB of its body.
                writeln!(out, "-- answer headers")?;
                for (name, value) in &op.http_headers {
                    writeln!(out, "{name}: {value}")?;
                }
                writeln!(out, "-- answer body")?;
                out.write_all(&op.stdout)?;
                if !op.stdout.is_empty() && !op.stdout.ends_with(b"\n") {
                    writeln!(out)?;
                }
                continue;
            }
            for (name, bytes) in [("stdout", &op.stdout), ("stderr", &op.stderr)] {
                writeln!(out, "-- {name}")?;
                out.write_all(bytes)?;
                if !bytes.is_empty() && !bytes.ends_with(b"\n") {
                    writeln!(out)?;
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new([
        "id", "run", "event", "scenario", "status", "exit", "started", "duration", "error",
    ]);
    for op in ops {
        let result = op.result();
        table.row(vec![
            op.id.to_string(),
            op.execution_id
                .map_or_else(|| "-".into(), |id| id.to_string()),
            op.event_id.to_string(),
            op.scenario,
            op.status.to_string(),
            result,
            clock::format(op.started_at),
            format!("{}ms", op.duration_ms),
            op.error.unwrap_or_else(|| "-".into()),
        ]);
    }
    table.print()?;
    Ok(ExitCode::SUCCESS)
}

/// The body of a stored event; a purged one fails with the message of SPEC §7.
pub(crate) fn body_of(store: &dyn Store, event: &Event) -> Result<Vec<u8>> {
    store
        .payload(event.id)?
        .ok_or_else(|| Failure::failed(PAYLOAD_GONE).into())
}

/// The bundle of a stored event as `hooks payload --bundle` prints it (and
/// the page shows it): pretty JSON.
pub(crate) fn bundle_text(event: &Event, body: &[u8], json_passthrough: bool) -> Result<String> {
    let bundle = bundle::to_json(
        &bundle::Request {
            event_id: event.id,
            method: &event.method,
            query: &event.query,
            headers: &event.headers,
            content_type: event.content_type.as_deref(),
            received_at: event.received_at,
            body,
            json_passthrough,
        },
        bundle::Layout::Pretty,
    );
    Ok(String::from_utf8(bundle)?)
}

pub fn payload(ctx: &Ctx, args: ShowPayload) -> Result<ExitCode> {
    let store = ctx.open()?;
    let event = store.event(args.event)?;
    let body = body_of(&*store, &event)?;
    let mut out = io::stdout().lock();
    if args.bundle {
        let json_passthrough = store.hook(&event.hook)?.settings.json_passthrough;
        writeln!(out, "{}", bundle_text(&event, &body, json_passthrough)?)?;
    } else {
        out.write_all(&body)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
