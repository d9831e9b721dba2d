//! The data path, the same for every front door (REST today; the AWS JSON
//! 1.1 endpoint and Lambda next). A door adapts its transport to these
//! calls and renders what they return; everything in between happens here:
//!
//! authenticate ([`Gateway::authenticate`]) → resolve the resource ARN(s)
//! (`domain::arn`) → authorize, pure ([`access`]) → unwrap and bind paging
//! tokens ([`paging`]) → call CloudWatch (`upstream`) → post-filter → audit
//! ([`call`]).
//!
//! One function per operation, typed request in, typed reply out; no HTTP or
//! SQL type crosses this boundary (query ownership sits behind
//! [`queries::QueryLedger`]).

pub mod access;
pub mod call;
pub mod events;
pub mod filter;
pub mod groups;
pub mod pager;
pub mod paging;
pub mod queries;
pub mod streams;
pub mod tail;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use call::Call;

use crate::audit::AuditSink;
use crate::auth::Authenticator;
use crate::domain::ResourceScope;
use crate::metrics::Metrics;
use crate::paging::TokenKey;
use crate::tail::TailHub;
use crate::upstream::SharedUpstream;

/// Latest representable epoch millisecond accepted (year 9999).
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;
/// Longest paging token accepted from a client.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Everything the data path needs, built once at start and shared.
pub struct Gateway {
    pub auth: Arc<Authenticator>,
    pub upstream: SharedUpstream,
    /// The fixed part of every ARN: the gateway's region and account.
    pub scope: ResourceScope,
    pub tokens: TokenKey,
    pub audit: AuditSink,
    pub metrics: Arc<Metrics>,
    pub queries: Arc<dyn queries::QueryLedger>,
    pub tails: Arc<TailHub>,
    pub limits: Limits,
    /// Query starts in progress per tenant (see [`queries::StartGate`]).
    pub starting: queries::StartGate,
}

/// Per-tenant caps on expensive operations.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_queries_per_tenant: i64,
    pub max_tails_per_tenant: usize,
    /// How often open tails re-check their authorization.
    pub tail_recheck: std::time::Duration,
}

/// A front door's parse result: the gateway audits invalid requests too.
pub type Parsed<T> = Result<T, crate::error::ApiError>;
