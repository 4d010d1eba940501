//! Forwarding scenarios (SPEC §10): each event delivered to a real HTTP
//! server that this test starts on 127.0.0.1 and that records what it
//! receives, byte for byte.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::util::{eventually, http, Env, ServerProcess};

/// One request as the target received it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    /// The request target: path and query.
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Which connection it came on (0, 1, ...).
    connection: usize,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }
}

/// How the target answers a request: writes to the stream (raw), and
/// returns whether the connection may serve another request.
type Answer = dyn Fn(&Received, &mut TcpStream) -> bool + Send + Sync;

fn answer(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) -> bool {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    true
}

fn ok_answer() -> Arc<Answer> {
    Arc::new(|_, stream| answer(stream, "200 OK", &[], b"ok"))
}

/// An HTTP/1.1 server that records every request (keep-alive, one thread
/// per connection). Stopped on drop.
struct Target {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl Target {
    fn start(answer: Arc<Answer>) -> Target {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap(), answer)
    }

    fn on(listener: TcpListener, answer: Arc<Answer>) -> Target {
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (received.clone(), stop.clone());
        std::thread::spawn(move || {
            let connections = AtomicUsize::new(0);
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let n = connections.fetch_add(1, Ordering::SeqCst);
                let (log, answer) = (log.clone(), answer.clone());
                std::thread::spawn(move || serve(stream, n, &log, &*answer));
            }
        });
        Target {
            addr,
            received,
            stop,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

fn serve(stream: TcpStream, connection: usize, log: &Mutex<Vec<Received>>, answer: &Answer) {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Received {
            method,
            target,
            headers,
            body,
            connection,
        };
        log.lock().unwrap().push(request.clone());
        if !answer(&request, &mut writer) {
            return;
        }
    }
}

/// An event to queue: its headers, its query, its body.
type Queued<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a [u8]);

