use std::io::Error as IoError;
use std::io::{self, Cursor, ErrorKind, Read, Write};

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use crate::util::{ChunkedReader, Closing, EqualReader, FusedReader};
use crate::{HTTPVersion, Header, Method, Response, StatusCode};

/// Represents an HTTP request made by a client.
///
/// A `Request` object is what is produced by the server, and is your what
/// your code must analyse and answer.
///
/// This object implements the `Send` trait, therefore you can dispatch your requests to
/// worker threads.
///
/// # Pipelining
///
/// If a client sends multiple requests in a row (without waiting for the response), then you will
/// get multiple `Request` objects simultaneously. This is called *requests pipelining*.
/// Tiny-http automatically reorders the responses so that you don't need to worry about the order
/// in which you call `respond` or `into_writer`.
///
/// This mechanic is disabled if:
///
///  - The body of a request is large enough (handling requires pipelining requires storing the
///    body of the request in a buffer ; if the body is too big, tiny-http will avoid doing that)
///  - A request sends a `Expect: 100-continue` header (which means that the client waits to
///    know whether its body will be processed before sending it)
///  - A request sends a `Connection: close` header, which indicates that this is the last
///    request that will be received on this connection (hookq: `Connection: upgrade` no
///    longer does: upgrade offers are ignored)
///
/// # Automatic cleanup
///
/// If a `Request` object is destroyed without `into_writer` or `respond` being called,
/// an empty response with a 500 status code (internal server error) will automatically be
/// sent back to the client.
/// This means that if your code fails during the handling of a request, this "internal server
/// error" response will automatically be sent during the stack unwinding.
///
/// # Testing
///
/// If you want to build fake requests to test your server, use [`TestRequest`](crate::test::TestRequest).
pub struct Request {
    // where to read the body from
    data_reader: Option<Box<dyn Read + Send + 'static>>,

    // if this writer is empty, then the request has been answered
    response_writer: Option<Box<dyn Write + Send + 'static>>,

    remote_addr: Option<SocketAddr>,

    // true if HTTPS, false if HTTP
    secure: bool,

    method: Method,

    path: String,

    http_version: HTTPVersion,

    headers: Vec<Header>,

    body_length: Option<usize>,

    // true if a `100 Continue` response must be sent when `as_reader()` is called
    must_send_continue: bool,

    // If Some, a message must be sent after responding
    notify_when_responded: Option<Sender<()>>,

    // hookq: the connection's "closing" flag (`None` for a `TestRequest`). Set once
    // an answer that closes the connection is out: the body is then not drained, and
    // nothing more is read or written on the connection.
    closing: Option<Arc<Closing>>,

    // hookq: the connection ends after this request (the client said so, or its
    // framing was ambiguous): the answer says `Connection: close`.
    last: bool,
}

struct NotifyOnDrop<R> {
    sender: Sender<()>,
    inner: R,
}

impl<R: Read> Read for NotifyOnDrop<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}
impl<R: Write> Write for NotifyOnDrop<R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
impl<R> Drop for NotifyOnDrop<R> {
    fn drop(&mut self) {
        self.sender.send(()).unwrap();
    }
}

/// Error that can happen when building a `Request` object.
#[derive(Debug)]
pub enum RequestCreationError {
    /// The client sent an `Expect` header that was not recognized by tiny-http.
    ExpectationFailed,

    /// Error while reading data from the socket during the creation of the `Request`.
    CreationIoError(IoError),

    /// hookq: the `Content-Length` header is not a number, or several disagree.
    InvalidContentLength,

