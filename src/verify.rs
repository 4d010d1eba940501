//! Verifying who sent a webhook request ("connections").
//!
//! Each connection names a scheme (`Kind`) and a secret. Every comparison of
//! something the caller sent against something derived from the secret goes
//! through `subtle`, so response timing does not tell an attacker how close a
//! guess was.

use std::fmt;
use std::str::FromStr;

use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

mod senders;

pub use senders::{handshake, parse_template, Handshake, Part};

/// The kind of a connection, as typed on the command line (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Github,
    Stripe,
    StandardWebhooks,
    Hmac,
    ApiKey,
    Basic,
    Slack,
    Shopify,
    Gitlab,
    Twilio,
    Linear,
    Zoom,
    Square,
    Twitch,
    Meta,
    Discord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    Hex,
    Base64,
}

/// One table per enum drives `as_str`, `FromStr` and `Display`, so the
/// command-line spelling cannot drift from itself (tests tie it to serde's).
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }
        }

        impl FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($name => Ok($ty::$variant),)+
                    _ => Err(format!(
                        concat!("unknown ", $what, " '{}' (expected one of: {})"),
                        s,
                        [$($name),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(Kind, "kind", {
    Github => "github",
    Stripe => "stripe",
    StandardWebhooks => "standard-webhooks",
    Hmac => "hmac",
    ApiKey => "api-key",
    Basic => "basic",
    Slack => "slack",
    Shopify => "shopify",
    Gitlab => "gitlab",
    Twilio => "twilio",
    Linear => "linear",
    Zoom => "zoom",
    Square => "square",
    Twitch => "twitch",
    Meta => "meta",
    Discord => "discord",
});
named_enum!(Algorithm, "algorithm", { Sha1 => "sha1", Sha256 => "sha256", Sha512 => "sha512" });
named_enum!(Encoding, "encoding", { Hex => "hex", Base64 => "base64" });

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Github,
        Kind::Stripe,
        Kind::StandardWebhooks,
        Kind::Hmac,
        Kind::ApiKey,
        Kind::Basic,
        Kind::Slack,
        Kind::Shopify,
        Kind::Gitlab,
        Kind::Twilio,
        Kind::Linear,
        Kind::Zoom,
        Kind::Square,
        Kind::Twitch,
        Kind::Meta,
        Kind::Discord,
    ];

    /// Kinds whose signature covers a timestamp (`--tolerance` applies).
    pub fn timestamped(self, options: &Options) -> bool {
        match self {
            Kind::Stripe
            | Kind::StandardWebhooks
            | Kind::Slack
            | Kind::Zoom
            | Kind::Twitch
            | Kind::Linear
            | Kind::Discord => true,
            Kind::Hmac => options.timestamp_header.is_some(),
            _ => false,
        }
    }

    /// Kinds signed over the public URL of the hook (`--base-url` needed).
    pub fn needs_url(self, options: &Options) -> bool {
        match self {
            Kind::Twilio | Kind::Square => true,
            Kind::Hmac => options
                .signed
                .as_deref()
                .is_some_and(|t| t.contains("{url}")),
            _ => false,
        }
    }

    /// The header that names a delivery, the same on each retry of it: what
    /// duplicates are recognised by, unless the hook names its own.
    pub fn delivery_id_header(self, options: &Options) -> Option<&str> {
        match self {
            Kind::Github => Some("x-github-delivery"),
            Kind::StandardWebhooks => Some("webhook-id"),
            Kind::Shopify => Some("x-shopify-webhook-id"),
            Kind::Gitlab => Some("idempotency-key"),
            Kind::Linear => Some("linear-delivery"),
            Kind::Twitch => Some("twitch-eventsub-message-id"),
            Kind::Twilio => Some("i-twilio-idempotency-token"),
            Kind::Hmac => options.id_header.as_deref(),
            _ => None,
        }
    }
}

/// Per-connection settings (stored as JSON in the database by the caller).
///
/// Missing fields take their defaults when read back, so rows written before a
/// field existed stay readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// hmac: header holding the signature (required); api-key: header name (default `x-api-key`).
    pub header: Option<String>,
    /// hmac only.
    pub algorithm: Algorithm,
    /// hmac only.
    pub encoding: Encoding,
    /// hmac only: e.g. `sha256=`, stripped (ASCII case-insensitively) before decoding.
    pub prefix: Option<String>,
    /// Timestamped kinds: allowed clock difference, both ways.
    pub tolerance_secs: u64,
    /// hmac only: what is signed (`{body}`, `{timestamp}`, `{id}`, `{url}`
    /// and literal text); `None` = the body alone.
    pub signed: Option<String>,
    /// hmac only: the header holding the signed timestamp.
    pub timestamp_header: Option<String>,
    /// hmac only: the header holding the delivery's id.
    pub id_header: Option<String>,
    /// twilio, square and `{url}`: the public URL hookq is reached at; a
    /// request's URL is this followed by its path and query.
    pub base_url: Option<String>,
    /// meta only: the token Meta's `GET` handshake must carry (`hub.verify_token`).
    pub verify_token: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            header: None,
            algorithm: Algorithm::Sha256,
            encoding: Encoding::Hex,
            prefix: None,
            tolerance_secs: 300,
            signed: None,
            timestamp_header: None,
            id_header: None,
            base_url: None,
            verify_token: None,
        }
    }
}

/// The secret a rotated connection still accepts, until `until`.
#[derive(Clone)]
pub struct Previous {
    pub secret: String,
    /// Unix milliseconds (hookq's clock).
    pub until: i64,
}

impl fmt::Debug for Previous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Previous")
            .field("secret", &mask(&self.secret))
            .field("until", &self.until)
            .finish()
    }
}

#[derive(Clone)]
pub struct Connection {
    pub kind: Kind,
    pub secret: String,
    pub options: Options,
    /// Set by `connections rotate` during its grace.
    pub previous: Option<Previous>,
}

