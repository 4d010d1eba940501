//! `hookq hooks ...`: create, inspect, change and delete hooks.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::sweep::Pacer;
use super::Ctx;
use crate::cli::{CreateHook, EditHook, HookOptions, HooksCommand, ListHooks};
use crate::clock::{self, Millis};
use crate::error::Failure;
use crate::lifecycle;
use crate::output::{self, Table};
use crate::store::{Hook, HookSettings, Store};
use crate::units::{Duration, Size};

pub fn run(ctx: &Ctx, command: HooksCommand) -> Result<ExitCode> {
    match command {
        HooksCommand::Create(args) => create(ctx, args),
        HooksCommand::List(args) => list(ctx, args),
        HooksCommand::Show(args) => show(ctx, &args.hook),
        HooksCommand::Url(args) => {
            let hook = ctx.open()?.hook(&args.hook)?;
            let url = ctx.url(&hook.token);
            if ctx.global.json {
                output::json(&serde_json::json!({"name": hook.name, "url": url}))?;
            } else {
                output::line(url)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        HooksCommand::Enable(args) => {
            let mut store = ctx.open()?;
            let hook = store.hook(&args.hook)?;
            let changed = set_enabled(&mut *store, &hook, true, ctx.now)?;
            done(
                ctx,
                &args.hook,
                if changed {
                    "enabled"
                } else {
                    "was already enabled"
                },
            )
        }
        HooksCommand::Disable(args) => {
            let mut store = ctx.open()?;
            let hook = store.hook(&args.hook)?;
            let changed = set_enabled(&mut *store, &hook, false, ctx.now)?;
            done(
                ctx,
                &args.hook,
                if changed {
                    "disabled"
                } else {
                    "was already disabled"
                },
            )
        }
        HooksCommand::Edit(args) => edit(ctx, args),
        HooksCommand::Serve(args) => super::serve::run(ctx, args),
        HooksCommand::Events(args) => super::events::events(ctx, args),
        HooksCommand::Ops(args) => super::events::ops(ctx, args),
        HooksCommand::Payload(args) => super::events::payload(ctx, args),
        HooksCommand::Replay(args) => super::replay::replay(ctx, args),
        HooksCommand::Send(args) => super::replay::send(ctx, args),
        HooksCommand::Discard(args) => super::replay::discard(ctx, args),
        HooksCommand::Delete(args) => {
            let mut store = ctx.open()?;
            let hook = store.hook(&args.hook)?;
            // In short steps, as the sweep deletes: one transaction for a
            // long history would hold the write lock for seconds, and a
            // server waiting on it answers 503 after 30 s.
            let mut pacer = Pacer::new();
            while let Some(deleted) = store.delete_hook_step(&hook, pacer.batch())? {
                pacer.done(deleted as usize);
            }
            if ctx.global.json {
                output::json(&serde_json::json!({"hook": hook.name, "deleted": true}))?;
            } else {
                output::line(format_args!("deleted hook {}", hook.name))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Switch a hook on or off by hand (`hooks enable|disable`, the page's
/// status switch); whether it changed.
pub(crate) fn set_enabled(
    store: &mut dyn Store,
    hook: &Hook,
    enabled: bool,
    now: Millis,
) -> Result<bool> {
    if enabled {
        store.enable_hook(hook.id, now)
    } else {
        store.disable_hook(hook.id, now, "disabled by hand")
    }
}

/// After a change: the hook as it now is with `--json`, else one line.
fn done(ctx: &Ctx, key: &str, what: &str) -> Result<ExitCode> {
    let hook = ctx.open()?.hook(key)?;
    if ctx.global.json {
        output::json(&HookJson::new(ctx, &hook))?;
    } else {
        output::line(format_args!("hook {} {what}", hook.name))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn create(ctx: &Ctx, args: CreateHook) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let settings = apply(&*store, HookSettings::default(), &args.settings)?;
    let hook = store.create_hook(&args.name, &settings, ctx.now)?;
    if ctx.global.json {
        output::json(&HookJson::new(ctx, &hook))?;
    } else {
        output::line(ctx.url(&hook.token))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn edit(ctx: &Ctx, args: EditHook) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let hook = store.hook(&args.hook)?;
    let mut settings = apply(&*store, hook.settings.clone(), &args.settings)?;
    if args.any_ip {
        settings.allow_ips.clear();
    }
    if args.any_method {
        settings.methods.clear();
    }
    if args.no_json_passthrough {
        settings.json_passthrough = false;
    }
    if args.no_connection {
        settings.connection_id = None;
    }
    store.update_hook_settings(hook.id, &settings)?;
    done(ctx, &hook.token, "updated")
}

/// The options given on the command line, over `settings`.
fn apply(
    store: &dyn Store,
    mut settings: HookSettings,
    options: &HookOptions,
) -> Result<HookSettings> {
    if let Some(rate) = options.rate_limit {
        settings.rate_limit = rate;
    }
    if let Some(burst) = options.burst {
        settings.burst = burst;
    }
    if let Some(limit) = options.queue_limit {
        settings.queue_limit = limit;
    }
    if let Some(Size(max)) = options.max_body {
        settings.max_body = max;
    }
    if !options.allow_ip.is_empty() {
        settings.allow_ips = options.allow_ip.clone();
    }
    if !options.method.is_empty() {
        settings.methods = options.method.clone();
        settings.methods.dedup();
    }
    if options.json_passthrough {
        settings.json_passthrough = true;
    }
    if let Some(name) = &options.connection {
        settings.connection_id = Some(store.connection(name)?.id);
    }
    if options.no_dedupe {
        settings.dedupe = false;
    }
    if let Some(Duration(window)) = options.dedupe_window {
        if window <= 0 {
            return Err(Failure::usage("--dedupe-window must be longer than 0").into());
        }
        settings.dedupe = true;
        settings.dedupe_window = window;
    }
    if let Some(header) = &options.dedupe_header {
        if crate::respond::check_syntax(header, "").is_err() {
            return Err(Failure::usage(format!(
                "--dedupe-header {header:?} is not a valid HTTP header name"
            ))
            .into());
        }
        settings.dedupe = true;
        settings.dedupe_header = Some(header.clone());
    }
    Ok(settings)
}

/// The hook object of `hooks list --json` (SPEC §3), exactly these fields.
#[derive(Serialize)]
pub(crate) struct HookJson {
    pub(crate) name: String,
    pub(crate) token: String,
    pub(crate) url: String,
    pub(crate) enabled: bool,
    pub(crate) queue: u64,
    pub(crate) expired: bool,
    pub(crate) scenario: Option<String>,
    pub(crate) connection: Option<String>,
    pub(crate) created_at: String,
    pub(crate) last_event_at: Option<String>,
    pub(crate) disabled_at: Option<String>,
    pub(crate) rate_limit: u32,
    pub(crate) burst: u32,
    pub(crate) queue_limit: u64,
    pub(crate) max_body: u64,
    pub(crate) operations: u64,
}

impl HookJson {
    pub(crate) fn new(ctx: &Ctx, hook: &Hook) -> Self {
        HookJson {
            name: hook.name.clone(),
            token: hook.token.clone(),
            url: ctx.url(&hook.token),
            enabled: hook.enabled,
            queue: hook.queued,
            expired: expired(hook, ctx.now),
            scenario: hook.scenario.clone(),
            connection: hook.connection.clone(),
            created_at: clock::format(hook.created_at),
            last_event_at: hook.last_event_at.map(clock::format),
            disabled_at: hook.disabled_at.map(clock::format),
            rate_limit: hook.settings.rate_limit,
            burst: hook.settings.burst,
            queue_limit: hook.settings.queue_limit,
            max_body: hook.settings.max_body,
            operations: hook.operations,
        }
    }
}

fn expired(hook: &Hook, now: Millis) -> bool {
    let last_activity = hook.last_event_at.unwrap_or(hook.created_at);
    lifecycle::is_expired(hook.unassigned_since, last_activity, now)
}

/// The columns of `hooks list`, in the spec's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Name,
    Url,
    Status,
    Queue,
    Expired,
    Scenario,
    Connection,
    LastEvent,
    Created,
    RateLimit,
    Ops,
}

impl Column {
    pub(crate) const ALL: [(Column, &'static str); 11] = [
        (Column::Name, "name"),
        (Column::Url, "url"),
        (Column::Status, "status"),
        (Column::Queue, "queue"),
        (Column::Expired, "expired"),
        (Column::Scenario, "scenario"),
        (Column::Connection, "connection"),
        (Column::LastEvent, "last_event"),
        (Column::Created, "created"),
        (Column::RateLimit, "rate_limit"),
        (Column::Ops, "ops"),
    ];
    pub(crate) const DEFAULT: [Column; 7] = [
        Column::Name,
        Column::Url,
        Column::Status,
        Column::Queue,
        Column::Expired,
        Column::Scenario,
        Column::Connection,
    ];

    fn parse(name: &str) -> Result<Column, Failure> {
        Self::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
            .map(|(column, _)| *column)
            .ok_or_else(|| {
                let valid: Vec<&str> = Self::ALL.iter().map(|(_, n)| *n).collect();
                Failure::usage(format!(
                    "unknown column {name:?}; valid columns: {}",
                    valid.join(", ")
                ))
            })
    }

    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("", |(_, n)| n)
    }

    pub(crate) fn cell(self, hook: &HookJson) -> String {
        let or_dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
        match self {
            Column::Name => hook.name.clone(),
            Column::Url => hook.url.clone(),
            Column::Status => if hook.enabled { "enabled" } else { "disabled" }.into(),
            Column::Queue => hook.queue.to_string(),
            Column::Expired => if hook.expired { "yes" } else { "no" }.into(),
            Column::Scenario => or_dash(&hook.scenario),
            Column::Connection => or_dash(&hook.connection),
            Column::LastEvent => or_dash(&hook.last_event_at),
            Column::Created => hook.created_at.clone(),
            Column::RateLimit => match hook.rate_limit {
                0 => "unlimited".into(),
                rate => format!("{rate}/s"),
            },
            Column::Ops => hook.operations.to_string(),
        }
    }
}

fn list(ctx: &Ctx, args: ListHooks) -> Result<ExitCode> {
    let columns = if args.columns.is_empty() {
        Column::DEFAULT.to_vec()
    } else {
        args.columns
            .iter()
            .map(|name| Column::parse(name))
            .collect::<Result<Vec<_>, _>>()?
    };
    let term = args.search.as_deref().map(str::to_lowercase);
    let hooks: Vec<HookJson> = ctx
        .open()?
        .hooks()?
        .iter()
        .map(|hook| HookJson::new(ctx, hook))
        .filter(|hook| term.as_deref().is_none_or(|term| matches(hook, term)))
        .collect();
    if ctx.global.json {
        output::json(&hooks)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(columns.iter().map(|c| c.name()));
    for hook in &hooks {
        table.row(columns.iter().map(|c| c.cell(hook)).collect());
    }
    table.print()?;
    Ok(ExitCode::SUCCESS)
}

/// `--search`: a case-insensitive substring of the name, token or URL,
/// scenario or connection.
pub(crate) fn matches(hook: &HookJson, term: &str) -> bool {
    [
        Some(&hook.name),
        Some(&hook.url),
        hook.scenario.as_ref(),
        hook.connection.as_ref(),
    ]
    .into_iter()
    .flatten()
    .any(|field| field.to_lowercase().contains(term))
}

/// `hooks show --json`: the list object and the settings and counters that
/// do not fit in a table row.
#[derive(Serialize)]
struct HookDetail {
    #[serde(flatten)]
    hook: HookJson,
    allow_ip: Vec<String>,
    methods: Vec<String>,
    json_passthrough: bool,
    disabled_reason: Option<String>,
    unassigned_since: Option<String>,
    refused: BTreeMap<String, u64>,
    /// `null` when the hook keeps every delivery.
    dedupe_window: Option<String>,
    dedupe_header: Option<String>,
    duplicates: u64,
}

fn show(ctx: &Ctx, key: &str) -> Result<ExitCode> {
    let store = ctx.open()?;
    let hook = store.hook(key)?;
    let detail = HookDetail {
        hook: HookJson::new(ctx, &hook),
        allow_ip: hook
            .settings
            .allow_ips
            .iter()
            .map(|c| c.to_string())
            .collect(),
        methods: hook.settings.methods.clone(),
        json_passthrough: hook.settings.json_passthrough,
        disabled_reason: hook.disabled_reason.clone(),
        unassigned_since: hook.unassigned_since.map(clock::format),
        refused: store
            .refusals(hook.id)?
            .into_iter()
            .map(|(status, count)| (status.to_string(), count))
            .collect(),
        dedupe_window: hook
            .settings
            .dedupe
            .then(|| Duration(hook.settings.dedupe_window).to_string()),
        dedupe_header: hook.settings.dedupe_header.clone(),
        duplicates: hook.duplicates,
    };
    if ctx.global.json {
        output::json(&detail)?;
        return Ok(ExitCode::SUCCESS);
    }
    let h = &detail.hook;
    let any = |list: &[String]| {
        if list.is_empty() {
            "any".into()
        } else {
            list.join(", ")
        }
    };
    let refused = if detail.refused.is_empty() {
        "none".into()
    } else {
        let counts: Vec<String> = detail
            .refused
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        counts.join(", ")
    };
    let mut status = Column::Status.cell(h);
    if let (Some(at), Some(reason)) = (&h.disabled_at, &detail.disabled_reason) {
        status = format!("{status} since {at} ({reason})");
    }
    output::fields(&[
        ("name", h.name.clone()),
        ("url", h.url.clone()),
        ("status", status),
        ("queue", format!("{} of {}", h.queue, h.queue_limit)),
        ("expired", Column::Expired.cell(h)),
        ("scenario", Column::Scenario.cell(h)),
        ("connection", Column::Connection.cell(h)),
        (
            "rate limit",
            match h.rate_limit {
                0 => Column::RateLimit.cell(h),
                _ => format!("{}, bursts of {}", Column::RateLimit.cell(h), h.burst),
            },
        ),
        ("max body", Size(h.max_body).to_string()),
        ("methods", any(&detail.methods)),
        ("allowed ips", any(&detail.allow_ip)),
        (
            "json passthrough",
            if detail.json_passthrough { "on" } else { "off" }.into(),
        ),
        ("created", h.created_at.clone()),
        ("last event", Column::LastEvent.cell(h)),
        ("operations", h.operations.to_string()),
        ("refused", refused),
        (
            "duplicates",
            match (&detail.dedupe_window, &detail.dedupe_header) {
                (None, _) => "kept (--no-dedupe)".into(),
                (Some(window), header) => format!(
                    "{} dropped (ids of the last {window}{})",
                    detail.duplicates,
                    header
                        .as_ref()
                        .map(|h| format!(", from {h}"))
                        .unwrap_or_default()
                ),
            },
        ),
    ])?;
    Ok(ExitCode::SUCCESS)
}
