//! Test databases: a fresh one per test, dropped when its [`TestDatabase`] is
//! dropped (whether the test passed or panicked), and the ones killed runs
//! left behind swept once per test binary.

use std::io::Write;
use std::sync::Once;
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};

/// Every test database's name starts with this; the sweep looks for it.
const PREFIX: &str = "logward_test_";

/// A database younger than this is never swept: a concurrent run may have
/// just made it and not connected yet, and the CLI tests leave theirs without
/// a session between two commands.
const SWEEP_MIN_AGE: &str = "10 minutes";

/// How long a drop may take before the test gives up on it (and says so).
const DROP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the sweep may take (it may find hundreds after many killed runs).
const SWEEP_TIMEOUT: Duration = Duration::from_secs(300);

pub fn base_database_url() -> String {
    std::env::var("LOGWARD_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of its own for one test, dropped with this value.
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// A fresh, empty database, gone again when the returned value is dropped.
pub async fn fresh_database() -> TestDatabase {
    static SWEPT: Once = Once::new();
    SWEPT.call_once(|| {
        if let Err(e) = on_own_runtime(SWEEP_TIMEOUT, sweep_stale()) {
            say(&format!("stale ones not swept: {e}"));
        }
    });
    let base = base_database_url();
    let name = format!("{PREFIX}{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&base)
        .await
        .expect("connect to Postgres (is it running?)");
    conn.execute(sqlx::AssertSqlSafe(format!("create database {}", quoted(&name))))
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    TestDatabase {
        url: format!("{prefix}/{name}"),
        name,
    }
}

impl Drop for TestDatabase {
    /// `drop` cannot await, and the runtime calling it is the test's own,
    /// blocked here: the drop runs on a thread with a runtime of its own, and
    /// the test waits for it, so nothing is left for a process exit to cut
    /// short. FORCE ends the sessions still open on it: the gateway's pool,
    /// the test's pool, a `logward` child process.
    fn drop(&mut self) {
        let sql = format!("drop database if exists {} with (force)", quoted(&self.name));
        let dropped = on_own_runtime(DROP_TIMEOUT, async move {
            let mut conn = PgConnection::connect(&base_database_url())
                .await
                .map_err(|e| e.to_string())?;
            conn.execute(sqlx::AssertSqlSafe(sql))
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        });
        if let Err(e) = dropped {
            // Never panic here: this may run while a failing test unwinds.
            say(&format!("{} not dropped: {e}", self.name));
        }
    }
}

/// Drops the `logward_test_*` databases that killed runs left, once they are
/// old enough. Without FORCE, so one that any session still uses (a test of
/// a run going on at the same time) is refused and stays.
async fn sweep_stale() -> Result<(), String> {
    let mut conn = PgConnection::connect(&base_database_url())
        .await
        .map_err(|e| e.to_string())?;
    // pg_database keeps no creation time; PG_VERSION is written when the
    // database is made and never changed. (Needs superuser or
    // pg_read_server_files; without them nothing is swept.)
    let stale: Vec<String> = sqlx::query_scalar(
        "select datname from pg_database d
         where starts_with(datname, $1)
           and (pg_stat_file('base/' || d.oid || '/PG_VERSION', true)).modification < now() - $2::interval",
    )
    .bind(PREFIX)
    .bind(SWEEP_MIN_AGE)
    .fetch_all(&mut conn)
    .await
    .map_err(|e| e.to_string())?;
    let mut dropped = 0;
    for name in &stale {
        let sql = format!("drop database if exists {}", quoted(name));
        match conn.execute(sqlx::AssertSqlSafe(sql)).await {
            Ok(_) => dropped += 1,
            // 55006 object_in_use: someone is connected, so it is not stale.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55006") => {}
            Err(e) => return Err(format!("{name}: {e}")),
        }
    }
    if dropped > 0 {
        say(&format!("swept {dropped} left by earlier runs"));
    }
    Ok(())
}

/// A quoted SQL identifier (database names cannot be bind parameters).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// To stderr itself, not through `eprintln!`, which the test harness captures
/// and shows only for a failing test.
fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "test databases: {message}");
}

/// Runs `work` on a new thread with its own runtime, waiting at most
/// `timeout`: callable from `Drop` and from inside a test's runtime, which
/// cannot block on a future itself.
fn on_own_runtime(timeout: Duration, work: impl Future<Output = Result<(), String>> + Send) -> Result<(), String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?;
                runtime.block_on(async {
                    tokio::time::timeout(timeout, work)
                        .await
                        .unwrap_or_else(|_| Err(format!("no answer within {timeout:?}")))
                })
            })
            .join()
            .unwrap_or_else(|_| Err("the worker thread panicked".into()))
    })
}
