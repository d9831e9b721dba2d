//! Customer JWT verification. Each key has an explicit algorithm allow-list:
//! the HS256 secret accepts only HS256, a PEM public key only its own RS256 or
//! ES256, a JWKS key only the `alg` it declares. `none` is never accepted (it
//! does not even parse), and an HS256 token never meets a public key.

use std::collections::HashSet;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

use super::AuthError;
use super::jwks::JwksCache;
use crate::config::JwtSettings;

/// A token whose signature, algorithm and time/issuer/audience claims passed.
#[derive(Debug, Clone)]
pub struct VerifiedClaims {
    pub subject: Option<String>,
    pub claims: Map<String, Value>,
}

impl VerifiedClaims {
    /// The string value of `claim`, if present and non-empty.
    pub fn string(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    /// Whether `claim` is `value`, or a list that contains it.
    pub fn has(&self, claim: &str, value: &str) -> bool {
        match self.claims.get(claim) {
            Some(Value::String(s)) => s == value,
            Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(value)),
            _ => false,
        }
    }
}

pub struct JwtVerifier {
    hs256: Option<DecodingKey>,
    public_key: Option<(DecodingKey, Algorithm)>,
    jwks: Option<Arc<JwksCache>>,
    tenant_claim: String,
    /// Whether `iss` is pinned (admin JWTs are accepted only then).
    issuer_pinned: bool,
    hs256_validation: Validation,
    rs256_validation: Validation,
    es256_validation: Validation,
}

#[derive(Debug, thiserror::Error)]
pub enum JwtConfigError {
    #[error("LOGWARD_JWT_PUBLIC_KEY_FILE: cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("LOGWARD_JWT_PUBLIC_KEY_FILE: not an RSA or P-256 EC public key in PEM form")]
    BadKey,
    #[error("LOGWARD_JWT_JWKS_URL: {0}")]
    Jwks(String),
}

impl JwtVerifier {
    pub fn new(settings: &JwtSettings) -> Result<Self, JwtConfigError> {
        let public_key = match &settings.public_key_file {
            None => None,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|source| JwtConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                Some(parse_public_pem(&pem)?)
            }
        };
        let jwks = match &settings.jwks_url {
            None => None,
            Some(url) => Some(Arc::new(
                JwksCache::new(url.clone(), settings.jwks_min_refresh)
                    .map_err(|e| JwtConfigError::Jwks(e.to_string()))?,
            )),
        };
        Ok(Self {
            hs256: settings
                .hs256_secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
            public_key,
            jwks,
            tenant_claim: settings.tenant_claim.clone(),
            issuer_pinned: settings.issuer.is_some(),
            hs256_validation: validation(Algorithm::HS256, settings),
            rs256_validation: validation(Algorithm::RS256, settings),
            es256_validation: validation(Algorithm::ES256, settings),
        })
    }

    /// Whether tokens must come from a configured issuer.
    pub fn issuer_pinned(&self) -> bool {
        self.issuer_pinned
    }

    /// Whether any key source is configured at all.
    pub fn has_keys(&self) -> bool {
        self.hs256.is_some() || self.public_key.is_some() || self.jwks.is_some()
    }

    pub fn jwks(&self) -> Option<&Arc<JwksCache>> {
        self.jwks.as_ref()
    }

    /// The tenant a verified token speaks for.
    pub fn tenant<'c>(&self, claims: &'c VerifiedClaims) -> Result<&'c str, AuthError> {
        claims
            .string(&self.tenant_claim)
            .ok_or_else(|| AuthError::MissingTenantClaim(self.tenant_claim.clone()))
    }

    /// Verifies signature, algorithm, `exp` (required), `nbf`, `iss` and `aud`.
    pub async fn verify(&self, token: &str) -> Result<VerifiedClaims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::InvalidToken(e.to_string()))?;
        let claims: Map<String, Value> = match header.alg {
            Algorithm::HS256 => {
                let key = self
                    .hs256
                    .as_ref()
                    .ok_or_else(|| AuthError::InvalidToken("HS256 tokens are not accepted".into()))?;
                decode(token, key, &self.hs256_validation)?
            }
            alg @ (Algorithm::RS256 | Algorithm::ES256) => {
                let validation = if alg == Algorithm::RS256 {
                    &self.rs256_validation
                } else {
                    &self.es256_validation
                };
                match (&header.kid, &self.jwks, &self.public_key) {
                    (Some(kid), Some(jwks), _) => {
                        let key = jwks.key(kid, alg).await?;
                        decode(token, &key, validation)?
                    }
                    (_, _, Some((key, key_alg))) if *key_alg == alg => decode(token, key, validation)?,
                    (None, Some(_), None) => {
                        return Err(AuthError::InvalidToken("token has no kid to select a JWKS key".into()));
                    }
                    _ => {
                        return Err(AuthError::InvalidToken(format!("no key accepts {alg:?} tokens")));
                    }
                }
            }
            other => {
                return Err(AuthError::InvalidToken(format!("algorithm {other:?} is not accepted")));
            }
        };
        let subject = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
        Ok(VerifiedClaims { subject, claims })
    }
}

/// The one place that calls `jsonwebtoken::decode` (clippy.toml bans it elsewhere).
#[allow(clippy::disallowed_methods)]
fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<Map<String, Value>, AuthError> {
    jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)
        .map(|data| data.claims)
        .map_err(|e| AuthError::InvalidToken(e.to_string()))
}

fn validation(alg: Algorithm, settings: &JwtSettings) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = settings.leeway_secs;
    v.validate_exp = true;
    v.validate_nbf = true;
    let mut required: HashSet<String> = HashSet::from(["exp".to_owned()]);
    match &settings.issuer {
        Some(iss) => {
            v.set_issuer(&[iss]);
            required.insert("iss".into());
        }
        None => v.iss = None,
    }
    match &settings.audience {
        Some(aud) => {
            v.set_audience(&[aud]);
            required.insert("aud".into());
        }
        // Without a configured audience, an `aud` in the token cannot be checked.
        None => v.validate_aud = false,
    }
    v.required_spec_claims = required;
    v
}

fn parse_public_pem(pem: &[u8]) -> Result<(DecodingKey, Algorithm), JwtConfigError> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok((key, Algorithm::RS256));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        return Ok((key, Algorithm::ES256));
    }
    Err(JwtConfigError::BadKey)
}
