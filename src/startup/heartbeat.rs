//! Heartbeats: each instance records itself in Postgres every few seconds
//! and counts the live ones, so that together they stay within the share of
//! the account's CloudWatch quota (each takes 1/n of it).

use std::sync::Arc;
use std::time::Duration;

use crate::upstream::budget::Budget;

/// How often an instance records itself.
const EVERY: Duration = Duration::from_secs(5);
/// An instance not seen for this long no longer counts.
const LIVE: Duration = Duration::from_secs(15);

/// This instance's heartbeat loop. While the database cannot be reached the
/// last count stands (an instance that cannot beat keeps its old share).
/// `scope` is the ARN prefix served (region and account): only instances
/// serving the same one share a quota.
pub(crate) async fn keep_beating(budget: Arc<Budget>, pool: sqlx::PgPool, id: String, scope: String) {
    let mut ticker = tokio::time::interval(EVERY);
    loop {
        ticker.tick().await;
        let counted = async {
            crate::db::instances::beat(&pool, &id, &scope).await?;
            crate::db::instances::live(&pool, &scope, LIVE.as_secs_f64()).await
        };
        match counted.await {
            Ok(n) => budget.set_instances(u32::try_from(n).unwrap_or(u32::MAX)),
            Err(e) => tracing::warn!(error = %e, "instance heartbeat failed; keeping the last count"),
        }
    }
}

/// Removes this instance at shutdown, so the others take its share at once.
pub(crate) async fn leave(pool: &sqlx::PgPool, id: &str) {
    if let Err(e) = crate::db::instances::leave(pool, id).await {
        tracing::debug!(error = %e, "could not remove the instance heartbeat; it expires by itself");
    }
}
