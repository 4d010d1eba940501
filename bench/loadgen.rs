//! An open-loop HTTP/1.1 load generator: a fixed request rate over N
//! keep-alive connections, for a bounded time. Request k is *scheduled* at
//! `start + k / rate` and goes out on connection `k mod N`; its latency is
//! measured from that scheduled time, not from when it was actually sent, so
//! a stalled server shows up in the latencies instead of silently slowing
//! the client down (no coordinated omission).
//!
//!     cargo run --release --example loadgen -- --url http://127.0.0.1:8080/wh/TOKEN \
//!         [--rate 2000] [--connections 16] [--duration 10] [--body-size 1024] \
//!         [--method POST] [--timeout 5]
//!
//! Prints p50/p90/p99/p99.9/max latency, the achieved rate, and the count of
//! non-2xx answers and errors; the last line is `LOADGEN key=value ...` for
//! scripts. Exits 1 if any request failed or got a non-2xx answer.

// Its report is its stderr.
#![allow(clippy::print_stderr)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::exit;
use std::thread;
use std::time::{Duration, Instant};

struct Args {
    host: String,
    path: String,
    rate: f64,
    connections: usize,
    duration: Duration,
    body: Vec<u8>,
    method: String,
    timeout: Duration,
}

fn usage(message: &str) -> ! {
    eprintln!("loadgen: {message}");
    eprintln!(
        "usage: loadgen --url http://HOST:PORT/PATH [--rate R] [--connections N] \
         [--duration SECS] [--body-size BYTES] [--method M] [--timeout SECS]"
    );
    exit(2);
}

fn parse_args() -> Args {
    let mut url = None;
    let (mut rate, mut connections, mut duration, mut body_size) = (2000.0, 16, 10.0, 1024);
    let (mut method, mut timeout) = ("POST".to_owned(), 5.0);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let number = |v: &str| -> f64 {
            v.parse()
                .unwrap_or_else(|_| usage(&format!("{flag}: not a number: {v}")))
        };
        match flag.as_str() {
            "--url" => url = Some(value),
            "--rate" => rate = number(&value),
            "--connections" => connections = number(&value) as usize,
            "--duration" => duration = number(&value),
            "--body-size" => body_size = number(&value) as usize,
            "--method" => method = value,
            "--timeout" => timeout = number(&value),
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    let url = url.unwrap_or_else(|| usage("--url is required"));
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| usage("only http:// URLs"));
    let (host, path) = match rest.find('/') {
        Some(i) => (rest[..i].to_owned(), rest[i..].to_owned()),
        None => (rest.to_owned(), "/".to_owned()),
    };
    if rate <= 0.0 || connections == 0 || duration <= 0.0 || duration > 600.0 {
        usage("rate and connections must be positive, duration in (0, 600] seconds");
    }
    Args {
        host,
        path,
        rate,
        connections,
        duration: Duration::from_secs_f64(duration),
        body: json_body(body_size),
        method,
        timeout: Duration::from_secs_f64(timeout),
    }
}

/// A JSON object of exactly `size` bytes (at least the fixed part).
fn json_body(size: usize) -> Vec<u8> {
    let head = r#"{"event":"push","ref":"refs/heads/main","repository":{"id":123456,"full_name":"acme/widgets"},"sender":{"login":"octocat"},"pad":""#;
    let tail = r#""}"#;
    let pad = size.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(pad)).into_bytes()
}

#[derive(Default)]
struct Tally {
    /// Microseconds from the scheduled send time to the full answer.
    latencies: Vec<u64>,
    ok: u64,
    non_2xx: u64,
    errors: u64,
    /// Requests whose scheduled time came but that were never sent: the
    /// connection was still busy when the run's grace period ended.
    unsent: u64,
}

struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(host: &str, timeout: Duration) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(host)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(Conn {
            reader: BufReader::with_capacity(16 << 10, stream),
        })
    }

    /// Send one request and read its answer: (status, server wants close).
    fn exchange(&mut self, request: &[u8]) -> std::io::Result<(u16, bool)> {
        self.reader.get_mut().write_all(request)?;
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("bad status line {line:?}")))?;
        let (mut length, mut chunked, mut close) = (None, false, line.starts_with("HTTP/1.0"));
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<u64>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = u64::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| bad("bad chunk size"))?;
                std::io::copy(&mut (&mut self.reader).take(size + 2), &mut std::io::sink())?;
                if size == 0 {
                    break;
                }
            }
        } else if let Some(length) = length {
            let read = std::io::copy(&mut (&mut self.reader).take(length), &mut std::io::sink())?;
            if read < length {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        } else {
            std::io::copy(&mut self.reader, &mut std::io::sink())?;
            close = true;
        }
        Ok((status, close))
    }
}

fn bad(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_owned())
}

/// Connection `index`: requests index, index + N, index + 2N, ...
fn run_connection(args: &Args, request: &[u8], index: usize, start: Instant) -> Tally {
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let end = start + args.duration;
    // Requests still unsent this long after the end are given up (counted).
    let give_up = end + args.timeout;
    let mut tally = Tally::default();
    let mut conn: Option<Conn> = None;
    let mut k = index as u32;
    loop {
        let scheduled = start + interval * k;
        if scheduled >= end {
            break;
        }
        k += args.connections as u32;
        let now = Instant::now();
        if now >= give_up {
            tally.unsent += 1;
            continue;
        }
        if scheduled > now {
            thread::sleep(scheduled - now);
        }
        if conn.is_none() {
            match Conn::open(&args.host, args.timeout) {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    tally.errors += 1;
                    continue;
                }
            }
        }
        match conn.as_mut().map(|c| c.exchange(request)) {
            Some(Ok((status, close))) => {
                tally.latencies.push(scheduled.elapsed().as_micros() as u64);
                if (200..300).contains(&status) {
                    tally.ok += 1;
                } else {
                    tally.non_2xx += 1;
                }
                if close {
                    conn = None;
                }
            }
            _ => {
                tally.errors += 1;
                conn = None;
            }
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn main() {
    let args = parse_args();
    let mut request = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: hookq-loadgen\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        args.method,
        args.path,
        args.host,
        args.body.len()
    )
    .into_bytes();
    request.extend_from_slice(&args.body);
    let start = Instant::now() + Duration::from_millis(100); // all threads ready
    let tallies: Vec<Tally> = thread::scope(|scope| {
        let handles: Vec<_> = (0..args.connections)
            .map(|i| {
                let (args, request) = (&args, &request);
                scope.spawn(move || run_connection(args, request, i, start))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let mut total = Tally::default();
    for t in tallies {
        total.latencies.extend(t.latencies);
        total.ok += t.ok;
        total.non_2xx += t.non_2xx;
        total.errors += t.errors;
        total.unsent += t.unsent;
    }
    total.latencies.sort_unstable();
    let l = &total.latencies;
    let answered = l.len() as f64;
    let (p50, p90, p99, p999, max) = (
        percentile(l, 50.0),
        percentile(l, 90.0),
        percentile(l, 99.0),
        percentile(l, 99.9),
        l.last().map_or(0.0, |&m| m as f64 / 1000.0),
    );
    println!(
        "target {:.0} req/s over {} connections for {:.1} s: {} answered ({:.1}/s), \
         {} 2xx, {} non-2xx, {} errors, {} unsent",
        args.rate,
        args.connections,
        args.duration.as_secs_f64(),
        l.len(),
        answered / elapsed,
        total.ok,
        total.non_2xx,
        total.errors,
        total.unsent
    );
    println!(
        "latency from scheduled send (ms): p50 {p50:.2}  p90 {p90:.2}  p99 {p99:.2}  \
         p99.9 {p999:.2}  max {max:.2}"
    );
    println!(
        "LOADGEN rate={:.1} answered={} ok={} non2xx={} errors={} unsent={} \
         p50_ms={p50:.3} p90_ms={p90:.3} p99_ms={p99:.3} p999_ms={p999:.3} max_ms={max:.3}",
        answered / elapsed,
        l.len(),
        total.ok,
        total.non_2xx,
        total.errors,
        total.unsent
    );
    if total.non_2xx + total.errors + total.unsent > 0 {
        exit(1);
    }
}
