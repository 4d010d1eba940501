//! `hookq sweep` (SPEC §7): every rule at its boundary, clocks restarted by
//! hand, deletion and payload purge, dry run, idempotence, a sweep while a
//! server receives, and a sweep cut short by a full disk.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use hookq::clock::{self, Millis, DAY, HOUR, SECOND};
use serde_json::{json, Value};

use crate::util::{eventually, http, Env, TestServer};

const T0: &str = "2026-01-01T00:00:00Z";

/// `T0 + offset`, RFC 3339.
fn t(offset: Millis) -> String {
    clock::format(clock::parse(T0).unwrap() + offset)
}

/// `hookq sweep --json` as of `T0 + offset`; later commands run then too.
fn sweep(env: &mut Env, offset: Millis, flags: &[&str]) -> Value {
    env.at(&t(offset));
    let mut args = vec!["sweep"];
    args.extend_from_slice(flags);
    env.json(&args)
}

fn scenario(env: &Env, name: &str, hook: &str, options: &[&str]) {
    let mut args = vec!["scenario", "create", name, "--hook", hook];
    args.extend_from_slice(options);
    args.extend(["--", "true"]);
    env.ok(&args);
}

fn disabled(report: &Value) -> Vec<String> {
    report["disabled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["hook"].as_str().unwrap().to_owned())
        .collect()
}

/// The size of the database file, as `ls -l` shows it once no hookq
/// process has it open (the last one to close writes the WAL back).
fn file_size(env: &Env) -> u64 {
    std::fs::metadata(&env.db).expect("the database file").len()
}

/// Rows of (events, payloads, operations), for "changed nothing" checks.
fn rows(env: &Env) -> [i64; 3] {
    ["events", "payloads", "operations"]
        .map(|table| env.sql_count(&format!("SELECT count(*) FROM {table}")))
}

#[test]
fn an_unassigned_hook_is_disabled_after_more_than_120_hours() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("h", &[]);
    let report = sweep(&mut env, 120 * HOUR - SECOND, &[]);
    assert_eq!(report["disabled"], json!([]));
    assert_eq!(report["expired"], json!([]));
    let report = sweep(&mut env, 120 * HOUR, &[]);
    assert_eq!(report["disabled"], json!([]), "exactly 120 h is not more");
    assert_eq!(
        report["expired"],
        json!(["h"]),
        "expired from exactly 120 h"
    );
    let report = sweep(&mut env, 120 * HOUR + SECOND, &[]);
    assert_eq!(
        report["disabled"],
        json!([{"hook": "h", "reason": "unassigned for more than 5d"}])
    );
    let shown = env.json(&["hooks", "show", "h"]);
    assert_eq!(shown["enabled"], false);
    assert_eq!(shown["disabled_at"], t(120 * HOUR + SECOND));
    assert_eq!(shown["disabled_reason"], "unassigned for more than 5d");
    assert!(env
        .ok(&["hooks", "show", "h"])
        .contains("(unassigned for more than 5d)"));
}

#[test]
fn the_thresholds_are_flags() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("h", &[]);
    let flags = ["--disable-unassigned-after", "90m"];
    assert_eq!(
        sweep(&mut env, 90 * 60 * SECOND, &flags)["disabled"],
        json!([])
    );
    assert_eq!(
        sweep(&mut env, 90 * 60 * SECOND + SECOND, &flags)["disabled"],
        json!([{"hook": "h", "reason": "unassigned for more than 90m"}])
    );
    let err = env.fails(&["sweep", "--delete-after", "soon"], 2);
    assert!(err.contains("invalid duration"), "{err}");
}

#[test]
fn a_hook_whose_scenario_is_inactive_is_disabled_after_more_than_30_days() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("a", &[]);
    env.hook("b", &[]);
    env.hook("busy", &[]);
    scenario(&env, "sa", "a", &["--inactive"]);
    scenario(&env, "sb", "b", &[]);
    scenario(&env, "s-busy", "busy", &[]);
    env.at(&t(2 * DAY));
    env.ok(&["scenario", "deactivate", "sb"]);
    // a: inactive for 31 days; b: for 29 days.
    let report = sweep(&mut env, 31 * DAY, &[]);
    assert_eq!(
        report["disabled"],
        json!([{"hook": "a", "reason": "scenario inactive for more than 30d"}])
    );
    assert_eq!(report["deleted"], json!([]), "a hook with a scenario stays");
    assert_eq!(report["expired"], json!([]));
    assert_eq!(sweep(&mut env, 32 * DAY, &[])["disabled"], json!([]));
    assert_eq!(disabled(&sweep(&mut env, 32 * DAY + SECOND, &[])), ["b"]);
    assert_eq!(
        sweep(&mut env, 999 * DAY, &[])["disabled"],
        json!([]),
        "an active scenario keeps its hook"
    );
}

