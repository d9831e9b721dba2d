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

/// How the table reaches the real route for one case.
enum Probe {
    Events(&'static str),
    Filter(&'static str),
    GroupTail,
    Streams(&'static str),
    Query,
}

#[tokio::test]
async fn the_simulator_decides_every_action_and_resource_form_as_the_routes_do() {
    let app = spawn_app().await;
    let logs = logs_client().await;
    let root = format!("/{}", unique("demo"));
    let (app_group, other, shared) = (format!("{root}/app"), format!("{root}/other"), format!("{root}-shared"));
    seed(&logs, &app_group, "web", &["hello".to_owned()]).await;
    seed(&logs, &app_group, "secret-1", &["hush".to_owned()]).await;
    seed(&logs, &other, "web", &["hello".to_owned()]).await;
    seed(&logs, &shared, "acme-1", &["hello".to_owned()]).await;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Demo", "Effect": "Allow", "Action": "logs:*", "Resource": format!("arn:aws:logs:*:*:log-group:{root}/*")},
        {"Sid": "Shared", "Effect": "Allow", "Action": ["logs:FilterLogEvents", "logs:StartQuery"], "Resource": format!("arn:aws:logs:*:*:log-group:{shared}:log-stream:acme-*")},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "logs:*", "Resource": format!("arn:aws:logs:*:*:log-group:{app_group}:log-stream:secret-*")}
    ]});
    app.create_tenant("acme", policy).await;
    let group_arn = |g: &str| format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{g}");
    use Probe::*;
    // (action, resource, group, probe, simulator reason)
    let cases = [
        (
            "logs:GetLogEvents",
            stream_arn(&app_group, "web"),
            &app_group,
            Events("web"),
            "allowed",
        ),
        (
            "logs:GetLogEvents",
            stream_arn(&app_group, "secret-1"),
            &app_group,
            Events("secret-1"),
            "explicit_deny",
        ),
        (
            "logs:FilterLogEvents",
            group_arn(&app_group),
            &app_group,
            Filter(""),
            "not_provable",
        ),
        (
            "logs:FilterLogEvents",
            format!("{}:*", group_arn(&app_group)),
            &app_group,
            Filter(""),
            "not_provable",
        ),
        (
            "logs:FilterLogEvents",
            format!("{}:*", group_arn(&app_group)),
            &app_group,
            GroupTail,
            "not_provable",
        ),
        (
            "logs:FilterLogEvents",
            format!("{}:*", group_arn(&other)),
            &other,
            GroupTail,
            "allowed",
        ),
        ("logs:FilterLogEvents", group_arn(&other), &other, Filter(""), "allowed"),
        (
            "logs:FilterLogEvents",
            stream_arn(&app_group, "web*"),
            &app_group,
            Filter("logStreamNamePrefix=web"),
            "allowed",
        ),
        (
            "logs:FilterLogEvents",
            stream_arn(&app_group, "se*"),
            &app_group,
            Filter("logStreamNamePrefix=se"),
            "not_provable",
        ),
        (
            "logs:FilterLogEvents",
            stream_arn(&app_group, "secret-*"),
            &app_group,
            Filter("logStreamNamePrefix=secret-"),
            "explicit_deny",
        ),
        (
            "logs:FilterLogEvents",
            stream_arn(&app_group, "web"),
            &app_group,
            Filter("logStreamNames=web"),
            "allowed",
        ),
        (
            "logs:FilterLogEvents",
            stream_arn(&app_group, "secret-1"),
            &app_group,
            Filter("logStreamNames=secret-1"),
            "explicit_deny",
        ),
        (
            "logs:FilterLogEvents",
            group_arn(&shared),
            &shared,
            Filter(""),
            "not_provable",
        ),
        (
            "logs:FilterLogEvents",
            stream_arn(&shared, "acme-*"),
            &shared,
            Filter("logStreamNamePrefix=acme-"),
            "allowed",
        ),
        (
            "logs:StartQuery",
            group_arn(&app_group),
            &app_group,
            Query,
            "not_provable",
        ),
        ("logs:StartQuery", group_arn(&other), &other, Query, "allowed"),
        ("logs:StartQuery", group_arn(&shared), &shared, Query, "not_provable"),
        (
            "logs:DescribeLogStreams",
            group_arn(&app_group),
            &app_group,
            Streams(""),
            "allowed",
        ),
        (
            "logs:DescribeLogStreams",
            stream_arn(&app_group, "secret-*"),
            &app_group,
            Streams("prefix=secret-"),
            "explicit_deny",
        ),
        (
            "logs:DescribeLogStreams",
            group_arn(&shared),
            &shared,
            Streams(""),
            "implicit_deny",
        ),
    ];
    let token = hs_token("acme");
    for (action, resource, group, probe, reason) in &cases {
        let r = app
            .admin(
                Method::POST,
                "/admin/v1/tenants/acme/policy/simulate",
                Some(json!({"action": action, "resource": resource})),
            )
            .await;
        assert_eq!(r.status(), 200, "{action} {resource}");
        let sim: Value = r.json().await.unwrap();
        let g = enc(group);
        let response = match probe {
            Events(stream) => app.get_events(&token, group, stream, "").await,
            Filter(query) => app.get(&token, &format!("/v1/log-groups/{g}/events?{query}")).await,
            GroupTail => app.get(&token, &format!("/v1/log-groups/{g}/tail")).await,
            Streams(query) => {
                app.get(&token, &format!("/v1/log-groups/{g}/log-streams?{query}"))
                    .await
            }
            Query => {
                let now = now_secs();
                app.client
                    .post(format!("{}/v1/queries", app.address))
                    .bearer_auth(&token)
                    .json(&json!({"logGroupNames": [group], "queryString": "fields @message", "startTime": now - 3600, "endTime": now + 60}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        // StartQuery answers 201, the reads 200.
        let status = match response.status().as_u16() {
            201 => 200,
            other => other,
        };
        drop(response);
        assert!(status == 200 || status == 403, "{action} {resource}: {status}");
        assert_eq!(
            sim["decision"] == "allow",
            status == 200,
            "{action} {resource}: route {status}, simulator {sim}"
        );
        assert_eq!(sim["reason"], *reason, "{action} {resource}: {sim}");
        // A denial with a Deny in the way names it.
        if sim["reason"] == "explicit_deny" || (sim["reason"] == "not_provable" && group.as_str() == app_group) {
            assert!(
                sim["matchedStatements"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["sid"] == "NoSecrets"),
                "{action} {resource}: {sim}"
            );
        }
    }

    // Insights read whole groups and group listings take group ARNs: other
    // forms are refused, naming the field.
    for (action, resource) in [
        ("logs:StartQuery", stream_arn(&app_group, "web")),
        ("logs:DescribeLogGroups", stream_arn(&app_group, "web*")),
        ("logs:GetLogEvents", format!("{}*", group_arn(&root))),
    ] {
        let r = app
            .admin(
                Method::POST,
                "/admin/v1/tenants/acme/policy/simulate",
                Some(json!({"action": action, "resource": resource})),
            )
            .await;
        let problem = assert_problem(r, 400, "invalid_body").await;
        assert_eq!(problem["invalid_params"][0]["name"], "resource", "{action} {resource}");
    }
}
