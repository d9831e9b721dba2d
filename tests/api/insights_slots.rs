//! Logs Insights slots: a query whose client went away stops counting once
//! CloudWatch has finished it; a tenant lists its queries; an operator sees
//! and clears the ones holding its slots.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::read_surface::{World, world_with};

async fn start(w: &World, token: &str, group: &str) -> reqwest::Response {
    let now = now_secs();
    w.app
        .client
        .post(format!("{}/v1/queries", w.app.address))
        .bearer_auth(token)
        .json(&json!({"logGroupNames": [w.g(group)], "queryString": "fields @message",
            "startTime": now - 3600, "endTime": now + 60}))
        .send()
        .await
        .unwrap()
}

async fn listed(w: &World, token: &str) -> Value {
    let r = w.app.get(token, "/v1/queries").await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn abandoned_queries_stop_counting_once_cloudwatch_has_finished_them() {
    let w = world_with(&[("LOGWARD_MAX_QUERIES_PER_TENANT", "2")]).await;
    let acme = hs_token("acme");
    // Three starts under a cap of two, and nobody ever asks for results (a
    // closed tab). moto finishes queries at once; logward learns it by asking.
    let mut started = Vec::new();
    for _ in 0..3 {
        let r = start(&w, &acme, "acme/app").await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        started.push(body["queryId"].as_str().unwrap().to_owned());
    }

    let list = listed(&w, &acme).await;
    assert_eq!(
        (list["running"].as_u64(), list["cap"].as_i64()),
        (Some(0), Some(2)),
        "{list}"
    );
    let queries = list["queries"].as_array().unwrap();
    let mut ids: Vec<String> = queries
        .iter()
        .map(|q| q["queryId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    started.sort();
    assert_eq!(ids, started);
    for q in queries {
        assert_eq!(
            (q["state"].as_str(), q["countsTowardCap"].as_bool()),
            (Some("finished"), Some(false)),
            "{q}"
        );
        assert_eq!(q["logGroupNames"], json!([w.g("acme/app")]));
        assert_eq!(q["startedBy"], "jwt:alice");
    }

    // Another tenant sees none of them; parameters are refused by name.
    let globex = listed(&w, &hs_token("globex")).await;
    assert_eq!(globex["queries"], json!([]));
    assert_problem(w.app.get(&acme, "/v1/queries?limit=5").await, 400, "invalid_parameter").await;
    let audited = w
        .app
        .audit_rows("action = 'logs:GetQueryResults' and resource = 'query/*'", 2)
        .await;
    assert!(audited.len() >= 2, "each listing is audited: {audited:?}");
}

#[tokio::test]
async fn a_slot_held_by_an_unknown_outcome_is_listed_and_an_operator_clears_it() {
    let w = world_with(&[("LOGWARD_MAX_QUERIES_PER_TENANT", "1")]).await;
    let acme = hs_token("acme");
    // A start that timed out: CloudWatch may be running it, and nobody has its id.
    sqlx::query(
        "insert into insights_queries (query_id, tenant_id, log_groups, started_by)
         values ('unconfirmed:abc', 'acme', $1, 'jwt:alice')",
    )
    .bind(vec![w.g("acme/app")])
    .execute(&w.app.pool)
    .await
    .unwrap();

    let before = w.app.upstream_calls();
    let problem = assert_problem(start(&w, &acme, "acme/app").await, 429, "throttled").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("1 Logs Insights queries running") && detail.contains("GET /v1/queries"),
        "{detail}"
    );
    assert_eq!(
        w.app.upstream_calls(),
        before,
        "no id to ask about, and nothing started"
    );

    let list = listed(&w, &acme).await;
    assert_eq!(
        (list["running"].as_u64(), list["cap"].as_i64()),
        (Some(1), Some(1)),
        "{list}"
    );
    let entry = &list["queries"][0];
    assert_eq!(
        entry["queryId"],
        Value::Null,
        "placeholders are logward's, not query ids"
    );
    assert_eq!(
        (entry["state"].as_str(), entry["countsTowardCap"].as_bool()),
        (Some("unconfirmed"), Some(true))
    );

    // The operator sees the placeholder and clears it.
    let r = w.app.admin(Method::GET, "/admin/v1/tenants/acme/queries", None).await;
    assert_eq!(r.status(), 200);
    let items: Value = r.json().await.unwrap();
    assert_eq!(items["items"][0]["queryId"], "unconfirmed:abc");
    let r = w
        .app
        .admin(Method::DELETE, "/admin/v1/tenants/acme/queries/unconfirmed:abc", None)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"cleared": ["unconfirmed:abc"], "stopped": []})
    );
    let again = w
        .app
        .admin(Method::DELETE, "/admin/v1/tenants/acme/queries/unconfirmed:abc", None)
        .await;
    assert_problem(again, 404, "resource_not_found").await;

    // The slot is free.
    let r = start(&w, &acme, "acme/app").await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["queryId"].as_str().unwrap().to_owned();

    // Clearing all takes every open query, CloudWatch's ones included.
    let r = w
        .app
        .admin(Method::DELETE, "/admin/v1/tenants/acme/queries", None)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["cleared"], json!([id]));
    let rows = w.app.audit_rows("action = 'query.clear'", 2).await;
    assert_eq!(rows.len(), 2, "{rows:?}");

    assert_problem(
        w.app
            .admin(Method::GET, "/admin/v1/tenants/nobody-here/queries", None)
            .await,
        404,
        "resource_not_found",
    )
    .await;
    assert_problem(
        w.app
            .admin(Method::DELETE, "/admin/v1/tenants/acme/queries/a%20b", None)
            .await,
        400,
        "invalid_parameter",
    )
    .await;
}
