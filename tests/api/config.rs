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
    let url = crate::helpers::fresh_database().await;
    for _ in 0..2 {
        let (ok, err) = logward(&[("LOGWARD_DATABASE_URL", &url)], &["migrate"]);
        assert!(ok, "{err}");
    }
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.tables where table_name in ('tenants', 'tenant_policies', 'audit_events')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 3);
}
