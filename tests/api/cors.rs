//! Browsers: cross-origin calls only from the configured origins, with the
//! token in the `Authorization` header; nothing allowed by default.

use reqwest::Method;

use crate::helpers::*;

const PORTAL: &str = "https://portal.example.com";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}/v1/log-groups", app.address))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap()
}

async fn get_from(app: &TestApp, origin: &str, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/v1/me", app.address))
        .header("Origin", origin)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn allow_origin(r: &reqwest::Response) -> Option<&str> {
    r.headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn without_configured_origins_no_origin_is_allowed() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/acme/*"]))
        .await;
    let r = preflight(&app, PORTAL).await;
    assert_eq!(allow_origin(&r), None);
    let r = get_from(&app, PORTAL, &hs_token("acme")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(allow_origin(&r), None);
}

#[tokio::test]
async fn a_configured_origin_gets_preflights_answered_and_may_send_the_token() {
    let app = TestApp::builder()
        .setting("LOGWARD_CORS_ORIGINS", &format!("{PORTAL}, http://localhost:3000"))
        .spawn()
        .await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/acme/*"]))
        .await;

    let r = preflight(&app, PORTAL).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(allow_origin(&r), Some(PORTAL));
    let headers = r.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    // The token is a header, not a cookie: credentials mode stays off.
    assert!(r.headers().get("access-control-allow-credentials").is_none());

    let r = get_from(&app, PORTAL, &hs_token("acme")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(allow_origin(&r), Some(PORTAL));
    assert!(
        r.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("www-authenticate")
    );

    // Another origin gets no grant, on the preflight nor on the call.
    let r = preflight(&app, "https://evil.example.com").await;
    assert_eq!(allow_origin(&r), None);
    let r = get_from(&app, "https://evil.example.com", &hs_token("acme")).await;
    assert_eq!(allow_origin(&r), None);
}

#[test]
fn a_wildcard_origin_is_refused_at_start() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_logward"))
        .env_clear()
        .env("LOGWARD_CORS_ORIGINS", "*")
        .env("LOGWARD_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("LOGWARD_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LOGWARD_CORS_ORIGINS"), "{stderr}");
}
