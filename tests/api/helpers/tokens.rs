//! Credentials for the tests to present: HS256 tokens signed with the test
//! secret, and RSA/EC key pairs (made once per binary) for RS256/ES256.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::moto::now_ms;

pub const HS_SECRET: &str = "test-hs256-secret-0123456789abcdef-0123456789";

pub fn now_secs() -> i64 {
    now_ms() / 1000
}

/// HS256 token for `tenant` signed with the test secret, valid for an hour.
pub fn hs_token(tenant: &str) -> String {
    sign_hs(&json!({"sub": "alice", "tenant": tenant, "exp": now_secs() + 3600}))
}

pub fn sign_hs(claims: &Value) -> String {
    sign_hs_with(claims, HS_SECRET.as_bytes())
}

pub fn sign_hs_with(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// Test key pairs made with the openssl CLI once per test binary.
pub struct KeyPairs {
    /// Keeps the key files alive for the whole run.
    _dir: tempfile::TempDir,
    pub rsa_private: Vec<u8>,
    pub rsa_public_path: PathBuf,
    pub rsa_public_pem: Vec<u8>,
    pub rsa_n_b64: String,
    pub ec_private: Vec<u8>,
    pub ec_public_path: PathBuf,
}

pub fn keys() -> &'static KeyPairs {
    static KEYS: OnceLock<KeyPairs> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name);
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).output().expect("openssl CLI");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &s(&p("rsa.pem")),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &s(&p("rsa.pem")),
            "-pubout",
            "-out",
            &s(&p("rsa.pub.pem")),
        ]);
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &s(&p("ec.pem")),
        ]);
        openssl(&["pkey", "-in", &s(&p("ec.pem")), "-pubout", "-out", &s(&p("ec.pub.pem"))]);
        let modulus = openssl(&["rsa", "-pubin", "-in", &s(&p("rsa.pub.pem")), "-noout", "-modulus"]);
        let hex = String::from_utf8(modulus)
            .unwrap()
            .trim()
            .trim_start_matches("Modulus=")
            .to_owned();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        use base64::Engine;
        let rsa_n_b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        KeyPairs {
            rsa_private: std::fs::read(p("rsa.pem")).unwrap(),
            rsa_public_pem: std::fs::read(p("rsa.pub.pem")).unwrap(),
            rsa_public_path: p("rsa.pub.pem"),
            ec_private: std::fs::read(p("ec.pem")).unwrap(),
            ec_public_path: p("ec.pub.pem"),
            rsa_n_b64,
            _dir: dir,
        }
    })
}

pub fn sign_rs(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(&keys().rsa_private).unwrap(),
    )
    .unwrap()
}

pub fn sign_es(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        claims,
        &EncodingKey::from_ec_pem(&keys().ec_private).unwrap(),
    )
    .unwrap()
}
