//! One event in full: headers, query, body (pretty, raw, hex), the bundle
//! exactly as `hooks payload --bundle` prints it, the operations that
//! processed it; replay, discard, copy as curl.

use std::fmt::Write;

use anyhow::Result;
use maud::{html, Markup};
use serde_json::Value;

use super::http::{encode, Reply};
use super::layout::{self, Area};
use super::App;
use crate::cmd::events::{body_of, bundle_text};
use crate::cmd::Ctx;
use crate::error::Failure;
use crate::store::{Event, Store};

/// Bodies up to this size are shown whole: JSON as a tree that folds. A
/// larger one shows its beginning, and the whole is a download away.
const SHOWN_WHOLE: usize = 256 << 10;
/// Bytes of a body shown in hex.
const HEX_SHOWN: usize = 16 << 10;
/// Operations shown for one event.
const OPERATIONS_SHOWN: u64 = 50;

fn event_id(id: &str) -> Result<i64> {
    id.parse()
        .map_err(|_| Failure::refused(format!("no event {id:?}")).into())
}

pub fn event(app: &App, ctx: &Ctx, store: &dyn Store, id: &str) -> Result<Reply> {
    let event = store.event(event_id(id)?)?;
    let hook = store.hook(&event.hook)?;
    let body = if event.payload_available {
        Some(body_of(store, &event)?)
    } else {
        None
    };
    // The bundle of a large body is a download: built here it would cost
    // more than the rest of the page, to show its first lines.
    let bundle = match &body {
        Some(body) if body.len() <= SHOWN_WHOLE => {
            Some(bundle_text(&event, body, hook.settings.json_passthrough)?)
        }
        _ => None,
    };
    let ops = store.operations(hook.id, None, Some(event.id), OPERATIONS_SHOWN)?;
    let hook_href = format!("/hooks/{}", hook.token);
    let href = format!("/events/{}", event.id);
    let url = match event.query.as_str() {
        "" => ctx.url(&hook.token),
        query => format!("{}?{query}", ctx.url(&hook.token)),
    };
    let curl = curl(&event, &url, body.as_deref());
    let query = crate::bundle::parse_urlencoded(event.query.as_bytes());
    let body_view = match &body {
        Some(body) => body_views(&event, body, bundle.as_deref()),
        None => {
            html! { p.muted { "Failed to read file from storage. " span.small { "(The sweep purged this payload; the event's record stays.)" } } }
        }
    };
    let page = html! {
        div.page-head {
            div {
                p.crumbs { a href="/" { "Webhooks" } " / " a href=(hook_href) { (hook.name) } " / " }
                h1 { "Event #" (event.id) " " span #event-state data-live { (layout::state(event.state.as_str())) } }
                p.muted.meta {
                    span.method { (event.method) } " · " (layout::time(event.received_at)) " · " (layout::size(event.size))
                    @if let Some(ct) = &event.content_type { " · " (ct) }
                    " · attempts " (event.attempts)
                    @if let Some(from) = &event.remote_addr { " · from " (from) }
                    @if let Some(of) = event.replay_of { " · replay of " a href=(format!("/events/{of}")) { "#" (of) } }
                }
            }
            div.tools {
                @if event.payload_available {
                    (layout::action(app, &format!("{href}/replay"), "Replay", "primary", None))
                }
                @if matches!(event.state.as_str(), "queued" | "incomplete") {
                    (layout::action(app, &format!("{href}/discard"), "Discard", "danger", None))
                }
                button.btn #copy-curl type="button" data-copy=(curl) { "Copy as curl" }
            }
        }
        div.columns {
            div.wide {
                section.card { h2 { "Body" } (body_view) }
                @if let Some(bundle) = &bundle {
                    section.card {
                        div.card-head {
                            h2 { "Bundle" }
                            span.muted.small { "What a scenario's command reads: " code { "hookq hooks payload " (event.id) " --bundle" } }
                        }
                        pre.code #bundle { (bundle) }
                    }
                } @else if event.payload_available {
                    section.card {
                        div.card-head {
                            h2 { "Bundle" }
                            span.muted.small { "What a scenario's command reads: " code { "hookq hooks payload " (event.id) " --bundle" } }
                        }
                        p { a href=(format!("{href}/bundle")) { "The bundle" } " (a body this large is not shown here whole)" }
                    }
                }
            }
            div.side {
                section.card {
                    h2 { "Headers" }
                    (pairs(event.headers.iter().map(|(k, v)| (k.as_str(), v.clone()))))
                }
                section.card {
                    h2 { "Query" }
                    @if query.is_empty() { p.muted { "None." } } @else {
                        (pairs(query.iter().map(|(k, v)| (k.as_str(), plain(v)))))
                    }
                }
                section.card {
                    h2 { "Copy as curl" }
                    pre.code.small #curl { (curl) }
                }
            }
        }
        section.card #operations data-live {
            h2 { "Operations" }
            @if ops.is_empty() { p.muted { "No scenario has processed this event yet." } } @else {
                div.table-wrap { table {
                    thead { tr { th { "id" } th { "scenario" } th { "status" } th.num { "exit / answer" } th { "started" } th.num { "duration" } th { "error" } th { "output" } } }
                    tbody { @for op in &ops {
                        tr {
                            td { (op.id) }
                            td { a href=(format!("/scenarios/{}", encode(&op.scenario))) { (op.scenario) } }
                            td { (layout::state(op.status.as_str())) }
                            td.num { (op.result()) }
                            td { (layout::time(op.started_at)) }
                            td.num { (op.duration_ms) " ms" }
                            td.error-text { (op.error.as_deref().unwrap_or("")) }
                            td {
                                @if op.stdout.is_empty() && op.stderr.is_empty() { (layout::dash()) } @else {
                                    details.output {
                                        summary { "output" }
                                        @if !op.stdout.is_empty() { h3 { "stdout" } pre.code.small { (String::from_utf8_lossy(&op.stdout)) } }
                                        @if !op.stderr.is_empty() { h3 { "stderr" } pre.code.small { (String::from_utf8_lossy(&op.stderr)) } }
                                    }
                                }
                            }
                        }
                    } }
                } }
            }
        }
    };
    Ok(Reply::html(layout::page(
        &format!("Event {} of {}", event.id, hook.name),
        Area::Webhooks,
        page,
    )))
}

