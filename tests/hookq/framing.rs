//! HTTP framing as RFC 9112 says, against a real `hookq hooks serve` over
//! raw sockets: what delimits a body (`Content-Length`, `Transfer-Encoding`,
//! never "the rest of the socket"), which heads are refused and how, and
//! when the server closes a connection. A request hidden behind another must
//! never be served: that is request smuggling.

use std::io::{BufRead, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{Env, Reply, ServerProcess};

/// Far more than any exchange here needs, and less than the server's 30 s
/// socket timeout: an answer or a close that only comes when the server
/// gives up on the client is a failure.
const PROMPTLY: Duration = Duration::from_secs(20);

/// What came back on one connection, up to the server closing it.
struct Talk {
    replies: Vec<Reply>,
    /// Bytes after the last complete answer.
    rest: Vec<u8>,
}

impl Talk {
    fn statuses(&self) -> Vec<u16> {
        self.replies.iter().map(|r| r.status).collect()
    }
}

/// Send `bytes` on a new connection, then read until the server closes it
/// (failing the test if it does not within [`PROMPTLY`]).
fn talk(addr: SocketAddr, bytes: &[u8]) -> Talk {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(PROMPTLY)).unwrap();
    // The server may answer and close before taking everything.
    let _ = stream.write_all(bytes);
    let raw = read_to_close(&mut stream);
    split_replies(raw)
}

fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return raw,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // A server that closes with our bytes unread resets the connection.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return raw,
            Err(e) => panic!(
                "the server did not close the connection within {PROMPTLY:?} ({e}); got: {:?}",
                String::from_utf8_lossy(&raw)
            ),
        }
    }
}

/// The answers in `raw`, one after the other (each has a `Content-Length`).
fn split_replies(raw: Vec<u8>) -> Talk {
    let mut replies = Vec::new();
    let mut at = 0;
    while let Some(end) = raw[at..].windows(4).position(|w| w == b"\r\n\r\n") {
        let reply = crate::util::parse_reply(&raw[at..]);
        let Some(reply) = reply else { break };
        at += end + 4 + reply.body.len();
        replies.push(reply);
    }
    Talk {
        replies,
        rest: raw[at..].to_vec(),
    }
}

fn events(env: &Env) -> i64 {
    env.sql_count("SELECT COUNT(*) FROM events")
}

fn stored_bodies(env: &Env, body: &str) -> i64 {
    env.sql_count(&format!(
        "SELECT COUNT(*) FROM payloads WHERE CAST(body AS TEXT) = '{body}'"
    ))
}

/// An answer after which the server closes: it says so.
fn assert_closing(reply: &Reply, what: &str) {
    assert_eq!(
        reply.header("Connection").map(str::to_ascii_lowercase),
        Some("close".to_owned()),
        "{what}: {reply:?}"
    );
}

#[test]
fn content_length_with_transfer_encoding_is_read_as_chunked_and_nothing_after_it_is_served() {
    let env = Env::new();
    let path = env.hook("smuggle", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &[]);
    // A proxy that frames by Content-Length sees one request; a server that
    // frames by Transfer-Encoding and keeps the connection sees two.
    let smuggled = format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nSMUGGLED");
    let chunked = "5\r\nhello\r\n0\r\n\r\n";
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\
         Transfer-Encoding: chunked\r\n\r\n{chunked}{smuggled}",
        chunked.len() + smuggled.len()
    );
    let talk = talk(server.addr, request.as_bytes());
    assert_eq!(talk.statuses(), [200], "rest: {:?}", talk.rest);
    assert_closing(&talk.replies[0], "a request with both headers");
    assert!(
        talk.rest.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&talk.rest)
    );
    assert_eq!(stored_bodies(&env, "hello"), 1);
    assert_eq!(stored_bodies(&env, "SMUGGLED"), 0);
    assert_eq!(events(&env), 1);
}

