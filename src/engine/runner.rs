//! Running a scenario's command for one cycle: no shell, the event on stdin
//! and in the environment, its own process group, a timeout that kills the
//! whole group, and stdout/stderr drained concurrently so a command that
//! writes a lot never deadlocks against a full pipe.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
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

/// How often `tick` is called while a command runs.
const TICK: Duration = Duration::from_secs(10);
/// After the command exited and its group was killed, how long to wait for
/// its pipes to close (a process that left the group may hold them).
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(1);

/// Run the command to completion or timeout. `tick` is called now and then
/// while waiting (the execution renews its lease there).
///
/// One thread does everything with `poll(2)`: stdin written, stdout and
/// stderr drained as they fill, the exit seen through a pidfd, the timeout.
/// No thread per cycle: scenarios that run thousands of short commands pay
/// for the command, not for the bookkeeping.
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
    let keep = if invocation.whole_stdout {
        STDOUT_CAP
    } else {
        TAIL
    };
    let mut pipes = Pipes {
        stdin: child.stdin.take().map(|p| (OwnedFd::from(p), 0)),
        stdout: child.stdout.take().map(OwnedFd::from),
        stderr: child.stderr.take().map(OwnedFd::from),
        out: Tail::new(keep),
        err: Tail::new(TAIL),
    };
    pipes.nonblocking();
    let exit = ExitWatch::new(pid);
    let deadline = started + invocation.timeout;
    let mut ticked = Instant::now();
    let mut timed_out = false;
    let mut exited_at: Option<Instant> = None;
    loop {
        let now = Instant::now();
        if exited_at.is_none() && exit.exited() {
            // The command is done: whatever it left running in its group
            // would keep the pipes open forever. Its pid is not reaped yet,
            // so the group id cannot have been reused.
            kill_group(pid);
            exited_at = Some(now);
        }
        if let Some(at) = exited_at {
            if pipes.drained() || now.duration_since(at) > DRAIN_AFTER_EXIT {
                break;
            }
        } else if now >= deadline && !timed_out {
            kill_group(pid);
            timed_out = true;
        }
        if now.duration_since(ticked) >= TICK {
            tick();
            ticked = now;
        }
        let wait = if exited_at.is_some() || timed_out || exit.fd().is_none() {
            Duration::from_millis(50)
        } else {
            deadline.saturating_duration_since(now).min(TICK)
        };
        pipes.poll(&invocation.stdin, exit.fd(), wait);
    }
    let status = child.wait().ok();
    let error = if timed_out {
        Some(format!(
            "timed out after {}",
            crate::units::Duration(invocation.timeout.as_millis() as i64)
        ))
    } else {
        status.and_then(describe_failure)
    };
    let (stdout, stdout_cut) = pipes.out.finish();
    let (stderr, _) = pipes.err.finish();
    Finished {
        exit_code: status.and_then(|s| s.code()),
        error,
        stdout,
        stdout_cut,
        stderr,
        duration: started.elapsed(),
    }
}

/// The command's three pipes, seen from our side.
struct Pipes {
    /// With how much of the input is written.
    stdin: Option<(OwnedFd, usize)>,
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
    out: Tail,
    err: Tail,
}

