//! Typed identifiers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A tenant id: a lowercase slug, `^[a-z0-9][a-z0-9-]{0,62}$`.
///
/// Because the alphabet has no `*`, `?`, `$` or `:`, a tenant id substituted into
/// an ARN can never act as a wildcard or cross an ARN field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub(crate) struct TenantId(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("must match ^[a-z0-9][a-z0-9-]{{0,62}}$ (1-63 lowercase letters, digits and '-', not starting with '-')")]
pub(crate) struct InvalidTenantId;

impl TenantId {
    pub(crate) fn parse(raw: &str) -> Result<Self, InvalidTenantId> {
        let bytes = raw.as_bytes();
        let valid = !bytes.is_empty()
            && bytes.len() <= 63
            && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidTenantId)
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TenantId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        TenantId::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slugs() {
        for ok in ["a", "0", "acme", "acme-prod-1", &"a".repeat(63)] {
            assert!(TenantId::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "-a",
            "A",
            "acme_prod",
            "acme*",
            "ac?me",
            "a:b",
            "a/b",
            "ä",
            &"a".repeat(64),
            "${x}",
        ] {
            assert_eq!(TenantId::parse(bad), Err(InvalidTenantId), "{bad}");
        }
    }
}
