//! The account's CloudWatch quota, shared: each operation gets a budget of
//! calls per second (the account's quota × `LOGWARD_UPSTREAM_QUOTA_SHARE`,
//! divided among the live instances), callers take turns fairly when it is
//! short, a call that cannot get a turn within `LOGWARD_UPSTREAM_QUEUE_WAIT_MS`
//! is refused (429 with `Retry-After`) without reaching CloudWatch, and
//! ThrottlingExceptions lower the budget until CloudWatch stops throttling.
//!
//! It sits below the cache (a hit or a coalesced call costs no budget) and
//! above [`GuardedUpstream`](super::guard::GuardedUpstream).

mod quota;
mod scheduler;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use futures_util::future::BoxFuture;

pub(crate) use self::scheduler::{NoTurn, Scheduler};
use super::*;
use crate::config::QuotaSettings;
use crate::domain::Action;
use crate::metrics::{BudgetRejectionLabels, Metrics, OperationLabels};

/// The per-operation budgets of this instance.
pub(crate) struct Budget {
    schedulers: Vec<(Action, Arc<Scheduler>)>,
    /// Live instances sharing the account (from heartbeats; at least 1).
    instances: Arc<AtomicU32>,
    metrics: Arc<Metrics>,
}

impl Budget {
    /// Budgets for `region` from the shipped table, the operator's
    /// overrides and share. Starts a dispatcher task per operation.
    pub(crate) fn new(region: &str, settings: &QuotaSettings, metrics: Arc<Metrics>) -> Arc<Self> {
        let instances = Arc::new(AtomicU32::new(1));
        let schedulers = Action::ALL
            .into_iter()
            .map(|action| {
                let quota = settings
                    .overrides
                    .iter()
                    .find(|(a, _)| *a == action)
                    .map_or_else(|| quota::shipped(region, action), |(_, q)| *q);
                let scheduler = Scheduler::start(quota * settings.share, instances.clone(), settings.max_wait);
                (action, scheduler)
            })
            .collect();
        let budget = Arc::new(Self {
            schedulers,
            instances,
            metrics,
        });
        budget.publish();
        budget
    }

    /// How many instances share the account now.
    pub(crate) fn set_instances(&self, n: u32) {
        self.instances.store(n.max(1), Ordering::Relaxed);
        self.metrics.upstream_instances.set(i64::from(n.max(1)));
        self.publish();
    }

    fn scheduler(&self, action: Action) -> &Scheduler {
        // Every action has a scheduler: `new` made one for each of ALL.
        let index = Action::ALL.iter().position(|a| *a == action).unwrap_or_default();
        &self.schedulers[index].1
    }

    /// Sets the budget gauges to the current rates.
    fn publish(&self) {
        for (action, scheduler) in &self.schedulers {
            self.publish_one(*action, scheduler);
        }
    }

    /// Sets the gauges of one operation (after each of its calls: the rate
    /// moves only when CloudWatch throttles or the budget recovers).
    fn publish_one(&self, action: Action, scheduler: &Scheduler) {
        let labels = OperationLabels {
            operation: action.operation(),
        };
        self.metrics
            .upstream_budget
            .get_or_create(&labels)
            .set(scheduler.rate());
        self.metrics
            .upstream_budget_factor
            .get_or_create(&labels)
            .set(scheduler.factor());
    }

    /// Runs `call` in a turn of `caller` on `action`'s budget.
    async fn within<T>(
        &self,
        action: Action,
        caller: &Caller,
        call: impl Future<Output = UpstreamResult<T>>,
    ) -> UpstreamResult<T> {
        let scheduler = self.scheduler(action);
        let operation = action.operation();
        let waited = Instant::now();
        if let Err(NoTurn { retry_after }) = scheduler.turn(caller).await {
            self.metrics
                .upstream_budget_rejections
                .get_or_create(&BudgetRejectionLabels {
                    operation,
                    caller: caller_label(caller),
                })
                .inc();
            return Err(UpstreamError::OverBudget {
                retry_after_secs: retry_after.as_secs().max(1),
            });
        }
        self.metrics
            .upstream_budget_wait_seconds
            .get_or_create(&OperationLabels { operation })
            .observe(waited.elapsed().as_secs_f64());
        let result = call.await;
        if matches!(result, Err(UpstreamError::Throttled)) {
            scheduler.throttled();
            tracing::info!(
                operation,
                rate = scheduler.rate(),
                "CloudWatch throttled a call; budget lowered"
            );
        }
        self.publish_one(action, scheduler);
        result
    }
}

fn caller_label(caller: &Caller) -> String {
    match caller {
        Caller::Tenant(id) => id.to_string(),
        Caller::Tails => "(tails)".to_owned(),
        Caller::Logward => "(logward)".to_owned(),
    }
}

/// A [`LogsUpstream`] whose calls each wait for a turn of the budget.
pub(crate) struct BudgetedUpstream {
    inner: SharedUpstream,
    budget: Arc<Budget>,
}

impl BudgetedUpstream {
    pub(crate) fn new(inner: SharedUpstream, budget: Arc<Budget>) -> Self {
        Self { inner, budget }
    }

    /// `call` is made only once the turn is granted.
    fn run<'a, T: Send + 'a>(
        &'a self,
        action: Action,
        caller: Caller,
        call: impl FnOnce(&'a dyn LogsUpstream, Caller) -> BoxFuture<'a, UpstreamResult<T>> + Send + 'a,
    ) -> BoxFuture<'a, UpstreamResult<T>> {
        Box::pin(async move {
            let budget = &self.budget;
            budget
                .within(action, &caller, async {
                    call(self.inner.as_ref(), caller.clone()).await
                })
                .await
        })
    }
}

impl LogsUpstream for BudgetedUpstream {
    fn get_log_events(
        &self,
        caller: Caller,
        r: GetLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        self.run(Action::GetLogEvents, caller, move |inner, caller| {
            inner.get_log_events(caller, r)
        })
    }
    fn filter_log_events(
        &self,
        caller: Caller,
        r: FilterLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        self.run(Action::FilterLogEvents, caller, move |inner, caller| {
            inner.filter_log_events(caller, r)
        })
    }
    fn describe_log_groups(
        &self,
        caller: Caller,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        self.run(Action::DescribeLogGroups, caller, move |inner, caller| {
            inner.describe_log_groups(caller, r)
        })
    }
    fn describe_log_streams(
        &self,
        caller: Caller,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        self.run(Action::DescribeLogStreams, caller, move |inner, caller| {
            inner.describe_log_streams(caller, r)
        })
    }
    fn start_query(&self, caller: Caller, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.run(Action::StartQuery, caller, move |inner, caller| {
            inner.start_query(caller, r)
        })
    }
    fn get_query_results(&self, caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        self.run(Action::GetQueryResults, caller, move |inner, caller| {
            inner.get_query_results(caller, id)
        })
    }
    fn stop_query(&self, caller: Caller, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.run(Action::StopQuery, caller, move |inner, caller| {
            inner.stop_query(caller, id)
        })
    }
}

#[cfg(test)]
mod tests;
