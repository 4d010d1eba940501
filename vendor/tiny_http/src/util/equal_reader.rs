use std::io::Result as IoResult;
use std::io::{Error as IoError, ErrorKind, Read};
use std::sync::mpsc::channel;
use std::sync::Arc;

use super::sequential::Closing;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

/// hookq: at most this many unread body bytes are drained (read and thrown away) when a
/// request body is dropped unread, so that the connection can be reused. A bigger rest
/// is not read at all: the connection is closed instead.
pub(crate) const MAX_DRAIN_BYTES: usize = 1024 * 1024;

/// hookq: size of the fixed buffer used for draining.
const DRAIN_BUFFER_SIZE: usize = 16 * 1024;

/// hookq: wall-clock budget for a drain (checked between reads; a single read is bounded
/// by the socket read timeout). Stops a client trickling its body from holding the
/// thread that dropped the request.
const MAX_DRAIN_TIME: Duration = Duration::from_secs(5);

/// hookq: error meaning "the rest of the body was not drained: close the connection".
pub(crate) fn abandoned(msg: &'static str) -> IoError {
    IoError::new(ErrorKind::ConnectionAborted, msg)
}

/// hookq: reads and discards from `reader` with a fixed buffer until it returns EOF.
/// Gives up with an error after `max_bytes` bytes, after `MAX_DRAIN_TIME`, or on any read
/// error (including a timeout); the caller must then make sure the connection closes.
pub(crate) fn drain<R: Read>(reader: &mut R, max_bytes: usize) -> IoResult<()> {
    let mut buf = [0u8; DRAIN_BUFFER_SIZE];
    let mut drained = 0usize;
    let start = Instant::now();
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => drained += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if drained > max_bytes || start.elapsed() > MAX_DRAIN_TIME {
            return Err(abandoned(
                "unread request body too large or too slow to drain",
            ));
        }
    }
}

/// A `Reader` that reads exactly the number of bytes from a sub-reader.
///
/// If the limit is reached, it returns EOF. If the limit is not reached
/// when the destructor is called, the remaining bytes will be read and
/// thrown away (hookq: at most `MAX_DRAIN_BYTES` of them; otherwise, or on a read
/// error, an `Err` is sent on `last_read_signal` and the connection is closed).
pub struct EqualReader<R>
where
    R: Read,
{
    reader: R,
    size: usize,
    last_read_signal: Sender<IoResult<()>>,
    // hookq: set when a read returned an error; the drop then gives up at once instead
    // of waiting once more for a client that already timed out.
    failed: bool,
    // hookq: the connection's "closing" flag (see `no_drain_when`)
    closing: Option<Arc<Closing>>,
}

impl<R> EqualReader<R>
where
    R: Read,
{
    pub fn new(reader: R, size: usize) -> (EqualReader<R>, Receiver<IoResult<()>>) {
        let (tx, rx) = channel();

        let r = EqualReader {
            reader,
            size,
            last_read_signal: tx,
            failed: false, // hookq
            closing: None, // hookq
        };

        (r, rx)
    }

    /// hookq: a body left unread when `closing` is set (the answer closed the
    /// connection) is not drained: there is no next request to reach.
    pub(crate) fn no_drain_when(mut self, closing: Option<Arc<Closing>>) -> Self {
        self.closing = closing;
        self
    }
}

/// hookq: true if the connection's "closing" flag is set.
pub(crate) fn is_closing(closing: &Option<Arc<Closing>>) -> bool {
    closing.as_ref().is_some_and(|c| c.is_set())
}

/// hookq: an I/O error from the socket, reworded in plain words for the application
/// (which may show it to the client) instead of an errno text such as "Resource
/// temporarily unavailable (os error 11)", which is how a read timeout shows.
pub(crate) fn plain(err: IoError) -> IoError {
    if err.raw_os_error().is_none() {
        return err;
    }
    let text = match err.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            "the client sent nothing more for too long (socket timeout)"
        }
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            "the client closed the connection"
        }
        _ => "the connection failed",
    };
    IoError::new(err.kind(), text)
}

