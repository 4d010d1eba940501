//! The frame of every page and the small pieces pages share. maud escapes
//! every value it splices in: a hook named `<script>` is text.

use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use super::App;
use crate::clock::{self, Millis};

/// Which part of the site a page belongs to, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Webhooks,
    Scenarios,
    Connections,
    Sweep,
}

pub fn page(title: &str, area: Area, body: Markup) -> Markup {
    let link = |href: &str, label: &str, this: Area| {
        html! {
            a href=(href) aria-current=[(area == this).then_some("page")] { (label) }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · hookq" }
                link rel="stylesheet" href="/assets/app.css";
                link rel="icon" href="/assets/icon.svg" type="image/svg+xml";
                script src="/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" {
                        img src="/assets/icon.svg" alt="" width="22" height="22";
                        span { "hookq" }
                    }
                    nav aria-label="Sections" {
                        (link("/", "Webhooks", Area::Webhooks))
                        (link("/scenarios", "Scenarios", Area::Scenarios))
                        (link("/connections", "Connections", Area::Connections))
                        (link("/sweep", "Sweep", Area::Sweep))
                    }
                    span.live-dot title="Live: this page updates as the database changes" aria-hidden="true" {}
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

/// A form with one button that POSTs an action, carrying the token.
pub fn action(app: &App, path: &str, label: &str, class: &str, back: Option<&str>) -> Markup {
    html! {
        form.inline method="post" action=(path) {
            input type="hidden" name="_token" value=(app.token);
            @if let Some(back) = back { input type="hidden" name="back" value=(back); }
            button.btn.(class) type="submit" { (label) }
        }
    }
}

/// The hidden token field, for forms with more fields.
pub fn token(app: &App) -> Markup {
    html! { input type="hidden" name="_token" value=(app.token); }
}

/// A button that copies `text` (the script does it; without it the text
/// is on the page beside it anyway).
pub fn copy(text: &str, label: &str) -> Markup {
    html! {
        button.copy type="button" data-copy=(text) aria-label=(label) title=(label) { "Copy" }
    }
}

/// `2026-12-03T02:13:46.607Z` as `2026-12-03 02:13:46`; `None` for text
/// that is not such a timestamp.
pub fn short_time(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let shaped = b.len() >= 20
        && b[4] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && text.ends_with('Z')
        && b[..4].iter().all(u8::is_ascii_digit);
    shaped.then(|| format!("{} {}", &text[..10], &text[11..19]))
}

pub fn time(at: Millis) -> Markup {
    let text = clock::format(at);
    let short = text.replace('T', " ").trim_end_matches('Z').to_owned();
    let short = short.split('.').next().unwrap_or(&short).to_owned();
    html! { time datetime=(text) title=(text) { (short) } }
}

pub fn maybe_time(at: Option<Millis>) -> Markup {
    match at {
        Some(at) => time(at),
        None => html! { span.muted { "—" } },
    }
}

/// An event's or an execution's state as a coloured word.
pub fn state(text: &str) -> Markup {
    let tone = match text {
        "done" | "ok" | "enabled" | "active" => "good",
        "queued" | "running" => "info",
        "incomplete" | "error" | "disabled" | "inactive" => "bad",
        _ => "muted",
    };
    html! { span.badge.(tone) { (text) } }
}

pub fn dash() -> Markup {
    html! { span.muted { "—" } }
}

/// Settings as a definition list.
pub fn fields(pairs: &[(&str, Markup)]) -> Markup {
    html! {
        dl.fields {
            @for (name, value) in pairs {
                div { dt { (name) } dd { (value) } }
            }
        }
    }
}

/// A number with thousands separators.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size for reading: `812 B`, `4.2 KiB`, `5.0 MiB`.
pub fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

/// A JSON value as a cell: strings bare (a timestamp shortened to the
/// second), null as a dash.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => short_time(s).unwrap_or_else(|| s.clone()),
        other => other.to_string(),
    }
}
