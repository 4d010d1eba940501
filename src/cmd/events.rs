//! `hookq hooks events|ops|payload|replay|send|discard`: see what arrived and
//! what ran, then fix and replay.

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use super::Ctx;
use crate::bundle;
use crate::cli::{
    Discard, ListEvents, ListOps, OpStatus, Received, Replay, SendEvent, ShowPayload,
};
use crate::clock;
use crate::engine::PAYLOAD_GONE;
use crate::error::Failure;
use crate::output::{self, Table};
use crate::store::{Enqueued, Event, EventFilter, EventState, NewEvent, Operation, Store};
use crate::units::Size;

/// Events copied per transaction by `replay`.
const REPLAY_BATCH: usize = 500;

/// `hooks events --json` (SPEC §8).
#[derive(Serialize)]
struct EventJson {
    id: i64,
    hook: String,
    state: String,
    received_at: String,
    method: String,
    content_type: Option<String>,
    size: u64,
    attempts: u32,
    replay_of: Option<i64>,
    payload_available: bool,
}

impl EventJson {
    fn new(e: &Event) -> Self {
        EventJson {
            id: e.id,
            hook: e.hook.clone(),
            state: e.state.clone(),
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
        let mut state = e.state;
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
    started_at: String,
    duration_ms: i64,
    error: Option<String>,
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
            status: if op.ok { "ok" } else { "error" },
            exit_code: op.exit_code,
            started_at: clock::format(op.started_at),
            duration_ms: op.duration_ms,
            error: op.error.clone(),
            stdout: text(&op.stdout),
            stderr: text(&op.stderr),
        }
    }
}

pub fn ops(ctx: &Ctx, args: ListOps) -> Result<ExitCode> {
    let store = ctx.open()?;
    let hook = store.hook(&args.hook)?;
    let ok = args.status.map(|s| matches!(s, OpStatus::Ok));
    let ops = store.operations(hook.id, ok, args.event, args.limit)?;
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
            let exit = op.exit_code.map_or_else(|| "-".into(), |c| c.to_string());
            writeln!(
                out,
                "== operation {} (event {}, {}, exit {exit}, {}){}",
                op.id,
                op.event_id,
                if op.ok { "ok" } else { "error" },
                clock::format(op.started_at),
                op.error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            )?;
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
        table.row(vec![
            op.id.to_string(),
            op.execution_id
                .map_or_else(|| "-".into(), |id| id.to_string()),
            op.event_id.to_string(),
            op.scenario,
            if op.ok { "ok" } else { "error" }.into(),
            op.exit_code.map_or_else(|| "-".into(), |c| c.to_string()),
            clock::format(op.started_at),
            format!("{}ms", op.duration_ms),
            op.error.unwrap_or_else(|| "-".into()),
        ]);
    }
    table.print()?;
    Ok(ExitCode::SUCCESS)
}

/// The body of a stored event; a purged one fails with the message of SPEC §7.
fn body_of(store: &Store, event: &Event) -> Result<Vec<u8>> {
    store
        .payload(event.id)?
        .ok_or_else(|| Failure::failed(PAYLOAD_GONE).into())
}

