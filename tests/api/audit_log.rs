//! Reading the audit trail back.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn audit_events_are_queryable_with_filters_and_a_cursor() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/nothing/*"]))
        .await;
    app.create_tenant("globex", allow_policy(&["arn:aws:logs:*:*:log-group:/nothing/*"]))
        .await;
    for _ in 0..3 {
        app.get_events(&hs_token("acme"), "/denied", "s", "").await;
    }
    app.get_events(&hs_token("globex"), "/denied", "s", "").await;
    app.audit_rows("kind = 'data'", 4).await;

    let page: Value = app
        .admin(
            Method::GET,
            "/admin/v1/audit?tenant=acme&kind=data&decision=deny&limit=2",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|e| e["tenantId"] == "acme" && e["decision"] == "deny"));
    assert_eq!(items[0]["principal"], "jwt:alice");
    assert_eq!(items[0]["action"], "logs:GetLogEvents");
    assert!(items[0]["id"].as_i64() > items[1]["id"].as_i64(), "newest first");
    let cursor = page["nextCursor"].as_i64().unwrap();
    let next: Value = app
        .admin(
            Method::GET,
            &format!("/admin/v1/audit?tenant=acme&kind=data&limit=2&after={cursor}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"].as_array().unwrap().len(), 1);
    assert!(next.get("nextCursor").is_none());

    // Admin changes carry who and before/after.
    let page: Value = app
        .admin(
            Method::GET,
            "/admin/v1/audit?kind=admin&principal=admin-token&limit=500",
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let create = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "tenant.create" && e["tenantId"] == "acme")
        .unwrap();
    assert_eq!(create["detail"]["after"]["id"], "acme");

    let r = app.admin(Method::GET, "/admin/v1/audit?since=yesterday", None).await;
    let body = assert_problem(r, 400, "invalid_parameter").await;
    assert_eq!(body["invalid_params"][0]["name"], "since");
    let r = app
        .admin(Method::GET, "/admin/v1/audit?until=2000-01-01T00:00:00Z", None)
        .await;
    let empty: Value = r.json().await.unwrap();
    assert_eq!(empty["items"], json!([]));
}

#[tokio::test]
async fn old_audit_rows_are_pruned() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    sqlx::query("update audit_events set at = now() - interval '400 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    let deleted = logward::manage::audit::prune(&app.pool, std::time::Duration::from_secs(90 * 86_400))
        .await
        .unwrap();
    assert!(deleted >= 2);
    let left: i64 = sqlx::query_scalar("select count(*) from audit_events where at < now() - interval '90 days'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
