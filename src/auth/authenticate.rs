//! Authentication as plain functions over what a caller presented. Every
//! front door builds a [`Presented`] from its transport and calls
//! [`Authenticator::tenant`] (or [`Authenticator::admin`]); the validity
//! rules in [`Authenticator::still_valid`] are the same at sign-in and while
//! a tail stays open.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::admin::AdminToken;
use super::api_key::{self, KeyKind};
use super::directory::{Directory, KeyEntry, TenantEntry};
use super::jwt::JwtVerifier;
use super::key_usage::KeyUsage;
use super::sigv4::{self, SignedRequest};
use super::{AdminPrincipal, AuthError, Credential, Principal};
use crate::rate_limit::RateLimits;

/// Longest bearer credential accepted.
const MAX_BEARER_LEN: usize = 16 * 1024;

/// What a caller presented, before anything was verified.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Presented<'a> {
    /// The token of `Authorization: Bearer <token>`: a JWT or an API key.
    Bearer(&'a str),
    /// A request signed with SigV4 by an access key (the AWS door only; the
    /// REST API takes bearer credentials alone).
    SigV4(SignedRequest<'a>),
}

impl<'a> Presented<'a> {
    /// Reads an `Authorization` header value (`None`: no header).
    pub(crate) fn from_authorization(header: Option<&'a [u8]>) -> Result<Self, AuthError> {
        let value = std::str::from_utf8(header.ok_or(AuthError::Missing)?).map_err(|_| AuthError::Malformed)?;
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::Malformed)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::Malformed);
        }
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_BEARER_LEN || !token.is_ascii() {
            return Err(AuthError::Malformed);
        }
        Ok(Presented::Bearer(token))
    }

    /// What a request to the AWS door presents: a SigV4 signature
    /// (`Authorization: AWS4-HMAC-SHA256 ...`, or a presigned query, which
    /// verification then refuses by name) or a bearer credential.
    pub(crate) fn from_aws_request(req: SignedRequest<'a>) -> Result<Self, AuthError> {
        match req.single("authorization")? {
            Some(value) if value.starts_with("AWS4-") => Ok(Presented::SigV4(req)),
            None if sigv4::presigned(req.query) => Ok(Presented::SigV4(req)),
            other => Self::from_authorization(other.map(str::as_bytes)),
        }
    }
}

/// Everything authentication reads: the in-memory directory (never the
/// database), the JWT verifier, and the per-request limits.
pub(crate) struct Authenticator {
    pub(crate) directory: Arc<Directory>,
    pub(crate) jwt: JwtVerifier,
    pub(crate) admin_token: AdminToken,
    /// JWT claim that marks an operator.
    pub(crate) admin_role_claim: String,
    pub(crate) rate_limits: RateLimits,
    pub(crate) key_usage: Arc<KeyUsage>,
    /// Decisions fail closed past this directory age.
    pub(crate) max_staleness: Duration,
    /// Seconds past `exp` the JWT verifier still accepts a token.
    pub(crate) jwt_leeway_secs: i64,
    /// What SigV4 signatures must satisfy (region, service, public hosts).
    pub(crate) sigv4: sigv4::Rules,
}

impl Authenticator {
    /// The tenant principal a credential speaks for. On failure, the tenant
    /// the credential named when that much is known (for the audit row).
    pub(crate) async fn tenant(&self, presented: Presented<'_>) -> Result<Principal, (AuthError, Option<String>)> {
        // Fail closed rather than decide on grants that may have changed.
        self.fresh().map_err(|e| (e, None))?;
        let (tenant_id, credential, name) = match presented {
            Presented::SigV4(req) => self.verify_signed(&req).map_err(|e| (e, None))?,
            Presented::Bearer(token) => self.verify_bearer(token).await.map_err(|e| (e, None))?,
        };
        let tenant = self.still_valid(&tenant_id, &credential).map_err(|e| {
            (
                e,
                Some(tenant_id.clone()).filter(|_| self.directory.get(&tenant_id).is_some()),
            )
        })?;
        Ok(Principal {
            tenant,
            credential,
            name,
        })
    }

