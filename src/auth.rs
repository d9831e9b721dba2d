//! Who is calling. Authentication is a set of plain functions over what the
//! caller presented ([`Presented`]): [`Authenticator::tenant`] turns a
//! credential into a [`Principal`] of an active tenant, and
//! [`Authenticator::admit`] applies the per-request limits. The very same
//! validity rules ([`Authenticator::still_valid`]) are re-checked while a
//! long-lived response (a tail) stays open. Front doors only adapt their
//! transport to these functions. What an identity may do is decided by
//! `domain::policy`, not here.

pub(crate) mod access_key;
pub(crate) mod admin;
pub(crate) mod api_key;
pub(crate) mod authenticate;
pub(crate) mod directory;
pub(crate) mod jwks;
pub(crate) mod jwt;
pub(crate) mod key_usage;
pub(crate) mod principal;
pub(crate) mod secrets;
pub(crate) mod sigv4;

pub(crate) use authenticate::{Authenticator, Presented};
pub(crate) use principal::{AdminPrincipal, Credential, Principal};

/// Why a credential was refused. The variants are for logs and audit; callers
/// only ever see "unauthenticated", "tenant not allowed", "throttled" or
/// "unavailable" (see `error::from`), and on the AWS door the exception an
/// SDK expects for a signed request (unrecognized client, invalid signature,
/// expired token).
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuthError {
    #[error("missing bearer credentials")]
    Missing,
    #[error("malformed Authorization header")]
    Malformed,
    #[error("token rejected: {0}")]
    InvalidToken(String),
    /// A JWT failed a check whose name is safe to tell the client
    /// ("the token expired", "wrong audience"): it reveals nothing a token
    /// holder cannot read in the token itself.
    #[error("token refused: {0}")]
    TokenRefused(&'static str),
    #[error("token has no string claim {0:?} naming the tenant")]
    MissingTenantClaim(String),
    #[error("tenant {0:?} is unknown")]
    UnknownTenant(String),
    #[error("tenant {0:?} is disabled")]
    DisabledTenant(String),
    #[error("signing keys are unavailable")]
    KeysUnavailable,
    /// The tenant directory has not been confirmed current recently enough
    /// to decide on it: fail closed.
    #[error("access rules cannot be confirmed right now")]
    Stale,
    #[error("the {scope} request rate limit is exhausted")]
    RateLimited { scope: &'static str, retry_after_secs: u64 },
    /// A SigV4 request named an access key that does not exist or was revoked.
    #[error("unknown or revoked access key")]
    UnknownAccessKey,
    /// A SigV4 request whose signature is wrong, expired, or breaks a rule
    /// (scope, signed headers, payload). The reason names no secret.
    #[error("signature refused: {0}")]
    InvalidSignature(String),
    /// A correctly signed request with an access key past its expiry.
    #[error("the access key expired")]
    ExpiredAccessKey,
    /// No `LOGWARD_SECRETS_KEY`: access keys cannot be verified (fail closed).
    #[error("access keys are not enabled on this gateway")]
    AccessKeysDisabled,
}

impl AuthError {
    /// Short stable word for the audit trail.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing_credentials",
            AuthError::Malformed => "malformed_credentials",
            AuthError::InvalidToken(_) | AuthError::TokenRefused(_) => "invalid_token",
            AuthError::MissingTenantClaim(_) => "missing_tenant_claim",
            AuthError::UnknownTenant(_) => "unknown_tenant",
            AuthError::DisabledTenant(_) => "disabled_tenant",
            AuthError::KeysUnavailable => "keys_unavailable",
            AuthError::Stale => "directory_stale",
            AuthError::RateLimited { .. } => "rate_limited",
            AuthError::UnknownAccessKey => "unknown_access_key",
            AuthError::InvalidSignature(_) => "invalid_signature",
            AuthError::ExpiredAccessKey => "expired_access_key",
            AuthError::AccessKeysDisabled => "access_keys_disabled",
        }
    }
}
