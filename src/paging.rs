//! Paging tokens bound to the caller. Every `nextToken` the gateway hands out
//! is an envelope: the upstream token plus an HMAC-SHA256 over (tenant,
//! operation, resource, upstream token) with the server key. A token replayed
//! by another tenant, on another resource or operation, or altered in any way
//! fails verification (400) and is never forwarded.
//!
//! The envelope is deterministic, so the same upstream token always yields the
//! same envelope: clients can still detect the end of a GetLogEvents stream by
//! the token repeating.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Longest upstream token we wrap; CloudWatch's are far shorter.
const MAX_UPSTREAM_TOKEN: usize = 8 * 1024;

pub struct TokenKey {
    /// HMAC keyed once; each token clones it (cheaper than re-keying).
    keyed: HmacSha256,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the token is invalid, or was issued for another caller, resource or operation")]
pub struct InvalidToken;

impl TokenKey {
    /// The HMAC key is SHA-256 of `secret`, so any length of secret works
    /// and keying cannot fail.
    pub fn new(secret: &[u8]) -> Self {
        let mut key = hmac::digest::Key::<HmacSha256>::default();
        key[..32].copy_from_slice(&<Sha256 as sha2::Digest>::digest(secret));
        Self {
            keyed: <HmacSha256 as KeyInit>::new(&key),
        }
    }

    /// A random key (tokens then die with the process and are not shared
    /// between instances).
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(Self::new(&key))
    }

    fn mac(&self, tenant: &str, operation: &str, resource: &str, upstream: &str) -> HmacSha256 {
        // Length prefixes make the field boundaries unambiguous.
        let mut mac = self.keyed.clone();
        for part in [tenant, operation, resource, upstream] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    pub fn wrap(&self, tenant: &str, operation: &str, resource: &str, upstream: &str) -> String {
        let tag = self.mac(tenant, operation, resource, upstream).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(upstream), URL_SAFE_NO_PAD.encode(tag))
    }

    /// The upstream token inside `token`, if it was issued for exactly this
    /// tenant, operation and resource.
    pub fn unwrap(&self, token: &str, tenant: &str, operation: &str, resource: &str) -> Result<String, InvalidToken> {
        let (body, tag) = token.split_once('.').ok_or(InvalidToken)?;
        if body.len() > MAX_UPSTREAM_TOKEN * 2 {
            return Err(InvalidToken);
        }
        let upstream = URL_SAFE_NO_PAD.decode(body).map_err(|_| InvalidToken)?;
        let upstream = String::from_utf8(upstream).map_err(|_| InvalidToken)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| InvalidToken)?;
        self.mac(tenant, operation, resource, &upstream)
            .verify_slice(&tag)
            .map_err(|_| InvalidToken)?;
        Ok(upstream)
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_only_for_the_same_binding() {
        let key = TokenKey::new(b"k");
        let t = key.wrap("acme", "GetLogEvents", "arn:a", "f/123");
        assert_eq!(key.unwrap(&t, "acme", "GetLogEvents", "arn:a"), Ok("f/123".into()));
        assert_eq!(key.wrap("acme", "GetLogEvents", "arn:a", "f/123"), t, "deterministic");
        assert_eq!(key.unwrap(&t, "globex", "GetLogEvents", "arn:a"), Err(InvalidToken));
        assert_eq!(key.unwrap(&t, "acme", "FilterLogEvents", "arn:a"), Err(InvalidToken));
        assert_eq!(key.unwrap(&t, "acme", "GetLogEvents", "arn:b"), Err(InvalidToken));
        assert_eq!(
            TokenKey::new(b"other").unwrap(&t, "acme", "GetLogEvents", "arn:a"),
            Err(InvalidToken)
        );
    }

    #[test]
    fn tampering_is_detected() {
        let key = TokenKey::new(b"k");
        let t = key.wrap("acme", "op", "r", "f/123");
        let (body, tag) = t.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("f/999"));
        assert_eq!(key.unwrap(&forged, "acme", "op", "r"), Err(InvalidToken));
        for bad in [
            "",
            ".",
            "f/123",
            &format!("{body}."),
            &format!("{body}.{tag}x"),
            "%%%.%%%",
        ] {
            assert_eq!(key.unwrap(bad, "acme", "op", "r"), Err(InvalidToken), "{bad}");
        }
        // Field boundaries cannot be shifted between tenant and operation.
        let a = key.wrap("ab", "c", "r", "u");
        assert_eq!(key.unwrap(&a, "a", "bc", "r"), Err(InvalidToken));
    }
}
