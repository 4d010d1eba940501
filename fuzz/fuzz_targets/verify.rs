//! The connection checks of `hookq::verify` (SPEC §4): arbitrary headers,
//! query and body against every kind must never panic. A request the fuzzer
//! signs correctly must pass, whatever else it carries.

#![no_main]

use arbitrary::Arbitrary;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use hmac::{Hmac, Mac};
use hookq::verify::{self, Algorithm, Connection, Encoding, Kind, Options, Request};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

/// Header names the verifiers look for, so random values reach the parsers.
const NAMES: &[&str] = &[
    "X-Hub-Signature-256",
    "Stripe-Signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "Authorization",
    "x-api-key",
    "X-Signature",
    "X-Slack-Signature",
    "X-Slack-Request-Timestamp",
    "X-Shopify-Hmac-Sha256",
    "X-Gitlab-Token",
    "X-Twilio-Signature",
    "X-Twilio-Webhooks-Signature-Settings",
    "Linear-Signature",
    "x-zm-signature",
    "x-zm-request-timestamp",
    "x-square-hmacsha256-signature",
    "Twitch-Eventsub-Message-Id",
    "Twitch-Eventsub-Message-Timestamp",
    "Twitch-Eventsub-Message-Signature",
    "Twitch-Eventsub-Message-Type",
    "X-Signature-Ed25519",
    "X-Signature-Timestamp",
    "Content-Type",
    "X-Timestamp",
    "X-Id",
];

#[derive(Arbitrary, Debug)]
enum Name {
    Known(u8),
    Any(String),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    secret: String,
    header_option: Option<String>,
    algorithm: u8,
    base64: bool,
    prefix: Option<String>,
    tolerance_secs: u64,
    now: i64,
    headers: Vec<(Name, String)>,
    query: &'a str,
    body: &'a [u8],
    /// Also sign the request correctly (github, stripe, standard-webhooks,
    /// slack, a template) at this timestamp offset from `now`.
    sign_at: Option<i16>,
    /// The generic kind's `--signed` template (any text: parsed or refused).
    signed: Option<String>,
    get: bool,
    /// A rotated connection: the previous secret, and its grace from `now`.
    previous: Option<(String, i16)>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fuzz_target!(|input: Input<'_>| {
    let mut headers: Vec<(String, String)> = input
        .headers
        .into_iter()
        .map(|(name, value)| {
            let name = match name {
                Name::Known(i) => NAMES[usize::from(i) % NAMES.len()].to_owned(),
                Name::Any(name) => name,
            };
            (name, value)
        })
        .collect();
    let options = Options {
        header: input.header_option,
        algorithm: [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]
            [usize::from(input.algorithm) % 3],
        encoding: if input.base64 {
            Encoding::Base64
        } else {
            Encoding::Hex
        },
        prefix: input.prefix,
        tolerance_secs: input.tolerance_secs,
        signed: input.signed.clone(),
        timestamp_header: Some("X-Timestamp".to_owned()),
        id_header: Some("X-Id".to_owned()),
        base_url: Some("https://hooks.example.com".to_owned()),
        verify_token: Some("token".to_owned()),
    };
    if let Some(template) = &input.signed {
        let _ = verify::parse_template(template);
    }
    let previous = input.previous.map(|(secret, grace)| verify::Previous {
        secret,
        until: input.now.saturating_add(i64::from(grace)).saturating_mul(1000),
    });
    let connection = |kind| Connection {
        kind,
        secret: input.secret.clone(),
        options: options.clone(),
        previous: previous.clone(),
    };

    // Signed requests: the genuine signature goes first, the fuzzer's own
    // headers after it (the verifiers read the first header of a name).
    let mut signed = Vec::new();
    if let Some(offset) = input.sign_at {
        let t = input.now.saturating_add(i64::from(offset));
        let secret = input.secret.as_bytes();
        let github = format!("sha256={}", hex(&mac(secret, &[input.body])));
        signed.push((
            Kind::Github,
            vec![("X-Hub-Signature-256".to_owned(), github)],
            0,
        ));
        let stripe = mac(secret, &[t.to_string().as_bytes(), b".", input.body]);
        let stripe = format!("t={t},v1=00,v1={}", hex(&stripe));
        signed.push((
            Kind::Stripe,
            vec![("Stripe-Signature".to_owned(), stripe)],
            t,
        ));
        let key = input.secret.strip_prefix("whsec_").unwrap_or(&input.secret);
        if let Ok(key) = STANDARD.decode(key) {
            if !key.is_empty() {
                let id = "msg_1";
                let sig = mac(
                    &key,
                    &[
                        id.as_bytes(),
                        b".",
                        t.to_string().as_bytes(),
                        b".",
                        input.body,
                    ],
                );
                signed.push((
                    Kind::StandardWebhooks,
                    vec![
                        ("webhook-id".to_owned(), id.to_owned()),
                        ("webhook-timestamp".to_owned(), t.to_string()),
                        (
                            "webhook-signature".to_owned(),
                            format!("v2,xx v1,{}", STANDARD.encode(sig)),
                        ),
                    ],
                    t,
                ));
            }
        }
        let slack = mac(secret, &[b"v0:", t.to_string().as_bytes(), b":", input.body]);
        signed.push((
            Kind::Slack,
            vec![
                ("X-Slack-Signature".to_owned(), format!("v0={}", hex(&slack))),
                ("X-Slack-Request-Timestamp".to_owned(), t.to_string()),
            ],
            t,
        ));
    }
    let method = if input.get { "GET" } else { "POST" };

    for kind in Kind::ALL {
        let request = Request {
            method,
            path: "/wh/t",
            headers: &headers,
            query: input.query,
            body: input.body,
        };
        let conn = connection(kind);
        if verify::verify(&conn, &request, input.now).is_ok() {
            let _ = verify::handshake(&conn, &request);
        }
        let _ = verify::verify_head(&conn, &request, input.now);
    }
    for (kind, mut genuine, t) in signed {
        genuine.append(&mut headers.clone());
        // Several values of a header a new preset reads are refused: the
        // fuzzer's own may repeat the genuine ones.
        let repeated = kind == Kind::Slack
            && headers.iter().any(|(name, _)| {
                name.eq_ignore_ascii_case("x-slack-signature")
                    || name.eq_ignore_ascii_case("x-slack-request-timestamp")
            });
        let request = Request {
            method: "POST",
            path: "/wh/t",
            headers: &genuine,
            query: input.query,
            body: input.body,
        };
        let outcome = verify::verify(&connection(kind), &request, input.now);
        // Slack's timestamp is read as senders write them: a negative one is
        // no timestamp, and a number past 10^11 is milliseconds.
        let read_as = match kind {
            Kind::Slack if t < 0 => None,
            Kind::Slack if t > 100_000_000_000 => Some(t / 1000),
            _ => Some(t),
        };
        let fresh = kind == Kind::Github
            || read_as.is_some_and(|t| input.now.abs_diff(t) <= options.tolerance_secs);
        assert_eq!(outcome.is_ok(), fresh && !repeated, "{kind}: {outcome:?}");
    }
    // Keep the fuzzer's headers alive across iterations of the loop above.
    headers.clear();
});