/// Put events in a hook's queue through the library, as the server would,
/// with these headers and query. Their ids.
fn enqueue(env: &Env, hook: &str, events: &[Queued<'_>]) -> Vec<i64> {
    let mut store = env.store();
    let hook = store.hook(hook).unwrap();
    let events: Vec<hookq::store::NewEvent> = events
        .iter()
        .map(|(headers, query, body)| hookq::store::NewEvent {
            hook_id: hook.id,
            received_at: hookq::clock::parse("2026-11-29T12:00:00Z").unwrap(),
            method: "POST".into(),
            path: format!("/wh/{}", hook.token),
            query: (*query).into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            remote_addr: Some("192.0.2.7".into()),
            content_type: headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| (*v).to_owned()),
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

/// Hook `h` and an on-demand scenario `s` forwarding to `url`.
fn on_demand(url: &str, options: &[&str]) -> Env {
    let env = Env::new();
    env.hook("h", &[]);
    let mut args = vec![
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--forward",
        url,
    ];
    args.extend_from_slice(options);
    env.ok(&args);
    env
}

fn ops(env: &Env) -> Vec<serde_json::Value> {
    env.json(&["hooks", "ops", "h", "--output"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn bodies_arrive_byte_for_byte_with_the_headers_of_the_event() {
    let target = Target::start(ok_answer());
    let env = on_demand(
        &target.url("/hooks/in?from=hookq"),
        &[
            "--forward-header",
            "X-Replaced: by-hookq",
            "--forward-header",
            "X-Added: 1",
        ],
    );
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let multipart = b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\xff\xfe\r\n--XyZ--\r\n".to_vec();
    let big: Vec<u8> = (0..5 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
    let hop_by_hop: &[(&str, &str)] = &[
        ("Content-Type", "application/octet-stream"),
        ("Host", "public.example.com"),
        ("Content-Length", "999"),
        ("Connection", "keep-alive, X-Private"),
        ("Keep-Alive", "timeout=5"),
        ("X-Private", "only for the first hop"),
        ("Transfer-Encoding", "chunked"),
        ("Upgrade", "websocket"),
        ("Proxy-Authorization", "Basic eA=="),
        ("TE", "trailers"),
        ("Trailer", "X-Sum"),
        ("X-Replaced", "by-sender"),
        ("X-Signature", "sha256=abc"),
        ("X-Forwarded-For", "203.0.113.1"),
    ];
    let multipart_headers: &[(&str, &str)] =
        &[("Content-Type", "multipart/form-data; boundary=XyZ")];
    let ids = enqueue(
        &env,
        "h",
        &[
            (hop_by_hop, "a=1&b=%20", &binary),
            (multipart_headers, "", &multipart),
            (&[], "", &big),
        ],
    );
    env.ok(&["scenario", "run", "s", "--max-cycles", "3"]);
    let got = target.received();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].body, binary);
    assert_eq!(got[1].body, multipart);
    assert!(got[2].body == big, "the 5 MiB body differs");
    let first = &got[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.target, "/hooks/in?from=hookq&a=1&b=%20");
    assert_eq!(first.header("Host"), Some(target.addr.to_string().as_str()));
    assert_eq!(first.header("Content-Length"), Some("70000"));
    assert_eq!(
        first.header("Content-Type"),
        Some("application/octet-stream")
    );
    assert_eq!(first.header("X-Signature"), Some("sha256=abc"));
    for gone in [
        "Connection",
        "Keep-Alive",
        "X-Private",
        "Transfer-Encoding",
        "Upgrade",
        "Proxy-Authorization",
        "TE",
        "Trailer",
    ] {
        // ureq may say keep-alive on its own; never the sender's value.
        if gone == "Connection" {
            assert_ne!(first.header(gone), Some("keep-alive, X-Private"));
            continue;
        }
        assert!(!first.has(gone), "{gone} was passed on: {first:?}");
    }
    assert_eq!(first.header("X-Replaced"), Some("by-hookq"));
    assert_eq!(first.header("X-Added"), Some("1"));
    assert_eq!(
        first.header("X-Hookq-Event-Id"),
        Some(ids[0].to_string().as_str())
    );
    assert_eq!(first.header("X-Hookq-Attempt"), Some("1"));
    assert_eq!(
        first.header("X-Forwarded-For"),
        Some("203.0.113.1, 192.0.2.7")
    );
    assert_eq!(got[1].header("X-Forwarded-For"), Some("192.0.2.7"));
    assert_eq!(got[1].target, "/hooks/in?from=hookq");
    // Nothing of the client's own.
    assert!(
        !got[1].has("User-Agent") && !got[1].has("Accept"),
        "{:?}",
        got[1]
    );
    // One connection for the whole execution.
    assert!(got.iter().all(|r| r.connection == got[0].connection));
    // The answers are recorded.
    let ops = ops(&env);
    assert_eq!(ops.len(), 3);
    assert!(ops
        .iter()
        .all(|op| op["status"] == "ok" && op["http_status"] == 200));
    assert_eq!(ops[0]["stdout"], "ok");
    let text = env.ok(&["hooks", "ops", "h", "--output", "--limit", "1"]);
    assert!(text.contains("HTTP 200"), "{text}");
    assert!(
        text.to_lowercase()
            .contains("-- answer headers\ncontent-length: 2"),
        "{text}"
    );
}

#[test]
fn order_is_kept_over_a_thousand_events_on_one_connection() {
    let target = Target::start(ok_answer());
    let env = on_demand(&target.url("/h"), &[]);
    let bodies: Vec<String> = (0..1000).map(|i| format!("{{\"n\":{i}}}")).collect();
    let events: Vec<Queued<'_>> = bodies.iter().map(|b| (&[][..], "", b.as_bytes())).collect();
    let ids = enqueue(&env, "h", &events);
    env.ok(&["scenario", "run", "s", "--max-cycles", "1000"]);
    let got = target.received();
    let got_ids: Vec<i64> = got
        .iter()
        .map(|r| r.header("X-Hookq-Event-Id").unwrap().parse().unwrap())
        .collect();
    assert_eq!(got_ids, ids);
    let got_bodies: Vec<&[u8]> = got.iter().map(|r| &r.body[..]).collect();
    let sent: Vec<&[u8]> = bodies.iter().map(|b| b.as_bytes()).collect();
    assert_eq!(got_bodies, sent);
    let connections: std::collections::HashSet<usize> = got.iter().map(|r| r.connection).collect();
    assert_eq!(connections.len(), 1, "a new connection per event");
}

#[test]
fn a_500_rolls_back_and_switches_an_immediately_scenario_off_while_the_server_serves() {
    let target = Target::start(Arc::new(|_, stream| {
        answer(
            stream,
            "500 Internal Server Error",
            &[("X-Why", "bug")],
            b"boom",
        )
    }));
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--forward",
        &target.url("/h"),
    ]);
    let server = ServerProcess::start(&env, &[]);
    let reply = http(server.addr, "POST", &path, &[], b"{\"a\":1}");
    assert_eq!(reply.status, 200);
    eventually(20, "the scenario switched off", || {
        env.json(&["scenario", "show", "s"])["active"] == false
    });
    let events = env.json(&["hooks", "events", "h"]);
    assert_eq!(events[0]["state"], "queued", "{events}");
    let ops = ops(&env);
    assert_eq!(ops[0]["status"], "error");
    assert_eq!(ops[0]["http_status"], 500);
    assert_eq!(
        ops[0]["error"],
        "the target answered 500 Internal Server Error"
    );
    assert_eq!(ops[0]["stdout"], "boom");
    assert!(
        ops[0]["http_headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("x-why") && h[1] == "bug"),
        "{}",
        ops[0]
    );
    // The server goes on serving.
    assert_eq!(http(server.addr, "POST", &path, &[], b"2").status, 200);
    server.terminate();
}

/// A port nothing listens on now: bound, then let go.
fn free_port() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

#[test]
fn a_target_that_is_down_is_waited_for_and_gets_every_event_once_in_order() {
    let reserved = free_port();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    // A password in the URL is shown masked, in the log too.
    let given = format!("http://app:s3cr3t-pw@{addr}/h");
    let url = format!("http://app:s3…(9 chars)@{addr}/h");
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--forward",
        &given,
    ]);
    let (server, stderr) = ServerProcess::logged(&env, &[]);
    let log = Arc::new(Mutex::new(String::new()));
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in stderr.lines() {
            let Ok(line) = line else { break };
            lines.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    let mut ids = Vec::new();
    for i in 0..3 {
        let reply = http(server.addr, "POST", &path, &[], format!("{i}").as_bytes());
        assert_eq!(reply.status, 200);
        ids.push(reply.header("X-Hookq-Event-Id").map(str::to_owned));
    }
    eventually(20, "the scenario says it waits", || {
        env.ok(&["scenario", "list"])
            .contains(&format!("waiting for {url}"))
    });
    assert!(log
        .lock()
        .unwrap()
        .contains(&format!("scenario s: waiting for {url}")));
    // The app comes back on its port.
    let target = Target::on(TcpListener::bind(addr).unwrap(), ok_answer());
    eventually(20, "three deliveries", || target.received().len() >= 3);
    eventually(20, "the queue drained", || {
        env.json(&["hooks", "show", "h"])["queue"] == 0
    });
    let got = target.received();
    let bodies: Vec<&[u8]> = got.iter().map(|r| &r.body[..]).collect();
    assert_eq!(bodies, [&b"0"[..], b"1", b"2"], "each once, in order");
    // The URL's user and password reach the app as HTTP's basic credentials.
    assert_eq!(
        got[0].header("Authorization"),
        Some("Basic YXBwOnMzY3IzdC1wdw==")
    );
    let scenario = env.json(&["scenario", "show", "s"]);
    assert_eq!(scenario["active"], true);
    assert_eq!(scenario["consecutive_errors"], 0);
    assert_eq!(scenario["waiting_since"], serde_json::Value::Null);
    assert!(ops(&env).iter().all(|op| op["status"] == "ok"));
    assert!(!env.ok(&["scenario", "list"]).contains("waiting"));
    eventually(20, "the delivery log line", || {
        log.lock().unwrap().contains(&format!("→ 200 POST {url} "))
    });
    assert!(!log.lock().unwrap().contains("s3cr3t"));
    let _ = ids;
    server.terminate();
}

#[test]
fn a_slow_target_times_out_and_the_event_goes_back() {
    let target = Target::start(Arc::new(|_, stream| {
        // Never answers; holds the connection until hookq gives up.
        let mut sink = [0u8; 1];
        let _ = stream.read(&mut sink);
        false
    }));
    let env = on_demand(&target.url("/h"), &["--forward-timeout", "1s"]);
    let id = env.send("h", "{}");
    let stderr = env.fails(&["scenario", "run", "s"], 1);
    let expected = format!("timed out after 1s delivering to {}", target.url("/h"));
    assert!(stderr.contains(&expected), "{stderr}");
    assert_eq!(env.state(id), "queued");
}

/// Faults of the target: each a failed cycle with a clear error.
#[test]
fn faults_of_the_target_fail_the_cycle_with_a_clear_error() {
    type Case = (&'static str, Arc<Answer>, &'static str);
    let cases: Vec<Case> = vec![
        (
            "closes mid-answer",
            Arc::new(|_, stream| {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
                false
            }),
            "closed the connection before its answer ended",
        ),
        (
            "redirects to itself",
            Arc::new(|r, stream| answer(stream, "302 Found", &[("Location", &r.target)], b"")),
            "redirect not followed: 302 Found to /h",
        ),
        (
            "malformed",
            Arc::new(|_, stream| {
                let _ = stream.write_all(b"NONSENSE\r\n\r\n");
                false
            }),
            "malformed answer from",
        ),
        (
            "resets",
            Arc::new(|_, stream| {
                // SO_LINGER 0: the close sends a reset.
                use std::os::fd::AsRawFd;
                let linger = libc::linger {
                    l_onoff: 1,
                    l_linger: 0,
                };
                // SAFETY: setsockopt reads `linger`, a live local of the size given.
                unsafe {
                    libc::setsockopt(
                        stream.as_raw_fd(),
                        libc::SOL_SOCKET,
                        libc::SO_LINGER,
                        (&linger as *const libc::linger).cast(),
                        std::mem::size_of::<libc::linger>() as libc::socklen_t,
                    );
                }
                false
            }),
            "",
        ),
    ];
    for (what, behaviour, expected) in cases {
        let target = Target::start(behaviour);
        let env = on_demand(&target.url("/h"), &["--forward-timeout", "20s"]);
        let id = env.send("h", "{}");
        let stderr = env.fails(&["scenario", "run", "s"], 1);
        assert!(stderr.contains(expected), "{what}: {stderr}");
        assert_eq!(env.state(id), "queued", "{what}");
        let op = &ops(&env)[0];
        assert_eq!(op["status"], "error", "{what}");
    }
}

#[test]
fn a_huge_answer_is_read_through_and_its_start_kept() {
    let target = Target::start(Arc::new(|_, stream| {
        let size = 256usize << 20;
        let _ = stream
            .write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").as_bytes());
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..size >> 20 {
            if stream.write_all(&chunk).is_err() {
                return false;
            }
        }
        true
    }));
    let env = on_demand(&target.url("/h"), &[]);
    env.send("h", "1");
    env.send("h", "2");
    env.ok(&["scenario", "run", "s", "--max-cycles", "2"]);
    let ops = ops(&env);
    assert_eq!(ops.len(), 2);
    assert_eq!(ops[0]["stdout"].as_str().unwrap().len(), 64 << 10);
    // The connection was read to its end, so it served the next event.
    let got = target.received();
    assert_eq!(got[0].connection, got[1].connection);
}

#[test]
fn the_caller_gets_the_targets_answer_after_the_commit() {
    let target = Target::start(Arc::new(|r, stream| {
        let body = [b"echo:".as_slice(), &r.body].concat();
        answer(
            stream,
            "201 Created",
            &[("X-App", "yes"), ("Content-Type", "text/x-app")],
            &body,
        )
    }));
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--forward",
        &target.url("/h"),
        "--respond",
    ]);
    let server = ServerProcess::start(&env, &[]);
    let reply = http(server.addr, "POST", &path, &[], b"hello");
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("X-App"), Some("yes"));
    assert_eq!(reply.header("Content-Type"), Some("text/x-app"));
    assert_eq!(reply.body, b"echo:hello");
    // The answer came after the commit.
    assert_eq!(env.json(&["hooks", "show", "h"])["queue"], 0);
    server.terminate();
}

