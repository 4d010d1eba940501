//! The server and `hooks send` judge a request by the same rules (SPEC §4,
//! one module): for each request that breaks several rules at once, the
//! HTTP status and the exit code of `hooks send` name the same rule.

use crate::util::{http, Env, TestServer};

/// The exit code of `hooks send` for the rule behind each HTTP status: a
/// request the user can fix is a usage error, a state of the hook a refusal.
fn exit_code_for(status: u16) -> i32 {
    match status {
        200 => 0,
        400 | 405 | 413 => 2,
        410 | 503 => 3,
        other => panic!("hooks send has no answer for {other}"),
    }
}

#[test]
fn the_server_and_hooks_send_answer_alike() {
    let env = Env::new();
    // A full queue and a body that is not JSON: the two once disagreed here.
    let full = env.hook("full", &["--queue-limit", "1", "--rate-limit", "0"]);
    env.send("full", "{}");
    let disabled = env.hook("off", &["--method", "PUT", "--rate-limit", "0"]);
    env.ok(&["hooks", "disable", "off"]);
    let small = env.hook(
        "small",
        &[
            "--max-body",
            "4",
            "--queue-limit",
            "1",
            "--method",
            "PUT",
            "--rate-limit",
            "0",
        ],
    );
    env.ok(&["hooks", "send", "small", "--method", "PUT", "--data", "{}"]);
    let open = env.hook("open", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let not_json = "{not json";
    let cases: [(&str, &str, &str, &str, u16); 8] = [
        ("full", &full, "POST", not_json, 503),
        ("full", &full, "POST", "{}", 503),
        ("off", &disabled, "POST", not_json, 410),
        ("small", &small, "POST", "{\"much\":\"too long\"}", 405),
        ("small", &small, "PUT", "{\"much\":\"too long\"}", 413),
        ("small", &small, "PUT", "{", 503),
        ("open", &open, "POST", not_json, 400),
        ("open", &open, "POST", "{}", 200),
    ];
    for (hook, path, method, body, status) in cases {
        let reply = http(
            server.addr,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        assert_eq!(reply.status, status, "server: {hook} {method} {body:?}");
        let out = env.run(&[
            "hooks",
            "send",
            hook,
            "--method",
            method,
            "--content-type",
            "application/json",
            "--data",
            body,
        ]);
        assert_eq!(
            out.status.code(),
            Some(exit_code_for(status)),
            "hooks send {hook} {method} {body:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    server.stop();
}
