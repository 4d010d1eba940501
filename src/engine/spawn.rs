//! Starting a command with `posix_spawn(3)` from what was prepared ahead:
//! its argument and environment arrays, its three pipes and where PATH
//! puts its program are worked out by the execution's thread while the
//! previous command still runs, so that starting the next one is a single
//! call (std's `Command` builds all of them at spawn time, from a copy of
//! the whole environment, and `posix_spawnp` searches PATH in the child:
//! one failed `execve` per directory before the program's own, ~5 µs each
//! on the path of every answered webhook).

use std::cell::RefCell;
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::ptr;

/// A command ready to start.
pub struct Prepared {
    program: CString,
    /// The PATH that `program` is looked up in; `None` when it names a
    /// file (it holds a `/`), is empty, or there is no PATH at all:
    /// `posix_spawnp`'s own rules then apply.
    path: Option<Vec<u8>>,
    /// What the lookup found when the command was prepared.
    found: Found,
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
    /// command gets this process's environment with `env` added or replaced,
    /// and a program named without a `/` is looked up in that
    /// environment's PATH.
    pub fn new(command: &[String], env: &[(&str, String)]) -> io::Result<Prepared> {
        let spare = SPARE.with(|spare| spare.borrow_mut().take());
        match spare.filter(|spare| spare.command == command) {
            Some(spare) => spare.finish(command, env),
            None => Spare::new(command)?.finish(command, env),
        }
    }

    /// Start it in a process group of its own (a timeout kills the command
    /// and its children), with the default action for SIGPIPE (this process
    /// ignores it) and no signal blocked. Returns its pid and our ends of
    /// its pipes.
    ///
    /// The program found in PATH when it was prepared is started directly.
    /// If that fails (the file was removed or changed since) or nothing was
    /// found, it is looked up again now: a command that cannot start fails
    /// with the error `execvp` gives (not found, or not executable when a
    /// file of that name was passed over), as when the child searched.
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
            let mut start = |file: &CString, search: bool| {
                let spawn = if search {
                    libc::posix_spawnp
                } else {
                    libc::posix_spawn
                };
                check(spawn(
                    &mut pid,
                    file.as_ptr(),
                    actions.as_mut(),
                    attr,
                    argv.as_ptr(),
                    envp.as_ptr(),
                ))
            };
            match (&self.path, &self.found) {
                (None, _) => start(&self.program, true)?,
                (Some(_), Found::Program(file)) if start(file, false).is_ok() => {}
                // Removed or changed since it was prepared, or not there
                // then: look again now.
                (Some(path), _) => match look_up(self.program.as_bytes(), path) {
                    Found::Program(file) => start(&file, false)?,
                    Found::Denied => return Err(io::Error::from_raw_os_error(libc::EACCES)),
                    Found::Missing => return Err(io::Error::from_raw_os_error(libc::ENOENT)),
                },
            }
            Ok((pid, self.ours))
        }
        // Their ends close here, in this process: the command holds them.
    }
}

thread_local! {
    /// The [`Spare`] made on this thread for its next command.
    static SPARE: RefCell<Option<Spare>> = const { RefCell::new(None) };
}

/// Make ahead, on this thread, what starting `command` needs that does not
/// depend on its event, for the next [`Prepared::new`] of the same command
/// on this thread: for a worker about to wait for an event (~50 µs less
/// before an answered webhook's command starts). Best effort: what fails
/// here is done again, and fails with its error, when the command is
/// prepared.
pub fn prepare_spare(command: &[String]) {
    let spare = Spare::new(command).ok();
    SPARE.with(|slot| *slot.borrow_mut() = spare);
}

/// What starting a command needs besides its event: this process's
/// environment, where its PATH puts the program, and three pipes.
struct Spare {
    command: Vec<String>,
    /// This process's environment: each variable's name and `NAME=value`.
    environment: Vec<(OsString, CString)>,
    /// This process's PATH, if the program is looked up in it.
    path: Option<Vec<u8>>,
    found: Found,
    theirs: [OwnedFd; 3],
    ours: Pipes,
}

