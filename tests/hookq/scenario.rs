//! Scenarios (SPEC §5): order, commit and rollback, error policies, the
//! command's input and environment, and the scenario commands. One
//! execution at a time: executions.rs; the server running them:
//! scheduling.rs.

use std::fs;
use std::path::Path;

use serde_json::{json, Value};

use crate::util::Env;

/// A command that appends its event id to `log` and fails for `fail_on`.
pub(crate) fn recorder(log: &Path, fail_on: &str) -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        format!(
            "echo \"$HOOKQ_EVENT_ID $HOOKQ_ATTEMPT\" >> {}; [ \"$HOOKQ_EVENT_ID\" != '{fail_on}' ]",
            log.display()
        ),
    ]
}

pub(crate) fn create(env: &Env, name: &str, hook: &str, options: &[&str], command: &[String]) {
    let mut args = vec!["scenario", "create", name, "--hook", hook];
    args.extend_from_slice(options);
    args.push("--");
    args.extend(command.iter().map(String::as_str));
    env.ok(&args);
}

pub(crate) fn log_lines(log: &Path) -> Vec<String> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `scenario run NAME --json EXTRA`, which must exit with `code` within two
/// minutes (a command that outlives its timeout fails the test, not hangs it).
pub(crate) fn run_json(env: &Env, name: &str, extra: &[&str], code: i32) -> Value {
    let mut args = vec!["scenario", "run", name, "--json"];
    args.extend_from_slice(extra);
    let out = env.run_within(120, &args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn two_hundred_events_are_processed_strictly_in_arrival_order() {
    let env = Env::new();
    env.hook("h", &[]);
    let log = env.path().join("log");
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand"],
        &recorder(&log, "none"),
    );
    let ids: Vec<i64> = (0..200)
        .map(|i| env.enqueue("h", None, "", format!("{i}").as_bytes()))
        .collect();
    let record = run_json(&env, "s", &["--max-cycles", "1000"], 0);
    assert_eq!(record["cycles"], 200);
    assert_eq!(record["status"], "ok");
    assert_eq!(record["trigger"], "manual");
    let seen: Vec<i64> = log_lines(&log)
        .iter()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(seen, ids);
    assert_eq!(env.json(&["hooks", "show", "h"])["queue"], 0);
    assert_eq!(env.json(&["hooks", "show", "h"])["operations"], 200);
}

#[test]
fn a_failed_cycle_rolls_back_to_the_head_of_the_queue_and_stops() {
    let env = Env::new();
    env.hook("h", &[]);
    let log = env.path().join("log");
    let ids: Vec<i64> = (0..3).map(|i| env.enqueue("h", None, "", &[i])).collect();
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand", "--max-cycles", "10"],
        &recorder(&log, &ids[1].to_string()),
    );
    let record = run_json(&env, "s", &[], 1);
    assert_eq!(record["status"], "error");
    assert_eq!(record["cycles"], 2, "stopped after the failed cycle");
    assert_eq!(record["error"], format!("event {}: exit status 1", ids[1]));
    assert_eq!(env.state(ids[0]), "done");
    assert_eq!(env.state(ids[1]), "queued");
    assert_eq!(env.state(ids[2]), "queued");
    let attempts = |id: i64| env.sql_count(&format!("SELECT attempts FROM events WHERE id = {id}"));
    assert_eq!(attempts(ids[2]), 0, "taken ahead, put back uncounted");
    // The next run starts with the same event, its second attempt.
    run_json(&env, "s", &[], 1);
    let lines = log_lines(&log);
    assert_eq!(
        lines,
        [
            format!("{} 1", ids[0]),
            format!("{} 1", ids[1]),
            format!("{} 2", ids[1])
        ]
    );
    // Exit 1 says why on stderr, in the one-line form of every error.
    let err = env.fails(&["scenario", "run", "s"], 1);
    assert_eq!(
        err.trim(),
        format!(
            "hookq: scenario s: execution 3 failed: event {}: exit status 1",
            ids[1]
        )
    );
}

