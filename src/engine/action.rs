//! A cycle's action behind one seam: whatever it is, the worker prepares
//! it, starts it and waits for its [`Finished`] outcome. The execution
//! (cycle, commit or rollback, error policy, the operation) does not know
//! what it was.

use std::time::Duration;

use super::command::{self, Invocation};

/// One cycle's work for the worker.
pub enum Job<'a> {
    /// Run a command with the event on stdin.
    Run(Invocation<'a>),
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
        }
    }
}

/// A job as the worker gets it: ready to start, or ended before it could.
pub(super) enum Ready {
    Command(command::Ready),
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
        Job::NotRun(error) => Ready::Ended(Finished::not_run(error, Duration::ZERO)),
    }
}

/// An action started, until it ends.
pub(super) enum Running {
    Command(command::Running),
}

/// Start a job; `Err` with its end when there is nothing to wait for.
pub(super) fn start(ready: Ready) -> Result<Running, Finished> {
    match ready {
        Ready::Command(ready) => command::start(ready).map(Running::Command),
        Ready::Ended(finished) => Err(finished),
    }
}

impl Running {
    /// Wait for the action to end.
    pub(super) fn wait(self) -> Finished {
        match self {
            Running::Command(running) => running.wait(),
        }
    }
}

/// Run a job to its end, on the calling thread.
#[cfg(test)]
pub(super) fn run(job: Job<'_>) -> Finished {
    match start(prepare(job)) {
        Ok(running) => running.wait(),
        Err(finished) => finished,
    }
}
