//! Running a scenario's command for one cycle: no shell, the event on stdin
//! and in the environment, its own process group, a timeout that kills the
//! whole group, and stdout/stderr drained concurrently so a command that
//! writes a lot never deadlocks against a full pipe.

use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How much of stdout and stderr an operation keeps: the last 64 KiB.
pub const TAIL: usize = 64 << 10;
/// How much of stdout is kept whole for a scenario that answers its caller.
pub const STDOUT_CAP: usize = 16 << 20;

pub struct Invocation<'a> {
    pub command: &'a [String],
    pub env: Vec<(&'static str, String)>,
    pub stdin: Vec<u8>,
    pub timeout: Duration,
    /// Keep stdout whole (up to [`STDOUT_CAP`]) instead of its tail.
    pub whole_stdout: bool,
}

/// How a command ended.
#[derive(Debug)]
pub struct Finished {
    /// `None` when the command did not run, or ended by a signal.
    pub exit_code: Option<i32>,
    /// Why the cycle failed, or `None` if it succeeded.
    pub error: Option<String>,
    pub stdout: Vec<u8>,
    /// stdout was longer than what was kept.
    pub stdout_cut: bool,
    pub stderr: Vec<u8>,
    pub duration: Duration,
}

impl Finished {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    /// A cycle that failed before its command could run.
    pub fn not_run(error: &str) -> Finished {
        Finished {
            exit_code: None,
            error: Some(error.to_owned()),
            stdout: Vec::new(),
            stdout_cut: false,
            stderr: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    fn failed_to_start(command: &str, error: &io::Error, started: Instant) -> Finished {
        let error = match error.kind() {
            io::ErrorKind::NotFound => format!("command not found: {command}"),
            io::ErrorKind::PermissionDenied => format!("command not executable: {command}"),
            _ => format!("could not start {command}: {error}"),
        };
        Finished {
            exit_code: None,
            error: Some(error),
            stdout: Vec::new(),
            stdout_cut: false,
            stderr: Vec::new(),
            duration: started.elapsed(),
        }
    }
}

/// Run the command to completion or timeout. `tick` is called now and then
/// while waiting (the execution renews its lease there).
pub fn run(invocation: Invocation<'_>, tick: &mut dyn FnMut()) -> Finished {
    let started = Instant::now();
    let Some((program, args)) = invocation.command.split_first() else {
        return Finished::failed_to_start("", &io::Error::from(io::ErrorKind::NotFound), started);
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(invocation.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a timeout kills the command and its children.
        .process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Finished::failed_to_start(program, &e, started),
    };
    let pid = child.id() as libc::pid_t;
    let (mut stdin, stdout, stderr) = (
        child.stdin.take().expect("piped stdin"),
        child.stdout.take().expect("piped stdout"),
        child.stderr.take().expect("piped stderr"),
    );
    let stdout_keep = if invocation.whole_stdout {
        STDOUT_CAP
    } else {
        TAIL
    };
    let input = invocation.stdin;
    thread::scope(|scope| {
        // A command that never reads stdin gets EPIPE on our side: fine.
        scope.spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = scope.spawn(move || read_tail(stdout, stdout_keep));
        let err = scope.spawn(move || read_tail(stderr, TAIL));
        let (status, timed_out) = wait(&mut child, pid, invocation.timeout, tick);
        // The command is done (or killed): whatever it left running in its
        // group would keep the pipes open forever.
        kill_group(pid);
        let status = status.or_else(|| child.wait().ok());
        let (stdout, stdout_cut) = out.join().unwrap_or_default();
        let (stderr, _) = err.join().unwrap_or_default();
        let error = if timed_out {
            Some(format!(
                "timed out after {}",
                crate::units::Duration(invocation.timeout.as_millis() as i64)
            ))
        } else {
            status.and_then(describe_failure)
        };
        Finished {
            exit_code: status.and_then(|s| s.code()),
            error,
            stdout,
            stdout_cut,
            stderr,
            duration: started.elapsed(),
        }
    })
}

/// Wait for the command without reaping it (so its pid, which is also its
/// process group id, cannot be reused before the group is killed). Returns
/// the status if reaped here, and whether it timed out.
fn wait(
    child: &mut Child,
    pid: libc::pid_t,
    timeout: Duration,
    tick: &mut dyn FnMut(),
) -> (Option<ExitStatus>, bool) {
    let (exited, exit) = mpsc::channel();
    thread::scope(|scope| {
        scope.spawn(move || {
            // waitid(WNOWAIT): blocks until the child exits, leaves it a zombie.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            loop {
                let rc = unsafe {
                    libc::waitid(
                        libc::P_PID,
                        pid as libc::id_t,
                        &mut info,
                        libc::WEXITED | libc::WNOWAIT,
                    )
                };
                if rc == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                    break;
                }
            }
            let _ = exited.send(());
        });
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                kill_group(pid);
                let _ = exit.recv(); // the waiter returns once the kill lands
                return (child.wait().ok(), true);
            }
            match exit.recv_timeout(left.min(Duration::from_secs(10))) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return (None, false),
                Err(mpsc::RecvTimeoutError::Timeout) => tick(),
            }
        }
    })
}

