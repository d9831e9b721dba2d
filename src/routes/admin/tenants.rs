//! Tenants: list, create, show, update, delete.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{actor, refresh_tenant, tenant_id};
use crate::auth::AdminPrincipal;
use crate::db::tenants::{RateLimit, Tenant, TenantStatus};
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::manage::tenants as manage;
use crate::routes::problem::{AdminProblems, ClientProblems};
use crate::routes::query::StrictQuery;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTenant {
    id: String,
    name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct UpdateTenant {
    name: Option<String>,
    /// `{"perSecond", "burst"}` to override the default rate limit, `null` to go back to it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RateLimit>)]
    rate_limit: Option<Option<RateLimit>>,
    #[schema(value_type = Option<String>, example = "disabled")]
    status: Option<TenantStatus>,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<RateLimit>>, D::Error> {
    Option::<RateLimit>::deserialize(d).map(Some)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TenantPage {
    items: Vec<Tenant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// List tenants (cursor pagination by id)
#[utoipa::path(get, path = "/admin/v1/tenants", tag = "admin", security(("admin" = [])), params(("limit" = Option<i64>, Query, description = "1-500, default 100"), ("after" = Option<String>, Query, description = "nextCursor of the previous page"), ("status" = Option<String>, Query, description = "active or disabled")), 
    responses((status = 200, description = "A page of tenants", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn list(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = StrictQuery::parse(req.query_string(), &["limit", "after", "status"])?;
    let limit = query.int("limit", 1, manage::MAX_PAGE)?.unwrap_or(100);
    let after = query
        .get("after")
        .map(|a| TenantId::parse(a).map_err(|e| ApiError::invalid_param("after", e.to_string())))
        .transpose()?;
    let status = match query.get("status") {
        None => None,
        Some("active") => Some(TenantStatus::Active),
        Some("disabled") => Some(TenantStatus::Disabled),
        Some(other) => {
            return Err(ApiError::invalid_param(
                "status",
                format!("must be active or disabled, got {other:?}"),
            ));
        }
    };
    let items = manage::list(&state.pool, status, after.as_ref(), limit).await?;
    let next_cursor = (items.len() as i64 == limit)
        .then(|| items.last().map(|t| t.id.clone()))
        .flatten();
    Ok(HttpResponse::Ok().json(TenantPage { items, next_cursor }))
}

/// Create a tenant
#[utoipa::path(post, path = "/admin/v1/tenants", tag = "admin", security(("admin" = [])), request_body = CreateTenant, 
    responses((status = 201, description = "Created", body = Tenant), (status = 409, description = "The id exists", body = crate::routes::problem::ProblemDoc, content_type = "application/problem+json"), ClientProblems, AdminProblems))]
pub(crate) async fn create(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<CreateTenant>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let id = TenantId::parse(&body.id).map_err(|e| ApiError::invalid_body("id", e.to_string()))?;
    let tenant = manage::create(&state.pool, &actor(&admin, &req), &id, &body.name).await?;
    refresh_tenant(&state, &id).await;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/admin/v1/tenants/{id}")))
        .json(tenant))
}

/// Show a tenant
#[utoipa::path(get, path = "/admin/v1/tenants/{tenant}", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), 
    responses((status = 200, description = "The tenant", body = Tenant), ClientProblems, AdminProblems))]
pub(crate) async fn show(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    Ok(HttpResponse::Ok().json(manage::show(&state.pool, &id).await?))
}

/// Rename, disable or enable a tenant
///
/// Disabling stops all its tokens and keys at once.
#[utoipa::path(patch, path = "/admin/v1/tenants/{tenant}", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), request_body = UpdateTenant, 
    responses((status = 200, description = "The tenant", body = Tenant), ClientProblems, AdminProblems))]
pub(crate) async fn update(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<UpdateTenant>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    let body = body.into_inner();
    let tenant = manage::update(
        &state.pool,
        &actor(&admin, &req),
        &id,
        body.name.as_deref(),
        body.status,
        body.rate_limit,
    )
    .await?;
    refresh_tenant(&state, &id).await;
    Ok(HttpResponse::Ok().json(tenant))
}

/// Delete a tenant with its policy and keys (the audit trail is kept)
#[utoipa::path(delete, path = "/admin/v1/tenants/{tenant}", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), 
    responses((status = 204, description = "Deleted"), ClientProblems, AdminProblems))]
pub(crate) async fn delete(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    manage::delete(&state.pool, &actor(&admin, &req), &id).await?;
    // Dropping the tenant makes its keys and tokens useless at once; the key
    // entries follow through their own notifications.
    refresh_tenant(&state, &id).await;
    Ok(HttpResponse::NoContent().finish())
}
