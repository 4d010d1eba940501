//! JSON as real senders write it (SPEC §4, issue #16 item 10): RFC 8259's
//! grammar decides, the body is stored byte for byte, and the bundle
//! carries it as faithfully as JSON allows.

use crate::util::{Env, TestServer};

const JSON: &str = "application/json";

/// Bodies that Node, Python and others send, each valid by RFC 8259 and
/// refused by serde_json's defaults.
fn senders_json() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("lone surrogate", br#"{"t":"\ud83c"}"#.to_vec()),
        ("1e400", br#"{"n":1e400}"#.to_vec()),
        (
            "40-digit integer",
            br#"{"id":1234567890123456789012345678901234567890}"#.to_vec(),
        ),
        (
            "nesting 200 deep",
            format!("{}1{}", "[".repeat(200), "]".repeat(200)).into_bytes(),
        ),
        ("byte-order mark", b"\xEF\xBB\xBF{\"a\":1}".to_vec()),
    ]
}

fn not_json() -> Vec<(&'static str, &'static [u8], &'static str)> {
    vec![
        (
            "{abc",
            b"{abc",
            "expected a string key at line 1, column 2 (byte 1)",
        ),
        (
            "trailing comma",
            b"{\"a\":1,}",
            "expected a string key at line 1, column 8 (byte 7)",
        ),
        (
            "invalid UTF-8",
            b"{\"a\":\"\xff\"}",
            "invalid UTF-8 at line 1, column 7 (byte 6)",
        ),
    ]
}

#[test]
fn the_server_accepts_json_as_senders_write_it_and_stores_it_byte_for_byte() {
    for passthrough in [false, true] {
        let env = Env::new();
        let mut options = vec!["--rate-limit", "0"];
        if passthrough {
            options.push("--json-passthrough");
        }
        let path = env.hook("h", &options);
        let server = TestServer::start(&env);
        let mut accepted = Vec::new();
        for (what, body) in senders_json() {
            let reply = server.post(&path, JSON, &body);
            assert_eq!(reply.status, 200, "{what}: {}", reply.text());
            accepted.push(body);
        }
        for (what, body, position) in not_json() {
            let reply = server.post(&path, JSON, body);
            assert_eq!(reply.status, 400, "{what}");
            assert_eq!(
                reply.text(),
                format!("invalid JSON body: {position}"),
                "{what}"
            );
        }
        server.stop();
        let events = env.json(&["hooks", "events", "h"]);
        let events = events.as_array().unwrap();
        assert_eq!(
            events.len(),
            accepted.len(),
            "only the JSON ones are stored"
        );
        for (event, body) in events.iter().rev().zip(&accepted) {
            let id = event["id"].to_string();
            assert_eq!(&env.run(&["hooks", "payload", &id]).stdout, body);
        }
    }
}

#[test]
fn hooks_send_judges_json_as_the_server_does() {
    let env = Env::new();
    env.hook("h", &[]);
    for (what, body) in senders_json() {
        let body = String::from_utf8(body).unwrap();
        let out = env.run(&[
            "hooks",
            "send",
            "h",
            "--content-type",
            JSON,
            "--data",
            &body,
        ]);
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (what, body, position) in not_json() {
        let Ok(body) = std::str::from_utf8(body) else {
            continue; // not representable as an argument; the server test covers it
        };
        let err = env.fails(
            &["hooks", "send", "h", "--content-type", JSON, "--data", body],
            2,
        );
        assert!(err.contains(position), "{what}: {err}");
    }
}

#[test]
fn the_bundle_carries_json_bodies_as_faithfully_as_json_allows() {
    let env = Env::new();
    env.hook("h", &[]);
    let out = env.path().join("stdin");
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--input",
        "bundle",
        "--schedule",
        "on-demand",
        "--",
        "sh",
        "-c",
        &format!("cat >> '{}'; echo >> '{}'", out.display(), out.display()),
    ]);
    for (_, body) in senders_json() {
        let body = String::from_utf8(body).unwrap();
        env.ok(&[
            "hooks",
            "send",
            "h",
            "--content-type",
            JSON,
            "--data",
            &body,
        ]);
    }
    env.ok(&["scenario", "run", "s", "--max-cycles", "10"]);
    let seen = std::fs::read_to_string(&out).unwrap();
    let bodies: Vec<&str> = seen
        .lines()
        .map(|line| {
            let start = line.find(",\"body\":").expect("a body") + ",\"body\":".len();
            &line[start..line.len() - 1]
        })
        .collect();
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        bodies,
        [
            r#"{"t":"\ufffd"}"#,
            r#"{"n":1e400}"#,
            r#"{"id":1234567890123456789012345678901234567890}"#,
            deep.as_str(),
            r#"{"a":1}"#,
        ]
    );
    // Each line is JSON a strict parser reads (serde_json, here).
    let lone: serde_json::Value = serde_json::from_str(seen.lines().next().unwrap()).unwrap();
    assert_eq!(lone["body"]["t"], "\u{fffd}");
}
