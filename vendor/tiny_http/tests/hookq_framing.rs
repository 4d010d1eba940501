//! hookq: tests of the framing patches (see PATCHES.md, patches 8 to 12), over raw
//! loopback TCP: what delimits a request body, which heads are refused, and when the
//! connection closes. A request hidden behind another must never reach the handler.

use std::io::Write;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tiny_http::{Header, Request, Response};

mod hookq_support;
use hookq_support::*;

/// A server whose handler reads the whole body and answers with it; every request
/// seen is recorded as "METHOD URL BODY".
fn echo_server() -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let (server, addr) = start_server(2, move |mut rq: Request| {
        let mut body = String::new();
        let read = rq.as_reader().read_to_string(&mut body);
        log.lock()
            .unwrap()
            .push(format!("{} {} {}", rq.method(), rq.url(), body));
        let answer = match read {
            Ok(_) => Response::from_string(body),
            Err(e) => Response::from_string(e.to_string()).with_status_code(400),
        };
        let _ = rq.respond(answer);
    });
    std::mem::forget(server); // lives as long as the test process
    (addr, seen)
}

/// Sends `bytes`, reads until the server closes, returns what came back.
fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut client = connect(addr);
    let _ = client.write_all(bytes);
    let (data, _) = read_until_closed(&mut client);
    String::from_utf8_lossy(&data).into_owned()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn content_length_and_transfer_encoding_is_chunked_then_close() {
    let (addr, seen) = echo_server();
    let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    let body = format!("5\r\nhello\r\n0\r\n\r\n{}", smuggled);
    let request = format!(
        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n{}",
        body.len(),
        body
    );
    let answer = exchange(addr, request.as_bytes());
    assert_eq!(count(&answer, "HTTP/1.1"), 1, "{}", answer);
    assert!(answer.contains("Connection: close\r\n"), "{}", answer);
    assert!(answer.ends_with("hello"), "{}", answer);
    assert_eq!(*seen.lock().unwrap(), ["POST /a hello"]);
}

