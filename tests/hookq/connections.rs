//! Connections (SPEC §4): each kind end to end through a running server:
//! a valid request is stored, an invalid one is refused with 401 and not.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::util::{http, Env, Reply, TestServer};

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A hook verified by a new connection of `kind` with `secret`.
fn setup(kind: &str, secret: &str, options: &[&str]) -> (Env, String) {
    let env = Env::new();
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
    let out = env.cmd(&args).env("SECRET", secret).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = env.hook("h", &["--connection", "conn", "--rate-limit", "0"]);
    (env, path)
}

fn post(server: &TestServer, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    http(server.addr, "POST", path, headers, body)
}

fn stored(env: &Env) -> i64 {
    env.json(&["hooks", "show", "h"])["queue"].as_i64().unwrap()
}

#[test]
fn github_signatures_with_the_documented_example() {
    let (env, path) = setup("github", "It's a Secret to Everybody", &[]);
    let server = TestServer::start(&env);
    let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let ok = post(
        &server,
        &path,
        &[("X-Hub-Signature-256", good)],
        b"Hello, World!",
    );
    assert_eq!((ok.status, ok.text().as_str()), (200, "Accepted"));
    let tampered = post(
        &server,
        &path,
        &[("X-Hub-Signature-256", good)],
        b"Hello, World?",
    );
    assert_eq!(
        (tampered.status, tampered.text().as_str()),
        (401, "signature mismatch")
    );
    let missing = post(&server, &path, &[], b"Hello, World!");
    assert_eq!(
        (missing.status, missing.text().as_str()),
        (401, "missing signature header")
    );
    server.stop();
    assert_eq!(stored(&env), 1);
    assert_eq!(env.json(&["hooks", "show", "h"])["refused"]["401"], 2);
}

#[test]
fn stripe_signatures_with_rotation_and_tolerance() {
    let secret = "whsec_test_secret";
    let (env, path) = setup("stripe", secret, &[]);
    let server = TestServer::start(&env);
    let body = br#"{"id":"evt_1","type":"charge.succeeded"}"#;
    let sign = |t: i64, key: &str, body: &[u8]| {
        let mut message = format!("{t}.").into_bytes();
        message.extend_from_slice(body);
        hex(&hmac_sha256(key.as_bytes(), &message))
    };
    let t = unix_now();
    let valid = format!("t={t},v1={}", sign(t, secret, body));
    assert_eq!(
        post(&server, &path, &[("Stripe-Signature", &valid)], body).status,
        200
    );
    // Rotated secrets: two v1 signatures, one of them valid.
    let rotated = format!(
        "t={t},v1={},v1={}",
        sign(t, "whsec_old", body),
        sign(t, secret, body)
    );
    assert_eq!(
        post(&server, &path, &[("Stripe-Signature", &rotated)], body).status,
        200
    );
    let cases = [
        (
            format!("t={t},v1={}", sign(t, "whsec_wrong", body)),
            "signature mismatch",
        ),
        (
            format!("t={},v1={}", t - 3600, sign(t - 3600, secret, body)),
            "timestamp outside tolerance",
        ),
        (
            format!("t={},v1={}", t + 3600, sign(t + 3600, secret, body)),
            "timestamp outside tolerance",
        ),
        (
            format!("t={t},v1={}", sign(t, secret, b"{}")),
            "signature mismatch",
        ),
    ];
    for (header, reason) in &cases {
        let reply = post(&server, &path, &[("Stripe-Signature", header)], body);
        assert_eq!(
            (reply.status, reply.text()),
            (401, reason.to_string()),
            "{header}"
        );
    }
    assert_eq!(
        post(&server, &path, &[], body).text(),
        "missing signature header"
    );
    server.stop();
    assert_eq!(stored(&env), 2);
}

