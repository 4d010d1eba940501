//! The senders of SPEC §12: presets, the signing template of the generic
//! `hmac` kind, and the handshakes some senders make before they deliver.
//!
//! Most presets are one HMAC over a template (a [`Scheme`]); GitLab (a
//! shared token), Twilio (the URL and sorted form fields), Meta (a `GET`
//! handshake beside GitHub's signature), Linear (a timestamp inside the
//! body) and Discord (Ed25519) need a few lines of their own.

use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{
    decode_hex, encode_hex, ensure_fresh, ensure_match, hmac_tag, percent_decode, query_param,
    secrets_equal, strip_prefix_ci, Algorithm, Connection, Encoding, Kind, Options, Refusal,
    Request, B64, INVALID_SIGNATURE, INVALID_TIMESTAMP, INVALID_TOKEN, MISSING_SIGNATURE,
    MISSING_TIMESTAMP, MISSING_TOKEN, SIGNATURE_MISMATCH,
};

const MISSING_ID: Refusal = Refusal("missing id header");

/// An HMAC scheme: where the signature is, how it is written, what it signs.
pub(super) struct Scheme<'a> {
    header: &'a str,
    prefix: Option<&'a str>,
    algorithm: Algorithm,
    encoding: Encoding,
    /// A template (see [`parse_template`]).
    signed: &'a str,
    timestamp_header: Option<&'a str>,
    id_header: Option<&'a str>,
}

/// The presets that are one HMAC over a template: the generic `hmac` kind
/// written out (docs/connections.md shows the same as command lines).
pub(super) fn preset(kind: Kind) -> Option<Scheme<'static>> {
    let sha256 = |header, prefix, encoding, signed| Scheme {
        header,
        prefix,
        algorithm: Algorithm::Sha256,
        encoding,
        signed,
        timestamp_header: None,
        id_header: None,
    };
    Some(match kind {
        Kind::Slack => Scheme {
            timestamp_header: Some("x-slack-request-timestamp"),
            ..sha256(
                "x-slack-signature",
                Some("v0="),
                Encoding::Hex,
                "v0:{timestamp}:{body}",
            )
        },
        Kind::Zoom => Scheme {
            timestamp_header: Some("x-zm-request-timestamp"),
            ..sha256(
                "x-zm-signature",
                Some("v0="),
                Encoding::Hex,
                "v0:{timestamp}:{body}",
            )
        },
        Kind::Shopify => sha256("x-shopify-hmac-sha256", None, Encoding::Base64, "{body}"),
        Kind::Square => sha256(
            "x-square-hmacsha256-signature",
            None,
            Encoding::Base64,
            "{url}{body}",
        ),
        Kind::Twitch => Scheme {
            timestamp_header: Some("twitch-eventsub-message-timestamp"),
            id_header: Some("twitch-eventsub-message-id"),
            ..sha256(
                "twitch-eventsub-message-signature",
                Some("sha256="),
                Encoding::Hex,
                "{id}{timestamp}{body}",
            )
        },
        Kind::Linear => sha256("linear-signature", None, Encoding::Hex, "{body}"),
        Kind::Meta => sha256(
            "x-hub-signature-256",
            Some("sha256="),
            Encoding::Hex,
            "{body}",
        ),
        _ => return None,
    })
}

/// One piece of a signing template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part<'t> {
    Text(&'t str),
    Body,
    Timestamp,
    Id,
    Url,
}

