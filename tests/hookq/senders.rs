//! More senders (SPEC §12) through a running server: presets signed by the
//! providers' libraries, handshakes in the providers' exact words,
//! rotation, and duplicates.

use std::sync::{Arc, Barrier};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::util::{http, Env, Reply, ServerProcess, TestServer};

/// The time of the vectors (tests/vectors/senders.json): 1700000000.
const VECTORS_NOW: &str = "2023-11-14T22:13:20Z";

fn vectors() -> Vec<Value> {
    let text = include_str!("../vectors/senders.json");
    serde_json::from_str(text).expect("tests/vectors/senders.json")
}

fn vector(name_starts: &str) -> Value {
    vectors()
        .into_iter()
        .find(|v| v["name"].as_str().unwrap().starts_with(name_starts))
        .unwrap_or_else(|| panic!("no vector {name_starts}"))
}

fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A connection `conn` of `kind` with `secret` and `options`, and a hook
/// `h` verified by it; the hook's path.
fn setup(env: &Env, kind: &str, secret: &str, options: &[&str]) -> String {
    let mut args = vec![
        "connections",
        "create",
        "conn",
        "--kind",
        kind,
        "--secret-env",
        "SECRET",
    ];
    args.extend_from_slice(options);
    let out = env
        .cmd(&args)
        .env("SECRET", secret)
        .env("VERIFY_TOKEN", "meatyhamhock")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.hook("h", &["--connection", "conn", "--rate-limit", "0"])
}

fn queued(env: &Env) -> i64 {
    env.json(&["hooks", "show", "h"])["queue"].as_i64().unwrap()
}

fn send(addr: std::net::SocketAddr, method: &str, path: &str, v: &Value) -> Reply {
    let headers: Vec<(String, String)> = serde_json::from_value(v["headers"].clone()).unwrap();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    http(
        addr,
        method,
        path,
        &headers,
        v["body"].as_str().unwrap().as_bytes(),
    )
}

/// Each library-signed vector is accepted by a server whose clock is the
/// vector's, stored once; the same request with another body is refused.
#[test]
fn library_signed_requests_are_accepted_end_to_end() {
    for v in vectors() {
        let name = v["name"].as_str().unwrap();
        let now = v["now"].as_i64().unwrap();
        let mut env = Env::new();
        let at = time_of(now);
        env.at(&at);
        let kind = v["kind"].as_str().unwrap();
        let mut options = Vec::new();
        let base;
        if let Some(url) = v["options"]["base_url"].as_str() {
            base = url.to_owned();
            options.extend(["--base-url", base.as_str()]);
        }
        if kind == "meta" {
            options.extend(["--verify-token-env", "VERIFY_TOKEN"]);
        }
        setup(&env, kind, v["secret"].as_str().unwrap(), &options);
        // Twilio's published example signs /myapp.php, which is no hook's
        // URL: the unit tests check it.
        let Some(token) = v["path"].as_str().unwrap().strip_prefix("/wh/") else {
            continue;
        };
        // The vectors were signed for one URL: give the hook its token.
        set_token(&env, token);
        let server = ServerProcess::start(&env, &[]);
        let query = v["query"].as_str().unwrap();
        let signed_path = v["path"].as_str().unwrap();
        let path = if query.is_empty() {
            signed_path.to_owned()
        } else {
            format!("{signed_path}?{query}")
        };
        let reply = send(server.addr, "POST", &path, &v);
        assert_eq!(reply.status, 200, "{name}: {}", reply.text());
        let mut tampered = v.clone();
        tampered["body"] = Value::from(format!("{} ", v["body"].as_str().unwrap()));
        if kind != "gitlab" {
            let reply = send(server.addr, "POST", &path, &tampered);
            assert_eq!(
                (reply.status, reply.text().as_str()),
                (401, "signature mismatch"),
                "{name}"
            );
        }
        server.terminate();
        // A PING is a handshake: answered, not queued.
        let events = if name.contains("PING") { 0 } else { 1 };
        assert_eq!(queued(&env), events, "{name}");
    }
}

/// RFC 3339 of unix seconds.
fn time_of(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Give hook `h` this token (the vectors were signed for one URL).
fn set_token(env: &Env, token: &str) {
    // Tokens are letters and digits: nothing to quote.
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()), "{token}");
    env.sql_write(&format!(
        "UPDATE hooks SET token = '{token}' WHERE name = 'h'"
    ));
}

fn text_of(reply: &Reply) -> (u16, String, String) {
    (
        reply.status,
        reply.header("content-type").unwrap_or_default().to_owned(),
        reply.text(),
    )
}