#[test]
fn standard_webhooks_signatures_with_both_header_names() {
    let key = b"0123456789abcdef0123456789abcdef";
    let secret = format!("whsec_{}", STANDARD.encode(key));
    let (env, path) = setup("standard-webhooks", &secret, &[]);
    let server = TestServer::start(&env);
    let body = br#"{"type":"user.created"}"#;
    let sign = |id: &str, t: i64, key: &[u8], body: &[u8]| {
        let mut message = format!("{id}.{t}.").into_bytes();
        message.extend_from_slice(body);
        format!("v1,{}", STANDARD.encode(hmac_sha256(key, &message)))
    };
    let t = unix_now();
    let ts = t.to_string();
    let good = sign("msg_1", t, key, body);
    let webhook = |sig: &str, ts: &str| {
        post(
            &server,
            &path,
            &[
                ("webhook-id", "msg_1"),
                ("webhook-timestamp", ts),
                ("webhook-signature", sig),
            ],
            body,
        )
    };
    assert_eq!(webhook(&good, &ts).status, 200);
    let svix = post(
        &server,
        &path,
        &[
            ("svix-id", "msg_1"),
            ("svix-timestamp", &ts),
            ("svix-signature", &good),
        ],
        body,
    );
    assert_eq!(svix.status, 200);
    let several = format!(
        "{} {good}",
        sign("msg_1", t, b"another key of 32 bytes long!!!!", body)
    );
    assert_eq!(
        webhook(&several, &ts).status,
        200,
        "one valid signature among several"
    );
    assert_eq!(
        webhook(&sign("msg_1", t, b"wrong", body), &ts).text(),
        "signature mismatch"
    );
    let old = (t - 600).to_string();
    assert_eq!(
        webhook(&sign("msg_1", t - 600, key, body), &old).text(),
        "timestamp outside tolerance"
    );
    let future = (t + 600).to_string();
    assert_eq!(
        webhook(&sign("msg_1", t + 600, key, body), &future).text(),
        "timestamp outside tolerance"
    );
    assert_eq!(
        post(&server, &path, &[], body).text(),
        "missing signature header"
    );
    server.stop();
    // The three accepted deliveries are one message, msg_1 (SPEC §12): it
    // is stored once, the other two are duplicates.
    assert_eq!(stored(&env), 1);
    assert_eq!(env.json(&["hooks", "show", "h"])["duplicates"], 2);
}

#[test]
fn generic_hmac_with_header_algorithm_encoding_and_prefix() {
    let (env, path) = setup(
        "hmac",
        "s3cret",
        &[
            "--header",
            "X-Signature",
            "--encoding",
            "base64",
            "--prefix",
            "sha256=",
        ],
    );
    let server = TestServer::start(&env);
    let body = b"payload";
    let good = format!("sha256={}", STANDARD.encode(hmac_sha256(b"s3cret", body)));
    assert_eq!(
        post(&server, &path, &[("X-Signature", &good)], body).status,
        200
    );
    assert_eq!(
        post(&server, &path, &[("X-Signature", &good)], b"other").status,
        401
    );
    server.stop();
    assert_eq!(stored(&env), 1);
}

#[test]
fn api_keys_in_a_header_or_the_query() {
    let (env, path) = setup("api-key", "k-123", &[]);
    let server = TestServer::start(&env);
    assert_eq!(
        post(&server, &path, &[("X-Api-Key", "k-123")], b"").status,
        200
    );
    assert_eq!(
        post(&server, &format!("{path}?apikey=k-123"), &[], b"").status,
        200
    );
    let wrong = post(&server, &path, &[("X-Api-Key", "k-124")], b"");
    assert_eq!(
        (wrong.status, wrong.text().as_str()),
        (401, "invalid api key")
    );
    assert_eq!(post(&server, &path, &[], b"").text(), "missing api key");
    server.stop();
    assert_eq!(stored(&env), 2);
}

#[test]
fn basic_auth() {
    let (env, path) = setup("basic", "alice:wonderland", &[]);
    let server = TestServer::start(&env);
    let good = format!("Basic {}", STANDARD.encode("alice:wonderland"));
    let bad = format!("Basic {}", STANDARD.encode("alice:looking-glass"));
    assert_eq!(
        post(&server, &path, &[("Authorization", &good)], b"").status,
        200
    );
    assert_eq!(
        post(&server, &path, &[("Authorization", &bad)], b"").text(),
        "invalid credentials"
    );
    assert_eq!(post(&server, &path, &[], b"").text(), "missing credentials");
    server.stop();
    assert_eq!(stored(&env), 1);
}