    /// hookq: the body's framing can't be trusted (400, then close); the reason in
    /// plain words.
    BadFraming(&'static str),

    /// hookq: a transfer coding other than `chunked` (501, then close).
    UnsupportedTransferCoding,
}

/// hookq: how a request body is delimited (RFC 9112 section 6.3).
enum Framing {
    None,
    Length(usize),
    Chunked,
}

/// hookq: the framing of a request body, strictly as RFC 9112 (6.1, 6.3) says, like
/// hyper's `proto/h1/role.rs`:
///
/// - `Transfer-Encoding` overrides `Content-Length` (the connection is then closed after
///   the answer, see `ClientConnection`: such a request is how smuggling is attempted);
/// - `chunked` is the only coding understood, and only once, as the final coding. Any
///   other coding (`gzip, chunked`, `identity`, `xchunked`) is 501; `chunked` anywhere
///   but last (`chunked, gzip`), twice, or an empty list is 400, as is a
///   `Transfer-Encoding` in an HTTP/1.0 request;
/// - `Content-Length` must be digits that fit, and several must agree (else 400).
///
/// Upstream read any `Transfer-Encoding` as chunked: `identity` hung until the socket
/// timeout, then the body read failed with an errno text.
fn framing(version: &HTTPVersion, headers: &[Header]) -> Result<Framing, RequestCreationError> {
    let mut codings = Vec::new();
    let mut has_te = false;
    for h in headers
        .iter()
        .filter(|h| h.field.equiv("Transfer-Encoding"))
    {
        has_te = true;
        codings.extend(
            h.value
                .as_str()
                .split(',')
                .map(|c| c.trim_matches(|c| c == ' ' || c == '\t'))
                .filter(|c| !c.is_empty())
                .map(|c| c.to_ascii_lowercase()),
        );
    }
    if has_te {
        if *version < HTTPVersion(1, 1) {
            return Err(RequestCreationError::BadFraming(
                "Transfer-Encoding is not allowed in an HTTP/1.0 request.",
            ));
        }
        let chunked = codings.iter().filter(|c| *c == "chunked").count();
        if codings.is_empty() {
            return Err(RequestCreationError::BadFraming(
                "The Transfer-Encoding header is empty.",
            ));
        }
        if chunked > 1 || (chunked == 1 && codings.last().map(String::as_str) != Some("chunked")) {
            return Err(RequestCreationError::BadFraming(
                "The transfer coding chunked must come last, and only once.",
            ));
        }
        if codings.len() > 1 || chunked == 0 {
            return Err(RequestCreationError::UnsupportedTransferCoding);
        }
        return Ok(Framing::Chunked);
    }

    // hookq: upstream silently ignored an unparsable value (the body was then read
    // as the next request) and used the first of several headers. Now a value that
    // is not all digits, does not fit in `usize`, or disagrees with another
    // `Content-Length` header is a 400 (RFC 9112 section 6.3).
    let mut content_length = None;
    for h in headers
        .iter()
        .filter(|h: &&Header| h.field.equiv("Content-Length"))
    {
        let value = h.value.as_str();
        let parsed: usize = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            FromStr::from_str(value).map_err(|_| RequestCreationError::InvalidContentLength)?
        } else {
            return Err(RequestCreationError::InvalidContentLength);
        };
        if matches!(content_length, Some(previous) if previous != parsed) {
            return Err(RequestCreationError::InvalidContentLength);
        }
        content_length = Some(parsed);
    }
    Ok(content_length.map_or(Framing::None, Framing::Length))
}

impl From<IoError> for RequestCreationError {
    fn from(err: IoError) -> RequestCreationError {
        RequestCreationError::CreationIoError(err)
    }
}

/// Builds a new request.
///
/// After the request line and headers have been read from the socket, a new `Request` object
/// is built.
///
/// You must pass a `Read` that will allow the `Request` object to read from the incoming data.
/// It is the responsibility of the `Request` to read only the data of the request and not further.
///
/// The `Write` object will be used by the `Request` to write the response.
#[allow(clippy::too_many_arguments)]
pub fn new_request<R, W>(
    secure: bool,
    method: Method,
    path: String,
    version: HTTPVersion,
    headers: Vec<Header>,
    remote_addr: Option<SocketAddr>,
    source_data: R,
    writer: W,
) -> Result<Request, RequestCreationError>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    new_request_with_body_signal(
        secure,
        method,
        path,
        version,
        headers,
        remote_addr,
        source_data,
        writer,
        None,
    )
    .map(|(request, _)| request)
}