#[test]
fn slack_url_verification_is_answered_after_verification_and_never_queued() {
    let mut env = Env::new();
    env.at(VECTORS_NOW);
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let path = setup(&env, "slack", secret, &[]);
    let server = ServerProcess::start(&env, &[]);
    // Slack's request, as its Events API documentation shows it.
    let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
    let ts = "1700000000";
    let signature = format!("v0={}", hmac_hex(secret, &format!("v0:{ts}:{body}")));
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Slack-Request-Timestamp", ts),
        ("X-Slack-Signature", signature.as_str()),
    ];
    let reply = http(server.addr, "POST", &path, &headers, body.as_bytes());
    assert_eq!(
        text_of(&reply),
        (
            200,
            "text/plain; charset=utf-8".into(),
            "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
        )
    );
    // Unsigned, the same handshake is a stranger's request.
    let reply = http(server.addr, "POST", &path, &headers[..2], body.as_bytes());
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (401, "missing signature header")
    );
    server.terminate();
    assert_eq!(queued(&env), 0);
    assert_eq!(env.sql_count("SELECT count(*) FROM events"), 0);
}

#[test]
fn zoom_url_validation_returns_the_encrypted_token() {
    let mut env = Env::new();
    env.at(VECTORS_NOW);
    let secret = "zm_secret_token_42";
    let path = setup(&env, "zoom", secret, &[]);
    let server = ServerProcess::start(&env, &[]);
    // Zoom's request, as its webhook documentation shows it.
    let body = r#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
    let ts = "1700000000";
    let signature = format!("v0={}", hmac_hex(secret, &format!("v0:{ts}:{body}")));
    let headers = [
        ("Content-Type", "application/json"),
        ("x-zm-request-timestamp", ts),
        ("x-zm-signature", signature.as_str()),
    ];
    let reply = http(server.addr, "POST", &path, &headers, body.as_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let answer: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({
            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
            "encryptedToken": hmac_hex(secret, "qgg8vlvZRS6UYooatFL8Aw"),
        })
    );
    let forged = [headers[0], headers[1], ("x-zm-signature", "v0=00")];
    let reply = http(server.addr, "POST", &path, &forged, body.as_bytes());
    assert_eq!(reply.status, 401);
    server.terminate();
    assert_eq!(queued(&env), 0);
}

#[test]
fn meta_subscription_get_returns_the_challenge_for_the_right_token_only() {
    let env = Env::new();
    let path = setup(
        &env,
        "meta",
        "meta_app_secret_9f8e",
        &["--verify-token-env", "VERIFY_TOKEN"],
    );
    let server = TestServer::start(&env);
    // Meta's request, as its Webhooks documentation shows it.
    let get = |query: &str| http(server.addr, "GET", &format!("{path}?{query}"), &[], b"");
    let reply = get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock");
    assert_eq!(
        text_of(&reply),
        (200, "text/plain; charset=utf-8".into(), "1158201444".into())
    );
    let reply = get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong");
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (401, "invalid token")
    );
    let reply = get("hub.mode=subscribe&hub.challenge=1158201444");
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (401, "missing token")
    );
    server.stop();
    assert_eq!(queued(&env), 0);
    // The verify token is a secret too: never shown whole.
    let shown = env.ok(&["connections", "show", "conn"]);
    assert!(!shown.contains("meatyhamhock"), "{shown}");
}

#[test]
fn twitch_callback_verification_returns_the_challenge() {
    let mut env = Env::new();
    env.at(VECTORS_NOW);
    let secret = "twitch_s3cret_value";
    let path = setup(&env, "twitch", secret, &[]);
    let server = ServerProcess::start(&env, &[]);
    // Twitch's request, as its EventSub documentation shows it.
    let body = r#"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow","version":"1","cost":1,"condition":{"broadcaster_user_id":"12826"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"}}"#;
    let id = "e76c6bd4-55c9-4987-8304-da1588d8988b";
    let ts = "2023-11-14T22:13:20.634234626Z";
    let signature = format!("sha256={}", hmac_hex(secret, &format!("{id}{ts}{body}")));
    let headers = [
        ("Content-Type", "application/json"),
        ("Twitch-Eventsub-Message-Id", id),
        ("Twitch-Eventsub-Message-Retry", "0"),
        (
            "Twitch-Eventsub-Message-Type",
            "webhook_callback_verification",
        ),
        ("Twitch-Eventsub-Message-Signature", signature.as_str()),
        ("Twitch-Eventsub-Message-Timestamp", ts),
        ("Twitch-Eventsub-Subscription-Type", "channel.follow"),
        ("Twitch-Eventsub-Subscription-Version", "1"),
    ];
    let reply = http(server.addr, "POST", &path, &headers, body.as_bytes());
    assert_eq!(
        text_of(&reply),
        (
            200,
            "text/plain; charset=utf-8".into(),
            "pogchamp-kappa-360noscope-vohiyo".into()
        )
    );
    server.terminate();
    assert_eq!(queued(&env), 0);
}

