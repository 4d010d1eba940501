//! Replaying (SPEC §8): which events `hooks replay` copies, in what order,
//! and what it does with a full queue or a purged payload.

use std::io::Write;
use std::process::Stdio;

use serde_json::{json, Value};

use crate::util::{ids, Env};

#[test]
fn replay_keeps_the_original_order_and_respects_the_queue_limit() {
    let env = Env::new();
    env.hook("h", &["--queue-limit", "3"]);
    let originals: Vec<i64> = (0..3).map(|i| env.send("h", &format!("{i}"))).collect();
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
        "--",
        "true",
    ]);
    env.ok(&["scenario", "run", "s"]);
    let dry = env.json(&["hooks", "replay", "h", "--state", "done", "--dry-run"]);
    assert_eq!(
        dry["replayed"],
        json!(originals
            .iter()
            .map(|&id| json!({"event": id, "new": null}))
            .collect::<Vec<_>>())
    );
    assert_eq!(
        env.json(&["hooks", "show", "h"])["queue"],
        0,
        "a dry run changes nothing"
    );
    let extra = env.send("h", "x"); // one place taken: two copies fit
    let out = env.run(&["hooks", "replay", "h", "--state", "done", "--json"]);
    assert_eq!(out.status.code(), Some(1), "some events did not fit");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let copies: Vec<i64> = report["replayed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["new"].as_i64().unwrap())
        .collect();
    let of: Vec<i64> = report["replayed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event"].as_i64().unwrap())
        .collect();
    assert_eq!(of, originals[..2]);
    assert!(
        copies[0] > extra && copies[1] > copies[0],
        "at the tail, in order"
    );
    assert_eq!(
        report["skipped"],
        json!([{"event": originals[2], "reason": "queue full (3 events)"}])
    );
    let queued = env.json(&["hooks", "events", "h", "--state", "queued"]);
    let replay_of: Vec<Value> = queued
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["replay_of"].clone())
        .collect();
    assert_eq!(
        replay_of,
        [json!(originals[1]), json!(originals[0]), Value::Null]
    );
}

#[test]
fn purged_payloads_fail_to_read_and_are_skipped_by_replay() {
    let env = Env::new();
    env.hook("h", &[]);
    let kept = env.send("h", "kept");
    let purged = env.send("h", "purged");
    env.ok(&["hooks", "discard", &kept.to_string(), &purged.to_string()]);
    env.sql_write(&format!("DELETE FROM payloads WHERE event_id = {purged}"));
    let err = env.fails(&["hooks", "payload", &purged.to_string()], 1);
    assert_eq!(err.trim(), "hookq: Failed to read file from storage.");
    let event = &env.json(&["hooks", "events", "h", "--state", "discarded"])[0];
    assert_eq!(
        (event["id"].as_i64(), event["payload_available"].clone()),
        (Some(purged), json!(false))
    );
    // The others are replayed, and the command fails (exit 1): reading that
    // payload failed (SPEC §7).
    let out = env.run(&["--json", "hooks", "replay", "h", "--state", "discarded"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["replayed"].as_array().unwrap().len(), 1);
    assert_eq!(report["replayed"][0]["event"], kept);
    assert_eq!(
        report["skipped"],
        json!([{"event": purged, "reason": "Failed to read file from storage."}])
    );
    let err = env.fails(&["hooks", "replay", "h", "--event", &purged.to_string()], 1);
    assert_eq!(
        err.trim(),
        format!(
            "skipped event {purged}: Failed to read file from storage.\n\
             hookq: 1 of the chosen events could not be replayed"
        )
    );
}

/// Events left `done` and `incomplete` on four days: Nov 1 ok, Nov 2 bad,
/// Nov 3 ok, Nov 4 bad. Returns their ids, oldest first.
fn four_days_of_events(env: &mut Env) -> [i64; 4] {
    env.hook("h", &[]);
    let mut sent = Vec::new();
    for (day, body) in [(1, "ok"), (2, "bad"), (3, "ok"), (4, "bad")] {
        env.at(&format!("2026-11-0{day}T00:00:00Z"));
        sent.push(env.send("h", body));
    }
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
        "read x; [ \"$x\" = ok ]",
    ]);
    env.fails(&["scenario", "run", "s"], 1);
    let sent: [i64; 4] = sent.try_into().unwrap();
    let states: Vec<String> = sent.iter().map(|&id| env.state(id)).collect();
    assert_eq!(states, ["done", "incomplete", "done", "incomplete"]);
    sent
}

/// The originals `hooks replay --dry-run ARGS` would copy, in order.
fn would_replay(env: &Env, args: &[&str]) -> Vec<i64> {
    let mut argv = vec!["hooks", "replay", "h", "--dry-run"];
    argv.extend_from_slice(args);
    env.json(&argv)["replayed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event"].as_i64().unwrap())
        .collect()
}

