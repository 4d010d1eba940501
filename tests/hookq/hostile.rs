//! Hostile input: heads over the limits, bodies over `--max-body`,
//! connections left idle or stalled, and bytes that are not UTF-8 where text
//! is expected. After every attack a bystander, a well-behaved client of
//! another hook, still gets its 200 and its event is stored: the server
//! stays up and keeps answering others. docs/reliability.md has the figures.

use std::ffi::OsStr;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::thread;
use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::{json, Value};

use crate::util::{eventually, http, parse_reply, Env, Gate, Reply, ServerProcess, TestServer};

/// How long a raw exchange may take: far more than any of them needs, and
/// less than the server's 30 s socket timeout, so an answer that only comes
/// once the server gives up on a client is a failure.
const PROMPTLY: Duration = Duration::from_secs(20);

/// The client that is not attacking: each visit posts a new body to its own
/// hook, and it must be answered 200 and be stored.
struct Bystander<'e> {
    env: &'e Env,
    path: String,
    visits: u32,
}

impl<'e> Bystander<'e> {
    fn new(env: &'e Env) -> Self {
        let path = env.hook("bystander", &["--rate-limit", "0"]);
        Bystander {
            env,
            path,
            visits: 0,
        }
    }

    fn is_served(&mut self, addr: SocketAddr, after: &str) {
        self.visits += 1;
        let body = format!("bystander-{}", self.visits);
        let reply = http(
            addr,
            "POST",
            &self.path,
            &[("Content-Type", "text/plain")],
            body.as_bytes(),
        );
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (200, "Accepted"),
            "the bystander after {after}"
        );
        let stored = self.env.sql_count(&format!(
            "SELECT COUNT(*) FROM payloads WHERE CAST(body AS TEXT) = '{body}'"
        ));
        assert_eq!(stored, 1, "the bystander's event after {after}");
    }
}

/// What came back for a request sent as raw bytes.
struct Exchange {
    /// `None` when the connection ended without a complete answer.
    reply: Option<Reply>,
    /// Body bytes the socket took before the server closed it.
    sent: u64,
}

impl Exchange {
    fn status(&self) -> Option<u16> {
        self.reply.as_ref().map(|r| r.status)
    }
}

/// Send `head`, then the `body` pieces from another thread while this one
/// reads until the server closes: it may answer, and stop reading, long
/// before the end. Every head here asks for `Connection: close`.
fn exchange(
    addr: SocketAddr,
    head: Vec<u8>,
    body: impl Iterator<Item = Vec<u8>> + Send + 'static,
) -> Exchange {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PROMPTLY)).unwrap();
    stream.set_write_timeout(Some(PROMPTLY)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let mut sent = 0;
        if writer.write_all(&head).is_ok() {
            for piece in body {
                if writer.write_all(&piece).is_err() {
                    break;
                }
                sent += piece.len() as u64;
            }
        }
        sent
    });
    let mut raw = Vec::new();
    let mut buf = [0; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // A server that closes with our bytes unread resets the connection.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "no end of the answer within {PROMPTLY:?} ({e}); so far: {:?}",
                String::from_utf8_lossy(&raw)
            ),
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    Exchange {
        reply: parse_reply(&raw),
        sent: sender.join().unwrap(),
    }
}

/// A raw request with no body beyond what `head` holds.
fn send_head(addr: SocketAddr, head: impl Into<Vec<u8>>) -> Exchange {
    exchange(addr, head.into(), std::iter::empty())
}

fn queued(env: &Env, hook: &str) -> i64 {
    env.json(&["hooks", "show", hook])["queue"]
        .as_i64()
        .unwrap()
}

/// The newest event of a hook.
fn last_event(env: &Env, hook: &str) -> String {
    env.json(&["hooks", "events", hook])[0]["id"].to_string()
}

fn bundle_of(env: &Env, event: &str) -> Value {
    serde_json::from_str(&env.ok(&["hooks", "payload", event, "--bundle"])).unwrap()
}

/// Nothing has come back on `stream` and the server has not closed it.
fn assert_open_and_unanswered(stream: &TcpStream, what: &str) {
    stream.set_nonblocking(true).unwrap();
    match stream.peek(&mut [0; 1]) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok(0) => panic!("{what}: the server closed it"),
        Ok(_) => panic!("{what}: the server answered it"),
        Err(e) => panic!("{what}: {e}"),
    }
    stream.set_nonblocking(false).unwrap();
}