/// A template: literal text with `{body}`, `{timestamp}`, `{id}` and
/// `{url}`; `{{` and `}}` stand for a literal brace. Anything else in braces
/// is refused, so a typo is an error at creation, not a 401 forever after.
pub fn parse_template(template: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let Some(at) = rest.find(['{', '}']) else {
            parts.push(Part::Text(rest));
            break;
        };
        if at > 0 {
            parts.push(Part::Text(&rest[..at]));
        }
        rest = &rest[at..];
        if let Some(tail) = rest.strip_prefix("{{") {
            parts.push(Part::Text("{"));
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("}}") {
            parts.push(Part::Text("}"));
            rest = tail;
        } else if rest.starts_with('}') {
            return Err("a lone } (write }} for a literal brace)".into());
        } else {
            let end = rest
                .find('}')
                .ok_or("a { without its } (write {{ for a literal brace)")?;
            parts.push(match &rest[1..end] {
                "body" => Part::Body,
                "timestamp" => Part::Timestamp,
                "id" => Part::Id,
                "url" => Part::Url,
                other => {
                    return Err(format!(
                        "unknown placeholder {{{other}}} (known: {{body}}, {{timestamp}}, {{id}}, {{url}})"
                    ))
                }
            });
            rest = &rest[end + 1..];
        }
    }
    Ok(parts)
}

/// The generic `hmac` kind with `--signed`, `--timestamp-header` or `--id-header`.
pub(super) fn verify_template(
    secret: &str,
    req: &Request<'_>,
    opts: &Options,
    now: i64,
) -> Result<(), Refusal> {
    let scheme = Scheme {
        header: opts.header.as_deref().ok_or(MISSING_SIGNATURE)?,
        prefix: opts.prefix.as_deref().filter(|p| !p.is_empty()),
        algorithm: opts.algorithm,
        encoding: opts.encoding,
        signed: opts.signed.as_deref().unwrap_or("{body}"),
        timestamp_header: opts.timestamp_header.as_deref(),
        id_header: opts.id_header.as_deref(),
    };
    verify_scheme(secret, req, &scheme, opts, now)
}

pub(super) fn verify_scheme(
    secret: &str,
    req: &Request<'_>,
    scheme: &Scheme<'_>,
    opts: &Options,
    now: i64,
) -> Result<(), Refusal> {
    let value = single_header(req, scheme.header)?.ok_or(MISSING_SIGNATURE)?;
    let value = match scheme.prefix {
        Some(prefix) => strip_prefix_ci(value, prefix).ok_or(INVALID_SIGNATURE)?,
        None => value,
    };
    let signature = match scheme.encoding {
        Encoding::Hex => decode_hex(value),
        Encoding::Base64 => B64.decode(value).ok(),
    }
    .ok_or(INVALID_SIGNATURE)?;
    let timestamp = match scheme.timestamp_header {
        Some(name) => {
            let raw = single_header(req, name)?.ok_or(MISSING_TIMESTAMP)?;
            Some((raw, parse_timestamp(raw).ok_or(INVALID_TIMESTAMP)?))
        }
        None => None,
    };
    // A template stored by an older hookq or edited by hand that no longer
    // parses can match nothing.
    let template = parse_template(scheme.signed).map_err(|_| SIGNATURE_MISMATCH)?;
    let url = if template.contains(&Part::Url) {
        Some(public_url(opts, req).ok_or(SIGNATURE_MISMATCH)?)
    } else {
        None
    };
    let mut message: Vec<&[u8]> = Vec::with_capacity(template.len());
    for part in &template {
        message.push(match part {
            Part::Text(text) => text.as_bytes(),
            Part::Body => req.body,
            Part::Timestamp => timestamp.ok_or(MISSING_TIMESTAMP)?.0.as_bytes(),
            Part::Id => {
                let name = scheme.id_header.ok_or(MISSING_ID)?;
                single_header(req, name)?.ok_or(MISSING_ID)?.as_bytes()
            }
            Part::Url => url.as_deref().unwrap_or_default().as_bytes(),
        });
    }
    let tag = hmac_tag(scheme.algorithm, secret.as_bytes(), &message);
    ensure_match(&tag, [signature])?;
    // Checked once the signature holds, as for Stripe: a forger learns
    // nothing, a genuine sender with a bad clock is told the truth.
    match timestamp {
        Some((_, t)) => ensure_fresh(t, now, opts.tolerance_secs),
        None => Ok(()),
    }
}

