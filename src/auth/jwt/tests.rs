//! Unit tests for JWT verification: how `exp` is read, `iss` pinning, `crit`.

use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header};
use secrecy::SecretString;
use serde_json::json;

use super::*;

const SECRET: &str = "unit-test-hs256-secret-0123456789abcdef-0123";

fn verifier(issuer: Option<&str>) -> JwtVerifier {
    JwtVerifier::new(&JwtSettings {
        hs256_secret: Some(SecretString::from(SECRET)),
        public_key_file: None,
        jwks_url: None,
        jwks_min_refresh: Duration::from_secs(60),
        leeway_secs: 60,
        issuer: issuer.map(str::to_owned),
        audience: None,
        tenant_claim: "tenant".into(),
        max_lifetime_secs: 0,
    })
    .unwrap()
}

fn sign(header: &Header, claims: &Value) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
}

fn hs256() -> Header {
    Header::new(Algorithm::HS256)
}

fn in_an_hour() -> i64 {
    chrono::Utc::now().timestamp() + 3600
}

fn with_exp(exp: &Value) -> VerifiedClaims {
    VerifiedClaims {
        subject: None,
        claims: Map::from_iter([("exp".to_owned(), exp.clone())]),
    }
}

#[test]
fn expires_at_reads_integers_and_rounds_fractions_like_the_validator() {
    let cases = [
        (json!(1_764_547_200), 1_764_547_200),
        (json!(1_764_547_200.0), 1_764_547_200),
        (json!(1_764_547_200.4), 1_764_547_200),
        (json!(1_764_547_200.5), 1_764_547_201),
        (json!(1_764_547_200.6), 1_764_547_201),
        (json!(0.49), 0),
        (json!(0), 0),
        // Huge, but readable by the validator: saturates (earlier, never later).
        (json!(u64::MAX), i64::MAX),
        (json!(1e19), i64::MAX),
        (json!(i64::MAX), i64::MAX),
    ];
    for (exp, expected) in cases {
        assert_eq!(with_exp(&exp).expires_at(), Some(expected), "exp {exp}");
    }
}

#[test]
fn expires_at_is_none_where_the_validator_cannot_read_exp() {
    for exp in [
        json!(-1),
        json!(-0.5),
        json!(i64::MIN),
        json!(1e20),
        json!("1764547200"),
        json!(true),
        json!(null),
        json!([1_764_547_200]),
    ] {
        assert_eq!(with_exp(&exp).expires_at(), None, "exp {exp}");
    }
    let no_exp = VerifiedClaims {
        subject: None,
        claims: Map::new(),
    };
    assert_eq!(no_exp.expires_at(), None);
}

/// `reject_tokens_expiring_in_less_than` refuses a token when the `exp` the
/// validator read is below the bound, without looking at the clock: a
/// clock-free way to ask the validator which number it read.
#[test]
fn expires_at_is_the_number_the_validator_compares() {
    let key = DecodingKey::from_secret(SECRET.as_bytes());
    for exp in [
        json!(1_764_547_200),
        json!(1_764_547_200.5),
        json!(1_764_547_200.49),
        json!(1_764_547_200.51),
        json!(4_102_444_800.5),
        json!(1_000_000_000_000_000.5),
    ] {
        let token = sign(&hs256(), &json!({ "exp": exp }));
        let with_bound = |bound: u64| {
            let mut v = Validation::new(Algorithm::HS256);
            v.validate_exp = false;
            v.validate_nbf = true;
            v.reject_tokens_expiring_in_less_than = bound;
            decode(&token, &key, &v)
        };
        let accepted_with_bound = |bound: u64| with_bound(bound).is_ok();
        // The claims parsed from the token's text, as `verify` gets them
        // (serde_json's float parsing may differ from the literal by an ulp).
        let claims = VerifiedClaims {
            subject: None,
            claims: with_bound(0).unwrap(),
        };
        let at = u64::try_from(claims.expires_at().unwrap()).unwrap();
        assert!(accepted_with_bound(at), "exp {exp}: validator read less than {at}");
        assert!(!accepted_with_bound(at + 1), "exp {exp}: validator read more than {at}");
    }
}

#[tokio::test]
async fn a_verified_token_always_has_an_expiry_even_a_fractional_one() {
    let v = verifier(None);
    let exp = in_an_hour();
    let claims = v
        .verify(&sign(&hs256(), &json!({"tenant": "acme", "exp": exp as f64 + 0.5})))
        .await
        .unwrap();
    assert_eq!(claims.expires_at(), Some(exp + 1));
    for unreadable in [json!(-1), json!(format!("{exp}")), json!(1e20)] {
        let token = sign(&hs256(), &json!({"tenant": "acme", "exp": unreadable}));
        assert!(v.verify(&token).await.is_err(), "exp {unreadable}");
    }
}

#[tokio::test]
async fn a_pinned_issuer_must_be_the_same_string() {
    let v = verifier(Some("https://idp"));
    let token = |iss: Value| sign(&hs256(), &json!({"tenant": "acme", "exp": in_an_hour(), "iss": iss}));
    assert!(v.verify(&token(json!("https://idp"))).await.is_ok());
    for iss in [
        json!(["https://idp"]),
        json!(["https://idp", "https://evil"]),
        json!("https://evil"),
        json!(null),
        json!(1),
    ] {
        assert!(v.verify(&token(iss.clone())).await.is_err(), "iss {iss}");
    }
}

#[tokio::test]
async fn any_crit_header_refuses_the_token() {
    let v = verifier(None);
    let claims = json!({"tenant": "acme", "exp": in_an_hour()});
    assert!(v.verify(&sign(&hs256(), &claims)).await.is_ok());

    let mut listed = hs256();
    listed.crit = Some(vec!["x-ext".into()]);
    listed.extras.insert("x-ext", true);
    // jsonwebtoken reads `"crit": null` as no crit at all.
    let mut null = hs256();
    null.extras.insert("crit", Value::Null);
    let mut empty = hs256();
    empty.crit = Some(vec![]);
    for (header, why) in [(listed, "crit list"), (null, "crit null"), (empty, "crit empty")] {
        let err = v.verify(&sign(&header, &claims)).await.unwrap_err();
        assert!(err.to_string().contains("crit"), "{why}: {err}");
    }
}

#[test]
fn a_header_that_does_not_decode_is_refused() {
    for token in ["a.b", "a.b.c.d", "!!.b.c", "bm90IGpzb24.b.c", "e30=.b.c"] {
        assert!(refuse_critical_headers(token).is_err(), "{token}");
    }
    assert!(refuse_critical_headers("e30.b.c").is_ok());
}

#[test]
fn a_token_may_live_at_most_the_configured_lifetime() {
    let claims = |v: Value| v.as_object().cloned().unwrap();
    let now = 1_000_000;
    // iat to exp counts when iat is there; what is left counts without it.
    assert!(check_lifetime(&claims(json!({"iat": now - 10, "exp": now + 3590})), 3600, now).is_ok());
    assert!(check_lifetime(&claims(json!({"iat": now, "exp": now + 3601})), 3600, now).is_err());
    assert!(check_lifetime(&claims(json!({"exp": now + 3600})), 3600, now).is_ok());
    assert!(check_lifetime(&claims(json!({"exp": now + 86_400})), 3600, now).is_err());
    assert!(check_lifetime(&claims(json!({"iat": now, "exp": now as f64 + 100.5})), 100, now).is_err());
    assert!(
        check_lifetime(&claims(json!({"iat": now})), 3600, now).is_err(),
        "no readable exp"
    );
}
