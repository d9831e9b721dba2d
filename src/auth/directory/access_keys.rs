//! Access keys in the directory: loaded with their secrets opened under the
//! server key, so verifying a signature reads memory only. A key whose secret
//! cannot be opened (sealed under a server key no longer configured, or
//! altered) is left out and logged: it stops working rather than half-working.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use sqlx::PgPool;

use super::{Directory, action_bits, read, write};
use crate::db::{self, DbError};
use crate::domain::{Action, TenantId};

/// A usable (not revoked) access key. Expiry is checked at use. `Debug`
/// redacts the secret.
#[derive(Debug)]
pub(crate) struct AccessKeyEntry {
    pub(crate) id: String,
    pub(crate) tenant: TenantId,
    pub(crate) name: String,
    /// The secret access key, opened.
    pub(crate) secret: SecretString,
    /// The actions the key is narrowed to, as a bit set; `None` = no narrowing.
    pub(crate) actions: Option<u16>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

impl AccessKeyEntry {
    pub(crate) fn allows(&self, action: Action) -> bool {
        self.actions.is_none_or(|bits| bits & action.bit() != 0)
    }

    pub(crate) fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

impl Directory {
    /// Whether access keys can be used at all (a server key is configured).
    pub(crate) fn accepts_access_keys(&self) -> bool {
        self.secrets.is_some()
    }

    /// What seals and opens access keys' secrets, when configured.
    pub(crate) fn secrets(&self) -> Option<&crate::auth::secrets::SecretsKeys> {
        self.secrets.as_deref()
    }

    /// A usable access key with this id.
    pub(crate) fn access_key(&self, id: &str) -> Option<Arc<AccessKeyEntry>> {
        read(&self.access_keys).get(id).cloned()
    }

    /// Re-reads one access key; a revoked or deleted key is dropped.
    pub(crate) async fn reload_access_key(&self, pool: &PgPool, id: &str) -> Result<(), DbError> {
        let _serial = self.reloading.lock().await;
        let entry = self.load_access_keys(pool, Some(id)).await?.remove(id);
        let mut keys = write(&self.access_keys);
        match entry {
            Some(k) => keys.insert(id.to_owned(), k),
            None => keys.remove(id),
        };
        Ok(())
    }

    /// Usable access keys (all, or one) with their secrets opened; none
    /// without a server key.
    pub(super) async fn load_access_keys(
        &self,
        pool: &PgPool,
        only: Option<&str>,
    ) -> Result<HashMap<String, Arc<AccessKeyEntry>>, DbError> {
        let Some(secrets) = &self.secrets else {
            return Ok(HashMap::new());
        };
        let rows = db::access_keys::usable(pool, only).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let tenant = TenantId::parse(&row.tenant_id).ok()?;
                let secret = match secrets.open(&row.id, &row.secret_sealed) {
                    Ok(secret) => secret,
                    Err(e) => {
                        tracing::error!(access_key = %row.id, error = %e, "access key secret cannot be opened; the key is unusable");
                        return None;
                    }
                };
                let entry = AccessKeyEntry {
                    tenant,
                    name: row.name,
                    secret,
                    actions: action_bits(row.actions),
                    expires_at: row.expires_at,
                    id: row.id,
                };
                Some((entry.id.clone(), Arc::new(entry)))
            })
            .collect())
    }

    /// This directory with these access keys (unit tests); access keys are
    /// accepted only when `secrets` is set, as at run time.
    #[cfg(test)]
    pub(crate) fn with_access_keys(
        mut self,
        secrets: Option<Arc<crate::auth::secrets::SecretsKeys>>,
        keys: Vec<AccessKeyEntry>,
    ) -> Self {
        self.secrets = secrets;
        *write(&self.access_keys) = keys.into_iter().map(|k| (k.id.clone(), Arc::new(k))).collect();
        self
    }
}
