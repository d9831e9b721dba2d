//! Postgres access. All SQL lives under this module; every function reading
//! tenant data takes the tenant id first and filters on it.
//! Database outcomes are mapped to API errors in one place ([`DbError`]).

pub(crate) mod access_keys;
pub(crate) mod api_keys;
pub mod audit;
pub(crate) mod instances;
pub(crate) mod policies;
pub(crate) mod queries;
pub(crate) mod tenants;

use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Fails unless every migration this binary knows is applied: the Lambda
/// mode never migrates at a cold start (`logward migrate` is a step of its
/// own), and must not run against a schema older than its code. Reads the
/// migrator's own table through sqlx's migration API.
pub(crate) async fn require_migrated(pool: &PgPool) -> anyhow::Result<()> {
    use anyhow::Context;
    use sqlx::migrate::Migrate;
    let mut conn = pool.acquire().await.context("connecting to the database")?;
    let applied = conn
        .list_applied_migrations(&MIGRATOR.table_name)
        .await
        .context("reading the applied migrations (run `logward migrate` first)")?;
    let pending = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .count();
    if pending > 0 {
        anyhow::bail!(
            "the database lacks {pending} migration(s) this version needs: run `logward migrate` first \
             (the Lambda mode never migrates at a cold start)"
        );
    }
    Ok(())
}

/// Connects lazily: the pool is usable before Postgres answers, so a gateway can
/// start (and report not-ready) while the database is still coming up.
pub fn connect_lazy(url: &secrecy::SecretString, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(url.expose_secret())
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A bounded lock wait ran out (SQLSTATE 55P03): others hold the row.
    #[error("the record is busy")]
    Busy,
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

/// SQLSTATEs that say "not now" rather than "not this": the server is going
/// away, starting, out of resources, read-only after a failover, or asks for a
/// retry. Work refused this way is kept and retried, never dropped.
fn is_transient(code: &str) -> bool {
    matches!(code.get(..2), Some("08" | "53" | "57" | "40")) || code == "25006"
}

/// SQLSTATEs a server answers while a connection starts: authentication failed
/// (class 28), no such database (3D000), database not accepting connections
/// (55000). sqlx returns them from acquiring a pool connection, so they say
/// "no database for now", not "this request is wrong". (The audit writer does
/// not rely on this list: it tells by where an error happened.)
fn is_connection_refusal(code: &str) -> bool {
    code.starts_with("28") || code == "3D000" || code == "55000"
}

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => DbError::Unavailable(err),
            sqlx::Error::Database(db)
                if db
                    .code()
                    .is_some_and(|code| is_transient(&code) || is_connection_refusal(&code)) =>
            {
                DbError::Unavailable(err)
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03") => DbError::Busy,
            sqlx::Error::Database(db) if db.is_unique_violation() => DbError::Conflict(match db.constraint() {
                Some("tenants_pkey") => "a tenant with this id already exists".to_owned(),
                Some(other) => format!("conflicts with an existing record ({other})"),
                None => "conflicts with an existing record".to_owned(),
            }),
            _ => DbError::Other(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{is_connection_refusal, is_transient};

    #[test]
    fn outages_and_failovers_are_transient_content_errors_are_not() {
        for code in ["08006", "53300", "57P01", "57P03", "40001", "40P01", "25006"] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["23505", "23514", "22P02", "42P01", "25P02"] {
            assert!(!is_transient(code), "{code}");
        }
    }

    #[test]
    fn refusals_at_connection_start_are_not_content_errors() {
        for code in ["28000", "28P01", "3D000", "55000"] {
            assert!(is_connection_refusal(code), "{code}");
        }
        for code in ["23505", "22P02", "42P01", "55P03", "3F000"] {
            assert!(!is_connection_refusal(code), "{code}");
        }
    }
}
