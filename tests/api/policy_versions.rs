//! Versioned policies with optimistic concurrency, and `${tenant}`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn put(app: &TestApp, tenant: &str, policy: Value, if_match: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .put(format!("{}/admin/v1/tenants/{tenant}/policy", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&policy);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn concurrent_edits_from_the_same_version_let_exactly_one_win() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/v1/*"]))
        .await;
    let etag = app
        .admin(Method::GET, "/admin/v1/tenants/acme/policy", None)
        .await
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(etag, "\"1\"");

    let a = allow_policy(&["arn:aws:logs:*:*:log-group:/from-alice/*"]);
    let b = allow_policy(&["arn:aws:logs:*:*:log-group:/from-bob/*"]);
    let (ra, rb) = tokio::join!(
        put(&app, "acme", a.clone(), Some(&etag)),
        put(&app, "acme", b.clone(), Some(&etag))
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    let loser = if ra.status() == 412 { ra } else { rb };
    assert_problem(loser, 412, "precondition_failed").await;

    let versions: Value = app
        .admin(Method::GET, "/admin/v1/tenants/acme/policy/versions", None)
        .await
        .json()
        .await
        .unwrap();
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "exactly one edit was stored");
    assert_eq!(items[0]["version"], 2);
    assert!(items[0]["document"] == a || items[0]["document"] == b);

    // A stale tag keeps failing; the current one works; `*` only needs a policy.
    assert_eq!(put(&app, "acme", a.clone(), Some("\"1\"")).await.status(), 412);
    assert_eq!(put(&app, "acme", a.clone(), Some("\"2\"")).await.status(), 200);
    assert_eq!(put(&app, "acme", a.clone(), Some("*")).await.status(), 200);
    let r = put(&app, "acme", a.clone(), Some("three")).await;
    let body = assert_problem(r, 400, "invalid_parameter").await;
    assert_eq!(body["invalid_params"][0]["name"], "If-Match");
}

#[tokio::test]
async fn a_weak_etag_in_if_match_fails_the_precondition_instead_of_being_a_bad_request() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/v1/*"]))
        .await;
    let policy = allow_policy(&["arn:aws:logs:*:*:log-group:/v2/*"]);
    // Even the current version: If-Match compares strongly.
    let body = assert_problem(
        put(&app, "acme", policy.clone(), Some("W/\"1\"")).await,
        412,
        "precondition_failed",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("weak"), "{body}");
    assert_eq!(put(&app, "acme", policy, Some("\"1\"")).await.status(), 200);
}

#[tokio::test]
async fn the_first_policy_can_be_guarded_with_version_zero() {
    let app = spawn_app().await;
    let r = app
        .admin(
            Method::POST,
            "/admin/v1/tenants",
            Some(json!({"id": "acme", "name": "ACME"})),
        )
        .await;
    // `*` means "some policy exists": there is none yet.
    assert_problem(
        put(&app, "acme", allow_policy(&["arn:aws:logs:*"]), Some("*")).await,
        412,
        "precondition_failed",
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_problem(
        app.admin(Method::GET, "/admin/v1/tenants/acme/policy", None).await,
        404,
        "resource_not_found",
    )
    .await;
    assert_eq!(
        put(&app, "acme", allow_policy(&["arn:aws:logs:*"]), Some("\"0\""))
            .await
            .status(),
        200
    );
    assert_eq!(
        put(&app, "acme", allow_policy(&["arn:aws:logs:*"]), Some("\"0\""))
            .await
            .status(),
        412
    );
}

#[tokio::test]
async fn the_tenant_variable_cannot_be_abused_by_an_id() {
    let app = spawn_app().await;
    let policy = allow_policy(&["arn:aws:logs:*:*:log-group:/customers/${tenant}:*"]);
    // Ids that would be wildcards or cross fields are refused outright.
    for id in ["*", "a*", "a?", "a:b", "${tenant}", "A"] {
        let r = app
            .admin(Method::POST, "/admin/v1/tenants", Some(json!({"id": id, "name": "x"})))
            .await;
        assert_problem(r, 400, "invalid_body").await;
    }
    app.create_tenant("ab", policy.clone()).await;
    app.create_tenant("a", policy).await;
    for (group, tenant, expected) in [
        ("/customers/ab", "ab", 404),
        ("/customers/ab", "a", 403),
        ("/customers/a", "a", 404),
        ("/customers/a-b", "a", 403),
        ("/customers/", "a", 403),
    ] {
        let r = app.get_events(&hs_token(tenant), group, "s", "").await;
        assert_eq!(r.status(), expected, "{tenant} reading {group}");
    }
}
