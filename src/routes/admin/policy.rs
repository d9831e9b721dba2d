//! A tenant's policy: validated on PUT, versioned in the database.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::json;

use super::{audit_change, refresh, tenant_id};
use crate::auth::AdminPrincipal;
use crate::db::policies::{self, StoredPolicy};
use crate::domain::PolicyDocument;
use crate::error::{ApiError, ErrorCode, InvalidParam};
use crate::state::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyBody<'a> {
    tenant_id: &'a str,
    #[serde(flatten)]
    stored: &'a StoredPolicy,
}

fn respond(
    status: actix_web::http::StatusCode,
    tenant: &str,
    stored: &StoredPolicy,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, format!("\"{}\"", stored.version)))
        .json(PolicyBody {
            tenant_id: tenant,
            stored,
        })
}

pub async fn show(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    let stored = policies::current(&state.pool, &id).await?.ok_or_else(|| {
        ApiError::not_found(format!("tenant {id} has no policy (or does not exist)"))
    })?;
    Ok(respond(
        actix_web::http::StatusCode::OK,
        id.as_str(),
        &stored,
    ))
}

pub async fn put(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    let document = PolicyDocument::parse(body.into_inner()).map_err(invalid_policy)?;
    // Compiling for this tenant proves the variables resolve before storing.
    document.compile(id.as_str()).map_err(invalid_policy)?;
    let before = policies::current(&state.pool, &id).await?;
    let stored = policies::put(&state.pool, &id, document.as_json(), &admin.principal)
        .await
        .map_err(|e| match e {
            crate::db::DbError::NotFound => ApiError::not_found(format!("no tenant {id}")),
            other => other.into(),
        })?;
    refresh(&state, &id).await;
    audit_change(
        &state,
        &req,
        &admin,
        "policy.put",
        &id,
        200,
        json!({"before": before.map(|b| b.document), "after": stored.document, "version": stored.version}),
    );
    Ok(respond(
        actix_web::http::StatusCode::OK,
        id.as_str(),
        &stored,
    ))
}

fn invalid_policy(err: crate::domain::PolicyError) -> ApiError {
    let mut api = ApiError::new(ErrorCode::InvalidPolicy, err.to_string());
    api.push_invalid_param(InvalidParam {
        name: err.field(),
        reason: err.to_string(),
    });
    api
}
