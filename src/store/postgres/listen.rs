//! Wake-ups from other processes and hosts: `LISTEN hookq_events,
//! hookq_config` on a connection of its own (docs/scaling.md, "Wake-ups").
//! Notifications sent while it was down are lost: after making it again,
//! the listener says so once ([`WakeUp::Lost`]) and its reader looks at
//! everything; the 500 ms looks stay as the fallback.

use std::time::{Duration, Instant};

use anyhow::Result;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;

use super::{config_of, RETRY_EVERY};
use crate::store::{PgUrl, WakeUp, WakeUps};

pub struct Listener {
    url: PgUrl,
    server: super::tls::Server,
    client: Option<Client>,
    /// A connection was lost since the last `wait` said so.
    lost: bool,
    last_try: Option<Instant>,
}

impl Listener {
    pub(crate) fn new(url: &PgUrl) -> Result<Listener> {
        let mut listener = Listener {
            url: url.clone(),
            server: config_of(url)?,
            client: None,
            lost: false,
            last_try: None,
        };
        listener.client = Some(listener.connect()?);
        Ok(listener)
    }

    fn connect(&mut self) -> Result<Client> {
        self.last_try = Some(Instant::now());
        let mut config = self.server.config.clone();
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        config.keepalives_idle(Duration::from_secs(10));
        let mut client = self.server.connect(&config, &self.url)?;
        client.batch_execute("LISTEN hookq_events; LISTEN hookq_config")?;
        Ok(client)
    }
}

impl WakeUps for Listener {
    fn wait(&mut self, timeout: Duration) -> Result<Vec<WakeUp>> {
        let deadline = Instant::now() + timeout;
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = None;
            if self.last_try.is_some_and(|at| at.elapsed() < RETRY_EVERY) {
                std::thread::sleep(timeout.min(RETRY_EVERY));
                return Ok(Vec::new());
            }
            match self.connect() {
                Ok(client) => self.client = Some(client),
                Err(e) => {
                    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    return Err(e);
                }
            }
        }
        let mut woken = Vec::new();
        if std::mem::take(&mut self.lost) {
            woken.push(WakeUp::Lost);
        }
        let wait = if woken.is_empty() {
            deadline.saturating_duration_since(Instant::now())
        } else {
            Duration::ZERO
        };
        let client = self.client.as_mut().expect("connected above");
        let received = read(client, wait);
        match received {
            Ok(notifications) => {
                for (channel, payload) in notifications {
                    match channel.as_str() {
                        "hookq_config" => woken.push(WakeUp::Config),
                        _ => woken.extend(
                            payload
                                .split(',')
                                .filter_map(|id| id.parse().ok())
                                .map(|hook_id| WakeUp::Events { hook_id }),
                        ),
                    }
                }
            }
            Err(e) => {
                self.client = None;
                self.lost = true;
                return Err(anyhow::Error::from(e)
                    .context(format!("lost the listening connection to {}", self.url)));
            }
        }
        Ok(woken)
    }
}

/// The notifications that arrive within `wait` (the first one ends the
/// wait), with any others already there: (channel, payload).
fn read(client: &mut Client, wait: Duration) -> Result<Vec<(String, String)>, postgres::Error> {
    let mut notifications = client.notifications();
    let mut received = Vec::new();
    if let Some(n) = notifications.timeout_iter(wait).next()? {
        received.push((n.channel().to_owned(), n.payload().to_owned()));
    }
    let mut more = notifications.iter();
    while let Some(n) = more.next()? {
        received.push((n.channel().to_owned(), n.payload().to_owned()));
    }
    Ok(received)
}
