//! [`AppState`]: what the HTTP doors share, built once at start (cheap `Arc`
//! clones): the data path ([`Gateway`], which holds the authenticator, the one
//! CloudWatch client, the ARN scope, the paging key and the tail hub), the
//! database pool (admin writes, readiness and the audit writer only), the
//! audit sink and the metrics.

use std::sync::Arc;

use sqlx::PgPool;

use crate::audit::AuditSink;
use crate::auth::Authenticator;
use crate::auth::admin::AdminToken;
use crate::gateway::Gateway;
use crate::metrics::Metrics;

pub(crate) struct AppState {
    pub(crate) gateway: Arc<Gateway>,
    /// The same authenticator the gateway uses (admin routes need it too).
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) pool: PgPool,
    pub(crate) audit: AuditSink,
    pub(crate) metrics: Arc<Metrics>,
    /// What `GET /metrics` requires, if anything.
    pub(crate) metrics_token: Option<AdminToken>,
    /// Whether `/portal/` is served, and who may frame it.
    pub(crate) portal: crate::config::PortalSettings,
}
