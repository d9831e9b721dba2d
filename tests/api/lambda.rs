//! The Lambda mode: the real binary, started the way Lambda starts it (no
//! command, `AWS_LAMBDA_RUNTIME_API` set), against a fake Runtime API, the
//! test's Postgres and moto. Each invocation must take the server's path
//! (routes, authentication, policies, problem+json), its audit row must be in
//! the database by the time its response reaches the runtime, and a policy
//! changed through the CLI must hold from the next invocation on; with the
//! database unreachable, decisions fail closed.

mod events;
mod runtime;

use std::io::Write;
use std::process::Stdio;
use std::time::Instant;

use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};

use crate::helpers::{
    ACCOUNT, HS_SECRET, REGION, TestApp, allow_policy, base_database_url, enc, fresh_database, hs_token, moto, seed,
    stream_arn, unique,
};
use runtime::{FakeRuntime, Outcome};

const TOKEN_KEY: &str = "lambda-test-token-key-0123456789abcdef";

/// `logward` as Lambda runs it, killed when dropped.
struct LambdaProcess {
    child: tokio::process::Child,
    stderr: tempfile::NamedTempFile,
}

impl LambdaProcess {
    fn start(runtime_api: &str, database_url: &str) -> Self {
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let log = if std::env::var("TEST_LOG").is_ok() {
            "info"
        } else {
            "warn"
        };
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_logward"))
            .env_clear()
            // What Lambda sets in every execution environment.
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "logward")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/logward")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/01/[$LATEST]0123456789abcdef")
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &moto().url)
            // What template.yaml sets.
            .env("LOGWARD_DATABASE_URL", database_url)
            .env("LOGWARD_TOKEN_KEY", TOKEN_KEY)
            .env("LOGWARD_AWS_ACCOUNT_ID", ACCOUNT)
            .env("LOGWARD_JWT_HS256_SECRET", HS_SECRET)
            // moto's 500s are not retried (CLOUDWATCH_NOTES).
            .env("LOGWARD_UPSTREAM_MAX_ATTEMPTS", "1")
            // The writer's timer would not fire within the test: the rows the
            // fake finds were written by the flush before each response.
            .env("LOGWARD_AUDIT_FLUSH_MS", "60000")
            // Re-read the directory before every invocation, so the policy
            // change below must be honoured by the very next one.
            .env("LOGWARD_LAMBDA_REFRESH_MS", "0")
            .env("LOGWARD_LOG", log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr.reopen().unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Self { child, stderr }
    }

    /// The next outcome the fake received; fails if the process exits first.
    async fn outcome(&mut self, runtime: &mut FakeRuntime) -> Outcome {
        tokio::select! {
            outcome = runtime.outcome() => outcome,
            status = self.child.wait() => panic!(
                "logward exited ({:?}): {}",
                status,
                std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
            ),
        }
    }
}

