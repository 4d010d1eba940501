//! A hook's page: its settings, its events newest first (live), sending a
//! test event; and the operations on its events.

use anyhow::Result;
use maud::{html, Markup};

use super::http::{encode, Reply, Req};
use super::layout::{self, Area};
use super::App;
use crate::cmd::hooks::HookJson;
use crate::cmd::Ctx;
use crate::error::Failure;
use crate::store::{EventState, Hook, Store};
use crate::units::Size;

/// Events per page of a hook's events.
const EVENTS_PER_PAGE: u32 = 50;
/// Operations shown on a hook's operations page.
const OPERATIONS_SHOWN: u64 = 200;

pub fn hook(app: &App, ctx: &Ctx, store: &dyn Store, req: &Req, key: &str) -> Result<Reply> {
    let hook = store.hook(key)?;
    let json = HookJson::new(ctx, &hook);
    let state = req
        .param("state")
        .map(|s| s.parse::<EventState>().map_err(Failure::usage))
        .transpose()?;
    let before = req.param("before").and_then(|b| b.parse::<i64>().ok());
    let states: Vec<EventState> = state.into_iter().collect();
    let events = store.newest_events(hook.id, &states, before, EVENTS_PER_PAGE + 1)?;
    let more = events.len() > EVENTS_PER_PAGE as usize;
    let events = &events[..events.len().min(EVENTS_PER_PAGE as usize)];
    let href = format!("/hooks/{}", hook.token);
    let filter_link = |s: Option<EventState>| match s {
        Some(s) => format!("{href}?state={}", s.as_str()),
        None => href.clone(),
    };
    let older = events.last().map(|last| match state {
        Some(s) => format!("{href}?state={}&before={}", s.as_str(), last.id),
        None => format!("{href}?before={}", last.id),
    });
    let body = html! {
        div.page-head {
            div {
                p.crumbs { a href="/" { "Webhooks" } " / " }
                h1 { (hook.name) " " (layout::state(if hook.enabled { "enabled" } else { "disabled" })) }
                p.url-line { code.url #hook-url { (json.url) } (layout::copy(&json.url, "Copy the URL")) }
            }
            div.tools {
                @if hook.enabled {
                    (layout::action(app, &format!("{href}/disable"), "Disable", "", Some(&href)))
                } @else {
                    (layout::action(app, &format!("{href}/enable"), "Enable", "primary", Some(&href)))
                }
                a.btn href=(format!("{href}/ops")) { "Operations" }
            }
        }
        div.columns {
            div.wide {
                section.card #events-card {
                    div.card-head {
                        h2 { "Events" }
                        nav.pills aria-label="Filter by state" {
                            a href=(filter_link(None)) aria-current=[state.is_none().then_some("page")] { "all" }
                            @for s in EventState::ALL.iter().copied() {
                                a href=(filter_link(Some(s))) aria-current=[(state == Some(s)).then_some("page")] { (s.as_str()) }
                            }
                        }
                    }
                    div #results data-live {
                        @if events.is_empty() {
                            div.empty {
                                p { "No events" @if let Some(s) = state { " " (s.as_str()) } " yet." }
                                p.muted { "Send one: " code.wrap { "curl -d '{\"hello\":\"world\"}' -H 'Content-Type: application/json' " (json.url) } }
                            }
                        } @else {
                            div.table-wrap { table.events {
                                thead { tr {
                                    th scope="col" { "id" } th scope="col" { "state" } th scope="col" { "received" }
                                    th scope="col" { "method" } th scope="col" { "type" } th.num scope="col" { "size" }
                                    th.num scope="col" { "attempts" } th scope="col" { "replay of" }
                                } }
                                tbody { @for e in events {
                                    tr {
                                        td { a.name href=(format!("/events/{}", e.id)) { "#" (e.id) } }
                                        td { (layout::state(e.state.as_str())) }
                                        td { (layout::time(e.received_at)) }
                                        td { span.method { (e.method) } }
                                        td.muted { (e.content_type.as_deref().unwrap_or("—")) }
                                        td.num { (layout::size(e.size)) }
                                        td.num { (e.attempts) }
                                        td { @match e.replay_of { Some(id) => a href=(format!("/events/{id}")) { "#" (id) }, None => (layout::dash()) } }
                                    }
                                } }
                            } }
                            @if more { @if let Some(older) = &older {
                                nav.pager { a.btn href=(older) { "Older events →" } }
                            } }
                        }
                    }
                }
            }
            div.side {
                section.card { h2 { "Settings" } (settings(&hook, &json)) }
                section.card { h2 { "Send a test event" } (send_form(app, &hook)) }
            }
        }
    };
    Ok(Reply::html(layout::page(&hook.name, Area::Webhooks, body)))
}

