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

#[tokio::test]
async fn copy_batch_stores_every_character_as_given() {
    let database = fresh_database().await;
    let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
    logward::db::MIGRATOR.run(&pool).await.unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:34:56.789012Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    // COPY's text format gives tab, newline, carriage return and backslash a
    // meaning; `\N` is its NULL, and `\.` once ended the data. (The writer
    // replaces control characters before this, but the encoding must not rely
    // on it.)
    let tricky = "a\tb\nc\rd\\e \\N \\. é 😀 \"q\"";
    let event = |principal: Option<&str>, detail: Option<Value>| logward::audit::AuditEvent {
        at,
        kind: "data",
        tenant_id: Some("acme".into()),
        principal: principal.map(str::to_owned),
        action: format!("logs:GetLogEvents {tricky}"),
        resource: Some(tricky.into()),
        decision: "allow",
        reason: "allowed",
        http_status: 200,
        latency_ms: 7,
        request_id: None,
        detail,
    };
    let events = [
        event(Some(tricky), Some(json!({"pattern": tricky, "n": [1, null]}))),
        event(Some("\\N"), None),
        event(None, Some(Value::Null)),
    ];
    logward::db::audit::copy_batch(&pool, &events).await.unwrap();

    #[derive(sqlx::FromRow)]
    struct Stored {
        at: chrono::DateTime<chrono::Utc>,
        principal: Option<String>,
        action: String,
        resource: Option<String>,
        request_id: Option<String>,
        detail: Option<Value>,
    }
    let rows: Vec<Stored> =
        sqlx::query_as("select at, principal, action, resource, request_id, detail from audit_events order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 3);
    for (row, sent) in rows.iter().zip(&events) {
        assert_eq!(row.at, at);
        assert_eq!(row.principal, sent.principal);
        assert_eq!(row.action, sent.action);
        assert_eq!(row.resource, sent.resource);
        assert_eq!(row.request_id, None);
    }
    assert_eq!(rows[0].detail, Some(json!({"pattern": tricky, "n": [1, null]})));
    assert_eq!(
        rows[1].principal.as_deref(),
        Some("\\N"),
        "a literal \\N is text, not NULL"
    );
    assert_eq!((&rows[1].detail, &rows[2].detail), (&None, &None));
}

#[tokio::test]
async fn an_admin_request_refused_for_its_content_is_not_recorded_as_an_access_denial() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/a/*"]))
        .await;
    // 409: the tenant exists. 400: a malformed id. 401: no credentials.
    let r = app
        .admin(
            Method::POST,
            "/admin/v1/tenants",
            Some(json!({"id": "acme", "name": "again"})),
        )
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        app.admin(Method::GET, "/admin/v1/tenants/NOT_AN_ID", None)
            .await
            .status(),
        400
    );
    let r = app
        .client
        .get(format!("{}/admin/v1/tenants", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // HEAD is a read, audited like GET.
    let r = app
        .client
        .head(format!("{}/admin/v1/tenants", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let rows = app
        .audit_rows(
            "kind = 'admin' and http_status in (400, 409, 401) or action like 'HEAD %'",
            4,
        )
        .await;
    let outcome = |status: i16| {
        rows.iter()
            .find(|r| r.3 == status && !r.0.starts_with("HEAD"))
            .map(|r| r.1.clone())
            .unwrap_or_else(|| panic!("no audit row with status {status}: {rows:?}"))
    };
    assert_eq!(outcome(409), "allow");
    assert_eq!(outcome(400), "allow");
    assert_eq!(outcome(401), "deny");
    assert!(
        rows.iter().any(|r| r.0 == "HEAD /admin/v1/tenants" && r.1 == "allow"),
        "{rows:?}"
    );
}
