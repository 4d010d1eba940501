//! A delivery's HTTP/1.1 exchange with an `http://` target, over a TCP
//! connection kept from one delivery to the next.
//!
//! The local app is what forwarding scenarios reach nearly always, and a
//! drain delivers one event per round trip: what the worker does between
//! the answer of one event and the request of the next is on every
//! event's path (docs/benchmarks.md, "Forwarding drain"). So the request is
//! rendered whole on the execution's thread ([`render`]) and the worker
//! writes it in one `send`, reads the answer's head with `httparse` (the
//! parser under ureq and hyper) and its body by the framing RFC 9112 §6.3
//! gives it. `https://` targets go through ureq (engine/deliver.rs), TLS
//! and all.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// A request as it goes on the wire.
pub(super) struct Request {
    /// Where to connect: the URL's host and port.
    pub host: String,
    pub port: u16,
    /// The request line, its headers and its body.
    pub bytes: Vec<u8>,
    /// A `HEAD` request: its answer has no body, whatever its head says.
    pub head: bool,
}

/// What to render: the event's method, the target's path and query, its
/// `Host`, the headers in order and the body.
pub(super) struct Parts<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub host: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// The request's bytes: `Host` first (unless a header sets it), then the
/// headers as given, then `Content-Length` for a body (none for an empty
/// one, as ureq does), then the body.
pub(super) fn render(parts: &Parts<'_>) -> Vec<u8> {
    let headers_len: usize = parts
        .headers
        .iter()
        .map(|(name, value)| name.len() + value.len() + 4)
        .sum();
    let mut out = Vec::with_capacity(
        parts.method.len()
            + parts.target.len()
            + parts.host.len()
            + headers_len
            + 64
            + parts.body.len(),
    );
    let mut put = |bytes: &[&[u8]]| bytes.iter().for_each(|b| out.extend_from_slice(b));
    put(&[
        parts.method.as_bytes(),
        b" ",
        parts.target.as_bytes(),
        b" HTTP/1.1\r\n",
    ]);
    if !parts
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        put(&[b"Host: ", parts.host.as_bytes(), b"\r\n"]);
    }
    for (name, value) in parts.headers {
        put(&[name.as_bytes(), b": ", value.as_bytes(), b"\r\n"]);
    }
    if !parts.body.is_empty() {
        put(&[
            b"Content-Length: ",
            parts.body.len().to_string().as_bytes(),
            b"\r\n",
        ]);
    }
    put(&[b"\r\n", parts.body]);
    out
}

/// A target's answer.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: u16,
    /// Names lowercased (as ureq gives them), values as sent.
    pub headers: Vec<(String, String)>,
    /// The body's first bytes, up to what was asked to keep.
    pub body: Vec<u8>,
    /// More than that came, and was read and dropped.
    pub cut: bool,
}

/// Why an exchange gave no answer.
#[derive(Debug)]
pub(super) enum Failure {
    /// Nothing listens there (yet): the delivery waits (SPEC §10).
    NotListening(String),
    /// The connection failed: timed out (`TimedOut`), reset, closed early
    /// (`UnexpectedEof`)...
    Io(io::Error),
    /// What came is not an HTTP/1.1 answer.
    Malformed(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

fn malformed(why: impl Into<String>) -> Failure {
    Failure::Malformed(why.into())
}

/// An answer's head is at most this long.
const MAX_HEAD: usize = 64 << 10;
/// Headers of an answer, at most.
const MAX_HEADERS: usize = 128;
/// A chunk-size line, at most (extensions included).
const MAX_CHUNK_LINE: usize = 4 << 10;
/// What is read from the socket at once.
const READ_SIZE: usize = 64 << 10;

/// A socket timeout is the time left before the deadline, rounded up to
/// this: a kept connection sets its timeouts once, not before every read,
/// and a deadline may be overrun by as much.
pub(super) const TIMEOUT_STEP: Duration = Duration::from_millis(10);

/// `left` rounded up to [`TIMEOUT_STEP`].
pub(super) fn stepped(left: Duration) -> Duration {
    let step = TIMEOUT_STEP.as_nanos();
    let rounded = left.as_nanos().div_ceil(step).saturating_mul(step);
    Duration::from_nanos(u64::try_from(rounded).unwrap_or(u64::MAX))
}

/// A TCP connection to a target, kept between deliveries.
pub(super) struct Connection {
    to: (String, u16),
    stream: TcpStream,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// Read and not consumed yet: `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// Connect to the first of `addrs` that answers (before `deadline`);
/// else the last one's error (`TimedOut` for a timeout).
pub(super) fn connect(addrs: &[SocketAddr], deadline: Option<Instant>) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        let tried = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                TcpStream::connect_timeout(addr, left)
            }
            None => TcpStream::connect(addr),
        };
        match tried {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(timeout_as_such(e)),
        }
    }
    Err(last.unwrap_or_else(|| io::ErrorKind::ConnectionRefused.into()))
}

