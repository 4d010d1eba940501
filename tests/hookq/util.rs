//! The shared test harness: a temporary directory with a database, and
//! helpers that run the real binary against it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_hookq");

pub struct Env {
    pub dir: TempDir,
    /// The database: a file, or with `HOOKQ_TEST_PG` a PostgreSQL URL (as
    /// `HOOKQ_DB` takes both).
    pub db: PathBuf,
    now: Option<String>,
    pg: Option<crate::pg::TestDb>,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = crate::pg::cluster().map(crate::pg::TestDb::new);
        let db = match &pg {
            Some(pg) => PathBuf::from(&pg.url),
            None => dir.path().join("hookq.db"),
        };
        Env {
            dir,
            db,
            now: None,
            pg,
        }
    }

    /// On a SQLite file whatever the switch says: the source of
    /// `hookq db copy`.
    pub fn sqlite() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("hookq.db");
        Env {
            dir,
            db,
            now: None,
            pg: None,
        }
    }

    /// A database of its own on this PostgreSQL cluster, whatever the
    /// switch says (a test that restarts its own cluster).
    pub fn on_cluster(url: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = crate::pg::TestDb::new(url.to_owned());
        Env {
            dir,
            db: PathBuf::from(&pg.url),
            now: None,
            pg: Some(pg),
        }
    }

    /// Whether the suite runs on PostgreSQL (`HOOKQ_TEST_PG`).
    pub fn on_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// For a test about the SQLite file itself (`about`): true, and a line
    /// on stderr, when the suite runs on PostgreSQL, where it means nothing.
    pub fn skip_on_postgres(&self, about: &str) -> bool {
        if self.on_postgres() {
            eprintln!("skipped on PostgreSQL: a test about {about}");
        }
        self.on_postgres()
    }

    /// Run every later command as if it were this time (`HOOKQ_NOW`).
    pub fn at(&mut self, now: &str) -> &mut Env {
        self.now = Some(now.to_owned());
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `hookq` command on this database, isolated from the caller's env.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("HOOKQ_DB", &self.db)
            .env_remove("HOOKQ_BASE_URL")
            .env_remove("HOOKQ_LISTEN")
            .env_remove("HOOKQ_NOW")
            .stdin(Stdio::null());
        if let Some(now) = &self.now {
            cmd.env("HOOKQ_NOW", now);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run hookq")
    }

    /// Run, require exit 0, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "hookq {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Run, require this exit code, return stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "hookq {args:?}: wrong exit code\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).expect("utf-8 stderr")
    }

    /// Run with `--json`, require exit 0, parse stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let out = self.ok(&args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: invalid JSON {e}: {out}"))
    }

    /// Where the tests' store is, as `--db` / `HOOKQ_DB` name it.
    pub fn location(&self) -> hookq::store::Location {
        hookq::store::Location::parse(self.db.as_os_str())
    }

    /// The store itself (created if missing), for preparing what no
    /// command can (many events at once, past times).
    pub fn store(&self) -> Box<dyn hookq::store::Store> {
        hookq::store::open(&self.location(), hookq::store::Access::Create).expect("open the store")
    }

    // The tests look into the store only through the helpers below, in SQL
    // that both engines read the same, so that the same tests can run on
    // another engine by changing these helpers alone.

    /// A raw SQL query on the database, for checks no command shows.
    pub fn sql_count(&self, sql: &str) -> i64 {
        if let Some(pg) = &self.pg {
            return pg.count(sql);
        }
        let conn = rusqlite_like::open(&self.db);
        rusqlite_like::count(&conn, sql)
    }

    /// Every row of a query, for checks no command shows.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Cell>> {
        if let Some(pg) = &self.pg {
            return pg.rows(sql);
        }
        let conn = rusqlite_like::open(&self.db);
        rusqlite_like::rows(&conn, sql)
    }

    /// The one row of a query.
    pub fn row(&self, sql: &str) -> Vec<Cell> {
        let mut rows = self.rows(sql);
        assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
        rows.remove(0)
    }

    /// The SQLite file itself, read-write, for the tests that are about it
    /// (its WAL, a reader holding it, a full disk), not about the store.
    pub fn sqlite_file(&self) -> rusqlite::Connection {
        assert!(
            !self.on_postgres(),
            "a test about the SQLite file: skip it on PostgreSQL (Env::skip_on_postgres)"
        );
        let conn = rusqlite::Connection::open(&self.db)
            .unwrap_or_else(|e| panic!("open {}: {e}", self.db.display()));
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .unwrap();
        conn
    }

    /// Make the scenarios' leases look long overdue, as if their holders
    /// had stopped renewing them a long time ago.
    pub fn leases_overdue(&self) -> u64 {
        self.sql_write(if self.on_postgres() {
            "UPDATE leases SET expires_at = '-infinity'"
        } else {
            "UPDATE leases SET expires_at = 0"
        })
    }

    /// Another process holds the lease of the only scenario now, one that
    /// can be judged only by its lease's expiry (another pid namespace or
    /// host), and renewed it.
    pub fn lease_taken_elsewhere(&self) -> u64 {
        self.sql_write(&if self.on_postgres() {
            "UPDATE leases SET holder = 'elsewhere 1 - - - test',
                               expires_at = now() + interval '1 hour'
             WHERE scenario_id = (SELECT id FROM scenarios)"
                .to_owned()
        } else {
            format!(
                "UPDATE leases SET pid = {}, holder = NULL
                 WHERE scenario_id = (SELECT id FROM scenarios)",
                std::process::id()
            )
        })
    }

    /// Change the database behind hookq's back, with statements in SQL
    /// both engines read the same, for states no command makes (another
    /// process's lease, a long history, a payload lost). Returns the rows
    /// the last statement changed.
    pub fn sql_write(&self, sql: &str) -> u64 {
        if let Some(pg) = &self.pg {
            return pg.write(sql);
        }
        rusqlite_like::write(&self.db, sql)
    }
}

