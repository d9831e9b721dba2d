//! `spawn_app()` and friends: each test gets its own database, its own gateway
//! on a free port, and typed helpers. moto is started once per test binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_sdk_cloudwatchlogs::config::{Credentials, Region};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use logward::config::{Settings, Source, UpstreamSettings};
use logward::domain::AccountId;
use logward::startup::{Application, UpstreamOverride};
use logward::upstream::cloudwatch::CloudWatchUpstream;
use logward::upstream::*;
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection, PgPool};

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef-0123";
pub const HS_SECRET: &str = "test-hs256-secret-0123456789abcdef-0123456789";

// ---------------------------------------------------------------- moto

pub struct Moto {
    pub url: String,
    _child: Mutex<Child>,
}

/// One moto server for the whole test binary. It is started through a shell
/// that kills it when our stdin closes, i.e. when the test process exits.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let bin = std::env::var("LOGWARD_TEST_MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server"));
        assert!(
            bin.exists(),
            "moto_server not found at {} - run the tests with ./scripts/test, which installs it",
            bin.display()
        );
        let port = free_port();
        let child = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & pid=$!; read _ignored; kill $pid"#)
            .arg(&bin)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .spawn()
            .expect("start moto");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on port {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto {
            url: format!("http://127.0.0.1:{port}"),
            _child: Mutex::new(child),
        }
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A CloudWatch Logs client pointed at moto, for seeding and for direct reads.
pub async fn logs_client() -> aws_sdk_cloudwatchlogs::Client {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&moto().url)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    aws_sdk_cloudwatchlogs::Client::new(&sdk)
}

/// A unique prefix so tests sharing one moto never see each other's groups.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Creates group and stream and writes `messages` with current timestamps
/// (moto refuses events older than 14 days).
pub async fn seed(logs: &aws_sdk_cloudwatchlogs::Client, group: &str, stream: &str, messages: &[String]) {
    let _ = logs.create_log_group().log_group_name(group).send().await;
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .expect("create stream");
    if messages.is_empty() {
        return;
    }
    let base = now_ms() - 60_000;
    let events = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            InputLogEvent::builder()
                .timestamp(base + i as i64)
                .message(m)
                .build()
                .unwrap()
        })
        .collect::<Vec<_>>();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .expect("put events");
}

// ---------------------------------------------------------------- upstream spy

/// Wraps the real upstream and counts calls, to prove denied requests never
/// reach CloudWatch.
pub struct CountingUpstream {
    inner: CloudWatchUpstream,
    calls: Arc<AtomicUsize>,
}

impl CountingUpstream {
    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

impl LogsUpstream for CountingUpstream {
    fn get_log_events(&self, r: GetLogEventsRequest) -> BoxFuture<'_, UpstreamResult<GetLogEventsResponse>> {
        self.count();
        self.inner.get_log_events(r)
    }
    fn filter_log_events(&self, r: FilterLogEventsRequest) -> BoxFuture<'_, UpstreamResult<FilterLogEventsResponse>> {
        self.count();
        self.inner.filter_log_events(r)
    }
    fn describe_log_groups(
        &self,
        r: DescribeLogGroupsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogGroupsResponse>> {
        self.count();
        self.inner.describe_log_groups(r)
    }
    fn describe_log_streams(
        &self,
        r: DescribeLogStreamsRequest,
    ) -> BoxFuture<'_, UpstreamResult<DescribeLogStreamsResponse>> {
        self.count();
        self.inner.describe_log_streams(r)
    }
    fn start_query(&self, r: StartQueryRequest) -> BoxFuture<'_, UpstreamResult<String>> {
        self.count();
        self.inner.start_query(r)
    }
    fn get_query_results(&self, id: String) -> BoxFuture<'_, UpstreamResult<QueryResults>> {
        self.count();
        self.inner.get_query_results(id)
    }
    fn stop_query(&self, id: String) -> BoxFuture<'_, UpstreamResult<bool>> {
        self.count();
        self.inner.stop_query(id)
    }
}

// ---------------------------------------------------------------- the app

pub struct TestApp {
    pub address: String,
    pub tails: std::sync::Arc<logward::tail::TailHub>,
    pub client: reqwest::Client,
    pub pool: PgPool,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    upstream_calls: Arc<AtomicUsize>,
}

