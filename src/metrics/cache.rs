//! Metrics of the answer cache and single flight in front of CloudWatch
//! (`upstream::cache`): what reached it, what it answered itself, what it
//! passed on, and how much it holds.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::OperationLabels;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LookupLabels {
    pub(crate) operation: &'static str,
    /// `hit` (a kept answer), `coalesced` (waited for an identical call
    /// already on its way) or `miss` (made the call).
    pub(crate) outcome: &'static str,
}

pub(crate) struct CacheMetrics {
    /// CloudWatch requests made by the gateway, the tails and logward's
    /// upkeep, before the cache.
    pub(crate) requests: Family<OperationLabels, Counter>,
    pub(crate) lookups: Family<LookupLabels, Counter>,
    /// Calls passed on toward CloudWatch after the cache.
    pub(crate) calls: Family<OperationLabels, Counter>,
    pub(crate) bytes: Gauge,
    pub(crate) entries: Gauge,
}

impl CacheMetrics {
    pub(crate) fn register(registry: &mut Registry) -> Self {
        let requests = Family::<OperationLabels, Counter>::default();
        registry.register(
            "upstream_requests",
            "CloudWatch Logs requests by operation, before the cache and single flight",
            requests.clone(),
        );
        let lookups = Family::<LookupLabels, Counter>::default();
        registry.register(
            "cache_lookups",
            "Cacheable CloudWatch Logs requests by operation and outcome: hit, coalesced (joined an identical call \
             in flight) or miss",
            lookups.clone(),
        );
        let calls = Family::<OperationLabels, Counter>::default();
        registry.register(
            "upstream_calls",
            "CloudWatch Logs calls passed on by the cache, by operation",
            calls.clone(),
        );
        let bytes = Gauge::default();
        registry.register(
            "cache_bytes",
            "Approximate bytes of CloudWatch answers kept (LOGWARD_CACHE_MAX_BYTES bounds it)",
            bytes.clone(),
        );
        let entries = Gauge::default();
        registry.register("cache_entries", "CloudWatch answers kept", entries.clone());
        Self {
            requests,
            lookups,
            calls,
            bytes,
            entries,
        }
    }
}
