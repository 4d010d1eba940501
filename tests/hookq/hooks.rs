//! `hookq hooks create|list|show|url|enable|disable|edit|delete`.

use serde_json::{json, Value};

use crate::util::Env;

const NOW: &str = "2026-11-29T12:00:00Z";

fn token_of(url: &str) -> &str {
    url.trim().rsplit('/').next().unwrap()
}

#[test]
fn create_prints_a_url_with_a_fresh_token() {
    let env = Env::new();
    let url = env.ok(&["hooks", "create", "github-push"]);
    let token = token_of(&url);
    assert!(url.starts_with("http://127.0.0.1:8080/wh/"), "{url}");
    assert_eq!(token.len(), 32);
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let other = env.ok(&["hooks", "create", "other"]);
    assert_ne!(token_of(&other), token);
    assert_eq!(env.ok(&["hooks", "url", "github-push"]), url);
    assert_eq!(
        env.ok(&["hooks", "url", token]),
        url,
        "a hook is addressed by its token too"
    );
    let json = env.json(&["hooks", "url", "github-push"]);
    assert_eq!(json["name"], "github-push");
    assert_eq!(json["url"], url.trim());
}

#[test]
fn base_url_comes_from_the_flag_or_the_environment() {
    let env = Env::new();
    env.ok(&["hooks", "create", "a"]);
    let url = env.ok(&[
        "hooks",
        "url",
        "a",
        "--base-url",
        "https://hooks.example.test/",
    ]);
    assert!(url.starts_with("https://hooks.example.test/wh/"), "{url}");
    let out = env
        .cmd(&["hooks", "url", "a"])
        .env("HOOKQ_BASE_URL", "http://tunnel.test:9000")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("http://tunnel.test:9000/wh/"));
}

#[test]
fn create_json_is_the_hook_object_with_the_clock_of_hookq_now() {
    let mut env = Env::new();
    env.at(NOW);
    let hook = env.json(&["hooks", "create", "orders"]);
    let token = hook["token"].as_str().unwrap().to_owned();
    assert_eq!(
        hook,
        json!({
            "name": "orders",
            "token": token,
            "url": format!("http://127.0.0.1:8080/wh/{token}"),
            "enabled": true,
            "queue": 0,
            "expired": false,
            "scenario": null,
            "connection": null,
            "created_at": NOW,
            "last_event_at": null,
            "disabled_at": null,
            "rate_limit": 5,
            "burst": 50,
            "queue_limit": 10000,
            "max_body": 5242880,
            "operations": 0,
        })
    );
}

#[test]
fn list_json_has_exactly_the_fields_of_the_spec() {
    let env = Env::new();
    env.ok(&["hooks", "create", "b"]);
    env.ok(&["hooks", "create", "a"]);
    let list = env.json(&["hooks", "list", "--columns", "name"]);
    let hooks = list.as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0]["name"], "a", "sorted by name");
    let mut keys: Vec<&str> = hooks[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "burst",
            "connection",
            "created_at",
            "disabled_at",
            "enabled",
            "expired",
            "last_event_at",
            "max_body",
            "name",
            "operations",
            "queue",
            "queue_limit",
            "rate_limit",
            "scenario",
            "token",
            "url"
        ]
    );
}

#[test]
fn list_table_shows_the_default_columns() {
    let env = Env::new();
    env.ok(&["hooks", "create", "alpha"]);
    let out = env.ok(&["hooks", "list"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "NAME",
            "URL",
            "STATUS",
            "QUEUE",
            "EXPIRED",
            "SCENARIO",
            "CONNECTION"
        ]
    );
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row[0], "alpha");
    assert!(row[1].contains("/wh/"));
    assert_eq!(&row[2..], ["enabled", "0", "no", "-", "-"]);
}

