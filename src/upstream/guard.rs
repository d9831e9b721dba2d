//! Wraps any [`LogsUpstream`] with the gateway's upstream discipline:
//! - a deadline for the whole call (`LOGWARD_UPSTREAM_TIMEOUT_MS`, 504 past it),
//!   which includes any wait for a slot and the SDK's retries;
//! - a bound on calls running at once (`LOGWARD_UPSTREAM_CONCURRENCY`). The
//!   shared client opens a connection only when none is idle, so this also
//!   bounds the connections to CloudWatch (and their memory) however many
//!   clients are connected; calls beyond it wait for a slot;
//! - a cap on calls admitted at all, running or waiting
//!   (`LOGWARD_UPSTREAM_MAX_INFLIGHT`): a slow CloudWatch must not pile up
//!   unbounded work, so excess calls fail at once with 503;
//! - latency and error metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use tokio::sync::Semaphore;

use super::*;
use crate::config::UpstreamSettings;
use crate::metrics::{Metrics, OperationLabels, UpstreamErrorLabels};

pub struct GuardedUpstream {
    inner: SharedUpstream,
    admitted: Semaphore,
    running: Semaphore,
    deadline: Duration,
    metrics: Arc<Metrics>,
}

impl GuardedUpstream {
    pub fn new(inner: SharedUpstream, settings: &UpstreamSettings, metrics: Arc<Metrics>) -> Self {
        Self {
            inner,
            admitted: Semaphore::new(settings.max_inflight),
            running: Semaphore::new(settings.concurrency),
            deadline: settings.request_timeout,
            metrics,
        }
    }

    fn run<'a, T: Send + 'a>(
        &'a self,
        operation: &'static str,
        call: BoxFuture<'a, UpstreamResult<T>>,
    ) -> BoxFuture<'a, UpstreamResult<T>> {
        Box::pin(async move {
            let Ok(_admitted) = self.admitted.try_acquire() else {
                self.error(operation, "overloaded");
                return Err(UpstreamError::Overloaded);
            };
            self.metrics.upstream_inflight.inc();
            let started = Instant::now();
            let result = tokio::time::timeout(self.deadline, async {
                let _running = match self.running.try_acquire() {
                    Ok(permit) => permit,
                    Err(_) => {
                        self.metrics.upstream_queued.inc();
                        let waited = self.running.acquire().await;
                        self.metrics.upstream_queued.dec();
                        // The semaphore is never closed.
                        waited.map_err(|_| UpstreamError::Overloaded)?
                    }
                };
                call.await
            })
            .await
            .unwrap_or(Err(UpstreamError::Timeout));
            self.metrics.upstream_inflight.dec();
            self.metrics
                .upstream_seconds
                .get_or_create(&OperationLabels { operation })
                .observe(started.elapsed().as_secs_f64());
            if let Err(e) = &result {
                self.error(operation, e.kind());
            }
            result
        })
    }

    fn error(&self, operation: &'static str, kind: &'static str) {
        self.metrics
            .upstream_errors
            .get_or_create(&UpstreamErrorLabels { operation, kind })
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
