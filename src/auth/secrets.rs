//! Sealing access-key secrets under the server key `LOGWARD_SECRETS_KEY`.
//!
//! Verifying a SigV4 signature needs the client's secret itself, so it cannot
//! be stored as a hash like API keys are. It is sealed with AES-256-SIV
//! (RFC 5297, the `aes-siv` crate the paging tokens already use), with the
//! access key id as associated data: a sealed secret moved to another key's
//! row fails to open. SIV is a deterministic AEAD designed for key wrapping:
//! it needs no nonce, and since every plaintext is a fresh random secret, being
//! deterministic reveals nothing. A database dump alone yields no credential.
//!
//! A sealed secret is `[format 1][fingerprint of the server key, 8 bytes][SIV,
//! 16 bytes][ciphertext]`. The fingerprint (HKDF of the server key under its
//! own label, revealing nothing of the sealing key) says which server key
//! sealed it, so a rotation can keep the previous key
//! (`LOGWARD_SECRETS_KEY_PREVIOUS`) for opening until every secret has been
//! re-sealed (`logward access-key reseal`).

use std::fmt;

use aes_siv::KeyInit;
use aes_siv::siv::Aes256Siv;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

const FORMAT_V1: u8 = 1;
const FINGERPRINT_LEN: usize = 8;
const HEADER_LEN: usize = 1 + FINGERPRINT_LEN;
/// HKDF `info` labels: keys derived from the same secret for other uses differ.
const SEAL_LABEL: &[u8] = b"logward access-key secret AES-256-SIV key v1";
const FINGERPRINT_LABEL: &[u8] = b"logward access-key secret key fingerprint v1";
/// Names what is sealed, as the first associated-data item.
const PURPOSE: &[u8] = b"logward access key secret";

/// One server key: the sealing key and its public fingerprint.
struct SealKey {
    key: aes_siv::Key<Aes256Siv>,
    fingerprint: [u8; FINGERPRINT_LEN],
}

impl SealKey {
    fn derive(secret: &SecretString) -> Self {
        let hkdf = hkdf::Hkdf::<Sha256>::new(None, secret.expose_secret().as_bytes());
        let mut key = aes_siv::Key::<Aes256Siv>::default();
        let mut fingerprint = [0u8; FINGERPRINT_LEN];
        // Called at start-up; both lengths are far below HKDF-SHA256's 8160 bytes.
        hkdf.expand(SEAL_LABEL, &mut key)
            .and_then(|()| hkdf.expand(FINGERPRINT_LABEL, &mut fingerprint))
            .expect("HKDF-SHA256 outputs of 64 and 8 bytes");
        Self { key, fingerprint }
    }

    /// S2V authenticates each item on its own, so boundaries cannot shift.
    fn binding<'a>(&'a self, access_key_id: &'a str) -> [&'a [u8]; 4] {
        [PURPOSE, access_key_id.as_bytes(), &[FORMAT_V1], &self.fingerprint]
    }
}

/// The current server key, and the previous one during a rotation.
pub(crate) struct SecretsKeys {
    current: SealKey,
    previous: Option<SealKey>,
}