#[test]
fn columns_chooses_and_orders_the_columns() {
    let env = Env::new();
    env.ok(&["hooks", "create", "alpha", "--rate-limit", "0"]);
    let out = env.ok(&["hooks", "list", "--columns", "rate_limit,name,ops,status"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["RATE_LIMIT", "NAME", "OPS", "STATUS"]);
    assert_eq!(lines[1], ["unlimited", "alpha", "0", "enabled"]);
}

#[test]
fn unknown_column_is_a_usage_error_listing_the_valid_ones() {
    let env = Env::new();
    let err = env.fails(&["hooks", "list", "--columns", "name,colour"], 2);
    assert!(err.contains("unknown column \"colour\""), "{err}");
    assert!(err.contains("last_event"), "lists the valid columns: {err}");
}

#[test]
fn search_matches_name_and_token_in_any_case() {
    let env = Env::new();
    env.ok(&["hooks", "create", "Stripe-Payments"]);
    let url = env.ok(&["hooks", "create", "github"]);
    let names = |term: &str| -> Vec<String> {
        env.json(&["hooks", "list", "--search", term])
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("stripe"), ["Stripe-Payments"]);
    assert_eq!(names("PAYMENTS"), ["Stripe-Payments"]);
    assert_eq!(names(&token_of(&url)[5..15]), ["github"]);
    assert!(names("nothing-like-this").is_empty());
    assert_eq!(names("").len(), 2);
}

/// The names `hooks list --json ARGS` shows, in order.
fn listed(env: &Env, args: &[&str]) -> Vec<String> {
    let mut argv = vec!["hooks", "list"];
    argv.extend_from_slice(args);
    env.json(&argv)
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn search_matches_scenario_connection_and_url_too() {
    let env = Env::new();
    env.ok(&[
        "connections",
        "create",
        "Vault-Key",
        "--kind",
        "api-key",
        "--generate",
    ]);
    env.ok(&["hooks", "create", "a", "--connection", "Vault-Key"]);
    env.ok(&["hooks", "create", "b"]);
    env.ok(&[
        "scenario",
        "create",
        "Nightly-Import",
        "--hook",
        "b",
        "--",
        "true",
    ]);
    let url = env.ok(&["hooks", "create", "c"]);
    assert_eq!(listed(&env, &["--search", "vault-k"]), ["a"]);
    assert_eq!(listed(&env, &["--search", "NIGHTLY-imp"]), ["b"]);
    // Across the path and the token: only the URL holds that.
    let in_url = format!("WH/{}", &token_of(&url)[..6]);
    assert_eq!(listed(&env, &["--search", &in_url]), ["c"]);
    // The base URL is part of it too, whichever it is.
    assert_eq!(
        listed(
            &env,
            &[
                "--search",
                "TUNNEL.example",
                "--base-url",
                "https://tunnel.example.test"
            ]
        ),
        ["a", "b", "c"]
    );
    assert!(listed(&env, &["--search", "tunnel.example"]).is_empty());
    // The table filters the same way.
    let table = env.ok(&["hooks", "list", "--search", "nightly"]);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{table}");
    assert!(rows[0].starts_with("b "), "{table}");
    assert!(rows[0].contains("Nightly-Import"), "{table}");
}

#[test]
fn a_hook_is_named_by_its_token_wherever_a_name_is_taken() {
    let env = Env::new();
    let url = env.ok(&["hooks", "create", "orders"]);
    env.ok(&["hooks", "create", "other"]);
    let token = token_of(&url).to_owned();
    let t = token.as_str();
    let enabled = |name: &str| env.json(&["hooks", "show", name])["enabled"].clone();

    assert_eq!(env.json(&["hooks", "show", t])["name"], "orders");
    env.ok(&["hooks", "disable", t]);
    assert_eq!(
        (enabled("orders"), enabled("other")),
        (json!(false), json!(true))
    );
    env.ok(&["hooks", "enable", t]);
    assert_eq!(enabled("orders"), true);
    env.ok(&["hooks", "edit", t, "--queue-limit", "7"]);
    assert_eq!(env.json(&["hooks", "show", "orders"])["queue_limit"], 7);

    let sent = env.ok(&["hooks", "send", t, "--data", "x"]);
    let sent: i64 = sent.trim().parse().unwrap();
    let events = env.json(&["hooks", "events", t]);
    assert_eq!(
        (events[0]["id"].as_i64(), events[0]["hook"].clone()),
        (Some(sent), json!("orders"))
    );
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        t,
        "--schedule",
        "on-demand",
        "--",
        "true",
    ]);
    assert_eq!(env.json(&["scenario", "show", "s"])["hook"], "orders");
    env.ok(&["scenario", "run", "s"]);
    assert_eq!(env.json(&["hooks", "ops", t])[0]["event_id"], sent);
    let copy: i64 = env
        .ok(&["hooks", "replay", t, "--event", &sent.to_string()])
        .trim()
        .parse()
        .unwrap();
    let queued = env.json(&["hooks", "events", "orders", "--state", "queued"]);
    assert_eq!(queued[0]["id"], copy);
    let err = env.fails(&["hooks", "delete", t], 3);
    assert!(
        err.contains("hook \"orders\" is used by scenario \"s\""),
        "{err}"
    );
    env.ok(&["scenario", "delete", "s"]);
    env.ok(&["hooks", "delete", t]);
    assert_eq!(listed(&env, &[]), ["other"]);
}

