//! Management operations, shared by the admin HTTP API and the CLI so both
//! validate, write and audit the same way. Every change runs in one
//! transaction together with its audit row (who, what, before/after): a change
//! is never stored without its record, nor recorded without being stored.

pub(crate) mod access_keys;
pub mod audit;
pub(crate) mod keys;
pub(crate) mod policies;
pub(crate) mod queries;
mod simulator;
pub(crate) mod tenants;

use serde_json::Value;
use sqlx::PgConnection;

use crate::db::DbError;
use crate::db::audit::AuditEvent;
use crate::domain::{PolicyError, TenantId};

/// Who is making a change: `admin-token`, `admin-key:<id>`, `jwt:<sub>`,
/// `cli:<user>`, and the request it came with, for the audit row.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) name: String,
    pub(crate) request_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{0}")]
    InvalidPolicy(PolicyError),
    /// A stored policy that today's validation refuses (stored before a rule
    /// was added). The gateway already grants nothing with it.
    #[error(
        "the stored policy (version {version}) is refused by current validation, so it grants nothing \
         until a valid policy is stored: {error}"
    )]
    StoredPolicyInvalid { version: i32, error: PolicyError },
    #[error("the If-Match precondition does not hold: the policy is at version {current} (0: none yet)")]
    PreconditionFailed { current: i32 },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the OS random number generator failed")]
    Random,
    #[error("sealing an access key secret failed")]
    Sealing,
    /// A feature needs configuration the gateway does not have.
    #[error("{0}")]
    NotConfigured(&'static str),
}

/// 404 unless the tenant exists.
pub(crate) async fn require_tenant(pool: &sqlx::PgPool, tenant: &TenantId) -> Result<(), ManageError> {
    match crate::db::tenants::find(pool, tenant).await? {
        Some(_) => Ok(()),
        None => Err(ManageError::NotFound(format!("no tenant {tenant}"))),
    }
}

pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> ManageError {
    ManageError::Invalid {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// A display name: 1-200 characters, no surrounding spaces, no control characters.
pub(crate) fn validate_name(field: &str, name: &str) -> Result<(), ManageError> {
    if name.is_empty() || name.trim() != name {
        return Err(invalid(field, "must be non-empty without leading or trailing spaces"));
    }
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "must be at most 200 characters without control characters",
        ));
    }
    Ok(())
}

/// Writes the audit row of a change, inside the change's transaction.
pub(crate) async fn record_change(
    tx: &mut PgConnection,
    actor: &Actor,
    operation: &str,
    status: u16,
    tenant: Option<&TenantId>,
    resource: String,
    detail: Value,
) -> Result<(), DbError> {
    let event = AuditEvent::admin(operation, "allow", "admin")
        .tenant(tenant.map(|t| t.to_string()))
        .principal(Some(actor.name.clone()))
        .resource(Some(resource))
        .status(status)
        .request_id(actor.request_id.clone())
        .detail(detail);
    crate::db::audit::insert_batch(tx, std::slice::from_ref(&event)).await
}
