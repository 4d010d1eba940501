//! One execution of a scenario at a time across processes (SPEC §5): the
//! execution lease, held until its holder is gone, and executions stopped,
//! killed or taken over.

use std::io::{BufRead, BufReader};
use std::process::{ChildStderr, Command};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::scenario::{create, log_lines, run_json};
use crate::util::*;

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

/// A command that waits until `gate` opens.
pub(crate) fn gated(gate: &Gate) -> Vec<String> {
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
    assert_eq!(first.finish(60).status.code(), Some(0));
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
    assert!(run.finish(60).status.success());
    env.ok(&["scenario", "edit", "s", "--hook", "other"]);
    assert_eq!(env.json(&["scenario", "show", "s"])["hook"], "other");
}

#[test]
fn a_run_whose_lease_was_taken_over_stops_after_the_cycles_under_way() {
    let env = Env::new();
    let (ids, gate, mut run) = gated_run(&env, 4);
    // Another process took the scenario over: possible only where leases
    // run out (this run, seen from another pid namespace, stalled past its
    // expiry). The test process plays that other one.
    let taken = env.lease_taken_elsewhere();
    assert_eq!(taken, 1);
    gate.open();
    let out = run.finish(60);
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
    assert_eq!(run.finish(60).status.code(), Some(0));
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
    assert_eq!(run.finish(60).status.code(), Some(0));
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
    env.ok(&["sweep"]); // a command that writes repairs it (one that reads does not)
    assert_eq!(env.state(first), "queued");
    assert_eq!(env.state(second), "queued");
    // Its execution is not shown "running" for ever: it was cut short.
    let killed = &env.json(&["scenario", "runs", "s"])[0];
    assert_eq!(killed["status"], "error", "{killed}");
    assert!(!killed["finished_at"].is_null(), "{killed}");
    assert_eq!(
        killed["error"],
        "cut short: it ended without recording its end"
    );
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

/// Send a signal to a process.
fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

#[test]
fn a_frozen_execution_keeps_its_lease_however_long_it_is_stopped() {
    let env = Env::new();
    env.hook("h", &["--rate-limit", "0"]);
    let gate = Gate::new(&env, "gate");
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--",
        "sh",
        "-c",
        &format!("{}; cat >/dev/null", gate.wait_sh()),
    ]);
    let event = env.enqueue("h", None, "", b"x");
    let mut first = env.spawn(&["scenario", "run", "s"]);
    eventually(60, "the event to be running", || {
        env.state(event) == "running"
    });

    // Ctrl-Z on the terminal, a suspended laptop: the holder stops renewing
    // its lease. Make it look long overdue rather than wait a minute.
    signal(first.id(), "-STOP");
    env.leases_overdue();

    let second = env.run_within(60, &["scenario", "run", "s"]);
    assert_eq!(
        second.status.code(),
        Some(75),
        "a second run must wait for the frozen one: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(env.state(event), "running", "not run a second time");

    signal(first.id(), "-CONT");
    gate.open();
    let done = first.wait().unwrap();
    assert!(done.success());
    assert_eq!(env.state(event), "done");
    assert_eq!(
        env.sql_count(&format!(
            "SELECT COUNT(*) FROM operations WHERE event_id = {event}"
        )),
        1,
        "the event ran once"
    );
}