/// Tests look inside the database as the sqlite3 shell would: a read-only
/// connection, so looking never migrates or repairs anything itself (only
/// the binary does, when it opens the store).
mod rusqlite_like {
    use std::path::Path;

    use rusqlite::{Connection, OpenFlags};

    pub fn open(path: &Path) -> Connection {
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap_or_else(|e| panic!("open {} read-only: {e}", path.display()))
    }

    pub fn write(path: &Path, sql: &str) -> u64 {
        let conn =
            Connection::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        // A hookq process may hold the write lock for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .unwrap();
        conn.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.changes()
    }

    pub fn rows(conn: &Connection, sql: &str) -> Vec<Vec<super::Cell>> {
        use rusqlite::types::ValueRef;
        let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let columns = stmt.column_count();
        stmt.query_map([], |row| {
            (0..columns)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        ValueRef::Null => super::Cell::Null,
                        ValueRef::Integer(n) => super::Cell::Int(n),
                        ValueRef::Real(x) => super::Cell::Real(x),
                        ValueRef::Text(t) => {
                            super::Cell::Text(String::from_utf8_lossy(t).into_owned())
                        }
                        ValueRef::Blob(b) => super::Cell::Bytes(b.to_vec()),
                    })
                })
                .collect()
        })
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |row| row.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// One value of a row that [`Env::rows`] read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(n) => *n,
            other => panic!("not an integer: {other:?}"),
        }
    }

    pub fn opt_int(&self) -> Option<i64> {
        match self {
            Cell::Null => None,
            other => Some(other.int()),
        }
    }

    /// Text, or bytes read as UTF-8 (a payload).
    pub fn text(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Bytes(bytes) => String::from_utf8(bytes.clone()).expect("UTF-8"),
            other => panic!("not text: {other:?}"),
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Cell::Bytes(bytes) => bytes.clone(),
            Cell::Text(text) => text.as_bytes().to_vec(),
            other => panic!("not bytes: {other:?}"),
        }
    }
}

