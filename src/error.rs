//! Errors a caller must tell apart, and how every error reaches the user.
//!
//! Most failures are plain `anyhow` errors with context (exit 1). Where the
//! exit code must say *why* (usage, refused by state, busy), the error is a
//! [`Failure`], which survives `.context()` and is found again by [`report`].

use std::fmt;
use std::io;
use std::process::ExitCode;

/// The exit codes of SPEC §9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// The operation failed.
    Failed = 1,
    /// Usage or invalid input.
    Usage = 2,
    /// Refused by state: inactive, disabled, not found, in use.
    Refused = 3,
    /// Busy: a lease or lock is held by someone else.
    Busy = 75,
}

/// An error whose exit code matters, with an optional hint for the user.
#[derive(Debug)]
pub struct Failure {
    pub code: Code,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Code::Failed, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message)
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Code::Refused, message)
    }

    pub fn busy(message: impl Into<String>) -> Self {
        Self::new(Code::Busy, message)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code an error maps to.
pub fn code_of(err: &anyhow::Error) -> Code {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .map_or(Code::Failed, |failure| failure.code)
}

/// Print `hookq: <what went wrong>` (and a hint) on stderr and return the exit
/// code. A closed stdout (`hookq hooks list | head -1`) is not an error.
pub fn report(err: &anyhow::Error) -> ExitCode {
    let broken_pipe = err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    crate::output::note(format_args!("hookq: {err:#}"));
    if let Some(hint) = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .and_then(|failure| failure.hint.as_deref())
    {
        crate::output::note(format_args!("hint: {hint}"));
    }
    ExitCode::from(code_of(err) as u8)
}
