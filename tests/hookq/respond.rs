//! The webhook response (SPEC §6): a scenario answers the request that
//! carried its event.

use std::collections::HashSet;
use std::fs;

use serde_json::{json, Value};

use crate::util::{eventually, http, Env, Gate, ServerProcess};

const JSON: &str = "application/json";

fn scenario(env: &Env, options: &[&str], command: &[&str]) {
    let mut args = vec!["scenario", "create", "s", "--hook", "h"];
    args.extend_from_slice(options);
    args.push("--");
    args.extend_from_slice(command);
    env.ok(&args);
}

#[test]
fn stdout_mode_answers_with_status_headers_and_body() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    scenario(
        &env,
        &[
            "--respond",
            "stdout",
            "--response-status",
            "201",
            "--response-header",
            "X-Hookq: yes",
        ],
        &["sh", "-c", "printf '{\"seen\":%s}' \"$(cat)\""],
    );
    let server = ServerProcess::start(&env, &[]);
    let reply = http(
        server.addr,
        "POST",
        &path,
        &[("Content-Type", JSON)],
        b"[1,2]",
    );
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("X-Hookq"), Some("yes"));
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(&reply.body).unwrap(),
        json!({"seen": [1, 2]})
    );
    // Looked at while the server still runs: done by the time of the answer.
    assert_eq!(
        env.json(&["hooks", "events", "h"])[0]["state"],
        "done",
        "committed before the answer"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn stdout_mode_text_is_text_plain() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    scenario(&env, &["--respond", "stdout"], &["echo", "hello there"]);
    let server = ServerProcess::start(&env, &[]);
    let reply = http(server.addr, "POST", &path, &[], b"x");
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (200, "hello there\n")
    );
    assert_eq!(
        reply.header("Content-Type"),
        Some("text/plain; charset=utf-8")
    );
}

#[test]
fn envelope_mode_answers_a_url_verification_challenge() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let script = r#"body=$(cat); c=${body#*\"challenge\":\"}; c=${c%%\"*}; printf '{"status":200,"headers":{"X-Verified":"1"},"body":{"challenge":"%s"}}' "$c""#;
    scenario(&env, &["--respond", "envelope"], &["sh", "-c", script]);
    let server = ServerProcess::start(&env, &[]);
    let reply = http(
        server.addr,
        "POST",
        &path,
        &[("Content-Type", JSON)],
        br#"{"type":"url_verification","challenge":"3eZbrw1aB"}"#,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("X-Verified"), Some("1"));
    assert_eq!(reply.header("Content-Type"), Some("application/json"));
    assert_eq!(reply.text(), r#"{"challenge":"3eZbrw1aB"}"#);
}

#[test]
fn an_invalid_envelope_or_a_failed_cycle_answers_500_and_keeps_the_event() {
    for (options, command, detail) in [
        (
            &["--respond", "envelope"][..],
            &["echo", "{\"status\": 700}"][..],
            "invalid response envelope: \"status\" must be a number from 200 to 599, not 204, 205 or 304",
        ),
        (
            &["--respond", "envelope"],
            &[
                "sh",
                "-c",
                "printf '{\"status\":200,\"headers\":{\"X\":\"a\\\\r\\\\nSet-Cookie: x\"}}'",
            ],
            "invalid response envelope: header \"X\" has a control character in its value",
        ),
        (
            &["--respond", "stdout"],
            &["sh", "-c", "echo partial; exit 3"],
            "exit status 3",
        ),
    ] {
        let env = Env::new();
        let path = env.hook("h", &["--rate-limit", "0"]);
        scenario(&env, options, command);
        let server = ServerProcess::start(&env, &[]);
        let reply = http(server.addr, "POST", &path, &[], b"x");
        assert_eq!(reply.status, 500, "{command:?}");
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        let event = env.json(&["hooks", "events", "h"])[0].clone();
        assert_eq!(
            body,
            json!({"error": "Scenario failed to complete.", "detail": detail, "event_id": event["id"]})
        );
        assert_eq!(event["state"], "queued", "rolled back");
        assert_eq!(server.terminate(), Some(0));
    }
}

#[test]
fn a_response_timeout_answers_accepted_and_the_event_is_processed_later() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let gate = Gate::new(&env, "gate");
    let out = env.path().join("out");
    let script = format!("{}; cat >> {}", gate.wait_sh(), out.display());
    scenario(
        &env,
        &["--respond", "stdout", "--response-timeout", "300ms"],
        &["sh", "-c", &script],
    );
    let server = ServerProcess::start(&env, &[]);
    let reply = http(server.addr, "POST", &path, &[], b"late");
    assert_eq!((reply.status, reply.text().as_str()), (200, "Accepted"));
    gate.open();
    eventually(60, "the event to be processed after the timeout", || {
        fs::read_to_string(&out).unwrap_or_default() == "late"
    });
}

