//! The JSON "bundle" a scenario command receives on stdin: one object per
//! stored request, whatever its content type.
//!
//! Everything here is total: bodies come from arbitrary senders, so every
//! parser works with `get`/`split_at` on checked offsets, never recurses,
//! and falls back to the raw body (string, or base64) instead of failing.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::clock::{self, Millis};
use crate::json;

/// Everything about a stored request that the bundle needs.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub event_id: i64,
    pub method: &'a str,
    /// Raw query string, without '?', possibly empty.
    pub query: &'a str,
    /// As received, in order; names in any case.
    pub headers: &'a [(String, String)],
    /// Full header value, e.g. `multipart/form-data; boundary=xyz`.
    pub content_type: Option<&'a str>,
    pub received_at: Millis,
    pub body: &'a [u8],
    /// Hand JSON bodies over as their original text instead of parsed; a
    /// blank body is still `null`, so "no body" reads the same either way.
    pub json_passthrough: bool,
}

/// The bundle, serialized with its keys in the order of SPEC §5:
/// `event_id`, `method`, `query`, `headers`, `content_type`,
/// `received_at`, `body`, plus `"body_encoding": "base64"` only when `body`
/// is a base64 string: a struct keeps that order whatever a map would do.
#[derive(Debug, serde::Serialize)]
pub struct Bundle<'a> {
    pub(crate) event_id: i64,
    pub(crate) method: &'a str,
    pub(crate) query: Map<String, Value>,
    pub(crate) headers: Map<String, Value>,
    pub(crate) content_type: Option<&'a str>,
    /// RFC 3339, as every other time hookq prints.
    pub(crate) received_at: String,
    pub(crate) body: Body,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) body_encoding: Option<&'static str>,
}

/// The `body` of a bundle.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Body {
    Value(Value),
    /// A JSON body as its sender wrote it (see [`json::for_bundle`]): its
    /// integers exact, `1e400` as written, at any depth, which a parsed
    /// `Value` could not all carry.
    Json(Box<RawValue>),
}

/// Builds the bundle of a stored request.
pub fn bundle<'a>(req: &Request<'a>) -> Bundle<'a> {
    let (body, base64) = body_value(req);
    Bundle {
        event_id: req.event_id,
        method: req.method,
        query: parse_urlencoded(req.query.as_bytes()),
        headers: headers_object(req.headers),
        content_type: req.content_type,
        received_at: clock::format(req.received_at),
        body,
        body_encoding: base64.then_some("base64"),
    }
}

/// How [`to_json`] lays the bundle out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// One line: what a scenario command reads on stdin.
    Compact,
    /// Indented, for a person (`hooks payload --bundle`); a JSON body
    /// spliced in as sent keeps its own layout.
    Pretty,
}

/// The bundle of a stored request as text. The engine (a command's stdin)
/// and `hooks payload --bundle` both call this, so what a user inspects is
/// what the command read, up to layout.
pub(crate) fn to_json(req: &Request<'_>, layout: Layout) -> Vec<u8> {
    let bundle = bundle(req);
    let text = match layout {
        Layout::Compact => serde_json::to_vec(&bundle),
        Layout::Pretty => serde_json::to_vec_pretty(&bundle),
    };
    // Its maps have string keys and its raw body was judged JSON, so
    // serializing into memory cannot fail; handing a command an empty or
    // partial stdin instead would be worse than stopping.
    text.expect("a bundle always serializes")
}

/// True when the content type declares JSON: `application/json` or any
/// `*/*+json`, parameters and case ignored.
pub fn is_json(content_type: Option<&str>) -> bool {
    let Some(mt) = content_type.map(media_type) else {
        return false;
    };
    if mt == "application/json" {
        return true;
    }
    match mt.split_once('/') {
        Some((ty, sub)) => !ty.is_empty() && sub.len() > "+json".len() && sub.ends_with("+json"),
        None => false,
    }
}

/// Validates a body declared JSON by RFC 8259's grammar (see [`json`]);
/// the server answers HTTP 400 with the `Err` message. Non-JSON content
/// types are always fine. An empty body is not JSON either (SPEC §4: "not
/// valid JSON").
pub fn check_json(content_type: Option<&str>, body: &[u8]) -> Result<(), String> {
    if !is_json(content_type) {
        return Ok(());
    }
    json::check(body)
        .map(drop)
        .map_err(|e| format!("invalid JSON body: {e}"))
}