/// Names and values as a table.
fn pairs<'a>(items: impl Iterator<Item = (&'a str, String)>) -> Markup {
    html! {
        table.pairs { tbody { @for (k, v) in items { tr { th scope="row" { (k) } td { code { (v) } } } } } }
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The body as the content type reads best: JSON as a tree, form fields
/// and multipart files as a table; always raw text and hex.
fn body_views(event: &Event, body: &[u8], bundle: Option<&str>) -> Markup {
    let content_type = event.content_type.as_deref().unwrap_or("");
    let is_json = crate::bundle::is_json(event.content_type.as_deref());
    // A large body is not parsed: its beginning is indented as it comes.
    let json: Option<Value> = (is_json && body.len() <= SHOWN_WHOLE)
        .then(|| serde_json::from_slice(body).ok())
        .flatten();
    // Large, or beyond what serde_json reads (`1e400`, nesting past 128,
    // which the server accepts by RFC 8259): indented as it comes.
    let large_json = (is_json && json.is_none()).then(|| indent_prefix(body, SHOWN_WHOLE));
    let form = (content_type.starts_with("application/x-www-form-urlencoded")
        || content_type.starts_with("multipart/"))
    .then(|| bundle.and_then(|b| serde_json::from_str::<Value>(b).ok()))
    .flatten()
    .and_then(|b| b.get("body").and_then(Value::as_object).cloned());
    let shown = &body[..body.len().min(SHOWN_WHOLE)];
    // Binary: bytes that are not UTF-8 (a character cut at the end of what
    // is shown does not count), shown in hex rather than as mojibake.
    let binary = match std::str::from_utf8(shown) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some(),
    };
    let text = String::from_utf8_lossy(shown).into_owned();
    let cut_note = (body.len() > SHOWN_WHOLE).then(|| {
        html! { p.muted.small { "The first " (layout::size(SHOWN_WHOLE as u64)) " of " (layout::size(body.len() as u64)) ". " a href=(format!("/events/{}/body", event.id)) { "Download the whole body" } } }
    });
    html! {
        @if body.is_empty() { p.muted { "Empty body." } } @else {
            @if let Some(value) = &json {
                details.view open {
                    summary { "JSON" }
                    div.tree #json-tree { (tree(None, value)) }
                }
            }
            @if let Some(pretty) = &large_json {
                details.view open {
                    summary { "JSON" }
                    pre.code #json-pretty { (pretty) }
                    (cut_note.clone().unwrap_or_default())
                }
            }
            @if let Some(fields) = &form {
                details.view open {
                    summary { "Form fields" }
                    table.pairs { tbody { @for (k, v) in fields {
                        tr { th scope="row" { (k) } td { (field(v)) } }
                    } } }
                }
            }
            @if !binary {
                details.view open[json.is_none() && large_json.is_none() && form.is_none()] {
                    summary { "Raw" }
                    pre.code #raw { (text) }
                    (cut_note.clone().unwrap_or_default())
                }
            }
            details.view open[binary] {
                summary { "Hex" }
                pre.code.hex { (hex(&body[..body.len().min(HEX_SHOWN)])) }
                @if body.len() > HEX_SHOWN { p.muted.small { "The first " (layout::size(HEX_SHOWN as u64)) "." } }
            }
        }
    }
}

/// A form field: its text, or for a file its name, type and size.
fn field(value: &Value) -> Markup {
    match value {
        Value::Object(file) if file.contains_key("mime") => html! {
            "file " code { (plain(file.get("name").unwrap_or(&Value::Null))) }
            " (" (plain(file.get("mime").unwrap_or(&Value::Null))) ", "
            (file.get("data").and_then(Value::as_str).map_or(0, str::len)) " chars of data)"
        },
        Value::Array(items) => html! { @for item in items { div { (field(item)) } } },
        other => html! { code { (plain(other)) } },
    }
}

/// A JSON value that folds: objects and arrays are `<details>`, open.
fn tree(key: Option<&str>, value: &Value) -> Markup {
    let label = html! { @if let Some(key) = key { span.key { (serde_json::to_string(key).unwrap_or_default()) } ": " } };
    match value {
        Value::Object(map) if !map.is_empty() => html! {
            details.node open {
                summary { (label) span.punct { "{" } span.fold { (map.len()) " keys }" } }
                div.children { @for (k, v) in map { (tree(Some(k), v)) } }
                div.punct { "}" }
            }
        },
        Value::Array(items) if !items.is_empty() => html! {
            details.node open {
                summary { (label) span.punct { "[" } span.fold { (items.len()) " items ]" } }
                div.children { @for v in items { (tree(None, v)) } }
                div.punct { "]" }
            }
        },
        scalar => {
            let kind = match scalar {
                Value::String(_) => "str",
                Value::Number(_) => "num",
                Value::Bool(_) => "bool",
                _ => "null",
            };
            html! { div.leaf { (label) span.(kind) { (scalar.to_string()) } } }
        }
    }
}

/// The beginning of a JSON text, indented two spaces a level, at most
/// about `max` bytes: a byte-level pass that needs no parse of the whole.
fn indent_prefix(json: &[u8], max: usize) -> String {
    let mut out = Vec::with_capacity(max.min(json.len() * 2) + 64);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut bytes = json.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if out.len() >= max {
            break;
        }
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                out.push(b);
                let close = if b == b'{' { b'}' } else { b']' };
                while bytes.peek().is_some_and(u8::is_ascii_whitespace) {
                    bytes.next();
                }
                if bytes.peek() == Some(&close) {
                    out.push(close);
                    bytes.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b if b.is_ascii_whitespace() => {}
            b => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Offset, 16 bytes in hex, the same as text.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 + bytes.len() / 16 * 12);
    for (line, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", line * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
        }
        out.push(' ');
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

/// The event as a curl command line that sends it again to the hook.
fn curl(event: &Event, url: &str, body: Option<&[u8]>) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let mut line = format!("curl -X {} {}", event.method, quote(url));
    for (k, v) in &event.headers {
        if matches!(
            k.to_ascii_lowercase().as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding" | "expect"
        ) {
            continue;
        }
        let _ = write!(line, " \\\n  -H {}", quote(&format!("{k}: {v}")));
    }
    match body {
        Some([]) | None => {}
        Some(body) => match std::str::from_utf8(body) {
            Ok(text) if body.len() <= 64 << 10 => {
                let _ = write!(line, " \\\n  --data-binary {}", quote(text));
            }
            _ => {
                let _ = write!(line, " \\\n  --data-binary @event-{}.body", event.id);
            }
        },
    }
    line
}

/// The body, whole, as a download.
pub fn raw_body(store: &dyn Store, id: &str) -> Result<Reply> {
    let event = store.event(event_id(id)?)?;
    let body = body_of(store, &event)?;
    Ok(Reply::with(200, "application/octet-stream", body).header(
        "Content-Disposition",
        format!("attachment; filename=\"event-{}.body\"", event.id),
    ))
}

/// The bundle, whole, as `hooks payload --bundle` prints it.
pub fn bundle(store: &dyn Store, id: &str) -> Result<Reply> {
    let event = store.event(event_id(id)?)?;
    let body = body_of(store, &event)?;
    let hook = store.hook(&event.hook)?;
    let mut text = bundle_text(&event, &body, hook.settings.json_passthrough)?;
    text.push('\n');
    Ok(Reply::with(200, "application/json", text.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_bodys_beginning_is_indented_as_serde_json_would() {
        let body = br#"{"a":[1,2,{"b":"x,\"y\":{"}],"c":{},"d":[ ],"e":"\\"}"#;
        let value: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            indent_prefix(body, usize::MAX),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert!(indent_prefix(body, 10).len() < 16);
    }
}
