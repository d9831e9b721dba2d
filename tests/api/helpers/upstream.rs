//! `CountingUpstream`: the real CloudWatch upstream with a call counter, to
//! prove that denied requests never reach CloudWatch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::future::BoxFuture;
use logward::upstream::cloudwatch::CloudWatchUpstream;
use logward::upstream::*;

pub struct CountingUpstream {
    inner: CloudWatchUpstream,
    calls: Arc<AtomicUsize>,
}

impl CountingUpstream {
    /// Wraps `inner`; every call adds one to `calls`.
    pub fn new(inner: CloudWatchUpstream, calls: Arc<AtomicUsize>) -> Self {
        Self { inner, calls }
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

impl LogsUpstream for CountingUpstream {
    fn get_log_events(
        &self,
        caller: Caller,
        r: GetLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        self.count();
        self.inner.get_log_events(caller, r)
    }
    fn filter_log_events(
        &self,
        caller: Caller,
        r: FilterLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        self.count();
        self.inner.filter_log_events(caller, r)
    }
    fn describe_log_groups(
        &self,
        caller: Caller,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        self.count();
        self.inner.describe_log_groups(caller, r)
    }
    fn describe_log_streams(
        &self,
        caller: Caller,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        self.count();
        self.inner.describe_log_streams(caller, r)
    }
    fn start_query(&self, caller: Caller, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.count();
        self.inner.start_query(caller, r)
    }
    fn get_query_results(&self, caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        self.count();
        self.inner.get_query_results(caller, id)
    }
    fn stop_query(&self, caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.count();
        self.inner.stop_query(caller, id)
    }
}
