//! Tenant API keys end to end, and admin keys.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

struct World {
    app: TestApp,
    group: String,
}

/// Tenant acme may read its group; tenant globex has its own group.
async fn world() -> World {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("acme"));
    seed(&app.logs, &group, "s", &["acme line".into()]).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;
    app.create_tenant("globex", allow_policy(&["arn:aws:logs:*:*:log-group:/globex/*"]))
        .await;
    World { app, group }
}

#[tokio::test]
async fn a_key_reads_logs_until_it_is_revoked() {
    let w = world().await;
    let created = w.app.create_key("acme", json!({"name": "ci"})).await;
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("lwk_{id}_")));
    assert_eq!(key.len(), "lwk_".len() + 16 + 1 + 64, "256-bit secret, hex");

    let r = w.app.get_events(&key, &w.group, "s", "startFromHead=true").await;
    assert_eq!(r.status(), 200);

    // Listing never shows the secret or its hash.
    let r = w.app.admin(Method::GET, "/admin/v1/tenants/acme/api-keys", None).await;
    let listed = r.text().await.unwrap();
    assert!(!listed.contains(&key[25..]), "secret leaked in listing");
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["items"][0]["prefix"], format!("lwk_{id}"));
    assert!(listed["items"][0].get("secretHash").is_none());

    let r = w
        .app
        .admin(Method::DELETE, &format!("/admin/v1/tenants/acme/api-keys/{id}"), None)
        .await;
    assert_eq!(r.status(), 200);
    let r = w.app.get_events(&key, &w.group, "s", "").await;
    assert_problem(r, 401, "unauthenticated").await;

    // Only a hash is stored.
    let stored: Vec<u8> = sqlx::query_scalar("select secret_hash from api_keys where id = $1")
        .bind(&id)
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&key[21..]));
}