/// hookq: same as `new_request`, but also returns the "last read" signal of the body
/// reader, if the body is read lazily (`EqualReader` or `ChunkedReader`). The signal
/// carries an `Err` if the body was dropped before its end and could not be drained;
/// the connection must then not be reused (see `ClientConnection::read`).
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub(crate) fn new_request_with_body_signal<R, W>(
    secure: bool,
    method: Method,
    path: String,
    version: HTTPVersion,
    headers: Vec<Header>,
    remote_addr: Option<SocketAddr>,
    mut source_data: R,
    writer: W,
    closing: Option<Arc<Closing>>,
) -> Result<(Request, Option<Receiver<io::Result<()>>>), RequestCreationError>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    // hookq: the body's framing, as RFC 9112 (6.3) says (see `framing`)
    let framing = framing(&version, &headers)?;
    let content_length = match framing {
        Framing::Length(len) => Some(len),
        _ => None,
    };

    // true if the client sent a `Expect: 100-continue` header
    let expects_continue = {
        match headers
            .iter()
            .find(|h: &&Header| h.field.equiv("Expect"))
            .map(|h| h.value.as_str())
        {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("100-continue") => true,
            _ => return Err(RequestCreationError::ExpectationFailed),
        }
    };

    // hookq: receiver of the body reader's "last read" signal, if any
    let mut body_signal = None;

    // we wrap `source_data` around a reading whose nature depends on the transfer-encoding and
    // content-length headers
    // hookq: upstream made the body "the rest of the socket" when the request said
    // `Connection: upgrade`, whether or not the application upgraded: a body of 5 bytes
    // swallowed the requests after it, and `curl --http2` (an h2c upgrade offer) waited
    // for the socket timeout. An upgrade offer is now ignored, as RFC 9110 (7.8) lets a
    // server do: the body is framed by `Content-Length`/`Transfer-Encoding` as usual.
    let reader = if let Some(content_length) = content_length {
        if content_length == 0 {
            Box::new(io::empty()) as Box<dyn Read + Send + 'static>
        } else if content_length <= 1024 && !expects_continue {
            // if the content-length is small enough, we just read everything into a buffer

            let mut buffer = vec![0; content_length];
            let mut offset = 0;

            while offset != content_length {
                let read = source_data.read(&mut buffer[offset..])?;
                if read == 0 {
                    // the socket returned EOF, but we were before the expected content-length
                    // aborting
                    let info = "Connection has been closed before we received enough data";
                    let err = IoError::new(ErrorKind::ConnectionAborted, info);
                    return Err(RequestCreationError::CreationIoError(err));
                }

                offset += read;
            }

            Box::new(Cursor::new(buffer)) as Box<dyn Read + Send + 'static>
        } else {
            // hookq: keep the signal (upstream discarded it) for the connection
            let (data_reader, signal) = EqualReader::new(source_data, content_length);
            let data_reader = data_reader.no_drain_when(closing.clone());
            body_signal = Some(signal);
            Box::new(FusedReader::new(data_reader)) as Box<dyn Read + Send + 'static>
        }
    } else if let Framing::Chunked = framing {
        // hookq: `ChunkedReader` decodes strictly, bounds the chunk framing and
        // drains/signals on drop like `EqualReader` (upstream used a bare
        // `chunked_transfer::Decoder`, and took any `Transfer-Encoding` for chunked)
        let (data_reader, signal) = ChunkedReader::new(source_data);
        let data_reader = data_reader.no_drain_when(closing.clone());
        body_signal = Some(signal);
        Box::new(FusedReader::new(data_reader)) as Box<dyn Read + Send + 'static>
    } else {
        // if we have neither a Content-Length nor a Transfer-Encoding,
        // assuming that we have no data
        // TODO: could also be multipart/byteranges
        Box::new(io::empty()) as Box<dyn Read + Send + 'static>
    };

    let request = Request {
        data_reader: Some(reader),
        response_writer: Some(Box::new(writer) as Box<dyn Write + Send + 'static>),
        remote_addr,
        secure,
        method,
        path,
        http_version: version,
        headers,
        body_length: content_length,
        must_send_continue: expects_continue,
        notify_when_responded: None,
        closing,     // hookq
        last: false, // hookq
    };
    Ok((request, body_signal)) // hookq
}

impl Request {
    /// Returns true if the request was made through HTTPS.
    #[inline]
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Returns the method requested by the client (eg. `GET`, `POST`, etc.).
    #[inline]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Returns the resource requested by the client.
    #[inline]
    pub fn url(&self) -> &str {
        &self.path
    }

