//! The test switch (docs/scaling.md §6): with `HOOKQ_TEST_PG` set to a
//! cluster's URL, every [`crate::util::Env`] gets a database of its own on
//! that cluster, made from a template migrated once per test process and
//! dropped with the `Env`; unset, the suite runs on SQLite.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use postgres::types::Type;
use postgres::{Client, NoTls, SimpleQueryMessage};

use crate::util::Cell;

/// The cluster's URL, when the suite runs on PostgreSQL.
pub fn cluster() -> Option<String> {
    std::env::var("HOOKQ_TEST_PG")
        .ok()
        .filter(|url| !url.is_empty())
}

/// The cluster of a test that only means something on PostgreSQL:
/// `None` (the test skips, with a line on stderr) without `HOOKQ_TEST_PG`,
/// and a failure then under `HOOKQ_CI=1`, where PostgreSQL must be there
/// (.ci/run skips these tests by name in its SQLite run).
pub fn required(test: &str) -> Option<String> {
    let cluster = cluster();
    if cluster.is_none() {
        assert_ne!(
            std::env::var("HOOKQ_CI").as_deref(),
            Ok("1"),
            "{test} needs PostgreSQL: set HOOKQ_TEST_PG (HOOKQ_CI=1 is set)"
        );
        eprintln!("skipped: {test} needs PostgreSQL (set HOOKQ_TEST_PG to a cluster's URL)");
    }
    cluster
}

/// `url` with another database name.
pub fn with_dbname(url: &str, dbname: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let head = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{head}/{dbname}?{q}"),
        None => format!("{head}/{dbname}"),
    }
}

/// The tests' SQL is SQLite's; the few spellings PostgreSQL spells
/// otherwise are translated here (bodies are `bytea`).
pub fn portable(sql: &str) -> String {
    let mut sql = sql.replace("instr(", "0 < strpos(");
    for column in ["p.body", "body"] {
        sql = sql
            .replace(
                &format!("CAST({column} AS TEXT)"),
                &format!("encode({column}, 'escape')"),
            )
            .replace(
                &format!("hex({column})"),
                &format!("encode({column}, 'hex')"),
            );
    }
    sql
}

pub fn connect(url: &str) -> Client {
    Client::connect(url, NoTls).unwrap_or_else(|e| panic!("connect to the test cluster: {e}"))
}

/// The migrated template of this test process on a cluster: made once, by
/// hookq itself.
fn template(cluster: &str) -> String {
    static TEMPLATES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let mut templates = TEMPLATES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    templates
        .entry(cluster.to_owned())
        .or_insert_with(|| {
            let name = format!("hookq_tmpl_{}", std::process::id());
            let mut admin = connect(cluster);
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            let location =
                hookq::store::Location::parse(std::ffi::OsStr::new(&with_dbname(cluster, &name)));
            drop(hookq::store::open(&location, hookq::store::Access::Create).expect("migrate"));
            name
        })
        .clone()
}

/// One test's database, dropped with it.
pub struct TestDb {
    cluster: String,
    name: String,
    pub url: String,
}

impl TestDb {
    pub fn new(cluster: String) -> TestDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let template = template(&cluster);
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        connect(&cluster)
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .unwrap_or_else(|e| panic!("create {name}: {e}"));
        let url = with_dbname(&cluster, &name);
        TestDb { cluster, name, url }
    }

    /// The value of the first column of the first row, as a number
    /// (booleans as 0 and 1).
    pub fn count(&self, sql: &str) -> i64 {
        let row = connect(&self.url)
            .query_one(&portable(sql), &[])
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        if let Ok(n) = row.try_get::<_, i64>(0) {
            n
        } else if let Ok(n) = row.try_get::<_, i32>(0) {
            i64::from(n)
        } else if let Ok(b) = row.try_get::<_, bool>(0) {
            i64::from(b)
        } else {
            let n: Option<i64> = row.try_get(0).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
            n.unwrap_or_else(|| panic!("{sql}: NULL"))
        }
    }

    /// Run statements; the rows the last one changed.
    pub fn write(&self, sql: &str) -> u64 {
        let messages = connect(&self.url)
            .simple_query(&portable(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        messages
            .iter()
            .rev()
            .find_map(|m| match m {
                SimpleQueryMessage::CommandComplete(n) => Some(*n),
                _ => None,
            })
            .unwrap_or(0)
    }

    /// Every row of a query, its values as the SQLite helpers give them
    /// (booleans as integers).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Cell>> {
        let rows = connect(&self.url)
            .query(&portable(sql), &[])
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let kind = row.columns()[i].type_().clone();
                        let cell = match kind {
                            Type::INT8 => row.get::<_, Option<i64>>(i).map(Cell::Int),
                            Type::INT4 => row.get::<_, Option<i32>>(i).map(|n| Cell::Int(n.into())),
                            Type::INT2 => row.get::<_, Option<i16>>(i).map(|n| Cell::Int(n.into())),
                            Type::BOOL => {
                                row.get::<_, Option<bool>>(i).map(|b| Cell::Int(b.into()))
                            }
                            Type::FLOAT8 => row.get::<_, Option<f64>>(i).map(Cell::Real),
                            Type::BYTEA => row.get::<_, Option<Vec<u8>>>(i).map(Cell::Bytes),
                            _ => row.get::<_, Option<String>>(i).map(Cell::Text),
                        };
                        cell.unwrap_or(Cell::Null)
                    })
                    .collect()
            })
            .collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.cluster, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
