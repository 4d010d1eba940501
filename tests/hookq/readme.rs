//! README.md as a new user meets it: its set-up commands are the two a
//! newcomer needs, and its Quickstart and Debugging sections, pasted in
//! order into one shell, work.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use crate::util::{eventually, Env, BIN};

fn readme() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    std::fs::read_to_string(path).expect("README.md")
}

/// The ```sh blocks of the section whose heading starts with `heading`.
fn shell_blocks(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(&format!("\n{heading}"))
        .unwrap_or_else(|| panic!("README.md has no section {heading:?}"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let section = &rest[..end];
    let blocks: Vec<String> = section
        .split("```sh\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap_or_default().to_owned())
        .collect();
    assert!(!blocks.is_empty(), "{heading} has no ```sh block");
    blocks
}

/// A shell and everything it starts in the background, in a process group
/// of their own: killed together when the test ends, however it ends.
struct Shell(Child);

impl Drop for Shell {
    fn drop(&mut self) {
        let group = -(self.0.id() as i32);
        // SAFETY: kill(2) with a negative pid signals that process group;
        // it reads no memory of ours.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

#[test]
fn the_two_set_up_commands_install_and_test() {
    let readme = readme();
    let blocks = shell_blocks(&readme, "## Two commands");
    let commands: Vec<&str> = blocks
        .iter()
        .flat_map(|block| block.lines())
        .map(|line| line.split("  #").next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    // hookq on PATH after the first, built as the tests were; nothing left
    // running in the background to hold the Quickstart's port.
    assert!(
        commands[0].starts_with("cargo install --locked --path . && hookq "),
        "{}",
        commands[0]
    );
    assert!(commands[1].starts_with("cargo test"), "{}", commands[1]);
    for command in &commands {
        assert!(!command.ends_with('&'), "{command}");
    }
    for line in readme.lines().filter(|l| l.contains("cargo install")) {
        assert!(line.contains("--locked"), "{line}");
    }
}

#[test]
fn the_quickstart_and_debugging_sections_work_pasted_in_order() {
    if Command::new("curl").arg("--version").output().is_err() {
        // The README's Quickstart sends its first webhook with curl.
        panic!(
            "curl is not installed: README.md's Quickstart needs it; install curl to run this test"
        );
    }
    let readme = readme();
    let quickstart = shell_blocks(&readme, "## Quickstart").join("\n");
    let debugging = shell_blocks(&readme, "## Debugging").join("\n");
    assert!(
        !quickstart.contains("jq ") && !debugging.contains("jq "),
        "the README should need nothing but hookq, curl and a shell"
    );
    let env = Env::new();
    let scratch = env.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ui_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // What a reader does between the two sections: wait until the server
    // has run the event the scenario fails on, and the failed execution
    // has ended (it switches the scenario off as it ends, after the cycle).
    let wait_for_failure = r#"
deadline=$((SECONDS + 20))
until hookq scenario show deploy --json | grep -q '"active": false'; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "README test: no cycle failed" >&2; exit 97; }
  sleep 0.05
done
"#;
    // And after: the replayed copy has been run by the server.
    let wait_for_queue = r#"
deadline=$((SECONDS + 20))
until hookq hooks events github-push --state queued --state running --json | grep -q '^\[\]$'; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "README test: the queue never emptied" >&2; exit 98; }
  sleep 0.05
done
"#;
    let script = format!(
        "set -eo pipefail\n{quickstart}\n{wait_for_failure}\n{debugging}\n{wait_for_queue}\n"
    );
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let shell = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&scratch)
        .env("PATH", path)
        .env("HOOKQ_DB", &env.db)
        .env("HOOKQ_LISTEN", format!("127.0.0.1:{port}"))
        .env("HOOKQ_BASE_URL", format!("http://127.0.0.1:{port}"))
        // `hookq ui &` too, on a port of its own.
        .env("HOOKQ_UI_LISTEN", format!("127.0.0.1:{ui_port}"))
        .env_remove("HOOKQ_NOW")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("bash");
    let mut shell = Shell(shell);
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(shell.0.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(shell.0.stderr.take().map(|p| Box::new(p) as _));
    let mut status = None;
    eventually(120, "the README's commands to end", || {
        status = shell.0.try_wait().expect("wait for bash");
        status.is_some()
    });
    let status = status.unwrap();
    // The server the Quickstart started still holds the pipes: stop it first.
    drop(shell);
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(
        status.success(),
        "the README's commands failed ({status}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("\nAccepted\n"), "{stdout}");
    // What the README says happened: the first push deployed, the failing
    // event set aside, its replay skipped by the fixed script.
    let events = env.json(&["hooks", "events", "github-push"]);
    let states: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["done", "discarded", "done"], "{events}");
    let ops = env.ok(&["hooks", "ops", "github-push", "--output"]);
    assert!(ops.contains("deploying event 1"), "{ops}");
    assert!(
        ops.contains("skipping event 3: not a push to main"),
        "{ops}"
    );
}

/// The repository stands alone: every `SPEC §N` names a section of
/// docs/spec.md, and nothing points outside the repository for it.
#[test]
fn every_spec_citation_names_a_section_of_docs_spec() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = std::fs::read_to_string(root.join("docs/spec.md")).unwrap();
    let mut files = vec![root.join("README.md")];
    let mut dirs = vec![
        root.join("src"),
        root.join("tests"),
        root.join("docs"),
        root.join("fuzz"),
        root.join("bench"),
    ];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && !path.ends_with("target") && !path.ends_with("corpus") {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "md" || e == "sh")
            {
                files.push(path);
            }
        }
    }
    let mut citations = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        assert!(
            !text.contains(concat!("shared/", "SPEC")),
            "{} cites a file outside the repository",
            file.display()
        );
        for (at, _) in text.match_indices("SPEC §") {
            let number: String = text[at + "SPEC §".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if number.is_empty() {
                continue; // `SPEC §N`, the form itself
            }
            assert!(
                spec.contains(&format!("\n## {number}. ")),
                "{}: SPEC §{number} is no section of docs/spec.md",
                file.display()
            );
            citations += 1;
        }
    }
    assert!(citations > 20, "{citations} citations found");
}
