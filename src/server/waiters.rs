//! Callers waiting for their event's cycle (`--respond`, SPEC §6). A waiting
//! request holds a channel, never a database connection or a lock.

use std::collections::HashMap;
use std::sync::mpsc::SyncSender;
use std::sync::Mutex;

/// How the cycle of a caller's event ended.
#[derive(Debug)]
pub struct CycleOutcome {
    pub ok: bool,
    pub stdout: Vec<u8>,
    pub error: Option<String>,
}

/// A request waiting for its event's cycle.
struct Waiting {
    hook_id: i64,
    answer: SyncSender<CycleOutcome>,
}

#[derive(Default)]
pub struct Waiters {
    /// event id → the request waiting for it. `None` once closed.
    waiting: Mutex<Option<HashMap<i64, Waiting>>>,
}

impl Waiters {
    pub fn new() -> Self {
        Waiters {
            waiting: Mutex::new(Some(HashMap::new())),
        }
    }

    /// Wait for this event's cycle. Called before the event is committed, so
    /// no cycle can end unseen. False once the server is stopping.
    pub fn register(&self, event_id: i64, hook_id: i64, answer: SyncSender<CycleOutcome>) -> bool {
        match &mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(waiting) => {
                waiting.insert(event_id, Waiting { hook_id, answer });
                true
            }
            None => false,
        }
    }

    /// A cycle ended: answer its caller, if one waits.
    pub fn complete(&self, event_id: i64, ok: bool, stdout: &[u8], error: Option<&str>) {
        let answer = self
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            .and_then(|waiting| waiting.remove(&event_id));
        if let Some(Waiting { answer, .. }) = answer {
            let _ = answer.try_send(CycleOutcome {
                ok,
                stdout: stdout.to_vec(),
                error: error.map(str::to_owned),
            });
        }
    }

    /// The caller stopped waiting (timeout).
    pub fn cancel(&self, event_id: i64) {
        if let Some(waiting) = &mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()) {
            waiting.remove(&event_id);
        }
    }

    /// Release at once (`200 Accepted`, the event staying queued) the
    /// callers of every hook whose scenario no longer answers: deactivated
    /// by its error policy or by hand, edited, or deleted. Otherwise they
    /// would be held until their timeout (5 minutes by default) for a
    /// cycle that this server will not run.
    pub fn release_unless(&self, answers: impl Fn(i64) -> bool) {
        if let Some(waiting) = &mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()) {
            waiting.retain(|_, w| answers(w.hook_id));
        }
    }

    /// Whether any caller waits.
    pub fn is_empty(&self) -> bool {
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_none_or(HashMap::is_empty)
    }

    /// Shutdown: every waiting caller is released at once (and answered
    /// `200 Accepted`, its event staying queued).
    pub fn close(&self) {
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
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
        waiters.complete(1, true, b"done", None);
        assert_eq!(kept_rx.try_recv().unwrap().stdout, b"done");
        assert!(waiters.is_empty());
    }
}
