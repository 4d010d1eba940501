//! `hookq hooks replay|send|discard`: set failed events aside, fix, and put
//! them (or new ones) back in the queue.

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;

use super::events::EventJson;
use super::Ctx;
use crate::admission::{self, Caller, Refused};
use crate::cli::{Discard, Received, Replay, SendEvent};
use crate::clock::Millis;
use crate::engine::PAYLOAD_GONE;
use crate::error::Failure;
use crate::output;
use crate::store::{Enqueued, EventFilter, EventState, Hook, NewEvent, Store};
use crate::units::Size;
use crate::verify;

/// Events copied per transaction by `replay`.
const REPLAY_BATCH: usize = 500;

/// What `replay` did, or would do, with one event.
#[derive(Serialize)]
pub(crate) struct Replayed {
    pub(crate) event: i64,
    /// The copy's id; `null` in a dry run.
    pub(crate) new: Option<i64>,
}

#[derive(Serialize)]
pub(crate) struct Skipped {
    pub(crate) event: i64,
    pub(crate) reason: String,
}

#[derive(Serialize)]
pub(crate) struct ReplayReport {
    dry_run: bool,
    pub(crate) replayed: Vec<Replayed>,
    pub(crate) skipped: Vec<Skipped>,
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
        ..EventFilter::default()
    };
    // Named events come from the command line, so few: all must match
    // before anything is copied.
    if !args.events.is_empty() {
        let named = store.events(hook.id, &filter, false, u64::MAX)?;
        if let Some(missing) = args
            .events
            .iter()
            .find(|id| !named.iter().any(|e| e.id == **id))
        {
            return Err(Failure::refused(format!(
                "no event {missing} of hook {:?} matches",
                hook.name
            ))
            .into());
        }
    }
    let progress = io::stderr().is_terminal();
    let mut shown = false;
    let (report, queue_full) = replay_events(
        &mut *store,
        &hook,
        filter,
        ctx.now,
        args.dry_run,
        &mut |replayed| {
            if progress && replayed > 1_000 {
                shown = true;
                let _ = write!(io::stderr().lock(), "\rreplayed {replayed}");
            }
        },
    )?;
    if shown {
        output::note("");
    }
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
            output::note(format_args!("skipped event {}: {}", s.event, s.reason));
        }
    }
    // A payload that could not be read fails the command too (SPEC §7),
    // though the other events were replayed.
    let payload_gone = report.skipped.iter().any(|s| s.reason == PAYLOAD_GONE);
    Ok(if queue_full || payload_gone {
        let failed = report
            .skipped
            .iter()
            .filter(|s| !s.reason.starts_with("still "))
            .count();
        output::note(format_args!(
            "hookq: {failed} of the chosen events could not be replayed"
        ));
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Put copies of the events of `hook` matching `filter` at the tail of its
/// queue (`replay_of` = the original), or in a dry run only say which: the
/// rule of `hooks replay` and of the page's Replay button. `progress` hears
/// how many were replayed so far. Also says whether the queue was full.
pub(crate) fn replay_events(
    store: &mut dyn Store,
    hook: &Hook,
    mut filter: EventFilter,
    now: Millis,
    dry_run: bool,
    progress: &mut dyn FnMut(usize),
) -> Result<(ReplayReport, bool)> {
    // The candidates are taken a batch at a time, in id order, up to the
    // newest one now: the copies (new ids) are never candidates themselves.
    filter.through = store
        .events(hook.id, &filter, true, 1)?
        .first()
        .map(|e| e.id);
    let mut report = ReplayReport {
        dry_run,
        replayed: Vec::new(),
        skipped: Vec::new(),
    };
    let mut queue_full = false;
    while filter.through.is_some() {
        let batch = store.events(hook.id, &filter, false, REPLAY_BATCH as u64)?;
        let Some(last) = batch.last() else {
            break;
        };
        filter.after = Some(last.id);
        let mut chosen = Vec::with_capacity(batch.len());
        for event in batch {
            let reason = match event.state {
                EventState::Queued | EventState::Running => Some(format!("still {}", event.state)),
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
        if dry_run {
            report.replayed.extend(chosen.iter().map(|e| Replayed {
                event: e.id,
                new: None,
            }));
            continue;
        }
        let mut copies = Vec::with_capacity(chosen.len());
        let mut originals = Vec::with_capacity(chosen.len());
        for event in chosen {
            // Purged between the listing and now: reported, never half-copied.
            match store.payload(event.id)? {
                Some(body) => {
                    originals.push(event.id);
                    copies.push(NewEvent {
                        hook_id: hook.id,
                        received_at: now,
                        method: event.method,
                        path: event.path,
                        query: event.query,
                        headers: event.headers,
                        remote_addr: event.remote_addr,
                        content_type: event.content_type,
                        body,
                        replay_of: Some(event.id),
                        // A replay is meant to run again: never a duplicate.
                        delivery: None,
                    });
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
                // Copies carry no delivery id.
                Enqueued::NoHook | Enqueued::Duplicate => {
                    return Err(
                        Failure::refused(format!("hook {:?} was deleted", hook.name)).into(),
                    )
                }
            }
        }
        progress(report.replayed.len());
    }
    report.skipped.sort_by_key(|s| s.event);
    Ok((report, queue_full))
}

pub fn send(ctx: &Ctx, args: SendEvent) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let hook = store.hook(&args.hook)?;
    let event = TestEvent {
        method: args.method,
        headers: args.header,
        content_type: args.content_type,
        body: Vec::new(),
    };
    // Before reading the body: a disabled hook refuses at once, stdin unread.
    event.admit(&hook, ctx.now, |rules, head| {
        admission::before_body(rules, head)
    })?;
    let max = hook.settings.max_body;
    let body = match args.data.as_deref() {
        None => Vec::new(),
        Some("@-") => {
            read_at_most(io::stdin().lock(), max).context("could not read standard input")?
        }
        Some(data) => match data.strip_prefix('@') {
            // A file the user named that is not there is bad input (exit 2).
            Some(path) => {
                let file = std::fs::File::open(path)
                    .map_err(|e| Failure::usage(format!("could not read {path}: {e}")))?;
                read_at_most(file, max).with_context(|| format!("could not read {path}"))?
            }
            None => data.as_bytes().to_vec(),
        },
    };
    match send_event(&mut *store, &hook, TestEvent { body, ..event }, ctx.now)? {
        Sent::Stored(id) => {
            if ctx.global.json {
                output::json(&EventJson::new(&store.event(id)?))?;
            } else {
                output::line(id)?;
            }
        }
        Sent::Duplicate => {
            output::note(format_args!(
                "hookq: hook {:?} accepted this delivery already; not queued again",
                hook.name
            ));
            if ctx.global.json {
                output::json(&serde_json::json!({"duplicate": true}))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An event to enqueue by hand: `hooks send`, or the page's test event.
pub(crate) struct TestEvent {
    pub method: String,
    pub headers: Vec<(String, String)>,
    /// Replaces any Content-Type among `headers`.
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What became of an event sent by hand.
pub(crate) enum Sent {
    Stored(i64),
    /// The hook accepted a delivery with this id already (SPEC §12).
    Duplicate,
}

impl TestEvent {
    /// Its headers, `content_type` put among them.
    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = self.headers.clone();
        if let Some(content_type) = &self.content_type {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            headers.push(("Content-Type".into(), content_type.clone()));
        }
        headers
    }

    /// Ask `check` of the server's admission rules (SPEC §4) about this
    /// event, as a local caller: no address, connection or rate.
    fn admit(
        &self,
        hook: &Hook,
        now: Millis,
        check: impl FnOnce(&admission::Hook<'_>, &admission::Head<'_>) -> Result<(), Refused>,
    ) -> Result<()> {
        let headers = self.headers();
        let path = format!("/wh/{}", hook.token);
        let rules = admission::Hook {
            enabled: hook.enabled,
            settings: &hook.settings,
            connection: None,
            queued: hook.queued,
        };
        let head = admission::Head {
            method: &self.method,
            path: &path,
            caller: Caller::Local,
            headers: &headers,
            query: "",
            declared_len: None,
            now_unix: now.div_euclid(1000),
        };
        check(&rules, &head).map_err(|r| refusal(hook, &self.method, r))
    }
}

/// Enqueue `event` on `hook` through the server's checks except the
/// network ones (SPEC §8): the rule of `hooks send` and of the page's
/// "Send a test event".
pub(crate) fn send_event(
    store: &mut dyn Store,
    hook: &Hook,
    event: TestEvent,
    now: Millis,
) -> Result<Sent> {
    // `hooks send` has clap check it; the page's form has this.
    let method = crate::cli::parse_method(&event.method).map_err(Failure::usage)?;
    let event = TestEvent { method, ..event };
    // The store checks the room for the event again, exactly, as it stores.
    event.admit(hook, now, |rules, head| {
        admission::before_body(rules, head)?;
        // With no connection there is no handshake: an event or nothing.
        admission::after_body(rules, head, &event.body, || Ok(())).map(|_| ())
    })?;
    let headers = event.headers();
    let content_type = admission::content_type(&headers).map(str::to_owned);
    let connection = match &hook.connection {
        Some(name) => Some(store.connection(name)?.verifier()),
        None => None,
    };
    let delivery = admission::delivery(&hook.settings, connection.as_ref(), &headers);
    let mut new = NewEvent {
        hook_id: hook.id,
        received_at: now,
        method: event.method,
        path: format!("/wh/{}", hook.token),
        query: String::new(),
        headers,
        remote_addr: None,
        content_type,
        body: event.body,
        replay_of: None,
        delivery,
    };
    // A credential typed here is kept out of the store as the server keeps
    // one out, though nothing checked it.
    verify::redact_credentials(
        connection.as_ref(),
        &mut new.headers,
        &mut new.query,
        verify::NOT_VERIFIED,
    );
    match store.enqueue(&[new], &[])?[0] {
        Enqueued::Stored(id) => Ok(Sent::Stored(id)),
        Enqueued::Duplicate => Ok(Sent::Duplicate),
        Enqueued::QueueFull => Err(queue_full(&hook.name, hook.settings.queue_limit)),
        Enqueued::NoHook => {
            Err(Failure::refused(format!("hook {:?} was deleted", hook.name)).into())
        }
    }
}

/// Up to `max` bytes and one more, which is enough to refuse the body: an
/// endless input (`yes | hookq hooks send h --data @-`) ends there instead
/// of taking the memory.
fn read_at_most(input: impl Read, max: u64) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    input.take(max.saturating_add(1)).read_to_end(&mut body)?;
    Ok(body)
}

/// The server's refusal as `hooks send` says it: a request the user can
/// fix is a usage error (2), a state of the hook is a refusal (3).
fn refusal(hook: &Hook, method: &str, refused: Refused) -> anyhow::Error {
    let name = &hook.name;
    match refused {
        Refused::Disabled => Failure::refused(format!("hook {name:?} is disabled"))
            .hint(format!("`hookq hooks enable {name}`"))
            .into(),
        Refused::Method(methods) => Failure::usage(format!(
            "hook {name:?} does not accept {method} (only {})",
            methods.join(", ")
        ))
        .into(),
        Refused::TooLarge => Failure::usage(format!(
            "the body is larger than hook {name:?} accepts ({})",
            Size(hook.settings.max_body)
        ))
        .into(),
        Refused::QueueFull => queue_full(name, hook.settings.queue_limit),
        Refused::NotJson(message) => Failure::usage(message).into(),
        // Not asked of a local request: no address, connection or rate.
        Refused::Address | Refused::Unverified(_) | Refused::RateLimited(_) => Failure::refused(
            format!("hook {name:?} refused the event ({})", refused.status()),
        )
        .into(),
    }
}

fn queue_full(hook: &str, limit: u64) -> anyhow::Error {
    Failure::refused(format!(
        "the queue of hook {hook:?} is full ({limit} events)"
    ))
    .into()
}

pub fn discard(ctx: &Ctx, args: Discard) -> Result<ExitCode> {
    ctx.open()?.discard(&args.events)?;
    if ctx.global.json {
        output::json(&serde_json::json!({"discarded": args.events}))?;
        return Ok(ExitCode::SUCCESS);
    }
    let n = args.events.len();
    output::line(format_args!(
        "discarded {n} event{}",
        if n == 1 { "" } else { "s" }
    ))?;
    Ok(ExitCode::SUCCESS)
}
