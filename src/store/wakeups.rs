//! Wake-ups from other processes and hosts ([`super::Session::listen`]):
//! PostgreSQL's `LISTEN/NOTIFY`, read by the server's refresher thread.

use std::time::Duration;

use anyhow::Result;

/// What a notification asks of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeUp {
    /// Events were committed for this hook, whose scenario runs
    /// `immediately`: its worker looks now.
    Events { hook_id: i64 },
    /// Hooks, connections or scenarios changed: reload them now.
    Config,
    /// The listening connection was lost and made again: notifications may
    /// have been missed, look at everything.
    Lost,
}

pub trait WakeUps: Send {
    /// Blocks up to `timeout`; returns at the first notification, with any
    /// others already there.
    fn wait(&mut self, timeout: Duration) -> Result<Vec<WakeUp>>;
}