#[test]
fn list_shows_a_hook_expired_after_120_hours_without_scenario_or_event() {
    let mut env = Env::new();
    env.at("2026-01-01T00:00:00Z");
    for name in ["fed", "idle", "used"] {
        env.ok(&["hooks", "create", name]);
    }
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "used",
        "--inactive",
        "--",
        "true",
    ]);
    env.at("2026-01-03T00:00:00Z");
    env.ok(&["hooks", "send", "fed", "--data", "x"]);
    // (name, expired) of each hook, from `--json` and from the table.
    let expired = |env: &Env| -> Vec<(String, String)> {
        env.json(&["hooks", "list"])
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let expired = if h["expired"].as_bool().unwrap() {
                    "yes"
                } else {
                    "no"
                };
                (h["name"].as_str().unwrap().to_owned(), expired.to_owned())
            })
            .collect()
    };
    let table = |env: &Env| -> Vec<(String, String)> {
        env.ok(&["hooks", "list", "--columns", "name,expired"])
            .lines()
            .skip(1)
            .map(|l| {
                let cells: Vec<&str> = l.split_whitespace().collect();
                (cells[0].to_owned(), cells[1].to_owned())
            })
            .collect()
    };
    let rows = |expected: [(&str, &str); 3]| -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(n, e)| (n.to_string(), e.to_string()))
            .collect()
    };

    env.at("2026-01-05T23:59:59Z");
    let none = rows([("fed", "no"), ("idle", "no"), ("used", "no")]);
    assert_eq!((expired(&env), table(&env)), (none.clone(), none));
    // 120 hours without a scenario or an event: idle. fed had an event two
    // days after, used has a scenario (inactive, but there).
    env.at("2026-01-06T00:00:00Z");
    let idle = rows([("fed", "no"), ("idle", "yes"), ("used", "no")]);
    assert_eq!((expired(&env), table(&env)), (idle.clone(), idle));
    env.at("2026-01-08T00:00:00Z");
    let both = rows([("fed", "yes"), ("idle", "yes"), ("used", "no")]);
    assert_eq!((expired(&env), table(&env)), (both.clone(), both));
    // An event revives it.
    env.ok(&["hooks", "send", "idle", "--data", "x"]);
    let fed = rows([("fed", "yes"), ("idle", "no"), ("used", "no")]);
    assert_eq!((expired(&env), table(&env)), (fed.clone(), fed));
}

#[test]
fn disable_and_enable_change_the_status() {
    let mut env = Env::new();
    env.at(NOW);
    env.ok(&["hooks", "create", "a"]);
    env.ok(&["hooks", "disable", "a"]);
    let hook = &env.json(&["hooks", "list"])[0];
    assert_eq!(hook["enabled"], false);
    assert_eq!(hook["disabled_at"], NOW);
    let shown = env.json(&["hooks", "show", "a"]);
    assert_eq!(shown["disabled_reason"], "disabled by hand");
    env.ok(&["hooks", "enable", "a"]);
    let hook = &env.json(&["hooks", "list"])[0];
    assert_eq!(hook["enabled"], true);
    assert_eq!(hook["disabled_at"], Value::Null);
}

#[test]
fn edit_changes_only_what_is_given() {
    let env = Env::new();
    env.ok(&[
        "hooks",
        "create",
        "a",
        "--method",
        "post",
        "--allow-ip",
        "10.0.0.0/8",
    ]);
    env.ok(&[
        "hooks",
        "edit",
        "a",
        "--rate-limit",
        "20",
        "--max-body",
        "512KiB",
    ]);
    let hook = env.json(&["hooks", "show", "a"]);
    assert_eq!(hook["rate_limit"], 20);
    assert_eq!(hook["max_body"], 524288);
    assert_eq!(hook["queue_limit"], 10000);
    assert_eq!(hook["methods"], json!(["POST"]));
    assert_eq!(hook["allow_ip"], json!(["10.0.0.0/8"]));
    env.ok(&[
        "hooks",
        "edit",
        "a",
        "--any-ip",
        "--any-method",
        "--json-passthrough",
    ]);
    let hook = env.json(&["hooks", "show", "a"]);
    assert_eq!(hook["methods"], json!([]));
    assert_eq!(hook["allow_ip"], json!([]));
    assert_eq!(hook["json_passthrough"], true);
}