#[test]
fn twenty_concurrent_callers_each_get_the_answer_for_their_own_event() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    scenario(
        &env,
        &["--respond", "stdout"],
        &["sh", "-c", "printf '%s:%s' \"$HOOKQ_EVENT_ID\" \"$(cat)\""],
    );
    let server = ServerProcess::start(&env, &["--threads", "24"]);
    let addr = server.addr;
    let callers: Vec<_> = (0..20)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let reply = http(addr, "POST", &path, &[], format!("caller-{i}").as_bytes());
                assert_eq!(reply.status, 200);
                let text = reply.text();
                let (id, payload) = text.split_once(':').unwrap();
                assert_eq!(
                    payload,
                    format!("caller-{i}"),
                    "an answer for someone else's event"
                );
                id.parse::<i64>().unwrap()
            })
        })
        .collect();
    let ids: HashSet<i64> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(ids.len(), 20);
    let events = env.json(&["hooks", "events", "h"]);
    let stored: HashSet<i64> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, stored);
}

/// SPEC §4: a stop finishes the cycle in progress and answers the waiting
/// callers: the caller of that cycle with the scenario's answer, after its
/// commit (§6), the others `200 Accepted`, their events staying queued.
#[test]
fn a_shutdown_answers_every_waiting_caller() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let gate = Gate::new(&env, "gate");
    scenario(
        &env,
        &["--respond", "stdout"],
        &["sh", "-c", &format!("{}; echo answered", gate.wait_sh())],
    );
    let server = ServerProcess::start(&env, &[]);
    let addr = server.addr;
    let callers: Vec<_> = (0..3)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || http(addr, "POST", &path, &[], b"x"))
        })
        .collect();
    // Three callers waiting, and the cycle of the first one in progress.
    eventually(60, "the callers to be waiting", || {
        let events = env.json(&["hooks", "events", "h"]);
        let states: Vec<&str> = events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["state"].as_str().unwrap())
            .collect();
        states.len() == 3 && states.contains(&"running")
    });
    server.send("-TERM");
    gate.open(); // the cycle in progress may now finish
    let mut replies: Vec<(u16, String)> = callers
        .into_iter()
        .map(|caller| {
            let reply = caller.join().unwrap();
            (reply.status, reply.text())
        })
        .collect();
    replies.sort();
    let accepted = (200, "Accepted".to_owned());
    let answered = (200, "answered\n".to_owned());
    assert_eq!(replies, [accepted.clone(), accepted, answered]);
    assert_eq!(server.exit_code(60), Some(0));
    let mut states: Vec<String> = env
        .json(&["hooks", "events", "h"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap().to_owned())
        .collect();
    states.sort();
    assert_eq!(states, ["done", "queued", "queued"]);
}

