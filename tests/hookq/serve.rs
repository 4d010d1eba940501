//! `hookq hooks serve`: one test per row of the HTTP table of SPEC §4, then
//! concurrency, crashes, live changes and storage faults.

use std::collections::HashSet;
use std::io::BufRead;
use std::sync::{Arc, Mutex};

use crate::util::{eventually, http, http_raw, try_http, Env, ServerProcess, TestServer};

const JSON: &str = "application/json";

fn queued(env: &Env, hook: &str) -> i64 {
    env.json(&["hooks", "show", hook])["queue"]
        .as_i64()
        .unwrap()
}

#[test]
fn accepted_requests_are_stored_with_everything_the_scenario_needs() {
    let env = Env::new();
    let path = env.hook("gh", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let reply = http(
        server.addr,
        "PUT",
        &format!("{path}?ref=main&x=1"),
        &[("Content-Type", JSON), ("X-GitHub-Event", "push")],
        br#"{"ref":"main"}"#,
    );
    assert_eq!((reply.status, reply.text().as_str()), (200, "Accepted"));
    server.stop();
    assert_eq!(queued(&env, "gh"), 1);
    let row = env.row(
        "SELECT method, query, content_type, remote_addr, headers, body
         FROM events JOIN payloads ON payloads.event_id = events.id",
    );
    let (method, query, content_type, remote, headers, body) = (
        row[0].text(),
        row[1].text(),
        row[2].text(),
        row[3].text(),
        row[4].text(),
        row[5].bytes(),
    );
    assert_eq!(method, "PUT");
    assert_eq!(query, "ref=main&x=1");
    assert_eq!(content_type, JSON);
    assert_eq!(remote, "127.0.0.1");
    assert!(headers.contains("X-GitHub-Event"), "{headers}");
    assert_eq!(body, br#"{"ref":"main"}"#);
    assert!(env.json(&["hooks", "show", "gh"])["last_event_at"].is_string());
}

#[test]
fn unknown_tokens_and_paths_are_404_and_store_nothing() {
    let env = Env::new();
    env.hook("gh", &[]);
    let server = TestServer::start(&env);
    let long = format!("/wh/{}", "a".repeat(5_000));
    for path in [
        "/wh/doesnotexistdoesnotexistdoesnot",
        "/wh/",
        "/wh/'%20OR%201=1;--",
        "/wh/..%2F..%2Fetc%2Fpasswd",
        long.as_str(),
        "/",
        "/webhooks",
    ] {
        let reply = server.post(path, JSON, b"{}");
        assert_eq!(reply.status, 404, "{path}");
        if path.starts_with("/wh/") {
            assert_eq!(reply.text(), "Webhook not found.", "{path}");
        }
    }
    // Past 8 KiB the request line itself is refused.
    let huge = format!("/wh/{}", "a".repeat(10_000));
    assert_eq!(server.post(&huge, JSON, b"{}").status, 414);
    server.stop();
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM events"), 0);
}

#[test]
fn a_deleted_hook_answers_404() {
    let env = Env::new();
    let path = env.hook("gone", &[]);
    let server = TestServer::start(&env);
    assert_eq!(server.post(&path, JSON, b"{}").status, 200);
    env.ok(&["hooks", "delete", "gone"]);
    eventually(30, "the deletion to reach the server", || {
        server.post(&path, JSON, b"{}").status == 404
    });
}

#[test]
fn a_hook_disabled_while_serving_answers_410_then_200_when_enabled() {
    let env = Env::new();
    let path = env.hook("gh", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    assert_eq!(server.post(&path, JSON, b"{}").status, 200);
    env.ok(&["hooks", "disable", "gh"]);
    eventually(30, "410 after disable", || {
        let reply = server.post(&path, JSON, b"{}");
        reply.status == 410 && reply.text() == "Webhook is disabled."
    });
    env.ok(&["hooks", "enable", "gh"]);
    eventually(30, "200 after enable", || {
        server.post(&path, JSON, b"{}").status == 200
    });
    server.stop();
    let refused = &env.json(&["hooks", "show", "gh"])["refused"];
    assert!(refused["410"].as_i64().unwrap() >= 1, "{refused}");
}

#[test]
fn methods_not_allowed_are_405() {
    let env = Env::new();
    let path = env.hook("gh", &["--method", "POST", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let reply = http(server.addr, "GET", &path, &[], b"");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("Allow"), Some("POST"));
    assert_eq!(server.post(&path, JSON, b"{}").status, 200);
    server.stop();
    assert_eq!(queued(&env, "gh"), 1);
}

#[test]
fn client_addresses_not_allowed_are_403() {
    let env = Env::new();
    let denied = env.hook("lan", &["--allow-ip", "10.0.0.0/8"]);
    let allowed = env.hook("local", &["--allow-ip", "127.0.0.0/8"]);
    let server = TestServer::start(&env);
    assert_eq!(server.post(&denied, JSON, b"{}").status, 403);
    // A client-supplied header is not believed without --trust-proxy.
    let spoofed = http(
        server.addr,
        "POST",
        &denied,
        &[("X-Forwarded-For", "10.1.2.3")],
        b"",
    );
    assert_eq!(spoofed.status, 403);
    assert_eq!(server.post(&allowed, JSON, b"{}").status, 200);
    server.stop();
    assert_eq!(queued(&env, "lan"), 0);
}

#[test]
fn trust_proxy_takes_the_address_from_x_forwarded_for() {
    let env = Env::new();
    let path = env.hook("lan", &["--allow-ip", "10.0.0.0/8"]);
    let server = TestServer::with(&env, |c| c.trust_proxy = true);
    let reply = http(
        server.addr,
        "POST",
        &path,
        &[("X-Forwarded-For", "10.1.2.3")],
        b"",
    );
    assert_eq!(reply.status, 200);
}

#[test]
fn bodies_over_the_limit_are_413_declared_or_chunked() {
    let env = Env::new();
    let path = env.hook("small", &["--max-body", "1KiB", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    assert_eq!(server.post(&path, "text/plain", &[b'x'; 1024]).status, 200);
    assert_eq!(server.post(&path, "text/plain", &[b'x'; 1025]).status, 413);
    let mut chunked = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..4 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'y'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(http_raw(server.addr, &chunked).status, 413);
    server.stop();
    assert_eq!(queued(&env, "small"), 1);
}

#[test]
fn over_the_rate_limit_is_429_with_retry_after() {
    let env = Env::new();
    let path = env.hook("slow", &["--rate-limit", "1", "--burst", "1"]);
    let server = TestServer::start(&env);
    let replies: Vec<_> = (0..20).map(|_| server.post(&path, JSON, b"{}")).collect();
    let limited: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert!(!limited.is_empty(), "20 requests at 1/s were all accepted");
    assert_eq!(limited[0].text(), "Too many requests.");
    let retry: u64 = limited[0].header("Retry-After").unwrap().parse().unwrap();
    assert!(retry >= 1);
    let accepted = replies.iter().filter(|r| r.status == 200).count();
    server.stop();
    assert_eq!(queued(&env, "slow"), accepted as i64);
}

#[test]
fn a_full_queue_is_503_with_retry_after() {
    let env = Env::new();
    let path = env.hook("tiny", &["--queue-limit", "2", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    assert_eq!(server.post(&path, JSON, b"{}").status, 200);
    assert_eq!(server.post(&path, JSON, b"{}").status, 200);
    let full = server.post(&path, JSON, b"{}");
    assert_eq!((full.status, full.text().as_str()), (503, "Queue is full."));
    assert!(full.header("Retry-After").is_some());
    server.stop();
    assert_eq!(queued(&env, "tiny"), 2);
}

#[test]
fn a_body_declared_json_that_does_not_parse_is_400() {
    let env = Env::new();
    let path = env.hook("gh", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let reply = server.post(&path, "application/json; charset=utf-8", b"{\"a\":");
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("line 1, column"), "{}", reply.text());
    // An empty body is not JSON either.
    assert_eq!(server.post(&path, JSON, b"").status, 400);
    assert_eq!(server.post(&path, JSON, b" \r\n").status, 400);
    // Not declared JSON: kept raw.
    assert_eq!(server.post(&path, "text/plain", b"{\"a\":").status, 200);
    assert_eq!(server.post(&path, "text/plain", b"").status, 200);
    server.stop();
    assert_eq!(queued(&env, "gh"), 2);
    assert_eq!(env.json(&["hooks", "show", "gh"])["refused"]["400"], 3);
}

#[test]
fn every_refused_request_is_counted_once_under_concurrency() {
    let env = Env::new();
    let path = env.hook("gh", &[]);
    env.ok(&["hooks", "disable", "gh"]);
    let server = TestServer::start(&env);
    let addr = server.addr;
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                (0..50)
                    .filter(|_| http(addr, "POST", &path, &[], b"x").status == 410)
                    .count()
            })
        })
        .collect();
    let refused: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(refused, 400);
    server.stop();
    assert_eq!(env.json(&["hooks", "show", "gh"])["refused"]["410"], 400);
}

#[test]
fn healthz_answers_and_metrics_need_the_flag() {
    let env = Env::new();
    let path = env.hook("secret-name", &[]);
    let server = TestServer::start(&env);
    let health = http(server.addr, "GET", "/healthz", &[], b"");
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
    let metrics = http(server.addr, "GET", "/metrics", &[], b"");
    assert_eq!(metrics.status, 404);
    assert!(!metrics.text().contains("secret-name"));
    drop(server);

    let server = TestServer::with(&env, |c| c.metrics = true);
    assert_eq!(server.post(&path, JSON, b"{}").status, 200);
    let text = http(server.addr, "GET", "/metrics", &[], b"").text();
    assert!(
        text.contains("hookq_requests_total{hook=\"secret-name\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("hookq_queue_depth{hook=\"secret-name\"} 1"),
        "{text}"
    );
    assert!(text.contains("hookq_commit_batch_size_count 1"), "{text}");
    assert!(text.contains("hookq_ingest_seconds_count 1"), "{text}");
}

#[test]
fn a_new_hook_is_served_without_restart() {
    let env = Env::new();
    let server = TestServer::start(&env);
    let path = env.hook("late", &[]);
    eventually(30, "the new hook to be served", || {
        server.post(&path, JSON, b"{}").status == 200
    });
}

#[test]
fn concurrent_requests_are_each_stored_exactly_once_in_commit_order() {
    let env = Env::new();
    let path = env.hook("load", &["--rate-limit", "0", "--queue-limit", "100000"]);
    let server = TestServer::with(&env, |c| c.threads = 16);
    let addr = server.addr;
    let acked: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let clients: Vec<_> = (0..16)
        .map(|client| {
            let (path, acked) = (path.clone(), acked.clone());
            std::thread::spawn(move || {
                for n in 0..200 {
                    let body = format!("{{\"client\":{client},\"n\":{n}}}");
                    let reply = http(
                        addr,
                        "POST",
                        &path,
                        &[("Content-Type", JSON)],
                        body.as_bytes(),
                    );
                    assert_eq!(reply.status, 200, "{}", reply.text());
                    acked.lock().unwrap().push((client, n));
                }
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    server.stop();
    assert_eq!(acked.lock().unwrap().len(), 3200);
    let bodies: Vec<(i64, String)> = env
        .rows(
            "SELECT e.id, p.body FROM events e JOIN payloads p ON p.event_id = e.id ORDER BY e.id",
        )
        .iter()
        .map(|row| (row[0].int(), row[1].text()))
        .collect();
    assert_eq!(
        bodies.len(),
        3200,
        "every acknowledged event stored, none twice"
    );
    let distinct: HashSet<&String> = bodies.iter().map(|(_, b)| b).collect();
    assert_eq!(distinct.len(), 3200);
    // Within one client (sequential requests), queue order is send order.
    for client in 0..16 {
        let ns: Vec<i64> = bodies
            .iter()
            .filter_map(|(_, b)| {
                let v: serde_json::Value = serde_json::from_str(b).unwrap();
                (v["client"] == client).then(|| v["n"].as_i64().unwrap())
            })
            .collect();
        assert_eq!(ns, (0..200).collect::<Vec<_>>(), "client {client}");
    }
    assert_eq!(queued(&env, "load"), 3200);
}

#[test]
fn every_acknowledged_event_survives_kill_9() {
    let env = Env::new();
    let path = env.hook("crash", &["--rate-limit", "0", "--queue-limit", "1000000"]);
    let server = ServerProcess::start(&env, &[]);
    let addr = server.addr;
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let (path, acked, stop) = (path.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let body = format!("{client}-{n}");
                    let ok = try_http(
                        addr,
                        "POST",
                        &path,
                        &[("Content-Type", "text/plain")],
                        body.as_bytes(),
                    )
                    .map(|r| r.status);
                    match ok {
                        Ok(200) => acked.lock().unwrap().push(body),
                        _ => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    eventually(60, "some events to be acknowledged", || {
        acked.lock().unwrap().len() >= 300
    });
    server.kill(); // SIGKILL, in the middle of the load
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let stored: HashSet<String> = env
        .rows("SELECT body FROM payloads")
        .iter()
        .map(|row| row[0].text())
        .collect();
    let missing: Vec<&String> = acked.iter().filter(|b| !stored.contains(*b)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
}

#[test]
fn a_full_database_answers_503_and_recovers_when_space_returns() {
    let env = Env::new();
    if env.skip_on_postgres("--max-db-size (SQLite only)") {
        return;
    }
    let filler = env.hook("filler", &["--rate-limit", "0", "--queue-limit", "1000000"]);
    let other = env.hook("other", &["--rate-limit", "0"]);
    let size = std::fs::metadata(&env.db).unwrap().len();
    let cap = size + 256 * 1024;
    let server = TestServer::with(&env, |c| c.max_db_size = Some(cap));
    let body = vec![b'z'; 16 * 1024];
    let mut accepted = 0;
    let refused = loop {
        let reply = server.post(&filler, "text/plain", &body);
        match reply.status {
            200 => accepted += 1,
            _ => break reply,
        }
        assert!(accepted < 1000, "the cap never took effect");
    };
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("Retry-After"), Some("1"));
    assert_eq!(refused.text(), "", "SPEC §4: no body");
    assert!(accepted > 0);
    // Space returns: the filler hook and its events go away.
    env.ok(&["hooks", "delete", "filler"]);
    eventually(30, "the server to accept again", || {
        server.post(&other, "text/plain", &body).status == 200
    });
    server.stop();
    assert!(queued(&env, "other") >= 1);
    assert_eq!(
        env.sql_count("SELECT COUNT(*) FROM events"),
        queued(&env, "other")
    );
}

#[test]
fn a_client_trickling_its_body_does_not_hold_up_a_stop() {
    use std::io::Write;
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let server = TestServer::with(&env, |c| {
        c.grace = std::time::Duration::from_millis(300);
        c.metrics = true;
    });
    let addr = server.addr;
    // One byte every 100 ms of a 5,000-byte body (over 1 KiB, so a request
    // thread reads it, not tiny_http): each read is well within the socket
    // timeout, and the body takes over 8 minutes.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            let head = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
            stream.write_all(head.as_bytes()).unwrap();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if stream.write_all(b"x").is_err() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        })
    };
    eventually(30, "the request to be in progress", || {
        let metrics = http(addr, "GET", "/metrics", &[], b"").text();
        metrics.contains("hookq_body_bytes_in_flight 5000\n")
    });
    let (stopped, stopping) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        server.stop();
        let _ = stopped.send(());
    });
    let outcome = stopping.recv_timeout(std::time::Duration::from_secs(60));
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    trickler.join().unwrap();
    assert!(outcome.is_ok(), "the stop waited for the slow client");
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM events"), 0);
}

/// The order of a stop (server/stop.rs): first no new request, then the
/// ones in progress finish, committed and answered, and only then does
/// `stop` return. A request whose body is still arriving when the stop
/// begins is acknowledged, and its event is in the file when the server is
/// gone.
#[test]
fn a_stop_commits_and_answers_the_request_in_progress_before_it_returns() {
    use std::io::Write;
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let server = TestServer::with(&env, |c| {
        // Far longer than the test takes: the stop must wait for the
        // request, not give up on it.
        c.grace = std::time::Duration::from_secs(600);
        c.metrics = true;
    });
    let addr = server.addr;
    let body: Vec<u8> = (0..5000).map(|i| b'a' + (i % 26) as u8).collect();
    // Over 1 KiB, so the request's own thread reads it, in two halves.
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..2500]).unwrap();
    eventually(30, "the request to be in progress", || {
        let metrics = http(addr, "GET", "/metrics", &[], b"").text();
        metrics.contains("hookq_body_bytes_in_flight 5000\n")
    });

    let (stopped, stopping) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        server.stop();
        let _ = stopped.send(());
    });
    // The stop has begun once a new request is refused (503) or cannot
    // connect at all (the listener closed).
    eventually(30, "the stop to refuse new requests", || {
        try_http(addr, "GET", "/healthz", &[], b"").map_or(true, |r| r.status == 503)
    });
    assert!(
        stopping.try_recv().is_err(),
        "the stop returned with a request in progress"
    );
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM events"), 0);

    stream.write_all(&body[2500..]).unwrap();
    let reply = crate::util::read_reply(&mut stream);
    assert_eq!(reply.status, 200, "{}", reply.text());
    stopping
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the stop to return once the request was answered");
    let stored = env.row("SELECT body FROM payloads")[0].bytes();
    assert_eq!(stored, body, "the acknowledged event is in the file");
}

#[test]
fn a_cap_below_the_database_size_is_refused_at_start() {
    let env = Env::new();
    if env.skip_on_postgres("--max-db-size (SQLite only)") {
        return;
    }
    env.hook("h", &[]);
    // A server that started anyway would fail the test, not hang it.
    let out = env.run_within(
        60,
        &[
            "hooks",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-db-size",
            "1KiB",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.starts_with("hookq: the database is "), "{err}");
    assert!(err.contains("at or over the cap of 1KiB"), "{err}");
}

#[test]
fn errors_logged_to_a_broken_stderr_do_not_stop_the_server() {
    let env = Env::new();
    if env.skip_on_postgres("--max-db-size (SQLite only) makes its errors") {
        return;
    }
    let filler = env.hook("filler", &["--rate-limit", "0", "--queue-limit", "1000000"]);
    let cap = (std::fs::metadata(&env.db).unwrap().len() + 256 * 1024).to_string();
    // `serve 2>&1 | logger`, and the logger dies: stderr is a broken pipe.
    let (server, stderr) = ServerProcess::logged(&env, &["--threads", "2", "--max-db-size", &cap]);
    drop(stderr);
    let body = vec![b'z'; 16 * 1024];
    let mut refused = 0;
    for _ in 0..1000 {
        let reply = try_http(server.addr, "POST", &filler, &[], &body).unwrap();
        match reply.status {
            200 => {}
            status => {
                // Each refusal logs "could not store an event" on stderr.
                assert_eq!(status, 503);
                refused += 1;
                if refused == 6 {
                    break;
                }
            }
        }
    }
    assert_eq!(refused, 6, "the cap never took effect");
    // More errors were logged than there are request threads: none died.
    let health = try_http(server.addr, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(health.status, 200);
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn serve_logs_each_request_and_exits_0_on_sigterm() {
    let env = Env::new();
    let path = env.hook("gh", &[]);
    let (server, mut stderr) = ServerProcess::logged(&env, &[]);
    let reply = http(server.addr, "POST", &path, &[], b"hi");
    assert_eq!(reply.status, 200);
    let event = env.json(&["hooks", "events", "gh"])[0]["id"].clone();
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let logged = format!("event={event}");
    assert_eq!(&fields[1..4], ["gh", "200", logged.as_str()], "{line}");
    assert!(fields[4].ends_with("ms"), "{line}");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn quiet_serve_logs_nothing_per_request() {
    let env = Env::new();
    let path = env.hook("gh", &[]);
    let (server, mut stderr) = ServerProcess::logged(&env, &["--quiet"]);
    assert_eq!(http(server.addr, "POST", &path, &[], b"hi").status, 200);
    assert_eq!(server.signal("-INT"), Some(0));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(rest, "");
}

/// SPEC §4 checks a request in the order of its table: a request wrong in
/// two ways gets the first of the two answers. (A signature over a body too
/// large to read cannot be checked: docs/server.md.)
#[test]
fn the_checks_come_in_the_order_of_the_table() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "connections",
            "create",
            "key",
            "--kind",
            "api-key",
            "--secret-env",
            "KEY",
        ])
        .env("KEY", "right")
        .output()
        .unwrap();
    assert!(out.status.success());
    let strict = [
        "--method",
        "POST",
        "--allow-ip",
        "10.0.0.0/8",
        "--connection",
        "key",
        "--max-body",
        "4",
        "--rate-limit",
        "0",
    ];
    let disabled = env.hook("disabled", &strict);
    env.ok(&["hooks", "disable", "disabled"]);
    let from_afar = env.hook("from-afar", &strict);
    let local = ["--allow-ip", "127.0.0.0/8"];
    let local_post = [&strict[..2], &local, &strict[4..]].concat();
    let signed = env.hook("signed", &local_post);
    let json = env.hook("json", &["--connection", "key", "--rate-limit", "0"]);
    let server = TestServer::start(&env);
    let ask = |method: &str, path: &str, key: &str, body: &[u8]| {
        let headers = [("X-Api-Key", key), ("Content-Type", JSON)];
        http(server.addr, method, path, &headers, body).status
    };
    // Disabled before the method, the method before the address, the
    // address before the key, the key before the size, the size before the
    // body's JSON, the key before the body's JSON.
    assert_eq!(ask("GET", &disabled, "wrong", b"too large"), 410);
    assert_eq!(ask("GET", &from_afar, "wrong", b"too large"), 405);
    assert_eq!(ask("POST", &from_afar, "wrong", b"too large"), 403);
    assert_eq!(ask("POST", &signed, "wrong", b"too large"), 401);
    assert_eq!(ask("POST", &signed, "right", b"too large"), 413);
    assert_eq!(ask("POST", &signed, "wrong", b"{}"), 401);
    assert_eq!(ask("POST", &json, "wrong", b"{not json"), 401);
    assert_eq!(ask("POST", &json, "right", b"{not json"), 400);
    assert_eq!(ask("POST", &signed, "right", b"{}"), 200);
}

/// A request refused after the rate limit took its token (a body declared
/// JSON that does not parse) gives the token back: it was not accepted.
#[test]
fn a_refused_request_does_not_use_up_the_rate_limit() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "1", "--burst", "1"]);
    let server = TestServer::start(&env);
    assert_eq!(server.post(&path, JSON, b"{not json").status, 400);
    assert_eq!(server.post(&path, JSON, b"{}").status, 200);
    server.stop();
    assert_eq!(queued(&env, "h"), 1);
}