#[test]
fn heads_over_the_limits_are_414_or_431_and_the_server_keeps_answering() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("target", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let request = |headers: &str| {
        format!("POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}Content-Length: 0\r\n\r\n")
    };

    let one_line = request(&format!("X-Big: {}\r\n", "a".repeat(100_000)));
    assert_eq!(send_head(server.addr, one_line).status(), Some(431));
    bystander.is_served(server.addr, "a 100 KB header line");

    let many: String = (0..1_000).map(|i| format!("X-H{i}: v\r\n")).collect();
    assert_eq!(send_head(server.addr, request(&many)).status(), Some(431));
    bystander.is_served(server.addr, "1,000 headers");

    // Each line within its limit, the head (70 KiB) over its own.
    let wide: String = (0..70)
        .map(|i| format!("X-W{i}: {}\r\n", "w".repeat(1_000)))
        .collect();
    assert_eq!(send_head(server.addr, request(&wide)).status(), Some(431));
    bystander.is_served(server.addr, "a 70 KiB head");

    let line = format!(
        "POST {path}?q={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "q".repeat(10_000)
    );
    assert_eq!(send_head(server.addr, line).status(), Some(414));
    bystander.is_served(server.addr, "a 10 KB request line");

    server.stop();
    assert_eq!(queued(&env, "target"), 0);
}

#[test]
fn a_chunked_body_over_max_body_is_413_and_nothing_is_stored() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("small", &["--max-body", "64KiB", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    // 1 MiB in 4 KiB chunks, then the last chunk.
    let chunk = [b"1000\r\n".as_slice(), &[b'c'; 4096], b"\r\n"].concat();
    let body = std::iter::repeat_n(chunk, 256).chain([b"0\r\n\r\n".to_vec()]);
    let answer = exchange(server.addr, head.into_bytes(), body);
    assert_eq!(answer.status(), Some(413));
    bystander.is_served(server.addr, "a 1 MiB chunked body");
    server.stop();
    assert_eq!(queued(&env, "small"), 0);
    assert_eq!(env.json(&["hooks", "show", "small"])["refused"]["413"], 1);
}

#[test]
fn an_endless_chunk_size_line_is_cut_off_after_a_few_kilobytes() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("small", &["--max-body", "64KiB", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    // A valid hook reads the body itself; an unknown token leaves the body
    // to the server's drain.
    for target in [path.as_str(), "/wh/no-such-token"] {
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Transfer-Encoding: chunked\r\n\r\n"
        );
        // Up to 256 MiB of hex digits and never the end of the line: if the
        // server kept reading, it would be buffering all of it.
        let digits = std::iter::repeat_n(vec![b'f'; 64 << 10], 4096);
        let answer = exchange(server.addr, head.into_bytes(), digits);
        assert!(
            answer.sent < 64 << 20,
            "{target}: the server read {} bytes of one chunk-size line",
            answer.sent
        );
        if let Some(status) = answer.status() {
            assert!((400..500).contains(&status), "{target}: {status}");
        }
        eprintln!(
            "{target}: the socket took {} bytes of the line",
            answer.sent
        );
        bystander.is_served(
            server.addr,
            &format!("an endless chunk-size line to {target}"),
        );
    }
    server.stop();
    assert_eq!(queued(&env, "small"), 0);
}

#[test]
fn a_content_length_of_100_gb_is_413_at_once_without_reading_the_body() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("target", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    for expect in ["", "Expect: 100-continue\r\n"] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{expect}\
             Content-Type: text/plain\r\nContent-Length: 100000000000\r\n\r\n"
        );
        // Not a byte of body is sent: the answer, then the end of the
        // connection, must come without the server waiting for one (the
        // exchange fails if they take longer than PROMPTLY).
        let answer = send_head(server.addr, head);
        let reply = answer.reply.expect("an answer");
        assert_eq!(reply.status, 413, "{expect:?}: no 100 Continue first");
        bystander.is_served(
            server.addr,
            &format!("Content-Length: 100000000000 {expect:?}"),
        );
    }
    server.stop();
    assert_eq!(queued(&env, "target"), 0);
}

/// Raise the soft limit on open files to the hard one; the new soft limit.
fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write `limit`.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
    limit.rlim_cur
}

/// What `/proc` says of a process.
#[derive(Debug, Clone, Copy)]
struct ProcStat {
    fds: usize,
    /// Descriptors that are sockets: the listener, and two per connection.
    sockets: usize,
    threads: u64,
    rss_kib: u64,
    peak_rss_kib: u64,
}