#[test]
fn no_answer_without_an_active_immediately_scenario_in_a_server_that_runs_it() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    scenario(&env, &["--respond", "stdout"], &["echo", "answer"]);
    let accepted = |server: &ServerProcess| http(server.addr, "POST", &path, &[], b"x").text();
    let server = ServerProcess::start(&env, &["--no-scenarios"]);
    assert_eq!(accepted(&server), "Accepted");
    drop(server);
    env.ok(&["scenario", "deactivate", "s"]);
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(accepted(&server), "Accepted");
    drop(server);
    env.ok(&["scenario", "edit", "s", "--schedule", "on-demand"]);
    env.ok(&["scenario", "activate", "s"]);
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(accepted(&server), "Accepted");
    drop(server);
    env.ok(&["scenario", "edit", "s", "--schedule", "immediately"]);
    let server = ServerProcess::start(&env, &[]);
    eventually(60, "the scenario to answer", || {
        accepted(&server) == "answer\n"
    });
}

#[test]
fn invalid_response_settings_are_refused() {
    let env = Env::new();
    env.hook("h", &[]);
    for (args, message) in [
        (&["--respond", "json"][..], "invalid response mode"),
        (
            &["--respond", "stdout", "--response-status", "99"],
            "invalid HTTP status",
        ),
        (
            &["--respond", "stdout", "--response-status", "600"],
            "invalid HTTP status",
        ),
        (
            &["--respond", "stdout", "--response-header", "Bad Name: x"],
            "invalid header",
        ),
        (
            &[
                "--respond",
                "stdout",
                "--response-header",
                "X-A: a\r\nSet-Cookie: y",
            ],
            "control character",
        ),
        (
            &["--respond", "stdout", "--response-timeout", "soon"],
            "invalid duration",
        ),
    ] {
        let mut full = vec!["scenario", "create", "s", "--hook", "h"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--", "true"]);
        let err = env.fails(&full, 2);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--respond",
        "envelope",
        "--response-timeout",
        "30s",
        "--",
        "true",
    ]);
    assert_eq!(env.json(&["scenario", "show", "s"])["respond"], "envelope");
    env.ok(&["scenario", "edit", "s", "--no-respond"]);
    assert_eq!(env.json(&["scenario", "show", "s"])["respond"], Value::Null);
}

#[test]
fn callers_waiting_on_a_scenario_that_its_error_policy_switched_off_are_answered_at_once() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let gate = crate::util::Gate::new(&env, "gate");
    // The first cycle fails once the gate opens: the `immediately` scenario
    // is switched off (SPEC §5), and the second event will not run.
    scenario(
        &env,
        &["--respond", "stdout", "--response-timeout", "1h"],
        &["sh", "-c", &format!("{}; exit 1", gate.wait_sh())],
    );
    let server = ServerProcess::start(&env, &[]);
    let post = |body: &'static [u8]| {
        let (addr, path) = (server.addr, path.clone());
        std::thread::spawn(move || http(addr, "POST", &path, &[("Content-Type", JSON)], body))
    };
    let first = post(b"1");
    eventually(60, "the first cycle to start", || {
        env.sql_count("SELECT COUNT(*) FROM events WHERE state = 'running'") == 1
    });
    let second = post(b"2");
    eventually(60, "the second event to be queued", || {
        env.sql_count("SELECT COUNT(*) FROM events WHERE state = 'queued'") == 1
    });
    gate.open();
    assert_eq!(first.join().unwrap().status, 500);
    // Well before its hour: the http helper gives up after 60 s.
    let second = second.join().unwrap();
    assert_eq!((second.status, second.text().as_str()), (200, "Accepted"));
    assert_eq!(env.json(&["scenario", "show", "s"])["active"], false);
    // Both wait in the queue: the failed one rolled back, the other unrun.
    assert_eq!(
        env.sql_count("SELECT COUNT(*) FROM events WHERE state = 'queued'"),
        2
    );
}

