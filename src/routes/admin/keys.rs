//! API keys: tenant keys under a tenant, and admin keys.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{actor, key_id, refresh_key, tenant_id};
use crate::auth::AdminPrincipal;
use crate::auth::api_key::KeyKind;
use crate::error::ApiError;
use crate::manage::keys::{self as manage, NewKeyRequest};
use crate::routes::problem::{AdminProblems, ClientProblems};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CreateKey {
    pub(super) name: String,
    /// RFC 3339; must be in the future.
    pub(super) expires_at: Option<DateTime<Utc>>,
    /// Tenant and access keys only: IAM action names the key is narrowed to (never widens the policy).
    pub(super) actions: Option<Vec<String>>,
}

/// Create a tenant API key (shown once)
#[utoipa::path(post, path = "/admin/v1/tenants/{tenant}/api-keys", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), request_body = CreateKey, 
    responses((status = 201, description = "The key, shown only in this response", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn create_tenant_key(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let body = body.into_inner();
    let created = manage::create_tenant_key(
        &state.pool,
        &actor(&admin, &req),
        &tenant,
        NewKeyRequest {
            name: &body.name,
            expires_at: body.expires_at,
            actions: body.actions.as_deref(),
        },
    )
    .await?;
    refresh_key(&state, KeyKind::Tenant, &created.id).await;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// List a tenant's keys (never the secrets)
#[utoipa::path(get, path = "/admin/v1/tenants/{tenant}/api-keys", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), 
    responses((status = 200, description = "Keys", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn list_tenant_keys(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let items = manage::list_tenant_keys(&state.pool, &tenant).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `/admin/v1/tenants/{tenant}/api-keys/{key}`: key id at segment 6.
/// Revoke a tenant key
#[utoipa::path(delete, path = "/admin/v1/tenants/{tenant}/api-keys/{key}", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$"), ("key" = String, Path, description = "Key id (16 lowercase letters or digits)")), 
    responses((status = 200, description = "The revoked key", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn revoke_tenant_key(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let id = key_id(&req, 6)?;
    let info = manage::revoke_tenant_key(&state.pool, &actor(&admin, &req), &tenant, &id).await?;
    refresh_key(&state, KeyKind::Tenant, &id).await;
    Ok(HttpResponse::Ok().json(info))
}

/// Create an admin API key (shown once)
#[utoipa::path(post, path = "/admin/v1/admin-keys", tag = "admin", security(("admin" = [])), request_body = CreateKey, 
    responses((status = 201, description = "The key, shown only in this response", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn create_admin_key(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let created = manage::create_admin_key(
        &state.pool,
        &actor(&admin, &req),
        NewKeyRequest {
            name: &body.name,
            expires_at: body.expires_at,
            actions: body.actions.as_deref(),
        },
    )
    .await?;
    refresh_key(&state, KeyKind::Admin, &created.id).await;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// List admin keys (never the secrets)
#[utoipa::path(get, path = "/admin/v1/admin-keys", tag = "admin", security(("admin" = [])), 
    responses((status = 200, description = "Keys", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn list_admin_keys(
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let items = manage::list_admin_keys(&state.pool).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `/admin/v1/admin-keys/{key}`: key id at segment 4.
/// Revoke an admin key
#[utoipa::path(delete, path = "/admin/v1/admin-keys/{key}", tag = "admin", security(("admin" = [])), params(("key" = String, Path, description = "Key id (16 lowercase letters or digits)")), 
    responses((status = 200, description = "The revoked key", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn revoke_admin_key(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = key_id(&req, 4)?;
    let info = manage::revoke_admin_key(&state.pool, &actor(&admin, &req), &id).await?;
    refresh_key(&state, KeyKind::Admin, &id).await;
    Ok(HttpResponse::Ok().json(info))
}
