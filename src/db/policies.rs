//! The `tenant_policies` table: every stored version of a tenant's policy.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use super::DbError;
use crate::domain::TenantId;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredPolicy {
    pub version: i32,
    pub document: serde_json::Value,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

pub async fn current(db: &PgPool, tenant: &TenantId) -> Result<Option<StoredPolicy>, DbError> {
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

/// Stores `document` as the tenant's next version. The tenant row is locked so
/// that concurrent writers are serialised instead of racing for a version.
pub async fn put(
    db: &PgPool,
    tenant: &TenantId,
    document: &serde_json::Value,
    created_by: &str,
) -> Result<StoredPolicy, DbError> {
    let mut tx = db.begin().await?;
    sqlx::query_scalar!(
        "select id from tenants where id = $1 for update",
        tenant.as_str()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(DbError::NotFound)?;
    let stored = sqlx::query_as!(
        StoredPolicy,
        "insert into tenant_policies (tenant_id, version, document, created_by)
         select $1, coalesce(max(version), 0) + 1, $2, $3
           from tenant_policies where tenant_id = $1
         returning version, document, created_by, created_at",
        tenant.as_str(),
        document,
        created_by
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(stored)
}
