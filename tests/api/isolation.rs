//! Regression tests for holes found by an attack run, and for the data-path
//! fixes made with the gateway layer: each fails without its fix.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::read_surface::world;

#[tokio::test]
async fn listing_the_streams_of_a_denied_group_is_refused_before_cloudwatch() {
    let w = world().await;
    let root = &w.root;
    // Allowed on everything under the root, with the README's two Deny forms.
    w.app
        .create_tenant(
            "snoop",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "logs:*", "Resource": format!("arn:aws:logs:*:*:log-group:/{root}/*")},
                {"Effect": "Deny", "Action": "logs:*", "Resource": [
                    format!("arn:aws:logs:*:*:log-group:/{root}/globex/app"),
                    format!("arn:aws:logs:*:*:log-group:/{root}/acme/app:*")
                ]}
            ]}),
        )
        .await;
    let token = hs_token("snoop");
    let before = w.app.upstream_calls();
    for group in ["globex/app", "acme/app"] {
        let r = w
            .app
            .get(&token, &format!("/v1/log-groups/{}/log-streams", enc(&w.g(group))))
            .await;
        let body = assert_problem(r, 403, "access_denied").await;
        assert!(body["detail"].as_str().unwrap().contains("denies"), "{body}");
    }
    assert_eq!(
        w.app.upstream_calls(),
        before,
        "a denied listing never reaches CloudWatch"
    );
    // An allowed group is listed as before.
    let r = w
        .app
        .get(&token, &format!("/v1/log-groups/{}/log-streams", enc(&w.g("acme/db"))))
        .await;
    assert_eq!(r.status(), 200);
    let rows = w
        .app
        .audit_rows("action = 'logs:DescribeLogStreams' and reason = 'explicit_deny'", 2)
        .await;
    assert_eq!(rows.len(), 2);
}

#[tokio::test]
async fn filter_accepts_stream_names_repeated_as_browsers_send_them() {
    let w = world().await;
    let token = hs_token("acme");
    let path = format!(
        "/v1/log-groups/{}/events?logStreamNames=web-1&logStreamNames=web-2",
        enc(&w.g("acme/app"))
    );
    let r = w.app.get(&token, &path).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let mut streams: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logStreamName"].as_str().unwrap())
        .collect();
    streams.sort_unstable();
    streams.dedup();
    assert_eq!(streams, ["web-1", "web-2"]);
    // Each repeated name is authorized: one of another tenant refuses all.
    let path = format!(
        "/v1/log-groups/{}/events?logStreamNames=acme%2F1&logStreamNames=globex%2F1",
        enc(&w.g("shared"))
    );
    assert_problem(w.app.get(&token, &path).await, 403, "access_denied").await;
}

#[tokio::test]
async fn a_slow_query_start_holds_no_lock_an_operator_needs() {
    let stub = stub_server(
        &[("Logs_20140328.StartQuery", 200, r#"{"queryId":"q-slow"}"#)],
        (400, r#"{"__type":"ValidationException","message":"not stubbed"}"#),
        Duration::from_secs(3),
    );
    let app = TestApp::builder().upstream_endpoint(&stub.url).spawn().await;
    app.create_tenant(
        "acme",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:log-group:/acme/*"}
        ]}),
    )
    .await;
    let start = {
        let client = app.client.clone();
        let url = format!("{}/v1/queries", app.address);
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(hs_token("acme"))
                .json(
                    &json!({"logGroupNames": ["/acme/app"], "queryString": "fields @message",
                              "startTime": 0, "endTime": 1}),
                )
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    // Wait until CloudWatch (the stub) holds the start.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stub.hits.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the start never reached the stub"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Meanwhile the operator can change the tenant: nothing is locked.
    let r = app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"status": "disabled"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        !start.is_finished(),
        "the tenant update had to wait for the CloudWatch call to finish"
    );
    assert_eq!(start.await.unwrap(), 201);
}

#[tokio::test]
async fn stream_pages_never_end_on_streams_the_tenant_may_not_see() {
    let w = world().await;
    let token = hs_token("acme");
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut path = format!("/v1/log-groups/{}/log-streams?limit=1", enc(&w.g("shared")));
        if let Some(t) = &next {
            path.push_str(&format!("&nextToken={}", enc(t)));
        }
        let body: serde_json::Value = w.app.get(&token, &path).await.json().await.unwrap();
        pages.push(
            body["logStreams"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["logStreamName"].as_str().unwrap().to_owned())
                .collect(),
        );
        next = body["nextToken"].as_str().map(str::to_owned);
        if next.is_none() || pages.len() > 10 {
            break;
        }
    }
    // globex/1 sorts last: no trailing empty page may show that it exists.
    assert_eq!(pages, vec![vec!["acme/1".to_owned()], vec!["acme/2".to_owned()]]);
}
