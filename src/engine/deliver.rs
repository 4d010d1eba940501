//! A cycle's action for a forwarding scenario (SPEC §10): the event
//! delivered to a URL as its sender sent it, the answer read and judged.
//!
//! The request is built on the execution's thread while the worker is busy
//! with the cycle before (as a command's spawn is prepared); the worker
//! sends it over a connection it keeps between cycles ([`Seat`]).

use std::io::{self, Read};
use std::time::{Duration, Instant};

use ureq::http;

use super::action::{Finished, HttpAnswer};
use super::answer::STDOUT_CAP;
use super::http1;
use super::kept::KeptConnector;
use super::tail::TAIL;
use crate::store::Forward;
use crate::units;

/// The longest wait between two tries of a target that is not listening.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The first wait: an app restarting under a file watcher is back in
/// about this long.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// How often a wait for the target looks whether the execution must stop.
const STOP_LOOK: Duration = Duration::from_millis(50);

/// One event to deliver.
pub struct Delivery<'a> {
    pub forward: &'a Forward,
    pub event_id: i64,
    pub attempt: u32,
    pub method: &'a str,
    /// The event's query string, without `?`.
    pub query: &'a str,
    /// The event's headers, as received.
    pub headers: &'a [(String, String)],
    /// The sender's address.
    pub remote_addr: Option<&'a str>,
    pub body: Vec<u8>,
    /// The scenario answers its caller with the target's answer: its body
    /// is kept whole (up to [`STDOUT_CAP`]), not just its first 64 KiB.
    pub answer: bool,
}

/// A delivery ready to send.
pub(super) struct Ready {
    /// The event's method, for the answer's record.
    method: String,
    /// The URL as the user wrote it, a password in it masked
    /// (`verify::mask_url`), for messages: they are stored in operations and
    /// executions and printed in the server's log.
    url: String,
    request: Request,
    timeout: Duration,
    insecure: bool,
    keep: usize,
}

/// The request, as the worker's client for its scheme takes it.
enum Request {
    /// `http://`: rendered whole, for [`http1`].
    Plain(http1::Request),
    /// `https://`: for ureq, TLS and all.
    Tls {
        method: http::Method,
        uri: http::Uri,
        headers: Vec<(http::HeaderName, http::HeaderValue)>,
        body: Vec<u8>,
    },
}

/// The headers never passed on (SPEC §10): they belong to one connection,
/// or are set for the target.
fn passed_on(name: &str, named_by_connection: &[String]) -> bool {
    crate::respond::is_settable_header(name)
        && !name.eq_ignore_ascii_case("host")
        // The sender's expectation was met by the listener: the body is
        // whole, and the target must not wait to be asked for it.
        && !name.eq_ignore_ascii_case("expect")
        && !named_by_connection
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
}

