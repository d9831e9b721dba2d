//! Live tail sessions of one stream (GetLogEvents) or a group selection
//! (FilterLogEvents). Opening one is authorized like the read it repeats;
//! while it stays open the credential and the policy are re-checked with the
//! very rules of sign-in (`Authenticator::still_valid`), and the session ends
//! when they no longer hold. Every end is audited. Sessions of the same thing
//! share one upstream poller (`crate::tail`). A front door renders the
//! [`TailChunk`]s (Server-Sent Events on REST).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::access::{self, Verdict};
use super::call::Decided;
use super::filter::Selection;
use super::{Call, Gateway, Parsed};
use crate::audit::AuditEvent;
use crate::domain::{Action, LogGroupName, LogStreamName};
use crate::error::ApiError;
use crate::tail::{NoPoller, Poller, TailEvent, TailKey, TailSlot, stream_event_id};
use crate::upstream::{FilterLogEventsRequest, GetLogEventsRequest, StreamSelection};

const MAX_SENT_IDS: usize = 10_000;
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
enum Scope {
    Stream(String),
    Streams(Vec<String>),
    Prefix(String),
}

impl Gateway {
    /// Opens a tail, or refuses it like the read it repeats.
    pub(crate) async fn open_tail(
        self: &Arc<Self>,
        call: &Call,
        input: Parsed<OpenTail>,
    ) -> Result<TailSession, ApiError> {
        let action = match input.as_ref().map(|i| &i.target) {
            Ok(TailTarget::Group(_)) => Action::FilterLogEvents,
            _ => Action::GetLogEvents,
        };
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
            self.probe(&input.target).await?;
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
    async fn probe(&self, target: &TailTarget) -> Result<(), ApiError> {
        let now = chrono::Utc::now().timestamp_millis();
        match target {
            TailTarget::Stream { group, stream } => {
                self.upstream
                    .get_log_events(GetLogEventsRequest {
                        group: group.clone(),
                        stream: stream.clone(),
                        start_time: Some(now),
                        end_time: None,
                        limit: Some(1),
                        next_token: None,
                        start_from_head: Some(true),
                    })
                    .await?;
            }
            TailTarget::Group(selection) => {
                self.upstream
                    .filter_log_events(FilterLogEventsRequest {
                        group: selection.group.clone(),
                        streams: selection.streams.clone(),
                        filter_pattern: selection.filter_pattern.clone(),
                        start_time: Some(now),
                        end_time: None,
                        limit: Some(1),
                        next_token: None,
                    })
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
                    .get_log_events(GetLogEventsRequest {
                        group: group.clone(),
                        stream: stream.clone(),
                        start_time: Some(since),
                        end_time: None,
                        limit: Some(CATCH_UP_LIMIT),
                        next_token: None,
                        start_from_head: Some(true),
                    })
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
                    .filter_log_events(FilterLogEventsRequest {
                        group: selection.group.clone(),
                        streams: selection.streams.clone(),
                        filter_pattern: selection.filter_pattern.clone(),
                        start_time: Some(since),
                        end_time: None,
                        limit: Some(CATCH_UP_LIMIT),
                        next_token: None,
                    })
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

/// One open tail: pull [`TailChunk`]s with [`next`](Self::next) until `None`.
pub(crate) struct TailSession {
    gateway: Arc<Gateway>,
    call: Call,
    action: Action,
    resource: String,
    scope: Scope,
    /// For group tails: each event's stream is re-authorized on delivery.
    group: Option<Selection>,
    rx: broadcast::Receiver<TailEvent>,
    _poller: Arc<Poller>,
    _slot: TailSlot,
    pending: VecDeque<TailChunk>,
    sent: HashSet<String>,
    heartbeat: tokio::time::Interval,
    closing: tokio::sync::watch::Receiver<bool>,
    opened: Instant,
    delivered: u64,
    ended: bool,
}

impl TailSession {
    /// The next chunk; `None` once the session has ended.
    pub(crate) async fn next(&mut self) -> Option<TailChunk> {
        if self.ended {
            return None;
        }
        if let Some(chunk) = self.pending.pop_front() {
            return Some(self.count(chunk));
        }
        loop {
            tokio::select! {
                received = self.rx.recv() => match received {
                    Ok(event) if event.stopped => return Some(self.end("poller_stopped", &event.data)),
                    Ok(event) => {
                        if self.deliverable(&event) {
                            return Some(self.count(TailChunk::Event { id: event.id, data: event.data }));
                        }
                    }
                    Err(RecvError::Lagged(n)) => return Some(TailChunk::Dropped(n)),
                    Err(RecvError::Closed) => return Some(self.end("poller_stopped", "the tail stopped")),
                },
                _ = self.heartbeat.tick() => {
                    return Some(match self.recheck() {
                        Ok(()) => TailChunk::Keepalive,
                        Err((word, reason)) => self.end(word, &reason),
                    });
                }
                _ = self.closing.changed() => return Some(self.end("shutdown", "the server is shutting down")),
            }
        }
    }

    fn count(&mut self, chunk: TailChunk) -> TailChunk {
        if matches!(chunk, TailChunk::Event { .. }) {
            self.delivered += 1;
        }
        chunk
    }

    /// `Err((word, reason))` when the tail must end: the sign-in rules, then
    /// the policy as it is now.
    fn recheck(&self) -> Result<(), (&'static str, String)> {
        let principal = &self.call.principal;
        let tenant = self
            .gateway
            .auth
            .still_valid(principal.tenant.id.as_str(), &principal.credential)
            .map_err(|e| (e.reason(), e.to_string()))?;
        let policy = &tenant.policy;
        let allowed = principal.credential_allows(self.action)
            && match &self.scope {
                Scope::Stream(arn) => policy.authorize(self.action, arn).is_allowed(),
                Scope::Streams(arns) => arns.iter().all(|a| policy.authorize(self.action, a).is_allowed()),
                Scope::Prefix(p) => policy.authorize_stream_prefix(self.action, p).is_allowed(),
            };
        if allowed {
            Ok(())
        } else {
            Err(("policy_changed", "the policy no longer allows this tail".to_owned()))
        }
    }

    /// Whether a broadcast event may go to this client.
    fn deliverable(&mut self, event: &TailEvent) -> bool {
        if self.sent.contains(&event.id) {
            return false;
        }
        if let Some(selection) = &self.group {
            let Ok(tenant) = self
                .gateway
                .auth
                .still_valid(self.call.tenant_id(), &self.call.principal.credential)
            else {
                return false;
            };
            let Some(stream) = &event.stream else { return false };
            let arn = self.gateway.scope.stream_arn_raw(&selection.group, stream);
            if !tenant.policy.authorize(self.action, &arn).is_allowed() {
                return false;
            }
        }
        if self.sent.len() >= MAX_SENT_IDS {
            self.sent.clear();
        }
        self.sent.insert(event.id.clone());
        true
    }

    /// Ends the session and audits why.
    fn end(&mut self, word: &'static str, reason: &str) -> TailChunk {
        self.record_end(word, reason);
        TailChunk::End(reason.to_owned())
    }

    fn record_end(&mut self, word: &'static str, reason: &str) {
        if self.ended {
            return;
        }
        self.ended = true;
        let decision = match word {
            "client_gone" | "shutdown" | "poller_stopped" => "allow",
            _ => "deny",
        };
        let principal = &self.call.principal;
        self.gateway.audit.record(
            AuditEvent::data("logward:EndTail", decision, word)
                .tenant(Some(principal.tenant.id.to_string()))
                .principal(Some(principal.name.clone()))
                .resource(Some(self.resource.clone()))
                .status(200)
                .since(self.opened)
                .request_id(self.call.request_id.clone())
                .detail(serde_json::json!({
                    "action": self.action.iam_name(),
                    "reason": reason,
                    "events": self.delivered,
                })),
        );
    }
}

impl Drop for TailSession {
    /// A session dropped before it ended: the client went away.
    fn drop(&mut self) {
        self.record_end("client_gone", "the client closed the connection");
    }
}
