//! Listings and Logs Insights: what reaches CloudWatch, and what does not.

use serde_json::json;

use super::super::queries::StartQuery;
use super::world::*;
use crate::domain::{LogGroupName, LogStreamName};
use crate::error::ErrorCode;

#[tokio::test]
async fn listing_the_streams_of_a_denied_group_never_reaches_upstream() {
    let mut w = World::new(
        json!([
            allow(&["logs:DescribeLogStreams"], "log-group:/shared/*"),
            deny(&["logs:DescribeLogStreams"], "log-group:/shared/globex"),
            deny(&["logs:DescribeLogStreams"], "log-group:/shared/initech:*")
        ]),
        None,
    );
    let call = w.call(false);
    for group in ["/shared/globex", "/shared/initech"] {
        let input = super::super::streams::DescribeLogStreams {
            group: LogGroupName::parse(group).unwrap(),
            prefix: None,
            order_by: None,
            descending: None,
            limit: 50,
            next_token: None,
        };
        let err = w.gateway.describe_log_streams(&call, Ok(input)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::AccessDenied, "{group}");
        assert_eq!(w.audited().reason, "explicit_deny");
    }
    assert!(w.stub.calls().is_empty());
}

#[tokio::test]
async fn a_query_start_takes_a_slot_and_the_cap_asks_cloudwatch_before_refusing() {
    let mut w = World::new(
        json!([allow(&["logs:StartQuery", "logs:StopQuery"], "log-group:/acme/*")]),
        None,
    );
    let call = w.call(false);
    let id = w.gateway.start_query(&call, Ok(start())).await.unwrap();
    assert_eq!(id, "q-1");
    let record = w.audited();
    assert_eq!((record.reason, record.http_status), ("allowed", 201));
    assert_eq!(record.resource.as_deref(), Some("query/q-1"));

    // The cap is 1 and CloudWatch says q-1 still runs: refused, and the
    // refusal says how to find and free the slot. No second StartQuery.
    *w.stub.query_status.lock().unwrap() = Some("Running");
    let err = w.gateway.start_query(&call, Ok(start())).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Throttled);
    assert!(err.to_string().contains("GET /v1/queries"), "{err}");
    assert_eq!(w.stub.calls()[1..], ["GetQueryResults q-1"]);

    // Stopping it frees the slot.
    w.gateway.stop_query(&call, Ok("q-1".into())).await.unwrap();
    w.gateway.start_query(&call, Ok(start())).await.unwrap();
    assert_eq!(w.stub.calls()[2..], ["StopQuery q-1", STARTED]);
}

#[tokio::test]
async fn an_abandoned_query_that_cloudwatch_finished_frees_its_slot() {
    let w = World::new(json!([allow(&["logs:StartQuery"], "log-group:/acme/*")]), None);
    let call = w.call(false);
    w.gateway.start_query(&call, Ok(start())).await.unwrap();
    // Nobody fetched q-1's results, but CloudWatch has finished it.
    *w.stub.query_status.lock().unwrap() = Some("Complete");
    w.gateway.start_query(&call, Ok(start())).await.unwrap();
    assert_eq!(w.stub.calls(), [STARTED, "GetQueryResults q-1", STARTED]);
}

#[tokio::test]
async fn the_sweep_marks_finished_queries_and_leaves_running_ones() {
    let w = World::new(json!([allow(&["logs:StartQuery"], "log-group:/acme/*")]), None);
    let call = w.call(false);
    w.gateway.start_query(&call, Ok(start())).await.unwrap();
    *w.stub.query_status.lock().unwrap() = Some("Running");
    assert_eq!(w.gateway.sweep_queries().await.unwrap(), 0);
    *w.stub.query_status.lock().unwrap() = Some("Cancelled");
    assert_eq!(w.gateway.sweep_queries().await.unwrap(), 1);
    // Nothing open is left to ask about.
    assert_eq!(w.gateway.sweep_queries().await.unwrap(), 0);
    assert_eq!(w.stub.calls().len(), 3, "{:?}", w.stub.calls());
}