fn settings(hook: &Hook, json: &HookJson) -> Markup {
    let any = |list: &[String]| {
        if list.is_empty() {
            "any".to_owned()
        } else {
            list.join(", ")
        }
    };
    let ips: Vec<String> = hook
        .settings
        .allow_ips
        .iter()
        .map(|c| c.to_string())
        .collect();
    layout::fields(&[
        (
            "queue",
            html! { a href=(format!("/hooks/{}/ops", hook.token)) { (layout::count(json.queue)) } " of " (layout::count(json.queue_limit)) },
        ),
        (
            "expired",
            html! { (if json.expired { "yes" } else { "no" }) },
        ),
        (
            "scenario",
            match &json.scenario {
                Some(s) => html! { a href=(format!("/scenarios/{}", encode(s))) { (s) } },
                None => layout::dash(),
            },
        ),
        (
            "connection",
            match &json.connection {
                Some(c) => html! { a href=(format!("/connections#c-{}", encode(c))) { (c) } },
                None => layout::dash(),
            },
        ),
        (
            "rate limit",
            html! { @if json.rate_limit == 0 { "unlimited" } @else { (json.rate_limit) "/s, bursts of " (json.burst) } },
        ),
        ("max body", html! { (Size(json.max_body)) }),
        ("methods", html! { (any(&hook.settings.methods)) }),
        ("allowed ips", html! { (any(&ips)) }),
        (
            "json passthrough",
            html! { (if hook.settings.json_passthrough { "on" } else { "off" }) },
        ),
        ("created", layout::time(hook.created_at)),
        ("last event", layout::maybe_time(hook.last_event_at)),
        ("operations", html! { (layout::count(json.operations)) }),
        (
            "disabled",
            match (&hook.disabled_at, &hook.disabled_reason) {
                (Some(at), Some(reason)) if !hook.enabled => {
                    html! { (layout::time(*at)) " (" (reason) ")" }
                }
                _ => layout::dash(),
            },
        ),
    ])
}

fn send_form(app: &App, hook: &Hook) -> Markup {
    let methods: Vec<String> = if hook.settings.methods.is_empty() {
        ["POST", "PUT", "PATCH", "GET", "DELETE"]
            .map(String::from)
            .to_vec()
    } else {
        hook.settings.methods.clone()
    };
    html! {
        form.stack method="post" action=(format!("/hooks/{}/send", hook.token)) {
            (layout::token(app))
            div.row {
                label { "Method" select name="method" { @for m in &methods { option { (m) } } } }
                label.grow { "Content-Type" input type="text" name="content_type" value="application/json"; }
            }
            label { "Body" textarea name="data" rows="5" spellcheck="false" { "{\"hello\": \"world\"}" } }
            p.muted.small { "Goes through the hook's checks except the network ones, as " code { "hookq hooks send" } "." }
            button.btn.primary type="submit" { "Send" }
        }
    }
}

pub fn operations(ctx: &Ctx, store: &dyn Store, key: &str) -> Result<Reply> {
    let hook = store.hook(key)?;
    let json = HookJson::new(ctx, &hook);
    let ops = store.operations(hook.id, None, None, OPERATIONS_SHOWN)?;
    let href = format!("/hooks/{}", hook.token);
    let body = html! {
        div.page-head { div {
            p.crumbs { a href="/" { "Webhooks" } " / " a href=(href) { (hook.name) } " / " }
            h1 { "Operations" }
            p.muted { (layout::count(json.queue)) " events waiting · " (layout::count(json.operations)) " operations in all" }
        } }
        div #results data-live {
            @if ops.is_empty() {
                div.empty { p { "No operations yet: no scenario has processed an event of this hook." } }
            } @else {
                div.table-wrap { table {
                    thead { tr { th { "id" } th { "event" } th { "scenario" } th { "status" } th.num { "exit / answer" } th { "started" } th.num { "duration" } th { "error" } } }
                    tbody { @for op in &ops {
                        tr {
                            td { (op.id) }
                            td { a href=(format!("/events/{}", op.event_id)) { "#" (op.event_id) } }
                            td { a href=(format!("/scenarios/{}", encode(&op.scenario))) { (op.scenario) } }
                            td { (layout::state(op.status.as_str())) }
                            td.num { (op.result()) }
                            td { (layout::time(op.started_at)) }
                            td.num { (op.duration_ms) " ms" }
                            td.error-text { (op.error.as_deref().unwrap_or("")) }
                        }
                    } }
                } }
            }
        }
    };
    Ok(Reply::html(layout::page(
        &format!("Operations of {}", hook.name),
        Area::Webhooks,
        body,
    )))
}