// Hand-written so that a connection logged or caught in a panic message never
// shows its secret.
impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("kind", &self.kind)
            .field("secret", &mask(&self.secret))
            .field("options", &"…")
            .field(
                "previous",
                &self.previous.as_ref().map(|p| (mask(&p.secret), p.until)),
            )
            .finish()
    }
}

/// What the verifier sees of a request. Header names may be in any case.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path as requested (`/wh/<token>`), for schemes that sign the URL.
    pub path: &'a str,
    pub headers: &'a [(String, String)],
    /// The raw query string, without the leading `?`.
    pub query: &'a str,
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The first header of that name, trimmed. An empty value counts as absent:
    /// it cannot carry a credential, and "missing" is the more useful answer.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }
}

/// Why a request was refused: a short reason sent to the caller in the 401 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal(pub &'static str);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Refusal {}

const MISSING_SIGNATURE: Refusal = Refusal("missing signature header");
const INVALID_SIGNATURE: Refusal = Refusal("invalid signature header");
const SIGNATURE_MISMATCH: Refusal = Refusal("signature mismatch");
const OUTSIDE_TOLERANCE: Refusal = Refusal("timestamp outside tolerance");
const MISSING_API_KEY: Refusal = Refusal("missing api key");
const INVALID_API_KEY: Refusal = Refusal("invalid api key");
const MISSING_CREDENTIALS: Refusal = Refusal("missing credentials");
const INVALID_CREDENTIALS: Refusal = Refusal("invalid credentials");
const INVALID_TIMESTAMP: Refusal = Refusal("invalid timestamp header");
const MISSING_TIMESTAMP: Refusal = Refusal("missing timestamp header");
const MISSING_TOKEN: Refusal = Refusal("missing token");
const INVALID_TOKEN: Refusal = Refusal("invalid token");

/// Base64 as senders actually produce it: some drop the padding.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `now_unix`: the current time in unix seconds (the caller's clock, may be overridden in tests).
///
/// A rotated connection accepts its previous secret until the grace ends;
/// the reason given is that of the current secret, so a refusal never says
/// which secret came closer.
pub fn verify(conn: &Connection, req: &Request<'_>, now_unix: i64) -> Result<(), Refusal> {
    let current = verify_with(conn.kind, &conn.secret, &conn.options, req, now_unix);
    match (&current, &conn.previous) {
        (
            Err(SIGNATURE_MISMATCH | INVALID_API_KEY | INVALID_CREDENTIALS | INVALID_TOKEN),
            Some(previous),
        ) if now_unix.saturating_mul(1000) < previous.until => {
            verify_with(conn.kind, &previous.secret, &conn.options, req, now_unix)
                .map_err(|_| current.unwrap_err())
        }
        _ => current,
    }
}

fn verify_with(
    kind: Kind,
    secret: &str,
    opts: &Options,
    req: &Request<'_>,
    now_unix: i64,
) -> Result<(), Refusal> {
    match kind {
        Kind::Github => verify_github(secret, req),
        Kind::Stripe => verify_stripe(secret, req, opts.tolerance_secs, now_unix),
        Kind::StandardWebhooks => {
            verify_standard_webhooks(secret, req, opts.tolerance_secs, now_unix)
        }
        Kind::Hmac if opts.signed.is_some() || opts.timestamp_header.is_some() => {
            senders::verify_template(secret, req, opts, now_unix)
        }
        Kind::Hmac => verify_hmac(secret, req, opts),
        Kind::ApiKey => verify_api_key(secret, req, opts),
        Kind::Basic => verify_basic(secret, req),
        Kind::Gitlab => senders::verify_gitlab(secret, req),
        Kind::Twilio => senders::verify_twilio(secret, req, opts),
        Kind::Linear => senders::verify_linear(secret, req, opts.tolerance_secs, now_unix),
        Kind::Meta => senders::verify_meta(secret, req, opts),
        Kind::Discord => senders::verify_discord(secret, req, opts.tolerance_secs, now_unix),
        Kind::Slack | Kind::Shopify | Kind::Zoom | Kind::Square | Kind::Twitch => {
            let preset = senders::preset(kind).expect("a preset of an hmac scheme");
            senders::verify_scheme(secret, req, &preset, opts, now_unix)
        }
    }
}

/// What can be told from the head alone, before the body is read: a refusal
/// no body could change (no signature header, or one that does not parse; a
/// wrong api key or password). A signature over the body passes here; it is
/// checked by [`verify`] once the body is read. `req.body` is not looked at.
pub fn verify_head(conn: &Connection, req: &Request<'_>, now_unix: i64) -> Result<(), Refusal> {
    let head = Request { body: b"", ..*req };
    match verify(conn, &head, now_unix) {
        Err(SIGNATURE_MISMATCH | OUTSIDE_TOLERANCE) => Ok(()),
        other => other,
    }
}

fn verify_github(secret: &str, req: &Request<'_>) -> Result<(), Refusal> {
    let value = req.header("x-hub-signature-256").ok_or(MISSING_SIGNATURE)?;
    let sig = strip_prefix_ci(value, "sha256=")
        .and_then(decode_hex)
        .ok_or(INVALID_SIGNATURE)?;
    let tag = hmac_tag(Algorithm::Sha256, secret.as_bytes(), &[req.body]);
    ensure_match(&tag, [sig])
}

fn verify_stripe(secret: &str, req: &Request<'_>, tolerance: u64, now: i64) -> Result<(), Refusal> {
    let value = req.header("stripe-signature").ok_or(MISSING_SIGNATURE)?;
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for item in value.split(',') {
        match item.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("t", t)) if timestamp.is_none() => timestamp = Some(t),
            Some(("v1", sig)) => candidates.push(sig),
            // v0 (test-mode) and any future scheme are not ours to judge.
            _ => {}
        }
    }
    let raw_t = timestamp.ok_or(INVALID_SIGNATURE)?;
    let t: i64 = raw_t.parse().map_err(|_| INVALID_SIGNATURE)?;
    if candidates.is_empty() {
        return Err(INVALID_SIGNATURE);
    }
    // Stripe signs the timestamp as it appears in the header, not a re-rendering
    // of the parsed number. The key is the secret text itself, `whsec_` included.
    let tag = hmac_tag(
        Algorithm::Sha256,
        secret.as_bytes(),
        &[raw_t.as_bytes(), b".", req.body],
    );
    // Several v1 entries appear while a secret is being rolled: one match is
    // enough, and an entry that is not even hex simply cannot match.
    ensure_match(&tag, candidates.into_iter().filter_map(decode_hex))?;
    // Checked only once the signature holds, so that a forger learns nothing
    // from the reason and a genuine sender with a bad clock is told the truth.
    ensure_fresh(t, now, tolerance)
}

