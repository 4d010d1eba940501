//! The server's bounds (docs/server.md "Bounds"): no client, however slow
//! or patient, keeps the others out, and concurrent bodies cannot take the
//! memory.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use crate::util::{eventually, http, read_reply, Env, Gate, ServerProcess, TestServer};

/// How long a client waits for an answer it should get at once.
const PROMPTLY: Duration = Duration::from_secs(20);

/// More than the request threads and spares of the old thread model (8 +
/// 1,024): each of these clients held one.
const MANY: usize = 1_100;

/// Raise this process's soft limit on open files to the hard one; the new
/// soft limit.
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

/// A gauge of the server's `/metrics`.
fn gauge(addr: SocketAddr, name: &str) -> u64 {
    let text = http(addr, "GET", "/metrics", &[], b"").text();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// Connect and send `bytes`, then nothing more.
fn stall(addr: SocketAddr, bytes: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PROMPTLY)).unwrap();
    stream.write_all(bytes.as_bytes()).unwrap();
    stream
}

fn head(path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

/// A client of another hook is answered promptly: within 20 s, less than
/// the 30 s socket timeout that would let a slow client go.
fn bystander_is_served(env: &Env, addr: SocketAddr, path: &str, body: &str) {
    let mut stream = stall(addr, &format!("{}{body}", head(path, body.len())));
    let reply = read_reply(&mut stream);
    assert_eq!((reply.status, reply.text().as_str()), (200, "Accepted"));
    let stored = env.sql_count(&format!(
        "SELECT COUNT(*) FROM payloads WHERE CAST(body AS TEXT) = '{body}'"
    ));
    assert_eq!(stored, 1, "the bystander's event");
}

#[test]
fn a_bystander_is_served_while_many_clients_trickle_their_bodies() {
    assert!(
        raise_fd_limit() > 4 * MANY as u64,
        "too few open files allowed"
    );
    let env = Env::new();
    let slow = env.hook("slow", &["--rate-limit", "0"]);
    let other = env.hook("other", &["--rate-limit", "0"]);
    let server = TestServer::with(&env, |c| {
        c.threads = 2;
        c.metrics = true;
    });
    // Over 1 KiB, so that hookq reads the body, not tiny_http.
    let slow_clients: Vec<TcpStream> = (0..MANY)
        .map(|_| stall(server.addr, &format!("{}abc", head(&slow, 100_000))))
        .collect();
    eventually(60, "every slow client to be reading its body", || {
        gauge(server.addr, "hookq_body_bytes_in_flight") == MANY as u64 * 100_000
    });
    // A byte every 2 s each: no read waits long enough for the socket
    // timeout (30 s) to let a slow client go.
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let trickler = std::thread::spawn(move || {
        let mut slow_clients = slow_clients;
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_secs(2)) {
            for client in &mut slow_clients {
                let _ = client.write_all(b"x");
            }
        }
    });
    bystander_is_served(&env, server.addr, &other, "bystander");
    drop(stop);
    trickler.join().unwrap();
    server.stop();
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM events"), 1);
}

#[test]
fn a_bystander_is_served_while_many_callers_wait_for_a_slow_scenario() {
    assert!(
        raise_fd_limit() > 2 * MANY as u64,
        "too few open files allowed"
    );
    let env = Env::new();
    let answering = env.hook("answering", &["--rate-limit", "0"]);
    let other = env.hook("other", &["--rate-limit", "0"]);
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
    let mut callers: Vec<TcpStream> = (0..MANY)
        .map(|i| {
            let body = format!("caller-{i}");
            stall(
                server.addr,
                &format!("{}{body}", head(&answering, body.len())),
            )
        })
        .collect();
    eventually(60, "every caller's event to be stored", || {
        env.sql_count("SELECT COUNT(*) FROM events") == MANY as i64
    });
    bystander_is_served(&env, server.addr, &other, "bystander");
    release.open();
    // The first callers' cycles come first; each gets its answer.
    for caller in callers.iter_mut().take(3) {
        caller
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let reply = read_reply(caller);
        assert_eq!((reply.status, reply.text().trim()), (200, "done"));
    }
}

