//! Forwarding scenarios (SPEC §10) against a minimal local HTTP server.
//!
//!     forward_bench drain HOOKQ_BIN [EVENTS] [BODY_BYTES] [ROUNDS]
//!     forward_bench latency HOOKQ_BIN [RATE] [SECONDS]
//!
//! `drain`: EVENTS queued events forwarded by `scenario run --max-cycles`
//! to a minimal keep-alive HTTP/1.1 server in this process, against the
//! ceiling: a plain loop posting the same bodies to the same server over
//! one keep-alive connection; ROUNDS (default 5) rounds, each ratio of its
//! own two runs, and their median.
//!
//! `latency`: `hooks serve` with an `immediately` forwarding scenario; RATE
//! requests per second for SECONDS; the time from each request's 200 to the
//! server receiving its delivery (p50, p99, max).

// Its report is its stdout and stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros()
}

/// Each delivery's event id → when it arrived (unix µs).
type Arrivals = Arc<Mutex<HashMap<i64, u128>>>;

/// A minimal HTTP/1.1 server: reads each request (head and
/// Content-Length body) and answers `200` with an empty body, keep-alive.
fn target(count: Arc<AtomicUsize>, arrivals: Option<Arrivals>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (count, arrivals) = (count.clone(), arrivals.clone());
            std::thread::spawn(move || {
                let _ = stream.set_nodelay(true);
                let mut reader = BufReader::with_capacity(64 << 10, stream.try_clone().unwrap());
                let mut writer = stream;
                let mut body = Vec::new();
                loop {
                    let mut length = 0usize;
                    let mut event = None;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(v) = lower.strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        } else if let Some(v) = lower.strip_prefix("x-hookq-event-id:") {
                            event = v.trim().parse::<i64>().ok();
                        }
                    }
                    let at = now_us();
                    body.resize(length, 0);
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if let (Some(arrivals), Some(id)) = (&arrivals, event) {
                        arrivals.lock().unwrap().insert(id, at);
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                    if writer
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn hookq(bin: &str, db: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args(args)
        .env("HOOKQ_DB", db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hookq {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn body(i: usize, size: usize) -> Vec<u8> {
    let mut body = format!("{{\"n\":{i},\"pad\":\"").into_bytes();
    body.resize(size.saturating_sub(2).max(body.len()), b'x');
    body.extend_from_slice(b"\"}");
    body
}

/// One round: `events` queued events forwarded by `scenario run`, then the
/// same bodies posted by the plain loop to the same kind of server; the
/// seconds each took.
fn drain_round(bin: &str, bodies: &[Vec<u8>]) -> (f64, f64) {
    let events = bodies.len();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hookq.db");
    let count = Arc::new(AtomicUsize::new(0));
    let addr = target(count.clone(), None);
    hookq(
        bin,
        &db,
        &[
            "hooks",
            "create",
            "fw",
            "--rate-limit",
            "0",
            "--queue-limit",
            "10000000",
        ],
    );
    let url = format!("http://{addr}/hook");
    hookq(
        bin,
        &db,
        &[
            "scenario",
            "create",
            "fw",
            "--hook",
            "fw",
            "--schedule",
            "on-demand",
            "--forward",
            &url,
        ],
    );
    {
        let mut store = hookq::store::open(
            &hookq::store::Location::Sqlite(db.clone()),
            hookq::store::Access::Create,
        )
        .unwrap();
        let hook = store.hook("fw").unwrap();
        for chunk in bodies.chunks(1000) {
            let batch: Vec<hookq::store::NewEvent> = chunk
                .iter()
                .map(|body| hookq::store::NewEvent {
                    hook_id: hook.id,
                    received_at: 0,
                    method: "POST".into(),
                    path: format!("/wh/{}", hook.token),
                    query: String::new(),
                    headers: vec![
                        ("Content-Type".into(), "application/json".into()),
                        ("User-Agent".into(), "bench".into()),
                    ],
                    remote_addr: Some("127.0.0.1".into()),
                    content_type: Some("application/json".into()),
                    body: body.clone(),
                    replay_of: None,
                    delivery: None,
                })
                .collect();
            store.enqueue(&batch, &[]).unwrap();
        }
    }
    let start = Instant::now();
    hookq(
        bin,
        &db,
        &["scenario", "run", "fw", "--max-cycles", &events.to_string()],
    );
    let hookq_s = start.elapsed().as_secs_f64();
    assert_eq!(
        count.load(Ordering::Relaxed),
        events,
        "not every event arrived"
    );

    // The ceiling: the same bodies, one keep-alive connection, a plain loop.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let start = Instant::now();
    for (i, body) in bodies.iter().enumerate() {
        let head = format!(
            "POST /hook HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nUser-Agent: bench\r\nX-Hookq-Event-Id: {i}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
        }
    }
    (hookq_s, start.elapsed().as_secs_f64())
}

/// `rounds` rounds of [`drain_round`], each hookq's run next to the loop's
/// own: the machine changes from one second to the next (a shared VM), so
/// each round's ratio compares what ran in the same seconds, and the
/// median of the rounds is the figure.
fn drain(bin: &str, events: usize, size: usize, rounds: usize) {
    let bodies: Vec<Vec<u8>> = (0..events).map(|i| body(i, size)).collect();
    println!(
        "\nforward {events} events of {size} bytes, {rounds} rounds\n{:<8} {:>14} {:>14} {:>7}",
        "round", "hookq ev/s", "loop ev/s", "ratio"
    );
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let (hookq_s, ceiling_s) = drain_round(bin, &bodies);
        let ratio = ceiling_s / hookq_s;
        println!(
            "{round:<8} {:>14.0} {:>14.0} {ratio:>7.2}",
            events as f64 / hookq_s,
            events as f64 / ceiling_s
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    let median = match ratios.len() % 2 {
        1 => ratios[ratios.len() / 2],
        _ => (ratios[ratios.len() / 2 - 1] + ratios[ratios.len() / 2]) / 2.0,
    };
    println!("median ratio hookq / ceiling: {median:.2}\n");
}

fn latency(bin: &str, rate: u64, seconds: u64) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hookq.db");
    let arrivals: Arrivals = Arc::default();
    let addr = target(Arc::new(AtomicUsize::new(0)), Some(arrivals.clone()));
    let url = hookq(
        bin,
        &db,
        &[
            "hooks",
            "create",
            "lat",
            "--rate-limit",
            "0",
            "--queue-limit",
            "1000000",
        ],
    );
    let path = format!("/wh/{}", url.trim().rsplit('/').next().unwrap());
    let forward = format!("http://{addr}/hook");
    hookq(
        bin,
        &db,
        &[
            "scenario",
            "create",
            "lat",
            "--hook",
            "lat",
            "--forward",
            &forward,
        ],
    );
    let mut server = Command::new(bin)
        .args(["hooks", "serve", "--listen", "127.0.0.1:0", "--quiet"])
        .env("HOOKQ_DB", &db)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let server_addr = line
        .trim()
        .trim_start_matches("listening on http://")
        .to_owned();
    // Its delivery log goes nowhere; the pipe must not fill.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));

    let mut acked: Vec<(i64, u128)> = Vec::new(); // (event id, 200 received at)
    let interval = Duration::from_micros(1_000_000 / rate);
    let start = Instant::now();
    for i in 0..rate * seconds {
        let due = start + interval * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut stream = TcpStream::connect(&server_addr).unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let at = now_us();
        if reply.starts_with("HTTP/1.1 200") {
            acked.push((acked.len() as i64 + 1, at));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrivals.lock().unwrap().len() < acked.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let arrivals = arrivals.lock().unwrap();
    let mut delays: Vec<i128> = acked
        .iter()
        .filter_map(|(id, at)| arrivals.get(id).map(|s| *s as i128 - *at as i128))
        .collect();
    delays.sort_unstable();
    let pct =
        |p: f64| delays[((delays.len() as f64 * p) as usize).min(delays.len() - 1)] as f64 / 1000.0;
    println!(
        "  {} requests, {} delivered; 200 -> target receives: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        acked.len(),
        delays.len(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let bin = args.next().expect("HOOKQ_BIN");
    let a: Option<u64> = args.next().and_then(|a| a.parse().ok());
    let b: Option<u64> = args.next().and_then(|a| a.parse().ok());
    let c: Option<u64> = args.next().and_then(|a| a.parse().ok());
    match mode.as_str() {
        "drain" => drain(
            &bin,
            a.unwrap_or(10_000) as usize,
            b.unwrap_or(1024) as usize,
            c.unwrap_or(5).max(1) as usize,
        ),
        "latency" => latency(&bin, a.unwrap_or(200), b.unwrap_or(10)),
        _ => {
            eprintln!("usage: forward_bench drain|latency HOOKQ_BIN [N] [M]");
            std::process::exit(2);
        }
    }
}
