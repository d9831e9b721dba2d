//! The bootstrap admin token (`LOGWARD_ADMIN_TOKEN`).

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Holds only the SHA-256 of the admin token. Comparing digests in constant
/// time leaks neither the content nor the length of the token.
pub(crate) struct AdminToken {
    digest: Option<[u8; 32]>,
}

impl AdminToken {
    pub(crate) fn new(token: Option<&SecretString>) -> Self {
        Self {
            digest: token.map(|t| Sha256::digest(t.expose_secret().as_bytes()).into()),
        }
    }

    pub(crate) fn verify(&self, presented: &str) -> bool {
        let Some(expected) = &self.digest else {
            return false;
        };
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        presented.ct_eq(expected).into()
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_configured_token() {
        let token = AdminToken::new(Some(&SecretString::from("a".repeat(40))));
        assert!(token.verify(&"a".repeat(40)));
        assert!(!token.verify(&"a".repeat(39)));
        assert!(!token.verify(""));
        assert!(!AdminToken::new(None).verify(""));
    }
}
