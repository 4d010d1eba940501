//! The webhook response (SPEC §6): how a scenario's stdout becomes the answer
//! to the request that carried its event. Pure functions: the engine uses
//! them to fail a cycle whose envelope is invalid, the server to answer.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// How a scenario answers its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Respond {
    /// Status and headers as configured, body = stdout.
    Stdout,
    /// stdout is `{"status": N, "headers": {...}, "body": ...}`.
    Envelope,
}

impl Respond {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Respond::Stdout => "stdout",
            Respond::Envelope => "envelope",
        }
    }
}

impl FromStr for Respond {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "stdout" => Ok(Respond::Stdout),
            "envelope" => Ok(Respond::Envelope),
            other => Err(format!(
                "invalid response mode {other:?} (expected stdout or envelope)"
            )),
        }
    }
}

impl fmt::Display for Respond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// A status a scenario may answer with: 200–599, except those that cannot
/// carry an answer. 1xx are interim (a caller would wait for the final
/// answer that never comes); 204, 205 and 304 have no body by definition,
/// and tiny_http would still frame one.
pub(crate) fn valid_status(status: u64) -> bool {
    (200..=599).contains(&status) && !matches!(status, 204 | 205 | 304)
}

/// Headers the server alone sets: they frame the message or belong to the
/// connection (SPEC §6). A scenario that could set them could end its
/// answer early and make the rest of its body the next response on a
/// keep-alive connection (response splitting).
pub(crate) fn is_settable_header(name: &str) -> bool {
    const FRAMING: [&str; 7] = [
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
    ];
    let proxy = name
        .get(..6)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("proxy-"));
    !proxy && !FRAMING.iter().any(|f| name.eq_ignore_ascii_case(f))
}

/// Why a header is not valid HTTP, if it is not: its name is not a token,
/// or its value holds a control character (CR/LF/NUL: header injection).
pub fn check_syntax(name: &str, value: &str) -> Result<(), String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!("header name {name:?} is not valid HTTP"));
    }
    if !value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
    {
        return Err(format!(
            "header {name:?} has a control character in its value"
        ));
    }
    Ok(())
}

/// Why a header cannot be part of a scenario's answer, if it cannot: it is
/// not valid HTTP, or it is one the server frames its answers with.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), String> {
    check_syntax(name, value)?;
    if !is_settable_header(name) {
        return Err(format!(
            "header {name:?} frames the message or belongs to the connection: the server sets it"
        ));
    }
    Ok(())
}

fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
}

/// A forwarding target's answer passed on to the caller (SPEC §10): its
/// status, its headers but those of its connection and framing (the server
/// frames its own), its body. A status that cannot carry the body the
/// server frames (204, 205, 304) is sent as 200.
pub(crate) fn passed_on(status: u16, headers: &[(String, String)], body: &[u8]) -> Reply {
    Reply {
        status: if valid_status(u64::from(status)) {
            status
        } else {
            200
        },
        headers: headers
            .iter()
            .filter(|(name, value)| is_settable_header(name) && check_syntax(name, value).is_ok())
            .cloned()
            .collect(),
        body: body.to_vec(),
    }
}

/// The answer a successful cycle gives, or why its output is not a valid
/// answer (which fails the cycle).
pub(crate) fn reply(
    mode: Respond,
    status: u16,
    headers: &[(String, String)],
    stdout: &[u8],
) -> Result<Reply, String> {
    match mode {
        Respond::Stdout => {
            // Checked when the scenario was saved; a database written by an
            // older hookq may still hold what is refused now.
            if !valid_status(u64::from(status)) {
                return Err(format!("invalid response status {status}"));
            }
            for (name, value) in headers {
                check_header(name, value).map_err(|e| format!("invalid response header: {e}"))?;
            }
            let mut headers = headers.to_vec();
            if !has_header(&headers, "content-type") {
                // JSON by the grammar the server judges bodies with (src/json.rs).
                let json = crate::json::check(stdout).is_ok();
                let content_type = if json {
                    "application/json"
                } else {
                    "text/plain; charset=utf-8"
                };
                headers.push(("Content-Type".into(), content_type.into()));
            }
            Ok(Reply {
                status,
                headers,
                body: stdout.to_vec(),
            })
        }
        Respond::Envelope => envelope(stdout),
    }
}

