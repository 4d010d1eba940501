//! The routes, and the pages that are one table each: webhooks, scenarios,
//! connections, the sweep's dry run.

use anyhow::Result;
use maud::{html, Markup};
use serde_json::Value;

use super::http::{encode, Reply, Req};
use super::layout::{self, Area};
use super::{actions, assets, event_page, hook_pages, App};
use crate::clock;
use crate::cmd::connections::ConnectionJson;
use crate::cmd::hooks::{matches, Column, HookJson};
use crate::cmd::scenario::{ExecutionJson, ScenarioJson};
use crate::cmd::{sweep, Ctx};
use crate::error::{code_of, Code, Failure};
use crate::lifecycle::{self, Limits};
use crate::store::{Access, Store};

/// Hooks per page of the webhooks table.
const HOOKS_PER_PAGE: usize = 50;
/// Executions shown on a scenario's page.
const EXECUTIONS_SHOWN: u32 = 50;

pub fn route(app: &App, store: &mut Store, req: &Req) -> Reply {
    let segments = req.segments();
    let path: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = if req.method == "HEAD" {
        "GET"
    } else {
        req.method.as_str()
    };
    let ctx = match app.ctx() {
        Ok(ctx) => ctx,
        Err(e) => return error_page(&e),
    };
    let page = match (method, path.as_slice()) {
        ("GET", ["assets", name]) => return assets::get(name),
        ("GET", ["api", "version"]) => return version(app),
        ("GET", []) => webhooks(app, &ctx, store, req),
        ("GET", ["hooks", key]) => hook_pages::hook(app, &ctx, store, req, key),
        ("GET", ["hooks", key, "ops"]) => hook_pages::operations(&ctx, store, key),
        ("GET", ["events", id]) => event_page::event(app, &ctx, store, id),
        ("GET", ["events", id, "body"]) => event_page::raw_body(store, id),
        ("GET", ["events", id, "bundle"]) => event_page::bundle(store, id),
        ("GET", ["scenarios"]) => scenarios(store),
        ("GET", ["scenarios", name]) => scenario(app, store, name),
        ("GET", ["connections"]) => connections(store),
        ("GET", ["sweep"]) => sweep_page(&ctx, store),
        ("POST", _) => actions::act(app, &ctx, store, req, &path),
        _ => Err(Failure::refused("no such page").into()),
    };
    page.unwrap_or_else(|e| error_page(&e))
}

impl App {
    /// What a command would have: the flags, and the time read now.
    pub fn ctx(&self) -> Result<Ctx> {
        Ok(Ctx {
            global: self.global.clone(),
            now: clock::now()?,
            access: Access::Write,
        })
    }
}

/// The change counter the script polls: SQLite's `data_version`, which
/// changes when another connection commits. It reads no page.
fn version(app: &App) -> Reply {
    let store = app.watch.lock().unwrap_or_else(|e| e.into_inner());
    match store
        .conn()
        .query_row("PRAGMA data_version", [], |row| row.get::<_, i64>(0))
    {
        Ok(version) => Reply::text(200, &version.to_string()),
        Err(_) => Reply::error(503, "busy"),
    }
}

/// An error as a page, with the status a browser and a test can tell apart.
pub fn error_page(err: &anyhow::Error) -> Reply {
    let failure = err.chain().find_map(|c| c.downcast_ref::<Failure>());
    let message = failure.map_or_else(|| format!("{err:#}"), |f| f.message.clone());
    let status = match code_of(err) {
        Code::Usage => 400,
        Code::Refused if message.starts_with("no ") => 404,
        Code::Refused => 409,
        Code::Busy => 503,
        _ => 500,
    };
    let body = html! {
        section.card.error-card {
            h1 { "Could not do that" }
            p.message { (message) }
            @if let Some(hint) = failure.and_then(|f| f.hint.as_deref()) { p.muted { (hint) } }
            p { a.btn href="/" { "Back to the webhooks" } }
        }
    };
    Reply::html(layout::page("Error", Area::Webhooks, body)).status(status)
}

