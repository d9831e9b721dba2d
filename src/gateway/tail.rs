//! Live tail sessions of one stream (GetLogEvents) or a group selection
//! (FilterLogEvents). Opening one is authorized like the read it repeats;
//! while it stays open the credential and the policy are re-checked with the
//! very rules of sign-in (`Authenticator::still_valid`), and the session ends
//! when they no longer hold. Every end is audited. Sessions of the same thing
//! share one upstream poller (`crate::tail`). A front door renders the
//! [`TailChunk`]s (Server-Sent Events on REST).

mod session;

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

pub(crate) use session::TailSession;

use super::access::{self, Verdict};
use super::call::Decided;
use super::filter::Selection;
use super::{Call, Gateway, Parsed};
use crate::domain::{Action, LogGroupName, LogStreamName};
use crate::error::{ApiError, ErrorCode};
use crate::tail::{NoPoller, TailKey, stream_event_id};
use crate::upstream::{FilterLogEventsRequest, GetLogEventsRequest, StreamSelection};

/// Events a resumed tail catches up at most.
const CATCH_UP_LIMIT: i32 = 1000;

/// What to follow, validated.
#[derive(Debug, Clone)]
pub(crate) enum TailTarget {
    Stream { group: LogGroupName, stream: LogStreamName },
    Group(Selection),
}

/// A tail to open; `last_event_id` resumes after that event (SSE `Last-Event-ID`).
#[derive(Debug, Clone)]
pub(crate) struct OpenTail {
    pub(crate) target: TailTarget,
    pub(crate) last_event_id: Option<String>,
}

/// One piece of an open tail, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TailChunk {
    /// The session opened; the client should retry after this many ms.
    Opened {
        retry_ms: u32,
    },
    Event {
        id: String,
        data: Arc<str>,
    },
    /// Events the client was too slow to take.
    Dropped(u64),
    /// Nothing new; the session is still valid.
    Keepalive,
    /// The session ended, and why; nothing follows.
    End(String),
}

/// What must still hold for an open tail to continue.
pub(super) enum Scope {
    Stream(String),
    Streams(Vec<String>),
    Prefix(String),
}

impl Gateway {
    /// Opens a tail, or refuses it like the read it repeats.
    /// `action` is GetLogEvents for a stream tail, FilterLogEvents for a
    /// group tail (it names the request in the audit even when it is invalid).
    pub(crate) async fn open_tail(
        self: &Arc<Self>,
        call: &Call,
        action: Action,
        input: Parsed<OpenTail>,
    ) -> Result<TailSession, ApiError> {
        let input = input.and_then(|i| match (&i.target, action) {
            (TailTarget::Stream { .. }, Action::GetLogEvents) => Ok(i),
            (TailTarget::Group(s), Action::FilterLogEvents) if matches!(s.streams, StreamSelection::Prefix(_)) => Err(
                ApiError::invalid_param("logStreamNamePrefix", "is not supported for tails; name the streams"),
            ),
            (TailTarget::Group(_), Action::FilterLogEvents) => Ok(i),
            _ => Err(ApiError::invalid_param("action", "does not match what is tailed")),
        });
        let decided = match input {
            Err(e) => Decided::invalid(e),
            Ok(input) => {
                let (verdict, scope) = self.tail_scope(call, action, &input.target);
                let result = self.open(call, &verdict, action, scope, input).await;
                Decided::new(verdict, result)
            }
        };
        self.finish(call, action, decided, 200)
    }

    fn tail_scope(&self, call: &Call, action: Action, target: &TailTarget) -> (Verdict, Scope) {
        match target {
            TailTarget::Stream { group, stream } => {
                let arn = self.scope.log_stream(group, stream);
                (access::one(&call.principal, action, arn.clone()), Scope::Stream(arn))
            }
            TailTarget::Group(selection) => {
                let verdict = selection.authorize(&self.scope, &call.principal, action);
                let scope = match &selection.streams {
                    StreamSelection::Named(names) => Scope::Streams(
                        names
                            .iter()
                            .map(|n| self.scope.log_stream(&selection.group, n))
                            .collect(),
                    ),
                    _ => Scope::Prefix(self.scope.streams_prefix(&selection.group, "")),
                };
                (verdict, scope)
            }
        }
    }