#[test]
fn store_incomplete_sets_failed_events_aside_and_goes_on() {
    let env = Env::new();
    env.hook("h", &[]);
    let log = env.path().join("log");
    let ids: Vec<i64> = (0..3).map(|i| env.enqueue("h", None, "", &[i])).collect();
    create(
        &env,
        "s",
        "h",
        &[
            "--schedule",
            "on-demand",
            "--max-cycles",
            "10",
            "--store-incomplete",
        ],
        &recorder(&log, &ids[1].to_string()),
    );
    let record = run_json(&env, "s", &[], 1);
    assert_eq!(record["cycles"], 3);
    assert_eq!(record["status"], "error");
    assert_eq!(
        [env.state(ids[0]), env.state(ids[1]), env.state(ids[2])],
        ["done", "incomplete", "done"]
    );
}

#[test]
fn an_immediately_scenario_is_deactivated_at_its_first_error() {
    let mut env = Env::new();
    env.at("2026-11-29T12:00:00Z");
    env.hook("h", &[]);
    env.enqueue("h", None, "", b"x");
    create(&env, "s", "h", &[], &["false".to_owned()]);
    run_json(&env, "s", &[], 1);
    let scenario = env.json(&["scenario", "show", "s"]);
    assert_eq!(scenario["active"], false);
    assert_eq!(scenario["inactive_since"], "2026-11-29T12:00:00Z");
    // A cron job now stops: inactive is refused, unless forced.
    let err = env.fails(&["scenario", "run", "s"], 3);
    assert!(err.contains("scenario \"s\" is inactive"), "{err}");
    assert!(err.contains("--force"), "{err}");
    run_json(&env, "s", &["--force"], 1);
    assert_eq!(
        env.json(&["hooks", "show", "h"])["queue"],
        1,
        "the event is not lost"
    );
}

#[test]
fn scheduled_scenarios_are_deactivated_after_max_errors_in_a_row_and_success_resets() {
    let env = Env::new();
    env.hook("h", &[]);
    let flag = env.path().join("fail");
    let command = vec![
        "sh".into(),
        "-c".into(),
        format!("[ ! -e {} ]", flag.display()),
    ];
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand", "--max-errors", "2"],
        &command,
    );
    let errors = |env: &Env| {
        env.json(&["scenario", "show", "s"])["consecutive_errors"]
            .as_i64()
            .unwrap()
    };

    fs::write(&flag, "").unwrap();
    let failed = env.enqueue("h", None, "", b"1");
    run_json(&env, "s", &[], 1);
    assert_eq!(errors(&env), 1);
    // An empty execution changes nothing: the count stays.
    env.ok(&["hooks", "discard", &failed.to_string()]);
    let empty = run_json(&env, "s", &[], 0);
    assert_eq!(empty["status"], "empty");
    assert_eq!(errors(&env), 1);
    // A success resets the count.
    fs::remove_file(&flag).unwrap();
    env.enqueue("h", None, "", b"ok");
    assert_eq!(run_json(&env, "s", &[], 0)["status"], "ok");
    assert_eq!(errors(&env), 0);

    fs::write(&flag, "").unwrap();
    env.enqueue("h", None, "", b"2");
    run_json(&env, "s", &[], 1);
    assert_eq!(env.json(&["scenario", "show", "s"])["active"], true);
    run_json(&env, "s", &[], 1);
    let scenario = env.json(&["scenario", "show", "s"]);
    assert_eq!(
        (
            scenario["active"].clone(),
            scenario["consecutive_errors"].clone()
        ),
        (json!(false), json!(2))
    );
    env.ok(&["scenario", "activate", "s"]);
    assert_eq!(errors(&env), 0, "activation forgets the errors");
}

#[test]
fn an_immediately_execution_processes_at_most_100_events() {
    let env = Env::new();
    env.hook("h", &[]);
    for i in 0..150u8 {
        env.enqueue("h", None, "", &[i]);
    }
    create(&env, "s", "h", &[], &["true".to_owned()]);
    assert_eq!(run_json(&env, "s", &[], 0)["cycles"], 100);
    assert_eq!(run_json(&env, "s", &[], 0)["cycles"], 50);
    assert_eq!(run_json(&env, "s", &[], 0)["status"], "empty");
}

