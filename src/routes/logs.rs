//! The customer-facing read API under `/v1`. Every handler follows one path:
//! authenticate (extractor) → validate input → resolve the resource ARN →
//! authorize (pure) → call CloudWatch → map the response; and every decision is
//! audited.

pub(crate) mod events;
pub(crate) mod me;

use std::time::Instant;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::audit::AuditEvent;
use crate::auth::TenantPrincipal;
use crate::auth::extractor::request_id;
use crate::domain::{Action, Decision};
use crate::error::ApiError;
use crate::state::AppState;

/// Handlers read path segments by position (`path_segment`), following these patterns.
pub(crate) fn routes() -> Vec<super::Route> {
    use super::{Access::Tenant, route};
    vec![
        route(
            Method::GET,
            "/v1/log-groups/{group}/log-streams/{stream}/events",
            Tenant,
            web::to(events::get_log_events),
        ),
        route(Method::GET, "/v1/me", Tenant, web::to(me::me)),
    ]
}

/// What a handler learnt on its way, for the audit record.
#[derive(Debug, Default)]
struct Outcome {
    resource: Option<String>,
    decision: Option<Decision>,
    /// Set when the credential (an API key narrowed to some actions) refused.
    outside_key_scope: bool,
}

/// Authorizes `action` on `resource` for the caller, or answers 403. An API
/// key narrowed to some actions is checked first: it can only take rights
/// away from the tenant policy, never add them.
fn authorize(
    principal: &TenantPrincipal,
    action: Action,
    resource: String,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    if !principal.credential_allows(action) {
        outcome.decision = Some(Decision::ImplicitDeny);
        outcome.outside_key_scope = true;
        outcome.resource = Some(resource);
        return Err(ApiError::access_denied(format!("this API key is not allowed {action}")));
    }
    let decision = principal.tenant.policy.authorize(action, &resource);
    let denied = (!decision.is_allowed()).then(|| {
        ApiError::access_denied(format!(
            "the policy of tenant {} does not allow {action} on {resource}",
            principal.tenant.id
        ))
    });
    outcome.decision = Some(decision);
    outcome.resource = Some(resource);
    denied.map_or(Ok(()), Err)
}

fn record(
    state: &AppState,
    req: &HttpRequest,
    principal: &TenantPrincipal,
    action: Action,
    outcome: Outcome,
    result: &Result<HttpResponse, ApiError>,
    started: Instant,
) {
    let status = match result {
        Ok(r) => r.status(),
        Err(e) => e.code().status(),
    };
    let (decision, reason) = match (outcome.decision, result) {
        _ if outcome.outside_key_scope => ("deny", "key_scope"),
        (Some(Decision::Allowed), _) => ("allow", "allowed"),
        (Some(Decision::ExplicitDeny), _) => ("deny", "explicit_deny"),
        (Some(Decision::ImplicitDeny), _) => ("deny", "implicit_deny"),
        (None, Err(_)) => ("deny", "invalid_request"),
        (None, Ok(_)) => ("deny", "not_evaluated"),
    };
    state.audit.record(AuditEvent {
        at: chrono::Utc::now(),
        kind: "data",
        tenant_id: Some(principal.tenant.id.to_string()),
        principal: Some(principal.principal.clone()),
        action: action.iam_name().to_owned(),
        resource: outcome.resource,
        decision,
        reason,
        http_status: status.as_u16() as i16,
        latency_ms: started.elapsed().as_millis().min(i32::MAX as u128) as i32,
        request_id: request_id(req),
        detail: None,
    });
}
