//! Live tail as Server-Sent Events: `GET .../log-streams/{stream}/tail` and
//! `GET /v1/log-groups/{group}/tail`.
//!
//! Each event is one `data:` line of JSON with an `id:` (`<timestamp>-<hash>`
//! or `<timestamp>-<eventId>`), so a client can resume with `Last-Event-ID`
//! (delivery is at-least-once around a resume). Comments keep idle
//! connections alive. Authorization is re-checked while the tail is open:
//! revoking the key, disabling the tenant, an expiring JWT or a policy change
//! end it with an `end` event. Tails of the same thing share one upstream
//! poller (see [`crate::tail`]).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::filter::{authorize_selection, parse_selection};
use super::{Outcome, audited, authorize};
use crate::auth::TenantPrincipal;
use crate::auth::api_key::KeyKind;
use crate::auth::extractor::Credential;
use crate::domain::{Action, LogGroupName, LogStreamName};
use crate::error::{ApiError, ErrorCode};
use crate::routes::path_segment;
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::tail::{Poller, TailEvent, TailKey, TailSlot, stream_event_id};
use crate::upstream::{GetLogEventsRequest, StreamSelection};

const MAX_SENT_IDS: usize = 10_000;

/// Follow one stream live (Server-Sent Events)
#[utoipa::path(get, path = "/v1/log-groups/{group}/log-streams/{stream}/tail", tag = "logs", security(("tenant" = [])),
    params(
        ("group" = String, Path, description = "Log group name, percent-encoded"),
        ("stream" = String, Path, description = "Log stream name, percent-encoded"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id"),
    ),
    responses(
        (status = 200, description = "text/event-stream of events", content_type = "text/event-stream"),
        (status = 403, description = "Not permitted", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many open tails for this tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn tail_stream(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audited(&req, &principal, &state, Action::GetLogEvents, async |outcome| {
        open_stream_tail(&req, &principal, &state, outcome).await
    })
    .await
}

/// Follow a group live, optionally filtered (Server-Sent Events)
#[utoipa::path(get, path = "/v1/log-groups/{group}/tail", tag = "logs", security(("tenant" = [])),
    params(
        ("group" = String, Path, description = "Log group name, percent-encoded"),
        ("filterPattern" = Option<String>, Query, description = "CloudWatch filter pattern"),
        ("logStreamNames" = Option<String>, Query, description = "Comma-separated stream names"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id"),
    ),
    responses(
        (status = 200, description = "text/event-stream of events", content_type = "text/event-stream"),
        (status = 403, description = "Not every stream the tail can read is permitted", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many open tails for this tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn tail_group(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audited(&req, &principal, &state, Action::FilterLogEvents, async |outcome| {
        open_group_tail(&req, &principal, &state, outcome).await
    })
    .await
}

/// What must still hold for an open tail to continue.
enum Scope {
    Stream(String),
    Streams(Vec<String>),
    Prefix(String),
}

struct Recheck {
    state: web::Data<AppState>,
    principal: TenantPrincipal,
    action: Action,
    scope: Scope,
}

impl Recheck {
    /// `Err(reason)` when the tail must end.
    fn check(&self) -> Result<(), &'static str> {
        let state = &self.state;
        // Like new requests, open tails fail closed on stale access rules.
        if state.directory.age().is_none_or(|age| age > state.max_staleness) {
            return Err("access rules cannot be confirmed right now");
        }
        let tenant = state
            .directory
            .get(self.principal.tenant.id.as_str())
            .ok_or("the tenant no longer exists")?;
        if !tenant.active {
            return Err("the tenant was disabled");
        }
        match &self.principal.credential {
            Credential::ApiKey(key) => {
                let current = state
                    .directory
                    .key(KeyKind::Tenant, &key.id)
                    .ok_or("the API key was revoked")?;
                if current.expired(chrono::Utc::now()) {
                    return Err("the API key expired");
                }
            }
            Credential::Jwt { expires_at, .. } => {
                if expires_at.is_some_and(|exp| exp <= chrono::Utc::now().timestamp()) {
                    return Err("the token expired");
                }
            }
        }
        let allowed = match &self.scope {
            Scope::Stream(arn) => tenant.policy.authorize(self.action, arn).is_allowed(),
            Scope::Streams(arns) => arns
                .iter()
                .all(|a| tenant.policy.authorize(self.action, a).is_allowed()),
            Scope::Prefix(p) => tenant.policy.authorize_stream_prefix(self.action, p).is_allowed(),
        };
        if allowed {
            Ok(())
        } else {
            Err("the policy no longer allows this tail")
        }
    }
}

fn reserve(state: &AppState, principal: &TenantPrincipal) -> Result<TailSlot, ApiError> {
    state
        .tails
        .reserve(principal.tenant.id.as_str(), state.limits.max_tails_per_tenant)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Throttled,
                format!("tenant {} has the maximum number of open tails", principal.tenant.id),
            )
            .with_retry_after(10)
        })
}

fn too_many_pollers() -> ApiError {
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        "this instance follows as many distinct streams as it may; retry later",
    )
    .with_retry_after(10)
}

fn last_event_timestamp(req: &HttpRequest) -> Option<(i64, String)> {
    let raw = req.headers().get("last-event-id")?.to_str().ok()?;
    let (ts, _) = raw.split_once('-')?;
    Some((ts.parse().ok()?, raw.to_owned()))
}

async fn open_stream_tail(
    req: &HttpRequest,
    principal: &TenantPrincipal,
    state: &web::Data<AppState>,
    outcome: &mut Outcome,
) -> Result<HttpResponse, ApiError> {
    let group = path_segment(req, 3, "logGroupName")?;
    let group = LogGroupName::parse(&group).map_err(|e| ApiError::invalid_param("logGroupName", e.to_string()))?;
    let stream = path_segment(req, 5, "logStreamName")?;
    let stream = LogStreamName::parse(&stream).map_err(|e| ApiError::invalid_param("logStreamName", e.to_string()))?;
    StrictQuery::parse(req.query_string(), &[])?;
    let arn = state.scope.log_stream(&group, &stream);
    authorize(principal, Action::GetLogEvents, arn.clone(), outcome)?;
    let slot = reserve(state, principal)?;

    // Subscribe before catching up, so nothing falls between the two.
    let poller = state
        .tails
        .poller(TailKey::Stream {
            group: group.clone(),
            stream: stream.clone(),
        })
        .ok_or_else(too_many_pollers)?;
    let rx = poller.subscribe();
    let mut pending = VecDeque::new();
    let mut sent = HashSet::new();
    if let Some((since, last_id)) = last_event_timestamp(req) {
        let page = state
            .upstream
            .get_log_events(GetLogEventsRequest {
                group,
                stream,
                start_time: Some(since),
                end_time: None,
                limit: Some(1000),
                next_token: None,
                start_from_head: Some(true),
            })
            .await?;
        for e in page.events {
            let id = stream_event_id(e.timestamp.unwrap_or_default(), e.ingestion_time, e.message.as_deref());
            if id == last_id {
                continue;
            }
            let data =
                serde_json::json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time});
            pending.push_back(sse_event(&id, &data.to_string()));
            sent.insert(id);
        }
    }
    let recheck = Recheck {
        state: state.clone(),
        principal: principal.clone(),
        action: Action::GetLogEvents,
        scope: Scope::Stream(arn),
    };
    Ok(sse_response(Tail::new(rx, poller, slot, recheck, pending, sent, None)))
}