#[tokio::test]
async fn the_query_list_shows_only_queries_the_caller_may_read() {
    let mut w = World::new(
        json!([allow(&["logs:StartQuery", "logs:GetQueryResults"], "log-group:/acme/*")]),
        Some(&[crate::domain::Action::StartQuery]),
    );
    let call = w.call(false);
    w.gateway.start_query(&call, Ok(start())).await.unwrap();
    w.audited();
    *w.stub.query_status.lock().unwrap() = Some("Running");
    let listed = w.gateway.list_queries(&call, Ok(())).await.unwrap();
    assert_eq!((listed.running, listed.cap, listed.entries.len()), (1, 1, 1));
    assert_eq!(
        (listed.entries[0].query_id.as_str(), listed.entries[0].state()),
        ("q-1", "running")
    );
    let record = w.audited();
    assert_eq!(
        (record.action.as_str(), record.resource.as_deref()),
        ("logs:GetQueryResults", Some("query/*"))
    );
    // A key narrowed to StartQuery may not read results, so it sees none.
    assert_eq!(listed.running, 1);
    // A key narrowed to StartQuery may not read results: refused before
    // CloudWatch is asked anything, and audited as the key's refusal.
    let before = w.stub.calls().len();
    let err = w.gateway.list_queries(&w.call(true), Ok(())).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    assert_eq!(w.stub.calls().len(), before);
    assert_eq!(w.audited().reason, "key_scope");
}

#[tokio::test]
async fn a_stream_listing_asks_cloudwatch_only_for_the_prefixes_the_policy_allows() {
    let mut w = World::new(
        json!([
            {"Effect": "Allow", "Action": "logs:DescribeLogStreams",
             "Resource": "arn:aws:logs:*:*:log-group:/shared:log-stream:${tenant}/*"},
            allow(&["logs:DescribeLogStreams"], "log-group:/shared:log-stream:common-*")
        ]),
        None,
    );
    let call = w.call(false);
    let input = |prefix: Option<&str>| super::super::streams::DescribeLogStreams {
        group: LogGroupName::parse("/shared").unwrap(),
        prefix: prefix.map(|p| LogStreamName::parse(p).unwrap()),
        order_by: None,
        descending: None,
        limit: 50,
        next_token: None,
    };
    w.gateway.describe_log_streams(&call, Ok(input(None))).await.unwrap();
    w.gateway
        .describe_log_streams(&call, Ok(input(Some("acme/web"))))
        .await
        .unwrap();
    assert_eq!(
        w.stub.calls(),
        [
            "DescribeLogStreams /shared Some(\"acme/\")",
            "DescribeLogStreams /shared Some(\"common-\")",
            "DescribeLogStreams /shared Some(\"acme/web\")",
        ]
    );
    assert_eq!(w.audited().reason, "allowed");
}

#[tokio::test]
async fn a_query_start_that_times_out_keeps_its_slot() {
    let mut w = World::new(json!([allow(&["logs:StartQuery"], "log-group:/acme/*")]), None);
    let call = w.call(false);
    // CloudWatch may have started it: the slot stays taken (cap 1).
    w.stub.starts_time_out.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = w.gateway.start_query(&call, Ok(start())).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UpstreamTimeout);
    w.stub.starts_time_out.store(false, std::sync::atomic::Ordering::SeqCst);
    let err = w.gateway.start_query(&call, Ok(start())).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Throttled);
    assert_eq!(w.stub.calls().len(), 1, "the second start never reached CloudWatch");
    assert_eq!(w.audited().reason, "allowed");
}

/// What the stub notes for [`start`].
const STARTED: &str = "StartQuery [LogGroupName(\"/acme/app\")]";

/// A StartQuery on `/acme/app`.
fn start() -> StartQuery {
    StartQuery {
        groups: vec![LogGroupName::parse("/acme/app").unwrap()],
        query_string: "fields @message".into(),
        start_time: 0,
        end_time: 1,
        limit: None,
    }
}
