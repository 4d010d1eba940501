//! What one group commit costs on this disk, without HTTP: the statements of
//! `Store::enqueue` (src/store/events.rs, copied here: keep them in step),
//! on a connection set up like `Store::open` (WAL, synchronous=FULL), run
//! in transactions of 1, 2, 4, ... events. Shows the writer thread's ceiling
//! for a given batch size: the server can go no faster than this.
//!
//!     hookq hooks create bench --rate-limit 0 --queue-limit 100000000   # HOOKQ_DB=DB
//!     cargo run --release --example commit_cost -- DB HOOK_ID [EVENTS_PER_SIZE] [SIZES] [CHECKPOINT]
//!
//! SIZES is a comma list (default 1,2,4,8,16,64,256). CHECKPOINT is
//! `wal_autocheckpoint` in pages: 1000 (SQLite's default, what hookq runs
//! with) or 0 to leave checkpoints out and see what they cost. Prints one
//! line per size, and `COMMIT_COST batch=B events_per_s=E us_per_commit=U`.

use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};

fn main() -> rusqlite::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: commit_cost DB HOOK_ID [EVENTS_PER_SIZE] [SIZES] [CHECKPOINT]");
        std::process::exit(2);
    }
    let hook_id: i64 = args[1].parse().expect("HOOK_ID");
    let per_size: usize = args
        .get(2)
        .map_or(4096, |n| n.parse().expect("EVENTS_PER_SIZE"));
    let sizes: Vec<usize> = args
        .get(3)
        .map_or("1,2,4,8,16,64,256", String::as_str)
        .split(',')
        .map(|n| n.parse().expect("SIZES"))
        .collect();
    let checkpoint: i64 = args.get(4).map_or(1000, |n| n.parse().expect("CHECKPOINT"));
    let mut conn = Connection::open(&args[0])?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "wal_autocheckpoint", checkpoint)?;
    // A 1 KiB JSON body, like the one bench/ingest.sh posts.
    let head = r#"{"event":"push","ref":"refs/heads/main","repository":{"id":123456,"full_name":"acme/widgets"},"sender":{"login":"octocat"},"pad":""#;
    let body = format!("{head}{}\"}}", "x".repeat(1024 - head.len() - 2)).into_bytes();
    assert_eq!(body.len(), 1024);
    let headers = r#"[["host","127.0.0.1:8080"],["user-agent","wrk"],["content-type","application/json"],["content-length","1024"]]"#;
    for &size in &sizes {
        let commits = (per_size / size).max(1);
        let started = Instant::now();
        for _ in 0..commits {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut room =
                    tx.prepare_cached("SELECT queue_limit - queued FROM hooks WHERE id = ?1")?;
                let mut insert_event = tx.prepare_cached(
                    "INSERT INTO events (hook_id, received_at, method, path, query, headers,
                                         remote_addr, content_type, size, replay_of)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?;
                let mut insert_payload =
                    tx.prepare_cached("INSERT INTO payloads (event_id, body) VALUES (?1, ?2)")?;
                let mut touch_hook = tx.prepare_cached(
                    "UPDATE hooks SET last_event_at = max(coalesce(last_event_at, ?2), ?2)
                     WHERE id = ?1",
                )?;
                for _ in 0..size {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as i64);
                    let _room: Option<i64> =
                        room.query_row([hook_id], |row| row.get(0)).optional()?;
                    insert_event.execute(params![
                        hook_id,
                        now,
                        "POST",
                        "/wh/abcdefghijklmnopqrstuvwxyz012345",
                        "",
                        headers,
                        "127.0.0.1",
                        "application/json",
                        body.len() as i64,
                        None::<i64>,
                    ])?;
                    let id = tx.last_insert_rowid();
                    insert_payload.execute(params![id, body])?;
                    touch_hook.execute(params![hook_id, now])?;
                }
            }
            tx.commit()?;
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