/// Query string / urlencoded form → JSON object: percent-decoding, '+' as
/// space, a repeated key → array of its values in order, a key without '='
/// → "". Invalid percent sequences are kept literally; invalid UTF-8 after
/// decoding is replaced (lossy).
pub fn parse_urlencoded(s: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in s.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => {
                let (k, v) = pair.split_at(i);
                (k, v.get(1..).unwrap_or_default())
            }
            None => (pair, &[][..]),
        };
        push_field(
            &mut out,
            decode_lossy(key, true),
            decode_lossy(value, true).into(),
        );
    }
    out
}

/// Headers → JSON object: names lowercased, a repeated header → its values
/// joined with ", " (RFC 9110 field combination).
pub(crate) fn headers_object(headers: &[(String, String)]) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        match out.get_mut(&name) {
            Some(Value::String(joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            _ => {
                out.insert(name, value.as_str().into());
            }
        }
    }
    out
}

/// The `body` value, and whether it is base64.
fn body_value(req: &Request<'_>) -> (Body, bool) {
    let body = req.body;
    if is_json(req.content_type) {
        if is_blank(body) {
            return (Body::Value(Value::Null), false);
        }
        if req.json_passthrough {
            // Its text as sent, lone surrogate escapes included; a
            // byte-order mark is not part of the text (RFC 8259 §8.1).
            return raw(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body));
        }
        let text = json::for_bundle(body);
        if let Some(raw) = text.and_then(|text| RawValue::from_string(text).ok()) {
            return (Body::Json(raw), false);
        }
        // Not JSON (check_json should have refused it).
        return raw(body);
    }
    let mt = req.content_type.map(media_type).unwrap_or_default();
    match mt.as_str() {
        "application/x-www-form-urlencoded" => {
            (Body::Value(Value::Object(parse_urlencoded(body))), false)
        }
        "multipart/form-data" => req
            .content_type
            .and_then(|ct| param(ct, "boundary"))
            .filter(|b| !b.is_empty())
            .and_then(|b| parse_multipart(body, b.as_bytes()))
            .map_or_else(
                || raw(body),
                |fields| (Body::Value(Value::Object(fields)), false),
            ),
        _ => raw(body),
    }
}

/// The body as a string when it is UTF-8, else as standard base64 (`true`).
fn raw(body: &[u8]) -> (Body, bool) {
    match std::str::from_utf8(body) {
        Ok(s) => (Body::Value(s.into()), false),
        Err(_) => (Body::Value(STANDARD.encode(body).into()), true),
    }
}

/// Only JSON's own whitespace, so a blank body is exactly one serde_json
/// would reject with "EOF while parsing".
fn is_blank(body: &[u8]) -> bool {
    body.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// `type/subtype` of a header value, trimmed and lowercased.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Inserts a form field; a repeated name turns its value into an array in
/// arrival order. Single values are never arrays, so this is unambiguous.
fn push_field(map: &mut Map<String, Value>, key: String, value: Value) {
    match map.get_mut(&key) {
        Some(Value::Array(values)) => values.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            map.insert(key, value);
        }
    }
}

fn decode_lossy(s: &[u8], plus_as_space: bool) -> String {
    String::from_utf8_lossy(&percent_decode(s, plus_as_space)).into_owned()
}

