//! Every module's own error converted into the catalogue, in one place, so
//! that what a client sees for each failure can be reviewed here.

use super::{ApiError, ErrorCode, InvalidParam};
use crate::auth::AuthError;
use crate::db::DbError;
use crate::manage::ManageError;
use crate::upstream::UpstreamError;

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::UnknownTenant(_) | AuthError::DisabledTenant(_) => ApiError::new(
                ErrorCode::TenantForbidden,
                "the tenant of these credentials is unknown or disabled",
            ),
            AuthError::KeysUnavailable => ApiError::unavailable("token signing keys cannot be fetched right now", 5),
            AuthError::Stale => ApiError::unavailable("access rules cannot be confirmed right now; retry shortly", 5),
            // Clients learn that the token failed, not which check failed; the log has the detail.
            AuthError::InvalidToken(_) => ApiError::invalid_token("the token is invalid, expired or not accepted"),
            AuthError::TokenRefused(why) => ApiError::invalid_token(why),
            AuthError::RateLimited {
                scope,
                retry_after_secs,
            } => ApiError::throttled(format!("the {scope} request rate limit is exhausted"), retry_after_secs),
            // The AWS door's exceptions, with AWS's own wording where SDKs show it.
            AuthError::UnknownAccessKey => ApiError::new(
                ErrorCode::UnrecognizedClient,
                "The security token included in the request is invalid.",
            ),
            AuthError::AccessKeysDisabled => ApiError::new(
                ErrorCode::UnrecognizedClient,
                "access keys are not enabled on this gateway",
            ),
            // The reason names a rule (scope, skew, signed headers), never a secret.
            AuthError::InvalidSignature(why) => ApiError::new(ErrorCode::InvalidSignature, why),
            AuthError::ExpiredAccessKey => ApiError::new(
                ErrorCode::ExpiredToken,
                "The access key included in the request has expired.",
            ),
            other @ (AuthError::Missing | AuthError::Malformed | AuthError::MissingTenantClaim(_)) => {
                ApiError::unauthenticated(other.to_string())
            }
        }
    }
}

impl From<UpstreamError> for ApiError {
    fn from(err: UpstreamError) -> Self {
        match err {
            UpstreamError::NotFound(msg) => ApiError::not_found(msg),
            UpstreamError::InvalidRequest(msg) => ApiError::new(ErrorCode::InvalidParameter, msg),
            UpstreamError::Throttled => ApiError::throttled("CloudWatch Logs is throttling requests; retry later", 1),
            UpstreamError::Timeout => {
                ApiError::new(ErrorCode::UpstreamTimeout, "CloudWatch Logs did not answer in time")
            }
            UpstreamError::Overloaded => {
                ApiError::unavailable("too many CloudWatch Logs calls are in flight; retry shortly", 1)
            }
            UpstreamError::OverBudget { retry_after_secs } => ApiError::throttled(
                "the share of the CloudWatch Logs quota for this operation is in use; retry later",
                retry_after_secs,
            ),
            UpstreamError::Failure(msg) => {
                tracing::warn!(error = %msg, "upstream failure");
                ApiError::new(ErrorCode::UpstreamError, "CloudWatch Logs request failed")
            }
        }
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::NotFound => ApiError::not_found("no such record"),
            DbError::Conflict(msg) => ApiError::new(ErrorCode::Conflict, msg),
            DbError::Busy => ApiError::unavailable("the record is busy; retry shortly", 1),
            DbError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::unavailable("the database is unavailable; try again shortly", 5)
            }
            DbError::Other(e) => ApiError::internal(anyhow::Error::new(e).context("database query")),
        }
    }
}

impl From<ManageError> for ApiError {
    fn from(err: ManageError) -> Self {
        match err {
            ManageError::NotFound(msg) => ApiError::not_found(msg),
            ManageError::Conflict(msg) => ApiError::new(ErrorCode::Conflict, msg),
            ManageError::Invalid { field, reason } => ApiError::invalid_body(field, reason),
            ManageError::InvalidPolicy(e) => {
                let mut api = ApiError::new(ErrorCode::InvalidPolicy, e.to_string());
                api.push_invalid_param(InvalidParam {
                    name: e.field(),
                    reason: e.to_string(),
                });
                api
            }
            ref whole @ ManageError::StoredPolicyInvalid { ref error, .. } => {
                let mut api = ApiError::new(ErrorCode::InvalidPolicy, whole.to_string());
                api.push_invalid_param(InvalidParam {
                    name: error.field(),
                    reason: error.to_string(),
                });
                api
            }
            e @ ManageError::PreconditionFailed { .. } => ApiError::new(ErrorCode::PreconditionFailed, e.to_string()),
            ManageError::Db(e) => e.into(),
            ManageError::Random => ApiError::internal(anyhow::anyhow!("getrandom failed")),
            ManageError::Sealing => ApiError::internal(anyhow::anyhow!("sealing an access key secret failed")),
            // The request is fine; the gateway's state (its configuration) refuses it.
            ManageError::NotConfigured(msg) => ApiError::new(ErrorCode::Conflict, msg),
        }
    }
}
