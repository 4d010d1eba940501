//! `hookq ui` over plain HTTP (SPEC §11): what the page shows, its actions
//! going through the commands' rules, and each security claim of
//! docs/security.md.

use std::io::BufRead;
use std::net::SocketAddr;

use crate::util::{http, Env, Reply, ServerProcess, Spawned};

/// `hookq ui` as a child process on a free loopback port; killed on drop.
pub struct UiProcess {
    pub addr: SocketAddr,
    child: Spawned,
}

impl UiProcess {
    pub fn start(env: &Env) -> UiProcess {
        Self::start_with(env, &[], |_| {})
    }

    pub fn start_with(
        env: &Env,
        extra: &[&str],
        tweak: impl FnOnce(&mut std::process::Command),
    ) -> UiProcess {
        let mut args = vec!["ui", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut command = env.cmd(&args);
        command.stderr(std::process::Stdio::piped());
        tweak(&mut command);
        let mut child = Spawned::new(command);
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let addr = page_address(&mut stderr);
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        UiProcess { addr, child }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGTERM, as a user's Ctrl-C or a service manager stops it; its exit
    /// status once it has ended.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) on our own child's pid; no memory is touched.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.finish(30).status
    }

    pub fn get(&self, path: &str) -> Reply {
        http(self.addr, "GET", path, &[], b"")
    }

    /// A POST as the page's own form makes it: token and origin.
    pub fn act(&self, path: &str, form: &str) -> Reply {
        let token = self.token();
        let origin = format!("http://{}", self.addr);
        let body = format!("_token={token}&{form}");
        http(
            self.addr,
            "POST",
            path,
            &[
                ("Origin", &origin),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        )
    }

    /// The per-process token, as the webhooks table's forms carry it
    /// (there must be a hook).
    pub fn token(&self) -> String {
        let page = self.get("/").text();
        let at = page
            .find("name=\"_token\" value=\"")
            .expect("a form with the token");
        page[at + 21..at + 21 + 32].to_owned()
    }
}

/// The address from the line `webhooks area on http://ADDR/`.
pub fn page_address(stderr: &mut impl BufRead) -> SocketAddr {
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    line.trim()
        .strip_prefix("webhooks area on http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .parse()
        .unwrap()
}

#[test]
fn markup_in_a_name_or_a_body_is_shown_as_text() {
    let env = Env::new();
    env.hook("<script>alert(1)</script>", &[]);
    let body = "<img src=x onerror=alert(2)><script>alert(3)</script>";
    let id = env.ok(&[
        "hooks",
        "send",
        "<script>alert(1)</script>",
        "--data",
        body,
        "--content-type",
        "text/html",
    ]);
    let ui = UiProcess::start(&env);
    let table = ui.get("/").text();
    assert!(
        table.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{table}"
    );
    let event = ui.get(&format!("/events/{}", id.trim())).text();
    assert!(
        event.contains("&lt;img src=x onerror=alert(2)&gt;"),
        "{event}"
    );
    for page in [&table, &event] {
        assert!(!page.contains("<script>alert"), "markup got through");
        assert!(!page.contains("<img src=x"), "markup got through");
        // The only script is the page's own file.
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains("<script src=\"/assets/app.js\" defer>"));
    }
}

#[test]
fn every_answer_carries_a_policy_without_inline_script() {
    let env = Env::new();
    env.hook("h", &[]);
    let id = env.send("h", "{}");
    let ui = UiProcess::start(&env);
    for path in [
        "/".to_owned(),
        "/hooks/h".into(),
        format!("/events/{id}"),
        "/connections".into(),
        "/sweep".into(),
        "/assets/app.js".into(),
        "/nope".into(),
    ] {
        let reply = ui.get(&path);
        let csp = reply
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
}

#[test]
fn another_host_name_is_refused() {
    let env = Env::new();
    env.hook("h", &[]);
    let ui = UiProcess::start(&env);
    let port = ui.addr.port();
    let ask = |host: &str| http(ui.addr, "GET", "/", &[("Host", host)], b"").status;
    // tiny_http keeps the first Host; the helper sends one, so ask raw.
    let raw = |host: &str| {
        crate::util::http_raw(
            ui.addr,
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    };
    let _ = ask;
    // A DNS-rebinding page: its own name on this address.
    let rebound = raw(&format!("attacker.example:{port}"));
    assert_eq!(rebound.status, 403);
    assert!(!rebound.text().contains("/wh/"), "a refusal shows nothing");
    assert_eq!(raw(&format!("localhost:{port}")).status, 200);
    assert_eq!(raw(&format!("127.0.0.1:{port}")).status, 200);
    assert_eq!(raw(&format!("localhost:{}", port ^ 1)).status, 403);
}

#[test]
fn a_cross_site_form_post_is_refused_and_changes_nothing() {
    let env = Env::new();
    env.hook("h", &[]);
    let ui = UiProcess::start(&env);
    let token = ui.token();
    let form = |token: &str| format!("_token={token}");
    let post = |headers: &[(&str, &str)], body: String| {
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        http(ui.addr, "POST", "/hooks/h/disable", &all, body.as_bytes()).status
    };
    let own = format!("http://{}", ui.addr);
    // Another site's page, which cannot know the token.
    assert_eq!(
        post(&[("Origin", "http://evil.example")], String::new()),
        403
    );
    // ... or which somehow learned it: the origin still says who posts.
    assert_eq!(
        post(&[("Origin", "http://evil.example")], form(&token)),
        403
    );
    assert_eq!(
        post(&[("Referer", "http://evil.example/page")], form(&token)),
        403
    );
    // Neither Origin nor Referer: refused too.
    assert_eq!(post(&[], form(&token)), 403);
    // This page's origin without the token.
    assert_eq!(
        post(&[("Origin", &own)], form("x".repeat(32).as_str())),
        403
    );
    assert_eq!(env.json(&["hooks", "show", "h"])["enabled"], true);
    // A GET changes nothing either.
    assert_eq!(ui.get("/hooks/h/disable").status, 404);
    assert_eq!(env.json(&["hooks", "show", "h"])["enabled"], true);
    // The page's own form does.
    assert_eq!(post(&[("Origin", &own)], form(&token)), 303);
    assert_eq!(env.json(&["hooks", "show", "h"])["enabled"], false);
}

#[test]
fn no_secret_reaches_any_page() {
    let env = Env::new();
    let secret = "whsec_averysecretvaluenobodymaysee1234";
    let out = env
        .cmd(&[
            "connections",
            "create",
            "gh",
            "--kind",
            "github",
            "--secret-env",
            "S",
        ])
        .env("S", secret)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = "k3y-only-the-sender-knows-0123456789";
    let out = env
        .cmd(&[
            "connections",
            "create",
            "api",
            "--kind",
            "api-key",
            "--secret-env",
            "S",
        ])
        .env("S", key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.hook("h", &["--connection", "api"]);
    // The key as a sender puts it, in a header of a stored event.
    let id = env.ok(&[
        "hooks",
        "send",
        "h",
        "--data",
        "{}",
        "--header",
        &format!("x-api-key: {key}"),
    ]);
    env.ok(&["scenario", "create", "s", "--hook", "h", "--", "cat"]);
    let ui = UiProcess::start(&env);
    let id = id.trim();
    for path in [
        "/".to_owned(),
        "/connections".into(),
        "/hooks/h".into(),
        "/hooks/h/ops".into(),
        "/scenarios".into(),
        "/scenarios/s".into(),
        "/sweep".into(),
        format!("/events/{id}"),
        format!("/events/{id}/bundle"),
    ] {
        let reply = ui.get(&path);
        assert_eq!(reply.status, 200, "{path}");
        let text = reply.text();
        for hidden in [secret, key, &secret[6..20], &key[..16]] {
            assert!(!text.contains(hidden), "{path} shows a secret");
        }
    }
    let masked = env.json(&["connections", "list"]);
    let page = ui.get("/connections").text();
    for connection in masked.as_array().unwrap() {
        let shown = connection["secret"].as_str().unwrap();
        assert!(page.contains(shown), "masked as in the CLI: {shown}");
    }
}

#[test]
fn forwarding_credentials_are_masked_on_the_scenario_pages() {
    let env = Env::new();
    env.hook("h", &[]);
    env.ok(&[
        "scenario",
        "create",
        "s4",
        "--hook",
        "h",
        "--forward",
        "http://user:hunter2@127.0.0.1:18777/",
        "--forward-header",
        "Authorization: Bearer sk_live_SECRET123",
        "--forward-header",
        "X-Team: blue-team-7",
    ]);
    let ui = UiProcess::start(&env);
    let list = ui.get("/scenarios").text();
    let one = ui.get("/scenarios/s4").text();
    for page in [&list, &one] {
        for secret in ["hunter2", "SECRET123", "sk_live", "blue-team"] {
            assert!(!page.contains(secret), "{secret} shown: {page}");
        }
        assert!(page.contains("http://user:h…(7 chars)@127.0.0.1:18777/"));
    }
    // One `Name: masked` line per header, as the CLI masks them.
    assert!(
        one.contains("<code>Authorization: Bear…(24 chars)</code>"),
        "{one}"
    );
    assert!(one.contains("<code>X-Team: bl…(11 chars)</code>"), "{one}");
    assert!(!one.contains("[["), "a raw JSON array: {one}");
}

#[test]
fn a_page_open_to_the_network_needs_a_password() {
    let env = Env::new();
    env.hook("h", &[]);
    let out = env.run_within(20, &["ui", "--listen", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--password-env"), "{err}");
    // Named but unset: refused too.
    let out = env.run_within(
        20,
        &[
            "ui",
            "--listen",
            "0.0.0.0:0",
            "--password-env",
            "HOOKQ_TEST_UNSET",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    // With a password, every request must give it (checked on loopback).
    let ui = UiProcess::start_with(&env, &["--password-env", "UI_PASSWORD"], |c| {
        c.env("UI_PASSWORD", "open sesame");
    });
    let without = ui.get("/");
    assert_eq!(without.status, 401);
    assert!(without
        .header("www-authenticate")
        .is_some_and(|h| h.starts_with("Basic")));
    let basic = |text: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(text)
        )
    };
    let wrong = http(
        ui.addr,
        "GET",
        "/",
        &[("Authorization", &basic("me:open"))],
        b"",
    );
    assert_eq!(wrong.status, 401);
    let right = http(
        ui.addr,
        "GET",
        "/",
        &[("Authorization", &basic("me:open sesame"))],
        b"",
    );
    assert_eq!(right.status, 200);
    assert!(right.text().contains(">h<"));
}

#[test]
fn the_page_sends_and_replays_through_the_commands_rules() {
    let env = Env::new();
    env.hook("h", &["--method", "POST"]);
    let ui = UiProcess::start(&env);
    let sent = ui.act(
        "/hooks/h/send",
        "method=POST&content_type=application%2Fjson&data=%7B%22a%22%3A1%7D",
    );
    assert_eq!(sent.status, 303, "{}", sent.text());
    let events = env.json(&["hooks", "events", "h"]);
    let first = events[0]["id"].as_i64().unwrap();
    assert_eq!(
        sent.header("location"),
        Some(format!("/events/{first}").as_str())
    );
    assert_eq!(
        env.ok(&["hooks", "payload", &first.to_string()]),
        "{\"a\":1}"
    );
    // The CLI's refusals, word for word: a method the hook does not take, a
    // body that is not JSON.
    let refused = ui.act("/hooks/h/send", "method=PUT&data=x");
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .text()
            .contains("hook &quot;h&quot; does not accept PUT (only POST)"),
        "{}",
        refused.text()
    );
    let refused = ui.act(
        "/hooks/h/send",
        "method=POST&content_type=application%2Fjson&data=%7B",
    );
    assert_eq!(refused.status, 400);
    // A method `hooks send` refuses (exit 2), refused here too: stored, it
    // could never be forwarded.
    let refused = ui.act("/hooks/h/send", "method=GE+T&data=x");
    assert_eq!(refused.status, 400);
    assert!(
        refused.text().contains("invalid HTTP method"),
        "{}",
        refused.text()
    );
    assert_eq!(
        env.json(&["hooks", "events", "h"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Still queued: replay refuses as `hooks replay` does.
    let replay = ui.act(&format!("/events/{first}/replay"), "");
    assert_eq!(replay.status, 409);
    assert!(replay.text().contains("still queued"), "{}", replay.text());
    // Discarded, then replayed: a copy at the tail.
    assert_eq!(ui.act(&format!("/events/{first}/discard"), "").status, 303);
    assert_eq!(env.state(first), "discarded");
    let replay = ui.act(&format!("/events/{first}/replay"), "");
    assert_eq!(replay.status, 303);
    let events = env.json(&["hooks", "events", "h"]);
    assert_eq!(events[0]["replay_of"], first);
    assert_eq!(events[0]["state"], "queued");
    // Disabled: the page's send is refused as the command's is.
    env.ok(&["hooks", "disable", "h"]);
    let refused = ui.act("/hooks/h/send", "method=POST&data=");
    assert_eq!(refused.status, 409);
    assert!(refused.text().contains("hook &quot;h&quot; is disabled"));
}

#[test]
fn serve_ui_answers_on_its_own_port_only() {
    let env = Env::new();
    let url = env.hook("h", &[]);
    let (server, mut stderr) = ServerProcess::logged(&env, &["--quiet", "--ui", "127.0.0.1:0"]);
    let page = page_address(&mut stderr);
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    assert_ne!(page.port(), server.addr.port());
    let path = url
        .trim()
        .split_once("/wh/")
        .map(|(_, t)| format!("/wh/{t}"))
        .unwrap();
    // The webhook port has no page; the page's port takes no webhook.
    assert_eq!(http(server.addr, "GET", "/", &[], b"").status, 404);
    assert_eq!(http(page, "POST", &path, &[], b"{}").status, 403);
    assert_eq!(http(page, "GET", &path, &[], b"").status, 404);
    assert_eq!(http(server.addr, "POST", &path, &[], b"{}").status, 200);
    assert_eq!(
        env.json(&["hooks", "events", "h"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let table = http(page, "GET", "/", &[], b"").text();
    assert!(table.contains(">h<"), "{table}");
    server.terminate();
    // Never to the network from beside the server.
    let out = env.run_within(
        20,
        &[
            "hooks",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--ui",
            "0.0.0.0:0",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback only"));
}

#[test]
fn serve_refuses_the_webhook_port_for_the_page_before_listening() {
    let env = Env::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for (listen, page) in [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1")] {
        let (listen, page) = (format!("{listen}:{port}"), format!("{page}:{port}"));
        let out = env.run_within(20, &["hooks", "serve", "--listen", &listen, "--ui", &page]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("never shares the webhook port"), "{stderr}");
        assert!(!stderr.contains("listening on"), "{stderr}");
    }
}

#[test]
fn localhost_names_the_page_address() {
    let env = Env::new();
    env.hook("h", &[]);
    let mut command = env.cmd(&["ui", "--listen", "localhost:0"]);
    command.stderr(std::process::Stdio::piped());
    let mut child = Spawned::new(command);
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let addr = page_address(&mut stderr);
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    assert_eq!(addr.ip(), std::net::Ipv4Addr::LOCALHOST);
    let request = format!(
        "GET / HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        addr.port()
    );
    let reply = crate::util::http_raw(addr, request.as_bytes());
    assert_eq!(reply.status, 200);
    assert!(reply.text().contains(">h<"));
    drop(child);
    // The same name for the page beside the server.
    let (server, mut stderr) = ServerProcess::logged(&env, &["--quiet", "--ui", "localhost:0"]);
    let addr = page_address(&mut stderr);
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    assert_eq!(addr.ip(), std::net::Ipv4Addr::LOCALHOST);
    let request = format!(
        "GET / HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        addr.port()
    );
    assert_eq!(crate::util::http_raw(addr, request.as_bytes()).status, 200);
    server.terminate();
}

#[test]
fn the_change_counter_moves_only_when_the_database_changes() {
    let env = Env::new();
    env.hook("h", &[]);
    let ui = UiProcess::start(&env);
    let version = || ui.get("/api/version").text();
    let before = version();
    // Reading pages changes nothing.
    ui.get("/");
    ui.get("/hooks/h");
    assert_eq!(version(), before);
    // Another process's write does.
    env.send("h", "{}");
    let after = version();
    assert_ne!(after, before);
    assert_eq!(version(), after);
}

/// A page names the version it was rendered at, so an event that arrives
/// between the render and the script's first poll still refreshes it.
#[test]
fn a_page_names_the_version_it_shows_so_a_change_before_the_first_poll_refreshes_it() {
    let env = Env::new();
    env.hook("h", &[]);
    let ui = UiProcess::start(&env);
    let shown = |path: &str| {
        let html = ui.get(path).text();
        let (_, rest) = html
            .split_once("<body data-version=\"")
            .unwrap_or_else(|| panic!("no version on {path}"));
        rest.split('"').next().unwrap().to_string()
    };
    let page = shown("/hooks/h");
    // Nothing changed: the first poll leaves the page alone.
    assert_eq!(ui.get("/api/version").text(), page);
    // An event before the first poll: that poll sees a change.
    env.send("h", "{}");
    assert_ne!(ui.get("/api/version").text(), page);
    assert_eq!(shown("/hooks/h"), ui.get("/api/version").text());
}

#[test]
fn ten_thousand_hooks_come_a_page_at_a_time() {
    let env = Env::new();
    env.hook("seed", &[]);
    // Each engine spells its zero-padding and its booleans its own way.
    let (name, token, yes, no) = if env.on_postgres() {
        (
            "'hook-' || lpad(value::text, 5, '0')",
            "lpad(value::text, 32, '0')",
            "true",
            "false",
        )
    } else {
        (
            "printf('hook-%05d', value)",
            "printf('%032d', value)",
            "1",
            "0",
        )
    };
    env.sql_write(&format!(
        "WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 9999)
         INSERT INTO hooks (name, token, enabled, rate_limit, queue_limit, max_body, allow_ips,
                            methods, json_passthrough, created_at, enabled_at, unassigned_since, burst)
         SELECT {name}, {token}, {yes}, 5, 10000, 5242880, '[]', '[]',
                {no}, created_at, enabled_at, unassigned_since, 50
         FROM n, (SELECT * FROM hooks WHERE name = 'seed') AS seed",
    ));
    let ui = UiProcess::start(&env);
    let first = ui.get("/").text();
    assert!(
        first.contains("1–50 of 10,000"),
        "{}",
        &first[..2000.min(first.len())]
    );
    assert_eq!(first.matches("role=\"switch\"").count(), 50);
    assert!(first.contains("href=\"/?page=2\""));
    let last = ui.get("/?page=200").text();
    assert!(last.contains("9,951–10,000 of 10,000"));
    assert!(last.contains(">seed<"));
    // The search runs over all of them, then pages.
    let found = ui.get("/?q=hook-0999").text();
    assert!(found.contains("1–10 of 10"), "{found}");
}

#[test]
fn run_now_runs_the_scenario_as_scenario_run_does_and_the_event_shows_its_operation() {
    let env = Env::new();
    env.hook("h", &[]);
    let id = env.send("h", "{}");
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--",
        "sh",
        "-c",
        "echo processed-$HOOKQ_EVENT_ID",
    ]);
    let ui = UiProcess::start(&env);
    assert_eq!(ui.act("/scenarios/s/run", "").status, 303);
    crate::util::eventually(20, "the execution to end", || env.state(id) == "done");
    let runs = env.json(&["scenario", "runs", "s"]);
    assert_eq!(runs[0]["trigger"], "manual");
    assert!(ui.get("/scenarios/s").text().contains("manual"));
    let event = ui.get(&format!("/events/{id}")).text();
    assert!(
        event.contains(&format!("processed-{id}")),
        "the operation's output"
    );
    // Inactive: refused with the command's words.
    env.ok(&["scenario", "deactivate", "s"]);
    let refused = ui.act("/scenarios/s/run", "");
    assert_eq!(refused.status, 409);
    assert!(refused
        .text()
        .contains("scenario &quot;s&quot; is inactive"));
}

#[test]
fn the_sweep_page_says_what_a_dry_run_would_do() {
    let mut env = Env::new();
    env.at("2026-01-01T00:00:00Z");
    env.hook("idle", &[]);
    env.hook("busy", &[]);
    env.ok(&["scenario", "create", "s", "--hook", "busy", "--", "cat"]);
    env.at("2026-01-10T00:00:00Z");
    let ui = UiProcess::start_with(&env, &[], |c| {
        c.env("HOOKQ_NOW", "2026-01-10T00:00:00Z");
    });
    let report = env.json(&["sweep", "--dry-run"]);
    assert_eq!(report["disabled"][0]["hook"], "idle");
    let page = ui.get("/sweep").text();
    let section = |title: &str| {
        let at = page.find(title).unwrap_or_else(|| panic!("no {title}"));
        page[at..].split("</section>").next().unwrap().to_owned()
    };
    assert!(section("Would disable").contains("idle"));
    assert!(!section("Would disable").contains("busy"));
    assert!(section("Expired").contains("idle"));
    // Nothing changed.
    assert_eq!(env.json(&["hooks", "show", "idle"])["enabled"], true);
}

#[test]
fn form_fields_and_multipart_files_show_as_a_table() {
    let env = Env::new();
    env.hook("h", &[]);
    let form = env.enqueue(
        "h",
        Some("application/x-www-form-urlencoded"),
        "",
        b"order_id=1042&note=%3Cb%3Ehi%3C%2Fb%3E",
    );
    let body = "--XX\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ninvoice\r\n\
                --XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
                Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--XX--\r\n";
    let multipart = env.enqueue(
        "h",
        Some("multipart/form-data; boundary=XX"),
        "",
        body.as_bytes(),
    );
    let ui = UiProcess::start(&env);
    let page = ui.get(&format!("/events/{form}")).text();
    assert!(page.contains("Form fields"));
    assert!(
        page.contains("<th scope=\"row\">order_id</th><td><code>1042</code>"),
        "{page}"
    );
    assert!(page.contains("<code>&lt;b&gt;hi&lt;/b&gt;</code>"));
    let page = ui.get(&format!("/events/{multipart}")).text();
    assert!(
        page.contains("<th scope=\"row\">kind</th><td><code>invoice</code>"),
        "{page}"
    );
    assert!(
        page.contains("file <code>a.pdf</code> (application/pdf"),
        "{page}"
    );
}

#[test]
#[cfg(not(target_os = "macos"))]
fn open_hands_the_address_to_the_desktop() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.hook("h", &[]);
    let bin = env.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let opened = env.path().join("opened");
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$1\" > {}\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ui = UiProcess::start_with(&env, &["--open"], |c| {
        c.env("PATH", &path);
    });
    crate::util::eventually(20, "xdg-open to run", || {
        std::fs::read_to_string(&opened).is_ok_and(|text| text.ends_with('\n'))
    });
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap().trim(),
        format!("http://{}/", ui.addr)
    );
}

#[test]
fn a_large_body_shows_its_beginning_and_the_rest_is_a_download() {
    let env = Env::new();
    env.hook("h", &["--max-body", "1MiB"]);
    let items: Vec<String> = (0..40_000).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
    let body = format!("[{}]", items.join(","));
    assert!(body.len() > 256 << 10);
    let id = env.enqueue("h", Some("application/json"), "", body.as_bytes());
    let ui = UiProcess::start(&env);
    let page = ui.get(&format!("/events/{id}")).text();
    // Indented as serde_json would, up to the cut.
    assert!(
        page.contains("<pre class=\"code\" id=\"json-pretty\">[\n  {\n    &quot;n&quot;: 0\n  },")
    );
    assert!(page.contains(&format!("href=\"/events/{id}/body\"")));
    assert!(page.contains(&format!("href=\"/events/{id}/bundle\"")));
    let whole = ui.get(&format!("/events/{id}/body"));
    assert_eq!(whole.body, body.as_bytes());
    assert!(whole
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("attachment")));
    let bundle = ui.get(&format!("/events/{id}/bundle")).text();
    assert_eq!(
        bundle,
        env.ok(&["hooks", "payload", &id.to_string(), "--bundle"])
    );
}

#[test]
fn json_beyond_serde_json_is_still_indented() {
    let env = Env::new();
    env.hook("h", &[]);
    let id = env.enqueue(
        "h",
        Some("application/json"),
        "",
        br#"{"big":1e400,"n":12345678901234567890123}"#,
    );
    let ui = UiProcess::start(&env);
    let page = ui.get(&format!("/events/{id}")).text();
    assert!(
        page.contains("{\n  &quot;big&quot;: 1e400,\n  &quot;n&quot;: 12345678901234567890123\n}"),
        "{page}"
    );
}

/// A stop of the page while an execution it started ("Run now") waits
/// for its forwarding target ends that execution as `scenario run` ends on
/// Ctrl-C: the process waits for it, the event goes back to the queue and
/// nothing is left `running` (it used to exit under it).
#[test]
fn a_stop_of_the_page_ends_the_execution_it_started() {
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/h", reserved.local_addr().unwrap());
    drop(reserved);
    let env = Env::new();
    env.hook("h", &[]);
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--forward",
        &url,
    ]);
    let id = env.send("h", "x");
    let mut ui = UiProcess::start(&env);
    assert_eq!(ui.act("/scenarios/s/run", "").status, 303);
    crate::util::eventually(20, "the execution to wait for its target", || {
        env.ok(&["scenario", "list"]).contains("waiting for")
    });
    assert!(ui.terminate().success());
    assert_eq!(env.state(id), "queued");
    let runs = env.json(&["scenario", "runs", "s"]);
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .all(|run| run["status"] != "running" && !run["status"].is_null()),
        "{runs}"
    );
}

/// A binary body opens in hex (SPEC §11), not as text full of replacement
/// and control characters; a text body still opens as text.
#[test]
fn a_binary_body_opens_in_hex() {
    let env = Env::new();
    env.hook("h", &[]);
    let binary = env.enqueue(
        "h",
        Some("application/octet-stream"),
        "",
        &[0x00, 0xff, 0x01, 0x80, b'A'],
    );
    let text = env.enqueue("h", Some("text/plain"), "", "crème brûlée".as_bytes());
    let ui = UiProcess::start(&env);
    let page = ui.get(&format!("/events/{binary}")).text();
    assert!(!page.contains("id=\"raw\""), "binary shown as text");
    assert!(
        page.contains("<details class=\"view\" open><summary>Hex"),
        "hex not open"
    );
    assert!(page.contains("00 ff 01 80 41"), "hex bytes");
    let page = ui.get(&format!("/events/{text}")).text();
    assert!(page.contains("crème brûlée"), "text body");
    assert!(
        page.contains("<details class=\"view\"><summary>Hex"),
        "hex folded for text"
    );
}
