use ascii::AsciiString;

use std::io::Error as IoError;
use std::io::Result as IoResult;
use std::io::{BufReader, BufWriter, ErrorKind, Read};

use std::net::SocketAddr;
use std::sync::Arc;

use crate::common::{is_token, HTTPVersion, Header, Method};
use crate::util::{Closing, RefinedTcpStream};
use crate::util::{SequentialReader, SequentialReaderBuilder, SequentialWriterBuilder};
use crate::Request;

/// A ClientConnection is an object that will store a socket to a client
/// and return Request objects.
pub struct ClientConnection {
    // address of the client
    remote_addr: IoResult<Option<SocketAddr>>,

    // sequence of Readers to the stream, so that the data is not read in
    //  the wrong order
    source: SequentialReaderBuilder<BufReader<RefinedTcpStream>>,

    // sequence of Writers to the stream, to avoid writing response #2 before
    //  response #1
    sink: SequentialWriterBuilder<BufWriter<RefinedTcpStream>>,

    // Reader to read the next header from
    next_header_source: SequentialReader<BufReader<RefinedTcpStream>>,

    // set to true if we know that the previous request is the last one
    no_more_requests: bool,

    // true if the connection goes through SSL
    secure: bool,

    // hookq: set by a request once an answer that closes the connection is out; shared
    // with the readers and writers of the connection (see `SequentialReader::set_closing`)
    closing: Arc<Closing>,
}

// hookq: limits on the request head (upstream had none: a client could send gigabytes
// of header). Over a limit, the client gets 414 (request line) or 431 (headers) and the
// connection is closed.
/// hookq: maximum length of the request line and of each header line, without CRLF.
const MAX_LINE_LEN: usize = 8 * 1024;
/// hookq: maximum size of the whole head (request line, headers, CRLFs).
const MAX_HEAD_LEN: usize = 64 * 1024;
/// hookq: maximum number of header lines.
const MAX_HEADERS: usize = 100;

/// Error that can happen when reading a request.
#[derive(Debug)]
enum ReadError {
    /// hookq: a request that is refused, then the connection closed (we don't know
    /// where the next request would start): the status, what was wrong in plain words
    /// (the body of the answer), and the version to answer with. Upstream answered an
    /// empty 400 to every malformed head.
    Refused(u16, &'static str, HTTPVersion),
    /// the client sent an unrecognized `Expect` header
    ExpectationFailed(HTTPVersion),
    ReadIoError(IoError),
    /// hookq: the read timeout expired before the first byte of a request (close
    /// silently; a partial request gets 408 instead)
    IdleTimeout,
}

/// hookq: error of `read_next_line`
enum LineError {
    /// I/O error; `partial` is true if some bytes of the line had been read
    Io { err: IoError, partial: bool },
    /// the line is longer than allowed
    TooLong,
    /// the line is not ASCII, or holds a control character other than HTAB
    NotAscii,
}

/// hookq: a control character (other than HTAB) in the request line or a header line.
/// RFC 9110 (5.5) lets a recipient reject CR, LF and NUL in a field value, and the other
/// controls are not valid either. Applications hand these values on (hookq passes the
/// query and the `Content-Type` to commands as environment variables, where a NUL cannot
/// be represented and makes the spawn fail), so they are refused like non-ASCII bytes.
fn has_control(line: &[u8]) -> bool {
    line.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
}

/// hookq: a socket read timeout shows up as `WouldBlock` on Unix and `TimedOut` on
/// Windows.
fn is_timeout(err: &IoError) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

impl ClientConnection {
    /// Creates a new `ClientConnection` that takes ownership of the `TcpStream`.
    pub fn new(
        write_socket: RefinedTcpStream,
        mut read_socket: RefinedTcpStream,
    ) -> ClientConnection {
        let remote_addr = read_socket.peer_addr();
        let secure = read_socket.secure();

        let mut source = SequentialReaderBuilder::new(BufReader::with_capacity(1024, read_socket));
        let first_header = source.next().unwrap();

        // hookq
        let mut sink = SequentialWriterBuilder::new(BufWriter::with_capacity(1024, write_socket));
        let socket = Arc::downgrade(sink.shared_writer());
        let closing = Arc::new(Closing::new(move || {
            if let Some(Ok(mut writer)) = socket.upgrade().as_ref().map(|w| w.lock()) {
                writer.get_mut().shutdown_read();
            }
        }));
        sink.set_closing(closing.clone());

        ClientConnection {
            source,
            sink,
            remote_addr,
            next_header_source: first_header,
            no_more_requests: false,
            secure,
            closing,
        }
    }