/// Whether an I/O error is a timeout (a socket timeout reads as
/// `WouldBlock` on Unix).
pub(super) fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Whether nothing came on an idle connection: neither a byte past the
/// last answer nor the target's close. One non-blocking peek.
pub(super) fn idle(stream: &TcpStream) -> bool {
    let mut byte = 0u8;
    // SAFETY: `byte` is a valid, writable buffer of length 1 for the whole
    // call, and the descriptor is the stream's own, open while it lives.
    let peeked = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            std::ptr::addr_of_mut!(byte).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    peeked < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
}

impl Connection {
    fn new(to: (String, u16), stream: TcpStream) -> Connection {
        Connection {
            to,
            stream,
            read_timeout: None,
            write_timeout: None,
            buf: vec![0; READ_SIZE],
            start: 0,
            end: 0,
        }
    }

    fn write_all(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        let wanted = Some(socket_timeout(deadline)?);
        if wanted != self.write_timeout {
            self.stream.set_write_timeout(wanted)?;
            self.write_timeout = wanted;
        }
        self.stream.write_all(bytes).map_err(timeout_as_such)
    }

    /// Read more into the buffer; `UnexpectedEof` if the target closed.
    /// The buffer grows when what is unconsumed fills it (callers bound
    /// what they wait for: a head, a line).
    fn fill(&mut self, deadline: Instant) -> io::Result<()> {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        loop {
            let wanted = Some(socket_timeout(deadline)?);
            if wanted != self.read_timeout {
                self.stream.set_read_timeout(wanted)?;
                self.read_timeout = wanted;
            }
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(read) => {
                    self.end += read;
                    return Ok(());
                }
                // A signal: Linux does not restart a read that has a timeout.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(timeout_as_such(e)),
            }
        }
    }

    fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// A line (without its CRLF or LF) of at most `max` bytes.
    fn line(&mut self, max: usize, deadline: Instant) -> Result<Vec<u8>, Failure> {
        loop {
            if let Some(at) = self.buffered().iter().position(|&b| b == b'\n') {
                let mut line = self.buffered()[..at].to_vec();
                self.start += at + 1;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.end - self.start > max {
                return Err(malformed("a line of its body's framing is too long"));
            }
            self.fill(deadline)?;
        }
    }

    /// Read `count` bytes of body into `sink`.
    fn body(&mut self, mut count: u64, sink: &mut Sink, deadline: Instant) -> io::Result<()> {
        while count > 0 {
            if self.start == self.end {
                self.fill(deadline)?;
            }
            let take = (self.end - self.start).min(usize::try_from(count).unwrap_or(usize::MAX));
            sink.put(&self.buf[self.start..self.start + take]);
            self.start += take;
            count -= take as u64;
        }
        Ok(())
    }

    /// Read the body to the connection's end.
    fn body_to_close(&mut self, sink: &mut Sink, deadline: Instant) -> io::Result<()> {
        loop {
            sink.put(&self.buf[self.start..self.end]);
            self.start = self.end;
            match self.fill(deadline) {
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                other => other?,
            }
        }
    }

    /// Read a chunked body (RFC 9112 §7.1); trailers are read and dropped.
    fn chunked(&mut self, sink: &mut Sink, deadline: Instant) -> Result<(), Failure> {
        loop {
            let line = self.line(MAX_CHUNK_LINE, deadline)?;
            let size = line.split(|&b| b == b';').next().unwrap_or_default();
            let size = std::str::from_utf8(size)
                .ok()
                .map(|s| s.trim_matches([' ', '\t']))
                .filter(|s| !s.is_empty() && s.len() <= 16)
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or_else(|| malformed("a chunk's size is not a hexadecimal number"))?;
            if size == 0 {
                let mut trailers = 0;
                loop {
                    let line = self.line(MAX_HEAD, deadline)?;
                    if line.is_empty() {
                        return Ok(());
                    }
                    trailers += line.len();
                    if trailers > MAX_HEAD {
                        return Err(malformed("its trailers are too long"));
                    }
                }
            }
            self.body(size, sink, deadline)?;
            // The CRLF that ends a chunk's data (it may come in two reads).
            if !self.line(2, deadline)?.is_empty() {
                return Err(malformed("a chunk is longer than its size"));
            }
        }
    }
}

