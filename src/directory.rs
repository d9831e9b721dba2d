//! The in-memory directory of tenants and their compiled policies: the request
//! path reads only this, never the database.
//!
//! It is loaded in full at start, refreshed per tenant on `NOTIFY
//! logward_tenant_changed` (fired by triggers on the tables, so changes made by
//! any instance or by the CLI arrive here), and reloaded in full periodically in
//! case a notification was missed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::db::{self, DbError};
use crate::domain::{CompiledPolicy, PolicyDocument, TenantId};

pub const CHANGE_CHANNEL: &str = "logward_tenant_changed";

/// One tenant as the request path sees it.
#[derive(Debug)]
pub struct TenantEntry {
    pub id: TenantId,
    pub name: String,
    pub active: bool,
    pub policy: CompiledPolicy,
    pub policy_version: Option<i32>,
}

#[derive(Debug, Default)]
pub struct Directory {
    tenants: RwLock<HashMap<String, Arc<TenantEntry>>>,
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    /// The tenant with this id, if it exists. Cheap: one read lock and an `Arc` clone.
    pub fn get(&self, id: &str) -> Option<Arc<TenantEntry>> {
        self.tenants
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    pub async fn reload_all(&self, pool: &PgPool) -> Result<(), DbError> {
        let rows = db::tenants::snapshot(pool, None).await?;
        let map = rows
            .into_iter()
            .filter_map(entry_from_row)
            .map(|e| (e.id.as_str().to_owned(), Arc::new(e)))
            .collect();
        *self
            .tenants
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = map;
        Ok(())
    }

    /// Re-reads one tenant; a tenant that no longer exists is dropped.
    pub async fn reload_one(&self, pool: &PgPool, id: &TenantId) -> Result<(), DbError> {
        let entry = db::tenants::snapshot(pool, Some(id))
            .await?
            .into_iter()
            .find_map(entry_from_row);
        let mut tenants = self
            .tenants
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match entry {
            Some(e) => tenants.insert(id.as_str().to_owned(), Arc::new(e)),
            None => tenants.remove(id.as_str()),
        };
        Ok(())
    }
}

fn entry_from_row(row: db::tenants::TenantSnapshot) -> Option<TenantEntry> {
    let Ok(id) = TenantId::parse(&row.id) else {
        tracing::error!(tenant = %row.id, "tenant id in the database is malformed; ignoring the tenant");
        return None;
    };
    // Documents are validated before they are stored; if one still fails here,
    // the tenant gets no rights rather than a partial policy.
    let policy = match row
        .policy
        .map(|doc| PolicyDocument::parse(doc).and_then(|p| p.compile(id.as_str())))
    {
        None => CompiledPolicy::deny_all(),
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            tracing::error!(tenant = %id, error = %e, "stored policy does not compile; denying everything");
            CompiledPolicy::deny_all()
        }
    };
    Some(TenantEntry {
        name: row.name,
        active: row.status == "active",
        policy,
        policy_version: row.policy_version,
        id,
    })
}

/// Keeps `directory` current until the task is dropped.
pub async fn keep_current(directory: Arc<Directory>, pool: PgPool, full_reload_every: Duration) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match listen_and_refresh(&directory, &pool, full_reload_every).await {
            Ok(()) => backoff = Duration::from_millis(200),
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "tenant directory refresh failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Listens for changes; returns when the connection is lost so the caller can
/// reconnect (and reload in full, as notifications may have been missed).
async fn listen_and_refresh(
    directory: &Directory,
    pool: &PgPool,
    full_reload_every: Duration,
) -> Result<(), DbError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANGE_CHANNEL).await?;
    directory.reload_all(pool).await?;
    let mut ticker = tokio::time::interval(full_reload_every);
    ticker.tick().await;
    loop {
        tokio::select! {
            notification = listener.try_recv() => match notification? {
                Some(n) => match TenantId::parse(n.payload()) {
                    Ok(id) => directory.reload_one(pool, &id).await?,
                    Err(_) => directory.reload_all(pool).await?,
                },
                None => return Ok(()),
            },
            _ = ticker.tick() => directory.reload_all(pool).await?,
        }
    }
}
