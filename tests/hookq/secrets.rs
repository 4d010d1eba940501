//! Verified credentials (the password of `basic`, the key of `api-key`)
//! never reach the store, the bundle or a command: a marker stands in.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::util::{http, Env, TestServer};

const PASSWORD: &str = "alice:pa55-w0rd-XYZ";
const API_KEY: &str = "k3y-0f-the-sender-QRS";
const GITHUB_SECRET: &str = "gh-secret-TUV";

fn connection(env: &Env, name: &str, kind: &str, secret: &str, options: &[&str]) {
    let mut args = vec![
        "connections",
        "create",
        name,
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
}

/// What a command saw of every event of `hook`: HOOKQ_HEADERS, HOOKQ_QUERY
/// and the bundle on stdin.
fn seen_by_command(env: &Env, hook: &str) -> String {
    let out = env.path().join(format!("{hook}.seen"));
    let script = format!(
        "printf '%s\\n%s\\n' \"$HOOKQ_HEADERS\" \"$HOOKQ_QUERY\" >> '{0}'; cat >> '{0}'",
        out.display()
    );
    let scenario = format!("{hook}-s");
    env.ok(&[
        "scenario",
        "create",
        &scenario,
        "--hook",
        hook,
        "--schedule",
        "on-demand",
        "--input",
        "bundle",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    env.ok(&["scenario", "run", &scenario, "--max-cycles", "10"]);
    std::fs::read_to_string(out).unwrap()
}

fn bundles(env: &Env, hook: &str) -> String {
    let events = env.json(&["hooks", "events", hook]);
    crate::util::ids(&events)
        .iter()
        .map(|id| env.ok(&["hooks", "payload", &id.to_string(), "--bundle"]))
        .collect()
}

fn assert_no_secret(env: &Env, text: &str) {
    for secret in [PASSWORD, API_KEY, GITHUB_SECRET, &STANDARD.encode(PASSWORD)] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    // Nor anywhere in the stored events.
    let rows = env.sql_count(&format!(
        "SELECT count(*) FROM events WHERE instr(headers, '{}') OR instr(query, '{}') \
         OR instr(headers, '{}')",
        STANDARD.encode(PASSWORD),
        API_KEY,
        API_KEY
    ));
    assert_eq!(rows, 0);
}

#[test]
fn verified_credentials_are_replaced_by_a_marker() {
    let env = Env::new();
    connection(&env, "basic", "basic", PASSWORD, &[]);
    connection(
        &env,
        "key",
        "api-key",
        API_KEY,
        &["--header", "X-Sender-Key"],
    );
    connection(&env, "gh", "github", GITHUB_SECRET, &[]);
    let basic = env.hook("b", &["--connection", "basic", "--rate-limit", "0"]);
    let keyed = env.hook("k", &["--connection", "key", "--rate-limit", "0"]);
    let github = env.hook("g", &["--connection", "gh", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let authorization = format!("Basic {}", STANDARD.encode(PASSWORD));
    let body = br#"{"n":1}"#;
    let json = ("Content-Type", "application/json");
    let reply = http(
        server.addr,
        "POST",
        &basic,
        &[json, ("Authorization", &authorization)],
        body,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    // The key in its header, then in the query (`?apikey=`), beside another parameter.
    let reply = http(
        server.addr,
        "POST",
        &keyed,
        &[json, ("X-Sender-Key", API_KEY)],
        body,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let query = format!("{keyed}?a=1&apikey={API_KEY}&b=2");
    let reply = http(server.addr, "POST", &query, &[json], body);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut mac = Hmac::<Sha256>::new_from_slice(GITHUB_SECRET.as_bytes()).unwrap();
    mac.update(body);
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let signature = format!("sha256={signature}");
    let reply = http(
        server.addr,
        "POST",
        &github,
        &[json, ("X-Hub-Signature-256", &signature)],
        body,
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    server.stop();

    let seen = bundles(&env, "b") + &seen_by_command(&env, "b");
    assert_no_secret(&env, &seen);
    assert!(seen.contains("Basic [verified]"), "{seen}");

    let seen = bundles(&env, "k") + &seen_by_command(&env, "k");
    assert_no_secret(&env, &seen);
    assert!(seen.contains(r#""x-sender-key":"[verified]""#), "{seen}");
    assert!(seen.contains("a=1&apikey=[verified]&b=2"), "{seen}");

    // A signature is no secret: a command forwarding the event verifies it again.
    let seen = bundles(&env, "g") + &seen_by_command(&env, "g");
    assert!(seen.contains(&signature), "{seen}");
}

#[test]
fn hooks_send_keeps_a_credential_out_of_the_store_too() {
    let env = Env::new();
    connection(&env, "basic", "basic", PASSWORD, &[]);
    env.hook("b", &["--connection", "basic"]);
    let authorization = format!("Authorization: Basic {}", STANDARD.encode(PASSWORD));
    let id = env.ok(&[
        "hooks",
        "send",
        "b",
        "--data",
        "x",
        "--header",
        &authorization,
    ]);
    let bundle = env.ok(&["hooks", "payload", id.trim(), "--bundle"]);
    assert_no_secret(&env, &bundle);
    assert!(bundle.contains("Basic [removed]"), "{bundle}");
}