fn verify_standard_webhooks(
    secret: &str,
    req: &Request<'_>,
    tolerance: u64,
    now: i64,
) -> Result<(), Refusal> {
    // Svix sends the same headers under its own name; either family is accepted,
    // header by header.
    let header = |name: &str| {
        req.header(&format!("webhook-{name}"))
            .or_else(|| req.header(&format!("svix-{name}")))
    };
    let (Some(id), Some(raw_t), Some(signatures)) =
        (header("id"), header("timestamp"), header("signature"))
    else {
        return Err(MISSING_SIGNATURE);
    };
    let t: i64 = raw_t.parse().map_err(|_| INVALID_SIGNATURE)?;
    let entries: Vec<(&str, &str)> = signatures
        .split_whitespace()
        .filter_map(|entry| entry.split_once(','))
        .collect();
    if entries.is_empty() {
        return Err(INVALID_SIGNATURE);
    }
    // validate_secret refuses such a secret at creation; should one reach this
    // point anyway, no signature can match it.
    let key = standard_webhooks_key(secret).ok_or(SIGNATURE_MISMATCH)?;
    let tag = hmac_tag(
        Algorithm::Sha256,
        &key,
        &[id.as_bytes(), b".", raw_t.as_bytes(), b".", req.body],
    );
    let v1 = entries
        .into_iter()
        .filter(|(version, _)| *version == "v1")
        .filter_map(|(_, sig)| B64.decode(sig).ok());
    ensure_match(&tag, v1)?;
    ensure_fresh(t, now, tolerance)
}

fn verify_hmac(secret: &str, req: &Request<'_>, opts: &Options) -> Result<(), Refusal> {
    // Without a configured header there is nowhere to look; the caller requires
    // --header for this kind, so this only guards against a hand-edited row.
    let name = opts.header.as_deref().ok_or(MISSING_SIGNATURE)?;
    let mut value = req.header(name).ok_or(MISSING_SIGNATURE)?;
    if let Some(prefix) = opts.prefix.as_deref().filter(|p| !p.is_empty()) {
        value = strip_prefix_ci(value, prefix).ok_or(INVALID_SIGNATURE)?;
    }
    let sig = match opts.encoding {
        Encoding::Hex => decode_hex(value),
        Encoding::Base64 => B64.decode(value).ok(),
    }
    .ok_or(INVALID_SIGNATURE)?;
    let tag = hmac_tag(opts.algorithm, secret.as_bytes(), &[req.body]);
    ensure_match(&tag, [sig])
}

fn verify_api_key(secret: &str, req: &Request<'_>, opts: &Options) -> Result<(), Refusal> {
    let name = opts.header.as_deref().unwrap_or("x-api-key");
    // A key present in the header is final: a wrong one is not retried from the query.
    let given = match req.header(name) {
        Some(value) => value.as_bytes().to_vec(),
        None => query_param(req.query, "apikey").ok_or(MISSING_API_KEY)?,
    };
    if secrets_equal(&given, secret.as_bytes()) {
        Ok(())
    } else {
        Err(INVALID_API_KEY)
    }
}

fn verify_basic(secret: &str, req: &Request<'_>) -> Result<(), Refusal> {
    let value = req.header("authorization").ok_or(MISSING_CREDENTIALS)?;
    let (scheme, encoded) = value.split_once(' ').ok_or(MISSING_CREDENTIALS)?;
    // Another scheme (Bearer, ...) carries no basic credentials at all.
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(MISSING_CREDENTIALS);
    }
    let decoded = B64
        .decode(encoded.trim())
        .map_err(|_| INVALID_CREDENTIALS)?;
    if secrets_equal(&decoded, secret.as_bytes()) {
        Ok(())
    } else {
        Err(INVALID_CREDENTIALS)
    }
}

fn hmac_tag(algorithm: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }
    match algorithm {
        Algorithm::Sha1 => run::<Hmac<Sha1>>(key, parts),
        Algorithm::Sha256 => run::<Hmac<Sha256>>(key, parts),
        Algorithm::Sha512 => run::<Hmac<Sha512>>(key, parts),
    }
}

/// Passes if any candidate equals the expected tag. Every candidate is compared
/// (no early exit) so timing does not reveal which one matched.
fn ensure_match(tag: &[u8], candidates: impl IntoIterator<Item = Vec<u8>>) -> Result<(), Refusal> {
    let matched = candidates
        .into_iter()
        .fold(subtle::Choice::from(0), |acc, c| acc | tag.ct_eq(&c));
    if bool::from(matched) {
        Ok(())
    } else {
        Err(SIGNATURE_MISMATCH)
    }
}

fn ensure_fresh(t: i64, now: i64, tolerance: u64) -> Result<(), Refusal> {
    // Future timestamps are refused too: a clock far ahead would otherwise let a
    // captured request be replayed for that long.
    if now.abs_diff(t) <= tolerance {
        Ok(())
    } else {
        Err(OUTSIDE_TOLERANCE)
    }
}

/// Compares digests rather than the secrets themselves so that neither the
/// content nor the length of the secret shows in the timing.
fn secrets_equal(given: &[u8], secret: &[u8]) -> bool {
    bool::from(Sha256::digest(given).ct_eq(&Sha256::digest(secret)))
}

fn standard_webhooks_key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    B64.decode(encoded).ok().filter(|key| !key.is_empty())
}

