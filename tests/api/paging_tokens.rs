//! Paging tokens are sealed: a tenant cannot read CloudWatch's token (which,
//! for FilterLogEvents, names streams), yet the token still pages, and a
//! repeated upstream token still repeats at the end of a stream.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::helpers::*;

async fn json_of(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn messages(body: &Value) -> Vec<&str> {
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect()
}

/// Every `.`-separated part of `token`, base64url-decoded, as text.
fn decoded_parts(token: &str) -> Vec<String> {
    token
        .split('.')
        .map(|part| {
            let bytes = URL_SAFE_NO_PAD
                .decode(part)
                .unwrap_or_else(|_| part.as_bytes().to_vec());
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .collect()
}

#[tokio::test]
async fn filter_tokens_hide_the_upstream_token_and_still_page() {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("paging"));
    let stream = "billing-worker-7";
    seed(&app.logs, &group, stream, &["first".into(), "second".into()]).await;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "logs:*", "Resource": format!("arn:aws:logs:*:*:log-group:{group}:*")}
    ]});
    app.create_tenant("acme", policy.clone()).await;
    app.create_tenant("globex", policy).await;
    let acme = hs_token("acme");
    let path = format!("/v1/log-groups/{}/events", enc(&group));

    let page = json_of(app.get(&acme, &format!("{path}?limit=1")).await).await;
    assert_eq!(messages(&page), ["first"]);
    let token = page["nextToken"].as_str().expect("a second page").to_owned();
    // moto's token is `group@stream@eventId` in plain text.
    for part in decoded_parts(&token) {
        for secret in [stream, &group, &format!("@{stream}@"), &format!("{group}@")] {
            assert!(!part.contains(secret), "{secret:?} readable in the token {token:?}");
        }
    }

    let next = format!("{path}?limit=1&nextToken={}", enc(&token));
    let page = json_of(app.get(&acme, &next).await).await;
    assert_eq!(messages(&page), ["second"]);

    // Still bound to the caller: another tenant with the same rights gets 400.
    let before = app.upstream_calls();
    assert_problem(app.get(&hs_token("globex"), &next).await, 400, "invalid_parameter").await;
    assert_eq!(app.upstream_calls(), before);
}

#[tokio::test]
async fn the_get_log_events_token_repeats_at_the_end_of_the_stream() {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("paging"));
    seed(&app.logs, &group, "s", &["only".into()]).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;
    let acme = hs_token("acme");
    let body = json_of(app.get_events(&acme, &group, "s", "startFromHead=true").await).await;
    let token = body["nextForwardToken"].as_str().unwrap().to_owned();
    assert!(
        decoded_parts(&token).iter().all(|p| !p.contains("f/")),
        "CloudWatch's forward token is readable: {token:?}"
    );
    let q = format!("startFromHead=true&nextToken={}", enc(&token));
    let body = json_of(app.get_events(&acme, &group, "s", &q).await).await;
    assert_eq!(body["events"], json!([]));
    assert_eq!(
        body["nextForwardToken"].as_str(),
        Some(token.as_str()),
        "the same upstream token gives the same envelope"
    );
}
