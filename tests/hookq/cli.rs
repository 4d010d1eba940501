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

/// Every error line `hookq: ...` appears once, maybe followed by one `hint:`.
fn one_error(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        matches!(lines.as_slice(), [first] | [first, _] if first.starts_with("hookq: "))
            && lines.get(1).is_none_or(|hint| hint.starts_with("hint: ")),
        "not one error line and a hint: {stderr:?}"
    );
    lines[0]
}

#[test]
fn numbers_the_store_cannot_keep_are_usage_errors() {
    let env = Env::new();
    for args in [
        [
            "hooks",
            "create",
            "a",
            "--queue-limit",
            "9223372036854775808",
        ],
        ["hooks", "create", "a", "--max-body", "10000000000GiB"],
        ["hooks", "create", "a", "--max-body", "18446744073709551615"],
    ] {
        let err = env.fails(&args, 2);
        let line = one_error(&err);
        assert!(line.contains(args[4]), "{line}");
        assert_eq!(err.matches("hookq:").count(), 1, "{err}");
    }
    env.ok(&[
        "hooks",
        "create",
        "a",
        "--queue-limit",
        "9223372036854775807",
    ]);
    env.fails(
        &["hooks", "edit", "a", "--queue-limit", "9223372036854775808"],
        2,
    );
    // The largest limit still reads back as it was given.
    assert_eq!(
        env.json(&["hooks", "show", "a"])["queue_limit"],
        9_223_372_036_854_775_807_u64
    );
}

#[test]
fn an_hmac_or_api_key_header_must_be_a_header_name() {
    let env = Env::new();
    // A store exists, so that `connections list` below reads it.
    env.hook("h", &[]);
    for kind in ["hmac", "api-key"] {
        let err = env.fails(
            &[
                "connections",
                "create",
                "c",
                "--kind",
                kind,
                "--header",
                "bad header",
                "--generate",
            ],
            2,
        );
        assert!(one_error(&err).contains("\"bad header\""), "{err}");
    }
    assert_eq!(env.json(&["connections", "list"]), serde_json::json!([]));
    env.ok(&[
        "connections",
        "create",
        "c",
        "--kind",
        "hmac",
        "--header",
        "X-Signature",
        "--generate",
    ]);
}

#[test]
fn a_base_url_is_http_or_https_with_a_host() {
    let env = Env::new();
    env.ok(&["hooks", "create", "a"]);
    for bad in [
        "not a url",
        "ftp://example.com",
        "http://",
        "http://exa mple.com",
        "https://example.com/?x=1",
        "http://user:pw@example.com",
        "http://example.com:0",
        "http://example.com:99999",
        "http://-bad-.example.com",
        "http://exa..mple.com",
        "http://[::1",
        "http://[not-v6]:80",
    ] {
        let err = env.fails(&["hooks", "url", "a", "--base-url", bad], 2);
        assert!(one_error(&err).contains("base URL"), "{bad}: {err}");
        let err = env
            .cmd(&["hooks", "url", "a"])
            .env("HOOKQ_BASE_URL", bad)
            .output()
            .unwrap();
        assert_eq!(err.status.code(), Some(2), "HOOKQ_BASE_URL={bad}");
    }
    for (good, url) in [
        ("https://hooks.example.com", "https://hooks.example.com/wh/"),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000/wh/"),
        ("http://[::1]:8080/in", "http://[::1]:8080/in/wh/"),
        ("HTTPS://Example.COM", "HTTPS://Example.COM/wh/"),
        ("http://hookq_proxy:8080", "http://hookq_proxy:8080/wh/"),
        ("https://bücher.example", "https://bücher.example/wh/"),
    ] {
        let out = env.ok(&["hooks", "url", "a", "--base-url", good]);
        assert!(out.starts_with(url), "{good}: {out}");
    }
}

#[test]
fn a_missing_data_file_is_a_usage_error() {
    let env = Env::new();
    env.ok(&["hooks", "create", "a"]);
    let missing = env.path().join("nope.json");
    let data = format!("@{}", missing.display());
    let err = env.fails(&["hooks", "send", "a", "--data", &data], 2);
    assert!(one_error(&err).contains("nope.json"), "{err}");
    assert_eq!(env.sql_count("SELECT count(*) FROM events"), 0);
}

#[test]
fn operations_of_an_event_that_is_not_the_hooks_are_refused() {
    let env = Env::new();
    env.ok(&["hooks", "create", "a"]);
    env.ok(&["hooks", "create", "b"]);
    let of_b = env.send("b", "x");
    for event in ["42", &of_b.to_string()] {
        for extra in [&["--output"][..], &[]] {
            let mut args = vec!["hooks", "ops", "a", "--event", event];
            args.extend_from_slice(extra);
            let err = env.fails(&args, 3);
            assert!(one_error(&err).contains(event), "{err}");
        }
    }
    // An event of the hook that has not run yet: no operations, no error.
    let of_a = env.send("a", "x").to_string();
    assert_eq!(
        env.json(&["hooks", "ops", "a", "--event", &of_a]),
        serde_json::json!([])
    );
}

