//! Access keys (SigV4 credentials): the admin routes and the CLI, how the
//! secret is stored, and requests signed by botocore authenticated by the
//! running gateway (as the AWS door will) until the key is revoked, also
//! when the revocation arrives only through the database notification.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const SECRETS_KEY: &str = "test-secrets-key-0123456789abcdef-0123";
const NEXT_SECRETS_KEY: &str = "the-next-secrets-key-0123456789abcdef";

async fn app_with_access_keys() -> TestApp {
    let app = TestApp::builder()
        .setting("LOGWARD_SECRETS_KEY", SECRETS_KEY)
        .spawn()
        .await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/acme/*"]))
        .await;
    app.create_tenant("globex", allow_policy(&["arn:aws:logs:*:*:log-group:/globex/*"]))
        .await;
    app
}

async fn create(app: &TestApp, tenant: &str, body: Value) -> reqwest::Response {
    app.admin(
        Method::POST,
        &format!("/admin/v1/tenants/{tenant}/access-keys"),
        Some(body),
    )
    .await
}

async fn created(app: &TestApp, tenant: &str, body: Value) -> (String, String) {
    let r = create(app, tenant, body).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    (
        body["accessKeyId"].as_str().unwrap().to_owned(),
        body["secretAccessKey"].as_str().unwrap().to_owned(),
    )
}

const SIGN: &str = r#"
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
r = json.load(sys.stdin)
request = AWSRequest(method="POST", url=r["url"], data=r["body"].encode(), headers={
    "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"})
SigV4Auth(Credentials(r["id"], r["secret"]), "logs", "us-east-1").add_auth(request)
print(json.dumps(list(request.headers.items())))
"#;

/// Headers of a DescribeLogGroups request to `url` as boto3 signs it
/// (botocore's `SigV4Auth`; the Host it signs is the URL's, which the HTTP
/// client then sends).
fn botocore_signed(url: &str, id: &str, secret: &str, body: &str) -> Vec<(String, String)> {
    let python = std::env::var("LOGWARD_TEST_MOTO_SERVER")
        .map(|moto| PathBuf::from(moto).with_file_name("python"))
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let mut child = Command::new(python)
        .args(["-c", SIGN])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = json!({"url": url, "id": id, "secret": secret, "body": body}).to_string();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "botocore failed to sign");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What the AWS door's authentication makes of a botocore-signed request.
async fn authenticate(app: &TestApp, id: &str, secret: &str) -> Result<String, String> {
    let body = r#"{"logGroupNamePrefix": "/acme/"}"#;
    let url = format!("{}/", app.address);
    let mut request = app.client.post(&url).body(body);
    for (name, value) in botocore_signed(&url, id, secret, body) {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let request_id = response.headers()["x-amzn-requestid"].to_str().unwrap().to_owned();
    // The audit row of this very request names who it was (authenticated,
    // whatever the policy then decided), or why authentication refused it.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let row: Option<(Option<String>, String)> =
            sqlx::query_as("select principal, reason from audit_events where request_id = $1")
                .bind(&request_id)
                .fetch_optional(&app.pool)
                .await
                .unwrap();
        match row {
            Some((Some(principal), _)) => return Ok(principal),
            Some((None, reason)) => return Err(reason),
            None => assert!(Instant::now() < deadline, "no audit row for {request_id}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (bounded) until the gateway refuses the key, with `reason`.
async fn eventually_refused(app: &TestApp, id: &str, secret: &str, reason: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match authenticate(app, id, secret).await {
            Err(got) if got == reason => return,
            other => assert!(Instant::now() < deadline, "still {other:?}, expected {reason}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_access_key_is_shown_once_and_listed_without_its_secret() {
    let app = app_with_access_keys().await;
    let r = create(
        &app,
        "acme",
        json!({"name": "grafana", "expiresAt": "2099-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    let id = body["accessKeyId"].as_str().unwrap();
    let secret = body["secretAccessKey"].as_str().unwrap();
    assert!(id.len() == 20 && id.starts_with("LWAK"), "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{id}");
    assert_eq!(secret.len(), 40);
    assert_eq!(body["name"], "grafana");
    assert_eq!(body["expiresAt"], "2099-01-01T00:00:00Z");
    assert!(body["createdAt"].is_string());

    let r = app.admin(Method::GET, "/admin/v1/tenants/acme/access-keys", None).await;
    assert_eq!(r.status(), 200);
    let listed = r.text().await.unwrap();
    assert!(!listed.contains(secret), "the secret is listed");
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["items"][0]["accessKeyId"], id);
    assert!(listed["items"][0].get("secretAccessKey").is_none());
    // Another tenant's list does not show it.
    let r = app
        .admin(Method::GET, "/admin/v1/tenants/globex/access-keys", None)
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["items"], json!([]));
    let rows = app.audit_rows("action = 'access_key.create'", 1).await;
    assert_eq!(rows[0].2.as_deref(), Some(format!("access-key/{id}").as_str()));
}

#[tokio::test]
async fn a_dump_of_the_database_holds_no_secret() {
    let app = app_with_access_keys().await;
    let (id, secret) = created(&app, "acme", json!({"name": "ci"})).await;
    let url: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let dump = Command::new("pg_dump")
        .args(["-h", "127.0.0.1", "-U", "postgres", "--data-only", &url])
        .output()
        .unwrap();
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains(&id), "the dump has the access key row");
    assert!(!dump.contains(&secret), "the dump holds the secret in clear");
    // Neither is the secret in the audit record of its creation.
    let detail: String = sqlx::query_scalar("select detail::text from audit_events where action = 'access_key.create'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(detail.contains(&id) && !detail.contains(&secret));
}

#[tokio::test]
async fn a_botocore_signed_request_authenticates_until_the_key_is_revoked() {
    let app = app_with_access_keys().await;
    let (id, secret) = created(&app, "acme", json!({"name": "boto3"})).await;
    assert_eq!(authenticate(&app, &id, &secret).await, Ok(format!("access-key:{id}")));
    let wrong = format!("{}A", &secret[..39]);
    let wrong = if wrong == secret {
        format!("{}B", &secret[..39])
    } else {
        wrong
    };
    assert_eq!(
        authenticate(&app, &id, &wrong).await,
        Err("invalid_signature".to_owned())
    );
    assert_eq!(
        authenticate(&app, "LWAK0000000000000000", &secret).await,
        Err("unknown_access_key".to_owned())
    );

    // Another tenant cannot revoke it; its own can.
    let r = app
        .admin(
            Method::DELETE,
            &format!("/admin/v1/tenants/globex/access-keys/{id}"),
            None,
        )
        .await;
    assert_problem(r, 404, "resource_not_found").await;
    let r = app
        .admin(
            Method::DELETE,
            &format!("/admin/v1/tenants/acme/access-keys/{id}"),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["revokedAt"].is_string());
    assert_eq!(
        authenticate(&app, &id, &secret).await,
        Err("unknown_access_key".to_owned())
    );
}

#[tokio::test]
async fn using_an_access_key_records_when_it_was_last_used() {
    let app = app_with_access_keys().await;
    let (id, secret) = created(&app, "acme", json!({"name": "boto3"})).await;
    assert!(authenticate(&app, &id, &secret).await.is_ok());
    // Uses are written in batches every 10 s.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = app.admin(Method::GET, "/admin/v1/tenants/acme/access-keys", None).await;
        let listed: Value = r.json().await.unwrap();
        if listed["items"][0]["lastUsedAt"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "lastUsedAt never set: {listed}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_revocation_made_elsewhere_arrives_through_the_notification() {
    let app = app_with_access_keys().await;
    let (id, secret) = created(&app, "acme", json!({"name": "boto3"})).await;
    assert!(authenticate(&app, &id, &secret).await.is_ok());
    // Another instance (or the CLI) revokes it: only the notification tells this one.
    sqlx::query("update access_keys set revoked_at = now() where id = $1")
        .bind(&id)
        .execute(&app.pool)
        .await
        .unwrap();
    eventually_refused(&app, &id, &secret, "unknown_access_key").await;
}

#[tokio::test]
async fn expiry_and_a_disabled_tenant_refuse_a_good_signature() {
    let app = app_with_access_keys().await;
    let (id, secret) = created(
        &app,
        "acme",
        json!({"name": "soon", "expiresAt": "2099-01-01T00:00:00Z"}),
    )
    .await;
    assert!(authenticate(&app, &id, &secret).await.is_ok());
    sqlx::query("update access_keys set expires_at = now() - interval '1 second' where id = $1")
        .bind(&id)
        .execute(&app.pool)
        .await
        .unwrap();
    eventually_refused(&app, &id, &secret, "expired_access_key").await;

    let (id, secret) = created(&app, "acme", json!({"name": "other"})).await;
    let r = app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"status": "disabled"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        authenticate(&app, &id, &secret).await,
        Err("disabled_tenant".to_owned())
    );
}

#[tokio::test]
async fn access_keys_are_refused_without_a_secrets_key() {
    let app = TestApp::builder().setting("LOGWARD_SECRETS_KEY", "").spawn().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/acme/*"]))
        .await;
    let r = create(&app, "acme", json!({"name": "ci"})).await;
    let body = assert_problem(r, 409, "conflict").await;
    assert!(
        body["detail"].as_str().unwrap().contains("LOGWARD_SECRETS_KEY"),
        "{body}"
    );
    // And SigV4 is refused outright (fail closed).
    assert_eq!(
        authenticate(&app, "LWAK0000000000000000", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").await,
        Err("access_keys_disabled".to_owned())
    );
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let app = app_with_access_keys().await;
    for (body, field) in [
        (json!({"name": "x", "expiresAt": "2020-01-01T00:00:00Z"}), "expiresAt"),
        (json!({"name": "x", "actions": ["logs:PutLogEvents"]}), "actions"),
        (json!({"name": "x", "actions": []}), "actions"),
        (json!({"name": ""}), "name"),
    ] {
        let problem = assert_problem(create(&app, "acme", body).await, 400, "invalid_body").await;
        assert_eq!(problem["invalid_params"][0]["name"], field);
    }
    let r = create(&app, "acme", json!({"name": "x", "secret": "mine"})).await;
    assert_eq!(r.status(), 400);
    assert_problem(
        create(&app, "nobody", json!({"name": "x"})).await,
        404,
        "resource_not_found",
    )
    .await;
    let r = app
        .admin(Method::DELETE, "/admin/v1/tenants/acme/access-keys/lwak0000", None)
        .await;
    let problem = assert_problem(r, 400, "invalid_parameter").await;
    assert_eq!(problem["invalid_params"][0]["name"], "accessKeyId");
    let r = app
        .admin(
            Method::DELETE,
            "/admin/v1/tenants/acme/access-keys/LWAK0000000000000000",
            None,
        )
        .await;
    assert_problem(r, 404, "resource_not_found").await;
    // Narrowed actions are normalised, as for API keys.
    let r = create(
        &app,
        "acme",
        json!({"name": "reader", "actions": ["logs:getlogevents"]}),
    )
    .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["actions"],
        json!(["logs:GetLogEvents"])
    );
}

/// The CLI against the app's database, with `secrets` as its server keys.
fn cli(app_db: &str, secrets: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logward"));
    cmd.env_clear()
        .env("LOGWARD_DATABASE_URL", app_db)
        .env("USER", "tester")
        .args(args);
    for (var, value) in secrets {
        cmd.env(var, value);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_creates_lists_revokes_and_reseals_access_keys() {
    let database = fresh_database().await;
    let url = database.url().to_owned();
    let app = TestApp::builder()
        .setting("LOGWARD_SECRETS_KEY", SECRETS_KEY)
        .database(&url, &url)
        .spawn()
        .await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/acme/*"]))
        .await;
    let key = [("LOGWARD_SECRETS_KEY", SECRETS_KEY)];

    let (ok, _, stderr) = cli(&url, &[], &["access-key", "create", "acme", "--name", "x"]);
    assert!(!ok && stderr.contains("LOGWARD_SECRETS_KEY"), "{stderr}");

    let (ok, stdout, stderr) = cli(&url, &key, &["--json", "access-key", "create", "acme", "--name", "cli"]);
    assert!(ok, "{stderr}");
    let created: Value = serde_json::from_str(&stdout).unwrap();
    let id = created["accessKeyId"].as_str().unwrap().to_owned();
    let secret = created["secretAccessKey"].as_str().unwrap().to_owned();
    // A key the CLI sealed opens in the gateway (same server key).
    eventually_ok(&app, &id, &secret).await;

    let (ok, stdout, _) = cli(&url, &key, &["access-key", "list", "acme"]);
    assert!(ok && stdout.contains(&id) && !stdout.contains(&secret), "{stdout}");

    // Rotation: re-seal under a new key, with the old one as the previous.
    let rotating = [
        ("LOGWARD_SECRETS_KEY", NEXT_SECRETS_KEY),
        ("LOGWARD_SECRETS_KEY_PREVIOUS", SECRETS_KEY),
    ];
    let (ok, stdout, stderr) = cli(&url, &rotating, &["--json", "access-key", "reseal"]);
    assert!(ok, "{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap()["resealed"], 1);
    let (_, stdout, _) = cli(&url, &rotating, &["--json", "access-key", "reseal"]);
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap()["current"], 1);
    // A gateway with only the new key verifies it; this one (old key only)
    // can no longer open it.
    let rotated = TestApp::builder()
        .setting("LOGWARD_SECRETS_KEY", NEXT_SECRETS_KEY)
        .database(&url, &url)
        .spawn()
        .await;
    assert!(authenticate(&rotated, &id, &secret).await.is_ok());
    eventually_refused(&app, &id, &secret, "unknown_access_key").await;

    // Revoked by the CLI, a separate process: the gateway learns it only
    // through the notification.
    let (ok, _, stderr) = cli(&url, &rotating, &["access-key", "revoke", "acme", &id]);
    assert!(ok, "{stderr}");
    eventually_refused(&rotated, &id, &secret, "unknown_access_key").await;
    drop(database);
}

async fn eventually_ok(app: &TestApp, id: &str, secret: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Err(why) = authenticate(app, id, secret).await {
        assert!(Instant::now() < deadline, "still refused: {why}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