/// The URL with the event's query joined to its own.
fn join_query(url: &str, query: &str) -> String {
    if query.is_empty() {
        return url.to_owned();
    }
    // A fragment is never sent; what follows it is not part of the query.
    let url = url.split('#').next().unwrap_or(url);
    let glue = match url.split_once('?') {
        None => "?",
        Some((_, "")) => "",
        Some((_, own)) if own.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{url}{glue}{}", uri_safe(query))
}

/// The query as a URI may carry it: a byte RFC 3986 does not allow in a
/// query (`<`, `"`, a space, non-ASCII...), which senders send and the
/// listener stores as received, percent-encoded; everything else, `%`
/// escapes included, as it came. Else such an event could never be
/// delivered, and would hold the hook's queue behind it.
fn uri_safe(query: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
    if query.bytes().all(allowed) {
        return query.into();
    }
    let mut out = String::with_capacity(query.len() + 8);
    for b in query.bytes() {
        if allowed(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.into()
}

/// `Host` for a URI: its host, with its port unless the scheme's own (as
/// ureq sets it).
fn host_header(uri: &http::Uri) -> String {
    let host = uri.host().unwrap_or_default();
    match (uri.port_u16(), uri.scheme_str()) {
        (Some(80), Some("http")) | (Some(443), Some("https")) | (None, _) => host.to_owned(),
        (Some(port), _) => format!("{host}:{port}"),
    }
}

/// `Authorization` from a URL's `user:password@` (as ureq sends it), unless
/// the request has its own.
fn basic_auth(uri: &http::Uri) -> Option<String> {
    use base64::Engine;
    let (userinfo, _) = uri.authority()?.as_str().rsplit_once('@')?;
    let credentials = match userinfo.contains(':') {
        true => userinfo.to_owned(),
        false => format!("{userinfo}:"),
    };
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    ))
}

/// Build the request; a cycle that fails at once if it cannot be built
/// (a setting saved by hand, a header the target could not be sent).
pub(super) fn prepare(delivery: Delivery<'_>) -> Result<Ready, Finished> {
    let forward = delivery.forward;
    let url = join_query(&forward.url, delivery.query);
    let fail = |error: String| Finished::not_run(error, Duration::ZERO);
    let uri: http::Uri = url.parse().map_err(|e| {
        let url = crate::verify::mask_url(&url);
        fail(format!("invalid forward URL {url:?}: {e}"))
    })?;
    let method = delivery.method;
    if crate::respond::check_syntax(method, "").is_err() {
        return Err(fail(format!("invalid method {method:?}")));
    }
    // `Connection: x-foo` makes `x-foo` hop-by-hop too.
    let named_by_connection: Vec<String> = delivery
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, value)| value.split(','))
        .map(|token| token.trim().to_owned())
        .collect();
    let ours = |name: &str| {
        ["x-hookq-event-id", "x-hookq-attempt", "x-forwarded-for"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name))
            || forward
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let forwarded_for = delivery
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("x-forwarded-for"))
        .map(|(_, value)| value.as_str())
        .chain(delivery.remote_addr)
        .collect::<Vec<_>>()
        .join(", ");
    let mut headers: Vec<(&str, &str)> = delivery
        .headers
        .iter()
        .filter(|(name, _)| passed_on(name, &named_by_connection) && !ours(name))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let (event_id, attempt) = (delivery.event_id.to_string(), delivery.attempt.to_string());
    headers.push(("X-Hookq-Event-Id", &event_id));
    headers.push(("X-Hookq-Attempt", &attempt));
    if !forwarded_for.is_empty() {
        headers.push(("X-Forwarded-For", &forwarded_for));
    }
    for (name, value) in &forward.headers {
        headers.push((name, value));
    }
    // As bytes: a UTF-8 value as received (obs-text), not only visible ASCII.
    if let Some((name, _)) = headers
        .iter()
        .find(|(name, value)| crate::respond::check_syntax(name, value).is_err())
    {
        return Err(fail(format!("header {name:?} cannot be sent")));
    }
    let request = match uri.scheme_str() {
        Some("http") => {
            let bodiless = ["HEAD", "CONNECT"].contains(&method);
            if bodiless && !delivery.body.is_empty() {
                return Err(fail(format!("a {method} request cannot carry a body")));
            }
            let auth = basic_auth(&uri).filter(|_| {
                !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            });
            if let Some(auth) = &auth {
                headers.push(("Authorization", auth));
            }
            // `path()` is `/` for an empty path (`http://localhost:3000?x=1`).
            let target = match uri.query() {
                Some(query) => format!("{}?{query}", uri.path()),
                None => uri.path().to_owned(),
            };
            Request::Plain(http1::Request {
                host: uri.host().unwrap_or_default().to_owned(),
                port: uri.port_u16().unwrap_or(80),
                bytes: http1::render(&http1::Parts {
                    method,
                    target: &target,
                    host: &host_header(&uri),
                    headers: &headers,
                    body: &delivery.body,
                }),
                head: method == "HEAD",
            })
        }
        _ => Request::Tls {
            method: http::Method::from_bytes(method.as_bytes())
                .map_err(|_| fail(format!("invalid method {method:?}")))?,
            headers: headers
                .into_iter()
                .map(|(name, value)| {
                    let invalid = || fail(format!("header {name:?} cannot be sent"));
                    Ok((
                        http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?,
                        http::HeaderValue::from_bytes(value.as_bytes()).map_err(|_| invalid())?,
                    ))
                })
                .collect::<Result<_, Finished>>()?,
            uri,
            body: delivery.body,
        },
    };
    Ok(Ready {
        method: method.to_owned(),
        url: crate::verify::mask_url(&forward.url),
        request,
        timeout: forward.timeout.std(),
        insecure: forward.insecure,
        keep: if delivery.answer { STDOUT_CAP } else { TAIL },
    })
}

