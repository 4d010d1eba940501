//! hookq: this whole file is a hookq addition (not in upstream tiny_http 0.12.0).
//!
//! Upstream wrapped a chunked request body in a bare `chunked_transfer::Decoder`, which
//! has three problems with hostile input:
//!
//! - it collects a chunk-size line (and skips chunk extensions) without any length
//!   limit, so an endless chunk-size line grows a buffer until the process runs out of
//!   memory, whether the application reads the body or not;
//! - it is lenient where RFC 9112 (7.1) is not: a chunk size may carry spaces or a
//!   `+` sign, and trailer fields are refused (a valid body failed);
//! - it is not drained when dropped: if the application answered without reading the
//!   body, the rest of the body was parsed as the next request on the connection.
//!
//! `ChunkedReader` decodes strictly (hex digits, optional extensions, CRLF; trailer
//! fields accepted and ignored), limits the framing it consumes per read, drains an
//! unread body on drop with the same bounds as `EqualReader`, and otherwise signals
//! on `last_read_signal` that the connection must be closed.

use std::io::Result as IoResult;
use std::io::{Error as IoError, ErrorKind, Read};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use super::equal_reader::{abandoned, drain, is_closing, plain, MAX_DRAIN_BYTES};
use super::sequential::Closing;

/// hookq: bytes of chunk framing (chunk-size line, extensions, CRLFs, trailer fields)
/// one `read` may consume on top of the payload bytes it returns.
const MAX_CHUNK_FRAMING: usize = 8 * 1024;

fn invalid(what: &'static str) -> IoError {
    IoError::new(ErrorKind::InvalidData, what)
}

fn cut_short() -> IoError {
    IoError::new(
        ErrorKind::UnexpectedEof,
        "the connection closed before the end of the chunked request body",
    )
}

/// Reader of a `Transfer-Encoding: chunked` request body.
pub struct ChunkedReader<R: Read> {
    source: R,
    // payload bytes left in the current chunk; `None` between chunks
    in_chunk: Option<usize>,
    // framing bytes this `read` may still consume
    budget: usize,
    // the last chunk and the trailer section were read
    finished: bool,
    // a read failed: the position in the body is unknown, it can't be trusted any more
    failed: bool,
    last_read_signal: Sender<IoResult<()>>,
    // the connection's "closing" flag (see `no_drain_when`)
    closing: Option<Arc<Closing>>,
}

impl<R: Read> ChunkedReader<R> {
    pub fn new(reader: R) -> (ChunkedReader<R>, Receiver<IoResult<()>>) {
        let (tx, rx) = channel();
        let r = ChunkedReader {
            source: reader,
            in_chunk: None,
            budget: 0,
            finished: false,
            failed: false,
            last_read_signal: tx,
            closing: None,
        };
        (r, rx)
    }

    /// A body left unread when `closing` is set (the answer closed the connection) is
    /// not drained: there is no next request to reach.
    pub(crate) fn no_drain_when(mut self, closing: Option<Arc<Closing>>) -> Self {
        self.closing = closing;
        self
    }

    /// One byte of framing.
    fn framing_byte(&mut self) -> IoResult<u8> {
        if self.budget == 0 {
            return Err(invalid(
                "chunked request body: chunk-size line or trailer section too long",
            ));
        }
        let mut byte = [0u8];
        loop {
            match self.source.read(&mut byte) {
                Ok(0) => return Err(cut_short()),
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(plain(e)),
            }
        }
        self.budget -= 1;
        Ok(byte[0])
    }

    /// The CRLF that ends a line (a bare LF is refused, as in the head).
    fn crlf(&mut self, first: u8) -> IoResult<()> {
        if first == b'\r' && self.framing_byte()? == b'\n' {
            Ok(())
        } else {
            Err(invalid(
                "chunked request body: a line does not end with CRLF",
            ))
        }
    }

    /// `chunk-size [ chunk-ext ] CRLF`: hex digits, then optional extensions
    /// (ignored), which must start with `;` after optional whitespace.
    fn chunk_size(&mut self) -> IoResult<usize> {
        let mut size: usize = 0;
        let mut digits = 0;
        let mut byte = self.framing_byte()?;
        while let Some(digit) = (byte as char).to_digit(16) {
            size = size
                .checked_mul(16)
                .and_then(|s| s.checked_add(digit as usize))
                .ok_or_else(|| invalid("chunked request body: chunk size too large"))?;
            digits += 1;
            byte = self.framing_byte()?;
        }
        if digits == 0 {
            return Err(invalid("chunked request body: invalid chunk size"));
        }
        while byte == b' ' || byte == b'\t' {
            byte = self.framing_byte()?;
        }
        if byte == b';' {
            // extensions: anything up to CR, except other control characters
            while byte != b'\r' {
                if (byte < 0x20 && byte != b'\t') || byte == 0x7f {
                    return Err(invalid("chunked request body: invalid chunk extension"));
                }
                byte = self.framing_byte()?;
            }
        }
        self.crlf(byte)?;
        Ok(size)
    }

    /// The trailer section after the last chunk: field lines up to an empty line. They
    /// are read and ignored (RFC 9112 7.1.2 lets a recipient discard them).
    fn trailers(&mut self) -> IoResult<()> {
        loop {
            let first = self.framing_byte()?;
            if first == b'\r' {
                return self.crlf(first);
            }
            let mut byte = first;
            while byte != b'\r' {
                if (byte < 0x20 && byte != b'\t') || byte == 0x7f {
                    return Err(invalid("chunked request body: invalid trailer field"));
                }
                byte = self.framing_byte()?;
            }
            self.crlf(byte)?;
        }
    }