/// `%XX` → byte; a '%' not followed by two hex digits stays literal, as
/// browsers and most servers do, rather than rejecting the whole form.
fn percent_decode(s: &[u8], plus_as_space: bool) -> Vec<u8> {
    let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        i += 1;
        match b {
            b'+' if plus_as_space => out.push(b' '),
            b'%' => match (hex(s.get(i)), hex(s.get(i + 1))) {
                (Some(hi), Some(lo)) => {
                    // Two hex digits fit a byte, so the cast cannot truncate.
                    out.push(((hi << 4) | lo) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            _ => out.push(b),
        }
    }
    out
}

/// The value of parameter `name` (case-insensitive) in a header such as
/// `multipart/form-data; boundary="x"` or `form-data; name="f"`.
fn param(header: &str, name: &str) -> Option<String> {
    params(header)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Parameters after the first ';', names lowercased. Quote-aware, because
/// a quoted filename may itself contain ';' or '='. Inside quotes only `\"`
/// and `\\` are escapes: browsers send Windows paths with bare backslashes.
fn params(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = header.chars().skip_while(|&c| c != ';').peekable();
    while chars.next().is_some() {
        // `chars` is just past a ';'.
        let mut name = String::new();
        while let Some(c) = chars.next_if(|&c| c != '=' && c != ';') {
            name.push(c);
        }
        if chars.next_if_eq(&'=').is_none() {
            continue; // a bare `; token`: no value to keep
        }
        let name = name.trim().to_ascii_lowercase();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' if matches!(chars.peek(), Some('"' | '\\')) => value.extend(chars.next()),
                    _ => value.push(c),
                }
            }
            // Anything between the closing quote and the next ';' is junk.
            while chars.next_if(|&c| c != ';').is_some() {}
        } else {
            while let Some(c) = chars.next_if(|&c| c != ';') {
                value.push(c);
            }
            value = value.trim().to_owned();
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// What follows a boundary delimiter.
enum Next {
    /// A part starting at this offset.
    Part(usize),
    /// The close delimiter `--boundary--`: the epilogue is ignored.
    Close,
}

/// `multipart/form-data` (RFC 7578 / RFC 2046) → fields. `None` when
/// malformed (no delimiter, no close delimiter), so the caller keeps the
/// raw body rather than a silently partial form.
fn parse_multipart(body: &[u8], boundary: &[u8]) -> Option<Map<String, Value>> {
    let delim = [b"--", boundary].concat();
    let mut fields = Map::new();
    // The first delimiter may open the body; anything before it is preamble.
    let (_, mut next) = find_delimiter(body, 0, &delim)?;
    // Each round starts strictly after the previous delimiter: terminates.
    while let Next::Part(start) = next {
        let (end, after) = find_delimiter(body, start, &delim)?;
        parse_part(body.get(start..end)?, &mut fields);
        next = after;
    }
    Some(fields)
}

/// Finds the next delimiter at or after `from`: `--boundary` at a line
/// start, then either `--` or optional padding and a line end. Returns where
/// the preceding part's content ends (its line break belongs to the
/// delimiter) and what follows. CRLF is the standard; bare LF is tolerated.
fn find_delimiter(body: &[u8], from: usize, delim: &[u8]) -> Option<(usize, Next)> {
    let mut pos = from;
    loop {
        let i = pos
            + body
                .get(pos..)?
                .windows(delim.len())
                .position(|w| w == delim)?;
        pos = i + 1;
        let before = body.get(..i)?;
        let end = if before.ends_with(b"\r\n") {
            i - 2
        } else if before.ends_with(b"\n") {
            i - 1
        } else if i == 0 {
            0
        } else {
            continue; // the boundary text inside content, not a delimiter
        };
        // A part with no content at all shares its line break with the
        // previous delimiter line.
        let end = end.max(from);
        let rest = body.get(i + delim.len()..)?;
        if rest.starts_with(b"--") {
            return Some((end, Next::Close));
        }
        let pad = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let rest = rest.get(pad..)?;
        let newline = if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") {
            1
        } else {
            continue; // a longer boundary that merely starts with ours
        };
        return Some((end, Next::Part(i + delim.len() + pad + newline)));
    }
}

/// One part: header lines up to a blank line, then the content. A part
/// without a blank line is all headers with empty content; a part without a
/// `name` is skipped, since there is no key to store it under.
fn parse_part(part: &[u8], fields: &mut Map<String, Value>) {
    let mut rest = part;
    let (mut disposition, mut mime) = (None, None);
    while !rest.is_empty() {
        let (line, tail) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let (line, tail) = rest.split_at(i);
                (line, tail.get(1..).unwrap_or_default())
            }
            None => (rest, &[][..]),
        };
        rest = tail;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(line);
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim().to_owned();
            match name.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => disposition = Some(value),
                "content-type" => mime = Some(value),
                _ => {}
            }
        }
    }
    let Some(params) = disposition.as_deref().map(params) else {
        return;
    };
    let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let Some(name) = get("name") else {
        return;
    };
    // RFC 6266 / 5987: `filename*=charset'lang'pct-encoded` wins when present.
    let filename = get("filename*")
        .and_then(|v| v.splitn(3, '\'').nth(2))
        .map(|v| decode_lossy(v.as_bytes(), false))
        .or_else(|| get("filename").cloned());
    let value = match filename {
        Some(filename) => serde_json::json!({
            "name": filename,
            "mime": mime.unwrap_or_else(|| "application/octet-stream".to_owned()),
            "data": STANDARD.encode(rest),
        }),
        None => String::from_utf8_lossy(rest).into(),
    };
    push_field(fields, name.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The bundle as a JSON value, to look inside.
    fn bundle(req: &Request<'_>) -> Value {
        serde_json::to_value(super::bundle(req)).unwrap()
    }

    #[test]
    fn keys_come_in_the_order_of_the_spec() {
        let r = req(Some("application/octet-stream"), b"\xff");
        let text = serde_json::to_string(&super::bundle(&r)).unwrap();
        let keys = [
            "event_id",
            "method",
            "query",
            "headers",
            "content_type",
            "received_at",
            "body",
            "body_encoding",
        ];
        let at: Vec<usize> = keys
            .iter()
            .map(|k| {
                text.find(&format!("\"{k}\":"))
                    .unwrap_or_else(|| panic!("{k}: {text}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    fn req<'a>(ct: Option<&'a str>, body: &'a [u8]) -> Request<'a> {
        Request {
            event_id: 1,
            method: "POST",
            query: "",
            headers: &[],
            content_type: ct,
            received_at: clock::parse("2024-01-01T00:00:00Z").unwrap(),
            body,
            json_passthrough: false,
        }
    }

    fn body_of(ct: &str, body: &[u8]) -> Value {
        bundle(&req(Some(ct), body))["body"].clone()
    }

    fn form(s: &str) -> Value {
        Value::Object(parse_urlencoded(s.as_bytes()))
    }

    const MP: &str = "multipart/form-data; boundary=XyZ";

    #[test]
    fn json_bodies_are_parsed() {
        let ct = "application/json";
        assert_eq!(
            body_of(ct, br#"{"a":[1,2],"b":null}"#),
            json!({"a": [1, 2], "b": null})
        );
        assert_eq!(body_of(ct, b"[1,\"x\"]"), json!([1, "x"]));
        assert_eq!(body_of(ct, b" 42 "), json!(42));
        assert_eq!(body_of(ct, b"\"s\""), json!("s"));
        assert_eq!(
            body_of("Application/JSON; charset=utf-8", b"true"),
            json!(true)
        );
        assert_eq!(
            body_of("application/vnd.api+json", b"{\"x\":1}"),
            json!({"x": 1})
        );
    }

    #[test]
    fn json_numbers_are_parsed_correctly_rounded() {
        // Found by fuzz/bundle: serde_json's default float parsing was one
        // ULP off here, so the scenario got another number than the sender's,
        // and reading its bundle back gave yet another.
        let text = "88888888888888888888888000000020000000004903635";
        let body = body_of("application/json", text.as_bytes());
        assert_eq!(body.as_f64(), Some(text.parse::<f64>().unwrap()));
        let again: Value = serde_json::from_str(&body.to_string()).unwrap();
        assert_eq!(again, body);
    }

    /// The `body` of the bundle as a command reads it on stdin.
    fn body_text(ct: &str, body: &[u8], json_passthrough: bool) -> String {
        let mut r = req(Some(ct), body);
        r.json_passthrough = json_passthrough;
        let text = serde_json::to_string(&super::bundle(&r)).unwrap();
        let start = text.find(",\"body\":").unwrap() + ",\"body\":".len();
        text[start..text.len() - 1].to_owned()
    }

    #[test]
    fn json_bodies_reach_the_command_as_faithfully_as_json_allows() {
        let ct = "application/json";
        // Integers of any size, exact; numbers as written.
        let big = format!("{{\"id\":{}}}", "1234567890".repeat(4));
        assert_eq!(body_text(ct, big.as_bytes(), false), big);
        assert_eq!(
            body_text(ct, b"[1e400,-0.0,1E2]", false),
            "[1e400,-0.0,1E2]"
        );
        // Deeper than serde_json's 128 levels.
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert_eq!(body_text(ct, deep.as_bytes(), false), deep);
        // A lone surrogate is U+FFFD, a pair stays the character it is.
        assert_eq!(
            body_text(ct, br#"{"t":"\ud83c","p":"\ud83d\ude00"}"#, false),
            r#"{"t":"\ufffd","p":"\ud83d\ude00"}"#
        );
        // The byte-order mark is not part of the JSON text.
        assert_eq!(body_text(ct, b"\xEF\xBB\xBF{\"a\":1}", false), r#"{"a":1}"#);
        assert_eq!(
            body_text(ct, b"\xEF\xBB\xBF{\"a\":1}", true),
            r#""{\"a\":1}""#
        );
        // With passthrough, the text as sent, lone surrogate escape included.
        assert_eq!(
            body_text(ct, br#"{"t":"\ud83c"}"#, true),
            r#""{\"t\":\"\\ud83c\"}""#
        );
    }

    #[test]
    fn is_json_detection() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some(" APPLICATION/JSON ;charset=UTF-8")));
        assert!(is_json(Some("application/vnd.api+json")));
        assert!(is_json(Some("application/cloudevents+json; x=1")));
        assert!(!is_json(None));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("application/+json")));
        assert!(!is_json(Some("+json")));
        assert!(!is_json(Some("application/jsonx")));
        assert!(!is_json(Some("text/plain; note=application/json")));
    }

    #[test]
    fn json_passthrough_keeps_text() {
        let text = b"{ \"b\": 1,  \"a\": 2 }";
        let mut r = req(Some("application/json"), text);
        r.json_passthrough = true;
        let b = bundle(&r);
        assert_eq!(b["body"], json!("{ \"b\": 1,  \"a\": 2 }"));
        assert!(b.get("body_encoding").is_none());
    }

    #[test]
    fn empty_json_body_is_null() {
        assert_eq!(body_of("application/json", b""), Value::Null);
        assert_eq!(body_of("application/json", b" \r\n"), Value::Null);
        let mut r = req(Some("application/json"), b"");
        r.json_passthrough = true;
        assert_eq!(bundle(&r)["body"], Value::Null);
    }

    #[test]
    fn invalid_json_falls_back_to_raw() {
        assert_eq!(body_of("application/json", b"{oops"), json!("{oops"));
        let b = bundle(&req(Some("application/json"), b"\xff{"));
        assert_eq!(b["body"], json!("/3s="));
        assert_eq!(b["body_encoding"], json!("base64"));
    }

    #[test]
    fn check_json_results() {
        assert_eq!(check_json(Some("application/json"), b"{\"a\":1}"), Ok(()));
        assert!(check_json(Some("application/json"), b"").is_err());
        assert!(check_json(Some("application/json"), b"  \n").is_err());
        assert_eq!(check_json(Some("text/plain"), b"{oops"), Ok(()));
        assert_eq!(check_json(None, b"{oops"), Ok(()));
        assert_eq!(
            check_json(Some("application/json"), b"nope"),
            Err("invalid JSON body: expected a value at line 1, column 1 (byte 0)".to_owned())
        );
        assert_eq!(
            check_json(Some("application/vnd.x+json"), b"{"),
            Err(
                "invalid JSON body: unexpected end of the body at line 1, column 2 (byte 1)"
                    .to_owned()
            )
        );
        assert!(check_json(Some("application/json"), b"{} {}").is_err());
    }

    #[test]
    fn urlencoded_decoding() {
        assert_eq!(
            form("a=hello+world&b=x%20y&c=%E2%82%AC&d+e=1"),
            json!({"a": "hello world", "b": "x y", "c": "€", "d e": "1"})
        );
        assert_eq!(
            form("k=1&k=2&j=0&k=3"),
            json!({"k": ["1", "2", "3"], "j": "0"})
        );
        assert_eq!(form("flag&x=&=v&&"), json!({"flag": "", "x": "", "": "v"}));
        assert_eq!(
            form("a=%zz&b=100%&c=%4&d=%2b&e=a=b"),
            json!({"a": "%zz", "b": "100%", "c": "%4", "d": "+", "e": "a=b"})
        );
        assert_eq!(form("a=%FF%41"), json!({"a": "\u{FFFD}A"}));
        assert_eq!(form(""), json!({}));
        assert_eq!(
            body_of(
                "Application/X-WWW-Form-Urlencoded; charset=utf-8",
                b"a=1&a=2"
            ),
            json!({"a": ["1", "2"]})
        );
    }

    #[test]
    fn query_is_parsed() {
        let mut r = req(None, b"");
        r.query = "page=2&tag=a&tag=b%26c&q=x+y";
        assert_eq!(
            bundle(&r)["query"],
            json!({"page": "2", "tag": ["a", "b&c"], "q": "x y"})
        );
        r.query = "";
        assert_eq!(bundle(&r)["query"], json!({}));
    }

    #[test]
    fn headers_lowercased_and_combined() {
        let h = [
            ("Content-Type".to_owned(), "text/plain".to_owned()),
            ("X-Tag".to_owned(), "a".to_owned()),
            ("x-tag".to_owned(), "b".to_owned()),
            ("X-TAG".to_owned(), "c, d".to_owned()),
        ];
        assert_eq!(
            Value::Object(headers_object(&h)),
            json!({"content-type": "text/plain", "x-tag": "a, b, c, d"})
        );
    }

    #[test]
    fn multipart_text_fields_and_repeats() {
        let body = "preamble\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"a\"\r\n\r\n\
            first\r\nline two\r\n--XyZ\r\n\
            content-disposition: form-data; name=tag\r\n\r\n\
            t1\r\n--XyZ  \r\n\
            Content-Disposition: form-data; name=\"tag\"\r\n\
            Content-Type: text/plain; charset=utf-8\r\n\r\n\
            t2\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"empty\"\r\n\r\n\
            \r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"tag\"\r\n\r\n\
            t3 --XyZ\r\n--XyZ-z\r\n--XyZW\r\n--XyZ--\r\nepilogue";
        // Boundary text mid-line, or followed by anything but `--` or a line
        // end, is content.
        let t3 = "t3 --XyZ\r\n--XyZ-z\r\n--XyZW";
        assert_eq!(
            body_of(MP, body.as_bytes()),
            json!({"a": "first\r\nline two", "tag": ["t1", "t2", t3], "empty": ""})
        );
    }

    #[test]
    fn multipart_binary_file_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        let mut body =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a;b.bin\"\r\n\
            Content-Type: application/x-thing\r\n\r\n"
                .to_vec();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(
            b"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"n\"; filename=\"C:\\dir\\x.txt\"\r\n\r\nhi\r\n--XyZ--\r\n",
        );
        let text = serde_json::to_string(&super::bundle(&req(Some(MP), &body))).unwrap();
        assert!(
            text.contains(r#""up":{"name":"a;b.bin","mime":"application/x-thing","data":""#),
            "a file is {{name, mime, data}}, in that order: {text}"
        );
        let b = bundle(&req(Some(MP), &body));
        assert!(b.get("body_encoding").is_none());
        let up = &b["body"]["up"];
        assert_eq!(up["name"], json!("a;b.bin"));
        assert_eq!(up["mime"], json!("application/x-thing"));
        let data = STANDARD.decode(up["data"].as_str().unwrap()).unwrap();
        assert_eq!(data, bytes);
        assert_eq!(
            b["body"]["n"],
            json!({"name": "C:\\dir\\x.txt", "mime": "application/octet-stream", "data": "aGk="})
        );
    }

    #[test]
    fn multipart_quoted_boundary_lf_and_filename_star() {
        let ct = "Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b;c\"";
        let body = "--a b;c\n\
            Content-Disposition: form-data; name=\"f\"; filename=\"fallback\"; filename*=UTF-8''%E2%82%AC+1.txt\n\
            Content-Type: text/plain\n\n\
            x\n--a b;c\n\
            Content-Disposition: form-data; name=\"q\\\"uote\"\n\n\
            v\n--a b;c--";
        assert_eq!(
            body_of(ct, body.as_bytes()),
            json!({"f": {"name": "€+1.txt", "mime": "text/plain", "data": "eA=="}, "q\"uote": "v"})
        );
    }

    #[test]
    fn multipart_edge_parts() {
        // A part without a name is skipped; a part with headers only is empty.
        let body = "--XyZ\r\nContent-Type: text/plain\r\n\r\norphan\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=h\r\n--XyZ\r\n--XyZ--";
        assert_eq!(body_of(MP, body.as_bytes()), json!({"h": ""}));
        assert_eq!(body_of(MP, b"--XyZ--\r\n"), json!({}));
    }

    #[test]
    fn malformed_multipart_falls_back() {
        let unclosed = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n";
        assert_eq!(body_of(MP, unclosed.as_bytes()), json!(unclosed));
        assert_eq!(body_of(MP, b"garbage"), json!("garbage"));
        // Longer boundary that starts with ours is not a delimiter.
        assert_eq!(
            body_of(MP, b"--XyZW\r\n--XyZW--"),
            json!("--XyZW\r\n--XyZW--")
        );
        let closed = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--";
        assert_eq!(
            body_of("multipart/form-data", closed.as_bytes()),
            json!(closed)
        );
        assert_eq!(
            body_of("multipart/form-data; boundary=", closed.as_bytes()),
            json!(closed)
        );
        let b = bundle(&req(Some(MP), b"\x00\xff\xfe"));
        assert_eq!(b["body"], json!("AP/+"));
        assert_eq!(b["body_encoding"], json!("base64"));
    }

    #[test]
    fn other_types_are_raw() {
        let b = bundle(&req(Some("text/plain"), "héllo".as_bytes()));
        assert_eq!(b["body"], json!("héllo"));
        assert!(b.get("body_encoding").is_none());
        assert_eq!(bundle(&req(None, b"a=1"))["body"], json!("a=1"));
        let b = bundle(&req(Some("application/octet-stream"), &[0, 159, 146, 150]));
        assert_eq!(b["body"], json!("AJ+Slg=="));
        assert_eq!(b["body_encoding"], json!("base64"));
    }

    #[test]
    fn full_bundle() {
        let headers = [
            ("Host".to_owned(), "localhost".to_owned()),
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("X-Multi".to_owned(), "1".to_owned()),
            ("x-multi".to_owned(), "2".to_owned()),
        ];
        let r = Request {
            event_id: 42,
            method: "PUT",
            query: "a=1&b",
            headers: &headers,
            content_type: Some("application/json"),
            received_at: clock::parse("2024-05-06T07:08:09.123Z").unwrap(),
            body: br#"{"ok":true}"#,
            json_passthrough: false,
        };
        assert_eq!(
            bundle(&r),
            json!({
                "event_id": 42,
                "method": "PUT",
                "query": {"a": "1", "b": ""},
                "headers": {"host": "localhost", "content-type": "application/json", "x-multi": "1, 2"},
                "content_type": "application/json",
                "received_at": "2024-05-06T07:08:09.123Z",
                "body": {"ok": true},
            })
        );
        assert_eq!(bundle(&req(None, b""))["content_type"], Value::Null);
    }

    #[test]
    fn random_inputs_never_panic() {
        // Fragments that steer random bodies into the parsers' deeper paths.
        const PIECES: &[&[u8]] = &[
            b"--XyZ",
            b"--XyZ--",
            b"\r\n",
            b"\n",
            b"\r",
            b" ",
            b"Content-Disposition: form-data; name=",
            b"; filename=\"",
            b"filename*=UTF-8''%",
            b"Content-Type: ",
            b"\"",
            b"\\",
            b";",
            b"=",
            b"&",
            b"%",
            b"%E2%82",
            b"+",
            b"{\"a\":[",
            b"]}",
            b"\xff",
            b"\xe2\x82",
        ];
        const TYPES: &[&str] = &[
            MP,
            "multipart/form-data; boundary=\"XyZ\"",
            "multipart/form-data; boundary=\"",
            "application/x-www-form-urlencoded",
            "application/json",
            "text/plain",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            // Half the bodies are framed as multipart, so parts get parsed.
            let framed = next() % 2 == 0;
            let mut body = Vec::new();
            if framed {
                body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=");
            }
            for _ in 0..next() % 24 {
                let r = next();
                if r % 3 == 0 {
                    body.push((r >> 8) as u8);
                } else {
                    body.extend_from_slice(PIECES[(r >> 8) as usize % PIECES.len()]);
                }
            }
            if framed {
                body.extend_from_slice(b"\r\n--XyZ--");
            }
            let ct = TYPES[next() as usize % TYPES.len()];
            let query = String::from_utf8_lossy(&body).into_owned();
            let mut r = req(Some(ct), &body);
            r.query = &query;
            r.json_passthrough = next() % 2 == 0;
            let b = bundle(&r);
            assert!(b.is_object() && b.get("body").is_some());
            let _ = check_json(Some(ct), &body);
            let _ = params(&query);
        }
    }
}
