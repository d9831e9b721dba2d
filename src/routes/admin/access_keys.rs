//! A tenant's access keys: the AWS-style credentials its SDKs and CLIs sign
//! requests with (SigV4).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::keys::CreateKey;
use super::{actor, tenant_id};
use crate::auth::AdminPrincipal;
use crate::error::ApiError;
use crate::manage::access_keys as manage;
use crate::manage::keys::NewKeyRequest;
use crate::routes::problem::{AdminProblems, ClientProblems};
use crate::state::AppState;

/// Create an access key (the secret access key is shown once)
///
/// Needs `LOGWARD_SECRETS_KEY` on the gateway (409 without it).
#[utoipa::path(post, path = "/admin/v1/tenants/{tenant}/access-keys", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), request_body = CreateKey,
    responses((status = 201, description = "The key; secretAccessKey is shown only in this response", body = manage::CreatedAccessKey), ClientProblems, AdminProblems))]
pub(crate) async fn create(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<CreateKey>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let body = body.into_inner();
    let created = manage::create(
        &state.pool,
        state.auth.directory.secrets(),
        &actor(&admin, &req),
        &tenant,
        NewKeyRequest {
            name: &body.name,
            expires_at: body.expires_at,
            actions: body.actions.as_deref(),
        },
    )
    .await?;
    refresh(&state, &created.access_key_id).await;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(created))
}

/// List a tenant's access keys (never the secrets)
#[utoipa::path(get, path = "/admin/v1/tenants/{tenant}/access-keys", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 200, description = "Access keys, under items", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn list(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let items = manage::list(&state.pool, &tenant).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// `/admin/v1/tenants/{tenant}/access-keys/{accessKeyId}`: the id at segment 6.
/// Revoke an access key
#[utoipa::path(delete, path = "/admin/v1/tenants/{tenant}/access-keys/{accessKeyId}", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$"), ("accessKeyId" = String, Path, description = "Access key id, LWAK and 16 uppercase letters or digits")),
    responses((status = 200, description = "The revoked key", body = crate::db::access_keys::AccessKeyInfo), ClientProblems, AdminProblems))]
pub(crate) async fn revoke(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let raw = crate::routes::path_segment(&req, 6, "accessKeyId")?;
    if !crate::auth::access_key::valid_id(&raw) {
        return Err(ApiError::invalid_param(
            "accessKeyId",
            "must be LWAK followed by 16 uppercase letters or digits",
        ));
    }
    let info = manage::revoke(&state.pool, &actor(&admin, &req), &tenant, &raw).await?;
    refresh(&state, &raw).await;
    Ok(HttpResponse::Ok().json(info))
}

/// This instance applies the change at once; others through the notification.
async fn refresh(state: &AppState, id: &str) {
    if let Err(e) = state.auth.directory.reload_access_key(&state.pool, id).await {
        tracing::warn!(access_key = id, error = %e, "directory refresh after access key change failed; the listener will retry");
    }
}