#[test]
fn a_github_signed_request_still_verifies_at_the_target() {
    const SECRET: &str = "It's a Secret to Everybody";
    let verified = Arc::new(AtomicUsize::new(0));
    let count = verified.clone();
    let target = Target::start(Arc::new(move |r, stream| {
        // The app's own check, as GitHub documents it.
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(&r.body);
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let good = r.header("X-Hub-Signature-256") == Some(&format!("sha256={expected}"));
        if good {
            count.fetch_add(1, Ordering::SeqCst);
            answer(stream, "204 No Content", &[], b"")
        } else {
            answer(stream, "401 Unauthorized", &[], b"bad signature")
        }
    }));
    let env = Env::new();
    let out = env
        .cmd(&[
            "connections",
            "create",
            "gh",
            "--kind",
            "github",
            "--secret-env",
            "SECRET",
        ])
        .env("SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = env.hook("h", &["--connection", "gh", "--rate-limit", "0"]);
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--forward",
        &target.url("/github"),
    ]);
    let server = ServerProcess::start(&env, &[]);
    let body = b"{\"zen\": \"Keep it logically awesome.\",\n \"hook_id\": 1}";
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let signature = format!("sha256={signature}");
    let reply = http(
        server.addr,
        "POST",
        &path,
        &[
            ("Content-Type", "application/json"),
            ("X-GitHub-Event", "ping"),
            ("X-Hub-Signature-256", &signature),
        ],
        body,
    );
    assert_eq!(reply.status, 200);
    eventually(20, "the delivery", || !target.received().is_empty());
    eventually(20, "the commit", || {
        env.json(&["hooks", "show", "h"])["queue"] == 0
    });
    assert_eq!(
        verified.load(Ordering::SeqCst),
        1,
        "{:?}",
        target.received()
    );
    assert_eq!(target.received()[0].header("X-GitHub-Event"), Some("ping"));
    server.terminate();
}

