//! The shared test harness: a temporary directory with a database, and
//! helpers that run the real binary against it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_hookq");

pub struct Env {
    pub dir: TempDir,
    pub db: PathBuf,
    now: Option<String>,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("hookq.db");
        Env { dir, db, now: None }
    }

    /// Run every later command as if it were this time (`HOOKQ_NOW`).
    pub fn at(&mut self, now: &str) -> &mut Env {
        self.now = Some(now.to_owned());
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `hookq` command on this database, isolated from the caller's env.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("HOOKQ_DB", &self.db)
            .env_remove("HOOKQ_BASE_URL")
            .env_remove("HOOKQ_LISTEN")
            .env_remove("HOOKQ_NOW")
            .stdin(Stdio::null());
        if let Some(now) = &self.now {
            cmd.env("HOOKQ_NOW", now);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run hookq")
    }

    /// Run, require exit 0, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "hookq {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Run, require this exit code, return stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "hookq {args:?}: wrong exit code\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).expect("utf-8 stderr")
    }

    /// Run with `--json`, require exit 0, parse stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        let out = self.ok(&args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: invalid JSON {e}: {out}"))
    }

    /// A raw SQL query on the database, for checks no command shows.
    pub fn sql_count(&self, sql: &str) -> i64 {
        let conn = rusqlite_like::open(&self.db);
        rusqlite_like::count(&conn, sql)
    }
}

/// Tests look inside the database with the sqlite3 shell's equivalent: a
/// read-only connection through the library's own store.
mod rusqlite_like {
    use std::path::Path;

    pub fn open(path: &Path) -> hookq::store::Store {
        hookq::store::Store::open(path).expect("open store")
    }

    pub fn count(store: &hookq::store::Store, sql: &str) -> i64 {
        store
            .conn()
            .query_row(sql, [], |row| row.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}
