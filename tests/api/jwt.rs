//! Every way a customer token can be wrong is a 401 (or 403 for a valid token
//! of an unknown/disabled tenant), and none reaches CloudWatch.

use serde_json::{Value, json};

use crate::helpers::*;

struct Setup {
    app: TestApp,
    group: String,
}

async fn setup(extra: &[(&str, &str)]) -> Setup {
    let app = TestApp::builder().settings(extra).spawn().await;
    let group = format!("/{}/app", unique("acme"));
    seed(&app.logs, &group, "s", &["hello".into()]).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;
    Setup { app, group }
}

impl Setup {
    async fn status_for(&self, token: &str) -> u16 {
        self.app.get_events(token, &self.group, "s", "").await.status().as_u16()
    }

    async fn assert_unauthenticated(&self, token: &str, why: &str) {
        let r = self.app.get_events(token, &self.group, "s", "").await;
        assert_eq!(r.status(), 401, "{why}");
        assert!(
            r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"),
            "{why}"
        );
        assert_problem(r, 401, "unauthenticated").await;
    }
}

fn claims(extra: Value) -> Value {
    let mut c = json!({"sub": "alice", "tenant": "acme", "exp": now_secs() + 600});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn alg_none(claims: &Value) -> String {
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(claims))
}

#[tokio::test]
async fn hs256_failures_are_401_and_never_forwarded() {
    let s = setup(&[
        ("LOGWARD_JWT_ISSUER", "https://idp.example"),
        ("LOGWARD_JWT_AUDIENCE", "logward"),
    ])
    .await;
    let good = claims(json!({"iss": "https://idp.example", "aud": "logward"}));
    assert_eq!(s.status_for(&sign_hs(&good)).await, 200);
    let calls_after_good = s.app.upstream_calls();

    let with = |extra: Value| {
        let mut c = good.clone();
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let cases: Vec<(String, &str)> = vec![
        (
            sign_hs_with(&good, b"another-secret-that-is-long-enough-0123456789"),
            "bad signature",
        ),
        (
            sign_hs(&with(json!({"exp": now_secs() - 120}))),
            "expired beyond leeway",
        ),
        (sign_hs(&with(json!({"exp": null}))), "no exp"),
        (sign_hs(&with(json!({"nbf": now_secs() + 600}))), "not yet valid"),
        (sign_hs(&with(json!({"iss": "https://evil.example"}))), "wrong issuer"),
        (sign_hs(&with(json!({"iss": null}))), "missing issuer"),
        (sign_hs(&with(json!({"aud": "someone-else"}))), "wrong audience"),
        (sign_hs(&with(json!({"aud": null}))), "missing audience"),
        (sign_hs(&with(json!({"tenant": null}))), "missing tenant claim"),
        (sign_hs(&with(json!({"tenant": 42}))), "non-string tenant claim"),
        (alg_none(&good), "alg none"),
        ("not.a.jwt".to_owned(), "garbage"),
    ];
    for (token, why) in &cases {
        s.assert_unauthenticated(token, why).await;
    }
    assert_eq!(
        s.app.upstream_calls(),
        calls_after_good,
        "a rejected token reached CloudWatch"
    );
}

#[tokio::test]
async fn a_refused_token_is_told_what_is_wrong_in_rfc_6750_form() {
    let s = setup(&[("LOGWARD_JWT_AUDIENCE", "logward")]).await;
    let good = claims(json!({"aud": "logward"}));
    let mut expired = good.clone();
    expired["exp"] = json!(now_secs() - 120);
    let mut early = good.clone();
    early["nbf"] = json!(now_secs() + 600);
    let mut elsewhere = good.clone();
    elsewhere["aud"] = json!("another-app");
    for (token, words) in [
        (sign_hs(&expired), "expired"),
        (
            sign_hs_with(&good, b"another-secret-that-is-long-enough-0123456789"),
            "signature",
        ),
        (sign_hs(&early), "not yet valid"),
        (sign_hs(&elsewhere), "wrong audience"),
    ] {
        let r = s.app.get_events(&token, &s.group, "s", "").await;
        let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
        let problem = assert_problem(r, 401, "unauthenticated").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(words), "{words}: {detail}");
        assert_eq!(
            challenge,
            format!("Bearer realm=\"logward\", error=\"invalid_token\", error_description=\"{detail}\""),
            "{words}"
        );
    }
}