#[test]
fn max_cycles_limits_an_execution() {
    let env = Env::new();
    env.hook("h", &[]);
    for i in 0..5u8 {
        env.enqueue("h", None, "", &[i]);
    }
    create(
        &env,
        "s",
        "h",
        &["--schedule", "1h", "--max-cycles", "2"],
        &["true".to_owned()],
    );
    assert_eq!(run_json(&env, "s", &[], 0)["cycles"], 2);
    assert_eq!(run_json(&env, "s", &["--max-cycles", "10"], 0)["cycles"], 3);
}

#[test]
fn a_timeout_fails_the_cycle_and_keeps_the_event() {
    let env = Env::new();
    env.hook("h", &[]);
    let event = env.enqueue("h", None, "", b"x");
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand", "--timeout", "300ms"],
        &["sleep".into(), "600".into()],
    );
    let record = run_json(&env, "s", &[], 1);
    assert_eq!(
        record["error"],
        format!("event {event}: timed out after 300ms")
    );
    assert_eq!(env.state(event), "queued");
}

#[test]
fn a_missing_command_fails_the_cycle_without_losing_the_event() {
    let env = Env::new();
    env.hook("h", &[]);
    let event = env.enqueue("h", None, "", b"x");
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand"],
        &["/no/such/program".into()],
    );
    let record = run_json(&env, "s", &[], 1);
    assert_eq!(
        record["error"],
        format!("event {event}: command not found: /no/such/program")
    );
    assert_eq!(env.state(event), "queued");
    let row = env.row("SELECT status, error FROM operations");
    let (status, error) = (row[0].text(), row[1].text());
    assert_eq!(
        (status.as_str(), error.as_str()),
        ("error", "command not found: /no/such/program")
    );
}

/// A command named without a `/` is looked up in PATH (by hookq, when the
/// command is prepared): one that is not there, or only as a file that
/// cannot be executed, fails its cycle by its name, as when the child
/// searched PATH itself.
#[test]
fn a_command_missing_from_the_path_or_not_executable_fails_by_its_name() {
    let env = Env::new();
    env.hook("h", &[]);
    let event = env.enqueue("h", None, "", b"x");
    let program = "hookq-test-program";
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand"],
        &[program.into()],
    );
    let bin = env.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let run = |expected: String| {
        let out = env
            .cmd(&["scenario", "run", "s", "--json"])
            .env("PATH", &bin)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let record: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(record["error"], format!("event {event}: {expected}"));
        assert_eq!(env.state(event), "queued");
    };
    run(format!("command not found: {program}"));
    // Mode 0644: found, but not executable.
    fs::write(bin.join(program), "#!/bin/sh\n").unwrap();
    run(format!("command not executable: {program}"));
}

#[test]
fn payloads_are_never_executed() {
    let env = Env::new();
    env.hook("h", &[]);
    let pwned = env.path().join("pwned");
    let body = format!("$(touch {p}) `touch {p}` ; touch {p}", p = pwned.display());
    env.enqueue(
        "h",
        Some("text/plain"),
        &format!("x=$(touch%20{})", pwned.display()),
        body.as_bytes(),
    );
    let out = env.path().join("out");
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand"],
        &[
            "sh".into(),
            "-c".into(),
            format!(
                "cat > {}; echo \"$HOOKQ_QUERY\" >> {}",
                out.display(),
                out.display()
            ),
        ],
    );
    run_json(&env, "s", &[], 0);
    assert!(fs::read_to_string(&out).unwrap().starts_with(&body));
    assert!(!pwned.exists(), "a payload was executed");
}