/// An HTTP answer as the tests see it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 client on loopback: one request per connection.
pub fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    try_http(addr, method, path, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// [`http`], with the connection's failure as an error (a server killed
/// under the client).
pub fn try_http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    use std::io::Write;
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = raw.into_bytes();
    bytes.extend_from_slice(body);
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    stream.write_all(&bytes)?;
    try_read_reply(&mut stream)
}

/// Send raw bytes (for malformed or chunked requests) and read the answer.
pub fn http_raw(addr: std::net::SocketAddr, bytes: &[u8]) -> Reply {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    // The server may answer and close before taking everything.
    let _ = stream.write_all(bytes);
    read_reply(&mut stream)
}

pub fn read_reply(stream: &mut std::net::TcpStream) -> Reply {
    try_read_reply(stream).unwrap_or_else(|e| panic!("reading the reply: {e}"))
}

pub fn try_read_reply(stream: &mut std::net::TcpStream) -> std::io::Result<Reply> {
    use std::io::Read;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() => break,
            Err(e) => return Err(e),
        }
        if let Some(reply) = parse_reply(&raw) {
            return Ok(reply);
        }
    }
    parse_reply(&raw).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("incomplete reply: {:?}", String::from_utf8_lossy(&raw)),
        )
    })
}

pub fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())?;
    let body = raw.get(end + 4..end + 4 + length)?.to_vec();
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// Poll `check` until it is true, for at most `secs` seconds.
pub fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A server running in this test process on 127.0.0.1:0; stopped on drop.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    running: Option<hookq::server::Running>,
}

impl TestServer {
    pub fn start(env: &Env) -> TestServer {
        Self::with(env, |_| {})
    }

    pub fn with(env: &Env, tweak: impl FnOnce(&mut hookq::server::Config)) -> TestServer {
        let mut config = hookq::server::Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            threads: 8,
            max_connections: None,
            max_body_in_flight: hookq::server::Config::MAX_BODY_IN_FLIGHT,
            metrics: false,
            quiet: true,
            trust_proxy: false,
            max_db_size: None,
            grace: hookq::server::Config::GRACE,
        };
        tweak(&mut config);
        let shutdown = std::sync::Arc::new(hookq::shutdown::Shutdown::default());
        let running =
            hookq::server::start(&env.location(), config, shutdown, None).expect("start server");
        TestServer {
            addr: running.addr(),
            running: Some(running),
        }
    }

    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Reply {
        http(
            self.addr,
            "POST",
            path,
            &[("Content-Type", content_type)],
            body,
        )
    }

    pub fn stop(mut self) {
        self.running.take().unwrap().stop().expect("stop server");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.stop();
        }
    }
}

/// The `id`s of a JSON array of events.
pub fn ids(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|e| e["id"].as_i64().expect("an id"))
        .collect()
}

impl Env {
    /// `hooks send HOOK --data DATA`: the new event's id.
    pub fn send(&self, hook: &str, data: &str) -> i64 {
        self.ok(&["hooks", "send", hook, "--data", data])
            .trim()
            .parse()
            .expect("an event id")
    }

    /// Create a hook, return its path `/wh/<token>`.
    pub fn hook(&self, name: &str, options: &[&str]) -> String {
        let mut args = vec!["hooks", "create", name];
        args.extend_from_slice(options);
        let url = self.ok(&args);
        format!("/wh/{}", url.trim().rsplit('/').next().unwrap())
    }
}