    /// true if the connection is HTTPS
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Reads the next line from self.next_header_source.
    ///
    /// Reads until `CRLF` is reached. The next read will start
    ///  at the first byte of the new line.
    ///
    /// hookq: fails with `TooLong` once the line (without CRLF) exceeds `max_len` bytes,
    /// instead of growing the buffer without limit.
    // `bytes()` is fine here: the source is a `BufReader`
    #[allow(clippy::unbuffered_bytes)]
    fn read_next_line(&mut self, max_len: usize) -> Result<AsciiString, LineError> {
        let mut buf = Vec::new();
        let mut prev_byte_was_cr = false;

        loop {
            let byte = self.next_header_source.by_ref().bytes().next();

            let byte = match byte {
                Some(Ok(b)) => b,
                Some(Err(err)) => {
                    let partial = !buf.is_empty();
                    return Err(LineError::Io { err, partial });
                }
                None => {
                    let err = IoError::new(ErrorKind::ConnectionAborted, "Unexpected EOF");
                    let partial = !buf.is_empty();
                    return Err(LineError::Io { err, partial });
                }
            };

            if byte == b'\n' && prev_byte_was_cr {
                buf.pop(); // removing the '\r'

                // hookq: a bare CR or LF, a NUL or another control byte => 400
                if has_control(&buf) {
                    return Err(LineError::NotAscii);
                }
                return AsciiString::from_ascii(buf).map_err(|_| LineError::NotAscii);
            }

            prev_byte_was_cr = byte == b'\r';

            buf.push(byte);

            // hookq: `buf` may end with the '\r' of the CRLF, hence the + 1
            if buf.len() > max_len.saturating_add(1) {
                return Err(LineError::TooLong);
            }
        }
    }

