//! The management CLI against a fresh database.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{TestDatabase, fresh_database};

struct Cli {
    database: TestDatabase,
}

impl Cli {
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_logward"))
            .env_clear()
            .env("LOGWARD_DATABASE_URL", self.database.url())
            .env("USER", "tester")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = self.run(args);
        assert!(ok, "{args:?} failed: {stderr}");
        stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    fn fails(&self, args: &[&str], reason: &str) {
        let (ok, _, stderr) = self.run(args);
        assert!(!ok, "{args:?} should fail");
        assert_eq!(stderr.trim().lines().count(), 1, "one-line reason: {stderr}");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn the_cli_manages_tenants_policies_and_keys() {
    let cli = Cli {
        database: fresh_database().await,
    };
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.json");
    std::fs::write(
        &policy,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:GetLogEvents","Resource":"arn:aws:logs:*:*:log-group:/${tenant}/*"}]}"#,
    )
    .unwrap();
    let p = policy.to_str().unwrap();

    assert_eq!(
        cli.json(&["tenant", "create", "acme", "--name", "ACME"])["status"],
        "active"
    );
    assert!(cli.ok(&["tenant", "show", "acme"]).starts_with("acme\tactive\tACME"));
    assert_eq!(cli.json(&["policy", "put", "acme", "--file", p])["version"], 1);
    assert_eq!(
        cli.json(&["policy", "put", "acme", "--file", p, "--if-match", "1"])["version"],
        2
    );
    cli.fails(&["policy", "put", "acme", "--file", p, "--if-match", "1"], "version 2");
    assert_eq!(cli.json(&["policy", "get", "acme"])["version"], 2);

    let sim = cli.json(&[
        "policy",
        "simulate",
        "acme",
        "--action",
        "logs:GetLogEvents",
        "--resource",
        "arn:aws:logs:r:1:log-group:/acme/x:log-stream:s",
    ]);
    assert_eq!(sim["decision"], "allow");
    let sim = cli.json(&[
        "policy",
        "simulate",
        "acme",
        "--action",
        "logs:GetLogEvents",
        "--resource",
        "arn:aws:logs:r:1:log-group:/other/x:log-stream:s",
    ]);
    assert_eq!(sim["reason"], "implicit_deny");

    let key = cli.json(&[
        "key",
        "create",
        "acme",
        "--name",
        "ci",
        "--actions",
        "logs:GetLogEvents",
    ]);
    assert!(key["key"].as_str().unwrap().starts_with("lwk_"));
    let listed = cli.json(&["key", "list", "acme"]);
    assert_eq!(listed[0]["id"], key["id"]);
    assert!(listed[0].get("key").is_none());
    let revoked = cli.json(&["key", "revoke", "acme", key["id"].as_str().unwrap()]);
    assert!(revoked["revokedAt"].is_string());

    let admin = cli.json(&["admin-key", "create", "--name", "ops"]);
    assert!(admin["key"].as_str().unwrap().starts_with("lwa_"));
    assert_eq!(cli.json(&["admin-key", "list"]).as_array().unwrap().len(), 1);
    cli.ok(&["admin-key", "revoke", admin["id"].as_str().unwrap()]);

    assert_eq!(cli.json(&["tenant", "disable", "acme"])["status"], "disabled");
    assert_eq!(
        cli.json(&["tenant", "list", "--status", "disabled"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(cli.json(&["tenant", "enable", "acme"])["status"], "active");
    cli.ok(&["tenant", "delete", "acme"]);
    cli.fails(&["tenant", "show", "acme"], "no tenant acme");

    // Every change was audited as the CLI user.
    let pool = sqlx::PgPool::connect(cli.database.url()).await.unwrap();
    let actors: Vec<String> = sqlx::query_scalar("select distinct principal from audit_events where kind = 'admin'")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(actors, ["cli:tester"]);
}

#[tokio::test]
async fn the_cli_fails_cleanly_on_bad_input() {
    let cli = Cli {
        database: fresh_database().await,
    };
    cli.fails(&["tenant", "create", "Bad_Id", "--name", "x"], "tenant id");
    cli.fails(&["tenant", "create", "ok", "--name", " padded "], "name");
    cli.ok(&["tenant", "create", "acme", "--name", "ACME"]);
    cli.fails(&["tenant", "create", "acme", "--name", "again"], "already exists");
    cli.fails(
        &["policy", "put", "acme", "--file", "/nonexistent.json"],
        "reading /nonexistent.json",
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:logs:*"}]}"#,
    )
    .unwrap();
    cli.fails(
        &["policy", "put", "acme", "--file", bad.to_str().unwrap()],
        "Statement[0]",
    );
    cli.fails(
        &["key", "create", "acme", "--name", "x", "--expires-at", "tomorrow"],
        "--expires-at",
    );
    cli.fails(
        &["key", "create", "acme", "--name", "x", "--actions", "logs:Nope"],
        "actions",
    );
    cli.fails(&["key", "revoke", "acme", "aaaaaaaaaaaaaaaa"], "no key");
    cli.fails(
        &["policy", "simulate", "acme", "--action", "x", "--resource", "y"],
        "action",
    );
    let (ok, _, _) = cli.run(&["tenant", "frobnicate"]);
    assert!(!ok);
}