#[test]
fn replay_chooses_by_state_and_by_time_received() {
    let mut env = Env::new();
    let [nov1, nov2, nov3, nov4] = four_days_of_events(&mut env);
    assert_eq!(would_replay(&env, &["--state", "incomplete"]), [nov2, nov4]);
    assert_eq!(would_replay(&env, &["--state", "done"]), [nov1, nov3]);
    // Both bounds are inclusive, and alone they take every event that has
    // left the queue.
    assert_eq!(
        would_replay(&env, &["--since", "2026-11-02T00:00:00Z"]),
        [nov2, nov3, nov4]
    );
    assert_eq!(
        would_replay(&env, &["--since", "2026-11-02T00:00:00.001Z"]),
        [nov3, nov4]
    );
    assert_eq!(
        would_replay(&env, &["--until", "2026-11-02T00:00:00Z"]),
        [nov1, nov2]
    );
    assert_eq!(
        would_replay(&env, &["--until", "2026-11-01T23:59:59Z"]),
        [nov1]
    );
    assert_eq!(
        would_replay(
            &env,
            &[
                "--state",
                "incomplete",
                "--since",
                "2026-11-01T12:00:00Z",
                "--until",
                "2026-11-03T12:00:00Z"
            ]
        ),
        [nov2]
    );
    assert_eq!(
        would_replay(&env, &["--since", "2026-11-05T00:00:00Z"]),
        Vec::<i64>::new()
    );
    env.fails(&["hooks", "replay", "h", "--until", "last week"], 2);

    // For real: the incomplete ones from Nov 3 on, copied at the tail.
    env.at("2026-11-10T00:00:00Z");
    let copies: Vec<i64> = env
        .ok(&[
            "hooks",
            "replay",
            "h",
            "--state",
            "incomplete",
            "--since",
            "2026-11-03T00:00:00Z",
        ])
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(copies.len(), 1);
    let queued = env.json(&["hooks", "events", "h", "--state", "queued"]);
    assert_eq!(ids(&queued), copies);
    assert_eq!(queued[0]["replay_of"], nov4);
    assert_eq!(queued[0]["received_at"], "2026-11-10T00:00:00Z");
    assert_eq!(
        env.state(nov4),
        "incomplete",
        "the original stays as it was"
    );
    assert_eq!(
        env.run(&["hooks", "payload", &copies[0].to_string()])
            .stdout,
        b"bad"
    );
}

#[test]
fn replay_copies_every_event_in_order_a_batch_at_a_time() {
    let env = Env::new();
    env.hook("h", &[]);
    let originals = env.enqueue_at("h", "2026-01-01T00:00:00Z", 1_234, b"x");
    let mut discard = vec!["hooks", "discard"];
    let ids: Vec<String> = originals.iter().map(i64::to_string).collect();
    discard.extend(ids.iter().map(String::as_str));
    env.ok(&discard);
    let report = env.json(&["hooks", "replay", "h", "--state", "discarded"]);
    let replayed = report["replayed"].as_array().unwrap();
    let copied: Vec<i64> = replayed
        .iter()
        .map(|r| r["event"].as_i64().unwrap())
        .collect();
    assert_eq!(copied, originals);
    let copies: Vec<i64> = replayed
        .iter()
        .map(|r| r["new"].as_i64().unwrap())
        .collect();
    assert!(copies.windows(2).all(|w| w[0] < w[1]), "copies in order");
    assert!(copies[0] > *originals.last().unwrap());
    assert_eq!(report["skipped"], Value::Array(Vec::new()));
    // Each copy names its original, in the same order; nothing else queued.
    let replay_of: Vec<i64> = env
        .rows("SELECT replay_of FROM events WHERE state = 'queued' ORDER BY id")
        .iter()
        .map(|row| row[0].int())
        .collect();
    assert_eq!(replay_of, originals);
}

#[test]
fn send_stops_reading_an_endless_standard_input_past_the_max_body() {
    let env = Env::new();
    env.hook("h", &["--max-body", "64KiB"]);
    let mut send = env.cmd(&["hooks", "send", "h", "--data", "@-"]);
    send.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut send = crate::util::Spawned::new(send);
    let mut stdin = send.stdin.take().unwrap();
    // Like `yes |`: writes until the reader goes away.
    let writer = std::thread::spawn(move || {
        let line = b"y\n".repeat(4096);
        while stdin.write_all(&line).is_ok() {}
    });
    let output = send.finish(60);
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the body is larger than hook \"h\" accepts (64KiB)"),
        "{stderr}"
    );
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM events"), 0);
}
