//! `hookq db copy --to postgres://...` (docs/scaling.md, "How to move"):
//! a SQLite store moved whole into PostgreSQL, senders keep their URLs and
//! queues their order. PostgreSQL-only: they skip without `HOOKQ_TEST_PG`.

use serde_json::Value;

use crate::pg;
use crate::util::{eventually, Env, Gate, ServerProcess, TestServer};

/// The body of event `n`: every byte value, so that a body that went
/// through text anywhere would not come back the same.
fn binary_body(n: u8) -> Vec<u8> {
    let mut body: Vec<u8> = (0..=255u8).collect();
    body.push(n);
    body
}

fn send_file(env: &Env, hook: &str, body: &[u8]) -> i64 {
    let file = env.path().join("body.bin");
    std::fs::write(&file, body).unwrap();
    let at = format!("@{}", file.display());
    env.ok(&["hooks", "send", hook, "--data", &at])
        .trim()
        .parse()
        .expect("an event id")
}

/// What a user sees of a store, through the commands: the same on both
/// sides of a copy.
fn seen(env: &Env, events: &[i64]) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    for args in [
        &["hooks", "list"][..],
        &["hooks", "show", "work"],
        &["hooks", "show", "signed"],
        &["hooks", "events", "work"],
        &["hooks", "ops", "work"],
        &["scenario", "list"],
        &["scenario", "show", "fwd"],
        &["scenario", "runs", "work"],
        &["connections", "show", "gh"],
    ] {
        seen.push((args.join(" "), env.json(args)));
    }
    for id in events {
        let out = env.run(&["hooks", "payload", &id.to_string()]);
        assert!(out.status.success(), "payload {id}");
        seen.push((format!("payload {id}"), Value::from(out.stdout)));
    }
    seen
}

#[test]
fn a_store_moves_whole_and_its_senders_and_queues_carry_on() {
    let Some(cluster) = pg::required("db copy") else {
        return;
    };
    let source = Env::sqlite();
    let created = source
        .cmd(&[
            "connections",
            "create",
            "gh",
            "--kind",
            "github",
            "--secret-env",
            "GH_SECRET",
        ])
        .env("GH_SECRET", "s3cret")
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    source.ok(&["hooks", "create", "signed", "--connection", "gh"]);
    let work = source.hook("work", &[]);
    source.hook("fwd", &[]);
    let ran = source.path().join("ran.txt");
    let record = format!("echo $HOOKQ_EVENT_ID >> '{}'", ran.display());
    // On demand: the servers below must leave the queues to `scenario run`.
    source.ok(&[
        "scenario",
        "create",
        "work",
        "--hook",
        "work",
        "--schedule",
        "on-demand",
        "--",
        "sh",
        "-c",
        &record,
    ]);
    source.ok(&[
        "scenario",
        "create",
        "fwd",
        "--hook",
        "fwd",
        "--schedule",
        "on-demand",
        "--forward",
        "http://127.0.0.1:9/hooks",
    ]);
    let ids: Vec<i64> = (1..=5)
        .map(|n| send_file(&source, "work", &binary_body(n)))
        .collect();
    source.ok(&["scenario", "run", "work", "--max-cycles", "2"]);
    source.ok(&["hooks", "discard", &ids[2].to_string()]);
    // A refusal: unsigned, to the signed hook.
    let signed = source.json(&["hooks", "show", "signed"])["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let server = TestServer::start(&source);
    let reply = server.post(&format!("/wh/{signed}"), "application/json", b"{}");
    assert_eq!(reply.status, 401, "{}", reply.text());
    server.stop();
    // A crash left the fourth running: it must come back queued, in its place.
    source.sql_write(&format!(
        "UPDATE events SET state = 'running' WHERE id = {}",
        ids[3]
    ));
    let before = seen(&source, &ids);

    let target = Env::on_cluster(&cluster);
    let mut copy = source.cmd(&["db", "copy", "--json"]);
    copy.env("HOOKQ_COPY_TO", &target.db);
    let out = copy.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tables"]["hooks"], 3, "{report}");
    assert_eq!(report["tables"]["connections"], 1, "{report}");
    assert_eq!(report["tables"]["scenarios"], 2, "{report}");
    assert_eq!(report["tables"]["events"], 5, "{report}");
    assert_eq!(report["tables"]["payloads"], 5, "{report}");
    assert_eq!(report["tables"]["operations"], 2, "{report}");
    assert_eq!(report["tables"]["executions"], 1, "{report}");
    assert_eq!(report["tables"]["refusals"], 1, "{report}");
    assert_eq!(report["queued"], 2, "{report}");
    assert_eq!(report["payload_bytes"], 5 * 257, "{report}");
    assert!(!report["to"].as_str().unwrap().is_empty(), "{report}");

    // What a user sees is the same, but for the event a crash left
    // running, which is queued now, as a repair would have put it.
    source.sql_write(&format!(
        "UPDATE events SET state = 'queued' WHERE id = {}",
        ids[3]
    ));
    let mut expected = seen(&source, &ids);
    let after = seen(&target, &ids);
    for ((what, a), (_, b)) in expected.iter_mut().zip(&after) {
        assert_eq!(a, b, "{what} differs after the copy");
    }
    assert_ne!(before[3].1, after[3].1, "the running event shows queued");

    // A sender keeps its URL: the server on PostgreSQL takes the same
    // token, and the queue goes on in order after the copied events.
    let server = ServerProcess::start(&target, &[]);
    let reply = crate::util::http(server.addr, "POST", &work, &[], b"after the move");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let newest = target.json(&["hooks", "events", "work"]);
    let new_id = newest[0]["id"].as_i64().unwrap();
    assert!(new_id > ids[4], "a new id past the copied ones: {new_id}");
    server.terminate();
    std::fs::write(&ran, "").unwrap();
    target.ok(&["scenario", "run", "work", "--max-cycles", "100"]);
    let order: Vec<i64> = std::fs::read_to_string(&ran)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(order, vec![ids[3], ids[4], new_id]);
    let hooks = target.json(&["hooks", "show", "work"]);
    assert_eq!(hooks["queue"], 0, "{hooks}");

    // Once, not twice: the target holds something now.
    let mut again = source.cmd(&["db", "copy", "--to"]);
    again.arg(&target.db);
    let out = again.output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not empty (3 hooks, 1 connection, 2 scenarios, 6 events)"),
        "{stderr}"
    );
}