fn webhooks(app: &App, ctx: &Ctx, store: &Store, req: &Req) -> Result<Reply> {
    let term = req.param("q").unwrap_or("");
    let lower = term.to_lowercase();
    let all = store.hooks()?;
    let total = all.len();
    let hooks: Vec<HookJson> = all
        .iter()
        .map(|hook| HookJson::new(ctx, hook))
        .filter(|hook| lower.is_empty() || matches(hook, &lower))
        .collect();
    let pages = hooks.len().div_ceil(HOOKS_PER_PAGE).max(1);
    let page = req
        .param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown = &hooks[(page - 1) * HOOKS_PER_PAGE..(page * HOOKS_PER_PAGE).min(hooks.len())];
    let here = page_link(term, page);
    let hidden: Vec<String> = Column::ALL
        .iter()
        .filter(|(c, _)| !Column::DEFAULT.contains(c))
        .map(|(_, name)| format!("hide-col-{name}"))
        .collect();
    let body = html! {
        div.page-head {
            div {
                h1 { "Webhooks" }
                p.muted { (layout::count(total as u64)) (if total == 1 { " hook" } else { " hooks" }) " · receiving at " code { (ctx.url("…")) } }
            }
            div.tools {
                form.search method="get" action="/" role="search" {
                    label.visually-hidden for="search" { "Search hooks" }
                    input #search type="search" name="q" value=(term) autocomplete="off"
                        placeholder="Search name, URL, scenario, connection" data-filter="#results";
                    noscript { button.btn type="submit" { "Search" } }
                }
                details.menu #columns-menu {
                    summary.btn { "Columns" }
                    fieldset {
                        legend.visually-hidden { "Columns to show" }
                        @for (column, name) in Column::ALL {
                            label {
                                input type="checkbox" data-column=(name) checked[Column::DEFAULT.contains(&column)];
                                " " (name.replace('_', " "))
                            }
                        }
                    }
                }
            }
        }
        div #hooks-area .(hidden.join(" ")) {
            div #results data-live {
                @if shown.is_empty() {
                    div.empty {
                        @if total == 0 {
                            p { "No hooks yet." }
                            p.muted { "Create one with " code { "hookq hooks create NAME" } ", then send it a request." }
                        } @else {
                            p { "No hook matches " q { (term) } "." }
                        }
                    }
                } @else {
                    div.table-wrap {
                        table.hooks {
                            thead { tr {
                                @for (_, name) in Column::ALL {
                                    th scope="col" data-col=(name) { (name.replace('_', " ")) }
                                }
                            } }
                            tbody {
                                @for hook in shown { (hook_row(app, hook, &here)) }
                            }
                        }
                    }
                    nav.pager aria-label="Pages" {
                        span.muted {
                            (layout::count(((page - 1) * HOOKS_PER_PAGE + 1) as u64)) "–"
                            (layout::count(((page - 1) * HOOKS_PER_PAGE + shown.len()) as u64))
                            " of " (layout::count(hooks.len() as u64))
                        }
                        @if page > 1 { a.btn href=(page_link(term, page - 1)) rel="prev" { "← Previous" } }
                        @if page < pages { a.btn href=(page_link(term, page + 1)) rel="next" { "Next →" } }
                    }
                }
            }
        }
    };
    Ok(Reply::html(layout::page("Webhooks", Area::Webhooks, body)))
}

fn page_link(term: &str, page: usize) -> String {
    match (term.is_empty(), page) {
        (true, 1) => "/".into(),
        (true, page) => format!("/?page={page}"),
        (false, 1) => format!("/?q={}", encode(term)),
        (false, page) => format!("/?q={}&page={page}", encode(term)),
    }
}

fn hook_row(app: &App, hook: &HookJson, back: &str) -> Markup {
    let href = format!("/hooks/{}", hook.token);
    let switch = if hook.enabled { "disable" } else { "enable" };
    html! {
        tr {
            @for (column, name) in Column::ALL {
                td data-col=(name) {
                    @match column {
                        Column::Name => a.name href=(href) { (hook.name) },
                        Column::Url => span.url-cell {
                            code.url title=(hook.url) { (hook.url) }
                            (layout::copy(&hook.url, &format!("Copy the URL of {}", hook.name)))
                        },
                        Column::Status => form.switch method="post" action=(format!("{href}/{switch}")) {
                            (layout::token(app))
                            input type="hidden" name="back" value=(back);
                            button type="submit" role="switch" aria-checked=(hook.enabled)
                                aria-label=(format!("{} {}", if hook.enabled { "Disable" } else { "Enable" }, hook.name)) {
                                span.track { span.knob {} }
                                span.switch-label { (if hook.enabled { "enabled" } else { "disabled" }) }
                            }
                        },
                        Column::Queue => a.queue href=(format!("{href}/ops")) title="Operations on this hook's events" {
                            (layout::count(hook.queue))
                        },
                        Column::Expired => @if hook.expired { span.badge.warn { "expired" } } @else { span.muted { "no" } },
                        Column::Scenario => @match &hook.scenario {
                            Some(s) => a.chip href=(format!("/scenarios/{}", encode(s))) { (s) },
                            None => (layout::dash()),
                        },
                        Column::Connection => @match &hook.connection {
                            Some(c) => a.chip href=(format!("/connections#c-{}", encode(c))) { (c) },
                            None => (layout::dash()),
                        },
                        _ => ({
                            let cell = column.cell(hook);
                            layout::short_time(&cell).unwrap_or(cell)
                        }),
                    }
                }
            }
        }
    }
}