impl ProcStat {
    fn of(pid: u32) -> ProcStat {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
        };
        let fds: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .collect();
        let sockets = fds
            .iter()
            .filter(|target| target.to_string_lossy().starts_with("socket:"))
            .count();
        ProcStat {
            fds: fds.len(),
            sockets,
            threads: field("Threads:"),
            rss_kib: field("VmRSS:"),
            peak_rss_kib: field("VmHWM:"),
        }
    }
}

/// The real binary: its descriptors, threads and memory are measured apart
/// from the test process, and it starts with the soft limit on open files
/// that most systems give, 1024.
#[test]
fn a_thousand_idle_connections_do_not_keep_others_out() {
    let env = Env::new();
    if env.skip_on_postgres("the server's sockets counted as the listener's alone (on PostgreSQL its database connections are sockets too)") {
        return;
    }
    let mut bystander = Bystander::new(&env);
    // Each idle connection holds one descriptor here and one in the server:
    // more than 1024 in all.
    let limit = raise_fd_limit();
    let wanted = 1_000;
    let idle_count = wanted.min(limit.saturating_sub(256) as usize / 2);
    if idle_count < wanted {
        eprintln!("note: RLIMIT_NOFILE {limit} allows only {idle_count} idle connections");
    }
    let server = ServerProcess::start_with(&env, &["--no-scenarios"], |cmd| {
        // SAFETY: setrlimit is async-signal-safe, and only `soft` is read.
        unsafe {
            cmd.pre_exec(|| {
                let soft = libc::rlimit {
                    rlim_cur: 1024,
                    rlim_max: libc::RLIM_INFINITY,
                };
                let mut limit = soft;
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
                limit.rlim_cur = soft.rlim_cur.min(limit.rlim_max);
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                Ok(())
            });
        }
    });
    let pid = server.pid();
    bystander.is_served(server.addr, "the start");
    let only_the_listener = || ProcStat::of(pid).sockets == 1;
    eventually(60, "the bystander's connection to close", only_the_listener);
    let before = ProcStat::of(pid);

    let idle: Vec<TcpStream> = (0..idle_count)
        .map(|_| TcpStream::connect(server.addr).expect("connect"))
        .collect();
    eventually(120, "the server to accept every idle connection", || {
        ProcStat::of(pid).sockets == 1 + idle_count
    });
    let during = ProcStat::of(pid);
    bystander.is_served(server.addr, "1,000 idle connections");
    // Served while every idle connection is still held open: nobody had to
    // time out for the bystander to get in.
    for (i, stream) in idle.iter().enumerate() {
        assert_open_and_unanswered(stream, &format!("idle connection {i}"));
    }

    drop(idle);
    eventually(
        60,
        "the server to let the idle connections go",
        only_the_listener,
    );
    let after = ProcStat::of(pid);
    bystander.is_served(server.addr, "the idle connections closed");
    eprintln!(
        "{idle_count} idle connections: server fds {} -> {} -> {}, threads {} -> {} -> {}, \
         RSS {} -> {} -> {} KiB (peak {} KiB)",
        before.fds,
        during.fds,
        after.fds,
        before.threads,
        during.threads,
        after.threads,
        before.rss_kib,
        during.rss_kib,
        after.rss_kib,
        after.peak_rss_kib
    );
}

/// A gauge of the server's `/metrics`.
fn gauge(addr: SocketAddr, name: &str) -> u64 {
    let text = http(addr, "GET", "/metrics", &[], b"").text();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// Connect and send `head`, then nothing more.
fn stall(addr: SocketAddr, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PROMPTLY)).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

