//! Several hookq processes on one PostgreSQL database (SPEC §13,
//! docs/scaling.md "The guarantees and how they are tested"): servers
//! side by side under load, executions from several processes, a server
//! killed, PostgreSQL restarted. PostgreSQL-only: they skip without
//! `HOOKQ_TEST_PG` (and fail without it under `HOOKQ_CI=1`).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::pg;
use crate::util::{eventually, try_http, Env, ServerProcess};

/// A request a client had acknowledged: which client, its place in that
/// client's sequence, the body.
#[derive(Clone, Debug)]
struct Acked {
    client: usize,
    seq: usize,
    body: String,
}

/// What a load saw.
#[derive(Default)]
struct Load {
    acked: Mutex<Vec<Acked>>,
    acks: AtomicUsize,
    statuses: Mutex<HashMap<u16, usize>>,
    /// Requests whose connection failed (a server killed under them).
    broken: AtomicUsize,
}

impl Load {
    /// `clients` threads, each sending `per_client` requests one after
    /// another to hook `client % paths.len()`, alternating over `servers`.
    /// A client's next request leaves only once the last one was
    /// answered, so its acknowledged events were committed in its order.
    fn run(&self, servers: &[SocketAddr], paths: &[String], clients: usize, per_client: usize) {
        std::thread::scope(|scope| {
            for client in 0..clients {
                scope.spawn(move || {
                    let hook = client % paths.len();
                    for seq in 0..per_client {
                        let server = servers[(client + seq) % servers.len()];
                        let body = format!("c{client}-{seq}");
                        match try_http(server, "POST", &paths[hook], &[], body.as_bytes()) {
                            Ok(reply) => {
                                *self
                                    .statuses
                                    .lock()
                                    .unwrap()
                                    .entry(reply.status)
                                    .or_default() += 1;
                                if reply.status == 200 {
                                    self.acked.lock().unwrap().push(Acked { client, seq, body });
                                    self.acks.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                            Err(_) => {
                                self.broken.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                });
            }
        });
    }

    fn acked(&self) -> Vec<Acked> {
        self.acked.lock().unwrap().clone()
    }

    fn count(&self, status: u16) -> usize {
        self.statuses
            .lock()
            .unwrap()
            .get(&status)
            .copied()
            .unwrap_or(0)
    }
}

/// Every stored event: (id, hook id, body), by id.
fn stored(url: &str) -> Vec<(i64, i64, String)> {
    pg::connect(url)
        .query(
            "SELECT e.id, e.hook_id, encode(p.body, 'escape')
             FROM events e JOIN payloads p ON p.event_id = e.id ORDER BY e.id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

/// Every acknowledged request is stored exactly once, nothing is stored
/// twice, and each client's events of a hook have ids in the order the
/// client had them acknowledged: a hook's id order is its commit order.
/// The stored events by body.
fn check_stored(url: &str, acked: &[Acked]) -> HashMap<String, i64> {
    let stored = stored(url);
    let mut by_body: HashMap<String, i64> = HashMap::new();
    for (id, _, body) in &stored {
        assert!(
            by_body.insert(body.clone(), *id).is_none(),
            "{body} stored twice"
        );
    }
    let mut last: HashMap<usize, (usize, i64)> = HashMap::new();
    let mut acked = acked.to_vec();
    acked.sort_by_key(|a| (a.client, a.seq));
    for a in &acked {
        let id = *by_body
            .get(&a.body)
            .unwrap_or_else(|| panic!("{} was acknowledged but is not stored", a.body));
        if let Some((seq, before)) = last.insert(a.client, (a.seq, id)) {
            assert!(
                before < id,
                "client {}: request {seq} got id {before}, request {} (acknowledged later) id {id}",
                a.client,
                a.seq
            );
        }
    }
    by_body
}

fn hook_paths(env: &Env, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| env.hook(name, &["--rate-limit", "0", "--queue-limit", "100000"]))
        .collect()
}

/// A scenario command that appends `ID BODY` to `file` (O_APPEND: whole
/// lines, in the order the runs wrote them).
fn recorder(file: &std::path::Path) -> String {
    let f = file.display();
    format!("printf '%s ' \"$HOOKQ_EVENT_ID\" >> '{f}'; cat >> '{f}'; echo >> '{f}'")
}

fn lines(file: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn two_servers_on_one_database_store_every_event_once_in_commit_order() {
    let Some(cluster) = pg::required("two servers on one database") else {
        return;
    };
    let env = Env::on_cluster(&cluster);
    let paths = hook_paths(&env, &["even", "odd"]);
    let a = ServerProcess::start(&env, &[]);
    let b = ServerProcess::start(&env, &[]);
    let load = Load::default();
    load.run(&[a.addr, b.addr], &paths, 16, 200);
    a.terminate();
    b.terminate();
    let acked = load.acked();
    assert_eq!(
        acked.len(),
        16 * 200,
        "every request acknowledged: {:?}",
        load.statuses.lock().unwrap()
    );
    let by_body = check_stored(&env.db.to_string_lossy(), &acked);
    assert_eq!(by_body.len(), 16 * 200);

    // The scenarios take each queue in id order, which is each client's
    // order: what a hook committed first runs first.
    let files: Vec<PathBuf> = ["even", "odd"]
        .iter()
        .map(|name| env.path().join(format!("{name}.txt")))
        .collect();
    for (name, file) in ["even", "odd"].iter().zip(&files) {
        env.ok(&[
            "scenario",
            "create",
            name,
            "--hook",
            name,
            "--",
            "sh",
            "-c",
            &recorder(file),
        ]);
    }
    std::thread::scope(|scope| {
        for name in ["even", "odd"] {
            let env = &env;
            scope.spawn(move || env.ok(&["scenario", "run", name, "--max-cycles", "100000"]));
        }
    });
    for (hook, file) in files.iter().enumerate() {
        let ran: Vec<(i64, String)> = lines(file)
            .iter()
            .map(|line| {
                let (id, body) = line.split_once(' ').unwrap();
                (id.parse().unwrap(), body.to_owned())
            })
            .collect();
        let ids: Vec<i64> = ran.iter().map(|(id, _)| *id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "hook {hook} ran in id order");
        assert_eq!(ran.len(), 8 * 200, "hook {hook}: every event ran once");
        let mut last: HashMap<usize, usize> = HashMap::new();
        for (id, body) in &ran {
            assert_eq!(by_body[body], *id);
            let (client, seq) = body[1..].split_once('-').unwrap();
            let (client, seq): (usize, usize) = (client.parse().unwrap(), seq.parse().unwrap());
            assert_eq!(client % 2, hook);
            if let Some(before) = last.insert(client, seq) {
                assert!(before < seq, "client {client}: {seq} ran after {before}");
            }
        }
    }
}

#[test]
fn one_execution_at_a_time_across_processes() {
    let Some(cluster) = pg::required("one execution at a time") else {
        return;
    };
    let env = Env::on_cluster(&cluster);
    let paths = hook_paths(&env, &["h"]);
    let log = env.path().join("runs.txt");
    let f = log.display();
    // The sleep widens the window two executions would overlap in; the
    // order of the appended lines, not the clock, tells.
    let command = format!(
        "echo \"start $HOOKQ_EVENT_ID\" >> '{f}'; sleep 0.02; echo \"end $HOOKQ_EVENT_ID\" >> '{f}'"
    );
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "immediately",
        "--",
        "sh",
        "-c",
        &command,
    ]);
    let server = ServerProcess::start(&env, &[]);
    let done = AtomicBool::new(false);
    let events = 120;
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while !done.load(Ordering::SeqCst) {
                    let out = env.run(&["scenario", "run", "s", "--max-cycles", "5"]);
                    // 75: another process holds the lease, as it should.
                    assert!(
                        matches!(out.status.code(), Some(0 | 75)),
                        "{:?} {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            });
        }
        let load = Load::default();
        load.run(&[server.addr], &paths, 4, events / 4);
        assert_eq!(load.acked().len(), events);
        eventually(120, "every event to be done", || {
            env.sql_count("SELECT count(*) FROM events WHERE state <> 'done'") == 0
        });
        done.store(true, Ordering::SeqCst);
    });
    server.terminate();
    let lines = lines(&log);
    let mut ran: HashMap<i64, usize> = HashMap::new();
    for pair in lines.chunks(2) {
        let start = pair[0]
            .strip_prefix("start ")
            .unwrap_or_else(|| panic!("two executions at once: {pair:?} in {lines:?}"));
        assert_eq!(
            pair.get(1).map(String::as_str),
            Some(format!("end {start}").as_str()),
            "two executions at once: {pair:?}"
        );
        *ran.entry(start.parse().unwrap()).or_default() += 1;
    }
    assert_eq!(ran.len(), events, "every event ran");
    for (id, times) in &ran {
        assert_eq!(*times, 1, "event {id} ran {times} times");
        let attempts = env.sql_count(&format!("SELECT attempts FROM events WHERE id = {id}"));
        assert_eq!(attempts, 1, "event {id}: attempts");
    }
    assert_eq!(
        env.sql_count("SELECT CAST(sum(cycles) AS BIGINT) FROM executions"),
        events as i64,
        "every cycle counted"
    );
}

#[test]
fn a_server_killed_mid_load_loses_nothing_it_acknowledged() {
    let Some(cluster) = pg::required("a server killed mid-load") else {
        return;
    };
    let env = Env::on_cluster(&cluster);
    let paths = hook_paths(&env, &["even", "odd"]);
    let a = ServerProcess::start(&env, &[]);
    let b = ServerProcess::start(&env, &[]);
    let (a_addr, b_addr) = (a.addr, b.addr);
    let load = Load::default();
    let mut victim = Some(a);
    let mut at_kill = 0;
    std::thread::scope(|scope| {
        scope.spawn(|| load.run(&[a_addr, b_addr], &paths, 8, 200));
        eventually(60, "some requests acknowledged", || {
            load.acks.load(Ordering::SeqCst) >= 200
        });
        // SIGKILL: no goodbye, whatever it was in the middle of.
        victim.take().unwrap().kill();
        at_kill = load.acks.load(Ordering::SeqCst);
    });
    let acked = load.acked();
    assert!(
        load.broken.load(Ordering::SeqCst) > 0,
        "requests went to the dead server"
    );
    assert!(acked.len() > at_kill, "the other server went on");
    check_stored(&env.db.to_string_lossy(), &acked);
    // The survivor and the database are fine: a new request is stored.
    let reply = try_http(b_addr, "POST", &paths[0], &[], b"after").unwrap();
    assert_eq!(reply.status, 200);
    b.terminate();
}

/// A cluster of the test's own (restarting it must disturb no other
/// test), stopped and removed on drop.
struct OwnCluster(String);

impl OwnCluster {
    fn script(args: &[&str]) -> String {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh");
        let out = std::process::Command::new("bash")
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "postgres.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn start() -> OwnCluster {
        OwnCluster(Self::script(&["start"]))
    }

    /// TLS only (`hostssl`), with `dir/server.crt` and `dir/server.key`.
    fn start_tls(dir: &std::path::Path) -> OwnCluster {
        OwnCluster(Self::script(&["start", "--tls", &dir.to_string_lossy()]))
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        Self::script(&["stop", &self.0]);
    }
}

#[test]
fn postgresql_restarted_mid_load_means_503_then_200_and_nothing_acknowledged_lost() {
    if pg::required("PostgreSQL restarted mid-load").is_none() {
        return;
    }
    let cluster = OwnCluster::start();
    let mut env = Env::sqlite();
    env.db = PathBuf::from(&cluster.0);
    let paths = hook_paths(&env, &["even", "odd"]);
    let server = ServerProcess::start(&env, &[]);
    let addr = server.addr;
    let load = Load::default();
    let seen_while_down: Mutex<HashSet<u16>> = Mutex::default();
    std::thread::scope(|scope| {
        scope.spawn(|| load.run(&[addr], &paths, 4, 300));
        eventually(60, "some requests acknowledged", || {
            load.acks.load(Ordering::SeqCst) >= 50
        });
        OwnCluster::script(&["pause", &cluster.0]);
        // While it is away: 503, never a 200 for an event not stored.
        eventually(20, "a 503 while PostgreSQL is down", || {
            let reply = try_http(addr, "POST", &paths[0], &[], b"while down").unwrap();
            seen_while_down.lock().unwrap().insert(reply.status);
            reply.status == 503
        });
        let reply = try_http(addr, "POST", &paths[0], &[], b"while down").unwrap();
        seen_while_down.lock().unwrap().insert(reply.status);
        assert_eq!(reply.status, 503, "{}", reply.text());
        assert_eq!(reply.header("Retry-After"), Some("1"));
        // A token it does not know may be a hook created meanwhile: 503,
        // not 404.
        let unknown = format!("/wh/{}", "7".repeat(32));
        let reply = try_http(addr, "POST", &unknown, &[], b"x").unwrap();
        assert_eq!(
            reply.status, 503,
            "an unknown token while PostgreSQL is down"
        );
        OwnCluster::script(&["resume", &cluster.0]);
        // Back without restarting hookq.
        eventually(20, "a 200 once PostgreSQL is back", || {
            try_http(addr, "POST", &paths[1], &[], b"back")
                .map(|reply| reply.status == 200)
                .unwrap_or(false)
        });
    });
    let seen = seen_while_down.lock().unwrap().clone();
    assert!(
        !seen.contains(&200),
        "answered 200 while PostgreSQL was down: {seen:?}"
    );
    assert!(load.count(503) > 0 || seen.contains(&503));
    let acked = load.acked();
    assert!(acked.len() > 50, "{:?}", load.statuses.lock().unwrap());
    let by_body = check_stored(&cluster.0, &acked);
    assert!(!by_body.contains_key("while down"));
    assert!(by_body.contains_key("back"));
    server.terminate();
}

/// A CA, and a certificate it signed for 127.0.0.1 and localhost, written
/// as `ca.pem`, `server.crt` and `server.key` in `dir`.
fn private_ca(dir: &std::path::Path) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("server.crt"), server.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
}

/// A PostgreSQL that takes TLS only, with a certificate of a private CA:
/// `require` checks the certificate (refused without the CA, with a hint;
/// accepted with `sslrootcert`), `prefer` takes TLS without checking it,
/// `disable` is refused by the server.
#[test]
fn tls_require_checks_the_certificate_and_sslrootcert_names_a_private_ca() {
    if pg::required("PostgreSQL with TLS").is_none() {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    private_ca(certs.path());
    let cluster = OwnCluster::start_tls(certs.path());
    let mut env = Env::sqlite();
    let with = |params: &str| PathBuf::from(format!("{}?{params}", cluster.0));

    env.db = with("sslmode=require");
    let err = env.fails(&["hooks", "list"], 1);
    assert!(
        err.contains("certificate is not trusted") && err.contains("sslrootcert=PATH"),
        "{err}"
    );

    let ca = certs.path().join("ca.pem");
    env.db = with(&format!("sslmode=require&sslrootcert={}", ca.display()));
    env.hook("h", &[]);
    let id = env.send("h", r#"{"over":"tls"}"#);
    // libpq's spelling, and sslrootcert alone (which means require).
    env.db = with(&format!("sslmode=verify-full&sslrootcert={}", ca.display()));
    let payload = env.ok(&["hooks", "payload", &id.to_string()]);
    assert!(payload.contains(r#""over":"tls""#), "{payload}");
    env.db = with(&format!("sslrootcert={}", ca.display()));
    env.ok(&["hooks", "events", "h"]);

    // The default, prefer: TLS as the server offers it, certificate unchecked.
    env.db = PathBuf::from(&cluster.0);
    env.ok(&["hooks", "list"]);

    env.db = with("sslmode=disable");
    let err = env.fails(&["hooks", "list"], 1);
    assert!(err.contains("no encryption"), "{err}");
}

/// PostgreSQL away under requests: the server's log says so once, and once
/// more when it is back (with how long it lasted), not a line per failed
/// batch, lookup or refresh.
#[test]
fn an_outage_of_postgresql_is_logged_once_and_its_end_once() {
    if pg::required("the log of a PostgreSQL outage").is_none() {
        return;
    }
    let cluster = OwnCluster::start();
    let mut env = Env::sqlite();
    env.db = PathBuf::from(&cluster.0);
    let path = env.hook("h", &[]);
    let (server, stderr) = ServerProcess::logged(&env, &["--quiet"]);
    let log = std::thread::spawn(move || {
        use std::io::BufRead;
        stderr.lines().map_while(Result::ok).collect::<Vec<_>>()
    });
    let addr = server.addr;
    assert_eq!(
        try_http(addr, "POST", &path, &[], b"before")
            .unwrap()
            .status,
        200
    );
    OwnCluster::script(&["pause", &cluster.0]);
    // Many refused requests, known hooks and unknown tokens alike.
    let unknown = format!("/wh/{}", "7".repeat(32));
    let mut refused = 0;
    eventually(20, "30 requests refused while PostgreSQL is down", || {
        for path in [&path, &unknown] {
            let reply = try_http(addr, "POST", path, &[], b"while down").unwrap();
            assert_ne!(reply.status, 200, "stored while PostgreSQL was down");
            refused += usize::from(reply.status == 503);
        }
        refused >= 30
    });
    OwnCluster::script(&["resume", &cluster.0]);
    eventually(20, "a 200 once PostgreSQL is back", || {
        try_http(addr, "POST", &path, &[], b"back")
            .map(|reply| reply.status == 200)
            .unwrap_or(false)
    });
    for _ in 0..5 {
        assert_eq!(
            try_http(addr, "POST", &path, &[], b"after").unwrap().status,
            200
        );
    }
    assert_eq!(server.terminate(), Some(0));
    let lines = log.join().unwrap();
    let unreachable: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains("the store is unreachable"))
        .collect();
    let back: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains("the store is back after"))
        .collect();
    assert_eq!(unreachable.len(), 1, "{lines:#?}");
    assert_eq!(back.len(), 1, "{lines:#?}");
    assert!(
        lines.iter().filter(|line| line.contains("error:")).count() == 1,
        "one error line for the whole outage: {lines:#?}"
    );
}
