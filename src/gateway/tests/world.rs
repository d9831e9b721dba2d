//! The world the gateway's unit tests run in: a stub upstream that records
//! what it is asked, an in-memory query ledger, a policy, and the audit
//! records read back from the sink.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::json;
use tokio::sync::mpsc;

use super::super::queries::{OwnedQuery, QueryEntry, QueryLedger, Reservation, Reserved, StatusCheck};
use super::super::{Call, Gateway, Limits};
use crate::audit::{AuditEvent, AuditSink};
use crate::auth::api_key::{HashedSecret, KeyKind};
use crate::auth::directory::{Directory, KeyEntry, TenantEntry};
use crate::auth::{Authenticator, Credential, Principal};
use crate::domain::{AccountId, Action, LogGroupName, LogStreamName, PolicyDocument, ResourceScope, TenantId};
use crate::error::ApiError;
use crate::upstream::*;

pub(super) const ARN: &str = "arn:aws:logs:us-east-1:123456789012:";

/// Records every call; answers with canned data.
#[derive(Default)]
pub(super) struct Stub {
    calls: Mutex<Vec<String>>,
    /// When set, StartQuery times out (CloudWatch may or may not have started it).
    pub(super) starts_time_out: std::sync::atomic::AtomicBool,
    /// The status GetQueryResults reports (unset: the call fails).
    pub(super) query_status: Mutex<Option<&'static str>>,
}

impl Stub {
    pub(super) fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn note(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }
}

impl LogsUpstream for Stub {
    fn get_log_events(
        &self,
        _caller: Caller,
        r: GetLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
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
    fn filter_log_events(
        &self,
        _caller: Caller,
        r: FilterLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
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
        _caller: Caller,
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
        _caller: Caller,
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
    fn start_query(&self, _caller: Caller, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.note(format!("StartQuery {:?}", r.groups));
        let timed_out = self.starts_time_out.load(std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            if timed_out {
                Err(UpstreamError::Timeout)
            } else {
                Ok("q-1".to_owned())
            }
        })
    }
    fn get_query_results(&self, _caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        self.note(format!("GetQueryResults {id}"));
        let status = *self.query_status.lock().unwrap();
        Box::pin(async move {
            match status {
                Some(status) => Ok(QueryResults {
                    status: status.to_owned(),
                    results: vec![],
                    records_matched: 0.0,
                    records_scanned: 0.0,
                    bytes_scanned: 0.0,
                }),
                None => Err(UpstreamError::Failure("not stubbed".into())),
            }
        })
    }
    fn stop_query(&self, _caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.note(format!("StopQuery {id}"));
        Box::pin(async { Ok(true) })
    }
}

/// Queries by id, with their state, in memory.
#[derive(Default)]
pub(super) struct Ledger {
    rows: Mutex<Vec<(String, String, bool)>>,
}

impl QueryLedger for Ledger {
    fn reserve<'a>(&'a self, start: &'a Reservation) -> BoxFuture<'a, Result<Reserved, ApiError>> {
        let mut rows = self.rows.lock().unwrap();
        let running = rows
            .iter()
            .filter(|(_, t, done)| t == start.tenant.as_str() && !done)
            .count() as i64;
        let result = if running >= start.cap {
            Ok(Reserved::Full { running })
        } else {
            rows.push((start.id.clone(), start.tenant.to_string(), false));
            Ok(Reserved::Taken)
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
    /// Has no clock: every open query qualifies whatever `check` says (the
    /// Postgres ledger's API tests cover the timing).
    fn claim_unchecked<'a>(
        &'a self,
        tenant: Option<&'a TenantId>,
        _: StatusCheck,
        limit: i64,
    ) -> BoxFuture<'a, Result<Vec<(TenantId, String)>, ApiError>> {
        let claimed = self
            .rows
            .lock()
            .unwrap()
            .iter()
            .filter(|(id, t, done)| !done && !id.contains(':') && tenant.is_none_or(|x| x.as_str() == t))
            .take(limit as usize)
            .map(|(id, t, _)| (TenantId::parse(t).unwrap(), id.clone()))
            .collect();
        Box::pin(async move { Ok(claimed) })
    }
    fn list<'a>(&'a self, tenant: &'a TenantId, _: i64) -> BoxFuture<'a, Result<Vec<QueryEntry>, ApiError>> {
        let entries = self
            .rows
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.1 == tenant.as_str())
            .map(|(id, _, done)| QueryEntry {
                query_id: id.clone(),
                log_groups: vec!["/acme/app".into()],
                started_by: "jwt:alice".into(),
                started_at: chrono::DateTime::UNIX_EPOCH,
                finished_at: done.then_some(chrono::DateTime::UNIX_EPOCH),
                checked_at: None,
                counts: !done,
            })
            .collect();
        Box::pin(async move { Ok(entries) })
    }
}

pub(super) struct World {
    pub(super) gateway: Arc<Gateway>,
    pub(super) stub: Arc<Stub>,
    audit: mpsc::Receiver<AuditEvent>,
}

impl World {
    /// Tenant `acme` with `statements`, and an API key `k` narrowed to `key_actions`.
    pub(super) fn new(statements: serde_json::Value, key_actions: Option<&[Action]>) -> Self {
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
            sigv4: crate::auth::sigv4::Rules::logs("us-east-1", &[]),
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
                tails_served: true,
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
    pub(super) fn call(&self, by_key: bool) -> Call {
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

    pub(super) fn audited(&mut self) -> AuditEvent {
        self.audit.try_recv().expect("an audit record")
    }
}

pub(super) fn events(group: &str, stream: &str) -> super::super::events::GetLogEvents {
    super::super::events::GetLogEvents {
        group: LogGroupName::parse(group).unwrap(),
        stream: LogStreamName::parse(stream).unwrap(),
        start_time: None,
        end_time: None,
        limit: None,
        next_token: None,
        start_from_head: None,
    }
}

pub(super) fn allow(actions: &[&str], resource: &str) -> serde_json::Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": format!("{ARN}{resource}")})
}

pub(super) fn deny(actions: &[&str], resource: &str) -> serde_json::Value {
    json!({"Effect": "Deny", "Action": actions, "Resource": format!("{ARN}{resource}")})
}