#[test]
fn the_command_gets_the_environment_of_the_spec() {
    let mut env = Env::new();
    env.at("2026-11-29T12:00:00Z");
    env.hook("h", &[]);
    let event = env.enqueue("h", Some("application/json"), "a=1&b=2", br#"{"k":"v"}"#);
    let out = env.path().join("env");
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand"],
        &[
            "sh".into(),
            "-c".into(),
            format!("env | grep ^HOOKQ_ | sort > {}", out.display()),
        ],
    );
    run_json(&env, "s", &[], 0);
    let vars: std::collections::HashMap<String, String> = fs::read_to_string(&out)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(vars["HOOKQ_EVENT_ID"], event.to_string());
    assert_eq!(vars["HOOKQ_HOOK"], "h");
    assert_eq!(vars["HOOKQ_SCENARIO"], "s");
    assert_eq!(vars["HOOKQ_METHOD"], "POST");
    assert_eq!(vars["HOOKQ_QUERY"], "a=1&b=2");
    assert_eq!(vars["HOOKQ_CONTENT_TYPE"], "application/json");
    assert_eq!(vars["HOOKQ_RECEIVED_AT"], "2026-11-29T12:00:00Z");
    assert_eq!(vars["HOOKQ_ATTEMPT"], "1");
    assert_eq!(vars["HOOKQ_CYCLE"], "1");
    let headers: Value = serde_json::from_str(&vars["HOOKQ_HEADERS"]).unwrap();
    assert_eq!(headers["x-test"], "yes");
    assert_eq!(headers["content-type"], "application/json");
}

/// Run one event through a bundle scenario and return what stdin held.
fn bundle_of(content_type: Option<&str>, query: &str, body: &[u8], hook_options: &[&str]) -> Value {
    let env = Env::new();
    env.hook("h", hook_options);
    env.enqueue("h", content_type, query, body);
    let out = env.path().join("in");
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand", "--input", "bundle"],
        &["sh".into(), "-c".into(), format!("cat > {}", out.display())],
    );
    run_json(&env, "s", &[], 0);
    serde_json::from_slice(&fs::read(&out).unwrap()).unwrap()
}

