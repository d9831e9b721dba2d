//! API keys: tenant keys (`lwk_`) and admin keys (`lwa_`). The key is returned
//! once, at creation; only a hash is stored.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::{Actor, ManageError, invalid, record_change, validate_name};
use crate::auth::api_key::{self, KeyKind};
use crate::db::api_keys::{self, KeyInfo, NewKey};
use crate::db::{DbError, tenants};
use crate::domain::{Action, TenantId};

/// The one response that shows a key.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedKey {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions: Option<Vec<String>>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub(crate) struct NewKeyRequest<'a> {
    pub(crate) name: &'a str,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// Tenant keys only: IAM action names the key is narrowed to.
    pub(crate) actions: Option<&'a [String]>,
}

pub(super) fn check_expiry(expires_at: Option<DateTime<Utc>>) -> Result<(), ManageError> {
    match expires_at {
        Some(at) if at <= Utc::now() => Err(invalid("expiresAt", "must be in the future")),
        _ => Ok(()),
    }
}

/// Normalises an action list to canonical IAM names, refusing unknown ones.
pub(super) fn check_actions(actions: &[String]) -> Result<Vec<String>, ManageError> {
    if actions.is_empty() {
        return Err(invalid(
            "actions",
            "must not be empty (omit it to use the tenant policy as is)",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for a in actions {
        let action = Action::from_iam_name(a).ok_or_else(|| {
            invalid(
                "actions",
                format!(
                    "{a:?} is not one of {}",
                    Action::ALL.iter().map(|a| a.iam_name()).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        let name = action.iam_name().to_owned();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

pub(crate) async fn create_tenant_key(
    pool: &sqlx::PgPool,
    actor: &Actor,
    tenant: &TenantId,
    request: NewKeyRequest<'_>,
) -> Result<CreatedKey, ManageError> {
    validate_name("name", request.name)?;
    check_expiry(request.expires_at)?;
    let actions = request.actions.map(check_actions).transpose()?;
    let generated = api_key::generate(KeyKind::Tenant).map_err(|_| ManageError::Random)?;
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    tenants::find_for_update(&mut *tx, tenant)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("no tenant {tenant}")))?;
    let info = api_keys::insert_tenant_key(
        &mut *tx,
        tenant,
        &NewKey {
            id: &generated.id,
            name: request.name,
            secret_hash: generated.hash.as_bytes(),
            actions: actions.as_deref(),
            expires_at: request.expires_at,
            created_by: &actor.name,
        },
    )
    .await?;
    record_change(
        &mut tx,
        actor,
        "api_key.create",
        201,
        Some(tenant),
        format!("api-key/{}", info.id),
        json!({"after": info}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(CreatedKey {
        id: info.id,
        name: info.name,
        key: generated.plain.expose().to_owned(),
        actions: info.actions,
        created_at: info.created_at,
        expires_at: info.expires_at,
    })
}

pub(crate) async fn list_tenant_keys(pool: &sqlx::PgPool, tenant: &TenantId) -> Result<Vec<KeyInfo>, ManageError> {
    super::require_tenant(pool, tenant).await?;
    Ok(api_keys::list_tenant_keys(pool, tenant).await?)
}

pub(crate) async fn revoke_tenant_key(
    pool: &sqlx::PgPool,
    actor: &Actor,
    tenant: &TenantId,
    id: &str,
) -> Result<KeyInfo, ManageError> {
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let info = api_keys::revoke_tenant_key(&mut *tx, tenant, id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("tenant {tenant} has no key {id}")))?;
    record_change(
        &mut tx,
        actor,
        "api_key.revoke",
        200,
        Some(tenant),
        format!("api-key/{id}"),
        json!({"after": info}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(info)
}

pub(crate) async fn create_admin_key(
    pool: &sqlx::PgPool,
    actor: &Actor,
    request: NewKeyRequest<'_>,
) -> Result<CreatedKey, ManageError> {
    validate_name("name", request.name)?;
    check_expiry(request.expires_at)?;
    if request.actions.is_some() {
        return Err(invalid("actions", "admin keys cannot be narrowed to actions"));
    }
    let generated = api_key::generate(KeyKind::Admin).map_err(|_| ManageError::Random)?;
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let info = api_keys::insert_admin_key(
        &mut *tx,
        &NewKey {
            id: &generated.id,
            name: request.name,
            secret_hash: generated.hash.as_bytes(),
            actions: None,
            expires_at: request.expires_at,
            created_by: &actor.name,
        },
    )
    .await?;
    record_change(
        &mut tx,
        actor,
        "admin_key.create",
        201,
        None,
        format!("admin-key/{}", info.id),
        json!({"after": info}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(CreatedKey {
        id: info.id,
        name: info.name,
        key: generated.plain.expose().to_owned(),
        actions: None,
        created_at: info.created_at,
        expires_at: info.expires_at,
    })
}

pub(crate) async fn list_admin_keys(pool: &sqlx::PgPool) -> Result<Vec<KeyInfo>, ManageError> {
    Ok(api_keys::list_admin_keys(pool).await?)
}

pub(crate) async fn revoke_admin_key(pool: &sqlx::PgPool, actor: &Actor, id: &str) -> Result<KeyInfo, ManageError> {
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let info = api_keys::revoke_admin_key(&mut *tx, id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("no admin key {id}")))?;
    record_change(
        &mut tx,
        actor,
        "admin_key.revoke",
        200,
        None,
        format!("admin-key/{id}"),
        json!({"after": info}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(info)
}
