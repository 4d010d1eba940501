//! hookq: the accept loop survives `accept()` errors (defect 3).
//!
//! Provokes `EMFILE` for real: this test binary (its own process, a single test)
//! lowers its RLIMIT_NOFILE, fills every free descriptor, frees exactly one and
//! connects a client with it, so the server's `accept()` (or the `dup()` right after
//! it) fails. Upstream's accept thread ended at that point (break, or panic in
//! `dup().unwrap()`); the patched server logs, pauses, retries, and serves clients
//! once descriptors are free again.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use tiny_http::{Request, Response};

mod hookq_support;
use hookq_support::*;

/// Counts the log records about accept errors.
struct AcceptErrorCounter;

static ACCEPT_ERRORS: AtomicUsize = AtomicUsize::new(0);

impl log::Log for AcceptErrorCounter {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if format!("{}", record.args()).contains("Error accepting new client") {
            ACCEPT_ERRORS.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn flush(&self) {}
}

static LOGGER: AcceptErrorCounter = AcceptErrorCounter;

fn nofile_limit() -> libc::rlimit {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim
}

fn set_nofile_limit(lim: &libc::rlimit) {
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, lim) }, 0);
}

#[test]
fn accept_loop_survives_emfile() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Debug);

    let (_server, addr) = start_server(2, |rq: Request| {
        let _ = rq.respond(Response::from_string("ok"));
    });
    // one keep-alive request, connection kept open: the accept thread is running and
    // back in accept(), and no connection closes in the background (that would free
    // descriptors while the test counts on them being exhausted)
    let mut before = connect(addr);
    before
        .write_all(b"GET /before HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut before).status, 200);

    // lower the soft limit a little above what is open now, then fill it
    let original = nofile_limit();
    let open_now = std::fs::read_dir("/proc/self/fd").unwrap().count() as libc::rlim_t;
    set_nofile_limit(&libc::rlimit {
        rlim_cur: open_now + 32,
        rlim_max: original.rlim_max,
    });
    let mut fillers = Vec::new();
    while let Ok(f) = File::open("/dev/null") {
        fillers.push(f);
    }

    // Free one descriptor at a time until the client can connect with it; the server
    // then has none left for accept() or for the dup() right after it. (On Linux a
    // thread blocked in accept() has already reserved its descriptor, so it is
    // usually the dup() that fails with EMFILE.)
    let mut client = loop {
        assert!(fillers.pop().is_some(), "could not connect the client");
        match TcpStream::connect(addr) {
            Ok(client) => break client,
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => continue,
            Err(e) => panic!("connect: {}", e),
        }
    };
    client.set_read_timeout(Some(DEADLINE)).unwrap();
    // (this write may fail if the server dropped the connection already)
    let _ =
        client.write_all(b"GET /during HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let start = Instant::now();
    while ACCEPT_ERRORS.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < DEADLINE, "accept() never failed");
        std::thread::sleep(std::time::Duration::from_millis(1)); // polling, not synchronization
    }

    // free the descriptors
    drop(fillers);
    set_nofile_limit(&original);

    // If dup() failed, the server dropped that one client (reset, nothing read); if
    // accept() failed, the retry serves it. Either way the accept loop must still be
    // running: a new client is served.
    let (data, _) = read_until_closed(&mut client);
    if !data.is_empty() {
        assert_eq!(status_of(&data), 200);
    }
    assert_eq!(get_status(addr, "/after"), 200);
    drop(before);
}
