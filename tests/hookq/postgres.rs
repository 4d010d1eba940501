//! What only PostgreSQL has to show (docs/scaling.md §6): a database
//! server that goes away and comes back. Skipped without `HOOKQ_TEST_PG`
//! (then PostgreSQL's tools may well be missing); `.ci/run` sets it.

use std::path::Path;
use std::process::Command;

use crate::pg;
use crate::util::*;

/// A throwaway cluster of the test's own (`.ci/postgres.sh`), removed at
/// the end: restarting it disturbs no other test.
struct OwnCluster(String);

impl OwnCluster {
    fn start() -> OwnCluster {
        OwnCluster(script(&["start"]))
    }

    fn pause(&self) {
        script(&["pause", &self.0]);
    }

    fn resume(&self) {
        script(&["resume", &self.0]);
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh"))
            .args(["stop", &self.0])
            .status();
    }
}

fn script(args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh"))
        .args(args)
        .output()
        .expect("run .ci/postgres.sh");
    assert!(
        out.status.success(),
        "postgres.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn switched_on(test: &str) -> bool {
    if pg::cluster().is_none() {
        eprintln!("skipped: {test} needs PostgreSQL (HOOKQ_TEST_PG)");
        return false;
    }
    true
}

/// The server answers 503 while its PostgreSQL is down, and 200 again once
/// it is back, by itself, without a restart; every event it acknowledged
/// is stored, each once.
#[test]
fn a_restarted_postgresql_is_503_meanwhile_and_recovers_by_itself() {
    if !switched_on("a_restarted_postgresql_is_503_meanwhile_and_recovers_by_itself") {
        return;
    }
    let cluster = OwnCluster::start();
    let env = Env::on_cluster(&cluster.0);
    let path = env.hook("h", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &["--no-scenarios"]);
    let mut accepted = 0;
    let mut post = |body: &str| {
        let reply = http(server.addr, "POST", &path, &[], body.as_bytes());
        if reply.status == 200 {
            accepted += 1;
        }
        reply
    };
    assert_eq!(post("before").status, 200);

    cluster.pause();
    let reply = post("during");
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.header("Retry-After"), Some("1"));
    // A token it does not know yet may be a hook created meanwhile.
    let unknown = format!("/wh/{}", "7".repeat(32));
    let reply = http(server.addr, "POST", &unknown, &[], b"x");
    assert_eq!(reply.status, 503, "not a 404: the hook may exist");

    cluster.resume();
    eventually(20, "the server to store events again", || {
        post("after").status == 200
    });
    assert_eq!(env.sql_count("SELECT count(*) FROM events"), accepted);
    server.terminate();
}

/// Two servers on one database, requests spread over both: every
/// acknowledged event is stored exactly once, and each hook's ids come in
/// the order its events were committed (a reader never sees a later id
/// before an earlier one of the same hook).
#[test]
fn two_servers_store_every_acknowledged_event_once() {
    if !switched_on("two_servers_store_every_acknowledged_event_once") {
        return;
    }
    let env = Env::new();
    let paths = [
        env.hook("a", &["--rate-limit", "0"]),
        env.hook("b", &["--rate-limit", "0"]),
    ];
    let servers = [
        ServerProcess::start(&env, &["--no-scenarios"]),
        ServerProcess::start(&env, &["--no-scenarios"]),
    ];
    let addrs = [servers[0].addr, servers[1].addr];
    let accepted: Vec<String> = std::thread::scope(|scope| {
        let senders: Vec<_> = (0..8)
            .map(|sender| {
                let paths = &paths;
                scope.spawn(move || {
                    let mut accepted = Vec::new();
                    for i in 0..40 {
                        let body = format!("{sender}-{i}");
                        let addr = addrs[(sender + i) % 2];
                        let path = &paths[i % 2];
                        let reply = http(addr, "POST", path, &[], body.as_bytes());
                        assert_eq!(reply.status, 200, "{body}: {}", reply.text());
                        accepted.push(body);
                    }
                    accepted
                })
            })
            .collect();
        senders
            .into_iter()
            .flat_map(|s| s.join().unwrap())
            .collect()
    });
    assert_eq!(accepted.len(), 320);
    assert_eq!(
        env.sql_count("SELECT count(*) FROM events"),
        accepted.len() as i64
    );
    assert_eq!(
        env.sql_count("SELECT count(DISTINCT body) FROM payloads"),
        accepted.len() as i64,
        "each once"
    );
    // Each sender's events of one hook were sent one after another: their
    // ids (their places in the queue) follow the order they were sent in.
    for sender in 0..8 {
        for hook in ["a", "b"] {
            let rows = env.rows(&format!(
                "SELECT e.id, encode(p.body, 'escape') FROM events e
                 JOIN payloads p ON p.event_id = e.id JOIN hooks h ON h.id = e.hook_id
                 WHERE h.name = '{hook}' AND encode(p.body, 'escape') LIKE '{sender}-%'
                 ORDER BY e.id"
            ));
            let sent: Vec<usize> = rows
                .iter()
                .map(|row| row[1].text().split('-').nth(1).unwrap().parse().unwrap())
                .collect();
            let mut sorted = sent.clone();
            sorted.sort_unstable();
            assert_eq!(sent, sorted, "sender {sender}, hook {hook}");
        }
    }
}

