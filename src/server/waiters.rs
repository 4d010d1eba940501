//! Callers waiting for their event's cycle (`--respond`, SPEC §6). A waiting
//! request holds a channel, never a database connection or a lock.

use std::collections::HashMap;
use std::sync::mpsc::SyncSender;
use std::sync::Mutex;

/// How the cycle of a caller's event ended.
#[derive(Debug)]
pub(crate) struct CycleOutcome {
    pub(crate) ok: bool,
    pub(crate) stdout: Vec<u8>,
    pub(crate) error: Option<String>,
    /// A forwarding scenario's target answered: its status and headers
    /// (its body is `stdout`), passed to the caller as they are.
    pub(crate) http: Option<(u16, Vec<(String, String)>)>,
}

/// A request waiting for its event's cycle.
struct Waiting {
    hook_id: i64,
    answer: SyncSender<CycleOutcome>,
}

#[derive(Default)]
struct State {
    /// event id → the request waiting for it.
    waiting: HashMap<i64, Waiting>,
    /// False once the server stops: no new caller waits.
    taking: bool,
}

pub struct Waiters {
    state: Mutex<State>,
}

impl Default for Waiters {
    fn default() -> Self {
        Self::new()
    }
}

impl Waiters {
    pub fn new() -> Self {
        Waiters {
            state: Mutex::new(State {
                waiting: HashMap::new(),
                taking: true,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait for this event's cycle. Called before the event is committed, so
    /// no cycle can end unseen. False once the server is stopping.
    pub(crate) fn register(
        &self,
        event_id: i64,
        hook_id: i64,
        answer: SyncSender<CycleOutcome>,
    ) -> bool {
        let mut state = self.state();
        if state.taking {
            state.waiting.insert(event_id, Waiting { hook_id, answer });
        }
        state.taking
    }

    /// A cycle ended: answer its caller, if one waits.
    pub fn complete(
        &self,
        event_id: i64,
        ok: bool,
        stdout: &[u8],
        error: Option<&str>,
        http: Option<(u16, &[(String, String)])>,
    ) {
        let answer = self.state().waiting.remove(&event_id);
        if let Some(Waiting { answer, .. }) = answer {
            let _ = answer.try_send(CycleOutcome {
                ok,
                stdout: stdout.to_vec(),
                error: error.map(str::to_owned),
                http: http.map(|(status, headers)| (status, headers.to_vec())),
            });
        }
    }

    /// The caller stopped waiting (timeout).
    pub(crate) fn cancel(&self, event_id: i64) {
        self.state().waiting.remove(&event_id);
    }

    /// Release at once (`200 Accepted`, the event staying queued) the
    /// callers of every hook whose scenario no longer answers: deactivated
    /// by its error policy or by hand, edited, or deleted. Otherwise they
    /// would be held until their timeout (5 minutes by default) for a
    /// cycle that this server will not run.
    pub(crate) fn release_unless(&self, answers: impl Fn(i64) -> bool) {
        self.state().waiting.retain(|_, w| answers(w.hook_id));
    }

    /// Whether any caller waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.state().waiting.is_empty()
    }

    /// The server is stopping: callers already waiting go on waiting (for
    /// a cycle under way), new ones are answered at once.
    pub(crate) fn stop_taking(&self) {
        self.state().taking = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{sync_channel, TryRecvError};

    #[test]
    fn callers_of_a_hook_that_no_longer_answers_are_released() {
        let waiters = Waiters::new();
        let (kept, kept_rx) = sync_channel(1);
        let (released, released_rx) = sync_channel(1);
        assert!(waiters.register(1, 10, kept));
        assert!(waiters.register(2, 20, released));
        waiters.release_unless(|hook| hook == 10);
        assert_eq!(
            released_rx.try_recv().err(),
            Some(TryRecvError::Disconnected)
        );
        assert_eq!(kept_rx.try_recv().err(), Some(TryRecvError::Empty));
        waiters.complete(1, true, b"done", None, None);
        assert_eq!(kept_rx.try_recv().unwrap().stdout, b"done");
        assert!(waiters.is_empty());
    }

    #[test]
    fn a_stopping_server_keeps_its_waiting_callers_and_takes_no_new_one() {
        let waiters = Waiters::new();
        let (waiting, waiting_rx) = sync_channel(1);
        let (late, late_rx) = sync_channel(1);
        assert!(waiters.register(1, 10, waiting));
        waiters.stop_taking();
        assert!(!waiters.register(2, 10, late));
        assert_eq!(late_rx.try_recv().err(), Some(TryRecvError::Disconnected));
        waiters.complete(1, true, b"answer", None, None);
        assert_eq!(waiting_rx.try_recv().unwrap().stdout, b"answer");
    }
}
