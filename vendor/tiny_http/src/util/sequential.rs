use std::io::Result as IoResult;
use std::io::{Error as IoError, ErrorKind, Read, Write};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::channel;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

use std::mem;

/// hookq: the "closing" state of a connection, shared by its readers, writers, body
/// readers and requests. Set once an answer that closes the connection is out: the
/// body is then not drained, the next reader drops the stream instead of reading a
/// request, and later answers are not written.
pub struct Closing {
    set: AtomicBool,
    // ends the reading side of the socket, to wake a reader already blocked on it
    on_close: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Closing {
    pub fn new(on_close: impl FnOnce() + Send + 'static) -> Closing {
        Closing {
            set: AtomicBool::new(false),
            on_close: Mutex::new(Some(Box::new(on_close))),
        }
    }

    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }

    /// Marks the connection as closing, without touching the socket.
    pub fn mark(&self) {
        self.set.store(true, Ordering::Release);
    }

    /// Marks the connection as closing, and ends the reading side of its socket: a
    /// reader blocked on it (waiting for a next request that was read ahead of this
    /// answer) sees the end of the stream at once instead of waiting for the client.
    pub fn close(&self) {
        self.mark();
        let on_close = self.on_close.lock().ok().and_then(|mut f| f.take());
        if let Some(on_close) = on_close {
            on_close();
        }
    }
}

pub struct SequentialReaderBuilder<R>
where
    R: Read + Send,
{
    inner: SequentialReaderBuilderInner<R>,
}

enum SequentialReaderBuilderInner<R>
where
    R: Read + Send,
{
    First(R),
    NotFirst(Receiver<R>),
}

pub struct SequentialReader<R>
where
    R: Read + Send,
{
    inner: SequentialReaderInner<R>,
    next: Sender<R>,
    // hookq: signal sent by the body reader of the previous request when it is dropped
    // (see `EqualReader`/`ChunkedReader`). An `Err` means that body was abandoned half
    // read: the stream position is unknown, so this reader must fail instead of letting
    // the rest of that body be parsed as the next request.
    previous_body: Option<Receiver<IoResult<()>>>,
    // hookq: set once an answer that closes the connection has gone out (see
    // `ClientConnection`); the stream is then dropped instead of read for a next request.
    closing: Option<Arc<Closing>>,
}

enum SequentialReaderInner<R>
where
    R: Read + Send,
{
    MyTurn(R),
    Waiting(Receiver<R>),
    Empty,
}

pub struct SequentialWriterBuilder<W>
where
    W: Write + Send,
{
    writer: Arc<Mutex<W>>,
    next_trigger: Option<Receiver<()>>,
    // hookq: see `SequentialWriter::closing`
    closing: Option<Arc<Closing>>,
}

pub struct SequentialWriter<W>
where
    W: Write + Send,
{
    trigger: Option<Receiver<()>>,
    writer: Arc<Mutex<W>>,
    on_finish: Sender<()>,
    // hookq: set once an answer that closes the connection has gone out: no later
    // answer may follow it on the connection (a client may have pipelined requests
    // that were read before that answer was written).
    closing: Option<Arc<Closing>>,
}

impl<R: Read + Send> SequentialReaderBuilder<R> {
    pub fn new(reader: R) -> SequentialReaderBuilder<R> {
        SequentialReaderBuilder {
            inner: SequentialReaderBuilderInner::First(reader),
        }
    }
}

impl<W: Write + Send> SequentialWriterBuilder<W> {
    pub fn new(writer: W) -> SequentialWriterBuilder<W> {
        SequentialWriterBuilder {
            writer: Arc::new(Mutex::new(writer)),
            next_trigger: None,
            closing: None, // hookq
        }
    }

    /// hookq: the writer all `SequentialWriter`s share, to reach the socket.
    pub fn shared_writer(&self) -> &Arc<Mutex<W>> {
        &self.writer
    }

    /// hookq: writers made from now on write nothing once `closing` is set.
    pub fn set_closing(&mut self, closing: Arc<Closing>) {
        self.closing = Some(closing);
    }
}

impl<R: Read + Send> Iterator for SequentialReaderBuilder<R> {
    type Item = SequentialReader<R>;

    fn next(&mut self) -> Option<SequentialReader<R>> {
        let (tx, rx) = channel();

        let inner = mem::replace(&mut self.inner, SequentialReaderBuilderInner::NotFirst(rx));

        match inner {
            SequentialReaderBuilderInner::First(reader) => Some(SequentialReader {
                inner: SequentialReaderInner::MyTurn(reader),
                next: tx,
                previous_body: None, // hookq
                closing: None,       // hookq
            }),

            SequentialReaderBuilderInner::NotFirst(previous) => Some(SequentialReader {
                inner: SequentialReaderInner::Waiting(previous),
                next: tx,
                previous_body: None, // hookq
                closing: None,       // hookq
            }),
        }
    }
}