#[test]
fn discord_ping_gets_pong_and_a_forged_one_401() {
    let mut env = Env::new();
    env.at(VECTORS_NOW);
    let ping = vector("discord: a PING");
    let path = setup(&env, "discord", ping["secret"].as_str().unwrap(), &[]);
    let server = ServerProcess::start(&env, &[]);
    let reply = send(server.addr, "POST", &path, &ping);
    assert_eq!(
        text_of(&reply),
        (200, "application/json".into(), r#"{"type":1}"#.into())
    );
    // Discord checks that an endpoint refuses a bad signature.
    let mut forged = ping.clone();
    forged["headers"][0][1] = Value::from("00".repeat(64));
    let reply = send(server.addr, "POST", &path, &forged);
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (401, "signature mismatch")
    );
    // An interaction that is not a PING is an event.
    let command = vector("discord: a slash command");
    assert_eq!(send(server.addr, "POST", &path, &command).status, 200);
    server.terminate();
    assert_eq!(queued(&env), 1);
}

#[test]
fn bad_connection_settings_are_usage_errors() {
    let env = Env::new();
    env.hook("x", &[]);
    let create = |extra: &[&str], secret: &str| {
        let mut args = vec!["connections", "create", "c", "--secret-env", "S"];
        args.extend_from_slice(extra);
        env.cmd(&args).env("S", secret).output().unwrap()
    };
    let cases: [(&[&str], &str, &str); 8] = [
        (
            &["--kind", "hmac", "--header", "X-Sig", "--signed", "{bdy}"],
            "s",
            "unknown placeholder {bdy}",
        ),
        (
            &[
                "--kind",
                "hmac",
                "--header",
                "X-Sig",
                "--signed",
                "{timestamp}.{body}",
            ],
            "s",
            "give --timestamp-header",
        ),
        (&["--kind", "discord"], "not-a-key", "valid Ed25519 key"),
        (
            &["--kind", "discord"],
            &"00".repeat(32),
            "valid Ed25519 key",
        ),
        (&["--kind", "twilio"], "t", "give --base-url"),
        (
            &["--kind", "twilio", "--base-url", "not a url"],
            "t",
            "invalid base URL",
        ),
        (&["--kind", "meta"], "s", "--verify-token-env"),
        (
            &[
                "--kind",
                "hmac",
                "--header",
                "X-Sig",
                "--timestamp-header",
                "bad header",
            ],
            "s",
            "not a valid HTTP header name",
        ),
    ];
    for (args, secret, message) in cases {
        let out = create(args, secret);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.contains(message), "{args:?}: {stderr}");
    }
    let out = env
        .cmd(&[
            "connections",
            "create",
            "d",
            "--kind",
            "discord",
            "--generate",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(env.json(&["connections", "list"]), serde_json::json!([]));
}

#[test]
fn a_rotated_secret_verifies_during_its_grace_only() {
    let mut env = Env::new();
    env.at("2026-01-01T00:00:00Z");
    let body = r#"{"id":820982911946154508}"#;
    let sign = |secret: &str| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    let path = setup(&env, "shopify", "old-secret-0123456789", &[]);
    let out = env
        .cmd(&[
            "connections",
            "rotate",
            "conn",
            "--secret-env",
            "NEW",
            "--grace",
            "1h",
        ])
        .env("NEW", "new-secret-9876543210")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Neither secret is printed.
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!printed.contains("secret-"), "{printed}");

    let post = |addr, secret: &str| {
        let sig = sign(secret);
        http(
            addr,
            "POST",
            &path,
            &[("X-Shopify-Hmac-Sha256", sig.as_str())],
            body.as_bytes(),
        )
        .status
    };
    env.at("2026-01-01T00:59:59Z");
    let listed = env.ok(&["connections", "list"]);
    assert!(listed.contains("new-…(21 chars)"), "{listed}");
    assert!(listed.contains("old-…(21 chars)"), "{listed}");
    let shown = env.json(&["connections", "show", "conn"]);
    assert_eq!(shown["previous"], "old-…(21 chars)");
    assert_eq!(shown["previous_until"], "2026-01-01T01:00:00Z");
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(post(server.addr, "new-secret-9876543210"), 200);
    assert_eq!(post(server.addr, "old-secret-0123456789"), 200);
    assert_eq!(post(server.addr, "another-secret-000000"), 401);
    server.terminate();

    env.at("2026-01-01T01:00:00Z");
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(post(server.addr, "new-secret-9876543210"), 200);
    assert_eq!(post(server.addr, "old-secret-0123456789"), 401);
    server.terminate();
    let listed = env.ok(&["connections", "list"]);
    assert!(!listed.contains("old-"), "{listed}");
    assert_eq!(queued(&env), 3);
}

