//! The AWS-compatible door with a real client: boto3, pointed at the gateway
//! with `endpoint_url`, signing with a gateway-issued access key (acme) or
//! presenting a JWT (globex) (see tests/api/boto/). Every
//! positive case reads through `POST /`; every refusal surfaces as the
//! exception boto3 raises for CloudWatch itself.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::read_surface::{World, world};

const ACCOUNT_PREFIX: &str = "arn:aws:logs:us-east-1:123456789012:log-group:";

struct Tenants {
    acme: String,
    globex: String,
}

async fn tenants(w: &World) -> Tenants {
    let (id, secret) = w.app.create_access_key("acme", json!({"name": "boto3"})).await;
    Tenants {
        acme: format!("{id}:{secret}"),
        globex: hs_token("globex"),
    }
}

fn strings(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn boto3_pages_get_log_events_until_the_token_repeats() {
    let w = world().await;
    let t = tenants(&w).await;
    let app_group = w.g("acme/app");
    for group in [
        json!({"logGroupName": app_group}),
        json!({"logGroupIdentifier": format!("{ACCOUNT_PREFIX}{app_group}")}),
        json!({"logGroupIdentifier": format!("{ACCOUNT_PREFIX}{app_group}:*")}),
    ] {
        let out = w
            .app
            .boto(
                "get_log_events_to_the_end",
                &t.acme,
                &t.globex,
                json!({"group": group, "stream": "web-1"}),
            )
            .await;
        assert_eq!(out["messages"], json!(["acme a1", "acme a2", "acme a3"]), "{group}");
        // One event a page, then the page on which the token comes back.
        assert!(out["pages"].as_u64().unwrap() >= 4, "{out}");
        assert!(!out["requestId"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn boto3_filters_with_a_json_pattern_across_bound_pages() {
    let w = world().await;
    let t = tenants(&w).await;
    let out = w
        .app
        .boto(
            "filter_json_pattern",
            &t.acme,
            &t.globex,
            json!({"group": w.g("acme/app")}),
        )
        .await;
    // moto treats JSON patterns as match-all (CLOUDWATCH_NOTES): this proves
    // that boto3's request is accepted, paged with the gateway's sealed
    // tokens and answered in CloudWatch's shape, not how CloudWatch filters.
    let events = out["events"].as_array().unwrap();
    let mut messages = strings(&out["events"], "message");
    messages.sort();
    assert_eq!(messages, ["acme a1", "acme a2", "acme a3", "acme b1"]);
    assert!(out["pages"].as_u64().unwrap() >= 2, "{out}");
    for e in events {
        assert!(
            e["eventId"].is_string() && e["timestamp"].is_i64() && e["ingestionTime"].is_i64(),
            "{e}"
        );
        assert!(
            ["web-1", "web-2"].contains(&e["logStreamName"].as_str().unwrap()),
            "{e}"
        );
    }
}

#[tokio::test]
async fn boto3_lists_only_the_tenants_groups_and_streams() {
    let w = world().await;
    let t = tenants(&w).await;
    let out = w
        .app
        .boto(
            "describe_log_groups",
            &t.acme,
            &t.globex,
            json!({"logGroupNamePrefix": format!("/{}/", w.root)}),
        )
        .await;
    let names = strings(&out["groups"], "logGroupName");
    assert_eq!(names, [w.g("acme/app"), w.g("acme/db"), w.g("shared")]);
    let first = &out["groups"][0];
    assert_eq!(first["logGroupArn"], format!("{ACCOUNT_PREFIX}{}", w.g("acme/app")));
    assert_eq!(first["arn"], format!("{ACCOUNT_PREFIX}{}:*", w.g("acme/app")));
    // A substring pattern (what Grafana's group picker sends) matches only
    // among the groups the tenant may see: not globex's /R/globex/app.
    let out = w
        .app
        .boto(
            "describe_log_groups",
            &t.acme,
            &t.globex,
            json!({"logGroupNamePattern": "app"}),
        )
        .await;
    assert_eq!(strings(&out["groups"], "logGroupName"), [w.g("acme/app")]);

    let shared_arn = format!("{ACCOUNT_PREFIX}{}", w.g("shared"));
    let out = w
        .app
        .boto(
            "describe_log_streams",
            &t.acme,
            &t.globex,
            json!({"group_arn": shared_arn}),
        )
        .await;
    assert_eq!(strings(&out["streams"], "logStreamName"), ["acme/1", "acme/2"]);
    assert_eq!(
        out["streams"][0]["arn"],
        format!("{ACCOUNT_PREFIX}{}:log-stream:acme/1", w.g("shared"))
    );
}

#[tokio::test]
async fn boto3_runs_an_insights_query_that_only_its_tenant_can_see() {
    let w = world().await;
    let t = tenants(&w).await;
    let groups = json!([w.g("acme/app"), format!("{ACCOUNT_PREFIX}{}", w.g("acme/db"))]);
    let out = w
        .app
        .boto("insights", &t.acme, &t.globex, json!({"groups": groups}))
        .await;
    assert_eq!(out["status"], "Complete", "{out}");
    let messages = out["messages"].as_array().unwrap();
    assert!(
        messages.contains(&json!("acme a1")) && messages.contains(&json!("acme db")),
        "{out}"
    );
    assert!(!out.to_string().contains("globex secret"), "{out}");
    assert!(out["statistics"]["recordsMatched"].is_number());
    // The query had finished: nothing left to stop.
    assert_eq!(out["success"], false);
    for refused in [&out["others"]["results"], &out["others"]["stop"]] {
        assert_eq!(refused["exception"], "ResourceNotFoundException", "{refused}");
        assert_eq!(refused["status"], 400);
    }
}

#[tokio::test]
async fn a_boto3_tail_loop_picks_up_new_events_once_and_only_its_own() {
    let w = world().await;
    let t = tenants(&w).await;
    let args = json!({
        "group": w.g("shared"),
        "prefix": "acme/",
        "since": now_ms() - 10 * 60_000,
        "writes": [["acme/1", "acme new 1"], ["globex/1", "globex new secret"], ["acme/2", "acme new 2"]],
    });
    let out = w.app.boto("tail", &t.acme, &t.globex, args).await;
    let polls: Vec<Vec<String>> = out["polls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|poll| strings(poll, "message"))
        .collect();
    // moto ignores logStreamNamePrefix: the gateway's own filter keeps
    // globex's stream out of acme's tail.
    assert_eq!(
        polls,
        [
            vec!["acme shared 1", "acme shared 2"],
            vec!["acme new 1", "acme new 2"],
            vec![],
        ]
    );
}

#[tokio::test]
async fn refused_calls_raise_the_exceptions_cloudwatch_would_and_write_nothing() {
    let w = world().await;
    let t = tenants(&w).await;
    let own = w.g("acme/app");
    let before = w.app.upstream_calls();
    let out = w
        .app
        .boto(
            "denied",
            &t.acme,
            &t.globex,
            json!({
                "own_group": own,
                "own_group_arn": format!("{ACCOUNT_PREFIX}{own}"),
                "other_group": w.g("globex/app"),
                "shared_group": w.g("shared"),
            }),
        )
        .await;
    for case in ["get_other", "filter_other", "filter_whole_shared", "put", "delete"] {
        assert_eq!(out[case]["exception"], "AccessDeniedException", "{case}: {}", out[case]);
        assert_eq!(out[case]["status"], 400, "{case}");
        assert!(!out[case]["requestId"].as_str().unwrap().is_empty(), "{case}");
    }
    assert_eq!(out["other_account"]["exception"], "InvalidParameterException");
    assert!(
        out["other_account"]["message"]
            .as_str()
            .unwrap()
            .starts_with("logGroupIdentifier"),
        "{}",
        out["other_account"]
    );
    assert_eq!(out["unknown_query"]["exception"], "ResourceNotFoundException");
    assert_eq!(w.app.upstream_calls(), before, "a refused call reached CloudWatch");

    let stored = w
        .app
        .logs
        .get_log_events()
        .log_group_name(&own)
        .log_stream_name("web-1")
        .start_from_head(true)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.events().len(), 3, "PutLogEvents wrote through the gateway");
    let rows = w.app.audit_rows("action = 'logs:PutLogEvents'", 1).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str(), rows[0].3),
        ("logs:PutLogEvents", "deny", 403)
    );
}
