//! [`AppState`]: everything a request needs, built once at start and shared by
//! every worker (cheap `Arc` clones): the database pool (admin writes and the
//! audit writer only), the in-memory tenant directory the request path reads,
//! the JWT verifier, the one CloudWatch client, the ARN scope, and the audit sink.

use std::sync::Arc;

use sqlx::PgPool;

use crate::audit::AuditSink;
use crate::auth::admin::AdminToken;
use crate::auth::jwt::JwtVerifier;
use crate::directory::Directory;
use crate::domain::ResourceScope;
use crate::key_usage::KeyUsage;
use crate::metrics::Metrics;
use crate::paging::TokenKey;
use crate::rate_limit::RateLimits;
use crate::tail::TailHub;
use crate::upstream::SharedUpstream;

pub struct AppState {
    pub pool: PgPool,
    pub directory: Arc<Directory>,
    pub jwt: JwtVerifier,
    pub admin_token: AdminToken,
    pub upstream: SharedUpstream,
    pub scope: ResourceScope,
    pub audit: AuditSink,
    pub key_usage: Arc<KeyUsage>,
    /// JWT claim that marks an operator.
    pub admin_role_claim: String,
    /// Signs and checks paging tokens.
    pub tokens: TokenKey,
    /// Live-tail pollers, shared by all open tails.
    pub tails: Arc<TailHub>,
    pub limits: Limits,
    pub metrics: Arc<Metrics>,
    pub rate_limits: RateLimits,
    /// Data-plane requests fail closed past this directory age.
    pub max_staleness: std::time::Duration,
    /// What `GET /metrics` requires, if anything.
    pub metrics_token: Option<AdminToken>,
}

/// Per-tenant caps on expensive operations.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_queries_per_tenant: i64,
    pub max_tails_per_tenant: usize,
    /// How often open tails re-check their authorization.
    pub tail_recheck: std::time::Duration,
}
