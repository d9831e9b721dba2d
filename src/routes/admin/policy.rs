//! A tenant's policy: read with its version as ETag, write with If-Match,
//! history, and the simulator.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::Value;

use super::{actor, refresh_tenant, tenant_id};
use crate::auth::AdminPrincipal;
use crate::db::policies::StoredPolicy;
use crate::domain::policy::{DuplicateKey, StrictJson};
use crate::error::{ApiError, ErrorCode};
use crate::manage::ManageError;
use crate::manage::policies::{self as manage, IfMatch};
use crate::routes::problem::{AdminProblems, ClientProblems};
use crate::state::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyBody<'a> {
    tenant_id: &'a str,
    #[serde(flatten)]
    stored: &'a StoredPolicy,
}

fn respond(tenant: &str, stored: &StoredPolicy) -> HttpResponse {
    HttpResponse::build(StatusCode::OK)
        .insert_header((header::ETAG, format!("\"{}\"", stored.version)))
        .json(PolicyBody {
            tenant_id: tenant,
            stored,
        })
}

/// The current policy; ETag is its version
#[utoipa::path(get, path = "/admin/v1/tenants/{tenant}/policy", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), 
    responses((status = 200, description = "The policy", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn show(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    let stored = manage::current(&state.pool, &id).await?;
    Ok(respond(id.as_str(), &stored))
}

/// `If-Match: "N"` (the ETag of version N; `"0"` when there is no policy yet)
/// or `*` (some policy exists, RFC 9110).
fn if_match(req: &HttpRequest) -> Result<Option<IfMatch>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = value.to_str().unwrap_or_default().trim();
    if raw == "*" {
        return Ok(Some(IfMatch::Any));
    }
    // If-Match compares strongly (RFC 9110 13.1.1): a weak tag is well formed
    // but can never match, which is a failed precondition, not a bad request.
    if raw
        .strip_prefix("W/")
        .is_some_and(|tag| tag.len() >= 2 && tag.starts_with('"') && tag.ends_with('"'))
    {
        return Err(ApiError::new(
            ErrorCode::PreconditionFailed,
            "If-Match compares strongly and a weak ETag (W/\"...\") never matches: send the ETag exactly as GET returns it, like \"3\"",
        ));
    }
    raw.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|v| *v >= 0)
        .map(|v| Some(IfMatch::Version(v)))
        .ok_or_else(|| ApiError::invalid_param("If-Match", "must be an ETag from GET, like \"3\", or *"))
}

/// Store a policy as the next version
///
/// With `If-Match: "N"` only when version N is current (412 otherwise).
#[utoipa::path(put, path = "/admin/v1/tenants/{tenant}/policy", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$"), ("If-Match" = Option<String>, Header, description = "ETag of the version this edit is based on, or *")), request_body = Object, 
    responses((status = 200, description = "Stored", body = Object), (status = 412, description = "Another edit came first", body = crate::routes::problem::ProblemDoc, content_type = "application/problem+json"), ClientProblems, AdminProblems))]
pub(crate) async fn put(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<StrictJson>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    let expected = if_match(&req)?;
    let document = body
        .into_inner()
        .into_value()
        .map_err(|duplicate| ManageError::InvalidPolicy(duplicate.into()))?;
    let stored = manage::put(&state.pool, &actor(&admin, &req), &id, document, expected).await?;
    refresh_tenant(&state, &id).await;
    Ok(respond(id.as_str(), &stored))
}

/// Every stored version, newest first
#[utoipa::path(get, path = "/admin/v1/tenants/{tenant}/policy/versions", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), 
    responses((status = 200, description = "Versions", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn versions(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    let items = manage::versions(&state.pool, &id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tenantId": id, "items": items })))
}

/// Body: `{"action", "resource", "policy"?}` → one result, or a list of
/// `{"action", "resource"}` → a list of results. `policy` simulates a draft
/// instead of the stored policy.
/// Simulate requests against the policy (or a draft)
#[utoipa::path(post, path = "/admin/v1/tenants/{tenant}/policy/simulate", tag = "admin", security(("admin" = [])), params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")), request_body = Object, 
    responses((status = 200, description = "Decision(s) with matched statements", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn simulate(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
    body: web::Json<StrictJson>,
) -> Result<HttpResponse, ApiError> {
    let id = tenant_id(&req)?;
    match body.into_inner().into_value().map_err(duplicate_in_simulation)? {
        Value::Object(mut obj) => {
            let draft = obj.remove("policy");
            let (action, resource) = request_fields(&Value::Object(obj), "")?;
            let policy = manage::policy_for_simulation(&state.pool, &id, draft).await?;
            Ok(HttpResponse::Ok().json(manage::simulate(&policy, &action, &resource)?))
        }
        Value::Array(items) => {
            if items.is_empty() || items.len() > 100 {
                return Err(ApiError::invalid_body("body", "give 1 to 100 requests"));
            }
            let policy = manage::policy_for_simulation(&state.pool, &id, None).await?;
            let results = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let (action, resource) = request_fields(item, &format!("[{i}]."))?;
                    manage::simulate(&policy, &action, &resource).map_err(ApiError::from)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(HttpResponse::Ok().json(results))
        }
        _ => Err(ApiError::invalid_body("body", "must be an object or a list of objects")),
    }
}

/// A key repeated in the simulator's body: inside the draft it is the draft
/// policy's fault, elsewhere the request's.
fn duplicate_in_simulation(duplicate: DuplicateKey) -> ApiError {
    if duplicate.path.starts_with("policy.") || duplicate.path.starts_with("policy[") {
        ManageError::InvalidPolicy(duplicate.into()).into()
    } else {
        let reason = format!("duplicate key \"{}\": a key may appear only once", duplicate.key);
        ApiError::invalid_body(duplicate.path, reason)
    }
}

fn request_fields(item: &Value, prefix: &str) -> Result<(String, String), ApiError> {
    let obj = item
        .as_object()
        .ok_or_else(|| ApiError::invalid_body(format!("{prefix}body"), "must be an object"))?;
    if let Some(unknown) = obj.keys().find(|k| !matches!(k.as_str(), "action" | "resource")) {
        return Err(ApiError::invalid_body(format!("{prefix}{unknown}"), "unknown field"));
    }
    let field = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::invalid_body(format!("{prefix}{name}"), "is required and must be a string"))
    };
    Ok((field("action")?, field("resource")?))
}