/// Events of a group selection since `since` (one page), for a resumed tail;
/// each is re-authorized by stream, and the one named `last_id` is skipped.
async fn group_catch_up(
    state: &AppState,
    principal: &TenantPrincipal,
    selection: &super::filter::FilterQuery,
    since: i64,
    last_id: &str,
) -> Result<(VecDeque<Bytes>, HashSet<String>), ApiError> {
    let page = state
        .upstream
        .filter_log_events(crate::upstream::FilterLogEventsRequest {
            group: selection.group.clone(),
            streams: selection.streams.clone(),
            filter_pattern: selection.filter_pattern.clone(),
            start_time: Some(since),
            end_time: None,
            limit: Some(1000),
            next_token: None,
        })
        .await?;
    let mut pending = VecDeque::new();
    let mut sent = HashSet::new();
    let mut events = page.events;
    events.sort_by_key(|e| e.timestamp);
    for e in events {
        let (Some(event_id), Some(timestamp)) = (e.event_id.as_deref(), e.timestamp) else {
            continue;
        };
        let id = format!("{timestamp}-{event_id}");
        if id == last_id
            || !super::filter::visible(
                state,
                principal,
                Action::FilterLogEvents,
                selection,
                e.log_stream_name.as_deref(),
            )
        {
            continue;
        }
        let data = serde_json::json!({
            "logStreamName": e.log_stream_name, "timestamp": e.timestamp, "message": e.message,
            "ingestionTime": e.ingestion_time, "eventId": e.event_id,
        });
        pending.push_back(sse_event(&id, &data.to_string()));
        sent.insert(id);
    }
    Ok((pending, sent))
}