impl Env {
    /// Put an event in a hook's queue through the library, as the server
    /// would (the fast way to fill a queue in tests).
    pub fn enqueue(&self, hook: &str, content_type: Option<&str>, query: &str, body: &[u8]) -> i64 {
        let mut store = self.store();
        let hook = store.hook(hook).unwrap();
        let mut headers = vec![("X-Test".to_owned(), "yes".to_owned())];
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_owned(), ct.to_owned()));
        }
        let received_at = self.now.as_deref().unwrap_or("2026-11-29T12:00:00Z");
        let event = hookq::store::NewEvent {
            hook_id: hook.id,
            received_at: hookq::clock::parse(received_at).unwrap(),
            method: "POST".into(),
            path: format!("/wh/{}", hook.token),
            query: query.into(),
            headers,
            remote_addr: Some("127.0.0.1".into()),
            content_type: content_type.map(str::to_owned),
            body: body.to_vec(),
            replay_of: None,
            delivery: None,
        };
        match store.enqueue(&[event], &[]).unwrap()[0] {
            hookq::store::Enqueued::Stored(id) => id,
            other => panic!("not stored: {other:?}"),
        }
    }

    /// Put `n` events with this body in a hook's queue, received at
    /// `received_at` (RFC 3339), in one transaction. Returns their ids.
    pub fn enqueue_at(&self, hook: &str, received_at: &str, n: usize, body: &[u8]) -> Vec<i64> {
        let mut store = self.store();
        let hook = store.hook(hook).unwrap();
        let received_at = hookq::clock::parse(received_at).unwrap();
        let events: Vec<hookq::store::NewEvent> = (0..n)
            .map(|_| hookq::store::NewEvent {
                hook_id: hook.id,
                received_at,
                method: "POST".into(),
                path: format!("/wh/{}", hook.token),
                query: String::new(),
                headers: Vec::new(),
                remote_addr: Some("127.0.0.1".into()),
                content_type: None,
                body: body.to_vec(),
                replay_of: None,
                delivery: None,
            })
            .collect();
        store
            .enqueue(&events, &[])
            .unwrap()
            .into_iter()
            .map(|outcome| match outcome {
                hookq::store::Enqueued::Stored(id) => id,
                other => panic!("not stored: {other:?}"),
            })
            .collect()
    }

    /// The state of an event.
    pub fn state(&self, event: i64) -> String {
        self.row(&format!("SELECT state FROM events WHERE id = {event}"))[0].text()
    }

    /// `hookq ARGS` in the background; killed if the test ends first.
    pub fn spawn(&self, args: &[&str]) -> Spawned {
        let mut command = self.cmd(args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        Spawned::new(command)
    }

    /// Run `hookq ARGS`, which must end within `secs` seconds: a test of a
    /// refusal fails, rather than hangs, if the command goes on instead
    /// (a server that starts when it should have refused to).
    pub fn run_within(&self, secs: u64, args: &[&str]) -> Output {
        self.spawn(args).finish(secs)
    }
}

/// A child process that never outlives its test: killed and reaped on drop
/// (and by the kernel if the test's thread dies first).
pub struct Spawned(Option<std::process::Child>);

impl Spawned {
    pub fn new(mut command: Command) -> Spawned {
        // SAFETY: prctl is async-signal-safe and touches no memory of ours.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        Spawned(Some(command.spawn().expect("spawn hookq")))
    }
}

impl Spawned {
    /// Wait for it to end, for at most `secs` seconds (or fail the test),
    /// and return what it wrote on the pipes it was given.
    pub fn finish(&mut self, secs: u64) -> Output {
        fn drain(
            pipe: Option<impl std::io::Read + Send + 'static>,
        ) -> std::thread::JoinHandle<Vec<u8>> {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        }
        let stdout = drain(self.stdout.take());
        let stderr = drain(self.stderr.take());
        let mut status = None;
        eventually(secs, "hookq to end", || {
            status = self.try_wait().expect("wait for hookq");
            status.is_some()
        });
        Output {
            status: status.expect("exited"),
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
        }
    }
}

impl std::ops::Deref for Spawned {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("child")
    }
}

