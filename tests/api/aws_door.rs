//! The AWS-compatible door with hand-built requests, for what a well-behaved
//! SDK never sends: duplicate keys, unknown members, wrong types, foreign
//! ARNs, bad JSON, missing or unknown targets. Every refusal is CloudWatch's
//! JSON error shape, never problem+json; the audit rows of this door are the
//! REST door's for the same call.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::read_surface::world;

const OWN: &str = "arn:aws:logs:us-east-1:123456789012:log-group:";

/// `POST /` as an SDK sends it, with `target` (`None`: no header).
async fn aws(app: &TestApp, token: Option<&str>, target: Option<&str>, body: &str) -> reqwest::Response {
    aws_with(app, token, target, body, &[]).await
}

async fn aws_with(
    app: &TestApp,
    token: Option<&str>,
    target: Option<&str>,
    body: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/", app.address))
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_owned());
    if let Some(t) = target {
        req = req.header("x-amz-target", format!("Logs_20140328.{t}"));
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

/// Asserts CloudWatch's error shape with this status and `__type`; returns
/// the message.
async fn assert_aws_error(r: reqwest::Response, status: u16, aws_type: &str) -> String {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/x-amz-json-1.1");
    assert!(!r.headers()["x-amzn-requestid"].is_empty());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["__type"], aws_type, "{body}");
    body["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn strict_bodies_are_refused_naming_the_member() {
    let w = world().await;
    let app = &w.app;
    let acme = hs_token("acme");
    let g = w.g("acme/app");
    let cases = [
        (
            "GetLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logGroupName": "/x", "logStreamName": "web-1"}}"#),
            "logGroupName",
        ),
        (
            "GetLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logStreamName": "web-1", "lgoStreamName": "x"}}"#),
            "lgoStreamName",
        ),
        (
            "GetLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logStreamName": "web-1", "limit": "10"}}"#),
            "limit",
        ),
        (
            "GetLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logStreamName": "web-1", "startFromHead": 1}}"#),
            "startFromHead",
        ),
        (
            "GetLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logGroupIdentifier": "{g}", "logStreamName": "web-1"}}"#),
            "logGroupIdentifier",
        ),
        (
            "GetLogEvents",
            format!(
                r#"{{"logGroupIdentifier": "arn:aws:logs:us-east-1:210987654321:log-group:{g}", "logStreamName": "web-1"}}"#
            ),
            "logGroupIdentifier",
        ),
        (
            "GetLogEvents",
            format!(
                r#"{{"logGroupIdentifier": "arn:aws:logs:eu-west-1:123456789012:log-group:{g}", "logStreamName": "web-1"}}"#
            ),
            "logGroupIdentifier",
        ),
        (
            "GetLogEvents",
            format!(r#"{{"logGroupIdentifier": "{OWN}{g}:log-stream:web-1", "logStreamName": "web-1"}}"#),
            "logGroupIdentifier",
        ),
        (
            "GetLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logStreamName": "web-1", "unmask": true}}"#),
            "unmask",
        ),
        (
            "FilterLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logStreamNames": "web-1"}}"#),
            "logStreamNames",
        ),
        (
            "FilterLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logStreamNames": ["web-1"], "logStreamNamePrefix": "w"}}"#),
            "logStreamNamePrefix",
        ),
        (
            "FilterLogEvents",
            format!(r#"{{"logGroupName": "{g}", "filterPattern": "{}"}}"#, "x".repeat(1025)),
            "filterPattern",
        ),
        (
            "DescribeLogGroups",
            r#"{"logGroupNamePattern": "app", "logGroupNamePrefix": "/a"}"#.to_owned(),
            "logGroupNamePattern",
        ),
        ("DescribeLogGroups", r#"{"limit": 51}"#.to_owned(), "limit"),
        (
            "DescribeLogGroups",
            r#"{"accountIdentifiers": ["210987654321"]}"#.to_owned(),
            "accountIdentifiers",
        ),
        (
            "DescribeLogGroups",
            r#"{"includeLinkedAccounts": true}"#.to_owned(),
            "includeLinkedAccounts",
        ),
        (
            "DescribeLogStreams",
            format!(r#"{{"logGroupName": "{g}", "orderBy": "Size"}}"#),
            "orderBy",
        ),
        (
            "StartQuery",
            format!(
                r#"{{"logGroupIdentifiers": ["{g}", "arn:aws:logs:eu-west-1:123456789012:log-group:/x"], "startTime": 1, "endTime": 2, "queryString": "fields @message"}}"#
            ),
            "logGroupIdentifiers[1]",
        ),
        (
            "StartQuery",
            format!(
                r#"{{"logGroupName": "{g}", "logGroupNames": ["{g}"], "startTime": 1, "endTime": 2, "queryString": "fields @message"}}"#
            ),
            "logGroupIdentifiers",
        ),
        (
            "StartQuery",
            format!(
                r#"{{"logGroupName": "{g}", "startTime": 1, "endTime": 2, "queryString": "SOURCE logGroups() | fields @message"}}"#
            ),
            "queryString",
        ),
        ("GetQueryResults", r#"{"queryId": 7}"#.to_owned(), "queryId"),
        ("StopQuery", r#"{}"#.to_owned(), "queryId"),
        (
            "GetLogEvents",
            format!(r#"{{"logGroupName": "{g}", "logStreamName": "#),
            "body",
        ),
        ("GetLogEvents", "[]".to_owned(), "body"),
    ];
    for (target, body, member) in cases {
        let r = aws(app, Some(&acme), Some(target), &body).await;
        let message = assert_aws_error(r, 400, "InvalidParameterException").await;
        assert!(
            message.starts_with(&format!("{member}: ")),
            "{target} {body}: {message}"
        );
    }
    assert_eq!(app.upstream_calls(), 0, "an invalid request reached CloudWatch");
}

#[tokio::test]
async fn targets_content_types_and_credentials_are_checked_in_cloudwatchs_shape() {
    let w = world().await;
    let app = &w.app;
    let acme = hs_token("acme");
    let body = format!(r#"{{"logGroupName": "{}", "logStreamName": "web-1"}}"#, w.g("acme/app"));
    for target in [None, Some("getLogEvents"), Some("")] {
        let r = aws(app, Some(&acme), target, &body).await;
        assert_aws_error(r, 400, "UnknownOperationException").await;
    }
    let r = app
        .client
        .post(format!("{}/", app.address))
        .bearer_auth(&acme)
        .header("x-amz-target", "DynamoDB_20120810.GetItem")
        .header("content-type", "application/x-amz-json-1.1")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_aws_error(r, 400, "UnknownOperationException").await;
    let r = app
        .client
        .post(format!("{}/", app.address))
        .bearer_auth(&acme)
        .header("x-amz-target", "Logs_20140328.GetLogEvents")
        .json(&json!({"logGroupName": w.g("acme/app"), "logStreamName": "web-1"}))
        .send()
        .await
        .unwrap();
    let message = assert_aws_error(r, 400, "InvalidParameterException").await;
    assert!(message.contains("application/x-amz-json-1.1"), "{message}");
    for token in [None, Some("garbage"), Some(ADMIN_TOKEN)] {
        let r = aws(app, token, Some("GetLogEvents"), &body).await;
        assert_aws_error(r, 400, "UnrecognizedClientException").await;
    }
    let big = format!(r#"{{"filterPattern": "{}"}}"#, "x".repeat(300 * 1024));
    let r = aws(app, Some(&acme), Some("FilterLogEvents"), &big).await;
    assert_aws_error(r, 400, "InvalidParameterException").await;
    // The request id logward assigns (or keeps) is the one AWS clients read.
    let r = aws_with(
        app,
        Some(&acme),
        Some("GetLogEvents"),
        &body,
        &[("x-request-id", "trace-42")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-amzn-requestid"], "trace-42");
    assert_eq!(r.headers()["content-type"], "application/x-amz-json-1.1");
    assert_eq!(app.upstream_calls(), 1);
    // Refusals after authentication are audited with what was asked.
    let rows = app.audit_rows("action = 'unknown'", 4).await;
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r.1 == "deny" && r.3 == 404), "{rows:?}");
}

#[tokio::test]
async fn unserved_operations_are_access_denied_audited_and_never_forwarded() {
    let w = world().await;
    let app = &w.app;
    let acme = hs_token("acme");
    let body = format!(r#"{{"logGroupName": "{}"}}"#, w.g("acme/app"));
    for op in [
        "PutLogEvents",
        "DeleteLogGroup",
        "StartLiveTail",
        "PutRetentionPolicy",
        "CreateExportTask",
    ] {
        let r = aws(app, Some(&acme), Some(op), &body).await;
        let message = assert_aws_error(r, 400, "AccessDeniedException").await;
        assert!(message.starts_with(op), "{message}");
        let rows = app.audit_rows(&format!("action = 'logs:{op}'"), 1).await;
        assert_eq!(rows.len(), 1, "{op}");
        assert_eq!((rows[0].1.as_str(), rows[0].3), ("deny", 403), "{op}");
    }
    assert_eq!(app.upstream_calls(), 0);
}

#[tokio::test]
async fn throttling_by_logward_or_by_cloudwatch_is_a_throttling_exception() {
    let w = world().await;
    let app = &w.app;
    let r = app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"rateLimit": {"perSecond": 1, "burst": 1}})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let acme = hs_token("acme");
    // The new limit reaches the gateway through a database notification.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let r = aws(app, Some(&acme), Some("DescribeLogGroups"), "{}").await;
        if r.status() != 200 {
            assert_aws_error(r, 400, "ThrottlingException").await;
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never throttled");
    }

    let server = canned_server(
        400,
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        Duration::ZERO,
    );
    let app = TestApp::builder().upstream_endpoint(&server.url).spawn().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    let r = aws(
        &app,
        Some(&acme),
        Some("GetLogEvents"),
        r#"{"logGroupName": "/g", "logStreamName": "s"}"#,
    )
    .await;
    assert_aws_error(r, 400, "ThrottlingException").await;
}

/// The audit rows of one request, by its id.
async fn rows_of(
    app: &TestApp,
    request_id: &str,
) -> Vec<(String, String, String, Option<String>, i16, Option<String>)> {
    let filter = format!("request_id = '{request_id}'");
    app.audit_rows(&filter, 1).await;
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select action, decision, reason, resource, http_status, principal from audit_events where {filter} order by id"
    )))
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn audit_rows_from_this_door_match_the_rest_doors() {
    let w = world().await;
    let app = &w.app;
    let acme = hs_token("acme");
    let (own, other, shared) = (w.g("acme/app"), w.g("globex/app"), w.g("shared"));
    let calls: [(&str, String, &str, Value); 6] = [
        (
            "allowed-read",
            format!("/v1/log-groups/{}/log-streams/web-1/events", enc(&own)),
            "GetLogEvents",
            json!({"logGroupName": own, "logStreamName": "web-1"}),
        ),
        (
            "denied-read",
            format!("/v1/log-groups/{}/log-streams/web-1/events", enc(&other)),
            "GetLogEvents",
            json!({"logGroupIdentifier": format!("{OWN}{other}"), "logStreamName": "web-1"}),
        ),
        (
            "invalid-read",
            format!("/v1/log-groups/{}/log-streams/web-1/events?limit=0", enc(&own)),
            "GetLogEvents",
            json!({"logGroupName": own, "logStreamName": "web-1", "limit": 0}),
        ),
        (
            "filter-prefix",
            format!("/v1/log-groups/{}/events?logStreamNamePrefix=acme%2F", enc(&shared)),
            "FilterLogEvents",
            json!({"logGroupName": shared, "logStreamNamePrefix": "acme/"}),
        ),
        (
            "list-streams",
            format!("/v1/log-groups/{}/log-streams", enc(&shared)),
            "DescribeLogStreams",
            json!({"logGroupName": shared}),
        ),
        (
            "list-groups",
            format!("/v1/log-groups?prefix=%2F{}%2F", w.root),
            "DescribeLogGroups",
            json!({"logGroupNamePrefix": format!("/{}/", w.root)}),
        ),
    ];
    for (name, path, target, body) in calls {
        let rest = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&acme)
            .header("x-request-id", format!("rest-{name}"))
            .send()
            .await
            .unwrap();
        let door = aws_with(
            app,
            Some(&acme),
            Some(target),
            &body.to_string(),
            &[("x-request-id", &format!("aws-{name}"))],
        )
        .await;
        assert_eq!(rest.status().is_success(), door.status().is_success(), "{name}");
        let rest_rows = rows_of(app, &format!("rest-{name}")).await;
        assert_eq!(rest_rows.len(), 1, "{name}");
        assert_eq!(rows_of(app, &format!("aws-{name}")).await, rest_rows, "{name}");
    }
}
