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

#[derive(Default)]
pub struct Waiters {
    /// event id → the request waiting for it. `None` once closed.
    waiting: Mutex<Option<HashMap<i64, SyncSender<CycleOutcome>>>>,
}

impl Waiters {
    pub fn new() -> Self {
        Waiters {
            waiting: Mutex::new(Some(HashMap::new())),
        }
    }

    /// Wait for this event's cycle. Called before the event is committed, so
    /// no cycle can end unseen. False once the server is stopping.
    pub fn register(&self, event_id: i64, answer: SyncSender<CycleOutcome>) -> bool {
        match &mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(waiting) => {
                waiting.insert(event_id, answer);
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
        if let Some(answer) = answer {
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

    /// Shutdown: every waiting caller is released at once (and answered
    /// `200 Accepted`, its event staying queued).
    pub fn close(&self) {
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}
