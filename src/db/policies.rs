//! The `tenant_policies` table: every stored version of a tenant's policy.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use super::DbError;
use crate::domain::TenantId;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredPolicy {
    pub(crate) version: i32,
    pub(crate) document: serde_json::Value,
    pub(crate) created_by: String,
    pub(crate) created_at: DateTime<Utc>,
}

pub(crate) async fn current(db: impl PgExecutor<'_>, tenant: &TenantId) -> Result<Option<StoredPolicy>, DbError> {
    let row = sqlx::query_as!(
        StoredPolicy,
        "select version, document, created_by, created_at
           from tenant_policies
          where tenant_id = $1
          order by version desc
          limit 1",
        tenant.as_str()
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Every version, newest first.
pub(crate) async fn versions(db: impl PgExecutor<'_>, tenant: &TenantId) -> Result<Vec<StoredPolicy>, DbError> {
    let rows = sqlx::query_as!(
        StoredPolicy,
        "select version, document, created_by, created_at
           from tenant_policies
          where tenant_id = $1
          order by version desc",
        tenant.as_str()
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Inserts `version`. Callers hold the tenant row lock, so versions are
/// assigned one writer at a time; the primary key backs that up.
pub(crate) async fn insert(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    version: i32,
    document: &serde_json::Value,
    created_by: &str,
) -> Result<StoredPolicy, DbError> {
    let row = sqlx::query_as!(
        StoredPolicy,
        "insert into tenant_policies (tenant_id, version, document, created_by)
         values ($1, $2, $3, $4)
         returning version, document, created_by, created_at",
        tenant.as_str(),
        version,
        document,
        created_by
    )
    .fetch_one(db)
    .await?;
    Ok(row)
}