#[test]
fn the_inactive_threshold_is_a_flag() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("idle", &[]);
    env.hook("lonely", &[]);
    scenario(&env, "s", "idle", &["--inactive"]);
    let flags = ["--disable-inactive-after", "36h"];
    assert_eq!(
        sweep(&mut env, 36 * HOUR + SECOND, &["--dry-run"])["disabled"],
        json!([]),
        "30 days without the flag"
    );
    assert_eq!(sweep(&mut env, 36 * HOUR, &flags)["disabled"], json!([]));
    assert_eq!(
        sweep(&mut env, 36 * HOUR + SECOND, &flags)["disabled"],
        json!([{"hook": "idle", "reason": "scenario inactive for more than 36h"}]),
        "idle after 36 h inactive; lonely, unassigned as long, stays (its rule has its own flag)"
    );
    assert_eq!(env.json(&["hooks", "show", "idle"])["enabled"], false);
    let err = env.fails(&["sweep", "--disable-inactive-after", "a while"], 2);
    assert!(err.contains("invalid duration"), "{err}");
}

#[test]
fn re_enabling_a_hook_by_hand_restarts_its_clocks() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("lonely", &[]);
    env.hook("idle", &[]);
    scenario(&env, "s", "idle", &["--inactive"]);
    assert_eq!(
        disabled(&sweep(&mut env, 31 * DAY, &[])),
        ["idle", "lonely"]
    );
    env.at(&t(40 * DAY));
    env.ok(&["hooks", "enable", "lonely"]);
    env.ok(&["hooks", "enable", "idle"]);
    let report = sweep(&mut env, 40 * DAY + 120 * HOUR, &[]);
    assert_eq!(report["disabled"], json!([]));
    // Spared, yet still expired: no scenario and no event for 160 days.
    assert_eq!(report["expired"], json!(["lonely"]));
    assert_eq!(
        env.json(&["hooks", "show", "lonely"])["unassigned_since"],
        T0
    );
    assert_eq!(
        disabled(&sweep(&mut env, 40 * DAY + 120 * HOUR + SECOND, &[])),
        ["lonely"]
    );
    // The inactive clock counts from the re-enabling, not from inactive_since.
    assert_eq!(sweep(&mut env, 70 * DAY, &[])["disabled"], json!([]));
    assert_eq!(disabled(&sweep(&mut env, 70 * DAY + SECOND, &[])), ["idle"]);
}

#[test]
fn attaching_a_scenario_restarts_the_unassigned_clock() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("h", &[]);
    env.at(&t(4 * DAY));
    scenario(&env, "s", "h", &[]);
    assert_eq!(sweep(&mut env, 10 * DAY, &[])["disabled"], json!([]));
    env.ok(&["scenario", "delete", "s"]);
    env.at(&t(12 * DAY));
    scenario(&env, "s", "h", &["--schedule", "on-demand"]);
    env.at(&t(13 * DAY));
    env.ok(&["scenario", "delete", "s"]);
    assert_eq!(sweep(&mut env, 18 * DAY, &[])["disabled"], json!([]));
    assert_eq!(disabled(&sweep(&mut env, 18 * DAY + SECOND, &[])), ["h"]);
}