    /// Reads a request from the stream.
    /// Blocks until the header has been read.
    fn read(&mut self) -> Result<Request, ReadError> {
        const V11: HTTPVersion = HTTPVersion(1, 1);
        let (method, path, version, headers) = {
            // hookq: bytes of head still allowed (request line and header lines + CRLFs)
            let mut head_budget = MAX_HEAD_LEN;

            // reading the request line
            let (method, path, version) = {
                // hookq: map line errors: too long => 414, not ASCII => 400, nothing
                // received before the read timeout => close silently
                let mut line = Err(LineError::TooLong);
                // hookq: RFC 9112 (2.2): ignore one empty line before a request line
                for _ in 0..2 {
                    line = self.read_next_line(MAX_LINE_LEN);
                    if !matches!(line, Ok(ref l) if l.is_empty()) {
                        break;
                    }
                }
                let line = match line {
                    Ok(line) => line,
                    Err(LineError::Io { err, partial }) => {
                        return Err(if !partial && is_timeout(&err) {
                            ReadError::IdleTimeout
                        } else {
                            ReadError::ReadIoError(err)
                        })
                    }
                    Err(LineError::TooLong) => {
                        return Err(ReadError::Refused(
                            414,
                            "The request line is too long.",
                            V11,
                        ))
                    }
                    Err(LineError::NotAscii) => {
                        return Err(ReadError::Refused(
                            400,
                            "The request line holds a byte that is not printable ASCII.",
                            V11,
                        ))
                    }
                };
                head_budget = head_budget.saturating_sub(line.len() + 2);

                parse_request_line(line.as_str())?
            };

            // getting all headers
            let headers = {
                let mut headers: Vec<Header> = Vec::new();
                loop {
                    // hookq: each line is limited by `MAX_LINE_LEN` and by what is left
                    // of `MAX_HEAD_LEN`; too long => 431, not ASCII => 400
                    let line_limit = MAX_LINE_LEN.min(head_budget.saturating_sub(2));
                    let line = match self.read_next_line(line_limit) {
                        Ok(line) => line,
                        Err(LineError::Io { err, .. }) => return Err(ReadError::ReadIoError(err)),
                        Err(LineError::TooLong) => {
                            return Err(ReadError::Refused(
                                431,
                                "The request head is too large.",
                                version,
                            ))
                        }
                        Err(LineError::NotAscii) => {
                            return Err(ReadError::Refused(
                                400,
                                "A header holds a byte that is not printable ASCII.",
                                version,
                            ))
                        }
                    };
                    head_budget = head_budget.saturating_sub(line.len() + 2);

                    if line.is_empty() {
                        break;
                    };
                    // hookq: at most `MAX_HEADERS` headers
                    if headers.len() >= MAX_HEADERS {
                        return Err(ReadError::Refused(
                            431,
                            "The request has too many headers.",
                            version,
                        ));
                    }
                    headers.push(
                        parse_header_line(line.as_str())
                            .map_err(|reason| ReadError::Refused(400, reason, version.clone()))?,
                    );
                }

                headers
            };

            // hookq: RFC 9112 (3.2): an HTTP/1.1 request has exactly one `Host`
            if version == V11 {
                match headers.iter().filter(|h| h.field.equiv("Host")).count() {
                    1 => {}
                    0 => {
                        return Err(ReadError::Refused(
                            400,
                            "The request has no Host header.",
                            version,
                        ))
                    }
                    _ => {
                        return Err(ReadError::Refused(
                            400,
                            "The request has several Host headers.",
                            version,
                        ))
                    }
                }
            }

            (method, path, version, headers)
        };

        // hookq: an earlier answer closed the connection while this head was read (the
        // client pipelined it): it is not served.
        if self.closing.is_set() {
            return Err(ReadError::IdleTimeout);
        }

        // building the writer for the request
        let writer = self.sink.next().unwrap();

        // follow-up for next potential request
        let mut data_source = self.source.next().unwrap();
        std::mem::swap(&mut self.next_header_source, &mut data_source);
        self.next_header_source.set_closing(self.closing.clone()); // hookq

        // hookq: upstream unwrapped this and panicked when `peer_addr()` had failed
        // (e.g. the client reset the connection right after connecting)
        let remote_addr = match self.remote_addr {
            Ok(addr) => addr,
            Err(ref e) => {
                return Err(ReadError::ReadIoError(IoError::new(
                    e.kind(),
                    e.to_string(),
                )))
            }
        };

        // building the next reader
        let (request, body_signal) = crate::request::new_request_with_body_signal(
            self.secure,
            method,
            path,
            version.clone(),
            headers,
            remote_addr,
            data_source,
            writer,
            Some(self.closing.clone()),
        )
        .map_err(|e| {
            use crate::request;
            match e {
                request::RequestCreationError::CreationIoError(e) => ReadError::ReadIoError(e),
                request::RequestCreationError::ExpectationFailed => {
                    ReadError::ExpectationFailed(version)
                }
                // hookq: bad `Content-Length` => 400
                request::RequestCreationError::InvalidContentLength => ReadError::Refused(
                    400,
                    "The Content-Length header is invalid, or several disagree.",
                    version,
                ),
                // hookq: RFC 9112 (6.1, 6.3), see `request::framing`
                request::RequestCreationError::BadFraming(reason) => {
                    ReadError::Refused(400, reason, version)
                }
                request::RequestCreationError::UnsupportedTransferCoding => ReadError::Refused(
                    501,
                    "The only transfer coding this server understands is chunked.",
                    version,
                ),
            }
        })?;

        // hookq: if this request's body is dropped half read and can't be drained, the
        // next read of the connection fails, so the rest of the body is never parsed
        // as a request and the connection gets closed.
        if let Some(signal) = body_signal {
            self.next_header_source.set_previous_body_signal(signal);
        }

        // return the request
        Ok(request)
    }
}

impl Iterator for ClientConnection {
    type Item = Request;