pub fn base_database_url() -> String {
    std::env::var("LOGWARD_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database; returns its URL.
pub async fn fresh_database() -> String {
    let base = base_database_url();
    let name = format!("logward_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&base)
        .await
        .expect("connect to Postgres (is it running?)");
    // The name is ours (a UUID), not input: safe to splice.
    conn.execute(sqlx::AssertSqlSafe(format!(r#"create database "{name}""#)))
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a gateway with the test defaults plus `extra` settings.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_against(&moto().url, extra).await
}

/// Like [`spawn_app_with`], with the gateway's SDK client pointed at `endpoint`.
pub async fn spawn_app_against(endpoint: &str, extra: &[(&str, &str)]) -> TestApp {
    let database_url = fresh_database().await;
    spawn_app_on(&database_url, &database_url, endpoint, extra).await
}

/// A gateway whose database URL is `app_db` (maybe through a proxy), with the
/// test's own pool on `direct_db`.
pub async fn spawn_app_on(app_db: &str, direct_db: &str, endpoint: &str, extra: &[(&str, &str)]) -> TestApp {
    let database_url = direct_db.to_owned();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("LOGWARD_DATABASE_URL", app_db),
        ("LOGWARD_LISTEN", "127.0.0.1:0"),
        ("LOGWARD_ADMIN_TOKEN", ADMIN_TOKEN),
        ("LOGWARD_JWT_HS256_SECRET", HS_SECRET),
        ("LOGWARD_AUDIT_FLUSH_MS", "50"),
        (
            "LOGWARD_LOG",
            if std::env::var("TEST_LOG").is_ok() {
                "info"
            } else {
                "off"
            },
        ),
    ];
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    let settings = Settings::from_source(&Source::from_pairs(pairs)).expect("test settings");
    // The first app's log writer serves the whole test binary.
    static LOG: std::sync::OnceLock<logward::telemetry::LogGuard> = std::sync::OnceLock::new();
    LOG.get_or_init(|| logward::telemetry::init(&settings.log));

    let logs = logs_client().await;
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await;
    let upstream_calls = Arc::new(AtomicUsize::new(0));
    let upstream = CountingUpstream {
        // moto's 500s must not be retried (CLOUDWATCH_NOTES), unless a test
        // asks for retries explicitly.
        inner: CloudWatchUpstream::new(
            &sdk,
            &UpstreamSettings {
                max_attempts: if extra.iter().any(|(k, _)| *k == "LOGWARD_UPSTREAM_MAX_ATTEMPTS") {
                    settings.upstream.max_attempts
                } else {
                    1
                },
                ..settings.upstream.clone()
            },
        ),
        calls: upstream_calls.clone(),
    };
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
        tails,
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        pool: PgPool::connect(&database_url).await.unwrap(),
        logs,
        upstream_calls,
    }
}

pub fn stream_arn(group: &str, stream: &str) -> String {
    format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:{stream}")
}

pub fn allow_policy(resources: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": ["logs:GetLogEvents"], "Resource": resources}
    ]})
}

/// Percent-encodes a path segment (a group's `/` becomes `%2F`).
pub fn enc(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl TestApp {
    pub fn upstream_calls(&self) -> usize {
        self.upstream_calls.load(Ordering::SeqCst)
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// Creates an active tenant with `policy`.
    pub async fn create_tenant(&self, id: &str, policy: Value) {
        let r = self
            .admin(
                reqwest::Method::POST,
                "/admin/v1/tenants",
                Some(json!({"id": id, "name": format!("Tenant {id}")})),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let r = self
            .admin(
                reqwest::Method::PUT,
                &format!("/admin/v1/tenants/{id}/policy"),
                Some(policy),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    pub async fn get_events(&self, token: &str, group: &str, stream: &str, query: &str) -> reqwest::Response {
        self.get(
            token,
            &format!(
                "/v1/log-groups/{}/log-streams/{}/events?{query}",
                enc(group),
                enc(stream)
            ),
        )
        .await
    }

    pub async fn get(&self, token: &str, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path_and_query}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Waits until the audit writer has stored at least `n` rows matching
    /// `filter` (an SQL condition), polling the database.
    pub async fn audit_rows(&self, filter: &str, n: usize) -> Vec<(String, String, Option<String>, i16)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let rows: Vec<(String, String, Option<String>, i16)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "select action, decision, resource, http_status from audit_events where {filter} order by id"
            )))
            .fetch_all(&self.pool)
            .await
            .unwrap();
            if rows.len() >= n || Instant::now() > deadline {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

// ---------------------------------------------------------------- tokens

pub fn now_secs() -> i64 {
    now_ms() / 1000
}

/// HS256 token for `tenant` signed with the test secret, valid for an hour.
pub fn hs_token(tenant: &str) -> String {
    sign_hs(&json!({"sub": "alice", "tenant": tenant, "exp": now_secs() + 3600}))
}

pub fn sign_hs(claims: &Value) -> String {
    sign_hs_with(claims, HS_SECRET.as_bytes())
}

pub fn sign_hs_with(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// Test key pairs made with the openssl CLI once per test binary.
pub struct KeyPairs {
    /// Keeps the key files alive for the whole run.
    _dir: tempfile::TempDir,
    pub rsa_private: Vec<u8>,
    pub rsa_public_path: PathBuf,
    pub rsa_public_pem: Vec<u8>,
    pub rsa_n_b64: String,
    pub ec_private: Vec<u8>,
    pub ec_public_path: PathBuf,
}

pub fn keys() -> &'static KeyPairs {
    static KEYS: OnceLock<KeyPairs> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name);
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).output().expect("openssl CLI");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &s(&p("rsa.pem")),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &s(&p("rsa.pem")),
            "-pubout",
            "-out",
            &s(&p("rsa.pub.pem")),
        ]);
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &s(&p("ec.pem")),
        ]);
        openssl(&["pkey", "-in", &s(&p("ec.pem")), "-pubout", "-out", &s(&p("ec.pub.pem"))]);
        let modulus = openssl(&["rsa", "-pubin", "-in", &s(&p("rsa.pub.pem")), "-noout", "-modulus"]);
        let hex = String::from_utf8(modulus)
            .unwrap()
            .trim()
            .trim_start_matches("Modulus=")
            .to_owned();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        use base64::Engine;
        let rsa_n_b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        KeyPairs {
            rsa_private: std::fs::read(p("rsa.pem")).unwrap(),
            rsa_public_pem: std::fs::read(p("rsa.pub.pem")).unwrap(),
            rsa_public_path: p("rsa.pub.pem"),
            ec_private: std::fs::read(p("ec.pem")).unwrap(),
            ec_public_path: p("ec.pub.pem"),
            rsa_n_b64,
            _dir: dir,
        }
    })
}

