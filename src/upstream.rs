//! The CloudWatch Logs side. Handlers talk to [`LogsUpstream`], a small trait,
//! so a stub can stand in for benchmarks and for faults the emulator cannot
//! produce. Requests carry only validated names (never caller-shaped
//! identifiers); responses are plain structs.

pub(crate) mod budget;
pub(crate) mod cache;
pub mod cloudwatch;
pub mod guard;
mod http_client;
mod types;

use std::sync::Arc;

use futures_util::future::BoxFuture;

pub use types::*;

pub type UpstreamResult<T> = Result<T, UpstreamError>;

pub trait LogsUpstream: Send + Sync + 'static {
    fn get_log_events(
        &self,
        caller: Caller,
        request: GetLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>>;
    fn filter_log_events(
        &self,
        caller: Caller,
        request: FilterLogEventsRequest,
    ) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>>;
    fn describe_log_groups(
        &self,
        caller: Caller,
        request: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>>;
    fn describe_log_streams(
        &self,
        caller: Caller,
        request: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>>;
    fn start_query(&self, caller: Caller, request: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>>;
    fn get_query_results(&self, caller: Caller, query_id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>>;
    fn stop_query(&self, caller: Caller, query_id: String) -> BoxFuture<'_, UpstreamResult<bool>>;
}

pub type SharedUpstream = Arc<dyn LogsUpstream>;

/// On whose behalf a CloudWatch call is made: the account's quota is shared
/// fairly among tenants, and logward's own calls are told apart from theirs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A tenant's request (its id).
    Tenant(Arc<str>),
    /// The shared tail pollers, on behalf of every subscriber.
    Tails,
    /// logward's own upkeep: the Insights sweep, an operator's clear.
    Logward,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("throttled by CloudWatch Logs")]
    Throttled,
    #[error("CloudWatch Logs did not answer in time")]
    Timeout,
    #[error("too many CloudWatch Logs calls in flight")]
    Overloaded,
    #[error("{0}")]
    Failure(String),
    /// No turn of this operation's budget within the queue wait: never sent.
    #[error("the CloudWatch Logs budget of this operation is spent; retry in {retry_after_secs} s")]
    OverBudget { retry_after_secs: u64 },
}

impl UpstreamError {
    /// Whether CloudWatch provably did not act on the request (it refused
    /// it, or it never left this process).
    pub fn proves_nothing_started(&self) -> bool {
        matches!(
            self,
            UpstreamError::NotFound(_)
                | UpstreamError::InvalidRequest(_)
                | UpstreamError::Throttled
                | UpstreamError::Overloaded
                | UpstreamError::OverBudget { .. }
        )
    }

    /// Short stable word for metrics.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            UpstreamError::NotFound(_) => "not_found",
            UpstreamError::InvalidRequest(_) => "invalid_request",
            UpstreamError::Throttled => "throttled",
            UpstreamError::Timeout => "timeout",
            UpstreamError::Overloaded => "overloaded",
            UpstreamError::Failure(_) => "failure",
            UpstreamError::OverBudget { .. } => "over_budget",
        }
    }
}
