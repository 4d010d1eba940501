//! The scenarios: the list, and one scenario with its executions.

use anyhow::Result;
use maud::{html, Markup};
use serde_json::Value;

use super::http::{encode, Reply};
use super::layout::{self, text, Area};
use super::App;
use crate::cmd::scenario::{ExecutionJson, ScenarioJson};
use crate::store::Store;

/// Executions shown on a scenario's page.
const EXECUTIONS_SHOWN: u32 = 50;

pub fn scenarios(store: &dyn Store) -> Result<Reply> {
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

/// A forwarding scenario's added headers as a request shows them, one
/// `Name: value` line each (the values come masked).
fn header_lines(headers: &[Value]) -> Markup {
    html! {
        @for header in headers {
            div { code { (text(&header[0])) ": " (text(&header[1])) } }
        }
        @if headers.is_empty() { "—" }
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

pub fn scenario(app: &App, store: &dyn Store, name: &str) -> Result<Reply> {
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
                Value::Array(headers) if k == "forward_headers" => header_lines(headers),
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