    /// Returns a list of all headers sent by the client.
    #[inline]
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// Returns the HTTP version of the request.
    #[inline]
    pub fn http_version(&self) -> &HTTPVersion {
        &self.http_version
    }

    /// Returns the length of the body in bytes.
    ///
    /// Returns `None` if the length is unknown.
    #[inline]
    pub fn body_length(&self) -> Option<usize> {
        self.body_length
    }

    /// Returns the address of the client that sent this request.
    ///
    /// The address is always `Some` for TCP listeners, but always `None` for UNIX listeners
    /// (as the remote address of a UNIX client is almost always unnamed).
    ///
    /// Note that this is gathered from the socket. If you receive the request from a proxy,
    /// this function will return the address of the proxy and not the address of the actual
    /// user.
    #[inline]
    pub fn remote_addr(&self) -> Option<&SocketAddr> {
        self.remote_addr.as_ref()
    }

    /// Sends a response with a `Connection: upgrade` header, then turns the `Request` into a `Stream`.
    ///
    /// The main purpose of this function is to support websockets.
    /// If you detect that the request wants to use some kind of protocol upgrade, you can
    ///  call this function to obtain full control of the socket stream.
    ///
    /// If you call this on a non-websocket request, tiny-http will wait until this `Stream` object
    ///  is destroyed before continuing to read or write on the socket. Therefore you should always
    ///  destroy it as soon as possible.
    pub fn upgrade<R: Read>(
        mut self,
        protocol: &str,
        response: Response<R>,
    ) -> Box<dyn ReadWrite + Send> {
        use crate::util::CustomStream;

        response
            .raw_print(
                self.response_writer.as_mut().unwrap().by_ref(),
                self.http_version.clone(),
                &self.headers,
                false,
                Some(protocol),
            )
            .ok(); // TODO: unused result

        self.response_writer.as_mut().unwrap().flush().ok(); // TODO: unused result

        // hookq: framing no longer hands the rest of the socket to an upgrade request's
        // body (see `new_request_with_body_signal`): the returned stream reads only the
        // request's body, and the connection ends with it.
        if let Some(closing) = &self.closing {
            closing.mark();
        }

        let stream = CustomStream::new(self.extract_reader_impl(), self.extract_writer_impl());
        if let Some(sender) = self.notify_when_responded.take() {
            let stream = NotifyOnDrop {
                sender,
                inner: stream,
            };
            Box::new(stream) as Box<dyn ReadWrite + Send>
        } else {
            Box::new(stream) as Box<dyn ReadWrite + Send>
        }
    }

    /// Allows to read the body of the request.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # extern crate rustc_serialize;
    /// # extern crate tiny_http;
    /// # use rustc_serialize::json::Json;
    /// # use std::io::Read;
    /// # fn get_content_type(_: &tiny_http::Request) -> &'static str { "" }
    /// # fn main() {
    /// # let server = tiny_http::Server::http("0.0.0.0:0").unwrap();
    /// let mut request = server.recv().unwrap();
    ///
    /// if get_content_type(&request) == "application/json" {
    ///     let mut content = String::new();
    ///     request.as_reader().read_to_string(&mut content).unwrap();
    ///     let json: Json = content.parse().unwrap();
    /// }
    /// # }
    /// ```
    ///
    /// If the client sent a `Expect: 100-continue` header with the request, calling this
    ///  function will send back a `100 Continue` response.
    #[inline]
    pub fn as_reader(&mut self) -> &mut dyn Read {
        if self.must_send_continue {
            let msg = Response::new_empty(StatusCode(100));
            msg.raw_print(
                self.response_writer.as_mut().unwrap().by_ref(),
                self.http_version.clone(),
                &self.headers,
                true,
                None,
            )
            .ok();
            self.response_writer.as_mut().unwrap().flush().ok();
            self.must_send_continue = false;
        }

        self.data_reader.as_mut().unwrap()
    }

