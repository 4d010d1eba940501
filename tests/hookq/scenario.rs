//! Scenarios and executions (SPEC §5): order, commit and rollback, error
//! policies, the lease, the command's input and environment.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{ChildStderr, Command, Output};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::util::{eventually, http, Env, Gate, ServerProcess, Spawned};

/// A command that appends its event id to `log` and fails for `fail_on`.
fn recorder(log: &Path, fail_on: &str) -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        format!(
            "echo \"$HOOKQ_EVENT_ID $HOOKQ_ATTEMPT\" >> {}; [ \"$HOOKQ_EVENT_ID\" != '{fail_on}' ]",
            log.display()
        ),
    ]
}

fn create(env: &Env, name: &str, hook: &str, options: &[&str], command: &[String]) {
    let mut args = vec!["scenario", "create", name, "--hook", hook];
    args.extend_from_slice(options);
    args.push("--");
    args.extend(command.iter().map(String::as_str));
    env.ok(&args);
}

fn log_lines(log: &Path) -> Vec<String> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Wait for a spawned `hookq` to end, for at most `secs` seconds, and
/// return what it wrote.
fn finish(child: &mut Spawned, secs: u64) -> Output {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let mut status = None;
    eventually(secs, "hookq to end", || {
        status = child.try_wait().expect("wait for hookq");
        status.is_some()
    });
    Output {
        status: status.expect("exited"),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// The first line on `stderr`, within `secs` seconds (a message that never
/// comes fails the test instead of hanging it).
fn first_line(stderr: ChildStderr, secs: u64) -> String {
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stderr).read_line(&mut line);
        let _ = sender.send(line);
    });
    lines
        .recv_timeout(Duration::from_secs(secs))
        .expect("a line on stderr in time")
}

fn run_json(env: &Env, name: &str, extra: &[&str], code: i32) -> Value {
    let mut args = vec!["scenario", "run", name, "--json"];
    args.extend_from_slice(extra);
    let out = env.run(&args);
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

/// A command that waits until `gate` opens.
fn gated(gate: &Gate) -> Vec<String> {
    vec!["sh".into(), "-c".into(), gate.wait_sh()]
}

#[test]
fn one_execution_at_a_time_a_second_run_gets_75() {
    let env = Env::new();
    env.hook("h", &[]);
    let event = env.enqueue("h", None, "", b"x");
    let gate = Gate::new(&env, "gate");
    create(&env, "s", "h", &[], &gated(&gate));
    let mut first = env.spawn(&["scenario", "run", "s"]);
    eventually(60, "the first run to start its cycle", || {
        env.state(event) == "running"
    });
    let err = env.fails(&["scenario", "run", "s"], 75);
    assert!(err.contains("scenario \"s\" is already running"), "{err}");
    gate.open();
    assert_eq!(finish(&mut first, 60).status.code(), Some(0));
    assert_eq!(env.state(event), "done");
}

/// `events` queued on hook "h", an on-demand scenario "s" for all of them
/// whose command waits for the gate file, and a `scenario run` of it, once
/// its first cycle runs (the second event taken ahead).
fn gated_run(env: &Env, events: u8) -> (Vec<i64>, Gate, Spawned) {
    env.hook("h", &[]);
    let ids: Vec<i64> = (0..events)
        .map(|i| env.enqueue("h", None, "", &[i]))
        .collect();
    let gate = Gate::new(env, "gate");
    let cycles = events.to_string();
    let options = ["--schedule", "on-demand", "--max-cycles", &cycles];
    create(env, "s", "h", &options, &gated(&gate));
    let run = env.spawn(&["scenario", "run", "s"]);
    eventually(60, "the first cycle to start", || {
        env.state(ids[0]) == "running"
    });
    assert_eq!(env.state(ids[1]), "running", "taken ahead");
    (ids, gate, run)
}

#[test]
fn a_running_scenario_keeps_its_hook_and_itself_until_the_execution_ends() {
    let env = Env::new();
    let (ids, gate, mut run) = gated_run(&env, 2);
    env.hook("other", &[]);
    let err = env.fails(&["scenario", "edit", "s", "--hook", "other"], 75);
    assert!(
        err.starts_with("hookq: scenario \"s\" is running: its hook cannot change now"),
        "{err}"
    );
    let err = env.fails(&["scenario", "delete", "s"], 75);
    assert!(
        err.starts_with("hookq: scenario \"s\" is running: it cannot be deleted now"),
        "{err}"
    );
    // Nothing else that any process opening the file does disturbs it.
    assert_eq!(env.state(ids[0]), "running");
    gate.open();
    assert!(finish(&mut run, 60).status.success());
    env.ok(&["scenario", "edit", "s", "--hook", "other"]);
    assert_eq!(env.json(&["scenario", "show", "s"])["hook"], "other");
}

#[test]
fn a_run_whose_lease_was_taken_over_stops_after_the_cycles_under_way() {
    let env = Env::new();
    let (ids, gate, mut run) = gated_run(&env, 4);
    // This run stalled past its lease (SIGSTOP, a suspended laptop, a clock
    // step): another process took the scenario over.
    let store = hookq::store::Store::open(&env.db).unwrap();
    let taken = store
        .conn()
        .execute(
            "UPDATE leases SET pid = ?1 WHERE scenario_id = (SELECT id FROM scenarios)",
            [std::process::id()],
        )
        .unwrap();
    assert_eq!(taken, 1);
    gate.open();
    let out = finish(&mut run, 60);
    assert_eq!(out.status.code(), Some(1));
    // The cycle in progress and the one taken ahead end, and are recorded;
    // no other starts. Their events are the new holder's: left as it has
    // them (its taking the lease put them back in the queue).
    assert_eq!(env.state(ids[0]), "running");
    assert_eq!(env.state(ids[1]), "running");
    assert_eq!(
        env.sql_count("SELECT COUNT(*) FROM operations WHERE status = 'ok'"),
        2
    );
    assert_eq!(env.state(ids[2]), "queued");
    assert_eq!(env.state(ids[3]), "queued");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "hookq: scenario s: execution 1 failed: stopped after 2 cycles: \
         another process took over the scenario's lease"
    );
    // Not the command's fault: the scenario stays active.
    assert_eq!(env.json(&["scenario", "show", "s"])["active"], true);
}

