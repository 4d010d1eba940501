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
pub(crate) enum Code {
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
pub(crate) struct Failure {
    pub(crate) code: Code,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl Failure {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self::new(Code::Failed, message)
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message)
    }

    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self::new(Code::Refused, message)
    }

    pub(crate) fn busy(message: impl Into<String>) -> Self {
        Self::new(Code::Busy, message)
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
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
pub(crate) fn code_of(err: &anyhow::Error) -> Code {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .map_or(Code::Failed, |failure| failure.code)
}

/// A command line clap could not parse: like every other error, one line
/// `hookq: <what went wrong>` and a hint (clap's own form is several lines,
/// with a usage that lists options taken from the environment), exit 2.
/// `--help` and `--version` print as clap does.
pub fn usage(err: clap::Error, command: &clap::Command, args: &[String]) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        err.exit();
    }
    let (path, named) = command_path(command, args);
    let missing = matches!(
        err.kind(),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    let (message, tip) = if missing {
        let subcommands: Vec<&str> = named
            .get_subcommands()
            .map(clap::Command::get_name)
            .filter(|name| *name != "help")
            .collect();
        let message = format!("'{path}' needs a subcommand: {}", subcommands.join(", "));
        (message, None)
    } else {
        one_line(&err.render().to_string())
    };
    let hint = tip.unwrap_or_else(|| format!("see '{path} --help'"));
    crate::output::note(format_args!("hookq: {message}"));
    crate::output::note(format_args!("hint: {hint}"));
    ExitCode::from(Code::Usage as u8)
}

/// The subcommands named on the command line (`hookq hooks create`), and
/// the last one's definition.
fn command_path<'a>(command: &'a clap::Command, args: &[String]) -> (String, &'a clap::Command) {
    let mut path = vec![command.get_name().to_owned()];
    let mut current = command;
    for arg in args {
        if let Some(sub) = current.find_subcommand(arg) {
            path.push(sub.get_name().to_owned());
            current = sub;
        }
    }
    (path.join(" "), current)
}

/// clap's rendered error as one line, and its tip if it has one.
fn one_line(rendered: &str) -> (String, Option<String>) {
    let mut message = String::new();
    let mut tip = None;
    for line in rendered.lines() {
        let line = line.trim();
        if line.starts_with("Usage: ") {
            continue;
        } else if let Some(text) = line.strip_prefix("tip: ") {
            tip = Some(text.to_owned());
        } else if line.is_empty() || line.starts_with("For more information") {
            continue;
        } else if message.is_empty() {
            message = line.strip_prefix("error: ").unwrap_or(line).to_owned();
        } else {
            // The list after "the following required arguments were not provided:".
            let sep = if message.ends_with(':') { " " } else { ", " };
            message.push_str(sep);
            message.push_str(line);
        }
    }
    (message, tip)
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
    crate::output::note(format_args!("hookq: {}", one_message(err)));
    if let Some(hint) = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
        .and_then(|failure| failure.hint.as_deref())
    {
        crate::output::note(format_args!("hint: {hint}"));
    }
    ExitCode::from(code_of(err) as u8)
}

/// The error and its causes, `: `-separated, each said once: many errors
/// (SQLite's among them) repeat their cause's text in their own, which
/// `{err:#}` would print twice.
fn one_message(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || message.ends_with(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

#[cfg(test)]
mod tests {
    /// An error that says its cause in its own text, as a database
    /// driver's often do (rusqlite's conversion failures, for one).
    #[derive(Debug)]
    struct Repeats(std::num::TryFromIntError);

    impl std::fmt::Display for Repeats {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            self.0.fmt(f)
        }
    }

    impl std::error::Error for Repeats {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_cause_repeated_by_its_error_is_said_once() {
        let driver = Repeats(u8::try_from(300_i32).unwrap_err());
        let err = anyhow::Error::from(driver).context("could not create hook a");
        assert_eq!(
            super::one_message(&err),
            "could not create hook a: out of range integral type conversion attempted"
        );
    }

    #[test]
    fn a_clap_error_becomes_one_line_and_a_hint() {
        let rendered = "error: the following required arguments were not provided:\n  \
                        --hook <HOOK>\n  <COMMAND>...\n\nUsage: hookq scenario create \
                        --hook <HOOK> --db <PATH> <NAME> -- <COMMAND>...\n\n\
                        For more information, try '--help'.\n";
        assert_eq!(
            super::one_line(rendered),
            (
                "the following required arguments were not provided: --hook <HOOK>, <COMMAND>..."
                    .to_owned(),
                None
            )
        );
        let cli = <crate::cli::Cli as clap::CommandFactory>::command();
        let args = ["scenario", "create", "x", "--hook"].map(String::from);
        assert_eq!(super::command_path(&cli, &args).0, "hookq scenario create");
        let rendered = "error: unexpected argument '--quick' found\n\n  \
                        tip: a similar argument exists: '--quiet'\n\nUsage: hookq hooks serve \
                        --quiet\n\nFor more information, try '--help'.\n";
        assert_eq!(
            super::one_line(rendered),
            (
                "unexpected argument '--quick' found".to_owned(),
                Some("a similar argument exists: '--quiet'".to_owned())
            )
        );
    }
}