fn scenarios(store: &Store) -> Result<Reply> {
    let scenarios: Vec<Value> = store
        .scenarios()?
        .iter()
        .map(|s| serde_json::to_value(ScenarioJson::new(s)))
        .collect::<Result<_, _>>()?;
    let body = html! {
        div.page-head { div { h1 { "Scenarios" } p.muted { "Local commands, each fed by one hook, one event per cycle." } } }
        div #results data-live {
            @if scenarios.is_empty() {
                div.empty { p { "No scenarios yet." } p.muted { code { "hookq scenario create NAME --hook HOOK -- COMMAND" } } }
            } @else {
                div.table-wrap { table {
                    thead { tr { th { "name" } th { "hook" } th { "schedule" } th { "status" } th { "last run" } th { "runs" } } }
                    tbody { @for s in &scenarios {
                        @let name = text(&s["name"]);
                        tr {
                            td { a.name href=(format!("/scenarios/{}", encode(&name))) { (name) } }
                            td { (text(&s["hook"])) }
                            td { (text(&s["schedule"])) }
                            td { (layout::state(if s["active"] == Value::Bool(true) { "active" } else { "inactive" })) }
                            td { (text(&s["last_run_at"])) }
                            td { code { (runs_what(s)) } }
                        }
                    } }
                } }
            }
        }
    };
    Ok(Reply::html(layout::page(
        "Scenarios",
        Area::Scenarios,
        body,
    )))
}

/// What a scenario runs: its command, or where it forwards.
fn runs_what(s: &Value) -> String {
    match (&s["command"], &s["forward"]) {
        (_, Value::String(url)) => format!("→ {url}"),
        (Value::Array(args), _) => shell_words(args),
        _ => String::new(),
    }
}

/// A JSON value as a cell: strings bare (a timestamp shortened to the
/// second), null as a dash.
fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => layout::short_time(s).unwrap_or_else(|| s.clone()),
        other => other.to_string(),
    }
}

