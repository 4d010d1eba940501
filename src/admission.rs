//! The ingest checks (SPEC §4), in their order, as pure functions of a
//! request's facts and the hook's settings. The server (`hooks serve`) and
//! `hooks send` both ask here whether a request may become an event, so the
//! two cannot answer the same request differently.
//!
//! The checks come in two steps because the server reads the body between
//! them: [`before_body`] judges what the head tells, [`after_body`] the rest.
//! `hooks send` calls both, one after the other.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::bundle;
use crate::cidr::Cidr;
use crate::store::{Delivery, HookSettings};
use crate::verify;

/// The hook, as the checks need it.
pub struct Hook<'a> {
    pub enabled: bool,
    pub settings: &'a HookSettings,
    /// `None` also for `hooks send`, which has nothing to verify against:
    /// whoever can run it can write the database anyway.
    pub connection: Option<&'a verify::Connection>,
    /// Events waiting, as last seen (the store checks again as it stores).
    pub queued: u64,
}

/// Who sent the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Over HTTP; `None` when its address is unknown (see `--trust-proxy`).
    Remote(Option<IpAddr>),
    /// `hooks send`, run by the owner of the database: `--allow-ip` is about
    /// the network, which this request never crossed.
    Local,
}

/// What the head of a request tells.
pub struct Head<'a> {
    pub method: &'a str,
    /// The path as requested (`/wh/<token>`).
    pub path: &'a str,
    pub caller: Caller,
    pub headers: &'a [(String, String)],
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The size the request declares (`Content-Length`), if it does.
    pub declared_len: Option<u64>,
    /// hookq's clock in unix seconds, for signature timestamps.
    pub now_unix: i64,
}

impl<'a> Head<'a> {
    /// The request as the verifier sees it.
    pub fn request(&self, body: &'a [u8]) -> verify::Request<'a> {
        verify::Request {
            method: self.method,
            path: self.path,
            headers: self.headers,
            query: self.query,
            body,
        }
    }
}

/// Why a request is not accepted, in SPEC §4's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Disabled,
    /// The method, and the methods the hook takes.
    Method(Vec<String>),
    Address,
    Unverified(verify::Refusal),
    TooLarge,
    /// Retry after this long.
    RateLimited(Duration),
    QueueFull,
    /// The JSON parse error.
    NotJson(String),
}

impl Refused {
    /// The HTTP status the server answers.
    pub fn status(&self) -> u16 {
        match self {
            Refused::Disabled => 410,
            Refused::Method(_) => 405,
            Refused::Address => 403,
            Refused::Unverified(_) => 401,
            Refused::TooLarge => 413,
            Refused::RateLimited(_) => 429,
            Refused::QueueFull => 503,
            Refused::NotJson(_) => 400,
        }
    }

    /// Refused after the rate limiter took a token for the request, which
    /// it should give back: the request was not accepted.
    pub fn after_rate_limit(&self) -> bool {
        matches!(self, Refused::QueueFull | Refused::NotJson(_))
    }
}

/// The checks the head alone can settle: 410, 405, 403, and a declared size
/// over the hook's `--max-body` (413, or 401 if the head already fails
/// verification: a body too large to read cannot be checked against a
/// signature, and 401 comes first).
pub fn before_body(hook: &Hook<'_>, head: &Head<'_>) -> Result<(), Refused> {
    if !hook.enabled {
        return Err(Refused::Disabled);
    }
    // Methods are case-sensitive (RFC 9110 9.1): `post` is not `POST`.
    let methods = &hook.settings.methods;
    if !methods.is_empty() && !methods.iter().any(|m| m == head.method) {
        return Err(Refused::Method(methods.clone()));
    }
    if let Caller::Remote(client) = head.caller {
        if !address_allowed(&hook.settings.allow_ips, client) {
            return Err(Refused::Address);
        }
    }
    if head
        .declared_len
        .is_some_and(|len| len > hook.settings.max_body)
    {
        return Err(too_large(hook, head));
    }
    Ok(())
}

/// What an accepted request becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admitted {
    /// An event, to be stored.
    Event,
    /// A sender's handshake (SPEC §12), answered as it asks and never
    /// queued: it is not an event, and a full queue must not make a sender
    /// give up on the hook.
    Handshake(verify::Handshake),
}

