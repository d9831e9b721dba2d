//! The minimal admin API: only the admin token gets in, input is validated,
//! and changes apply to the request path at once.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn only_the_admin_token_reaches_admin_routes() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    let routes = [
        (Method::POST, "/admin/v1/tenants"),
        (Method::GET, "/admin/v1/tenants/acme"),
        (Method::PATCH, "/admin/v1/tenants/acme"),
        (Method::GET, "/admin/v1/tenants/acme/policy"),
        (Method::PUT, "/admin/v1/tenants/acme/policy"),
    ];
    for (method, path) in routes {
        for token in [
            None,
            Some(format!("{ADMIN_TOKEN}x")),
            Some(ADMIN_TOKEN[..10].to_owned()),
        ] {
            let mut req = app
                .client
                .request(method.clone(), format!("{}{path}", app.address))
                .json(&json!({}));
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            assert_problem(r, 401, "unauthenticated").await;
        }
        // A valid customer token is not an admin credential (no issuer is
        // pinned here, so JWTs cannot be admin tokens at all).
        let r = app
            .client
            .request(method.clone(), format!("{}{path}", app.address))
            .bearer_auth(hs_token("acme"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_problem(r, 401, "unauthenticated").await;
    }
}

#[tokio::test]
async fn tenants_are_created_shown_and_validated() {
    let app = spawn_app().await;
    let r = app
        .admin(
            Method::POST,
            "/admin/v1/tenants",
            Some(json!({"id": "acme", "name": "ACME Inc"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["location"], "/admin/v1/tenants/acme");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "active");

    let r = app.admin(Method::GET, "/admin/v1/tenants/acme", None).await;
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["name"], "ACME Inc");

    let r = app
        .admin(
            Method::POST,
            "/admin/v1/tenants",
            Some(json!({"id": "acme", "name": "Again"})),
        )
        .await;
    assert_problem(r, 409, "conflict").await;

    for (body, field) in [
        (json!({"id": "Bad_Id", "name": "x"}), "id"),
        (json!({"id": "-x", "name": "x"}), "id"),
        (json!({"id": "ok", "name": ""}), "name"),
        (json!({"id": "ok", "name": "a\nb"}), "name"),
        (json!({"id": "ok", "name": "x", "status": "active"}), "body"),
        (json!({"name": "x"}), "body"),
    ] {
        let r = app.admin(Method::POST, "/admin/v1/tenants", Some(body.clone())).await;
        let problem = assert_problem(r, 400, "invalid_body").await;
        assert_eq!(problem["invalid_params"][0]["name"], field, "{body}: {problem}");
    }
    let r = app.admin(Method::GET, "/admin/v1/tenants/Not_A_Slug", None).await;
    assert_problem(r, 400, "invalid_parameter").await;
    let r = app.admin(Method::GET, "/admin/v1/tenants/nobody", None).await;
    assert_problem(r, 404, "resource_not_found").await;
    let r = app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"status": "paused"})),
        )
        .await;
    assert_problem(r, 400, "invalid_body").await;
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_problems() {
    let app = spawn_app().await;
    let url = format!("{}/admin/v1/tenants", app.address);
    let r = app
        .client
        .post(&url)
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "invalid_body").await;
    let r = app
        .client
        .post(&url)
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, "unsupported_media_type").await;
    let big = json!({"id": "acme", "name": "x".repeat(300 * 1024)});
    let r = app.admin(Method::POST, "/admin/v1/tenants", Some(big)).await;
    assert_problem(r, 413, "payload_too_large").await;
}

#[tokio::test]
async fn policies_are_validated_versioned_and_enforced_at_once() {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("acme"));
    seed(&app.logs, &group, "s", &["m".into()]).await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/nothing-here:*"]))
        .await;
    let token = hs_token("acme");
    assert_eq!(app.get_events(&token, &group, "s", "").await.status(), 403);

    let bad = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Ok", "Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "arn:aws:logs:*"},
        {"Sid": "Bad", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:logs:*"}
    ]});
    let r = app.admin(Method::PUT, "/admin/v1/tenants/acme/policy", Some(bad)).await;
    let problem = assert_problem(r, 400, "invalid_policy").await;
    assert_eq!(problem["invalid_params"][0]["name"], "Statement[1]");
    assert!(problem["detail"].as_str().unwrap().contains("Sid \"Bad\""));

    let good = allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]);
    let r = app
        .admin(Method::PUT, "/admin/v1/tenants/acme/policy", Some(good.clone()))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    // The new policy applies to the very next request.
    assert_eq!(app.get_events(&token, &group, "s", "").await.status(), 200);

    let r = app.admin(Method::GET, "/admin/v1/tenants/acme/policy", None).await;
    assert_eq!(r.headers()["etag"], "\"2\"");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["document"], good);
    assert_eq!(body["version"], 2);
    assert_eq!(body["createdBy"], "admin-token");

    let r = app
        .admin(
            Method::PUT,
            "/admin/v1/tenants/nobody/policy",
            Some(allow_policy(&["arn:aws:logs:*"])),
        )
        .await;
    assert_problem(r, 404, "resource_not_found").await;

    // Admin changes are audited with who did them.
    let rows = app.audit_rows("kind = 'admin' and reason = 'admin'", 3).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(actions, ["tenant.create", "policy.put", "policy.put"]);
    let who: Vec<String> =
        sqlx::query_scalar("select principal from audit_events where kind = 'admin' and reason = 'admin'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(who.iter().all(|p| p == "admin-token"));
}
