//! Customer JWT verification. Each key has an explicit algorithm allow-list:
//! the HS256 secret accepts only HS256, a PEM public key only its own RS256 or
//! ES256, a JWKS key only the `alg` it declares. `none` is never accepted (it
//! does not even parse), and an HS256 token never meets a public key. Where
//! jsonwebtoken is more lenient than we want (a pinned `iss` given as a list,
//! a `crit` header it ignores), this module refuses on top of it.

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde_json::{Map, Value};

use super::AuthError;
use super::jwks::JwksCache;
use crate::config::JwtSettings;

/// A token whose signature, algorithm and time/issuer/audience claims passed.
#[derive(Debug, Clone)]
pub(crate) struct VerifiedClaims {
    pub(crate) subject: Option<String>,
    pub(crate) claims: Map<String, Value>,
}

impl VerifiedClaims {
    /// The string value of `claim`, if present and non-empty.
    pub(crate) fn string(&self, claim: &str) -> Option<&str> {
        self.claims.get(claim).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    /// Whether `claim` is `value`, or a list that contains it.
    pub(crate) fn has(&self, claim: &str, value: &str) -> bool {
        match self.claims.get(claim) {
            Some(Value::String(s)) => s == value,
            Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(value)),
            _ => false,
        }
    }

    /// `exp` in epoch seconds, read exactly as jsonwebtoken 11's validator
    /// reads it: an integer as is, a non-integer NumericDate (RFC 7519 §2
    /// allows `1764547200.5`) rounded half away from zero, anything else
    /// (negative, string, out of `u64`) unreadable. The validator refuses a
    /// token whose `exp` it cannot read and `verify` requires `exp`, so this is
    /// `Some` for every verified token; `None` only for claims made by hand.
    ///
    /// The verifier keeps accepting the token until `expires_at + leeway`;
    /// whoever ends a long-lived response at `expires_at` ends it no later than
    /// the verifier would refuse the token. Values past `i64::MAX` (which the
    /// validator accepts, up to `u64::MAX`) saturate there: earlier, never later.
    pub(crate) fn expires_at(&self) -> Option<i64> {
        numeric_date(self.claims.get("exp")?)
    }
}

/// Mirrors `numeric_type` in jsonwebtoken 11's `validation.rs` (which is not
/// public): a `u64`, or a finite float in `[0, u64::MAX)` rounded with
/// `f64::round`. The validator and the claims `Map` parse the same bytes with
/// the same serde_json (no `arbitrary_precision` in this build), so they see
/// the same number kind and the same float, ulp for ulp.
fn numeric_date(value: &Value) -> Option<i64> {
    let Value::Number(n) = value else {
        return None;
    };
    let secs = if let Some(secs) = n.as_u64() {
        secs
    } else if n.is_f64() {
        let f = n.as_f64()?;
        // `u64::MAX as f64` is 2^64: the validator's bound, kept as written.
        if !(f.is_finite() && f >= 0.0 && f < u64::MAX as f64) {
            return None;
        }
        f.round() as u64
    } else {
        // A negative integer: the validator has no `visit_i64` and refuses it.
        return None;
    };
    Some(i64::try_from(secs).unwrap_or(i64::MAX))
}

pub(crate) struct JwtVerifier {
    hs256: Option<DecodingKey>,
    public_key: Option<(DecodingKey, Algorithm)>,
    jwks: Option<Arc<JwksCache>>,
    tenant_claim: String,
    /// The pinned `iss`, if any (admin JWTs are accepted only then).
    issuer: Option<String>,
    /// Longest token lifetime accepted, seconds; 0: no limit.
    max_lifetime_secs: i64,
    hs256_validation: Validation,
    rs256_validation: Validation,
    es256_validation: Validation,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum JwtConfigError {
    #[error("LOGWARD_JWT_PUBLIC_KEY_FILE: cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("LOGWARD_JWT_PUBLIC_KEY_FILE: not an RSA or P-256 EC public key in PEM form")]
    BadKey,
    #[error("LOGWARD_JWT_JWKS_URL: {0}")]
    Jwks(String),
}

impl JwtVerifier {
    pub(crate) fn new(settings: &JwtSettings) -> Result<Self, JwtConfigError> {
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
            issuer: settings.issuer.clone(),
            max_lifetime_secs: i64::try_from(settings.max_lifetime_secs).unwrap_or(i64::MAX),
            hs256_validation: validation(Algorithm::HS256, settings),
            rs256_validation: validation(Algorithm::RS256, settings),
            es256_validation: validation(Algorithm::ES256, settings),
        })
    }

    /// Whether tokens must come from a configured issuer.
    pub(crate) fn issuer_pinned(&self) -> bool {
        self.issuer.is_some()
    }

    /// Whether any key source is configured at all.
    pub(crate) fn has_keys(&self) -> bool {
        self.hs256.is_some() || self.public_key.is_some() || self.jwks.is_some()
    }

    pub(crate) fn jwks(&self) -> Option<&Arc<JwksCache>> {
        self.jwks.as_ref()
    }

    /// The tenant a verified token speaks for.
    pub(crate) fn tenant<'c>(&self, claims: &'c VerifiedClaims) -> Result<&'c str, AuthError> {
        claims
            .string(&self.tenant_claim)
            .ok_or_else(|| AuthError::MissingTenantClaim(self.tenant_claim.clone()))
    }

    /// Verifies signature, algorithm, `exp` (required), `nbf`, `iss` and `aud`,
    /// and refuses any `crit` header.
    pub(crate) async fn verify(&self, token: &str) -> Result<VerifiedClaims, AuthError> {
        refuse_critical_headers(token)?;
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
        if let Some(pinned) = &self.issuer {
            check_issuer(&claims, pinned)?;
        }
        if self.max_lifetime_secs > 0 {
            check_lifetime(&claims, self.max_lifetime_secs, chrono::Utc::now().timestamp())?;
        }
        let subject = claims.get("sub").and_then(Value::as_str).map(str::to_owned);
        Ok(VerifiedClaims { subject, claims })
    }
}

