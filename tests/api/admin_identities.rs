//! Admin JWTs: accepted with the role claim, refused without it.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_jwt_needs_the_role_claim() {
    let app = spawn_app_with(&[("LOGWARD_ADMIN_ROLE_CLAIM", "roles")]).await;
    let exp = now_secs() + 600;
    let admin = sign_hs(&json!({"sub": "ops-bob", "roles": ["viewer", "admin"], "exp": exp}));
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
        json!({"sub": "eve", "exp": exp}),
        json!({"sub": "eve", "roles": "viewer", "exp": exp}),
        json!({"sub": "eve", "logward_role": "admin", "exp": exp}),
        json!({"sub": "eve", "roles": "Admin", "exp": exp}),
    ] {
        let r = app
            .admin_as(&sign_hs(&claims), Method::GET, "/admin/v1/tenants", None)
            .await;
        assert_problem(r, 403, "forbidden").await;
    }
    // An expired admin token is not authenticated at all.
    let expired = sign_hs(&json!({"sub": "bob", "roles": "admin", "exp": now_secs() - 600}));
    let r = app.admin_as(&expired, Method::GET, "/admin/v1/tenants", None).await;
    assert_problem(r, 401, "unauthenticated").await;
}
