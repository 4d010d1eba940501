//! `--burst` beside `--rate-limit` (SPEC §3, issue #16 item 11): a bucket
//! holding `burst` requests, refilled at the sustained rate.

use std::time::{Duration, Instant};

use crate::util::{eventually, Env, TestServer};

/// `n` requests sent at once; their statuses.
fn at_once(server: &TestServer, path: &str, n: usize) -> Vec<u16> {
    std::thread::scope(|scope| {
        let posts: Vec<_> = (0..n)
            .map(|i| {
                scope.spawn(move || {
                    let body = format!("{{\"delivery\":{i}}}");
                    server
                        .post(path, "application/json", body.as_bytes())
                        .status
                })
            })
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    })
}

#[test]
fn twenty_deliveries_at_once_are_all_accepted_at_the_defaults() {
    let env = Env::new();
    let path = env.hook("github", &[]);
    let server = TestServer::start(&env);
    let statuses = at_once(&server, &path, 20);
    assert_eq!(statuses, vec![200; 20]);
    server.stop();
    assert_eq!(
        env.json(&["hooks", "events", "github"])
            .as_array()
            .unwrap()
            .len(),
        20
    );
}

#[test]
fn past_the_burst_the_sustained_rate_applies() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "1", "--burst", "20"]);
    let server = TestServer::start(&env);
    let started = Instant::now();
    let statuses: Vec<u16> = (0..40)
        .map(|i| {
            server
                .post(&path, "text/plain", format!("{i}").as_bytes())
                .status
        })
        .collect();
    let elapsed = started.elapsed();
    let accepted = statuses.iter().filter(|&&s| s == 200).count() as u64;
    // The burst, plus one per second it took to send them, at most.
    assert!(accepted >= 20, "{statuses:?}");
    assert!(
        accepted <= 20 + elapsed.as_secs() + 1,
        "{statuses:?} in {elapsed:?}"
    );
    if elapsed < Duration::from_secs(19) {
        assert!(statuses.contains(&429), "{statuses:?}");
    }
    server.stop();
}

#[test]
fn burst_is_stored_shown_validated_and_reaches_a_running_server() {
    let env = Env::new();
    let path = env.hook("h", &["--rate-limit", "1", "--burst", "1"]);
    let hook = env.json(&["hooks", "show", "h"]);
    assert_eq!(
        (hook["rate_limit"].as_u64(), hook["burst"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(env.ok(&["hooks", "show", "h"]).contains("1/s, bursts of 1"));
    env.fails(&["hooks", "edit", "h", "--burst", "0"], 2);
    env.fails(&["hooks", "create", "g", "--burst", "-1"], 2);
    let server = TestServer::start(&env);
    assert!(at_once(&server, &path, 10).contains(&429));
    env.ok(&["hooks", "edit", "h", "--burst", "30"]);
    assert_eq!(env.json(&["hooks", "list"])[0]["burst"], 30);
    eventually(20, "the new burst in the running server", || {
        at_once(&server, &path, 10) == vec![200; 10]
    });
    server.stop();
}
