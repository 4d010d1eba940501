//! Inspecting (SPEC §8): events, operations, payloads, send, discard, and
//! the developer loop they make with replay (replay itself: replay.rs).

use std::io::Write;
use std::process::Stdio;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::{json, Value};

use crate::util::{http, ids, Env, TestServer};

#[test]
fn the_developer_loop_fail_discard_fix_replay() {
    let env = Env::new();
    let path = env.hook("orders", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    for n in 1..=3 {
        let body = format!("{{\"n\":{n}}}");
        assert_eq!(
            http(
                server.addr,
                "POST",
                &path,
                &[("Content-Type", "application/json")],
                body.as_bytes()
            )
            .status,
            200
        );
    }
    server.stop();
    // The scenario chokes on n = 2.
    let fixed = env.path().join("fixed");
    let script = format!(
        "grep -q '\"n\":2' && [ ! -e {} ] && exit 7; exit 0",
        fixed.display()
    );
    env.ok(&[
        "scenario",
        "create",
        "import",
        "--hook",
        "orders",
        "--schedule",
        "on-demand",
        "--max-cycles",
        "10",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    let run = env.run(&["scenario", "run", "import"]);
    assert_eq!(run.status.code(), Some(1));
    let events = env.json(&["hooks", "events", "orders"]);
    let states: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["queued", "queued", "done"],
        "newest first; the failed one is back in the queue"
    );
    let failed = ids(&events)[1];
    let errors = env.json(&["hooks", "ops", "orders", "--status", "error"]);
    assert_eq!(errors[0]["event_id"], failed);
    assert_eq!(errors[0]["exit_code"], 7);
    assert_eq!(errors[0]["error"], "exit status 7");

    // The developer sets it aside, lets the rest through, fixes, replays it.
    env.ok(&["hooks", "discard", &failed.to_string()]);
    assert_eq!(
        env.run(&["scenario", "run", "import"]).status.code(),
        Some(0)
    );
    std::fs::write(&fixed, "").unwrap();
    let copy: i64 = env
        .ok(&["hooks", "replay", "orders", "--event", &failed.to_string()])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        env.run(&["scenario", "run", "import"]).status.code(),
        Some(0)
    );
    let copy_event = &env.json(&["hooks", "events", "orders", "--limit", "1"])[0];
    assert_eq!(
        (copy_event["id"].as_i64(), copy_event["replay_of"].as_i64()),
        (Some(copy), Some(failed))
    );
    assert_eq!(copy_event["state"], "done");
    // The operations show both attempts at the same payload.
    let ops = env.json(&["hooks", "ops", "orders"]);
    let on: Vec<(i64, &str)> = ops
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["event_id"].as_i64().unwrap(),
                o["status"].as_str().unwrap(),
            )
        })
        .filter(|(e, _)| *e == failed || *e == copy)
        .collect();
    assert_eq!(on, [(copy, "ok"), (failed, "error")]);
    assert_eq!(env.json(&["hooks", "show", "orders"])["queue"], 0);
}

