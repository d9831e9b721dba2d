//! The in-memory directory of tenants, their compiled policies, API-key
//! hashes and access keys' opened secrets: the request path reads only this,
//! never the database.
//!
//! It is loaded in full at start, refreshed per tenant or key on `NOTIFY
//! logward_tenant_changed` / `logward_key_changed` (fired by triggers on the
//! tables, so changes made by any instance or by the CLI arrive here), and
//! reloaded in full periodically in case a notification was missed.

mod access_keys;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use super::api_key::{HashedSecret, KeyKind};
use crate::db::{self, DbError};
use crate::domain::{Action, CompiledPolicy, PolicyDocument, TenantId};

pub(crate) use access_keys::AccessKeyEntry;

pub(crate) const CHANGE_CHANNEL: &str = "logward_tenant_changed";
pub(crate) const KEY_CHANNEL: &str = "logward_key_changed";

/// One tenant as the request path sees it.
#[derive(Debug)]
pub(crate) struct TenantEntry {
    pub(crate) id: TenantId,
    pub(crate) name: String,
    pub(crate) active: bool,
    pub(crate) policy: CompiledPolicy,
    /// The tenant's own rate limit; `None`: the default.
    pub(crate) rate_limit: Option<crate::domain::RateLimit>,
}

/// A usable (not revoked) API key. Expiry is checked at use.
#[derive(Debug)]
pub(crate) struct KeyEntry {
    pub(crate) id: String,
    /// The owning tenant (tenant keys only).
    pub(crate) tenant: Option<TenantId>,
    pub(crate) name: String,
    pub(crate) hash: HashedSecret,
    /// The actions the key is narrowed to, as a bit set; `None` = no narrowing.
    pub(crate) actions: Option<u16>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl KeyEntry {
    pub(crate) fn allows(&self, action: Action) -> bool {
        self.actions.is_none_or(|bits| bits & action.bit() != 0)
    }

    pub(crate) fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Directory {
    tenants: RwLock<HashMap<String, Arc<TenantEntry>>>,
    keys: RwLock<Keys>,
    /// Usable access keys by id, with their secrets opened; empty without a
    /// server key to open them with.
    access_keys: RwLock<HashMap<String, Arc<AccessKeyEntry>>>,
    /// What opens access keys' sealed secrets (`LOGWARD_SECRETS_KEY`).
    secrets: Option<Arc<crate::auth::secrets::SecretsKeys>>,
    /// Serialises reloads from database read to map write, so a reload that
    /// read earlier can never overwrite one that read later (a disabled tenant
    /// or revoked key must not come back).
    reloading: tokio::sync::Mutex<()>,
    /// When a full reload last succeeded: how current the directory is known to be.
    confirmed_at: std::sync::Mutex<Option<std::time::Instant>>,
    reloads_ok: std::sync::atomic::AtomicU64,
    reloads_failed: std::sync::atomic::AtomicU64,
    /// Bumped whenever any tenant's access rules (status, policy) change;
    /// what the answer cache kept before is not served after.
    rules_epoch: Arc<std::sync::atomic::AtomicU64>,
    /// A digest of every tenant's status and policy at the last full reload.
    rules_digest: std::sync::atomic::AtomicU64,
}

#[derive(Debug, Default)]
struct Keys {
    tenant: HashMap<String, Arc<KeyEntry>>,
    admin: HashMap<String, Arc<KeyEntry>>,
}

impl Keys {
    fn of(&self, kind: KeyKind) -> &HashMap<String, Arc<KeyEntry>> {
        match kind {
            KeyKind::Tenant => &self.tenant,
            KeyKind::Admin => &self.admin,
        }
    }

    fn of_mut(&mut self, kind: KeyKind) -> &mut HashMap<String, Arc<KeyEntry>> {
        match kind {
            KeyKind::Tenant => &mut self.tenant,
            KeyKind::Admin => &mut self.admin,
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Directory {
    /// An empty directory; `secrets` opens access keys' sealed secrets
    /// (without it, no access key is loaded and SigV4 is refused);
    /// `rules_epoch` is bumped on every change of access rules.
    pub(crate) fn new(
        secrets: Option<Arc<crate::auth::secrets::SecretsKeys>>,
        rules_epoch: Arc<std::sync::atomic::AtomicU64>,
    ) -> Self {
        Self {
            secrets,
            rules_epoch,
            ..Self::default()
        }
    }

    /// A directory holding exactly these tenants and tenant keys, confirmed
    /// current now (unit tests).
    #[cfg(test)]
    pub(crate) fn of(tenants: Vec<TenantEntry>, keys: Vec<KeyEntry>) -> Self {
        let directory = Self::default();
        *write(&directory.tenants) = tenants
            .into_iter()
            .map(|t| (t.id.as_str().to_owned(), Arc::new(t)))
            .collect();
        {
            let mut all = write(&directory.keys);
            for key in keys {
                all.of_mut(KeyKind::Tenant).insert(key.id.clone(), Arc::new(key));
            }
        }
        *directory
            .confirmed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(std::time::Instant::now());
        directory
    }

    /// Time since the directory was last confirmed current (a full reload
    /// succeeded); `None` before the first.
    pub(crate) fn age(&self) -> Option<Duration> {
        self.confirmed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .map(|t| t.elapsed())
    }

    /// Forgets that the directory was ever confirmed current, so decisions
    /// fail closed until the next full reload succeeds (the Lambda mode, when
    /// its refresh before an invocation cannot reach the database).
    pub(crate) fn invalidate(&self) {
        *self
            .confirmed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.note_failure();
    }

    /// (successful, failed) reloads so far.
    pub(crate) fn reloads(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.reloads_ok.load(Relaxed), self.reloads_failed.load(Relaxed))
    }

    fn note_failure(&self) {
        self.reloads_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The tenant with this id, if it exists. Cheap: one read lock and an `Arc` clone.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<TenantEntry>> {
        read(&self.tenants).get(id).cloned()
    }

    /// A usable key of this kind with this id.
    pub(crate) fn key(&self, kind: KeyKind, id: &str) -> Option<Arc<KeyEntry>> {
        read(&self.keys).of(kind).get(id).cloned()
    }

    fn rules_changed(&self) {
        self.rules_epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub(crate) async fn reload_all(&self, pool: &PgPool) -> Result<(), DbError> {
        let _serial = self.reloading.lock().await;
        let rows = db::tenants::snapshot(pool, None).await?;
        let digest = rules_digest(&rows);
        if self.rules_digest.swap(digest, std::sync::atomic::Ordering::AcqRel) != digest {
            self.rules_changed();
        }
        let tenant_keys = db::api_keys::usable_tenant_keys(pool, None).await?;
        let admin_keys = db::api_keys::usable_admin_keys(pool, None).await?;
        let access_keys = self.load_access_keys(pool, None).await?;
        let tenants = rows
            .into_iter()
            .filter_map(entry_from_row)
            .map(|e| (e.id.as_str().to_owned(), Arc::new(e)))
            .collect();
        let index = |kind, rows: Vec<db::api_keys::KeySecretRow>| {
            rows.into_iter()
                .filter_map(|r| key_from_row(kind, r))
                .map(|k| (k.id.clone(), Arc::new(k)))
                .collect()
        };
        let keys = Keys {
            tenant: index(KeyKind::Tenant, tenant_keys),
            admin: index(KeyKind::Admin, admin_keys),
        };
        *write(&self.tenants) = tenants;
        *write(&self.keys) = keys;
        *write(&self.access_keys) = access_keys;
        *self
            .confirmed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(std::time::Instant::now());
        self.reloads_ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Re-reads one key; a revoked or deleted key is dropped.
    pub(crate) async fn reload_key(&self, pool: &PgPool, kind: KeyKind, id: &str) -> Result<(), DbError> {
        let _serial = self.reloading.lock().await;
        let rows = match kind {
            KeyKind::Tenant => db::api_keys::usable_tenant_keys(pool, Some(id)).await?,
            KeyKind::Admin => db::api_keys::usable_admin_keys(pool, Some(id)).await?,
        };
        let entry = rows.into_iter().find_map(|r| key_from_row(kind, r));
        let mut keys = write(&self.keys);
        match entry {
            Some(k) => keys.of_mut(kind).insert(id.to_owned(), Arc::new(k)),
            None => keys.of_mut(kind).remove(id),
        };
        Ok(())
    }

    /// Re-reads one tenant; a tenant that no longer exists is dropped.
    pub(crate) async fn reload_one(&self, pool: &PgPool, id: &TenantId) -> Result<(), DbError> {
        let _serial = self.reloading.lock().await;
        let entry = db::tenants::snapshot(pool, Some(id))
            .await?
            .into_iter()
            .find_map(entry_from_row);
        let gone = entry.is_none();
        self.rules_changed();
        {
            let mut tenants = write(&self.tenants);
            match entry {
                Some(e) => tenants.insert(id.as_str().to_owned(), Arc::new(e)),
                None => tenants.remove(id.as_str()),
            };
        }
        if gone {
            // A deleted tenant's keys must not outlive it, not even until their
            // own notifications arrive: a tenant re-created under the same id
            // must not inherit them.
            write(&self.keys).tenant.retain(|_, k| k.tenant.as_ref() != Some(id));
            write(&self.access_keys).retain(|_, k| &k.tenant != id);
        }
        Ok(())
    }
}

/// Every tenant's id, status and policy, digested: a full reload that finds
/// the same rules leaves the answer cache alone.
fn rules_digest(rows: &[db::tenants::TenantSnapshot]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for row in rows {
        row.id.hash(&mut hasher);
        row.status.hash(&mut hasher);
        row.policy.as_ref().map(|p| p.to_string()).hash(&mut hasher);
    }
    hasher.finish()
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
        rate_limit: crate::domain::RateLimit::from_columns(row.rate_limit_per_sec, row.rate_limit_burst),
        name: row.name,
        active: row.status == "active",
        policy,
        id,
    })
}

fn key_from_row(kind: KeyKind, row: db::api_keys::KeySecretRow) -> Option<KeyEntry> {
    let hash = HashedSecret::from_bytes(&row.secret_hash)?;
    let tenant = match (kind, row.tenant_id) {
        (KeyKind::Tenant, Some(t)) => Some(TenantId::parse(&t).ok()?),
        (KeyKind::Tenant, None) => return None,
        (KeyKind::Admin, _) => None,
    };
    let actions = action_bits(row.actions);
    Some(KeyEntry {
        id: row.id,
        tenant,
        name: row.name,
        hash,
        actions,
        expires_at: row.expires_at,
    })
}

/// A stored action list as a bit set. Lists are validated on creation; an
/// unknown name grants nothing (it simply contributes no bit).
fn action_bits(names: Option<Vec<String>>) -> Option<u16> {
    names.map(|names| {
        names
            .iter()
            .filter_map(|n| Action::from_iam_name(n))
            .fold(0u16, |acc, a| acc | a.bit())
    })
}

/// Keeps `directory` current until the task is dropped.
pub(crate) async fn keep_current(directory: Arc<Directory>, pool: PgPool, full_reload_every: Duration) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match listen_and_refresh(&directory, &pool, full_reload_every).await {
            Ok(()) => backoff = Duration::from_millis(200),
            Err(e) => {
                directory.note_failure();
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "tenant directory refresh failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Listens for changes; returns when the connection is lost so the caller can
/// reconnect (and reload in full, as notifications may have been missed).
async fn listen_and_refresh(directory: &Directory, pool: &PgPool, full_reload_every: Duration) -> Result<(), DbError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all([CHANGE_CHANNEL, KEY_CHANNEL]).await?;
    directory.reload_all(pool).await?;
    let mut ticker = tokio::time::interval(full_reload_every);
    ticker.tick().await;
    loop {
        tokio::select! {
            notification = listener.try_recv() => match notification? {
                Some(n) => apply(directory, pool, n.channel(), n.payload()).await?,
                None => return Ok(()),
            },
            _ = ticker.tick() => directory.reload_all(pool).await?,
        }
    }
}

async fn apply(directory: &Directory, pool: &PgPool, channel: &str, payload: &str) -> Result<(), DbError> {
    let key = |id: &str| crate::auth::api_key::valid_id(id).then(|| id.to_owned());
    match (channel, payload.split_once(':')) {
        (CHANGE_CHANNEL, _) => match TenantId::parse(payload) {
            Ok(id) => directory.reload_one(pool, &id).await,
            Err(_) => directory.reload_all(pool).await,
        },
        (KEY_CHANNEL, Some(("tenant", id))) if key(id).is_some() => {
            directory.reload_key(pool, KeyKind::Tenant, id).await
        }
        (KEY_CHANNEL, Some(("admin", id))) if key(id).is_some() => directory.reload_key(pool, KeyKind::Admin, id).await,
        (KEY_CHANNEL, Some(("access", id))) if crate::auth::access_key::valid_id(id) => {
            directory.reload_access_key(pool, id).await
        }
        _ => directory.reload_all(pool).await,
    }
}
