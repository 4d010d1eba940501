//! The ceiling for ordered one-process-per-event work: spawn `/bin/true`
//! with its stdin piped, write a small payload, wait, N times in a row.
//! Usage: spawn_loop N

use std::io::Write;
use std::process::{Command, Stdio};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    for _ in 0..n {
        let mut child = Command::new("/bin/true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn /bin/true");
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"0123456789abcdef");
        child.wait_with_output().expect("wait");
    }
}