/// GitLab sends the secret token itself.
pub(super) fn verify_gitlab(secret: &str, req: &Request<'_>) -> Result<(), Refusal> {
    let token = single_header(req, "x-gitlab-token")?.ok_or(MISSING_TOKEN)?;
    if secrets_equal(token.as_bytes(), secret.as_bytes()) {
        Ok(())
    } else {
        Err(INVALID_TOKEN)
    }
}

/// Twilio: base64 HMAC over the public URL (with its query) followed by
/// each form field's name and value, sorted, as twilio's `RequestValidator`
/// does; a JSON body is covered by the URL's `bodySHA256` instead. The URL
/// is tried without and with its default port, as the library does.
pub(super) fn verify_twilio(
    secret: &str,
    req: &Request<'_>,
    opts: &Options,
) -> Result<(), Refusal> {
    let value = single_header(req, "x-twilio-signature")?.ok_or(MISSING_SIGNATURE)?;
    let signature = B64.decode(value).map_err(|_| INVALID_SIGNATURE)?;
    let algorithm = match single_header(req, "x-twilio-webhooks-signature-settings")? {
        None => Algorithm::Sha1,
        Some(settings) => {
            let named = settings.split(',').find_map(|part| {
                let (name, value) = part.split_once('=')?;
                (name.trim() == "algorithm").then_some(value.trim())
            });
            match named {
                None | Some("") => Algorithm::Sha1,
                Some(name) if name.eq_ignore_ascii_case("hmac_sha1") => Algorithm::Sha1,
                Some(name) if name.eq_ignore_ascii_case("hmac_sha256") => Algorithm::Sha256,
                Some(_) => return Err(INVALID_SIGNATURE),
            }
        }
    };
    let url = public_url(opts, req).ok_or(SIGNATURE_MISMATCH)?;
    let mut fields = String::new();
    let mut body_ok = subtle::Choice::from(1);
    if let Some(hash) = query_param(req.query, "bodySHA256") {
        let actual = encode_hex(&Sha256::digest(req.body));
        body_ok = actual.as_bytes().ct_eq(&hash);
    } else if is_form(req) {
        for (name, value) in sorted_form_fields(req.body) {
            fields.push_str(&name);
            fields.push_str(&value);
        }
    }
    let mut matched = subtle::Choice::from(0);
    for candidate in [without_port(&url), with_port(&url)] {
        let tag = hmac_tag(
            algorithm,
            secret.as_bytes(),
            &[candidate.as_bytes(), fields.as_bytes()],
        );
        matched |= tag.ct_eq(&signature);
    }
    if bool::from(matched & body_ok) {
        Ok(())
    } else {
        Err(SIGNATURE_MISMATCH)
    }
}

/// Linear signs the body alone; its time, `webhookTimestamp` (ms), is in
/// the body, and is checked as a header timestamp would be.
pub(super) fn verify_linear(
    secret: &str,
    req: &Request<'_>,
    tolerance: u64,
    now: i64,
) -> Result<(), Refusal> {
    let scheme = preset(Kind::Linear).expect("linear is a preset");
    verify_scheme(secret, req, &scheme, &Options::default(), now)?;
    #[derive(Deserialize)]
    struct Body {
        #[serde(rename = "webhookTimestamp")]
        timestamp: Option<serde_json::Value>,
    }
    let Ok(Body { timestamp: Some(t) }) = serde_json::from_slice::<Body>(req.body) else {
        // Signed, and without a time to check: what Linear sent.
        return Ok(());
    };
    let millis = t.as_i64().ok_or(INVALID_TIMESTAMP)?;
    ensure_fresh(millis.div_euclid(1000), now, tolerance)
}

