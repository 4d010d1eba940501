//! Every clap type of hookq, and only clap: the completions and the man page
//! are generated from here.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cidr::Cidr;
use crate::clock::{self, Millis};
use crate::respond::Respond;
use crate::store::{EventState, Input, Schedule};
use crate::units::{Duration, Size};
use crate::verify::{Algorithm, Encoding, Kind};

#[derive(Debug, Parser)]
#[command(
    name = "hookq",
    version,
    // A fixed width: help reads the same everywhere, and docs/cli.md is stable.
    term_width = 100,
    about = "Receive webhooks into a durable local queue and process them in order",
    after_help = "Examples:\n  hookq hooks create github-push\n  hookq hooks serve\n  hookq hooks list --search git"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// The store: a SQLite file, or a PostgreSQL URL postgres://USER@HOST/DB (give a password in HOOKQ_DB, not here: ps shows arguments) [default: the platform data directory, .../hookq/hookq.db]
    #[arg(
        long,
        global = true,
        env = "HOOKQ_DB",
        hide_env_values = true,
        value_name = "PATH|URL"
    )]
    pub db: Option<PathBuf>,
    /// The base of hook URLs: http:// or https://, a host, an optional port and path [default: http://127.0.0.1:8080]
    #[arg(
        long,
        global = true,
        env = "HOOKQ_BASE_URL",
        hide_env_values = true,
        value_name = "URL",
        value_parser = parse_base_url
    )]
    pub base_url: Option<String>,
    /// Print JSON instead of a table
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, inspect and serve webhooks
    #[command(
        subcommand,
        after_help = "Examples:\n  hookq hooks create github-push\n  hookq hooks serve\n  hookq hooks events github-push --state incomplete"
    )]
    Hooks(HooksCommand),
    /// Create and run scenarios: local commands that process a hook's queue
    #[command(
        subcommand,
        after_help = "Examples:\n  hookq scenario create deploy --hook github-push -- ./deploy.sh\n  hookq scenario run deploy --max-cycles 10\n  hookq scenario runs deploy"
    )]
    Scenario(ScenarioCommand),
    /// Manage connections: credentials that verify who sent a webhook
    #[command(
        subcommand,
        after_help = "Examples:\n  hookq connections create gh --kind github --secret-env GITHUB_WEBHOOK_SECRET\n  hookq hooks edit github-push --connection gh"
    )]
    Connections(ConnectionsCommand),
    /// Apply the lifecycle rules: expiry, deactivation, deletion, payload retention
    #[command(
        after_help = "Examples:\n  hookq sweep --dry-run\n  hookq sweep --payload-retention 7d --delete-after 90d\n  0 3 * * * hookq sweep --json >> ~/hookq-sweep.log\n  HOOKQ_NOW=2027-01-01T00:00:00Z hookq sweep --dry-run   # what would a sweep then do?"
    )]
    Sweep(Sweep),
    /// Serve the webhooks area in a browser, on this machine
    #[command(
        after_help = "Examples:\n  hookq ui --open\n  hookq ui --listen 127.0.0.1:9001\n  HOOKQ_UI_PASSWORD=... hookq ui --listen 0.0.0.0:8081 --password-env HOOKQ_UI_PASSWORD"
    )]
    Ui(Ui),
    /// Move the store: copy a SQLite file into PostgreSQL
    #[command(
        subcommand,
        after_help = "Example:\n  HOOKQ_DB=~/hookq.db HOOKQ_COPY_TO=postgres://hookq@db.internal/hookq hookq db copy"
    )]
    Db(DbCommand),
    /// Print a shell completion script
    #[command(
        after_help = "Example:\n  hookq completions bash > ~/.local/share/bash-completion/completions/hookq"
    )]
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// The thresholds of SPEC §7; every one is strict ("more than").
#[derive(Debug, Args)]
pub struct Sweep {
    /// Disable an enabled hook that has had no scenario for longer than this
    #[arg(long, value_name = "DURATION", default_value = "120h")]
    pub disable_unassigned_after: Duration,
    /// Disable an enabled hook whose scenario has been inactive for longer than this
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub disable_inactive_after: Duration,
    /// Delete a hook disabled for longer than this that has no scenario, with its events
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub delete_after: Duration,
    /// Purge the bodies of events received longer ago than this (the events stay)
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub payload_retention: Duration,
    /// Report what a sweep would do now, and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy the SQLite store of --db into an empty PostgreSQL database: hooks (same URLs), connections, scenarios, queues, history
    #[command(
        after_help = "Stop every hooks serve and scenario run on the file first.\n\nExamples:\n  hookq --db ~/hookq.db db copy --to postgres://hookq@db.internal/hookq\n  HOOKQ_COPY_TO=postgres://hookq:secret@db.internal/hookq hookq db copy --json"
    )]
    Copy(DbCopy),
}

