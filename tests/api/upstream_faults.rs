//! CloudWatch faults moto cannot produce, played by a canned HTTP server that
//! speaks CloudWatch's JSON protocol, through the real SDK client.

use std::time::Duration;

use crate::helpers::*;

async fn app_against(server: &CannedServer, extra: &[(&str, &str)]) -> TestApp {
    let app = TestApp::builder()
        .upstream_endpoint(&server.url)
        .settings(extra)
        .spawn()
        .await;
    app.create_tenant("acme", every_action_policy()).await;
    app
}

fn every_action_policy() -> serde_json::Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*"}]})
}

#[tokio::test]
async fn throttling_is_429_with_retry_after() {
    let server = canned_server(
        400,
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        Duration::ZERO,
    );
    let app = app_against(&server, &[]).await;
    let r = app.get_events(&hs_token("acme"), "/g", "s", "").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "throttled").await;
}

#[tokio::test]
async fn throttling_is_retried_with_back_off_before_the_429() {
    let server = canned_server(
        400,
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        Duration::ZERO,
    );
    let app = app_against(&server, &[("LOGWARD_UPSTREAM_MAX_ATTEMPTS", "3")]).await;
    let r = app.get_events(&hs_token("acme"), "/g", "s", "").await;
    assert_problem(r, 429, "throttled").await;
    assert_eq!(
        server.hits.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "three attempts reached CloudWatch"
    );
}

#[tokio::test]
async fn a_slow_upstream_is_504_within_the_deadline() {
    let server = canned_server(200, r#"{"events":[]}"#, Duration::from_secs(3));
    let app = app_against(&server, &[("LOGWARD_UPSTREAM_TIMEOUT_MS", "200")]).await;
    let r = app.get_events(&hs_token("acme"), "/g", "s", "").await;
    assert_problem(r, 504, "upstream_timeout").await;
}

#[tokio::test]
async fn an_upstream_failure_is_502_without_internals() {
    let server = canned_server(
        500,
        r#"{"__type":"ServiceUnavailableException","message":"internal detail 42"}"#,
        Duration::ZERO,
    );
    let app = app_against(&server, &[]).await;
    let r = app.get_events(&hs_token("acme"), "/g", "s", "").await;
    let body = assert_problem(r, 502, "upstream_error").await;
    assert!(!body.to_string().contains("internal detail 42"));
}

#[tokio::test]
async fn upstream_invalid_parameter_is_400_and_not_found_is_404() {
    let server = canned_server(
        400,
        r#"{"__type":"InvalidParameterException","message":"bad token"}"#,
        Duration::ZERO,
    );
    let app = app_against(&server, &[]).await;
    assert_problem(
        app.get_events(&hs_token("acme"), "/g", "s", "").await,
        400,
        "invalid_parameter",
    )
    .await;

    let server = canned_server(
        400,
        r#"{"__type":"ResourceNotFoundException","message":"no stream"}"#,
        Duration::ZERO,
    );
    let app = app_against(&server, &[]).await;
    assert_problem(
        app.get_events(&hs_token("acme"), "/g", "s", "").await,
        404,
        "resource_not_found",
    )
    .await;
}

#[tokio::test]
async fn only_the_owner_can_stop_a_query() {
    // moto has no StopQuery; a stub plays CloudWatch here.
    let server = stub_server(
        &[
            (
                "Logs_20140328.StartQuery",
                200,
                r#"{"queryId":"0d5e1a2b-aaaa-bbbb-cccc-123456789abc"}"#,
            ),
            ("Logs_20140328.StopQuery", 200, r#"{"success":true}"#),
            (
                "Logs_20140328.GetQueryResults",
                200,
                r#"{"status":"Running","results":[]}"#,
            ),
        ],
        (400, r#"{"__type":"InvalidParameterException"}"#),
        Duration::ZERO,
    );
    let app = app_against(&server, &[("LOGWARD_MAX_QUERIES_PER_TENANT", "1")]).await;
    app.create_tenant("globex", every_action_policy()).await;
    let start =
        serde_json::json!({"logGroupNames": ["/g"], "queryString": "fields @message", "startTime": 1, "endTime": 2});
    let started = app
        .client
        .post(format!("{}/v1/queries", app.address))
        .bearer_auth(hs_token("acme"))
        .json(&start)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    let id = "0d5e1a2b-aaaa-bbbb-cccc-123456789abc";
    let stop = |token: String| {
        let url = format!("{}/v1/queries/{id}", app.address);
        let client = app.client.clone();
        async move { client.delete(url).bearer_auth(token).send().await.unwrap() }
    };
    assert_problem(stop(hs_token("globex")).await, 404, "resource_not_found").await;
    let r = stop(hs_token("acme")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["stopped"], true);
    // Stopping freed the tenant's only query slot.
    let finished: bool = sqlx::query_scalar("select finished_at is not null from insights_queries where query_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(finished);
}

#[tokio::test]
async fn cloudwatchs_query_limit_is_429() {
    let server = canned_server(
        400,
        r#"{"__type":"LimitExceededException","message":"too many queries"}"#,
        Duration::ZERO,
    );
    let app = app_against(&server, &[]).await;
    let start =
        serde_json::json!({"logGroupNames": ["/g"], "queryString": "fields @message", "startTime": 1, "endTime": 2});
    let r = app
        .client
        .post(format!("{}/v1/queries", app.address))
        .bearer_auth(hs_token("acme"))
        .json(&start)
        .send()
        .await
        .unwrap();
    assert_problem(r, 429, "throttled").await;
}
