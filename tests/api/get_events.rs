//! GetLogEvents end to end: what a tenant may read, and that nothing else is
//! ever forwarded.

use serde_json::{Value, json};

use crate::helpers::*;

/// Pages through a stream over HTTP, following nextForwardToken until it repeats.
async fn read_all_via_gateway(app: &TestApp, token: &str, group: &str, stream: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..100 {
        let mut query = "startFromHead=true&limit=7".to_owned();
        if let Some(t) = &next {
            query.push_str(&format!("&nextToken={}", enc(t)));
        }
        let r = app.get_events(token, group, stream, &query).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        let body: Value = r.json().await.unwrap();
        events.extend(body["events"].as_array().unwrap().iter().cloned());
        let forward = body["nextForwardToken"].as_str().map(str::to_owned);
        if forward.is_none() || forward == next {
            return events;
        }
        next = forward;
    }
    panic!("paging never ended");
}

/// The same paging straight against moto through the SDK.
async fn read_all_direct(app: &TestApp, group: &str, stream: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = app
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .limit(7)
            .set_next_token(next.clone())
            .send()
            .await
            .unwrap();
        for e in out.events() {
            events.push(json!({"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}));
        }
        let forward = out.next_forward_token().map(str::to_owned);
        if forward.is_none() || forward == next {
            return events;
        }
        next = forward;
    }
}

#[tokio::test]
async fn a_tenant_pages_through_its_own_stream_and_gets_exactly_what_cloudwatch_returns() {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("acme"));
    let messages: Vec<String> = (0..25).map(|i| format!("line {i} {{\"level\":\"info\"}}")).collect();
    seed(&app.logs, &group, "web 1/ü", &messages).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;

    let via_gateway = read_all_via_gateway(&app, &hs_token("acme"), &group, "web 1/ü").await;
    let direct = read_all_direct(&app, &group, "web 1/ü").await;

    assert_eq!(via_gateway.len(), 25);
    assert_eq!(via_gateway, direct);
    let got: Vec<&str> = via_gateway.iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(got, messages.iter().map(String::as_str).collect::<Vec<_>>());
}

#[tokio::test]
async fn another_tenants_stream_is_403_and_never_forwarded() {
    let app = spawn_app().await;
    let acme = format!("/{}/app", unique("acme"));
    let globex = format!("/{}/app", unique("globex"));
    seed(&app.logs, &acme, "s", &["acme data".into()]).await;
    seed(&app.logs, &globex, "s", &["globex secret".into()]).await;
    app.create_tenant("acme", allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{acme}:*")]))
        .await;
    app.create_tenant(
        "globex",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{globex}:*")]),
    )
    .await;

    let r = app
        .get_events(&hs_token("acme"), &globex, "s", "startFromHead=true")
        .await;
    let body = assert_problem(r, 403, "access_denied").await;
    assert!(!body.to_string().contains("globex secret"));
    assert_eq!(app.upstream_calls(), 0, "a denied request reached CloudWatch");

    // The same token reads its own group.
    let r = app
        .get_events(&hs_token("acme"), &acme, "s", "startFromHead=true")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.upstream_calls(), 1);

    // Both decisions are in the audit trail with the resource ARN.
    let rows = app.audit_rows("kind = 'data' and tenant_id = 'acme'", 2).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].1, "deny");
    assert_eq!(rows[0].2.as_deref(), Some(stream_arn(&globex, "s").as_str()));
    assert_eq!(rows[0].3, 403);
    assert_eq!(rows[1].1, "allow");
    assert_eq!(rows[1].3, 200);
}

