//! API keys: `lwk_<id>_<secret>` for tenants, `lwa_<id>_<secret>` for admins.
//!
//! The id (16 random `[a-z0-9]`) is public: it names the key in listings and
//! audit rows. The secret is 32 bytes from the OS RNG, hex-encoded. Only
//! SHA-256 of the secret is stored (a fast hash is right for 256-bit random
//! secrets: there is nothing to brute-force), and it is compared in constant time.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ID_LEN: usize = 16;
const SECRET_BYTES: usize = 32;
const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Tenant,
    Admin,
}

impl KeyKind {
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            KeyKind::Tenant => "lwk_",
            KeyKind::Admin => "lwa_",
        }
    }
}

/// A key in clear: exists only between generation and the one response that
/// shows it. Its `Debug` is redacted.
pub(crate) struct PlainKey(String);

impl PlainKey {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainKey([redacted])")
    }
}

/// What is stored: SHA-256 of the secret part.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct HashedSecret([u8; 32]);

impl HashedSecret {
    pub(crate) fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Constant-time comparison with a presented secret.
    pub(crate) fn verify(&self, presented_secret: &str) -> bool {
        let presented = Self::of(presented_secret);
        presented.0.ct_eq(&self.0).into()
    }
}

impl fmt::Debug for HashedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashedSecret([redacted])")
    }
}

/// A freshly generated key.
pub(crate) struct GeneratedKey {
    pub(crate) id: String,
    pub(crate) plain: PlainKey,
    pub(crate) hash: HashedSecret,
}

pub(crate) fn generate(kind: KeyKind) -> Result<GeneratedKey, getrandom::Error> {
    let mut id_bytes = [0u8; ID_LEN];
    getrandom::fill(&mut id_bytes)?;
    // 256 is a multiple of 36 plus 4: the slight bias of `% 36` only affects
    // the public id, never the secret.
    let id: String = id_bytes
        .iter()
        .map(|b| ID_ALPHABET[(*b as usize) % ID_ALPHABET.len()] as char)
        .collect();
    let mut secret_bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret_bytes)?;
    let secret = hex(&secret_bytes);
    let hash = HashedSecret::of(&secret);
    let plain = PlainKey(format!("{}{id}_{secret}", kind.prefix()));
    Ok(GeneratedKey { id, plain, hash })
}

/// A presented key split into its parts; `None` when it is not one of ours.
pub(crate) struct PresentedKey<'a> {
    pub(crate) kind: KeyKind,
    pub(crate) id: &'a str,
    pub(crate) secret: &'a str,
}

pub(crate) fn parse(token: &str) -> Option<PresentedKey<'_>> {
    let (kind, rest) = if let Some(rest) = token.strip_prefix(KeyKind::Tenant.prefix()) {
        (KeyKind::Tenant, rest)
    } else {
        (KeyKind::Admin, token.strip_prefix(KeyKind::Admin.prefix())?)
    };
    let (id, secret) = rest.split_once('_')?;
    let id_ok = id.len() == ID_LEN && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let secret_ok = secret.len() == SECRET_BYTES * 2 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    (id_ok && secret_ok).then_some(PresentedKey { kind, id, secret })
}

/// Whether a bearer token looks like one of our keys (either kind), even a
/// malformed one: such tokens are never tried as JWTs.
pub(crate) fn looks_like_key(token: &str) -> bool {
    token.starts_with(KeyKind::Tenant.prefix()) || token.starts_with(KeyKind::Admin.prefix())
}

/// Checks a key id's shape (path parameters).
pub(crate) fn valid_id(id: &str) -> bool {
    id.len() == ID_LEN && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_and_verify() {
        for kind in [KeyKind::Tenant, KeyKind::Admin] {
            let key = generate(kind).unwrap();
            let parsed = parse(key.plain.expose()).unwrap();
            assert_eq!(parsed.kind, kind);
            assert_eq!(parsed.id, key.id);
            assert!(key.hash.verify(parsed.secret));
            assert!(!key.hash.verify(&"0".repeat(64)));
            assert!(key.plain.expose().starts_with(kind.prefix()));
        }
    }

    #[test]
    fn keys_are_unique_and_secrets_have_256_bits() {
        let a = generate(KeyKind::Tenant).unwrap();
        let b = generate(KeyKind::Tenant).unwrap();
        assert_ne!(a.id, b.id);
        assert_ne!(a.plain.expose(), b.plain.expose());
        assert_eq!(parse(a.plain.expose()).unwrap().secret.len(), 64);
    }

    #[test]
    fn malformed_keys_do_not_parse() {
        let good = generate(KeyKind::Tenant).unwrap();
        let s = good.plain.expose();
        for bad in [
            "",
            "lwk_",
            "lwx_abc",
            &s[..s.len() - 1],
            &format!("{s}0"),
            &s.replacen("lwk_", "LWK_", 1),
            &format!("lwk_{}_{}", "A".repeat(16), "0".repeat(64)),
            &format!("lwk_{}_{}", "a".repeat(16), "g".repeat(64)),
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_output_is_redacted() {
        let key = generate(KeyKind::Admin).unwrap();
        assert_eq!(format!("{:?}", key.plain), "PlainKey([redacted])");
        assert!(!format!("{:?}", key.hash).contains(&key.id));
    }
}
