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

#[cfg(test)]
mod tests {
    use super::super::{verify, verify_head, Previous};
    use super::*;

    /// tests/vectors/senders.json: requests signed by the providers' own
    /// libraries or published examples (tests/vectors/make.py).
    #[derive(Deserialize)]
    struct Vector {
        name: String,
        kind: String,
        secret: String,
        options: Options,
        method: String,
        path: String,
        query: String,
        headers: Vec<(String, String)>,
        body: String,
        now: i64,
    }

    fn vectors() -> Vec<Vector> {
        serde_json::from_str(include_str!("../../tests/vectors/senders.json"))
            .expect("tests/vectors/senders.json")
    }

    fn connection(v: &Vector) -> Connection {
        Connection {
            kind: v.kind.parse().unwrap(),
            secret: v.secret.clone(),
            options: v.options.clone(),
            previous: None,
        }
    }

    fn check(
        c: &Connection,
        v: &Vector,
        headers: &[(String, String)],
        body: &[u8],
        now: i64,
    ) -> Result<(), Refusal> {
        let req = Request {
            method: &v.method,
            path: &v.path,
            headers,
            query: &v.query,
            body,
        };
        verify(c, &req, now)
    }

    #[test]
    fn every_preset_passes_its_providers_vectors() {
        let vectors = vectors();
        let kinds: std::collections::BTreeSet<&str> =
            vectors.iter().map(|v| v.kind.as_str()).collect();
        for kind in [
            "slack", "shopify", "gitlab", "twilio", "linear", "zoom", "square", "twitch", "meta",
            "discord",
        ] {
            assert!(kinds.contains(kind), "no vector for {kind}");
        }
        for v in &vectors {
            let c = connection(v);
            let body = v.body.as_bytes();
            assert_eq!(check(&c, v, &v.headers, body, v.now), Ok(()), "{}", v.name);
            // The head alone never refuses a genuine request.
            let req = Request {
                method: &v.method,
                path: &v.path,
                headers: &v.headers,
                query: &v.query,
                body: b"",
            };
            assert_eq!(verify_head(&c, &req, v.now), Ok(()), "{} (head)", v.name);
            if v.kind != "gitlab" {
                let mut tampered = body.to_vec();
                tampered.push(b' ');
                assert_eq!(
                    check(&c, v, &v.headers, &tampered, v.now),
                    Err(SIGNATURE_MISMATCH),
                    "{}: a changed body",
                    v.name
                );
            }
            if v.kind != "discord" {
                let other = Connection {
                    secret: format!("{}x", v.secret),
                    ..connection(v)
                };
                assert!(
                    check(&other, v, &v.headers, body, v.now).is_err(),
                    "{}: another secret",
                    v.name
                );
            }
            // Each value of a header the scheme reads, sent twice, is refused.
            for (name, value) in &v.headers {
                if name.eq_ignore_ascii_case("content-type")
                    || name.to_ascii_lowercase().contains("event")
                {
                    continue;
                }
                let mut twice = v.headers.clone();
                twice.push((name.clone(), value.clone()));
                let r = check(&c, v, &twice, body, v.now);
                let reads_it = check(
                    &c,
                    v,
                    &v.headers
                        .iter()
                        .filter(|(n, _)| n != name)
                        .cloned()
                        .collect::<Vec<_>>(),
                    body,
                    v.now,
                )
                .is_err();
                if reads_it {
                    assert!(r.is_err(), "{}: {name} twice", v.name);
                }
            }
        }
    }

    #[test]
    fn timestamps_are_checked_for_the_kinds_that_sign_one() {
        for v in vectors() {
            let c = connection(&v);
            let late = v.now + 301;
            let r = check(&c, &v, &v.headers, v.body.as_bytes(), late);
            match v.kind.as_str() {
                "slack" | "zoom" | "twitch" | "linear" | "discord" => {
                    assert_eq!(r, Err(Refusal("timestamp outside tolerance")), "{}", v.name)
                }
                _ => assert_eq!(r, Ok(()), "{}", v.name),
            }
        }
    }

