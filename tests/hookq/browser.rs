//! The webhooks area in a real Chromium, driven over WebDriver by a small
//! blocking client on a TcpStream (SPEC §11, issue 19). Without Chromium
//! and chromedriver the tests skip with a line on stderr, unless
//! `HOOKQ_CI=1` (then a missing browser fails them). A failing test leaves
//! a screenshot in `target/browser-failures/<test>.png`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::ui::UiProcess;
use crate::util::{http, Env, ServerProcess, Spawned};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C key of an element reference in WebDriver's JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A Chromium session; ends the session (and so Chromium) and then
/// chromedriver on drop, after a screenshot if the test is failing.
pub struct Browser {
    driver: Option<Spawned>,
    port: u16,
    session: String,
    name: String,
    _profile: tempfile::TempDir,
}

fn tool(name: &str, fallback: &str) -> Option<PathBuf> {
    let path = std::env::var_os(name).map_or_else(|| PathBuf::from(fallback), PathBuf::from);
    path.exists().then_some(path)
}

impl Browser {
    /// `None` (the test skips) when there is no browser here and this is
    /// not CI.
    pub fn start(name: &str) -> Option<Browser> {
        let (Some(chromium), Some(driver)) = (
            tool("HOOKQ_CHROMIUM", CHROMIUM),
            tool("HOOKQ_CHROMEDRIVER", CHROMEDRIVER),
        ) else {
            assert!(
                std::env::var("HOOKQ_CI").as_deref() != Ok("1"),
                "HOOKQ_CI=1 and no Chromium/chromedriver at {CHROMIUM} and {CHROMEDRIVER}"
            );
            eprintln!("skipping {name}: Chromium or chromedriver is not installed");
            return None;
        };
        let port = free_port();
        let mut command = Command::new(driver);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut browser = Browser {
            driver: Some(Spawned::new(command)),
            port,
            session: String::new(),
            name: name.to_owned(),
            _profile: tempfile::tempdir().unwrap(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while browser.try_call("GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = browser._profile.path().display().to_string();
        let created = browser.call(
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                        format!("--user-data-dir={profile}"), "--window-size=1280,900",
                    ],
                },
            }}})),
        );
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Some(browser)
    }

    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> std::io::Result<Value> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        // chromedriver keeps the connection open: read by Content-Length.
        let mut raw = Vec::new();
        let mut buf = [0u8; 16384];
        loop {
            if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..at]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .ok_or_else(|| std::io::Error::other("no content-length"))?;
                if raw.len() >= at + 4 + length {
                    return serde_json::from_slice(&raw[at + 4..at + 4 + length])
                        .map_err(std::io::Error::other);
                }
            }
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            raw.extend_from_slice(&buf[..n]);
        }
    }

    /// A WebDriver command; its `value`. A WebDriver error fails the test.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call_or_error(method, path, body)
            .unwrap_or_else(|(error, message)| {
                panic!("webdriver {method} {path}: {error}: {message}")
            })
    }

    /// A WebDriver command; its `value`, or its error and message.
    fn call_or_error(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, (String, String)> {
        let reply = self
            .try_call(method, path, body)
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        let value = reply["value"].clone();
        match value.get("error") {
            Some(error) => Err((
                error.as_str().unwrap_or_default().to_owned(),
                value["message"].to_string(),
            )),
            None => Ok(value),
        }
    }

    /// `call` on the element `css` finds, found again if the page's live
    /// update replaced it in between (a stale element), or waited for while
    /// the page is being replaced: a click on a form's button navigates
    /// (POST, redirect, GET), and WebDriver may look into the new document
    /// before it holds the element (seen on PostgreSQL, whose page threads
    /// answer a first request more slowly: "no such element" in the
    /// status-switch test about one run in twelve).
    fn on_element(&self, css: &str, method: &str, action: &str, body: Option<Value>) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found = self.call_or_error(
                "POST",
                &format!("/session/{}/element", self.session),
                Some(json!({"using": "css selector", "value": css})),
            );
            let element = match found {
                Ok(found) => found[ELEMENT]
                    .as_str()
                    .unwrap_or_else(|| panic!("{css}: {found}"))
                    .to_owned(),
                Err((error, message)) => {
                    assert!(
                        error == "no such element" && Instant::now() < deadline,
                        "webdriver find {css}: {error}: {message}"
                    );
                    std::thread::sleep(Duration::from_millis(25));
                    continue;
                }
            };
            let path = format!("/session/{}/element/{element}{action}", self.session);
            match self.call_or_error(method, &path, body.clone()) {
                Ok(value) => return value,
                Err((error, _)) if error == "stale element reference" => {
                    assert!(Instant::now() < deadline, "{css} kept being replaced");
                }
                Err((error, message)) => panic!("webdriver {method} {path}: {error}: {message}"),
            }
        }
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn refresh(&self) {
        self.session_call("POST", "/refresh", Some(json!({})));
    }

    pub fn url(&self) -> String {
        self.session_call("GET", "/url", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Run `script` in the page; what it returns.
    pub fn exec(&self, script: &str, args: Value) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The element for a CSS selector; the test fails if there is none.
    pub fn count(&self, css: &str) -> usize {
        self.session_call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .as_array()
        .map_or(0, Vec::len)
    }

    pub fn click(&self, css: &str) {
        self.on_element(css, "POST", "/click", Some(json!({})));
    }

    pub fn type_into(&self, css: &str, text: &str) {
        self.on_element(css, "POST", "/value", Some(json!({ "text": text })));
    }

    /// The visible text of an element.
    pub fn text(&self, css: &str) -> String {
        self.on_element(css, "GET", "/text", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.on_element(css, "GET", &format!("/attribute/{name}"), None)
            .as_str()
            .map(str::to_owned)
    }

    pub fn displayed(&self, css: &str) -> bool {
        self.on_element(css, "GET", "/displayed", None) == json!(true)
    }

    /// Until `check` holds, for at most `secs` seconds.
    pub fn eventually(&self, secs: u64, what: &str, mut check: impl FnMut(&Browser) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !check(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Light or dark, as the system would ask.
    pub fn color_scheme(&self, scheme: &str) {
        self.session_call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({"cmd": "Emulation.setEmulatedMedia", "params": {
                "features": [{"name": "prefers-color-scheme", "value": scheme}]
            }})),
        );
    }

    pub fn window(&self, width: u32, height: u32) {
        self.session_call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    pub fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let png = self.session_call("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.session.is_empty() {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/browser-failures")
                .join(format!("{}.png", self.name));
            // Not unwinding twice: a browser that died leaves no picture.
            let shot =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.screenshot(&path)));
            if shot.is_ok() {
                eprintln!("screenshot of the failing page: {}", path.display());
            }
        }
        if !self.session.is_empty() {
            let _ = self.try_call("DELETE", &format!("/session/{}", self.session), None);
        }
        // Chromium ends with its session; chromedriver now.
        drop(self.driver.take());
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The path part of a hook's URL, `/wh/<token>`.
fn wh_path(url: &str) -> String {
    format!("/wh/{}", url.trim().rsplit('/').next().unwrap())
}

fn base(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

#[test]
fn typing_in_the_search_box_narrows_the_table() {
    let Some(browser) = Browser::start("search") else {
        return;
    };
    let env = Env::new();
    for name in ["github-push", "stripe-payments", "shopify-orders"] {
        env.hook(name, &[]);
    }
    let ui = UiProcess::start(&env);
    browser.goto(&ui.url("/"));
    assert_eq!(browser.count("table.hooks tbody tr"), 3);
    browser.type_into("#search", "STRIPE");
    browser.eventually(20, "the table to narrow", |b| {
        b.count("table.hooks tbody tr") == 1
    });
    assert_eq!(
        browser.text("table.hooks tbody td[data-col=name]"),
        "stripe-payments"
    );
    // The address keeps the term: a reload shows the same.
    assert!(browser.url().ends_with("/?q=STRIPE"), "{}", browser.url());
}

#[test]
fn the_status_switch_disables_a_hook_and_its_url_answers_410() {
    let Some(browser) = Browser::start("status-switch") else {
        return;
    };
    let env = Env::new();
    let url = env.hook("h", &[]);
    let (server, mut stderr) = ServerProcess::logged(&env, &["--quiet", "--ui", "127.0.0.1:0"]);
    let page = crate::ui::page_address(&mut stderr);
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let path = wh_path(&url);
    assert_eq!(http(server.addr, "POST", &path, &[], b"{}").status, 200);
    browser.goto(&format!("{}/", base(page)));
    let switch = "td[data-col=status] button[role=switch]";
    assert_eq!(
        browser.attribute(switch, "aria-checked").as_deref(),
        Some("true")
    );
    browser.click(switch);
    browser.eventually(20, "the switch to show disabled", |b| {
        b.attribute(switch, "aria-checked").as_deref() == Some("false")
    });
    assert_eq!(env.json(&["hooks", "show", "h"])["enabled"], false);
    // The server sees the change (it reloads its hooks on a change).
    crate::util::eventually(20, "the webhook port to refuse", || {
        http(server.addr, "POST", &path, &[], b"{}").status == 410
    });
    browser.click(switch);
    browser.eventually(20, "the switch to show enabled", |b| {
        b.attribute(switch, "aria-checked").as_deref() == Some("true")
    });
    crate::util::eventually(20, "the webhook port to accept", || {
        http(server.addr, "POST", &path, &[], b"{}").status == 200
    });
    server.terminate();
}

#[test]
fn the_columns_menu_hides_a_column_until_shown_again() {
    let Some(browser) = Browser::start("columns") else {
        return;
    };
    let env = Env::new();
    env.hook("h", &[]);
    let ui = UiProcess::start(&env);
    browser.goto(&ui.url("/"));
    assert!(browser.displayed("th[data-col=url]"));
    assert!(
        !browser.displayed("th[data-col=created]"),
        "not a default column"
    );
    browser.click("#columns-menu summary");
    browser.click("input[data-column=url]");
    browser.click("input[data-column=created]");
    assert!(!browser.displayed("th[data-col=url]"));
    assert!(!browser.displayed("td[data-col=url]"));
    assert!(browser.displayed("td[data-col=created]"));
    browser.refresh();
    assert!(
        !browser.displayed("th[data-col=url]"),
        "hidden after a reload"
    );
    assert!(
        browser.displayed("th[data-col=created]"),
        "shown after a reload"
    );
    browser.click("#columns-menu summary");
    browser.click("input[data-column=url]");
    assert!(browser.displayed("td[data-col=url]"));
}

#[test]
fn an_event_shows_on_its_hooks_open_page_without_a_reload() {
    let Some(browser) = Browser::start("live") else {
        return;
    };
    let env = Env::new();
    let url = env.hook("h", &[]);
    let (server, mut stderr) = ServerProcess::logged(&env, &["--quiet", "--ui", "127.0.0.1:0"]);
    let page = crate::ui::page_address(&mut stderr);
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    browser.goto(&format!("{}/hooks/h", base(page)));
    assert_eq!(browser.count("table.events tbody tr"), 0);
    // Marks this very page: a reload would lose it.
    browser.exec("document.body.dataset.mark = 'same page'", json!([]));
    let reply = http(
        server.addr,
        "POST",
        &wh_path(&url),
        &[("Content-Type", "application/json")],
        br#"{"order": 42}"#,
    );
    assert_eq!(reply.status, 200);
    // The page polls every 500 ms: the event shows within a second (2 s
    // allowed: the brief's bound), without a reload.
    browser.eventually(2, "the event to show", |b| {
        b.count("table.events tbody tr") == 1
    });
    assert_eq!(
        browser.exec("return document.body.dataset.mark", json!([])),
        json!("same page")
    );
    let id = env.json(&["hooks", "events", "h"])[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(browser.text("table.events tbody td a"), format!("#{id}"));
    server.terminate();
}

#[test]
fn an_event_shows_its_json_pretty_and_its_bundle_as_the_cli_prints_it() {
    let Some(browser) = Browser::start("event") else {
        return;
    };
    let env = Env::new();
    env.hook("h", &[]);
    let id = env.enqueue(
        "h",
        Some("application/json"),
        "ref=abc&n=1",
        br#"{"order":{"id":42,"items":["a","b"],"paid":true},"note":"<b>hi</b>"}"#,
    );
    let ui = UiProcess::start(&env);
    browser.goto(&ui.url(&format!("/events/{id}")));
    let tree = browser.text("#json-tree");
    assert!(tree.contains("\"id\": 42"), "{tree}");
    assert!(
        tree.contains("\"note\": \"<b>hi</b>\""),
        "markup as text: {tree}"
    );
    // Folding a node hides its children.
    browser.click("#json-tree .children details > summary");
    assert!(!browser.text("#json-tree").contains("\"paid\""));
    let bundle = env.ok(&["hooks", "payload", &id.to_string(), "--bundle"]);
    assert_eq!(
        browser.exec(
            "return document.getElementById('bundle').textContent",
            json!([])
        ),
        json!(bundle.trim_end())
    );
}

#[test]
fn replay_puts_a_copy_at_the_tail_of_the_queue() {
    let Some(browser) = Browser::start("replay") else {
        return;
    };
    let env = Env::new();
    env.hook("h", &[]);
    let first = env.send("h", r#"{"n":1}"#);
    env.send("h", r#"{"n":2}"#);
    env.ok(&["hooks", "discard", &first.to_string()]);
    let ui = UiProcess::start(&env);
    browser.goto(&ui.url(&format!("/events/{first}")));
    browser.click("form[action$='/replay'] button");
    browser.eventually(20, "the copy's page", |b| {
        !b.url().ends_with(&format!("/events/{first}"))
    });
    let events = env.json(&["hooks", "events", "h"]);
    let copy = &events[0];
    assert_eq!(copy["replay_of"], first);
    assert_eq!(copy["state"], "queued");
    let newest = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .max();
    assert_eq!(copy["id"].as_i64(), newest, "at the tail");
    assert!(browser.url().ends_with(&format!("/events/{}", copy["id"])));
    assert_eq!(
        env.ok(&["hooks", "payload", &copy["id"].to_string()]),
        r#"{"n":1}"#
    );
}

#[test]
fn activate_and_deactivate_change_the_scenario_list() {
    let Some(browser) = Browser::start("scenario") else {
        return;
    };
    let env = Env::new();
    env.hook("h", &[]);
    env.ok(&["scenario", "create", "s", "--hook", "h", "--", "cat"]);
    let ui = UiProcess::start(&env);
    let active = || env.json(&["scenario", "list"])[0]["active"].clone();
    assert_eq!(active(), json!(true));
    browser.goto(&ui.url("/scenarios/s"));
    browser.click("form[action$='/deactivate'] button");
    browser.eventually(20, "the Activate button", |b| {
        b.count("form[action$='/activate'] button") == 1
    });
    assert_eq!(active(), json!(false));
    browser.click("form[action$='/activate'] button");
    browser.eventually(20, "the Deactivate button", |b| {
        b.count("form[action$='/deactivate'] button") == 1
    });
    assert_eq!(active(), json!(true));
}

#[test]
fn the_copy_button_copies_the_hooks_url() {
    let Some(browser) = Browser::start("copy") else {
        return;
    };
    let env = Env::new();
    env.hook("h", &[]);
    let url = env.ok(&["hooks", "url", "h"]);
    let ui = UiProcess::start(&env);
    browser.goto(&ui.url("/"));
    let button = "td[data-col=url] button[data-copy]";
    assert_eq!(
        browser.attribute(button, "data-copy").as_deref(),
        Some(url.trim())
    );
    // The real clipboard, read back with the permission a user would grant.
    browser.session_call(
        "POST",
        "/goog/cdp/execute",
        Some(json!({"cmd": "Browser.grantPermissions", "params": {
            "origin": ui.url(""),
            "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
        }})),
    );
    browser.click(button);
    browser.eventually(20, "the button to say Copied", |b| {
        b.text(button) == "Copied"
    });
    let clipboard = browser.session_call(
        "POST",
        "/execute/async",
        Some(json!({
            "script": "var done = arguments[0]; navigator.clipboard.readText().then(done, function (e) { done('error: ' + e); });",
            "args": [],
        })),
    );
    assert_eq!(clipboard, json!(url.trim()));
}

/// The screenshots of docs/ui.md, each page light and dark (and the table
/// on a phone). Not a check: run it by hand after changing the page,
/// `cargo test --test hookq screenshots_for_the_docs -- --ignored`.
#[test]
#[ignore = "writes docs/ui/*.png; run by hand"]
fn screenshots_for_the_docs() {
    let Some(browser) = Browser::start("screenshots") else {
        return;
    };
    let env = Env::new();
    for (name, kind, secret) in [
        ("github", "github", "ghsecret-4f9a1c2e7b"),
        ("stripe", "stripe", "whsec_9Yv3kQ2mX8pL1sT6"),
    ] {
        let out = env
            .cmd(&[
                "connections",
                "create",
                name,
                "--kind",
                kind,
                "--secret-env",
                "S",
            ])
            .env("S", secret)
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    env.hook("github-push", &["--connection", "github"]);
    env.hook(
        "stripe-payments",
        &["--connection", "stripe", "--rate-limit", "20"],
    );
    env.hook("shopify-orders", &[]);
    env.hook("linear-issues", &[]);
    env.hook("legacy-campaign", &[]);
    env.ok(&["hooks", "disable", "legacy-campaign"]);
    env.ok(&[
        "scenario",
        "create",
        "deploy",
        "--hook",
        "github-push",
        "--",
        "sh",
        "-c",
        "cat >/dev/null; echo deployed main@4f2c1e9",
    ]);
    env.ok(&[
        "scenario",
        "create",
        "billing",
        "--hook",
        "stripe-payments",
        "--",
        "sh",
        "-c",
        "cat >/dev/null; echo invoice marked paid",
    ]);
    env.ok(&["scenario", "deactivate", "deploy"]);
    let payment = |n: u32, kind: &str| {
        format!(
            r#"{{"id":"evt_1Q{n}xA2eZvKYlo2C","object":"event","type":"{kind}","livemode":false,"data":{{"object":{{"id":"pi_3Q{n}","amount":{},"currency":"eur","customer":"cus_R2{n}","metadata":{{"order":"{}"}},"paid":true}}}}}}"#,
            1900 + n * 250,
            4100 + n
        )
    };
    for n in 0..4 {
        env.ok(&[
            "hooks",
            "send",
            "stripe-payments",
            "--content-type",
            "application/json",
            "--data",
            &payment(n, "payment_intent.succeeded"),
        ]);
    }
    env.ok(&["scenario", "run", "billing"]);
    for n in 4..6 {
        env.ok(&[
            "hooks",
            "send",
            "stripe-payments",
            "--content-type",
            "application/json",
            "--data",
            &payment(n, "charge.refunded"),
        ]);
    }
    env.ok(&["hooks", "send", "github-push", "--content-type", "application/json", "--header", "X-GitHub-Event: push", "--data", r#"{"ref":"refs/heads/main","after":"4f2c1e9","pusher":{"name":"ada"},"commits":[{"id":"4f2c1e9","message":"Fix checkout rounding"}]}"#]);
    env.ok(&[
        "hooks",
        "send",
        "shopify-orders",
        "--content-type",
        "application/x-www-form-urlencoded",
        "--data",
        "order_id=1042&total=59.90&currency=EUR",
    ]);
    let event =
        env.json(&["hooks", "events", "stripe-payments", "--state", "done"])[0]["id"].clone();
    let ui = UiProcess::start(&env);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ui");
    let pages = [
        ("webhooks", "/".to_owned()),
        ("hook", "/hooks/stripe-payments".into()),
        ("event", format!("/events/{event}")),
        ("scenario", "/scenarios/billing".into()),
        ("connections", "/connections".into()),
        ("sweep", "/sweep".into()),
    ];
    browser.window(1280, 800);
    for scheme in ["light", "dark"] {
        browser.color_scheme(scheme);
        for (name, path) in &pages {
            browser.goto(&ui.url(path));
            assert_eq!(ui.get(path).status, 200, "{path}");
            browser.screenshot(&dir.join(format!("{name}-{scheme}.png")));
        }
    }
    // The sweep forty days on, when it has something to do.
    let later = Command::new("date")
        .args(["-u", "-d", "+40 days", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    let later = String::from_utf8(later.stdout).unwrap();
    let ui_later = UiProcess::start_with(&env, &[], |c| {
        c.env("HOOKQ_NOW", later.trim());
    });
    for scheme in ["light", "dark"] {
        browser.color_scheme(scheme);
        browser.goto(&ui_later.url("/sweep"));
        browser.screenshot(&dir.join(format!("sweep-{scheme}.png")));
    }
    browser.color_scheme("light");
    browser.window(390, 844);
    browser.goto(&ui.url("/"));
    browser.screenshot(&dir.join("webhooks-phone.png"));
}
