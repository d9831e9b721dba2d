//! One poller's loop: follow a stream (GetLogEvents with its forward token)
//! or a group (FilterLogEvents from the newest timestamp seen), hand new
//! events to the subscribers, back off while nothing arrives, and give up
//! when the stream goes away or CloudWatch keeps failing.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use tokio::sync::broadcast;

use super::{TailEvent, TailKey};
use crate::domain::{LogGroupName, LogStreamName};
use crate::upstream::{FilterLogEventsRequest, GetLogEventsRequest, SharedUpstream, StreamSelection};

const FIRST_DELAY: Duration = Duration::from_millis(500);
const MAX_IDLE_DELAY: Duration = Duration::from_secs(5);
const MAX_ERROR_DELAY: Duration = Duration::from_secs(30);
const PAGE_LIMIT: i32 = 1000;
/// Consecutive failed polls after which a poller gives up.
const MAX_FAILURES: u32 = 5;

/// The poll loop of one key; runs until its poller is dropped.
pub(super) async fn poll(upstream: SharedUpstream, key: TailKey, tx: broadcast::Sender<TailEvent>, start_ms: i64) {
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
