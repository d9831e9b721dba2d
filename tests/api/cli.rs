//! The management CLI against a fresh database.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::{TestDatabase, fresh_database};

struct Cli {
    database: TestDatabase,
}

impl Cli {
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.command(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_logward"));
        cmd.env_clear()
            .env("LOGWARD_DATABASE_URL", self.database.url())
            .env("USER", "tester")
            .args(args);
        cmd
    }

    /// Runs with `input` on standard input (not a terminal).
    fn run_with_input(&self, args: &[&str], input: &str) -> (bool, String) {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
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
    let shown = cli.ok(&["tenant", "show", "acme"]);
    let lines: Vec<&str> = shown.lines().collect();
    assert!(lines[0].starts_with("ID\tSTATUS\tNAME"), "{shown}");
    assert!(
        lines[1].starts_with("acme\tactive\tACME") && lines[1].ends_with("\tdefault"),
        "{shown}"
    );
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
    cli.ok(&["tenant", "delete", "acme", "--yes"]);
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

#[tokio::test]
async fn deleting_a_tenant_asks_for_its_id_unless_yes() {
    let cli = Cli {
        database: fresh_database().await,
    };
    cli.ok(&["tenant", "create", "acme", "--name", "ACME"]);
    // No answer (standard input closed), or the wrong one: nothing is deleted.
    cli.fails(&["tenant", "delete", "acme"], "not deleted");
    let (ok, stderr) = cli.run_with_input(&["tenant", "delete", "acme"], "globex\n");
    assert!(!ok, "{stderr}");
    assert!(cli.ok(&["tenant", "show", "acme"]).contains("acme\tactive"));
    // The tenant's id confirms.
    let (ok, stderr) = cli.run_with_input(&["tenant", "delete", "acme"], "acme\n");
    assert!(ok, "{stderr}");
    cli.fails(&["tenant", "show", "acme"], "no tenant acme");
}

#[tokio::test]
async fn a_closed_pipe_ends_the_cli_quietly() {
    let cli = Cli {
        database: fresh_database().await,
    };
    cli.ok(&["tenant", "create", "acme", "--name", "ACME"]);
    // `logward tenant list | head -0`: the reader is gone before the first
    // write (the CLI connects to the database first).
    let mut child = cli
        .command(&["tenant", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(stderr.is_empty(), "{stderr}");
}

#[tokio::test]
async fn the_cli_lists_with_a_header_and_manages_rate_limits_and_reads_the_audit() {
    let cli = Cli {
        database: fresh_database().await,
    };
    cli.ok(&["tenant", "create", "acme", "--name", "ACME"]);
    cli.ok(&["tenant", "create", "globex", "--name", "Globex"]);
    let listed = cli.ok(&["tenant", "list"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert_eq!(lines[0], "ID\tSTATUS\tNAME\tCREATED\tRATE_LIMIT");
    cli.ok(&["key", "create", "acme", "--name", "ci"]);
    assert!(
        cli.ok(&["key", "list", "acme"])
            .starts_with("ID\tPREFIX\tNAME\tACTIONS\tSTATE\n")
    );

    let limited = cli.json(&["tenant", "rate-limit", "acme", "--per-second", "5", "--burst", "10"]);
    assert_eq!(limited["rateLimit"]["perSecond"], 5);
    assert!(cli.ok(&["tenant", "show", "acme"]).contains("\t5/s burst 10"));
    cli.fails(
        &["tenant", "rate-limit", "acme", "--per-second", "0", "--burst", "1"],
        "rate",
    );
    let (ok, _, _) = cli.run(&["tenant", "rate-limit", "acme", "--per-second", "5"]);
    assert!(!ok, "--per-second needs --burst");
    let reset = cli.json(&["tenant", "rate-limit", "acme", "--default"]);
    assert!(reset.get("rateLimit").is_none(), "{reset}");
    assert!(cli.ok(&["tenant", "show", "acme"]).contains("\tdefault"));

    let page = cli.json(&["audit", "--tenant", "acme", "--kind", "admin"]);
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"tenant.create"), "{actions:?}");
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenantId"] == "acme")
    );
    let text = cli.ok(&["audit", "--limit", "1"]);
    assert!(text.starts_with("ID\tAT\tKIND"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
    cli.fails(&["audit", "--since", "yesterday"], "--since");
}

#[tokio::test]
async fn the_cli_lists_and_clears_a_tenants_queries() {
    let cli = Cli {
        database: fresh_database().await,
    };
    cli.ok(&["tenant", "create", "acme", "--name", "ACME"]);
    // A start whose outcome is unknown holds a slot; so does a query nobody fetched.
    let pool = sqlx::PgPool::connect(cli.database.url()).await.unwrap();
    sqlx::query(
        "insert into insights_queries (query_id, tenant_id, log_groups, started_by) values
         ('unconfirmed:abc', 'acme', '{/acme/app}', 'jwt:alice'), ('q-1', 'acme', '{/acme/db}', 'key:k')",
    )
    .execute(&pool)
    .await
    .unwrap();

    let listed = cli.ok(&["query", "list", "acme"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "QUERY_ID\tSTATE\tCOUNTS\tSTARTED\tSTARTED_BY\tLOG_GROUPS");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("unconfirmed:abc\tunconfirmed\tyes\t")),
        "{listed}"
    );
    assert!(lines.iter().any(|l| l.starts_with("q-1\trunning\tyes\t")), "{listed}");

    cli.fails(&["query", "clear", "acme", "a b"], "is not one `query list` shows");
    cli.fails(&["query", "clear", "acme", "q-2"], "tenant acme has no open query q-2");
    assert_eq!(
        cli.json(&["query", "clear", "acme", "q-1"])["cleared"],
        serde_json::json!(["q-1"])
    );
    assert_eq!(
        cli.json(&["query", "clear", "acme", "--all"])["cleared"],
        serde_json::json!(["unconfirmed:abc"])
    );
    let after = cli.json(&["query", "list", "acme"]);
    assert!(
        after
            .as_array()
            .unwrap()
            .iter()
            .all(|q| q["state"] == "finished" && q["countsTowardCap"] == false),
        "{after}"
    );
    let (ok, _, _) = cli.run(&["query", "clear", "acme"]);
    assert!(!ok, "clear needs a query id or --all");
    pool.close().await;
}