#[test]
fn a_connection_past_the_bound_is_refused_at_once_and_others_come_in_later() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "0"]);
    let server = TestServer::with(&env, |c| {
        c.threads = 2;
        c.max_connections = Some(4);
    });
    let mut held: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    // Sends nothing: the answer comes without waiting on the client.
    let mut refused = TcpStream::connect(server.addr).unwrap();
    refused.set_read_timeout(Some(PROMPTLY)).unwrap();
    let reply = read_reply(&mut refused);
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("Retry-After"), Some("1"));
    assert_eq!(reply.header("Connection"), Some("close"));
    assert!(
        reply.text().contains("Too many open connections"),
        "{}",
        reply.text()
    );
    let mut rest = Vec::new();
    assert_eq!(
        refused.read_to_end(&mut rest).unwrap(),
        0,
        "closed after it"
    );
    // The connections that are in are served as before.
    held[0].set_read_timeout(Some(PROMPTLY)).unwrap();
    held[0].write_all(head(&path, 2).as_bytes()).unwrap();
    held[0].write_all(b"in").unwrap();
    assert_eq!(read_reply(&mut held[0]).status, 200);
    // Once one leaves, a new client gets in.
    held.pop();
    eventually(20, "a new client to be served", || {
        http(server.addr, "GET", "/healthz", &[], b"").status == 200
    });
    drop(held);
    server.stop();
}

#[test]
fn a_body_past_the_budget_in_flight_is_refused_before_it_is_read() {
    let env = Env::new();
    let a = env.hook("a", &["--rate-limit", "0"]);
    let b = env.hook("b", &["--rate-limit", "0"]);
    let c = env.hook("c", &["--rate-limit", "0"]);
    let server = TestServer::with(&env, |config| {
        config.metrics = true;
        config.max_body_in_flight = 1_000_000;
    });
    let in_flight = || gauge(server.addr, "hookq_body_bytes_in_flight");
    let refused = |path: &str, length: usize| {
        // Only the head: a refusal must not wait for the body.
        let mut stream = stall(server.addr, &head(path, length));
        let reply = read_reply(&mut stream);
        assert_eq!(reply.status, 503, "{path} {length}: {}", reply.text());
        assert_eq!(reply.header("Retry-After"), Some("1"));
        assert!(reply.text().contains("request bodies"), "{}", reply.text());
    };
    let first = stall(server.addr, &format!("{}abc", head(&a, 400_000)));
    eventually(20, "the first body to be in flight", || {
        in_flight() == 400_000
    });
    // A hook gets half the budget at most, whatever the others leave.
    refused(&a, 200_000);
    let second = stall(server.addr, &format!("{}abc", head(&b, 500_000)));
    eventually(20, "the second body to be in flight", || {
        in_flight() == 900_000
    });
    // Past the whole budget.
    refused(&c, 200_000);
    // What fits is served meanwhile.
    bystander_is_served(&env, server.addr, &c, "small");
    // A chunked body reserves room as it comes (64 KiB at a time), and is
    // refused once the budget has no more.
    let chunk = "x".repeat(100_000);
    let chunked = format!(
        "POST {c} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    let mut stream = stall(server.addr, &chunked);
    let reply = read_reply(&mut stream);
    assert_eq!(reply.status, 503, "{}", reply.text());
    drop((first, second));
    eventually(20, "the bodies to leave the budget", || in_flight() == 0);
    let body = "y".repeat(400_000);
    bystander_is_served(&env, server.addr, &a, &body);
    server.stop();
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM events"), 2);
}

/// The real binary under a hard limit of 1,024 open files (which `serve`
/// cannot raise): 600 trickling connections fit under the connection bound
/// with room to spare, and bystanders beside them are served.
#[test]
fn under_a_hard_limit_of_1024_files_600_trickling_clients_leave_room_for_others() {
    raise_fd_limit();
    let env = Env::new();
    let slow = env.hook("slow", &["--rate-limit", "0"]);
    let other = env.hook("other", &["--rate-limit", "0"]);
    let server = ServerProcess::start_with(&env, &["--no-scenarios"], |cmd| {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 1024,
                    rlim_max: 1024,
                };
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                Ok(())
            });
        }
    });
    let slow_clients: Vec<TcpStream> = (0..600)
        .map(|_| stall(server.addr, &format!("{}abc", head(&slow, 100_000))))
        .collect();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let trickler = std::thread::spawn(move || {
        let mut slow_clients = slow_clients;
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_secs(2)) {
            for client in &mut slow_clients {
                let _ = client.write_all(b"x");
            }
        }
        slow_clients
    });
    for i in 0..20 {
        bystander_is_served(&env, server.addr, &other, &format!("bystander-{i}"));
    }
    drop(stop);
    let slow_clients = trickler.join().unwrap();
    // Every trickling client is still in (none was refused or dropped).
    for (i, client) in slow_clients.iter().enumerate() {
        client.set_nonblocking(true).unwrap();
        let mut byte = [0; 1];
        match (&*client).read(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("slow client {i}: {other:?}"),
        }
    }
}
