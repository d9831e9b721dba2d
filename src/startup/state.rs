//! Building the application state from settings: the database pool (with
//! migrations applied by a server, only checked by the Lambda mode), the
//! CloudWatch client, the JWT verifier, the tenant directory (loaded once),
//! the audit sink and writer, the authenticator and the gateway. Nothing here
//! keeps running by itself except the audit writer, which the state needs to
//! record anything.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use anyhow::Context;
use aws_config::BehaviorVersion;
use aws_config::Region;
use aws_config::meta::region::ProvideRegion;
use secrecy::ExposeSecret;

use crate::audit::{self, AuditWriter};
use crate::auth::Authenticator;
use crate::auth::admin::AdminToken;
use crate::auth::directory::Directory;
use crate::auth::jwt::JwtVerifier;
use crate::auth::key_usage::KeyUsage;
use crate::auth::secrets::SecretsKeys;
use crate::auth::sigv4;
use crate::config::Settings;
use crate::domain::{AccountId, ResourceScope};
use crate::gateway::{Gateway, Limits};
use crate::metrics::Metrics;
use crate::paging::TokenKey;
use crate::query_ledger::PgQueryLedger;
use crate::rate_limit::RateLimits;
use crate::state::AppState;
use crate::tail::TailHub;
use crate::upstream::SharedUpstream;
use crate::upstream::budget::{Budget, BudgetedUpstream};
use crate::upstream::cache::CachedUpstream;
use crate::upstream::cloudwatch::CloudWatchUpstream;
use crate::upstream::guard::GuardedUpstream;

/// An upstream chosen by the caller instead of the AWS SDK from the environment
/// (tests and benchmarks), with the region and account its ARNs use.
pub struct UpstreamOverride {
    pub upstream: SharedUpstream,
    pub region: String,
    pub account: AccountId,
}

/// What the state is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `logward serve` (and the tests' gateways): pending migrations are
    /// applied at start; live tails are served.
    Server,
    /// `logward lambda`: migrations must have been applied beforehand
    /// (`logward migrate`), never at a cold start; `LOGWARD_TOKEN_KEY` is
    /// required; live tails are refused.
    Lambda,
}

/// The built state, and what must be flushed when the process stops.
pub(crate) struct Built {
    pub(crate) state: web::Data<AppState>,
    pub(crate) pool: sqlx::PgPool,
    /// The share of the account's CloudWatch quota (the heartbeat loop
    /// tells it how many instances share the account).
    pub(crate) budget: Arc<Budget>,
    audit_writer: AuditWriter,
}