pub fn sign_rs(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(&keys().rsa_private).unwrap(),
    )
    .unwrap()
}

pub fn sign_es(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        claims,
        &EncodingKey::from_ec_pem(&keys().ec_private).unwrap(),
    )
    .unwrap()
}

// ---------------------------------------------------------------- JWKS server

/// A minimal HTTP server that answers every request with one canned response
/// (after `delay`) and counts requests. Serves JWKS documents and plays a
/// misbehaving CloudWatch.
pub struct CannedServer {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
}

pub fn jwks_server(body: Value) -> CannedServer {
    let mut server = canned_server(200, &body.to_string(), Duration::ZERO);
    server.url.push_str("/jwks.json");
    server
}

pub fn canned_server(status: u16, body: &str, delay: Duration) -> CannedServer {
    stub_server(&[], (status, body), delay)
}

/// Like [`canned_server`], answering by operation: `X-Amz-Target` values
/// (e.g. `Logs_20140328.StartQuery`) mapped to (status, body), else `fallback`.
pub fn stub_server(routes: &[(&str, u16, &str)], fallback: (u16, &str), delay: Duration) -> CannedServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let routes: Vec<(String, u16, String)> = routes
        .iter()
        .map(|(t, s, b)| (t.to_string(), *s, b.to_string()))
        .collect();
    let fallback = (fallback.0, fallback.1.to_owned());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let mut target = String::new();
            // Read the request head up to the blank line.
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("x-amz-target")
                {
                    target = value.trim().to_owned();
                }
                line.clear();
            }
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            let (status, body) = routes
                .iter()
                .find(|(t, _, _)| *t == target)
                .map(|(_, s, b)| (*s, b.clone()))
                .unwrap_or_else(|| fallback.clone());
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                body.len(),
                body
            );
            let _ = stream.flush();
            let mut rest = [0u8; 1];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(10)));
            let _ = reader.read(&mut rest);
        }
    });
    CannedServer { url, hits }
}

/// Asserts an RFC 9457 problem with this status and code; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned()),
        Some("application/problem+json".to_owned())
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    body
}

// ---------------------------------------------------------------- keys

impl TestApp {
    /// Creates a tenant API key; returns the creation response.
    pub async fn create_key(&self, tenant: &str, body: Value) -> Value {
        let r = self
            .admin(
                reqwest::Method::POST,
                &format!("/admin/v1/tenants/{tenant}/api-keys"),
                Some(body),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// An admin request with an explicit credential.
    pub async fn admin_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// Polls until `probe` returns `expected` (changes that travel through
    /// database notifications arrive asynchronously), failing after 5 s.
    pub async fn eventually_status(&self, expected: u16, mut probe: impl AsyncFnMut() -> u16) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let got = probe().await;
            if got == expected {
                return;
            }
            assert!(Instant::now() < deadline, "still {got}, expected {expected}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