#[test]
fn transfer_codings_other_than_one_final_chunked_are_refused_and_close_the_connection() {
    let env = Env::new();
    let path = env.hook("codings", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &[]);
    for (coding, status) in [
        ("identity", 501),
        ("xchunked", 501),
        ("gzip, chunked", 501),
        ("gzip", 501),
        ("chunked, gzip", 400),
        ("chunked, chunked", 400),
    ] {
        // Keep-alive: a next request right behind it must not be served.
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {coding}\r\n\r\n\
             5\r\nhello\r\n0\r\n\r\n\
             GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        );
        let talk = talk(server.addr, request.as_bytes());
        assert_eq!(talk.statuses(), [status], "{coding}");
        let reply = &talk.replies[0];
        assert_closing(reply, coding);
        assert!(
            reply.text().contains("chunked"),
            "{coding}: {}",
            reply.text()
        );
        assert!(!reply.text().contains("os error"), "{}", reply.text());
    }
    assert_eq!(events(&env), 0);
}

/// What `curl --http2 -d hello URL` sends: an offer to upgrade to h2c.
fn h2c_offer(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\
         Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\
         HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn an_upgrade_offer_is_ignored_and_the_body_ends_at_its_length() {
    let env = Env::new();
    let path = env.hook("upgrade", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &[]);
    let request = format!(
        "{}GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        h2c_offer(&path, "hello")
    );
    let talk = talk(server.addr, request.as_bytes());
    assert_eq!(talk.statuses(), [200, 200]);
    assert_eq!(talk.replies[0].text(), "Accepted");
    assert_eq!(talk.replies[1].text(), "ok");
    assert_eq!(stored_bodies(&env, "hello"), 1);
    assert_eq!(
        env.sql_count("SELECT COUNT(*) FROM events WHERE size = 5"),
        1
    );
    assert_eq!(events(&env), 1);
}

#[test]
fn curl_http2_with_a_body_is_answered_over_http1_at_once() {
    let env = Env::new();
    let path = env.hook("curl", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &[]);
    let url = format!("http://{}{path}", server.addr);
    let curl = Command::new("curl")
        .args(["-sS", "--http2", "-d", "x", "--max-time", "20", &url])
        .stdin(Stdio::null())
        .output();
    let out = match curl {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // `an_upgrade_offer_is_ignored_...` sends curl's bytes itself.
            eprintln!("curl is not installed: skipped");
            return;
        }
        Err(e) => panic!("curl: {e}"),
    };
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Accepted");
    assert_eq!(stored_bodies(&env, "x"), 1);
}

#[test]
fn an_absolute_form_target_is_routed_by_its_path_and_query() {
    let env = Env::new();
    let path = env.hook("absolute", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &[]);
    let request = format!(
        "POST http://{addr}{path}?a=1 HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: 2\r\n\r\nhi",
        addr = server.addr
    );
    let talk = talk(server.addr, request.as_bytes());
    assert_eq!(talk.statuses(), [200]);
    let stored = format!("SELECT COUNT(*) FROM events WHERE path = '{path}' AND query = 'a=1'");
    assert_eq!(env.sql_count(&stored), 1);
}

