//! Stopping the server: what stops in which order, and why.
//!
//! 1. **No new work.** Requests not yet started get 503 (`Retry-After: 1`,
//!    `Connection: close`), and the listener closes: from here on nothing
//!    new can be acknowledged, so the rest only has to finish what was.
//! 2. **Finish what was accepted.** Requests in progress are read,
//!    committed and answered, for up to the grace period. Callers waiting
//!    for a `--respond` cycle that is under way keep waiting for its
//!    answer, however long it takes (the process waits for the scheduler to
//!    finish that cycle anyway); the others are answered now (200
//!    Accepted, their events staying queued). Past the grace period the
//!    server returns without the requests still in progress (slow clients):
//!    nothing they could lose was acknowledged, and their handle on what is
//!    shared keeps the writer going while their threads end with the
//!    process.
//! 3. **The refresher ends**, then **the writer drains and ends** once the
//!    last handle on what the connections share goes: the writer is last
//!    because every acknowledged event passes through it.

use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use tiny_http::{Header, Response};

use super::{RunsHook, Shared, Waiters};
use crate::clock;
use crate::shutdown::Shutdown;

/// How often a stopping server looks whether its threads have ended.
const JOIN_POLL: Duration = Duration::from_millis(20);

/// At a stop, how long requests whose callers were just answered (their
/// cycle ended after the grace period) have to send the answer.
const ANSWER_AFTER_GRACE: Duration = Duration::from_secs(1);

/// Requests being handled, and whether new ones may start: a stop waits for
/// the count to reach zero (within the grace period).
#[derive(Default)]
pub(super) struct InProgress(Mutex<Progress>);

#[derive(Default)]
struct Progress {
    count: usize,
    stopping: bool,
}

/// A request in progress, until dropped.
pub(super) struct Handling<'a>(&'a InProgress);

impl InProgress {
    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `None` once the server is stopping.
    pub(super) fn enter(&self) -> Option<Handling<'_>> {
        let mut progress = self.lock();
        if progress.stopping {
            return None;
        }
        progress.count += 1;
        Some(Handling(self))
    }

    fn stop(&self) {
        self.lock().stopping = true;
    }

    fn count(&self) -> usize {
        self.lock().count
    }
}

impl Drop for Handling<'_> {
    fn drop(&mut self) {
        self.0.lock().count -= 1;
    }
}

/// A request that arrives on an open connection once the server stops.
pub(super) fn refuse_stopping(request: tiny_http::Request) {
    let response = Response::from_string("The server is stopping; retry shortly.")
        .with_status_code(503)
        .with_header(Header::from_bytes("Retry-After", "1").expect("a valid header"))
        .with_header(Header::from_bytes("Connection", "close").expect("a valid header"));
    let _ = request.respond(response);
}

/// A running server.
pub struct Running {
    pub(super) addr: std::net::SocketAddr,
    pub(super) shutdown: Arc<Shutdown>,
    /// The callers waiting for their cycle, and which hooks' scenarios run.
    pub(super) waiting: Option<(Arc<Waiters>, RunsHook)>,
    pub(super) grace: Duration,
    /// Dropped at a stop: no connection is accepted after it.
    pub(super) http: Arc<tiny_http::Server>,
    pub(super) shared: Arc<Shared>,
    pub(super) refresher: JoinHandle<()>,
    pub(super) writer_thread: JoinHandle<()>,
}

impl Running {
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Stop: no new connection is accepted, a new request on an open one
    /// gets 503, the ones in progress are answered, the last batch is
    /// committed. Requests still in progress after the grace period (slow
    /// clients) are left unanswered: the server returns without them, their
    /// threads ending with the process. Nothing they could lose was
    /// acknowledged.
    pub fn stop(self) -> Result<()> {
        self.shutdown.stop();
        self.join()
    }

    /// Block until its shutdown is signalled, then finish as `stop`.
    pub(crate) fn wait(self) -> Result<()> {
        self.shutdown.wait();
        self.join()
    }

    fn join(self) -> Result<()> {
        let Running {
            shutdown: _,
            addr: _,
            waiting,
            grace,
            http,
            shared,
            refresher,
            writer_thread,
        } = self;
        // 1. No new work.
        shared.requests.stop();
        drop(http);
        // 2. Finish what was accepted.
        if let Some(in_progress) = finish_requests(&shared, waiting.as_ref(), grace) {
            // Their handle on what is shared keeps the writer going
            // meanwhile.
            crate::output::note(format_args!(
                "{} stopping without {in_progress} request(s) still in progress after {grace:?}",
                clock::format(clock::system_now()),
            ));
            return Ok(());
        }
        // 3. The refresher, then the writer.
        refresher
            .join()
            .map_err(|_| anyhow!("a server thread panicked"))?;
        // With the last handle on what is shared (a connection that is just
        // being refused may hold one a moment longer), the writer's goes:
        // it drains and ends.
        drop(shared);
        writer_thread
            .join()
            .map_err(|_| anyhow!("the writer thread panicked"))
    }
}

/// Wait for the requests in progress to end, answering the callers that
/// wait for no cycle under way. `None` once none is left; the number still
/// in progress if the grace period ran out first.
fn finish_requests(
    shared: &Shared,
    mut waiting: Option<&(Arc<Waiters>, RunsHook)>,
    grace: Duration,
) -> Option<usize> {
    if let Some((waiters, _)) = waiting {
        waiters.stop_taking();
    }
    let mut deadline = Instant::now() + grace;
    loop {
        if let Some((waiters, runs_hook)) = waiting {
            waiters.release_unless(|hook| runs_hook(hook));
        }
        let in_progress = shared.requests.count();
        if in_progress == 0 {
            return None;
        }
        if Instant::now() >= deadline {
            if let Some((waiters, _)) = waiting {
                if !waiters.is_empty() {
                    // Only callers of a cycle under way are left.
                    thread::sleep(JOIN_POLL);
                    continue;
                }
                // The last answers may still be on their way out.
                waiting = None;
                deadline = Instant::now() + ANSWER_AFTER_GRACE;
                continue;
            }
            return Some(in_progress);
        }
        thread::sleep(JOIN_POLL);
    }
}
