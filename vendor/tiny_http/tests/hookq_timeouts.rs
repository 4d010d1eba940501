//! hookq: tests of the socket timeout (defect 4). In their own test binary because
//! `set_default_socket_timeout` is process-wide: every test here sets it to 300 ms
//! before starting its server. Nothing sleeps for synchronization: the client waits for
//! the server to act, under the generous `DEADLINE`.

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tiny_http::{Request, Response};

mod hookq_support;
use hookq_support::*;

const TIMEOUT: Duration = Duration::from_millis(300);

fn set_timeout() {
    tiny_http::set_default_socket_timeout(TIMEOUT);
    assert_eq!(tiny_http::default_socket_timeout(), Some(TIMEOUT));
}

fn ok_handler(rq: Request) {
    let _ = rq.respond(Response::from_string("ok"));
}

#[test]
fn stalled_request_head_gets_408_and_is_closed() {
    set_timeout();
    let (_server, addr) = start_server(2, ok_handler);

    let mut client = connect(addr);
    let start = Instant::now();
    client.write_all(b"GET / HTTP/1.1\r\nHost: local").unwrap(); // ... and nothing more

    let (data, closed) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 408, "{}", String::from_utf8_lossy(&data));
    assert_eq!(closed, Closed::Eof);
    assert!(start.elapsed() >= TIMEOUT);
    assert_eq!(get_status(addr, "/"), 200);
}

#[test]
fn stalled_small_body_gets_408() {
    set_timeout();
    let (_server, addr) = start_server(2, ok_handler);

    // bodies up to 1 KiB are read by tiny_http before the request is handed out
    let mut client = connect(addr);
    client
        .write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc")
        .unwrap();

    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 408, "{}", String::from_utf8_lossy(&data));
}

#[test]
fn idle_keep_alive_connection_is_closed_silently() {
    set_timeout();
    let (_server, addr) = start_server(2, ok_handler);

    let mut client = connect(addr);
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let resp = read_response(&mut client);
    assert_eq!(resp.status, 200);

    // keep-alive: the connection stays open... until the timeout, then EOF, no 408
    let (rest, closed) = read_until_closed(&mut client);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    assert_eq!(closed, Closed::Eof);
}

#[test]
fn connection_without_any_request_is_closed_silently() {
    set_timeout();
    let (_server, addr) = start_server(2, ok_handler);

    let mut client = connect(addr);
    let (rest, closed) = read_until_closed(&mut client);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    assert_eq!(closed, Closed::Eof);
}

#[test]
fn stalled_body_read_by_the_handler_fails_and_connection_closes() {
    set_timeout();
    let (tx, rx) = mpsc::channel();
    let (_server, addr) = start_server(2, move |mut rq: Request| {
        let mut body = Vec::new();
        let result = rq.as_reader().read_to_end(&mut body);
        tx.send(result.map_err(|e| e.kind())).unwrap();
        let _ = rq.respond(Response::empty(400));
    });

    // 5000-byte body (read lazily by the handler); 100 bytes sent, then nothing
    let mut client = connect(addr);
    let mut request =
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n".to_vec();
    request.resize(request.len() + 100, b'a');
    client.write_all(&request).unwrap();

    let result = rx.recv_timeout(DEADLINE).expect("handler still blocked");
    assert!(result.is_err(), "{:?}", result);
    let resp = read_response(&mut client);
    assert_eq!(resp.status, 400);
    let (rest, closed) = read_until_closed(&mut client);
    assert!(rest.is_empty());
    assert_eq!(closed, Closed::Eof);
}

#[test]
fn stalled_drain_is_abandoned_and_connection_closes() {
    set_timeout();
    let (_server, addr) = start_server(2, |rq: Request| {
        let _ = rq.respond(Response::empty(413));
    });

    // small enough to be drained, but the client stops sending: the drain gives up at
    // the read timeout and the connection is closed
    let mut client = connect(addr);
    let mut request =
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n".to_vec();
    request.resize(request.len() + 100, b'a');
    client.write_all(&request).unwrap();

    assert_eq!(read_response(&mut client).status, 413);
    let (rest, closed) = read_until_closed(&mut client);
    assert!(rest.is_empty());
    assert_eq!(closed, Closed::Eof);
    assert_eq!(get_status(addr, "/"), 413);
}
