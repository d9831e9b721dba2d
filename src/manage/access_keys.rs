//! Access keys (SigV4 credentials) of a tenant. The secret access key is
//! returned once, at creation, and stored only sealed under
//! `LOGWARD_SECRETS_KEY`; without that key, creating one is refused.

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::json;

use super::keys::{NewKeyRequest, check_actions, check_expiry};
use super::{Actor, ManageError, record_change, validate_name};
use crate::auth::access_key;
use crate::auth::secrets::SecretsKeys;
use crate::db::access_keys::{self, AccessKeyInfo, NewAccessKey};
use crate::db::{DbError, tenants};
use crate::domain::TenantId;

pub(crate) const NOT_CONFIGURED: &str = "access keys need LOGWARD_SECRETS_KEY: the gateway seals their secrets with it and cannot create or verify them \
     without it";

/// The one response that shows a secret access key. `Debug` shows the id only.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedAccessKey {
    pub(crate) access_key_id: String,
    /// Shown only in this response.
    pub(crate) secret_access_key: String,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actions: Option<Vec<String>>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for CreatedAccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedAccessKey")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

pub(crate) async fn create(
    pool: &sqlx::PgPool,
    secrets: Option<&SecretsKeys>,
    actor: &Actor,
    tenant: &TenantId,
    request: NewKeyRequest<'_>,
) -> Result<CreatedAccessKey, ManageError> {
    let secrets = secrets.ok_or(ManageError::NotConfigured(NOT_CONFIGURED))?;
    validate_name("name", request.name)?;
    check_expiry(request.expires_at)?;
    let actions = request.actions.map(check_actions).transpose()?;
    let generated = access_key::generate().map_err(|_| ManageError::Random)?;
    let sealed = secrets
        .seal(&generated.id, &generated.secret)
        .map_err(|_| ManageError::Sealing)?;
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    tenants::find_for_update(&mut *tx, tenant)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("no tenant {tenant}")))?;
    let info = access_keys::insert(
        &mut *tx,
        tenant,
        &NewAccessKey {
            id: &generated.id,
            name: request.name,
            secret_sealed: &sealed,
            actions: actions.as_deref(),
            expires_at: request.expires_at,
            created_by: &actor.name,
        },
    )
    .await?;
    record_change(
        &mut tx,
        actor,
        "access_key.create",
        201,
        Some(tenant),
        format!("access-key/{}", info.access_key_id),
        json!({"after": info}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(CreatedAccessKey {
        access_key_id: info.access_key_id,
        secret_access_key: generated.secret.expose_secret().to_owned(),
        name: info.name,
        actions: info.actions,
        created_at: info.created_at,
        expires_at: info.expires_at,
    })
}

pub(crate) async fn list(pool: &sqlx::PgPool, tenant: &TenantId) -> Result<Vec<AccessKeyInfo>, ManageError> {
    super::require_tenant(pool, tenant).await?;
    Ok(access_keys::list(pool, tenant).await?)
}

pub(crate) async fn revoke(
    pool: &sqlx::PgPool,
    actor: &Actor,
    tenant: &TenantId,
    id: &str,
) -> Result<AccessKeyInfo, ManageError> {
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let info = access_keys::revoke(&mut *tx, tenant, id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("tenant {tenant} has no access key {id}")))?;
    record_change(
        &mut tx,
        actor,
        "access_key.revoke",
        200,
        Some(tenant),
        format!("access-key/{id}"),
        json!({"after": info}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(info)
}

/// How a re-sealing went.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resealed {
    /// Re-sealed under the current server key.
    pub(crate) resealed: usize,
    /// Already sealed under it.
    pub(crate) current: usize,
    /// Sealed under no configured key (or altered): those keys cannot be used
    /// and are left as they are; revoke them.
    pub(crate) unreadable: Vec<String>,
}

/// Re-seals every access key's secret under the current server key (after a
/// rotation, with the old key as `LOGWARD_SECRETS_KEY_PREVIOUS`), in one
/// transaction with its audit record. Running gateways pick the new seals up
/// through the key notifications.
pub(crate) async fn reseal(
    pool: &sqlx::PgPool,
    secrets: Option<&SecretsKeys>,
    actor: &Actor,
) -> Result<Resealed, ManageError> {
    let secrets = secrets.ok_or(ManageError::NotConfigured(NOT_CONFIGURED))?;
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let mut outcome = Resealed::default();
    for (id, sealed) in access_keys::all_sealed_for_update(&mut *tx).await? {
        if secrets.is_current(&sealed) {
            outcome.current += 1;
            continue;
        }
        match secrets.open(&id, &sealed) {
            Ok(secret) => {
                let resealed = secrets.seal(&id, &secret).map_err(|_| ManageError::Sealing)?;
                access_keys::reseal(&mut *tx, &id, &resealed).await?;
                outcome.resealed += 1;
            }
            Err(_) => outcome.unreadable.push(id),
        }
    }
    record_change(
        &mut tx,
        actor,
        "access_key.reseal",
        200,
        None,
        "access-keys".to_owned(),
        json!({"after": &outcome}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(outcome)
}
