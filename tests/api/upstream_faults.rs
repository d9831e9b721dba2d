//! CloudWatch faults moto cannot produce, played by a canned HTTP server that
//! speaks CloudWatch's JSON protocol, through the real SDK client.

use std::time::Duration;

use crate::helpers::*;

async fn app_against(server: &CannedServer, extra: &[(&str, &str)]) -> TestApp {
    let app = spawn_app_against(&server.url, extra).await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    app
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