#[tokio::test]
async fn leeway_tolerates_small_clock_skew_only() {
    let s = setup(&[("LOGWARD_JWT_LEEWAY_SECS", "30")]).await;
    assert_eq!(
        s.status_for(&sign_hs(&claims(json!({"exp": now_secs() - 10})))).await,
        200
    );
    assert_eq!(
        s.status_for(&sign_hs(&claims(json!({"nbf": now_secs() + 10})))).await,
        200
    );
    assert_eq!(
        s.status_for(&sign_hs(&claims(json!({"exp": now_secs() - 60})))).await,
        401
    );
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let s = setup(&[]).await;
    let url = format!("{}/v1/log-groups/{}/log-streams/s/events", s.app.address, enc(&s.group));
    let r = s.app.client.get(&url).send().await.unwrap();
    assert_eq!(
        r.headers()["www-authenticate"].to_str().unwrap(),
        "Bearer realm=\"logward\""
    );
    assert_problem(r, 401, "unauthenticated").await;
    let r = s
        .app
        .client
        .get(&url)
        .header("authorization", format!("Basic {}", hs_token("acme")))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "unauthenticated").await;
    assert_eq!(s.app.upstream_calls(), 0);
}

#[tokio::test]
async fn unknown_and_disabled_tenants_are_403() {
    let s = setup(&[]).await;
    let r = s.app.get_events(&hs_token("nobody"), &s.group, "s", "").await;
    assert_problem(r, 403, "tenant_forbidden").await;

    let token = hs_token("acme");
    assert_eq!(s.status_for(&token).await, 200);
    let r = s
        .app
        .admin(
            reqwest::Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"status": "disabled"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = s.app.get_events(&token, &s.group, "s", "").await;
    assert_problem(r, 403, "tenant_forbidden").await;
    assert_eq!(s.app.upstream_calls(), 1);

    let r = s
        .app
        .admin(
            reqwest::Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"status": "active"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(s.status_for(&token).await, 200);
}

#[tokio::test]
async fn rs256_and_es256_public_keys_verify_and_an_hs256_token_never_meets_them() {
    let keys = keys();
    let rsa = setup(&[
        ("LOGWARD_JWT_HS256_SECRET", ""),
        ("LOGWARD_JWT_PUBLIC_KEY_FILE", keys.rsa_public_path.to_str().unwrap()),
    ])
    .await;
    assert_eq!(rsa.status_for(&sign_rs(&claims(json!({})), None)).await, 200);
    // The classic confusion attack: HS256 keyed with the public key's PEM text.
    let confused = sign_hs_with(&claims(json!({})), &keys.rsa_public_pem);
    rsa.assert_unauthenticated(&confused, "HS256 against an RS256 key")
        .await;
    rsa.assert_unauthenticated(&sign_es(&claims(json!({}))), "ES256 against an RSA key")
        .await;
    // With no HS256 secret configured, HS256 tokens are refused outright.
    rsa.assert_unauthenticated(&hs_token("acme"), "HS256 without a secret")
        .await;

    let ec = setup(&[
        ("LOGWARD_JWT_HS256_SECRET", ""),
        ("LOGWARD_JWT_PUBLIC_KEY_FILE", keys.ec_public_path.to_str().unwrap()),
    ])
    .await;
    assert_eq!(ec.status_for(&sign_es(&claims(json!({})))).await, 200);
    ec.assert_unauthenticated(&sign_rs(&claims(json!({})), None), "RS256 against an EC key")
        .await;
}

#[tokio::test]
async fn jwks_keys_are_selected_by_kid_and_unknown_kids_refetch_at_most_once_per_floor() {
    let keys = keys();
    let jwks = jwks_server(json!({"keys": [
        {"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": keys.rsa_n_b64, "e": "AQAB"},
        // A symmetric key in a JWKS must never be usable.
        {"kty": "oct", "kid": "hmac", "alg": "HS256", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}
    ]}));
    let s = setup(&[
        ("LOGWARD_JWT_HS256_SECRET", ""),
        ("LOGWARD_JWT_JWKS_URL", &jwks.url),
        ("LOGWARD_JWT_JWKS_MIN_REFRESH_SECS", "3600"),
    ])
    .await;
    let fetched_at_start = jwks.hits.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(fetched_at_start, 1, "the key set is fetched once at start");

    assert_eq!(s.status_for(&sign_rs(&claims(json!({})), Some("k1"))).await, 200);
    for _ in 0..5 {
        s.assert_unauthenticated(&sign_rs(&claims(json!({})), Some("unknown")), "unknown kid")
            .await;
    }
    let hmac_token = {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("hmac".into());
        jsonwebtoken::encode(
            &header,
            &claims(json!({})),
            &jsonwebtoken::EncodingKey::from_secret(b"secret-secret-secret-secret-secret"),
        )
        .unwrap()
    };
    s.assert_unauthenticated(&hmac_token, "oct key from JWKS").await;
    s.assert_unauthenticated(&sign_rs(&claims(json!({})), None), "RS256 without kid")
        .await;
    assert_eq!(
        jwks.hits.load(std::sync::atomic::Ordering::SeqCst),
        fetched_at_start,
        "unknown kids must not refetch within the floor"
    );
}

#[tokio::test]
async fn an_unknown_kid_triggers_a_refetch_once_the_floor_allows() {
    let keys = keys();
    let jwks = jwks_server(json!({"keys": [
        {"kty": "RSA", "kid": "k1", "alg": "RS256", "n": keys.rsa_n_b64, "e": "AQAB"}
    ]}));
    let s = setup(&[
        ("LOGWARD_JWT_HS256_SECRET", ""),
        ("LOGWARD_JWT_JWKS_URL", &jwks.url),
        ("LOGWARD_JWT_JWKS_MIN_REFRESH_SECS", "1"),
    ])
    .await;
    let before = jwks.hits.load(std::sync::atomic::Ordering::SeqCst);
    // Wait out the one-second floor, then an unknown kid makes one fetch.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    s.assert_unauthenticated(&sign_rs(&claims(json!({})), Some("rotated")), "unknown kid")
        .await;
    assert_eq!(jwks.hits.load(std::sync::atomic::Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn a_pinned_issuer_given_as_a_list_or_a_crit_header_is_401_and_never_forwarded() {
    let s = setup(&[("LOGWARD_JWT_ISSUER", "https://idp.example")]).await;
    let good = claims(json!({"iss": "https://idp.example"}));
    assert_eq!(s.status_for(&sign_hs(&good)).await, 200);
    let calls_after_good = s.app.upstream_calls();

    let listed_issuer = claims(json!({"iss": ["https://idp.example"]}));
    s.assert_unauthenticated(&sign_hs(&listed_issuer), "iss as a list")
        .await;

    let signed_with = |header: &jsonwebtoken::Header| {
        jsonwebtoken::encode(
            header,
            &good,
            &jsonwebtoken::EncodingKey::from_secret(HS_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let mut critical = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    critical.crit = Some(vec!["x-policy".into()]);
    critical.extras.insert("x-policy", "must-understand");
    s.assert_unauthenticated(&signed_with(&critical), "crit header").await;
    let mut null_crit = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    null_crit.extras.insert("crit", Value::Null);
    s.assert_unauthenticated(&signed_with(&null_crit), "crit: null").await;

    assert_eq!(
        s.app.upstream_calls(),
        calls_after_good,
        "a rejected token reached CloudWatch"
    );
}

#[tokio::test]
async fn a_token_that_lives_longer_than_the_configured_maximum_is_refused() {
    let s = setup(&[("LOGWARD_JWT_MAX_LIFETIME_SECS", "3600")]).await;
    let short = claims(json!({"iat": now_secs(), "exp": now_secs() + 1800}));
    let r = s.app.get_events(&sign_hs(&short), &s.group, "s", "").await;
    assert_eq!(r.status(), 200);
    // A day-long token, with or without iat.
    for long in [
        claims(json!({"iat": now_secs(), "exp": now_secs() + 86_400})),
        claims(json!({"exp": now_secs() + 86_400})),
    ] {
        let r = s.app.get_events(&sign_hs(&long), &s.group, "s", "").await;
        let problem = assert_problem(r, 401, "unauthenticated").await;
        assert!(
            problem["detail"].as_str().unwrap().contains("lives longer"),
            "{problem}"
        );
    }
}
