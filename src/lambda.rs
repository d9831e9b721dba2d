//! The AWS Lambda front door: `logward lambda`, also chosen for `serve` (or
//! no command) when `AWS_LAMBDA_RUNTIME_API` is set.
//!
//! The official runtime crate (`lambda_http`) turns API Gateway REST API
//! (payload 1.0), HTTP API (payload 2.0) and function URL events into `http`
//! requests. Each one is forwarded over loopback to the unmodified server,
//! bound to an ephemeral `127.0.0.1` port inside this process, and its answer
//! goes back to the runtime: the routes, middleware, extractors,
//! authentication, policies, audit and error rendering are the server's own,
//! so Lambda is a new door onto the one path, not a second path.
//!
//! Lambda freezes the process between invocations, so nothing runs in the
//! background here (no notifications, no timers; see `startup::background`
//! for what a server runs instead). Before an invocation the tenant directory
//! is re-read when older than `LOGWARD_LAMBDA_REFRESH_MS`, the one deliberate
//! database read on the request path; when that read fails, the directory is
//! marked unconfirmed and decisions fail closed (503). After it, the audit
//! rows are written before the response is handed to the runtime: an
//! environment may be frozen, or reclaimed, the moment it is.

mod forward;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use anyhow::Context;
use lambda_http::{Body, Response, service_fn};

use crate::config::Settings;
use crate::startup::server;
use crate::startup::state::{Built, Mode};
use crate::state::AppState;

/// Set by Lambda in every execution environment: where its Runtime API is.
const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";

/// What the runtime crate reads at start; Lambda sets them all.
const RUNTIME_VARIABLES: &[&str] = &[
    RUNTIME_API,
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

/// Whether this process runs inside AWS Lambda.
pub fn detected() -> bool {
    std::env::var_os(RUNTIME_API).is_some()
}

/// Serves invocations until the runtime ends the process.
pub async fn run(mut settings: Settings) -> anyhow::Result<()> {
    for var in RUNTIME_VARIABLES {
        if std::env::var_os(var).is_none() {
            anyhow::bail!("{var}: not set; `logward lambda` runs inside AWS Lambda, whose runtime sets it");
        }
    }
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    // Only this process talks to the server, one invocation at a time.
    settings.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.tls = None;
    settings.workers = 1;
    let built = Built::new(&settings, None, Mode::Lambda).await?;
    let (server, port) = server::start(&settings, built.state.clone(), None)?;
    let handle = server.handle();
    let serving = tokio::spawn(server);
    // Retention would otherwise never be applied where only Lambda runs;
    // once per environment, off the request path.
    tokio::spawn(prune_once(built.pool.clone(), settings.audit.retention));
    let door = Arc::new(Door {
        state: built.state.clone(),
        pool: built.pool.clone(),
        client: forward::client()?,
        base: format!("http://127.0.0.1:{port}"),
        refresh_after: settings.lambda_refresh,
    });
    tracing::info!(
        refresh_ms = settings.lambda_refresh.as_millis() as u64,
        "logward serving AWS Lambda invocations"
    );
    let served = lambda_http::run(service_fn(move |request| {
        let door = door.clone();
        async move { door.invoke(request).await }
    }))
    .await;
    handle.stop(true).await;
    let _ = serving.await;
    built.flush().await;
    served
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("the Lambda runtime loop ended")
}

/// What an invocation needs: the server's state (directory, audit sink), the
/// pool for the refresh, and the loopback client.
struct Door {
    state: web::Data<AppState>,
    pool: sqlx::PgPool,
    client: reqwest::Client,
    base: String,
    refresh_after: Duration,
}

impl Door {
    async fn invoke(&self, request: lambda_http::Request) -> Result<Response<Body>, lambda_http::Error> {
        self.refresh().await;
        let response = forward::send(&self.client, &self.base, request).await?;
        // No data leaves without its audit row. A refusal whose row cannot
        // be written yet still goes out (it releases nothing; the row stays
        // buffered for the next invocation), so an unreachable database
        // still answers 503 rather than the front door's 502.
        if !self.state.audit.flush().await && response.status().is_success() {
            tracing::error!("audit rows could not be written; withholding the response");
            return Err("the audit trail cannot be written right now".into());
        }
        Ok(response)
    }

    /// Re-reads tenants, policies and keys when the copy is older than the
    /// bound (or was never confirmed), and writes out key uses.
    async fn refresh(&self) {
        let directory = &self.state.auth.directory;
        if directory.age().is_some_and(|age| age <= self.refresh_after) {
            return;
        }
        match directory.reload_all(&self.pool).await {
            Ok(()) => self.state.auth.key_usage.flush(&self.pool).await,
            Err(e) => {
                directory.invalidate();
                tracing::warn!(error = %e, "tenant directory refresh failed; requests fail closed until it succeeds");
            }
        }
    }
}

async fn prune_once(pool: sqlx::PgPool, retention: Duration) {
    if let Err(e) = crate::manage::audit::prune(&pool, retention).await {
        tracing::warn!(error = %e, "audit retention pruning failed; the next cold start tries again");
    }
}
