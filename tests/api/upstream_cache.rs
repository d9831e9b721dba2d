//! Single flight and the answer cache end to end: identical reads from
//! several tenants cost one CloudWatch call, and nothing is looked up for a
//! request the gateway refuses.

use std::sync::atomic::Ordering;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

/// The value of one series (`name{labels}` exactly as rendered), 0 if absent.
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app.admin(Method::GET, "/metrics", None).await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.parse().unwrap())
}

fn lookups(outcome: &str) -> String {
    format!("logward_cache_lookups_total{{operation=\"GetLogEvents\",outcome=\"{outcome}\"}}")
}

const REQUESTS: &str = "logward_upstream_requests_total{operation=\"GetLogEvents\"}";

/// An app with a seeded stream that tenants "acme" and "initech" may read.
async fn shared_stream() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let group = unique("/cache/shared");
    let messages: Vec<String> = (0..5).map(|i| format!("line {i}")).collect();
    seed(&app.logs, &group, "web-1", &messages).await;
    for tenant in ["acme", "initech"] {
        app.create_tenant(
            tenant,
            allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
        )
        .await;
    }
    (app, group, "web-1".to_owned())
}

#[tokio::test]
async fn identical_reads_from_two_tenants_cost_one_cloudwatch_call() {
    let (app, group, stream) = shared_stream().await;
    // A range that has ended: its answer is kept, so the count does not
    // depend on how the requests interleave.
    let query = format!("startFromHead=true&startTime=0&endTime={}", now_ms());
    let before = app.upstream_calls();
    let reads = (0..12).map(|i| {
        let token = hs_token(if i % 2 == 0 { "acme" } else { "initech" });
        let (app, group, stream, query) = (&app, &group, &stream, &query);
        async move {
            let r = app.get_events(&token, group, stream, query).await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    });
    let bodies = futures_util::future::join_all(reads).await;
    assert_eq!(app.upstream_calls() - before, 1, "one CloudWatch call for twelve reads");
    let messages = |b: &Value| -> Vec<String> {
        b["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .collect()
    };
    for body in &bodies {
        assert_eq!(messages(body), (0..5).map(|i| format!("line {i}")).collect::<Vec<_>>());
    }
    // The shared answer's paging tokens are sealed per tenant.
    let acme_token = bodies[0]["nextForwardToken"].as_str().unwrap();
    let initech_token = bodies[1]["nextForwardToken"].as_str().unwrap();
    assert_ne!(acme_token, initech_token);
    let r = app
        .get_events(
            &hs_token("initech"),
            &group,
            &stream,
            &format!("nextToken={}", enc(acme_token)),
        )
        .await;
    assert_problem(r, 400, "invalid_parameter").await;
    assert_eq!(metric(&app, &lookups("miss")).await, 1.0);
    assert_eq!(
        metric(&app, &lookups("hit")).await + metric(&app, &lookups("coalesced")).await,
        11.0
    );
}

#[tokio::test]
async fn a_tenant_is_refused_what_another_had_cached_and_the_cache_is_not_consulted() {
    let (app, group, stream) = shared_stream().await;
    app.create_tenant("globex", allow_policy(&["arn:aws:logs:*:*:log-group:/elsewhere:*"]))
        .await;
    let query = format!("startFromHead=true&startTime=0&endTime={}", now_ms());
    let r = app.get_events(&hs_token("acme"), &group, &stream, &query).await;
    assert_eq!(r.status(), 200);
    let (calls, requests) = (app.upstream_calls(), metric(&app, REQUESTS).await);
    let r = app.get_events(&hs_token("globex"), &group, &stream, &query).await;
    assert_problem(r, 403, "access_denied").await;
    assert_eq!(app.upstream_calls(), calls, "nothing reached CloudWatch");
    assert_eq!(metric(&app, REQUESTS).await, requests, "nor the cache");
    assert_eq!(metric(&app, &lookups("hit")).await, 0.0);
}

#[tokio::test]
async fn with_the_cache_off_every_read_reaches_cloudwatch() {
    let app = TestApp::builder().setting("LOGWARD_CACHE_MAX_BYTES", "0").spawn().await;
    let group = unique("/cache/off");
    seed(&app.logs, &group, "web-1", &["one".to_owned()]).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;
    let query = format!("startFromHead=true&startTime=0&endTime={}", now_ms());
    let before = app.upstream_calls();
    for _ in 0..3 {
        let r = app.get_events(&hs_token("acme"), &group, "web-1", &query).await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.upstream_calls() - before, 3);
}

#[tokio::test]
async fn reads_arriving_while_an_identical_call_is_in_flight_join_it() {
    // CloudWatch takes 2 s to answer; an open range is kept only 1 s.
    let slow = canned_server(
        200,
        r#"{"events":[],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}"#,
        Duration::from_secs(2),
    );
    let app = TestApp::builder().upstream_endpoint(&slow.url).spawn().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    app.create_tenant("initech", allow_policy(&["arn:aws:logs:*"])).await;
    let read = |tenant: &'static str| {
        let (client, url) = (
            app.client.clone(),
            format!("{}/v1/log-groups/g/log-streams/s/events", app.address),
        );
        tokio::spawn(async move {
            let r = client.get(url).bearer_auth(hs_token(tenant)).send().await.unwrap();
            r.status().as_u16()
        })
    };
    let first = read("acme");
    // Wait until the first call is at CloudWatch, then ask again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while slow.hits.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first call never reached CloudWatch"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let others: Vec<_> = (0..7)
        .map(|i| read(if i % 2 == 0 { "initech" } else { "acme" }))
        .collect();
    assert_eq!(first.await.unwrap(), 200);
    for other in others {
        assert_eq!(other.await.unwrap(), 200);
    }
    assert_eq!(
        slow.hits.load(Ordering::SeqCst),
        1,
        "one CloudWatch call for eight reads"
    );
    assert_eq!(metric(&app, &lookups("miss")).await, 1.0);
    assert!(metric(&app, &lookups("coalesced")).await >= 1.0);
}

#[tokio::test]
async fn a_change_of_any_tenants_access_rules_retires_what_was_kept() {
    let (app, group, stream) = shared_stream().await;
    let query = format!("startFromHead=true&startTime=0&endTime={}", now_ms());
    let token = hs_token("acme");
    let read = async || {
        let r = app.get_events(&token, &group, &stream, &query).await;
        assert_eq!(r.status(), 200);
    };
    read().await;
    let before = app.upstream_calls();
    read().await;
    assert_eq!(app.upstream_calls(), before, "kept");
    // Another tenant's policy changes (as when a group name passes to a new
    // owner): the kept answer is not served again; the next read asks anew.
    // The admin API refreshes its own instance before it answers.
    app.create_tenant("globex", allow_policy(&["arn:aws:logs:*:*:log-group:/globex/*"]))
        .await;
    read().await;
    assert_eq!(app.upstream_calls(), before + 1, "asked CloudWatch again");
}