impl Spare {
    fn new(command: &[String]) -> io::Result<Spare> {
        let mut environment = Vec::new();
        for (key, value) in std::env::vars_os() {
            let entry = c_string(&[key.as_bytes(), b"=", value.as_bytes()].concat())?;
            environment.push((key, entry));
        }
        let program = command.first().map_or(&[][..], |p| p.as_bytes());
        let path = std::env::var_os("PATH")
            .map(|path| path.into_vec())
            .filter(|_| searched(program));
        let found = match &path {
            Some(path) => look_up(program, path),
            None => Found::Missing,
        };
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
        Ok(Spare {
            command: command.to_vec(),
            environment,
            path,
            found,
            theirs: [stdin_theirs, stdout_theirs, stderr_theirs],
            ours,
        })
    }

    /// The command ready to start, with `env` added to the environment or
    /// replacing what is there.
    fn finish(self, command: &[String], env: &[(&str, String)]) -> io::Result<Prepared> {
        let argv = command
            .iter()
            .map(|arg| c_string(arg.as_bytes()))
            .collect::<io::Result<Vec<_>>>()?;
        let program = argv.first().cloned().ok_or(io::ErrorKind::NotFound)?;
        let replaced = |key: &OsStr| env.iter().any(|(k, _)| key.as_bytes() == k.as_bytes());
        let mut envp: Vec<CString> = (self.environment.into_iter())
            .filter(|(key, _)| !replaced(key))
            .map(|(_, entry)| entry)
            .collect();
        for (key, value) in env {
            envp.push(c_string(format!("{key}={value}").as_bytes())?);
        }
        let (path, found) = match env.iter().rev().find(|(key, _)| *key == "PATH") {
            Some((_, path)) if searched(program.as_bytes()) => {
                let found = look_up(program.as_bytes(), path.as_bytes());
                (Some(path.as_bytes().to_vec()), found)
            }
            Some(_) => (None, Found::Missing),
            None => (self.path, self.found),
        };
        Ok(Prepared {
            program,
            path,
            found,
            argv,
            envp,
            theirs: self.theirs,
            ours: self.ours,
        })
    }
}

