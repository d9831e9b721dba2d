//! Policy documents that would be read differently than they were meant are
//! refused when stored, simulated or loaded: `${tenant}` templates that reach
//! into other tenants' names, ambiguous text, unknown actions.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn read_policy(resource: &str) -> Value {
    allow_policy(&[resource])
}

async fn put_policy(app: &TestApp, tenant: &str, policy: Value) -> reqwest::Response {
    app.admin(Method::PUT, &format!("/admin/v1/tenants/{tenant}/policy"), Some(policy))
        .await
}

async fn create_tenant_without_policy(app: &TestApp, id: &str) {
    let r = app
        .admin(
            Method::POST,
            "/admin/v1/tenants",
            Some(json!({"id": id, "name": format!("Tenant {id}")})),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn simulate(app: &TestApp, tenant: &str, body: Value) -> reqwest::Response {
    app.admin(
        Method::POST,
        &format!("/admin/v1/tenants/{tenant}/policy/simulate"),
        Some(body),
    )
    .await
}

/// The current policy version (0: none).
async fn policy_version(app: &TestApp, tenant: &str) -> i64 {
    let r = app
        .admin(Method::GET, &format!("/admin/v1/tenants/{tenant}/policy"), None)
        .await;
    if r.status() == 404 {
        return 0;
    }
    let body: Value = r.json().await.unwrap();
    body["version"].as_i64().unwrap()
}

#[tokio::test]
async fn a_tenant_template_that_runs_into_longer_ids_is_refused_everywhere() {
    let app = spawn_app().await;
    create_tenant_without_policy(&app, "a").await;
    let crossing = read_policy("arn:aws:logs:*:*:log-group:/t/${tenant}-*");

    let problem = assert_problem(put_policy(&app, "a", crossing.clone()).await, 400, "invalid_policy").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.starts_with("Statement[0] (Sid \"Read\"): "), "{detail}");
    assert!(detail.contains("tenant \"a-b\""), "says why: {detail}");
    assert!(detail.contains("\"${tenant}/*\""), "says what to write: {detail}");
    assert_eq!(problem["invalid_params"][0]["name"], "Statement[0]");
    assert_eq!(policy_version(&app, "a").await, 0, "nothing was stored");

    // The simulator refuses the same draft instead of answering for it.
    let arn = stream_arn("/t/a-b", "s");
    let r = simulate(
        &app,
        "a",
        json!({"action": "logs:GetLogEvents", "resource": arn, "policy": crossing}),
    )
    .await;
    let problem = assert_problem(r, 400, "invalid_policy").await;
    assert!(problem["detail"].as_str().unwrap().contains("tenant \"a-b\""));

    // Wildcards before the tenant reach into ids that end with it.
    let r = put_policy(&app, "a", read_policy("arn:aws:logs:*:*:log-group:*${tenant}/*")).await;
    assert_problem(r, 400, "invalid_policy").await;
    // A delimiter after the tenant is what is asked for.
    let r = put_policy(&app, "a", read_policy("arn:aws:logs:*:*:log-group:/t/${tenant}/*")).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn tenants_whose_ids_share_a_prefix_cannot_read_each_other() {
    let app = spawn_app().await;
    let root = format!("/{}", unique("t"));
    let policy = read_policy(&format!("arn:aws:logs:*:*:log-group:{root}/${{tenant}}/*"));
    app.create_tenant("a", policy.clone()).await;
    app.create_tenant("a-b", policy).await;
    for tenant in ["a", "a-b"] {
        seed(
            &app.logs,
            &format!("{root}/{tenant}/x"),
            "s",
            &[format!("{tenant} only")],
        )
        .await;
    }
    for (reader, owner, expected) in [
        ("a", "a", 200),
        ("a-b", "a-b", 200),
        ("a", "a-b", 403),
        ("a-b", "a", 403),
    ] {
        let r = app
            .get_events(
                &hs_token(reader),
                &format!("{root}/{owner}/x"),
                "s",
                "startFromHead=true",
            )
            .await;
        assert_eq!(r.status(), expected, "{reader} reading {owner}'s group");
    }
}

#[tokio::test]
async fn a_crossing_policy_stored_before_the_rule_grants_nothing_and_the_simulator_says_why() {
    let app = spawn_app().await;
    let root = format!("/{}", unique("t"));
    app.create_tenant(
        "a",
        read_policy(&format!("arn:aws:logs:*:*:log-group:{root}/${{tenant}}/*")),
    )
    .await;
    seed(&app.logs, &format!("{root}/a/x"), "s", &["mine".to_owned()]).await;
    seed(&app.logs, &format!("{root}/a-b/x"), "s", &["not mine".to_owned()]).await;
    let token = hs_token("a");
    let own = format!("{root}/a/x");
    assert_eq!(app.get_events(&token, &own, "s", "").await.status(), 200);

    // A policy written before the rule existed, as it sits in the database.
    let crossing = read_policy(&format!("arn:aws:logs:*:*:log-group:{root}/${{tenant}}*"));
    sqlx::query(
        "insert into tenant_policies (tenant_id, version, document, created_by) values ('a', 2, $1, 'before-the-fix')",
    )
    .bind(&crossing)
    .execute(&app.pool)
    .await
    .unwrap();

    // Fail closed: not even the tenant's own group, let alone its neighbour's.
    app.eventually_status(403, async || {
        app.get_events(&token, &own, "s", "").await.status().as_u16()
    })
    .await;
    let other = app.get_events(&token, &format!("{root}/a-b/x"), "s", "").await;
    assert_eq!(other.status(), 403);
    let me: Value = app.get(&token, "/v1/me").await.json().await.unwrap();
    assert_eq!(me["permissions"], json!([]));

    // The simulator explains the stored policy instead of answering allow.
    let arn = stream_arn(&format!("{root}/a-b/x"), "s");
    let r = simulate(&app, "a", json!({"action": "logs:GetLogEvents", "resource": arn})).await;
    let problem = assert_problem(r, 400, "invalid_policy").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("stored policy (version 2)"), "{detail}");
    assert!(detail.contains("grants nothing"), "{detail}");
    assert!(detail.contains("Statement[0] (Sid \"Read\")"), "{detail}");
    let r = simulate(&app, "a", json!([{"action": "logs:GetLogEvents", "resource": arn}])).await;
    assert_problem(r, 400, "invalid_policy").await;
}

#[tokio::test]
async fn a_policy_naming_an_action_logward_never_performs_is_refused_and_not_stored() {
    let app = spawn_app().await;
    app.create_tenant("acme", read_policy("arn:aws:logs:*:*:log-group:/acme/*"))
        .await;
    for action in ["logs:GetLogEvent", "logs:PutLogEvents", "logs:Put*"] {
        let policy = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": ["logs:FilterLogEvents", action], "Resource": "arn:aws:logs:*:*:log-group:/acme/*"}
        ]});
        let problem = assert_problem(put_policy(&app, "acme", policy).await, 400, "invalid_policy").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!(
                "Statement[0] (Sid \"Read\"): Action \"{action}\" matches none"
            )),
            "{detail}"
        );
        for valid in ["logs:GetLogEvents", "logs:DescribeLogStreams", "logs:StopQuery"] {
            assert!(detail.contains(valid), "lists the valid actions: {detail}");
        }
        assert_eq!(problem["invalid_params"][0]["name"], "Statement[0]");
        assert_eq!(
            policy_version(&app, "acme").await,
            1,
            "{action}: the version did not advance"
        );
    }
    // Patterns that match some action stay valid.
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*"], "Resource": "arn:aws:logs:*:*:log-group:/acme/*"},
        {"Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:*:*:log-group:/acme/audit:*"}
    ]});
    assert_eq!(put_policy(&app, "acme", policy).await.status(), 200);
    assert_eq!(policy_version(&app, "acme").await, 2);
}

#[tokio::test]
async fn a_sid_or_id_with_invisible_format_characters_is_refused() {
    let app = spawn_app().await;
    app.create_tenant("acme", read_policy("arn:aws:logs:*:*:log-group:/acme/*"))
        .await;
    // "Read" + RIGHT-TO-LEFT OVERRIDE: shown to tenants, it would read backwards.
    for (sid, id, field) in [
        ("Read\u{202E}etirW", None, "Statement[0]"),
        ("Read\u{2066}All", None, "Statement[0]"),
        ("Read\u{200B}", None, "Statement[0]"),
        ("Read", Some("acme\u{200F}"), "policy"),
    ] {
        let mut policy = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": sid, "Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "arn:aws:logs:*:*:log-group:/acme/*"}
        ]});
        if let Some(id) = id {
            policy["Id"] = json!(id);
        }
        let problem = assert_problem(put_policy(&app, "acme", policy.clone()).await, 400, "invalid_policy").await;
        assert_eq!(problem["invalid_params"][0]["name"], field, "{policy}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("invisible format characters"), "{detail}");
        assert!(
            !detail
                .chars()
                .any(|c| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
            "the refused text is not echoed: {detail:?}"
        );

        let arn = stream_arn("/acme/app", "s");
        let r = simulate(
            &app,
            "acme",
            json!({"action": "logs:GetLogEvents", "resource": arn, "policy": policy}),
        )
        .await;
        assert_problem(r, 400, "invalid_policy").await;
    }
    assert_eq!(policy_version(&app, "acme").await, 1);
}

async fn send_raw(app: &TestApp, method: Method, path: &str, text: &str) -> reqwest::Response {
    app.client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(text.to_owned())
        .send()
        .await
        .unwrap()
}

const RESOURCE: &str = "arn:aws:logs:*:*:log-group:/acme/*";

#[tokio::test]
async fn a_policy_with_a_repeated_key_is_refused_naming_the_key_and_where_it_is() {
    let app = spawn_app().await;
    create_tenant_without_policy(&app, "acme").await;
    let cases = [
        // Last-copy-wins would store an Allow where the reader sees a Deny.
        (
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Effect":"Allow","Action":"logs:*","Resource":"{RESOURCE}"}}]}}"#
            ),
            "Statement[0].Effect",
            "Effect",
        ),
        (
            format!(
                r#"{{"Version":"2012-10-17","Statement":[],"Statement":[{{"Effect":"Allow","Action":"logs:*","Resource":"{RESOURCE}"}}]}}"#
            ),
            "Statement",
            "Statement",
        ),
        (
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"logs:GetLogEvents","Resource":"{RESOURCE}"}},{{"Effect":"Deny","Action":"logs:*","Resource":"arn:aws:logs:*:*:log-group:/acme/audit:*","Resource":"arn:aws:logs:*:*:log-group:/nothing:*"}}]}}"#
            ),
            "Statement[1].Resource",
            "Resource",
        ),
        (
            format!(
                r#"{{"Version":"2012-10-17","Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"logs:*","Resource":"{RESOURCE}"}}}}"#
            ),
            "Version",
            "Version",
        ),
    ];
    for (text, path, key) in &cases {
        let r = send_raw(&app, Method::PUT, "/admin/v1/tenants/acme/policy", text).await;
        let problem = assert_problem(r, 400, "invalid_policy").await;
        assert_eq!(problem["invalid_params"][0]["name"], *path, "{text}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("duplicate key \"{key}\" at {path}")),
            "{detail}"
        );
    }
    assert_eq!(policy_version(&app, "acme").await, 0, "nothing was stored");
    assert_eq!(
        app.get_events(&hs_token("acme"), "/acme/app", "s", "").await.status(),
        403,
        "and nothing is granted"
    );

    // The simulator: in the draft it is the policy's fault, elsewhere the request's.
    let arn = stream_arn("/acme/app", "s");
    let (draft, _, _) = &cases[0];
    let body = format!(r#"{{"action":"logs:GetLogEvents","resource":"{arn}","policy":{draft}}}"#);
    let r = send_raw(&app, Method::POST, "/admin/v1/tenants/acme/policy/simulate", &body).await;
    let problem = assert_problem(r, 400, "invalid_policy").await;
    assert_eq!(problem["invalid_params"][0]["name"], "policy.Statement[0].Effect");
    for (body, path) in [
        (
            format!(r#"{{"action":"logs:GetLogEvents","action":"logs:FilterLogEvents","resource":"{arn}"}}"#),
            "action",
        ),
        (
            format!(r#"[{{"action":"logs:GetLogEvents","resource":"{arn}","resource":"{arn}"}}]"#),
            "[0].resource",
        ),
    ] {
        let r = send_raw(&app, Method::POST, "/admin/v1/tenants/acme/policy/simulate", &body).await;
        let problem = assert_problem(r, 400, "invalid_body").await;
        assert_eq!(problem["invalid_params"][0]["name"], path, "{body}");
    }
}

#[tokio::test]
async fn the_cli_refuses_a_policy_file_with_a_repeated_key() {
    let db = fresh_database().await;
    let url = db.url();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_logward"))
            .env_clear()
            .env("LOGWARD_DATABASE_URL", url)
            .env("USER", "tester")
            .args(args)
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    assert!(cli(&["tenant", "create", "acme", "--name", "ACME"]).0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(
        &file,
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"logs:*","Effect":"Allow","Resource":"{RESOURCE}"}}]}}"#
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let arn = stream_arn("/acme/app", "s");
    for args in [
        vec!["policy", "put", "acme", "--file", file],
        vec![
            "policy",
            "simulate",
            "acme",
            "--action",
            "logs:GetLogEvents",
            "--resource",
            &arn,
            "--file",
            file,
        ],
    ] {
        let (ok, stderr) = cli(&args);
        assert!(!ok, "{args:?} should fail");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains("duplicate key \"Effect\" at Statement[0].Effect"),
            "{stderr}"
        );
    }
    let (ok, stderr) = cli(&["policy", "get", "acme"]);
    assert!(!ok && stderr.contains("no policy"), "nothing was stored: {stderr}");
}
