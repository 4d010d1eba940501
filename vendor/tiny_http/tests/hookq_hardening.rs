//! hookq: tests of the hardening patches (see PATCHES.md), over raw loopback TCP.
//!
//! These tests keep the default socket timeout (30 s): none of them waits for it.
//! The timeout tests are in `hookq_timeouts.rs` (their own process, since the timeout
//! setting is process-wide).

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tiny_http::{Request, Response};

mod hookq_support;
use hookq_support::*;

/// Answers 200 "ok" to everything, without reading bodies.
fn ok_handler(rq: Request) {
    let _ = rq.respond(Response::from_string("ok"));
}

// ---- defect 1: limits on the request head --------------------------------------------

#[test]
fn header_line_of_100k_gets_431_and_server_survives() {
    let (_server, addr) = start_server(2, ok_handler);

    let mut client = connect(addr);
    let mut request = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ".to_vec();
    request.resize(request.len() + 100 * 1024, b'a');
    request.extend_from_slice(b"\r\n\r\n");
    let writer = write_in_background(&client, request);

    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 431, "{}", String::from_utf8_lossy(&data));
    writer.join().unwrap();

    // the server still answers the next client
    assert_eq!(get_status(addr, "/"), 200);
}

#[test]
fn request_line_of_100k_gets_414() {
    let (_server, addr) = start_server(2, ok_handler);

    let mut client = connect(addr);
    let mut request = b"GET /".to_vec();
    request.resize(request.len() + 100 * 1024, b'a');
    request.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let writer = write_in_background(&client, request);

    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 414, "{}", String::from_utf8_lossy(&data));
    writer.join().unwrap();
    assert_eq!(get_status(addr, "/"), 200);
}

#[test]
fn thousand_headers_get_431() {
    let (_server, addr) = start_server(2, ok_handler);

    let mut client = connect(addr);
    let mut request = b"GET / HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    for i in 0..1000 {
        request.extend_from_slice(format!("X-Header-{}: v\r\n", i).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let writer = write_in_background(&client, request);

    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 431, "{}", String::from_utf8_lossy(&data));
    writer.join().unwrap();
    assert_eq!(get_status(addr, "/"), 200);
}

#[test]
fn head_over_64k_gets_431() {
    let (_server, addr) = start_server(2, ok_handler);

    // 12 headers of 6000 bytes: each line and the count are within limits, the total
    // (72 KB) is not
    let mut client = connect(addr);
    let mut request = b"GET / HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    for i in 0..12 {
        request.extend_from_slice(format!("X-Header-{}: ", i).as_bytes());
        request.resize(request.len() + 6000, b'v');
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let writer = write_in_background(&client, request);

    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 431, "{}", String::from_utf8_lossy(&data));
    writer.join().unwrap();
}

#[test]
fn heads_within_limits_are_served() {
    let (_server, addr) = start_server(2, |rq: Request| {
        let n = rq.headers().len();
        let _ = rq.respond(Response::from_string(n.to_string()));
    });

    // 99 headers + Host = 100 headers, one of them 8000 bytes long, 58 KB in all
    let mut client = connect(addr);
    let mut request = b"GET / HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    request.extend_from_slice(b"X-Long: ");
    request.resize(request.len() + 8000, b'v');
    request.extend_from_slice(b"\r\n");
    for i in 0..98 {
        request.extend_from_slice(format!("X-Header-{:02}: ", i).as_bytes());
        request.resize(request.len() + 500, b'v');
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    client.write_all(&request).unwrap();

    let resp = read_response(&mut client);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"100");
}

// ---- defect 2: draining an unread body -----------------------------------------------

/// Handler that refuses every request with 413 without reading the body, and records
/// the URLs it saw.
fn refusing_server() -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let (server, addr) = start_server(2, move |rq: Request| {
        seen2.lock().unwrap().push(rq.url().to_string());
        let status = if rq.url() == "/ok" { 200 } else { 413 };
        let _ = rq.respond(Response::from_string("no").with_status_code(status));
    });
    std::mem::forget(server); // keep serving until the end of the test process
    (addr, seen)
}

