//! `GET /v1/me`: identity and permissions for portals.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn me_describes_a_jwt_caller_and_its_permissions() {
    let app = spawn_app().await;
    app.create_tenant(
        "acme",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["logs:GetLogEvents", "logs:FilterLogEvents"], "Resource": "arn:aws:logs:*:*:log-group:/${tenant}/*"},
            {"Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:log-group:/${tenant}/audit:*"}
        ]}),
    )
    .await;
    let me: serde_json::Value = app.get(&hs_token("acme"), "/v1/me").await.json().await.unwrap();
    assert_eq!(me["tenant"], json!({"id": "acme", "name": "Tenant acme"}));
    assert_eq!(me["principal"], json!({"type": "jwt", "subject": "alice"}));
    assert_eq!(me["permissions"][0]["effect"], "Allow");
    assert_eq!(
        me["permissions"][0]["actions"],
        json!(["logs:GetLogEvents", "logs:FilterLogEvents"])
    );
    assert_eq!(
        me["permissions"][0]["resources"],
        json!(["arn:aws:logs:*:*:log-group:/acme/*"])
    );
    assert_eq!(me["permissions"][1]["effect"], "Deny");
    assert_eq!(me["permissions"][1]["actions"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn me_shows_a_narrowed_key_only_what_it_may_use() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/acme/*"]))
        .await;
    let created = app
        .create_key("acme", json!({"name": "lister", "actions": ["logs:DescribeLogGroups"]}))
        .await;
    let me: serde_json::Value = app
        .get(created["key"].as_str().unwrap(), "/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["principal"],
        json!({"type": "apiKey", "keyId": created["id"], "name": "lister", "actions": ["logs:DescribeLogGroups"]})
    );
    // The policy grants only GetLogEvents, which this key may not use.
    assert_eq!(me["permissions"], json!([]));
    assert_problem(app.get("nope", "/v1/me").await, 401, "unauthenticated").await;
}
