//! Live tail: pollers that follow a stream (GetLogEvents) or a group
//! (FilterLogEvents) and fan new events out to every open tail of the same
//! thing, so a hundred viewers of one stream cost one upstream poll loop, not
//! a hundred. A poller starts with its first subscriber and stops when the
//! last one leaves, or when it keeps failing (its subscribers are told).
//! Polls back off while nothing arrives. Pollers cost upstream quota, so an
//! instance runs a bounded number, and one tenant may start at most a fair
//! share of them ([`TailHub::share`]).

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::domain::{LogGroupName, LogStreamName};
use crate::upstream::{FilterLogEventsRequest, GetLogEventsRequest, SharedUpstream, StreamSelection};

const CHANNEL_CAPACITY: usize = 1024;
const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_IDLE_DELAY: Duration = Duration::from_secs(5);
const MAX_ERROR_DELAY: Duration = Duration::from_secs(30);
const PAGE_LIMIT: i32 = 1000;
/// Consecutive failed polls after which a poller gives up.
const MAX_FAILURES: u32 = 5;
/// How far before its opening a tail starts, by event timestamp.
const LOOK_BACK_MS: i64 = 2_000;

/// What is being tailed. Equal keys share one poller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TailKey {
    Stream {
        group: LogGroupName,
        stream: LogStreamName,
    },
    Group {
        group: LogGroupName,
        streams: Vec<LogStreamName>,
        filter_pattern: Option<String>,
    },
}

/// One event as sent to clients: an SSE id and the JSON for the data line.
/// A poller that gives up sends one last event with `stopped` set and the
/// reason as `data`.
#[derive(Debug, Clone)]
pub(crate) struct TailEvent {
    pub(crate) id: String,
    pub(crate) timestamp: i64,
    pub(crate) stream: Option<String>,
    pub(crate) data: Arc<str>,
    pub(crate) stopped: bool,
}

/// A running poller; dropping the last handle stops it.
pub(crate) struct Poller {
    tx: broadcast::Sender<TailEvent>,
    task: tokio::task::JoinHandle<()>,
    /// The tenant whose tail started it (counted against its share).
    tenant: String,
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Poller {
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<TailEvent> {
        self.tx.subscribe()
    }

    fn alive(&self) -> bool {
        !self.task.is_finished()
    }
}

/// Why no poller could be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoPoller {
    /// The instance runs as many pollers as it may.
    InstanceFull,
    /// The tenant started its share of them.
    TenantShare,
}

pub struct TailHub {
    upstream: SharedUpstream,
    /// Pollers this instance runs at most: each costs upstream quota.
    max_pollers: usize,
    pollers: Mutex<HashMap<TailKey, Weak<Poller>>>,
    open: Mutex<HashMap<String, usize>>,
    closing: watch::Sender<bool>,
}

/// Counts an open tail against its tenant's cap until dropped.
pub(crate) struct TailSlot {
    hub: Arc<TailHub>,
    tenant: String,
}

impl Drop for TailSlot {
    fn drop(&mut self) {
        let mut open = self.hub.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.tenant);
            }
        }
    }
}

impl TailHub {
    pub(crate) fn new(upstream: SharedUpstream, max_pollers: usize) -> Arc<Self> {
        Arc::new(Self {
            upstream,
            max_pollers,
            pollers: Mutex::new(HashMap::new()),
            open: Mutex::new(HashMap::new()),
            closing: watch::channel(false).0,
        })
    }

    /// Reserves a tail for `tenant`, or `None` when it has `max` open already.
    pub(crate) fn reserve(self: &Arc<Self>, tenant: &str, max: usize) -> Option<TailSlot> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(tenant.to_owned()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(TailSlot {
            hub: self.clone(),
            tenant: tenant.to_owned(),
        })
    }

    /// The running poller for `key`, if any.
    pub(crate) fn running(&self, key: &TailKey) -> Option<Arc<Poller>> {
        let pollers = self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pollers.get(key).and_then(Weak::upgrade).filter(|p| p.alive())
    }

    /// Pollers one tenant may start: a tenth of the instance's, at least one,
    /// so that a few tenants cannot take them all.
    pub(crate) fn share(&self) -> usize {
        (self.max_pollers / 10).max(1)
    }

