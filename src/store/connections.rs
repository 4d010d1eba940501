//! Connections: how a sender's requests are verified.

use crate::clock::Millis;
use crate::verify::{self, Kind, Options};

#[derive(Debug, Clone)]
pub struct StoredConnection {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) secret: String,
    pub(crate) options: Options,
    /// The secret before the last `connections rotate`, while its grace lasts.
    pub(crate) previous: Option<verify::Previous>,
    pub(crate) created_at: Millis,
    /// Names of the hooks that use it.
    pub(crate) hooks: Vec<String>,
}

impl StoredConnection {
    pub(crate) fn verifier(&self) -> verify::Connection {
        verify::Connection {
            kind: self.kind,
            secret: self.secret.clone(),
            options: self.options.clone(),
            previous: self.previous.clone(),
        }
    }
}