impl<R> Read for EqualReader<R>
where
    R: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        if self.size == 0 {
            return Ok(0);
        }

        let buf = if buf.len() < self.size {
            buf
        } else {
            &mut buf[..self.size]
        };

        match self.reader.read(buf) {
            // hookq: the connection ended before `Content-Length` bytes: an error, not
            // the end of the body (upstream returned `Ok(0)`, so an application took a
            // truncated body for a whole one)
            Ok(0) if !buf.is_empty() => {
                self.failed = true;
                Err(IoError::new(
                    ErrorKind::UnexpectedEof,
                    "the connection closed before the end of the request body",
                ))
            }
            Ok(len) => {
                self.size -= len;
                Ok(len)
            }
            Err(e) => {
                // hookq: remember the failure (see `failed`)
                if e.kind() != ErrorKind::Interrupted {
                    self.failed = true;
                }
                Err(plain(e))
            }
        }
    }
}

impl<R> Drop for EqualReader<R>
where
    R: Read,
{
    fn drop(&mut self) {
        // hookq: upstream allocated `vec![0; remaining]` here, i.e. `Content-Length`
        // bytes (100 GB => abort). Now: nothing to do if the body was fully read; give
        // up at once if the rest exceeds `MAX_DRAIN_BYTES` or a read already failed;
        // otherwise drain with a fixed buffer. Giving up sends `Err` on
        // `last_read_signal`, which makes the connection's next read fail (see
        // `SequentialReader::set_previous_body_signal`), so the connection is closed.
        if self.size == 0 {
            return;
        }
        let result = if self.failed {
            Err(abandoned("request body read failed"))
        } else if is_closing(&self.closing) {
            Err(abandoned("the connection is closing"))
        } else if self.size > MAX_DRAIN_BYTES {
            Err(abandoned("unread request body too large to drain"))
        } else {
            // `self.read` stops at the end of the body (returns 0 once `size` is 0)
            drain(self, MAX_DRAIN_BYTES)
        };
        // Ok: fully drained. A client that closed the connection midway makes the drain
        // fail (hookq: `read` returns `UnexpectedEof`), and the connection is closed.
        self.last_read_signal.send(result).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::EqualReader;
    use std::io::Read;

    #[test]
    fn test_limit() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new("hello world".to_string().into_bytes());

        {
            let (mut equal_reader, _) = EqualReader::new(org_reader.by_ref(), 5);

            let mut string = String::new();
            equal_reader.read_to_string(&mut string).unwrap();
            assert_eq!(string, "hello");
        }

        let mut string = String::new();
        org_reader.read_to_string(&mut string).unwrap();
        assert_eq!(string, " world");
    }

    #[test]
    fn test_not_enough() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new("hello world".to_string().into_bytes());

        {
            let (mut equal_reader, _) = EqualReader::new(org_reader.by_ref(), 5);

            let mut vec = [0];
            equal_reader.read_exact(&mut vec).unwrap();
            assert_eq!(vec[0], b'h');
        }

        let mut string = String::new();
        org_reader.read_to_string(&mut string).unwrap();
        assert_eq!(string, " world");
    }

    // hookq: a huge unread rest is not drained (and nothing is allocated for it); the
    // abandonment is signalled with an `Err`.
    #[test]
    fn test_huge_rest_not_drained() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new(vec![b'x'; 16]);
        let rx = {
            let (equal_reader, rx) = EqualReader::new(org_reader.by_ref(), 100_000_000_000);
            drop(equal_reader);
            rx
        };
        assert!(rx.recv().unwrap().is_err());
        assert_eq!(org_reader.position(), 0);
    }

    // hookq: a small unread rest is drained and `Ok` is signalled.
    #[test]
    fn test_small_rest_drained() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new(vec![b'x'; 100_000]);
        let rx = {
            let (equal_reader, rx) = EqualReader::new(org_reader.by_ref(), 50_000);
            drop(equal_reader);
            rx
        };
        assert!(rx.recv().unwrap().is_ok());
        assert_eq!(org_reader.position(), 50_000);
    }

    // hookq: a body cut short by the end of the connection is an error, not a short body.
    #[test]
    fn test_early_eof_is_an_error() {
        use std::io::Cursor;

        let (mut equal_reader, rx) = EqualReader::new(Cursor::new(b"abc".to_vec()), 10);
        let mut body = Vec::new();
        let err = equal_reader.read_to_end(&mut body).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        assert_eq!(body, b"abc");
        drop(equal_reader);
        assert!(rx.recv().unwrap().is_err());
    }

    // hookq: a drain that hits a read error is abandoned with an `Err`.
    #[test]
    fn test_drain_error_signalled() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    "timed out",
                ))
            }
        }

        let (equal_reader, rx) = EqualReader::new(Failing, 10);
        drop(equal_reader);
        assert!(rx.recv().unwrap().is_err());
    }
}
