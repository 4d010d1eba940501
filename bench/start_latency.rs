//! Time from a request's 200 to its command starting, for an `immediately`
//! scenario under a steady request rate.
//! Usage: start_latency HOOKQ_BIN RATE SECONDS
//!
//! Starts `hookq hooks serve` on a temporary database with a scenario whose
//! command records the time it started; sends RATE requests per second for
//! SECONDS on loopback; prints p50, p99 and max of (command start - 200 received).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bin = args.next().expect("HOOKQ_BIN");
    let rate: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("hookq-start-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("hookq.db");
    let log = dir.join("starts");
    let hookq = |args: &[&str]| {
        let out = Command::new(&bin)
            .args(args)
            .env("HOOKQ_DB", &db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let url = hookq(&[
        "hooks",
        "create",
        "lat",
        "--rate-limit",
        "0",
        "--queue-limit",
        "1000000",
    ]);
    let path = format!("/wh/{}", url.trim().rsplit('/').next().unwrap());
    // The command's first act: append "<event id> <unix µs>" (date +%s%6N).
    let script = format!(
        "echo \"$HOOKQ_EVENT_ID $(date +%s%6N)\" >> {}",
        log.display()
    );
    hookq(&[
        "scenario", "create", "lat", "--hook", "lat", "--", "sh", "-c", &script,
    ]);
    let mut server = Command::new(&bin)
        .args(["hooks", "serve", "--listen", "127.0.0.1:0", "--quiet"])
        .env("HOOKQ_DB", &db)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .trim_start_matches("listening on http://")
        .to_owned();

    let mut acked: Vec<(i64, u128)> = Vec::new(); // (event id, 200 received at)
    let interval = Duration::from_micros(1_000_000 / rate);
    let start = Instant::now();
    for i in 0..rate * seconds {
        let due = start + interval * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut stream = TcpStream::connect(&addr).unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{{}}"
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        let at = now_us();
        if reply.starts_with("HTTP/1.1 200") {
            acked.push((acked.len() as i64 + 1, at));
        }
    }
    // Wait for the scenario to catch up (bounded).
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&log)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < acked.len()
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let starts: std::collections::HashMap<i64, u128> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (id, at) = l.split_once(' ')?;
            Some((id.parse().ok()?, at.parse().ok()?))
        })
        .collect();
    let mut delays: Vec<i128> = acked
        .iter()
        .filter_map(|(id, at)| starts.get(id).map(|s| *s as i128 - *at as i128))
        .collect();
    delays.sort_unstable();
    let pct =
        |p: f64| delays[((delays.len() as f64 * p) as usize).min(delays.len() - 1)] as f64 / 1000.0;
    println!(
        "  {} requests, {} commands started; 200 -> start: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        acked.len(),
        delays.len(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