/// Meta signs deliveries as GitHub does; its subscription handshake is a
/// `GET` carrying the verify token the user chose.
pub(super) fn verify_meta(secret: &str, req: &Request<'_>, opts: &Options) -> Result<(), Refusal> {
    if req.method == "GET" && query_param(req.query, "hub.mode").is_some() {
        let given = query_param(req.query, "hub.verify_token").ok_or(MISSING_TOKEN)?;
        let expected = opts.verify_token.as_deref().ok_or(INVALID_TOKEN)?;
        return if secrets_equal(&given, expected.as_bytes()) {
            Ok(())
        } else {
            Err(INVALID_TOKEN)
        };
    }
    let scheme = preset(Kind::Meta).expect("meta is a preset");
    verify_scheme(secret, req, &scheme, opts, 0)
}

/// Discord: Ed25519 over the timestamp and the body, with the
/// application's public key (the connection's "secret").
pub(super) fn verify_discord(
    public_key: &str,
    req: &Request<'_>,
    tolerance: u64,
    now: i64,
) -> Result<(), Refusal> {
    let value = single_header(req, "x-signature-ed25519")?.ok_or(MISSING_SIGNATURE)?;
    let raw_t = single_header(req, "x-signature-timestamp")?.ok_or(MISSING_TIMESTAMP)?;
    let signature: [u8; 64] = decode_hex(value)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(INVALID_SIGNATURE)?;
    let t = parse_timestamp(raw_t).ok_or(INVALID_TIMESTAMP)?;
    // validate_discord_key refused such a key at creation.
    let key = discord_key(public_key).ok_or(SIGNATURE_MISMATCH)?;
    let mut message = Vec::with_capacity(raw_t.len() + req.body.len());
    message.extend_from_slice(raw_t.as_bytes());
    message.extend_from_slice(req.body);
    // Strict: no small-order keys or malleable signatures (RFC 8032 §5.1.7).
    key.verify_strict(&message, &Signature::from_bytes(&signature))
        .map_err(|_| SIGNATURE_MISMATCH)?;
    ensure_fresh(t, now, tolerance)
}

fn discord_key(public_key: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = decode_hex(public_key.trim())?.try_into().ok()?;
    let key = VerifyingKey::from_bytes(&bytes).ok()?;
    // A weak key would let a forged signature pass verify_strict's checks.
    (!key.is_weak()).then_some(key)
}

/// Check a Discord public key at creation: Err = a message for a person.
pub fn validate_discord_key(public_key: &str) -> Result<(), String> {
    discord_key(public_key).map(drop).ok_or_else(|| {
        "a discord key is the application's public key: 64 hex characters of a valid Ed25519 key"
            .into()
    })
}

/// What the server answers, instead of queueing, to a sender's handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// The handshake this request is, if it is one. Called only once the
/// request is verified: an unverified handshake is refused like any request.
pub fn handshake(conn: &Connection, req: &Request<'_>) -> Option<Handshake> {
    let text = |body: &str| Handshake {
        content_type: "text/plain; charset=utf-8",
        body: body.as_bytes().to_vec(),
    };
    let json = |value: serde_json::Value| Handshake {
        content_type: "application/json",
        body: value.to_string().into_bytes(),
    };
    match conn.kind {
        Kind::Slack if contains(req.body, b"url_verification") => {
            let body: serde_json::Value = serde_json::from_slice(req.body).ok()?;
            (body["type"] == "url_verification").then_some(())?;
            Some(text(body["challenge"].as_str()?))
        }
        Kind::Zoom if contains(req.body, b"endpoint.url_validation") => {
            let body: serde_json::Value = serde_json::from_slice(req.body).ok()?;
            (body["event"] == "endpoint.url_validation").then_some(())?;
            let plain = body["payload"]["plainToken"].as_str()?;
            let encrypted = hmac_tag(
                Algorithm::Sha256,
                conn.secret.as_bytes(),
                &[plain.as_bytes()],
            );
            Some(json(serde_json::json!({
                "plainToken": plain,
                "encryptedToken": encode_hex(&encrypted),
            })))
        }
        Kind::Twitch
            if req.header("twitch-eventsub-message-type")
                == Some("webhook_callback_verification") =>
        {
            let body: serde_json::Value = serde_json::from_slice(req.body).ok()?;
            Some(text(body["challenge"].as_str()?))
        }
        Kind::Discord if contains(req.body, b"\"type\"") => {
            let body: serde_json::Value = serde_json::from_slice(req.body).ok()?;
            (body["type"] == 1).then(|| json(serde_json::json!({"type": 1})))
        }
        Kind::Meta if req.method == "GET" => {
            let mode = query_param(req.query, "hub.mode")?;
            (mode == b"subscribe").then_some(())?;
            let challenge = query_param(req.query, "hub.challenge")?;
            Some(Handshake {
                content_type: "text/plain; charset=utf-8",
                body: challenge,
            })
        }
        _ => None,
    }
}

