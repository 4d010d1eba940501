//! The page server's side of HTTP: a request read whole, a reply built
//! whole, and the URL and form encodings.

use std::io::{Cursor, Read};

use tiny_http::{Header, Request, Response};

/// The largest form the pages post: a test event's body, with room for
/// its encoding.
const MAX_FORM: u64 = 16 << 20;

/// A request, read.
pub struct Req {
    pub method: String,
    pub path: String,
    /// The query string, decoded.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// The form of a POST, decoded.
    pub form: Vec<(String, String)>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path's segments after the leading `/`, decoded.
    pub fn segments(&self) -> Vec<String> {
        self.path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode)
            .collect()
    }
}

/// A reply, built whole.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn html(markup: maud::Markup) -> Reply {
        Reply::with(
            200,
            "text/html; charset=utf-8",
            markup.into_string().into_bytes(),
        )
    }

    pub fn with(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            headers: Vec::new(),
            body,
        }
    }

    pub fn text(status: u16, text: &str) -> Reply {
        Reply::with(
            status,
            "text/plain; charset=utf-8",
            text.as_bytes().to_vec(),
        )
    }

    /// A plain answer for what went wrong before any page could be made.
    pub fn error(status: u16, text: &str) -> Reply {
        Reply::text(status, text)
    }

    /// After an action: the browser goes (GET) to `location`.
    pub fn see_other(location: &str) -> Reply {
        let mut reply = Reply::with(303, "text/plain; charset=utf-8", Vec::new());
        reply.headers.push(("Location", location.to_owned()));
        reply
    }

    pub fn status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// Read a request whole: its head, and the form of a POST. A body too
/// large is answered 413 without reading it. The request comes back for
/// the answer.
pub fn read(mut request: Request) -> (Result<Req, Reply>, Request) {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| (h.field.as_str().to_string(), h.value.as_str().to_owned()))
        .collect();
    let method = request.method().as_str().to_ascii_uppercase();
    let mut form = Vec::new();
    if method == "POST" {
        if request.body_length().is_some_and(|n| n as u64 > MAX_FORM) {
            return (Err(Reply::error(413, "This form is too large.")), request);
        }
        let mut body = Vec::new();
        if request
            .as_reader()
            .take(MAX_FORM + 1)
            .read_to_end(&mut body)
            .is_err()
            || body.len() as u64 > MAX_FORM
        {
            return (Err(Reply::error(400, "Could not read the form.")), request);
        }
        form = parse_form(&body);
    }
    let req = Req {
        method,
        path: path.to_owned(),
        query: parse_form(query.as_bytes()),
        headers,
        form,
    };
    (Ok(req), request)
}

pub fn send(request: Request, reply: Reply) {
    let length = reply.body.len();
    let mut response = Response::new(
        reply.status.into(),
        Vec::new(),
        Cursor::new(reply.body),
        Some(length),
        None,
    )
    // The length is known: no chunks (simpler for every client).
    .with_chunked_threshold(usize::MAX);
    let mut add = |name: &str, value: &str| {
        if let Ok(header) = Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    };
    add("Content-Type", reply.content_type);
    for (name, value) in &reply.headers {
        add(name, value);
    }
    // The browser went away: nothing to do.
    let _ = request.respond(response);
}

/// `application/x-www-form-urlencoded`, as pairs in order.
pub fn parse_form(bytes: &[u8]) -> Vec<(String, String)> {
    bytes
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let text = String::from_utf8_lossy(pair);
            let (k, v) = text.split_once('=').unwrap_or((&text, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding, `+` as a space (forms), invalid UTF-8 replaced.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

/// Percent-encoding of one path segment or query value.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_as_browsers_encode_them() {
        assert_eq!(
            parse_form(b"q=a+b%2Fc&x=%E2%9C%93&bad=%zz&cut=%4"),
            vec![
                ("q".into(), "a b/c".into()),
                ("x".into(), "✓".into()),
                ("bad".into(), "%zz".into()),
                ("cut".into(), "%4".into()),
            ]
        );
        assert_eq!(decode(&encode("<a b>/é")), "<a b>/é");
    }
}