#[test]
fn clients_that_stall_in_their_body_do_not_keep_others_out() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("slow", &["--rate-limit", "0"]);
    let server = TestServer::with(&env, |c| {
        c.threads = 8;
        c.metrics = true;
    });
    let head = |target: &str, length: usize| {
        format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
             Content-Length: {length}\r\n\r\nabc"
        )
    };
    // A body up to 1 KiB is read by tiny_http before the request is handled;
    // a longer one by the handler: for a hook, to store it; for an unknown
    // token, to drain it after the 404. Each on its connection's own thread;
    // twice as many of each as the server keeps threads ready.
    let short = stall(server.addr, &head(&path, 10));
    let reading: Vec<TcpStream> = (0..16)
        .map(|_| stall(server.addr, &head(&path, 100_000)))
        .collect();
    let mut draining: Vec<TcpStream> = (0..16)
        .map(|_| stall(server.addr, &head("/wh/no-such-token", 100_000)))
        .collect();
    eventually(
        60,
        "the stalled requests to be reading their bodies",
        || gauge(server.addr, "hookq_body_bytes_in_flight") >= 16 * 100_000,
    );
    assert!(gauge(server.addr, "hookq_open_connections") > 33);
    bystander.is_served(server.addr, "33 clients stalled in their bodies");
    // Nobody had to time out for the bystander to get in.
    assert_open_and_unanswered(&short, "the stalled short body");
    for (i, stream) in reading.iter().enumerate() {
        assert_open_and_unanswered(stream, &format!("stalled body {i}"));
    }
    for (i, stream) in draining.iter_mut().enumerate() {
        let reply = crate::util::read_reply(stream);
        assert_eq!(reply.status, 404);
        assert_open_and_unanswered(stream, &format!("stalled drain {i}"));
    }
    drop((short, reading, draining));
    eventually(60, "the stalled requests to be let go", || {
        gauge(server.addr, "hookq_body_bytes_in_flight") == 0
            && gauge(server.addr, "hookq_open_connections") <= 2
    });
    bystander.is_served(server.addr, "the stalled clients went away");
    crate::util::http(server.addr, "POST", &path, &[], b"x");
    server.stop();
    assert!(queued(&env, "slow") >= 1);
}