/// The one value of a header. Several values of a signature, timestamp or
/// id header are refused: which one a sender meant is a guess, and a guess
/// is how a request gets through that should not.
fn single_header<'r>(req: &Request<'r>, name: &str) -> Result<Option<&'r str>, Refusal> {
    let mut found = req
        .headers
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim());
    let first = found.next();
    if found.next().is_some() {
        return Err(INVALID_SIGNATURE);
    }
    Ok(first.filter(|value| !value.is_empty()))
}

/// A timestamp as senders write it: unix seconds, unix milliseconds (a
/// number past 10^11, which in seconds is the year 5138), or RFC 3339
/// (Twitch). In seconds.
pub(super) fn parse_timestamp(raw: &str) -> Option<i64> {
    if !raw.is_empty() && raw.len() <= 19 && raw.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = raw.parse().ok()?;
        return Some(if n > 100_000_000_000 { n / 1000 } else { n });
    }
    OffsetDateTime::parse(raw, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// The URL the sender called: `--base-url`, then the path and query.
fn public_url(opts: &Options, req: &Request<'_>) -> Option<String> {
    let base = opts.base_url.as_deref()?.trim_end_matches('/');
    let mut url = format!("{base}{}", req.path);
    if !req.query.is_empty() {
        url.push('?');
        url.push_str(req.query);
    }
    Some(url)
}

/// `scheme://host[:port]rest` split at the authority.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    Some((scheme, &rest[..end], &rest[end..]))
}

/// An authority's host and port (`[::1]:8080` → `[::1]`, `8080`).
fn host_port(authority: &str) -> (&str, Option<&str>) {
    let after_host = authority.rfind(']').map_or(0, |close| close + 1);
    match authority[after_host..].find(':') {
        Some(colon) => (
            &authority[..after_host + colon],
            Some(&authority[after_host + colon + 1..]),
        ),
        None => (authority, None),
    }
}

fn without_port(url: &str) -> String {
    match split_url(url) {
        Some((scheme, authority, rest)) => format!("{scheme}://{}{rest}", host_port(authority).0),
        None => url.to_owned(),
    }
}

fn with_port(url: &str) -> String {
    match split_url(url) {
        Some((scheme, authority, rest)) if host_port(authority).1.is_none() => {
            let port = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            format!("{scheme}://{authority}:{port}{rest}")
        }
        _ => url.to_owned(),
    }
}

fn is_form(req: &Request<'_>) -> bool {
    req.header("content-type").is_some_and(|ct| {
        ct.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// The form's fields by name, each name's distinct values sorted, as
/// twilio's validator reads them.
fn sorted_form_fields(body: &[u8]) -> Vec<(String, String)> {
    let decode =
        |s: &str| String::from_utf8_lossy(&percent_decode(&s.replace('+', " "))).into_owned();
    let text = String::from_utf8_lossy(body);
    let mut fields: Vec<(String, String)> = text
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (decode(name), decode(value)),
            None => (decode(pair), String::new()),
        })
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
