//! A scenario's answer never frames the HTTP message (SPEC §6, issue #16
//! item 1): the server alone sets the headers that delimit it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::util::{http, parse_reply, Env, ServerProcess};

const FRAMING: [&str; 9] = [
    "Content-Length: 2",
    "content-length: 2",
    "Transfer-Encoding: chunked",
    "Connection: close",
    "Keep-Alive: timeout=5",
    "Upgrade: h2c",
    "TE: trailers",
    "Trailer: X-A",
    "Proxy-Authenticate: Basic",
];

#[test]
fn response_header_refuses_framing_headers_at_create_and_edit() {
    let env = Env::new();
    env.hook("h", &[]);
    for header in FRAMING {
        let err = env.fails(
            &[
                "scenario",
                "create",
                "s",
                "--hook",
                "h",
                "--respond",
                "stdout",
                "--response-header",
                header,
                "--",
                "true",
            ],
            2,
        );
        let first = err.lines().next().unwrap();
        assert!(first.contains("frames the message"), "{header}: {err}");
    }
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--respond",
        "stdout",
        "--",
        "true",
    ]);
    for header in FRAMING
        .iter()
        .chain(&["X-A: a\r\nSet-Cookie: y", "Bad Name: x"])
    {
        env.fails(&["scenario", "edit", "s", "--response-header", header], 2);
    }
    env.ok(&["scenario", "edit", "s", "--response-header", "X-Fine: yes"]);
    for status in ["100", "101", "204", "205", "304"] {
        let err = env.fails(&["scenario", "edit", "s", "--response-status", status], 2);
        assert!(err.contains("invalid HTTP status"), "{status}: {err}");
    }
}

/// Everything the server writes on one connection until it closes it.
fn exchange(server: &ServerProcess, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    all
}

#[test]
fn an_envelope_cannot_split_the_answer_of_a_pipelined_request() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let envelope = r#"{"status":200,"headers":{"Content-Length":"2"},"body":"OKHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nPWNED"}"#;
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--respond",
        "envelope",
        "--",
        "printf",
        "%s",
        envelope,
    ]);
    let server = ServerProcess::start(&env, &[]);
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx\
         GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let all = exchange(&server, request.as_bytes());
    let text = String::from_utf8_lossy(&all);
    assert!(!text.contains("PWNED"), "{text}");
    assert_eq!(text.matches("HTTP/1.1 ").count(), 2, "{text}");
    let first = parse_reply(&all).expect("a first answer");
    assert_eq!(first.status, 500, "{text}");
    let failed: Value = serde_json::from_slice(&first.body).unwrap();
    assert!(
        failed["detail"]
            .as_str()
            .unwrap()
            .contains("frames the message"),
        "{failed}"
    );
    let second_at = text.rfind("HTTP/1.1 ").unwrap();
    let second = parse_reply(&all[second_at..]).expect("a second answer");
    assert_eq!((second.status, second.text().as_str()), (200, "ok"));
    assert_eq!(
        env.json(&["hooks", "events", "h"])[0]["state"],
        "queued",
        "rolled back"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn an_envelope_status_that_cannot_carry_the_answer_fails_the_cycle_at_once() {
    for status in [100, 101, 204, 304] {
        let env = Env::new();
        let path = env.hook("h", &["--rate-limit", "0"]);
        let envelope = format!(r#"{{"status":{status},"body":"hello"}}"#);
        env.ok(&[
            "scenario",
            "create",
            "s",
            "--hook",
            "h",
            "--respond",
            "envelope",
            "--",
            "printf",
            "%s",
            &envelope,
        ]);
        let server = ServerProcess::start(&env, &[]);
        let reply = http(server.addr, "POST", &path, &[], b"x");
        assert_eq!(reply.status, 500, "{status}: {}", reply.text());
        let failed: Value = serde_json::from_slice(&reply.body).unwrap();
        let detail = failed["detail"].as_str().unwrap();
        assert!(detail.contains("\"status\" must be"), "{detail}");
        assert_eq!(env.json(&["hooks", "events", "h"])[0]["state"], "queued");
        assert_eq!(server.terminate(), Some(0));
    }
}

/// The issue's repro, with the framing header in a scenario saved before
/// `--response-header` refused it (written into the database here): the
/// answer never carries it, and a pipelined request gets its own answer.
#[test]
fn a_stored_framing_header_never_reaches_the_wire() {
    let env = Env::new();
    let path = env.hook("fixed", &["--rate-limit", "0"]);
    env.ok(&[
        "scenario",
        "create",
        "fixed",
        "--hook",
        "fixed",
        "--respond",
        "stdout",
        "--",
        "printf",
        "OKHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nPWNED",
    ]);
    let changed =
        env.sql_write("UPDATE scenarios SET response_headers = '[[\"Content-Length\",\"2\"]]'");
    assert_eq!(changed, 1);
    let server = ServerProcess::start(&env, &[]);
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx\
         GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let all = exchange(&server, request.as_bytes());
    let text = String::from_utf8_lossy(&all);
    assert_eq!(text.matches("HTTP/1.1 ").count(), 2, "{text}");
    assert!(!text.contains("PWNED"), "{text}");
    // Refused, not sent without the header: a setting hookq refuses today
    // is named to the caller and in the log rather than half-applied.
    let first = parse_reply(&all).expect("a first answer");
    assert_eq!(first.status, 500, "{text}");
    assert!(first.text().contains("Content-Length"), "{text}");
    let second_at = text.rfind("HTTP/1.1 ").unwrap();
    let second = parse_reply(&all[second_at..]).expect("a second answer");
    assert_eq!((second.status, second.text().as_str()), (200, "ok"));
    assert_eq!(server.terminate(), Some(0));
}
