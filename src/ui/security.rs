//! What every request passes before a page is made (SPEC §11, and
//! docs/security.md): the Host check against DNS rebinding, the password
//! of a page open to the network, and for an action the per-process token
//! and the same-origin check; then the headers every answer carries.

use std::net::{IpAddr, SocketAddr};

use base64::Engine;
use subtle::ConstantTimeEq;

use super::http::{Reply, Req};
use super::App;

/// No inline script or style, nothing from elsewhere, no framing, forms
/// only to this origin.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// `None` when the request may go on, else the refusal.
pub fn guard(app: &App, req: &Req) -> Option<Reply> {
    if !host_allowed(req.header("host"), app.addr) {
        return Some(Reply::error(
            403,
            "Forbidden: this page answers only to its own address or localhost.",
        ));
    }
    if let Some(password) = &app.password {
        if !password_matches(req.header("authorization"), password) {
            return Some(Reply::error(401, "A password is needed.").header(
                "WWW-Authenticate",
                "Basic realm=\"hookq\", charset=\"UTF-8\"",
            ));
        }
    }
    match req.method.as_str() {
        "GET" | "HEAD" => None,
        "POST" => {
            let origin_ok = same_origin(req);
            let token_ok = req
                .field("_token")
                .is_some_and(|t| bool::from(t.as_bytes().ct_eq(app.token.as_bytes())));
            (!origin_ok || !token_ok).then(|| {
                Reply::error(
                    403,
                    "Forbidden: this action must come from a page of this hookq.",
                )
            })
        }
        _ => Some(Reply::error(405, "Method not allowed.").header("Allow", "GET, POST")),
    }
}

/// The Host names the listen address or localhost, with the listen port.
/// A rebinding page's host is its own domain name: refused. On an
/// unspecified address (`0.0.0.0`) any IP address of this machine is the
/// listen address, so any IP literal passes; names other than localhost
/// still do not.
pub fn host_allowed(host: Option<&str>, listen: SocketAddr) -> bool {
    let Some(host) = host else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => (name, port.parse::<u16>().ok()),
        _ => (host.as_str(), None),
    };
    if port.unwrap_or(80) != listen.port() {
        return false;
    }
    if name == "localhost" {
        return true;
    }
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<IpAddr>() {
        Ok(ip) => ip == listen.ip() || listen.ip().is_unspecified(),
        Err(_) => false,
    }
}

/// The browser says the form comes from this origin: `Origin` (which
/// browsers send with every POST), else `Referer`. Neither: refused.
fn same_origin(req: &Req) -> bool {
    let Some(host) = req.header("host") else {
        return false;
    };
    let origin = format!("http://{host}");
    if let Some(from) = req.header("origin") {
        return from.eq_ignore_ascii_case(&origin);
    }
    req.header("referer").is_some_and(|referer| {
        referer
            .get(..origin.len() + 1)
            .is_some_and(|start| start.eq_ignore_ascii_case(&format!("{origin}/")))
    })
}

/// Basic auth: any user name, this password, compared in constant time.
fn password_matches(authorization: Option<&str>, password: &str) -> bool {
    let Some(encoded) = authorization.and_then(|a| a.strip_prefix("Basic ")) else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Some(at) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    bool::from(decoded[at + 1..].ct_eq(password.as_bytes()))
}

/// The headers of every answer: the CSP, no sniffing, no framing, no
/// referrer to elsewhere, nothing cached (pages show live state and
/// payloads).
pub fn harden(reply: Reply) -> Reply {
    reply
        .header("Content-Security-Policy", CSP)
        .header("X-Content-Type-Options", "nosniff")
        .header("X-Frame-Options", "DENY")
        .header("Referrer-Policy", "same-origin")
        .header("Cache-Control", "no-store")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_must_name_this_page() {
        let listen: SocketAddr = "127.0.0.1:8081".parse().unwrap();
        for ok in ["127.0.0.1:8081", "localhost:8081", "LOCALHOST:8081"] {
            assert!(host_allowed(Some(ok), listen), "{ok}");
        }
        for bad in [
            "evil.example:8081",
            "127.0.0.1:8080",
            "127.0.0.2:8081",
            "localhost",
            "localhost.evil.example:8081",
            "",
        ] {
            assert!(!host_allowed(Some(bad), listen), "{bad}");
        }
        assert!(!host_allowed(None, listen));
        let any: SocketAddr = "0.0.0.0:8081".parse().unwrap();
        assert!(host_allowed(Some("192.168.1.9:8081"), any));
        assert!(!host_allowed(Some("rebind.example:8081"), any));
        let v6: SocketAddr = "[::1]:8081".parse().unwrap();
        assert!(host_allowed(Some("[::1]:8081"), v6));
    }

    #[test]
    fn the_password_is_checked_whatever_the_user_name() {
        let basic = |text: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(text)
            )
        };
        assert!(password_matches(Some(&basic("me:s3cret")), "s3cret"));
        assert!(password_matches(Some(&basic(":s3cret")), "s3cret"));
        assert!(!password_matches(Some(&basic("me:s3cre")), "s3cret"));
        assert!(!password_matches(Some("Bearer s3cret"), "s3cret"));
        assert!(!password_matches(None, "s3cret"));
    }
}