#[test]
fn a_purged_payload_fails_as_for_a_command() {
    let target = Target::start(ok_answer());
    let env = on_demand(&target.url("/h"), &[]);
    let id = env.send("h", "{}");
    env.sql_write(&format!("DELETE FROM payloads WHERE event_id = {id}"));
    let stderr = env.fails(&["scenario", "run", "s"], 1);
    assert!(
        stderr.contains("Failed to read file from storage."),
        "{stderr}"
    );
    assert!(target.received().is_empty());
}

#[test]
fn bad_forward_options_exit_2() {
    let env = Env::new();
    env.hook("h", &[]);
    let create = |extra: &[&str]| {
        let mut args = vec!["scenario", "create", "s", "--hook", "h"];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let cases: [(&[&str], &str); 10] = [
        (
            &["--forward", "ftp://example.com/h"],
            "expected an http:// or https:// URL",
        ),
        (&["--forward", "not a url"], "invalid forward URL"),
        (&["--forward", "http://"], "invalid forward URL"),
        (
            &[
                "--forward",
                "http://127.0.0.1:1/h",
                "--forward-header",
                "NoColon",
            ],
            "expected 'Name: value'",
        ),
        (
            &[
                "--forward",
                "http://127.0.0.1:1/h",
                "--forward-header",
                "Connection: close",
            ],
            "belongs to a connection",
        ),
        (
            &[
                "--forward",
                "http://127.0.0.1:1/h",
                "--forward-header",
                "X-Hookq-Event-Id: 5",
            ],
            "hookq sets \"X-Hookq-Event-Id\" itself",
        ),
        (
            &["--forward", "http://127.0.0.1:1/h", "--", "true"],
            "cannot be used with",
        ),
        (
            &["--forward-timeout", "5s", "--", "true"],
            "need --forward URL",
        ),
        (
            &["--forward", "http://127.0.0.1:1/h", "--timeout", "5s"],
            "--timeout is a command's",
        ),
        (
            &[
                "--forward",
                "http://127.0.0.1:1/h",
                "--respond",
                "--response-status",
                "201",
            ],
            "--response-status is a command's",
        ),
    ];
    for (extra, expected) in cases {
        let args = create(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stderr = env.fails(&args, 2);
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
    assert_eq!(env.json(&["scenario", "list"]), serde_json::json!([]));
}

#[test]
fn edit_switches_between_a_command_and_a_url() {
    let env = Env::new();
    env.hook("h", &[]);
    env.ok(&["scenario", "create", "s", "--hook", "h", "--", "true"]);
    env.ok(&[
        "scenario",
        "edit",
        "s",
        "--forward",
        "https://localhost:3000/w",
        "--forward-insecure",
        "--forward-timeout",
        "5s",
    ]);
    let s = env.json(&["scenario", "show", "s"]);
    assert_eq!(s["forward"], "https://localhost:3000/w");
    assert_eq!(s["command"], serde_json::Value::Null);
    assert_eq!(s["forward_insecure"], true);
    assert_eq!(s["forward_timeout"], "5s");
    env.fails(
        &["scenario", "edit", "s", "--forward", "x", "--", "true"],
        2,
    );
    env.ok(&["scenario", "edit", "s", "--", "cat"]);
    let s = env.json(&["scenario", "show", "s"]);
    assert_eq!(s["forward"], serde_json::Value::Null);
    assert_eq!(s["command"], serde_json::json!(["cat"]));
    env.fails(&["scenario", "edit", "s", "--forward-insecure"], 2);
}

/// An HTTPS target with a certificate made here, for `localhost` and
/// 127.0.0.1, that no root vouches for: it answers 200 to each request and
/// counts them.
struct TlsTarget {
    addr: SocketAddr,
    delivered: Arc<AtomicUsize>,
}

impl TlsTarget {
    fn start() -> TlsTarget {
        let made = rcgen::generate_simple_self_signed(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
        ])
        .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![made.cert.der().clone()], key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let delivered = Arc::new(AtomicUsize::new(0));
        let count = delivered.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let (config, count) = (config.clone(), count.clone());
                std::thread::spawn(move || {
                    let _ = tcp.set_read_timeout(Some(Duration::from_secs(30)));
                    let tls = rustls::ServerConnection::new(config).unwrap();
                    let mut stream = rustls::StreamOwned::new(tls, tcp);
                    // One request: its head, then as many body bytes as it says.
                    let mut raw = Vec::new();
                    let mut byte = [0u8; 1];
                    while !raw.ends_with(b"\r\n\r\n") {
                        if stream.read(&mut byte).unwrap_or(0) == 0 {
                            return; // the client refused the certificate
                        }
                        raw.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&raw).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    let mut body = vec![0; length];
                    stream.read_exact(&mut body).unwrap();
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                });
            }
        });
        TlsTarget { addr, delivered }
    }
}