impl std::ops::DerefMut for Spawned {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0.as_mut().expect("child")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A file that scenario commands of a test wait for ([`Gate::wait_sh`]).
/// Opened on drop too, so a failing test never leaves a command waiting:
/// the engine runs commands in their own process group, which killing the
/// server or `scenario run` does not reach.
pub struct Gate(PathBuf);

impl Gate {
    /// Declare it after the [`Env`]: it must open before the directory goes.
    pub fn new(env: &Env, name: &str) -> Gate {
        Gate(env.path().join(name))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A shell loop that waits for the gate. It also ends when the test's
    /// directory is gone (the gate opened on drop, then removed with the
    /// directory before the loop looked), and after 5 minutes at most.
    pub fn wait_sh(&self) -> String {
        let dir = self.0.parent().expect("gate in a directory");
        format!(
            "i=0; while [ ! -e '{}' ] && [ -d '{}' ] && [ $i -lt 15000 ]; \
             do sleep 0.02; i=$((i+1)); done",
            self.0.display(),
            dir.display()
        )
    }

    pub fn open(&self) {
        std::fs::write(&self.0, "").expect("open the gate");
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.0, "");
    }
}

/// How long a stopped server may take to exit: its grace period (10 s) and
/// then some.
const STOP_WITHIN: u64 = 120;

/// `hookq hooks serve` as a child process on a free port; killed on drop.
pub struct ServerProcess {
    pub addr: std::net::SocketAddr,
    child: Spawned,
}

impl ServerProcess {
    /// `hooks serve --quiet` with `extra` flags; its stderr is drained.
    pub fn start(env: &Env, extra: &[&str]) -> ServerProcess {
        Self::start_with(env, extra, |_| {})
    }

    /// [`ServerProcess::start`] with a last change to its command (limits,
    /// environment).
    pub fn start_with(
        env: &Env,
        extra: &[&str],
        tweak: impl FnOnce(&mut Command),
    ) -> ServerProcess {
        let mut flags = vec!["--quiet"];
        flags.extend_from_slice(extra);
        let (server, mut stderr) = Self::logged_with(env, &flags, tweak);
        // Keep draining stderr so the server never blocks on it.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        server
    }

    /// `hooks serve` with `flags`, and its stderr after the first line
    /// (`listening on http://ADDR`), for tests that read the request log.
    pub fn logged(
        env: &Env,
        flags: &[&str],
    ) -> (ServerProcess, std::io::BufReader<std::process::ChildStderr>) {
        Self::logged_with(env, flags, |_| {})
    }

    fn logged_with(
        env: &Env,
        flags: &[&str],
        tweak: impl FnOnce(&mut Command),
    ) -> (ServerProcess, std::io::BufReader<std::process::ChildStderr>) {
        let mut args = vec!["hooks", "serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(flags);
        let mut command = env.cmd(&args);
        tweak(&mut command);
        Self::spawn(command)
    }

    /// Start `command`, a `hooks serve` on a free port made any way a test
    /// needs (its own flags, environment, limits): the server, at the
    /// address its first line on stderr gives (`listening on http://ADDR`),
    /// and the rest of its stderr. The one place that line is read.
    pub fn spawn(
        mut command: Command,
    ) -> (ServerProcess, std::io::BufReader<std::process::ChildStderr>) {
        use std::io::BufRead;
        command.stderr(Stdio::piped());
        let mut child = Spawned::new(command);
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .parse()
            .unwrap();
        (ServerProcess { addr, child }, stderr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit code.
    pub fn terminate(self) -> Option<i32> {
        self.signal("-TERM")
    }

    /// Send a signal (`-INT`, `-TERM`), then the exit code.
    pub fn signal(self, signal: &str) -> Option<i32> {
        self.send(signal);
        self.exit_code(STOP_WITHIN)
    }

    /// Send a signal (`-INT`, `-TERM`) and go on: the test has more to do
    /// while the server stops (answer its callers, open a gate).
    pub fn send(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} {}", self.child.id());
    }

    /// Its exit code, once it exits, within `secs` seconds (or the test
    /// fails): `None` if a signal ended it.
    pub fn exit_code(mut self, secs: u64) -> Option<i32> {
        self.child.finish(secs).status.code()
    }

    /// SIGKILL, no goodbye.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