/// Callers of a `--respond` scenario wait for their event's cycle: a slow
/// scenario must not keep the callers of other hooks out.
#[test]
fn callers_waiting_for_a_slow_scenario_do_not_keep_others_out() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("answering", &["--rate-limit", "0"]);
    let release = Gate::new(&env, "release");
    let script = format!("{}; echo done", release.wait_sh());
    env.ok(&[
        "scenario",
        "create",
        "slow",
        "--hook",
        "answering",
        "--respond",
        "stdout",
        "--response-timeout",
        "5m",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    let server = ServerProcess::start(&env, &["--threads", "2"]);
    let addr = server.addr;
    let callers: Vec<_> = (0..4)
        .map(|i| {
            let path = path.clone();
            thread::spawn(move || {
                let body = format!("caller-{i}");
                http(addr, "POST", &path, &[], body.as_bytes())
            })
        })
        .collect();
    eventually(60, "every caller's event to be stored", || {
        env.json(&["hooks", "events", "answering"])
            .as_array()
            .unwrap()
            .len()
            == 4
    });
    bystander.is_served(addr, "4 callers waiting for their cycle, on 2 threads");
    release.open();
    for caller in callers {
        let reply = caller.join().unwrap();
        assert_eq!((reply.status, reply.text().trim()), (200, "done"));
    }
}

#[test]
fn a_body_cut_short_by_the_client_is_not_stored() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("target", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n");
    for (framing, body) in [
        ("Content-Length: 10", "abc"),
        ("Content-Length: 100000", "abc"),
        ("Transfer-Encoding: chunked", "5\r\nab"),
        ("Transfer-Encoding: chunked", "5\r\nhello\r\n"),
    ] {
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        stream.set_read_timeout(Some(PROMPTLY)).unwrap();
        let request = format!("{head}{framing}\r\n\r\n{body}");
        stream.write_all(request.as_bytes()).unwrap();
        // The client is done sending: the body ends here.
        stream.shutdown(Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        if let Some(reply) = parse_reply(&answer) {
            assert_eq!(reply.status, 400, "{framing} {body:?}");
        }
        bystander.is_served(server.addr, &format!("a body cut short ({framing})"));
    }
    server.stop();
    assert_eq!(queued(&env, "target"), 0);
}

#[test]
fn bodies_that_are_not_utf8() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("bin", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);

    // Declared JSON: refused, nothing stored.
    for body in [&b"\xff\xfe"[..], b"{\"a\":\"\xff\"}", b"\"\xc3\x28\""] {
        let reply = server.post(&path, "application/json", body);
        assert_eq!(reply.status, 400, "{body:?}");
    }
    bystander.is_served(server.addr, "JSON bodies that are not UTF-8");
    assert_eq!(queued(&env, "bin"), 0);

    // Anything else: stored as received, base64 in the bundle.
    let text = b"\x00\xff\xfe a \xc3\x28 \x80 end".to_vec();
    let every_byte: Vec<u8> = (0..=255).collect();
    for (content_type, body) in [
        ("text/plain", &text),
        ("application/octet-stream", &every_byte),
    ] {
        assert_eq!(server.post(&path, content_type, body).status, 200);
        let event = last_event(&env, "bin");
        let raw = env.run(&["hooks", "payload", &event]);
        assert!(raw.status.success());
        assert_eq!(&raw.stdout, body, "{content_type}");
        let bundle = bundle_of(&env, &event);
        assert_eq!(bundle["body_encoding"], "base64", "{content_type}");
        let decoded = STANDARD.decode(bundle["body"].as_str().unwrap()).unwrap();
        assert_eq!(&decoded, body, "{content_type}");
    }

    // Multipart: a field's name and value that are not UTF-8 are made
    // valid (lossy); a file keeps its bytes.
    let multipart = [
        &b"--B\r\nContent-Disposition: form-data; name=\"f\xff\"\r\n\r\nv\xfe\r\n"[..],
        b"--B\r\nContent-Disposition: form-data; name=\"up\"; filename=\"\xff.bin\"\r\n\r\n",
        &every_byte,
        b"\r\n--B--\r\n",
    ]
    .concat();
    let reply = server.post(&path, "multipart/form-data; boundary=B", &multipart);
    assert_eq!(reply.status, 200);
    let bundle = bundle_of(&env, &last_event(&env, "bin"));
    assert!(bundle.get("body_encoding").is_none());
    assert_eq!(bundle["body"]["f\u{FFFD}"], "v\u{FFFD}");
    assert_eq!(bundle["body"]["up"]["name"], "\u{FFFD}.bin");
    let file = STANDARD
        .decode(bundle["body"]["up"]["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(file, every_byte);

    bystander.is_served(server.addr, "bodies that are not UTF-8");
    server.stop();
    assert_eq!(queued(&env, "bin"), 3);
}

#[test]
fn header_bytes_that_are_not_ascii_or_are_control_characters_are_400() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("target", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let request = |header: &[u8]| {
        [
            format!("POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n").as_bytes(),
            header,
            b"\r\nContent-Length: 2\r\n\r\nhi",
        ]
        .concat()
    };
    for header in [
        &b"X-Text: caf\xc3\xa9"[..],
        b"X-Bytes: \xff\xfe",
        b"X-\xff: name",
        b"X-Nul: a\x00b",
        b"X-Control: a\x01b\x1bc",
        b"X-Del: a\x7fb",
        b"X-Lf: a\nb",
        b"X-Cr: a\rb",
        b"Content-Type: text/plain\x00",
        b"X\x00: name",
        b"X-Folded: a\r\n continued",
    ] {
        let answer = send_head(server.addr, request(header));
        assert_eq!(
            answer.status(),
            Some(400),
            "{:?}",
            String::from_utf8_lossy(header)
        );
    }
    bystander.is_served(server.addr, "headers that are not ASCII text");
    // A tab is part of a field value.
    let answer = send_head(server.addr, request(b"X-Tab: a\tb"));
    assert_eq!(answer.status(), Some(200));
    let bundle = bundle_of(&env, &last_event(&env, "target"));
    assert_eq!(bundle["headers"]["x-tab"], "a\tb");
    server.stop();
    assert_eq!(queued(&env, "target"), 1);
}

/// A scenario command gets the headers in `HOOKQ_HEADERS`, JSON-escaped.
/// With the head limits (64 KiB) and control characters refused, a quote
/// is the worst a sender can do (2 bytes each): the variable stays under
/// Linux's 128 KiB for one variable, so the command still starts.
#[test]
fn the_largest_head_allowed_still_reaches_the_scenario() {
    let env = Env::new();
    let path = env.hook("big", &["--rate-limit", "0"]);
    env.ok(&["scenario", "create", "s", "--hook", "big", "--", "true"]);
    let server = ServerProcess::start(&env, &[]);
    let request_line = format!("P {path} HTTP/1.0\r\n");
    // Eight header lines `a:"""...` (each at most 8 KiB), filling the
    // head to exactly 64 KiB with the final CRLF.
    let quotes = (64 << 10) - request_line.len() - 2 - 8 * 4;
    let mut head = request_line.into_bytes();
    for (i, name) in (b'a'..=b'h').enumerate() {
        let length = quotes / 8 + usize::from(i < quotes % 8);
        head.extend_from_slice(&[name, b':']);
        head.extend(std::iter::repeat_n(b'"', length));
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    assert_eq!(head.len(), 64 << 10);
    assert_eq!(send_head(server.addr, head).status(), Some(200));
    eventually(60, "the scenario to process the event", || {
        env.json(&["hooks", "events", "big"])[0]["state"] == "done"
    });
    let headers = bundle_of(&env, &last_event(&env, "big"))["headers"].to_string();
    assert!(headers.len() > 128_000, "{}", headers.len());
}

#[test]
fn request_targets_that_are_not_ascii_are_400_and_unknown_tokens_404() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("target", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let line = |line: &[u8]| {
        [
            line,
            b"\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        ]
        .concat()
    };
    for request_line in [
        [b"POST /wh/\xff\xfe HTTP/1.1".as_slice()].concat(),
        [b"POST ", path.as_bytes(), b"\xff HTTP/1.1"].concat(),
        [b"POST ", path.as_bytes(), b"?q=caf\xc3\xa9 HTTP/1.1"].concat(),
        [b"POST ", path.as_bytes(), b"\x00 HTTP/1.1"].concat(),
        [b"POST ", path.as_bytes(), b"?q=\x00 HTTP/1.1"].concat(),
        [b"POST ", path.as_bytes(), b"?q=\x01\x7f HTTP/1.1"].concat(),
        [b"PO\xffST ", path.as_bytes(), b" HTTP/1.1"].concat(),
        [b"PO\x00ST ", path.as_bytes(), b" HTTP/1.1"].concat(),
    ] {
        let answer = send_head(server.addr, line(&request_line));
        assert_eq!(
            answer.status(),
            Some(400),
            "{:?}",
            String::from_utf8_lossy(&request_line)
        );
    }
    for target in [
        "/wh/%FF%FE".to_owned(),
        format!("{path}%FF"),
        format!("{path}%00"),
        format!("/wh/{}", "%C3%A9".repeat(20)),
    ] {
        let reply = server.post(&target, "text/plain", b"hi");
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(reply.text(), "Webhook not found.");
    }
    bystander.is_served(server.addr, "request targets that are not ASCII");
    server.stop();
    assert_eq!(queued(&env, "target"), 0);
}

#[test]
fn a_query_with_bad_escapes_and_invalid_utf8_is_stored_and_bundled_lossily() {
    let env = Env::new();
    let mut bystander = Bystander::new(&env);
    let path = env.hook("target", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let query = "a=%zz&b=%FF%FE&c=100%&%E2%82=x&d=%E2%82%AC&e=%&f=%0";
    let reply = server.post(&format!("{path}?{query}"), "text/plain", b"hi");
    assert_eq!(reply.status, 200);
    bystander.is_served(server.addr, "a query with bad escapes");
    server.stop();
    // Stored as received; the bundle decodes what it can.
    let stored = format!("SELECT COUNT(*) FROM events WHERE query = '{query}'");
    assert_eq!(env.sql_count(&stored), 1);
    let bundle = bundle_of(&env, &last_event(&env, "target"));
    assert_eq!(
        bundle["query"],
        json!({
            "a": "%zz",
            "b": "\u{FFFD}\u{FFFD}",
            "c": "100%",
            "\u{FFFD}": "x",
            "d": "€",
            "e": "%",
            "f": "%0",
        })
    );
}

#[test]
fn command_line_names_that_are_not_utf8_are_a_usage_error() {
    let env = Env::new();
    env.hook("gh", &[]);
    let bad = OsStr::from_bytes(b"gh\xff");
    let commands: [&[&str]; 8] = [
        &["hooks", "create"],
        &["hooks", "show"],
        &["hooks", "events"],
        &["hooks", "delete"],
        &["hooks", "send"],
        &["scenario", "runs"],
        &["scenario", "create", "s", "--hook"],
        &["hooks", "send", "gh", "--header"],
    ];
    for args in commands {
        let out = env.cmd(args).arg(bad).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("invalid UTF-8"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // A database path is a path: any bytes the system allows.
    let db = env.path().join(OsStr::from_bytes(b"db-\xff.sqlite"));
    let create = env
        .cmd(&["hooks", "create", "other"])
        .env("HOOKQ_DB", &db)
        .output()
        .unwrap();
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
    let list = env
        .cmd(&["hooks", "list", "--json"])
        .env("HOOKQ_DB", &db)
        .output()
        .unwrap();
    assert!(list.status.success());
    let hooks: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(hooks[0]["name"], "other");
}
