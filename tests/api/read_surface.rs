//! Listing, filtering and Logs Insights: for each operation a tenant with
//! group rights, a tenant with only some streams of a shared group, and a
//! tenant with none; nothing of another tenant may come back on any page.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;

pub struct World {
    pub app: TestApp,
    pub root: String,
}

impl World {
    pub fn g(&self, rest: &str) -> String {
        format!("/{}/{rest}", self.root)
    }
}

/// acme owns /R/acme/*, globex /R/globex/*; both have some streams of /R/shared.
pub async fn world_with(extra: &[(&str, &str)]) -> World {
    let app = TestApp::builder().settings(extra).spawn().await;
    let root = unique("rs");
    let g = |rest: &str| format!("/{root}/{rest}");
    for (group, stream, messages) in [
        ("acme/app", "web-1", vec!["acme a1", "acme a2", "acme a3"]),
        ("acme/app", "web-2", vec!["acme b1"]),
        ("acme/db", "main", vec!["acme db"]),
        ("globex/app", "web-1", vec!["globex secret 1", "globex secret 2"]),
        ("shared", "acme/1", vec!["acme shared 1"]),
        ("shared", "acme/2", vec!["acme shared 2"]),
        ("shared", "globex/1", vec!["globex shared secret"]),
    ] {
        let messages: Vec<String> = messages.into_iter().map(str::to_owned).collect();
        seed(&app.logs, &g(group), stream, &messages).await;
    }
    let policy = |own: &str, shared: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:*", "Resource": [
                format!("arn:aws:logs:*:*:log-group:/{root}/{own}/*"),
                format!("arn:aws:logs:*:*:log-group:/{root}/shared:log-stream:{shared}/*")
            ]}
        ]})
    };
    app.create_tenant("acme", policy("acme", "acme")).await;
    app.create_tenant("globex", policy("globex", "globex")).await;
    app.create_tenant(
        "nobody",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:/{root}/nothing/*")]),
    )
    .await;
    World { app, root }
}

pub async fn world() -> World {
    world_with(&[]).await
}

async fn json_of(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn messages(body: &Value) -> Vec<String> {
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_no_globex(text: &str) {
    assert!(!text.contains("globex"), "another tenant's data leaked: {text}");
}

// ---------------------------------------------------------------- log groups

async fn all_group_pages(w: &World, token: &str, query: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..50 {
        let mut q = query.to_owned();
        if let Some(t) = &next {
            q.push_str(&format!("&nextToken={}", enc(t)));
        }
        let r = w.app.get(token, &format!("/v1/log-groups?{q}")).await;
        let text = r.text().await.unwrap();
        if token == hs_token("acme") {
            assert_no_globex(&text);
        }
        let body: Value = serde_json::from_str(&text).unwrap();
        for g in body["logGroups"].as_array().unwrap() {
            names.push(g["logGroupName"].as_str().unwrap().to_owned());
        }
        match body["nextToken"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => return names,
        }
    }
    panic!("group paging never ended");
}

#[tokio::test]
async fn list_groups_returns_only_visible_groups_on_every_page() {
    let w = world().await;
    let expected = vec![w.g("acme/app"), w.g("acme/db"), w.g("shared")];
    for limit in [50, 1, 2] {
        let mut got = all_group_pages(&w, &hs_token("acme"), &format!("limit={limit}")).await;
        got.sort();
        assert_eq!(got, expected, "limit {limit}");
    }
    let globex = all_group_pages(&w, &hs_token("globex"), "limit=50").await;
    assert_eq!(globex, vec![w.g("globex/app"), w.g("shared")]);
    // A tenant whose policy grants no logs:DescribeLogGroups at all is refused.
    assert_problem(
        w.app.get(&hs_token("nobody"), "/v1/log-groups").await,
        403,
        "access_denied",
    )
    .await;
    // A prefix narrows; one outside the grant returns nothing without asking.
    assert_eq!(
        all_group_pages(&w, &hs_token("acme"), &format!("prefix={}", enc(&w.g("acme/d")))).await,
        vec![w.g("acme/db")]
    );
    let before = w.app.upstream_calls();
    let r = w
        .app
        .get(
            &hs_token("acme"),
            &format!("/v1/log-groups?prefix={}", enc(&w.g("globex"))),
        )
        .await;
    assert_problem(r, 403, "access_denied").await;
    assert_eq!(w.app.upstream_calls(), before);
}

// ---------------------------------------------------------------- log streams

async fn stream_names(w: &World, token: &str, group: &str, query: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..50 {
        let mut q = query.to_owned();
        if let Some(t) = &next {
            q.push_str(&format!("&nextToken={}", enc(t)));
        }
        let body = json_of(
            w.app
                .get(token, &format!("/v1/log-groups/{}/log-streams?{q}", enc(group)))
                .await,
        )
        .await;
        for s in body["logStreams"].as_array().unwrap() {
            names.push(s["logStreamName"].as_str().unwrap().to_owned());
        }
        match body["nextToken"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => return names,
        }
    }
    panic!("stream paging never ended");
}

#[tokio::test]
async fn list_streams_shows_only_permitted_streams_of_a_shared_group() {
    let w = world().await;
    let acme = hs_token("acme");
    for limit in ["limit=50", "limit=1"] {
        assert_eq!(
            stream_names(&w, &acme, &w.g("shared"), limit).await,
            ["acme/1", "acme/2"]
        );
        assert_eq!(
            stream_names(&w, &acme, &w.g("acme/app"), limit).await,
            ["web-1", "web-2"]
        );
    }
    assert_eq!(
        stream_names(&w, &hs_token("globex"), &w.g("shared"), "").await,
        ["globex/1"]
    );
    let before = w.app.upstream_calls();
    for (token, group) in [(&acme, w.g("globex/app")), (&hs_token("nobody"), w.g("shared"))] {
        let r = w
            .app
            .get(token, &format!("/v1/log-groups/{}/log-streams", enc(&group)))
            .await;
        assert_problem(r, 403, "access_denied").await;
    }
    assert_eq!(w.app.upstream_calls(), before, "denied listings are never forwarded");
    let r = w
        .app
        .get(
            &acme,
            &format!(
                "/v1/log-groups/{}/log-streams?orderBy=LastEventTime&prefix=a",
                enc(&w.g("shared"))
            ),
        )
        .await;
    assert_problem(r, 400, "invalid_parameter").await;
}

// ---------------------------------------------------------------- filter

async fn filter(w: &World, token: &str, group: &str, query: &str) -> reqwest::Response {
    w.app
        .get(token, &format!("/v1/log-groups/{}/events?{query}", enc(group)))
        .await
}

#[tokio::test]
async fn filter_needs_rights_on_everything_it_can_read() {
    let w = world().await;
    let acme = hs_token("acme");

    let body = json_of(filter(&w, &acme, &w.g("acme/app"), "").await).await;
    let mut got = messages(&body);
    got.sort();
    assert_eq!(got, ["acme a1", "acme a2", "acme a3", "acme b1"]);
    let e = &body["events"][0];
    assert!(e["logStreamName"].is_string() && e["eventId"].is_string());

    let before = w.app.upstream_calls();
    // The shared group as a whole is not acme's.
    assert_problem(filter(&w, &acme, &w.g("shared"), "").await, 403, "access_denied").await;
    // Naming a stream that is not acme's.
    assert_problem(
        filter(&w, &acme, &w.g("shared"), "logStreamNames=acme%2F1,globex%2F1").await,
        403,
        "access_denied",
    )
    .await;
    // A prefix that could reach globex's streams.
    assert_problem(
        filter(&w, &acme, &w.g("shared"), "logStreamNamePrefix=acm").await,
        403,
        "access_denied",
    )
    .await;
    assert_problem(filter(&w, &acme, &w.g("globex/app"), "").await, 403, "access_denied").await;
    assert_problem(
        filter(&w, &hs_token("nobody"), &w.g("acme/app"), "").await,
        403,
        "access_denied",
    )
    .await;
    assert_eq!(w.app.upstream_calls(), before, "denied filters are never forwarded");

    let named = filter(&w, &acme, &w.g("shared"), "logStreamNames=acme%2F1,acme%2F2").await;
    let text = named.text().await.unwrap();
    assert_no_globex(&text);
    let mut got = messages(&serde_json::from_str(&text).unwrap());
    got.sort();
    assert_eq!(got, ["acme shared 1", "acme shared 2"]);

    // moto ignores logStreamNamePrefix and returns every stream; the gateway's
    // post-filter keeps globex's events out anyway (AWS would not send them).
    let prefixed = filter(&w, &acme, &w.g("shared"), "logStreamNamePrefix=acme%2F").await;
    let text = prefixed.text().await.unwrap();
    assert_no_globex(&text);
    let mut got = messages(&serde_json::from_str(&text).unwrap());
    got.sort();
    assert_eq!(got, ["acme shared 1", "acme shared 2"]);

    assert_problem(
        filter(&w, &acme, &w.g("acme/app"), "logStreamNames=a&logStreamNamePrefix=b").await,
        400,
        "invalid_parameter",
    )
    .await;
    let long = "x".repeat(1025);
    let body = assert_problem(
        filter(&w, &acme, &w.g("acme/app"), &format!("filterPattern={long}")).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(body["invalid_params"][0]["name"], "filterPattern");
}

#[tokio::test]
async fn a_deny_that_overlaps_a_prefix_denies_the_prefix() {
    let w = world().await;
    w.app
        .create_tenant(
            "careful",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "logs:FilterLogEvents", "Resource": format!("arn:aws:logs:*:*:log-group:{}:*", w.g("acme/app"))},
                {"Effect": "Deny", "Action": "logs:FilterLogEvents", "Resource": format!("arn:aws:logs:*:*:log-group:{}:log-stream:web-2", w.g("acme/app"))}
            ]}),
        )
        .await;
    let t = hs_token("careful");
    assert_problem(filter(&w, &t, &w.g("acme/app"), "").await, 403, "access_denied").await;
    assert_problem(
        filter(&w, &t, &w.g("acme/app"), "logStreamNamePrefix=web").await,
        403,
        "access_denied",
    )
    .await;
    let body = json_of(filter(&w, &t, &w.g("acme/app"), "logStreamNamePrefix=web-1").await).await;
    assert!(messages(&body).iter().all(|m| m.starts_with("acme a")), "{body}");
    assert_problem(
        filter(&w, &t, &w.g("acme/app"), "logStreamNames=web-2").await,
        403,
        "access_denied",
    )
    .await;
}

#[tokio::test]
async fn filter_pages_with_bound_tokens() {
    let w = world().await;
    let acme = hs_token("acme");
    let mut all = Vec::new();
    let mut next: Option<String> = None;
    let mut first_token = None;
    for _ in 0..20 {
        let mut q = "limit=1".to_owned();
        if let Some(t) = &next {
            q.push_str(&format!("&nextToken={}", enc(t)));
        }
        let body = json_of(filter(&w, &acme, &w.g("acme/app"), &q).await).await;
        all.extend(messages(&body));
        next = body["nextToken"].as_str().map(str::to_owned);
        first_token = first_token.or(next.clone());
        if next.is_none() {
            break;
        }
    }
    all.sort();
    assert_eq!(all, ["acme a1", "acme a2", "acme a3", "acme b1"]);

    let token = first_token.expect("paging produced a token");
    // Another tenant, another group, another selection, or a tampered token: 400.
    let q = format!("nextToken={}", enc(&token));
    let before = w.app.upstream_calls();
    assert_problem(
        filter(&w, &hs_token("globex"), &w.g("globex/app"), &q).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_problem(filter(&w, &acme, &w.g("acme/db"), &q).await, 400, "invalid_parameter").await;
    assert_problem(
        filter(&w, &acme, &w.g("acme/app"), &format!("{q}&logStreamNames=web-1")).await,
        400,
        "invalid_parameter",
    )
    .await;
    let mut tampered = token.clone();
    tampered.insert(0, 'A');
    assert_problem(
        filter(&w, &acme, &w.g("acme/app"), &format!("nextToken={}", enc(&tampered))).await,
        400,
        "invalid_parameter",
    )
    .await;
    assert_eq!(w.app.upstream_calls(), before);
}

#[tokio::test]
async fn get_log_events_tokens_are_bound_to_the_stream_and_tenant() {
    let w = world().await;
    let acme = hs_token("acme");
    let body = json_of(
        w.app
            .get_events(&acme, &w.g("acme/app"), "web-1", "startFromHead=true&limit=1")
            .await,
    )
    .await;
    let token = body["nextForwardToken"].as_str().unwrap().to_owned();
    let q = format!("startFromHead=true&nextToken={}", enc(&token));
    assert_eq!(
        w.app.get_events(&acme, &w.g("acme/app"), "web-1", &q).await.status(),
        200
    );
    assert_problem(
        w.app.get_events(&acme, &w.g("acme/app"), "web-2", &q).await,
        400,
        "invalid_parameter",
    )
    .await;
    // A raw CloudWatch token is not accepted either.
    let raw = "f/00000000000000000000000000000000000000000000000000000000";
    assert_problem(
        w.app
            .get_events(&acme, &w.g("acme/app"), "web-1", &format!("nextToken={raw}"))
            .await,
        400,
        "invalid_parameter",
    )
    .await;
}

// ---------------------------------------------------------------- ndjson

#[tokio::test]
async fn event_reads_speak_ndjson() {
    let w = world().await;
    let acme = hs_token("acme");
    let r = w
        .app
        .client
        .get(format!(
            "{}/v1/log-groups/{}/log-streams/web-1/events?startFromHead=true",
            w.app.address,
            enc(&w.g("acme/app"))
        ))
        .bearer_auth(&acme)
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    assert!(r.headers().contains_key("x-next-forward-token"));
    let text = r.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        lines.iter().map(|l| l["message"].as_str().unwrap()).collect::<Vec<_>>(),
        ["acme a1", "acme a2", "acme a3"]
    );

    let r = w
        .app
        .client
        .get(format!(
            "{}/v1/log-groups/{}/events",
            w.app.address,
            enc(&w.g("acme/app"))
        ))
        .bearer_auth(&acme)
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert_eq!(text.lines().count(), 4);
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<Value>(l).unwrap()["eventId"].is_string())
    );
}

// ---------------------------------------------------------------- Insights

async fn start_query(w: &World, token: &str, body: Value) -> reqwest::Response {
    w.app
        .client
        .post(format!("{}/v1/queries", w.app.address))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn query_body(groups: &[String], query: &str) -> Value {
    let now = now_secs();
    json!({"logGroupNames": groups, "queryString": query, "startTime": now - 3600, "endTime": now + 60})
}

#[tokio::test]
async fn insights_queries_are_scoped_and_owned() {
    let w = world_with(&[("LOGWARD_MAX_QUERIES_PER_TENANT", "1")]).await;
    let acme = hs_token("acme");
    let r = start_query(
        &w,
        &acme,
        query_body(&[w.g("acme/app")], "fields @timestamp, @message | sort @timestamp desc"),
    )
    .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["queryId"].as_str().unwrap().to_owned();

    // Per-tenant cap of 1: the first query counts until a final status is
    // seen. Nobody asked for its results, so logward asks CloudWatch itself
    // and finds it finished (moto finishes queries at once); the cap holds
    // while one runs (tests/api/insights_slots.rs, src/gateway/tests).
    let r = start_query(&w, &acme, query_body(&[w.g("acme/app")], "fields @message")).await;
    assert_eq!(r.status(), 201);

    // Another tenant cannot see or stop it.
    let globex = hs_token("globex");
    assert_problem(
        w.app.get(&globex, &format!("/v1/queries/{id}")).await,
        404,
        "resource_not_found",
    )
    .await;
    let r = w
        .app
        .client
        .delete(format!("{}/v1/queries/{id}", w.app.address))
        .bearer_auth(&globex)
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "resource_not_found").await;

    let results = json_of(w.app.get(&acme, &format!("/v1/queries/{id}")).await).await;
    assert_eq!(results["status"], "Complete", "moto finishes queries at once");
    let text = results.to_string();
    assert!(text.contains("acme a1"), "{text}");
    assert_no_globex(&text);

    // Finished, so the cap frees up.
    let r = start_query(&w, &acme, query_body(&[w.g("acme/db")], "fields @message")).await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn insights_refuses_scope_widening_and_partial_groups() {
    let w = world().await;
    let acme = hs_token("acme");
    let before = w.app.upstream_calls();
    for (groups, query, status, field) in [
        (
            vec![w.g("acme/app")],
            "SOURCE logGroups(namePrefix: ['/']) | fields @message".to_owned(),
            400,
            Some("queryString"),
        ),
        (
            vec![w.g("acme/app")],
            "fields @message | filter logGroups(x)".to_owned(),
            400,
            Some("queryString"),
        ),
        (
            vec![w.g("acme/app")],
            "fields \"unterminated".to_owned(),
            400,
            Some("queryString"),
        ),
        (vec![w.g("shared")], "fields @message".to_owned(), 403, None),
        (
            vec![w.g("acme/app"), w.g("globex/app")],
            "fields @message".to_owned(),
            403,
            None,
        ),
        (vec![], "fields @message".to_owned(), 400, Some("logGroupNames")),
        (
            vec!["bad name".to_owned()],
            "fields @message".to_owned(),
            400,
            Some("logGroupNames"),
        ),
    ] {
        let r = start_query(&w, &acme, query_body(&groups, &query)).await;
        assert_eq!(r.status(), status, "{groups:?} {query}");
        if let Some(field) = field {
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["invalid_params"][0]["name"], field);
        }
    }
    let r = start_query(
        &w,
        &acme,
        json!({"logGroupNames": [w.g("acme/app")], "queryString": "fields @m", "startTime": 10, "endTime": 5}),
    )
    .await;
    assert_problem(r, 400, "invalid_body").await;
    let r = start_query(&w, &acme, json!({"logGroupNames": [w.g("acme/app")], "queryString": "fields @m", "startTime": 1, "endTime": 5, "queryLanguage": "SQL"})).await;
    assert_problem(r, 400, "invalid_body").await;
    assert_eq!(w.app.upstream_calls(), before, "refused queries are never forwarded");
    assert_problem(
        w.app.get(&acme, "/v1/queries/not-a-real-id").await,
        404,
        "resource_not_found",
    )
    .await;
    assert_problem(w.app.get(&acme, "/v1/queries/bad%20id").await, 400, "invalid_parameter").await;
}

#[tokio::test]
async fn visible_group_sets_never_overlap_between_tenants() {
    let w = world().await;
    let acme: BTreeSet<String> = all_group_pages(&w, &hs_token("acme"), "limit=1")
        .await
        .into_iter()
        .collect();
    let globex: BTreeSet<String> = all_group_pages(&w, &hs_token("globex"), "limit=1")
        .await
        .into_iter()
        .collect();
    // Only the shared group is visible to both, and each sees only its own streams there.
    assert_eq!(acme.intersection(&globex).cloned().collect::<Vec<_>>(), [w.g("shared")]);
}