impl Pipes {
    fn nonblocking(&self) {
        let fds = [
            self.stdin.as_ref().map(|(fd, _)| fd),
            self.stdout.as_ref(),
            self.stderr.as_ref(),
        ];
        for fd in fds.into_iter().flatten() {
            unsafe {
                let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
                libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
        }
    }

    fn drained(&self) -> bool {
        self.stdout.is_none() && self.stderr.is_none()
    }

    /// Wait up to `wait` for any pipe (or the exit) and move what can be
    /// moved without blocking.
    fn poll(&mut self, input: &[u8], exit: Option<RawFd>, wait: Duration) {
        if self
            .stdin
            .as_ref()
            .is_some_and(|(_, written)| *written >= input.len())
        {
            self.stdin = None; // all written: close, the command sees EOF
        }
        let mut fds = Vec::with_capacity(4);
        let watch = |fd: RawFd, events: libc::c_short| libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        let (mut i_out, mut i_err, mut i_in) = (None, None, None);
        if let Some(fd) = &self.stdout {
            i_out = Some(fds.len());
            fds.push(watch(fd.as_raw_fd(), libc::POLLIN));
        }
        if let Some(fd) = &self.stderr {
            i_err = Some(fds.len());
            fds.push(watch(fd.as_raw_fd(), libc::POLLIN));
        }
        if let Some((fd, _)) = &self.stdin {
            i_in = Some(fds.len());
            fds.push(watch(fd.as_raw_fd(), libc::POLLOUT));
        }
        if let Some(fd) = exit {
            fds.push(watch(fd, libc::POLLIN));
        }
        let ms = wait.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
        if unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) } <= 0 {
            return; // timeout or EINTR: the caller looks at the clock
        }
        let ready = |i: Option<usize>| i.is_some_and(|i| fds[i].revents != 0);
        if ready(i_out) && !drain(self.stdout.as_ref(), &mut self.out) {
            self.stdout = None;
        }
        if ready(i_err) && !drain(self.stderr.as_ref(), &mut self.err) {
            self.stderr = None;
        }
        if ready(i_in) {
            if let Some((fd, written)) = &mut self.stdin {
                let rest = &input[*written..];
                let n = unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
                if n > 0 {
                    *written += n as usize;
                } else if io::Error::last_os_error().kind() != io::ErrorKind::WouldBlock {
                    // EPIPE: the command does not read its stdin. Fine.
                    self.stdin = None;
                }
            }
        }
    }
}

/// Read what is there; false at end of file (or on an error).
fn drain(fd: Option<&OwnedFd>, into: &mut Tail) -> bool {
    let Some(fd) = fd else { return false };
    loop {
        match into.read_from(fd.as_raw_fd()) {
            0 => return false,
            n if n > 0 => continue,
            _ => {
                return match io::Error::last_os_error().kind() {
                    io::ErrorKind::WouldBlock => true,
                    io::ErrorKind::Interrupted => continue,
                    _ => false,
                }
            }
        }
    }
}

/// The last `keep` bytes of a stream, and whether anything was dropped.
struct Tail {
    bytes: Vec<u8>,
    keep: usize,
    cut: bool,
}

impl Tail {
    fn new(keep: usize) -> Self {
        Tail {
            bytes: Vec::new(),
            keep,
            cut: false,
        }
    }

    /// One `read(2)` straight into the kept bytes (no zeroed buffer, no
    /// copy): what `read` returns.
    fn read_from(&mut self, fd: RawFd) -> isize {
        const CHUNK: usize = 64 << 10;
        self.bytes.reserve(CHUNK);
        let spare = self.bytes.spare_capacity_mut();
        let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), spare.len().min(CHUNK)) };
        if n > 0 {
            // SAFETY: read(2) initialized the first n bytes of the spare capacity.
            unsafe { self.bytes.set_len(self.bytes.len() + n as usize) };
            // Trim in large steps: amortized O(1) per byte.
            if self.bytes.len() > 2 * self.keep {
                self.bytes.drain(..self.bytes.len() - self.keep);
                self.cut = true;
            }
        }
        n
    }

    /// The kept bytes: at most `keep`.
    fn finish(mut self) -> (Vec<u8>, bool) {
        if self.bytes.len() > self.keep {
            self.bytes.drain(..self.bytes.len() - self.keep);
            self.cut = true;
        }
        (self.bytes, self.cut)
    }
}

/// Knows when the command exited, without reaping it: a pidfd where the
/// kernel has them (Linux 5.3+), else `waitid(WNOHANG | WNOWAIT)` polled.
struct ExitWatch {
    pid: libc::pid_t,
    pidfd: Option<OwnedFd>,
}

impl ExitWatch {
    fn new(pid: libc::pid_t) -> Self {
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let pidfd = (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) });
        ExitWatch { pid, pidfd }
    }

    /// The fd to poll; `None` means poll with a short timeout and ask.
    fn fd(&self) -> Option<RawFd> {
        self.pidfd.as_ref().map(|fd| fd.as_raw_fd())
    }

    fn exited(&self) -> bool {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                self.pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        // With WNOHANG, a child still running leaves si_pid at 0.
        rc == 0 && unsafe { info.si_pid() } == self.pid
    }
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
        let done = sh(&script, 2_000, b"");
        assert_eq!(done.error.as_deref(), Some("timed out after 2s"));
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
