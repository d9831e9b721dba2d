//! A tenant's Logs Insights queries, for operators: see them, and clear the
//! ones that hold its running-query slots (a client that went away, a start
//! whose outcome is unknown).

use serde_json::json;

use super::{Actor, ManageError, record_change, require_tenant};
use crate::db::{DbError, queries};
use crate::domain::TenantId;
use crate::gateway::queries::QueryEntry;

/// Entries shown.
const LIST_LIMIT: i64 = 500;

/// The tenant's most recent queries, newest first, placeholders included.
pub(crate) async fn list(pool: &sqlx::PgPool, tenant: &TenantId) -> Result<Vec<QueryEntry>, ManageError> {
    require_tenant(pool, tenant).await?;
    let rows = queries::list(pool, tenant, LIST_LIMIT).await?;
    Ok(rows.into_iter().map(crate::query_ledger::entry).collect())
}

/// Marks the tenant's open queries (all, or the one named) finished, so they
/// stop counting against its cap; returns the ids. It does not stop them at
/// CloudWatch (the admin API does that too).
pub(crate) async fn clear(
    pool: &sqlx::PgPool,
    actor: &Actor,
    tenant: &TenantId,
    query_id: Option<&str>,
) -> Result<Vec<String>, ManageError> {
    require_tenant(pool, tenant).await?;
    let mut tx = pool.begin().await.map_err(DbError::from)?;
    let cleared = queries::clear(&mut *tx, tenant, query_id).await?;
    if let (Some(id), true) = (query_id, cleared.is_empty()) {
        return Err(ManageError::NotFound(format!("tenant {tenant} has no open query {id}")));
    }
    record_change(
        &mut tx,
        actor,
        "query.clear",
        200,
        Some(tenant),
        format!("query/{}", query_id.unwrap_or("*")),
        json!({"cleared": cleared}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(cleared)
}

/// A query id as an operator names it: CloudWatch's, or a placeholder of
/// logward's (`reserved:…`, `unconfirmed:…`).
pub(crate) fn valid_query_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b':')
}