#[test]
fn binary_payloads_round_trip_byte_for_byte() {
    let env = Env::new();
    let path = env.hook("bin", &["--rate-limit", "0"]);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let file = env.path().join("body.bin");
    std::fs::write(&file, &bytes).unwrap();
    let sent = env.send("bin", &format!("@{}", file.display()));
    assert_eq!(
        env.run(&["hooks", "payload", &sent.to_string()]).stdout,
        bytes
    );

    let mut child = env
        .cmd(&[
            "hooks",
            "send",
            "bin",
            "--data",
            "@-",
            "--content-type",
            "application/octet-stream",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let piped: i64 = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        env.run(&["hooks", "payload", &piped.to_string()]).stdout,
        bytes
    );

    let server = TestServer::start(&env);
    assert_eq!(
        http(
            server.addr,
            "POST",
            &path,
            &[("Content-Type", "application/octet-stream")],
            &bytes
        )
        .status,
        200
    );
    server.stop();
    let received = ids(&env.json(&["hooks", "events", "bin", "--limit", "1"]))[0];
    assert_eq!(
        env.run(&["hooks", "payload", &received.to_string()]).stdout,
        bytes
    );
    let bundle: Value = serde_json::from_slice(
        &env.run(&["hooks", "payload", &received.to_string(), "--bundle"])
            .stdout,
    )
    .unwrap();
    assert_eq!(bundle["body_encoding"], "base64");
    assert_eq!(bundle["event_id"], received);
    let body = STANDARD
        .decode(bundle["body"].as_str().expect("a base64 string"))
        .expect("valid base64");
    assert_eq!(body, bytes, "the bundle carries the bytes sent");
}

#[test]
fn events_filters_and_fields() {
    let mut env = Env::new();
    env.hook("h", &[]);
    env.at("2026-11-01T00:00:00Z");
    let a = env.send("h", "a");
    env.at("2026-11-02T00:00:00Z");
    let b = env.send("h", "b");
    env.at("2026-11-03T00:00:00Z");
    let c = env.send("h", "c");
    env.ok(&["hooks", "discard", &b.to_string()]);
    // One cycle: a, the oldest still queued, is done.
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--",
        "true",
    ]);
    env.ok(&["scenario", "run", "s", "--max-cycles", "1"]);
    assert_eq!(ids(&env.json(&["hooks", "events", "h"])), [c, b, a]);
    assert_eq!(
        ids(&env.json(&["hooks", "events", "h", "--state", "discarded"])),
        [b]
    );
    assert_eq!(
        ids(&env.json(&["hooks", "events", "h", "--state", "done"])),
        [a]
    );
    assert_eq!(
        ids(&env.json(&[
            "hooks",
            "events",
            "h",
            "--state",
            "queued",
            "--state",
            "discarded"
        ])),
        [c, b],
        "either state, not the done one"
    );
    assert_eq!(
        ids(&env.json(&["hooks", "events", "h", "--since", "2026-11-02T00:00:00Z"])),
        [c, b]
    );
    assert_eq!(
        ids(&env.json(&["hooks", "events", "h", "--until", "2026-11-01T12:00:00Z"])),
        [a]
    );
    assert_eq!(
        ids(&env.json(&["hooks", "events", "h", "--limit", "1"])),
        [c]
    );
    let event = &env.json(&["hooks", "events", "h", "--limit", "1"])[0];
    assert_eq!(
        *event,
        json!({"id": c, "hook": "h", "state": "queued", "received_at": "2026-11-03T00:00:00Z",
               "method": "POST", "content_type": null, "size": 1, "attempts": 0,
               "replay_of": null, "payload_available": true})
    );
    env.fails(&["hooks", "events", "h", "--state", "lost"], 2);
    env.fails(&["hooks", "events", "h", "--since", "yesterday"], 2);
    env.fails(&["hooks", "events", "nope"], 3);
    let table = env.ok(&["hooks", "events", "h"]);
    assert!(table.lines().next().unwrap().starts_with("ID"), "{table}");
    assert!(table.contains("discarded"), "{table}");
}

#[test]
fn ops_show_each_cycle_and_its_output() {
    let env = Env::new();
    env.hook("h", &[]);
    let good = env.send("h", "good");
    let bad = env.send("h", "bad");
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--max-cycles",
        "5",
        "--store-incomplete",
        "--",
        "sh",
        "-c",
        "read x; echo \"out $x\"; echo \"err $x\" >&2; [ \"$x\" = good ]",
    ]);
    assert_eq!(
        env.run(&["scenario", "run", "s"]).status.code(),
        Some(1),
        "a cycle failed"
    );
    let ops = env.json(&["hooks", "ops", "h"]);
    assert_eq!(ops.as_array().unwrap().len(), 2);
    let mut keys: Vec<&str> = ops[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "duration_ms",
            "error",
            "event_id",
            "exit_code",
            "id",
            "run_id",
            "scenario",
            "started_at",
            "status"
        ]
    );
    assert_eq!(
        ids(&env.json(&["hooks", "ops", "h", "--status", "ok"])).len(),
        1
    );
    let of_bad = env.json(&["hooks", "ops", "h", "--event", &bad.to_string(), "--output"]);
    assert_eq!(of_bad[0]["stdout"], "out bad\n");
    assert_eq!(of_bad[0]["stderr"], "err bad\n");
    let text = env.ok(&[
        "hooks",
        "ops",
        "h",
        "--event",
        &good.to_string(),
        "--output",
    ]);
    assert!(
        text.contains("-- stdout\nout good\n-- stderr\nerr good\n"),
        "{text}"
    );
    assert_eq!(env.state(bad), "incomplete");
}

