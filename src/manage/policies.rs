//! Tenant policies: read, versioned write with optimistic concurrency, history,
//! and the simulator.

use serde_json::{Value, json};

pub(crate) use super::simulator::{Simulation, simulate};
use super::{Actor, ManageError, record_change};
use crate::db::policies::{self, StoredPolicy};
use crate::db::{DbError, tenants};
use crate::domain::{CompiledPolicy, PolicyDocument, TenantId};

pub(crate) async fn current(pool: &sqlx::PgPool, id: &TenantId) -> Result<StoredPolicy, ManageError> {
    policies::current(pool, id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("tenant {id} has no policy (or does not exist)")))
}

pub(crate) async fn versions(pool: &sqlx::PgPool, id: &TenantId) -> Result<Vec<StoredPolicy>, ManageError> {
    if tenants::find(pool, id).await?.is_none() {
        return Err(ManageError::NotFound(format!("no tenant {id}")));
    }
    Ok(policies::versions(pool, id).await?)
}

/// Validates a document and compiles it for `tenant` (so that its variables resolve).
pub(crate) fn validate(document: Value, tenant: &TenantId) -> Result<(PolicyDocument, CompiledPolicy), ManageError> {
    let document = PolicyDocument::parse(document).map_err(ManageError::InvalidPolicy)?;
    let compiled = document.compile(tenant.as_str()).map_err(ManageError::InvalidPolicy)?;
    Ok((document, compiled))
}

/// A precondition on the current policy version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfMatch {
    /// Some policy exists (`If-Match: *`).
    Any,
    /// This version is current (0: no policy yet).
    Version(i32),
}

/// Stores `document` as the next version. With `if_match`, only when it
/// holds: two admins editing at once cannot silently overwrite each other.
pub(crate) async fn put(
    pool: &sqlx::PgPool,
    actor: &Actor,
    id: &TenantId,
    document: Value,
    if_match: Option<IfMatch>,
) -> Result<StoredPolicy, ManageError> {
    let (document, _) = validate(document, id)?;
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    tenants::find_for_update(&mut *tx, id)
        .await?
        .ok_or_else(|| ManageError::NotFound(format!("no tenant {id}")))?;
    let before = policies::current(&mut *tx, id).await?;
    let current = before.as_ref().map_or(0, |p| p.version);
    let holds = match if_match {
        None => true,
        Some(IfMatch::Any) => current > 0,
        Some(IfMatch::Version(expected)) => expected == current,
    };
    if !holds {
        return Err(ManageError::PreconditionFailed { current });
    }
    let stored = policies::insert(&mut *tx, id, current + 1, document.as_json(), &actor.name).await?;
    record_change(
        &mut tx,
        actor,
        "policy.put",
        200,
        Some(id),
        format!("tenant/{id}/policy"),
        json!({"before": before.map(|b| b.document), "after": stored.document, "version": stored.version}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(stored)
}

/// The policy to simulate: a draft given by the caller, or the stored one.
pub(crate) async fn policy_for_simulation(
    pool: &sqlx::PgPool,
    id: &TenantId,
    draft: Option<Value>,
) -> Result<CompiledPolicy, ManageError> {
    match draft {
        Some(doc) => Ok(validate(doc, id)?.1),
        None => {
            if tenants::find(pool, id).await?.is_none() {
                return Err(ManageError::NotFound(format!("no tenant {id}")));
            }
            // A stored policy that no longer validates is explained, not
            // simulated: the gateway grants nothing with it (see `directory`).
            match policies::current(pool, id).await? {
                Some(stored) => validate(stored.document, id)
                    .map(|(_, compiled)| compiled)
                    .map_err(|e| match e {
                        ManageError::InvalidPolicy(error) => ManageError::StoredPolicyInvalid {
                            version: stored.version,
                            error,
                        },
                        other => other,
                    }),
                None => Ok(CompiledPolicy::deny_all()),
            }
        }
    }
}
