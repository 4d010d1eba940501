//! `hookq scenario ...`: create, inspect, change and run scenarios.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use serde::Serialize;

use super::sweep::Pacer;
use super::Ctx;
use crate::cli::{
    CreateScenario, EditScenario, RunScenario, ScenarioCommand, ScenarioOptions, ScenarioRuns,
};
use crate::clock::{self, Clock};
use crate::engine;
use crate::error::Failure;
use crate::output::{self, Table};
use crate::store::{
    ExecutionRecord, ExecutionStatus, Forward, Scenario, ScenarioSettings, Trigger,
};
use crate::verify;

pub fn run(ctx: &Ctx, command: ScenarioCommand) -> Result<ExitCode> {
    match command {
        ScenarioCommand::Create(args) => create(ctx, args),
        ScenarioCommand::List => list(ctx),
        ScenarioCommand::Show(args) => {
            let scenario = ctx.open()?.scenario(&args.scenario)?;
            show(ctx, &scenario)
        }
        ScenarioCommand::Edit(args) => edit(ctx, args),
        ScenarioCommand::Activate(args) => set_active(ctx, &args.scenario, true),
        ScenarioCommand::Deactivate(args) => set_active(ctx, &args.scenario, false),
        ScenarioCommand::Delete(args) => {
            let mut store = ctx.open()?;
            let scenario = store.scenario(&args.scenario)?;
            // In short paced steps, like `hooks delete`.
            let mut pacer = Pacer::new();
            while let Some(changed) =
                store.delete_scenario_step(&scenario, pacer.batch(), ctx.now)?
            {
                pacer.done(changed as usize);
            }
            if ctx.global.json {
                output::json(&serde_json::json!({"scenario": scenario.name, "deleted": true}))?;
            } else {
                output::line(format_args!("deleted scenario {}", scenario.name))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ScenarioCommand::Run(args) => run_now(ctx, args),
        ScenarioCommand::Runs(args) => runs(ctx, args),
    }
}

/// The options given on the command line, over `settings`.
fn apply(mut settings: ScenarioSettings, options: &ScenarioOptions) -> ScenarioSettings {
    if let Some(schedule) = options.schedule {
        settings.schedule = schedule;
    }
    if let Some(n) = options.max_cycles {
        settings.max_cycles = n;
    }
    if let Some(n) = options.max_errors {
        settings.max_errors = n;
    }
    if let Some(timeout) = options.timeout {
        settings.timeout = timeout;
    }
    if let Some(input) = options.input {
        settings.input = input;
    }
    if options.store_incomplete {
        settings.store_incomplete = true;
    }
    if let Some(mode) = options.respond {
        settings.respond = Some(mode);
    }
    if let Some(status) = options.response_status {
        settings.response_status = status;
    }
    if !options.response_header.is_empty() {
        settings.response_headers = options.response_header.clone();
    }
    if let Some(timeout) = options.response_timeout {
        settings.response_timeout = timeout;
    }
    if let Some(url) = &options.forward {
        // A command scenario switched to forwarding starts from the
        // defaults; a forwarding one keeps what it had but the URL.
        let forward = settings.forward.get_or_insert_with(|| Forward {
            url: String::new(),
            headers: Vec::new(),
            timeout: Forward::DEFAULT_TIMEOUT,
            insecure: false,
        });
        forward.url = url.clone();
        settings.command = Vec::new();
    }
    if let Some(forward) = &mut settings.forward {
        if !options.forward_header.is_empty() {
            forward.headers = options.forward_header.clone();
        }
        if let Some(timeout) = options.forward_timeout {
            forward.timeout = timeout;
        }
        if options.forward_insecure {
            forward.insecure = true;
        }
    }
    settings
}

/// The forwarding options need a forwarding scenario: given to one that
/// runs a command (and not switched by `--forward`), they would be lost.
fn check_forward_options(settings: &ScenarioSettings, options: &ScenarioOptions) -> Result<()> {
    let given = !options.forward_header.is_empty()
        || options.forward_timeout.is_some()
        || options.forward_insecure;
    if given && settings.forward.is_none() {
        return Err(Failure::usage(
            "--forward-header, --forward-timeout and --forward-insecure need --forward URL",
        )
        .hint("a scenario either runs a command or forwards to a URL")
        .into());
    }
    // Options of a command that a delivery would silently ignore.
    let command_only = [
        ("--timeout", options.timeout.is_some()),
        ("--input", options.input.is_some()),
        ("--response-status", options.response_status.is_some()),
        ("--response-header", !options.response_header.is_empty()),
    ];
    if let (Some(_), Some((option, _))) = (
        &settings.forward,
        command_only.iter().find(|(_, given)| *given),
    ) {
        return Err(Failure::usage(format!(
            "{option} is a command's: a forwarding scenario does not use it"
        ))
        .hint("a delivery's time is bounded by --forward-timeout; its body is sent as received; with --respond the caller gets the target's answer")
        .into());
    }
    Ok(())
}

fn create(ctx: &Ctx, args: CreateScenario) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let hook = store.hook(&args.hook)?;
    let settings = apply(ScenarioSettings::new(resolve(args.command)?), &args.options);
    check_forward_options(&settings, &args.options)?;
    let scenario =
        store.create_scenario(&args.name, hook.id, &settings, !args.inactive, ctx.now)?;
    if ctx.global.json {
        output::json(&ScenarioJson::new(&scenario))?;
    } else {
        output::line(format_args!(
            "scenario {} processes hook {} ({}{})",
            scenario.name,
            scenario.hook,
            scenario.settings.schedule,
            if scenario.active { "" } else { ", inactive" }
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn edit(ctx: &Ctx, args: EditScenario) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let scenario = store.scenario(&args.scenario)?;
    let hook_id = match &args.hook {
        Some(hook) => store.hook(hook)?.id,
        None => scenario.hook_id,
    };
    let mut settings = apply(scenario.settings.clone(), &args.options);
    if args.no_store_incomplete {
        settings.store_incomplete = false;
    }
    if args.no_respond {
        settings.respond = None;
    }
    if !args.command.is_empty() {
        settings.command = resolve(args.command)?;
        settings.forward = None;
    }
    if args.no_forward_insecure {
        if let Some(forward) = &mut settings.forward {
            forward.insecure = false;
        }
    }
    check_forward_options(&settings, &args.options)?;
    store.update_scenario(&scenario, hook_id, &settings, ctx.now)?;
    done(ctx, &scenario.name, "updated")
}

/// A program given as a relative path (`./deploy.sh`, `bin/import`) is
/// the file the user sees from here: it is stored made absolute against
/// this directory, for the command runs later from wherever `hooks serve`
/// or `scenario run` was started. A bare name (`python3`) is left to be
/// looked up on PATH when it runs, as a shell would.
fn resolve(mut command: Vec<String>) -> Result<Vec<String>> {
    let Some(program) = command.first() else {
        return Ok(command);
    };
    let path = Path::new(program);
    if !program.contains('/') || path.is_absolute() {
        return Ok(command);
    }
    let here = std::env::current_dir()
        .context("could not read the working directory to resolve the command's path")?;
    let relative: PathBuf = path
        .components()
        .filter(|part| *part != Component::CurDir)
        .collect();
    let absolute = here.join(relative);
    command[0] = absolute
        .to_str()
        .ok_or_else(|| {
            Failure::usage(format!(
                "the command's path {} is not valid UTF-8",
                absolute.display()
            ))
        })?
        .to_owned();
    Ok(command)
}

fn set_active(ctx: &Ctx, name: &str, active: bool) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let scenario = store.scenario(name)?;
    let changed = store.set_scenario_active(scenario.id, active, ctx.now)?;
    let what = match (active, changed) {
        (true, true) => "activated",
        (true, false) => "was already active",
        (false, true) => "deactivated",
        (false, false) => "was already inactive",
    };
    done(ctx, name, what)
}

/// After a change: the scenario as it now is with `--json`, else one line.
fn done(ctx: &Ctx, name: &str, what: &str) -> Result<ExitCode> {
    let scenario = ctx.open()?.scenario(name)?;
    if ctx.global.json {
        output::json(&ScenarioJson::new(&scenario))?;
    } else {
        output::line(format_args!("scenario {} {what}", scenario.name))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a scenario may be run now by hand (`scenario run`, the page's
/// Run now): an inactive one only when forced.
pub(crate) fn may_run(scenario: &Scenario, force: bool) -> Result<()> {
    if !scenario.active && !force {
        return Err(
            Failure::refused(format!("scenario {:?} is inactive", scenario.name))
                .hint(format!(
                    "`hookq scenario activate {}` switches it on; --force runs it once anyway",
                    scenario.name
                ))
                .into(),
        );
    }
    Ok(())
}

fn run_now(ctx: &Ctx, args: RunScenario) -> Result<ExitCode> {
    let mut store = ctx.open()?;
    let scenario = store.scenario(&args.scenario)?;
    may_run(&scenario, args.force)?;
    // Ctrl-C or SIGTERM: finish the cycle in progress, then stop. The
    // command runs in its own process group, so the terminal's SIGINT does
    // not reach it.
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || {
        if !flag.swap(true, Ordering::Relaxed) {
            output::note("hookq: stopping after the cycle in progress");
        }
    });
    let start = engine::Start {
        trigger: Trigger::Manual,
        limit: args.max_cycles,
        force: args.force,
    };
    let record = engine::execute(
        &mut *store,
        &scenario,
        start,
        &Clock::from_env()?,
        &|| stop.load(Ordering::Relaxed),
        &mut |_| {},
    )?;
    let failed = record.status == Some(ExecutionStatus::Error);
    if ctx.global.json {
        output::json(&ExecutionJson::new(&record))?;
    } else {
        let cycles = if record.cycles == 1 {
            "cycle"
        } else {
            "cycles"
        };
        let status = record.status.map_or("?", ExecutionStatus::as_str);
        let error = record
            .error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        output::line(format_args!(
            "scenario {}: execution {}, {} {cycles}, {status}{error}",
            record.scenario, record.id, record.cycles
        ))?;
    }
    if failed {
        // Exit 1 comes with its `hookq:` line, as every failure does: a cron
        // job's mail shows what went wrong without the output.
        output::note(format_args!(
            "hookq: scenario {}: execution {} failed: {}",
            record.scenario,
            record.id,
            record.error.as_deref().unwrap_or("a cycle failed")
        ));
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn runs(ctx: &Ctx, args: ScenarioRuns) -> Result<ExitCode> {
    let store = ctx.open()?;
    let scenario = store.scenario(&args.scenario)?;
    let records: Vec<ExecutionJson> = store
        .executions(scenario.id, args.limit)?
        .iter()
        .map(ExecutionJson::new)
        .collect();
    if ctx.global.json {
        output::json(&records)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(["id", "trigger", "started", "cycles", "status", "error"]);
    for r in records {
        table.row(vec![
            r.id.to_string(),
            r.trigger.to_owned(),
            r.started_at,
            r.cycles.to_string(),
            r.status.unwrap_or("running").to_owned(),
            r.error.unwrap_or_else(|| "-".into()),
        ]);
    }
    table.print()?;
    Ok(ExitCode::SUCCESS)
}

fn list(ctx: &Ctx) -> Result<ExitCode> {
    let scenarios: Vec<ScenarioJson> = ctx
        .open()?
        .scenarios()?
        .iter()
        .map(ScenarioJson::new)
        .collect();
    if ctx.global.json {
        output::json(&scenarios)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(["name", "hook", "schedule", "status", "last_run", "command"]);
    for s in scenarios {
        let status = match (
            &s.forward,
            s.waiting_since.as_ref().and_then(Option::as_ref),
            s.active,
        ) {
            (Some(url), Some(_), true) => format!("waiting for {url}"),
            (_, _, true) => "active".into(),
            (_, _, false) => "inactive".into(),
        };
        table.row(vec![
            s.name,
            s.hook,
            s.schedule,
            status,
            s.last_run_at.unwrap_or_else(|| "-".into()),
            match (&s.forward, &s.command) {
                (Some(url), _) => format!("→ {url}"),
                (None, command) => command.as_deref().unwrap_or_default().join(" "),
            },
        ]);
    }
    table.print()?;
    Ok(ExitCode::SUCCESS)
}

fn show(ctx: &Ctx, scenario: &Scenario) -> Result<ExitCode> {
    let s = ScenarioJson::new(scenario);
    if ctx.global.json {
        output::json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    let status = match (
        &s.inactive_since,
        s.waiting_since.as_ref().and_then(Option::as_ref),
        &s.forward,
    ) {
        (Some(since), _, _) if !s.active => format!("inactive since {since}"),
        _ if !s.active => "inactive".into(),
        (_, Some(since), Some(url)) => format!("active, waiting for {url} since {since}"),
        _ => "active".into(),
    };
    let action = match (&s.forward, &scenario.settings.forward) {
        (Some(url), Some(forward)) => {
            let mut line = format!("{url} (timeout {}", forward.timeout);
            for (name, value) in s.forward_headers.iter().flatten() {
                line.push_str(&format!(", header {name}: {value}"));
            }
            if forward.insecure {
                line.push_str(", certificate not verified");
            }
            ("forward", line + ")")
        }
        _ => ("command", serde_json::to_string(&s.command)?),
    };
    output::fields(&[
        ("name", s.name.clone()),
        ("hook", s.hook.clone()),
        action,
        ("status", status),
        ("schedule", s.schedule.clone()),
        ("max cycles", s.max_cycles.to_string()),
        (
            "max errors",
            format!("{} (now {} in a row)", s.max_errors, s.consecutive_errors),
        ),
        ("timeout", s.timeout.clone()),
        ("input", s.input.to_owned()),
        (
            "store incomplete",
            if s.store_incomplete { "on" } else { "off" }.into(),
        ),
        ("respond", respond_summary(scenario)),
        ("created", s.created_at.clone()),
        (
            "last run",
            s.last_run_at.clone().unwrap_or_else(|| "-".into()),
        ),
    ])?;
    Ok(ExitCode::SUCCESS)
}

/// `scenario show/list --json` (SPEC §5).
#[derive(Serialize)]
pub(crate) struct ScenarioJson {
    name: String,
    hook: String,
    /// Null for a forwarding scenario.
    command: Option<Vec<String>>,
    /// The URL of a forwarding scenario, its password masked, else null.
    forward: Option<String>,
    /// A forwarding scenario's other settings (absent for a command); the
    /// headers' values masked, as a URL's password is.
    #[serde(skip_serializing_if = "Option::is_none")]
    forward_headers: Option<Vec<(String, String)>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forward_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forward_insecure: Option<bool>,
    /// Since when an execution waits for the forwarding target (a
    /// forwarding scenario only; null when it does not wait).
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting_since: Option<Option<String>>,
    schedule: String,
    max_cycles: u32,
    max_errors: u32,
    timeout: String,
    input: &'static str,
    store_incomplete: bool,
    respond: Option<String>,
    active: bool,
    inactive_since: Option<String>,
    consecutive_errors: u32,
    created_at: String,
    last_run_at: Option<String>,
}

impl ScenarioJson {
    pub(crate) fn new(scenario: &Scenario) -> Self {
        let settings = &scenario.settings;
        ScenarioJson {
            name: scenario.name.clone(),
            hook: scenario.hook.clone(),
            command: settings.forward.is_none().then(|| settings.command.clone()),
            // Credentials are masked here, the one place a scenario is
            // described (the CLI's lines, --json and the page): SPEC §11.
            forward: settings.forward.as_ref().map(|f| verify::mask_url(&f.url)),
            forward_headers: settings.forward.as_ref().map(|f| {
                f.headers
                    .iter()
                    .map(|(name, value)| (name.clone(), verify::mask(value)))
                    .collect()
            }),
            forward_timeout: settings.forward.as_ref().map(|f| f.timeout.to_string()),
            forward_insecure: settings.forward.as_ref().map(|f| f.insecure),
            waiting_since: settings
                .forward
                .as_ref()
                .map(|_| scenario.waiting_since.map(clock::format)),
            schedule: settings.schedule.to_string(),
            max_cycles: settings.max_cycles,
            max_errors: settings.max_errors,
            timeout: settings.timeout.to_string(),
            input: settings.input.as_str(),
            store_incomplete: settings.store_incomplete,
            respond: settings.respond.map(|r| r.as_str().to_owned()),
            active: scenario.active,
            inactive_since: scenario.inactive_since.map(clock::format),
            consecutive_errors: scenario.consecutive_errors,
            created_at: clock::format(scenario.created_at),
            last_run_at: scenario.last_run_at.map(clock::format),
        }
    }
}

/// An execution record (SPEC §5).
#[derive(Serialize)]
pub(crate) struct ExecutionJson {
    id: i64,
    scenario: String,
    trigger: &'static str,
    started_at: String,
    finished_at: Option<String>,
    cycles: u32,
    status: Option<&'static str>,
    error: Option<String>,
}

impl ExecutionJson {
    pub(crate) fn new(record: &ExecutionRecord) -> Self {
        ExecutionJson {
            id: record.id,
            scenario: record.scenario.clone(),
            trigger: record.trigger.as_str(),
            started_at: clock::format(record.started_at),
            finished_at: record.finished_at.map(clock::format),
            cycles: record.cycles,
            status: record.status.map(ExecutionStatus::as_str),
            error: record.error.clone(),
        }
    }
}

fn respond_summary(scenario: &Scenario) -> String {
    let settings = &scenario.settings;
    match settings.respond {
        None => "off".into(),
        Some(mode) => {
            let headers: Vec<String> = settings
                .response_headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            let mut summary = format!(
                "{mode}, status {}, timeout {}",
                settings.response_status, settings.response_timeout
            );
            if !headers.is_empty() {
                summary.push_str(&format!(", headers {}", headers.join("; ")));
            }
            summary
        }
    }
}