impl<W: Write + Send> Iterator for SequentialWriterBuilder<W> {
    type Item = SequentialWriter<W>;
    fn next(&mut self) -> Option<SequentialWriter<W>> {
        let (tx, rx) = channel();
        let mut next_next_trigger = Some(rx);
        ::std::mem::swap(&mut next_next_trigger, &mut self.next_trigger);

        Some(SequentialWriter {
            trigger: next_next_trigger,
            writer: self.writer.clone(),
            on_finish: tx,
            closing: self.closing.clone(), // hookq
        })
    }
}

// hookq: error returned by a `SequentialReader` whose predecessor abandoned the stream.
fn abandoned_stream_error() -> IoError {
    IoError::new(
        ErrorKind::ConnectionAborted,
        "previous request body was not fully read; connection closed",
    )
}

impl<R: Read + Send> SequentialReader<R> {
    /// hookq: registers the "last read" signal of the body reader that precedes this
    /// reader on the stream; it is checked when this reader gets its turn.
    pub fn set_previous_body_signal(&mut self, signal: Receiver<IoResult<()>>) {
        self.previous_body = Some(signal);
    }

    /// hookq: when this reader gets its turn and `closing` is set, it drops the stream
    /// and fails, without reading: the connection ends at once, even if the client sent
    /// (or would send) another request.
    pub fn set_closing(&mut self, closing: Arc<Closing>) {
        self.closing = Some(closing);
    }
}

// hookq: error of a write after an answer that closed the connection.
fn closing_error() -> IoError {
    IoError::new(
        ErrorKind::ConnectionAborted,
        "an earlier answer closed the connection",
    )
}

impl<R: Read + Send> Read for SequentialReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        let mut reader = match self.inner {
            SequentialReaderInner::MyTurn(ref mut reader) => return reader.read(buf),
            // hookq: the predecessor may have dropped the stream instead of handing it
            // over (abandoned body, see below): fail instead of panicking.
            SequentialReaderInner::Waiting(ref mut recv) => match recv.recv() {
                Ok(reader) => reader,
                Err(_) => {
                    self.inner = SequentialReaderInner::Empty;
                    return Err(abandoned_stream_error());
                }
            },
            // hookq: `Empty` now also means "poisoned": fail instead of `unreachable!()`.
            SequentialReaderInner::Empty => return Err(abandoned_stream_error()),
        };

        // hookq: the previous body reader sends its signal before handing the stream
        // over, so it is already there if it was sent at all. On `Err`, drop the stream
        // (closing its read half) and stay `Empty`, so that every later reader fails too.
        let closing = self.closing.as_ref().is_some_and(|c| c.is_set());
        if closing
            || matches!(
                self.previous_body.take().map(|rx| rx.try_recv()),
                Some(Ok(Err(_)))
            )
        {
            self.inner = SequentialReaderInner::Empty;
            drop(reader);
            return Err(abandoned_stream_error());
        }

        let result = reader.read(buf);
        self.inner = SequentialReaderInner::MyTurn(reader);
        result
    }
}

impl<W: Write + Send> Write for SequentialWriter<W> {
    fn write(&mut self, buf: &[u8]) -> IoResult<usize> {
        if let Some(v) = self.trigger.as_mut() {
            v.recv().unwrap()
        }
        self.trigger = None;
        self.check_closing()?; // hookq

        self.writer.lock().unwrap().write(buf)
    }

    fn flush(&mut self) -> IoResult<()> {
        if let Some(v) = self.trigger.as_mut() {
            v.recv().unwrap()
        }
        self.trigger = None;
        self.check_closing()?; // hookq

        self.writer.lock().unwrap().flush()
    }
}

impl<W: Write + Send> SequentialWriter<W> {
    // hookq: the answer that closes the connection sets the flag only after its last
    // write and flush, so only the answers after it fail here.
    fn check_closing(&self) -> IoResult<()> {
        match self.closing {
            Some(ref c) if c.is_set() => Err(closing_error()),
            _ => Ok(()),
        }
    }
}

impl<R> Drop for SequentialReader<R>
where
    R: Read + Send,
{
    fn drop(&mut self) {
        let inner = mem::replace(&mut self.inner, SequentialReaderInner::Empty);

        match inner {
            SequentialReaderInner::MyTurn(reader) => {
                self.next.send(reader).ok();
            }
            SequentialReaderInner::Waiting(recv) => {
                // hookq: no panic if the predecessor abandoned the stream; dropping
                // `self.next` then propagates the abandonment to the following reader.
                if let Ok(reader) = recv.recv() {
                    self.next.send(reader).ok();
                }
            }
            SequentialReaderInner::Empty => (),
        }
    }
}

impl<W> Drop for SequentialWriter<W>
where
    W: Write + Send,
{
    fn drop(&mut self) {
        self.on_finish.send(()).ok();
    }
}