    /// Turns the `Request` into a writer.
    ///
    /// The writer has a raw access to the stream to the user.
    /// This function is useful for things like CGI.
    ///
    /// Note that the destruction of the `Writer` object may trigger
    /// some events. For exemple if a client has sent multiple requests and the requests
    /// have been processed in parallel, the destruction of a writer will trigger
    /// the writing of the next response.
    /// Therefore you should always destroy the `Writer` as soon as possible.
    #[inline]
    pub fn into_writer(mut self) -> Box<dyn Write + Send + 'static> {
        let writer = self.extract_writer_impl();
        if let Some(sender) = self.notify_when_responded.take() {
            let writer = NotifyOnDrop {
                sender,
                inner: writer,
            };
            Box::new(writer) as Box<dyn Write + Send + 'static>
        } else {
            writer
        }
    }

    /// Extract the response `Writer` object from the Request, dropping this `Writer` has the same side effects
    /// as the object returned by `into_writer` above.
    ///
    /// This may only be called once on a single request.
    fn extract_writer_impl(&mut self) -> Box<dyn Write + Send + 'static> {
        use std::mem;

        assert!(self.response_writer.is_some());

        let mut writer = None;
        mem::swap(&mut self.response_writer, &mut writer);
        writer.unwrap()
    }

    /// Extract the body `Reader` object from the Request.
    ///
    /// This may only be called once on a single request.
    fn extract_reader_impl(&mut self) -> Box<dyn Read + Send + 'static> {
        use std::mem;

        assert!(self.data_reader.is_some());

        let mut reader = None;
        mem::swap(&mut self.data_reader, &mut reader);
        reader.unwrap()
    }

    /// Sends a response to this request.
    #[inline]
    pub fn respond<R>(mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        let res = self.respond_impl(response);
        if let Some(sender) = self.notify_when_responded.take() {
            sender.send(()).unwrap();
        }
        res
    }

    fn respond_impl<R>(&mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        let mut writer = self.extract_writer_impl();

        let do_not_send_body = self.method == Method::Head;

        // hookq: an answer that closes the connection (the application said
        // `Connection: close`, or this is the connection's last request) says so
        let response = if self.last {
            response.closing()
        } else {
            response
        };
        let closes = response.closes_connection();

        let result = Self::ignore_client_closing_errors(response.raw_print(
            writer.by_ref(),
            self.http_version.clone(),
            &self.headers,
            do_not_send_body,
            None,
        ))
        .and_then(|()| Self::ignore_client_closing_errors(writer.flush()));

        // hookq: only now that the answer is out: the body is not drained, and the
        // connection reads and writes nothing more (see `SequentialReader::set_closing`)
        if closes {
            self.close_connection();
        }
        result
    }

    /// hookq: mark the connection as closing (see `closing`).
    fn close_connection(&self) {
        if let Some(closing) = &self.closing {
            closing.close();
        }
    }

    /// hookq: this is the connection's last request (see `last`).
    pub(crate) fn set_last(&mut self) {
        self.last = true;
    }

    fn ignore_client_closing_errors(result: io::Result<()>) -> io::Result<()> {
        result.or_else(|err| match err.kind() {
            ErrorKind::BrokenPipe => Ok(()),
            ErrorKind::ConnectionAborted => Ok(()),
            ErrorKind::ConnectionRefused => Ok(()),
            ErrorKind::ConnectionReset => Ok(()),
            _ => Err(err),
        })
    }

    pub(crate) fn with_notify_sender(mut self, sender: Sender<()>) -> Self {
        self.notify_when_responded = Some(sender);
        self
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> Result<(), fmt::Error> {
        write!(
            formatter,
            "Request({} {} from {:?})",
            self.method, self.path, self.remote_addr
        )
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if self.response_writer.is_some() {
            let response = Response::empty(500);
            let _ = self.respond_impl(response); // ignoring any potential error
            if let Some(sender) = self.notify_when_responded.take() {
                sender.send(()).unwrap();
            }
        }
    }
}

/// Dummy trait that regroups the `Read` and `Write` traits.
///
/// Automatically implemented on all types that implement both `Read` and `Write`.
pub trait ReadWrite: Read + Write {}
impl<T> ReadWrite for T where T: Read + Write {}

#[cfg(test)]
mod tests {
    use super::Request;

    #[test]
    fn must_be_send() {
        #![allow(dead_code)]
        fn f<T: Send>(_: &T) {}
        fn bar(rq: &Request) {
            f(rq);
        }
    }
}