#[test]
fn send_goes_through_the_checks_of_the_server_but_network_ones() {
    let env = Env::new();
    env.ok(&[
        "connections",
        "create",
        "c",
        "--kind",
        "api-key",
        "--generate",
    ]);
    env.hook(
        "h",
        &[
            "--max-body",
            "8",
            "--method",
            "POST",
            "--queue-limit",
            "2",
            "--allow-ip",
            "10.0.0.0/8",
            "--rate-limit",
            "1",
            "--connection",
            "c",
        ],
    );
    // Auth, address and rate limit are network checks: send skips them.
    let id = env.send("h", "12345678");
    let event = &env.json(&["hooks", "events", "h"])[0];
    assert_eq!(
        (event["id"].as_i64(), event["method"].clone()),
        (Some(id), json!("POST"))
    );
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["hooks", "send", "h", "--data", "123456789"],
            2,
            "larger than hook",
        ),
        (
            &["hooks", "send", "h", "--method", "GET"],
            2,
            "does not accept GET",
        ),
        (
            &[
                "hooks",
                "send",
                "h",
                "--data",
                "{",
                "--content-type",
                "application/json",
            ],
            2,
            "invalid JSON body",
        ),
        (
            &["hooks", "send", "h", "--header", "no colon"],
            2,
            "invalid header",
        ),
        (
            &["hooks", "send", "h", "--data", "@/no/such/file"],
            2,
            "could not read /no/such/file",
        ),
        (&["hooks", "send", "nope"], 3, "no hook named"),
    ];
    for (args, code, message) in cases {
        let err = env.fails(args, *code);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    env.send("h", "2");
    let err = env.fails(&["hooks", "send", "h", "--data", "3"], 3);
    assert!(
        err.contains("queue of hook \"h\" is full (2 events)"),
        "{err}"
    );
    // In the server's order: a full queue (503) before bad JSON (400).
    let json = ["--content-type", "application/json"];
    let err = env.fails(
        &[&["hooks", "send", "h", "--data", "{"][..], &json].concat(),
        3,
    );
    assert!(err.contains("is full"), "{err}");
    env.ok(&["hooks", "disable", "h"]);
    let err = env.fails(&["hooks", "send", "h"], 3);
    assert!(err.contains("is disabled"), "{err}");
    assert_eq!(env.json(&["hooks", "show", "h"])["queue"], 2);
}

#[test]
fn send_keeps_headers_and_content_type() {
    let env = Env::new();
    env.hook("h", &[]);
    let id = env
        .ok(&[
            "hooks",
            "send",
            "h",
            "--data",
            "{\"a\":1}",
            "--header",
            "X-GitHub-Event: push",
            "--content-type",
            "application/json",
            "--method",
            "put",
        ])
        .trim()
        .to_owned();
    let bundle: Value =
        serde_json::from_slice(&env.run(&["hooks", "payload", &id, "--bundle"]).stdout).unwrap();
    assert_eq!(bundle["method"], "PUT");
    assert_eq!(bundle["headers"]["x-github-event"], "push");
    assert_eq!(bundle["body"], json!({"a": 1}));
}

