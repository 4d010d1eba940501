//! A stop signal shared by the threads of a long-running process (the
//! server's request threads, the scheduler, executions), set by SIGINT or
//! SIGTERM.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// A stop signal that threads can wait on.
#[derive(Default)]
pub struct Shutdown {
    stopped: Mutex<bool>,
    changed: Condvar,
}

impl Shutdown {
    pub(crate) fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.changed.notify_all();
    }

    pub(crate) fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until stopped or `timeout` passed; true if stopped.
    pub(crate) fn wait_timeout(&self, timeout: Duration) -> bool {
        let stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let (stopped, _) = self
            .changed
            .wait_timeout_while(stopped, timeout, |stopped| !*stopped)
            .unwrap_or_else(|e| e.into_inner());
        *stopped
    }

    pub(crate) fn wait(&self) {
        let stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let _stopped = self
            .changed
            .wait_while(stopped, |stopped| !*stopped)
            .unwrap_or_else(|e| e.into_inner());
    }
}
