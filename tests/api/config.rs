//! The binary validates its configuration at start and names the variable.

use std::process::Command;

fn logward(envs: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logward"));
    cmd.env_clear().args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_or_missing_settings_stop_the_process_naming_the_variable() {
    let (ok, err) = logward(&[], &["serve"]);
    assert!(!ok);
    assert!(err.contains("LOGWARD_DATABASE_URL"), "{err}");

    let (ok, err) = logward(
        &[
            ("LOGWARD_DATABASE_URL", "postgres://x@127.0.0.1/db"),
            ("LOGWARD_JWT_LEEWAY_SECS", "soon"),
        ],
        &["serve"],
    );
    assert!(!ok);
    assert!(err.contains("LOGWARD_JWT_LEEWAY_SECS"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("logward.toml");
    std::fs::write(
        &file,
        "listen = \"not an address\"\ndatabase_url = \"postgres://x@127.0.0.1/db\"\n",
    )
    .unwrap();
    let (ok, err) = logward(&[], &["--config", file.to_str().unwrap(), "serve"]);
    assert!(!ok);
    assert!(err.contains("LOGWARD_LISTEN"), "{err}");
}

#[tokio::test]
async fn migrate_applies_the_schema_and_is_idempotent() {
    let database = crate::helpers::fresh_database().await;
    for _ in 0..2 {
        let (ok, err) = logward(&[("LOGWARD_DATABASE_URL", database.url())], &["migrate"]);
        assert!(ok, "{err}");
    }
    let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.tables where table_name in ('tenants', 'tenant_policies', 'audit_events')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 3);
}

#[tokio::test]
async fn tls_is_served_when_a_certificate_and_key_are_configured() {
    // A test CA and a server certificate it signs, made with the openssl CLI.
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (ca, cert, key) = (p("ca.pem"), p("cert.pem"), p("key.pem"));
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    for args in [
        [
            &["req", "-x509", "-days", "1", "-subj", "/CN=logward test CA"][..],
            &ec,
            &["-keyout", &p("ca.key"), "-out", &ca],
        ]
        .concat(),
        [
            &["req", "-subj", "/CN=localhost"][..],
            &ec,
            &["-keyout", &key, "-out", &p("leaf.csr")],
        ]
        .concat(),
        vec![
            "x509",
            "-req",
            "-days",
            "1",
            "-in",
            &p("leaf.csr"),
            "-CA",
            &ca,
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-extfile",
            &p("ext.cnf"),
            "-out",
            &cert,
        ],
    ] {
        let out = Command::new("openssl").args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let app = crate::helpers::TestApp::builder()
        .setting("LOGWARD_TLS_CERT", &cert)
        .setting("LOGWARD_TLS_KEY", &key)
        .spawn()
        .await;
    let https = app.address.replacen("http://", "https://", 1);
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
        .build()
        .unwrap();
    let r = client.get(format!("{https}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Plain HTTP is not served on a TLS listener.
    assert!(
        app.client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .is_err_or_not_ok()
    );
}

#[test]
fn a_missing_aws_region_is_the_first_thing_reported() {
    let home = tempfile::tempdir().unwrap();
    let (ok, err) = logward(
        &[
            // Unreachable: the region must be reported before the database is tried.
            ("LOGWARD_DATABASE_URL", "postgres://postgres@127.0.0.1:1/none"),
            ("LOGWARD_AWS_ACCOUNT_ID", "123456789012"),
            ("HOME", home.path().to_str().unwrap()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
        &["serve"],
    );
    assert!(!ok);
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("logward: AWS_REGION: required"), "{err}");
}

#[test]
fn unreadable_tls_files_stop_the_process_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let (ok, err) = logward(
        &[
            ("LOGWARD_DATABASE_URL", "postgres://postgres@127.0.0.1:1/none"),
            ("LOGWARD_TLS_CERT", bogus.to_str().unwrap()),
            ("LOGWARD_TLS_KEY", bogus.to_str().unwrap()),
            ("LOGWARD_AWS_ACCOUNT_ID", "123456789012"),
            ("AWS_REGION", "us-east-1"),
        ],
        &["serve"],
    );
    assert!(!ok);
    assert!(err.contains("LOGWARD_TLS_CERT"), "{err}");
}

trait NotOk {
    fn is_err_or_not_ok(&self) -> bool;
}

impl NotOk for Result<reqwest::Response, reqwest::Error> {
    fn is_err_or_not_ok(&self) -> bool {
        self.as_ref().map_or(true, |r| !r.status().is_success())
    }
}
