//! A cycle's action behind one seam: whatever it is, the worker prepares
//! it, starts it and waits for its [`Finished`] outcome. The execution
//! (cycle, commit or rollback, error policy, the operation) does not know
//! what it was.

use std::time::Duration;

use super::command::{self, Invocation};
use super::deliver::{self, Around, Delivery, Seat};
use super::tail;

/// One cycle's work for the worker.
pub enum Job<'a> {
    /// Run a command with the event on stdin.
    Run(Invocation<'a>),
    /// Deliver the event to a URL (a forwarding scenario).
    Deliver(Delivery<'a>),
    /// Nothing to run: the cycle failed before its action, with this error.
    NotRun(&'static str),
}

/// How an action ended.
#[derive(Debug)]
pub struct Finished {
    /// `None` when the command did not run, or ended by a signal.
    pub exit_code: Option<i32>,
    /// Why the cycle failed, or `None` if it succeeded.
    pub error: Option<String>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub duration: Duration,
    /// A delivery's answer (its body is `stdout`), if one came.
    pub http: Option<Box<HttpAnswer>>,
    /// The action never reached an outcome (a shutdown while the delivery
    /// waited for its target): the event goes back to the queue, and no
    /// error is counted against the scenario.
    pub interrupted: bool,
}

/// The answer of a delivery's target.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The request's method and URL, for the log line.
    pub method: String,
    pub url: String,
}

impl Finished {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// A cycle that failed before its action could start.
    pub fn not_run(error: impl Into<String>, duration: Duration) -> Finished {
        Finished {
            exit_code: None,
            error: Some(error.into()),
            stdout: Vec::new(),
            stderr: Vec::new(),
            duration,
            http: None,
            interrupted: false,
        }
    }

    /// What the operation keeps of stdout: a command's last 64 KiB, an
    /// answer's first (a body is read from its start).
    pub fn kept_stdout(&self) -> &[u8] {
        match self.http {
            Some(_) => &self.stdout[..self.stdout.len().min(tail::TAIL)],
            None => tail::tail(&self.stdout),
        }
    }
}

/// A job as the worker gets it: ready to start, or ended before it could.
pub(super) enum Ready {
    Command(command::Ready),
    Delivery(deliver::Ready),
    Ended(Finished),
}

/// Everything a job's start needs that can be done beforehand, on the
/// execution's thread while the worker is busy with the job before.
pub(super) fn prepare(job: Job<'_>) -> Ready {
    match job {
        Job::Run(invocation) => match command::prepare(invocation) {
            Ok(ready) => Ready::Command(ready),
            Err(finished) => Ready::Ended(finished),
        },
        Job::Deliver(delivery) => match deliver::prepare(delivery) {
            Ok(ready) => Ready::Delivery(ready),
            Err(finished) => Ready::Ended(finished),
        },
        Job::NotRun(error) => Ready::Ended(Finished::not_run(error, Duration::ZERO)),
    }
}

/// An action started, until it ends.
pub(super) enum Running {
    Command(command::Running),
    /// Sent when waited for: the worker has nothing else to do meanwhile.
    Delivery(deliver::Ready),
}

/// Start a job; `Err` with its end when there is nothing to wait for.
pub(super) fn start(ready: Ready) -> Result<Running, Finished> {
    match ready {
        Ready::Command(ready) => command::start(ready).map(Running::Command),
        Ready::Delivery(ready) => Ok(Running::Delivery(ready)),
        Ready::Ended(finished) => Err(finished),
    }
}

impl Running {
    /// Wait for the action to end. A delivery uses (and keeps) the
    /// worker's connection in `seat`.
    pub(super) fn wait(self, seat: &mut Seat, around: &Around<'_>) -> Finished {
        match self {
            Running::Command(running) => running.wait(),
            Running::Delivery(ready) => ready.deliver(seat, around),
        }
    }
}

/// Run a job to its end, on the calling thread.
#[cfg(test)]
pub(super) fn run(job: Job<'_>) -> Finished {
    let around = Around {
        stopping: &|| false,
        waiting: &|_| {},
    };
    match start(prepare(job)) {
        Ok(running) => running.wait(&mut Seat::default(), &around),
        Err(finished) => finished,
    }
}