#[derive(Debug, Args)]
pub struct DbCopy {
    /// The PostgreSQL database to copy into (postgres://...): empty, migrated first. Give a password in the environment, not here
    #[arg(
        long,
        env = "HOOKQ_COPY_TO",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub to: std::ffi::OsString,
}

/// The default address of `hookq ui` and `hooks serve --ui`.
pub const DEFAULT_UI_LISTEN: &str = "127.0.0.1:8081";

#[derive(Debug, Args)]
pub struct Ui {
    /// Address to listen on; one that is not loopback needs --password-env
    #[arg(long, env = "HOOKQ_UI_LISTEN", default_value = DEFAULT_UI_LISTEN, value_name = "ADDR", value_parser = parse_page_listen)]
    pub listen: SocketAddr,
    /// Open the page in the default browser
    #[arg(long)]
    pub open: bool,
    /// Ask for this environment variable's value as a password (HTTP basic auth, any user name)
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Debug, Subcommand)]
pub enum HooksCommand {
    /// Create a hook and print its URL
    #[command(
        after_help = "Examples:\n  hookq hooks create github-push\n  hookq hooks create orders --rate-limit 0 --method POST --allow-ip 10.0.0.0/8"
    )]
    Create(CreateHook),
    /// List the hooks: a table, one row per hook
    #[command(
        after_help = "Examples:\n  hookq hooks list\n  hookq hooks list --search stripe --columns name,queue,last_event\n  hookq hooks list --json"
    )]
    List(ListHooks),
    /// Show one hook in full
    #[command(after_help = "Example:\n  hookq hooks show github-push")]
    Show(HookRef),
    /// Print a hook's URL
    #[command(
        after_help = "Example:\n  curl -d '{}' -H 'Content-Type: application/json' \"$(hookq hooks url github-push)\""
    )]
    Url(HookRef),
    /// Accept requests to a hook again
    #[command(after_help = "Example:\n  hookq hooks enable github-push")]
    Enable(HookRef),
    /// Refuse requests to a hook (410), keeping its queue
    #[command(after_help = "Example:\n  hookq hooks disable github-push")]
    Disable(HookRef),
    /// Change a hook's settings
    #[command(
        after_help = "Examples:\n  hookq hooks edit github-push --rate-limit 20\n  hookq hooks edit github-push --any-ip --any-method\n\nOnly the options given change.",
        mut_args(without_default)
    )]
    Edit(EditHook),
    /// Delete a hook with its events (refused while a scenario uses it)
    #[command(
        after_help = "Examples:\n  hookq hooks delete old-hook\n  hookq hooks delete old-hook --json   # {\"hook\": \"old-hook\", \"deleted\": true}"
    )]
    Delete(HookRef),
    /// Receive webhooks: every accepted request is committed to the queue before it is answered
    #[command(
        after_help = "Examples:\n  hookq hooks serve\n  hookq hooks serve --listen 0.0.0.0:9000 --metrics --quiet"
    )]
    Serve(Serve),
    /// A hook's events, newest first
    #[command(
        after_help = "Examples:\n  hookq hooks events github-push\n  hookq hooks events github-push --state incomplete --since 2026-11-01T00:00:00Z --json"
    )]
    Events(ListEvents),
    /// The operations that processed a hook's events, newest first
    #[command(
        after_help = "Examples:\n  hookq hooks ops github-push --status error\n  hookq hooks ops github-push --event 42 --output"
    )]
    Ops(ListOps),
    /// Print an event's body exactly as received (or its bundle)
    #[command(
        after_help = "Examples:\n  hookq hooks payload 42 > body.bin\n  hookq hooks payload 42 --bundle | jq .body"
    )]
    Payload(ShowPayload),
    /// Put copies of stored events at the tail of the queue
    #[command(
        after_help = "Examples:\n  hookq hooks replay github-push --state incomplete\n  hookq hooks replay github-push --event 41 --event 42\n  hookq hooks replay github-push --state done --since 2026-11-28T00:00:00Z --dry-run\n\nEvents still queued or running are skipped. An event whose payload was purged is skipped (\"Failed to read file from storage.\"), and so are the rest once the queue is full (\"queue full\"): then the others are replayed and the command exits 1."
    )]
    Replay(Replay),
    /// Enqueue an event locally, through the same checks as the server (but auth, address, rate)
    #[command(
        after_help = "Examples:\n  hookq hooks send github-push --data '{\"ref\":\"main\"}' --content-type application/json\n  hookq hooks send github-push --data @payload.json --header 'X-GitHub-Event: push'\n  echo hi | hookq hooks send github-push --data @-"
    )]
    Send(SendEvent),
    /// Take queued or incomplete events out of the queue (kept as discarded)
    #[command(
        after_help = "Examples:\n  hookq hooks discard 41 42\n  hookq hooks discard 41 42 --json   # {\"discarded\": [41, 42]}"
    )]
    Discard(Discard),
}