    #[test]
    fn malformed_headers_are_clear_refusals() {
        let v = vectors().into_iter().find(|v| v.kind == "slack").unwrap();
        let c = connection(&v);
        let with = |name: &str, value: &str| {
            let mut h: Vec<(String, String)> = v
                .headers
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
                .cloned()
                .collect();
            h.push((name.to_owned(), value.to_owned()));
            check(&c, &v, &h, v.body.as_bytes(), v.now)
        };
        let sig = "X-Slack-Signature";
        assert_eq!(with(sig, ""), Err(MISSING_SIGNATURE));
        assert_eq!(with(sig, "v0="), Err(SIGNATURE_MISMATCH));
        assert_eq!(with(sig, "v0=a2114d57"), Err(SIGNATURE_MISMATCH));
        assert_eq!(with(sig, "v0=zz"), Err(INVALID_SIGNATURE));
        assert_eq!(with(sig, "v0=abc"), Err(INVALID_SIGNATURE));
        assert_eq!(with(sig, "v1=a2114d57"), Err(INVALID_SIGNATURE));
        assert_eq!(with(sig, &"a".repeat(100_000)), Err(INVALID_SIGNATURE));
        let ts = "X-Slack-Request-Timestamp";
        assert_eq!(with(ts, ""), Err(MISSING_TIMESTAMP));
        assert_eq!(with(ts, "soon"), Err(INVALID_TIMESTAMP));
        assert_eq!(with(ts, "-1531420618"), Err(INVALID_TIMESTAMP));
        assert_eq!(with(ts, "99999999999999999999999"), Err(INVALID_TIMESTAMP));
        assert_eq!(with(ts, "1531420618.5"), Err(INVALID_TIMESTAMP));
        // A timestamp written another way is another signed text.
        assert_eq!(with(ts, "01531420618"), Err(SIGNATURE_MISMATCH));

        let d = vectors().into_iter().find(|v| v.kind == "discord").unwrap();
        let c = connection(&d);
        let sig = &d.headers[0].1;
        let mut h = d.headers.clone();
        h[0].1 = sig[..126].to_owned();
        assert_eq!(
            check(&c, &d, &h, d.body.as_bytes(), d.now),
            Err(INVALID_SIGNATURE)
        );
        h[0].1 = format!("{sig}00");
        assert_eq!(
            check(&c, &d, &h, d.body.as_bytes(), d.now),
            Err(INVALID_SIGNATURE)
        );
        h[0].1 = base64::engine::general_purpose::STANDARD.encode(decode_hex(sig).unwrap());
        assert_eq!(
            check(&c, &d, &h, d.body.as_bytes(), d.now),
            Err(INVALID_SIGNATURE)
        );
    }

    #[test]
    fn discord_keys_are_checked_at_creation() {
        let v = vectors().into_iter().find(|v| v.kind == "discord").unwrap();
        assert_eq!(validate_discord_key(&v.secret), Ok(()));
        for bad in [
            "",
            "00",
            &"zz".repeat(32),
            &"00".repeat(33),
            &"00".repeat(32),
        ] {
            assert!(validate_discord_key(bad).is_err(), "{bad}");
        }
        // 32 bytes that are no point of the curve.
        let not_a_point = format!("02{}", "00".repeat(30) + "80");
        assert!(validate_discord_key(&not_a_point).is_err());
    }

    #[test]
    fn templates() {
        assert_eq!(
            parse_template("v0:{timestamp}:{body}"),
            Ok(vec![
                Part::Text("v0:"),
                Part::Timestamp,
                Part::Text(":"),
                Part::Body
            ])
        );
        assert_eq!(
            parse_template("{{{id}}}.{url}"),
            Ok(vec![
                Part::Text("{"),
                Part::Id,
                Part::Text("}"),
                Part::Text("."),
                Part::Url
            ])
        );
        for bad in ["{bdy}", "{body", "body}", "{}", "{ body }", "{timestamp}{"] {
            assert!(parse_template(bad).is_err(), "{bad}");
        }
        assert!(parse_template("{bdy}").unwrap_err().contains("{bdy}"));
    }

    /// The presets that are one HMAC are the generic kind with a template:
    /// the same requests pass both ways (docs/connections.md shows them).
    #[test]
    fn presets_written_as_templates() {
        let template = |v: &Vector, options: Options| Connection {
            kind: Kind::Hmac,
            secret: v.secret.clone(),
            options,
            previous: None,
        };
        let opts = |header: &str,
                    prefix: Option<&str>,
                    encoding,
                    signed: &str,
                    ts: Option<&str>,
                    id: Option<&str>| Options {
            header: Some(header.into()),
            prefix: prefix.map(Into::into),
            encoding,
            signed: Some(signed.into()),
            timestamp_header: ts.map(Into::into),
            id_header: id.map(Into::into),
            base_url: Some("https://hooks.example.com".into()),
            ..Options::default()
        };
        for v in vectors() {
            let options = match v.kind.as_str() {
                "slack" => opts(
                    "X-Slack-Signature",
                    Some("v0="),
                    Encoding::Hex,
                    "v0:{timestamp}:{body}",
                    Some("X-Slack-Request-Timestamp"),
                    None,
                ),
                "shopify" => opts(
                    "X-Shopify-Hmac-Sha256",
                    None,
                    Encoding::Base64,
                    "{body}",
                    None,
                    None,
                ),
                "square" => opts(
                    "x-square-hmacsha256-signature",
                    None,
                    Encoding::Base64,
                    "{url}{body}",
                    None,
                    None,
                ),
                "twitch" => opts(
                    "Twitch-Eventsub-Message-Signature",
                    Some("sha256="),
                    Encoding::Hex,
                    "{id}{timestamp}{body}",
                    Some("Twitch-Eventsub-Message-Timestamp"),
                    Some("Twitch-Eventsub-Message-Id"),
                ),
                _ => continue,
            };
            let c = template(&v, options);
            assert_eq!(
                check(&c, &v, &v.headers, v.body.as_bytes(), v.now),
                Ok(()),
                "{} as a template",
                v.name
            );
        }
    }