#[test]
fn a_self_signed_certificate_is_refused_unless_insecure_is_asked_for() {
    let target = TlsTarget::start();
    let url = format!("https://localhost:{}/h", target.addr.port());
    let env = on_demand(&url, &[]);
    let id = env.send("h", "{}");
    let stderr = env.fails(&["scenario", "run", "s"], 1);
    assert!(stderr.to_lowercase().contains("certificate"), "{stderr}");
    // Says what to do about it.
    assert!(stderr.contains("--forward-insecure"), "{stderr}");
    assert_eq!(env.state(id), "queued");
    assert_eq!(target.delivered.load(Ordering::SeqCst), 0);
    env.ok(&["scenario", "activate", "s"]);
    env.ok(&["scenario", "edit", "s", "--forward-insecure"]);
    env.ok(&["scenario", "run", "s"]);
    assert_eq!(env.state(id), "done");
    assert_eq!(target.delivered.load(Ordering::SeqCst), 1);
}

#[test]
fn a_shutdown_while_waiting_for_the_target_keeps_the_event_and_counts_no_error() {
    let reserved = free_port();
    let url = format!("http://{}/h", reserved.local_addr().unwrap());
    drop(reserved);
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--forward",
        &url,
        "--respond",
    ]);
    let server = ServerProcess::start(&env, &[]);
    let addr = server.addr;
    let caller = std::thread::spawn(move || http(addr, "POST", &path, &[], b"kept"));
    eventually(20, "the scenario says it waits", || {
        env.ok(&["scenario", "list"]).contains("waiting for")
    });
    let (done, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(server.terminate()));
    let code = exited
        .recv_timeout(Duration::from_secs(30))
        .expect("the server did not stop while it waited for the target");
    assert_eq!(code, Some(0));
    // The caller is told its event is stored, not that it failed.
    let reply = caller.join().unwrap();
    assert_eq!((reply.status, reply.text()), (200, "Accepted".to_owned()));
    let events = env.json(&["hooks", "events", "h"]);
    assert_eq!(events[0]["state"], "queued", "{events}");
    // Nothing was delivered: no attempt, no operation, no cycle.
    assert_eq!(events[0]["attempts"], 0, "{events}");
    assert_eq!(ops(&env), Vec::<serde_json::Value>::new());
    let runs = env.json(&["scenario", "runs", "s"]);
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .all(|run| run["cycles"] == 0),
        "{runs}"
    );
    let scenario = env.json(&["scenario", "show", "s"]);
    assert_eq!(scenario["active"], true);
    assert_eq!(scenario["consecutive_errors"], 0);
}