/// A hook, by name or token.
#[derive(Debug, Args)]
pub struct HookRef {
    /// The hook's name or token
    #[arg(value_name = "NAME")]
    pub hook: String,
}

#[derive(Debug, Args)]
pub struct CreateHook {
    /// The hook's name (1-64 characters, no whitespace)
    pub name: String,
    #[command(flatten)]
    pub settings: HookOptions,
}

#[derive(Debug, Args)]
pub struct EditHook {
    /// The hook's name or token
    #[arg(value_name = "NAME")]
    pub hook: String,
    #[command(flatten)]
    pub settings: HookOptions,
    /// Accept any client address again
    #[arg(long, conflicts_with = "allow_ip")]
    pub any_ip: bool,
    /// Accept any HTTP method again
    #[arg(long, conflicts_with = "method")]
    pub any_method: bool,
    /// Parse JSON bodies for the scenario again
    #[arg(long, conflicts_with = "json_passthrough")]
    pub no_json_passthrough: bool,
    /// Stop verifying requests with a connection
    #[arg(long, conflicts_with = "connection")]
    pub no_connection: bool,
}

/// The settings of SPEC §3, shared by `create` (defaults apply) and `edit`
/// (only what is given changes).
#[derive(Debug, Args)]
pub struct HookOptions {
    /// Accepted requests per second, sustained; 0 = unlimited [default: 5]
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub rate_limit: Option<u32>,
    /// Requests accepted at once before the rate limit applies (20 deliveries at once are not refused) [default: 50]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: Option<u32>,
    /// Queued events at most; more are refused with 503 [default: 10000]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u64).range(1..=MAX_STORED))]
    pub queue_limit: Option<u64>,
    /// Largest accepted body, e.g. 512KiB [default: 5MiB]
    #[arg(long, value_name = "SIZE")]
    pub max_body: Option<Size>,
    /// Only accept clients in this range (repeatable) [default: any]
    #[arg(long, value_name = "CIDR")]
    pub allow_ip: Vec<Cidr>,
    /// Only accept this HTTP method (repeatable) [default: any]
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub method: Vec<String>,
    /// Give scenarios a JSON body as text instead of parsed JSON
    #[arg(long)]
    pub json_passthrough: bool,
    /// Verify every request with this connection (401 when it fails)
    #[arg(long, value_name = "NAME")]
    pub connection: Option<String>,
    /// How long a delivery's id is remembered: a delivery of an id seen within it gets 200 and is not queued again, e.g. 1h [default: 24h]
    #[arg(long, value_name = "WINDOW")]
    pub dedupe_window: Option<Duration>,
    /// The header that names a delivery, for senders the connection does not know [default: the connection kind's]
    #[arg(long, value_name = "NAME")]
    pub dedupe_header: Option<String>,
    /// Queue every delivery, even one whose id was seen
    #[arg(long, conflicts_with_all = ["dedupe_window", "dedupe_header"])]
    pub no_dedupe: bool,
}

#[derive(Debug, Args)]
pub struct ListHooks {
    /// Only hooks whose name, token/URL, scenario or connection contains TERM (any case)
    #[arg(long, value_name = "TERM")]
    pub search: Option<String>,
    /// Columns to show, in order: name,url,status,queue,expired,scenario,connection,last_event,created,rate_limit,ops
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    pub columns: Vec<String>,
}