#[test]
fn discard_takes_only_queued_or_incomplete_events_all_or_nothing() {
    let env = Env::new();
    env.hook("h", &[]);
    let done = env.send("h", "good");
    let incomplete = env.send("h", "bad");
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--max-cycles",
        "10",
        "--store-incomplete",
        "--",
        "sh",
        "-c",
        "read x; [ \"$x\" = good ]",
    ]);
    env.fails(&["scenario", "run", "s"], 1);
    assert_eq!(
        (env.state(done), env.state(incomplete)),
        ("done".to_owned(), "incomplete".to_owned())
    );
    let queued = env.send("h", "good");
    for with_done in [[queued, incomplete, done], [incomplete, done, queued]] {
        let args: Vec<String> = with_done.iter().map(i64::to_string).collect();
        let mut argv = vec!["hooks", "discard"];
        argv.extend(args.iter().map(String::as_str));
        let err = env.fails(&argv, 3);
        assert!(err.contains(&format!("event {done} is done")), "{err}");
        assert_eq!(
            (env.state(queued), env.state(incomplete)),
            ("queued".to_owned(), "incomplete".to_owned()),
            "nothing changed"
        );
    }
    env.fails(&["hooks", "discard", "999"], 3);
    env.ok(&[
        "hooks",
        "discard",
        &queued.to_string(),
        &incomplete.to_string(),
    ]);
    assert_eq!(env.state(queued), "discarded");
    assert_eq!(env.state(incomplete), "discarded");
    assert_eq!(
        ids(&env.json(&["hooks", "events", "h", "--state", "discarded"])),
        [queued, incomplete],
        "kept in history"
    );
    assert_eq!(
        env.json(&["hooks", "events", "h", "--state", "incomplete"]),
        json!([])
    );
    assert_eq!(env.json(&["hooks", "show", "h"])["queue"], 0);
    // Discarded twice is refused: it is no longer queued or incomplete.
    let err = env.fails(&["hooks", "discard", &incomplete.to_string()], 3);
    assert!(
        err.contains(&format!("event {incomplete} is discarded")),
        "{err}"
    );
    env.fails(&["hooks", "replay", "h"], 2);
}

/// `hooks payload --bundle` is how a user sees what a scenario command
/// read: for every kind of body, and with `--json-passthrough`, the two
/// must be the same JSON (only the layout differs).
#[test]
fn payload_bundle_is_what_the_command_read() {
    let env = Env::new();
    let read = env.path().join("read");
    std::fs::create_dir(&read).unwrap();
    let multipart = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\x00\xff\xfe\r\n--XyZ--\r\n";
    let bodies: [(Option<&str>, &[u8]); 6] = [
        (
            Some("application/json"),
            br#"{"ref":"main","n":[1,2.5,null]}"#,
        ),
        (
            Some("application/x-www-form-urlencoded"),
            b"a=1&a=2&b=caf%C3%A9+x",
        ),
        (Some("multipart/form-data; boundary=XyZ"), multipart),
        (Some("application/octet-stream"), &[0, 159, 146, 150, 255]),
        (Some("text/plain"), "héllo".as_bytes()),
        (None, b""),
    ];
    let mut events = Vec::new();
    for (hook, options) in [("parsed", &[][..]), ("text", &["--json-passthrough"][..])] {
        env.hook(hook, options);
        env.ok(&[
            "scenario",
            "create",
            &format!("s-{hook}"),
            "--hook",
            hook,
            "--input",
            "bundle",
            "--schedule",
            "on-demand",
            "--",
            "sh",
            "-c",
            &format!("cat > '{}'/$HOOKQ_EVENT_ID", read.display()),
        ]);
        for (content_type, body) in bodies {
            events.push(env.enqueue(hook, content_type, "q=1&q=2&x=%2F", body));
        }
        env.ok(&[
            "scenario",
            "run",
            &format!("s-{hook}"),
            "--max-cycles",
            "10",
        ]);
    }
    for id in events {
        let stdin = std::fs::read(read.join(id.to_string())).expect("the command ran");
        let stdin: Value = serde_json::from_slice(&stdin).expect("the command read JSON");
        let shown = env.run(&["hooks", "payload", &id.to_string(), "--bundle"]);
        assert!(shown.status.success());
        let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(stdin, shown, "event {id}");
        assert_eq!(stdin["event_id"], id);
    }
}
