//! Paging tokens bound to the caller and unreadable by it. Every `nextToken`
//! the gateway hands out is the upstream token sealed with AES-SIV (RFC 5297),
//! with (tenant, operation, resource) as associated data: a token replayed by
//! another tenant, on another resource or operation, or altered in any way
//! fails to open (400) and is never forwarded, and its holder cannot read
//! CloudWatch's token (FilterLogEvents tokens name other streams).
//!
//! AES-SIV is deterministic and misuse-resistant: no nonce, so the same
//! upstream token always yields the same envelope and clients can still
//! detect the end of a GetLogEvents stream by the token repeating. What it
//! reveals is only that two envelopes hold the same token for the same
//! binding, and the token's length.

use aes_siv::KeyInit;
use aes_siv::siv::Aes256Siv;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Sha256;

/// Longest upstream token we open; CloudWatch's are far shorter.
const MAX_UPSTREAM_TOKEN: usize = 8 * 1024;
/// The SIV, prepended to the ciphertext.
const SIV_LEN: usize = 16;
/// Longest envelope `unwrap` decodes: the base64 of SIV and ciphertext.
const MAX_ENVELOPE: usize = (MAX_UPSTREAM_TOKEN + SIV_LEN).div_ceil(3) * 4;
/// HKDF `info`: keys derived for anything else from the same secret differ.
const KEY_LABEL: &[u8] = b"logward paging-token AES-256-SIV key v1";

pub(crate) struct TokenKey {
    /// The 512-bit AES-SIV key (a CMAC half and a CTR half).
    key: aes_siv::Key<Aes256Siv>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the token is invalid, or was issued for another caller, resource or operation")]
pub(crate) struct InvalidToken;

impl TokenKey {
    /// The key is HKDF-SHA256 of `secret` with a fixed label, so any length of
    /// secret works.
    pub(crate) fn new(secret: &[u8]) -> Self {
        let mut key = aes_siv::Key::<Aes256Siv>::default();
        hkdf::Hkdf::<Sha256>::new(None, secret)
            .expand(KEY_LABEL, &mut key)
            // Called at start-up; 64 bytes is far below HKDF-SHA256's 8160.
            .expect("a 64-byte HKDF-SHA256 output");
        Self { key }
    }

    /// A random key (tokens then die with the process and are not shared
    /// between instances).
    pub(crate) fn random() -> Result<Self, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(Self::new(&key))
    }

    /// S2V authenticates each associated-data item on its own, so field
    /// boundaries cannot shift (as length prefixes would ensure).
    fn binding<'a>(tenant: &'a str, operation: &'a str, resource: &'a str) -> [&'a [u8]; 3] {
        [tenant.as_bytes(), operation.as_bytes(), resource.as_bytes()]
    }

    pub(crate) fn wrap(&self, tenant: &str, operation: &str, resource: &str, upstream: &str) -> String {
        let sealed = Aes256Siv::new(&self.key)
            .encrypt(Self::binding(tenant, operation, resource), upstream.as_bytes())
            // S2V refuses only more than 126 associated-data items; there are three.
            .unwrap_or_default();
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// The upstream token inside `token`, if it was issued for exactly this
    /// tenant, operation and resource.
    pub(crate) fn unwrap(
        &self,
        token: &str,
        tenant: &str,
        operation: &str,
        resource: &str,
    ) -> Result<String, InvalidToken> {
        if token.len() > MAX_ENVELOPE {
            return Err(InvalidToken);
        }
        let sealed = URL_SAFE_NO_PAD.decode(token).map_err(|_| InvalidToken)?;
        if sealed.len() < SIV_LEN {
            return Err(InvalidToken);
        }
        let upstream = Aes256Siv::new(&self.key)
            .decrypt(Self::binding(tenant, operation, resource), &sealed)
            .map_err(|_| InvalidToken)?;
        String::from_utf8(upstream).map_err(|_| InvalidToken)
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
        // Other bindings and tokens give other envelopes.
        assert_ne!(key.wrap("globex", "GetLogEvents", "arn:a", "f/123"), t);
        assert_ne!(key.wrap("acme", "GetLogEvents", "arn:a", "f/124"), t);
    }

    #[test]
    fn any_secret_length_and_an_empty_upstream_token_work() {
        for secret in [&b""[..], b"k", &[7u8; 1000]] {
            let key = TokenKey::new(secret);
            let t = key.wrap("acme", "op", "r", "");
            assert_eq!(key.unwrap(&t, "acme", "op", "r"), Ok(String::new()));
        }
        let key = TokenKey::random().unwrap();
        let t = key.wrap("acme", "op", "r", "f/1");
        assert_eq!(key.unwrap(&t, "acme", "op", "r"), Ok("f/1".into()));
    }

    #[test]
    fn the_envelope_does_not_show_the_upstream_token() {
        let key = TokenKey::new(b"k");
        let upstream = "/acme/app@other-tenant-stream@37000000000000000000000000000000000000000000000000000000";
        let t = key.wrap("acme", "FilterLogEvents", "arn:g", upstream);
        assert!(!t.contains('.'), "one URL-safe base64 part: {t}");
        let raw = URL_SAFE_NO_PAD.decode(&t).unwrap();
        let raw = String::from_utf8_lossy(&raw);
        // (Not a bare `@`: ciphertext bytes are 0x40 by chance.)
        for needle in ["other-tenant-stream", "/acme/app", "@other", "370000"] {
            assert!(!raw.contains(needle), "{needle} in {raw}");
        }
        // Nor its base64, at any of the three alignments.
        for skip in 0..3 {
            let b64 = URL_SAFE_NO_PAD.encode(&upstream.as_bytes()[skip..]);
            assert!(!t.contains(&b64[4..20]), "{t}");
        }
    }

    #[test]
    fn tampering_is_detected() {
        let key = TokenKey::new(b"k");
        let t = key.wrap("acme", "op", "r", "f/123");
        let mut raw = URL_SAFE_NO_PAD.decode(&t).unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 1;
            let flipped = URL_SAFE_NO_PAD.encode(&raw);
            assert_eq!(key.unwrap(&flipped, "acme", "op", "r"), Err(InvalidToken), "byte {i}");
            raw[i] ^= 1;
        }
        let short = URL_SAFE_NO_PAD.encode(&raw[..SIV_LEN - 1]);
        let long = "A".repeat(MAX_ENVELOPE + 4);
        for bad in [
            "",
            ".",
            "f/123",
            &format!("{t}="),
            &format!("{t}x"),
            "%%%",
            &short,
            &long,
        ] {
            assert_eq!(key.unwrap(bad, "acme", "op", "r"), Err(InvalidToken), "{bad}");
        }
        // Field boundaries cannot be shifted between tenant and operation.
        let a = key.wrap("ab", "c", "r", "u");
        assert_eq!(key.unwrap(&a, "a", "bc", "r"), Err(InvalidToken));
    }

    #[test]
    fn the_longest_upstream_token_still_opens() {
        let key = TokenKey::new(b"k");
        let upstream = "x".repeat(MAX_UPSTREAM_TOKEN);
        let t = key.wrap("acme", "op", "r", &upstream);
        assert!(t.len() <= MAX_ENVELOPE);
        assert_eq!(key.unwrap(&t, "acme", "op", "r"), Ok(upstream));
    }
}