#[test]
fn delete_and_discard_answer_in_json() {
    let env = Env::new();
    env.ok(&["hooks", "create", "a"]);
    let id = env.send("a", "x");
    assert_eq!(
        env.json(&["hooks", "discard", &id.to_string()]),
        serde_json::json!({"discarded": [id]})
    );
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "a",
        "--inactive",
        "--",
        "true",
    ]);
    assert_eq!(
        env.json(&["scenario", "delete", "s"]),
        serde_json::json!({"scenario": "s", "deleted": true})
    );
    assert_eq!(
        env.json(&["hooks", "delete", "a"]),
        serde_json::json!({"hook": "a", "deleted": true})
    );
    env.ok(&[
        "connections",
        "create",
        "c",
        "--kind",
        "github",
        "--generate",
    ]);
    assert_eq!(
        env.json(&["connections", "delete", "c"]),
        serde_json::json!({"connection": "c", "deleted": true})
    );
}

#[test]
fn edit_help_shows_no_create_defaults() {
    let env = Env::new();
    for (edit, create) in [
        (
            ["scenario", "edit", "--help"],
            ["scenario", "create", "--help"],
        ),
        (["hooks", "edit", "--help"], ["hooks", "create", "--help"]),
    ] {
        let help = env.ok(&edit);
        // The global options' defaults hold for an edit too; no other.
        // One option's help may wrap over several lines: judge it whole.
        let mut options: Vec<String> = Vec::new();
        for line in help.lines() {
            match options.last_mut() {
                Some(last) if !line.trim_start().starts_with('-') && !line.trim().is_empty() => {
                    last.push_str(line);
                }
                _ => options.push(line.to_string()),
            }
        }
        let defaults: Vec<&String> = options
            .iter()
            .filter(|o| o.contains("[default:"))
            .filter(|o| !o.contains("--db") && !o.contains("--base-url"))
            .collect();
        assert!(defaults.is_empty(), "{edit:?}: {defaults:?}");
        assert!(env.ok(&create).contains("[default: 5m]") || create[0] == "hooks");
        assert!(env.ok(&create).contains("[default: 5]") || create[0] == "scenario");
    }
}

#[test]
fn names_with_invisible_or_bidirectional_characters_are_refused() {
    let env = Env::new();
    env.ok(&["hooks", "create", "zw"]);
    for (c, code) in [
        ('\u{200B}', "U+200B"),
        ('\u{202E}', "U+202E"),
        ('\u{FEFF}', "U+FEFF"),
        ('\u{2066}', "U+2066"),
    ] {
        let name = format!("{c}zw");
        for args in [
            vec!["hooks", "create", &name],
            vec!["scenario", "create", &name, "--hook", "zw", "--", "true"],
            vec![
                "connections",
                "create",
                &name,
                "--kind",
                "github",
                "--generate",
            ],
        ] {
            let err = env.fails(&args, 2);
            assert!(one_error(&err).contains(code), "{args:?}: {err}");
        }
    }
    let hooks = env.json(&["hooks", "list"]);
    assert_eq!(hooks.as_array().map(Vec::len), Some(1), "{hooks}");
    assert_eq!(env.json(&["scenario", "list"]), serde_json::json!([]));
    assert_eq!(env.json(&["connections", "list"]), serde_json::json!([]));
}

#[test]
fn a_relative_command_is_the_file_where_scenario_create_ran() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.ok(&["hooks", "create", "h"]);
    let project = env.path().join("project");
    std::fs::create_dir_all(project.join("bin")).unwrap();
    let script = project.join("bin/deploy.sh");
    std::fs::write(&script, "#!/bin/sh\necho \"deployed $HOOKQ_EVENT_ID\"\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let elsewhere = env.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = env
        .cmd(&[
            "scenario",
            "create",
            "s",
            "--hook",
            "h",
            "--schedule",
            "on-demand",
            "--",
            "./bin/deploy.sh",
            "--flag",
        ])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = env.json(&["scenario", "show", "s"]);
    assert_eq!(
        shown["command"],
        serde_json::json!([script.to_str().unwrap(), "--flag"]),
        "{shown}"
    );
    // Run from another directory, as a server started elsewhere would.
    let id = env.send("h", "x");
    let out = env
        .cmd(&["scenario", "run", "s"])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.state(id), "done");
    // A bare name stays a name, looked up on PATH when it runs; an edit
    // resolves a new relative command the same way.
    let out = env
        .cmd(&["scenario", "edit", "s", "--", "true"])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        env.json(&["scenario", "show", "s"])["command"],
        serde_json::json!(["true"])
    );
    let out = env
        .cmd(&["scenario", "edit", "s", "--", "../project/bin/deploy.sh"])
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stored = env.json(&["scenario", "show", "s"])["command"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(std::path::Path::new(&stored).is_absolute(), "{stored}");
    assert!(std::path::Path::new(&stored).exists(), "{stored}");
}
