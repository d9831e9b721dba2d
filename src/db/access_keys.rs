//! The `access_keys` table: tenants' AWS-style access keys. The secret is
//! stored sealed (see `auth::secrets`); listings never read it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use super::DbError;
use crate::domain::TenantId;

/// An access key as listed: never the secret, sealed or not.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessKeyInfo {
    pub(crate) access_key_id: String,
    pub(crate) tenant_id: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions: Option<Vec<String>>,
    pub(crate) created_by: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) last_used_at: Option<DateTime<Utc>>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
}

/// What the in-memory directory needs to verify signatures with a key.
pub(crate) struct AccessKeySecretRow {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) name: String,
    pub(crate) secret_sealed: Vec<u8>,
    pub(crate) actions: Option<Vec<String>>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

pub(crate) struct NewAccessKey<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) secret_sealed: &'a [u8],
    pub(crate) actions: Option<&'a [String]>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) created_by: &'a str,
}

pub(crate) async fn insert(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    key: &NewAccessKey<'_>,
) -> Result<AccessKeyInfo, DbError> {
    let row = sqlx::query_as!(
        AccessKeyInfo,
        r#"insert into access_keys (id, tenant_id, name, secret_sealed, actions, expires_at, created_by)
           values ($1, $2, $3, $4, $5, $6, $7)
           returning id as access_key_id, tenant_id, name, actions,
                     created_by, created_at, expires_at, last_used_at, revoked_at"#,
        key.id,
        tenant.as_str(),
        key.name,
        key.secret_sealed,
        key.actions,
        key.expires_at,
        key.created_by
    )
    .fetch_one(db)
    .await?;
    Ok(row)
}

pub(crate) async fn list(db: impl PgExecutor<'_>, tenant: &TenantId) -> Result<Vec<AccessKeyInfo>, DbError> {
    let rows = sqlx::query_as!(
        AccessKeyInfo,
        r#"select id as access_key_id, tenant_id, name, actions,
                  created_by, created_at, expires_at, last_used_at, revoked_at
             from access_keys where tenant_id = $1
            order by created_at, id"#,
        tenant.as_str()
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Revokes a tenant's access key; `None` when the tenant has no such key.
/// Revoking twice keeps the first revocation time.
pub(crate) async fn revoke(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<AccessKeyInfo>, DbError> {
    let row = sqlx::query_as!(
        AccessKeyInfo,
        r#"update access_keys set revoked_at = coalesce(revoked_at, now())
            where tenant_id = $1 and id = $2
           returning id as access_key_id, tenant_id, name, actions,
                     created_by, created_at, expires_at, last_used_at, revoked_at"#,
        tenant.as_str(),
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Usable (not revoked) access keys of every tenant: all of them, or one.
pub(crate) async fn usable(db: impl PgExecutor<'_>, only: Option<&str>) -> Result<Vec<AccessKeySecretRow>, DbError> {
    let rows = sqlx::query_as!(
        AccessKeySecretRow,
        r#"select id, tenant_id, name, secret_sealed, actions, expires_at
             from access_keys
            where revoked_at is null and ($1::text is null or id = $1)"#,
        only
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Every key's sealed secret, revoked ones included (re-sealing under a new
/// server key), locked against concurrent re-sealing.
pub(crate) async fn all_sealed_for_update(db: impl PgExecutor<'_>) -> Result<Vec<(String, Vec<u8>)>, DbError> {
    let rows = sqlx::query!("select id, secret_sealed from access_keys order by id for update")
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.secret_sealed)).collect())
}

pub(crate) async fn reseal(db: impl PgExecutor<'_>, id: &str, sealed: &[u8]) -> Result<(), DbError> {
    sqlx::query!("update access_keys set secret_sealed = $2 where id = $1", id, sealed)
        .execute(db)
        .await?;
    Ok(())
}

/// Records when access keys were last used (batched by the caller); a time
/// never moves back.
pub(crate) async fn touch(db: impl PgExecutor<'_>, ids: &[String], at: &[DateTime<Utc>]) -> Result<(), DbError> {
    sqlx::query!(
        "update access_keys k set last_used_at = greatest(k.last_used_at, u.at)
           from unnest($1::text[], $2::timestamptz[]) as u(id, at) where k.id = u.id",
        ids,
        at
    )
    .execute(db)
    .await?;
    Ok(())
}