#[derive(Debug, Args)]
pub struct Serve {
    /// Address to listen on
    #[arg(
        long,
        env = "HOOKQ_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    pub listen: SocketAddr,
    /// Threads kept ready for new connections; each open connection beyond them gets its own [default: 8 per core]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Connections open at once; past it a new one gets 503 [default: the open-files limit less 128]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Request body bytes being received at once, one hook at most half; past it a request gets 503
    #[arg(long, value_name = "SIZE", default_value = "256MiB")]
    pub max_body_in_flight: Size,
    /// Serve Prometheus metrics on /metrics
    #[arg(long)]
    pub metrics: bool,
    /// No request log on stderr
    #[arg(long)]
    pub quiet: bool,
    /// Take the client address from X-Forwarded-For (only behind a proxy you run)
    #[arg(long)]
    pub trust_proxy: bool,
    /// Only receive: run no scenarios (drive them with `scenario run` from cron)
    #[arg(long)]
    pub no_scenarios: bool,
    /// Also serve the webhooks area in a browser (as `hookq ui`), on its own loopback port [default: 127.0.0.1:8081]
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_UI_LISTEN, value_parser = parse_page_listen)]
    pub ui: Option<SocketAddr>,
    /// Refuse new events (503) once the SQLite file would grow past this size, e.g. 2GiB (a file already that large: exit 3; with PostgreSQL: refused, exit 2) [default: no cap]
    #[arg(long, value_name = "SIZE")]
    pub max_db_size: Option<Size>,
}

/// The largest number the store keeps: SQLite integers are signed 64-bit.
pub const MAX_STORED: u64 = i64::MAX as u64;

/// An edit changes only what is given, so the `[default: ...]` of the
/// options it shares with create would mislead: an option left out keeps its
/// value, it does not go back to the default.
fn without_default(arg: clap::Arg) -> clap::Arg {
    let Some(help) = arg.get_help().map(ToString::to_string) else {
        return arg;
    };
    match help.find(" [default: ") {
        Some(at) => {
            let end = help[at..].find(']').map_or(help.len(), |e| at + e + 1);
            let mut text = help[..at].to_owned();
            text.push_str(&help[end..]);
            arg.help(text)
        }
        None => arg,
    }
}