fn strip_prefix_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then_some(&s[prefix.len()..])
}

fn hex_digit(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).map(|d| d as u8)
}

/// Hex in either case, as some senders shout.
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let pairs = s.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| Some(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?))
        .collect()
}

fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
        .map(char::from)
        .collect()
}

/// The first value of `name` in a raw query string, percent-decoded. `+` is
/// kept as is rather than read as a space: keys are far likelier to contain a
/// literal `+` (base64) than a space.
fn query_param(query: &str, name: &str) -> Option<Vec<u8>> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| percent_decode(key) == name.as_bytes())
        .map(|(_, value)| percent_decode(value))
        .filter(|value| !value.is_empty())
}

/// Malformed escapes are kept literally, as browsers do, rather than failing.
fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| Some(hex_digit(h[0])? << 4 | hex_digit(h[1])?));
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // Without the OS random source there is no safe secret to hand out at all.
    getrandom::fill(&mut buf).expect("the OS random source failed");
    buf
}

/// A new random secret for `connections create --generate`, from the OS random source.
pub fn generate_secret(kind: Kind) -> String {
    match kind {
        Kind::StandardWebhooks => format!("whsec_{}", STANDARD.encode(random_bytes::<24>())),
        // A password of the same alphabet and strength as hook tokens.
        Kind::Basic => format!(
            "hookq:{}",
            crate::token::generate().expect("the OS random source failed")
        ),
        _ => encode_hex(&random_bytes::<32>()),
    }
}

/// Check a secret given at creation time. Err = a message for a person.
pub fn validate_secret(kind: Kind, secret: &str) -> Result<(), String> {
    if secret.is_empty() {
        return Err("the secret is empty".into());
    }
    // Almost always a copy-paste accident, and invisible in a listing.
    if secret.trim() != secret {
        return Err("the secret has leading or trailing whitespace".into());
    }
    if secret.chars().any(char::is_control) {
        return Err("the secret contains control characters".into());
    }
    match kind {
        Kind::StandardWebhooks if standard_webhooks_key(secret).is_none() => Err(
            "a standard-webhooks secret must be whsec_ followed by base64 (as the sender shows it)"
                .into(),
        ),
        Kind::Basic if !matches!(secret.split_once(':'), Some((user, _)) if !user.is_empty()) => {
            Err("a basic secret must be user:password".into())
        }
        Kind::ApiKey if secret.chars().any(char::is_whitespace) => {
            Err("an api key cannot contain whitespace".into())
        }
        Kind::Discord => senders::validate_discord_key(secret),
        _ => Ok(()),
    }
}

/// What a stored event keeps in place of a credential its request passed:
/// the scenario can tell the request was verified, and nobody can read the
/// secret back from the event, the bundle or a command's environment.
pub const VERIFIED: &str = "[verified]";

/// In place of a credential that was not checked (`hooks send`, which
/// verifies nothing): removed all the same, since it may be the secret.
pub const NOT_VERIFIED: &str = "[removed]";

/// Replace the value of each credential a connection reads, in `headers`
/// and `query`, by `marker` before the event is stored: the `Authorization`
/// header of `basic`, the key header and the `apikey` query parameter of
/// `api-key`. These *are* the secret. Signature headers (GitHub's, Stripe's,
/// Standard Webhooks', hmac's) are kept: they reveal nothing of the secret
/// and a command that forwards the event needs them to verify it again.
pub fn redact_credentials(
    conn: Option<&Connection>,
    headers: &mut [(String, String)],
    query: &mut String,
    marker: &str,
) {
    let Some(conn) = conn else {
        return;
    };
    let header = match conn.kind {
        Kind::Basic => "authorization",
        Kind::ApiKey => conn.options.header.as_deref().unwrap_or("x-api-key"),
        // GitLab sends the secret token itself.
        Kind::Gitlab => "x-gitlab-token",
        _ => return,
    };
    for (name, value) in headers.iter_mut() {
        if name.eq_ignore_ascii_case(header) {
            // The scheme of `Basic <credentials>` says nothing secret.
            *value = match value.trim().split_once(' ') {
                Some((scheme, _)) if conn.kind == Kind::Basic => format!("{scheme} {marker}"),
                _ => marker.to_owned(),
            };
        }
    }
    if conn.kind == Kind::ApiKey
        && query
            .split('&')
            .any(|pair| pair.split_once('=').is_some_and(|(k, _)| is_apikey(k)))
    {
        *query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if is_apikey(key) => format!("{key}={marker}"),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&");
    }
}

/// The query key [`verify_api_key`] reads, however it was escaped.
fn is_apikey(key: &str) -> bool {
    percent_decode(key) == b"apikey"
}

/// Prefixes that say what a secret is without saying anything secret.
const KNOWN_PREFIXES: [&str; 2] = ["whsec_", "hookq:"];

/// A short masked form for listings, never the whole secret.
pub fn mask(secret: &str) -> String {
    let total = secret.chars().count();
    let (prefix, rest) = KNOWN_PREFIXES
        .iter()
        .find_map(|p| secret.strip_prefix(p).map(|rest| (*p, rest)))
        .filter(|(_, rest)| !rest.is_empty())
        .unwrap_or(("", secret));
    // At most a quarter of the rest, so a short secret still keeps most of itself hidden.
    let visible = (rest.chars().count() / 4).min(4);
    let shown: String = rest.chars().take(visible).collect();
    format!("{prefix}{shown}…({total} chars)")
}

