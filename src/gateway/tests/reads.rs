//! Reads: the decision, the upstream request and the audit record of
//! GetLogEvents and FilterLogEvents.

use serde_json::json;

use super::world::*;
use crate::domain::{Action, LogGroupName, LogStreamName};
use crate::error::{ApiError, ErrorCode};
use crate::upstream::StreamSelection;

#[tokio::test]
async fn an_allowed_read_reaches_upstream_with_sealed_tokens_and_is_audited() {
    let mut w = World::new(json!([allow(&["logs:GetLogEvents"], "log-group:/acme/*")]), None);
    let call = w.call(false);
    let reply = w
        .gateway
        .get_log_events(&call, Ok(events("/acme/app", "web")))
        .await
        .unwrap();
    assert_eq!(w.stub.calls(), ["GetLogEvents /acme/app web token=None"]);
    assert_eq!(reply.events.len(), 1);
    let forward = reply.next_forward_token.unwrap();
    assert!(!forward.contains("f/1"), "the upstream token is sealed: {forward}");

    // The sealed token goes back to CloudWatch as the original.
    let mut next = events("/acme/app", "web");
    next.next_token = Some(forward);
    w.gateway.get_log_events(&call, Ok(next)).await.unwrap();
    assert_eq!(w.stub.calls()[1], "GetLogEvents /acme/app web token=Some(\"f/1\")");

    let record = w.audited();
    assert_eq!((record.kind, record.action.as_str()), ("data", "logs:GetLogEvents"));
    assert_eq!(
        (record.decision, record.reason, record.http_status),
        ("allow", "allowed", 200)
    );
    assert_eq!(record.tenant_id.as_deref(), Some("acme"));
    assert_eq!(record.principal.as_deref(), Some("jwt:alice"));
    assert_eq!(record.request_id.as_deref(), Some("req-1"));
    assert_eq!(
        record.resource.as_deref(),
        Some(&*format!("{ARN}log-group:/acme/app:log-stream:web"))
    );
}

#[tokio::test]
async fn a_denied_read_never_reaches_upstream_and_is_audited_as_denied() {
    let mut w = World::new(
        json!([
            allow(&["logs:GetLogEvents"], "log-group:/acme/*"),
            deny(&["logs:GetLogEvents"], "log-group:/acme/app:log-stream:secret-*")
        ]),
        None,
    );
    let call = w.call(false);
    let err = w
        .gateway
        .get_log_events(&call, Ok(events("/acme/app", "secret-1")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    let err = w
        .gateway
        .get_log_events(&call, Ok(events("/other/app", "web")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    assert!(w.stub.calls().is_empty());
    let (first, second) = (w.audited(), w.audited());
    assert_eq!(
        (first.decision, first.reason, first.http_status),
        ("deny", "explicit_deny", 403)
    );
    assert_eq!((second.decision, second.reason), ("deny", "implicit_deny"));
}

#[tokio::test]
async fn invalid_input_is_audited_and_a_key_scope_refuses_before_the_policy() {
    let mut w = World::new(
        json!([allow(&["logs:*"], "log-group:/acme/*")]),
        Some(&[Action::FilterLogEvents]),
    );
    let call = w.call(false);
    let err = w
        .gateway
        .get_log_events(&call, Err(ApiError::invalid_param("limit", "bad")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidParameter);
    let record = w.audited();
    assert_eq!(
        (record.decision, record.reason, record.http_status),
        ("deny", "invalid_request", 400)
    );

    let by_key = w.call(true);
    let err = w
        .gateway
        .get_log_events(&by_key, Ok(events("/acme/app", "web")))
        .await
        .unwrap_err();
    assert!(err.detail().contains("API key"), "{}", err.detail());
    assert_eq!(w.audited().reason, "key_scope");
    assert!(w.stub.calls().is_empty());
}

#[tokio::test]
async fn a_group_filter_needs_a_proof_and_drops_events_of_denied_streams() {
    let selection = |streams| super::super::filter::Selection {
        group: LogGroupName::parse("/acme/app").unwrap(),
        streams,
        filter_pattern: None,
    };
    let filter = |streams| super::super::filter::FilterLogEvents {
        selection: selection(streams),
        start_time: None,
        end_time: None,
        limit: None,
        next_token: None,
    };
    // A Deny on some streams: the whole group cannot be proven, so refused.
    let mut w = World::new(
        json!([
            allow(&["logs:FilterLogEvents"], "log-group:/acme/*"),
            deny(&["logs:FilterLogEvents"], "log-group:/acme/app:log-stream:secret-*")
        ]),
        None,
    );
    let call = w.call(false);
    let err = w
        .gateway
        .filter_log_events(&call, Ok(filter(StreamSelection::All)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied);
    assert!(w.stub.calls().is_empty());
    assert_eq!(w.audited().reason, "explicit_deny");

    // A prefix the policy covers: allowed, and what CloudWatch returns
    // beyond the selection is dropped (moto ignores the prefix).
    let prefix = StreamSelection::Prefix(LogStreamName::parse("web").unwrap());
    let reply = w.gateway.filter_log_events(&call, Ok(filter(prefix))).await.unwrap();
    let streams: Vec<_> = reply
        .events
        .iter()
        .map(|e| e.log_stream_name.clone().unwrap())
        .collect();
    assert_eq!(streams, ["web-1"]);
    assert_eq!(w.audited().reason, "allowed");
}