/// What the worker keeps between deliveries: the client, whose idle
/// connection to the target the next cycle reuses.
#[derive(Default)]
pub(super) struct Seat {
    agent: Option<((Duration, bool), ureq::Agent)>,
    /// The kept connection of `http://` targets.
    plain: Option<http1::Connection>,
    /// Their hosts' addresses.
    resolver: InlineResolver,
}

impl Seat {
    fn agent(&mut self, timeout: Duration, insecure: bool) -> &ureq::Agent {
        let key = (timeout, insecure);
        if self.agent.as_ref().is_none_or(|(k, _)| *k != key) {
            self.agent = Some((key, agent(timeout, insecure)));
        }
        &self.agent.as_ref().expect("set above").1
    }
}

/// How long a host's addresses are used again without asking: ureq asks
/// before every request, even one that reuses the kept connection (the
/// addresses serve only a new connection).
const RESOLVED_FOR: Duration = Duration::from_secs(1);

/// ureq's resolver, asked without a deadline, and its last answer kept for
/// [`RESOLVED_FOR`]. With a deadline (our timeout), it resolves on a new
/// thread per request: that thread was a third of a delivery's cost to a
/// local app (docs/benchmarks.md, "Forwarding"). Asked every request,
/// `localhost` costs a read of `/etc/hosts` (~20 µs here) per event. A
/// local name or address resolves at once; a DNS lookup is bounded by the
/// system's resolver.
#[derive(Debug, Default)]
struct InlineResolver {
    inner: ureq::unversioned::resolver::DefaultResolver,
    last: std::sync::Mutex<Option<Resolved>>,
}

/// A host's addresses, and when they were asked for.
#[derive(Debug)]
struct Resolved {
    /// Scheme and authority: a port left out differs by scheme.
    host: String,
    at: Instant,
    addrs: Vec<std::net::SocketAddr>,
}

impl InlineResolver {
    /// The addresses of `host`: the last answer if it is `host`'s and
    /// fresh, else `resolve`'s (kept when it succeeds).
    fn cached(
        &self,
        host: String,
        resolve: impl FnOnce() -> Result<Vec<std::net::SocketAddr>, ureq::Error>,
    ) -> Result<Vec<std::net::SocketAddr>, ureq::Error> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(last) = last.as_ref() {
            if last.host == host && last.at.elapsed() < RESOLVED_FOR {
                return Ok(last.addrs.clone());
            }
        }
        let addrs = resolve()?;
        *last = Some(Resolved {
            host,
            at: Instant::now(),
            addrs: addrs.clone(),
        });
        Ok(addrs)
    }
}

impl ureq::unversioned::resolver::Resolver for InlineResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        _timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let host = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map_or("", |a| a.as_str())
        );
        let addrs = self.cached(host, || {
            let no_deadline = ureq::unversioned::transport::NextTimeout::default();
            Ok(self.inner.resolve(uri, config, no_deadline)?.to_vec())
        })?;
        let mut resolved = self.empty();
        // As many as ureq's own answer held.
        for addr in addrs {
            if resolved.try_push(addr).is_err() {
                break;
            }
        }
        Ok(resolved)
    }
}

fn agent(timeout: Duration, insecure: bool) -> ureq::Agent {
    use ureq::config::AutoHeaderValue;
    use ureq::tls::{RootCerts, TlsConfig};
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::PlatformVerifier)
        .disable_verification(insecure)
        .build();
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        // The answer is the target's to judge: a status is an outcome, a
        // redirect is not followed (SPEC §10).
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        // The request is the sender's: nothing of the client's own is
        // added to it (a signature may cover any header).
        .user_agent(AutoHeaderValue::None)
        .accept(AutoHeaderValue::None)
        .accept_encoding(AutoHeaderValue::None)
        .allow_non_standard_methods(true)
        // A local app is reached directly, whatever HTTP_PROXY says.
        .proxy(None)
        .tls_config(tls)
        .build();
    use ureq::unversioned::transport::{Connector, RustlsConnector};
    // ureq's chain (docs/architecture.md) with its TCP transport replaced:
    // no proxy is ever used, and TLS is rustls's over the kept connection.
    let connector = ().chain(KeptConnector).chain(RustlsConnector::default());
    ureq::Agent::with_parts(config, connector, InlineResolver::default())
}

