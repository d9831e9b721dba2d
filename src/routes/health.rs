//! Liveness, readiness, metrics and the API description.

use std::time::Duration;

use actix_web::http::Method;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};

use super::{Access, Route, route};
use crate::auth::Presented;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::Snapshot;
use crate::state::AppState;

pub(crate) fn routes() -> Vec<Route> {
    vec![
        route(Method::GET, "/healthz", Access::Public, web::to(healthz)),
        route(Method::GET, "/readyz", Access::Public, web::to(readyz)),
        // Metrics name tenants: admin credentials, or the metrics token.
        route(Method::GET, "/metrics", Access::Admin, web::to(metrics)),
        route(Method::GET, "/openapi.json", Access::Public, web::to(openapi)),
    ]
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, description = "Alive")))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Ready to serve: the database answers and the access rules are current.
#[utoipa::path(get, path = "/readyz", tag = "meta", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "Not ready", body = super::problem::ProblemDoc, content_type = "application/problem+json"),
))]
pub(crate) async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let database = tokio::time::timeout(Duration::from_secs(2), sqlx::query("select 1").execute(&state.pool))
        .await
        .is_ok_and(|r| r.is_ok());
    let age = state.auth.directory.age();
    let fresh = state.auth.fresh().is_ok();
    if database && fresh {
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "status": "ready",
            "directoryAgeSeconds": age.map(|a| a.as_secs_f64()),
        })));
    }
    let why = match (database, fresh) {
        (false, false) => "the database is unreachable and the access rules are stale",
        (false, true) => "the database is unreachable",
        _ => "the access rules are stale",
    };
    Err(ApiError::new(ErrorCode::ServiceUnavailable, why).with_retry_after(5))
}

/// Prometheus metrics (text format). They name tenants, so they need admin
/// credentials or `LOGWARD_METRICS_TOKEN` as a bearer token.
#[utoipa::path(get, path = "/metrics", tag = "meta", security(("admin" = [])), responses(
    (status = 200, description = "Prometheus text exposition", content_type = "text/plain"),
    (status = 401, description = "Neither admin credentials nor the metrics token", body = super::problem::ProblemDoc, content_type = "application/problem+json"),
))]
pub(crate) async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let presented = Presented::from_authorization(req.headers().get(AUTHORIZATION).map(|v| v.as_bytes()));
    let scraper = match (&state.metrics_token, presented) {
        (Some(required), Ok(Presented::Bearer(token))) => required.verify(token),
        _ => false,
    };
    if !scraper {
        crate::auth::AdminPrincipal::extract(&req).await?;
    }
    let body = state.metrics.render(Snapshot {
        directory_age: state.auth.directory.age().unwrap_or(Duration::MAX),
        directory_reloads: state.auth.directory.reloads(),
        audit_buffered: state.audit.buffered(),
        audit_dropped: state.audit.dropped(),
        tails_open: state.gateway.tails.open(),
        tail_pollers: state.gateway.tails.active_pollers(),
        log_lines_dropped: crate::telemetry::dropped_lines(),
    });
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

/// This API's OpenAPI 3.1 description.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub(crate) async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(super::openapi::document())
}
