//! What only PostgreSQL has to show (docs/scaling.md §6): a database
//! server that goes away and comes back. Skipped without `HOOKQ_TEST_PG`
//! (then PostgreSQL's tools may well be missing); `.ci/run` sets it.

use std::path::Path;
use std::process::Command;

use crate::pg;
use crate::util::*;

/// A throwaway cluster of the test's own (`.ci/postgres.sh`), removed at
/// the end: restarting it disturbs no other test.
struct OwnCluster(String);

impl OwnCluster {
    fn start() -> OwnCluster {
        OwnCluster(script(&["start"]))
    }

    fn pause(&self) {
        script(&["pause", &self.0]);
    }

    fn resume(&self) {
        script(&["resume", &self.0]);
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh"))
            .args(["stop", &self.0])
            .status();
    }
}

fn script(args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh"))
        .args(args)
        .output()
        .expect("run .ci/postgres.sh");
    assert!(
        out.status.success(),
        "postgres.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn switched_on(test: &str) -> bool {
    if pg::cluster().is_none() {
        eprintln!("skipped: {test} needs PostgreSQL (HOOKQ_TEST_PG)");
        return false;
    }
    true
}

/// The server answers 503 while its PostgreSQL is down, and 200 again once
/// it is back, by itself, without a restart; every event it acknowledged
/// is stored, each once.
#[test]
fn a_restarted_postgresql_is_503_meanwhile_and_recovers_by_itself() {
    if !switched_on("a_restarted_postgresql_is_503_meanwhile_and_recovers_by_itself") {
        return;
    }
    let cluster = OwnCluster::start();
    let env = Env::on_cluster(&cluster.0);
    let path = env.hook("h", &["--rate-limit", "0"]);
    let server = ServerProcess::start(&env, &["--no-scenarios"]);
    let mut accepted = 0;
    let mut post = |body: &str| {
        let reply = http(server.addr, "POST", &path, &[], body.as_bytes());
        if reply.status == 200 {
            accepted += 1;
        }
        reply
    };
    assert_eq!(post("before").status, 200);

    cluster.pause();
    let reply = post("during");
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert_eq!(reply.header("Retry-After"), Some("1"));
    // A token it does not know yet may be a hook created meanwhile.
    let unknown = format!("/wh/{}", "7".repeat(32));
    let reply = http(server.addr, "POST", &unknown, &[], b"x");
    assert_eq!(reply.status, 503, "not a 404: the hook may exist");

    cluster.resume();
    eventually(20, "the server to store events again", || {
        post("after").status == 200
    });
    assert_eq!(env.sql_count("SELECT count(*) FROM events"), accepted);
    server.terminate();
}