/// A URL as listings show it: a password in it masked as [`mask`] masks a
/// secret, the user name, host, path and query kept (they say where, not
/// how to get in).
pub fn mask_url(url: &str) -> String {
    let start = url.find("://").map_or(0, |at| at + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    let Some(at) = url[start..authority_end].rfind('@').map(|at| start + at) else {
        return url.to_owned();
    };
    match url[start..at].split_once(':') {
        Some((user, password)) if !password.is_empty() => {
            format!("{}{user}:{}{}", &url[..start], mask(password), &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn conn(kind: Kind, secret: &str) -> Connection {
        conn_with(kind, secret, Options::default())
    }

    fn conn_with(kind: Kind, secret: &str, options: Options) -> Connection {
        Connection {
            kind,
            secret: secret.to_string(),
            options,
            previous: None,
        }
    }

    fn run(
        c: &Connection,
        headers: &[(&str, &str)],
        query: &str,
        body: &[u8],
        now: i64,
    ) -> Result<(), Refusal> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let req = Request {
            method: "POST",
            path: "/wh/t",
            headers: &headers,
            query,
            body,
        };
        verify(c, &req, now)
    }

    // Reference signers, written straight against the `hmac` crate and the
    // providers' documentation rather than through the code under test.
    fn reference_hex(key: &[u8], msg: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        mac.update(msg);
        let tag = mac.finalize().into_bytes();
        tag.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn stripe_sig(secret: &str, t: i64, body: &str) -> String {
        reference_hex(secret.as_bytes(), format!("{t}.{body}").as_bytes())
    }

    fn svix_sig(secret: &str, id: &str, t: i64, body: &str) -> String {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(format!("{id}.{t}.{body}").as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn credentials_are_redacted_and_signatures_kept() {
        let headers = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let mut h = headers(&[("authorization", "Basic dTpw"), ("X-Other", "Basic x")]);
        let mut q = "apikey=keep-me-not".to_owned();
        redact_credentials(Some(&conn(Kind::Basic, "u:p")), &mut h, &mut q, VERIFIED);
        assert_eq!(
            h,
            headers(&[
                ("authorization", "Basic [verified]"),
                ("X-Other", "Basic x")
            ])
        );
        assert_eq!(q, "apikey=keep-me-not", "not a credential of basic");

        let options = Options {
            header: Some("X-Key".into()),
            ..Options::default()
        };
        let mut h = headers(&[("x-key", "k1"), ("X-KEY", "k2"), ("x-api-key", "other")]);
        let mut q = "a=1&api%6Bey=k1&apikey=k2&apikeys=3&apikey".to_owned();
        let key = conn_with(Kind::ApiKey, "k1", options);
        redact_credentials(Some(&key), &mut h, &mut q, VERIFIED);
        assert_eq!(
            h,
            headers(&[
                ("x-key", "[verified]"),
                ("X-KEY", "[verified]"),
                ("x-api-key", "other")
            ])
        );
        assert_eq!(
            q,
            "a=1&api%6Bey=[verified]&apikey=[verified]&apikeys=3&apikey"
        );

        let signed = headers(&[("X-Hub-Signature-256", "sha256=ab"), ("Authorization", "t")]);
        for kind in [
            Kind::Github,
            Kind::Stripe,
            Kind::StandardWebhooks,
            Kind::Hmac,
        ] {
            let mut h = signed.clone();
            let mut q = "apikey=x".to_owned();
            redact_credentials(Some(&conn(kind, "s")), &mut h, &mut q, VERIFIED);
            assert_eq!((h, q.as_str()), (signed.clone(), "apikey=x"));
        }
    }

    #[test]
    fn names_match_serde_and_parse_back() {
        for kind in Kind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
        }
        for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(serde_json::to_string(&alg).unwrap(), format!("\"{alg}\""));
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
        }
        for enc in [Encoding::Hex, Encoding::Base64] {
            assert_eq!(serde_json::to_string(&enc).unwrap(), format!("\"{enc}\""));
            assert_eq!(enc.as_str().parse::<Encoding>(), Ok(enc));
        }
        assert_eq!("API-KEY".parse::<Kind>(), Ok(Kind::ApiKey));
        let err = "svixx".parse::<Kind>().unwrap_err();
        assert!(err.contains("svixx") && err.contains("standard-webhooks, hmac, api-key"));
        assert!("md5".parse::<Algorithm>().unwrap_err().contains("sha512"));
        assert!("b64".parse::<Encoding>().is_err());
    }

    #[test]
    fn options_default_and_partial_json() {
        let o = Options::default();
        assert_eq!(o.algorithm, Algorithm::Sha256);
        assert_eq!(o.encoding, Encoding::Hex);
        assert_eq!(o.tolerance_secs, 300);
        assert_eq!(o.header, None);
        let parsed: Options =
            serde_json::from_str(r#"{"header":"X-Sig","algorithm":"sha1"}"#).unwrap();
        assert_eq!(parsed.header.as_deref(), Some("X-Sig"));
        assert_eq!(parsed.algorithm, Algorithm::Sha1);
        assert_eq!(parsed.tolerance_secs, 300);
        let back: Options = serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
        assert_eq!(back, parsed);
    }

    #[test]
    fn github_documented_example() {
        let secret = "It's a Secret to Everybody";
        let expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let tag = hmac_tag(Algorithm::Sha256, secret.as_bytes(), &[b"Hello, World!"]);
        assert_eq!(encode_hex(&tag), expected);

        let c = conn(Kind::Github, secret);
        let header = format!("sha256={expected}");
        let ok = run(
            &c,
            &[("X-Hub-Signature-256", &header)],
            "",
            b"Hello, World!",
            NOW,
        );
        assert_eq!(ok, Ok(()));
        let upper = format!("sha256={}", expected.to_uppercase());
        assert_eq!(
            run(
                &c,
                &[("x-hub-signature-256", &upper)],
                "",
                b"Hello, World!",
                NOW
            ),
            Ok(())
        );
        let tampered = run(
            &c,
            &[("X-Hub-Signature-256", &header)],
            "",
            b"Hello, World?",
            NOW,
        );
        assert_eq!(tampered, Err(SIGNATURE_MISMATCH));
        let wrong_key = conn(Kind::Github, "another secret");
        let r = run(
            &wrong_key,
            &[("X-Hub-Signature-256", &header)],
            "",
            b"Hello, World!",
            NOW,
        );
        assert_eq!(r, Err(SIGNATURE_MISMATCH));
        // The legacy SHA-1 header alone is not enough.
        let r = run(
            &c,
            &[("X-Hub-Signature", "sha1=00")],
            "",
            b"Hello, World!",
            NOW,
        );
        assert_eq!(r, Err(MISSING_SIGNATURE));
        for bad in ["757107ea", "sha256=zz", "sha1=757107ea", "sha256=abc"] {
            let r = run(&c, &[("X-Hub-Signature-256", bad)], "", b"x", NOW);
            assert_eq!(r, Err(INVALID_SIGNATURE), "{bad}");
        }
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        let c = conn(
            Kind::StandardWebhooks,
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        );
        let headers = [
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
            ("webhook-timestamp", "1614265330"),
            (
                "webhook-signature",
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            ),
        ];
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(run(&c, &headers, "", body, 1_614_265_330), Ok(()));
        assert_eq!(
            run(&c, &headers, "", br#"{"test": 2432232315}"#, 1_614_265_330),
            Err(SIGNATURE_MISMATCH)
        );
        // Same secret given without its prefix.
        let bare = conn(Kind::StandardWebhooks, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(run(&bare, &headers, "", body, 1_614_265_330), Ok(()));
    }

    #[test]
    fn standard_webhooks_computed() {
        let secret = generate_secret(Kind::StandardWebhooks);
        let c = conn(Kind::StandardWebhooks, &secret);
        let body = r#"{"type":"ping"}"#;
        let sig = svix_sig(&secret, "msg_1", NOW, body);
        let t = NOW.to_string();
        let go = |sig: &str, body: &str, now: i64| {
            let h = [
                ("Webhook-Id", "msg_1"),
                ("Webhook-Timestamp", t.as_str()),
                ("Webhook-Signature", sig),
            ];
            run(&c, &h, "", body.as_bytes(), now)
        };
        assert_eq!(go(&sig, body, NOW), Ok(()));
        // Rotated keys: a stale signature, an unknown version and the good one.
        let other = generate_secret(Kind::StandardWebhooks);
        let several = format!("{} v1a,AAAA {sig}", svix_sig(&other, "msg_1", NOW, body));
        assert_eq!(go(&several, body, NOW), Ok(()));
        let only_bad = format!("{} v2,{}", svix_sig(&other, "msg_1", NOW, body), &sig[3..]);
        assert_eq!(go(&only_bad, body, NOW), Err(SIGNATURE_MISMATCH));
        assert_eq!(go(&sig, r#"{"type":"pong"}"#, NOW), Err(SIGNATURE_MISMATCH));
        // Signed well, but delivered too late or from a clock too far ahead.
        assert_eq!(go(&sig, body, NOW + 300), Ok(()));
        assert_eq!(go(&sig, body, NOW + 301), Err(OUTSIDE_TOLERANCE));
        assert_eq!(go(&sig, body, NOW - 301), Err(OUTSIDE_TOLERANCE));
        // A forged signature stays a mismatch, whatever its timestamp.
        assert_eq!(go(&only_bad, body, NOW + 10_000), Err(SIGNATURE_MISMATCH));
        assert_eq!(go("garbage", body, NOW), Err(INVALID_SIGNATURE));
        let wrong_key = conn(Kind::StandardWebhooks, &other);
        let h = [
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", t.as_str()),
            ("webhook-signature", sig.as_str()),
        ];
        assert_eq!(
            run(&wrong_key, &h, "", body.as_bytes(), NOW),
            Err(SIGNATURE_MISMATCH)
        );
        assert_eq!(
            run(&c, &h[..2], "", body.as_bytes(), NOW),
            Err(MISSING_SIGNATURE)
        );
        let bad_t = [h[0], ("webhook-timestamp", "soon"), h[2]];
        assert_eq!(
            run(&c, &bad_t, "", body.as_bytes(), NOW),
            Err(INVALID_SIGNATURE)
        );
    }

    #[test]
    fn standard_webhooks_svix_headers() {
        let secret = generate_secret(Kind::StandardWebhooks);
        let c = conn(Kind::StandardWebhooks, &secret);
        let sig = svix_sig(&secret, "msg_2", NOW, "{}");
        let t = NOW.to_string();
        let h = [
            ("svix-id", "msg_2"),
            ("svix-timestamp", t.as_str()),
            ("SVIX-SIGNATURE", &sig),
        ];
        assert_eq!(run(&c, &h, "", b"{}", NOW), Ok(()));
        let wrong_id = [("svix-id", "msg_3"), h[1], h[2]];
        assert_eq!(run(&c, &wrong_id, "", b"{}", NOW), Err(SIGNATURE_MISMATCH));
    }

    #[test]
    fn stripe() {
        let secret = "whsec_test_secret";
        let c = conn(Kind::Stripe, secret);
        let body = r#"{"id":"evt_1"}"#;
        let good = stripe_sig(secret, NOW, body);
        let stale = stripe_sig("whsec_old_secret", NOW, body);
        let go = |header: String, body: &str, now: i64| {
            run(
                &c,
                &[("Stripe-Signature", header.as_str())],
                "",
                body.as_bytes(),
                now,
            )
        };
        assert_eq!(go(format!("t={NOW},v1={good}"), body, NOW), Ok(()));
        // Rolled secret: two v1 entries, the second valid, plus a v0 to ignore.
        assert_eq!(
            go(format!("t={NOW},v1={stale},v1={good},v0=abc"), body, NOW),
            Ok(())
        );
        assert_eq!(
            go(format!("t={NOW}, v1={stale}, v0={good}"), body, NOW),
            Err(SIGNATURE_MISMATCH)
        );
        assert_eq!(
            go(format!("t={NOW},v1={good}"), "{}", NOW),
            Err(SIGNATURE_MISMATCH)
        );
        assert_eq!(go(format!("t={NOW},v1={good}"), body, NOW + 300), Ok(()));
        assert_eq!(
            go(format!("t={NOW},v1={good}"), body, NOW + 301),
            Err(OUTSIDE_TOLERANCE)
        );
        assert_eq!(
            go(format!("t={NOW},v1={good}"), body, NOW - 301),
            Err(OUTSIDE_TOLERANCE)
        );
        // The timestamp is signed: moving it forward breaks the signature.
        let later = NOW + 60;
        assert_eq!(
            go(format!("t={later},v1={good}"), body, later),
            Err(SIGNATURE_MISMATCH)
        );
        let wrong_key = conn(Kind::Stripe, "whsec_other");
        let h = format!("t={NOW},v1={good}");
        assert_eq!(
            run(
                &wrong_key,
                &[("stripe-signature", &h)],
                "",
                body.as_bytes(),
                NOW
            ),
            Err(SIGNATURE_MISMATCH)
        );
        assert_eq!(
            run(&c, &[], "", body.as_bytes(), NOW),
            Err(MISSING_SIGNATURE)
        );
        for bad in [
            format!("v1={good}"),
            format!("t=now,v1={good}"),
            format!("t={NOW},v0={good}"),
        ] {
            assert_eq!(go(bad.clone(), body, NOW), Err(INVALID_SIGNATURE), "{bad}");
        }
        let tight = conn_with(
            Kind::Stripe,
            secret,
            Options {
                tolerance_secs: 5,
                ..Options::default()
            },
        );
        let h = format!("t={NOW},v1={good}");
        assert_eq!(
            run(
                &tight,
                &[("Stripe-Signature", &h)],
                "",
                body.as_bytes(),
                NOW + 6
            ),
            Err(OUTSIDE_TOLERANCE)
        );
    }

    fn hmac_conn(algorithm: Algorithm, encoding: Encoding, prefix: Option<&str>) -> Connection {
        let options = Options {
            header: Some("X-Signature".into()),
            algorithm,
            encoding,
            prefix: prefix.map(str::to_string),
            ..Options::default()
        };
        conn_with(Kind::Hmac, "Jefe", options)
    }

    #[test]
    fn hmac_every_algorithm_and_encoding() {
        // Published known answers: RFC 2202 (SHA-1) and RFC 4231 (SHA-2), test case 2.
        let references = [
            (Algorithm::Sha1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            (
                Algorithm::Sha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                Algorithm::Sha512,
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ),
        ];
        const MSG: &[u8] = b"what do ya want for nothing?";
        for (alg, hex) in references {
            let hex = hex.to_string();
            let b64 = STANDARD.encode(decode_hex(&hex).unwrap());
            for (enc, plain) in [
                (Encoding::Hex, hex.clone()),
                (Encoding::Base64, b64.clone()),
            ] {
                let c = hmac_conn(alg, enc, None);
                let ok = run(&c, &[("x-signature", &plain)], "", MSG, NOW);
                assert_eq!(ok, Ok(()), "{alg} {enc}");
                let r = run(
                    &c,
                    &[("x-signature", &plain)],
                    "",
                    b"what do ya want for nothing!",
                    NOW,
                );
                assert_eq!(r, Err(SIGNATURE_MISMATCH), "{alg} {enc}");
                let prefixed = format!("{alg}={plain}");
                let c = hmac_conn(alg, enc, Some(&format!("{alg}=")));
                let ok = run(&c, &[("X-SIGNATURE", &prefixed)], "", MSG, NOW);
                assert_eq!(ok, Ok(()), "{alg} {enc} prefixed");
                let r = run(&c, &[("X-Signature", &plain)], "", MSG, NOW);
                assert_eq!(r, Err(INVALID_SIGNATURE), "{alg} {enc} prefix absent");
            }
            // Hex is accepted in upper case too; the wrong algorithm never matches.
            let c = hmac_conn(alg, Encoding::Hex, None);
            assert_eq!(
                run(&c, &[("X-Signature", &hex.to_uppercase())], "", MSG, NOW),
                Ok(())
            );
            let other = if alg == Algorithm::Sha1 {
                Algorithm::Sha256
            } else {
                Algorithm::Sha1
            };
            let c = hmac_conn(other, Encoding::Hex, None);
            assert_eq!(
                run(&c, &[("X-Signature", &hex)], "", MSG, NOW),
                Err(SIGNATURE_MISMATCH)
            );
        }
        let c = hmac_conn(Algorithm::Sha256, Encoding::Hex, None);
        assert_eq!(run(&c, &[], "", MSG, NOW), Err(MISSING_SIGNATURE));
        assert_eq!(
            run(&c, &[("X-Signature", "xyz")], "", MSG, NOW),
            Err(INVALID_SIGNATURE)
        );
        let c = hmac_conn(Algorithm::Sha256, Encoding::Base64, None);
        assert_eq!(
            run(&c, &[("X-Signature", "!!!")], "", MSG, NOW),
            Err(INVALID_SIGNATURE)
        );
        let no_header = conn(Kind::Hmac, "shh");
        assert_eq!(
            run(&no_header, &[("X-Signature", "00")], "", b"", NOW),
            Err(MISSING_SIGNATURE)
        );
    }

    #[test]
    fn api_key() {
        let c = conn(Kind::ApiKey, "k3y+/=");
        assert_eq!(run(&c, &[("X-Api-Key", "k3y+/=")], "", b"", NOW), Ok(()));
        assert_eq!(
            run(&c, &[("x-api-key", "k3y")], "", b"", NOW),
            Err(INVALID_API_KEY)
        );
        assert_eq!(run(&c, &[], "", b"", NOW), Err(MISSING_API_KEY));
        assert_eq!(run(&c, &[], "a=1&apikey=", b"", NOW), Err(MISSING_API_KEY));
        assert_eq!(run(&c, &[], "a=1&apikey=k3y%2B%2f%3D", b"", NOW), Ok(()));
        assert_eq!(run(&c, &[], "apikey=k3y+/=&b", b"", NOW), Ok(()));
        assert_eq!(
            run(&c, &[], "apikey=k3y%2B", b"", NOW),
            Err(INVALID_API_KEY)
        );
        assert_eq!(
            run(&c, &[], "xapikey=k3y%2B%2F%3D", b"", NOW),
            Err(MISSING_API_KEY)
        );
        // A wrong header key is not rescued by a right query key.
        assert_eq!(
            run(&c, &[("x-api-key", "nope")], "apikey=k3y+/=", b"", NOW),
            Err(INVALID_API_KEY)
        );

        let custom = conn_with(
            Kind::ApiKey,
            "k3y+/=",
            Options {
                header: Some("Authorization-Token".into()),
                ..Options::default()
            },
        );
        assert_eq!(
            run(&custom, &[("authorization-token", "k3y+/=")], "", b"", NOW),
            Ok(())
        );
        assert_eq!(
            run(&custom, &[("x-api-key", "k3y+/=")], "", b"", NOW),
            Err(MISSING_API_KEY)
        );
        assert_eq!(percent_decode("a%zz%4"), b"a%zz%4");
        assert_eq!(percent_decode("%e2%80%a6"), "…".as_bytes());
    }

    #[test]
    fn basic() {
        let c = conn(Kind::Basic, "hookq:pa:ss");
        let good = format!("Basic {}", STANDARD.encode("hookq:pa:ss"));
        assert_eq!(run(&c, &[("Authorization", &good)], "", b"", NOW), Ok(()));
        let lower = format!("basic {}", STANDARD.encode("hookq:pa:ss"));
        assert_eq!(run(&c, &[("authorization", &lower)], "", b"", NOW), Ok(()));
        let bad = format!("Basic {}", STANDARD.encode("hookq:pa:sS"));
        assert_eq!(
            run(&c, &[("Authorization", &bad)], "", b"", NOW),
            Err(INVALID_CREDENTIALS)
        );
        assert_eq!(
            run(&c, &[("Authorization", "Basic %%%")], "", b"", NOW),
            Err(INVALID_CREDENTIALS)
        );
        assert_eq!(run(&c, &[], "", b"", NOW), Err(MISSING_CREDENTIALS));
        assert_eq!(
            run(&c, &[("Authorization", "Bearer abc")], "", b"", NOW),
            Err(MISSING_CREDENTIALS)
        );
    }

    #[test]
    fn generated_secrets() {
        let sw = generate_secret(Kind::StandardWebhooks);
        let key = STANDARD.decode(sw.strip_prefix("whsec_").unwrap()).unwrap();
        assert_eq!(key.len(), 24);
        let basic = generate_secret(Kind::Basic);
        let password = basic.strip_prefix("hookq:").unwrap();
        assert_eq!(password.len(), 32);
        assert!(password
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        for kind in [Kind::Github, Kind::Stripe, Kind::Hmac, Kind::ApiKey] {
            let s = generate_secret(kind);
            assert_eq!(s.len(), 64);
            assert!(s
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
        // A Discord key is made by Discord (`--generate` is refused for it).
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Discord) {
            let (a, b) = (generate_secret(kind), generate_secret(kind));
            assert_ne!(a, b);
            assert_eq!(validate_secret(kind, &a), Ok(()));
        }
    }

    #[test]
    fn validating_secrets() {
        assert_eq!(
            validate_secret(
                Kind::StandardWebhooks,
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
            ),
            Ok(())
        );
        assert_eq!(
            validate_secret(Kind::StandardWebhooks, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Ok(())
        );
        assert!(validate_secret(Kind::StandardWebhooks, "whsec_not base64!").is_err());
        assert!(validate_secret(Kind::StandardWebhooks, "whsec_").is_err());
        assert_eq!(validate_secret(Kind::Basic, "user:"), Ok(()));
        assert!(validate_secret(Kind::Basic, "nocolon").is_err());
        assert!(validate_secret(Kind::Basic, ":password").is_err());
        assert!(validate_secret(Kind::ApiKey, "two words").is_err());
        assert_eq!(validate_secret(Kind::Github, "two words"), Ok(()));
        for kind in Kind::ALL {
            assert!(validate_secret(kind, "").is_err());
            assert!(validate_secret(kind, " a:b").is_err());
            assert!(validate_secret(kind, "a:b\n").is_err());
            assert!(validate_secret(kind, "a:\u{7}b").is_err());
        }
    }

    #[test]
    fn a_url_shows_its_password_masked() {
        assert_eq!(
            mask_url("http://user:hunter2@127.0.0.1:18777/p?q=1"),
            "http://user:h…(7 chars)@127.0.0.1:18777/p?q=1"
        );
        assert_eq!(
            mask_url("https://:tok3n-value@example.com"),
            "https://:to…(11 chars)@example.com"
        );
        // No password, or an @ that is not in the authority: unchanged.
        for kept in [
            "http://127.0.0.1:3000/h",
            "http://user@example.com/",
            "http://example.com/a@b:c",
            "http://example.com/?to=a:b@c",
        ] {
            assert_eq!(mask_url(kept), kept);
        }
    }

    #[test]
    fn masking() {
        assert_eq!(
            mask("whsec_abcdefghijklmnopqrstuvwxyz"),
            "whsec_abcd…(32 chars)"
        );
        assert_eq!(mask("0123456789abcdef"), "0123…(16 chars)");
        assert_eq!(mask("hookq:pw12345678"), "hookq:pw…(16 chars)");
        let mut secrets: Vec<String> = Kind::ALL.iter().map(|k| generate_secret(*k)).collect();
        secrets.extend(
            [
                "ab",
                "abcd",
                "abcdefgh",
                "whsec_x",
                "hookq:",
                "k3y…",
                "élan vital",
            ]
            .map(String::from),
        );
        for s in &secrets {
            let m = mask(s);
            assert!(!m.contains(s.as_str()), "{m} reveals {s}");
            assert!(m.ends_with(&format!("({} chars)", s.chars().count())));
        }
        let c = conn(Kind::ApiKey, "super-secret-value");
        assert!(!format!("{c:?}").contains("super-secret-value"));
    }

    #[test]
    fn refusal_displays_its_reason() {
        assert_eq!(SIGNATURE_MISMATCH.to_string(), "signature mismatch");
    }
}