/// Whether a program is looked up in PATH: a name without a `/`.
fn searched(program: &[u8]) -> bool {
    !program.is_empty() && !program.contains(&b'/')
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

/// What a PATH lookup found.
enum Found {
    Program(CString),
    /// Only files of that name that cannot be executed (execvp: EACCES).
    Denied,
    /// Nothing of that name (execvp: ENOENT).
    Missing,
}

/// The lookup `execvp` does for `program` in `path`: the first directory
/// (an empty entry is the current directory) holding a regular file of that
/// name that may be executed. A name that exists but cannot be executed (a
/// directory, no execute permission, a `noexec` mount) is passed over, as
/// execvp passes over EACCES, and decides the error if nothing is found.
fn look_up(program: &[u8], path: &[u8]) -> Found {
    let mut denied = false;
    for dir in path.split(|&b| b == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let Ok(candidate) = CString::new([dir, b"/", program].concat()) else {
            continue;
        };
        let Ok(meta) = std::fs::metadata(OsStr::from_bytes(candidate.as_bytes())) else {
            continue;
        };
        // SAFETY: access only reads the NUL-terminated path.
        if meta.is_file() && unsafe { libc::access(candidate.as_ptr(), libc::X_OK) } == 0 {
            return Found::Program(candidate);
        }
        denied = true;
    }
    if denied {
        Found::Denied
    } else {
        Found::Missing
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

    /// Two directories, each with a program `prog`: in the first one it
    /// fails (`false`), in the second it succeeds (`true`). Links, not
    /// scripts written here: a script still open for writing in a forked
    /// child of another test could not be run (ETXTBSY).
    fn two_progs() -> (tempfile::TempDir, String, String) {
        let root = tempfile::tempdir().unwrap();
        let (fails, succeeds) = (root.path().join("fails"), root.path().join("succeeds"));
        for (dir, target) in [(&fails, "false"), (&succeeds, "true")] {
            std::fs::create_dir(dir).unwrap();
            let Found::Program(target) = look_up(target.as_bytes(), b"/usr/bin:/bin") else {
                panic!("no {target} in /usr/bin or /bin");
            };
            let target = std::path::PathBuf::from(OsStr::from_bytes(target.as_bytes()));
            std::os::unix::fs::symlink(target, dir.join("prog")).unwrap();
        }
        let show = |dir: &std::path::Path| dir.to_str().unwrap().to_owned();
        (root, show(&fails), show(&succeeds))
    }

    /// Start `prepared` and whether its command succeeded.
    fn succeeds(prepared: Prepared) -> bool {
        let (pid, _pipes) = prepared.spawn().unwrap();
        wait(pid).unwrap().success()
    }

    fn prog_with_path(path: String) -> Prepared {
        Prepared::new(&["prog".into()], &[("PATH", path)]).unwrap()
    }

    #[test]
    fn the_program_is_looked_up_in_the_path_of_its_own_environment() {
        let (_root, fails, succeeds_dir) = two_progs();
        assert!(!succeeds(prog_with_path(format!("{fails}:{succeeds_dir}"))));
        // The next command of the same execution, PATH changed: no lookup
        // is kept from one command to the next.
        assert!(succeeds(prog_with_path(format!("{succeeds_dir}:{fails}"))));
        // A file that is not executable is passed over, as execvp does.
        std::fs::remove_file(format!("{succeeds_dir}/prog")).unwrap();
        std::fs::write(format!("{succeeds_dir}/prog"), "").unwrap();
        assert!(!succeeds(prog_with_path(format!("{succeeds_dir}:{fails}"))));
    }

    #[test]
    fn a_program_removed_after_its_lookup_is_looked_up_again() {
        let (_root, fails, succeeds_dir) = two_progs();
        let prepared = prog_with_path(format!("{fails}:{succeeds_dir}"));
        std::fs::remove_file(format!("{fails}/prog")).unwrap();
        assert!(succeeds(prepared));
    }

    #[test]
    fn a_program_on_no_path_directory_fails_as_before() {
        let (_root, fails, _) = two_progs();
        let error = |prepared: Prepared| prepared.spawn().err().unwrap().kind();
        let missing = Prepared::new(&["hookq-no-such-program".into()], &[]).unwrap();
        assert_eq!(error(missing), io::ErrorKind::NotFound);
        // Found but not executable, and nothing else on the PATH.
        std::fs::remove_file(format!("{fails}/prog")).unwrap();
        std::fs::write(format!("{fails}/prog"), "").unwrap();
        assert_eq!(
            error(prog_with_path(fails)),
            io::ErrorKind::PermissionDenied
        );
    }

    /// A command prepared from what was made ahead for it gets what it
    /// would have got without: the environment with its variables added or
    /// replaced (PATH too), and its program. One made for another command
    /// is not used.
    #[test]
    fn a_spare_made_ahead_changes_nothing_the_command_gets() {
        let env = [("HOOKQ_SPAWN_TEST_NEW", "new".to_owned())];
        let all = |printed: String| printed.lines().map(str::to_owned).collect::<Vec<_>>();
        let plain = all(output(&["env"], &env));
        prepare_spare(&["env".to_owned()]);
        assert_eq!(all(output(&["env"], &env)), plain);
        prepare_spare(&["printenv".to_owned()]);
        assert_eq!(all(output(&["env"], &env)), plain);
        let (_root, fails, succeeds_dir) = two_progs();
        prepare_spare(&["prog".to_owned()]);
        assert!(succeeds(prog_with_path(format!("{succeeds_dir}:{fails}"))));
        prepare_spare(&["prog".to_owned()]);
        assert!(!succeeds(prog_with_path(format!("{fails}:{succeeds_dir}"))));
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
