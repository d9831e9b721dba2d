//! The `tenants` table.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use super::DbError;
pub(crate) use crate::domain::RateLimit;
use crate::domain::TenantId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TenantStatus {
    Active,
    Disabled,
}

impl TenantStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Disabled => "disabled",
        }
    }

    fn from_db(raw: &str) -> Self {
        // The column's check constraint admits only these two; anything else
        // is treated as disabled, failing closed.
        if raw == "active" {
            TenantStatus::Active
        } else {
            TenantStatus::Disabled
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tenant {
    pub(crate) id: String,
    pub(crate) name: String,
    #[schema(value_type = String, example = "active")]
    pub(crate) status: TenantStatus,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    /// The tenant's own rate limit; absent when the default applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rate_limit: Option<RateLimit>,
}

struct TenantRow {
    id: String,
    name: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    rate_limit_per_sec: Option<i32>,
    rate_limit_burst: Option<i32>,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Tenant {
            id: r.id,
            name: r.name,
            status: TenantStatus::from_db(&r.status),
            created_at: r.created_at,
            updated_at: r.updated_at,
            rate_limit: RateLimit::from_columns(r.rate_limit_per_sec, r.rate_limit_burst),
        }
    }
}

pub(crate) async fn insert(db: impl PgExecutor<'_>, id: &TenantId, name: &str) -> Result<Tenant, DbError> {
    let row = sqlx::query_as!(
        TenantRow,
        "insert into tenants (id, name) values ($1, $2)
         returning id, name, status, created_at, updated_at, rate_limit_per_sec, rate_limit_burst",
        id.as_str(),
        name
    )
    .fetch_one(db)
    .await?;
    Ok(row.into())
}

pub(crate) async fn find(db: impl PgExecutor<'_>, id: &TenantId) -> Result<Option<Tenant>, DbError> {
    let row = sqlx::query_as!(
        TenantRow,
        "select id, name, status, created_at, updated_at, rate_limit_per_sec, rate_limit_burst from tenants where id = $1",
        id.as_str()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Into::into))
}

/// Changes name, status and/or rate limit; `None` leaves a field as it is
/// (`Some(None)` clears the rate limit back to the default).
pub(crate) async fn update(
    db: impl PgExecutor<'_>,
    id: &TenantId,
    name: Option<&str>,
    status: Option<TenantStatus>,
    rate_limit: Option<Option<RateLimit>>,
) -> Result<Option<Tenant>, DbError> {
    let set_limit = rate_limit.is_some();
    let limit = rate_limit.flatten();
    let row = sqlx::query_as!(
        TenantRow,
        "update tenants
            set name = coalesce($2, name),
                status = coalesce($3, status),
                rate_limit_per_sec = case when $4 then $5 else rate_limit_per_sec end,
                rate_limit_burst = case when $4 then $6 else rate_limit_burst end,
                updated_at = now()
          where id = $1
         returning id, name, status, created_at, updated_at, rate_limit_per_sec, rate_limit_burst",
        id.as_str(),
        name,
        status.map(TenantStatus::as_str),
        set_limit,
        limit.map(|l| l.per_second as i32),
        limit.map(|l| l.burst as i32)
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Into::into))
}

/// What the in-memory directory needs of one tenant: its row and current policy.
pub(crate) struct TenantSnapshot {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) status: String,
    pub(crate) rate_limit_per_sec: Option<i32>,
    pub(crate) rate_limit_burst: Option<i32>,
    pub(crate) policy: Option<serde_json::Value>,
}

/// Loads every tenant (`only = None`) or one, each with its newest policy.
pub(crate) async fn snapshot(db: impl PgExecutor<'_>, only: Option<&TenantId>) -> Result<Vec<TenantSnapshot>, DbError> {
    let rows = sqlx::query_as!(
        TenantSnapshot,
        r#"select t.id, t.name, t.status, t.rate_limit_per_sec, t.rate_limit_burst,
                  p.document as "policy?"
             from tenants t
             left join lateral (
                 select document from tenant_policies
                  where tenant_id = t.id
                  order by version desc limit 1
             ) p on true
            where $1::text is null or t.id = $1"#,
        only.map(TenantId::as_str)
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

pub(crate) async fn find_for_update(db: impl PgExecutor<'_>, id: &TenantId) -> Result<Option<Tenant>, DbError> {
    let row = sqlx::query_as!(
        TenantRow,
        "select id, name, status, created_at, updated_at, rate_limit_per_sec, rate_limit_burst from tenants where id = $1 for update",
        id.as_str()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Into::into))
}

/// A page of tenants ordered by id, after `after`, optionally of one status.
pub(crate) async fn list(
    db: impl PgExecutor<'_>,
    status: Option<TenantStatus>,
    after: Option<&TenantId>,
    limit: i64,
) -> Result<Vec<Tenant>, DbError> {
    let rows = sqlx::query_as!(
        TenantRow,
        "select id, name, status, created_at, updated_at, rate_limit_per_sec, rate_limit_burst from tenants
          where ($1::text is null or status = $1)
            and ($2::text is null or id > $2)
          order by id
          limit $3",
        status.map(TenantStatus::as_str),
        after.map(TenantId::as_str),
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub(crate) async fn delete(db: impl PgExecutor<'_>, id: &TenantId) -> Result<Option<Tenant>, DbError> {
    let row = sqlx::query_as!(
        TenantRow,
        "delete from tenants where id = $1 returning id, name, status, created_at, updated_at, rate_limit_per_sec, rate_limit_burst",
        id.as_str()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(Into::into))
}