/// `--base-url`: what a sender can reach, `http://` or `https://` then a
/// host (a name, an IPv4 address or `[IPv6]`), an optional port and an
/// optional path; no query, fragment or credentials, since `/wh/<token>`
/// is appended to it.
pub fn parse_base_url(text: &str) -> Result<String, String> {
    let invalid = |why: &str| {
        format!("invalid base URL {text:?}: {why} (expected e.g. https://hooks.example.com or http://127.0.0.1:8080)")
    };
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|scheme| {
            text.get(..scheme.len())
                .filter(|head| head.eq_ignore_ascii_case(scheme))
                .map(|_| &text[scheme.len()..])
        })
        .ok_or_else(|| invalid("it must start with http:// or https://"))?;
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("it contains whitespace or control characters"));
    }
    if text.contains(['?', '#']) {
        return Err(invalid("it cannot have a query or a fragment"));
    }
    let (authority, _path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err(invalid("it cannot carry credentials"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (ip, after) = v6.split_once(']').ok_or_else(|| invalid("an unclosed ["))?;
        ip.parse::<std::net::Ipv6Addr>()
            .map_err(|_| invalid("not an IPv6 address between [ ]"))?;
        (ip, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    // Lenient where real names are: `_` (container and service names) and
    // letters of any script (an internationalized name, as a browser takes it).
    let label = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !authority.starts_with('[') && !host.trim_end_matches('.').split('.').all(label) {
        return Err(invalid("no valid host name"));
    }
    if let Some(port) = port {
        if !matches!(port.parse::<u16>(), Ok(1..)) {
            return Err(invalid("the port must be 1 to 65535"));
        }
    }
    Ok(text.to_owned())
}

/// An HTTP method: a token of letters, stored upper case.
pub(crate) fn parse_method(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(format!("invalid HTTP method {text:?} (expected e.g. POST)"));
    }
    Ok(text.to_ascii_uppercase())
}

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Create a scenario: COMMAND runs (or --forward delivers) once per event of HOOK's queue, in order
    #[command(
        after_help = "Examples:\n  hookq scenario create deploy --hook github-push -- ./deploy.sh\n  hookq scenario create nightly --hook orders --schedule 1h --max-cycles 50 --input bundle -- python3 import.py\n  hookq scenario create app --hook stripe --forward http://localhost:3000/webhooks\n\nWith --forward, each event is delivered to the URL as its sender sent it (docs/forwarding.md).\nThe command runs directly, without a shell; the event is on its stdin and in HOOKQ_* variables.\nA relative path with a '/' (./deploy.sh) is stored made absolute against the directory where you\nrun `scenario create`; a bare name (python3) is looked up on PATH each time it runs. The command\nruns in the working directory of the process that runs it (`hooks serve` or `scenario run`)."
    )]
    Create(CreateScenario),
    /// List the scenarios
    #[command(after_help = "Example:\n  hookq scenario list --json")]
    List,
    /// Show one scenario
    #[command(after_help = "Example:\n  hookq scenario show deploy")]
    Show(ScenarioRef),
    /// Change a scenario's settings, hook or command
    #[command(
        after_help = "Examples:\n  hookq scenario edit deploy --timeout 10m --max-errors 5\n  hookq scenario edit deploy --hook other-hook\n  hookq scenario edit deploy -- ./deploy.sh --verbose\n  hookq scenario edit deploy --forward http://localhost:3000/webhooks\n\nOnly the options given change. --forward or a new command switches between the two kinds.",
        mut_args(without_default)
    )]
    Edit(EditScenario),
    /// Switch a scenario on: queued events are processed again
    #[command(after_help = "Example:\n  hookq scenario activate deploy")]
    Activate(ScenarioRef),
    /// Switch a scenario off: events wait in the queue
    #[command(after_help = "Example:\n  hookq scenario deactivate deploy")]
    Deactivate(ScenarioRef),
    /// Delete a scenario and its execution history (the hook and its events stay)
    #[command(
        after_help = "Examples:\n  hookq scenario delete deploy\n  hookq scenario delete deploy --json   # {\"scenario\": \"deploy\", \"deleted\": true}"
    )]
    Delete(ScenarioRef),
    /// Run one execution now (for cron): exit 0 ok, 1 a cycle failed, 3 inactive, 75 already running
    #[command(
        after_help = "Examples:\n  hookq scenario run deploy\n  */5 * * * * hookq scenario run nightly --max-cycles 500 --json >> runs.log"
    )]
    Run(RunScenario),
    /// The scenario's executions, newest first
    #[command(after_help = "Example:\n  hookq scenario runs deploy --limit 5")]
    Runs(ScenarioRuns),
}

#[derive(Debug, Args)]
pub struct ScenarioRef {
    /// The scenario's name
    #[arg(value_name = "NAME")]
    pub scenario: String,
}

