//! Authentication as extractors: a handler that takes [`TenantPrincipal`] can
//! only run for a verified customer of an active tenant; one that takes
//! [`AdminPrincipal`] only for an operator.
//!
//! Credentials: customer JWTs and tenant API keys (`lwk_`) on `/v1`; the
//! bootstrap admin token, admin API keys (`lwa_`) and admin-role JWTs on
//! `/admin`. A tenant key never authenticates to the admin API and an admin key
//! never reads logs.

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::api_key::{self, KeyKind};
use super::{AuthError, bearer_token};
use crate::audit::AuditEvent;
use crate::directory::{KeyEntry, TenantEntry};
use crate::domain::Action;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// How a tenant principal authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    Jwt {
        subject: Option<String>,
        /// `exp`, epoch seconds: long-lived responses (tails) end then.
        expires_at: Option<i64>,
    },
    ApiKey(Arc<KeyEntry>),
}

/// A verified customer of an active tenant.
#[derive(Debug, Clone)]
pub struct TenantPrincipal {
    pub tenant: Arc<TenantEntry>,
    pub credential: Credential,
    /// For audit and logs: `jwt:<sub>` (or `jwt`), or `key:<id>`.
    pub principal: String,
}

impl TenantPrincipal {
    /// Whether the credential itself permits `action` (API keys may be
    /// narrowed to some actions; they never widen the tenant policy).
    pub fn credential_allows(&self, action: Action) -> bool {
        match &self.credential {
            Credential::Jwt { .. } => true,
            Credential::ApiKey(key) => key.allows(action),
        }
    }
}

/// A verified operator.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    /// `admin-token`, `admin-key:<id>`, or `jwt:<sub>`.
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
            // Fail closed rather than decide on grants that may have changed.
            if state.directory.age().is_none_or(|age| age > state.max_staleness) {
                tracing::error!("tenant directory is stale; refusing data-plane requests until it refreshes");
                return Err(ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "access rules cannot be confirmed right now; retry shortly",
                )
                .with_retry_after(5));
            }
            match authenticate_tenant(&state, &req).await {
                Ok(principal) => {
                    let key_id = match &principal.credential {
                        Credential::ApiKey(key) => Some(key.id.as_str()),
                        Credential::Jwt { .. } => None,
                    };
                    if let Err(limited) =
                        state
                            .rate_limits
                            .check(principal.tenant.id.as_str(), principal.tenant.rate_limit, key_id)
                    {
                        let api = ApiError::new(
                            ErrorCode::Throttled,
                            format!("the {} request rate limit is exhausted", limited.scope),
                        )
                        .with_retry_after(limited.retry_after.as_secs_f64().ceil() as u64);
                        state.audit.record(AuditEvent {
                            at: chrono::Utc::now(),
                            kind: "data",
                            tenant_id: Some(principal.tenant.id.to_string()),
                            principal: Some(principal.principal.clone()),
                            action: "ratelimit".into(),
                            resource: Some(req.path().to_owned()),
                            decision: "deny",
                            reason: "rate_limited",
                            http_status: 429,
                            latency_ms: started.elapsed().as_millis() as i32,
                            request_id: request_id(&req),
                            detail: None,
                        });
                        return Err(api);
                    }
                    if let Credential::ApiKey(key) = &principal.credential {
                        state.key_usage.touch(KeyKind::Tenant, &key.id);
                    }
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

type Failure = (AuthError, Option<String>);

/// `jwt:<sub>` for audit rows and logs: the subject comes from the token, so it
/// is bounded and stripped of control characters (Postgres cannot store NUL).
fn jwt_principal(subject: Option<&str>) -> String {
    match subject {
        Some(sub) => {
            let clean: String = sub.chars().filter(|c| !c.is_control()).take(200).collect();
            format!("jwt:{clean}")
        }
        None => "jwt".to_owned(),
    }
}

async fn authenticate_tenant(state: &AppState, req: &HttpRequest) -> Result<TenantPrincipal, Failure> {
    let token = bearer_token(req.headers().get(AUTHORIZATION)).map_err(|e| (e, None))?;
    let (tenant_id, credential, principal) = if api_key::looks_like_key(token) {
        let key = verify_key(state, token, KeyKind::Tenant).map_err(|e| (e, None))?;
        let tenant = key.tenant.as_ref().map(|t| t.to_string()).unwrap_or_default();
        let principal = format!("key:{}", key.id);
        (tenant, Credential::ApiKey(key), principal)
    } else {
        let claims = state.jwt.verify(token).await.map_err(|e| (e, None))?;
        let tenant = state.jwt.tenant(&claims).map_err(|e| (e, None))?.to_owned();
        let principal = jwt_principal(claims.subject.as_deref());
        let expires_at = claims.claims.get("exp").and_then(serde_json::Value::as_i64);
        (
            tenant,
            Credential::Jwt {
                subject: claims.subject,
                expires_at,
            },
            principal,
        )
    };
    let tenant = state
        .directory
        .get(&tenant_id)
        .ok_or_else(|| (AuthError::UnknownTenant(tenant_id.clone()), None))?;
    if !tenant.active {
        return Err((AuthError::DisabledTenant(tenant_id.clone()), Some(tenant_id)));
    }
    Ok(TenantPrincipal {
        tenant,
        credential,
        principal,
    })
}

/// Verifies an API key of `kind`: known, not revoked (revoked keys are not in
/// the directory), not expired, secret matches (constant time).
fn verify_key(state: &AppState, token: &str, kind: KeyKind) -> Result<Arc<KeyEntry>, AuthError> {
    let presented = api_key::parse(token).ok_or_else(|| AuthError::InvalidToken("malformed API key".into()))?;
    if presented.kind != kind {
        return Err(AuthError::InvalidToken(
            "this kind of API key is not accepted here".into(),
        ));
    }
    let key = state
        .directory
        .key(kind, presented.id)
        .ok_or_else(|| AuthError::InvalidToken("unknown or revoked API key".into()))?;
    if !key.hash.verify(presented.secret) {
        return Err(AuthError::InvalidToken("API key secret does not match".into()));
    }
    if key.expired(chrono::Utc::now()) {
        return Err(AuthError::InvalidToken("API key expired".into()));
    }
    Ok(key)
}

impl FromRequest for AdminPrincipal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let admin = authenticate_admin(&state, &req).await.inspect_err(|e| {
                tracing::info!(path = req.path(), error = %e, "admin authentication failed");
            })?;
            req.extensions_mut().insert(LoggedPrincipal {
                tenant: None,
                principal: admin.principal.clone(),
            });
            Ok(admin)
        })
    }
}

