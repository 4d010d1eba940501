//! The routes, and the webhooks table.

use anyhow::Result;
use maud::{html, Markup};

use super::http::{encode, Reply, Req};
use super::layout::{self, Area};
use super::{actions, admin_pages, assets, event_page, hook_pages, scenario_pages, App};
use crate::clock;
use crate::cmd::hooks::{matches, Column, HookJson};
use crate::cmd::Ctx;
use crate::error::{code_of, Code, Failure};
use crate::store::{Access, Store};

/// Hooks per page of the webhooks table.
const HOOKS_PER_PAGE: usize = 50;

pub fn route(app: &App, store: &mut dyn Store, req: &Req) -> Reply {
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
    match (method, path.as_slice()) {
        ("GET", ["assets", name]) => return assets::get(name),
        ("GET", ["api", "version"]) => return version(app),
        _ => {}
    }
    // Read before the page's own reads: a change committed while the page
    // is rendered or on its way moves the version past this one, so the
    // script's first poll refreshes the page. A baseline taken by that
    // first poll instead would hide such a change until the next one (on
    // PostgreSQL, where a page thread's first request connects first, the
    // gap is tens of milliseconds).
    let shown = (method == "GET").then(|| data_version(app)).flatten();
    let page = match (method, path.as_slice()) {
        ("GET", []) => webhooks(app, &ctx, store, req),
        ("GET", ["hooks", key]) => hook_pages::hook(app, &ctx, store, req, key),
        ("GET", ["hooks", key, "ops"]) => hook_pages::operations(&ctx, store, key),
        ("GET", ["events", id]) => event_page::event(app, &ctx, store, id),
        ("GET", ["events", id, "body"]) => event_page::raw_body(store, id),
        ("GET", ["events", id, "bundle"]) => event_page::bundle(store, id),
        ("GET", ["scenarios"]) => scenario_pages::scenarios(store),
        ("GET", ["scenarios", name]) => scenario_pages::scenario(app, store, name),
        ("GET", ["connections"]) => admin_pages::connections(&ctx, store),
        ("GET", ["sweep"]) => admin_pages::sweep_page(&ctx, store),
        ("POST", _) => actions::act(app, &ctx, store, req, &path),
        _ => Err(Failure::refused("no such page").into()),
    };
    let reply = page.unwrap_or_else(|e| error_page(&e));
    match shown {
        Some(version) => stamp(reply, version),
        None => reply,
    }
}

/// Name on the page's `<body>` the version it was rendered at
/// (`data-version`), the script's first baseline.
fn stamp(mut reply: Reply, version: i64) -> Reply {
    if reply.content_type.starts_with("text/html") {
        if let Ok(html) = std::str::from_utf8(&reply.body) {
            let stamped = format!("<body data-version=\"{version}\">");
            reply.body = html.replacen("<body>", &stamped, 1).into_bytes();
        }
    }
    reply
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

/// The change counter the script polls ([`Session::data_version`](crate::store::Session::data_version)), which
/// changes when another connection commits.
fn version(app: &App) -> Reply {
    match data_version(app) {
        Some(version) => Reply::text(200, &version.to_string()),
        None => Reply::error(503, "busy"),
    }
}

/// Asked of the one watch connection: SQLite's `data_version` compares
/// only with itself.
fn data_version(app: &App) -> Option<i64> {
    let store = app.watch.lock().unwrap_or_else(|e| e.into_inner());
    store.data_version().ok()
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

fn webhooks(app: &App, ctx: &Ctx, store: &dyn Store, req: &Req) -> Result<Reply> {
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
