//! The data path, the same for every front door (REST under `/v1`, the AWS
//! JSON 1.1 endpoint on `POST /`, and Lambda events, which reach the same
//! server). A door adapts its
//! transport to these calls and renders what they return; everything in
//! between happens here:
//!
//! authenticate ([`Gateway::authenticate`]) → resolve the resource ARN(s)
//! (`domain::arn`) → authorize, pure ([`access`]) → unwrap and bind paging
//! tokens ([`paging`]) → call CloudWatch (`upstream`) → post-filter → audit
//! ([`call`]).
//!
//! One function per operation, typed request in, typed reply out; no HTTP or
//! SQL type crosses this boundary (query ownership sits behind
//! [`queries::QueryLedger`]).

pub(crate) mod access;
pub(crate) mod call;
pub(crate) mod events;
pub(crate) mod filter;
pub(crate) mod groups;
pub(crate) mod pager;
pub(crate) mod paging;
pub(crate) mod queries;
pub(crate) mod streams;
pub(crate) mod tail;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub(crate) use call::Call;

use crate::audit::AuditSink;
use crate::auth::Authenticator;
use crate::domain::ResourceScope;
use crate::metrics::Metrics;
use crate::paging::TokenKey;
use crate::tail::TailHub;
use crate::upstream::SharedUpstream;

/// Latest representable epoch millisecond accepted (year 9999).
pub(crate) const MAX_EPOCH_MS: i64 = 253_402_300_799_999;
/// Longest paging token accepted from a client.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Everything the data path needs, built once at start and shared.
pub(crate) struct Gateway {
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) upstream: SharedUpstream,
    /// The fixed part of every ARN: the gateway's region and account.
    pub(crate) scope: ResourceScope,
    pub(crate) tokens: TokenKey,
    pub(crate) audit: AuditSink,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) queries: Arc<dyn queries::QueryLedger>,
    pub(crate) tails: Arc<TailHub>,
    pub(crate) limits: Limits,
    /// Query starts in progress per tenant (see [`queries::StartGate`]).
    pub(crate) starting: queries::StartGate,
}

/// Per-tenant caps on expensive operations.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) max_queries_per_tenant: i64,
    pub(crate) max_tails_per_tenant: usize,
    /// How often open tails re-check their authorization.
    pub(crate) tail_recheck: std::time::Duration,
    /// False in the Lambda mode: a buffered, time-limited invocation cannot
    /// carry a live tail, so tails are refused (after authorization).
    pub(crate) tails_served: bool,
}

/// A front door's parse result: the gateway audits invalid requests too.
pub(crate) type Parsed<T> = Result<T, crate::error::ApiError>;