#[tokio::test]
async fn a_tampered_or_unknown_key_is_401() {
    let w = world().await;
    let key = w.app.create_key("acme", json!({"name": "ci"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tampered = key.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    for bad in [
        tampered,
        format!("lwk_{}_{}", "z".repeat(16), "0".repeat(64)),
        "lwk_short".into(),
    ] {
        let r = w.app.get_events(&bad, &w.group, "s", "").await;
        assert_problem(r, 401, "unauthenticated").await;
    }
    assert_eq!(w.app.upstream_calls(), 0);
}

#[tokio::test]
async fn an_expired_key_is_401() {
    let w = world().await;
    let r = w
        .app
        .admin(
            Method::POST,
            "/admin/v1/tenants/acme/api-keys",
            Some(json!({"name": "old", "expiresAt": "2020-01-01T00:00:00Z"})),
        )
        .await;
    let body = assert_problem(r, 400, "invalid_body").await;
    assert_eq!(body["invalid_params"][0]["name"], "expiresAt");

    let created = w
        .app
        .create_key("acme", json!({"name": "soon", "expiresAt": "2099-01-01T00:00:00Z"}))
        .await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(w.app.get_events(&key, &w.group, "s", "").await.status(), 200);
    // Let it expire (moving the clock is not possible; moving the expiry is).
    sqlx::query("update api_keys set expires_at = now() - interval '1 second' where id = $1")
        .bind(created["id"].as_str().unwrap())
        .execute(&w.app.pool)
        .await
        .unwrap();
    w.app
        .eventually_status(401, async || {
            w.app.get_events(&key, &w.group, "s", "").await.status().as_u16()
        })
        .await;
}

#[tokio::test]
async fn a_key_narrowed_to_actions_cannot_use_others_even_if_the_policy_allows() {
    let w = world().await;
    let narrow = w
        .app
        .create_key("acme", json!({"name": "lister", "actions": ["logs:DescribeLogGroups"]}))
        .await;
    let r = w
        .app
        .get_events(narrow["key"].as_str().unwrap(), &w.group, "s", "")
        .await;
    assert_problem(r, 403, "access_denied").await;
    assert_eq!(w.app.upstream_calls(), 0);
    let rows = w.app.audit_rows("kind = 'data' and reason = 'key_scope'", 1).await;
    assert_eq!(rows.len(), 1);

    let reader = w
        .app
        .create_key("acme", json!({"name": "reader", "actions": ["logs:getlogevents"]}))
        .await;
    assert_eq!(reader["actions"], json!(["logs:GetLogEvents"]), "names are normalised");
    assert_eq!(
        w.app
            .get_events(reader["key"].as_str().unwrap(), &w.group, "s", "")
            .await
            .status(),
        200
    );

    // A key can never widen the tenant's policy.
    let r = w
        .app
        .get_events(reader["key"].as_str().unwrap(), "/globex/app", "s", "")
        .await;
    assert_problem(r, 403, "access_denied").await;

    for bad in [
        json!({"name": "x", "actions": []}),
        json!({"name": "x", "actions": ["logs:PutLogEvents"]}),
        json!({"name": "x", "actions": ["logs:*"]}),
    ] {
        let r = w
            .app
            .admin(Method::POST, "/admin/v1/tenants/acme/api-keys", Some(bad))
            .await;
        let body = assert_problem(r, 400, "invalid_body").await;
        assert_eq!(body["invalid_params"][0]["name"], "actions");
    }
}

#[tokio::test]
async fn a_key_of_tenant_a_cannot_read_tenant_b() {
    let w = world().await;
    let globex_group = format!("/globex/{}", unique("app"));
    seed(&w.app.logs, &globex_group, "s", &["globex secret".into()]).await;
    let acme_key = w.app.create_key("acme", json!({"name": "ci"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w.app.get_events(&acme_key, &globex_group, "s", "").await;
    let body = assert_problem(r, 403, "access_denied").await;
    assert!(!body.to_string().contains("globex secret"));
    // Revoking through another tenant's path is not possible either.
    let id = w.app.create_key("acme", json!({"name": "x"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w
        .app
        .admin(Method::DELETE, &format!("/admin/v1/tenants/globex/api-keys/{id}"), None)
        .await;
    assert_problem(r, 404, "resource_not_found").await;
}

#[tokio::test]
async fn disabling_or_deleting_the_tenant_stops_its_keys() {
    let w = world().await;
    let key = w.app.create_key("acme", json!({"name": "ci"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(w.app.get_events(&key, &w.group, "s", "").await.status(), 200);

    w.app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"status": "disabled"})),
        )
        .await;
    assert_problem(w.app.get_events(&key, &w.group, "s", "").await, 403, "tenant_forbidden").await;
    w.app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"status": "active"})),
        )
        .await;
    assert_eq!(w.app.get_events(&key, &w.group, "s", "").await.status(), 200);

    let r = w.app.admin(Method::DELETE, "/admin/v1/tenants/acme", None).await;
    assert_eq!(r.status(), 204);
    let r = w.app.get_events(&key, &w.group, "s", "").await;
    assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status());
    // The key rows are gone with the tenant; the audit trail stays.
    let keys: i64 = sqlx::query_scalar("select count(*) from api_keys")
        .fetch_one(&w.app.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0);
    let audit = w.app.audit_rows("action = 'tenant.delete'", 1).await;
    assert_eq!(audit.len(), 1);
    // Even re-creating a tenant with the same id does not revive the old key.
    w.app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    let r = w.app.get_events(&key, &w.group, "s", "").await;
    assert_problem(r, 401, "unauthenticated").await;
}

#[tokio::test]
async fn tenant_keys_never_reach_the_admin_api_and_admin_keys_never_read_logs() {
    let w = world().await;
    let tenant_key = w.app.create_key("acme", json!({"name": "ci"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = w
        .app
        .admin_as(&tenant_key, Method::GET, "/admin/v1/tenants", None)
        .await;
    assert_problem(r, 401, "unauthenticated").await;

    let r = w
        .app
        .admin(Method::POST, "/admin/v1/admin-keys", Some(json!({"name": "ops"})))
        .await;
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let admin_key = created["key"].as_str().unwrap().to_owned();
    assert!(admin_key.starts_with("lwa_"));
    let r = w.app.admin_as(&admin_key, Method::GET, "/admin/v1/tenants", None).await;
    assert_eq!(r.status(), 200);
    let r = w.app.get_events(&admin_key, &w.group, "s", "").await;
    assert_problem(r, 401, "unauthenticated").await;

    // Admin keys are audited by id and revocable.
    let r = w
        .app
        .admin_as(
            &admin_key,
            Method::POST,
            "/admin/v1/tenants",
            Some(json!({"id": "initech", "name": "Initech"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let who: String = sqlx::query_scalar(
        "select principal from audit_events where action = 'tenant.create' and tenant_id = 'initech'",
    )
    .fetch_one(&w.app.pool)
    .await
    .unwrap();
    assert_eq!(who, format!("admin-key:{}", created["id"].as_str().unwrap()));
    let listed: serde_json::Value = w
        .app
        .admin(Method::GET, "/admin/v1/admin-keys", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let r = w
        .app
        .admin(
            Method::DELETE,
            &format!("/admin/v1/admin-keys/{}", created["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = w.app.admin_as(&admin_key, Method::GET, "/admin/v1/tenants", None).await;
    assert_problem(r, 401, "unauthenticated").await;
}
