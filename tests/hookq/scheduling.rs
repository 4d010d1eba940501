//! The server runs the scenarios (SPEC §4, §5): `immediately` ones as
//! events arrive, interval ones on their schedule, none with
//! `--no-scenarios`, and it notices what other processes change.

use std::path::Path;

use serde_json::{json, Value};

use crate::executions::gated;
use crate::scenario::{create, log_lines, recorder, runs};
use crate::util::*;

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
    assert!(cron.finish(60).status.success());
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

/// A scenario taken off `immediately` while the server runs it: the server
/// finishes the execution under way and starts no other for the events
/// that came meanwhile; they wait for their new schedule (here, a run).
#[test]
fn a_scenario_taken_off_immediately_is_not_run_again_by_the_server() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let gate = Gate::new(&env, "gate");
    // Only the first event's command waits for the gate.
    create(
        &env,
        "s",
        "h",
        &[],
        &[
            "sh".into(),
            "-c".into(),
            format!(
                "read body; [ \"$body\" = first ] && {{ {}; }}; true",
                gate.wait_sh()
            ),
        ],
    );
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(
        http(server.addr, "POST", &path, &[], b"first\n").status,
        200
    );
    eventually(60, "the first cycle to start", || {
        env.sql_count("SELECT COUNT(*) FROM events WHERE state = 'running'") == 1
    });
    for body in [&b"second\n"[..], b"third\n"] {
        assert_eq!(http(server.addr, "POST", &path, &[], body).status, 200);
    }
    env.ok(&["scenario", "edit", "s", "--schedule", "on-demand"]);
    gate.open();
    eventually(60, "the execution under way to end", || {
        runs(&env, "s")
            .first()
            .is_some_and(|run| !run["finished_at"].is_null())
    });
    // The two that came meanwhile are left for the new schedule.
    let run = env.run_within(60, &["scenario", "run", "s", "--max-cycles", "5"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let triggers: Vec<Value> = runs(&env, "s")
        .iter()
        .map(|r| r["trigger"].clone())
        .collect();
    assert_eq!(triggers, ["manual", "immediately"]);
    assert_eq!(runs(&env, "s")[0]["cycles"], 2);
    assert_eq!(server.terminate(), Some(0));
}

/// A server keeps an `immediately` scenario's lease for a moment after its
/// last event (docs/scenarios.md, 500 ms), waiting for the next: a cron
/// `scenario run` of it meanwhile is refused as busy (75), and then runs.
#[test]
fn a_server_lets_go_of_an_immediately_scenario_soon_after_its_last_event() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    create(&env, "s", "h", &[], &["true".to_owned()]);
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(http(server.addr, "POST", &path, &[], b"x").status, 200);
    eventually(60, "the event to be done", || {
        runs(&env, "s").first().is_some_and(|r| r["status"] == "ok")
    });
    let mut codes = Vec::new();
    eventually(20, "a scenario run from another process", || {
        let code = env.run(&["scenario", "run", "s"]).status.code();
        codes.push(code);
        code != Some(75)
    });
    assert_eq!(codes.last(), Some(&Some(0)), "{codes:?}");
    // Busy while the server held it, never anything else.
    assert!(
        codes.iter().rev().skip(1).all(|c| *c == Some(75)),
        "{codes:?}"
    );
    assert_eq!(server.terminate(), Some(0));
}
