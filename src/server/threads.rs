//! How many request threads run, and the spares that keep the server
//! answering while clients hold threads.
//!
//! `--threads` request threads always run. A thread that waits on something
//! the server does not control is *held*: a client sending its body,
//! reading its answer, or sending the rest of a body the server refused
//! (tiny_http drains it when the request is dropped), and the cycle of a
//! `--respond` scenario. A client can hold a thread for the whole socket
//! timeout (30 s) per read, and longer by trickling bytes. While every
//! thread is held, one more is started, so a few slow clients cannot keep
//! the others out. A spare ends once it has been idle for a while, or right
//! after a request when the `--threads` threads would do again.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Spares at most: each one is a thread (and the body it reads), and a
/// client needs one connection per thread it holds.
pub const MAX_SPARES: usize = 1024;

/// How long a spare stays without a request before it ends.
pub const SPARE_IDLE: Duration = Duration::from_secs(10);

pub struct Threads {
    /// Request threads running, spares included.
    running: AtomicUsize,
    held: AtomicUsize,
    /// `--threads`: always running.
    min: usize,
    max: usize,
    /// Shared with [`super::Running`], which joins them when stopping.
    spares: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// Threads running and held, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub running: usize,
    pub held: usize,
}

impl Threads {
    /// `min` threads, about to be started by the caller.
    pub fn new(min: usize) -> Self {
        Threads {
            running: AtomicUsize::new(min),
            held: AtomicUsize::new(0),
            min,
            max: min + MAX_SPARES,
            spares: Arc::default(),
        }
    }

    pub fn spares(&self) -> Arc<Mutex<Vec<JoinHandle<()>>>> {
        self.spares.clone()
    }

    pub fn counts(&self) -> Counts {
        Counts {
            running: self.running.load(SeqCst),
            held: self.held.load(SeqCst),
        }
    }

    /// This thread is held until the guard drops. True when every thread is
    /// now held and a spare may be started: the caller then calls
    /// [`Threads::reserve_spare`].
    pub fn hold(&self) -> (Held<'_>, bool) {
        let held = self.held.fetch_add(1, SeqCst) + 1;
        (Held(self), held >= self.running.load(SeqCst))
    }

    /// Count one more thread, unless at the cap; false if at the cap.
    pub fn reserve_spare(&self) -> bool {
        self.running
            .fetch_update(SeqCst, SeqCst, |n| (n < self.max).then_some(n + 1))
            .is_ok()
    }

    /// A reserved spare that could not be started, or one that stops.
    pub fn release_spare(&self) {
        self.running.fetch_sub(1, SeqCst);
    }

    /// Keep a started spare's handle for the final join.
    pub fn keep(&self, spare: JoinHandle<()>) {
        let mut spares = self.spares.lock().unwrap_or_else(|e| e.into_inner());
        spares.retain(|handle| !handle.is_finished());
        spares.push(spare);
    }

    /// A spare that just answered a request ends at once when the
    /// `--threads` threads would do again (two of them free): under steady
    /// traffic a spare is never idle for [`SPARE_IDLE`], and the spares of
    /// a burst of slow clients would otherwise stay. True if it was counted
    /// out and must end now.
    pub fn retire_surplus_spare(&self) -> bool {
        self.held.load(SeqCst) + 2 <= self.min && self.retire_spare()
    }

    /// An idle spare may end if another thread is free to take requests;
    /// true if it was counted out and must end now.
    pub fn retire_spare(&self) -> bool {
        let held = self.held.load(SeqCst);
        self.running
            .fetch_update(SeqCst, SeqCst, |n| {
                (n > held + 1 && n > self.min).then(|| n - 1)
            })
            .is_ok()
    }
}

/// A held thread; see [`Threads::hold`].
pub struct Held<'a>(&'a Threads);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spare_is_wanted_only_when_every_thread_is_held() {
        let threads = Threads::new(2);
        let (first, wanted) = threads.hold();
        assert!(!wanted);
        let (second, wanted) = threads.hold();
        assert!(wanted);
        assert!(threads.reserve_spare());
        assert_eq!(
            threads.counts(),
            Counts {
                running: 3,
                held: 2
            }
        );
        // The spare is the only free thread: it may not retire.
        assert!(!threads.retire_spare());
        drop(first);
        assert!(threads.retire_spare());
        assert_eq!(
            threads.counts(),
            Counts {
                running: 2,
                held: 1
            }
        );
        drop(second);
        assert_eq!(threads.counts().held, 0);
    }

    #[test]
    fn a_spare_ends_after_a_request_once_the_threads_would_do() {
        let threads = Threads::new(3);
        let holds: Vec<_> = (0..3).map(|_| threads.hold().0).collect();
        assert!(threads.reserve_spare());
        // Every `--threads` thread still held: the spare is needed.
        assert!(!threads.retire_surplus_spare());
        drop(holds);
        let (still, _) = threads.hold();
        // One of three held, two free: the spare goes.
        assert!(threads.retire_surplus_spare());
        assert_eq!(threads.counts().running, 3);
        drop(still);
        // Never below `--threads`.
        assert!(!threads.retire_surplus_spare());
    }

    #[test]
    fn spares_stop_at_the_cap() {
        let threads = Threads::new(1);
        for _ in 0..MAX_SPARES {
            assert!(threads.reserve_spare());
        }
        assert!(!threads.reserve_spare());
        threads.release_spare();
        assert!(threads.reserve_spare());
        assert_eq!(threads.counts().running, 1 + MAX_SPARES);
    }
}
