//! Command-line conventions of SPEC §9: help, completions, exit codes, pipes.

use std::process::Stdio;

use crate::util::Env;

#[test]
fn every_command_has_help_with_an_example() {
    // Every command clap knows, groups included (`hooks`, `scenario`...),
    // so that a new command cannot be missed.
    fn paths(command: &clap::Command, prefix: Vec<String>, all: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut path = prefix.clone();
            path.push(sub.get_name().to_owned());
            all.push(path.clone());
            paths(sub, path, all);
        }
    }
    let mut all = Vec::new();
    paths(
        &<hookq::cli::Cli as clap::CommandFactory>::command(),
        Vec::new(),
        &mut all,
    );
    assert!(all.len() > 30, "{all:?}");
    let env = Env::new();
    for mut args in std::iter::once(Vec::new()).chain(all) {
        args.push("--help".to_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.ok(&args);
        assert!(out.contains("Example"), "{args:?} has no example:\n{out}");
        assert!(out.contains("hookq "), "{args:?}");
    }
}

#[test]
fn committed_completions_match_the_command_line() {
    let env = Env::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "hookq.bash"),
        ("zsh", "_hookq"),
        ("fish", "hookq.fish"),
        ("elvish", "hookq.elv"),
        ("powershell", "_hookq.ps1"),
    ] {
        let generated = env.ok(&["completions", shell]);
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            generated == committed,
            "completions/{file} is stale: run `hookq completions {shell} > completions/{file}` \
             (or `cargo run -- completions` for each shell)"
        );
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let env = Env::new();
    env.ok(&["hooks", "create", "a"]);
    // Like `hookq hooks list | head -0`: the reader is gone before hookq
    // writes a byte, so its first write fails with EPIPE.
    let mut fds = [0; 2];
    // SAFETY: pipe writes two descriptors into `fds`, nothing more.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both descriptors are new and ours alone.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read_end);
    let out = env
        .cmd(&["hooks", "list"])
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn an_invalid_hookq_now_is_an_error() {
    let mut env = Env::new();
    env.at("last tuesday");
    let err = env.fails(&["hooks", "list"], 2);
    assert!(err.contains("HOOKQ_NOW"), "{err}");
}

/// `docs/cli.md` is every command's `--help`, generated from the clap types.
/// `HOOKQ_BLESS=1 cargo test --test hookq cli_reference` rewrites it.
#[test]
fn cli_reference_matches_the_command_line() {
    use clap::CommandFactory;
    fn walk(command: &mut clap::Command, path: &str, out: &mut String) {
        let name = if path.is_empty() {
            command.get_name().to_owned()
        } else {
            format!("{path} {}", command.get_name())
        };
        let help = command.render_long_help().to_string();
        out.push_str(&format!(
            "## `{name}`\n\n```text\n{}\n```\n\n",
            help.trim_end()
        ));
        let mut subcommands: Vec<clap::Command> = command.get_subcommands().cloned().collect();
        for sub in &mut subcommands {
            if sub.get_name() != "help" {
                walk(sub, &name, out);
            }
        }
    }
    let mut command = hookq::cli::Cli::command();
    command.build();
    let mut text = String::from(
        "# Command-line reference\n\nGenerated from the command line itself (`HOOKQ_BLESS=1 cargo test --test hookq cli_reference`); every command with its options and an example.\n\n",
    );
    walk(&mut command, "", &mut text);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md");
    if std::env::var_os("HOOKQ_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "docs/cli.md is stale: run HOOKQ_BLESS=1 cargo test --test hookq cli_reference"
    );
}