#[test]
fn a_hook_disabled_for_more_than_30_days_is_deleted_with_its_events() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("gone", &[]);
    env.hook("kept", &[]);
    scenario(&env, "s", "gone", &["--schedule", "on-demand"]);
    env.enqueue_at("gone", T0, 3, b"{}");
    env.enqueue_at("kept", T0, 2, b"{}");
    env.ok(&["scenario", "run", "s", "--max-cycles", "3"]);
    env.ok(&["scenario", "delete", "s"]);
    env.ok(&["hooks", "disable", "gone"]);
    let id = env.sql_count("SELECT id FROM hooks WHERE name = 'gone'");
    let of_gone = |env: &Env| {
        [
            "SELECT count(*) FROM events WHERE hook_id = ",
            "SELECT count(*) FROM payloads p JOIN events e ON e.id = p.event_id WHERE e.hook_id = ",
            "SELECT count(*) FROM operations WHERE hook_id = ",
        ]
        .map(|sql| env.sql_count(&format!("{sql}{id}")))
    };
    assert_eq!(of_gone(&env), [3, 3, 3]);

    let report = sweep(&mut env, 30 * DAY, &[]);
    assert_eq!(report["deleted"], json!([]), "exactly 30 days is not more");
    assert_eq!(
        report["payloads_purged"], 0,
        "nor is a payload exactly 30 days old"
    );
    assert_eq!(disabled(&report), ["kept"]);

    let report = sweep(&mut env, 30 * DAY + SECOND, &[]);
    assert_eq!(report["deleted"], json!(["gone"]));
    assert_eq!(
        report["payloads_purged"], 2,
        "the payloads of a deleted hook go with it, not counted as purged"
    );
    assert_eq!(of_gone(&env), [0, 0, 0]);
    assert_eq!(
        rows(&env),
        [2, 0, 0],
        "kept's events stay, without payloads"
    );
    env.fails(&["hooks", "show", "gone"], 3);
    // kept was disabled a second ago: its own clock has just started.
    assert_eq!(sweep(&mut env, 60 * DAY, &[])["deleted"], json!([]));
    assert_eq!(
        sweep(&mut env, 60 * DAY + SECOND, &[])["deleted"],
        json!(["kept"])
    );
}

#[test]
fn a_hook_disabled_by_a_sweep_is_not_deleted_by_the_same_sweep() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("h", &[]);
    let flags = ["--delete-after", "0s"];
    let dry = sweep(&mut env, 6 * DAY, &["--dry-run", "--delete-after", "0s"]);
    let report = sweep(&mut env, 6 * DAY, &flags);
    assert_eq!(disabled(&report), ["h"]);
    assert_eq!(report["deleted"], json!([]));
    assert_eq!(dry["disabled"], report["disabled"]);
    assert_eq!(dry["deleted"], report["deleted"]);
    assert_eq!(sweep(&mut env, 6 * DAY, &flags)["deleted"], json!([]));
    assert_eq!(
        sweep(&mut env, 6 * DAY + SECOND, &flags)["deleted"],
        json!(["h"])
    );
}

