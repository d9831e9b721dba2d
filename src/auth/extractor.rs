//! Authentication as extractors: a handler that takes [`TenantPrincipal`] can
//! only run for a verified customer of an active tenant; one that takes
//! [`AdminPrincipal`] only for an admin.

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::{AuthError, bearer_token};
use crate::audit::AuditEvent;
use crate::directory::TenantEntry;
use crate::error::ApiError;
use crate::state::AppState;

/// A verified customer of an active tenant.
#[derive(Debug, Clone)]
pub struct TenantPrincipal {
    pub tenant: Arc<TenantEntry>,
    /// `jwt:<sub>` (or `jwt` for a token without a subject).
    pub principal: String,
}

/// A verified operator.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    /// `admin-token` for the bootstrap token.
    pub principal: String,
}

/// The request id assigned by the request-id middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Who the request-log line should name; set once a principal is known.
#[derive(Debug, Clone)]
pub struct LoggedPrincipal {
    pub tenant: Option<String>,
    pub principal: String,
}

pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))
}

impl FromRequest for TenantPrincipal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let started = Instant::now();
            let state = state(&req)?;
            match authenticate_tenant(&state, &req).await {
                Ok(principal) => {
                    req.extensions_mut().insert(LoggedPrincipal {
                        tenant: Some(principal.tenant.id.to_string()),
                        principal: principal.principal.clone(),
                    });
                    Ok(principal)
                }
                Err((err, tenant)) => {
                    tracing::info!(reason = err.reason(), detail = %err, "tenant authentication failed");
                    let reason = err.reason();
                    let api = ApiError::from(err);
                    state.audit.record(AuditEvent {
                        at: chrono::Utc::now(),
                        kind: "data",
                        tenant_id: tenant,
                        principal: None,
                        action: "authenticate".into(),
                        resource: Some(req.path().to_owned()),
                        decision: "deny",
                        reason,
                        http_status: api.code().status().as_u16() as i16,
                        latency_ms: started.elapsed().as_millis() as i32,
                        request_id: request_id(&req),
                        detail: None,
                    });
                    Err(api)
                }
            }
        })
    }
}

async fn authenticate_tenant(
    state: &AppState,
    req: &HttpRequest,
) -> Result<TenantPrincipal, (AuthError, Option<String>)> {
    let token = bearer_token(req.headers().get(AUTHORIZATION)).map_err(|e| (e, None))?;
    let claims = state.jwt.verify(token).await.map_err(|e| (e, None))?;
    let tenant = state
        .directory
        .get(&claims.tenant)
        .ok_or_else(|| (AuthError::UnknownTenant(claims.tenant.clone()), None))?;
    if !tenant.active {
        return Err((
            AuthError::DisabledTenant(claims.tenant.clone()),
            Some(claims.tenant),
        ));
    }
    let principal = match claims.subject {
        Some(sub) => format!("jwt:{sub}"),
        None => "jwt".to_owned(),
    };
    Ok(TenantPrincipal { tenant, principal })
}

impl FromRequest for AdminPrincipal {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticate_admin(req))
    }
}

fn authenticate_admin(req: &HttpRequest) -> Result<AdminPrincipal, ApiError> {
    let state = state(req)?;
    let token = bearer_token(req.headers().get(AUTHORIZATION))?;
    if state.admin_token.verify(token) {
        req.extensions_mut().insert(LoggedPrincipal {
            tenant: None,
            principal: "admin-token".into(),
        });
        Ok(AdminPrincipal {
            principal: "admin-token".into(),
        })
    } else {
        tracing::info!(path = req.path(), "admin authentication failed");
        Err(ApiError::unauthenticated("admin credentials required"))
    }
}