/// The socket timeout that ends at `deadline` ([`stepped`]); `TimedOut`
/// past it.
fn socket_timeout(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    Ok(stepped(left))
}

/// A socket timeout reads as `WouldBlock` on Unix: said as what it is.
fn timeout_as_such(e: io::Error) -> io::Error {
    if timed_out(&e) {
        io::ErrorKind::TimedOut.into()
    } else {
        e
    }
}

/// Where a body goes: its first `keep` bytes kept, the rest counted and
/// dropped as it comes (a 1 GiB answer is never held).
struct Sink {
    keep: usize,
    kept: Vec<u8>,
    dropped: bool,
}

impl Sink {
    fn put(&mut self, bytes: &[u8]) {
        let room = self.keep - self.kept.len();
        self.kept.extend_from_slice(&bytes[..room.min(bytes.len())]);
        self.dropped |= bytes.len() > room;
    }
}

/// The values of a header, its lines' comma-separated lists joined.
fn values<'h>(
    headers: &'h [(String, String)],
    name: &'static str,
) -> impl Iterator<Item = &'h str> + 'h {
    headers
        .iter()
        .filter(move |(n, _)| n == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// How an answer's body is framed (RFC 9112 §6.3).
enum Framing {
    None,
    Length(u64),
    Chunked,
    ToClose,
}

/// Send `request` over the kept connection if it is to the same place and
/// idle, else over a new one, and read the answer. The connection is kept
/// in `kept` when it can serve the next request.
pub(super) fn exchange(
    kept: &mut Option<Connection>,
    request: &Request,
    keep: usize,
    deadline: Instant,
    resolve: impl FnOnce(&str, u16) -> io::Result<Vec<SocketAddr>>,
) -> Result<Answer, Failure> {
    let mut connection = match kept.take() {
        Some(c)
            if c.to.0 == request.host
                && c.to.1 == request.port
                && c.start == c.end
                && idle(&c.stream) =>
        {
            c
        }
        _ => {
            let addrs = resolve(&request.host, request.port)
                .map_err(|e| Failure::NotListening(format!("{}: {e}", request.host)))?;
            let stream = match connect(&addrs, Some(deadline)) {
                Ok(stream) => stream,
                // Refused: nothing listens on the port (yet). Anything else
                // (unreachable, a timeout) is the cycle's failure.
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    return Err(Failure::NotListening(e.to_string()))
                }
                Err(e) => return Err(Failure::Io(e)),
            };
            stream.set_nodelay(true)?;
            Connection::new((request.host.clone(), request.port), stream)
        }
    };
    connection.write_all(&request.bytes, deadline)?;
    let (answer, reusable) = read_answer(&mut connection, request.head, keep, deadline)?;
    if reusable {
        *kept = Some(connection);
    }
    Ok(answer)
}

/// Read one answer (after any interim 1xx); whether the connection can
/// serve another request after it.
fn read_answer(
    connection: &mut Connection,
    head_request: bool,
    keep: usize,
    deadline: Instant,
) -> Result<(Answer, bool), Failure> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = match response.parse(connection.buffered()) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) if connection.end - connection.start < MAX_HEAD => {
                connection.fill(deadline)?;
                continue;
            }
            Ok(httparse::Status::Partial) => return Err(malformed("its head is too long")),
            Err(e) => return Err(malformed(e.to_string())),
        };
        let status = response.code.unwrap_or_default();
        let http10 = response.version == Some(0);
        let headers: Vec<(String, String)> = response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        connection.start += parsed;
        if (100..200).contains(&status) {
            if status == 101 {
                return Err(malformed(
                    "101 Switching Protocols to a request that asked for none",
                ));
            }
            continue; // an interim answer: the final one follows
        }
        let values = |name: &'static str| values(&headers, name);
        let chunked = values("transfer-encoding").last();
        let lengths: Vec<&str> = values("content-length").collect();
        let framing = if head_request || status == 204 || status == 304 {
            Framing::None
        } else if let Some(coding) = chunked {
            match coding.eq_ignore_ascii_case("chunked") {
                true => Framing::Chunked,
                false => Framing::ToClose,
            }
        } else if let Some(first) = lengths.first() {
            let length = first
                .parse::<u64>()
                .ok()
                .filter(|_| first.bytes().all(|b| b.is_ascii_digit()))
                .filter(|_| lengths.iter().all(|l| l == first))
                .ok_or_else(|| malformed(format!("invalid Content-Length {first:?}")))?;
            Framing::Length(length)
        } else {
            Framing::ToClose
        };
        let mut sink = Sink {
            keep,
            kept: Vec::new(),
            dropped: false,
        };
        match framing {
            Framing::None => {}
            Framing::Length(length) => connection.body(length, &mut sink, deadline)?,
            Framing::Chunked => connection.chunked(&mut sink, deadline)?,
            Framing::ToClose => connection.body_to_close(&mut sink, deadline)?,
        }
        let close = values("connection").any(|v| v.eq_ignore_ascii_case("close"));
        let keep_alive = values("connection").any(|v| v.eq_ignore_ascii_case("keep-alive"));
        let reusable = !close
            && (!http10 || keep_alive)
            && !matches!(framing, Framing::ToClose)
            // Both framings given: a message to not trust the connection after.
            && (chunked.is_none() || lengths.is_empty())
            && connection.start == connection.end;
        let answer = Answer {
            status,
            headers,
            body: sink.kept,
            cut: sink.dropped,
        };
        return Ok((answer, reusable));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// A target that reads one request (up to its blank line and
    /// Content-Length body) per answer in `answers`, writes it back raw, and
    /// reports each request it read.
    fn target(answers: Vec<Vec<u8>>) -> (u16, mpsc::Receiver<Vec<u8>>) {
        target_writing(answers, usize::MAX)
    }

    /// [`target`], writing each answer `piece` bytes at a time.
    fn target_writing(answers: Vec<Vec<u8>>, piece: usize) -> (u16, mpsc::Receiver<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            for answer in answers {
                let mut got = Vec::new();
                let mut byte = [0u8; 1];
                while !got.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    got.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&got).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |l| l.trim().parse::<usize>().unwrap());
                let mut body = vec![0; length];
                stream.read_exact(&mut body).unwrap();
                got.extend(body);
                tx.send(got).unwrap();
                stream.set_nodelay(true).unwrap();
                for piece in answer.chunks(piece) {
                    if stream.write_all(piece).is_err() {
                        return;
                    }
                }
            }
        });
        (port, rx)
    }

    fn request(port: u16, method: &str, body: &[u8]) -> Request {
        Request {
            host: "127.0.0.1".into(),
            port,
            bytes: render(&Parts {
                method,
                target: "/h?x=1",
                host: &format!("127.0.0.1:{port}"),
                headers: &[("X-Sig", "abc"), ("content-type", "text/plain")],
                body,
            }),
            head: method == "HEAD",
        }
    }

    fn local(_: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(20)
    }

    #[test]
    fn a_request_goes_out_as_rendered() {
        let bytes = render(&Parts {
            method: "POST",
            target: "/h?x=1",
            host: "localhost:3000",
            headers: &[("X-Sig", "abc"), ("content-type", "text/plain")],
            body: b"hello",
        });
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "POST /h?x=1 HTTP/1.1\r\nHost: localhost:3000\r\nX-Sig: abc\r\n\
             content-type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
        );
        // No body, no Content-Length; a Host given is not doubled.
        let bytes = render(&Parts {
            method: "GET",
            target: "/",
            host: "a",
            headers: &[("host", "b")],
            body: b"",
        });
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "GET / HTTP/1.1\r\nhost: b\r\n\r\n"
        );
    }

    /// Each framing an answer may have is read to its end, and the kept
    /// connection serves the next request (one connection for all).
    #[test]
    fn every_framing_is_read_and_the_connection_kept() {
        let answers: Vec<Vec<u8>> = vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-App: yes\r\n\r\nok".to_vec(),
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n".to_vec(),
            b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".to_vec(),
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom".to_vec(),
        ];
        let (port, got) = target(answers);
        let mut kept = None;
        let mut ask = |method: &str, keep: usize| {
            let body = if method == "HEAD" { &b""[..] } else { b"hi" };
            let request = request(port, method, body);
            let answer = exchange(&mut kept, &request, keep, soon(), local).unwrap();
            assert!(kept.is_some(), "kept after {answer:?}");
            answer
        };
        let first = ask("POST", 64);
        assert_eq!(
            (first.status, &first.body[..], first.cut),
            (200, &b"ok"[..], false)
        );
        assert_eq!(
            first.headers,
            [
                ("content-length".to_owned(), "2".to_owned()),
                ("x-app".to_owned(), "yes".to_owned())
            ]
        );
        let chunked = ask("POST", 4);
        assert_eq!(
            (chunked.status, &chunked.body[..], chunked.cut),
            (201, &b"abcd"[..], true)
        );
        assert_eq!(ask("POST", 64).status, 204);
        let head = ask("HEAD", 64);
        assert_eq!((head.status, head.body.len()), (200, 0));
        let failed = ask("POST", 64);
        assert_eq!((failed.status, &failed.body[..]), (500, &b"boom"[..]));
        let first_request = got.recv().unwrap();
        assert_eq!(
            String::from_utf8(first_request).unwrap(),
            format!(
                "POST /h?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Sig: abc\r\n\
                 content-type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
            )
        );
        assert_eq!(got.iter().count(), 4, "all on the one connection");
    }

    /// An answer that comes a byte at a time (a head, a chunk size, the
    /// CRLF after a chunk split across reads) is read as a whole one.
    #[test]
    fn an_answer_in_pieces_is_read_whole() {
        let answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                       3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
        let (port, _got) = target_writing(vec![answer.to_vec(); 2], 1);
        let mut kept = None;
        for _ in 0..2 {
            let request = request(port, "POST", b"x");
            let answer = exchange(&mut kept, &request, 64, soon(), local).unwrap();
            assert_eq!(answer.body, b"abc0123456789abcdef");
            assert!(kept.is_some());
        }
    }

    /// An answer read to the connection's close, or one that asks to close,
    /// leaves no connection to reuse.
    #[test]
    fn a_connection_the_answer_ends_is_not_kept() {
        for answer in [
            &b"HTTP/1.1 200 OK\r\n\r\nto the end"[..],
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        ] {
            let (port, _got) = target(vec![answer.to_vec()]);
            let mut kept = None;
            // The close-delimited body needs the target's close: its thread
            // ends, dropping the stream, after its one answer.
            let answer =
                exchange(&mut kept, &request(port, "POST", b"x"), 64, soon(), local).unwrap();
            assert_eq!(answer.status, 200);
            assert!(kept.is_none(), "{answer:?}");
        }
    }

    #[test]
    fn faults_are_told_apart() {
        let cases: [(&[u8], &str); 5] = [
            (b"NONSENSE\r\n\r\n", "malformed"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "eof"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx",
                "malformed",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "malformed",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n",
                "malformed",
            ),
        ];
        for (answer, expected) in cases {
            let (port, _got) = target(vec![answer.to_vec()]);
            let failure =
                exchange(&mut None, &request(port, "POST", b"x"), 64, soon(), local).unwrap_err();
            let seen = match &failure {
                Failure::Malformed(_) => "malformed",
                Failure::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => "eof",
                _ => "other",
            };
            assert_eq!(
                seen,
                expected,
                "{:?}: {failure:?}",
                String::from_utf8_lossy(answer)
            );
        }
    }

    #[test]
    fn a_port_nobody_listens_on_is_not_listening_and_a_silent_target_times_out() {
        let free = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let failure =
            exchange(&mut None, &request(port, "POST", b"x"), 64, soon(), local).unwrap_err();
        assert!(matches!(failure, Failure::NotListening(_)), "{failure:?}");

        // Never answers: the connection waits in the listener's backlog.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let deadline = Instant::now() + Duration::from_millis(50);
        let failure =
            exchange(&mut None, &request(port, "POST", b"x"), 64, deadline, local).unwrap_err();
        assert!(
            matches!(&failure, Failure::Io(e) if e.kind() == io::ErrorKind::TimedOut),
            "{failure:?}"
        );
        drop(listener);
    }
}
