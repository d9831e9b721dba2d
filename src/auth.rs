//! Who is calling: customer JWTs (tenant principals) and the admin bootstrap
//! token (admin principals). Authentication only establishes identity; what the
//! identity may do is decided by `domain::policy`.

pub mod admin;
pub mod api_key;
pub mod extractor;
pub mod jwks;
pub mod jwt;

pub use extractor::{AdminPrincipal, TenantPrincipal};

/// Why a credential was refused. The variants are for logs and audit; callers
/// only ever see "unauthenticated" or "tenant not allowed".
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer credentials")]
    Missing,
    #[error("malformed Authorization header")]
    Malformed,
    #[error("token rejected: {0}")]
    InvalidToken(String),
    #[error("token has no string claim {0:?} naming the tenant")]
    MissingTenantClaim(String),
    #[error("tenant {0:?} is unknown")]
    UnknownTenant(String),
    #[error("tenant {0:?} is disabled")]
    DisabledTenant(String),
    #[error("signing keys are unavailable")]
    KeysUnavailable,
}

impl AuthError {
    /// Short stable word for the audit trail.
    pub fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing_credentials",
            AuthError::Malformed => "malformed_credentials",
            AuthError::InvalidToken(_) => "invalid_token",
            AuthError::MissingTenantClaim(_) => "missing_tenant_claim",
            AuthError::UnknownTenant(_) => "unknown_tenant",
            AuthError::DisabledTenant(_) => "disabled_tenant",
            AuthError::KeysUnavailable => "keys_unavailable",
        }
    }
}

impl From<AuthError> for crate::error::ApiError {
    fn from(err: AuthError) -> Self {
        use crate::error::{ApiError, ErrorCode};
        match err {
            AuthError::UnknownTenant(_) | AuthError::DisabledTenant(_) => ApiError::new(
                ErrorCode::TenantForbidden,
                "the tenant of these credentials is unknown or disabled",
            ),
            AuthError::KeysUnavailable => ApiError::new(
                ErrorCode::ServiceUnavailable,
                "token signing keys cannot be fetched right now",
            )
            .with_retry_after(5),
            // Clients learn that the token failed, not which check failed; the log has the detail.
            AuthError::InvalidToken(_) => ApiError::unauthenticated("the token is invalid, expired or not accepted"),
            other => ApiError::unauthenticated(other.to_string()),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: Option<&actix_web::http::header::HeaderValue>) -> Result<&str, AuthError> {
    let value = header
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed);
    }
    let token = token.trim();
    if token.is_empty() || token.len() > 16 * 1024 {
        return Err(AuthError::Malformed);
    }
    Ok(token)
}