/// Status, headers and JSON body of a response the runtime posted (either
/// payload format: 2.0 has `headers`, 1.0 `multiValueHeaders`).
fn answer(outcome: &Outcome) -> (u16, String, Value) {
    assert_eq!(outcome.kind, "response", "{outcome:?}");
    let posted = &outcome.body;
    let status = posted["statusCode"].as_u64().unwrap() as u16;
    let content_type = match &posted["headers"]["content-type"] {
        Value::String(v) => v.clone(),
        _ => posted["multiValueHeaders"]["content-type"][0]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    assert_eq!(posted["isBase64Encoded"], false, "JSON is sent as text: {posted}");
    let body = serde_json::from_str(posted["body"].as_str().unwrap()).unwrap();
    (status, content_type, body)
}

fn problem(outcome: &Outcome, status: u16, code: &str) -> Value {
    let (got, content_type, body) = answer(outcome);
    assert_eq!(
        (got, content_type.as_str()),
        (status, "application/problem+json"),
        "{body}"
    );
    assert_eq!(body["code"], code, "{body}");
    body
}

#[tokio::test]
async fn lambda_invocations_take_the_servers_path_and_write_their_audit_rows_before_answering() {
    let database = fresh_database().await;
    // The server applies the migrations (`logward lambda` never does) and
    // answers the REST reference request.
    let app = TestApp::builder()
        .database(database.url(), database.url())
        .setting("LOGWARD_TOKEN_KEY", TOKEN_KEY)
        .spawn()
        .await;
    let (own_group, other_group) = (unique("lambda-acme"), unique("lambda-globex"));
    seed(&app.logs, &own_group, "app", &["one".into(), "two".into()]).await;
    seed(&app.logs, &other_group, "app", &["secret".into()]).await;
    app.create_tenant("acme", allow_policy(&[&stream_arn(&own_group, "app")]))
        .await;
    app.create_tenant("globex", allow_policy(&[&stream_arn(&other_group, "app")]))
        .await;
    let acme = hs_token("acme");
    let own = format!("/v1/log-groups/{}/log-streams/app/events", enc(&own_group));
    let reference = app.get(&acme, &format!("{own}?startFromHead=true")).await;
    assert_eq!(reference.status(), 200);
    let reference: Value = reference.json().await.unwrap();

    let mut runtime = FakeRuntime::start(app.pool.clone());
    let id = runtime.queue(events::http_api("GET", &format!("{own}?startFromHead=true"), &acme));
    let started = Instant::now();
    let mut lambda = LambdaProcess::start(&runtime.address, database.url());

    // HTTP API (2.0): the tenant's own stream, the same body as the REST route.
    let first = lambda.outcome(&mut runtime).await;
    let cold_start = first.at - started;
    let _ = writeln!(
        std::io::stderr(),
        "lambda cold start (process start to first response posted): {} ms",
        cold_start.as_millis()
    );
    assert_eq!(first.request_id, id);
    let (status, content_type, body) = answer(&first);
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(body, reference);
    assert_eq!(body["events"].as_array().unwrap().len(), 2);
    assert_eq!(
        first.audit_rows,
        Some(1),
        "the audit row is written before the response is posted"
    );

    // REST API (1.0): another tenant's stream.
    let other = format!("/v1/log-groups/{}/log-streams/app/events", enc(&other_group));
    let id = runtime.queue(events::rest_api("GET", &other, &acme));
    let denied = lambda.outcome(&mut runtime).await;
    assert_eq!(denied.request_id, id);
    problem(&denied, 403, "access_denied");
    assert_eq!(denied.audit_rows, Some(1));

    // Function URL: a credential that is no token.
    let id = runtime.queue(events::function_url("GET", &own, "not-a-token"));
    let refused = lambda.outcome(&mut runtime).await;
    assert_eq!(refused.request_id, id);
    problem(&refused, 401, "unauthenticated");
    assert_eq!(refused.audit_rows, Some(1));

    // A live tail cannot run in a buffered, time-limited invocation.
    let tail = format!("/v1/log-groups/{}/log-streams/app/tail", enc(&own_group));
    runtime.queue(events::function_url("GET", &tail, &acme));
    let tail = lambda.outcome(&mut runtime).await;
    let body = problem(&tail, 501, "tail_unavailable");
    assert!(body["detail"].as_str().unwrap().contains("nextForwardToken"), "{body}");
    assert_eq!(tail.audit_rows, Some(1));

    // The CLI narrows acme's policy to another stream; the next invocation
    // (the directory is re-read before it) must be refused.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, allow_policy(&[&stream_arn(&own_group, "audit")]).to_string()).unwrap();
    let put = tokio::process::Command::new(env!("CARGO_BIN_EXE_logward"))
        .env_clear()
        .env("LOGWARD_DATABASE_URL", database.url())
        .env("USER", "tester")
        .args(["policy", "put", "acme", "--file", policy.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));
    let id = runtime.queue(events::http_api("GET", &own, &acme));
    let after = lambda.outcome(&mut runtime).await;
    assert_eq!(after.request_id, id);
    problem(&after, 403, "access_denied");
    assert_eq!(after.audit_rows, Some(1));

    // The database refuses connections: the refresh before the invocation
    // fails, and the decision fails closed. Its audit row stays buffered...
    let mut maintenance = PgConnection::connect(&base_database_url()).await.unwrap();
    let db = database.url().rsplit('/').next().unwrap().to_owned();
    let allow = |on: bool| format!(r#"alter database "{db}" allow_connections {on}"#);
    maintenance.execute(sqlx::AssertSqlSafe(allow(false))).await.unwrap();
    maintenance
        .execute(sqlx::AssertSqlSafe(format!(
            "select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = '{db}'"
        )))
        .await
        .unwrap();
    let outage = runtime.queue(events::http_api("GET", &own, &acme));
    let unavailable = lambda.outcome(&mut runtime).await;
    assert_eq!(unavailable.request_id, outage);
    problem(&unavailable, 503, "service_unavailable");
    assert_eq!(
        unavailable.audit_rows, None,
        "the fake cannot reach the database either"
    );

    // ...and is written with the next invocation's, once the database is back.
    maintenance.execute(sqlx::AssertSqlSafe(allow(true))).await.unwrap();
    runtime.queue(events::http_api("GET", &own, &acme));
    let back = lambda.outcome(&mut runtime).await;
    problem(&back, 403, "access_denied");
    assert_eq!(back.audit_rows, Some(1));
    let kept: i64 = sqlx::query_scalar("select count(*) from audit_events where request_id = $1")
        .bind(&outage)
        .fetch_one(&mut PgConnection::connect(database.url()).await.unwrap())
        .await
        .unwrap();
    assert_eq!(kept, 1, "the refusal's audit row is kept and written later");
}

#[tokio::test]
async fn lambda_mode_refuses_to_start_without_a_token_key_and_never_migrates() {
    let database = fresh_database().await;
    let start = |token_key: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_logward"));
        cmd.env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
            .env("AWS_LAMBDA_FUNCTION_NAME", "logward")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", REGION)
            .env("LOGWARD_DATABASE_URL", database.url())
            .env("LOGWARD_AWS_ACCOUNT_ID", ACCOUNT)
            .env("LOGWARD_LOG", "off")
            .arg("serve");
        if let Some(key) = token_key {
            cmd.env("LOGWARD_TOKEN_KEY", key);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = start(None);
    assert!(
        stderr.contains("LOGWARD_TOKEN_KEY: required in Lambda mode"),
        "{stderr}"
    );
    let stderr = start(Some(TOKEN_KEY));
    assert!(stderr.contains("run `logward migrate` first"), "{stderr}");
    let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
    let tables: i64 = sqlx::query_scalar("select count(*) from pg_tables where schemaname = 'public'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tables, 0, "a cold start must not migrate");
    pool.close().await;
}