#[test]
fn a_wait_left_said_by_a_killed_server_is_forgotten_by_the_next_execution() {
    let reserved = free_port();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let url = format!("http://{addr}/h");
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    env.ok(&["scenario", "create", "s", "--hook", "h", "--forward", &url]);
    let server = ServerProcess::start(&env, &[]);
    assert_eq!(http(server.addr, "POST", &path, &[], b"1").status, 200);
    eventually(20, "the scenario says it waits", || {
        env.ok(&["scenario", "list"]).contains("waiting for")
    });
    server.kill();
    let target = Target::on(TcpListener::bind(addr).unwrap(), ok_answer());
    env.ok(&["scenario", "run", "s"]);
    assert_eq!(target.received().len(), 1);
    let list = env.ok(&["scenario", "list"]);
    assert!(!list.contains("waiting"), "{list}");
}

/// Bodies `{"n":0}`, `{"n":1}`, ... queued on hook `h`; their ids.
fn numbered(env: &Env, count: usize) -> Vec<i64> {
    let bodies: Vec<String> = (0..count).map(|i| format!("{{\"n\":{i}}}")).collect();
    let events: Vec<Queued<'_>> = bodies.iter().map(|b| (&[][..], "", b.as_bytes())).collect();
    enqueue(env, "h", &events)
}

