//! Building and running the application: bind the listener (port 0 in tests),
//! wire state and routes, run until a shutdown future resolves, then drain
//! in-flight requests and flush the audit buffer. Tests and `logward serve`
//! share this one path.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use aws_config::BehaviorVersion;
use secrecy::ExposeSecret;

use crate::audit::{self, AuditWriter};
use crate::auth::Authenticator;
use crate::auth::admin::AdminToken;
use crate::auth::directory::{self, Directory};
use crate::auth::jwt::JwtVerifier;
use crate::auth::key_usage::KeyUsage;
use crate::config::Settings;
use crate::domain::{AccountId, ResourceScope};
use crate::gateway::{Gateway, Limits};
use crate::metrics::Metrics;
use crate::paging::TokenKey;
use crate::query_ledger::PgQueryLedger;
use crate::rate_limit::RateLimits;
use crate::routes::problem::handlers;
use crate::state::AppState;
use crate::tail::TailHub;
use crate::upstream::SharedUpstream;
use crate::upstream::cloudwatch::CloudWatchUpstream;
use crate::upstream::guard::GuardedUpstream;

const MAX_JSON_BODY: usize = 256 * 1024;

/// An upstream chosen by the caller instead of the AWS SDK from the environment
/// (tests and benchmarks), with the region and account its ARNs use.
pub struct UpstreamOverride {
    pub upstream: SharedUpstream,
    pub region: String,
    pub account: AccountId,
}

