//! A cached JWKS (RFC 7517) key set fetched from `LOGWARD_JWT_JWKS_URL`.
//!
//! Keys are looked up by `kid`. An unknown `kid` triggers a refetch, but never
//! more often than the configured floor, so a flood of forged `kid`s cannot turn
//! the gateway into a load generator against the identity provider. Only RSA
//! (RS256) and P-256 EC (ES256) signing keys are taken; symmetric (`oct`) keys
//! in a public JWKS are ignored, and a key's declared `alg` must match the
//! token's.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::AuthError;

const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Keys are refreshed at most this old even when every `kid` is known, so a
/// rotated-out key stops working.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// While the JWKS endpoint fails, the last good keys are used this long at
/// most; after that tokens are refused (503) rather than checked against keys
/// the identity provider may have withdrawn.
const MAX_STALE: Duration = Duration::from_secs(6 * 3600);

pub(crate) struct JwksCache {
    url: String,
    client: reqwest::Client,
    min_refresh: Duration,
    state: RwLock<State>,
    fetch_lock: tokio::sync::Mutex<()>,
}

/// A usable key and the one algorithm it verifies.
type KeyEntry = (Algorithm, Arc<DecodingKey>);

#[derive(Default)]
struct State {
    keys: HashMap<String, KeyEntry>,
    /// Last successful fetch: keys older than [`MAX_STALE`] are not used.
    fetched_at: Option<Instant>,
    /// Last attempt, successful or not: the refetch floor counts from here.
    attempted_at: Option<Instant>,
}

impl JwksCache {
    pub(crate) fn new(url: String, min_refresh: Duration) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            url,
            client,
            min_refresh,
            state: RwLock::new(State::default()),
            fetch_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The key for `kid` (if any), and when the set was last fetched and last tried.
    fn lookup(&self, kid: &str) -> (Option<KeyEntry>, Option<Instant>, Option<Instant>) {
        let state = self.state.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        (state.keys.get(kid).cloned(), state.fetched_at, state.attempted_at)
    }

    /// The key for `kid`, if the set has one whose algorithm is `alg`.
    pub(crate) async fn key(&self, kid: &str, alg: Algorithm) -> Result<Arc<DecodingKey>, AuthError> {
        let (found, fetched_at, _) = self.lookup(kid);
        if let (Some(found), true) = (found, fetched_at.is_some_and(|t| t.elapsed() < MAX_AGE)) {
            return check_alg(found, alg);
        }
        {
            let _guard = self.fetch_lock.lock().await;
            // Another request may have refreshed while we waited.
            let (_, _, attempted_at) = self.lookup(kid);
            if attempted_at.is_none_or(|t| t.elapsed() >= self.min_refresh)
                && let Err(e) = self.refresh().await
            {
                tracing::warn!(error = %e, "JWKS fetch failed");
            }
        }
        let (found, fetched_at, _) = self.lookup(kid);
        match fetched_at {
            None => Err(AuthError::KeysUnavailable),
            Some(t) if t.elapsed() >= MAX_STALE => Err(AuthError::KeysUnavailable),
            Some(_) => match found {
                Some(found) => check_alg(found, alg),
                None => Err(AuthError::InvalidToken(format!("unknown key id {kid:?}"))),
            },
        }
    }

    /// Fetches and replaces the key set. Records the attempt even on failure,
    /// so the floor also limits retries against a failing endpoint.
    pub(crate) async fn refresh(&self) -> anyhow::Result<usize> {
        let result = self.fetch().await;
        let mut state = self.state.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.attempted_at = Some(Instant::now());
        let keys = result?;
        state.fetched_at = Some(Instant::now());
        let count = keys.len();
        state.keys = keys;
        Ok(count)
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, (Algorithm, Arc<DecodingKey>)>> {
        let mut response = self.client.get(&self.url).send().await?.error_for_status()?;
        anyhow::ensure!(
            response.content_length().is_none_or(|n| n <= MAX_JWKS_BYTES as u64),
            "JWKS document is too large"
        );
        // Read in chunks and stop at the limit, whatever the server claims.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
            anyhow::ensure!(body.len() <= MAX_JWKS_BYTES, "JWKS document is too large");
        }
        parse_jwks(&body)
    }
}

fn check_alg(found: (Algorithm, Arc<DecodingKey>), alg: Algorithm) -> Result<Arc<DecodingKey>, AuthError> {
    if found.0 == alg {
        Ok(found.1)
    } else {
        Err(AuthError::InvalidToken(format!(
            "key is for {:?}, token says {alg:?}",
            found.0
        )))
    }
}

/// Parses a JWKS document, keeping the usable signing keys. Keys are parsed one
/// by one so that one exotic key does not hide the others.
pub(crate) fn parse_jwks(body: &[u8]) -> anyhow::Result<HashMap<String, (Algorithm, Arc<DecodingKey>)>> {
    #[derive(serde::Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let set: RawSet = serde_json::from_slice(body)?;
    let mut keys = HashMap::new();
    for raw in set.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(raw) else {
            continue;
        };
        if let Some((kid, alg, key)) = usable_key(&jwk) {
            keys.insert(kid, (alg, Arc::new(key)));
        }
    }
    Ok(keys)
}

fn usable_key(jwk: &Jwk) -> Option<(String, Algorithm, DecodingKey)> {
    let kid = jwk.common.key_id.clone()?;
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        // `oct` keys, other curves and other algorithms are not accepted.
        _ => return None,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, alg, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_public_signing_keys() {
        let body = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"},
            {"kty": "RSA", "kid": "rsa", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB", "alg": "RS256", "use": "sig"},
            {"kty": "RSA", "kid": "rsa-enc", "n": "sXch", "e": "AQAB", "use": "enc"},
            {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "weird", "kid": "x"}
        ]});
        let keys = parse_jwks(body.to_string().as_bytes()).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["rsa"]);
        assert_eq!(keys["rsa"].0, Algorithm::RS256);
    }

    #[test]
    fn rejects_non_jwks_documents() {
        assert!(parse_jwks(b"{}").is_err());
        assert!(parse_jwks(b"not json").is_err());
    }
}
