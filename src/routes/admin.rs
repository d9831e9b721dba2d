//! The management API under `/admin/v1`. Every handler takes an
//! [`AdminPrincipal`]; tenant credentials never pass here. Changes go through
//! [`crate::manage`], which audits them (who, what, before/after) in the same
//! transaction; reads and refused requests are audited by [`audit_access`].

pub(crate) mod access_keys;
pub(crate) mod audit;
pub(crate) mod keys;
pub(crate) mod policy;
pub(crate) mod queries;
pub(crate) mod tenants;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{HttpMessage, HttpRequest, web};

use crate::audit::AuditEvent;
use crate::auth::AdminPrincipal;
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::manage::Actor;
use crate::request_log::{LoggedPrincipal, RequestId};
use crate::state::AppState;

/// Handlers read path segments by position (`path_segment`), following these patterns.
pub(crate) fn routes() -> Vec<super::Route> {
    use super::{Access::Admin, route};
    vec![
        route(Method::GET, "/admin/v1/tenants", Admin, web::to(tenants::list)),
        route(Method::POST, "/admin/v1/tenants", Admin, web::to(tenants::create)),
        route(Method::GET, "/admin/v1/tenants/{tenant}", Admin, web::to(tenants::show)),
        route(
            Method::PATCH,
            "/admin/v1/tenants/{tenant}",
            Admin,
            web::to(tenants::update),
        ),
        route(
            Method::DELETE,
            "/admin/v1/tenants/{tenant}",
            Admin,
            web::to(tenants::delete),
        ),
        route(
            Method::GET,
            "/admin/v1/tenants/{tenant}/policy",
            Admin,
            web::to(policy::show),
        ),
        route(
            Method::PUT,
            "/admin/v1/tenants/{tenant}/policy",
            Admin,
            web::to(policy::put),
        ),
        route(
            Method::GET,
            "/admin/v1/tenants/{tenant}/policy/versions",
            Admin,
            web::to(policy::versions),
        ),
        route(
            Method::POST,
            "/admin/v1/tenants/{tenant}/policy/simulate",
            Admin,
            web::to(policy::simulate),
        ),
        route(
            Method::GET,
            "/admin/v1/tenants/{tenant}/api-keys",
            Admin,
            web::to(keys::list_tenant_keys),
        ),
        route(
            Method::POST,
            "/admin/v1/tenants/{tenant}/api-keys",
            Admin,
            web::to(keys::create_tenant_key),
        ),
        route(
            Method::DELETE,
            "/admin/v1/tenants/{tenant}/api-keys/{key}",
            Admin,
            web::to(keys::revoke_tenant_key),
        ),
        route(
            Method::GET,
            "/admin/v1/tenants/{tenant}/access-keys",
            Admin,
            web::to(access_keys::list),
        ),
        route(
            Method::POST,
            "/admin/v1/tenants/{tenant}/access-keys",
            Admin,
            web::to(access_keys::create),
        ),
        route(
            Method::DELETE,
            "/admin/v1/tenants/{tenant}/access-keys/{accessKeyId}",
            Admin,
            web::to(access_keys::revoke),
        ),
        route(
            Method::GET,
            "/admin/v1/admin-keys",
            Admin,
            web::to(keys::list_admin_keys),
        ),
        route(
            Method::POST,
            "/admin/v1/admin-keys",
            Admin,
            web::to(keys::create_admin_key),
        ),
        route(
            Method::DELETE,
            "/admin/v1/admin-keys/{key}",
            Admin,
            web::to(keys::revoke_admin_key),
        ),
        route(
            Method::GET,
            "/admin/v1/tenants/{tenant}/queries",
            Admin,
            web::to(queries::list),
        ),
        route(
            Method::DELETE,
            "/admin/v1/tenants/{tenant}/queries",
            Admin,
            web::to(queries::clear_all),
        ),
        route(
            Method::DELETE,
            "/admin/v1/tenants/{tenant}/queries/{query}",
            Admin,
            web::to(queries::clear_one),
        ),
        route(Method::GET, "/admin/v1/audit", Admin, web::to(audit::query)),
    ]
}

