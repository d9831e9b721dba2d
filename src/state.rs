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
}