#[test]
fn a_stopped_run_finishes_its_cycle_and_puts_the_next_event_back() {
    let env = Env::new();
    let (ids, gate, mut run) = gated_run(&env, 3);
    let stopped = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let line = first_line(run.stderr.take().unwrap(), 60);
    assert_eq!(line, "hookq: stopping after the cycle in progress\n");
    gate.open(); // the cycle in progress may now end
    assert_eq!(finish(&mut run, 60).status.code(), Some(0));
    assert_eq!(env.state(ids[0]), "done");
    for id in &ids[1..] {
        assert_eq!(env.state(*id), "queued");
        let attempts = env.sql_count(&format!("SELECT attempts FROM events WHERE id = {id}"));
        assert_eq!(attempts, 0, "event {id} never ran");
    }
    assert_eq!(env.json(&["scenario", "runs", "s"])[0]["cycles"], 1);
}

#[test]
fn an_execution_in_progress_shows_the_cycles_done_so_far() {
    let env = Env::new();
    env.hook("h", &[]);
    for body in ["1", "2", "3"] {
        env.enqueue("h", None, "", body.as_bytes());
    }
    let gate = Gate::new(&env, "gate");
    let script = format!("[ \"$HOOKQ_CYCLE\" != 3 ] || {{ {}; }}", gate.wait_sh());
    create(
        &env,
        "s",
        "h",
        &["--schedule", "on-demand", "--max-cycles", "3"],
        &["sh".into(), "-c".into(), script],
    );
    let mut run = env.spawn(&["scenario", "run", "s"]);
    let mut in_progress = Value::Null;
    eventually(60, "the third cycle to start", || {
        in_progress = env.json(&["scenario", "runs", "s"]);
        in_progress[0]["cycles"] == 2
    });
    assert_eq!(in_progress[0]["status"], Value::Null);
    assert_eq!(in_progress[0]["finished_at"], Value::Null);
    gate.open();
    assert_eq!(finish(&mut run, 60).status.code(), Some(0));
    let finished = env.json(&["scenario", "runs", "s"]);
    assert_eq!(finished[0]["cycles"], 3);
    assert_eq!(finished[0]["status"], "ok");
}

