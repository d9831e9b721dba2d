//! Sharing the account's CloudWatch quota: the budget per operation, split
//! among instances, refusing (429) without calling CloudWatch when no turn
//! comes within the wait, and lowered by CloudWatch's throttling.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

/// The value of a metric line starting with `series` (name and labels).
async fn metric(app: &TestApp, series: &str) -> Option<f64> {
    let text = app.admin(Method::GET, "/metrics", None).await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
}

/// Polls until `series` reads `expected` (heartbeats arrive every 5 s).
async fn until_metric(app: &TestApp, series: &str, expected: f64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = metric(app, series).await;
        if value == Some(expected) {
            return;
        }
        assert!(Instant::now() < deadline, "{series} is {value:?}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const GET_LOG_EVENTS_BUDGET: &str = "logward_upstream_budget_calls_per_second{operation=\"GetLogEvents\"}";

#[tokio::test]
async fn two_instances_on_one_database_share_one_budget() {
    let database = fresh_database().await;
    let settings = [
        ("LOGWARD_UPSTREAM_QUOTAS", "GetLogEvents=20"),
        ("LOGWARD_UPSTREAM_QUOTA_SHARE", "0.5"),
    ];
    let a = TestApp::builder()
        .database(database.url(), database.url())
        .settings(&settings)
        .spawn()
        .await;
    until_metric(&a, GET_LOG_EVENTS_BUDGET, 10.0).await;
    let b = TestApp::builder()
        .database(database.url(), database.url())
        .settings(&settings)
        .spawn()
        .await;
    // 20 calls a second, half of it for logward, split between two.
    until_metric(&b, GET_LOG_EVENTS_BUDGET, 5.0).await;
    until_metric(&a, GET_LOG_EVENTS_BUDGET, 5.0).await;
    until_metric(&a, "logward_upstream_instances", 2.0).await;
}

#[tokio::test]
async fn a_call_without_a_turn_is_refused_and_never_reaches_cloudwatch() {
    // One GetLogEvents a second, and no waiting for a turn.
    let app = TestApp::builder()
        .settings(&[
            ("LOGWARD_UPSTREAM_QUOTAS", "GetLogEvents=1"),
            ("LOGWARD_UPSTREAM_QUOTA_SHARE", "1"),
            ("LOGWARD_UPSTREAM_QUEUE_WAIT_MS", "0"),
        ])
        .spawn()
        .await;
    let group = format!("/{}/app", unique("quota"));
    seed(&app.logs, &group, "s", &["m".into()]).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;
    let token = hs_token("acme");
    assert_eq!(app.get_events(&token, &group, "s", "").await.status(), 200);
    let before = app.upstream_calls();
    // Another request (the same one would be answered from the cache).
    let r = app.get_events(&token, &group, "s", "limit=5").await;
    assert_eq!(r.headers()["retry-after"], "1");
    let problem = assert_problem(r, 429, "throttled").await;
    assert!(problem["detail"].as_str().unwrap().contains("quota"), "{problem}");
    assert_eq!(app.upstream_calls(), before, "refused before CloudWatch");
    let rejected = metric(
        &app,
        "logward_upstream_budget_rejections_total{operation=\"GetLogEvents\",caller=\"acme\"}",
    )
    .await;
    assert_eq!(rejected, Some(1.0));
    let rows = app
        .audit_rows("action = 'logs:GetLogEvents' and http_status = 429", 1)
        .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
}

#[tokio::test]
async fn throttling_by_cloudwatch_halves_the_budget() {
    let server = canned_server(
        400,
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        Duration::ZERO,
    );
    let app = TestApp::builder()
        .upstream_endpoint(&server.url)
        .settings(&[
            ("LOGWARD_UPSTREAM_QUOTAS", "GetLogEvents=8"),
            ("LOGWARD_UPSTREAM_QUOTA_SHARE", "1"),
        ])
        .spawn()
        .await;
    app.create_tenant(
        "acme",
        json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*"}]}),
    )
    .await;
    assert_eq!(metric(&app, GET_LOG_EVENTS_BUDGET).await, Some(8.0));
    let r = app.get_events(&hs_token("acme"), "/g", "s", "").await;
    assert_problem(r, 429, "throttled").await;
    assert_eq!(metric(&app, GET_LOG_EVENTS_BUDGET).await, Some(4.0));
    assert_eq!(
        metric(&app, "logward_upstream_budget_factor{operation=\"GetLogEvents\"}").await,
        Some(0.5)
    );
}