/// The checks that need the body, once [`before_body`] passed: 401 (or 413
/// for a body past `--max-body` that declared no size), then a verified
/// handshake is answered, then 429 (`rate` is asked only once the request
/// is verified, and takes a token), 503, 400.
pub fn after_body(
    hook: &Hook<'_>,
    head: &Head<'_>,
    body: &[u8],
    rate: impl FnOnce() -> Result<(), Duration>,
) -> Result<Admitted, Refused> {
    if body.len() as u64 > hook.settings.max_body {
        return Err(too_large(hook, head));
    }
    if let Some(connection) = hook.connection {
        let request = head.request(body);
        verify::verify(connection, &request, head.now_unix).map_err(Refused::Unverified)?;
        if let Some(handshake) = verify::handshake(connection, &request) {
            return Ok(Admitted::Handshake(handshake));
        }
    }
    rate().map_err(Refused::RateLimited)?;
    if hook.queued >= hook.settings.queue_limit {
        return Err(Refused::QueueFull);
    }
    bundle::check_json(content_type(head.headers), body).map_err(Refused::NotJson)?;
    Ok(Admitted::Event)
}

/// The id its sender gave this delivery, when the hook drops duplicates
/// (SPEC §12): from `--dedupe-header`, or the header the connection's kind
/// names deliveries with. `None` = nothing to recognise it by; stored as is.
pub fn delivery(
    settings: &HookSettings,
    connection: Option<&verify::Connection>,
    headers: &[(String, String)],
) -> Option<Delivery> {
    if !settings.dedupe {
        return None;
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let id = match (&settings.dedupe_header, connection) {
        (Some(name), _) => find(name),
        (None, Some(connection)) => {
            let name = connection.kind.delivery_id_header(&connection.options)?;
            // Svix sends the Standard Webhooks id under its own name.
            find(name).or_else(|| {
                (connection.kind == verify::Kind::StandardWebhooks)
                    .then(|| find("svix-id"))
                    .flatten()
            })
        }
        (None, None) => None,
    }?;
    // Remembered for a day by default: a long id is kept as its digest, so
    // a sender (or, with --dedupe-header on a hook without a connection,
    // anyone) cannot grow the table by 8 KiB a request.
    let id = if id.len() > MAX_DELIVERY_ID {
        format!("sha256:{:x}", Sha256::digest(id.as_bytes()))
    } else {
        id.to_owned()
    };
    Some(Delivery {
        id,
        window: settings.dedupe_window,
    })
}

/// Delivery ids longer than this (UUIDs are 36) are remembered by digest.
const MAX_DELIVERY_ID: usize = 128;

/// The request's `Content-Type`, as the JSON check and the event read it.
pub fn content_type(headers: &[(String, String)]) -> Option<&str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str())
}

/// 413, unless what the head carries already fails verification (401).
fn too_large(hook: &Hook<'_>, head: &Head<'_>) -> Refused {
    hook.connection
        .and_then(|connection| {
            verify::verify_head(connection, &head.request(b""), head.now_unix).err()
        })
        .map_or(Refused::TooLarge, Refused::Unverified)
}