/// The run is killed while the first event's command runs; the second was
/// taken ahead. Both go back to the queue at their places. Attempts count
/// from the take: the second shows a second attempt although its command
/// never started (never the reverse, so attempt 1 means a first run).
#[test]
fn a_killed_run_puts_its_running_events_back_at_their_places() {
    let env = Env::new();
    let (ids, gate, mut run) = gated_run(&env, 2);
    let (first, second) = (ids[0], ids[1]);
    run.kill().unwrap(); // SIGKILL: no chance to clean up
    run.wait().unwrap();
    gate.open(); // let the orphaned command end
    env.ok(&["hooks", "list"]); // any hookq process that opens the store repairs it
    assert_eq!(env.state(first), "queued");
    assert_eq!(env.state(second), "queued");
    let log = env.path().join("log");
    env.ok(&[
        "scenario",
        "edit",
        "s",
        "--",
        "sh",
        "-c",
        &format!("echo $HOOKQ_EVENT_ID $HOOKQ_ATTEMPT >> {}", log.display()),
    ]);
    run_json(&env, "s", &["--max-cycles", "5"], 0);
    assert_eq!(
        log_lines(&log),
        [format!("{first} 2"), format!("{second} 2")]
    );
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
    let conn = env.look();
    let (status, error): (String, String) = conn
        .query_row("SELECT status, error FROM operations", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (status.as_str(), error.as_str()),
        ("error", "command not found: /no/such/program")
    );
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
    let mut store = hookq::store::Store::open(&env.db).unwrap();
    store
        .conn()
        .execute_batch(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)
             INSERT INTO executions (scenario_id, trigger, started_at)
             SELECT (SELECT id FROM scenarios), 'manual', 0 FROM n;
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2499)
             INSERT INTO operations (execution_id, event_id, hook_id, scenario, status,
                                     started_at, duration_ms)
             SELECT (SELECT min(id) FROM executions) + i / 500, {event},
                    (SELECT id FROM hooks), 's', 'ok', 0, 1 FROM n;"
        ))
        .unwrap();
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
            "name": "s", "hook": "h", "command": ["echo", "a b"], "schedule": "15m",
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

/// The ids of a hook's events, oldest first.
fn event_ids(env: &Env, hook: &str) -> Vec<i64> {
    let events = env.json(&["hooks", "events", hook, "--limit", "1000"]);
    let mut ids: Vec<i64> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    ids.reverse(); // listed newest first
    ids
}

/// The event ids a [`recorder`] logged, in the order it ran them.
fn logged_ids(log: &Path) -> Vec<i64> {
    log_lines(log)
        .iter()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

/// A scenario's executions, newest first (all of them, not the last 20).
fn runs(env: &Env, scenario: &str) -> Vec<Value> {
    let runs = env.json(&["scenario", "runs", scenario, "--limit", "1000"]);
    runs.as_array().unwrap().clone()
}

/// Every execution has this trigger, and together they ran `cycles` cycles.
fn assert_runs(runs: &[Value], trigger: &str, cycles: i64) {
    assert!(!runs.is_empty(), "no execution recorded");
    for run in runs {
        assert_eq!(run["trigger"], trigger, "{run}");
    }
    let total: i64 = runs.iter().map(|r| r["cycles"].as_i64().unwrap()).sum();
    assert_eq!(total, cycles, "{runs:?}");
}

#[test]
fn the_server_runs_immediately_scenarios_as_events_arrive() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let log = env.path().join("log");
    create(&env, "s", "h", &[], &recorder(&log, "none"));
    let server = ServerProcess::start(&env, &[]);
    let addr = server.addr;
    for i in 0..20 {
        assert_eq!(
            http(addr, "POST", &path, &[], format!("{i}").as_bytes()).status,
            200
        );
    }
    eventually(60, "the scenario to process 20 events", || {
        log_lines(&log).len() == 20
    });
    // Events added by another process are seen too.
    let late = env.enqueue("h", None, "", b"late");
    eventually(60, "the late event", || env.state(late) == "done");
    assert_eq!(server.terminate(), Some(0));
    let ids = event_ids(&env, "h");
    assert_eq!(ids.len(), 21);
    assert_eq!(ids.last(), Some(&late));
    assert_eq!(logged_ids(&log), ids, "each once, in arrival order");
    assert_runs(&runs(&env, "s"), "immediately", 21);
}

#[test]
fn the_server_leaves_a_scenario_another_process_runs_and_takes_the_rest_after() {
    // That it does not try again at once, over and over, meanwhile (a whole
    // core for as long as the other run lasted) is a unit test of the
    // scheduler: engine::scheduler::tests.
    let env = Env::new();
    env.hook("h", &["--rate-limit", "0"]);
    let go = Gate::new(&env, "go");
    create(&env, "s", "h", &[], &gated(&go));
    let first = env.enqueue("h", None, "", b"1");
    let second = env.enqueue("h", None, "", b"2");
    // A cron run holds the scenario, its command waiting for `go`.
    let mut cron = env.spawn(&["scenario", "run", "s", "--max-cycles", "1"]);
    eventually(60, "the cron run to take its event", || {
        env.state(first) == "running"
    });
    let server = ServerProcess::start(&env, &[]);
    // Once the cron run is over, the server takes the rest.
    go.open();
    assert!(finish(&mut cron, 60).status.success());
    assert_eq!(env.state(first), "done");
    eventually(60, "the server to run the second event", || {
        env.state(second) == "done"
    });
    assert_eq!(server.terminate(), Some(0));
    let runs = runs(&env, "s");
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(
        (&runs[0]["trigger"], &runs[1]["trigger"]),
        (&json!("immediately"), &json!("manual"))
    );
}