/// The event ids the target received, in order.
fn received_ids(target: &Target) -> Vec<i64> {
    target
        .received()
        .iter()
        .map(|r| r.header("X-Hookq-Event-Id").unwrap().parse().unwrap())
        .collect()
}

/// (state, attempts) of each event, by id.
fn states(env: &Env) -> Vec<(i64, String, i64)> {
    env.rows("SELECT id, state, attempts FROM events ORDER BY id")
        .iter()
        .map(|row| (row[0].int(), row[1].text(), row[2].int()))
        .collect()
}

/// Events are taken from the queue a window at a time: a failed delivery
/// in the middle of one rolls back, nothing after it is delivered, and the
/// events taken ahead of it go back to the queue as they were (their
/// attempts not counted). One operation per delivery, one cycle each.
#[test]
fn a_failure_inside_a_window_delivers_nothing_after_it() {
    let target = Target::start(Arc::new(|request, stream| {
        if request.body == b"{\"n\":40}" {
            answer(stream, "500 Internal Server Error", &[], b"no")
        } else {
            answer(stream, "200 OK", &[], b"ok")
        }
    }));
    let env = on_demand(&target.url("/h"), &[]);
    let ids = numbered(&env, 100);
    let out = env.run(&["scenario", "run", "s", "--max-cycles", "100"]);
    assert!(!out.status.success(), "a failed cycle fails the run");
    assert_eq!(received_ids(&target), ids[..41], "up to the failed one");
    let states = states(&env);
    for (id, state, attempts) in &states[..40] {
        assert_eq!((state.as_str(), *attempts), ("done", 1), "event {id}");
    }
    assert_eq!((states[40].1.as_str(), states[40].2), ("queued", 1));
    for (id, state, attempts) in &states[41..] {
        assert_eq!((state.as_str(), *attempts), ("queued", 0), "event {id}");
    }
    assert_eq!(ops(&env).len(), 41);
    let runs = env.json(&["scenario", "runs", "s"]);
    assert_eq!(runs[0]["cycles"], 41, "{runs}");
}

/// `--max-cycles N` delivers exactly N events, however many are taken
/// ahead at a time; the rest stay queued, their attempts not counted.
#[test]
fn max_cycles_delivers_exactly_that_many() {
    let target = Target::start(ok_answer());
    let env = on_demand(&target.url("/h"), &[]);
    let ids = numbered(&env, 100);
    env.ok(&["scenario", "run", "s", "--max-cycles", "37"]);
    assert_eq!(received_ids(&target), ids[..37]);
    let states = states(&env);
    assert!(states[..37].iter().all(|(_, s, a)| s == "done" && *a == 1));
    assert!(states[37..]
        .iter()
        .all(|(_, s, a)| s == "queued" && *a == 0));
    assert_eq!(ops(&env).len(), 37);
    assert_eq!(env.json(&["scenario", "runs", "s"])[0]["cycles"], 37);
}

/// A `scenario run` killed (SIGKILL) in the middle of a window loses
/// nothing: the events delivered but not yet recorded (at most a window,
/// 64) are delivered again by the next run, and every event ends up
/// delivered, in order of its last delivery, and done.
#[test]
fn a_run_killed_mid_window_loses_nothing() {
    let released = Arc::new(AtomicBool::new(false));
    let hold = released.clone();
    let target = Target::start(Arc::new(move |request, stream| {
        while request.body == b"{\"n\":50}" && !hold.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        answer(stream, "200 OK", &[], b"ok")
    }));
    let env = on_demand(&target.url("/h"), &[]);
    let ids = numbered(&env, 200);
    let mut run = env.spawn(&["scenario", "run", "s", "--max-cycles", "200"]);
    eventually(20, "event 50 at the target", || {
        target.received().len() == 51
    });
    run.kill().unwrap();
    run.wait().unwrap();
    released.store(true, Ordering::SeqCst);
    env.ok(&["sweep"]); // repairs what the kill left running
    let after_kill = states(&env);
    assert!(after_kill
        .iter()
        .all(|(_, s, _)| s == "done" || s == "queued"));
    let done = after_kill.iter().filter(|(_, s, _)| s == "done").count();
    assert!(done <= 50, "{done} done: event 50 never answered");
    let unrecorded = 51 - done;
    assert!(unrecorded <= 64, "{unrecorded} delivered but not recorded");
    env.ok(&["scenario", "run", "s", "--max-cycles", "200"]);
    let got = received_ids(&target);
    assert_eq!(got.len(), 200 + unrecorded, "each unrecorded one once more");
    assert_eq!(got[..51], ids[..51]);
    assert_eq!(
        got[51..],
        ids[done..],
        "the rest again from the first unrecorded"
    );
    assert!(states(&env).iter().all(|(_, s, _)| s == "done"));
}