    /// The poller for `key`, started for `tenant` if none is running.
    pub(crate) fn poller(&self, key: TailKey, tenant: &str) -> Result<Arc<Poller>, NoPoller> {
        let mut pollers = self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pollers.retain(|_, p| p.upgrade().is_some_and(|p| p.alive()));
        if let Some(p) = pollers.get(&key).and_then(Weak::upgrade) {
            return Ok(p);
        }
        if pollers.len() >= self.max_pollers {
            return Err(NoPoller::InstanceFull);
        }
        let started_by_tenant = pollers
            .values()
            .filter_map(Weak::upgrade)
            .filter(|p| p.tenant == tenant)
            .count();
        if started_by_tenant >= self.share() {
            return Err(NoPoller::TenantShare);
        }
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        // The start is fixed now, before the first subscriber gets its answer,
        // so nothing written after the tail opened can fall before it. A short
        // look-back catches events whose timestamps trail their arrival.
        let start_ms = chrono::Utc::now().timestamp_millis() - LOOK_BACK_MS;
        let task = tokio::spawn(poll(self.upstream.clone(), key.clone(), tx.clone(), start_ms));
        let poller = Arc::new(Poller {
            tx,
            task,
            tenant: tenant.to_owned(),
        });
        pollers.insert(key, Arc::downgrade(&poller));
        Ok(poller)
    }

    /// Tails open now, all tenants.
    pub(crate) fn open(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .sum()
    }

    /// Pollers running now.
    pub fn active_pollers(&self) -> usize {
        let pollers = self.pollers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pollers.values().filter_map(Weak::upgrade).filter(|p| p.alive()).count()
    }

    /// Resolves when the hub is closing (shutdown).
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Asks every open tail to end (graceful shutdown).
    pub(crate) fn close_all(&self) {
        let _ = self.closing.send(true);
    }
}

/// The poll loop of one key; runs until its poller is dropped.
async fn poll(upstream: SharedUpstream, key: TailKey, tx: broadcast::Sender<TailEvent>, start_ms: i64) {
    let mut cursor = Cursor::starting_at(start_ms);
    // Group polls use FilterLogEvents, whose account quota is small (about
    // 5 per second): they never poll faster than once a second.
    let floor = match key {
        TailKey::Stream { .. } => FIRST_DELAY,
        TailKey::Group { .. } => Duration::from_secs(1),
    };
    let mut delay = floor;
    let mut failures = 0;
    loop {
        let fetched = match &key {
            TailKey::Stream { group, stream } => poll_stream(&*upstream, group, stream, &mut cursor).await,
            TailKey::Group {
                group,
                streams,
                filter_pattern,
            } => poll_group(&*upstream, group, streams, filter_pattern.as_deref(), &mut cursor).await,
        };
        delay = match fetched {
            Ok(events) if !events.is_empty() => {
                failures = 0;
                for e in events {
                    // No receivers at this instant is fine; the next may come.
                    let _ = tx.send(e);
                }
                floor
            }
            Ok(_) => {
                failures = 0;
                (delay * 3 / 2).min(MAX_IDLE_DELAY)
            }
            // No turn of the budget (or CloudWatch throttled): the quota is
            // shared and in use, which is no fault of this tail; wait longer.
            Err(
                e @ (crate::upstream::UpstreamError::OverBudget { .. } | crate::upstream::UpstreamError::Throttled),
            ) => {
                tracing::debug!(error = %e, "live tail poll deferred");
                (delay * 2).min(MAX_ERROR_DELAY)
            }
            Err(e) => {
                failures += 1;
                // A stream or group that went away will not come back for
                // this tail, and a poll that keeps failing only spends quota.
                let gone = matches!(e, crate::upstream::UpstreamError::NotFound(_));
                if gone || failures >= MAX_FAILURES {
                    tracing::warn!(error = %e, failures, "live tail poller gives up");
                    let reason = if gone {
                        "the log stream or group no longer exists"
                    } else {
                        "CloudWatch keeps failing for this tail"
                    };
                    let _ = tx.send(TailEvent {
                        id: String::new(),
                        timestamp: 0,
                        stream: None,
                        data: reason.into(),
                        stopped: true,
                    });
                    return;
                }
                tracing::warn!(error = %e, "live tail poll failed; backing off");
                (delay * 2).min(MAX_ERROR_DELAY)
            }
        };
        tokio::time::sleep(delay).await;
    }
}