impl Built {
    pub(crate) async fn new(
        settings: &Settings,
        upstream: Option<UpstreamOverride>,
        mode: Mode,
    ) -> anyhow::Result<Self> {
        if mode == Mode::Lambda && settings.token_key.is_none() {
            anyhow::bail!(
                "LOGWARD_TOKEN_KEY: required in Lambda mode (every execution environment must open the paging tokens \
                 the others sealed); set it to the same secret of at least 32 characters everywhere"
            );
        }
        // The region first: without it nothing can work, and the SDK's
        // credential chain would otherwise log its own complaints before ours.
        let region = match upstream {
            Some(_) => None,
            None => Some(aws_region().await?),
        };
        let pool = crate::db::connect_lazy(&settings.database.url, settings.database.max_connections)
            .context("LOGWARD_DATABASE_URL: invalid")?;
        match mode {
            Mode::Server => crate::db::MIGRATOR
                .run(&pool)
                .await
                .context("applying database migrations")?,
            Mode::Lambda => crate::db::require_migrated(&pool).await?,
        }

        let (upstream, scope, region) = match (upstream, region) {
            (Some(o), _) => (o.upstream, ResourceScope::new(&o.region, &o.account), o.region),
            (None, Some(region)) => {
                let name = region.to_string();
                let (upstream, scope) = aws_upstream(settings, region).await?;
                (upstream, scope, name)
            }
            (None, None) => anyhow::bail!("AWS_REGION: required (the region of the CloudWatch Logs you serve)"),
        };
        let metrics = Arc::new(Metrics::new());
        let upstream: SharedUpstream = Arc::new(GuardedUpstream::new(upstream, &settings.upstream, metrics.clone()));
        // gateway → cache (a kept or joined answer costs nothing) → budget
        // (fair turns of the account's quota) → guard → CloudWatch.
        let budget = Budget::new(&region, &settings.quota, metrics.clone());
        let upstream: SharedUpstream = Arc::new(BudgetedUpstream::new(upstream, budget.clone()));
        let rules_epoch = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let upstream: SharedUpstream = Arc::new(CachedUpstream::new(
            upstream,
            settings.upstream.cache_max_bytes,
            rules_epoch.clone(),
            metrics.clone(),
        ));
        tracing::info!(resource_scope = %scope, "CloudWatch Logs upstream ready");

        let jwt = JwtVerifier::new(&settings.jwt)?;
        if !jwt.has_keys() {
            tracing::warn!("no JWT key configured (LOGWARD_JWT_*): every customer token will be refused");
        }
        // An identity provider's keys sign tokens for every application it
        // serves: without a pinned audience, any of them would be accepted here.
        if (settings.jwt.public_key_file.is_some() || settings.jwt.jwks_url.is_some())
            && settings.jwt.audience.is_none()
        {
            tracing::warn!(
                "LOGWARD_JWT_AUDIENCE is unset: tokens your identity provider issues for ANY application will be \
                 accepted. Set it to the audience of the tokens meant for logward (see README, Identity providers)"
            );
        }
        if let Some(jwks) = jwt.jwks()
            && let Err(e) = jwks.refresh().await
        {
            tracing::warn!(error = %e, "initial JWKS fetch failed; will retry on demand");
        }

        let secrets = settings.access_keys.secrets_key.as_ref().map(|current| {
            Arc::new(SecretsKeys::new(
                current,
                settings.access_keys.secrets_key_previous.as_ref(),
            ))
        });
        if secrets.is_none() {
            tracing::info!("LOGWARD_SECRETS_KEY is unset: access keys (SigV4) can be neither created nor used");
        }
        let directory = Arc::new(Directory::new(secrets, rules_epoch));
        directory
            .reload_all(&pool)
            .await
            .map_err(anyhow::Error::new)
            .context("loading tenants")?;

        let (audit_sink, audit_writer) =
            audit::start(pool.clone(), settings.audit.buffer, settings.audit.flush_interval);
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
        let auth = Arc::new(Authenticator {
            directory,
            jwt,
            admin_token: AdminToken::new(settings.admin_token.as_ref()),
            admin_role_claim: settings.admin_role_claim.clone(),
            rate_limits: RateLimits::new(settings.tenant_rate_limit, settings.key_rate_limit, metrics.clone()),
            key_usage: Arc::new(KeyUsage::default()),
            max_staleness: settings.max_staleness,
            jwt_leeway_secs: settings.jwt.leeway_secs as i64,
            sigv4: sigv4::Rules::logs(&region, &settings.access_keys.public_hosts),
        });
        let gateway = Arc::new(Gateway {
            auth: auth.clone(),
            tails: TailHub::new(upstream.clone(), settings.max_tail_pollers),
            upstream,
            scope,
            tokens,
            audit: audit_sink.clone(),
            metrics: metrics.clone(),
            queries: Arc::new(PgQueryLedger::new(pool.clone())),
            limits: Limits {
                max_queries_per_tenant: settings.max_queries_per_tenant,
                max_tails_per_tenant: settings.max_tails_per_tenant,
                tail_recheck: settings.tail_recheck,
                tails_served: mode == Mode::Server,
            },
            starting: Default::default(),
        });
        let state = web::Data::new(AppState {
            gateway,
            auth,
            pool: pool.clone(),
            audit: audit_sink,
            metrics,
            metrics_token: settings.metrics_token.as_ref().map(|t| AdminToken::new(Some(t))),
            portal: settings.portal.clone(),
        });
        Ok(Self {
            state,
            pool,
            budget,
            audit_writer,
        })
    }

    /// Writes out key uses and the audit buffer (shutdown).
    pub(crate) async fn flush(self) {
        self.state.auth.key_usage.flush(&self.pool).await;
        self.audit_writer.shutdown().await;
    }
}

/// The region from the SDK's own region chain (`AWS_REGION`, the profile,
/// instance metadata), resolved on its own before anything else touches AWS.
async fn aws_region() -> anyhow::Result<Region> {
    aws_config::default_provider::region::default_provider()
        .region()
        .await
        .context("AWS_REGION: required (the region of the CloudWatch Logs you serve)")
}

/// The AWS SDK client from the standard chain (credentials, `AWS_REGION`,
/// `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`), and the ARN scope: the upstream region
/// and the account (configured, or asked of STS).
async fn aws_upstream(settings: &Settings, region: Region) -> anyhow::Result<(SharedUpstream, ResourceScope)> {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(region.clone())
        .load()
        .await;
    let region = region.to_string();
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