#[tokio::test]
async fn an_explicit_deny_beats_any_allow() {
    let app = spawn_app().await;
    let root = format!("/{}", unique("acme"));
    seed(&app.logs, &format!("{root}/app"), "s", &["ok".into()]).await;
    seed(&app.logs, &format!("{root}/audit"), "s", &["secret".into()]).await;
    app.create_tenant(
        "acme",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:*", "Resource": format!("arn:aws:logs:*:*:log-group:{root}/*")},
            {"Sid": "NoAudit", "Effect": "Deny", "Action": "logs:GetLogEvents", "Resource": format!("arn:aws:logs:*:*:log-group:{root}/audit:*")}
        ]}),
    )
    .await;
    let token = hs_token("acme");
    assert_eq!(
        app.get_events(&token, &format!("{root}/app"), "s", "").await.status(),
        200
    );
    let r = app.get_events(&token, &format!("{root}/audit"), "s", "").await;
    assert_problem(r, 403, "access_denied").await;
    assert_eq!(app.upstream_calls(), 1);
}

#[tokio::test]
async fn star_and_question_mark_follow_iam_semantics() {
    let app = spawn_app().await;
    let root = format!("/{}", unique("acme"));
    for group in ["app-1", "app-12", "deep/er"] {
        seed(&app.logs, &format!("{root}/{group}"), "s-x", &["m".into()]).await;
    }
    app.create_tenant(
        "acme",
        allow_policy(&[
            // `?` is exactly one character.
            &format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{root}/app-?:log-stream:*"),
            // `*` crosses `/` and `:`.
            &format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{root}/deep*s-x"),
        ]),
    )
    .await;
    let token = hs_token("acme");
    assert_eq!(
        app.get_events(&token, &format!("{root}/app-1"), "s-x", "")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_events(&token, &format!("{root}/app-12"), "s-x", "")
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get_events(&token, &format!("{root}/deep/er"), "s-x", "")
            .await
            .status(),
        200
    );
    // Matching is case-sensitive.
    assert_eq!(
        app.get_events(&token, &format!("{root}/APP-1"), "s-x", "")
            .await
            .status(),
        403
    );
    assert_eq!(app.upstream_calls(), 2);
}

#[tokio::test]
async fn a_pattern_for_another_account_or_region_grants_nothing() {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("acme"));
    seed(&app.logs, &group, "s", &["m".into()]).await;
    app.create_tenant(
        "acme",
        allow_policy(&[
            &format!("arn:aws:logs:{REGION}:999999999999:log-group:{group}:*"),
            &format!("arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:{group}:*"),
        ]),
    )
    .await;
    assert_eq!(app.get_events(&hs_token("acme"), &group, "s", "").await.status(), 403);
    assert_eq!(app.upstream_calls(), 0);
}

#[tokio::test]
async fn a_tenant_without_a_policy_can_read_nothing() {
    let app = spawn_app().await;
    let r = app
        .admin(
            reqwest::Method::POST,
            "/admin/v1/tenants",
            Some(json!({"id": "bare", "name": "Bare"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app.get_events(&hs_token("bare"), "/any", "s", "").await;
    assert_problem(r, 403, "access_denied").await;
    assert_eq!(app.upstream_calls(), 0);
}

#[tokio::test]
async fn a_missing_stream_in_a_permitted_group_is_404() {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("acme"));
    seed(&app.logs, &group, "exists", &[]).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;
    let r = app.get_events(&hs_token("acme"), &group, "missing", "").await;
    assert_problem(r, 404, "resource_not_found").await;
    let r = app
        .get_events(&hs_token("acme"), &format!("{group}-nope"), "missing", "")
        .await;
    assert_eq!(r.status(), 403, "outside the grant it is a denial, not a 404");
}

#[tokio::test]
async fn time_window_and_limit_are_forwarded() {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("acme"));
    let messages: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
    seed(&app.logs, &group, "s", &messages).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;
    let all: Value = app
        .get_events(&hs_token("acme"), &group, "s", "startFromHead=true")
        .await
        .json()
        .await
        .unwrap();
    let ts: Vec<i64> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["timestamp"].as_i64().unwrap())
        .collect();
    let query = format!("startFromHead=true&startTime={}&endTime={}&limit=2", ts[3], ts[8]);
    let page: Value = app
        .get_events(&hs_token("acme"), &group, "s", &query)
        .await
        .json()
        .await
        .unwrap();
    let got: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["m3", "m4"]);
}