    /// A SigV4 request: (tenant id, credential, principal name).
    fn verify_signed(&self, req: &SignedRequest<'_>) -> Result<(String, Credential, String), AuthError> {
        if !self.directory.accepts_access_keys() {
            return Err(AuthError::AccessKeysDisabled);
        }
        let key = sigv4::verify(req, &self.sigv4, Utc::now(), |id| self.directory.access_key(id))?;
        let name = format!("access-key:{}", key.id);
        Ok((key.tenant.to_string(), Credential::AccessKey(key), name))
    }

    /// A bearer API key or JWT: (tenant id, credential, principal name).
    async fn verify_bearer(&self, token: &str) -> Result<(String, Credential, String), AuthError> {
        Ok(if api_key::looks_like_key(token) {
            let key = self.verify_key(token, KeyKind::Tenant)?;
            let tenant = key.tenant.as_ref().map(|t| t.to_string()).unwrap_or_default();
            let name = format!("key:{}", key.id);
            (tenant, Credential::ApiKey(key), name)
        } else {
            let claims = self.jwt.verify(token).await?;
            let tenant = self.jwt.tenant(&claims)?.to_owned();
            let name = jwt_principal(claims.subject.as_deref());
            let expires_at = claims.expires_at();
            let credential = Credential::Jwt {
                subject: claims.subject,
                expires_at,
            };
            (tenant, credential, name)
        })
    }

    /// The per-request admission of an authenticated principal: the tenant's
    /// and the key's rate limits. Records the key's use.
    pub(crate) fn admit(&self, principal: &Principal) -> Result<(), AuthError> {
        self.rate_limits
            .check(
                principal.tenant.id.as_str(),
                principal.tenant.rate_limit,
                principal.key_id(),
            )
            .map_err(|limited| AuthError::RateLimited {
                scope: limited.scope,
                retry_after_secs: limited.retry_after.as_secs_f64().ceil() as u64,
            })?;
        match &principal.credential {
            Credential::ApiKey(key) => self.key_usage.touch(KeyKind::Tenant, &key.id),
            Credential::AccessKey(key) => self.key_usage.touch_access(&key.id),
            Credential::Jwt { .. } => {}
        }
        Ok(())
    }

    /// The rules a verified credential must keep satisfying, checked at
    /// sign-in and again while a response stays open: the directory is
    /// current, the tenant exists and is active, the API or access key is not
    /// revoked or expired, the JWT has not expired. Returns the tenant as it is now.
    pub(crate) fn still_valid(&self, tenant_id: &str, credential: &Credential) -> Result<Arc<TenantEntry>, AuthError> {
        self.fresh()?;
        let tenant = self
            .directory
            .get(tenant_id)
            .ok_or_else(|| AuthError::UnknownTenant(tenant_id.to_owned()))?;
        if !tenant.active {
            return Err(AuthError::DisabledTenant(tenant_id.to_owned()));
        }
        let now = Utc::now();
        match credential {
            Credential::ApiKey(key) => {
                let current = self
                    .directory
                    .key(KeyKind::Tenant, &key.id)
                    .ok_or_else(|| AuthError::InvalidToken("the API key was revoked".into()))?;
                if current.expired(now) {
                    return Err(AuthError::InvalidToken("the API key expired".into()));
                }
            }
            Credential::AccessKey(key) => {
                // Re-read: a revoked key is gone from the directory, and an
                // access key belongs to the tenant it was verified for.
                let current = self
                    .directory
                    .access_key(&key.id)
                    .filter(|current| current.tenant.as_str() == tenant_id)
                    .ok_or(AuthError::UnknownAccessKey)?;
                if current.expired(now) {
                    return Err(AuthError::ExpiredAccessKey);
                }
            }
            // The verifier requires `exp`: one that cannot be read back means
            // validity cannot be established, which ends the session.
            Credential::Jwt { expires_at, .. } => match expires_at {
                Some(exp) if exp.saturating_add(self.jwt_leeway_secs) >= now.timestamp() => {}
                Some(_) => return Err(AuthError::InvalidToken("the token expired".into())),
                None => return Err(AuthError::InvalidToken("the token's expiry cannot be read".into())),
            },
        }
        Ok(tenant)
    }

    /// Fails when the directory is older than the staleness bound.
    pub(crate) fn fresh(&self) -> Result<(), AuthError> {
        if self.directory.age().is_none_or(|age| age > self.max_staleness) {
            return Err(AuthError::Stale);
        }
        Ok(())
    }

