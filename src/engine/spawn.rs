//! Starting a command with `posix_spawn(3)` from what was prepared ahead:
//! its argument and environment arrays and its three pipes are built by the
//! execution's thread while the previous command still runs, so that
//! starting the next one is a single call (std's `Command` builds all of
//! them at spawn time, from a copy of the whole environment).

use std::ffi::{CString, OsStr};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::ptr;

/// A command ready to start.
pub struct Prepared {
    program: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
    /// stdin, stdout, stderr as the command gets them.
    theirs: [OwnedFd; 3],
    ours: Pipes,
}

/// Our ends of the command's pipes, non-blocking.
pub struct Pipes {
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

impl Prepared {
    /// `command` is the program and its arguments (never empty); the
    /// command gets this process's environment with `env` added or replaced.
    pub fn new(command: &[String], env: &[(&str, String)]) -> io::Result<Prepared> {
        let argv = command
            .iter()
            .map(|arg| c_string(arg.as_bytes()))
            .collect::<io::Result<Vec<_>>>()?;
        let program = argv.first().cloned().ok_or(io::ErrorKind::NotFound)?;
        let replaced = |key: &OsStr| env.iter().any(|(k, _)| key.as_bytes() == k.as_bytes());
        let mut envp = Vec::new();
        for (key, value) in std::env::vars_os().filter(|(key, _)| !replaced(key)) {
            envp.push(c_string(
                &[key.as_bytes(), b"=", value.as_bytes()].concat(),
            )?);
        }
        for (key, value) in env {
            envp.push(c_string(format!("{key}={value}").as_bytes())?);
        }
        let (stdin_theirs, stdin_ours) = pipe()?;
        let (stdout_ours, stdout_theirs) = pipe()?;
        let (stderr_ours, stderr_theirs) = pipe()?;
        let ours = Pipes {
            stdin: stdin_ours,
            stdout: stdout_ours,
            stderr: stderr_ours,
        };
        for fd in [&ours.stdin, &ours.stdout, &ours.stderr] {
            // SAFETY: F_SETFL on a descriptor we own; a pipe has no other
            // status flag to keep.
            if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) } < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(Prepared {
            program,
            argv,
            envp,
            theirs: [stdin_theirs, stdout_theirs, stderr_theirs],
            ours,
        })
    }

    /// Start it in a process group of its own (a timeout kills the command
    /// and its children), with the default action for SIGPIPE (this process
    /// ignores it) and no signal blocked. The program is looked up in PATH
    /// unless it contains a `/`. Returns its pid and our ends of its pipes.
    pub fn spawn(self) -> io::Result<(libc::pid_t, Pipes)> {
        let argv = null_terminated(&self.argv);
        let envp = null_terminated(&self.envp);
        let mut actions = FileActions::new()?;
        for (fd, target) in self.theirs.iter().zip(0..) {
            // SAFETY: `actions` is initialized; dup2 onto 0, 1, 2 clears
            // close-on-exec, the pipes' own descriptors close at exec.
            check(unsafe {
                libc::posix_spawn_file_actions_adddup2(actions.as_mut(), fd.as_raw_fd(), target)
            })?;
        }
        let mut attributes = Attributes::new()?;
        // SAFETY: every pointer passed below points into live locals.
        unsafe {
            let mut none = MaybeUninit::<libc::sigset_t>::uninit();
            libc::sigemptyset(none.as_mut_ptr());
            let mut pipe_signal = MaybeUninit::<libc::sigset_t>::uninit();
            libc::sigemptyset(pipe_signal.as_mut_ptr());
            libc::sigaddset(pipe_signal.as_mut_ptr(), libc::SIGPIPE);
            let attr = attributes.as_mut();
            check(libc::posix_spawnattr_setpgroup(attr, 0))?;
            check(libc::posix_spawnattr_setsigmask(attr, none.as_ptr()))?;
            check(libc::posix_spawnattr_setsigdefault(
                attr,
                pipe_signal.as_ptr(),
            ))?;
            let flags = libc::POSIX_SPAWN_SETPGROUP
                | libc::POSIX_SPAWN_SETSIGMASK
                | libc::POSIX_SPAWN_SETSIGDEF;
            check(libc::posix_spawnattr_setflags(attr, flags as libc::c_short))?;
            let mut pid = 0;
            check(libc::posix_spawnp(
                &mut pid,
                self.program.as_ptr(),
                actions.as_mut(),
                attr,
                argv.as_ptr(),
                envp.as_ptr(),
            ))?;
            Ok((pid, self.ours))
        }
        // Their ends close here, in this process: the command holds them.
    }
}

/// Wait for a started command to end and reap it.
pub fn wait(pid: libc::pid_t) -> io::Result<ExitStatus> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes the status into a local.
        if unsafe { libc::waitpid(pid, &mut status, 0) } >= 0 {
            return Ok(ExitStatus::from_raw(status));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

fn c_string(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "an argument or environment variable contains a NUL byte",
        )
    })
}

/// The array of pointers that exec takes (posix_spawn does not write
/// through them, whatever its C signature says).
fn null_terminated(strings: &[CString]) -> Vec<*mut libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr().cast_mut())
        .chain([ptr::null_mut()])
        .collect()
}

