//! Wraps any [`LogsUpstream`] with the gateway's upstream discipline: a global
//! cap on calls in flight (a slow CloudWatch must not pile up unbounded work;
//! excess calls fail at once with 503), and latency and error metrics.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use tokio::sync::Semaphore;

use super::*;
use crate::metrics::{Metrics, OperationLabels, UpstreamErrorLabels};

pub struct GuardedUpstream {
    inner: SharedUpstream,
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

impl GuardedUpstream {
    pub fn new(inner: SharedUpstream, max_inflight: usize, metrics: Arc<Metrics>) -> Self {
        Self {
            inner,
            permits: Arc::new(Semaphore::new(max_inflight)),
            metrics,
        }
    }

    fn run<'a, T: Send + 'a>(
        &'a self,
        operation: &'static str,
        call: BoxFuture<'a, UpstreamResult<T>>,
    ) -> BoxFuture<'a, UpstreamResult<T>> {
        Box::pin(async move {
            let Ok(_permit) = self.permits.try_acquire() else {
                self.error(operation, "overloaded");
                return Err(UpstreamError::Overloaded);
            };
            self.metrics.upstream_inflight.inc();
            let started = Instant::now();
            let result = call.await;
            self.metrics.upstream_inflight.dec();
            self.metrics
                .upstream_seconds
                .get_or_create(&OperationLabels {
                    operation: operation.to_owned(),
                })
                .observe(started.elapsed().as_secs_f64());
            if let Err(e) = &result {
                self.error(operation, e.kind());
            }
            result
        })
    }

    fn error(&self, operation: &str, kind: &str) {
        self.metrics
            .upstream_errors
            .get_or_create(&UpstreamErrorLabels {
                operation: operation.to_owned(),
                kind: kind.to_owned(),
            })
            .inc();
    }
}

impl LogsUpstream for GuardedUpstream {
    fn get_log_events(&self, r: GetLogEventsRequest) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        self.run("GetLogEvents", self.inner.get_log_events(r))
    }
    fn filter_log_events(&self, r: FilterLogEventsRequest) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        self.run("FilterLogEvents", self.inner.filter_log_events(r))
    }
    fn describe_log_groups(
        &self,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        self.run("DescribeLogGroups", self.inner.describe_log_groups(r))
    }
    fn describe_log_streams(
        &self,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        self.run("DescribeLogStreams", self.inner.describe_log_streams(r))
    }
    fn start_query(&self, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.run("StartQuery", self.inner.start_query(r))
    }
    fn get_query_results(&self, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        self.run("GetQueryResults", self.inner.get_query_results(id))
    }
    fn stop_query(&self, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.run("StopQuery", self.inner.stop_query(id))
    }
}
