//! The `api_keys` (tenant) and `admin_keys` tables.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;

use super::DbError;
use crate::domain::TenantId;

/// A key as listed: never the secret or its hash.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyInfo {
    pub(crate) id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tenant_id: Option<String>,
    pub(crate) name: String,
    /// The public part of the key, `lwk_<id>` or `lwa_<id>`.
    pub(crate) prefix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions: Option<Vec<String>>,
    pub(crate) created_by: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) last_used_at: Option<DateTime<Utc>>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
}

/// What the in-memory directory needs to verify a key.
pub(crate) struct KeySecretRow {
    pub(crate) id: String,
    pub(crate) tenant_id: Option<String>,
    pub(crate) name: String,
    pub(crate) secret_hash: Vec<u8>,
    pub(crate) actions: Option<Vec<String>>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

pub(crate) struct NewKey<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) secret_hash: &'a [u8],
    pub(crate) actions: Option<&'a [String]>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) created_by: &'a str,
}

pub(crate) async fn insert_tenant_key(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    key: &NewKey<'_>,
) -> Result<KeyInfo, DbError> {
    let row = sqlx::query_as!(
        KeyInfo,
        r#"insert into api_keys (id, tenant_id, name, secret_hash, actions, expires_at, created_by)
           values ($1, $2, $3, $4, $5, $6, $7)
           returning id, tenant_id as "tenant_id?", name, 'lwk_' || id as "prefix!", actions,
                     created_by, created_at, expires_at, last_used_at, revoked_at"#,
        key.id,
        tenant.as_str(),
        key.name,
        key.secret_hash,
        key.actions,
        key.expires_at,
        key.created_by
    )
    .fetch_one(db)
    .await?;
    Ok(row)
}

pub(crate) async fn list_tenant_keys(db: impl PgExecutor<'_>, tenant: &TenantId) -> Result<Vec<KeyInfo>, DbError> {
    let rows = sqlx::query_as!(
        KeyInfo,
        r#"select id, tenant_id as "tenant_id?", name, 'lwk_' || id as "prefix!", actions,
                  created_by, created_at, expires_at, last_used_at, revoked_at
             from api_keys where tenant_id = $1
            order by created_at, id"#,
        tenant.as_str()
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Revokes a tenant's key; `None` when the tenant has no such key. Revoking
/// twice keeps the first revocation time.
pub(crate) async fn revoke_tenant_key(
    db: impl PgExecutor<'_>,
    tenant: &TenantId,
    id: &str,
) -> Result<Option<KeyInfo>, DbError> {
    let row = sqlx::query_as!(
        KeyInfo,
        r#"update api_keys set revoked_at = coalesce(revoked_at, now())
            where tenant_id = $1 and id = $2
           returning id, tenant_id as "tenant_id?", name, 'lwk_' || id as "prefix!", actions,
                     created_by, created_at, expires_at, last_used_at, revoked_at"#,
        tenant.as_str(),
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

pub(crate) async fn insert_admin_key(db: impl PgExecutor<'_>, key: &NewKey<'_>) -> Result<KeyInfo, DbError> {
    let row = sqlx::query_as!(
        KeyInfo,
        r#"insert into admin_keys (id, name, secret_hash, expires_at, created_by)
           values ($1, $2, $3, $4, $5)
           returning id, null::text as "tenant_id?", name, 'lwa_' || id as "prefix!", null::text[] as "actions?",
                     created_by, created_at, expires_at, last_used_at, revoked_at"#,
        key.id,
        key.name,
        key.secret_hash,
        key.expires_at,
        key.created_by
    )
    .fetch_one(db)
    .await?;
    Ok(row)
}

pub(crate) async fn list_admin_keys(db: impl PgExecutor<'_>) -> Result<Vec<KeyInfo>, DbError> {
    let rows = sqlx::query_as!(
        KeyInfo,
        r#"select id, null::text as "tenant_id?", name, 'lwa_' || id as "prefix!", null::text[] as "actions?",
                  created_by, created_at, expires_at, last_used_at, revoked_at
             from admin_keys order by created_at, id"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

pub(crate) async fn revoke_admin_key(db: impl PgExecutor<'_>, id: &str) -> Result<Option<KeyInfo>, DbError> {
    let row = sqlx::query_as!(
        KeyInfo,
        r#"update admin_keys set revoked_at = coalesce(revoked_at, now())
            where id = $1
           returning id, null::text as "tenant_id?", name, 'lwa_' || id as "prefix!", null::text[] as "actions?",
                     created_by, created_at, expires_at, last_used_at, revoked_at"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Usable (not revoked) tenant keys: all of them, or one.
pub(crate) async fn usable_tenant_keys(
    db: impl PgExecutor<'_>,
    only: Option<&str>,
) -> Result<Vec<KeySecretRow>, DbError> {
    let rows = sqlx::query_as!(
        KeySecretRow,
        r#"select id, tenant_id as "tenant_id?", name, secret_hash, actions, expires_at
             from api_keys
            where revoked_at is null and ($1::text is null or id = $1)"#,
        only
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Usable (not revoked) admin keys: all of them, or one.
pub(crate) async fn usable_admin_keys(
    db: impl PgExecutor<'_>,
    only: Option<&str>,
) -> Result<Vec<KeySecretRow>, DbError> {
    let rows = sqlx::query_as!(
        KeySecretRow,
        r#"select id, null::text as "tenant_id?", name, secret_hash, null::text[] as "actions?", expires_at
             from admin_keys
            where revoked_at is null and ($1::text is null or id = $1)"#,
        only
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Records when keys were last used (batched by the caller): `tenant_at[i]`
/// is when `tenant_keys[i]` was last used. A time never moves back, so a late
/// write from another instance cannot undo a newer one.
pub(crate) async fn touch(
    db: impl PgExecutor<'_>,
    tenant_keys: &[String],
    tenant_at: &[DateTime<Utc>],
    admin_keys: &[String],
    admin_at: &[DateTime<Utc>],
) -> Result<(), DbError> {
    sqlx::query!(
        "with t as (update api_keys k set last_used_at = greatest(k.last_used_at, u.at)
                      from unnest($1::text[], $2::timestamptz[]) as u(id, at) where k.id = u.id),
              a as (update admin_keys k set last_used_at = greatest(k.last_used_at, u.at)
                      from unnest($3::text[], $4::timestamptz[]) as u(id, at) where k.id = u.id)
         select 1 as one",
        tenant_keys,
        tenant_at,
        admin_keys,
        admin_at
    )
    .fetch_one(db)
    .await?;
    Ok(())
}
