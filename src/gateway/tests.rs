//! The gateway driven without HTTP: a stub upstream that records what it is
//! asked, an in-memory query ledger, a policy, and the audit records read
//! back from the sink.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::json;
use tokio::sync::mpsc;

use super::queries::{OwnedQuery, QueryLedger, Reservation, StartQuery};
use super::{Call, Gateway, Limits};
use crate::audit::{AuditEvent, AuditSink};
use crate::auth::api_key::{HashedSecret, KeyKind};
use crate::auth::directory::{Directory, KeyEntry, TenantEntry};
use crate::auth::{Authenticator, Credential, Principal};
use crate::domain::{AccountId, Action, LogGroupName, LogStreamName, PolicyDocument, ResourceScope, TenantId};
use crate::error::{ApiError, ErrorCode};
use crate::upstream::*;

const ARN: &str = "arn:aws:logs:us-east-1:123456789012:";

/// Records every call; answers with canned data.
#[derive(Default)]
struct Stub {
    calls: Mutex<Vec<String>>,
}

impl Stub {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn note(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
}

impl LogsUpstream for Stub {
    fn get_log_events(&self, r: GetLogEventsRequest) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        self.note(format!(
            "GetLogEvents {} {} token={:?}",
            r.group, r.stream, r.next_token
        ));
        Box::pin(async {
            Ok(GetLogEventsResponse {
                events: vec![OutputLogEvent {
                    timestamp: Some(1),
                    message: Some("hello".into()),
                    ingestion_time: Some(2),
                }],
                next_forward_token: Some("f/1".into()),
                next_backward_token: Some("b/1".into()),
            })
        })
    }
    fn filter_log_events(&self, r: FilterLogEventsRequest) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        self.note(format!("FilterLogEvents {} {:?}", r.group, r.streams));
        let event = |stream: &str| FilteredLogEvent {
            log_stream_name: Some(stream.into()),
            timestamp: Some(1),
            message: Some(format!("from {stream}")),
            ingestion_time: Some(1),
            event_id: Some(stream.into()),
        };
        Box::pin(async move {
            Ok(FilterLogEventsResponse {
                events: vec![event("web-1"), event("secret-1")],
                next_token: None,
            })
        })
    }
    fn describe_log_groups(
        &self,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        self.note(format!("DescribeLogGroups {:?}", r.prefix));
        Box::pin(async {
            Ok(DescribeLogGroupsResponse {
                groups: vec![],
                next_token: None,
            })
        })
    }
    fn describe_log_streams(
        &self,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        self.note(format!("DescribeLogStreams {} {:?}", r.group, r.prefix));
        Box::pin(async {
            Ok(DescribeLogStreamsResponse {
                streams: vec![],
                next_token: None,
            })
        })
    }
    fn start_query(&self, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.note(format!("StartQuery {:?}", r.groups));
        Box::pin(async { Ok("q-1".to_owned()) })
    }
    fn get_query_results(&self, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        self.note(format!("GetQueryResults {id}"));
        Box::pin(async { Err(UpstreamError::Failure("not stubbed".into())) })
    }
    fn stop_query(&self, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.note(format!("StopQuery {id}"));
        Box::pin(async { Ok(true) })
    }
}

/// Queries by id, with their state, in memory.
#[derive(Default)]
struct Ledger {
    rows: Mutex<Vec<(String, String, bool)>>,
}

impl QueryLedger for Ledger {
    fn reserve<'a>(&'a self, start: &'a Reservation) -> BoxFuture<'a, Result<(), ApiError>> {
        let mut rows = self.rows.lock().unwrap();
        let running = rows
            .iter()
            .filter(|(_, t, done)| t == start.tenant.as_str() && !done)
            .count() as i64;
        let result = if running >= start.cap {
            Err(ApiError::throttled("full", 10))
        } else {
            rows.push((start.id.clone(), start.tenant.to_string(), false));
            Ok(())
        };
        Box::pin(async move { result })
    }
    fn confirm<'a>(&'a self, start: &'a Reservation, query_id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        for row in self.rows.lock().unwrap().iter_mut() {
            if row.0 == start.id {
                row.0 = query_id.to_owned();
            }
        }
        Box::pin(async { Ok(()) })
    }
    fn release<'a>(&'a self, start: &'a Reservation) -> BoxFuture<'a, Result<(), ApiError>> {
        self.rows.lock().unwrap().retain(|r| r.0 != start.id);
        Box::pin(async { Ok(()) })
    }
    fn find<'a>(&'a self, tenant: &'a TenantId, id: &'a str) -> BoxFuture<'a, Result<Option<OwnedQuery>, ApiError>> {
        let found = self
            .rows
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.0 == id && r.1 == tenant.as_str())
            .map(|r| OwnedQuery {
                log_groups: vec!["/acme/app".into()],
                finished: r.2,
            });
        Box::pin(async move { Ok(found) })
    }
    fn mark_finished<'a>(&'a self, _: &'a TenantId, id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        for row in self.rows.lock().unwrap().iter_mut() {
            if row.0 == id {
                row.2 = true;
            }
        }
        Box::pin(async { Ok(()) })
    }
}

struct World {
    gateway: Arc<Gateway>,
    stub: Arc<Stub>,
    audit: mpsc::Receiver<AuditEvent>,
}