    /// Blocks until the next Request is available.
    /// Returns None when no new Requests will come from the client.
    fn next(&mut self) -> Option<Request> {
        use crate::{Response, StatusCode};

        // the client sent a "connection: close" header in this previous request
        //  or is using HTTP 1.0, meaning that no new request will come
        if self.no_more_requests {
            return None;
        }

        loop {
            let mut rq = match self.read() {
                // hookq: one path for every refused head: the reason in plain words,
                // `Connection: close`, and close (we don't know where the next request
                // would start)
                Err(ReadError::Refused(status, reason, ver)) => {
                    // hookq: never answer in a version this server does not speak
                    let ver = ver.min(HTTPVersion(1, 1));
                    let writer = self.sink.next().unwrap();
                    let response = Response::from_string(reason)
                        .with_status_code(StatusCode(status))
                        .closing();
                    response.raw_print(writer, ver, &[], false, None).ok();
                    return None;
                }

                // hookq: idle (keep-alive) connection timed out: just close
                Err(ReadError::IdleTimeout) => return None,

                // hookq: also `WouldBlock`, which is how a read timeout shows on Unix
                Err(ReadError::ReadIoError(ref err)) if is_timeout(err) => {
                    // request timeout
                    let writer = self.sink.next().unwrap();
                    let response = Response::from_string("The request did not arrive in time.")
                        .with_status_code(StatusCode(408))
                        .closing();
                    response
                        .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                        .ok();
                    return None; // closing the connection
                }

                Err(ReadError::ExpectationFailed(ver)) => {
                    let writer = self.sink.next().unwrap();
                    let response = Response::new_empty(StatusCode(417)).closing();
                    response.raw_print(writer, ver, &[], true, None).ok();
                    return None; // TODO: should be recoverable, but needs handling in case of body
                }

                Err(ReadError::ReadIoError(_)) => return None,

                Ok(rq) => rq,
            };

            // checking HTTP version
            if *rq.http_version() > (1, 1) {
                // hookq: upstream wrote this response to a new writer from `self.sink`,
                // which waits for `rq`'s writer to be dropped, while `rq` was still
                // alive: the connection thread hung forever on e.g. `GET / HTTP/2.0`.
                // Write it to `rq`'s own writer instead (no 500 is sent for `rq` then).
                let writer = rq.into_writer();
                let response = Response::from_string(
                    "This server only supports HTTP versions 1.0 and 1.1".to_owned(),
                )
                .with_status_code(StatusCode(505));
                response
                    .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                    .ok();
                continue;
            }

            // updating the status of the connection
            let connection_header = rq
                .headers()
                .iter()
                .find(|h| h.field.equiv("Connection"))
                .map(|h| h.value.as_str());

            let lowercase = connection_header.map(|h| h.to_ascii_lowercase());

            // hookq: `Connection: upgrade` no longer ends the connection (upgrade offers
            // are ignored, see `request::new_request_with_body_signal`)
            match lowercase {
                Some(ref val) if val.contains("close") => self.no_more_requests = true,
                Some(ref val)
                    if !val.contains("keep-alive") && *rq.http_version() == HTTPVersion(1, 0) =>
                {
                    self.no_more_requests = true
                }
                None if *rq.http_version() == HTTPVersion(1, 0) => self.no_more_requests = true,
                _ => (),
            };

            // hookq: RFC 9112 (6.1): a request with both `Transfer-Encoding` and
            // `Content-Length` is how smuggling is attempted (a proxy in front may have
            // framed it by its `Content-Length`): the connection closes after its answer,
            // so nothing after its body is ever served.
            let has = |name| rq.headers().iter().any(|h| h.field.equiv(name));
            if has("Transfer-Encoding") && has("Content-Length") {
                self.no_more_requests = true;
            }
            if self.no_more_requests {
                rq.set_last();
            }

            // returning the request
            return Some(rq);
        }
    }
}

/// Parses a "HTTP/1.1" string.
fn parse_http_version(version: &str) -> Result<HTTPVersion, ReadError> {
    let (major, minor) = match version {
        "HTTP/0.9" => (0, 9),
        "HTTP/1.0" => (1, 0),
        "HTTP/1.1" => (1, 1),
        "HTTP/2.0" => (2, 0),
        "HTTP/3.0" => (3, 0),
        _ => {
            return Err(ReadError::Refused(
                400,
                "The request line does not end with a known HTTP version.",
                HTTPVersion(1, 1),
            ))
        }
    };

    Ok(HTTPVersion(major, minor))
}

/// Parses the request line of the request.
/// eg. GET / HTTP/1.1
///
/// hookq: strictly, as RFC 9112 (3) says: three parts separated by single spaces, a
/// method that is a token (case-sensitive: `post` is not `POST`), and a request target
/// in origin form (`/path?query`), absolute form (`http://host/path?query`, turned into
/// its path and query, RFC 9112 3.2.2), `*` for `OPTIONS` or authority form for
/// `CONNECT`. Upstream trimmed the line, took any three words, and let `FOO@BAR` through
/// as a method.
fn parse_request_line(line: &str) -> Result<(Method, String, HTTPVersion), ReadError> {
    let bad = |reason| ReadError::Refused(400, reason, HTTPVersion(1, 1));
    let mut parts = line.split(' ');
    let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v), None) => (m, t, v),
        _ => return Err(bad(
            "The request line is not a method, a target and a version separated by single spaces.",
        )),
    };
    let version = parse_http_version(version)?;
    if !is_token(method) {
        return Err(bad("The method is not a valid token."));
    }
    let method: Method = method
        .parse()
        .map_err(|()| bad("The method is not a valid token."))?;
    let path = if target.starts_with('/') {
        target.to_owned()
    } else if let Some(path) = absolute_form_path(target) {
        path
    } else if (target == "*" && method == Method::Options)
        || (method == Method::Connect && !target.is_empty())
    {
        target.to_owned()
    } else {
        return Err(bad("The request target is not a path or an absolute URL."));
    };

    Ok((method, path, version))
}