fn envelope(stdout: &[u8]) -> Result<Reply, String> {
    let value: Value =
        serde_json::from_slice(stdout).map_err(|e| format!("invalid response envelope: {e}"))?;
    let object = value
        .as_object()
        .ok_or("invalid response envelope: not a JSON object")?;
    let status = object
        .get("status")
        .and_then(Value::as_u64)
        .filter(|&s| valid_status(s))
        .ok_or(
            "invalid response envelope: \"status\" must be a number from 200 to 599, not 204, 205 or 304",
        )?
        as u16;
    let mut headers = Vec::new();
    match object.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, value) in map {
                let value = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                check_header(name, &value)
                    .map_err(|e| format!("invalid response envelope: {e}"))?;
                headers.push((name.clone(), value));
            }
        }
        Some(_) => return Err("invalid response envelope: \"headers\" must be an object".into()),
    }
    let body = match object.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => text.clone().into_bytes(),
        Some(other) => {
            if !has_header(&headers, "content-type") {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            other.to_string().into_bytes()
        }
    };
    if !has_header(&headers, "content-type") {
        headers.push(("Content-Type".into(), "text/plain; charset=utf-8".into()));
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// The answer when the cycle of the caller's event failed.
pub(crate) fn failure(event_id: i64, detail: &str) -> Reply {
    /// The fields in the order SPEC §6 writes them (a JSON map would sort them).
    #[derive(serde::Serialize)]
    struct Failed<'a> {
        error: &'a str,
        detail: &'a str,
        event_id: i64,
    }
    let body = Failed {
        error: "Scenario failed to complete.",
        detail,
        event_id,
    };
    Reply {
        status: 500,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: serde_json::to_vec(&body).expect("plain fields serialize"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
        reply
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn stdout_mode_guesses_json_unless_told() {
        let json = reply(Respond::Stdout, 201, &[], b"{\"ok\":true}\n").unwrap();
        assert_eq!(
            (json.status, header(&json, "content-type")),
            (201, Some("application/json"))
        );
        // JSON as the server judges it, beyond what serde_json parses.
        let big = reply(Respond::Stdout, 200, &[], b"{\"n\":1e400}").unwrap();
        assert_eq!(header(&big, "content-type"), Some("application/json"));
        let text = reply(Respond::Stdout, 200, &[], b"hello").unwrap();
        assert_eq!(
            header(&text, "content-type"),
            Some("text/plain; charset=utf-8")
        );
        let told = reply(
            Respond::Stdout,
            200,
            &[("Content-Type".into(), "text/csv".into())],
            b"{}",
        )
        .unwrap();
        assert_eq!(header(&told, "content-type"), Some("text/csv"));
        assert_eq!(told.body, b"{}");
    }

    #[test]
    fn envelopes_give_status_headers_and_body() {
        let r = reply(
            Respond::Envelope,
            200,
            &[],
            br#"{"status":202,"headers":{"X-A":"1"},"body":"done"}"#,
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_slice()), (202, &b"done"[..]));
        assert_eq!(header(&r, "x-a"), Some("1"));
        let j = reply(
            Respond::Envelope,
            200,
            &[],
            br#"{"status":200,"body":{"challenge":"abc"}}"#,
        )
        .unwrap();
        assert_eq!(j.body, br#"{"challenge":"abc"}"#);
        assert_eq!(header(&j, "content-type"), Some("application/json"));
    }

    #[test]
    fn invalid_envelopes_fail() {
        for bad in [
            &b"not json"[..],
            b"[1]",
            br#"{"body":"x"}"#,
            br#"{"status":99}"#,
            br#"{"status":600}"#,
            br#"{"status":100}"#,
            br#"{"status":101}"#,
            br#"{"status":204}"#,
            br#"{"status":205}"#,
            br#"{"status":304}"#,
            br#"{"status":200,"headers":{"Content-Length":"2"},"body":"OKPWNED"}"#,
            br#"{"status":200,"headers":{"transfer-encoding":"chunked"}}"#,
            br#"{"status":200,"headers":{"Proxy-Authenticate":"Basic"}}"#,
            br#"{"status":200,"headers":{"X-A":"a\u0000b"}}"#,
            br#"{"status":200,"headers":["x"]}"#,
            br#"{"status":200,"headers":{"X-A":"a\r\nSet-Cookie: evil=1"}}"#,
            br#"{"status":200,"headers":{"Bad Name":"x"}}"#,
        ] {
            assert!(
                reply(Respond::Envelope, 200, &[], bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn framing_and_connection_headers_are_not_settable() {
        for name in [
            "Content-Length",
            "content-length",
            "TRANSFER-ENCODING",
            "Connection",
            "Keep-Alive",
            "Upgrade",
            "TE",
            "Trailer",
            "Proxy-Authenticate",
            "proxy-connection",
        ] {
            assert!(!is_settable_header(name), "{name}");
            assert!(check_header(name, "x").is_err(), "{name}");
        }
        for name in ["Content-Type", "X-Proxy", "Location", "Set-Cookie", "Tea"] {
            assert!(is_settable_header(name), "{name}");
            assert!(check_header(name, "x").is_ok(), "{name}");
        }
        assert!(check_header("X-A", "a\rb").is_err());
        assert!(check_header("X-A", "a\0b").is_err());
        assert!(check_header("X A", "x").is_err());
        assert!(check_header("X-A", "tab\tok").is_ok());
    }

    #[test]
    fn statuses_that_cannot_carry_an_answer_are_refused() {
        for status in [0, 99, 100, 101, 199, 204, 205, 304, 600] {
            assert!(!valid_status(status), "{status}");
        }
        for status in [200, 201, 202, 301, 400, 404, 500, 599] {
            assert!(valid_status(status), "{status}");
        }
        // A stdout-mode setting saved by an older hookq is checked again.
        let framed = [("Content-Length".to_owned(), "2".to_owned())];
        assert!(reply(Respond::Stdout, 200, &framed, b"OKPWNED").is_err());
        assert!(reply(Respond::Stdout, 101, &[], b"x").is_err());
    }

    #[test]
    fn failures_are_500_json() {
        let r = failure(7, "exit status 1");
        assert_eq!(r.status, 500);
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            r#"{"error":"Scenario failed to complete.","detail":"exit status 1","event_id":7}"#
        );
    }
}