#[cfg(target_pointer_width = "64")]
#[test]
fn huge_content_length_refused_without_reading_the_body() {
    let (addr, seen) = refusing_server();

    // a "request" hidden at the start of the body: it must never be served
    let mut client = connect(addr);
    client
        .write_all(
            b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000000\r\n\r\n\
              GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n",
        )
        .unwrap();

    // upstream allocated 100 GB when dropping the request here (abort of the process)
    let (data, _closed) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 413, "{}", String::from_utf8_lossy(&data));
    // one response only: the connection was closed, not reused
    assert_eq!(
        String::from_utf8_lossy(&data).matches("HTTP/1.1 ").count(),
        1
    );

    // the server still answers another client
    assert_eq!(get_status(addr, "/ok"), 200);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, vec!["/upload".to_string(), "/ok".to_string()]);

    if let Some(kib) = peak_rss_kib() {
        assert!(
            kib < 1024 * 1024,
            "peak RSS of the test process: {} KiB",
            kib
        );
    }
}

#[cfg(target_pointer_width = "64")]
#[test]
fn abandoned_drain_closes_the_connection_with_eof() {
    let (addr, _seen) = refusing_server();

    let mut client = connect(addr);
    client
        .write_all(
            b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000000000\r\n\r\n",
        )
        .unwrap();

    let resp = read_response(&mut client);
    assert_eq!(resp.status, 413);
    // the server closes the connection instead of reading the body: EOF, not a hang
    let (rest, closed) = read_until_closed(&mut client);
    assert_eq!(closed, Closed::Eof);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}

#[test]
fn body_over_drain_limit_closes_the_connection() {
    let (addr, seen) = refusing_server();

    // 3 MiB body actually sent (more than the 1 MiB drain limit), then a request
    let mut client = connect(addr);
    let mut request = format!(
        "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        3 << 20
    )
    .into_bytes();
    request.resize(request.len() + (3 << 20), b'a');
    request.extend_from_slice(b"GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let writer = write_in_background(&client, request);

    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 413);
    assert_eq!(
        String::from_utf8_lossy(&data).matches("HTTP/1.1 ").count(),
        1
    );
    writer.join().unwrap();
    assert!(!seen.lock().unwrap().contains(&"/smuggled".to_string()));
}

#[test]
fn small_unread_body_is_drained_and_connection_reused() {
    let (addr, seen) = refusing_server();

    // 5000-byte body (not buffered by tiny_http, so drained on drop), then a second
    // request on the same connection
    let mut client = connect(addr);
    let mut request =
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n".to_vec();
    request.resize(request.len() + 5000, b'a');
    request.extend_from_slice(b"GET /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    client.write_all(&request).unwrap();

    assert_eq!(read_response(&mut client).status, 413);
    assert_eq!(read_response(&mut client).status, 200);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, vec!["/upload".to_string(), "/ok".to_string()]);
}

/// `Transfer-Encoding: chunked` encoding of `len` bytes of `b'a'` in chunks of
/// `chunk` bytes.
fn chunked_body(len: usize, chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk);
        out.extend_from_slice(format!("{:x}\r\n", n).as_bytes());
        out.resize(out.len() + n, b'a');
        out.extend_from_slice(b"\r\n");
        left -= n;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn small_unread_chunked_body_is_drained_and_connection_reused() {
    let (addr, seen) = refusing_server();

    let mut client = connect(addr);
    let mut request =
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    request.extend(chunked_body(20_000, 3000));
    request.extend_from_slice(b"GET /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    client.write_all(&request).unwrap();

    assert_eq!(read_response(&mut client).status, 413);
    assert_eq!(read_response(&mut client).status, 200);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, vec!["/upload".to_string(), "/ok".to_string()]);
}

#[test]
fn big_unread_chunked_body_closes_the_connection() {
    let (addr, seen) = refusing_server();

    // upstream did not drain chunked bodies at all: "GET /smuggled" was served
    let mut client = connect(addr);
    let mut request =
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    request.extend(chunked_body(3 << 20, 64 * 1024));
    request.extend_from_slice(b"GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let writer = write_in_background(&client, request);

    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 413);
    assert_eq!(
        String::from_utf8_lossy(&data).matches("HTTP/1.1 ").count(),
        1
    );
    writer.join().unwrap();
    assert!(!seen.lock().unwrap().contains(&"/smuggled".to_string()));
}

