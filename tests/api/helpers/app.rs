//! [`TestApp`]: a gateway on a free port with the test defaults, started by
//! [`spawn_app`] or, when a test needs other settings, another CloudWatch or a
//! database of its own choosing, by [`TestApp::builder`].

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use logward::config::{Settings, Source, UpstreamSettings};
use logward::domain::AccountId;
use logward::startup::{Application, UpstreamOverride};
use logward::upstream::cloudwatch::CloudWatchUpstream;
use sqlx::PgPool;

use super::database::{TestDatabase, fresh_database};
use super::moto::{ACCOUNT, REGION, logs_client, moto, sdk_config};
use super::tokens::HS_SECRET;
use super::upstream::CountingUpstream;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef-0123";

pub struct TestApp {
    pub address: String,
    pub tails: Arc<logward::tail::TailHub>,
    pub client: reqwest::Client,
    /// The test's own pool on the gateway's database.
    pub pool: PgPool,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    upstream_calls: Arc<AtomicUsize>,
    /// The database made for this app, dropped with it (last, after the
    /// pool); `None` when the test brought its own.
    _database: Option<TestDatabase>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// Calls the gateway made to CloudWatch so far.
    pub fn upstream_calls(&self) -> usize {
        self.upstream_calls.load(Ordering::SeqCst)
    }
}

/// A gateway with the test defaults, on moto, with a fresh database.
pub async fn spawn_app() -> TestApp {
    TestApp::builder().spawn().await
}

/// What differs from [`spawn_app`]'s gateway.
#[derive(Default)]
#[must_use]
pub struct TestAppBuilder {
    /// `LOGWARD_*` overrides in the order given; a later one wins.
    settings: Vec<(String, String)>,
    endpoint: Option<String>,
    /// (the gateway's URL, the test pool's URL)
    database: Option<(String, String)>,
}

impl TestAppBuilder {
    /// Sets `var` for the gateway; an empty value removes a test default
    /// (e.g. `LOGWARD_JWT_HS256_SECRET` for a gateway with only a public key).
    pub fn setting(mut self, var: &str, value: &str) -> Self {
        self.settings.push((var.to_owned(), value.to_owned()));
        self
    }

    /// [`setting`](Self::setting) for each pair.
    pub fn settings(self, pairs: &[(&str, &str)]) -> Self {
        pairs
            .iter()
            .fold(self, |builder, (var, value)| builder.setting(var, value))
    }

    /// Points the gateway's CloudWatch client at `url` instead of moto.
    pub fn upstream_endpoint(mut self, url: &str) -> Self {
        self.endpoint = Some(url.to_owned());
        self
    }

    /// Uses a database the test made (and keeps alive), instead of a fresh
    /// one: the gateway connects to `app_db` (maybe through a proxy), the
    /// test's pool to `direct_db`.
    pub fn database(mut self, app_db: &str, direct_db: &str) -> Self {
        self.database = Some((app_db.to_owned(), direct_db.to_owned()));
        self
    }

    pub async fn spawn(self) -> TestApp {
        const GENEROUS_QUOTAS: &str = "GetLogEvents=1000,FilterLogEvents=1000,DescribeLogGroups=1000,\
            DescribeLogStreams=1000,StartQuery=1000,GetQueryResults=1000,StopQuery=1000";
        let (owned, app_db, direct_db) = match self.database {
            Some((app_db, direct_db)) => (None, app_db, direct_db),
            None => {
                let database = fresh_database().await;
                let url = database.url().to_owned();
                (Some(database), url.clone(), url)
            }
        };
        let log = if std::env::var("TEST_LOG").is_ok() {
            "info"
        } else {
            "off"
        };
        let mut pairs: Vec<(&str, &str)> = vec![
            ("LOGWARD_DATABASE_URL", &app_db),
            ("LOGWARD_LISTEN", "127.0.0.1:0"),
            ("LOGWARD_ADMIN_TOKEN", ADMIN_TOKEN),
            ("LOGWARD_JWT_HS256_SECRET", HS_SECRET),
            ("LOGWARD_AUDIT_FLUSH_MS", "50"),
            ("LOGWARD_LOG", log),
            // moto has no quotas, and tests page quickly; those about the
            // budget set their own (tests/api/quota.rs).
            ("LOGWARD_UPSTREAM_QUOTAS", GENEROUS_QUOTAS),
            // Access keys need it; a test of their absence removes it.
            ("LOGWARD_SECRETS_KEY", "test-secrets-key-0123456789abcdef-0123"),
        ];
        for (var, value) in &self.settings {
            pairs.retain(|(key, _)| key != var);
            if !value.is_empty() {
                pairs.push((var, value));
            }
        }
        let settings = Settings::from_source(&Source::from_pairs(pairs)).expect("test settings");
        // The first app's log writer serves the whole test binary.
        static LOG: OnceLock<logward::telemetry::LogGuard> = OnceLock::new();
        LOG.get_or_init(|| logward::telemetry::init(&settings.log));

        let endpoint = self.endpoint.unwrap_or_else(|| moto().url.clone());
        let sdk = sdk_config(&endpoint).load().await;
        // moto's 500s must not be retried (CLOUDWATCH_NOTES), unless a test
        // asks for retries explicitly.
        let retries_asked = self
            .settings
            .iter()
            .any(|(var, _)| var == "LOGWARD_UPSTREAM_MAX_ATTEMPTS");
        let upstream_settings = UpstreamSettings {
            max_attempts: if retries_asked {
                settings.upstream.max_attempts
            } else {
                1
            },
            ..settings.upstream.clone()
        };
        let upstream_calls = Arc::new(AtomicUsize::new(0));
        let upstream = CountingUpstream::new(
            CloudWatchUpstream::new(&sdk, &upstream_settings),
            upstream_calls.clone(),
        );
        let app = Application::build_with(
            settings,
            Some(UpstreamOverride {
                upstream: Arc::new(upstream),
                region: REGION.into(),
                account: AccountId::parse(ACCOUNT).unwrap(),
            }),
        )
        .await
        .expect("build app");
        let port = app.port();
        let tails = app.tails();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            tails,
            client: reqwest::Client::new(),
            pool: PgPool::connect(&direct_db).await.unwrap(),
            logs: logs_client().await,
            upstream_calls,
            _database: owned,
        }
    }
}
