//! The connections, secrets masked, and what the sweep would do now.

use anyhow::Result;
use maud::html;
use serde_json::Value;

use super::http::{encode, Reply};
use super::layout::{self, text, Area};
use crate::cmd::connections::ConnectionJson;
use crate::cmd::{sweep, Ctx};
use crate::lifecycle::{self, Limits};
use crate::store::Store;

pub fn connections(ctx: &Ctx, store: &dyn Store) -> Result<Reply> {
    let connections: Vec<Value> = store
        .connections()?
        .iter()
        .map(|c| serde_json::to_value(ConnectionJson::new(c, ctx.now)))
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

pub fn sweep_page(ctx: &Ctx, store: &dyn Store) -> Result<Reply> {
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
