//! Request → bundle (JSON, form, multipart, query) and the server's JSON
//! check: arbitrary content type, query, headers and body must never panic,
//! and the bundle must keep the promises of SPEC §5.

#![no_main]

use arbitrary::Arbitrary;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use hookq::bundle::{self, Request};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Content types that steer the body into each parser; `Other` lets the
/// fuzzer try anything (parameters, case, quoting, garbage).
#[derive(Arbitrary, Debug)]
enum ContentType<'a> {
    Missing,
    Json,
    JsonSuffix,
    Form,
    Multipart { boundary: &'a str, quoted: bool },
    Text,
    Other(&'a str),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    content_type: ContentType<'a>,
    method: &'a str,
    query: &'a [u8],
    headers: Vec<(String, String)>,
    json_passthrough: bool,
    body: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    let content_type = match &input.content_type {
        ContentType::Missing => None,
        ContentType::Json => Some("application/json".to_owned()),
        ContentType::JsonSuffix => Some("application/cloudevents+json; charset=utf-8".to_owned()),
        ContentType::Form => Some("application/x-www-form-urlencoded".to_owned()),
        ContentType::Multipart {
            boundary,
            quoted: true,
        } => Some(format!("multipart/form-data; boundary=\"{boundary}\"")),
        ContentType::Multipart {
            boundary,
            quoted: false,
        } => Some(format!("multipart/form-data; boundary={boundary}")),
        ContentType::Text => Some("text/plain".to_owned()),
        ContentType::Other(ct) => Some((*ct).to_owned()),
    };
    // The server hands over the query as received; bytes that are not UTF-8
    // never get that far (tiny_http refuses a request line that is not ASCII),
    // but the parser itself takes bytes, so both are exercised.
    let query = String::from_utf8_lossy(input.query);
    let _ = bundle::parse_urlencoded(input.query);
    let checked = bundle::check_json(content_type.as_deref(), input.body);

    let req = Request {
        event_id: 1,
        method: input.method,
        query: &query,
        headers: &input.headers,
        content_type: content_type.as_deref(),
        received_at: 1_767_225_600_000,
        body: input.body,
        json_passthrough: input.json_passthrough,
    };
    // What a scenario command reads on stdin must serialize, and read back
    // the same.
    let text = serde_json::to_string(&bundle::bundle(&req)).expect("the bundle serializes");
    // JSON by the grammar the server judges bodies with, at any depth.
    assert!(
        hookq::json::check(text.as_bytes()).is_ok(),
        "the bundle is JSON"
    );
    // What serde_json parses is JSON by RFC 8259: the server never refuses it.
    if bundle::is_json(content_type.as_deref())
        && serde_json::from_slice::<Value>(input.body).is_ok()
    {
        assert!(checked.is_ok(), "{checked:?}");
    }
    // serde_json reads it back within its nesting limit (a JSON body is
    // spliced in as sent, so it may be deeper).
    let b: Value = match serde_json::from_str(&text) {
        Ok(b) => b,
        Err(e) if e.to_string().contains("recursion limit") => return,
        Err(e) => panic!("the bundle reads back: {e}"),
    };
    assert_eq!(serde_json::to_value(bundle::bundle(&req)).unwrap(), b);

    let object = b.as_object().expect("the bundle is an object");
    assert!(object["query"].is_object());
    let headers = object["headers"].as_object().expect("headers object");
    assert!(headers.keys().all(|k| *k == k.to_ascii_lowercase()));

    // base64 only for a raw body that is not UTF-8, and it gives the bytes back.
    if let Some(encoding) = object.get("body_encoding") {
        assert_eq!(encoding, "base64");
        let data = object["body"].as_str().expect("a base64 body is a string");
        assert_eq!(STANDARD.decode(data).expect("valid base64"), input.body);
        assert!(std::str::from_utf8(input.body).is_err());
    }
    // Kept raw: exactly the bytes received.
    if matches!(input.content_type, ContentType::Missing | ContentType::Text)
        && object.get("body_encoding").is_none()
    {
        assert_eq!(object["body"].as_str().map(str::as_bytes), Some(input.body));
    }
    // A body the server accepted as JSON is handed over parsed (or as its
    // text with passthrough), never as base64.
    if bundle::is_json(content_type.as_deref()) && checked.is_ok() {
        assert!(object.get("body_encoding").is_none());
    }
});