#[test]
fn delete_removes_the_hook() {
    let env = Env::new();
    env.ok(&["hooks", "create", "a"]);
    env.ok(&["hooks", "delete", "a"]);
    assert_eq!(env.json(&["hooks", "list"]), json!([]));
    env.fails(&["hooks", "show", "a"], 3);
}

#[test]
fn a_hook_with_a_long_history_is_deleted_in_short_steps() {
    let env = Env::new();
    env.ok(&["hooks", "create", "a", "--queue-limit", "100000"]);
    env.ok(&["hooks", "create", "b"]);
    let kept = env.enqueue("b", None, "", b"b");
    env.enqueue_at("a", "2026-11-01T00:00:00Z", 2_500, b"a");
    let mut store = env.store();
    let hook = store.hook("a").unwrap();
    // One transaction per step: 1,000 events, 1,000, then the last 500 and
    // the hook. Each holds the write lock briefly, whatever the history.
    let steps: Vec<Option<u64>> = (0..3)
        .map(|_| store.delete_hook_step(&hook, 1_000).unwrap())
        .collect();
    assert_eq!(steps, [Some(1_000), Some(1_000), None]);
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM events"), 1);
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM payloads"), 1);
    assert_eq!(env.state(kept), "queued");
    env.fails(&["hooks", "show", "a"], 3);
    // The command does the same, paced as the sweep is.
    env.enqueue_at("b", "2026-11-01T00:00:00Z", 2_500, b"b");
    env.ok(&["hooks", "delete", "b"]);
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM events"), 0);
    assert_eq!(env.json(&["hooks", "list"]), json!([]));
}

#[test]
fn show_prints_settings_for_people() {
    let env = Env::new();
    env.ok(&[
        "hooks",
        "create",
        "a",
        "--queue-limit",
        "7",
        "--method",
        "PUT",
    ]);
    let out = env.ok(&["hooks", "show", "a"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("queue") && l.ends_with("0 of 7")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("methods") && l.ends_with("PUT")),
        "{out}"
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = Env::new();
    let url = env.ok(&["hooks", "create", "taken"]);
    let token = token_of(&url).to_owned();
    let long = "x".repeat(65);
    let cases: &[(&[&str], i32, &str)] = &[
        (&["hooks", "create", "taken"], 2, "already exists"),
        (&["hooks", "create", ""], 2, "cannot be empty"),
        (&["hooks", "create", "two words"], 2, "whitespace"),
        (&["hooks", "create", &long], 2, "longer than 64"),
        (&["hooks", "create", &token], 2, "is the token of hook"),
        (
            &["hooks", "create", "x", "--allow-ip", "10.0.0.0/33"],
            2,
            "invalid address range",
        ),
        (
            &["hooks", "create", "x", "--method", "PO ST"],
            2,
            "invalid HTTP method",
        ),
        (
            &["hooks", "create", "x", "--max-body", "5 parsecs"],
            2,
            "invalid size",
        ),
        (
            &["hooks", "create", "x", "--rate-limit", "-1"],
            2,
            // A bad value, not taken for a flag.
            "invalid value '-1' for '--rate-limit <N>'",
        ),
        (
            &["hooks", "create", "x", "--rate-limit=-1"],
            2,
            "invalid value '-1' for '--rate-limit <N>'",
        ),
        (
            &["hooks", "create", "x", "--rate-limit", "fast"],
            2,
            "invalid value",
        ),
        (
            &["hooks", "create", "x", "--queue-limit", "0"],
            2,
            "invalid value '0' for '--queue-limit <N>'",
        ),
        (
            &["hooks", "edit", "nope", "--rate-limit", "1"],
            3,
            "no hook named \"nope\"",
        ),
        (&["hooks", "show", "nope"], 3, "no hook named"),
        (
            &["hooks"],
            2,
            "'hookq hooks' needs a subcommand: create, list, show",
        ),
        (&["hooks", "enable", "nope"], 3, "no hook named"),
        (&["hooks", "delete", "nope"], 3, "no hook named"),
    ];
    let before = env.ok(&["hooks", "list", "--json"]);
    for (args, code, message) in cases {
        let err = env.fails(args, *code);
        assert!(err.contains(message), "{args:?}: {err}");
        // One line `hookq: ...`, then at most a hint (SPEC §9), clap's
        // errors included.
        let lines: Vec<&str> = err.lines().collect();
        assert!(lines[0].starts_with("hookq: "), "{args:?}: {err}");
        assert!(
            lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
            "{args:?}: {err}"
        );
    }
    assert_eq!(
        env.ok(&["hooks", "list", "--json"]),
        before,
        "nothing changed"
    );
}
