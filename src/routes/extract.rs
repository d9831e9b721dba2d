//! Authentication on the REST door, as extractors: a handler that takes a
//! [`Call`] runs only for a verified customer of an active tenant, admitted
//! by the rate limits; one that takes [`AdminPrincipal`] only for an
//! operator. Both only adapt HTTP to `auth` / `gateway` functions.
//!
//! Credentials: customer JWTs and tenant API keys (`lwk_`) on `/v1`; the
//! bootstrap admin token, admin API keys (`lwa_`) and admin-role JWTs on
//! `/admin`. A tenant key never authenticates to the admin API and an admin key
//! never reads logs.

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::authenticate::AdminRefusal;
use crate::auth::{AdminPrincipal, Presented};
use crate::error::{ApiError, ErrorCode};
use crate::gateway::Call;
use crate::request_log::{LoggedPrincipal, request_id};
use crate::state::AppState;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))
}

fn presented(req: &HttpRequest) -> Result<Presented<'_>, crate::auth::AuthError> {
    Presented::from_authorization(req.headers().get(AUTHORIZATION).map(|v| v.as_bytes()))
}

/// Who the request-log line and the request span should name.
pub(crate) fn log_principal(req: &HttpRequest, tenant: Option<String>, principal: &str) {
    let span = tracing::Span::current();
    span.record("tenant", tenant.as_deref());
    span.record("principal", principal);
    req.extensions_mut().insert(LoggedPrincipal {
        tenant,
        principal: principal.to_owned(),
    });
}

/// Runs `authenticate` with the request and the application state.
fn extract<T: 'static>(
    req: &HttpRequest,
    authenticate: impl AsyncFnOnce(HttpRequest, web::Data<AppState>) -> Result<T, ApiError> + 'static,
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    let req = req.clone();
    Box::pin(async move {
        let state = state(&req)?;
        authenticate(req, state).await
    })
}

impl FromRequest for Call {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, async |req, state| {
            let call = state
                .gateway
                .authenticate(presented(&req), request_id(&req), req.path())
                .await?;
            log_principal(&req, Some(call.tenant_id().to_owned()), &call.principal.name);
            Ok(call)
        })
    }
}

impl FromRequest for AdminPrincipal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, async |req, state| {
            let refused = |e: AdminRefusal| {
                tracing::info!(path = req.path(), error = ?e, "admin authentication failed");
                match e {
                    AdminRefusal::Unauthenticated(why) => ApiError::unauthenticated(why),
                    AdminRefusal::NotAdmin(claim) => ApiError::new(
                        ErrorCode::Forbidden,
                        format!("the token does not carry the admin role (claim {claim:?})"),
                    ),
                }
            };
            let presented = presented(&req).map_err(ApiError::from)?;
            let admin = state.auth.admin(presented).await.map_err(refused)?;
            log_principal(&req, None, &admin.name);
            Ok(admin)
        })
    }
}
