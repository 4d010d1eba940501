//! Reliability (docs/reliability.md): an acknowledged webhook is never lost,
//! through crashes and storage faults.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::util::{eventually, http, try_http, Env, ServerProcess, TestServer};

/// Every stored body, with its event id.
fn stored_bodies(env: &Env) -> Vec<(i64, String)> {
    let conn = env.look();
    let mut stmt = conn
        .prepare("SELECT event_id, CAST(body AS TEXT) FROM payloads ORDER BY event_id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows
}

/// A small deterministic generator: the kill moments vary, the test does not.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// SPEC §4/§5: a server receiving on 16 connections, with an `immediately`
/// scenario running, is killed with SIGKILL 20 times at a varying moment.
/// After each kill every acknowledged event is stored exactly once and no
/// event is left `running`; in the end every event is processed at least
/// once, and no event ran more often than its attempts count.
#[test]
fn crash_under_load_loses_no_acknowledged_event() {
    let env = Env::new();
    let path = env.hook("crash", &["--rate-limit", "0", "--queue-limit", "1000000"]);
    let log = env.path().join("processed");
    let script = format!(
        "echo \"$HOOKQ_EVENT_ID $HOOKQ_ATTEMPT\" >> {}",
        log.display()
    );
    env.ok(&[
        "scenario", "create", "work", "--hook", "crash", "--", "sh", "-c", &script,
    ]);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut random = XorShift(0x9E37_79B9_7F4A_7C15);
    for round in 0..20 {
        let server = ServerProcess::start(&env, &[]);
        let addr = server.addr;
        // Kill after a varying number of acknowledgements in this round.
        let kill_after = 20 + random.below(150) as usize;
        let this_round = Arc::new(AtomicUsize::new(0));
        let gone = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..16)
            .map(|client| {
                let (path, acked, this_round, gone) = (
                    path.clone(),
                    acked.clone(),
                    this_round.clone(),
                    gone.clone(),
                );
                std::thread::spawn(move || {
                    for n in 0.. {
                        if gone.load(Ordering::Relaxed) {
                            break;
                        }
                        let body = format!("r{round}-c{client}-n{n}");
                        match try_http(addr, "POST", &path, &[], body.as_bytes()).map(|r| r.status)
                        {
                            Ok(200) => {
                                acked.lock().unwrap().push(body);
                                this_round.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => break, // killed under us
                        }
                    }
                })
            })
            .collect();
        eventually(60, "acknowledgements before the kill", || {
            this_round.load(Ordering::Relaxed) >= kill_after
        });
        server.kill();
        gone.store(true, Ordering::Relaxed);
        for client in clients {
            client.join().unwrap();
        }
        // Any hookq process that opens the store repairs what the crash
        // left running (looking here, read-only, does not).
        env.ok(&["hooks", "list"]);
        let bodies = stored_bodies(&env);
        let stored: HashSet<&str> = bodies.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(
            stored.len(),
            bodies.len(),
            "round {round}: an event stored twice"
        );
        let acked = acked.lock().unwrap();
        let lost: Vec<&String> = acked
            .iter()
            .filter(|b| !stored.contains(b.as_str()))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} acknowledged events lost, e.g. {:?}",
            lost.len(),
            lost.first()
        );
        assert_eq!(
            env.sql_count("SELECT COUNT(*) FROM events WHERE state = 'running'"),
            0,
            "round {round}"
        );
    }
    // A last server drains the queue: every event processed at least once.
    let server = ServerProcess::start(&env, &[]);
    eventually(120, "the queue to drain", || {
        env.json(&["hooks", "show", "crash"])["queue"] == 0
    });
    assert_eq!(server.terminate(), Some(0));
    let total = stored_bodies(&env).len();
    let mut runs: HashMap<i64, usize> = HashMap::new();
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        *runs
            .entry(line.split(' ').next().unwrap().parse().unwrap())
            .or_default() += 1;
    }
    assert_eq!(
        runs.len(),
        total,
        "every stored event processed at least once"
    );
    assert_eq!(
        env.sql_count("SELECT COUNT(*) FROM events WHERE state <> 'done'"),
        0
    );
    // Each run was a claim: an event that ran twice shows a second attempt.
    let attempts: HashMap<i64, usize> = env
        .look()
        .prepare("SELECT id, attempts FROM events")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (event, n) in &runs {
        assert!(
            *n <= attempts[event],
            "event {event} ran {n} times in {} attempts",
            attempts[event]
        );
    }
    let twice = runs.values().filter(|&&n| n > 1).count();
    let retried = attempts.values().filter(|&&n| n > 1).count();
    eprintln!(
        "crash under load: {} acknowledged, {total} stored, {twice} processed twice, {retried} with a second attempt",
        acked.lock().unwrap().len()
    );
}

