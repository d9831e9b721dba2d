//! The `insights_queries` table: which tenant owns which Logs Insights query.

use sqlx::PgExecutor;

use super::DbError;
use crate::domain::TenantId;

/// How long a query without a final status still counts as running
/// (CloudWatch stops queries after 60 minutes).
const RUNNING_WINDOW_MINUTES: i32 = 60;

pub struct OwnedQuery {
    pub log_groups: Vec<String>,
    pub finished: bool,
}

pub async fn insert(
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
pub async fn find(db: impl PgExecutor<'_>, tenant: &TenantId, query_id: &str) -> Result<Option<OwnedQuery>, DbError> {
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

pub async fn running_count(db: impl PgExecutor<'_>, tenant: &TenantId) -> Result<i64, DbError> {
    let n = sqlx::query_scalar!(
        r#"select count(*) as "n!" from insights_queries
            where tenant_id = $1 and finished_at is null
              and started_at > now() - make_interval(mins => $2)"#,
        tenant.as_str(),
        RUNNING_WINDOW_MINUTES
    )
    .fetch_one(db)
    .await?;
    Ok(n)
}

pub async fn mark_finished(db: impl PgExecutor<'_>, tenant: &TenantId, query_id: &str) -> Result<(), DbError> {
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