#[test]
fn the_metrics_flag_shows_refusals_by_status() {
    let env = Env::new();
    let path = env.hook("h", &["--method", "POST", "--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &["--metrics"]);
    assert_eq!(http(server.addr, "POST", &path, &[], b"x").status, 200);
    for _ in 0..2 {
        assert_eq!(http(server.addr, "GET", &path, &[], b"").status, 405);
    }
    assert_eq!(http(server.addr, "GET", "/wh/nope", &[], b"").status, 404);
    let text = http(server.addr, "GET", "/metrics", &[], b"").text();
    for line in [
        "hookq_requests_total{hook=\"h\",status=\"200\"} 1",
        "hookq_requests_total{hook=\"h\",status=\"405\"} 2",
        "hookq_requests_total{hook=\"\",status=\"404\"} 1",
        "hookq_queue_depth{hook=\"h\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
    }
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn the_listen_address_can_come_from_the_environment() {
    let env = Env::new();
    let path = env.hook("h", &[]);
    let mut command = env.cmd(&["hooks", "serve", "--quiet"]);
    command.env("HOOKQ_LISTEN", "127.0.0.1:0");
    let (server, _log) = ServerProcess::spawn(command);
    assert_eq!(server.addr.ip().to_string(), "127.0.0.1");
    assert_eq!(http(server.addr, "POST", &path, &[], b"x").status, 200);
}

#[test]
fn limits_edited_while_serving_apply_without_restart() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let server = TestServer::start(&env);
    assert_eq!(server.post(&path, "text/plain", b"0123456789").status, 200);
    env.ok(&["hooks", "edit", "h", "--max-body", "4", "--method", "PUT"]);
    eventually(30, "the edit to reach the server", || {
        server.post(&path, "text/plain", b"0123456789").status == 405
    });
    let put = |body: &[u8]| http(server.addr, "PUT", &path, &[], body).status;
    assert_eq!(put(b"0123456789"), 413);
    assert_eq!(put(b"0123"), 200);
}

/// A signature over the body: missing, it is 401 whatever the size; present,
/// it cannot be checked on a body too large to read, which is 413.
#[test]
fn an_oversized_body_is_401_without_a_signature_and_413_with_one() {
    let env = Env::new();
    let out = env
        .cmd(&[
            "connections",
            "create",
            "gh",
            "--kind",
            "github",
            "--secret-env",
            "S",
        ])
        .env("S", "secret")
        .output()
        .unwrap();
    assert!(out.status.success());
    let path = env.hook(
        "h",
        &["--connection", "gh", "--max-body", "4", "--rate-limit", "0"],
    );
    let server = TestServer::start(&env);
    let post =
        |headers: &[(&str, &str)], body: &[u8]| http(server.addr, "POST", &path, headers, body);
    let missing = post(&[], b"too large");
    assert_eq!(
        (missing.status, missing.text().as_str()),
        (401, "missing signature header")
    );
    let malformed = post(&[("X-Hub-Signature-256", "md5=zz")], b"too large");
    assert_eq!(malformed.status, 401);
    let unchecked = post(
        &[(
            "X-Hub-Signature-256",
            &format!("sha256={}", "ab".repeat(32)),
        )],
        b"too large",
    );
    assert_eq!(unchecked.status, 413);
    // Small enough to read: the signature is checked.
    let wrong = post(
        &[(
            "X-Hub-Signature-256",
            &format!("sha256={}", "ab".repeat(32)),
        )],
        b"ok",
    );
    assert_eq!(
        (wrong.status, wrong.text().as_str()),
        (401, "signature mismatch")
    );
}