/// What the worker is told while it delivers.
pub(super) struct Around<'a> {
    /// Asked between two tries of a target that is not listening.
    pub stopping: &'a (dyn Fn() -> bool + Sync),
    /// Told, once per delivery, that the target is not listening.
    pub waiting: &'a dyn Fn(&str),
}

/// How one try went.
enum Tried {
    Done(Finished),
    /// The target is not listening: try again later.
    NotListening(String),
}

impl Ready {
    /// Deliver, waiting for the target as long as it is not listening.
    pub(super) fn deliver(self, seat: &mut Seat, around: &Around<'_>) -> Finished {
        let started = Instant::now();
        let mut backoff = FIRST_BACKOFF;
        let mut told = false;
        loop {
            let why = match self.try_once(seat, started) {
                Tried::Done(finished) => return finished,
                Tried::NotListening(why) => why,
            };
            if !told {
                (around.waiting)(&why);
                told = true;
            }
            let until = Instant::now() + backoff;
            while Instant::now() < until {
                if (around.stopping)() {
                    let mut finished = Finished::not_run(
                        format!("stopped while waiting for {}", self.url),
                        started.elapsed(),
                    );
                    finished.interrupted = true;
                    return finished;
                }
                std::thread::sleep(STOP_LOOK.min(until - Instant::now()));
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn try_once(&self, seat: &mut Seat, started: Instant) -> Tried {
        let attempt_started = Instant::now();
        let (status, headers, body, read) = match &self.request {
            Request::Plain(request) => {
                let deadline = attempt_started + self.timeout;
                let resolver = &seat.resolver;
                let resolve = |host: &str, port: u16| {
                    resolver
                        .cached(format!("http://{host}:{port}"), || {
                            use std::net::ToSocketAddrs;
                            let addrs = (host.trim_start_matches('[').trim_end_matches(']'), port)
                                .to_socket_addrs()
                                .map_err(|_| ureq::Error::HostNotFound)?;
                            Ok(addrs.collect())
                        })
                        .map_err(|e| io::Error::other(e.to_string()))
                };
                match http1::exchange(&mut seat.plain, request, self.keep, deadline, resolve) {
                    Ok(answer) => (answer.status, answer.headers, answer.body, Ok(answer.cut)),
                    Err(http1::Failure::NotListening(why)) => return Tried::NotListening(why),
                    Err(http1::Failure::Io(e)) => {
                        return Tried::Done(self.failed(self.explain_read(&e), started))
                    }
                    Err(http1::Failure::Malformed(why)) => {
                        let error = format!("malformed answer from {}: {why}", self.url);
                        return Tried::Done(self.failed(error, started));
                    }
                }
            }
            Request::Tls {
                method,
                uri,
                headers,
                body,
            } => {
                let mut request = http::Request::builder()
                    .method(method.clone())
                    .uri(uri.clone());
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                let request = match request.body(&body[..]) {
                    Ok(request) => request,
                    Err(e) => {
                        let error = format!("invalid request: {e}");
                        return Tried::Done(self.failed(error, started));
                    }
                };
                let response = match seat.agent(self.timeout, self.insecure).run(request) {
                    Ok(response) => response,
                    Err(e) => {
                        return match not_listening(&e) {
                            true => Tried::NotListening(e.to_string()),
                            false => Tried::Done(self.failed(self.explain(&e), started)),
                        }
                    }
                };
                let (parts, body) = response.into_parts();
                let headers: Vec<(String, String)> = parts
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        (
                            name.as_str().to_owned(),
                            String::from_utf8_lossy(value.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let (kept, read) = read_kept(&mut body.into_reader(), self.keep);
                (parts.status.as_u16(), headers, kept, read)
            }
        };
        let error = match read {
            Err(e) => Some(self.explain_read(&e)),
            Ok(cut) if cut && self.keep == STDOUT_CAP => Some(format!(
                "the answer's body is larger than {}: it cannot be passed to the caller",
                units::Size(STDOUT_CAP as u64)
            )),
            Ok(_) => judge(status, &headers),
        };
        Tried::Done(Finished {
            exit_code: None,
            error,
            stdout: body,
            stderr: Vec::new(),
            duration: attempt_started.elapsed(),
            http: Some(Box::new(HttpAnswer {
                status,
                headers,
                method: self.method.clone(),
                url: self.url.clone(),
            })),
            interrupted: false,
        })
    }

    fn failed(&self, error: String, started: Instant) -> Finished {
        Finished::not_run(error, started.elapsed())
    }

    fn explain(&self, error: &ureq::Error) -> String {
        let url = &self.url;
        match error {
            ureq::Error::Timeout(_) => self.timed_out(),
            ureq::Error::Io(e) => self.explain_read(e),
            ureq::Error::Protocol(e) => format!("malformed answer from {url}: {e}"),
            e => format!("could not deliver to {url}: {e}"),
        }
    }

    fn explain_read(&self, error: &io::Error) -> String {
        let url = &self.url;
        match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => self.timed_out(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => {
                format!("the connection to {url} was reset")
            }
            io::ErrorKind::UnexpectedEof => {
                format!("{url} closed the connection before its answer ended")
            }
            _ => match error
                .get_ref()
                .and_then(|e| e.downcast_ref::<ureq::Error>())
            {
                Some(ureq::Error::Timeout(_)) => self.timed_out(),
                Some(e) => self.explain(e),
                // rustls's own words for a certificate it refused, which
                // reach us as text inside an I/O error: the handshake
                // failed, nothing was sent.
                None if error.to_string().contains("peer certificate") => format!(
                    "the TLS certificate of {url} is not trusted ({error}); \
                     a self-signed local certificate needs --forward-insecure"
                ),
                None => format!("could not read the answer of {url}: {error}"),
            },
        }
    }

    fn timed_out(&self) -> String {
        format!(
            "timed out after {} delivering to {}",
            units::Duration(self.timeout.as_millis() as i64),
            self.url
        )
    }
}

/// Whether the error says that nothing listens at the URL (yet): not the
/// scenario's error, the delivery waits (SPEC §10).
fn not_listening(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(e) => matches!(
            e.kind(),
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
        ),
        _ => false,
    }
}

/// Why a complete answer fails the cycle, if it does: only a 2xx commits.
fn judge(status: u16, headers: &[(String, String)]) -> Option<String> {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    match status {
        200..=299 => None,
        300..=399 => {
            let to = headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("location"))
                .map(|(_, to)| to);
            Some(match to {
                Some(to) => format!("redirect not followed: {status}{reason} to {to}"),
                None => format!("redirect not followed: {status}{reason}"),
            })
        }
        _ => Some(format!("the target answered {status}{reason}")),
    }
}

/// Read the whole body: its first `keep` bytes kept, the rest read and
/// dropped as it comes (never held), so that the connection can serve the
/// next cycle. Whether anything was dropped, or the error that ended it.
fn read_kept(reader: &mut impl Read, keep: usize) -> (Vec<u8>, io::Result<bool>) {
    let mut kept = Vec::new();
    let result = (|| {
        reader.take(keep as u64).read_to_end(&mut kept)?;
        let rest = io::copy(reader, &mut io::sink())?;
        Ok(rest > 0)
    })();
    (kept, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_joined_to_the_urls_own() {
        assert_eq!(join_query("http://a/h", ""), "http://a/h");
        assert_eq!(join_query("http://a/h", "x=1"), "http://a/h?x=1");
        assert_eq!(join_query("http://a/h?k=v", "x=1"), "http://a/h?k=v&x=1");
        assert_eq!(join_query("http://a/h?", "x=1"), "http://a/h?x=1");
        assert_eq!(join_query("http://a/h#top", "x=1"), "http://a/h?x=1");
        // What senders send and the listener stores as received.
        assert_eq!(
            join_query("http://a/h", "q=<b>&n=\"x\" y&c=caf\u{e9}&p=%41"),
            "http://a/h?q=%3Cb%3E&n=%22x%22%20y&c=caf%C3%A9&p=%41"
        );
    }

    /// `localhost` is looked up once per second of a drain, not once per
    /// event; another host, or a failed look-up, is asked again.
    #[test]
    fn a_hosts_addresses_are_looked_up_once_while_they_are_fresh() {
        let resolver = InlineResolver::default();
        let asked = std::cell::Cell::new(0);
        let addr: std::net::SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let lookup = |host: &str| {
            resolver.cached(host.to_owned(), || {
                asked.set(asked.get() + 1);
                Ok(vec![addr])
            })
        };
        assert_eq!(lookup("http://localhost:3000").unwrap(), [addr]);
        assert_eq!(lookup("http://localhost:3000").unwrap(), [addr]);
        assert_eq!(asked.get(), 1);
        lookup("https://localhost:3000").unwrap();
        assert_eq!(asked.get(), 2);
        let failed = resolver.cached("http://nowhere:1".into(), || Err(ureq::Error::HostNotFound));
        assert!(failed.is_err());
        lookup("http://nowhere:1").unwrap();
        assert_eq!(asked.get(), 3, "a failure is not kept");
    }

    /// The request line and `Host` an `http://` target gets, as ureq
    /// would have sent them, and the URL's credentials as basic auth.
    #[test]
    fn a_plain_request_names_its_target_as_the_url_does() {
        let forward = |url: &str| Forward {
            url: url.to_owned(),
            headers: vec![],
            timeout: Forward::DEFAULT_TIMEOUT,
            insecure: false,
        };
        let head = |url: &str, query: &str| {
            let forward = forward(url);
            let ready = prepare(Delivery {
                forward: &forward,
                event_id: 7,
                attempt: 1,
                method: "POST",
                query,
                headers: &[],
                remote_addr: None,
                body: b"{}".to_vec(),
                answer: false,
            })
            .unwrap_or_else(|f| panic!("{:?}", f.error));
            let Request::Plain(request) = ready.request else {
                panic!("not plain")
            };
            let text = String::from_utf8(request.bytes).unwrap();
            let head = text.split("\r\n\r\n").next().unwrap().to_owned();
            (request.host, request.port, head)
        };
        let (host, port, text) = head("http://localhost:3000?src=hookq", "a=1");
        assert_eq!((host.as_str(), port), ("localhost", 3000));
        assert!(
            text.starts_with("POST /?src=hookq&a=1 HTTP/1.1\r\nHost: localhost:3000\r\n"),
            "{text}"
        );
        let (_, port, text) = head("http://u:p%40ss@[::1]/in", "");
        assert_eq!(port, 80);
        assert!(
            text.starts_with("POST /in HTTP/1.1\r\nHost: [::1]\r\n"),
            "{text}"
        );
        assert!(
            text.contains("\r\nAuthorization: Basic dTpwJTQwc3M=\r\n"),
            "{text}"
        );
        assert!(text.ends_with("\r\nContent-Length: 2"), "{text}");
    }

    #[test]
    fn only_a_2xx_commits() {
        assert_eq!(judge(204, &[]), None);
        assert_eq!(
            judge(500, &[]).as_deref(),
            Some("the target answered 500 Internal Server Error")
        );
        let to = [("location".to_owned(), "/h".to_owned())];
        assert_eq!(
            judge(302, &to).as_deref(),
            Some("redirect not followed: 302 Found to /h")
        );
    }

    #[test]
    fn a_huge_body_is_kept_in_part_and_the_rest_dropped() {
        let mut body = io::repeat(b'a').take(10 << 20);
        let (kept, cut) = read_kept(&mut body, TAIL);
        assert_eq!(kept.len(), TAIL);
        assert!(cut.unwrap());
        let (kept, cut) = read_kept(&mut &b"small"[..], TAIL);
        assert_eq!(kept, b"small");
        assert!(!cut.unwrap());
    }
}
