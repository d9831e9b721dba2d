//! `last_used_at` for API keys without a database write per request: uses are
//! collected in memory and written in one statement every few seconds.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::PgPool;

use super::api_key::KeyKind;

#[derive(Debug, Default)]
pub(crate) struct KeyUsage {
    used: Mutex<Used>,
}

#[derive(Debug, Default)]
struct Used {
    tenant: HashSet<String>,
    admin: HashSet<String>,
}

impl KeyUsage {
    pub(crate) fn touch(&self, kind: KeyKind, id: &str) {
        let mut used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let set = match kind {
            KeyKind::Tenant => &mut used.tenant,
            KeyKind::Admin => &mut used.admin,
        };
        // Checking first avoids allocating the id for every request of a busy key.
        if !set.contains(id) {
            set.insert(id.to_owned());
        }
    }

    fn take(&self) -> (Vec<String>, Vec<String>) {
        let used = std::mem::take(&mut *self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        (used.tenant.into_iter().collect(), used.admin.into_iter().collect())
    }

    /// Writes what was collected since the last call.
    pub(crate) async fn flush(&self, pool: &PgPool) {
        let (tenant, admin) = self.take();
        if tenant.is_empty() && admin.is_empty() {
            return;
        }
        if let Err(e) = crate::db::api_keys::touch(pool, &tenant, &admin, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "could not record API key use");
        }
    }
}

/// Flushes `usage` every `every` until the task is dropped.
pub(crate) async fn keep_flushing(usage: std::sync::Arc<KeyUsage>, pool: PgPool, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    loop {
        ticker.tick().await;
        usage.flush(&pool).await;
    }
}