#[test]
fn heads_against_the_grammar_are_400_saying_why_and_close_the_connection() {
    let env = Env::new();
    let path = env.hook("grammar", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &[]);
    let post = format!("POST {path} HTTP/1.1\r\n");
    for (head, why) in [
        (post.clone(), "no Host"),
        (format!("{post}Host: x\r\nHost: y\r\n"), "several Host"),
        (format!("{post}Host: x\r\nX-A: a\r\n folded\r\n"), "folding"),
        (format!("{post}Host: x\r\n\tX-A: a\r\n"), "folding"),
        (format!("{post}Host: x\r\n: x\r\n"), "empty name"),
        (format!("{post}Host: x\r\nX-A : a\r\n"), "not a valid token"),
        (format!("{post}Host: x\r\nX(A): a\r\n"), "not a valid token"),
        (format!("{post}Host: x\r\nno colon\r\n"), "no colon"),
        (format!("FOO@BAR {path} HTTP/1.1\r\nHost: x\r\n"), "method"),
        (
            format!("POST  {path} HTTP/1.1\r\nHost: x\r\n"),
            "single spaces",
        ),
        ("POST wh/x HTTP/1.1\r\nHost: x\r\n".to_owned(), "target"),
    ] {
        // Keep-alive, with a next request behind it that must not be served.
        let request =
            format!("{head}Content-Length: 0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        let talk = talk(server.addr, request.as_bytes());
        assert_eq!(talk.statuses(), [400], "{head:?}");
        let reply = &talk.replies[0];
        assert!(reply.text().contains(why), "{head:?}: {:?}", reply.text());
        assert_closing(reply, &head);
    }
    assert_eq!(events(&env), 0);
}

#[test]
fn methods_are_case_sensitive() {
    let env = Env::new();
    let path = env.hook("posts", &["--rate-limit", "0", "--method", "POST"]);
    let server = ServerProcess::start(&env, &[]);
    let request = |method: &str| {
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi")
    };
    assert_eq!(
        talk(server.addr, request("post").as_bytes()).statuses(),
        [405]
    );
    assert_eq!(
        talk(server.addr, request("Post").as_bytes()).statuses(),
        [405]
    );
    assert_eq!(
        talk(server.addr, request("POST").as_bytes()).statuses(),
        [200]
    );
    assert_eq!(events(&env), 1);
}

#[test]
fn chunked_trailers_are_accepted_and_ignored() {
    let env = Env::new();
    let path = env.hook("trailers", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &[]);
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
         5;ext=1\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n\
         GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let talk = talk(server.addr, request.as_bytes());
    assert_eq!(talk.statuses(), [200, 200]);
    assert_eq!(stored_bodies(&env, "hello"), 1);
}

#[test]
fn after_a_413_the_connection_closes_at_once() {
    let env = Env::new();
    let path = env.hook("small", &["--rate-limit", "0", "--max-body", "100"]);
    let server = ServerProcess::start(&env, &[]);
    for expect in ["", "Expect: 100-continue\r\n"] {
        // The body is announced, not sent: the client waits for the answer.
        let head =
            format!("POST {path} HTTP/1.1\r\nHost: x\r\n{expect}Content-Length: 5000\r\n\r\n");
        // `talk` fails unless the server closes well before its socket timeout.
        let talk = talk(server.addr, head.as_bytes());
        assert_eq!(talk.statuses(), [413], "{expect:?}");
        assert_closing(&talk.replies[0], expect);
    }
    assert_eq!(events(&env), 0);
}

/// The listener's own errors (here `accept()` failing with EMFILE) reach
/// hookq's log: with no logger they went nowhere.
#[test]
fn the_listeners_own_errors_reach_the_log() {
    use std::os::unix::process::CommandExt;
    let env = Env::new();
    env.hook("fds", &[]);
    // The bound on connections would refuse them before `accept()` fails:
    // lift it past the descriptors.
    let mut command = env.cmd(&[
        "hooks",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--quiet",
        "--max-connections",
        "1000",
    ]);
    command.stdout(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe and only touches the child.
    unsafe {
        command.pre_exec(|| {
            // A hard limit, so that the server cannot raise it again.
            let limit = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (server, stderr) = ServerProcess::spawn(command);
    let addr = server.addr;
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // Each connection the server accepts takes one of its 64 descriptors;
    // those it cannot accept wait in the backlog.
    let mut held = Vec::new();
    let deadline = Instant::now() + PROMPTLY;
    let mut logged = None;
    while logged.is_none() {
        assert!(
            Instant::now() < deadline,
            "no listener error on stderr with {} connections open",
            held.len()
        );
        if held.len() < 100 {
            held.push(TcpStream::connect(addr).expect("connect"));
        }
        if let Ok(line) = seen.recv_timeout(Duration::from_millis(50)) {
            if line.contains("listener:") {
                logged = Some(line);
            }
        }
    }
    let line = logged.unwrap();
    assert!(line.contains(" error: listener: "), "{line}");
    assert!(line.contains("open files"), "{line}");
}