/// A token may live at most `max` seconds: from `iat` to `exp`, or from now
/// to `exp` when it has no `iat` (a token minted to live a year is refused
/// even on its last day only if it says so; without `iat` what is left counts).
fn check_lifetime(claims: &Map<String, Value>, max: i64, now: i64) -> Result<(), AuthError> {
    let exp = claims.get("exp").and_then(numeric_date);
    let from = claims.get("iat").and_then(numeric_date).unwrap_or(now);
    match exp {
        Some(exp) if exp.saturating_sub(from) <= max => Ok(()),
        _ => Err(AuthError::TokenRefused(
            "the token lives longer than this gateway accepts",
        )),
    }
}

/// RFC 7515 §4.1.11: a recipient must refuse critical extensions it does not
/// understand, and we understand none. jsonwebtoken parses `crit` but acts on
/// nothing, and reads `"crit": null` as absent; so the header segment is
/// decoded here (with the same base64url engine) and any `crit` key, whatever
/// its value, refuses the token. Anything that does not decode is refused too.
fn refuse_critical_headers(token: &str) -> Result<(), AuthError> {
    let malformed = || AuthError::InvalidToken("malformed token header".into());
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(malformed());
    };
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| malformed())?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| malformed())?;
    if header.contains_key("crit") {
        return Err(AuthError::InvalidToken(
            "critical header parameters (crit) are not supported".into(),
        ));
    }
    Ok(())
}

/// jsonwebtoken accepts an `iss` list that merely contains the pinned issuer;
/// RFC 7519 §4.1.1 makes `iss` one StringOrURI, so only that string passes.
fn check_issuer(claims: &Map<String, Value>, pinned: &str) -> Result<(), AuthError> {
    match claims.get("iss") {
        Some(Value::String(iss)) if iss == pinned => Ok(()),
        _ => Err(AuthError::InvalidToken(
            "iss must be the configured issuer, as a string".into(),
        )),
    }
}

/// The one place that calls `jsonwebtoken::decode` (clippy.toml bans it elsewhere).
#[allow(clippy::disallowed_methods)]
fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<Map<String, Value>, AuthError> {
    jsonwebtoken::decode::<Map<String, Value>>(token, key, validation)
        .map(|data| data.claims)
        .map_err(|e| refusal(&e).map_or_else(|| AuthError::InvalidToken(e.to_string()), AuthError::TokenRefused))
}

/// What a client may be told about a failed check: the check's name.
fn refusal(e: &jsonwebtoken::errors::Error) -> Option<&'static str> {
    use jsonwebtoken::errors::ErrorKind;
    Some(match e.kind() {
        ErrorKind::ExpiredSignature => "the token expired",
        ErrorKind::ImmatureSignature => "the token is not yet valid (nbf)",
        ErrorKind::InvalidSignature => "the token's signature does not verify",
        ErrorKind::InvalidAudience => "wrong audience (aud)",
        ErrorKind::InvalidIssuer => "wrong issuer (iss)",
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "the token has no exp claim",
            "aud" => "the token has no aud claim",
            "iss" => "the token has no iss claim",
            _ => "the token lacks a required claim",
        },
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => "the token's algorithm is not accepted",
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            "the token is malformed"
        }
        _ => return None,
    })
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

#[cfg(test)]
mod tests;
