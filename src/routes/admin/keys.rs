//! API keys: tenant keys under a tenant, and admin keys.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{key_id, refresh_key, tenant_id};
use crate::auth::AdminPrincipal;
use crate::auth::api_key::KeyKind;
use crate::error::ApiError;
use crate::manage::keys::{self as manage, NewKeyRequest};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateKey {
    name: String,
    expires_at: Option<DateTime<Utc>>,
    actions: Option<Vec<String>>,
}

pub async fn create_tenant_key(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let body = body.into_inner();
    let created = manage::create_tenant_key(
        &state.pool,
        &admin.actor(),
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

pub async fn list_tenant_keys(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let items = manage::list_tenant_keys(&state.pool, &tenant).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `/admin/v1/tenants/{tenant}/api-keys/{key}`: key id at segment 6.
pub async fn revoke_tenant_key(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let id = key_id(&req, 6)?;
    let info = manage::revoke_tenant_key(&state.pool, &admin.actor(), &tenant, &id).await?;
    refresh_key(&state, KeyKind::Tenant, &id).await;
    Ok(HttpResponse::Ok().json(info))
}

pub async fn create_admin_key(
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let created = manage::create_admin_key(
        &state.pool,
        &admin.actor(),
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

pub async fn list_admin_keys(_admin: AdminPrincipal, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = manage::list_admin_keys(&state.pool).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `/admin/v1/admin-keys/{key}`: key id at segment 4.
pub async fn revoke_admin_key(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = key_id(&req, 4)?;
    let info = manage::revoke_admin_key(&state.pool, &admin.actor(), &id).await?;
    refresh_key(&state, KeyKind::Admin, &id).await;
    Ok(HttpResponse::Ok().json(info))
}