/// A query with characters a URI may not carry (`<`, `"`, a space) and a
/// header with non-ASCII text are what senders send and the listener
/// stores: their events are delivered, not failed for good at the head of
/// the queue (which once held every later event of the hook behind them).
#[test]
fn an_event_as_senders_write_it_is_delivered_whatever_its_query_and_headers_hold() {
    let target = Target::start(ok_answer());
    let env = on_demand(&target.url("/in"), &[]);
    enqueue(
        &env,
        "h",
        &[
            (
                &[("X-Name", "café crème"), ("Expect", "100-continue")],
                "q=<script>&n=\"x\" y",
                b"first",
            ),
            (&[], "", b"second"),
        ],
    );
    let out = env.ok(&["scenario", "run", "s", "--max-cycles", "2"]);
    assert!(out.contains("2 cycles, ok"), "{out}");
    let received = target.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0].target, "/in?q=%3Cscript%3E&n=%22x%22%20y");
    assert_eq!(received[0].header("x-name"), Some("café crème"));
    assert!(!received[0].has("expect"), "{:?}", received[0].headers);
    assert_eq!(received[1].body, b"second");
}

#[test]
fn forwarding_credentials_are_masked_wherever_the_scenario_is_shown_and_sent_as_given() {
    let target = Target::start(ok_answer());
    let url = format!("http://user:hunter2@{}/in", target.addr);
    let env = on_demand(
        &target.url("/in"),
        &["--forward-header", "X-Api-Key: sk_live_SECRET123"],
    );
    env.ok(&[
        "scenario",
        "edit",
        "s",
        "--forward",
        &url,
        "--forward-header",
        "Authorization: Bearer sk_live_SECRET123",
    ]);
    let shown = [
        env.ok(&["scenario", "list"]),
        env.ok(&["scenario", "show", "s"]),
        env.ok(&["scenario", "list", "--json"]),
        env.ok(&["scenario", "show", "s", "--json"]),
        env.ok(&["scenario", "activate", "s", "--json"]),
    ];
    for text in &shown {
        for secret in ["hunter2", "SECRET123", "sk_live"] {
            assert!(!text.contains(secret), "{secret} shown in {text}");
        }
    }
    // Masked as `connections list` masks a secret; names and host kept.
    let masked_url = format!("http://user:h…(7 chars)@{}/in", target.addr);
    assert!(shown[0].contains(&masked_url), "{}", shown[0]);
    assert!(
        shown[1].contains("header Authorization: Bear…(24 chars)"),
        "{}",
        shown[1]
    );
    let json = env.json(&["scenario", "show", "s"]);
    assert_eq!(json["forward"], masked_url.as_str());
    assert_eq!(
        json["forward_headers"],
        serde_json::json!([["Authorization", "Bear…(24 chars)"]])
    );
    // What the target gets is what was given.
    env.send("h", "{}");
    env.ok(&["scenario", "run", "s", "--max-cycles", "1"]);
    let got = target.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0].header("Authorization"),
        Some("Bearer sk_live_SECRET123")
    );
    // Nor does a failed delivery's error, kept in operations and executions.
    let closing = TcpListener::bind("127.0.0.1:0").unwrap();
    let bad = format!("http://user:hunter2@{}/in", closing.local_addr().unwrap());
    std::thread::spawn(move || closing.incoming().for_each(drop));
    env.ok(&["scenario", "edit", "s", "--forward", &bad]);
    env.send("h", "{}");
    let failed = env.fails(&["scenario", "run", "s", "--max-cycles", "1"], 1);
    let ops = env.ok(&["hooks", "ops", "h"]);
    let runs = env.ok(&["scenario", "runs", "s"]);
    assert!(ops.contains("h…(7 chars)"), "{ops}");
    for text in [failed, ops, runs] {
        assert!(!text.contains("hunter2"), "{text}");
    }
}
