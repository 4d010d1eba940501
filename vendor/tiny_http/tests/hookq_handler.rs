//! hookq: `Server::with_handler` (patch 8): each request handled on its connection's
//! thread, and the bound on open connections. Nothing sleeps for synchronization: the
//! client waits for the server to act, under the generous `DEADLINE`.

use std::io::Write;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tiny_http::{ConfigListenAddr, HandlerConfig, Request, Response, Server, ServerConfig};

mod hookq_support;
use hookq_support::*;

fn start(max_connections: usize, handler: impl Fn(Request) + Send + Sync + 'static) -> Server {
    Server::with_handler(
        ServerConfig {
            addr: ConfigListenAddr::from_socket_addrs("127.0.0.1:0").unwrap(),
            ssl: None,
        },
        HandlerConfig {
            handler: Arc::new(handler),
            idle_threads: 1,
            max_connections,
        },
    )
    .unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {}", what);
        std::thread::yield_now();
    }
}

#[test]
fn handlers_that_wait_hold_only_their_own_connection() {
    // `/wait` requests wait until the test lets them go; there are more of them
    // than the threads kept ready.
    let (release, released) = mpsc::channel::<()>();
    let released = Arc::new(Mutex::new(released));
    let (entered, waiting) = mpsc::channel();
    let entered = Mutex::new(entered);
    let server = start(100, move |rq: Request| {
        if rq.url() == "/wait" {
            entered.lock().unwrap().send(()).unwrap();
            let _ = released.lock().unwrap().recv();
        }
        let _ = rq.respond(Response::from_string("ok"));
    });
    let addr = server.server_addr().to_ip().unwrap();
    let mut waiters: Vec<_> = (0..8)
        .map(|_| {
            let mut stream = connect(addr);
            stream
                .write_all(b"GET /wait HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            stream
        })
        .collect();
    // One handler waits on the channel, the others on its lock: every one of them
    // is in its handler.
    waiting.recv_timeout(DEADLINE).unwrap();
    wait_for("8 connections", || server.num_connections() == 8);
    assert_eq!(get_status(addr, "/other"), 200);
    drop(release);
    for stream in &mut waiters {
        assert_eq!(read_response(stream).status, 200);
    }
    wait_for("the connections to be counted out", || {
        server.num_connections() == 0
    });
}

#[test]
fn a_connection_past_the_bound_is_refused_at_once() {
    let server = start(2, |rq: Request| {
        let _ = rq.respond(Response::from_string("ok"));
    });
    let addr = server.server_addr().to_ip().unwrap();
    let held: Vec<_> = (0..2).map(|_| connect(addr)).collect();
    wait_for("2 connections", || server.num_connections() == 2);
    // Sends nothing: the answer does not wait on the client.
    let mut refused = connect(addr);
    let (data, closed) = read_until_closed(&mut refused);
    let text = String::from_utf8_lossy(&data);
    assert_eq!(status_of(&data), 503, "{}", text);
    assert!(text.contains("\r\nRetry-After: 1\r\n"), "{}", text);
    assert!(text.contains("\r\nConnection: close\r\n"), "{}", text);
    assert!(
        text.ends_with("Too many open connections; retry shortly.\r\n"),
        "{}",
        text
    );
    assert_eq!(closed, Closed::Eof);
    assert_eq!(server.num_connections(), 2);
    drop(held);
    wait_for("the held connections to close", || {
        server.num_connections() == 0
    });
    assert_eq!(get_status(addr, "/"), 200);
}