fn github_delivery(addr: std::net::SocketAddr, path: &str, id: &str) -> Reply {
    let body = br#"{"zen":"Keep it logically awesome."}"#;
    let sig = format!(
        "sha256={}",
        hmac_hex(
            "It's a Secret to Everybody",
            std::str::from_utf8(body).unwrap()
        )
    );
    http(
        addr,
        "POST",
        path,
        &[
            ("X-Hub-Signature-256", sig.as_str()),
            ("X-GitHub-Delivery", id),
            ("Content-Type", "application/json"),
        ],
        body,
    )
}

#[test]
fn a_redelivery_is_accepted_counted_and_not_queued_again() {
    let mut env = Env::new();
    env.at("2026-01-01T00:00:00Z");
    let path = setup(&env, "github", "It's a Secret to Everybody", &[]);
    let server = ServerProcess::start(&env, &["--metrics"]);
    let id = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    for _ in 0..3 {
        let reply = github_delivery(server.addr, &path, id);
        assert_eq!((reply.status, reply.text().as_str()), (200, "Accepted"));
    }
    assert_eq!(github_delivery(server.addr, &path, "another").status, 200);
    let metrics = http(server.addr, "GET", "/metrics", &[], b"").text();
    assert!(
        metrics.contains("hookq_duplicates_total{hook=\"h\"} 2"),
        "{metrics}"
    );
    server.terminate();
    let shown = env.json(&["hooks", "show", "h"]);
    assert_eq!(
        (shown["queue"].as_i64(), shown["duplicates"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(shown["dedupe_window"], "1d");
    assert!(env.ok(&["hooks", "show", "h"]).contains("2 dropped"));

    // Past the window, the id is an event again; the sweep forgets it.
    env.at("2026-01-02T00:00:01Z");
    assert_eq!(env.sql_count("SELECT count(*) FROM deliveries"), 2);
    env.ok(&["sweep"]);
    assert_eq!(env.sql_count("SELECT count(*) FROM deliveries"), 0);
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(github_delivery(server.addr, &path, id).status, 200);
    server.terminate();
    assert_eq!(queued(&env), 3);

    // --no-dedupe keeps every delivery.
    env.ok(&["hooks", "edit", "h", "--no-dedupe"]);
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(github_delivery(server.addr, &path, id).status, 200);
    server.terminate();
    assert_eq!(queued(&env), 4);
}

#[test]
fn hooks_send_drops_a_duplicate_as_the_server_does() {
    let env = Env::new();
    env.hook("h", &["--dedupe-header", "X-Id"]);
    for _ in 0..2 {
        env.ok(&["hooks", "send", "h", "--header", "X-Id: 42", "--data", "{}"]);
    }
    env.ok(&["hooks", "send", "h", "--header", "X-Id: 43", "--data", "{}"]);
    assert_eq!(queued(&env), 2);
}

/// 16 senders deliver the same 40 ids at once: each id is stored once.
#[test]
fn concurrent_redeliveries_store_each_id_exactly_once() {
    let env = Env::new();
    let path = env.hook("h", &["--dedupe-header", "X-Delivery", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let addr = server.addr;
    let start = Arc::new(Barrier::new(16));
    let senders: Vec<_> = (0..16)
        .map(|n| {
            let (path, start) = (path.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..40 {
                    // Each sender goes through the ids in its own order.
                    let id = format!("delivery-{}", (i * 7 + n) % 40);
                    let reply = http(
                        addr,
                        "POST",
                        &path,
                        &[("X-Delivery", id.as_str())],
                        id.as_bytes(),
                    );
                    assert_eq!((reply.status, reply.text().as_str()), (200, "Accepted"));
                }
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    server.stop();
    assert_eq!(env.sql_count("SELECT count(*) FROM events"), 40);
    assert_eq!(
        env.sql_count("SELECT count(DISTINCT hex(body)) FROM payloads"),
        40
    );
    assert_eq!(
        env.json(&["hooks", "show", "h"])["duplicates"].as_i64(),
        Some(16 * 40 - 40)
    );
}

/// GitLab's token is the secret itself: like a password, it is replaced
/// by a marker before the event is stored.
#[test]
fn a_gitlab_token_is_not_stored() {
    let env = Env::new();
    let path = setup(&env, "gitlab", "glpat-the-secret-token", &[]);
    let server = TestServer::start(&env);
    let reply = http(
        server.addr,
        "POST",
        &path,
        &[("X-Gitlab-Token", "glpat-the-secret-token")],
        b"{}",
    );
    assert_eq!(reply.status, 200);
    let reply = http(
        server.addr,
        "POST",
        &path,
        &[("X-Gitlab-Token", "glpat-a-wrong-token")],
        b"{}",
    );
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (401, "invalid token")
    );
    server.stop();
    let headers = env.row("SELECT headers FROM events")[0].text();
    assert!(!headers.contains("glpat"), "{headers}");
    assert!(headers.contains("[verified]"), "{headers}");
}