#[test]
fn transfer_codings_are_501_or_400_and_close() {
    let (addr, seen) = echo_server();
    for (coding, status) in [
        ("identity", 501),
        ("xchunked", 501),
        ("gzip, chunked", 501),
        ("chunked, gzip", 400),
        ("chunked, chunked", 400),
        ("", 400),
    ] {
        let request = format!(
            "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {}\r\n\r\n5\r\nhello\r\n0\r\n\r\n\
             GET /next HTTP/1.1\r\nHost: x\r\n\r\n",
            coding
        );
        let answer = exchange(addr, request.as_bytes());
        assert_eq!(status_of(answer.as_bytes()), status, "{:?}", coding);
        assert_eq!(count(&answer, "HTTP/1.1"), 1, "{:?}: {}", coding, answer);
        assert!(answer.contains("Connection: close\r\n"), "{}", answer);
    }
    // HTTP/1.0 has no Transfer-Encoding
    let answer = exchange(
        addr,
        b"POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!(status_of(answer.as_bytes()), 400, "{}", answer);
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn chunked_bodies_are_decoded_strictly_with_trailers_ignored() {
    let (addr, seen) = echo_server();
    let answer = exchange(
        addr,
        b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
          3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nX-Sum: 1\r\n\r\n\
          GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(count(&answer, "HTTP/1.1 200"), 2, "{}", answer);
    // Answered in order on the wire; the two handler threads may log them
    // in either order (the second request is read once the first's body is,
    // while the first handler has yet to log it).
    let second = answer.rfind("HTTP/1.1 200").unwrap();
    assert!(answer[..second].ends_with("hello"), "{}", answer);
    let mut logged = seen.lock().unwrap().clone();
    logged.sort();
    assert_eq!(logged, ["GET /b ", "POST /a hello"]);
    // a sign before the size: the body read fails (the handler answers 400)
    let answer = exchange(
        addr,
        b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
    );
    assert_eq!(status_of(answer.as_bytes()), 400, "{}", answer);
}

#[test]
fn an_upgrade_offer_does_not_make_the_body_the_rest_of_the_socket() {
    let (addr, seen) = echo_server();
    let answer = exchange(
        addr,
        b"POST /a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\
          HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello\
          GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(count(&answer, "HTTP/1.1 200"), 2, "{}", answer);
    // Answered in order on the wire; the two handler threads may log them
    // in either order (the second request is read once the first's body is,
    // while the first handler has yet to log it).
    let second = answer.rfind("HTTP/1.1 200").unwrap();
    assert!(answer[..second].ends_with("hello"), "{}", answer);
    let mut logged = seen.lock().unwrap().clone();
    logged.sort();
    assert_eq!(logged, ["GET /b ", "POST /a hello"]);
}

#[test]
fn absolute_form_targets_become_their_path_and_query() {
    let (addr, seen) = echo_server();
    for target in ["http://example.com/p?q=1", "HTTPS://example.com:8443/p?q=1"] {
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
            target
        );
        assert_eq!(
            status_of(exchange(addr, request.as_bytes()).as_bytes()),
            200
        );
    }
    let answer = exchange(
        addr,
        b"GET http://example.com HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(answer.as_bytes()), 200);
    assert_eq!(
        *seen.lock().unwrap(),
        ["GET /p?q=1 ", "GET /p?q=1 ", "GET / "]
    );
}

#[test]
fn heads_against_the_grammar_get_400_with_the_reason() {
    let (addr, seen) = echo_server();
    for (head, reason) in [
        ("GET / HTTP/1.1\r\n", "no Host"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n", "several Host"),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n", "folding"),
        ("GET / HTTP/1.1\r\nHost: a\r\n: x\r\n", "empty name"),
        (
            "GET / HTTP/1.1\r\nHost: a\r\nX Y: 1\r\n",
            "not a valid token",
        ),
        ("GET / HTTP/1.1\r\nHost : a\r\n", "not a valid token"),
        ("FOO@BAR / HTTP/1.1\r\nHost: a\r\n", "method"),
        ("GET / HTTP/1.1 x\r\nHost: a\r\n", "single spaces"),
        ("GET x HTTP/1.1\r\nHost: a\r\n", "target"),
        // answered as HTTP/1.1, not in the version the client named
        ("GET / HTTP/2.0\r\nX Y: 1\r\n", "not a valid token"),
    ] {
        let request = format!("{}\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n", head);
        let answer = exchange(addr, request.as_bytes());
        assert_eq!(status_of(answer.as_bytes()), 400, "{:?}", head);
        assert!(answer.contains(reason), "{:?}: {}", head, answer);
        assert!(answer.contains("Connection: close\r\n"), "{}", answer);
        assert_eq!(count(&answer, "HTTP/1.1"), 1, "{}", answer);
    }
    // a version above 1.1 is 505 (not 400 for the missing Host), and the connection goes on
    let answer = exchange(
        addr,
        b"GET / HTTP/2.0\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_of(answer.as_bytes()), 505, "{}", answer);
    assert_eq!(count(&answer, " 200 OK\r\n"), 1, "{}", answer);
    seen.lock().unwrap().clear();
    // methods are case-sensitive tokens; HTTP/1.0 needs no Host; one empty line
    // before a request line is ignored (RFC 9112 2.2)
    let answer = exchange(
        addr,
        b"\r\npost / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
    );
    assert_eq!(count(&answer, " 200 OK\r\n"), 2, "{}", answer);
    // In either order: two handler threads (see the chunked test).
    let mut logged = seen.lock().unwrap().clone();
    logged.sort();
    assert_eq!(logged, ["GET /b ", "post / "]);
}

/// The application answers `Connection: close` without reading the body, as hookq
/// does with a 413: the connection closes at once, without waiting for (or draining)
/// the body, and a request pipelined behind it gets no answer.
#[test]
fn an_answer_with_connection_close_closes_at_once() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let (_server, addr) = start_server(2, move |rq: Request| {
        tx.lock().unwrap().send(rq.url().to_owned()).unwrap();
        let close = Header::from_bytes("Connection", "close").unwrap();
        let _ = rq.respond(Response::empty(413).with_header(close));
    });
    // A 5000-byte body announced, not sent: only the close can end this.
    let answer = exchange(
        addr,
        b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
    );
    assert_eq!(status_of(answer.as_bytes()), 413);
    assert!(answer.contains("Connection: close\r\n"), "{}", answer);
    // A small body is read before the handler runs: the next request may be read
    // too, but it is not answered after the close.
    let answer = exchange(
        addr,
        b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi\
          GET /next HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(count(&answer, "HTTP/1.1"), 1, "{}", answer);
    assert_eq!(rx.recv().unwrap(), "/big");
    assert_eq!(rx.recv().unwrap(), "/small");
}

/// An answer with a small body reaches the client whole, head and body (they now
/// leave in one write), for both framings the server chooses.
#[test]
fn answers_with_a_body_arrive_whole() {
    let (_server, addr) = start_server(2, |rq: Request| {
        let size: usize = rq.url()[1..].parse().unwrap();
        let _ = rq.respond(Response::from_data(vec![b'x'; size]));
    });
    for size in [0usize, 10, 40_000, 100_000] {
        let request = format!(
            "GET /{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            size
        );
        let answer = exchange(addr, request.as_bytes());
        assert_eq!(status_of(answer.as_bytes()), 200);
        let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
        if answer.contains("Transfer-Encoding: chunked") {
            let decoded: usize = body.matches('x').count();
            assert_eq!(decoded, size, "{}", size);
            assert!(body.ends_with("0\r\n\r\n"), "{}", size);
        } else {
            assert_eq!(body.len(), size, "{}", size);
        }
    }
}
