//! Verified identities: a customer of an active tenant ([`Principal`]) or an
//! operator ([`AdminPrincipal`]).

use std::sync::Arc;

use super::directory::{AccessKeyEntry, KeyEntry, TenantEntry};
use crate::domain::Action;

/// How a tenant principal authenticated.
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    Jwt {
        subject: Option<String>,
        /// `exp`, epoch seconds, read as the verifier reads it; `None` when it
        /// cannot be established (then nothing long-lived may stay open).
        expires_at: Option<i64>,
    },
    ApiKey(Arc<KeyEntry>),
    /// A SigV4-signed request with an access key the gateway issued.
    AccessKey(Arc<AccessKeyEntry>),
}

/// A verified customer of an active tenant.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) tenant: Arc<TenantEntry>,
    pub(crate) credential: Credential,
    /// For audit and logs: `jwt:<sub>` (or `jwt`), `key:<id>`, or
    /// `access-key:<access key id>`.
    pub(crate) name: String,
}

impl Principal {
    /// Whether the credential itself permits `action` (API keys may be
    /// narrowed to some actions; they never widen the tenant policy).
    pub(crate) fn credential_allows(&self, action: Action) -> bool {
        match &self.credential {
            Credential::Jwt { .. } => true,
            Credential::ApiKey(key) => key.allows(action),
            Credential::AccessKey(key) => key.allows(action),
        }
    }

    /// The key id, for API-key and access-key principals (the two kinds of
    /// id cannot collide: lowercase and `LWAK` uppercase).
    pub(crate) fn key_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::ApiKey(key) => Some(&key.id),
            Credential::AccessKey(key) => Some(&key.id),
            Credential::Jwt { .. } => None,
        }
    }
}

/// A verified operator.
#[derive(Debug, Clone)]
pub(crate) struct AdminPrincipal {
    /// `admin-token`, `admin-key:<id>`, or `jwt:<sub>`.
    pub(crate) name: String,
}
