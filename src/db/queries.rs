//! The `insights_queries` table: which tenant owns which Logs Insights query.

use sqlx::PgExecutor;

use super::DbError;
use crate::domain::TenantId;

/// How long a query without a final status still counts as running
/// (CloudWatch stops queries after 60 minutes).
const RUNNING_WINDOW_MINUTES: i32 = 60;
/// How long a reservation (a query being started, `reserved:…`) counts: far
/// longer than a start takes, so only one left by a crashed process expires.
const RESERVATION_SECONDS: i32 = 120;
/// The longest a query start waits for the tenant row lock.
const LOCK_WAIT: &str = "2s";

pub(crate) struct OwnedQuery {
    pub(crate) log_groups: Vec<String>,
    pub(crate) finished: bool,
}

pub(crate) async fn insert(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    query_id: &str,
    log_groups: &[String],
    started_by: &str,
) -> Result<(), DbError> {
    sqlx::query!(
        "insert into insights_queries (query_id, tenant_id, log_groups, started_by) values ($1, $2, $3, $4)",
        query_id,
        tenant.as_str(),
        log_groups,
        started_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The tenant's query with this id; `None` for unknown ids and for other
/// tenants' queries alike.
pub(crate) async fn find(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    query_id: &str,
) -> Result<Option<OwnedQuery>, DbError> {
    let row = sqlx::query_as!(
        OwnedQuery,
        r#"select log_groups, finished_at is not null as "finished!"
             from insights_queries where tenant_id = $1 and query_id = $2"#,
        tenant.as_str(),
        query_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Queries of the tenant that count as running: unfinished and recent, and
/// reservations younger than [`RESERVATION_SECONDS`].
pub(crate) async fn running_count(db: impl PgExecutor<'_>, tenant: &TenantId) -> Result<i64, DbError> {
    let n = sqlx::query_scalar!(
        r#"select count(*) as "n!" from insights_queries
            where tenant_id = $1 and finished_at is null
              and started_at > now() - make_interval(mins => $2)
              and (query_id not like 'reserved:%' or started_at > now() - make_interval(secs => $3))"#,
        tenant.as_str(),
        RUNNING_WINDOW_MINUTES,
        f64::from(RESERVATION_SECONDS)
    )
    .fetch_one(db)
    .await?;
    Ok(n)
}

pub(crate) async fn mark_finished(db: impl PgExecutor<'_>, tenant: &TenantId, query_id: &str) -> Result<(), DbError> {
    sqlx::query!(
        "update insights_queries set finished_at = now()
          where tenant_id = $1 and query_id = $2 and finished_at is null",
        tenant.as_str(),
        query_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Bounds how long the current transaction waits for a row lock: past it the
/// statement fails with `DbError::Busy` instead of queueing on the pool.
pub(crate) async fn bound_lock_wait(db: impl PgExecutor<'_>) -> Result<(), DbError> {
    sqlx::query_scalar!("select set_config('lock_timeout', $1, true)", LOCK_WAIT)
        .fetch_one(db)
        .await?;
    Ok(())
}

/// A reservation became CloudWatch's query `query_id`.
pub(crate) async fn rename(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    reserved: &str,
    query_id: &str,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "update insights_queries set query_id = $3 where tenant_id = $1 and query_id = $2",
        tenant.as_str(),
        reserved,
        query_id
    )
    .execute(db)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(DbError::NotFound)
    }
}

/// Removes a reservation whose start failed.
pub(crate) async fn delete(db: impl PgExecutor<'_>, tenant: &TenantId, reserved: &str) -> Result<(), DbError> {
    sqlx::query!(
        "delete from insights_queries where tenant_id = $1 and query_id = $2",
        tenant.as_str(),
        reserved
    )
    .execute(db)
    .await?;
    Ok(())
}
