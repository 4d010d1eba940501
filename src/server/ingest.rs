//! The checks a webhook request goes through, in the order of SPEC §4, and
//! the hand-off to the writer. Nothing is stored unless every check passes.

use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{self, Receiver};
use std::time::Instant;

use tiny_http::Request;

use super::budget::Reservation;
use super::ratelimit::Limit;
use super::registry::{HookEntry, Responder};
use super::waiters::CycleOutcome;
use super::{Answer, Shared};
use crate::admission::{self, Admitted, Caller, Refused};
use crate::respond;
use crate::store::{Enqueued, NewEvent};
use crate::verify;

/// `Retry-After` for a full queue: a scenario needs a moment to drain it.
const QUEUE_FULL_RETRY_SECS: u64 = 5;

/// Handle `ANY /wh/<token>?<query>`.
pub fn ingest(shared: &Shared, request: &mut Request, token: &str, query: &str) -> Answer {
    let hook = match shared.registry.find(token) {
        Ok(Some(hook)) => hook,
        Ok(None) => return Answer::text(404, "Webhook not found."),
        Err(error) => {
            // Not a 404: the hook may well exist.
            if !shared.outage.failed(&error) {
                shared.log_error(&format!("could not look up a hook: {error:#}"));
            }
            return Answer::empty(503).header("Retry-After", "1");
        }
    };
    let refuse = |answer: Answer| -> Answer {
        shared.writer.refused(hook.id, answer.status);
        answer.for_hook(&hook.name)
    };
    let client = client_ip(request, shared.config.trust_proxy);
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_owned(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let method = request.method().as_str().to_owned();
    let rules = admission::Hook {
        enabled: hook.enabled,
        settings: &hook.settings,
        connection: hook.connection.as_ref(),
        queued: hook.queued.load(Relaxed),
    };
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let head = admission::Head {
        method: &method,
        path: &path,
        caller: Caller::Remote(client),
        headers: &headers,
        query,
        declared_len: request.body_length().map(|len| len as u64),
        now_unix: shared.now().div_euclid(1000),
    };
    if let Err(refused) = admission::before_body(&rules, &head) {
        // Only a declared size over the limit ends here with 401 or 413:
        // the body is left unread, so the connection cannot be reused.
        let unread = matches!(refused, Refused::Unverified(_) | Refused::TooLarge);
        return refuse(closing(refusal(refused), unread));
    }
    // Room for the body is reserved before a byte of it is read: its
    // declared size, or room as it comes when chunked. Held until the event
    // is committed (the writer drops the body then).
    let Some(mut reservation) = shared
        .budget
        .reserve(hook.id, request.body_length().unwrap_or(0) as u64)
    else {
        return refuse(bodies_in_flight());
    };
    let mut cut = false;
    let body = match read_body(request, hook.settings.max_body, &mut reservation) {
        Ok(body) => body,
        // Read up to one byte past the limit: after_body says whether that
        // is 413, or 401 as the head already fails verification.
        Err(BodyError::TooLarge(body)) => {
            cut = true;
            body
        }
        Err(BodyError::NoRoom) => return refuse(bodies_in_flight()),
        Err(BodyError::Io(e)) => {
            return refuse(Answer::text(
                400,
                format!("Could not read the request body: {e}"),
            ))
        }
    };
    let rate = || {
        shared.limiter.take(
            hook.id,
            Limit {
                rate: hook.settings.rate_limit,
                burst: hook.settings.burst,
            },
            Instant::now(),
        )
    };
    match admission::after_body(&rules, &head, &body, rate) {
        Ok(Admitted::Event) => {}
        Ok(Admitted::Handshake(handshake)) => {
            return Answer::text(200, "")
                .header("Content-Type", handshake.content_type)
                .body(handshake.body)
                .for_hook(&hook.name)
        }
        Err(refused) => {
            if refused.after_rate_limit() {
                shared.limiter.refund(hook.id);
            }
            return refuse(closing(refusal(refused), cut));
        }
    }
    let refund_and_refuse = |answer: Answer| {
        shared.limiter.refund(hook.id);
        refuse(answer)
    };
    let content_type = admission::content_type(&headers).map(str::to_owned);
    let delivery = admission::delivery(&hook.settings, hook.connection.as_ref(), &headers);
    let mut event = NewEvent {
        hook_id: hook.id,
        received_at: shared.now(),
        method,
        path: path.clone(),
        query: query.to_owned(),
        headers,
        remote_addr: client.map(|ip| ip.to_string()),
        content_type,
        body,
        replay_of: None,
        delivery,
    };
    verify::redact_credentials(
        hook.connection.as_ref(),
        &mut event.headers,
        &mut event.query,
        verify::VERIFIED,
    );
    // A scenario that answers its caller: wait for this event's cycle.
    let waiting = hook
        .respond
        .as_ref()
        .filter(|_| shared.waiters().is_some())
        .map(|responder| (responder, mpsc::sync_channel(1)));
    let (responder, answer) = match waiting {
        Some((responder, (tx, rx))) => (Some((responder, rx)), Some(tx)),
        None => (None, None),
    };
    let stored = shared.writer.store(event, answer, hook.immediate);
    drop(reservation);
    match stored {
        Ok(Enqueued::Stored(id)) => {
            hook.queued.fetch_add(1, Relaxed);
            match responder {
                Some((responder, cycle)) => await_cycle(shared, &hook, id, responder, cycle),
                None => accepted(&hook, id),
            }
        }
        // Stored once already: the sender is told so, and stops retrying.
        // Counted by the rate limit as an accepted request: a sender
        // repeating one id is not let past it.
        Ok(Enqueued::Duplicate) => {
            shared.metrics.duplicate(&hook.name);
            Answer::text(200, "Accepted").for_hook(&hook.name)
        }
        Ok(Enqueued::QueueFull) => refund_and_refuse(queue_full()),
        Ok(Enqueued::NoHook) => Answer::text(404, "Webhook not found."),
        Err(error) => {
            // Never 2xx for an event that is not stored.
            if !error.outage {
                shared.log_error(&format!(
                    "could not store an event for {}: {error}",
                    hook.name
                ));
            }
            refund_and_refuse(Answer::empty(503).header("Retry-After", "1"))
        }
    }
}

/// The server's answer to a refused request.
fn refusal(refused: Refused) -> Answer {
    let status = refused.status();
    match refused {
        Refused::Disabled => Answer::text(status, "Webhook is disabled."),
        Refused::Method(methods) => Answer::empty(status).header("Allow", methods.join(", ")),
        Refused::Address | Refused::TooLarge => Answer::empty(status),
        Refused::Unverified(reason) => Answer::text(status, reason.to_string()),
        Refused::RateLimited(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            Answer::text(status, "Too many requests.")
                .header("Retry-After", secs.max(1).to_string())
        }
        Refused::QueueFull => queue_full(),
        Refused::NotJson(message) => Answer::text(status, message),
    }
}

/// A body left partly unread cannot be skipped to the next request.
fn closing(answer: Answer, unread: bool) -> Answer {
    if unread {
        answer.header("Connection", "close")
    } else {
        answer
    }
}

fn accepted(hook: &HookEntry, id: i64) -> Answer {
    Answer::text(200, "Accepted").for_hook(&hook.name).event(id)
}

/// Hold the request until the cycle of its event ends (SPEC §6); on
/// timeout or shutdown, the usual `200 Accepted`, the event staying queued.
fn await_cycle(
    shared: &Shared,
    hook: &HookEntry,
    id: i64,
    responder: &Responder,
    cycle: Receiver<CycleOutcome>,
) -> Answer {
    // This waits on the connection's own thread: no other client needs it.
    let outcome = cycle.recv_timeout(responder.timeout);
    match outcome {
        Ok(outcome) => respond(id, responder, &outcome)
            .for_hook(&hook.name)
            .event(id),
        Err(_) => {
            if let Some(waiters) = shared.waiters() {
                waiters.cancel(id);
            }
            accepted(hook, id)
        }
    }
}

/// The answer of a cycle (SPEC §6): the scenario's, or 500 if it failed.
fn respond(event_id: i64, responder: &Responder, outcome: &CycleOutcome) -> Answer {
    let reply = match (outcome.ok, &outcome.error, &outcome.http) {
        (true, _, Some((status, headers))) => respond::passed_on(*status, headers, &outcome.stdout),
        (true, _, None) => respond::reply(
            responder.mode,
            responder.status,
            &responder.headers,
            &outcome.stdout,
        )
        .unwrap_or_else(|invalid| respond::failure(event_id, &invalid)),
        (false, error, _) => {
            respond::failure(event_id, error.as_deref().unwrap_or("the cycle failed"))
        }
    };
    Answer::reply(reply)
}

/// The budget of body bytes in flight has no room for this body: refused
/// before its body is read, and the connection closed so that it need not be.
fn bodies_in_flight() -> Answer {
    Answer::text(
        503,
        "Too many request bodies are being received; retry shortly.",
    )
    .header("Retry-After", "1")
    .header("Connection", "close")
}

fn queue_full() -> Answer {
    Answer::text(503, "Queue is full.").header("Retry-After", QUEUE_FULL_RETRY_SECS.to_string())
}

/// The peer address; with `--trust-proxy`, the last address of all
/// `X-Forwarded-For` lines taken together: the one the nearest proxy
/// appended. Earlier entries, and earlier lines, are whatever the client
/// wrote. A last entry that is not an address leaves the client unknown
/// (refused by `--allow-ip`), never the proxy's own address in its place.
fn client_ip(request: &Request, trust_proxy: bool) -> Option<IpAddr> {
    let peer = request.remote_addr().map(|addr| addr.ip());
    if !trust_proxy {
        return peer;
    }
    let last_line = request
        .headers()
        .iter()
        .rev()
        .find(|h| h.field.equiv("X-Forwarded-For"));
    match last_line {
        None => peer,
        Some(line) => forwarded_for(line.value.as_str()),
    }
}

/// The last entry of an `X-Forwarded-For` value: an address, possibly
/// with a port (`203.0.113.9:4711`, `[2001:db8::1]:4711`), as some proxies
/// write it.
fn forwarded_for(value: &str) -> Option<IpAddr> {
    let last = value.rsplit(',').next()?.trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

enum BodyError {
    /// What was read: the limit and one byte more.
    TooLarge(Vec<u8>),
    /// The budget of body bytes in flight ran out as a chunked body came.
    NoRoom,
    Io(std::io::Error),
}

/// Room reserved at a time for a chunked body, as it comes.
const CHUNKED_STEP: u64 = 64 << 10;

/// Read at most `max` bytes; one more means the body is too large (a
/// chunked body has no declared size, so this is where it is caught). A
/// body with a declared size fits its reservation; a chunked one grows it.
fn read_body(
    request: &mut Request,
    max: u64,
    reservation: &mut Reservation<'_>,
) -> Result<Vec<u8>, BodyError> {
    let declared = request.body_length().is_some();
    let mut reader = request.as_reader().take(max + 1);
    let mut body = Vec::new();
    loop {
        if declared {
            // Exactly the declared size: the reader ends there.
            body.reserve_exact(reservation.bytes() as usize);
        } else {
            let step = CHUNKED_STEP.min(max + 1 - body.len() as u64);
            if !reservation.grow(step) {
                return Err(BodyError::NoRoom);
            }
            body.reserve_exact(step as usize);
        }
        let room = reservation.bytes() - body.len() as u64;
        let read = (&mut reader)
            .take(room)
            .read_to_end(&mut body)
            .map_err(BodyError::Io)?;
        if declared || (read as u64) < room || body.len() as u64 > max {
            break;
        }
    }
    if body.len() as u64 > max {
        return Err(BodyError::TooLarge(body));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::forwarded_for;

    #[test]
    fn the_last_forwarded_entry_is_the_client() {
        let ip = |text: &str| text.parse().ok();
        assert_eq!(forwarded_for("203.0.113.9, 10.9.9.9"), ip("10.9.9.9"));
        assert_eq!(forwarded_for(" 10.9.9.9 "), ip("10.9.9.9"));
        assert_eq!(forwarded_for("1.2.3.4, 2001:db8::1"), ip("2001:db8::1"));
        assert_eq!(forwarded_for("10.9.9.9:4711"), ip("10.9.9.9"));
        assert_eq!(forwarded_for("[2001:db8::1]:4711"), ip("2001:db8::1"));
        for malformed in ["", "203.0.113.9,", "unknown", "10.9.9", "1.2.3.4, _hidden"] {
            assert_eq!(forwarded_for(malformed), None, "{malformed:?}");
        }
    }
}
