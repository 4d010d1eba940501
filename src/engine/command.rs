//! Running a scenario's command: no shell, the event on stdin and in the
//! environment, its own process group, a timeout that kills the whole
//! group, and stdout/stderr drained concurrently so a command that writes a
//! lot never deadlocks against a full pipe.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::action::Finished;
use super::answer::{unsendable, STDOUT_CAP};
use super::spawn::{self, Prepared};
use super::tail::{Tail, TAIL};
use crate::respond::Respond;

pub struct Invocation<'a> {
    pub command: &'a [String],
    pub env: Vec<(&'static str, String)>,
    pub stdin: Vec<u8>,
    pub timeout: Duration,
    /// The scenario answers its caller: stdout is kept whole (up to
    /// [`STDOUT_CAP`]) and must be an answer that can be sent.
    pub answer: Option<Respond>,
}

/// After the command exited and its group was killed, how long to wait for
/// its pipes to close (a process that left the group may hold them).
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(1);

fn failed_to_start(command: &str, error: &io::Error, duration: Duration) -> Finished {
    let error = match error.kind() {
        io::ErrorKind::NotFound => format!("command not found: {command}"),
        io::ErrorKind::PermissionDenied => format!("command not executable: {command}"),
        _ => format!("could not start {command}: {error}"),
    };
    Finished::not_run(error, duration)
}

/// A command ready to start.
pub(super) struct Ready {
    prepared: Prepared,
    /// The program, for messages.
    program: String,
    stdin: Vec<u8>,
    timeout: Duration,
    answer: Option<Respond>,
}

/// Everything a command's start needs that can be done beforehand.
pub(super) fn prepare(invocation: Invocation<'_>) -> Result<Ready, Finished> {
    let program = invocation.command.first().cloned().unwrap_or_default();
    match Prepared::new(invocation.command, &invocation.env) {
        Ok(prepared) => Ok(Ready {
            prepared,
            program,
            stdin: invocation.stdin,
            timeout: invocation.timeout,
            answer: invocation.answer,
        }),
        Err(e) => Err(failed_to_start(&program, &e, Duration::ZERO)),
    }
}

/// A command started, until it ends.
pub(super) struct Running {
    pid: libc::pid_t,
    pipes: Pipes,
    exit: ExitWatch,
    stdin: Vec<u8>,
    started: Instant,
    timeout: Duration,
    answer: Option<Respond>,
}

/// Start a command; `Err` with its end when it could not start.
pub(super) fn start(ready: Ready) -> Result<Running, Finished> {
    let started = Instant::now();
    let Ready {
        prepared,
        program,
        stdin,
        timeout,
        answer,
    } = ready;
    let (pid, ours) = prepared
        .spawn()
        .map_err(|e| failed_to_start(&program, &e, started.elapsed()))?;
    let keep = if answer.is_some() { STDOUT_CAP } else { TAIL };
    Ok(Running {
        pid,
        pipes: Pipes {
            stdin: Some((ours.stdin, 0)),
            stdout: Some(ours.stdout),
            stderr: Some(ours.stderr),
            out: Tail::new(keep),
            err: Tail::new(TAIL),
        },
        exit: ExitWatch::new(pid),
        stdin,
        started,
        timeout,
        answer,
    })
}

impl Running {
    /// Wait for the command to end or time out.
    ///
    /// One `poll(2)` loop does everything: stdin written, stdout and stderr
    /// drained as they fill, the exit seen through a pidfd, the timeout.
    pub(super) fn wait(self) -> Finished {
        self.wait_ticking(Duration::MAX, &mut || {})
    }

