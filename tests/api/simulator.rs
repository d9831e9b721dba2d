//! The simulator gives the request path's own answers.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn the_simulator_agrees_with_the_request_path() {
    let app = spawn_app().await;
    let root = format!("/{}", unique("acme"));
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "All", "Effect": "Allow", "Action": "logs:Get*", "Resource": format!("arn:aws:logs:*:*:log-group:{root}/*")},
        {"Sid": "Shared", "Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "arn:aws:logs:*:*:log-group:/shared:log-stream:acme-*"},
        {"Sid": "NoAudit", "Effect": "Deny", "Action": "logs:*", "Resource": format!("arn:aws:logs:*:*:log-group:{root}/audit:*")},
        {"Sid": "NoSecret", "Effect": "Deny", "Action": "logs:GetLogEvents", "Resource": "arn:aws:logs:*:*:log-group:*:log-stream:secret-?"}
    ]});
    app.create_tenant("acme", policy).await;
    let cases = [
        (format!("{root}/app"), "web"),
        (format!("{root}/audit"), "web"),
        (format!("{root}/app"), "secret-1"),
        (format!("{root}/app"), "secret-12"),
        ("/shared".to_owned(), "acme-1"),
        ("/shared".to_owned(), "globex-1"),
        ("/other".to_owned(), "web"),
    ];
    let token = hs_token("acme");
    let mut allowed = 0;
    for (group, stream) in &cases {
        let arn = stream_arn(group, stream);
        let r = app
            .admin(
                Method::POST,
                "/admin/v1/tenants/acme/policy/simulate",
                Some(json!({"action": "logs:GetLogEvents", "resource": arn})),
            )
            .await;
        assert_eq!(r.status(), 200);
        let sim: Value = r.json().await.unwrap();
        let status = app.get_events(&token, group, stream, "").await.status().as_u16();
        // Allowed requests reach moto (404: nothing seeded); denied ones stop at 403.
        let request_path_allowed = status != 403;
        assert_eq!(sim["decision"] == "allow", request_path_allowed, "{arn}: {sim}");
        allowed += request_path_allowed as usize;
        match sim["reason"].as_str().unwrap() {
            "explicit_deny" => assert!(
                sim["matchedStatements"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["effect"] == "Deny")
            ),
            "implicit_deny" => assert_eq!(sim["matchedStatements"], json!([])),
            "allowed" => assert!(!sim["matchedStatements"].as_array().unwrap().is_empty()),
            other => panic!("unexpected reason {other}"),
        }
    }
    assert_eq!(allowed, 3, "the table covers both outcomes");
}

#[tokio::test]
async fn the_simulator_takes_lists_and_drafts_and_validates_input() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/acme/*"]))
        .await;
    let arn = stream_arn("/acme/app", "s");
    let r = app
        .admin(
            Method::POST,
            "/admin/v1/tenants/acme/policy/simulate",
            Some(json!([
                {"action": "logs:GetLogEvents", "resource": arn},
                {"action": "logs:FilterLogEvents", "resource": arn}
            ])),
        )
        .await;
    let results: Value = r.json().await.unwrap();
    assert_eq!(results[0]["decision"], "allow");
    assert_eq!(results[1]["decision"], "deny");
    assert_eq!(results[1]["reason"], "implicit_deny");

    // A draft is evaluated instead of the stored policy, and not stored.
    let draft = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "logs:*", "Resource": "arn:aws:logs:*"}]});
    let r = app
        .admin(
            Method::POST,
            "/admin/v1/tenants/acme/policy/simulate",
            Some(json!({"action": "logs:GetLogEvents", "resource": arn, "policy": draft})),
        )
        .await;
    let sim: Value = r.json().await.unwrap();
    assert_eq!(sim["reason"], "explicit_deny");
    let stored: Value = app
        .admin(Method::GET, "/admin/v1/tenants/acme/policy", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["version"], 1);

    for (body, field) in [
        (json!({"action": "logs:PutLogEvents", "resource": arn}), "action"),
        (
            json!({"action": "logs:GetLogEvents", "resource": "arn:aws:s3:::b"}),
            "resource",
        ),
        (json!({"action": "logs:GetLogEvents"}), "resource"),
        (
            json!({"action": "logs:GetLogEvents", "resource": arn, "extra": 1}),
            "extra",
        ),
        (json!([{"action": "logs:GetLogEvents"}]), "[0].resource"),
    ] {
        let r = app
            .admin(
                Method::POST,
                "/admin/v1/tenants/acme/policy/simulate",
                Some(body.clone()),
            )
            .await;
        let problem = assert_problem(r, 400, "invalid_body").await;
        assert_eq!(problem["invalid_params"][0]["name"], field, "{body}");
    }
    let r = app
        .admin(
            Method::POST,
            "/admin/v1/tenants/nobody/policy/simulate",
            Some(json!({"action": "logs:GetLogEvents", "resource": arn})),
        )
        .await;
    assert_problem(r, 404, "resource_not_found").await;
}