/// Files made immutable (`chattr +i`) for as long as this lives, undone on
/// drop even when the test fails (an immutable file outlives its temporary
/// directory otherwise).
struct Immutable(Vec<std::path::PathBuf>);

impl Immutable {
    /// `None` where this cannot be done: not root, or a filesystem without
    /// the attribute. The files are already open in the server, so file
    /// permissions would change nothing; and root ignores them anyway.
    fn try_new(files: &[&std::path::Path]) -> Option<Immutable> {
        let files: Vec<_> = files.iter().map(|f| f.to_path_buf()).collect();
        chattr("+i", &files).then_some(Immutable(files))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        chattr("-i", &self.0);
    }
}

fn chattr(flag: &str, files: &[std::path::PathBuf]) -> bool {
    std::process::Command::new("chattr")
        .arg(flag)
        .args(files)
        .status()
        .is_ok_and(|s| s.success())
}

/// The database file becomes read-only under a running server (`chattr +i`
/// on it and its WAL): requests get 503, nothing is acknowledged that was
/// not stored, and the server recovers by itself when writing works again.
/// Needs root; as root (CI) it must run, so it cannot pass by skipping.
#[test]
fn a_read_only_database_answers_503_and_recovers() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    assert_eq!(http(server.addr, "POST", &path, &[], b"before").status, 200);
    let wal = env.db.with_extension("db-wal");
    let Some(immutable) = Immutable::try_new(&[&wal, &env.db]) else {
        let root = unsafe { libc::geteuid() } == 0;
        assert!(
            !root,
            "chattr +i failed as root: put TMPDIR on a filesystem with attributes (ext4)"
        );
        eprintln!("skipped: making a file immutable needs root");
        return;
    };
    let refused = http(server.addr, "POST", &path, &[], b"during");
    drop(immutable);
    assert_eq!(refused.status, 503, "{}", refused.text());
    eventually(30, "the server to store again", || {
        http(server.addr, "POST", &path, &[], b"after").status == 200
    });
    server.stop();
    let bodies: Vec<String> = stored_bodies(&env).into_iter().map(|(_, b)| b).collect();
    assert!(bodies.contains(&"before".to_owned()) && bodies.contains(&"after".to_owned()));
    assert!(
        !bodies.contains(&"during".to_owned()),
        "a refused event was stored"
    );
}

#[test]
fn a_corrupted_or_truncated_database_is_a_clear_error() {
    let env = Env::new();
    for i in 0..200 {
        env.ok(&["hooks", "create", &format!("hook-{i}")]);
    }
    let bytes = std::fs::read(&env.db).unwrap();
    assert!(bytes.len() > 16 * 4096);
    // Truncated to half, then with its pages overwritten.
    let cases = [bytes[..bytes.len() / 2].to_vec(), {
        let mut damaged = bytes.clone();
        for b in &mut damaged[4096..] {
            *b ^= 0x5a;
        }
        damaged
    }];
    for damaged in cases {
        std::fs::write(&env.db, &damaged).unwrap();
        let _ = std::fs::remove_file(env.db.with_extension("db-wal"));
        for args in [
            &["hooks", "list"][..],
            &["hooks", "serve", "--listen", "127.0.0.1:0"],
        ] {
            // A server that started anyway would fail the test, not hang it.
            let out = env.run_within(60, args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.starts_with("hookq: "), "{err}");
            assert!(
                err.contains(env.db.to_str().unwrap()),
                "names the file: {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}
