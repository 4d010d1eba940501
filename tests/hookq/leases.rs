//! One execution of a scenario at a time across processes (SPEC §5): the
//! execution lease, held until its holder is gone.

use crate::util::*;

/// Send a signal to a process.
fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

#[test]
fn a_frozen_execution_keeps_its_lease_however_long_it_is_stopped() {
    let env = Env::new();
    env.hook("h", &["--rate-limit", "0"]);
    let gate = Gate::new(&env, "gate");
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--",
        "sh",
        "-c",
        &format!("{}; cat >/dev/null", gate.wait_sh()),
    ]);
    let event = env.enqueue("h", None, "", b"x");
    let mut first = env.spawn(&["scenario", "run", "s"]);
    eventually(60, "the event to be running", || {
        env.state(event) == "running"
    });

    // Ctrl-Z on the terminal, a suspended laptop: the holder stops renewing
    // its lease. Make it look long overdue rather than wait a minute.
    signal(first.id(), "-STOP");
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .unwrap();
    conn.execute("UPDATE leases SET expires_at = 0", [])
        .unwrap();

    let second = env.run_within(60, &["scenario", "run", "s"]);
    assert_eq!(
        second.status.code(),
        Some(75),
        "a second run must wait for the frozen one: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(env.state(event), "running", "not run a second time");

    signal(first.id(), "-CONT");
    gate.open();
    let done = first.wait().unwrap();
    assert!(done.success());
    assert_eq!(env.state(event), "done");
    assert_eq!(
        env.sql_count(&format!(
            "SELECT COUNT(*) FROM operations WHERE event_id = {event}"
        )),
        1,
        "the event ran once"
    );
}
