//! Reading the audit trail, and pruning it past the retention period.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ManageError;
use crate::db::audit::{self, AuditFilter, AuditRow};

pub(crate) const MAX_PAGE: i64 = 500;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuditPage {
    pub(crate) items: Vec<AuditRow>,
    /// Pass as `after` to get the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_cursor: Option<i64>,
}

/// Newest first; `filter.after` is the cursor of the previous page.
pub(crate) async fn query(pool: &sqlx::PgPool, filter: &AuditFilter) -> Result<AuditPage, ManageError> {
    let limit = filter.limit.clamp(1, MAX_PAGE);
    let items = audit::query(pool, filter, limit).await?;
    let next_cursor = (items.len() as i64 == limit)
        .then(|| items.last().map(|r| r.id))
        .flatten();
    Ok(AuditPage { items, next_cursor })
}

/// Deletes rows older than `retention`, in batches, until none are left.
pub async fn prune(pool: &sqlx::PgPool, retention: Duration) -> Result<u64, ManageError> {
    let cutoff: DateTime<Utc> =
        Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(90));
    let mut total = 0;
    loop {
        let n = audit::delete_older_than(pool, cutoff, 10_000).await?;
        total += n;
        if n < 10_000 {
            return Ok(total);
        }
    }
}

/// Prunes once an hour until the task is dropped.
pub(crate) async fn keep_pruning(pool: sqlx::PgPool, retention: Duration) {
    let mut ticker = tokio::time::interval(Duration::from_secs(3600));
    loop {
        ticker.tick().await;
        match prune(&pool, retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "pruned audit events past retention"),
            Err(e) => tracing::warn!(error = %e, "audit pruning failed"),
        }
    }
}