#[derive(Debug, Args)]
pub struct CreateScenario {
    /// The scenario's name (1-64 characters, no whitespace)
    pub name: String,
    /// The hook whose queue feeds it (its instant trigger)
    #[arg(long, value_name = "HOOK")]
    pub hook: String,
    #[command(flatten)]
    pub options: ScenarioOptions,
    /// Create it inactive
    #[arg(long)]
    pub inactive: bool,
    /// The command and its arguments, after `--` (./relative/path is made absolute here)
    #[arg(
        last = true,
        required_unless_present = "forward",
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EditScenario {
    /// The scenario's name
    #[arg(value_name = "NAME")]
    pub scenario: String,
    /// Move it to another hook (the old one becomes unassigned)
    #[arg(long, value_name = "HOOK")]
    pub hook: Option<String>,
    #[command(flatten)]
    pub options: ScenarioOptions,
    /// Put failed events back in the queue again
    #[arg(long, conflicts_with = "store_incomplete")]
    pub no_store_incomplete: bool,
    /// Stop answering the webhook caller (it gets 200 Accepted)
    #[arg(long, conflicts_with = "respond")]
    pub no_respond: bool,
    /// Verify the forwarding target's certificate again
    #[arg(long, conflicts_with = "forward_insecure")]
    pub no_forward_insecure: bool,
    /// A new command and its arguments, after `--` (./relative/path is made absolute here)
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The options of SPEC §5, shared by `create` (defaults apply) and `edit`.
#[derive(Debug, Args)]
pub struct ScenarioOptions {
    /// immediately, on-demand, or an interval such as 15m [default: immediately]
    #[arg(long, value_name = "WHEN")]
    pub schedule: Option<Schedule>,
    /// Events per execution for scheduled and on-demand runs [default: 1]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_cycles: Option<u32>,
    /// Consecutive failed executions before a scheduled scenario is switched off [default: 3]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_errors: Option<u32>,
    /// Per-cycle command timeout; the command and its children are killed [default: 5m]
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
    /// What stdin gets: the raw body, or the JSON bundle [default: raw]
    #[arg(long, value_name = "raw|bundle")]
    pub input: Option<Input>,
    /// A failed event goes to `incomplete` instead of back to the queue
    #[arg(long)]
    pub store_incomplete: bool,
    /// Answer the webhook caller with the command's output: stdout (alone: the default) or envelope; with --forward, the target's answer (immediately scenarios, in serve)
    #[arg(long, value_name = "MODE", num_args = 0..=1, require_equals = false, default_missing_value = "stdout")]
    pub respond: Option<Respond>,
    /// The answer's status in stdout mode [default: 200]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_status)]
    pub response_status: Option<u16>,
    /// A header 'Name: value' of the answer in stdout mode (repeatable; not a framing header)
    #[arg(long, value_name = "'K: V'", value_parser = parse_response_header)]
    pub response_header: Vec<(String, String)>,
    /// How long a caller waits for the answer before getting 200 Accepted [default: 5m]
    #[arg(long, value_name = "DURATION")]
    pub response_timeout: Option<Duration>,
    /// Deliver each event to this http(s) URL instead of running a command
    #[arg(long, value_name = "URL", value_parser = parse_forward_url, conflicts_with = "command")]
    pub forward: Option<String>,
    /// A header 'Name: value' added to each delivery, or replacing the event's (repeatable)
    #[arg(long, value_name = "'K: V'", value_parser = parse_forward_header)]
    pub forward_header: Vec<(String, String)>,
    /// How long a delivery may take, answer included [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub forward_timeout: Option<Duration>,
    /// Accept the target's certificate unverified (a self-signed local server)
    #[arg(long)]
    pub forward_insecure: bool,
}

#[derive(Debug, Args)]
pub struct RunScenario {
    /// The scenario's name
    #[arg(value_name = "NAME")]
    pub scenario: String,
    /// Process at most N events [default: 100 for immediately, else the scenario's max cycles]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_cycles: Option<u32>,
    /// Run even if the scenario is inactive
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ScenarioRuns {
    /// The scenario's name
    #[arg(value_name = "NAME")]
    pub scenario: String,
    /// Show at most N executions
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        default_value_t = 20
    )]
    pub limit: u32,
}

fn parse_status(text: &str) -> Result<u16, String> {
    match text.parse::<u64>() {
        Ok(status) if crate::respond::valid_status(status) => Ok(status as u16),
        _ => Err(format!(
            "invalid HTTP status {text:?} (expected 200 to 599, not 204, 205 or 304: the answer carries the command's output)"
        )),
    }
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    match text.parse::<Duration>()? {
        Duration(0) => Err("a timeout must be longer than 0".into()),
        timeout => Ok(timeout),
    }
}

#[derive(Debug, Subcommand)]
pub enum ConnectionsCommand {
    /// Create a connection; the secret never comes from a plain argument
    #[command(
        after_help = "Examples:\n  hookq connections create gh --kind github --secret-env GITHUB_WEBHOOK_SECRET\n  hookq connections create pay --kind stripe --secret-file ~/.stripe-whsec\n  hookq connections create svix --kind standard-webhooks --generate\n  hookq connections create ci --kind hmac --header X-Signature --algorithm sha1 --prefix sha1= --secret-stdin < secret.txt\n  hookq connections create sl --kind slack --secret-env SLACK_SIGNING_SECRET\n  hookq connections create tw --kind twilio --secret-env TWILIO_AUTH_TOKEN --base-url https://hooks.example.com\n  hookq connections create dc --kind discord --secret-env DISCORD_PUBLIC_KEY\n  hookq connections create sl2 --kind hmac --header X-Slack-Signature --prefix v0= --timestamp-header X-Slack-Request-Timestamp --signed 'v0:{timestamp}:{body}' --secret-env S\n  hookq hooks edit github-push --connection gh"
    )]
    Create(CreateConnection),
    /// List the connections (secrets masked)
    #[command(after_help = "Example:\n  hookq connections list")]
    List,
    /// Show one connection (secret masked)
    #[command(after_help = "Example:\n  hookq connections show gh --json")]
    Show(ConnectionRef),
    /// Set a new secret; the old one keeps verifying for --grace
    #[command(
        after_help = "Examples:\n  hookq connections rotate gh --secret-env NEW_SECRET\n  hookq connections rotate sw --generate --grace 1h"
    )]
    Rotate(RotateConnection),
    /// Delete a connection (refused while a hook uses it)
    #[command(
        after_help = "Examples:\n  hookq connections delete gh\n  hookq connections delete gh --json   # {\"connection\": \"gh\", \"deleted\": true}"
    )]
    Delete(ConnectionRef),
}

