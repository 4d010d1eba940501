//! hookq: helpers for the hardening tests (raw HTTP over loopback TCP).
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tiny_http::{Request, Server};

/// Generous deadline for anything the server should do "promptly".
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Starts a server on 127.0.0.1:0 with `workers` threads calling `handler` for each
/// request. The threads end when the server is unblocked or dropped.
pub fn start_server<F>(workers: usize, handler: F) -> (Arc<Server>, SocketAddr)
where
    F: Fn(Request) + Send + Sync + 'static,
{
    let server = Arc::new(Server::http("127.0.0.1:0").unwrap());
    let addr = server.server_addr().to_ip().unwrap();
    let handler = Arc::new(handler);
    for _ in 0..workers {
        let server = server.clone();
        let handler = handler.clone();
        thread::spawn(move || {
            while let Ok(rq) = server.recv() {
                handler(rq);
            }
        });
    }
    (server, addr)
}

/// Connects to `addr`; reads and writes time out after `DEADLINE`.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    stream.set_write_timeout(Some(DEADLINE)).unwrap();
    stream
}

/// How the server ended the connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Closed {
    /// orderly close (read returned 0)
    Eof,
    /// connection reset (the server closed with unread data in its receive buffer)
    Reset,
}

/// Reads until the server closes the connection; panics if it doesn't within
/// `DEADLINE`. Returns what was read and how the connection ended.
pub fn read_until_closed(stream: &mut TcpStream) -> (Vec<u8>, Closed) {
    let start = Instant::now();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (data, Closed::Eof),
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                return (data, Closed::Reset)
            }
            Err(e) => panic!(
                "server did not close the connection within {:?} ({:?}); got so far: {:?}",
                start.elapsed(),
                e,
                String::from_utf8_lossy(&data)
            ),
        }
    }
}

/// Status code of the first response in `data` (panics if there is none).
pub fn status_of(data: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(data);
    assert!(
        text.starts_with("HTTP/1."),
        "not an HTTP response: {:?}",
        text
    );
    text[9..12].parse().unwrap()
}

/// A response read by `read_response`.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

/// Reads one response with a `Content-Length` body (what tiny_http sends for small
/// bodies), leaving the connection open.
pub fn read_response(stream: &mut TcpStream) -> Resp {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => panic!(
                "connection closed in a response head: {:?}",
                String::from_utf8_lossy(&head)
            ),
            Ok(_) => head.push(byte[0]),
            Err(e) => panic!(
                "error reading a response head: {:?}; got: {:?}",
                e,
                String::from_utf8_lossy(&head)
            ),
        }
    }
    let head = String::from_utf8(head).unwrap();
    let status = status_of(head.as_bytes());
    let length = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            if name.eq_ignore_ascii_case("content-length") {
                value.trim().parse::<usize>().ok()
            } else {
                None
            }
        })
        .unwrap_or_else(|| panic!("no Content-Length in {:?}", head));
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    Resp { status, head, body }
}

/// Sends a plain GET on a new connection and returns the response status: shows that
/// the server still serves.
pub fn get_status(addr: SocketAddr, path: &str) -> u16 {
    let mut stream = connect(addr);
    write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        path
    )
    .unwrap();
    read_response(&mut stream).status
}

/// Writes `data` from another thread, ignoring errors (the server may close early).
pub fn write_in_background(stream: &TcpStream, data: Vec<u8>) -> thread::JoinHandle<()> {
    let mut stream = stream.try_clone().unwrap();
    thread::spawn(move || {
        let _ = stream.write_all(&data);
    })
}

/// Peak resident memory of this process in KiB (Linux), if known.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
