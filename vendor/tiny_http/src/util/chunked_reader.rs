//! hookq: this whole file is a hookq addition (not in upstream tiny_http 0.12.0).
//!
//! Upstream wrapped a chunked request body in a bare `chunked_transfer::Decoder`, which
//! has two problems with hostile input:
//!
//! - it collects a chunk-size line (and skips chunk extensions) without any length
//!   limit, so an endless chunk-size line grows a buffer until the process runs out of
//!   memory, whether the application reads the body or not;
//! - it is not drained when dropped: if the application answered without reading the
//!   body, the rest of the body was parsed as the next request on the connection.
//!
//! `ChunkedReader` limits the framing the decoder may consume per read, drains an
//! unread body on drop with the same bounds as `EqualReader`, and otherwise signals
//! on `last_read_signal` that the connection must be closed.

use std::io::Result as IoResult;
use std::io::{Error as IoError, ErrorKind, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

use chunked_transfer::Decoder;

use super::equal_reader::{abandoned, drain, MAX_DRAIN_BYTES};

/// hookq: bytes of chunk framing (chunk-size line, extensions, CRLFs) the decoder may
/// consume on top of the payload bytes it returns from one `read` call.
const MAX_CHUNK_FRAMING: usize = 8 * 1024;

/// Reader between the decoder and the connection that lets through at most `budget`
/// bytes, after which it fails. Refilled before each call to the decoder. (The budget
/// is shared rather than reached through `Decoder::get_mut`, which older
/// `chunked_transfer` 1.x releases lack.) It also notes when the connection ended:
/// the decoder returns `Ok(0)` both after the last chunk and when the connection ends
/// inside a chunk, and only the second reads the connection to its end.
struct Budget<R> {
    inner: R,
    budget: Arc<AtomicUsize>,
    ended: Arc<AtomicBool>,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        let budget = self.budget.load(Ordering::Relaxed);
        if budget == 0 {
            return Err(IoError::new(
                ErrorKind::InvalidData,
                "chunked request body: chunk-size line too long",
            ));
        }
        let len = buf.len().min(budget);
        let read = self.inner.read(&mut buf[..len])?;
        if read == 0 && len > 0 {
            self.ended.store(true, Ordering::Relaxed);
        }
        self.budget.store(budget - read, Ordering::Relaxed);
        Ok(read)
    }
}

/// Reader of a `Transfer-Encoding: chunked` request body.
pub struct ChunkedReader<R: Read> {
    decoder: Decoder<Budget<R>>,
    budget: Arc<AtomicUsize>,
    // the connection ended (see `Budget`)
    ended: Arc<AtomicBool>,
    // the decoder returned the end of the body
    finished: bool,
    // a read failed: the decoder's state is unknown, the body can't be trusted any more
    failed: bool,
    last_read_signal: Sender<IoResult<()>>,
}

impl<R: Read> ChunkedReader<R> {
    pub fn new(reader: R) -> (ChunkedReader<R>, Receiver<IoResult<()>>) {
        let (tx, rx) = channel();
        let budget = Arc::new(AtomicUsize::new(0));
        let ended = Arc::new(AtomicBool::new(false));
        let r = ChunkedReader {
            decoder: Decoder::new(Budget {
                inner: reader,
                budget: budget.clone(),
                ended: ended.clone(),
            }),
            budget,
            ended,
            finished: false,
            failed: false,
            last_read_signal: tx,
        };
        (r, rx)
    }
}

impl<R: Read> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        if self.finished {
            return Ok(0);
        }
        if self.failed {
            return Err(IoError::new(
                ErrorKind::InvalidData,
                "chunked request body: earlier read failed",
            ));
        }
        // payload bytes are at most `buf.len()`; anything beyond is framing
        self.budget.store(
            buf.len().saturating_add(MAX_CHUNK_FRAMING),
            Ordering::Relaxed,
        );
        match self.decoder.read(buf) {
            // the connection ended inside a chunk: an error, not the end of the body
            Ok(0) if !buf.is_empty() && self.ended.load(Ordering::Relaxed) => {
                self.failed = true;
                Err(IoError::new(
                    ErrorKind::UnexpectedEof,
                    "the connection closed before the end of the chunked request body",
                ))
            }
            Ok(0) if !buf.is_empty() => {
                self.finished = true;
                Ok(0)
            }
            Ok(n) => Ok(n),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}

impl<R: Read> Drop for ChunkedReader<R> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let result = if self.failed {
            Err(abandoned("chunked request body read failed"))
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
}
