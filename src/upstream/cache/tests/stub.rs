//! A stub upstream for the cache tests.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::future::BoxFuture;
use tokio::sync::Semaphore;

use crate::upstream::*;

/// Answers every read with a page naming the call that made it
/// (`call-N`), padded to `size` bytes; holds calls while `gate` has no
/// permit; fails with `fail` when set; reports `status` for queries.
pub(super) struct Stub {
    pub(super) calls: AtomicUsize,
    pub(super) gate: Option<Semaphore>,
    pub(super) size: usize,
    pub(super) fail: Mutex<Option<UpstreamError>>,
    pub(super) status: Mutex<&'static str>,
}

impl Stub {
    pub(super) fn new() -> Self {
        Self {
            calls: AtomicUsize::new(0),
            gate: None,
            size: 0,
            fail: Mutex::new(None),
            status: Mutex::new("Running"),
        }
    }

    pub(super) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn answer<T: Send + 'static>(
        &self,
        make: impl FnOnce(String) -> T + Send + 'static,
    ) -> BoxFuture<'_, UpstreamResult<T>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(gate) = &self.gate {
                let _ = gate.acquire().await.unwrap();
            }
            if let Some(e) = self.fail.lock().unwrap().clone() {
                return Err(e);
            }
            Ok(make(format!("call-{n}{}", "x".repeat(self.size))))
        })
    }
}

impl LogsUpstream for Stub {
    fn get_log_events(&self, _: Caller, _: GetLogEventsRequest) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        self.answer(|message| GetLogEventsResponse {
            events: vec![OutputLogEvent {
                timestamp: Some(1),
                message: Some(message),
                ingestion_time: Some(2),
            }],
            next_forward_token: Some("f/1".into()),
            next_backward_token: Some("b/1".into()),
        })
    }
    fn filter_log_events(
        &self,
        _: Caller,
        _: FilterLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        self.answer(|message| FilterLogEventsResponse {
            events: vec![FilteredLogEvent {
                log_stream_name: Some("s".into()),
                timestamp: Some(1),
                message: Some(message),
                ingestion_time: Some(2),
                event_id: Some("e".into()),
            }],
            next_token: None,
        })
    }
    fn describe_log_groups(
        &self,
        _: Caller,
        _: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        self.answer(|name| DescribeLogGroupsResponse {
            groups: vec![LogGroupInfo {
                name,
                creation_time: None,
                retention_in_days: None,
                stored_bytes: None,
            }],
            next_token: None,
        })
    }
    fn describe_log_streams(
        &self,
        _: Caller,
        _: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        self.answer(|name| DescribeLogStreamsResponse {
            streams: vec![LogStreamInfo {
                name,
                creation_time: None,
                first_event_timestamp: None,
                last_event_timestamp: None,
                last_ingestion_time: None,
            }],
            next_token: None,
        })
    }
    fn start_query(&self, _: Caller, _: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.answer(|id| id)
    }
    fn get_query_results(&self, _: Caller, _: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        let status = *self.status.lock().unwrap();
        self.answer(move |value| QueryResults {
            status: status.into(),
            results: vec![vec![("@message".into(), value)]],
            records_matched: 1.0,
            records_scanned: 1.0,
            bytes_scanned: 1.0,
        })
    }
    fn stop_query(&self, _: Caller, _: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.answer(|_| true)
    }
}
