//! Admin JWTs: accepted with the role claim, refused without it.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_jwt_needs_the_role_claim() {
    let app = TestApp::builder()
        .setting("LOGWARD_ADMIN_ROLE_CLAIM", "roles")
        .setting("LOGWARD_JWT_ISSUER", "https://idp.example")
        .spawn()
        .await;
    let exp = now_secs() + 600;
    let iss = "https://idp.example";
    let admin = sign_hs(&json!({"sub": "ops-bob", "roles": ["viewer", "admin"], "exp": exp, "iss": iss}));
    let r = app
        .admin_as(
            &admin,
            Method::POST,
            "/admin/v1/tenants",
            Some(json!({"id": "acme", "name": "ACME"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let who: String = sqlx::query_scalar("select principal from audit_events where action = 'tenant.create'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(who, "jwt:ops-bob");

    for claims in [
        json!({"sub": "eve", "exp": exp, "iss": iss}),
        json!({"sub": "eve", "roles": "viewer", "exp": exp, "iss": iss}),
        json!({"sub": "eve", "logward_role": "admin", "exp": exp, "iss": iss}),
        json!({"sub": "eve", "roles": "Admin", "exp": exp, "iss": iss}),
    ] {
        let r = app
            .admin_as(&sign_hs(&claims), Method::GET, "/admin/v1/tenants", None)
            .await;
        assert_problem(r, 403, "forbidden").await;
    }
    // An expired admin token is not authenticated at all.
    let expired = sign_hs(&json!({"sub": "bob", "roles": "admin", "exp": now_secs() - 600, "iss": iss}));
    let r = app.admin_as(&expired, Method::GET, "/admin/v1/tenants", None).await;
    assert_problem(r, 401, "unauthenticated").await;
    let foreign = sign_hs(&json!({"sub": "bob", "roles": "admin", "exp": exp, "iss": "https://other.example"}));
    let r = app.admin_as(&foreign, Method::GET, "/admin/v1/tenants", None).await;
    assert_problem(r, 401, "unauthenticated").await;
}

#[tokio::test]
async fn admin_jwts_need_a_configured_issuer() {
    let app = spawn_app().await;
    let admin = sign_hs(&json!({"sub": "bob", "logward_role": "admin", "exp": now_secs() + 600}));
    let r = app.admin_as(&admin, Method::GET, "/admin/v1/tenants", None).await;
    assert_problem(r, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_subject_with_control_characters_cannot_break_the_audit_trail() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/nothing/*"]))
        .await;
    let token = sign_hs(&json!({"sub": "evil\u{0}\nname", "tenant": "acme", "exp": now_secs() + 600}));
    assert_eq!(app.get_events(&token, "/denied", "s", "").await.status(), 403);
    assert_eq!(
        app.get_events(&hs_token("acme"), "/denied", "s", "").await.status(),
        403
    );
    let rows = app.audit_rows("kind = 'data' and tenant_id = 'acme'", 2).await;
    assert_eq!(rows.len(), 2, "both rows were written");
    let principals: Vec<String> =
        sqlx::query_scalar("select principal from audit_events where kind = 'data' order by id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(principals, ["jwt:evilname", "jwt:alice"]);
}
