//! Tenant create / show / update.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{audit_change, refresh, tenant_id};
use crate::auth::AdminPrincipal;
use crate::db::tenants::{self, TenantStatus};
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::state::AppState;

const MAX_NAME_CHARS: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    name: Option<String>,
    status: Option<TenantStatus>,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.len() != name.len() {
        return Err(ApiError::invalid_body(
            "name",
            "must be non-empty without leading or trailing spaces",
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_body(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters without control characters"),
        ));
    }
    Ok(())
}

pub async fn create(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<CreateTenant>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let id = TenantId::parse(&body.id).map_err(|e| ApiError::invalid_body("id", e.to_string()))?;
    check_name(&body.name)?;
    let tenant = tenants::insert(&state.pool, &id, &body.name).await?;
    refresh(&state, &id).await;
    audit_change(
        &state,
        &req,
        &admin,
        "tenant.create",
        &id,
        201,
        json!({"after": tenant}),
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/admin/v1/tenants/{id}")))
        .json(tenant))
}

pub async fn show(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    let tenant = tenants::find(&state.pool, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no tenant {id}")))?;
    Ok(HttpResponse::Ok().json(tenant))
}

pub async fn update(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<UpdateTenant>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    let body = body.into_inner();
    if body.name.is_none() && body.status.is_none() {
        return Err(ApiError::invalid_body(
            "body",
            "give at least one of name, status",
        ));
    }
    if let Some(name) = &body.name {
        check_name(name)?;
    }
    let before = tenants::find(&state.pool, &id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no tenant {id}")))?;
    let after = tenants::update(&state.pool, &id, body.name.as_deref(), body.status)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no tenant {id}")))?;
    refresh(&state, &id).await;
    audit_change(
        &state,
        &req,
        &admin,
        "tenant.update",
        &id,
        200,
        json!({"before": before, "after": after}),
    );
    Ok(HttpResponse::Ok().json(after))
}