impl fmt::Debug for SecretsKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretsKeys")
            .field("previous", &self.previous.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum SealError {
    #[error("sealed under a server key that is neither LOGWARD_SECRETS_KEY nor LOGWARD_SECRETS_KEY_PREVIOUS")]
    UnknownServerKey,
    #[error("the sealed secret is malformed, altered, or belongs to another access key")]
    Invalid,
}

impl SecretsKeys {
    pub(crate) fn new(current: &SecretString, previous: Option<&SecretString>) -> Self {
        Self {
            current: SealKey::derive(current),
            previous: previous.map(SealKey::derive),
        }
    }

    /// Seals `secret` for the key `access_key_id` under the current server key.
    pub(crate) fn seal(&self, access_key_id: &str, secret: &SecretString) -> Result<Vec<u8>, SealError> {
        let key = &self.current;
        let sealed = Aes256Siv::new(&key.key)
            .encrypt(key.binding(access_key_id), secret.expose_secret().as_bytes())
            // S2V refuses only more than 126 associated-data items; there are four.
            .map_err(|_| SealError::Invalid)?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&key.fingerprint);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The secret of `access_key_id`, opened with whichever configured server
    /// key sealed it.
    pub(crate) fn open(&self, access_key_id: &str, sealed: &[u8]) -> Result<SecretString, SealError> {
        let key = self.sealed_by(sealed)?;
        let plain = Aes256Siv::new(&key.key)
            .decrypt(key.binding(access_key_id), &sealed[HEADER_LEN..])
            .map_err(|_| SealError::Invalid)?;
        let secret = String::from_utf8(plain).map_err(|_| SealError::Invalid)?;
        Ok(SecretString::from(secret))
    }

    /// Whether `sealed` was sealed under the current server key (else it needs
    /// re-sealing before the previous key can be dropped).
    pub(crate) fn is_current(&self, sealed: &[u8]) -> bool {
        self.sealed_by(sealed)
            .is_ok_and(|key| key.fingerprint == self.current.fingerprint)
    }

    fn sealed_by(&self, sealed: &[u8]) -> Result<&SealKey, SealError> {
        if sealed.len() <= HEADER_LEN || sealed[0] != FORMAT_V1 {
            return Err(SealError::Invalid);
        }
        let fingerprint = &sealed[1..HEADER_LEN];
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find(|key| key.fingerprint == fingerprint)
            .ok_or(SealError::UnknownServerKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    const ID: &str = "LWAK0123456789ABCDEF";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn a_sealed_secret_opens_only_for_its_key_id_and_hides_the_secret() {
        let keys = SecretsKeys::new(&secret("server key one, at least 32 chars"), None);
        let sealed = keys.seal(ID, &secret(SECRET)).unwrap();
        assert_eq!(sealed.len(), HEADER_LEN + 16 + SECRET.len());
        assert!(!sealed.windows(8).any(|w| SECRET.as_bytes().windows(8).any(|s| s == w)));
        assert_eq!(keys.open(ID, &sealed).unwrap().expose_secret(), SECRET);
        assert_eq!(
            keys.open("LWAK0123456789ABCDEG", &sealed).unwrap_err(),
            SealError::Invalid
        );
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(keys.open(ID, &altered).unwrap_err(), SealError::Invalid);
        assert_eq!(keys.open(ID, &sealed[..5]).unwrap_err(), SealError::Invalid);
        let mut other_format = sealed.clone();
        other_format[0] = 2;
        assert_eq!(keys.open(ID, &other_format).unwrap_err(), SealError::Invalid);
    }

    #[test]
    fn rotation_opens_old_secrets_with_the_previous_key_until_resealed() {
        let (old, new) = (
            secret("the old server key, 32 chars long"),
            secret("the new server key, 32 chars long"),
        );
        let before = SecretsKeys::new(&old, None);
        let sealed = before.seal(ID, &secret(SECRET)).unwrap();

        let without_previous = SecretsKeys::new(&new, None);
        assert_eq!(
            without_previous.open(ID, &sealed).unwrap_err(),
            SealError::UnknownServerKey
        );

        let rotating = SecretsKeys::new(&new, Some(&old));
        assert!(!rotating.is_current(&sealed));
        let opened = rotating.open(ID, &sealed).unwrap();
        let resealed = rotating.seal(ID, &opened).unwrap();
        assert!(rotating.is_current(&resealed));
        assert_eq!(without_previous.open(ID, &resealed).unwrap().expose_secret(), SECRET);
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let keys = SecretsKeys::new(&secret("server key one, at least 32 chars"), None);
        assert_eq!(format!("{keys:?}"), "SecretsKeys { previous: false, .. }");
    }
}