/// Where a poller is: its forward token (streams), or the last timestamp and
/// the ids already seen at it (groups).
struct Cursor {
    start_ms: i64,
    token: Option<String>,
    seen_at_start: HashSet<String>,
}

impl Cursor {
    fn starting_at(start_ms: i64) -> Self {
        Self {
            start_ms,
            token: None,
            seen_at_start: HashSet::new(),
        }
    }
}

async fn poll_stream(
    upstream: &dyn crate::upstream::LogsUpstream,
    group: &LogGroupName,
    stream: &LogStreamName,
    cursor: &mut Cursor,
) -> Result<Vec<TailEvent>, crate::upstream::UpstreamError> {
    let page = upstream
        .get_log_events(
            crate::upstream::Caller::Tails,
            GetLogEventsRequest {
                group: group.clone(),
                stream: stream.clone(),
                // Sent with the token too: CloudWatch takes the token's position,
                // and emulators that index tokens into the filtered list need it.
                start_time: Some(cursor.start_ms),
                end_time: None,
                limit: Some(PAGE_LIMIT),
                next_token: cursor.token.clone(),
                start_from_head: Some(true),
            },
        )
        .await?;
    if page.next_forward_token.is_some() {
        cursor.token = page.next_forward_token;
    }
    Ok(page
        .events
        .into_iter()
        .map(|e| {
            let timestamp = e.timestamp.unwrap_or_default();
            let data = serde_json::json!({
                "timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time,
            });
            TailEvent {
                id: stream_event_id(timestamp, e.ingestion_time, e.message.as_deref()),
                timestamp,
                stream: Some(stream.as_str().to_owned()),
                data: data.to_string().into(),
                stopped: false,
            }
        })
        .collect())
}

/// A stable id for a stream event (CloudWatch gives GetLogEvents events no
/// id): the timestamp, which resumption needs, and a hash of the rest.
pub(crate) fn stream_event_id(timestamp: i64, ingestion_time: Option<i64>, message: Option<&str>) -> String {
    let mut h = DefaultHasher::new();
    ingestion_time.hash(&mut h);
    message.hash(&mut h);
    format!("{timestamp}-{:016x}", h.finish())
}

async fn poll_group(
    upstream: &dyn crate::upstream::LogsUpstream,
    group: &LogGroupName,
    streams: &[LogStreamName],
    filter_pattern: Option<&str>,
    cursor: &mut Cursor,
) -> Result<Vec<TailEvent>, crate::upstream::UpstreamError> {
    let mut out = Vec::new();
    let mut token = None;
    // Follow this round's pages; later rounds start from the newest timestamp.
    for _ in 0..10 {
        let page = upstream
            .filter_log_events(
                crate::upstream::Caller::Tails,
                FilterLogEventsRequest {
                    group: group.clone(),
                    streams: if streams.is_empty() {
                        StreamSelection::All
                    } else {
                        StreamSelection::Named(streams.to_vec())
                    },
                    filter_pattern: filter_pattern.map(str::to_owned),
                    start_time: Some(cursor.start_ms),
                    end_time: None,
                    limit: Some(PAGE_LIMIT),
                    next_token: token.take(),
                },
            )
            .await?;
        for e in page.events {
            let timestamp = e.timestamp.unwrap_or_default();
            let Some(event_id) = e.event_id.clone() else { continue };
            if timestamp < cursor.start_ms || (timestamp == cursor.start_ms && cursor.seen_at_start.contains(&event_id))
            {
                continue;
            }
            if timestamp > cursor.start_ms {
                cursor.start_ms = timestamp;
                cursor.seen_at_start.clear();
            }
            cursor.seen_at_start.insert(event_id.clone());
            let data = serde_json::json!({
                "logStreamName": e.log_stream_name, "timestamp": e.timestamp, "message": e.message,
                "ingestionTime": e.ingestion_time, "eventId": e.event_id,
            });
            out.push(TailEvent {
                id: format!("{timestamp}-{event_id}"),
                timestamp,
                stream: e.log_stream_name,
                data: data.to_string().into(),
                stopped: false,
            });
        }
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    out.sort_by_key(|e| e.timestamp);
    Ok(out)
}