/// A command line as a shell would read it back.
fn shell_words(args: &[Value]) -> String {
    args.iter()
        .map(|arg| {
            let arg = arg.as_str().unwrap_or_default();
            if !arg.is_empty()
                && arg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@%+,".contains(&b))
            {
                arg.to_owned()
            } else {
                format!("'{}'", arg.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn scenario(app: &App, store: &Store, name: &str) -> Result<Reply> {
    let scenario = store.scenario(name)?;
    let json = serde_json::to_value(ScenarioJson::new(&scenario))?;
    let executions: Vec<ExecutionJson> = store
        .executions(scenario.id, EXECUTIONS_SHOWN)?
        .iter()
        .map(ExecutionJson::new)
        .collect();
    let executions = serde_json::to_value(executions)?;
    let href = format!("/scenarios/{}", encode(&scenario.name));
    let hook = store.hook(&scenario.hook)?;
    let settings: Vec<(String, Markup)> = json
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !matches!(k.as_str(), "name" | "hook" | "active"))
        .map(|(k, v)| {
            let shown = match v {
                Value::Array(args) if k == "command" => html! { code { (shell_words(args)) } },
                Value::Array(_) => html! { code { (v.to_string()) } },
                _ => html! { (text(v)) },
            };
            (k.replace('_', " "), shown)
        })
        .collect();
    let body = html! {
        div.page-head {
            div {
                p.crumbs { a href="/scenarios" { "Scenarios" } " / " }
                h1 { (scenario.name) " " (layout::state(if scenario.active { "active" } else { "inactive" })) }
                p.muted { "Fed by hook " a href=(format!("/hooks/{}", hook.token)) { (hook.name) } }
            }
            div.tools {
                @if scenario.active {
                    (layout::action(app, &format!("{href}/deactivate"), "Deactivate", "", None))
                } @else {
                    (layout::action(app, &format!("{href}/activate"), "Activate", "primary", None))
                }
                (layout::action(app, &format!("{href}/run"), "Run now", "", None))
            }
        }
        div #results data-live {
            section.card {
                h2 { "Executions" }
                @match executions.as_array() {
                    Some(list) if !list.is_empty() => div.table-wrap { table {
                        thead { tr { th { "id" } th { "trigger" } th { "started" } th { "finished" } th { "cycles" } th { "status" } th { "error" } } }
                        tbody { @for e in list {
                            tr {
                                td { (text(&e["id"])) }
                                td { (text(&e["trigger"])) }
                                td { (text(&e["started_at"])) }
                                td { (text(&e["finished_at"])) }
                                td.num { (text(&e["cycles"])) }
                                td { (layout::state(e["status"].as_str().unwrap_or("running"))) }
                                td.error-text { @if let Some(error) = e["error"].as_str() { (error) } }
                            }
                        } }
                    } },
                    _ => p.muted { "No executions yet." },
                }
            }
            section.card {
                h2 { "Settings" }
                (layout::fields(&settings.iter().map(|(k, v)| (k.as_str(), v.clone())).collect::<Vec<_>>()))
            }
        }
    };
    Ok(Reply::html(layout::page(
        &scenario.name,
        Area::Scenarios,
        body,
    )))
}

fn connections(store: &Store) -> Result<Reply> {
    let connections: Vec<Value> = store
        .connections()?
        .iter()
        .map(|c| serde_json::to_value(ConnectionJson::new(c)))
        .collect::<Result<_, _>>()?;
    let body = html! {
        div.page-head { div { h1 { "Connections" } p.muted { "Credentials that verify who sent a webhook. Secrets are masked, as in the CLI." } } }
        div #results data-live {
            @if connections.is_empty() {
                div.empty { p { "No connections." } p.muted { code { "hookq connections create NAME --kind github --secret-env VAR" } } }
            } @else {
                div.table-wrap { table {
                    thead { tr { th { "name" } th { "kind" } th { "secret" } th { "details" } th { "hooks" } th { "created" } } }
                    tbody { @for c in &connections {
                        @let name = text(&c["name"]);
                        tr id=(format!("c-{}", encode(&name))) {
                            td.name { (name) }
                            td { span.chip { (text(&c["kind"])) } }
                            td { code { (text(&c["secret"])) } }
                            td.muted { (details(c)) }
                            td { (c["hooks"].as_array().map(|h| h.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                            td { (text(&c["created_at"])) }
                        }
                    } }
                } }
            }
        }
    };
    Ok(Reply::html(layout::page(
        "Connections",
        Area::Connections,
        body,
    )))
}

/// The options of a connection that are set, as `k: v`.
fn details(c: &Value) -> String {
    ["header", "algorithm", "encoding", "prefix", "tolerance"]
        .iter()
        .filter(|k| !c[**k].is_null())
        .map(|k| format!("{k}: {}", text(&c[*k])))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn sweep_page(ctx: &Ctx, store: &Store) -> Result<Reply> {
    let limits = Limits::default();
    let plan = lifecycle::plan(&store.hook_facts()?, &limits, ctx.now);
    let report = serde_json::to_value(sweep::predict(store, &plan, &limits, ctx.now)?)?;
    let list = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default()
    };
    let disabled = report["disabled"].as_array().cloned().unwrap_or_default();
    let body = html! {
        div.page-head { div {
            h1 { "Sweep" }
            p.muted { "What " code { "hookq sweep --dry-run" } " would do now (" (text(&report["now"])) "), with the default thresholds. Nothing is changed here." }
        } }
        div #results data-live .grid {
            section.card {
                h2 { "Would disable " span.count { (disabled.len()) } }
                @if disabled.is_empty() { p.muted { "No hook." } } @else {
                    ul.plain { @for d in &disabled { li { span.name { (text(&d["hook"])) } " — " span.muted { (text(&d["reason"])) } } } }
                }
            }
            section.card {
                h2 { "Would delete " span.count { (list("deleted").len()) } }
                @if list("deleted").is_empty() { p.muted { "No hook." } } @else {
                    ul.plain { @for name in list("deleted") { li.name { (name) } } }
                }
            }
            section.card {
                h2 { "Expired " span.count { (list("expired").len()) } }
                @if list("expired").is_empty() { p.muted { "No hook." } } @else {
                    ul.plain { @for name in list("expired") { li.name { (name) } } }
                }
            }
            section.card {
                h2 { "Payloads to purge" }
                p.big { (text(&report["payloads_purged"])) }
                p.muted { "Bodies older than " (limits.payload_retention) "; the events stay." }
            }
        }
    };
    Ok(Reply::html(layout::page("Sweep", Area::Sweep, body)))
}