#[test]
fn secrets_are_never_listed_in_full_and_generated_ones_are_shown_once() {
    let env = Env::new();
    let out = env.ok(&[
        "connections",
        "create",
        "sw",
        "--kind",
        "standard-webhooks",
        "--generate",
    ]);
    let secret = out.trim();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 20,
        "{secret}"
    );
    let shown =
        env.ok(&["connections", "show", "sw"]) + &env.ok(&["connections", "list", "--json"]);
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains(&secret[6..]), "{shown}");
    let piped = env
        .cmd(&[
            "connections",
            "create",
            "p",
            "--kind",
            "api-key",
            "--secret-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"from-stdin-key\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(piped.status.success());
    let file = env.path().join("secret");
    std::fs::write(&file, "user:pass\n").unwrap();
    env.ok(&[
        "connections",
        "create",
        "f",
        "--kind",
        "basic",
        "--secret-file",
        file.to_str().unwrap(),
    ]);
    let list: Value = env.json(&["connections", "list"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["f", "p", "sw"]);
    assert!(!list.to_string().contains("from-stdin-key"));
    assert!(!list.to_string().contains("user:pass"));
    // The secrets read from stdin and from the file are the ones checked,
    // without their final newline.
    let by_key = env.hook("k", &["--connection", "p", "--rate-limit", "0"]);
    let by_login = env.hook("b", &["--connection", "f", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let status = |path: &str, header: (&str, &str)| post(&server, path, &[header], b"x").status;
    assert_eq!(status(&by_key, ("X-Api-Key", "from-stdin-key")), 200);
    assert_eq!(status(&by_key, ("X-Api-Key", "from-stdin")), 401);
    let login = format!("Basic {}", STANDARD.encode("user:pass"));
    assert_eq!(status(&by_login, ("Authorization", &login)), 200);
    let wrong = format!("Basic {}", STANDARD.encode("user:pass\n"));
    assert_eq!(status(&by_login, ("Authorization", &wrong)), 401);
}

#[test]
fn the_tolerance_of_a_signed_timestamp_is_a_flag() {
    let secret = "whsec_test_secret";
    let body = b"{}";
    let signed = |t: i64| {
        let mut message = format!("{t}.").into_bytes();
        message.extend_from_slice(body);
        format!(
            "t={t},v1={}",
            hex(&hmac_sha256(secret.as_bytes(), &message))
        )
    };
    // Signed a minute ago: within the default 5 minutes, not within 30 s.
    let minute_old = signed(unix_now() - 60);
    for (options, expected) in [(&[][..], 200), (&["--tolerance", "30s"][..], 401)] {
        let (env, path) = setup("stripe", secret, options);
        let server = TestServer::start(&env);
        let reply = post(&server, &path, &[("Stripe-Signature", &minute_old)], body);
        assert_eq!(reply.status, expected, "{options:?}: {}", reply.text());
    }
}

#[test]
fn the_hmac_algorithm_is_a_flag() {
    use sha2::Sha512;
    let options = ["--header", "X-Signature", "--algorithm", "sha512"];
    let (env, path) = setup("hmac", "s3cret", &options);
    let server = TestServer::start(&env);
    let body = b"payload";
    let mut mac = Hmac::<Sha512>::new_from_slice(b"s3cret").unwrap();
    mac.update(body);
    let sha512 = hex(&mac.finalize().into_bytes());
    let sha256 = hex(&hmac_sha256(b"s3cret", body));
    let status = |signature: &str| post(&server, &path, &[("X-Signature", signature)], body).status;
    assert_eq!(status(&sha512), 200);
    assert_eq!(status(&sha256), 401);
}

#[test]
fn bad_connection_input_is_refused() {
    let env = Env::new();
    // A database to look in: `connections show nope` has nothing to find.
    env.hook("other", &[]);
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["connections", "create", "c", "--kind", "github"],
            2,
            "--secret",
        ),
        (
            &["connections", "create", "c", "--kind", "svix", "--generate"],
            2,
            "unknown kind",
        ),
        (
            &["connections", "create", "c", "--kind", "hmac", "--generate"],
            2,
            "needs --header",
        ),
        (
            &[
                "connections",
                "create",
                "c",
                "--kind",
                "github",
                "--generate",
                "--prefix",
                "x",
            ],
            2,
            "--prefix applies to",
        ),
        (
            &[
                "connections",
                "create",
                "c",
                "--kind",
                "github",
                "--secret-env",
                "HOOKQ_UNSET_VAR",
            ],
            2,
            "not set",
        ),
        (&["connections", "show", "nope"], 3, "no connection named"),
        (
            &["hooks", "create", "h", "--connection", "nope"],
            3,
            "no connection named",
        ),
    ];
    for (args, code, message) in cases {
        let err = env.fails(args, *code);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    let no_colon = env
        .cmd(&[
            "connections",
            "create",
            "c",
            "--kind",
            "basic",
            "--secret-env",
            "S",
        ])
        .env("S", "just-a-user")
        .output()
        .unwrap();
    assert_eq!(no_colon.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_colon.stderr).contains("invalid basic secret"));
    env.ok(&[
        "connections",
        "create",
        "c",
        "--kind",
        "github",
        "--generate",
    ]);
    env.hook("h", &["--connection", "c"]);
    let err = env.fails(&["connections", "delete", "c"], 3);
    assert!(err.contains("used by hook h"), "{err}");
    env.ok(&["hooks", "edit", "h", "--no-connection"]);
    env.ok(&["connections", "delete", "c"]);
    assert_eq!(env.json(&["connections", "list"]), serde_json::json!([]));
}