    #[test]
    fn a_rotated_secret_verifies_until_its_grace_ends() {
        let v = vectors().into_iter().find(|v| v.kind == "shopify").unwrap();
        let rotated = Connection {
            secret: "the-new-secret".into(),
            previous: Some(Previous {
                secret: v.secret.clone(),
                until: (v.now + 60) * 1000,
            }),
            ..connection(&v)
        };
        let body = v.body.as_bytes();
        assert_eq!(check(&rotated, &v, &v.headers, body, v.now + 59), Ok(()));
        assert_eq!(
            check(&rotated, &v, &v.headers, body, v.now + 60),
            Err(SIGNATURE_MISMATCH)
        );
        let current = Connection {
            secret: v.secret.clone(),
            ..rotated.clone()
        };
        assert_eq!(check(&current, &v, &v.headers, body, v.now + 600), Ok(()));
    }

    fn handshake_of(
        kind: Kind,
        secret: &str,
        method: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Option<Handshake> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let c = Connection {
            kind,
            secret: secret.into(),
            options: Options::default(),
            previous: None,
        };
        handshake(
            &c,
            &Request {
                method,
                path: "/wh/t",
                headers: &headers,
                query,
                body: body.as_bytes(),
            },
        )
    }

    #[test]
    fn handshakes_get_the_answers_their_senders_expect() {
        // Slack's url_verification, as its docs show it.
        let slack = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
        let h = handshake_of(Kind::Slack, "s", "POST", "", &[], slack).unwrap();
        assert_eq!(
            h.body,
            b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
        );
        assert_eq!(
            handshake_of(
                Kind::Slack,
                "s",
                "POST",
                "",
                &[],
                r#"{"type":"event_callback","text":"url_verification"}"#
            ),
            None
        );
        // Zoom: the plain token back, with its HMAC under the secret token.
        let zoom = r#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
        let h = handshake_of(Kind::Zoom, "zm_secret_token_42", "POST", "", &[], zoom).unwrap();
        let expected = hmac::Mac::finalize(hmac::Mac::chain_update(
            <hmac::Hmac<Sha256> as hmac::Mac>::new_from_slice(b"zm_secret_token_42").unwrap(),
            b"qgg8vlvZRS6UYooatFL8Aw",
        ))
        .into_bytes();
        let answer: serde_json::Value = serde_json::from_slice(&h.body).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": encode_hex(&expected)})
        );
        assert_eq!(h.content_type, "application/json");
        // Twitch: the challenge as plain text.
        let twitch = r#"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow"}}"#;
        let h = handshake_of(
            Kind::Twitch,
            "s",
            "POST",
            "",
            &[(
                "Twitch-Eventsub-Message-Type",
                "webhook_callback_verification",
            )],
            twitch,
        )
        .unwrap();
        assert_eq!(h.body, b"pogchamp-kappa-360noscope-vohiyo");
        assert_eq!(
            handshake_of(
                Kind::Twitch,
                "s",
                "POST",
                "",
                &[("Twitch-Eventsub-Message-Type", "notification")],
                twitch
            ),
            None
        );
        // Discord: PONG to PING; anything else is an event.
        let h = handshake_of(Kind::Discord, "k", "POST", "", &[], r#"{"type":1}"#).unwrap();
        assert_eq!(h.body, br#"{"type":1}"#);
        assert_eq!(
            handshake_of(Kind::Discord, "k", "POST", "", &[], r#"{"type":2}"#),
            None
        );
        // Meta: the challenge of a subscribe GET.
        let h = handshake_of(
            Kind::Meta,
            "s",
            "GET",
            "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
            &[],
            "",
        )
        .unwrap();
        assert_eq!(h.body, b"1158201444");
        assert_eq!(
            handshake_of(
                Kind::Meta,
                "s",
                "POST",
                "hub.mode=subscribe&hub.challenge=1",
                &[],
                ""
            ),
            None
        );
    }

    #[test]
    fn urls_with_and_without_their_port() {
        assert_eq!(
            with_port("https://a.example/x?y"),
            "https://a.example:443/x?y"
        );
        assert_eq!(with_port("http://a.example"), "http://a.example:80");
        assert_eq!(
            with_port("https://a.example:8443/x"),
            "https://a.example:8443/x"
        );
        assert_eq!(
            without_port("https://a.example:8443/x"),
            "https://a.example/x"
        );
        assert_eq!(without_port("http://[::1]:8080/wh"), "http://[::1]/wh");
        assert_eq!(with_port("http://[::1]/wh"), "http://[::1]:80/wh");
    }

    #[test]
    fn timestamps_as_senders_write_them() {
        assert_eq!(parse_timestamp("1700000000"), Some(1_700_000_000));
        assert_eq!(parse_timestamp("1700000000123"), Some(1_700_000_000));
        assert_eq!(
            parse_timestamp("2023-11-14T22:13:20.123456789Z"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_timestamp("2023-11-14T23:13:20+01:00"),
            Some(1_700_000_000)
        );
        for bad in [
            "",
            "+1700000000",
            "1e9",
            "2023-11-14",
            "9999999999999999999999",
            " 1",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