#[test]
fn old_payloads_are_purged_and_a_cycle_on_one_fails() {
    let mut env = Env::new();
    env.at(T0);
    env.hook("h", &[]);
    scenario(&env, "s", "h", &["--schedule", "on-demand"]);
    let big = vec![b'x'; 256 * 1024];
    let old = env.enqueue_at("h", T0, 2, &big);
    let recent = env.enqueue_at("h", &t(5 * DAY), 1, b"recent");
    assert_eq!(sweep(&mut env, 30 * DAY, &[])["payloads_purged"], 0);
    // The file's size is SQLite's to give back; PostgreSQL's autovacuum
    // keeps the space for the table.
    let before = (!env.on_postgres()).then(|| file_size(&env));
    let report = sweep(&mut env, 30 * DAY + SECOND, &[]);
    assert_eq!(report["payloads_purged"], 2);
    assert_eq!(report["disabled"], json!([]));
    // The events stay, with their metadata; their payload rows are gone.
    assert_eq!(env.sql_count("SELECT count(*) FROM events"), 3);
    assert_eq!(
        env.sql_count(&format!(
            "SELECT count(*) FROM payloads WHERE event_id IN ({}, {})",
            old[0], old[1]
        )),
        0
    );
    assert_eq!(
        env.sql_count(&format!(
            "SELECT count(*) FROM payloads WHERE event_id = {}",
            recent[0]
        )),
        1
    );
    // The file gives the space back: it shrinks by more than one of the two
    // payloads purged (a part of each may have shared a page with others).
    if let Some(before) = before {
        let after = file_size(&env);
        assert!(
            before > after + big.len() as u64,
            "the database file went from {before} to {after} bytes"
        );
    }
    let out = env.run(&["scenario", "run", "s", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        record["error"],
        format!("event {}: Failed to read file from storage.", old[0])
    );
    assert_eq!(env.json(&["hooks", "show", "h"])["queue"], 3, "rolled back");
    // A shorter retention reaches the recent one too.
    let report = sweep(&mut env, 30 * DAY + SECOND, &["--payload-retention", "24d"]);
    assert_eq!(report["payloads_purged"], 1);
}

/// A database where every rule has something to do at T0 + 40 days.
fn every_rule(env: &mut Env) {
    env.at(T0);
    env.hook("unassigned", &[]);
    env.hook("old-disabled", &[]);
    env.enqueue_at("old-disabled", T0, 2, b"{}");
    env.ok(&["hooks", "disable", "old-disabled"]);
    env.hook("idle", &[]);
    scenario(env, "idle-s", "idle", &["--inactive"]);
    env.hook("busy", &[]);
    scenario(env, "busy-s", "busy", &["--schedule", "on-demand"]);
    env.enqueue_at("busy", T0, 3, b"{}");
    env.enqueue_at("busy", &t(35 * DAY), 1, b"{}");
    env.at(&t(39 * DAY));
    env.hook("fresh", &[]);
}

#[test]
fn a_dry_run_reports_what_the_sweep_does_and_changes_nothing() {
    for flags in [&[][..], &["--delete-after", "0s"]] {
        let mut env = Env::new();
        every_rule(&mut env);
        env.at(&t(40 * DAY));
        let before = env.ok(&["hooks", "list", "--json"]);
        let rows_before = rows(&env);
        let mut dry = sweep(&mut env, 40 * DAY, &[flags, &["--dry-run"]].concat());
        assert_eq!(env.ok(&["hooks", "list", "--json"]), before, "{flags:?}");
        assert_eq!(rows(&env), rows_before, "{flags:?}");

        let mut real = sweep(&mut env, 40 * DAY, flags);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(real["dry_run"], false);
        dry.as_object_mut().unwrap().remove("dry_run");
        real.as_object_mut().unwrap().remove("dry_run");
        assert_eq!(dry, real, "{flags:?}");
        assert_eq!(
            real,
            json!({
                "now": t(40 * DAY),
                "disabled": [
                    {"hook": "idle", "reason": "scenario inactive for more than 30d"},
                    {"hook": "unassigned", "reason": "unassigned for more than 5d"},
                ],
                "deleted": ["old-disabled"],
                "expired": ["unassigned"],
                "payloads_purged": 3,
            }),
            "{flags:?}"
        );
    }
}

#[test]
fn a_second_sweep_at_the_same_time_does_nothing() {
    let mut env = Env::new();
    every_rule(&mut env);
    let first = sweep(&mut env, 40 * DAY, &[]);
    let list = env.ok(&["hooks", "list", "--json"]);
    let rows_after = rows(&env);
    for dry_run in [&["--dry-run"][..], &[]] {
        let again = sweep(&mut env, 40 * DAY, dry_run);
        assert_eq!(again["disabled"], json!([]));
        assert_eq!(again["deleted"], json!([]));
        assert_eq!(again["payloads_purged"], 0);
        assert_eq!(
            again["expired"], first["expired"],
            "a state, reported each time"
        );
    }
    assert_eq!(env.ok(&["hooks", "list", "--json"]), list);
    assert_eq!(rows(&env), rows_after);
}

#[test]
fn the_summary_is_one_line_and_a_pipe_gets_no_progress() {
    let mut env = Env::new();
    every_rule(&mut env);
    env.at(&t(40 * DAY));
    let out = env.run(&["sweep", "--dry-run"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "sweep at {} (dry run): would disable 2 hooks, delete 1, purge 3 payloads; 1 hook expired\n\
             disabled: idle, unassigned; deleted: old-disabled\n",
            t(40 * DAY)
        )
    );
    let out = env.run(&["sweep"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().starts_with(&format!(
        "sweep at {}: disabled 2 hooks, deleted 1, purged 3 payloads; 1 hook expired\n",
        t(40 * DAY)
    )));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");
}

/// Far enough in the past that events the server receives now (on the
/// system clock) are never old enough to be purged by this test's sweep.
const LONG_AGO: &str = "2020-01-01T00:00:00Z";

#[test]
fn a_sweep_while_a_server_receives_loses_no_event() {
    let mut env = Env::new();
    env.at(LONG_AGO);
    let keep = env.hook("keep", &["--rate-limit", "0"]);
    scenario(&env, "s", "keep", &["--schedule", "on-demand"]);
    let old = env.hook("old", &["--queue-limit", "100000"]);
    env.enqueue_at("old", LONG_AGO, 20_000, &[b'x'; 256]);
    env.ok(&["hooks", "disable", "old"]);

    let server = TestServer::start(&env);
    assert_eq!(server.post(&old, "text/plain", b"x").status, 410);
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let (addr, path, stop) = (server.addr, keep.clone(), stop.clone());
            thread::spawn(move || {
                let mut answers = Vec::new();
                while !stop.load(Ordering::Relaxed) || answers.len() < 10 {
                    let body = format!("{{\"client\":{client},\"n\":{}}}", answers.len());
                    let headers = [("Content-Type", "application/json")];
                    let status = http(addr, "POST", &path, &headers, body.as_bytes()).status;
                    answers.push(status);
                }
                answers
            })
        })
        .collect();

    env.at("2020-02-10T00:00:00Z");
    let report = env.json(&["sweep"]);
    assert_eq!(report["deleted"], json!(["old"]));
    assert_eq!(report["disabled"], json!([]));
    eventually(60, "the deleted hook's URL to answer 404", || {
        let status = server.post(&old, "text/plain", b"x").status;
        assert!(status == 410 || status == 404, "{status}");
        status == 404
    });
    stop.store(true, Ordering::Relaxed);
    let answers: Vec<u16> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    server.stop();

    let failed: Vec<u16> = answers.iter().copied().filter(|&s| s != 200).collect();
    assert!(failed.is_empty(), "requests failed: {failed:?}");
    let accepted = answers.len() as i64;
    assert_eq!(
        rows(&env),
        [accepted, accepted, 0],
        "every accepted event kept"
    );
    assert_eq!(
        env.sql_count(
            "SELECT count(*) FROM events e JOIN hooks h ON h.id = e.hook_id WHERE h.name = 'keep'"
        ),
        accepted
    );
}