/// (read end, write end), both close-on-exec.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [RawFd; 2] = [-1; 2];
    // SAFETY: pipe2 and pipe write two descriptors into `fds`, nothing more.
    #[cfg(not(target_os = "macos"))]
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    // SAFETY: as above.
    #[cfg(target_os = "macos")]
    let rc = unsafe { libc::pipe(fds.as_mut_ptr()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call succeeded: both descriptors are new and ours alone.
    let ends = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // macOS has no pipe2: close-on-exec is set just after. A command that
    // another thread starts in between inherits nothing it can use: every
    // command here starts with posix_spawn, whose file actions give it
    // only its own three pipes as 0, 1 and 2 (it may hold these two
    // descriptors open besides, which at worst delays an EOF).
    #[cfg(target_os = "macos")]
    for fd in [&ends.0, &ends.1] {
        // SAFETY: F_SETFD on a descriptor we own.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(ends)
}

/// posix_spawn's functions return an error number instead of setting errno.
fn check(code: libc::c_int) -> io::Result<()> {
    match code {
        0 => Ok(()),
        code => Err(io::Error::from_raw_os_error(code)),
    }
}

struct FileActions(MaybeUninit<libc::posix_spawn_file_actions_t>);

impl FileActions {
    fn new() -> io::Result<FileActions> {
        let mut actions = FileActions(MaybeUninit::uninit());
        // SAFETY: initializes the value that Drop destroys.
        check(unsafe { libc::posix_spawn_file_actions_init(actions.0.as_mut_ptr()) })?;
        Ok(actions)
    }

    fn as_mut(&mut self) -> *mut libc::posix_spawn_file_actions_t {
        self.0.as_mut_ptr()
    }
}

impl Drop for FileActions {
    fn drop(&mut self) {
        // SAFETY: initialized in `new`.
        unsafe { libc::posix_spawn_file_actions_destroy(self.0.as_mut_ptr()) };
    }
}

struct Attributes(MaybeUninit<libc::posix_spawnattr_t>);

impl Attributes {
    fn new() -> io::Result<Attributes> {
        let mut attributes = Attributes(MaybeUninit::uninit());
        // SAFETY: initializes the value that Drop destroys.
        check(unsafe { libc::posix_spawnattr_init(attributes.0.as_mut_ptr()) })?;
        Ok(attributes)
    }

    fn as_mut(&mut self) -> *mut libc::posix_spawnattr_t {
        self.0.as_mut_ptr()
    }
}

impl Drop for Attributes {
    fn drop(&mut self) {
        // SAFETY: initialized in `new`.
        unsafe { libc::posix_spawnattr_destroy(self.0.as_mut_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Run `command` with `env`; its stdout.
    fn output(command: &[&str], env: &[(&str, String)]) -> String {
        let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        let (pid, pipes) = Prepared::new(&command, env).unwrap().spawn().unwrap();
        drop(pipes.stdin);
        // Blocking again, to read it to its end simply.
        assert_eq!(
            // SAFETY: F_SETFL on a descriptor the test owns.
            unsafe { libc::fcntl(pipes.stdout.as_raw_fd(), libc::F_SETFL, 0) },
            0
        );
        let mut text = String::new();
        std::fs::File::from(pipes.stdout)
            .read_to_string(&mut text)
            .unwrap();
        assert!(wait(pid).unwrap().success());
        text
    }

    #[test]
    fn the_command_gets_sigpipe_back_and_no_blocked_signal() {
        // This process ignores SIGPIPE (Rust does): a command must not.
        let status = output(&["cat", "/proc/self/status"], &[]);
        let mask = |name: &str| {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap();
            u64::from_str_radix(line[name.len()..].trim(), 16).unwrap()
        };
        assert_eq!(mask("SigIgn:") & (1 << (libc::SIGPIPE - 1)), 0);
        assert_eq!(mask("SigBlk:"), 0);
    }

    #[test]
    fn the_environment_is_ours_with_the_variables_added_or_replaced() {
        let path = format!("PATH={}", std::env::var("PATH").unwrap());
        let env = [
            ("HOOKQ_SPAWN_TEST_NEW", "new".to_owned()),
            ("HOME", "/replaced".to_owned()),
        ];
        let printed = output(&["env"], &env);
        let lines: Vec<&str> = printed.lines().collect();
        assert!(lines.contains(&path.as_str()));
        assert!(lines.contains(&"HOOKQ_SPAWN_TEST_NEW=new"));
        assert!(lines.contains(&"HOME=/replaced"));
        assert_eq!(lines.iter().filter(|l| l.starts_with("HOME=")).count(), 1);
    }

    #[test]
    fn a_nul_byte_is_refused_before_anything_starts() {
        let error = Prepared::new(&["echo".into(), "a\0b".into()], &[])
            .err()
            .unwrap();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_missing_program_is_not_found() {
        let prepared = Prepared::new(&["/no/such/program".into()], &[]).unwrap();
        assert_eq!(
            prepared.spawn().err().unwrap().kind(),
            io::ErrorKind::NotFound
        );
    }
}
