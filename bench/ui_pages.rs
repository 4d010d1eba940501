//! Server-side time per page of `hookq ui` (docs/benchmarks.md): the
//! webhooks table with 10,000 hooks (first page), a hook with 1,000,000
//! events (newest page), an event with a 5 MiB JSON body, an event of
//! that hook (which has 1,000,000 operations), and the live poll. Builds its own database in a temporary directory, serves it on
//! 127.0.0.1:0 in this process, asks each page N times over loopback and
//! reads the `Server-Timing` the page server adds (time from the request
//! read to the answer built).
//!
//!     cargo run --release --example ui_pages -- [N]
//!
//! Prints `UI_PAGE page=... p50_ms=... p90_ms=... max_ms=... bytes=...`.

// Its report is its stderr.
#![allow(clippy::print_stderr)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use hookq::store::{self, Access, Enqueued, HookSettings, Location, NewEvent};

fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().nth(1).map_or(Ok(50), |n| n.parse())?;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("hookq.db");
    let started = Instant::now();
    let event = populate(&db)?;
    eprintln!("database built in {:.1} s", started.elapsed().as_secs_f64());
    let page = hookq::ui::start(hookq::ui::Config {
        db: Location::Sqlite(db.clone()),
        listen: "127.0.0.1:0".parse()?,
        password: None,
        global: hookq::cli::Global {
            db: Some(db.clone()),
            base_url: None,
            json: false,
        },
    })?;
    for (name, path) in [
        ("webhooks_10k_hooks", "/".to_owned()),
        ("webhooks_search", "/?q=hook-0999".to_owned()),
        ("hook_1m_events", "/hooks/big".to_owned()),
        ("event_5mib_json", format!("/events/{event}")),
        ("event_among_1m_operations", "/events/500000".to_owned()),
        ("operations_1m", "/hooks/big/ops".to_owned()),
        ("live_poll", "/api/version".to_owned()),
    ] {
        let mut times = Vec::with_capacity(n);
        let mut bytes = 0;
        for i in 0..n + 3 {
            let (ms, size) = get(page.addr(), &path)?;
            // The first answers warm SQLite's page cache.
            if i >= 3 {
                times.push(ms);
            }
            bytes = size;
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        eprintln!(
            "UI_PAGE page={name} p50_ms={:.2} p90_ms={:.2} max_ms={:.2} bytes={bytes}",
            at(0.5),
            at(0.9),
            at(1.0)
        );
    }
    page.stop();
    Ok(())
}

/// 10,000 hooks, one of them (`big`) with 1,000,000 events, and an event
/// with a 5 MiB JSON body; its id. The many rows are written in bulk
/// straight into the SQLite file: no command makes a million at once.
fn populate(db: &std::path::Path) -> anyhow::Result<i64> {
    let mut store = store::open(&Location::Sqlite(db.to_owned()), Access::Create)?;
    let file = rusqlite::Connection::open(db)?;
    let now = hookq::clock::system_now();
    let mut settings = HookSettings::default();
    settings.queue_limit = 10_000_000;
    settings.max_body = 8 << 20;
    let big = store.create_hook("big", &settings, now)?;
    file.execute_batch(
        "PRAGMA synchronous = OFF;
         WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 9999)
         INSERT INTO hooks (name, token, enabled, rate_limit, queue_limit, max_body, allow_ips,
                            methods, json_passthrough, created_at, enabled_at, unassigned_since, burst)
         SELECT printf('hook-%05d', value), printf('%032d', value), 1, 5, 10000, 5242880, '[]', '[]',
                0, created_at, enabled_at, unassigned_since, 50
         FROM n, (SELECT * FROM hooks WHERE name = 'big');",
    )?;
    file.execute(
        "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 1000000)
         INSERT INTO events (hook_id, state, received_at, method, path, query, headers, content_type, size, attempts)
         SELECT ?1, 'done', ?2 - (1000000 - value) * 1000, 'POST', '/wh/x', '',
                '[[\"Content-Type\",\"application/json\"]]', 'application/json', 64, 1
         FROM n",
        rusqlite::params![big.id, now],
    )?;
    // One operation per event, as after a scenario processed them all.
    file.execute(
        "INSERT INTO operations (event_id, hook_id, scenario, status, exit_code, started_at, duration_ms, stdout)
         SELECT id, hook_id, 'deploy', 'ok', 0, received_at, 3, CAST('deployed' AS BLOB)
         FROM events WHERE hook_id = ?1",
        [big.id],
    )?;
    let mut body = String::from("[");
    let mut i = 0;
    while body.len() < 5 << 20 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"id":{i},"name":"item {i}","tags":["a","b"],"price":{}.{:02},"ok":true}}"#,
            i % 1000,
            i % 100
        ));
        i += 1;
    }
    body.push(']');
    let event = NewEvent {
        hook_id: big.id,
        received_at: now,
        method: "POST".into(),
        path: format!("/wh/{}", big.token),
        query: String::new(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        remote_addr: None,
        content_type: Some("application/json".into()),
        body: body.into_bytes(),
        replay_of: None,
        delivery: None,
    };
    match store.enqueue(&[event], &[])?[0] {
        Enqueued::Stored(id) => Ok(id),
        _ => anyhow::bail!("the 5 MiB event was refused"),
    }
}

/// One GET; the page's own time (`Server-Timing`) and the body's size.
fn get(addr: SocketAddr, path: &str) -> anyhow::Result<(f64, usize)> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no answer"))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    anyhow::ensure!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
    let ms = head
        .lines()
        .find_map(|l| l.strip_prefix("Server-Timing: page;dur="))
        .ok_or_else(|| anyhow::anyhow!("no Server-Timing"))?
        .trim()
        .parse()?;
    Ok((ms, raw.len() - end - 4))
}
