//! Single flight and a short cache of CloudWatch answers, below the gateway
//! (every request is authorized before it gets here) and above the account
//! budget, so a kept answer or a joined call costs no quota.
//!
//! - **Single flight**: identical requests in flight at once make one call;
//!   everyone waiting gets its answer, errors included.
//! - **Cache**: an answer is kept as long as what it covers allows
//!   ([`ttl::Class`]); errors are not kept (a not-found for a second).
//! - The key is the request as sent to CloudWatch ([`key::Key`]), never who
//!   asks: tenants asking the same thing share one answer. That is safe
//!   because the gateway authorizes each request before, filters what it
//!   returns after, and seals paging tokens per tenant above this layer.
//!   A joined call is made on behalf of (and charged to) the caller whose
//!   request started it.
//! - Memory is bounded by weight (approximate bytes, `LOGWARD_CACHE_MAX_BYTES`);
//!   0 keeps nothing but still joins identical calls in flight.
//!
//! Freshness is judged on tokio's clock (so tests can move it); moka's own
//! expiry, set to the same durations, frees the memory.

mod key;
#[cfg(test)]
mod tests;
mod ttl;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;
use moka::Expiry;
use moka::future::Cache;
use tokio::time::Instant;

use self::key::{Answer, Cacheable, Key};
use self::ttl::Class;
use super::*;
use crate::metrics::cache::LookupLabels;
use crate::metrics::{Metrics, OperationLabels};

/// A [`LogsUpstream`] that answers from its cache or joins identical calls in
/// flight before passing a call on to `inner`.
pub(crate) struct CachedUpstream {
    inner: SharedUpstream,
    cache: Cache<Key, Arc<Stored>>,
    /// Whether answers are kept at all (`LOGWARD_CACHE_MAX_BYTES` > 0).
    keep: bool,
    /// Bumped on every change of any tenant's access rules.
    rules_epoch: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
}

/// An outcome as kept, with when it stops being usable.
struct Stored {
    outcome: Result<Answer, UpstreamError>,
    ttl: Duration,
    fresh_until: Instant,
    weight: u32,
    /// The access rules' epoch when it was fetched.
    epoch: u64,
}

impl Stored {
    /// Kept answers last their class's time, and never past a change of any
    /// tenant's access rules: a group deleted and re-created for another
    /// tenant (whose policy must change to reach it) is asked about afresh.
    fn is_fresh(&self, now: Instant, epoch: u64) -> bool {
        !self.ttl.is_zero() && now < self.fresh_until && self.epoch == epoch
    }

    fn read<T: Cacheable>(&self) -> UpstreamResult<T> {
        match &self.outcome {
            // The key decides the answer's kind; a mismatch cannot be built.
            Ok(answer) => T::from_answer(answer).ok_or_else(|| UpstreamError::Failure("cache: wrong answer".into())),
            Err(e) => Err(e.clone()),
        }
    }
}

/// Lets moka drop each entry when its class says so.
struct ByClass;

impl Expiry<Key, Arc<Stored>> for ByClass {
    fn expire_after_create(&self, _: &Key, value: &Arc<Stored>, _: std::time::Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _: &Key,
        value: &Arc<Stored>,
        _: std::time::Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

impl CachedUpstream {
    /// `rules_epoch` changes whenever any tenant's access rules change
    /// (`auth::Directory::rules_epoch`); what was kept before is not used after.
    pub(crate) fn new(
        inner: SharedUpstream,
        max_bytes: u64,
        rules_epoch: Arc<AtomicU64>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_: &Key, value: &Arc<Stored>| value.weight)
            .expire_after(ByClass)
            .build();
        Self {
            inner,
            cache,
            keep: max_bytes > 0,
            rules_epoch,
            metrics,
        }
    }

    fn epoch(&self) -> u64 {
        self.rules_epoch.load(Ordering::Acquire)
    }

    /// The answer to `key`: kept, joined, or from `call` (made at most once).
    async fn lookup<'a, T, F>(&'a self, key: Key, call: F) -> UpstreamResult<T>
    where
        T: Cacheable,
        F: Fn() -> BoxFuture<'a, UpstreamResult<T>> + Send + Sync,
    {
        let operation = key.operation();
        self.requested(operation);
        if let Some(stored) = self.cache.get(&key).await
            && stored.is_fresh(Instant::now(), self.epoch())
        {
            self.looked_up(operation, "hit");
            return stored.read();
        }
        let called = AtomicBool::new(false);
        let asked = key.clone();
        // Read before the call: a change of rules while it runs makes the
        // answer stale at once.
        let epoch = self.epoch();
        let init = async {
            called.store(true, Ordering::Relaxed);
            self.passed_on(operation);
            let outcome = call().await.map(Cacheable::into_answer);
            self.store(&asked, outcome, epoch)
        };
        let entry = self
            .cache
            .entry(key)
            .or_insert_with_if(init, |stored| !stored.is_fresh(Instant::now(), self.epoch()))
            .await;
        let outcome = match called.load(Ordering::Relaxed) {
            true => "miss",
            false => "coalesced",
        };
        self.looked_up(operation, outcome);
        let answer = entry.into_value().read();
        if outcome == "coalesced" && matches!(answer, Err(UpstreamError::OverBudget { .. })) {
            // The call this one joined got no turn of its caller's budget
            // (another tenant's queue): this caller takes a turn of its own.
            self.passed_on(operation);
            return call().await;
        }
        answer
    }

