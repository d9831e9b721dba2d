//! The customer-facing read API under `/v1`. Every handler follows one path:
//! authenticate (extractor) → validate input → resolve the resource ARN →
//! authorize (pure) → call CloudWatch → map the response; and every decision is
//! audited.

pub(crate) mod events;
pub(crate) mod filter;
pub(crate) mod groups;
pub(crate) mod me;
pub(crate) mod queries;
pub(crate) mod streams;
pub(crate) mod tail;

use std::time::Instant;

use actix_web::http::Method;
use actix_web::http::header::ACCEPT;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::audit::AuditEvent;
use crate::auth::TenantPrincipal;
use crate::auth::extractor::request_id;
use crate::domain::{Action, Decision};
use crate::error::ApiError;
use crate::request_log::LoggedDecision;
use crate::state::AppState;

/// Handlers read path segments by position (`path_segment`), following these patterns.
pub(crate) fn routes() -> Vec<super::Route> {
    use super::{Access::Tenant, route};
    vec![
        route(Method::GET, "/v1/log-groups", Tenant, web::to(groups::list_log_groups)),
        route(
            Method::GET,
            "/v1/log-groups/{group}/log-streams",
            Tenant,
            web::to(streams::list_log_streams),
        ),
        route(
            Method::GET,
            "/v1/log-groups/{group}/log-streams/{stream}/events",
            Tenant,
            web::to(events::get_log_events),
        ),
        route(
            Method::GET,
            "/v1/log-groups/{group}/events",
            Tenant,
            web::to(filter::filter_log_events),
        ),
        route(
            Method::GET,
            "/v1/log-groups/{group}/log-streams/{stream}/tail",
            Tenant,
            web::to(tail::tail_stream),
        ),
        route(
            Method::GET,
            "/v1/log-groups/{group}/tail",
            Tenant,
            web::to(tail::tail_group),
        ),
        route(Method::POST, "/v1/queries", Tenant, web::to(queries::start_query)),
        route(
            Method::GET,
            "/v1/queries/{query}",
            Tenant,
            web::to(queries::get_query_results),
        ),
        route(
            Method::DELETE,
            "/v1/queries/{query}",
            Tenant,
            web::to(queries::stop_query),
        ),
        route(Method::GET, "/v1/me", Tenant, web::to(me::me)),
    ]
}

/// Latest representable epoch millisecond we accept (year 9999).
pub(crate) const MAX_EPOCH_MS: i64 = 253_402_300_799_999;
/// Longest paging token we accept from a client.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Unwraps a client's `nextToken`: it must be one this gateway issued to
/// this tenant for this operation and resource.
pub(crate) fn unwrap_token(
    state: &AppState,
    principal: &TenantPrincipal,
    action: Action,
    resource: &str,
    token: Option<&str>,
) -> Result<Option<String>, ApiError> {
    token
        .map(|t| {
            state
                .tokens
                .unwrap(t, principal.tenant.id.as_str(), action.operation(), resource)
                .map_err(|e| ApiError::invalid_param("nextToken", e.to_string()))
        })
        .transpose()
}

/// Wraps an upstream token for this tenant, operation and resource.
pub(crate) fn wrap_token(
    state: &AppState,
    principal: &TenantPrincipal,
    action: Action,
    resource: &str,
    token: Option<&str>,
) -> Option<String> {
    token.map(|t| {
        state
            .tokens
            .wrap(principal.tenant.id.as_str(), action.operation(), resource, t)
    })
}

/// Whether the client asked for newline-delimited JSON.
pub(crate) fn wants_ndjson(req: &HttpRequest) -> bool {
    req.headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|m| m.trim().starts_with("application/x-ndjson")))
}

/// One JSON object per line, written as it is serialised rather than built
/// whole; paging tokens travel in headers.
pub(crate) fn ndjson<T: Serialize + 'static>(items: Vec<T>, headers: Vec<(&'static str, String)>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type("application/x-ndjson");
    for (name, value) in headers {
        response.insert_header((name, value));
    }
    let lines = futures_util::stream::iter(items.into_iter().map(|item| {
        let mut line = serde_json::to_vec(&item).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, std::convert::Infallible>(Bytes::from(line))
    }));
    response.streaming(lines)
}

/// What a handler learnt on its way, for the audit record.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    resource: Option<String>,
    decision: Option<Decision>,
    /// Set when the credential (an API key narrowed to some actions) refused.
    outside_key_scope: bool,
}

/// Authorizes `action` on one `resource` for the caller, or answers 403. An API
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

/// Authorizes `action` on every stream whose ARN starts with `prefix` (see
/// [`crate::domain::CompiledPolicy::authorize_stream_prefix`]), or answers 403.
fn authorize_streams(
    principal: &TenantPrincipal,
    action: Action,
    prefix: String,
    what: &str,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    if !principal.credential_allows(action) {
        outcome.decision = Some(Decision::ImplicitDeny);
        outcome.outside_key_scope = true;
        outcome.resource = Some(format!("{prefix}*"));
        return Err(ApiError::access_denied(format!("this API key is not allowed {action}")));
    }
    let decision = principal.tenant.policy.authorize_stream_prefix(action, &prefix);
    outcome.decision = Some(decision);
    outcome.resource = Some(format!("{prefix}*"));
    if decision.is_allowed() {
        Ok(())
    } else {
        Err(ApiError::access_denied(format!(
            "the policy of tenant {} does not allow {action} on {what}: every stream it can read must be permitted",
            principal.tenant.id
        )))
    }
}

/// Runs a handler's body and records its decision in the audit trail,
/// whatever the outcome.
async fn audited(
    req: &HttpRequest,
    principal: &TenantPrincipal,
    state: &AppState,
    action: Action,
    body: impl AsyncFnOnce(&mut Outcome) -> Result<HttpResponse, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let mut outcome = Outcome::default();
    let result = body(&mut outcome).await;
    record(state, req, principal, action, outcome, &result, started);
    result
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
    state.metrics.decision(action.iam_name(), decision, reason);
    req.extensions_mut().insert(LoggedDecision(reason));
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