pub fn payload(ctx: &Ctx, args: ShowPayload) -> Result<ExitCode> {
    let store = ctx.open()?;
    let event = store.event(args.event)?;
    let body = body_of(&store, &event)?;
    let mut out = io::stdout().lock();
    if args.bundle {
        let hook = store.hook(&event.hook)?;
        let received_at = clock::format(event.received_at);
        let bundle = bundle::bundle(&bundle::Request {
            event_id: event.id,
            method: &event.method,
            query: &event.query,
            headers: &event.headers,
            content_type: event.content_type.as_deref(),
            received_at: &received_at,
            body: &body,
            json_passthrough: hook.settings.json_passthrough,
        });
        serde_json::to_writer_pretty(&mut out, &bundle).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        out.write_all(&body)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// What `replay` did, or would do, with one event.
#[derive(Serialize)]
struct Replayed {
    event: i64,
    /// The copy's id; `null` in a dry run.
    new: Option<i64>,
}

#[derive(Serialize)]
struct Skipped {
    event: i64,
    reason: String,
}

#[derive(Serialize)]
struct ReplayReport {
    dry_run: bool,
    replayed: Vec<Replayed>,
    skipped: Vec<Skipped>,
}

pub fn replay(ctx: &Ctx, args: Replay) -> Result<ExitCode> {
    let Received { since, until } = args.received;
    if args.events.is_empty() && args.state.is_empty() && since.is_none() && until.is_none() {
        return Err(Failure::usage("say which events to replay")
            .hint("--event ID, --state incomplete|done|discarded, --since TIME or --until TIME")
            .into());
    }
    let mut store = ctx.open()?;
    let hook = store.hook(&args.hook)?;
    // Named events are taken whatever their state (and refused below if still
    // waiting); otherwise only events that have left the queue.
    let states = match (args.state.is_empty(), args.events.is_empty()) {
        (false, _) => args.state,
        (true, false) => Vec::new(),
        (true, true) => vec![
            EventState::Done,
            EventState::Incomplete,
            EventState::Discarded,
        ],
    };
    let filter = EventFilter {
        states,
        since,
        until,
        ids: args.events.clone(),
    };
    let candidates = store.events(hook.id, &filter, false, u64::MAX)?;
    if let Some(missing) = args
        .events
        .iter()
        .find(|id| !candidates.iter().any(|e| e.id == **id))
    {
        return Err(Failure::refused(format!(
            "no event {missing} of hook {:?} matches",
            hook.name
        ))
        .into());
    }
    let mut report = ReplayReport {
        dry_run: args.dry_run,
        replayed: Vec::new(),
        skipped: Vec::new(),
    };
    let mut chosen = Vec::new();
    for event in candidates {
        let reason = match event.state.as_str() {
            "queued" | "running" => Some(format!("still {}", event.state)),
            _ if !event.payload_available => Some(PAYLOAD_GONE.to_owned()),
            _ => None,
        };
        match reason {
            Some(reason) => report.skipped.push(Skipped {
                event: event.id,
                reason,
            }),
            None => chosen.push(event),
        }
    }
    let progress = chosen.len() > 1_000 && io::stderr().is_terminal();
    let mut queue_full = false;
    for (batch_number, batch) in chosen.chunks(REPLAY_BATCH).enumerate() {
        if args.dry_run {
            report.replayed.extend(batch.iter().map(|e| Replayed {
                event: e.id,
                new: None,
            }));
            continue;
        }
        let mut copies = Vec::with_capacity(batch.len());
        let mut originals = Vec::with_capacity(batch.len());
        for event in batch {
            // Purged between the listing and now: reported, never half-copied.
            match store.payload(event.id)? {
                Some(body) => {
                    copies.push(NewEvent {
                        hook_id: hook.id,
                        received_at: ctx.now,
                        method: event.method.clone(),
                        path: event.path.clone(),
                        query: event.query.clone(),
                        headers: event.headers.clone(),
                        remote_addr: event.remote_addr.clone(),
                        content_type: event.content_type.clone(),
                        body,
                        replay_of: Some(event.id),
                    });
                    originals.push(event.id);
                }
                None => report.skipped.push(Skipped {
                    event: event.id,
                    reason: PAYLOAD_GONE.to_owned(),
                }),
            }
        }
        for (original, outcome) in originals.into_iter().zip(store.enqueue(&copies, &[])?) {
            match outcome {
                Enqueued::Stored(id) => report.replayed.push(Replayed {
                    event: original,
                    new: Some(id),
                }),
                Enqueued::QueueFull => {
                    queue_full = true;
                    report.skipped.push(Skipped {
                        event: original,
                        reason: format!("queue full ({} events)", hook.settings.queue_limit),
                    });
                }
                Enqueued::NoHook => {
                    return Err(
                        Failure::refused(format!("hook {:?} was deleted", hook.name)).into(),
                    )
                }
            }
        }
        if progress {
            eprint!(
                "\rreplayed {} of {}",
                (batch_number + 1) * REPLAY_BATCH,
                chosen.len()
            );
        }
    }
    if progress {
        eprintln!();
    }
    report.skipped.sort_by_key(|s| s.event);
    if ctx.global.json {
        output::json(&report)?;
    } else {
        let mut out = io::stdout().lock();
        for r in &report.replayed {
            match r.new {
                Some(id) => writeln!(out, "{id}")?,
                None => writeln!(out, "would replay event {}", r.event)?,
            }
        }
        for s in &report.skipped {
            eprintln!("skipped event {}: {}", s.event, s.reason);
        }
    }
    Ok(if queue_full {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub fn send(ctx: &Ctx, args: SendEvent) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let hook = store.hook(&args.hook)?;
    if !hook.enabled {
        return Err(
            Failure::refused(format!("hook {:?} is disabled", hook.name))
                .hint(format!("`hookq hooks enable {}`", hook.name))
                .into(),
        );
    }
    let methods = &hook.settings.methods;
    if !methods.is_empty() && !methods.contains(&args.method) {
        return Err(Failure::usage(format!(
            "hook {:?} does not accept {} (only {})",
            hook.name,
            args.method,
            methods.join(", ")
        ))
        .into());
    }
    let body = match args.data.as_deref() {
        None => Vec::new(),
        Some("@-") => {
            let mut body = Vec::new();
            io::stdin()
                .read_to_end(&mut body)
                .context("could not read standard input")?;
            body
        }
        Some(data) => match data.strip_prefix('@') {
            Some(path) => std::fs::read(path).with_context(|| format!("could not read {path}"))?,
            None => data.as_bytes().to_vec(),
        },
    };
    if body.len() as u64 > hook.settings.max_body {
        return Err(Failure::usage(format!(
            "the body ({}) is larger than hook {:?} accepts ({})",
            Size(body.len() as u64),
            hook.name,
            Size(hook.settings.max_body)
        ))
        .into());
    }
    let mut headers = args.header;
    if let Some(content_type) = &args.content_type {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        headers.push(("Content-Type".into(), content_type.clone()));
    }
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.clone());
    bundle::check_json(content_type.as_deref(), &body).map_err(Failure::usage)?;
    let event = NewEvent {
        hook_id: hook.id,
        received_at: ctx.now,
        method: args.method,
        path: format!("/wh/{}", hook.token),
        query: String::new(),
        headers,
        remote_addr: None,
        content_type,
        body,
        replay_of: None,
    };
    match store.enqueue(&[event], &[])?[0] {
        Enqueued::Stored(id) => {
            if ctx.global.json {
                output::json(&EventJson::new(&store.event(id)?))?;
            } else {
                output::line(id)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Enqueued::QueueFull => Err(Failure::refused(format!(
            "the queue of hook {:?} is full ({} events)",
            hook.name, hook.settings.queue_limit
        ))
        .into()),
        Enqueued::NoHook => {
            Err(Failure::refused(format!("hook {:?} was deleted", hook.name)).into())
        }
    }
}

pub fn discard(ctx: &Ctx, args: Discard) -> Result<ExitCode> {
    ctx.open()?.discard(&args.events)?;
    let n = args.events.len();
    output::line(format_args!(
        "discarded {n} event{}",
        if n == 1 { "" } else { "s" }
    ))?;
    Ok(ExitCode::SUCCESS)
}