#[test]
fn endless_chunk_size_line_is_an_error_not_a_memory_leak() {
    let (tx, rx) = mpsc::channel();
    let (_server, addr) = start_server(1, move |mut rq: Request| {
        let mut body = Vec::new();
        let result = rq.as_reader().take(10 << 20).read_to_end(&mut body);
        tx.send(result.is_err()).unwrap();
        let _ = rq.respond(Response::empty(400));
    });

    // 4 MiB of hex digits and no CRLF: upstream's decoder buffered all of it and
    // waited for more
    let mut client = connect(addr);
    let mut request =
        b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    request.resize(request.len() + (4 << 20), b'1');
    let writer = write_in_background(&client, request);

    assert!(rx.recv_timeout(DEADLINE).expect("handler did not finish"));
    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 400);
    writer.join().unwrap();
}

// ---- defect 5: other hostile input ---------------------------------------------------

#[test]
fn invalid_content_length_gets_400() {
    let (_server, addr) = start_server(2, ok_handler);
    for value in ["abc", "-1", "+5", "1 2", "99999999999999999999999999"] {
        let mut client = connect(addr);
        write!(
            client,
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\nhello",
            value
        )
        .unwrap();
        let (data, _) = read_until_closed(&mut client);
        assert_eq!(status_of(&data), 400, "Content-Length: {}", value);
    }
}

#[test]
fn conflicting_content_lengths_get_400() {
    let (_server, addr) = start_server(2, ok_handler);
    let mut client = connect(addr);
    client
        .write_all(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\
              Content-Length: 6\r\n\r\nhello!",
        )
        .unwrap();
    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 400);
}

#[test]
fn non_ascii_header_gets_400() {
    let (_server, addr) = start_server(2, ok_handler);
    let mut client = connect(addr);
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Name: caf\xc3\xa9\r\n\r\n")
        .unwrap();
    let (data, _) = read_until_closed(&mut client);
    assert_eq!(status_of(&data), 400);
    assert_eq!(get_status(addr, "/"), 200);
}

#[test]
fn control_characters_in_the_head_get_400() {
    let (_server, addr) = start_server(2, ok_handler);
    let heads: &[&[u8]] = &[
        b"GET /?q=\x00 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /\x7f HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Nul: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Control: a\x01b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Lf: a\nb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Cr: a\rb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nX\x00: name\r\n\r\n",
    ];
    for head in heads {
        let mut client = connect(addr);
        client.write_all(head).unwrap();
        let (data, _) = read_until_closed(&mut client);
        assert_eq!(status_of(&data), 400, "{:?}", String::from_utf8_lossy(head));
    }
    // A tab is part of a field value.
    let mut client = connect(addr);
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Tab: a\tb\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut client).status, 200);
}

#[test]
fn http2_request_line_gets_505_without_hanging() {
    let (_server, addr) = start_server(2, ok_handler);

    // upstream's connection thread deadlocked on this request
    let mut client = connect(addr);
    client
        .write_all(
            b"GET / HTTP/2.0\r\nHost: localhost\r\n\r\n\
              GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    assert_eq!(read_response(&mut client).status, 505);
    assert_eq!(read_response(&mut client).status, 200);
}

#[test]
fn garbage_does_not_stop_the_server() {
    let (_server, addr) = start_server(2, ok_handler);
    let inputs: &[&[u8]] = &[
        b"\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
        b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        b"GET / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n",
        b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n",
        b"\xff\xfe / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: \x00\x01\r\n\r\n",
    ];
    for input in inputs {
        let mut client = connect(addr);
        client.write_all(input).unwrap();
        let _ = client.shutdown(std::net::Shutdown::Write);
        let _ = read_until_closed(&mut client);
    }
    assert_eq!(get_status(addr, "/"), 200);
}