async fn authenticate_admin(state: &AppState, req: &HttpRequest) -> Result<AdminPrincipal, ApiError> {
    let token = bearer_token(req.headers().get(AUTHORIZATION))?;
    if api_key::looks_like_key(token) {
        let key = verify_key(state, token, KeyKind::Admin)
            .map_err(|_| ApiError::unauthenticated("admin credentials required"))?;
        state.key_usage.touch(KeyKind::Admin, &key.id);
        return Ok(AdminPrincipal {
            principal: format!("admin-key:{}", key.id),
        });
    }
    if state.admin_token.verify(token) {
        return Ok(AdminPrincipal {
            principal: "admin-token".into(),
        });
    }
    // Anything shaped like a JWT must be a valid token from the configured
    // issuer carrying the admin role. Without a pinned issuer, any party whose
    // tokens the gateway accepts could mint itself an admin role.
    if token.split('.').count() == 3 {
        if !state.jwt.issuer_pinned() {
            return Err(ApiError::unauthenticated(
                "admin JWTs are accepted only when LOGWARD_JWT_ISSUER is configured",
            ));
        }
        let claims = state
            .jwt
            .verify(token)
            .await
            .map_err(|_| ApiError::unauthenticated("admin credentials required"))?;
        if !claims.has(&state.admin_role_claim, "admin") {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "the token does not carry the admin role (claim {:?})",
                    state.admin_role_claim
                ),
            ));
        }
        return Ok(AdminPrincipal {
            principal: jwt_principal(claims.subject.as_deref()),
        });
    }
    Err(ApiError::unauthenticated("admin credentials required"))
}
