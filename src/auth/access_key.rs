//! AWS-style access keys, for clients that sign requests with SigV4: an
//! access key id `LWAK` + 16 `[A-Z0-9]` (20 characters, shaped like AWS's, so
//! SDKs and the CLI take it; the prefix tells it apart from AWS's `AKIA`/`ASIA`
//! in logs and scanners) and a 40-character secret access key of 240 random
//! bits, in AWS's alphabet (base64). The id is public; the secret is shown
//! once and stored only sealed (`auth::secrets`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::SecretString;

pub(crate) const ID_PREFIX: &str = "LWAK";
const ID_RANDOM_LEN: usize = 16;
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// 30 bytes are exactly 40 base64 characters (AWS's secret length), without padding.
const SECRET_BYTES: usize = 30;
#[cfg(test)]
const SECRET_LEN: usize = 40;

/// A freshly generated key: the secret exists in clear only until it is
/// sealed and shown once. `Debug` shows the id only.
pub(crate) struct GeneratedAccessKey {
    pub(crate) id: String,
    pub(crate) secret: SecretString,
}

impl fmt::Debug for GeneratedAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedAccessKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

pub(crate) fn generate() -> Result<GeneratedAccessKey, getrandom::Error> {
    let mut id = String::with_capacity(ID_PREFIX.len() + ID_RANDOM_LEN);
    id.push_str(ID_PREFIX);
    // Rejection sampling: 252 is the largest multiple of 36 below 256, so
    // every character is equally likely.
    let mut pool = [0u8; 64];
    while id.len() < ID_PREFIX.len() + ID_RANDOM_LEN {
        getrandom::fill(&mut pool)?;
        for b in pool.iter().filter(|b| **b < 252) {
            if id.len() == ID_PREFIX.len() + ID_RANDOM_LEN {
                break;
            }
            id.push(ID_ALPHABET[(*b as usize) % ID_ALPHABET.len()] as char);
        }
    }
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret)?;
    let encoded = STANDARD.encode(secret);
    secret.fill(0);
    Ok(GeneratedAccessKey {
        id,
        secret: SecretString::from(encoded),
    })
}

/// Whether `id` is shaped like one of our access key ids (path parameters,
/// notifications, signatures' credential scopes).
pub(crate) fn valid_id(id: &str) -> bool {
    id.len() == ID_PREFIX.len() + ID_RANDOM_LEN
        && id.starts_with(ID_PREFIX)
        && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn generated_keys_look_like_aws_keys_with_our_prefix() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        for key in [&a, &b] {
            assert_eq!(key.id.len(), 20);
            assert!(valid_id(&key.id), "{}", key.id);
            let secret = key.secret.expose_secret();
            assert_eq!(secret.len(), SECRET_LEN);
            assert!(
                secret
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
            );
        }
        assert_ne!(a.id, b.id);
        assert_ne!(a.secret.expose_secret(), b.secret.expose_secret());
    }

    #[test]
    fn ids_are_checked_strictly() {
        for bad in [
            "",
            "LWAK",
            "AKIAIOSFODNN7EXAMPLE",
            "LWAKabcdefghijklmnop",
            "LWAK0123456789ABCDE",
            "LWAK0123456789ABCDEFG",
            "LWAK0123456789ABCDE_",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
        assert!(valid_id("LWAK0123456789ABCDEF"));
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let key = generate().unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(&key.id));
        assert!(!shown.contains(key.secret.expose_secret()));
    }
}