#[derive(Debug, Args)]
pub struct ConnectionRef {
    /// The connection's name
    #[arg(value_name = "NAME")]
    pub connection: String,
}

#[derive(Debug, Args)]
pub struct CreateConnection {
    /// The connection's name (1-64 characters, no whitespace)
    pub name: String,
    /// github, stripe, standard-webhooks, hmac, api-key, basic, slack, shopify, gitlab, twilio, linear, zoom, square, twitch, meta or discord
    #[arg(long)]
    pub kind: Kind,
    #[command(flatten)]
    pub secret: SecretSource,
    /// hmac: the header holding the signature; api-key: the header holding the key [default: x-api-key]
    #[arg(long, value_name = "NAME")]
    pub header: Option<String>,
    /// hmac: sha1, sha256 or sha512 [default: sha256]
    #[arg(long)]
    pub algorithm: Option<Algorithm>,
    /// hmac: hex or base64 [default: hex]
    #[arg(long)]
    pub encoding: Option<Encoding>,
    /// hmac: a prefix before the signature in the header, e.g. sha256=
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,
    /// Kinds with a signed timestamp: how far it may be from now [default: 5m]
    #[arg(long, value_name = "DURATION")]
    pub tolerance: Option<Duration>,
    /// hmac: what is signed, from {body}, {timestamp}, {id}, {url} and literal text [default: {body}]
    #[arg(long, value_name = "TEMPLATE")]
    pub signed: Option<String>,
    /// hmac: the header holding the signed timestamp (checked against --tolerance)
    #[arg(long, value_name = "NAME")]
    pub timestamp_header: Option<String>,
    /// hmac: the header holding the delivery's id ({id}; also recognises duplicates)
    #[arg(long, value_name = "NAME")]
    pub id_header: Option<String>,
    /// meta: read the verify token of Meta's subscription handshake from this environment variable
    #[arg(long, value_name = "VAR")]
    pub verify_token_env: Option<String>,
}

#[derive(Debug, Args)]
pub struct RotateConnection {
    /// The connection's name
    #[arg(value_name = "NAME")]
    pub connection: String,
    #[command(flatten)]
    pub secret: SecretSource,
    /// How long the old secret keeps verifying
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub grace: Duration,
}

/// Where the secret comes from: exactly one.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SecretSource {
    /// Read the secret from this environment variable
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// Read the secret from this file (a trailing newline is ignored)
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
    /// Read the secret from standard input (a trailing newline is ignored)
    #[arg(long)]
    pub secret_stdin: bool,
    /// Generate a secret and print it once
    #[arg(long)]
    pub generate: bool,
}

#[derive(Debug, Args)]
pub struct ListEvents {
    /// The hook's name or token
    #[arg(value_name = "NAME")]
    pub hook: String,
    /// Only events in this state (repeatable): queued, running, done, incomplete, discarded
    #[arg(long, value_name = "STATE")]
    pub state: Vec<EventState>,
    #[command(flatten)]
    pub received: Received,
    /// Show at most N events
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        default_value_t = 50
    )]
    pub limit: u64,
}

/// A window on when events were received.
#[derive(Debug, Args)]
pub struct Received {
    /// Only events received at or after this time (RFC 3339)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<Millis>,
    /// Only events received at or before this time (RFC 3339)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<Millis>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OpStatus {
    Ok,
    Error,
}

#[derive(Debug, Args)]
pub struct ListOps {
    /// The hook's name or token
    #[arg(value_name = "NAME")]
    pub hook: String,
    /// Only operations with this status
    #[arg(long, value_enum)]
    pub status: Option<OpStatus>,
    /// Only the operations of this event
    #[arg(long, value_name = "ID", allow_negative_numbers = true)]
    pub event: Option<i64>,
    /// Also print what each command wrote (the last 64 KiB of stdout and stderr)
    #[arg(long)]
    pub output: bool,
    /// Show at most N operations
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        default_value_t = 50
    )]
    pub limit: u64,
}

