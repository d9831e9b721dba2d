//! The management API under `/admin/v1`. Every handler takes an
//! [`AdminPrincipal`](crate::auth::AdminPrincipal); tenant credentials never
//! pass here. Every change is audited with who made it and before/after.

mod policy;
mod tenants;

use actix_web::{HttpRequest, web};

use crate::audit::AuditEvent;
use crate::auth::AdminPrincipal;
use crate::auth::extractor::request_id;
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let not_allowed = || web::to(super::method_not_allowed);
    cfg.service(
        web::resource("/admin/v1/tenants")
            .route(web::post().to(tenants::create))
            .default_service(not_allowed()),
    )
    .service(
        web::resource("/admin/v1/tenants/{tenant}")
            .route(web::get().to(tenants::show))
            .route(web::patch().to(tenants::update))
            .default_service(not_allowed()),
    )
    .service(
        web::resource("/admin/v1/tenants/{tenant}/policy")
            .route(web::get().to(policy::show))
            .route(web::put().to(policy::put))
            .default_service(not_allowed()),
    );
}

fn tenant_id(req: &HttpRequest) -> Result<TenantId, ApiError> {
    let raw = super::path_segment(req, 4, "tenantId")?;
    TenantId::parse(&raw).map_err(|e| ApiError::invalid_param("tenantId", e.to_string()))
}

/// Records an admin change.
fn audit_change(
    state: &AppState,
    req: &HttpRequest,
    admin: &AdminPrincipal,
    operation: &str,
    tenant: &TenantId,
    status: u16,
    detail: serde_json::Value,
) {
    state.audit.record(AuditEvent {
        at: chrono::Utc::now(),
        kind: "admin",
        tenant_id: Some(tenant.to_string()),
        principal: Some(admin.principal.clone()),
        action: operation.to_owned(),
        resource: Some(format!("tenant/{tenant}")),
        decision: "allow",
        reason: "admin",
        http_status: status as i16,
        latency_ms: 0,
        request_id: request_id(req),
        detail: Some(detail),
    });
}

/// After a write, refresh this instance's directory at once (other instances
/// follow through the database notification).
async fn refresh(state: &AppState, tenant: &TenantId) {
    if let Err(e) = state.directory.reload_one(&state.pool, tenant).await {
        tracing::warn!(tenant = %tenant, error = %e, "directory refresh after admin write failed; the listener will retry");
    }
}
