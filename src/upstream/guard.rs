//! Wraps any [`LogsUpstream`] with the gateway's upstream discipline:
//! - a deadline for the whole call (`LOGWARD_UPSTREAM_TIMEOUT_MS`, 504 past it),
//!   which includes any wait for a slot and the SDK's retries;
//! - a bound on calls running at once (`LOGWARD_UPSTREAM_CONCURRENCY`). A
//!   connection pool opens a connection only when none is idle, so this also
//!   bounds the connections to CloudWatch (and their memory) to this many per
//!   pool (one pool per worker thread), however many clients are connected;
//!   calls beyond it wait for a slot;
//! - a cap on calls admitted at all, running or waiting
//!   (`LOGWARD_UPSTREAM_MAX_INFLIGHT`): a slow CloudWatch must not pile up
//!   unbounded work, so excess calls fail at once with 503;
//! - latency and error metrics. The latency includes any wait for a slot; a
//!   deadline reached while waiting counts as `queue_timeout`, not `timeout`,
//!   so local saturation is told apart from a slow CloudWatch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::Semaphore;

use super::*;
use crate::config::UpstreamSettings;
use crate::metrics::{Metrics, OperationLabels, UpstreamErrorLabels};

pub(crate) struct GuardedUpstream {
    inner: SharedUpstream,
    admitted: Semaphore,
    running: Semaphore,
    deadline: Duration,
    metrics: Arc<Metrics>,
}

impl GuardedUpstream {
    pub(crate) fn new(inner: SharedUpstream, settings: &UpstreamSettings, metrics: Arc<Metrics>) -> Self {
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
            let _inflight = Counted::new(&self.metrics.upstream_inflight);
            let started = Instant::now();
            let waiting = AtomicBool::new(false);
            let result = tokio::time::timeout(self.deadline, async {
                let _running = match self.running.try_acquire() {
                    Ok(permit) => permit,
                    Err(_) => {
                        let _queued = Counted::new(&self.metrics.upstream_queued);
                        waiting.store(true, Ordering::Relaxed);
                        // The semaphore is never closed.
                        let permit = self.running.acquire().await.map_err(|_| UpstreamError::Overloaded)?;
                        waiting.store(false, Ordering::Relaxed);
                        permit
                    }
                };
                call.await
            })
            .await;
            self.metrics
                .upstream_seconds
                .get_or_create(&OperationLabels { operation })
                .observe(started.elapsed().as_secs_f64());
            let result = match result {
                Ok(result) => result,
                Err(_) if waiting.load(Ordering::Relaxed) => {
                    self.error(operation, "queue_timeout");
                    return Err(UpstreamError::Timeout);
                }
                Err(_) => Err(UpstreamError::Timeout),
            };
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
/// Counts itself in a gauge while it lives, so the gauge also comes down when
/// a call is dropped half-way (the client went away).
struct Counted<'a>(&'a Gauge);

impl<'a> Counted<'a> {
    fn new(gauge: &'a Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl LogsUpstream for GuardedUpstream {
    fn get_log_events(
        &self,
        caller: Caller,
        r: GetLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        self.run("GetLogEvents", self.inner.get_log_events(caller, r))
    }
    fn filter_log_events(
        &self,
        caller: Caller,
        r: FilterLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        self.run("FilterLogEvents", self.inner.filter_log_events(caller, r))
    }
    fn describe_log_groups(
        &self,
        caller: Caller,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        self.run("DescribeLogGroups", self.inner.describe_log_groups(caller, r))
    }
    fn describe_log_streams(
        &self,
        caller: Caller,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        self.run("DescribeLogStreams", self.inner.describe_log_streams(caller, r))
    }
    fn start_query(&self, caller: Caller, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.run("StartQuery", self.inner.start_query(caller, r))
    }
    fn get_query_results(&self, caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        self.run("GetQueryResults", self.inner.get_query_results(caller, id))
    }
    fn stop_query(&self, caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.run("StopQuery", self.inner.stop_query(caller, id))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::FutureExt;

    use super::*;
    use crate::domain::names::{LogGroupName, LogStreamName};

    /// An upstream that never answers.
    struct Silent;

    fn never<'a, T: Send + 'a>() -> BoxFuture<'a, UpstreamResult<T>> {
        Box::pin(std::future::pending())
    }

    impl LogsUpstream for Silent {
        fn get_log_events(
            &self,
            _: Caller,
            _: GetLogEventsRequest,
        ) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
            never()
        }
        fn filter_log_events(
            &self,
            _: Caller,
            _: FilterLogEventsRequest,
        ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
            never()
        }
        fn describe_log_groups(
            &self,
            _: Caller,
            _: DescribeLogGroupsRequest,
        ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
            never()
        }
        fn describe_log_streams(
            &self,
            _: Caller,
            _: DescribeLogStreamsRequest,
        ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
            never()
        }
        fn start_query(&self, _: Caller, _: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
            never()
        }
        fn get_query_results(&self, _: Caller, _: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
            never()
        }
        fn stop_query(&self, _: Caller, _: String) -> BoxFuture<'_, UpstreamResult<bool>> {
            never()
        }
    }