    async fn open(
        self: &Arc<Self>,
        call: &Call,
        verdict: &Verdict,
        action: Action,
        scope: Scope,
        input: OpenTail,
    ) -> Result<TailSession, ApiError> {
        verdict.require()?;
        if !self.limits.tails_served {
            return Err(ApiError::new(
                ErrorCode::TailUnavailable,
                "live tails are not served by this deployment (AWS Lambda buffers each response and ends it at a \
                 timeout): poll the events route with nextForwardToken instead, or tail through a server \
                 deployment (container or Kubernetes)",
            ));
        }
        let slot = self
            .tails
            .reserve(call.tenant_id(), self.limits.max_tails_per_tenant)
            .ok_or_else(|| {
                ApiError::throttled(
                    format!("tenant {} has the maximum number of open tails", call.tenant_id()),
                    10,
                )
            })?;
        let key = match &input.target {
            TailTarget::Stream { group, stream } => TailKey::Stream {
                group: group.clone(),
                stream: stream.clone(),
            },
            TailTarget::Group(selection) => {
                let mut streams = match &selection.streams {
                    StreamSelection::Named(names) => names.clone(),
                    _ => Vec::new(),
                };
                streams.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                TailKey::Group {
                    group: selection.group.clone(),
                    streams,
                    filter_pattern: selection.filter_pattern.clone(),
                }
            }
        };
        if self.tails.running(&key).is_none() {
            // No poller is started for a stream or group that does not exist.
            self.probe(call, &input.target).await?;
        }
        let poller = self.tails.poller(key, call.tenant_id()).map_err(|e| match e {
            NoPoller::InstanceFull => ApiError::unavailable(
                "this instance follows as many distinct streams as it may; retry later",
                10,
            ),
            NoPoller::TenantShare => ApiError::throttled(
                format!(
                    "tenant {} follows as many distinct streams as one tenant may ({}); close a tail first",
                    call.tenant_id(),
                    self.tails.share()
                ),
                10,
            ),
        })?;
        // Subscribe before catching up, so nothing falls between the two.
        let rx = poller.subscribe();
        let mut pending = VecDeque::from([TailChunk::Opened { retry_ms: 2000 }]);
        let mut sent = HashSet::new();
        if let Some(last) = input.last_event_id.as_deref().and_then(resume_point) {
            self.catch_up(call, action, &input.target, last, &mut pending, &mut sent)
                .await?;
        }
        let every = self.limits.tail_recheck;
        let start = tokio::time::Instant::now();
        Ok(TailSession {
            gateway: self.clone(),
            call: call.clone(),
            action,
            resource: verdict.resource.clone(),
            scope,
            group: match input.target {
                TailTarget::Group(selection) => Some(selection),
                TailTarget::Stream { .. } => None,
            },
            rx,
            _poller: poller,
            _slot: slot,
            pending,
            sent,
            // A keepalive per recheck period: it also makes a vanished client
            // show up as a failed write, which stops its share of the poller.
            heartbeat: tokio::time::interval_at(start + every, every),
            closing: self.tails.closing(),
            opened: Instant::now(),
            delivered: 0,
            ended: false,
        })
    }

    /// One cheap read of what a new poller would follow: a stream or group
    /// that does not exist answers 404 here instead of holding a poller.
    async fn probe(&self, call: &Call, target: &TailTarget) -> Result<(), ApiError> {
        let now = chrono::Utc::now().timestamp_millis();
        match target {
            TailTarget::Stream { group, stream } => {
                self.upstream
                    .get_log_events(
                        call.caller(),
                        GetLogEventsRequest {
                            group: group.clone(),
                            stream: stream.clone(),
                            start_time: Some(now),
                            end_time: None,
                            limit: Some(1),
                            next_token: None,
                            start_from_head: Some(true),
                        },
                    )
                    .await?;
            }
            TailTarget::Group(selection) => {
                self.upstream
                    .filter_log_events(
                        call.caller(),
                        FilterLogEventsRequest {
                            group: selection.group.clone(),
                            streams: selection.streams.clone(),
                            filter_pattern: selection.filter_pattern.clone(),
                            start_time: Some(now),
                            end_time: None,
                            limit: Some(1),
                            next_token: None,
                        },
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// Events since the resume point (one page), each re-authorized; the
    /// one the client last saw is skipped.
    async fn catch_up(
        &self,
        call: &Call,
        action: Action,
        target: &TailTarget,
        (since, last_id): (i64, &str),
        pending: &mut VecDeque<TailChunk>,
        sent: &mut HashSet<String>,
    ) -> Result<(), ApiError> {
        let mut events: Vec<(String, String)> = Vec::new();
        match target {
            TailTarget::Stream { group, stream } => {
                let page = self
                    .upstream
                    .get_log_events(
                        call.caller(),
                        GetLogEventsRequest {
                            group: group.clone(),
                            stream: stream.clone(),
                            start_time: Some(since),
                            end_time: None,
                            limit: Some(CATCH_UP_LIMIT),
                            next_token: None,
                            start_from_head: Some(true),
                        },
                    )
                    .await?;
                for e in page.events {
                    let id = stream_event_id(e.timestamp.unwrap_or_default(), e.ingestion_time, e.message.as_deref());
                    let data = serde_json::json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time});
                    events.push((id, data.to_string()));
                }
            }
            TailTarget::Group(selection) => {
                let page = self
                    .upstream
                    .filter_log_events(
                        call.caller(),
                        FilterLogEventsRequest {
                            group: selection.group.clone(),
                            streams: selection.streams.clone(),
                            filter_pattern: selection.filter_pattern.clone(),
                            start_time: Some(since),
                            end_time: None,
                            limit: Some(CATCH_UP_LIMIT),
                            next_token: None,
                        },
                    )
                    .await?;
                let mut page = page.events;
                page.sort_by_key(|e| e.timestamp);
                for e in page {
                    let (Some(event_id), Some(timestamp)) = (e.event_id.as_deref(), e.timestamp) else {
                        continue;
                    };
                    if !selection.shows(&self.scope, &call.principal, action, e.log_stream_name.as_deref()) {
                        continue;
                    }
                    let data = serde_json::json!({
                        "logStreamName": e.log_stream_name, "timestamp": e.timestamp, "message": e.message,
                        "ingestionTime": e.ingestion_time, "eventId": e.event_id,
                    });
                    events.push((format!("{timestamp}-{event_id}"), data.to_string()));
                }
            }
        }
        for (id, data) in events {
            if id == last_id {
                continue;
            }
            sent.insert(id.clone());
            pending.push_back(TailChunk::Event { id, data: data.into() });
        }
        Ok(())
    }
}

/// `(timestamp, id)` of a `Last-Event-ID` (`<timestamp>-<rest>`).
fn resume_point(raw: &str) -> Option<(i64, &str)> {
    let (ts, _) = raw.split_once('-')?;
    Some((ts.parse().ok()?, raw))
}