impl World {
    /// Tenant `acme` with `statements`, and an API key `k` narrowed to `key_actions`.
    fn new(statements: serde_json::Value, key_actions: Option<&[Action]>) -> Self {
        let document = PolicyDocument::parse(json!({"Version": "2012-10-17", "Statement": statements})).unwrap();
        let tenant = TenantEntry {
            id: TenantId::parse("acme").unwrap(),
            name: "Acme".into(),
            active: true,
            policy: document.compile("acme").unwrap(),
            rate_limit: None,
        };
        let key = KeyEntry {
            id: "k".into(),
            tenant: Some(tenant.id.clone()),
            name: "key".into(),
            hash: HashedSecret::of("secret"),
            actions: key_actions.map(|a| a.iter().fold(0, |acc, a| acc | a.bit())),
            expires_at: None,
        };
        let directory = Arc::new(Directory::of(vec![tenant], vec![key]));
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let settings = crate::config::Settings::from_source(&crate::config::Source::from_pairs([(
            "LOGWARD_DATABASE_URL",
            "postgres://unused/x",
        )]))
        .unwrap();
        let auth = Arc::new(Authenticator {
            directory,
            jwt: crate::auth::jwt::JwtVerifier::new(&settings.jwt).unwrap(),
            admin_token: crate::auth::admin::AdminToken::new(None),
            admin_role_claim: "role".into(),
            rate_limits: crate::rate_limit::RateLimits::new(
                settings.tenant_rate_limit,
                settings.key_rate_limit,
                metrics.clone(),
            ),
            key_usage: Default::default(),
            max_staleness: Duration::from_secs(60),
            jwt_leeway_secs: 0,
        });
        let stub = Arc::new(Stub::default());
        let (audit, rx) = AuditSink::channel(100);
        let upstream: SharedUpstream = stub.clone();
        let gateway = Arc::new(Gateway {
            auth,
            upstream: upstream.clone(),
            scope: ResourceScope::new("us-east-1", &AccountId::parse("123456789012").unwrap()),
            tokens: crate::paging::TokenKey::new(b"test"),
            audit,
            metrics,
            queries: Arc::new(Ledger::default()),
            tails: crate::tail::TailHub::new(upstream, 4),
            limits: Limits {
                max_queries_per_tenant: 1,
                max_tails_per_tenant: 1,
                tail_recheck: Duration::from_secs(5),
            },
            starting: Default::default(),
        });
        Self {
            gateway,
            stub,
            audit: rx,
        }
    }

    /// A call by `acme`'s JWT (or its narrowed key).
    fn call(&self, by_key: bool) -> Call {
        let tenant = self.gateway.auth.directory.get("acme").unwrap();
        let credential = if by_key {
            Credential::ApiKey(self.gateway.auth.directory.key(KeyKind::Tenant, "k").unwrap())
        } else {
            Credential::Jwt {
                subject: Some("alice".into()),
                expires_at: Some(i64::MAX),
            }
        };
        Call::new(
            Principal {
                tenant,
                credential,
                name: "jwt:alice".into(),
            },
            Some("req-1".into()),
        )
    }

    fn audited(&mut self) -> AuditEvent {
        self.audit.try_recv().expect("an audit record")
    }
}

fn events(group: &str, stream: &str) -> super::events::GetLogEvents {
    super::events::GetLogEvents {
        group: LogGroupName::parse(group).unwrap(),
        stream: LogStreamName::parse(stream).unwrap(),
        start_time: None,
        end_time: None,
        limit: None,
        next_token: None,
        start_from_head: None,
    }
}

fn allow(actions: &[&str], resource: &str) -> serde_json::Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": format!("{ARN}{resource}")})
}

fn deny(actions: &[&str], resource: &str) -> serde_json::Value {
    json!({"Effect": "Deny", "Action": actions, "Resource": format!("{ARN}{resource}")})
}

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
    let selection = |streams| super::filter::Selection {
        group: LogGroupName::parse("/acme/app").unwrap(),
        streams,
        filter_pattern: None,
    };
    let filter = |streams| super::filter::FilterLogEvents {
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
        let input = super::streams::DescribeLogStreams {
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
async fn a_query_start_takes_a_slot_and_the_cap_refuses_before_upstream() {
    let mut w = World::new(
        json!([allow(&["logs:StartQuery", "logs:StopQuery"], "log-group:/acme/*")]),
        None,
    );
    let call = w.call(false);
    let start = || StartQuery {
        groups: vec![LogGroupName::parse("/acme/app").unwrap()],
        query_string: "fields @message".into(),
        start_time: 0,
        end_time: 1,
        limit: None,
    };
    let id = w.gateway.start_query(&call, Ok(start())).await.unwrap();
    assert_eq!(id, "q-1");
    let record = w.audited();
    assert_eq!((record.reason, record.http_status), ("allowed", 201));
    assert_eq!(record.resource.as_deref(), Some("query/q-1"));

    // The cap is 1 and q-1 runs: refused by the ledger, CloudWatch not asked.
    let err = w.gateway.start_query(&call, Ok(start())).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Throttled);
    assert_eq!(w.stub.calls().len(), 1);

    // Stopping it frees the slot.
    w.gateway.stop_query(&call, Ok("q-1".into())).await.unwrap();
    w.gateway.start_query(&call, Ok(start())).await.unwrap();
    assert_eq!(w.stub.calls().len(), 3);
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
    let input = |prefix: Option<&str>| super::streams::DescribeLogStreams {
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