#[test]
fn the_bundle_for_each_content_type() {
    let json_body = bundle_of(Some("application/json"), "x=1&x=2", br#"{"a":[1,2]}"#, &[]);
    assert_eq!(json_body["body"], json!({"a": [1, 2]}));
    assert_eq!(json_body["query"], json!({"x": ["1", "2"]}));
    assert_eq!(json_body["method"], "POST");
    assert_eq!(json_body["content_type"], "application/json");
    assert!(json_body["event_id"].is_i64());
    assert_eq!(json_body["received_at"], "2026-11-29T12:00:00Z");
    assert_eq!(json_body["headers"]["x-test"], "yes");

    let passthrough = bundle_of(
        Some("application/json"),
        "",
        br#"{"a": 1}"#,
        &["--json-passthrough"],
    );
    assert_eq!(passthrough["body"], r#"{"a": 1}"#);

    let form = bundle_of(
        Some("application/x-www-form-urlencoded"),
        "",
        b"name=J%C3%A9r%C3%B4me&tag=a+b",
        &[],
    );
    assert_eq!(form["body"], json!({"name": "Jérôme", "tag": "a b"}));

    let multipart = b"--XB\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\xff\r\n--XB--\r\n";
    let parts = bundle_of(Some("multipart/form-data; boundary=XB"), "", multipart, &[]);
    assert_eq!(parts["body"]["title"], "hello");
    assert_eq!(
        parts["body"]["file"],
        json!({"name": "a.bin", "mime": "application/octet-stream", "data": "AAH/"})
    );

    let text = bundle_of(Some("text/plain"), "", "héllo".as_bytes(), &[]);
    assert_eq!(text["body"], "héllo");

    let binary = bundle_of(
        Some("application/octet-stream"),
        "",
        &[0xff, 0xfe, 0x00],
        &[],
    );
    assert_eq!(binary["body"], "//4A");
    assert_eq!(binary["body_encoding"], "base64");
}

#[test]
fn one_scenario_per_hook_and_the_unassigned_clock() {
    let mut env = Env::new();
    env.at("2026-11-01T00:00:00Z");
    env.hook("a", &[]);
    env.hook("b", &[]);
    env.ok(&["scenario", "create", "s", "--hook", "a", "--", "true"]);
    assert_eq!(
        env.json(&["hooks", "show", "a"])["unassigned_since"],
        Value::Null
    );
    let err = env.fails(&["scenario", "create", "t", "--hook", "a", "--", "true"], 3);
    assert!(err.contains("already feeds scenario \"s\""), "{err}");
    let err = env.fails(&["hooks", "delete", "a"], 3);
    assert!(err.contains("used by scenario \"s\""), "{err}");
    assert_eq!(
        env.json(&["hooks", "list", "--search", "a"])[0]["scenario"],
        "s"
    );

    env.at("2026-11-02T00:00:00Z");
    env.ok(&["scenario", "edit", "s", "--hook", "b"]);
    assert_eq!(
        env.json(&["hooks", "show", "a"])["unassigned_since"],
        "2026-11-02T00:00:00Z"
    );
    assert_eq!(
        env.json(&["hooks", "show", "b"])["unassigned_since"],
        Value::Null
    );
    assert_eq!(env.json(&["scenario", "show", "s"])["hook"], "b");

    env.at("2026-11-03T00:00:00Z");
    env.ok(&["scenario", "delete", "s"]);
    assert_eq!(
        env.json(&["hooks", "show", "b"])["unassigned_since"],
        "2026-11-03T00:00:00Z"
    );
    env.ok(&["hooks", "delete", "a"]);
}

#[test]
fn a_scenario_with_a_long_history_is_deleted_in_short_steps() {
    let env = Env::new();
    env.hook("h", &[]);
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand"],
        &["true".to_owned()],
    );
    let event = env.enqueue("h", None, "", b"x");
    // 5 executions of 500 operations each, as a long-lived cron job leaves.
    env.sql_write(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)
             INSERT INTO executions (scenario_id, trigger, started_at)
             SELECT (SELECT id FROM scenarios), 'manual', 0 FROM n;
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2499)
             INSERT INTO operations (execution_id, event_id, hook_id, scenario, status,
                                     started_at, duration_ms)
             SELECT (SELECT min(id) FROM executions) + i / 500, {event},
                    (SELECT id FROM hooks), 's', 'ok', 0, 1 FROM n;"
    ));
    let mut store = env.store();
    let scenario = store.scenario("s").unwrap();
    // Steps of 1,000 rows: the operations are detached from their
    // executions, then the executions and the scenario go.
    let mut steps = vec![store.delete_scenario_step(&scenario, 1_000, 7).unwrap()];
    // Moved to another hook between two steps: that hook is the one left
    // without a scenario at the end.
    env.hook("other", &[]);
    env.ok(&["scenario", "edit", "s", "--hook", "other"]);
    steps.extend((0..2).map(|_| store.delete_scenario_step(&scenario, 1_000, 7).unwrap()));
    assert_eq!(steps, [Some(1_000), Some(1_000), None]);
    env.fails(&["scenario", "show", "s"], 3);
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM executions"), 0);
    assert_eq!(
        env.sql_count("SELECT COUNT(*) FROM operations WHERE execution_id IS NULL"),
        2_500,
        "the operations stay with the hook's event"
    );
    assert_eq!(
        env.json(&["hooks", "show", "other"])["unassigned_since"],
        "1970-01-01T00:00:00.007Z"
    );
    assert_ne!(
        env.json(&["hooks", "show", "h"])["unassigned_since"],
        "1970-01-01T00:00:00.007Z",
        "unassigned since the move"
    );
}

#[test]
fn scenario_json_has_the_fields_of_the_spec() {
    let mut env = Env::new();
    env.at("2026-11-29T12:00:00Z");
    env.hook("h", &[]);
    let created: Value = serde_json::from_str(&env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "15m",
        "--max-cycles",
        "7",
        "--max-errors",
        "4",
        "--timeout",
        "90s",
        "--input",
        "bundle",
        "--store-incomplete",
        "--inactive",
        "--json",
        "--",
        "echo",
        "a b",
    ]))
    .unwrap();
    assert_eq!(
        created,
        json!({
            "name": "s", "hook": "h", "command": ["echo", "a b"], "forward": null, "schedule": "15m",
            "max_cycles": 7, "max_errors": 4, "timeout": "90s", "input": "bundle",
            "store_incomplete": true, "respond": null, "active": false,
            "inactive_since": "2026-11-29T12:00:00Z", "consecutive_errors": 0,
            "created_at": "2026-11-29T12:00:00Z", "last_run_at": null
        })
    );
    assert_eq!(env.json(&["scenario", "list"]), json!([created]));
    env.ok(&["scenario", "activate", "s"]);
    let run = run_json(&env, "s", &[], 0);
    assert_eq!(run["status"], "empty");
    let runs = env.json(&["scenario", "runs", "s"]);
    let mut keys: Vec<&str> = runs[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "cycles",
            "error",
            "finished_at",
            "id",
            "scenario",
            "started_at",
            "status",
            "trigger"
        ]
    );
}