fn kill_group(pid: libc::pid_t) {
    // SIGKILL: a command that ignores SIGTERM must still end on timeout.
    unsafe {
        libc::killpg(pid, libc::SIGKILL);
    }
}

fn describe_failure(status: ExitStatus) -> Option<String> {
    match (status.code(), status.signal()) {
        (Some(0), _) => None,
        (Some(code), _) => Some(format!("exit status {code}")),
        (None, Some(signal)) => Some(format!("killed by signal {signal}")),
        (None, None) => Some("ended abnormally".into()),
    }
}

/// The last [`TAIL`] bytes: what an operation keeps.
pub fn tail(bytes: &[u8]) -> &[u8] {
    &bytes[bytes.len().saturating_sub(TAIL)..]
}

/// Read a stream to its end, keeping the last `keep` bytes, and whether
/// anything was dropped.
fn read_tail(mut stream: impl Read, keep: usize) -> (Vec<u8>, bool) {
    let mut cut = false;
    let mut kept = Vec::new();
    let mut buf = [0u8; 16 << 10];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * keep {
                    kept.drain(..kept.len() - keep);
                    cut = true;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if kept.len() > keep {
        kept.drain(..kept.len() - keep);
        cut = true;
    }
    (kept, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout_ms: u64, stdin: &[u8]) -> Finished {
        let command = vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()];
        run(
            Invocation {
                command: &command,
                env: vec![("HOOKQ_TEST", "yes".into())],
                stdin: stdin.to_vec(),
                timeout: Duration::from_millis(timeout_ms),
                whole_stdout: false,
            },
            &mut || {},
        )
    }

    #[test]
    fn passes_stdin_and_environment_and_captures_output() {
        let done = sh(
            "cat; echo \" $HOOKQ_TEST\"; echo oops >&2",
            30_000,
            b"hello",
        );
        assert!(done.ok(), "{:?}", done.error);
        assert_eq!(done.exit_code, Some(0));
        assert_eq!(done.stdout, b"hello yes\n");
        assert_eq!(done.stderr, b"oops\n");
    }

    #[test]
    fn a_non_zero_exit_fails_the_cycle() {
        let done = sh("exit 3", 30_000, b"");
        assert_eq!(done.exit_code, Some(3));
        assert_eq!(done.error.as_deref(), Some("exit status 3"));
    }

    #[test]
    fn a_missing_command_fails_with_its_name() {
        let command = vec!["/no/such/command".to_owned()];
        let done = run(
            Invocation {
                command: &command,
                env: vec![],
                stdin: vec![],
                timeout: Duration::from_secs(5),
                whole_stdout: false,
            },
            &mut || {},
        );
        assert_eq!(
            done.error.as_deref(),
            Some("command not found: /no/such/command")
        );
    }

    #[test]
    fn a_flood_of_output_keeps_the_tail_without_deadlock() {
        // 8 MiB on stdout and stderr while never reading a 1 MiB stdin.
        let done = sh(
            "head -c 8388608 /dev/zero | tr '\\0' a; head -c 8388608 /dev/zero >&2; printf END",
            60_000,
            &vec![b'x'; 1 << 20],
        );
        assert!(done.ok(), "{:?}", done.error);
        assert_eq!(done.stdout.len(), TAIL);
        assert!(done.stdout.ends_with(b"aaaEND"));
        assert_eq!(done.stderr.len(), TAIL);
    }

    fn alive(pid: &str) -> bool {
        // A zombie waiting for init to reap it is dead for our purpose.
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
    }

    #[test]
    fn a_timeout_kills_the_whole_group_even_if_sigterm_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let script = format!(
            "trap '' TERM; sleep 600 & echo $! > {}; wait",
            pidfile.display()
        );
        let done = sh(&script, 300, b"");
        assert_eq!(done.error.as_deref(), Some("timed out after 300ms"));
        assert_eq!(done.exit_code, None);
        let child = std::fs::read_to_string(&pidfile).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive(child.trim()) {
            assert!(Instant::now() < deadline, "the child outlived the timeout");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_child_left_behind_does_not_hold_the_cycle() {
        // The command exits at once but leaves a child holding stdout.
        let done = sh("sleep 30 & echo started", 60_000, b"");
        assert!(done.ok(), "{:?}", done.error);
        assert_eq!(done.stdout, b"started\n");
        // Not a speed check: waiting for the child would take its full 30 s.
        assert!(
            done.duration < Duration::from_secs(25),
            "{:?}",
            done.duration
        );
    }
}
