//! How long an answer may be reused: as long as what it covers allows.
//!
//! | class | what | kept |
//! |---|---|---|
//! | `Settled` | events of a range that ended before CloudWatch's late-arrival window (14 days): nothing can be added any more | 1 h |
//! | `Past` | events of a range that ended, within the window: late events may still arrive | 30 s |
//! | `Live` | events of an open range (no end, or an end not yet reached), the head of a stream | 2 s: a coalescing window as long as a portal's poll interval |
//! | `Listing` | DescribeLogGroups, DescribeLogStreams | 15 s |
//! | `QueryFinished` | GetQueryResults of a finished query: it no longer changes | 1 h (CloudWatch keeps results 7 days; 1 h bounds the cache) |
//! | `QueryRunning` | GetQueryResults of a running query | 1 s: once a second per query id, whoever polls |
//! | `Missing` | a not-found error | 1 s |
//! | `Failed` | any other error | not kept (only callers waiting for that very call share it) |
//!
//! StartQuery and StopQuery never reach the cache.

use std::time::Duration;

use super::key::{Answer, Key};
use crate::upstream::UpstreamError;

/// CloudWatch accepts events up to 14 days old: a range is final only once
/// it ended before that.
pub(crate) const LATE_ARRIVAL_MS: i64 = 14 * 24 * 3_600 * 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Settled,
    Past,
    Live,
    Listing,
    QueryFinished,
    QueryRunning,
    Missing,
    Failed,
}

impl Class {
    /// What an outcome of `key` is, at wall-clock `now_ms` (epoch ms).
    pub(crate) fn of(key: &Key, outcome: &Result<Answer, UpstreamError>, now_ms: i64) -> Self {
        let answer = match outcome {
            Ok(answer) => answer,
            Err(UpstreamError::NotFound(_)) => return Class::Missing,
            Err(_) => return Class::Failed,
        };
        match (key, answer) {
            (Key::GetLogEvents(r), _) => Self::range(r.end_time, now_ms),
            (Key::FilterLogEvents(r), _) => Self::range(r.end_time, now_ms),
            (Key::DescribeLogGroups(_) | Key::DescribeLogStreams(_), _) => Class::Listing,
            (Key::GetQueryResults(_), Answer::Query(q)) if q.is_finished() => Class::QueryFinished,
            (Key::GetQueryResults(_), _) => Class::QueryRunning,
        }
    }

    /// Events up to `end_ms` (exclusive, epoch ms; none: open).
    fn range(end_ms: Option<i64>, now_ms: i64) -> Self {
        match end_ms {
            Some(end) if end < now_ms.saturating_sub(LATE_ARRIVAL_MS) => Class::Settled,
            Some(end) if end <= now_ms => Class::Past,
            _ => Class::Live,
        }
    }

    pub(crate) fn ttl(self) -> Duration {
        match self {
            Class::Settled | Class::QueryFinished => Duration::from_secs(3_600),
            Class::Past => Duration::from_secs(30),
            Class::Listing => Duration::from_secs(15),
            // The issue's 1-2 s window, at its top: a portal polling every
            // 2 s then costs one call per stream per poll, however many watch.
            Class::Live => Duration::from_secs(2),
            Class::QueryRunning | Class::Missing => Duration::from_secs(1),
            Class::Failed => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::{LogGroupName, LogStreamName};
    use crate::upstream::{GetLogEventsRequest, GetLogEventsResponse, QueryResults};

    const NOW: i64 = 1_800_000_000_000;

    fn events(end_time: Option<i64>) -> Key {
        Key::GetLogEvents(GetLogEventsRequest {
            group: LogGroupName::parse("/g").unwrap(),
            stream: LogStreamName::parse("s").unwrap(),
            start_time: Some(0),
            end_time,
            limit: None,
            next_token: None,
            start_from_head: None,
        })
    }

    fn page() -> Result<Answer, UpstreamError> {
        Ok(Answer::Events(Arc::new(GetLogEventsResponse {
            events: vec![],
            next_forward_token: None,
            next_backward_token: None,
        })))
    }

    fn query(status: &str) -> Result<Answer, UpstreamError> {
        Ok(Answer::Query(Arc::new(QueryResults {
            status: status.into(),
            results: vec![],
            records_matched: 0.0,
            records_scanned: 0.0,
            bytes_scanned: 0.0,
        })))
    }

    #[test]
    fn a_range_is_settled_only_once_it_ended_before_the_late_arrival_window() {
        let class = |end| Class::of(&events(end), &page(), NOW);
        assert_eq!(class(Some(NOW - LATE_ARRIVAL_MS - 1)), Class::Settled);
        assert_eq!(class(Some(NOW - LATE_ARRIVAL_MS)), Class::Past);
        assert_eq!(class(Some(NOW - 1)), Class::Past);
        assert_eq!(class(Some(NOW)), Class::Past);
        assert_eq!(class(Some(NOW + 1)), Class::Live);
        assert_eq!(class(None), Class::Live);
    }

    #[test]
    fn query_results_are_kept_long_only_once_the_query_finished() {
        let key = Key::GetQueryResults("q".into());
        for status in ["Complete", "Failed", "Cancelled", "Timeout"] {
            assert_eq!(Class::of(&key, &query(status), NOW), Class::QueryFinished, "{status}");
        }
        for status in ["Scheduled", "Running", "Unknown"] {
            assert_eq!(Class::of(&key, &query(status), NOW), Class::QueryRunning, "{status}");
        }
    }

    #[test]
    fn errors_are_not_kept_and_a_not_found_for_a_second_at_most() {
        let key = events(None);
        let missing = Class::of(&key, &Err(UpstreamError::NotFound("gone".into())), NOW);
        assert_eq!((missing, missing.ttl()), (Class::Missing, Duration::from_secs(1)));
        for e in [
            UpstreamError::Throttled,
            UpstreamError::Timeout,
            UpstreamError::Overloaded,
            UpstreamError::InvalidRequest("bad".into()),
            UpstreamError::Failure("boom".into()),
        ] {
            assert_eq!(Class::of(&key, &Err(e), NOW).ttl(), Duration::ZERO);
        }
    }

    #[test]
    fn the_classes_keep_answers_as_long_as_the_issue_allows() {
        assert_eq!(Class::Settled.ttl(), Duration::from_secs(3_600));
        assert!((10..=60).contains(&Class::Past.ttl().as_secs()));
        assert!((1..=2).contains(&Class::Live.ttl().as_secs()));
        assert!((10..=30).contains(&Class::Listing.ttl().as_secs()));
        assert_eq!(Class::QueryRunning.ttl(), Duration::from_secs(1));
    }
}
