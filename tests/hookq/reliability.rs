//! Reliability (docs/reliability.md): an acknowledged webhook is never lost,
//! through crashes and storage faults.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::util::{eventually, http, try_http, Env, ServerProcess, TestServer};

/// Every stored body, with its event id.
fn stored_bodies(env: &Env) -> Vec<(i64, String)> {
    env.rows("SELECT event_id, body FROM payloads ORDER BY event_id")
        .iter()
        .map(|row| (row[0].int(), row[1].text()))
        .collect()
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
        // A command that writes repairs what the crash left running
        // (reading commands, and looking here, do not).
        env.ok(&["sweep"]);
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
    // Queued and taken ahead: an execution has up to a window of events
    // out of the queue, which a shutdown puts back.
    eventually(120, "the queue to drain", || {
        env.sql_count("SELECT COUNT(*) FROM events WHERE state IN ('queued', 'running')") == 0
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
        .rows("SELECT id, attempts FROM events")
        .iter()
        .map(|row| (row[0].int(), row[1].int() as usize))
        .collect();
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
    if env.skip_on_postgres("a read-only SQLite file") {
        return;
    }
    let path = env.hook("h", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    assert_eq!(http(server.addr, "POST", &path, &[], b"before").status, 200);
    let wal = env.db.with_extension("db-wal");
    let Some(immutable) = Immutable::try_new(&[&wal, &env.db]) else {
        // SAFETY: geteuid only returns a number.
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
    if env.skip_on_postgres("a corrupted SQLite file") {
        return;
    }
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

/// A server's stderr, collected by a thread as it comes.
fn collect_log(mut stderr: std::io::BufReader<std::process::ChildStderr>) -> Arc<Mutex<String>> {
    let log: Arc<Mutex<String>> = Arc::default();
    let into = log.clone();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut line = String::new();
        while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
            into.lock().unwrap().push_str(&std::mem::take(&mut line));
        }
    });
    log
}

/// Issue 17: `rm hookq.db-wal` under a running server. SQLite goes on
/// committing into the unlinked WAL, which no other process can read; the
/// server must see it, answer 503 from then on (never 200) and say why in
/// its log, once.
#[test]
fn a_wal_deleted_under_a_server_is_503_from_then_on() {
    let env = Env::new();
    if env.skip_on_postgres("SQLite's WAL file") {
        return;
    }
    let path = env.hook("h", &["--rate-limit", "0"]);
    let (server, stderr) = ServerProcess::logged(&env, &["--no-scenarios"]);
    let log = collect_log(stderr);
    assert_eq!(http(server.addr, "POST", &path, &[], b"before").status, 200);
    std::fs::remove_file(env.path().join("hookq.db-wal")).unwrap();
    for n in 0..5 {
        let reply = http(
            server.addr,
            "POST",
            &path,
            &[],
            format!("after {n}").as_bytes(),
        );
        assert_eq!(reply.status, 503, "{}", reply.text());
    }
    eventually(20, "the log to say why", || {
        log.lock().unwrap().contains("ALERT")
    });
    server.kill();
    let log = log.lock().unwrap();
    assert_eq!(log.matches("ALERT").count(), 1, "{log}");
    assert!(log.contains("-wal was deleted or replaced"), "{log}");
}

/// Issue 17: the database's directory removed under a running server: 503
/// from then on, and nothing (no scenario worker, no reading command)
/// creates a new empty database in its place.
#[test]
fn a_database_directory_deleted_under_a_server_is_503_and_not_recreated() {
    let mut env = Env::new();
    let dir = env.path().join("data");
    env.db = dir.join("hookq.db");
    let path = env.hook("h", &["--rate-limit", "0"]);
    env.ok(&["scenario", "create", "s", "--hook", "h", "--", "true"]);
    let (server, stderr) = ServerProcess::logged(&env, &[]);
    let log = collect_log(stderr);
    assert_eq!(http(server.addr, "POST", &path, &[], b"before").status, 200);
    std::fs::remove_dir_all(&dir).unwrap();
    for n in 0..5 {
        let reply = http(
            server.addr,
            "POST",
            &path,
            &[],
            format!("after {n}").as_bytes(),
        );
        assert_eq!(reply.status, 503, "{}", reply.text());
    }
    eventually(20, "the log to say why", || {
        log.lock().unwrap().contains("ALERT")
    });
    let err = env.fails(&["hooks", "list"], 3);
    assert!(err.contains("no database at"), "{err}");
    server.terminate();
    assert!(
        !dir.exists(),
        "a new database was created in place of the deleted one"
    );
}

/// Issue 17: commands that only read, on a path with no database, say so
/// (exit 3) and create nothing; so do commands that change what is not
/// there. Commands that create make it, as before.
#[test]
fn commands_on_a_missing_database_create_nothing_unless_they_create() {
    let mut env = Env::new();
    let dir = env.path().join("gone");
    env.db = dir.join("hookq.db");
    let reads: &[&[&str]] = &[
        &["hooks", "list"],
        &["hooks", "show", "h"],
        &["hooks", "url", "h"],
        &["hooks", "events", "h"],
        &["hooks", "ops", "h"],
        &["hooks", "payload", "1"],
        &["scenario", "list"],
        &["scenario", "show", "s"],
        &["scenario", "runs", "s"],
        &["connections", "list"],
        &["connections", "show", "c"],
        &["sweep", "--dry-run"],
        &["hooks", "delete", "h"],
        &["scenario", "run", "s"],
        &["sweep"],
    ];
    for args in reads {
        let err = env.fails(args, 3);
        assert!(
            err.starts_with(&format!("hookq: no database at {}", env.db.display())),
            "{args:?}: {err}"
        );
        assert!(!dir.exists(), "{args:?} created {}", dir.display());
    }
    env.hook("h", &[]);
    assert!(env.db.exists());
    assert_eq!(env.json(&["hooks", "list"]).as_array().unwrap().len(), 1);
}

/// A new user's first command may read (`hooks list`) before anything was
/// created at the default path: an empty list, and nothing created.
#[test]
fn a_first_read_on_the_default_path_is_empty_and_creates_nothing() {
    let env = Env::new();
    let home = env.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let run = |args: &[&str]| {
        let mut command = env.cmd(args);
        command
            .env_remove("HOOKQ_DB")
            .env_remove("XDG_DATA_HOME")
            .env("HOME", &home);
        command.output().unwrap()
    };
    let out = run(&["hooks", "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
    let out = run(&["hooks", "show", "h"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        std::fs::read_dir(&home).unwrap().count(),
        0,
        "something was created"
    );
    assert!(run(&["hooks", "create", "h"]).status.success());
    assert!(home.join(".local/share/hookq/hookq.db").exists());
    let out = run(&["hooks", "list", "--json"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()[0]["name"],
        "h"
    );
}

/// `hookq ARGS` with its writes to files limited to `bytes` (a full disk),
/// while a reader keeps the WAL, already past `bytes`, from being reused:
/// any write appends to it, and fails.
fn on_a_full_disk(env: &Env, args: &[&str]) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let bytes: u64 = 32 << 10; // the -shm index of a small WAL fits
                               // About the SQLite file: a reader holding its WAL.
    let reader = env.sqlite_file();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    let wal = std::fs::metadata(env.db.with_extension("db-wal"))
        .unwrap()
        .len();
    assert!(wal > bytes, "the WAL ({wal} bytes) must be past the limit");
    let mut command = env.cmd(args);
    // SAFETY: signal and setrlimit are async-signal-safe; `limit` is a
    // local copied into the child.
    unsafe {
        command.pre_exec(move || {
            // A write past the limit fails (EFBIG) instead of killing.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().expect("run hookq");
    reader.execute_batch("COMMIT").unwrap();
    out
}

/// A store with hook `h` (scenario `s`) and hook `g` (scenario `t`), an
/// event of each left `running`; `t`'s lease held by a live process (this
/// one), `s`'s by nobody: its event is really dead. A writer stays open
/// (as a server would) so the WAL is not folded back at each command's end.
fn running_events(env: &Env) -> (rusqlite::Connection, i64, i64) {
    env.hook("h", &[]);
    env.hook("g", &[]);
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
    env.ok(&[
        "scenario",
        "create",
        "t",
        "--hook",
        "g",
        "--schedule",
        "on-demand",
        "--",
        "true",
    ]);
    let dead = env.enqueue("h", None, "", b"dead");
    let held = env.enqueue("g", None, "", b"held");
    // About the SQLite file: a connection that keeps its WAL open.
    let writer = env.sqlite_file();
    let far = hookq::clock::system_now() + 3_600_000;
    writer
        .execute_batch(&format!(
            "CREATE TABLE filler (b BLOB); -- some 64 KiB of WAL
             INSERT INTO filler VALUES (zeroblob(65536));
             UPDATE events SET state = 'running' WHERE id IN ({dead}, {held});
             INSERT INTO leases (scenario_id, pid, holder, expires_at)
             SELECT id, {}, NULL, {far} FROM scenarios WHERE name = 't';",
            std::process::id()
        ))
        .unwrap();
    (writer, dead, held)
}

/// Issue 17: a command that only reads never repairs (nor needs to write):
/// it works on a full disk with events left running; a command that writes
/// puts back only the event whose holder is gone.
#[test]
fn reads_work_on_a_full_disk_and_only_writers_repair_what_is_really_dead() {
    let env = Env::new();
    if env.skip_on_postgres("a reader holding SQLite's WAL") {
        return;
    }
    let (_writer, dead, held) = running_events(&env);
    for args in [
        &["hooks", "list"][..],
        &["scenario", "show", "s"],
        &["hooks", "events", "h"],
        &["sweep", "--dry-run"],
    ] {
        let out = on_a_full_disk(&env, args);
        assert!(
            out.status.success(),
            "{args:?} on a full disk: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    env.ok(&["hooks", "list"]);
    assert_eq!(env.state(dead), "running", "a read repaired");
    // A command that writes repairs: the dead holder's event only.
    env.ok(&["sweep"]);
    assert_eq!(env.state(dead), "queued");
    assert_eq!(
        env.state(held),
        "running",
        "the live holder's event was taken"
    );
}

/// Issue 17: `serve` binds before it starts any work: on an address in
/// use it exits with the bind error, and no scenario ran meanwhile.
#[test]
fn serve_on_an_address_in_use_runs_no_scenario() {
    let env = Env::new();
    env.hook("h", &[]);
    let ran = env.path().join("ran");
    let script = format!("touch {}", ran.display());
    env.ok(&[
        "scenario", "create", "s", "--hook", "h", "--", "sh", "-c", &script,
    ]);
    env.send("h", "{}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = env.run_within(60, &["hooks", "serve", "--listen", &addr]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("could not listen on {addr}")),
        "{err}"
    );
    assert!(!ran.exists(), "a scenario ran before the bind failed");
    assert_eq!(env.json(&["hooks", "show", "h"])["queue"], 1);
}
