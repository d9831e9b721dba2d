//! Logs Insights queries that hide a SOURCE command behind a `#`, a quote or
//! a backtick inside a regular expression are refused and never forwarded.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_source_command_after_a_regex_holding_a_comment_or_quote_character_is_refused() {
    let app = spawn_app().await;
    let group = format!("/{}/app", unique("insights"));
    seed(&app.logs, &group, "s", &["hello".into()]).await;
    app.create_tenant(
        "acme",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:*", "Resource": format!("arn:aws:logs:*:*:log-group:{group}:*")}
        ]}),
    )
    .await;
    let token = hs_token("acme");
    let start = |query: &str| {
        let now = now_secs();
        app.client
            .post(format!("{}/v1/queries", app.address))
            .bearer_auth(&token)
            .json(&json!({
                "logGroupNames": [group],
                "queryString": query,
                "startTime": now - 3600,
                "endTime": now + 60,
            }))
            .send()
    };

    let before = app.upstream_calls();
    for query in [
        "fields @message | filter @message like /#/ | SOURCE logGroups()",
        // A lone quote or backtick would be unterminated for the old check
        // too; a second regex balances it, so the SOURCE sat in a "string".
        "fields @message | filter @message like /\"/ | SOURCE logGroups() | filter @message like /\"/",
        "fields @message | filter @message like /`/ | SOURCE logGroups() | filter @message like /`/",
        "fields @message | filter @message like /\"/ | SOURCE logGroups()",
        "fields @message | filter @message like /`/ | SOURCE logGroups()",
    ] {
        let r = start(query).await.unwrap();
        let body: Value = assert_problem(r, 400, "invalid_body").await;
        assert_eq!(body["invalid_params"][0]["name"], "queryString", "{query}");
    }
    assert_eq!(app.upstream_calls(), before, "a refused query reached CloudWatch");

    let r = start("fields @timestamp, @message | sort @timestamp desc")
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "the tenant may query its group");
}