    fn decode(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        let left = match self.in_chunk {
            Some(left) => left,
            None => {
                let size = self.chunk_size()?;
                if size == 0 {
                    self.trailers()?;
                    self.finished = true;
                    return Ok(0);
                }
                size
            }
        };
        let len = buf.len().min(left);
        let read = loop {
            match self.source.read(&mut buf[..len]) {
                Ok(0) => return Err(cut_short()),
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(plain(e)),
            }
        };
        if read == left {
            self.in_chunk = None;
            let byte = self.framing_byte()?;
            self.crlf(byte)?;
        } else {
            self.in_chunk = Some(left - read);
        }
        Ok(read)
    }
}

impl<R: Read> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        if self.finished || buf.is_empty() {
            return Ok(0);
        }
        if self.failed {
            return Err(invalid("chunked request body: earlier read failed"));
        }
        self.budget = MAX_CHUNK_FRAMING;
        self.decode(buf).inspect_err(|_| self.failed = true)
    }
}

impl<R: Read> Drop for ChunkedReader<R> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let result = if self.failed {
            Err(abandoned("chunked request body read failed"))
        } else if is_closing(&self.closing) {
            Err(abandoned("the connection is closing"))
        } else {
            drain(self, MAX_DRAIN_BYTES)
        };
        self.last_read_signal.send(result).ok();
    }
}

#[cfg(test)]
mod tests {
    use super::ChunkedReader;
    use std::io::{Cursor, Read};

    #[test]
    fn decodes_and_stops_at_end() {
        let mut src = Cursor::new(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT".to_vec());
        let mut body = String::new();
        let rx = {
            let (mut r, rx) = ChunkedReader::new(src.by_ref());
            r.read_to_string(&mut body).unwrap();
            rx
        };
        assert_eq!(body, "hello world");
        assert!(rx.try_recv().is_err()); // finished: nothing to signal
        let mut rest = String::new();
        src.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "NEXT");
    }

    #[test]
    fn unread_small_body_is_drained() {
        let mut src = Cursor::new(b"5\r\nhello\r\n0\r\n\r\nNEXT".to_vec());
        let rx = {
            let (r, rx) = ChunkedReader::new(src.by_ref());
            drop(r);
            rx
        };
        assert!(rx.recv().unwrap().is_ok());
        let mut rest = String::new();
        src.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "NEXT");
    }

    #[test]
    fn unread_big_body_is_abandoned() {
        let mut data = Vec::new();
        for _ in 0..40 {
            data.extend_from_slice(b"10000\r\n"); // 64 KiB chunks, 2.5 MiB in all
            data.extend_from_slice(&[b'a'; 0x10000]);
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b"0\r\n\r\n");
        let mut src = Cursor::new(data);
        let rx = {
            let (r, rx) = ChunkedReader::new(src.by_ref());
            drop(r);
            rx
        };
        assert!(rx.recv().unwrap().is_err());
        assert!(src.position() < 2 * 1024 * 1024);
    }

    #[test]
    fn a_body_cut_short_is_an_error() {
        for cut in [
            &b"5\r\nab"[..],
            b"5\r\nhello\r\n",
            b"5\r\nhello\r\n0\r\n",
            b"5\r",
        ] {
            let (mut r, rx) = ChunkedReader::new(Cursor::new(cut.to_vec()));
            let mut body = Vec::new();
            assert!(r.read_to_end(&mut body).is_err(), "{:?}", cut);
            drop(r);
            assert!(rx.recv().unwrap().is_err());
        }
    }

    #[test]
    fn endless_chunk_size_line_is_an_error() {
        let src = Cursor::new(vec![b'1'; 1024 * 1024]);
        let (mut r, rx) = ChunkedReader::new(src);
        let mut buf = [0u8; 100];
        assert!(r.read(&mut buf).is_err());
        assert!(r.read(&mut buf).is_err()); // stays failed
        drop(r);
        assert!(rx.recv().unwrap().is_err());
    }

    #[test]
    fn trailers_are_accepted_and_ignored() {
        let mut src = Cursor::new(b"5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\nNEXT".to_vec());
        let mut body = String::new();
        {
            let (mut r, _) = ChunkedReader::new(src.by_ref());
            r.read_to_string(&mut body).unwrap();
        }
        assert_eq!(body, "hello");
        let mut rest = String::new();
        src.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "NEXT");
    }

    #[test]
    fn extensions_are_ignored() {
        let src = Cursor::new(b"5 ;name=value\r\nhello\r\n0;x\r\n\r\n".to_vec());
        let (mut r, _) = ChunkedReader::new(src);
        let mut body = String::new();
        r.read_to_string(&mut body).unwrap();
        assert_eq!(body, "hello");
    }

    #[test]
    fn sloppy_framing_is_an_error() {
        for bad in [
            &b"+5\r\nhello\r\n0\r\n\r\n"[..],
            b" 5\r\nhello\r\n0\r\n\r\n",
            b"5 x\r\nhello\r\n0\r\n\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5\r\nhelloXX0\r\n\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b"fffffffffffffffffffff\r\n",
        ] {
            let (mut r, _) = ChunkedReader::new(Cursor::new(bad.to_vec()));
            let mut body = Vec::new();
            assert!(
                r.read_to_end(&mut body).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
