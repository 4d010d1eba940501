//! Checkpoints off the commit path.
//!
//! In WAL mode every commit appends pages to the `-wal` file, and by default
//! the connection that commits also copies the WAL back into the database
//! once it holds 1,000 pages: a checkpoint, with two fsyncs and up to 4 MiB
//! written, before that commit returns. Whoever waits on that commit (the
//! HTTP callers of a batch) waits for the checkpoint too: at 2,000 req/s it
//! is a stall of milliseconds every fraction of a second.
//!
//! A long-running process (the server, `scenario run`) starts a
//! [`Checkpointer`] instead: a thread with its own connection that runs a
//! PASSIVE checkpoint (it never blocks a writer) a moment after commits
//! happened. The committing connections keep SQLite's own checkpoint only as
//! a safety valve at [`VALVE_PAGES`]: under steady writing a background
//! checkpoint is always a little behind, so the WAL never starts over from
//! its beginning unless a committing connection checkpoints the rest itself;
//! by then most of it has been copied already.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::Result;

use super::Store;

/// How long after a commit the checkpoint runs: commits in between are
/// copied by the same checkpoint.
const DELAY: Duration = Duration::from_millis(100);

/// WAL pages (4 KiB) at which a committing connection checkpoints itself.
pub const VALVE_PAGES: u32 = 10_000;

/// A thread that checkpoints the database while commits happen elsewhere;
/// stopped and joined on drop.
pub struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// Commits happened since the last checkpoint started.
    dirty: bool,
    stop: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn committed(&self) {
        let mut state = self.lock();
        if !state.dirty {
            state.dirty = true;
            self.wake.notify_one();
        }
    }
}

impl Checkpointer {
    /// Start checkpointing the database at `path` (its own connection).
    pub fn start(path: &Path) -> Result<Checkpointer> {
        let store = Store::open(path)?;
        let shared = Arc::new(Shared::default());
        let ours = shared.clone();
        let thread = thread::Builder::new()
            .name("hookq-checkpoint".into())
            .spawn(move || run(&store, &ours))?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// Leave `store`'s checkpoints to this thread (but for the safety valve).
    pub fn take_over(&self, store: &Store) -> Result<()> {
        store
            .conn
            .pragma_update(None, "wal_autocheckpoint", VALVE_PAGES)?;
        let shared = self.shared.clone();
        store.conn.commit_hook(Some(move || {
            shared.committed();
            false // let the commit go on
        }));
        Ok(())
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(store: &Store, shared: &Shared) {
    loop {
        let mut state = shared.lock();
        while !state.dirty && !state.stop {
            state = shared.wake.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        // Let more commits come (woken early only to stop).
        let (mut state, _) = shared
            .wake
            .wait_timeout_while(state, DELAY, |s| !s.stop)
            .unwrap_or_else(|e| e.into_inner());
        if state.stop {
            return;
        }
        state.dirty = false;
        drop(state);
        // Busy (another process checkpointing) or failed: the next commit
        // brings us back, and the safety valve is there meanwhile.
        let _ = store
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn commits_are_copied_into_the_database_by_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut store = Store::open(&path).unwrap();
        let checkpointer = Checkpointer::start(&path).unwrap();
        checkpointer.take_over(&store).unwrap();
        let valve: u32 = store
            .conn
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap();
        assert_eq!(valve, VALVE_PAGES);
        let before = std::fs::metadata(&path).unwrap().len();
        // 2 MiB: 512 pages, under the valve, so the committer leaves them in
        // the WAL; only a checkpoint puts them in the database file.
        let tx = store.write().unwrap();
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('probe', hex(zeroblob(1048576)))",
            [],
        )
        .unwrap();
        tx.commit().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::fs::metadata(&path).unwrap().len() < before + (2 << 20) {
            assert!(Instant::now() < deadline, "never checkpointed");
            thread::sleep(Duration::from_millis(20));
        }
        drop(checkpointer); // stops and joins its thread
    }
}