    /// [`Running::wait`], calling `tick` every `every` meanwhile (an
    /// execution that waits on its own thread renews its lease there).
    pub(super) fn wait_ticking(mut self, every: Duration, tick: &mut dyn FnMut()) -> Finished {
        let pid = self.pid;
        let deadline = self.started + self.timeout;
        let mut timed_out = false;
        let mut exited_at: Option<Instant> = None;
        let mut next_tick = Instant::now().checked_add(every);
        loop {
            let now = Instant::now();
            if next_tick.is_some_and(|at| now >= at) {
                tick();
                next_tick = now.checked_add(every);
            }
            if exited_at.is_none() && self.exit.exited() {
                // The command is done: whatever it left running in its group
                // would keep the pipes open forever. Its pid is not reaped
                // yet, so the group id cannot have been reused.
                kill_group(pid);
                exited_at = Some(now);
            }
            if let Some(at) = exited_at {
                if self.pipes.drained() || now.duration_since(at) > DRAIN_AFTER_EXIT {
                    break;
                }
            } else if now >= deadline && !timed_out {
                kill_group(pid);
                timed_out = true;
            }
            let wait = if exited_at.is_some() || timed_out || self.exit.fd().is_none() {
                Duration::from_millis(50)
            } else {
                deadline.saturating_duration_since(now)
            };
            let wait = next_tick.map_or(wait, |at| wait.min(at.saturating_duration_since(now)));
            // Once the exit is seen, its pidfd stays readable for good: left
            // in the poll set it would make every poll return at once, and
            // this loop spin while a process outside the group holds the
            // pipes (up to DRAIN_AFTER_EXIT).
            let exit = self.exit.fd().filter(|_| exited_at.is_none());
            self.pipes.poll(&self.stdin, exit, wait);
        }
        let status = spawn::wait(pid);
        let mut error = if timed_out {
            Some(format!(
                "timed out after {}",
                crate::units::Duration(self.timeout.as_millis() as i64)
            ))
        } else {
            // An outcome nobody can read is not a success: the event is
            // rolled back, never committed on a guess.
            match &status {
                Ok(status) => describe_failure(*status),
                Err(e) => Some(format!("could not read the command's exit status: {e}")),
            }
        };
        let status = status.ok();
        let (stdout, stdout_cut) = self.pipes.out.finish();
        let (stderr, _) = self.pipes.err.finish();
        if let (None, Some(mode)) = (&error, self.answer) {
            error = unsendable(mode, &stdout, stdout_cut);
        }
        Finished {
            exit_code: status.and_then(|s| s.code()),
            error,
            stdout,
            stderr,
            duration: self.started.elapsed(),
            http: None,
            interrupted: false,
        }
    }
}

#[cfg(test)]
thread_local! {
    /// How many times this thread's poll loop woke up: a loop that spins
    /// shows here, whatever the machine's speed.
    static WAKE_UPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
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
        // SAFETY: `fds` is a live Vec of `fds.len()` pollfd entries.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        #[cfg(test)]
        WAKE_UPS.with(|n| n.set(n.get() + 1));
        if ready <= 0 {
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
                // SAFETY: writes from `rest`, a live slice, at most its length.
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

/// Knows when the command exited, without reaping it: a pidfd where the
/// kernel has them (Linux 5.3+), else `waitid(WNOHANG | WNOWAIT)` polled.
struct ExitWatch {
    pid: libc::pid_t,
    pidfd: Option<OwnedFd>,
}

impl ExitWatch {
    fn new(pid: libc::pid_t) -> Self {
        ExitWatch {
            pid,
            pidfd: pidfd_open(pid),
        }
    }

    /// The fd to poll; `None` means poll with a short timeout and ask.
    fn fd(&self) -> Option<RawFd> {
        self.pidfd.as_ref().map(|fd| fd.as_raw_fd())
    }

    /// Whether the command ended. A command that cannot be asked about
    /// (reaped by someone else: ECHILD) counts as ended, so that its
    /// status, unreadable too, fails the cycle at once rather than at its
    /// timeout.
    fn exited(&self) -> bool {
        // SAFETY: siginfo_t is plain data; all zeroes is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes into `info`, a local; WNOWAIT leaves the
        // child to be reaped by `spawn::wait`.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                self.pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if rc != 0 {
            return io::Error::last_os_error().kind() != io::ErrorKind::Interrupted;
        }
        // With WNOHANG, a child still running leaves si_pid at 0.
        // SAFETY: waitid filled `info` for a child (or left it zeroed).
        unsafe { info.si_pid() == self.pid }
    }
}

/// A descriptor that becomes readable when the process ends (Linux 5.3+);
/// `None` on an older kernel.
#[cfg(target_os = "linux")]
fn pidfd_open(pid: libc::pid_t) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor
    // or -1; it touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a descriptor pidfd_open just returned is ours alone.
    (fd >= 0).then(|| unsafe { std::os::fd::FromRawFd::from_raw_fd(fd as RawFd) })
}