#[test]
fn invalid_scenario_options_are_usage_errors() {
    let env = Env::new();
    env.hook("h", &[]);
    for (args, message) in [
        (&["--schedule", "sometimes"][..], "invalid schedule"),
        (&["--schedule", "500ms"], "shorter than 1s"),
        (&["--timeout", "soon"], "invalid duration"),
        (&["--timeout", "0s"], "longer than 0"),
        (&["--input", "xml"], "invalid input"),
        (&["--max-cycles", "0"], "0 is not in 1.."),
    ] {
        let mut full = vec!["scenario", "create", "s", "--hook", "h"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--", "true"]);
        let err = env.fails(&full, 2);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    env.fails(&["scenario", "create", "s", "--hook", "h"], 2);
    env.fails(
        &["scenario", "create", "s", "--hook", "nope", "--", "true"],
        3,
    );
    env.fails(&["scenario", "run", "nope"], 3);
    assert_eq!(env.json(&["scenario", "list"]), json!([]));
}

/// A scenario's executions, newest first (all of them, not the last 20).
pub(crate) fn runs(env: &Env, scenario: &str) -> Vec<Value> {
    let runs = env.json(&["scenario", "runs", scenario, "--limit", "1000"]);
    runs.as_array().unwrap().clone()
}

#[test]
fn a_command_killed_by_a_signal_fails_its_cycle_and_rolls_back() {
    let env = Env::new();
    env.hook("h", &[]);
    let ids: Vec<i64> = (0..2).map(|i| env.enqueue("h", None, "", &[i])).collect();
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand", "--max-cycles", "10"],
        &["sh".into(), "-c".into(), "kill -KILL $$".into()],
    );
    let record = run_json(&env, "s", &[], 1);
    assert_eq!(record["status"], "error");
    assert_eq!(record["cycles"], 1, "stopped after the failed cycle");
    assert_eq!(
        record["error"],
        format!("event {}: killed by signal 9", ids[0])
    );
    assert_eq!(env.state(ids[0]), "queued", "rolled back");
    assert_eq!(env.state(ids[1]), "queued");
    let ops = env.json(&["hooks", "ops", "h"]);
    assert_eq!(ops.as_array().unwrap().len(), 1, "{ops}");
    assert_eq!(
        (&ops[0]["event_id"], &ops[0]["status"], &ops[0]["exit_code"]),
        (&json!(ids[0]), &json!("error"), &Value::Null)
    );
    assert_eq!(ops[0]["error"], "killed by signal 9");
}

#[test]
fn scenario_runs_lists_the_newest_execution_first() {
    let mut env = Env::new();
    env.hook("h", &[]);
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand", "--max-cycles", "10"],
        &["true".to_owned()],
    );
    // Three executions, each of its own size, an hour apart.
    let mut ran = Vec::new();
    for (hour, events) in [(10, 2), (11, 0), (12, 1)] {
        env.at(&format!("2026-11-29T{hour}:00:00Z"));
        for _ in 0..events {
            env.enqueue("h", None, "", b"x");
        }
        let record = run_json(&env, "s", &[], 0);
        assert_eq!(record["cycles"], events);
        ran.push(record);
    }
    let listed = runs(&env, "s");
    let key = |r: &Value| {
        (
            r["id"].clone(),
            r["started_at"].clone(),
            r["cycles"].clone(),
        )
    };
    let newest_first: Vec<_> = ran.iter().rev().map(key).collect();
    assert_eq!(listed.iter().map(key).collect::<Vec<_>>(), newest_first);
    assert_eq!(listed[0]["started_at"], "2026-11-29T12:00:00Z");
}
