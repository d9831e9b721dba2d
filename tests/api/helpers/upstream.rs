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
    fn get_log_events(&self, r: GetLogEventsRequest) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        self.count();
        self.inner.get_log_events(r)
    }
    fn filter_log_events(&self, r: FilterLogEventsRequest) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        self.count();
        self.inner.filter_log_events(r)
    }
    fn describe_log_groups(
        &self,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        self.count();
        self.inner.describe_log_groups(r)
    }
    fn describe_log_streams(
        &self,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        self.count();
        self.inner.describe_log_streams(r)
    }
    fn start_query(&self, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.count();
        self.inner.start_query(r)
    }
    fn get_query_results(&self, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        self.count();
        self.inner.get_query_results(id)
    }
    fn stop_query(&self, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.count();
        self.inner.stop_query(id)
    }
}