/// A scenario switched off by hand while its cycle runs: that cycle still
/// commits, so its caller still gets the scenario's answer, not a
/// `200 Accepted` that would say the event stays queued.
#[test]
fn a_cycle_under_way_when_its_scenario_is_switched_off_still_answers_its_caller() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let gate = crate::util::Gate::new(&env, "gate");
    scenario(
        &env,
        &["--respond", "stdout", "--response-timeout", "1h"],
        &["sh", "-c", &format!("{}; echo ran", gate.wait_sh())],
    );
    let server = ServerProcess::start(&env, &[]);
    let caller = {
        let (addr, path) = (server.addr, path.clone());
        std::thread::spawn(move || http(addr, "POST", &path, &[], b"x"))
    };
    eventually(60, "the cycle to start", || {
        env.sql_count("SELECT COUNT(*) FROM events WHERE state = 'running'") == 1
    });
    env.ok(&["scenario", "deactivate", "s"]);
    // A hook created after it: once the server serves it, the server has
    // also seen the deactivation, and decided about the waiting caller.
    let probe = env.hook("probe", &["--rate-limit", "0"]);
    eventually(60, "the server to reload", || {
        http(server.addr, "POST", &probe, &[], b"").status == 200
    });
    gate.open();
    let reply = caller.join().unwrap();
    assert_eq!((reply.status, reply.text().as_str()), (200, "ran\n"));
    assert_eq!(
        env.sql_count("SELECT COUNT(*) FROM events WHERE state = 'done'"),
        1
    );
}

/// A cycle that outlasts the stop's grace period: its caller still gets
/// the scenario's answer once the cycle ends (the server waits for the
/// cycle anyway), not a `200 Accepted` that would say its event stays
/// queued.
#[test]
fn a_stop_waits_for_the_answer_of_a_cycle_that_outlasts_the_grace_period() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    scenario(
        &env,
        &["--respond", "stdout", "--response-timeout", "1h"],
        &["true"],
    );
    // The server's side of the scenarios, with the test as the worker: it
    // runs the hook's scenario until told otherwise, and answers by hand.
    let working = Arc::new(AtomicBool::new(true));
    let asked = Arc::new(AtomicUsize::new(0));
    let waiters = Arc::new(hookq::server::Waiters::new());
    /// Tells no scenario of the events it stores: the test answers them.
    struct Nobody;
    impl hookq::server::Wake for Nobody {
        fn hold(&self, _: &[i64]) -> Vec<hookq::store::Lingering> {
            Vec::new()
        }
        fn hand(&self, _: i64, _: Option<(hookq::store::Scenario, hookq::store::Started)>) {}
        fn synced(&self) {}
        fn notify(&self, _: i64) {}
    }
    let link = hookq::server::Scenarios {
        wake: Arc::new(Nobody),
        waiters: waiters.clone(),
        running: {
            let (working, asked) = (working.clone(), asked.clone());
            Arc::new(move |_| {
                asked.fetch_add(1, SeqCst);
                working.load(SeqCst)
            })
        },
    };
    let config = hookq::server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        threads: 2,
        max_connections: None,
        max_body_in_flight: hookq::server::Config::MAX_BODY_IN_FLIGHT,
        metrics: false,
        quiet: true,
        trust_proxy: false,
        max_db_size: None,
        grace: std::time::Duration::ZERO,
    };
    let shutdown = Arc::new(hookq::shutdown::Shutdown::default());
    let server = hookq::server::start(&env.location(), config, shutdown, Some(link)).unwrap();
    let addr = server.addr();
    let caller = std::thread::spawn(move || http(addr, "POST", &path, &[], b"x"));
    eventually(60, "the event to be stored", || {
        env.sql_count("SELECT COUNT(*) FROM events") == 1
    });
    let event = env.sql_count("SELECT id FROM events");
    let stopping = std::thread::spawn(move || server.stop());
    // The stop asks, each time round, whether the cycle is still under way:
    // a few times round means well past its (zero) grace period.
    let before = asked.load(SeqCst);
    eventually(60, "the stop to go round a few times", || {
        asked.load(SeqCst) >= before + 4
    });
    waiters.complete(event, true, b"answered", None, None);
    working.store(false, SeqCst);
    let reply = caller.join().unwrap();
    assert_eq!((reply.status, reply.text().as_str()), (200, "answered"));
    stopping.join().unwrap().unwrap();
}