#[test]
fn no_scenarios_only_receives() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let log = env.path().join("log");
    // A scenario that answers its caller: a server that ran it would hold
    // the request until its cycle ended, and answer "ran".
    let command = format!("echo $HOOKQ_EVENT_ID >> {}; echo ran", log.display());
    create(
        &env,
        "s",
        "h",
        &["--respond", "stdout"],
        &["sh".into(), "-c".into(), command],
    );
    let server = ServerProcess::start(&env, &["--no-scenarios"]);
    let reply = http(server.addr, "POST", &path, &[], b"x");
    assert_eq!((reply.status, reply.text().as_str()), (200, "Accepted"));
    assert_eq!(server.terminate(), Some(0));
    let events = env.json(&["hooks", "events", "h"]);
    assert_eq!(events.as_array().unwrap().len(), 1, "{events}");
    let event = events[0]["id"].as_i64().unwrap();
    assert_eq!(
        (&events[0]["state"], &events[0]["attempts"]),
        (&json!("queued"), &json!(0))
    );
    assert_eq!(log_lines(&log), Vec::<String>::new(), "the command ran");
    assert_eq!(env.json(&["hooks", "ops", "h"]), json!([]));
    assert_eq!(env.json(&["scenario", "runs", "s"]), json!([]));
    // A server that runs scenarios takes the event that waited.
    let server = ServerProcess::start(&env, &[]);
    eventually(60, "the event to be processed", || {
        env.state(event) == "done"
    });
    assert_eq!(server.terminate(), Some(0));
    assert_eq!(log_lines(&log), [event.to_string()]);
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

#[test]
fn the_server_runs_an_interval_scenario_on_its_schedule() {
    let env = Env::new();
    env.hook("h", &[]);
    let log = env.path().join("log");
    let ids: Vec<i64> = (0..3).map(|i| env.enqueue("h", None, "", &[i])).collect();
    // One event per execution, every second (the shortest interval).
    create(
        &env,
        "s",
        "h",
        &["--schedule", "1s", "--max-cycles", "1"],
        &recorder(&log, "none"),
    );
    let server = ServerProcess::start(&env, &[]);
    eventually(60, "three scheduled executions", || {
        ids.iter().all(|id| env.state(*id) == "done")
    });
    assert_eq!(server.terminate(), Some(0));
    assert_eq!(logged_ids(&log), ids);
    let runs = runs(&env, "s");
    assert_runs(&runs, "schedule", 3);
    let busy: Vec<&Value> = runs.iter().filter(|r| r["cycles"] == 1).collect();
    assert_eq!(busy.len(), 3, "one event per execution: {runs:?}");
    // On its schedule: a second at least between two starts (as recorded).
    let starts: Vec<i64> = runs
        .iter()
        .map(|r| hookq::clock::parse(r["started_at"].as_str().unwrap()).unwrap())
        .collect();
    for pair in starts.windows(2) {
        assert!(pair[0] - pair[1] >= 1_000, "{runs:?}");
    }
}

#[test]
fn activating_a_scenario_reaches_a_running_server() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let log = env.path().join("log");
    create(&env, "s", "h", &["--inactive"], &recorder(&log, "none"));
    let server = ServerProcess::start(&env, &[]);
    for i in 0..3 {
        let reply = http(server.addr, "POST", &path, &[], format!("{i}").as_bytes());
        assert_eq!((reply.status, reply.text().as_str()), (200, "Accepted"));
    }
    let ids = event_ids(&env, "h");
    assert_eq!(ids.len(), 3);
    // Inactive: they wait.
    for id in &ids {
        assert_eq!(env.state(*id), "queued");
    }
    env.ok(&["scenario", "activate", "s"]);
    eventually(60, "the events that waited to be processed", || {
        ids.iter().all(|id| env.state(*id) == "done")
    });
    assert_eq!(server.terminate(), Some(0));
    assert_eq!(logged_ids(&log), ids, "in arrival order");
    assert_runs(&runs(&env, "s"), "immediately", 3);
}