/// Two `scenario run` loops and a server running the same `immediately`
/// scenario: never two executions at once (the command itself would see
/// the other: its lock directory exists), and every event processed once.
#[test]
fn one_execution_at_a_time_across_processes() {
    if !switched_on("one_execution_at_a_time_across_processes") {
        return;
    }
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let lock = env.path().join("running");
    let out = env.path().join("out");
    let command = format!(
        "mkdir {lock} || exit 9; cat >> {out}; echo >> {out}; rmdir {lock}",
        lock = lock.display(),
        out = out.display()
    );
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--max-cycles",
        "3",
        "--",
        "sh",
        "-c",
        &command,
    ]);
    let server = ServerProcess::start(&env, &[]);
    let runs: Vec<std::thread::JoinHandle<()>> = (0..2)
        .map(|_| {
            let db = env.db.clone();
            std::thread::spawn(move || {
                for _ in 0..15 {
                    // 75 (busy) while another holds the lease: expected.
                    let out = Command::new(BIN)
                        .args(["scenario", "run", "s"])
                        .env("HOOKQ_DB", &db)
                        .env_remove("HOOKQ_NOW")
                        .output()
                        .expect("scenario run");
                    assert!(
                        matches!(out.status.code(), Some(0 | 75)),
                        "{:?}: {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for i in 0..60 {
        let body = format!("event-{i}");
        assert_eq!(
            http(server.addr, "POST", &path, &[], body.as_bytes()).status,
            200
        );
    }
    for run in runs {
        run.join().unwrap();
    }
    eventually(60, "every event to be processed", || {
        env.sql_count("SELECT count(*) FROM events WHERE state = 'done'") == 60
    });
    assert_eq!(
        env.sql_count("SELECT count(*) FROM operations WHERE status = 'error'"),
        0,
        "two executions ran at once"
    );
    assert_eq!(env.sql_count("SELECT count(*) FROM operations"), 60);
    assert_eq!(env.sql_count("SELECT max(attempts) FROM events"), 1);
    let lines = std::fs::read_to_string(&out).unwrap();
    assert_eq!(lines.lines().count(), 60);
    server.terminate();
}

/// `kill -9` of one of two servers while both take requests: every event
/// either server acknowledged is stored, once; the survivor goes on.
#[test]
fn a_server_killed_mid_load_loses_nothing_acknowledged() {
    if !switched_on("a_server_killed_mid_load_loses_nothing_acknowledged") {
        return;
    }
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let doomed = ServerProcess::start(&env, &["--no-scenarios"]);
    let survivor = ServerProcess::start(&env, &["--no-scenarios"]);
    let addrs = [doomed.addr, survivor.addr];
    let sent = std::sync::atomic::AtomicUsize::new(0);
    let accepted: Vec<String> = std::thread::scope(|scope| {
        let senders: Vec<_> = (0..4)
            .map(|sender| {
                let (path, sent) = (&path, &sent);
                scope.spawn(move || {
                    let mut accepted = Vec::new();
                    for i in 0..60 {
                        let body = format!("{sender}-{i}");
                        let addr = addrs[i % 2];
                        sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        // Refused or cut off by the kill: not acknowledged.
                        if let Ok(reply) = try_http(addr, "POST", path, &[], body.as_bytes()) {
                            if reply.status == 200 {
                                accepted.push(body);
                            }
                        }
                    }
                    accepted
                })
            })
            .collect();
        while sent.load(std::sync::atomic::Ordering::Relaxed) < 80 {
            std::thread::yield_now();
        }
        doomed.kill();
        senders
            .into_iter()
            .flat_map(|s| s.join().unwrap())
            .collect()
    });
    // The survivor took its half after the kill.
    assert!(accepted.len() >= 120, "{}", accepted.len());
    for body in &accepted {
        assert_eq!(
            env.sql_count(&format!(
                "SELECT count(*) FROM payloads WHERE CAST(body AS TEXT) = '{body}'"
            )),
            1,
            "{body}"
        );
    }
    assert_eq!(
        http(survivor.addr, "POST", &path, &[], b"after").status,
        200
    );
    survivor.terminate();
}