    fn request() -> GetLogEventsRequest {
        GetLogEventsRequest {
            group: LogGroupName::parse("/g").unwrap(),
            stream: LogStreamName::parse("s").unwrap(),
            start_time: None,
            end_time: None,
            limit: None,
            next_token: None,
            start_from_head: None,
        }
    }

    #[tokio::test]
    async fn calls_dropped_half_way_leave_the_gauges_where_they_were() {
        let metrics = Arc::new(Metrics::new());
        let settings = UpstreamSettings {
            account_id: None,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(60),
            max_attempts: 1,
            max_inflight: 4,
            concurrency: 1,
            cache_max_bytes: 0,
        };
        let guard = GuardedUpstream::new(Arc::new(Silent), &settings, metrics.clone());
        let mut running = guard.get_log_events(Caller::Logward, request());
        let mut waiting = guard.get_log_events(Caller::Logward, request());
        assert!((&mut running).now_or_never().is_none());
        assert!((&mut waiting).now_or_never().is_none());
        assert_eq!((metrics.upstream_inflight.get(), metrics.upstream_queued.get()), (2, 1));
        // The clients go away.
        drop(waiting);
        drop(running);
        assert_eq!((metrics.upstream_inflight.get(), metrics.upstream_queued.get()), (0, 0));
        // And the slot is free again.
        let mut next = guard.get_log_events(Caller::Logward, request());
        assert!((&mut next).now_or_never().is_none());
        assert_eq!(metrics.upstream_queued.get(), 0, "the slot was returned");
    }

    #[tokio::test]
    async fn a_deadline_reached_while_waiting_for_a_slot_is_a_queue_timeout() {
        let metrics = Arc::new(Metrics::new());
        let settings = UpstreamSettings {
            account_id: None,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_millis(50),
            max_attempts: 1,
            max_inflight: 4,
            concurrency: 1,
            cache_max_bytes: 0,
        };
        let guard = GuardedUpstream::new(Arc::new(Silent), &settings, metrics.clone());
        let mut running = guard.get_log_events(Caller::Logward, request());
        assert!((&mut running).now_or_never().is_none());
        let waited = guard.get_log_events(Caller::Logward, request()).await;
        assert!(matches!(waited, Err(UpstreamError::Timeout)), "{waited:?}");
        let count = |kind| {
            metrics
                .upstream_errors
                .get_or_create(&UpstreamErrorLabels {
                    operation: "GetLogEvents",
                    kind,
                })
                .get()
        };
        assert_eq!((count("queue_timeout"), count("timeout")), (1, 0));
        // The running call reaches its own deadline as a plain timeout.
        assert!(matches!(running.await, Err(UpstreamError::Timeout)));
        assert_eq!((count("queue_timeout"), count("timeout")), (1, 1));
    }
}