fn address_allowed(allowed: &[Cidr], client: Option<IpAddr>) -> bool {
    allowed.is_empty() || client.is_some_and(|ip| allowed.iter().any(|net| net.contains(ip)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> HookSettings {
        HookSettings {
            max_body: 10,
            queue_limit: 1,
            methods: vec!["POST".into()],
            allow_ips: vec!["10.0.0.0/8".parse().unwrap()],
            ..HookSettings::default()
        }
    }

    fn json_head<'a>(headers: &'a [(String, String)], method: &'a str) -> Head<'a> {
        Head {
            method,
            path: "/wh/t",
            caller: Caller::Remote("10.1.2.3".parse().ok()),
            headers,
            query: "",
            declared_len: None,
            now_unix: 0,
        }
    }

    fn check(hook: &Hook<'_>, head: &Head<'_>, body: &[u8]) -> Result<(), u16> {
        before_body(hook, head)
            .and_then(|()| after_body(hook, head, body, || Ok(())))
            .map(drop)
            .map_err(|r| r.status())
    }

    /// Each request breaks every rule from some point on: the first one
    /// broken, in SPEC §4's order, is the answer.
    #[test]
    fn the_first_rule_broken_answers() {
        let settings = settings();
        let json = [("Content-Type".to_owned(), "application/json".to_owned())];
        let full = Hook {
            enabled: true,
            settings: &settings,
            connection: None,
            queued: 1,
        };
        let disabled = Hook {
            enabled: false,
            ..full
        };
        let mut stranger = json_head(&json, "PUT");
        stranger.caller = Caller::Remote("192.0.2.1".parse().ok());
        assert_eq!(check(&disabled, &stranger, b"{{{{{{{{{{{{"), Err(410));
        assert_eq!(check(&full, &stranger, b"{{{{{{{{{{{{"), Err(405));
        stranger.method = "POST";
        assert_eq!(check(&full, &stranger, b"{{{{{{{{{{{{"), Err(403));
        stranger.caller = Caller::Remote(None);
        assert_eq!(check(&full, &stranger, b"{"), Err(403));
        let head = json_head(&json, "POST");
        assert_eq!(check(&full, &head, b"{{{{{{{{{{{{"), Err(413));
        assert_eq!(check(&full, &head, b"{"), Err(503));
        let room = Hook { queued: 0, ..full };
        assert_eq!(check(&room, &head, b"{"), Err(400));
        assert_eq!(check(&room, &head, b"{}"), Ok(()));
        // `hooks send` never crossed the network.
        let local = Head {
            caller: Caller::Local,
            ..json_head(&json, "POST")
        };
        assert_eq!(check(&room, &local, b"{}"), Ok(()));
    }

    #[test]
    fn delivery_ids_are_bounded_and_kept_apart() {
        let settings = HookSettings {
            dedupe_header: Some("X-Id".into()),
            ..HookSettings::default()
        };
        let id = |value: &str| {
            let headers = [("x-id".to_owned(), value.to_owned())];
            delivery(&settings, None, &headers).map(|d| d.id)
        };
        assert_eq!(id(" 42 "), Some("42".into()));
        assert_eq!(id(""), None);
        let long_a = id(&"a".repeat(8000)).unwrap();
        let long_b = id(&format!("{}b", "a".repeat(7999))).unwrap();
        // What is remembered of an 8,000-byte id: its digest.
        assert!(
            long_a.starts_with("sha256:") && long_a.len() == 7 + 64,
            "{long_a}"
        );
        assert_ne!(long_a, long_b);
        assert_eq!(id(&"a".repeat(8000)).unwrap(), long_a);
        let off = HookSettings {
            dedupe: false,
            ..settings.clone()
        };
        assert!(delivery(&off, None, &[("X-Id".into(), "42".into())]).is_none());
    }

    #[test]
    fn the_rate_limit_is_asked_only_of_a_verified_request_and_before_the_queue() {
        let settings = settings();
        let conn = verify::Connection {
            kind: verify::Kind::Github,
            secret: "s".into(),
            options: verify::Options::default(),
            previous: None,
        };
        let hook = Hook {
            enabled: true,
            settings: &settings,
            connection: Some(&conn),
            queued: 1,
        };
        let headers = [];
        let head = json_head(&headers, "POST");
        let mut asked = false;
        let r = after_body(&hook, &head, b"{}", || {
            asked = true;
            Ok(())
        });
        assert_eq!(r.map(drop).map_err(|r| r.status()), Err(401));
        assert!(!asked);
        let open = Hook {
            connection: None,
            ..hook
        };
        let r = after_body(&open, &head, b"{}", || Err(Duration::from_secs(2)));
        assert_eq!(r, Err(Refused::RateLimited(Duration::from_secs(2))));
        // Declared too large, with no signature at all: 401 before 413.
        let big = Head {
            declared_len: Some(11),
            ..json_head(&headers, "POST")
        };
        assert_eq!(before_body(&hook, &big).map_err(|r| r.status()), Err(401));
        assert_eq!(before_body(&open, &big), Err(Refused::TooLarge));
    }
}