#[derive(Debug, Args)]
pub struct ShowPayload {
    /// The event's id
    #[arg(value_name = "EVENT_ID", allow_negative_numbers = true)]
    pub event: i64,
    /// Print the JSON bundle a scenario would read instead of the raw body
    #[arg(long)]
    pub bundle: bool,
}

#[derive(Debug, Args)]
pub struct Replay {
    /// The hook's name or token
    #[arg(value_name = "NAME")]
    pub hook: String,
    /// Replay this event (repeatable)
    #[arg(long = "event", value_name = "ID", allow_negative_numbers = true)]
    pub events: Vec<i64>,
    /// Replay the events in this state (repeatable): done, incomplete, discarded
    #[arg(long, value_name = "STATE")]
    pub state: Vec<EventState>,
    #[command(flatten)]
    pub received: Received,
    /// Say what would be replayed, change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct SendEvent {
    /// The hook's name or token
    #[arg(value_name = "NAME")]
    pub hook: String,
    /// The body: a string, @FILE, or @- for standard input [default: empty]
    #[arg(long, value_name = "STRING|@FILE|@-")]
    pub data: Option<String>,
    /// A request header 'Name: value' (repeatable)
    #[arg(long, value_name = "'K: V'", value_parser = parse_header)]
    pub header: Vec<(String, String)>,
    /// The HTTP method
    #[arg(long, value_name = "M", default_value = "POST", value_parser = parse_method)]
    pub method: String,
    /// The Content-Type header
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
}

#[derive(Debug, Args)]
pub struct Discard {
    /// The events' ids
    #[arg(
        value_name = "EVENT_ID",
        required = true,
        allow_negative_numbers = true
    )]
    pub events: Vec<i64>,
}

fn parse_time(text: &str) -> Result<Millis, String> {
    clock::parse(text).map_err(|e| e.to_string())
}

/// `Name: value`, a valid HTTP header.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let invalid = || format!("invalid header {text:?} (expected 'Name: value')");
    let (name, value) = text.split_once(':').ok_or_else(invalid)?;
    let (name, value) = (name.trim(), value.trim());
    crate::respond::check_syntax(name, value)
        .map_err(|e| format!("invalid header {text:?}: {e}"))?;
    Ok((name.to_owned(), value.to_owned()))
}

/// A forwarding target: an http or https URL with a host (SPEC §10).
/// The page's address: IP:PORT, or `localhost:PORT`, the name a browser
/// uses for it. localhost is loopback, so it is 127.0.0.1 here rather than
/// whatever a resolver says (which could be ::1 or, misconfigured, not
/// this machine); the Host check accepts `localhost:PORT` either way.
fn parse_page_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    match text.rsplit_once(':') {
        Some((name, port)) if name.eq_ignore_ascii_case("localhost") => port
            .parse::<u16>()
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .map_err(|_| format!("invalid address {text:?}: {port:?} is not a port")),
        _ => Err(format!(
            "invalid address {text:?}: expected IP:PORT or localhost:PORT"
        )),
    }
}

fn parse_forward_url(text: &str) -> Result<String, String> {
    let invalid = |why: &str| format!("invalid forward URL {text:?}: {why}");
    let uri: ureq::http::Uri = text.parse().map_err(|e| invalid(&format!("{e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(invalid("expected an http:// or https:// URL")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("it names no host"));
    }
    Ok(text.to_owned())
}

/// A header added to each delivery: valid, not one that belongs to a
/// connection (hookq sets those for the target), and not one of hookq's
/// own `X-Hookq-*`: a target that deduplicates by `X-Hookq-Event-Id` must
/// be able to trust it.
fn parse_forward_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = parse_header(text)?;
    if !crate::respond::is_settable_header(&name) {
        return Err(format!(
            "invalid header {text:?}: {name:?} belongs to a connection, not to the event: hookq sets it for the target"
        ));
    }
    if name.len() >= 8 && name[..8].eq_ignore_ascii_case("x-hookq-") {
        return Err(format!(
            "invalid header {text:?}: hookq sets {name:?} itself (the event's id and attempt)"
        ));
    }
    Ok((name, value))
}

/// A header of a scenario's answer: valid, and not one the server frames
/// its answers with (SPEC §6).
fn parse_response_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = parse_header(text)?;
    crate::respond::check_header(&name, &value)
        .map_err(|e| format!("invalid header {text:?}: {e}"))?;
    Ok((name, value))
}
