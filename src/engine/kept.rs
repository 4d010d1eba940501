//! The TCP connection under a forwarding worker's HTTP client (ureq), kept
//! from one delivery to the next. ureq's own TCP transport, less three
//! costs that a local target pays on every event (docs/benchmarks.md,
//! "Forwarding drain"):
//!
//! - ureq writes a request's head and its body apart: two segments, and a
//!   target woken twice. Here what ureq sends is held until it turns to
//!   read the answer (or past [`FLUSH_AT`]), then written at once.
//! - ureq sets the socket's timeouts to the time left before every write
//!   and read: three `setsockopt` per request. Here the time left is
//!   rounded up to [`TIMEOUT_STEP`], so a kept connection sets them once
//!   and a deadline is kept to within that step.
//! - ureq probes a kept connection (before and after each use) by
//!   switching the socket to non-blocking and back: four `ioctl`. Here
//!   one non-blocking peek does it.
//!
//! TLS is ureq's, over this transport.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};
use ureq::{Error, Timeout};

use super::http1::{self, timed_out};

/// What is held back at most before it is written.
const FLUSH_AT: usize = 64 << 10;

/// Opens the TCP connection (ureq's `TcpConnector`, with [`Kept`] as its
/// transport).
#[derive(Debug, Default)]
pub(super) struct KeptConnector;

impl<In: Transport> Connector<In> for KeptConnector {
    type Out = Either<In, Kept>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(chained) = chained {
            return Ok(Some(Either::A(chained)));
        }
        let deadline = details
            .timeout
            .not_zero()
            .map(|left| Instant::now() + *left);
        let stream = http1::connect(&details.addrs, deadline).map_err(|e| match e.kind() {
            io::ErrorKind::TimedOut => Error::Timeout(Timeout::Connect),
            _ => Error::Io(e),
        })?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let stream = Arc::new(stream);
        (details.register_shutdown)(Arc::downgrade(&stream) as Weak<dyn ShutdownHandle>)?;
        let config = details.config;
        Ok(Some(Either::B(Kept {
            stream,
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            held: Vec::new(),
            read_timeout: None,
            write_timeout: None,
        })))
    }
}

/// A TCP connection to the target.
#[derive(Debug)]
pub(super) struct Kept {
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// Given to send, not written yet.
    held: Vec<u8>,
    /// The socket's timeouts as set.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

/// The socket timeout for `timeout`: the time left, rounded up to
/// [`http1::TIMEOUT_STEP`], or none.
fn stepped(timeout: &NextTimeout) -> Option<Duration> {
    timeout.not_zero().map(|left| http1::stepped(*left))
}

impl Kept {
    /// Write what is held, within `timeout`.
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        let timeout = timeout.for_write();
        if timeout.after.is_zero() {
            return Err(Error::Timeout(timeout.reason));
        }
        let wanted = stepped(&timeout);
        if wanted != self.write_timeout {
            self.stream.set_write_timeout(wanted)?;
            self.write_timeout = wanted;
        }
        let written = (&*self.stream).write_all(&self.held);
        self.held.clear();
        match written {
            Err(e) if timed_out(&e) => Err(Error::Timeout(timeout.reason)),
            other => Ok(other?),
        }
    }
}

impl Transport for Kept {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.held
            .extend_from_slice(&self.buffers.output()[..amount]);
        if self.held.len() >= FLUSH_AT {
            self.flush(timeout)?;
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        if !self.held.is_empty() {
            self.flush(timeout)?;
        }
        let timeout = timeout.for_read();
        if timeout.after.is_zero() {
            return Err(Error::Timeout(timeout.reason));
        }
        let deadline = timeout.not_zero().map(|left| Instant::now() + *left);
        let mut wanted = stepped(&timeout);
        let input = self.buffers.input_append_buf();
        let read = loop {
            if wanted != self.read_timeout {
                self.stream.set_read_timeout(wanted)?;
                self.read_timeout = wanted;
            }
            match (&*self.stream).read(input) {
                // A signal: Linux does not restart a read that has a timeout.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    if let Some(deadline) = deadline {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Err(Error::Timeout(timeout.reason));
                        }
                        wanted = Some(left);
                    }
                }
                Err(e) if timed_out(&e) => return Err(Error::Timeout(timeout.reason)),
                other => break other?,
            }
        };
        self.buffers.input_appended(read);
        Ok(read > 0)
    }

    fn is_open(&mut self) -> bool {
        // Nothing to read is the only state fit for the next request: a
        // byte means an answer ran past its end, 0 that the target closed.
        self.held.is_empty() && http1::idle(&self.stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A kept connection to a peer on loopback, and the peer's end.
    fn pair() -> (Kept, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        let kept = Kept {
            stream: Arc::new(stream),
            buffers: LazyBuffers::new(1024, 1024),
            held: Vec::new(),
            read_timeout: None,
            write_timeout: None,
        };
        (kept, peer)
    }

    fn send(kept: &mut Kept, bytes: &[u8]) {
        kept.buffers().output()[..bytes.len()].copy_from_slice(bytes);
        kept.transmit_output(bytes.len(), NextTimeout::default())
            .unwrap();
    }

    /// What ureq sends (a head, then a body) reaches the target together,
    /// once ureq turns to read the answer; the answer is read.
    #[test]
    fn a_request_is_written_when_its_answer_is_awaited() {
        let (mut kept, mut peer) = pair();
        send(&mut kept, b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n");
        send(&mut kept, b"body");
        peer.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 256];
        let early = peer.read(&mut buf).map_err(|e| e.kind());
        assert_eq!(early, Err(io::ErrorKind::WouldBlock), "nothing sent yet");
        peer.set_nonblocking(false).unwrap();
        peer.write_all(b"HTTP/1.1 200 OK\r\n").unwrap();
        assert!(kept.await_input(NextTimeout::default()).unwrap());
        assert_eq!(kept.buffers().input(), b"HTTP/1.1 200 OK\r\n");
        let mut request = vec![0u8; 42];
        peer.read_exact(&mut request).unwrap();
        assert_eq!(
            request,
            b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody".to_vec()
        );
    }

    /// Only an idle connection is fit for the next request: not one the
    /// target closed, nor one with bytes past the last answer.
    #[test]
    fn a_connection_is_reused_only_if_nothing_came_on_it() {
        let (mut kept, peer) = pair();
        assert!(kept.is_open());
        drop(peer);
        // The close reaches the socket at once on loopback; polled all the
        // same, with a generous bound.
        let deadline = Instant::now() + Duration::from_secs(20);
        while kept.is_open() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert!(!kept.is_open(), "closed by the target");

        let (mut kept, mut peer) = pair();
        peer.write_all(b"x").unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while kept.is_open() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert!(!kept.is_open(), "a byte past the answer");
        // The peek took nothing: the byte is still there to see.
        let mut byte = [0u8; 1];
        (&*kept.stream).read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"x");
    }

    #[test]
    fn a_timeout_is_rounded_up_to_its_step() {
        let left = |after: Duration| NextTimeout {
            after: after.into(),
            ..NextTimeout::default()
        };
        let thirty = Duration::from_secs(30);
        // A kept connection's deliveries all set the same timeouts.
        assert_eq!(
            stepped(&left(thirty - Duration::from_micros(40))),
            Some(thirty)
        );
        assert_eq!(stepped(&left(thirty)), Some(thirty));
        assert_eq!(
            stepped(&left(Duration::from_millis(3))),
            Some(http1::TIMEOUT_STEP)
        );
        assert_eq!(stepped(&NextTimeout::default()), None);
    }
}