/// Elsewhere (macOS, the BSDs) there is no pidfd: the exit is asked for
/// with `waitid` every 50 ms.
#[cfg(not(target_os = "linux"))]
fn pidfd_open(_pid: libc::pid_t) -> Option<OwnedFd> {
    None
}

fn kill_group(pid: libc::pid_t) {
    // SIGKILL: a command that ignores SIGTERM must still end on timeout.
    // SAFETY: killpg only sends a signal. The pid is not reaped yet, so the
    // group cannot be someone else's.
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

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::thread;

    use super::super::action::{run, Job};
    use super::*;

    fn sh(script: &str, timeout_ms: u64, stdin: &[u8]) -> Finished {
        let command = vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()];
        run(Job::Run(Invocation {
            command: &command,
            env: vec![("HOOKQ_TEST", "yes".into())],
            stdin: stdin.to_vec(),
            timeout: Duration::from_millis(timeout_ms),
            answer: None,
        }))
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
        let done = run(Job::Run(Invocation {
            command: &command,
            env: vec![],
            stdin: vec![],
            timeout: Duration::from_secs(5),
            answer: None,
        }));
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
    fn an_exit_status_that_cannot_be_read_fails_the_cycle() {
        let command = vec!["true".to_owned()];
        let invocation = Invocation {
            command: &command,
            env: vec![],
            stdin: vec![],
            timeout: Duration::from_secs(30),
            answer: None,
        };
        let Ok(running) = prepare(invocation).and_then(start) else {
            panic!("true did not start");
        };
        // Someone else reaps the command first (a SIGCHLD set to SIG_IGN by
        // an embedding program does the same): its status is gone.
        let mut status = 0;
        // SAFETY: waitpid writes the status into a local.
        let reaped = unsafe { libc::waitpid(running.pid, &mut status, 0) };
        assert_eq!(reaped, running.pid);
        let done = running.wait();
        assert!(!done.ok(), "an unknown outcome counted as success");
        assert_eq!(done.exit_code, None);
        let error = done.error.unwrap();
        assert!(error.contains("exit status"), "{error}");
    }

    #[test]
    fn a_command_that_left_its_pipes_to_another_session_does_not_spin() {
        // The command exits at once; a child in a session of its own (out
        // of reach of the group kill) holds stdout for a few seconds, and
        // the command waits up to DRAIN_AFTER_EXIT for the pipe to close.
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        // The command waits for its child to be in its own session: the
        // group kill at its exit would otherwise catch it first.
        let script = format!(
            "setsid sh -c 'echo $$ > {0}; exec sleep 5' & \
             while [ ! -s {0} ]; do sleep 0.01; done; echo started",
            pidfile.display()
        );
        WAKE_UPS.with(|n| n.set(0));
        let done = sh(&script, 60_000, b"");
        let wake_ups = WAKE_UPS.with(|n| n.get());
        if let Ok(pid) = std::fs::read_to_string(&pidfile) {
            // SAFETY: kill only sends a signal.
            unsafe { libc::kill(pid.trim().parse().unwrap(), libc::SIGKILL) };
        }
        assert!(done.ok(), "{:?}", done.error);
        assert_eq!(done.stdout, b"started\n");
        // Polling every 50 ms for the second of DRAIN_AFTER_EXIT is some 20
        // wake-ups; a descriptor always ready in the poll set makes it
        // hundreds of thousands.
        assert!(wake_ups < 200, "{wake_ups} wake-ups: the poll loop spins");
    }

    #[test]
    fn a_child_left_behind_does_not_hold_the_cycle() {
        // The command exits at once but leaves a child holding stdout, one
        // that would outlive any test.
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let script = format!("sleep 600 & echo $! > {}; echo started", pidfile.display());
        // On a thread: a cycle that waited for the child would hang here
        // for its 600 s; give up long before, with a failure.
        let (sender, ended) = mpsc::channel();
        thread::spawn(move || sender.send(sh(&script, 1_200_000, b"")));
        let done = ended
            .recv_timeout(Duration::from_secs(120))
            .expect("the cycle waited for the child its command left behind");
        assert!(done.ok(), "{:?}", done.error);
        assert_eq!(done.stdout, b"started\n");
        // Its group was killed when the command exited.
        let child = std::fs::read_to_string(&pidfile).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive(child.trim()) {
            assert!(Instant::now() < deadline, "the child outlived its command");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