pub struct Application {
    port: u16,
    server: Server,
    audit_writer: AuditWriter,
    background: Vec<tokio::task::JoinHandle<()>>,
    key_usage: Arc<KeyUsage>,
    pool: sqlx::PgPool,
    tails: Arc<TailHub>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, None).await
    }

    pub async fn build_with(settings: Settings, upstream: Option<UpstreamOverride>) -> anyhow::Result<Self> {
        // Several crates bring rustls; pin the process to one provider.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();

        // Certificate problems are found before anything else is started.
        let tls = settings.tls.as_ref().map(crate::tls::server_config).transpose()?;
        let pool = crate::db::connect_lazy(&settings.database).context("LOGWARD_DATABASE_URL: invalid")?;
        crate::db::MIGRATOR
            .run(&pool)
            .await
            .context("applying database migrations")?;

        let (upstream, scope) = match upstream {
            Some(o) => {
                let scope = ResourceScope::new(&o.region, &o.account);
                (o.upstream, scope)
            }
            None => aws_upstream(&settings).await?,
        };
        let metrics = Arc::new(Metrics::new());
        let upstream: SharedUpstream = Arc::new(GuardedUpstream::new(upstream, &settings.upstream, metrics.clone()));
        tracing::info!(resource_scope = %scope, "CloudWatch Logs upstream ready");

        let jwt = JwtVerifier::new(&settings.jwt)?;
        if !jwt.has_keys() {
            tracing::warn!("no JWT key configured (LOGWARD_JWT_*): every customer token will be refused");
        }
        if let Some(jwks) = jwt.jwks()
            && let Err(e) = jwks.refresh().await
        {
            tracing::warn!(error = %e, "initial JWKS fetch failed; will retry on demand");
        }

        let directory = Arc::new(Directory::new());
        directory
            .reload_all(&pool)
            .await
            .map_err(anyhow::Error::new)
            .context("loading tenants")?;
        let refresher = tokio::spawn(directory::keep_current(
            directory.clone(),
            pool.clone(),
            settings.cache_reload_interval,
        ));

        let (audit_sink, audit_writer) =
            audit::start(pool.clone(), settings.audit.buffer, settings.audit.flush_interval);
        let pruner = tokio::spawn(crate::manage::audit::keep_pruning(
            pool.clone(),
            settings.audit.retention,
        ));
        let key_usage = Arc::new(KeyUsage::default());
        let usage_flusher = tokio::spawn(crate::auth::key_usage::keep_flushing(
            key_usage.clone(),
            pool.clone(),
            Duration::from_secs(10),
        ));
        let tokens = match &settings.token_key {
            Some(key) => TokenKey::new(key.expose_secret().as_bytes()),
            None => {
                tracing::warn!(
                    "LOGWARD_TOKEN_KEY is unset: generated a random paging-token key; nextTokens will not survive a \
                     restart or work across instances"
                );
                TokenKey::random().context("generating a paging-token key")?
            }
        };
        let tails = TailHub::new(upstream.clone(), settings.max_tail_pollers);
        let state_pool = pool.clone();
        let auth = Arc::new(Authenticator {
            directory,
            jwt,
            admin_token: AdminToken::new(settings.admin_token.as_ref()),
            admin_role_claim: settings.admin_role_claim.clone(),
            rate_limits: RateLimits::new(settings.tenant_rate_limit, settings.key_rate_limit, metrics.clone()),
            key_usage: key_usage.clone(),
            max_staleness: settings.max_staleness,
            jwt_leeway_secs: settings.jwt.leeway_secs as i64,
        });
        let gateway = Arc::new(Gateway {
            auth: auth.clone(),
            upstream,
            scope,
            tokens,
            audit: audit_sink.clone(),
            metrics: metrics.clone(),
            queries: Arc::new(PgQueryLedger::new(pool.clone())),
            tails: tails.clone(),
            limits: Limits {
                max_queries_per_tenant: settings.max_queries_per_tenant,
                max_tails_per_tenant: settings.max_tails_per_tenant,
                tail_recheck: settings.tail_recheck,
            },
            starting: Default::default(),
        });
        let state = web::Data::new(AppState {
            gateway,
            auth,
            pool,
            audit: audit_sink,
            metrics: metrics.clone(),
            metrics_token: settings.metrics_token.as_ref().map(|t| AdminToken::new(Some(t))),
            portal: settings.portal.clone(),
        });

        let listener = TcpListener::bind(settings.listen)
            .with_context(|| format!("LOGWARD_LISTEN: cannot bind {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(MAX_JSON_BODY)
                        .error_handler(handlers::json),
                )
                .app_data(web::PathConfig::default().error_handler(handlers::path))
                .app_data(web::QueryConfig::default().error_handler(handlers::query))
                .configure(crate::routes::configure)
                .default_service(web::to(crate::routes::route_not_found))
                .wrap(actix_web::middleware::from_fn(crate::request_log::observe))
        })
        .workers(settings.workers)
        .disable_signals()
        .shutdown_timeout(settings.shutdown_grace.as_secs());
        let server = match tls {
            Some(tls) => server.listen_rustls_0_23(listener, tls)?,
            None => server.listen(listener)?,
        }
        .run();

        Ok(Self {
            port,
            server,
            audit_writer,
            background: vec![refresher, pruner, usage_flusher],
            key_usage,
            pool: state_pool,
            tails,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The live-tail hub (tests observe its pollers).
    pub fn tails(&self) -> Arc<TailHub> {
        self.tails.clone()
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight
    /// requests finish within the grace period, and flushes the audit buffer.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let tails = self.tails.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: ending live tails, draining in-flight requests");
            // Open tails would otherwise hold the drain until the grace period ends.
            tails.close_all();
            handle.stop(true).await;
        });
        let served = self.server.await;
        for task in self.background {
            task.abort();
        }
        self.key_usage.flush(&self.pool).await;
        self.audit_writer.shutdown().await;
        tracing::info!("stopped");
        served.map_err(Into::into)
    }
}

/// The AWS SDK client from the standard chain (credentials, `AWS_REGION`,
/// `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`), and the ARN scope: the upstream region
/// and the account (configured, or asked of STS).
async fn aws_upstream(settings: &Settings) -> anyhow::Result<(SharedUpstream, ResourceScope)> {
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .context("AWS_REGION: required (the region of the CloudWatch Logs you serve)")?;
    let account = match &settings.upstream.account_id {
        Some(a) => a.clone(),
        None => {
            let sts = aws_sdk_sts::Client::new(&sdk);
            let identity = tokio::time::timeout(Duration::from_secs(10), sts.get_caller_identity().send())
                .await
                .context("LOGWARD_AWS_ACCOUNT_ID: unset, and STS GetCallerIdentity timed out")?
                .context("LOGWARD_AWS_ACCOUNT_ID: unset, and STS GetCallerIdentity failed")?;
            let raw = identity.account().unwrap_or_default();
            AccountId::parse(raw).context("LOGWARD_AWS_ACCOUNT_ID: STS returned no valid account id")?
        }
    };
    let upstream: SharedUpstream = Arc::new(CloudWatchUpstream::new(&sdk, &settings.upstream));
    Ok((upstream, ResourceScope::new(&region, &account)))
}
