//! The database file: where it lives, who may read it, what it refuses.

use std::os::unix::fs::PermissionsExt;

use crate::util::Env;

#[test]
fn creates_a_private_file_in_a_private_directory() {
    let env = Env::new();
    let db = env.path().join("new/sub/hookq.db");
    let out = env
        .cmd(&["hooks", "create", "a"])
        .env("HOOKQ_DB", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&env.path().join("new/sub")), 0o700);
    assert_eq!(mode(&env.path().join("new")), 0o700);
}

#[test]
fn db_flag_overrides_the_environment() {
    let env = Env::new();
    let other = env.path().join("other.db");
    env.ok(&["hooks", "create", "b"]);
    env.ok(&["hooks", "create", "a", "--db", other.to_str().unwrap()]);
    assert!(other.exists());
    assert_eq!(env.json(&["hooks", "list"])[0]["name"], "b");
    assert_eq!(env.json(&["hooks", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_naming_it() {
    let env = Env::new();
    if env.skip_on_postgres("a file that is not SQLite") {
        return;
    }
    std::fs::write(&env.db, vec![b'x'; 4096]).unwrap();
    let err = env.fails(&["hooks", "list"], 1);
    assert!(err.starts_with("hookq: could not open database "), "{err}");
    assert!(err.contains(env.db.to_str().unwrap()), "{err}");
    assert_eq!(
        std::fs::read(&env.db).unwrap(),
        vec![b'x'; 4096],
        "file untouched"
    );
}

#[test]
fn a_directory_that_cannot_be_created_is_an_error_naming_it() {
    let env = Env::new();
    std::fs::write(env.path().join("plainfile"), "").unwrap();
    let db = env.path().join("plainfile/sub/hookq.db");
    let out = env
        .cmd(&["hooks", "create", "a"])
        .env("HOOKQ_DB", &db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not create directory"), "{err}");
    assert!(err.contains("plainfile/sub"), "{err}");
}

#[test]
fn opening_twice_keeps_the_schema_and_data() {
    let env = Env::new();
    if env.skip_on_postgres("SQLite's user_version") {
        return;
    }
    env.ok(&["hooks", "create", "a"]);
    let version = env.sql_count("PRAGMA user_version");
    assert!(version >= 1, "migrated: schema version {version}");
    env.ok(&["hooks", "list"]);
    assert_eq!(env.sql_count("PRAGMA user_version"), version);
    assert_eq!(env.sql_count("SELECT COUNT(*) FROM hooks"), 1);
}

#[test]
fn the_store_is_in_wal_mode() {
    let env = Env::new();
    if env.skip_on_postgres("SQLite's journal mode") {
        return;
    }
    env.ok(&["hooks", "create", "a"]);
    // The journal mode is kept in the file; `synchronous` belongs to each
    // connection (src/store/mod.rs tests it on the store's own).
    let header = std::fs::read(&env.db).unwrap();
    assert_eq!(
        (header[18], header[19]),
        (2, 2),
        "WAL read and write versions"
    );
}

/// A state or setting this binary does not know (a newer hookq wrote it,
/// or a hand edit) is an error naming it: read as some default, an unknown
/// schedule would silently stop a scenario, an unknown state hide an event.
#[test]
fn an_unknown_state_or_setting_in_the_file_is_an_error_naming_it() {
    let env = Env::new();
    env.hook("h", &[]);
    let event = env.send("h", "x");
    env.ok(&[
        "scenario",
        "create",
        "s",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--",
        "true",
    ]);
    // The CHECKs would refuse the value (a newer schema might not): SQLite
    // lets a connection ignore them, PostgreSQL's are dropped.
    if env.on_postgres() {
        env.sql_write(
            "ALTER TABLE events DROP CONSTRAINT events_state_check;
             ALTER TABLE executions DROP CONSTRAINT executions_status_check;
             ALTER TABLE operations DROP CONSTRAINT operations_status_check",
        );
    }
    let edit = |sql: &str| {
        if env.on_postgres() {
            env.sql_write(sql);
            return;
        }
        let conn = env.sqlite_file();
        conn.execute_batch(&format!("PRAGMA ignore_check_constraints = ON; {sql}"))
            .unwrap();
    };

    edit(&format!(
        "UPDATE events SET state = 'paused' WHERE id = {event}"
    ));
    let err = env.fails(&["hooks", "events", "h"], 1);
    assert!(err.contains("invalid state \"paused\""), "{err}");
    edit(&format!(
        "UPDATE events SET state = 'queued' WHERE id = {event}"
    ));
    env.ok(&["hooks", "events", "h"]);

    for (column, value) in [
        ("schedule", "weekly"),
        ("input", "stdin"),
        ("respond", "body"),
    ] {
        edit(&format!("UPDATE scenarios SET {column} = '{value}'"));
        let err = env.fails(&["scenario", "list"], 1);
        assert!(err.contains(&format!("\"{value}\"")), "{column}: {err}");
        let err = env.fails(&["scenario", "run", "s"], 1);
        assert!(err.contains(&format!("\"{value}\"")), "{column}: {err}");
        assert_eq!(env.state(event), "queued", "{column}: nothing ran");
        edit("UPDATE scenarios SET schedule = 'on-demand', input = 'raw', respond = NULL");
    }

    env.ok(&["scenario", "run", "s"]);
    edit("UPDATE executions SET status = 'skipped'; UPDATE operations SET status = 'skipped'");
    let err = env.fails(&["scenario", "runs", "s"], 1);
    assert!(
        err.contains("invalid execution status \"skipped\""),
        "{err}"
    );
    let err = env.fails(&["hooks", "ops", "h"], 1);
    assert!(
        err.contains("invalid operation status \"skipped\""),
        "{err}"
    );
}

/// A setting kept as JSON text that this hookq cannot read (a newer
/// hookq's, or a hand edit) stops the command that needs it, naming the
/// column: an allow-list read as empty used to let every address in.
#[test]
fn an_unreadable_list_setting_is_an_error_not_an_open_door() {
    let env = Env::new();
    env.hook("h", &["--allow-ip", "10.0.0.0/8"]);
    let edit = |sql: &str| {
        env.sql_write(sql);
    };

    for (sql, column) in [
        (
            "UPDATE hooks SET allow_ips = '[\"10.0.0.0/99\"]'",
            "allow_ips",
        ),
        (
            "UPDATE hooks SET allow_ips = 'ten slash eight'",
            "allow_ips",
        ),
        ("UPDATE hooks SET methods = '{\"POST\": 1}'", "methods"),
    ] {
        edit(sql);
        let err = env.fails(&["hooks", "show", "h"], 1);
        assert!(err.contains(&format!("column {column}")), "{sql}: {err}");
        let err = env.fails(&["hooks", "serve", "--listen", "127.0.0.1:0"], 1);
        assert!(err.contains(&format!("column {column}")), "{sql}: {err}");
        edit("UPDATE hooks SET allow_ips = '[\"10.0.0.0/8\"]', methods = '[]'");
    }
    env.ok(&["hooks", "show", "h"]);

    // A forwarding scenario's target, unreadable, is not a command with
    // no arguments.
    env.ok(&[
        "scenario",
        "create",
        "fwd",
        "--hook",
        "h",
        "--schedule",
        "on-demand",
        "--forward",
        "http://127.0.0.1:9/",
    ]);
    edit("UPDATE scenarios SET forward = '{\"url\": 7}'");
    let err = env.fails(&["scenario", "list"], 1);
    assert!(err.contains("column forward"), "{err}");
}

/// `--db postgres://...` names a PostgreSQL store, not a file: no file is
/// created at a path that looks like the URL, a server that is not there
/// is a clear error, and the message never shows the password.
#[test]
fn a_postgres_url_is_a_store_not_a_file_and_its_password_never_shows() {
    let env = Env::new();
    // Port 1 of loopback: nothing listens there.
    for url in [
        "postgres://ann:s3cret@127.0.0.1:1/hq",
        "postgresql://ann@127.0.0.1:1/hq?password=s3cret",
    ] {
        let out = env
            .cmd(&["hooks", "list"])
            .env("HOOKQ_DB", url)
            .current_dir(env.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("could not connect to ") && stderr.contains("://ann@127.0.0.1:1/hq"),
            "{stderr}"
        );
        assert!(!stderr.contains("s3cret"), "{stderr}");
    }
    let left: Vec<_> = std::fs::read_dir(env.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing created: {left:?}");
}