#[test]
fn a_store_in_use_is_not_copied() {
    let Some(cluster) = pg::required("db copy") else {
        return;
    };
    let source = Env::sqlite();
    let gate = Gate::new(&source, "gate");
    source.hook("slow", &[]);
    source.ok(&[
        "scenario",
        "create",
        "slow",
        "--hook",
        "slow",
        "--",
        "sh",
        "-c",
        &gate.wait_sh(),
    ]);
    let id = source.send("slow", "x");
    let mut run = source.spawn(&["scenario", "run", "slow"]);
    eventually(20, "the event to run", || source.state(id) == "running");
    let target = Env::on_cluster(&cluster);
    let mut copy = source.cmd(&["db", "copy", "--to"]);
    copy.arg(&target.db);
    let out = copy.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("scenario slow is running"), "{stderr}");
    assert_eq!(target.sql_count("SELECT count(*) FROM hooks"), 0);
    gate.open();
    assert!(run.finish(20).status.success());
    source.ok(&["db", "copy", "--to", target.db.to_str().unwrap()]);
    assert_eq!(target.state(id), "done");
}

#[test]
fn db_copy_says_what_is_wrong_with_its_arguments() {
    let env = Env::sqlite();
    env.hook("h", &[]);
    let stderr = env.fails(&["db", "copy", "--to", "/tmp/other.db"], 2);
    assert!(stderr.contains("--to takes a PostgreSQL URL"), "{stderr}");
    let stderr = env.fails(
        &[
            "db",
            "copy",
            "--db",
            "postgres://nobody@127.0.0.1:1/none",
            "--to",
            "postgres://nobody@127.0.0.1:1/none",
        ],
        2,
    );
    assert!(stderr.contains("reads a SQLite file"), "{stderr}");
    let missing = env.path().join("missing.db");
    let stderr = env.fails(
        &[
            "db",
            "copy",
            "--db",
            missing.to_str().unwrap(),
            "--to",
            "postgres://nobody@127.0.0.1:1/none",
        ],
        3,
    );
    assert!(stderr.contains("no database at"), "{stderr}");
    assert!(!missing.exists(), "nothing created");
}

/// An event that arrives in the file after the copy's snapshot is not in
/// the target: the copy says so and fails. The target's table lock holds
/// the copy between its snapshot and its writes, so the event surely
/// arrives in between.
#[test]
fn events_that_arrive_during_the_copy_are_reported() {
    let Some(cluster) = pg::required("db copy") else {
        return;
    };
    let source = Env::sqlite();
    source.hook("h", &[]);
    source.send("h", "before");
    let target = Env::on_cluster(&cluster);
    let url = target.db.to_str().unwrap().to_owned();
    let mut holder = pg::connect(&url);
    let mut held = holder.transaction().unwrap();
    held.batch_execute("LOCK TABLE hooks IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let mut copy = source.cmd(&["db", "copy", "--to", &url]);
    copy.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut copy = crate::util::Spawned::new(copy);
    let mut watcher = pg::connect(&url);
    eventually(20, "the copy to wait for the target's lock", || {
        let waiting: i64 = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .unwrap()
            .get(0);
        waiting == 1
    });
    source.send("h", "during");
    held.rollback().unwrap();
    let out = copy.finish(60);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("1 event arrived in") && stderr.contains("during the copy: not in"),
        "{stderr}"
    );
    // What the snapshot held is there, and reported.
    assert!(String::from_utf8_lossy(&out.stdout).contains("events       1 (1 queued)"));
    assert_eq!(target.sql_count("SELECT count(*) FROM events"), 1);
}