    /// An operator: the bootstrap admin token, an admin API key, or a JWT from
    /// the pinned issuer carrying the admin role. `Ok(Err(role_claim))` is an
    /// authenticated caller without the admin role (403, not 401).
    pub(crate) async fn admin(&self, presented: Presented<'_>) -> Result<AdminPrincipal, AdminRefusal> {
        // Access keys are tenant credentials: never an operator.
        let Presented::Bearer(token) = presented else {
            return Err(AdminRefusal::Unauthenticated("admin credentials required"));
        };
        if api_key::looks_like_key(token) {
            let key = self
                .verify_key(token, KeyKind::Admin)
                .map_err(|_| AdminRefusal::Unauthenticated("admin credentials required"))?;
            self.key_usage.touch(KeyKind::Admin, &key.id);
            return Ok(AdminPrincipal {
                name: format!("admin-key:{}", key.id),
            });
        }
        if self.admin_token.verify(token) {
            return Ok(AdminPrincipal {
                name: "admin-token".into(),
            });
        }
        // Anything shaped like a JWT must be a valid token from the configured
        // issuer carrying the admin role. Without a pinned issuer, any party whose
        // tokens the gateway accepts could mint itself an admin role.
        if token.split('.').count() == 3 {
            if !self.jwt.issuer_pinned() {
                return Err(AdminRefusal::Unauthenticated(
                    "admin JWTs are accepted only when LOGWARD_JWT_ISSUER is configured",
                ));
            }
            let claims = self
                .jwt
                .verify(token)
                .await
                .map_err(|_| AdminRefusal::Unauthenticated("admin credentials required"))?;
            if !claims.has(&self.admin_role_claim, "admin") {
                return Err(AdminRefusal::NotAdmin(self.admin_role_claim.clone()));
            }
            return Ok(AdminPrincipal {
                name: jwt_principal(claims.subject.as_deref()),
            });
        }
        Err(AdminRefusal::Unauthenticated("admin credentials required"))
    }

    /// Verifies an API key of `kind`: known, not revoked (revoked keys are not in
    /// the directory), not expired, secret matches (constant time).
    fn verify_key(&self, token: &str, kind: KeyKind) -> Result<Arc<KeyEntry>, AuthError> {
        let presented = api_key::parse(token).ok_or_else(|| AuthError::InvalidToken("malformed API key".into()))?;
        if presented.kind != kind {
            return Err(AuthError::InvalidToken(
                "this kind of API key is not accepted here".into(),
            ));
        }
        let key = self
            .directory
            .key(kind, presented.id)
            .ok_or_else(|| AuthError::InvalidToken("unknown or revoked API key".into()))?;
        if !key.hash.verify(presented.secret) {
            return Err(AuthError::InvalidToken("API key secret does not match".into()));
        }
        if key.expired(Utc::now()) {
            return Err(AuthError::InvalidToken("API key expired".into()));
        }
        Ok(key)
    }
}

/// Why an admin credential was refused.
#[derive(Debug)]
pub(crate) enum AdminRefusal {
    Unauthenticated(&'static str),
    /// A valid token without the admin role; names the role claim.
    NotAdmin(String),
}

/// `jwt:<sub>` for audit rows and logs: the subject comes from the token, so it
/// is bounded and stripped of control characters (Postgres cannot store NUL).
fn jwt_principal(subject: Option<&str>) -> String {
    match subject {
        Some(sub) => {
            let clean: String = sub.chars().filter(|c| !c.is_control()).take(200).collect();
            format!("jwt:{clean}")
        }
        None => "jwt".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_headers_are_read_strictly() {
        assert!(matches!(
            Presented::from_authorization(Some(b"Bearer abc")),
            Ok(Presented::Bearer("abc"))
        ));
        assert!(matches!(
            Presented::from_authorization(Some(b"bearer  abc ")),
            Ok(Presented::Bearer("abc"))
        ));
        assert!(matches!(Presented::from_authorization(None), Err(AuthError::Missing)));
        for bad in [&b"Basic abc"[..], b"Bearer", b"Bearer ", b"Bearer \xff"] {
            assert!(
                matches!(Presented::from_authorization(Some(bad)), Err(AuthError::Malformed)),
                "{bad:?}"
            );
        }
    }
}
