//! Prometheus metrics (`GET /metrics`). Counters and histograms are updated
//! where things happen; gauges that describe state (cache age, audit buffer,
//! open tails) are read when scraped.

pub(crate) mod cache;

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) route: String,
    pub(crate) method: &'static str,
    pub(crate) status: u16,
    pub(crate) tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub(crate) route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OperationLabels {
    pub(crate) operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct UpstreamErrorLabels {
    pub(crate) operation: &'static str,
    pub(crate) kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct BudgetRejectionLabels {
    pub(crate) operation: &'static str,
    /// A tenant id, `(tails)` or `(logward)`.
    pub(crate) caller: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct DecisionLabels {
    pub(crate) action: &'static str,
    pub(crate) decision: &'static str,
    pub(crate) reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ResultLabels {
    pub(crate) result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LimitLabels {
    pub(crate) scope: String,
    pub(crate) tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct TenantLabels {
    pub(crate) tenant: String,
}

pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) requests: Family<RequestLabels, Counter>,
    pub(crate) request_seconds: Family<RouteLabels, Histogram>,
    pub(crate) upstream_seconds: Family<OperationLabels, Histogram>,
    pub(crate) upstream_errors: Family<UpstreamErrorLabels, Counter>,
    pub(crate) upstream_inflight: Gauge,
    pub(crate) upstream_queued: Gauge,
    pub(crate) upstream_budget: Family<OperationLabels, Gauge<f64, AtomicU64>>,
    pub(crate) upstream_budget_factor: Family<OperationLabels, Gauge<f64, AtomicU64>>,
    pub(crate) upstream_budget_wait_seconds: Family<OperationLabels, Histogram>,
    pub(crate) upstream_budget_rejections: Family<BudgetRejectionLabels, Counter>,
    pub(crate) upstream_instances: Gauge,
    pub(crate) decisions: Family<DecisionLabels, Counter>,
    pub(crate) directory_reloads: Family<ResultLabels, Counter>,
    directory_age_seconds: Gauge<f64, AtomicU64>,
    pub(crate) rate_limited: Family<LimitLabels, Counter>,
    /// Remaining burst capacity of each tenant's bucket, as of its last request.
    pub(crate) rate_limit_remaining: Family<TenantLabels, Gauge>,
    audit_buffered: Gauge,
    audit_dropped: Counter,
    tails_open: Gauge,
    tail_pollers: Gauge,
    log_lines_dropped: Counter,
    pub(crate) cache: cache::CacheMetrics,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms .. ~33 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 17))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("logward");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, method, status and tenant",
            requests.clone(),
        );
        let request_seconds =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request",
            request_seconds.clone(),
        );
        let upstream_seconds =
            Family::<OperationLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "upstream_duration_seconds",
            "Time of CloudWatch Logs calls",
            upstream_seconds.clone(),
        );
        let upstream_errors = Family::<UpstreamErrorLabels, Counter>::default();
        registry.register(
            "upstream_errors",
            "Failed CloudWatch Logs calls by kind",
            upstream_errors.clone(),
        );
        let upstream_inflight = Gauge::default();
        registry.register(
            "upstream_inflight",
            "CloudWatch Logs calls admitted: running or waiting for a slot",
            upstream_inflight.clone(),
        );
        let upstream_queued = Gauge::default();
        registry.register(
            "upstream_queued",
            "CloudWatch Logs calls waiting for a slot (LOGWARD_UPSTREAM_CONCURRENCY)",
            upstream_queued.clone(),
        );
        let upstream_budget = Family::<OperationLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "upstream_budget_calls_per_second",
            "CloudWatch Logs calls per second this instance may make, per operation (its share of the quota)",
            upstream_budget.clone(),
        );
        let upstream_budget_factor = Family::<OperationLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "upstream_budget_factor",
            "Part of the configured budget in use after throttling (1: none lately)",
            upstream_budget_factor.clone(),
        );
        let upstream_budget_wait_seconds =
            Family::<OperationLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "upstream_budget_wait_seconds",
            "Time CloudWatch Logs calls waited for a turn of the budget",
            upstream_budget_wait_seconds.clone(),
        );
        let upstream_budget_rejections = Family::<BudgetRejectionLabels, Counter>::default();
        registry.register(
            "upstream_budget_rejections",
            "Calls refused (429) for want of a turn within LOGWARD_UPSTREAM_QUEUE_WAIT_MS, per caller",
            upstream_budget_rejections.clone(),
        );
        let upstream_instances = Gauge::default();
        registry.register(
            "upstream_instances",
            "logward instances sharing the account's CloudWatch quota (from heartbeats)",
            upstream_instances.clone(),
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "decisions",
            "Authorization decisions by action, outcome and reason",
            decisions.clone(),
        );
        let directory_reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "directory_reloads",
            "Tenant directory reloads from the database",
            directory_reloads.clone(),
        );
        let directory_age_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "directory_age_seconds",
            "Seconds since the tenant directory was last confirmed current",
            directory_age_seconds.clone(),
        );
        let rate_limited = Family::<LimitLabels, Counter>::default();
        registry.register("rate_limited", "Requests refused by a rate limit", rate_limited.clone());
        let rate_limit_remaining = Family::<TenantLabels, Gauge>::default();
        registry.register(
            "rate_limit_remaining",
            "Requests a tenant may still burst before its limit applies",
            rate_limit_remaining.clone(),
        );
        let audit_buffered = Gauge::default();
        registry.register(
            "audit_buffered",
            "Audit events waiting to be written",
            audit_buffered.clone(),
        );
        let audit_dropped = Counter::default();
        registry.register(
            "audit_dropped",
            "Audit events lost: the queue or backlog was full, or the database refused a row for its content",
            audit_dropped.clone(),
        );
        let tails_open = Gauge::default();
        registry.register("tails_open", "Open live tails", tails_open.clone());
        let tail_pollers = Gauge::default();
        registry.register(
            "tail_pollers",
            "Upstream pollers serving live tails",
            tail_pollers.clone(),
        );
        let log_lines_dropped = Counter::default();
        registry.register(
            "log_lines_dropped",
            "Log lines dropped because the log writer fell behind",
            log_lines_dropped.clone(),
        );
        let cache = cache::CacheMetrics::register(&mut registry);
        Self {
            registry,
            requests,
            request_seconds,
            upstream_seconds,
            upstream_errors,
            upstream_inflight,
            upstream_queued,
            upstream_budget,
            upstream_budget_factor,
            upstream_budget_wait_seconds,
            upstream_budget_rejections,
            upstream_instances,
            decisions,
            directory_reloads,
            directory_age_seconds,
            rate_limited,
            rate_limit_remaining,
            audit_buffered,
            audit_dropped,
            tails_open,
            tail_pollers,
            log_lines_dropped,
            cache,
        }
    }

    pub(crate) fn decision(&self, action: &'static str, decision: &'static str, reason: &'static str) {
        self.decisions
            .get_or_create(&DecisionLabels {
                action,
                decision,
                reason,
            })
            .inc();
    }

    /// Prometheus text with the state gauges brought up to date.
    pub(crate) fn render(&self, snapshot: Snapshot) -> String {
        self.directory_age_seconds
            .set(snapshot.directory_age.as_secs_f64().min(1e12));
        for (result, total) in [
            ("ok", snapshot.directory_reloads.0),
            ("failed", snapshot.directory_reloads.1),
        ] {
            let counter = self.directory_reloads.get_or_create(&ResultLabels {
                result: result.to_owned(),
            });
            let seen = counter.get();
            if total > seen {
                counter.inc_by(total - seen);
            }
        }
        self.audit_buffered.set(snapshot.audit_buffered as i64);
        let dropped = self.audit_dropped.get();
        if snapshot.audit_dropped > dropped {
            self.audit_dropped.inc_by(snapshot.audit_dropped - dropped);
        }
        self.tails_open.set(snapshot.tails_open as i64);
        self.tail_pollers.set(snapshot.tail_pollers as i64);
        let dropped = self.log_lines_dropped.get();
        if snapshot.log_lines_dropped > dropped {
            self.log_lines_dropped.inc_by(snapshot.log_lines_dropped - dropped);
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            return String::new();
        }
        out
    }
}

/// State read at scrape time.
pub(crate) struct Snapshot {
    pub(crate) directory_age: Duration,
    /// (successful, failed) reloads so far.
    pub(crate) directory_reloads: (u64, u64),
    pub(crate) audit_buffered: usize,
    pub(crate) audit_dropped: u64,
    pub(crate) tails_open: usize,
    pub(crate) tail_pollers: usize,
    pub(crate) log_lines_dropped: u64,
}