/// `hookq sweep` with its writes to files limited to `bytes` (as a full
/// disk would stop them), while a reader keeps the WAL from being reused:
/// every transaction of the sweep adds to it, so only the first few fit.
fn sweep_on_a_small_disk(env: &Env, bytes: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    // About the SQLite file: a reader holding its WAL.
    let reader = env.sqlite_file();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM hooks", [], |r| r.get(0))
        .unwrap();
    let mut command = env.cmd(&["sweep"]);
    // SAFETY: signal and setrlimit are async-signal-safe; `bytes` is a
    // copied integer.
    unsafe {
        command.pre_exec(move || {
            // A write past the limit fails (EFBIG) instead of killing.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().expect("run hookq sweep");
    reader.execute_batch("COMMIT").unwrap();
    out
}

/// The sweep deletes a hook's history in several transactions, each
/// committed before the next (so the write lock is free between them for
/// a server's writes). Seen without a clock: a sweep stopped by a full disk
/// part way through keeps the steps it committed, and the next one finishes.
#[test]
fn a_sweep_cut_short_keeps_the_deletion_steps_it_committed() {
    let mut env = Env::new();
    if env.skip_on_postgres("a reader holding SQLite's write lock") {
        return;
    }
    env.at(LONG_AGO);
    env.hook("old", &["--queue-limit", "100000"]);
    let history = 20_000;
    env.enqueue_at("old", LONG_AGO, history, &[b'x'; 256]);
    env.ok(&["hooks", "disable", "old"]);
    let events = |env: &Env| env.sql_count("SELECT count(*) FROM events");
    assert_eq!(events(&env), history as i64);

    // About 10 MB of WAL to delete it all; a 2 MB disk holds the first
    // steps (500 events, then at most twice as many each time), never all.
    env.at("2020-02-10T00:00:00Z");
    let out = sweep_on_a_small_disk(&env, 2 << 20);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "hookq: the sweep stopped; what it did is committed, run it again to finish: "
        ),
        "{stderr}"
    );
    let left = events(&env);
    assert!(
        0 < history as i64 - left,
        "no deletion step was committed on its own: {left} events left"
    );
    assert_eq!(env.json(&["hooks", "show", "old"])["enabled"], false);

    let report = env.json(&["sweep"]);
    assert_eq!(report["deleted"], json!(["old"]));
    assert_eq!(events(&env), 0);
    env.fails(&["hooks", "show", "old"], 3);
}
