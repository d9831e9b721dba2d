//! `last_used_at` for API and access keys without a database write per request: uses are
//! collected in memory, each with the time of its latest use, and written in
//! one statement every few seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::api_key::KeyKind;

#[derive(Debug, Default)]
pub(crate) struct KeyUsage {
    used: Mutex<Used>,
}

/// Key id → when it was last used. The time is taken at the use, not at the
/// write: a key used and then revoked before the next write must not read as
/// used after its revocation.
#[derive(Debug, Default, PartialEq)]
struct Used {
    tenant: HashMap<String, DateTime<Utc>>,
    admin: HashMap<String, DateTime<Utc>>,
    access: HashMap<String, DateTime<Utc>>,
}

impl KeyUsage {
    pub(crate) fn touch(&self, kind: KeyKind, id: &str) {
        self.touch_at(kind, id, Utc::now());
    }

    pub(crate) fn touch_access(&self, id: &str) {
        let mut used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        record(&mut used.access, id, Utc::now());
    }

    fn touch_at(&self, kind: KeyKind, id: &str, at: DateTime<Utc>) {
        let mut used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let map = match kind {
            KeyKind::Tenant => &mut used.tenant,
            KeyKind::Admin => &mut used.admin,
        };
        record(map, id, at);
    }

    fn take(&self) -> Used {
        std::mem::take(&mut *self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Writes what was collected since the last call.
    pub(crate) async fn flush(&self, pool: &PgPool) {
        let used = self.take();
        if !used.access.is_empty() {
            let (ids, at): (Vec<String>, Vec<DateTime<Utc>>) = used.access.into_iter().unzip();
            if let Err(e) = crate::db::access_keys::touch(pool, &ids, &at).await {
                tracing::warn!(error = %e, "could not record access key use");
            }
        }
        if used.tenant.is_empty() && used.admin.is_empty() {
            return;
        }
        let (tenant_ids, tenant_at): (Vec<String>, Vec<DateTime<Utc>>) = used.tenant.into_iter().unzip();
        let (admin_ids, admin_at): (Vec<String>, Vec<DateTime<Utc>>) = used.admin.into_iter().unzip();
        if let Err(e) = crate::db::api_keys::touch(pool, &tenant_ids, &tenant_at, &admin_ids, &admin_at).await {
            tracing::warn!(error = %e, "could not record API key use");
        }
    }
}

/// Keeps the latest use of `id`. Looking up first avoids allocating the id
/// for every request of a busy key.
fn record(map: &mut HashMap<String, DateTime<Utc>>, id: &str, at: DateTime<Utc>) {
    match map.get_mut(id) {
        Some(last) => *last = (*last).max(at),
        None => {
            map.insert(id.to_owned(), at);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).expect("a valid timestamp")
    }

    #[test]
    fn a_key_is_recorded_with_the_time_of_its_latest_use_not_the_time_of_the_write() {
        let usage = KeyUsage::default();
        usage.touch_at(KeyKind::Tenant, "k1", at(5));
        usage.touch_at(KeyKind::Tenant, "k1", at(2));
        usage.touch_at(KeyKind::Admin, "a1", at(1));
        let taken = usage.take();
        assert_eq!(taken.tenant, HashMap::from([("k1".to_owned(), at(5))]));
        assert_eq!(taken.admin, HashMap::from([("a1".to_owned(), at(1))]));
        assert_eq!(usage.take(), Used::default());
    }

    #[test]
    fn access_keys_are_recorded_apart_from_api_keys() {
        let usage = KeyUsage::default();
        usage.touch_access("LWAK0123456789ABCDEF");
        usage.touch_at(KeyKind::Tenant, "k1", at(1));
        let taken = usage.take();
        assert_eq!(taken.access.keys().collect::<Vec<_>>(), ["LWAK0123456789ABCDEF"]);
        assert_eq!(taken.tenant.keys().collect::<Vec<_>>(), ["k1"]);
    }
}