/// Who is changing something, for `manage`: the admin and the request id.
fn actor(admin: &AdminPrincipal, req: &HttpRequest) -> Actor {
    Actor {
        name: admin.name.clone(),
        request_id: crate::request_log::request_id(req),
    }
}

/// `/admin/v1/tenants/{tenant}`: path segment 4.
fn tenant_id(req: &HttpRequest) -> Result<TenantId, ApiError> {
    let raw = super::path_segment(req, 4, "tenantId")?;
    TenantId::parse(&raw).map_err(|e| ApiError::invalid_param("tenantId", e.to_string()))
}

/// A key id at path segment `index`.
fn key_id(req: &HttpRequest, index: usize) -> Result<String, ApiError> {
    let raw = super::path_segment(req, index, "keyId")?;
    if crate::auth::api_key::valid_id(&raw) {
        Ok(raw)
    } else {
        Err(ApiError::invalid_param(
            "keyId",
            "must be 16 lowercase letters or digits",
        ))
    }
}

/// Audits every admin request that is not a successful change (those are
/// audited with their before/after by `manage`): reads, and refusals.
pub(crate) async fn audit_access(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let res = next.call(req).await?;
    let status = res.status();
    // Successful changes are audited by `manage` with their before/after;
    // the simulator changes nothing, so it is audited here like a read.
    let read = method == Method::GET || method == Method::HEAD;
    if status.is_success() && !read && !res.request().path().ends_with("/policy/simulate") {
        return Ok(res);
    }
    // Successful metric scrapes are routine; refused ones are still recorded.
    if status.is_success() && res.request().path() == "/metrics" {
        return Ok(res);
    }
    if let Some(state) = state {
        let request = res.request();
        let principal = request
            .extensions()
            .get::<LoggedPrincipal>()
            .map(|p| p.principal.clone());
        let request_id = request.extensions().get::<RequestId>().map(|r| r.0.clone());
        let (decision, reason) = access_outcome(status, principal.is_some());
        let action = format!(
            "{method} {}",
            request.match_pattern().unwrap_or_else(|| request.path().to_owned())
        );
        state.audit.record(
            AuditEvent::admin(action, decision, reason)
                .principal(principal)
                .resource(Some(request.path().to_owned()))
                .status(status.as_u16())
                .since(started)
                .request_id(request_id),
        );
    }
    Ok(res)
}

/// How an admin request's outcome is audited: only 401 and 403 (or a failure
/// before anyone was authenticated) are access denials. An authenticated
/// admin whose request was invalid (400), conflicted (409) or failed was let
/// in: recording that as a denial would hide real denials among typos.
fn access_outcome(status: actix_web::http::StatusCode, authenticated: bool) -> (&'static str, &'static str) {
    match status.as_u16() {
        200..=299 => ("allow", "read"),
        401 => ("deny", "unauthenticated"),
        403 => ("deny", "forbidden"),
        _ if !authenticated => ("deny", "error"),
        400..=499 => ("allow", "rejected"),
        _ => ("allow", "error"),
    }
}

/// After a write, refresh this instance's directory at once (other instances
/// follow through the database notification).
async fn refresh_tenant(state: &AppState, tenant: &TenantId) {
    if let Err(e) = state.auth.directory.reload_one(&state.pool, tenant).await {
        tracing::warn!(tenant = %tenant, error = %e, "directory refresh after admin write failed; the listener will retry");
    }
}

async fn refresh_key(state: &AppState, kind: crate::auth::api_key::KeyKind, id: &str) {
    if let Err(e) = state.auth.directory.reload_key(&state.pool, kind, id).await {
        tracing::warn!(key = id, error = %e, "directory refresh after key change failed; the listener will retry");
    }
}
