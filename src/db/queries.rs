//! The `insights_queries` table: which tenant owns which Logs Insights query.

use chrono::{DateTime, Utc};
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
/// reservations younger than [`RESERVATION_SECONDS`] (the predicate `list`
/// repeats as `counts`).
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

/// A query as operators and its tenant see it.
#[derive(Debug, Clone)]
pub(crate) struct QueryRow {
    pub(crate) query_id: String,
    pub(crate) log_groups: Vec<String>,
    pub(crate) started_by: String,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) finished_at: Option<DateTime<Utc>>,
    /// Last time logward asked CloudWatch about it unprompted.
    pub(crate) checked_at: Option<DateTime<Utc>>,
    /// Whether it counts against the tenant's cap right now.
    pub(crate) counts: bool,
}

/// The tenant's `limit` most recent queries, newest first.
pub(crate) async fn list(db: impl PgExecutor<'_>, tenant: &TenantId, limit: i64) -> Result<Vec<QueryRow>, DbError> {
    let rows = sqlx::query_as!(
        QueryRow,
        r#"select query_id, log_groups, started_by, started_at, finished_at, checked_at,
                  (finished_at is null
                   and started_at > now() - make_interval(mins => $2)
                   and (query_id not like 'reserved:%' or started_at > now() - make_interval(secs => $3))) as "counts!"
             from insights_queries where tenant_id = $1
            order by started_at desc, query_id
            limit $4"#,
        tenant.as_str(),
        RUNNING_WINDOW_MINUTES,
        f64::from(RESERVATION_SECONDS),
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Claims up to `limit` open queries (of `tenant`, or of anyone) that still
/// count, started at least `min_age_secs` ago and not asked about for
/// `quiet_secs`, oldest first, for a status check: marks them checked now,
/// skipping rows another instance is claiming.
/// Placeholders (`reserved:`, `unconfirmed:`) have no CloudWatch id to ask about.
pub(crate) async fn claim_unchecked(
    db: impl PgExecutor<'_>,
    tenant: Option<&TenantId>,
    min_age_secs: f64,
    quiet_secs: f64,
    limit: i64,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query!(
        r#"update insights_queries set checked_at = now()
            where query_id in (
                select query_id from insights_queries
                 where finished_at is null
                   and ($1::text is null or tenant_id = $1)
                   and query_id not like 'reserved:%' and query_id not like 'unconfirmed:%'
                   and started_at > now() - make_interval(mins => $2)
                   and started_at <= now() - make_interval(secs => $3)
                   and (checked_at is null or checked_at < now() - make_interval(secs => $4))
                 order by started_at
                 limit $5
                 for update skip locked)
        returning tenant_id, query_id"#,
        tenant.map(TenantId::as_str),
        RUNNING_WINDOW_MINUTES,
        min_age_secs,
        quiet_secs,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.tenant_id, r.query_id)).collect())
}

/// Marks the tenant's open queries (all, or the one named) finished, so they
/// no longer count; returns the ids it marked.
pub(crate) async fn clear(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    query_id: Option<&str>,
) -> Result<Vec<String>, DbError> {
    let ids = sqlx::query_scalar!(
        "update insights_queries set finished_at = now()
          where tenant_id = $1 and finished_at is null and ($2::text is null or query_id = $2)
        returning query_id",
        tenant.as_str(),
        query_id
    )
    .fetch_all(db)
    .await?;
    Ok(ids)
}

/// Forgets queries started more than `days` ago (CloudWatch keeps results
/// for 7 days); returns how many.
pub(crate) async fn prune(db: impl PgExecutor<'_>, days: i32) -> Result<u64, DbError> {
    let done = sqlx::query!(
        "delete from insights_queries where started_at < now() - make_interval(days => $1)",
        days
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
