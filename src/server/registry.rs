//! The server's view of the hooks: an in-memory map from token to settings,
//! reloaded when another process changes hooks (within about a second),
//! so request threads never touch the database before the commit.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};

use anyhow::Result;

use std::time::Duration;

use crate::respond::Respond;
use crate::store::{Hook, HookSettings, Scenario, Schedule, Store};
use crate::verify;

/// What a request thread needs to know of a hook.
pub struct HookEntry {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub settings: HookSettings,
    /// Verifies who sent a request, when the hook has a connection.
    pub connection: Option<verify::Connection>,
    /// Set when the hook's scenario is active, `immediately`, and answers
    /// its callers (SPEC §6).
    pub respond: Option<Responder>,
    /// The hook's scenario is active and `immediately`: wake the scheduler
    /// when an event is committed (for any other hook, that would only cost
    /// a context switch per request).
    pub immediate: bool,
    /// Events waiting, as last seen: a cheap early 503. The store checks the
    /// limit again, exactly, inside the commit.
    pub queued: AtomicU64,
}

/// How the hook's scenario answers a caller.
pub struct Responder {
    pub mode: Respond,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
}

impl Responder {
    fn of(scenario: &Scenario) -> Option<Responder> {
        let settings = &scenario.settings;
        let immediately = settings.schedule == Schedule::Immediately;
        match settings.respond {
            Some(mode) if scenario.active && immediately => Some(Responder {
                mode,
                status: settings.response_status,
                headers: settings.response_headers.clone(),
                timeout: settings.response_timeout.std(),
            }),
            _ => None,
        }
    }
}

type Map = HashMap<String, Arc<HookEntry>>;

pub struct Registry {
    by_token: RwLock<Arc<Map>>,
    version: AtomicU64,
    /// Held while hooks are reloaded: one reload at a time, so a view read
    /// earlier never replaces one read later.
    reloading: Mutex<()>,
    /// A read connection for the tokens the map does not know (see
    /// [`Registry::find`]). One, behind a lock: a flood of unknown tokens
    /// costs one indexed read at a time, and never the write lock.
    lookup: Mutex<Box<dyn Store>>,
}

impl Registry {
    /// An empty registry; `lookup` answers for tokens it does not know.
    pub fn new(lookup: Box<dyn Store>) -> Registry {
        Registry {
            by_token: RwLock::default(),
            version: AtomicU64::new(0),
            reloading: Mutex::new(()),
            lookup: Mutex::new(lookup),
        }
    }

    pub fn get(&self, token: &str) -> Option<Arc<HookEntry>> {
        self.snapshot().get(token).cloned()
    }

    /// The hook of `token`. One the map does not know may have been created
    /// a moment ago by another process, before the refresher's next look
    /// (SPEC §4: no window after `hooks create`): the store is asked, and if
    /// it has the token, the hooks are reloaded at once.
    pub fn find(&self, token: &str) -> Result<Option<Arc<HookEntry>>> {
        if let Some(entry) = self.get(token) {
            return Ok(Some(entry));
        }
        if !crate::token::is_token(token) {
            return Ok(None);
        }
        let store = self.lookup.lock().unwrap_or_else(|e| e.into_inner());
        // Loaded while this thread waited for the lock?
        if let Some(entry) = self.get(token) {
            return Ok(Some(entry));
        }
        if !store.has_token(token)? {
            return Ok(None);
        }
        self.refresh(&**store)?;
        Ok(self.get(token))
    }

    fn snapshot(&self) -> Arc<Map> {
        self.by_token
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reload the hooks if their configuration changed since the last load,
    /// and refresh every queue depth. Returns true if hooks were reloaded.
    pub fn refresh(&self, store: &dyn Store) -> Result<bool> {
        let _reloading = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let version = store.config_version()? as u64 + 1; // 0 = never loaded
        let reloaded = version != self.version.load(Relaxed);
        if reloaded {
            let connections = store.connections_by_id()?;
            let scenarios = store.scenarios()?;
            let mut responders: HashMap<i64, Responder> = scenarios
                .iter()
                .filter_map(|s| Some((s.hook_id, Responder::of(s)?)))
                .collect();
            let immediate: HashSet<i64> = scenarios
                .iter()
                .filter(|s| s.active && s.settings.schedule == Schedule::Immediately)
                .map(|s| s.hook_id)
                .collect();
            let map: Map = store
                .hooks()?
                .into_iter()
                .map(|hook: Hook| {
                    let connection = hook
                        .settings
                        .connection_id
                        .and_then(|id| connections.get(&id))
                        .map(|c| c.verifier());
                    let respond = responders.remove(&hook.id);
                    let entry = HookEntry {
                        respond,
                        immediate: immediate.contains(&hook.id),
                        id: hook.id,
                        name: hook.name,
                        enabled: hook.enabled,
                        settings: hook.settings,
                        connection,
                        queued: AtomicU64::new(hook.queued),
                    };
                    (hook.token, Arc::new(entry))
                })
                .collect();
            *self.by_token.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(map);
            self.version.store(version, Relaxed);
        } else {
            let depths: HashMap<i64, u64> = store.queue_depths()?.into_iter().collect();
            for entry in self.snapshot().values() {
                if let Some(&depth) = depths.get(&entry.id) {
                    entry.queued.store(depth, Relaxed);
                }
            }
        }
        Ok(reloaded)
    }

    /// The hooks whose scenario answers its callers.
    pub fn answering(&self) -> HashSet<i64> {
        self.snapshot()
            .values()
            .filter(|entry| entry.respond.is_some())
            .map(|entry| entry.id)
            .collect()
    }

    /// (hook name, queue depth) of every hook, by name.
    pub fn queue_depths(&self) -> Vec<(String, u64)> {
        let mut depths: Vec<(String, u64)> = self
            .snapshot()
            .values()
            .map(|entry| (entry.name.clone(), entry.queued.load(Relaxed)))
            .collect();
        depths.sort();
        depths
    }
}