async fn open_group_tail(
    req: &HttpRequest,
    principal: &TenantPrincipal,
    state: &web::Data<AppState>,
    outcome: &mut Outcome,
) -> Result<HttpResponse, ApiError> {
    let query = StrictQuery::parse(req.query_string(), &["filterPattern", "logStreamNames"])?;
    let selection = parse_selection(req, &query)?;
    authorize_selection(state, principal, Action::FilterLogEvents, &selection, outcome)?;
    let slot = reserve(state, principal)?;
    let (streams, scope) = match &selection.streams {
        StreamSelection::Named(names) => (
            names.clone(),
            Scope::Streams(
                names
                    .iter()
                    .map(|n| state.scope.log_stream(&selection.group, n))
                    .collect(),
            ),
        ),
        _ => (
            Vec::new(),
            Scope::Prefix(state.scope.streams_prefix(&selection.group, "")),
        ),
    };
    let mut names: Vec<LogStreamName> = streams;
    names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let poller = state
        .tails
        .poller(TailKey::Group {
            group: selection.group.clone(),
            streams: names,
            filter_pattern: selection.filter_pattern.clone(),
        })
        .ok_or_else(too_many_pollers)?;
    let rx = poller.subscribe();
    let (pending, sent) = match last_event_timestamp(req) {
        Some((since, last_id)) => group_catch_up(state, principal, &selection, since, &last_id).await?,
        None => (VecDeque::new(), HashSet::new()),
    };
    let recheck = Recheck {
        state: state.clone(),
        principal: principal.clone(),
        action: Action::FilterLogEvents,
        scope,
    };
    Ok(sse_response(Tail::new(
        rx,
        poller,
        slot,
        recheck,
        pending,
        sent,
        Some(selection.group),
    )))
}

fn sse_event(id: &str, data: &str) -> Bytes {
    Bytes::from(format!("id: {id}\ndata: {data}\n\n"))
}

fn sse_end(reason: &str) -> Bytes {
    Bytes::from(format!(
        "event: end\ndata: {}\n\n",
        serde_json::json!({ "reason": reason })
    ))
}

/// One open tail's state, driven by the response body stream.
struct Tail {
    rx: broadcast::Receiver<TailEvent>,
    _poller: Arc<Poller>,
    _slot: TailSlot,
    recheck: Recheck,
    pending: VecDeque<Bytes>,
    sent: HashSet<String>,
    /// For group tails: each event's stream is re-authorized on delivery.
    group: Option<LogGroupName>,
    /// Re-checks authorization, then sends a keepalive comment.
    heartbeat: tokio::time::Interval,
    closing: tokio::sync::watch::Receiver<bool>,
    done: bool,
}

impl Tail {
    fn new(
        rx: broadcast::Receiver<TailEvent>,
        poller: Arc<Poller>,
        slot: TailSlot,
        recheck: Recheck,
        mut pending: VecDeque<Bytes>,
        sent: HashSet<String>,
        group: Option<LogGroupName>,
    ) -> Self {
        let every = recheck.state.limits.tail_recheck;
        let closing = recheck.state.tails.closing();
        pending.push_front(Bytes::from_static(b"retry: 2000\n: connected\n\n"));
        let start = tokio::time::Instant::now();
        Self {
            rx,
            _poller: poller,
            _slot: slot,
            recheck,
            pending,
            sent,
            group,
            // A keepalive per recheck period: it also makes a vanished client
            // show up as a failed write, which stops its share of the poller.
            heartbeat: tokio::time::interval_at(start + every, every),
            closing,
            done: false,
        }
    }

    /// Whether a broadcast event may go to this client.
    fn deliverable(&mut self, event: &TailEvent) -> bool {
        if self.sent.contains(&event.id) {
            return false;
        }
        if let Some(group) = &self.group {
            let Some(stream) = &event.stream else { return false };
            let Some(tenant) = self
                .recheck
                .state
                .directory
                .get(self.recheck.principal.tenant.id.as_str())
            else {
                return false;
            };
            let arn = self.recheck.state.scope.stream_arn_raw(group, stream);
            if !tenant.policy.authorize(self.recheck.action, &arn).is_allowed() {
                return false;
            }
        }
        if self.sent.len() >= MAX_SENT_IDS {
            self.sent.clear();
        }
        self.sent.insert(event.id.clone());
        true
    }

    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        if let Some(b) = self.pending.pop_front() {
            return Some(b);
        }
        loop {
            tokio::select! {
                received = self.rx.recv() => match received {
                    Ok(event) => {
                        if self.deliverable(&event) {
                            return Some(sse_event(&event.id, &event.data));
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        return Some(Bytes::from(format!(": {n} events were dropped because this client is too slow\n\n")));
                    }
                    Err(RecvError::Closed) => {
                        self.done = true;
                        return Some(sse_end("the tail stopped"));
                    }
                },
                _ = self.heartbeat.tick() => {
                    if let Err(reason) = self.recheck.check() {
                        self.done = true;
                        return Some(sse_end(reason));
                    }
                    return Some(Bytes::from_static(b": keepalive\n\n"));
                }
                _ = self.closing.changed() => {
                    self.done = true;
                    return Some(sse_end("the server is shutting down"));
                }
            }
        }
    }
}

fn sse_response(tail: Tail) -> HttpResponse {
    let body = futures_util::stream::unfold(tail, |mut tail| async move {
        let chunk = tail.next_chunk().await?;
        Some((Ok::<_, std::convert::Infallible>(chunk), tail))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}