/// hookq: the path and query of an absolute-form target (`http://host:port/p?q`), or
/// `None` if it is not one. An empty path is `/`.
fn absolute_form_path(target: &str) -> Option<String> {
    let (scheme, rest) = target.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let start = rest.find(['/', '?']).unwrap_or(rest.len());
    if start == 0 {
        return None; // no authority
    }
    let path = &rest[start..];
    Some(if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{}", path)
    })
}

/// hookq: a header line, strictly, as RFC 9112 (5) says: a name that is a token right
/// before the colon, then the value without the whitespace around it. A line that starts
/// with whitespace (obsolete line folding), an empty name or a name with a space or any
/// other non-token character is refused: upstream trimmed the line and took ` X: y` and
/// `X : y` for `X`, a disagreement with other servers that smuggling relies on.
fn parse_header_line(line: &str) -> Result<Header, &'static str> {
    if line.starts_with([' ', '\t']) {
        return Err(
            "A header line starts with whitespace (obsolete line folding is not accepted).",
        );
    }
    let (name, value) = line.split_once(':').ok_or("A header line has no colon.")?;
    if name.is_empty() {
        return Err("A header line has an empty name.");
    }
    if !is_token(name) {
        return Err("A header name is not a valid token.");
    }
    let value = value.trim_matches([' ', '\t']);
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .map_err(|()| "A header holds a byte that is not printable ASCII.")
}

#[cfg(test)]
mod test {
    #[test]
    fn test_parse_request_line() {
        let (method, path, ver) = super::parse_request_line("GET /hello HTTP/1.1").unwrap();

        assert!(method == crate::Method::Get);
        assert!(path == "/hello");
        assert!(ver == crate::common::HTTPVersion(1, 1));

        assert!(super::parse_request_line("GET /hello").is_err());
        assert!(super::parse_request_line("qsd qsd qsd").is_err());
    }
}
