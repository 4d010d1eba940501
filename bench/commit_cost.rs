//! What one group commit costs on this disk, without HTTP: the server's own
//! write path (`store::open`, then `enqueue` with a batch of events, one
//! durable transaction per batch) run with batches of 1, 2, 4, ... events.
//! Shows the writer thread's ceiling for a given batch size: the server can
//! go no faster than this.
//!
//!     hookq hooks create bench --rate-limit 0 --queue-limit 100000000   # HOOKQ_DB=DB
//!     cargo run --release --example commit_cost -- DB HOOK_ID [EVENTS_PER_SIZE] [SIZES]
//!
//! DB is what `--db` takes. SIZES is a comma list (default
//! 1,2,4,8,16,64,256). Prints one line per size, and `COMMIT_COST batch=B
//! events_per_s=E us_per_commit=U`.

// Its report is its stderr.
#![allow(clippy::print_stderr)]

use std::ffi::OsStr;
use std::time::Instant;

use hookq::store::{self, Access, Enqueued, Location, NewEvent};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: commit_cost DB HOOK_ID [EVENTS_PER_SIZE] [SIZES]");
        std::process::exit(2);
    }
    let hook_id: i64 = args[1].parse()?;
    let per_size: usize = args.get(2).map_or(Ok(4096), |n| n.parse())?;
    let sizes: Vec<usize> = args
        .get(3)
        .map_or("1,2,4,8,16,64,256", String::as_str)
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let mut store = store::open(&Location::parse(OsStr::new(&args[0])), Access::Create)?;
    // A 1 KiB JSON body, like the one bench/ingest.sh posts.
    let head = r#"{"event":"push","ref":"refs/heads/main","repository":{"id":123456,"full_name":"acme/widgets"},"sender":{"login":"octocat"},"pad":""#;
    let body = format!("{head}{}\"}}", "x".repeat(1024 - head.len() - 2)).into_bytes();
    assert_eq!(body.len(), 1024);
    let event = NewEvent {
        hook_id,
        received_at: hookq::clock::system_now(),
        method: "POST".into(),
        path: "/wh/abcdefghijklmnopqrstuvwxyz012345".into(),
        query: String::new(),
        headers: vec![
            ("host".into(), "127.0.0.1:8080".into()),
            ("user-agent".into(), "wrk".into()),
            ("content-type".into(), "application/json".into()),
            ("content-length".into(), "1024".into()),
        ],
        remote_addr: Some("127.0.0.1".into()),
        content_type: Some("application/json".into()),
        body,
        replay_of: None,
        delivery: None,
    };
    for &size in &sizes {
        let batch = vec![event.clone(); size];
        let commits = (per_size / size).max(1);
        let started = Instant::now();
        for _ in 0..commits {
            let outcomes = store.enqueue(&batch, &[])?;
            anyhow::ensure!(
                outcomes.iter().all(|o| matches!(o, Enqueued::Stored(_))),
                "not stored: {:?} (is HOOK_ID a hook with room in its queue?)",
                outcomes[0]
            );
        }
        let secs = started.elapsed().as_secs_f64();
        let events = (commits * size) as f64;
        println!(
            "batch {size:>4}: {:>7.0} events/s, {:>6.0} us per commit ({commits} commits)",
            events / secs,
            secs / commits as f64 * 1e6
        );
        println!(
            "COMMIT_COST batch={size} events_per_s={:.0} us_per_commit={:.0}",
            events / secs,
            secs / commits as f64 * 1e6
        );
    }
    Ok(())
}