    fn store(&self, key: &Key, outcome: Result<Answer, UpstreamError>, epoch: u64) -> Arc<Stored> {
        let class = Class::of(key, &outcome, chrono::Utc::now().timestamp_millis());
        let ttl = if self.keep { class.ttl() } else { Duration::ZERO };
        let answer_weight = outcome.as_ref().map_or(64, Answer::weight);
        let weight = (128 + key.weight() + answer_weight).min(u32::MAX as usize) as u32;
        Arc::new(Stored {
            outcome,
            ttl,
            fresh_until: Instant::now() + ttl,
            weight,
            epoch,
        })
    }

    /// A call that is never cached nor joined.
    fn pass<'a, T: Send + 'a>(
        &'a self,
        operation: &'static str,
        call: impl FnOnce() -> BoxFuture<'a, UpstreamResult<T>>,
    ) -> BoxFuture<'a, UpstreamResult<T>> {
        self.requested(operation);
        self.passed_on(operation);
        call()
    }

    fn requested(&self, operation: &'static str) {
        self.metrics
            .cache
            .requests
            .get_or_create(&OperationLabels { operation })
            .inc();
    }

    fn passed_on(&self, operation: &'static str) {
        self.metrics
            .cache
            .calls
            .get_or_create(&OperationLabels { operation })
            .inc();
    }

    fn looked_up(&self, operation: &'static str, outcome: &'static str) {
        let cache = &self.metrics.cache;
        cache.lookups.get_or_create(&LookupLabels { operation, outcome }).inc();
        // moka's counts lag its pending writes a little; close enough here.
        cache.bytes.set(self.cache.weighted_size() as i64);
        cache.entries.set(self.cache.entry_count() as i64);
    }
}

impl LogsUpstream for CachedUpstream {
    fn get_log_events(
        &self,
        caller: Caller,
        r: GetLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        let key = Key::GetLogEvents(r.clone());
        Box::pin(self.lookup(key, move || self.inner.get_log_events(caller.clone(), r.clone())))
    }
    fn filter_log_events(
        &self,
        caller: Caller,
        r: FilterLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        let key = Key::FilterLogEvents(r.clone());
        Box::pin(self.lookup(key, move || self.inner.filter_log_events(caller.clone(), r.clone())))
    }
    fn describe_log_groups(
        &self,
        caller: Caller,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        let key = Key::DescribeLogGroups(r.clone());
        Box::pin(self.lookup(key, move || self.inner.describe_log_groups(caller.clone(), r.clone())))
    }
    fn describe_log_streams(
        &self,
        caller: Caller,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        let key = Key::DescribeLogStreams(r.clone());
        Box::pin(self.lookup(key, move || self.inner.describe_log_streams(caller.clone(), r.clone())))
    }
    fn start_query(&self, caller: Caller, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.pass("StartQuery", move || self.inner.start_query(caller, r))
    }
    fn get_query_results(&self, caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        let key = Key::GetQueryResults(id.clone());
        Box::pin(self.lookup(key, move || self.inner.get_query_results(caller.clone(), id.clone())))
    }
    fn stop_query(&self, caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        // A kept "Running" would outlive the stop by up to a second.
        let results = Key::GetQueryResults(id.clone());
        let stop = self.pass("StopQuery", move || self.inner.stop_query(caller, id));
        Box::pin(async move {
            let stopped = stop.await;
            self.cache.invalidate(&results).await;
            stopped
        })
    }
}
