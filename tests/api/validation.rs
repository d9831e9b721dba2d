//! Bad names and parameters are 400s naming the field, checked before any
//! policy check or upstream call.

use crate::helpers::*;

async fn app_with_full_access() -> TestApp {
    let app = spawn_app().await;
    // Even a tenant allowed everything gets 400s for bad input.
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    app
}

#[tokio::test]
async fn invalid_names_are_400_naming_the_field() {
    let app = app_with_full_access().await;
    let token = hs_token("acme");
    let long_group = "g".repeat(513);
    let long_stream = "s".repeat(513);
    let cases: &[(&str, &str, &str)] = &[
        ("has space", "s", "logGroupName"),
        ("star*", "s", "logGroupName"),
        ("colon:x", "s", "logGroupName"),
        ("ünicode", "s", "logGroupName"),
        (&long_group, "s", "logGroupName"),
        ("/ok", "a:b", "logStreamName"),
        ("/ok", "a*", "logStreamName"),
        ("/ok", &long_stream, "logStreamName"),
    ];
    for (group, stream, field) in cases {
        let r = app.get_events(&token, group, stream, "").await;
        let body = assert_problem(r, 400, "invalid_parameter").await;
        assert_eq!(body["invalid_params"][0]["name"], *field, "{group} / {stream}: {body}");
    }
    assert_eq!(app.upstream_calls(), 0);
}

#[tokio::test]
async fn names_are_percent_decoded_exactly_once() {
    let app = app_with_full_access().await;
    let token = hs_token("acme");
    // %252F decodes once to the literal "%2F", which is not a valid group name.
    let r = app.get(&token, "/v1/log-groups/%252Fapp/log-streams/s/events").await;
    let body = assert_problem(r, 400, "invalid_parameter").await;
    assert_eq!(body["invalid_params"][0]["name"], "logGroupName");
    // Invalid UTF-8 after decoding is refused, not replaced.
    let r = app.get(&token, "/v1/log-groups/ok/log-streams/%FF/events").await;
    let body = assert_problem(r, 400, "invalid_parameter").await;
    assert_eq!(body["invalid_params"][0]["name"], "logStreamName");
    assert_eq!(app.upstream_calls(), 0);

    // %2F is a slash inside one segment: this reaches CloudWatch as "/missing/app".
    let r = app
        .get(&token, "/v1/log-groups/%2Fmissing%2Fapp/log-streams/s%2Fx/events")
        .await;
    assert_problem(r, 404, "resource_not_found").await;
    assert_eq!(app.upstream_calls(), 1);
}

#[tokio::test]
async fn invalid_parameters_are_400_naming_the_parameter() {
    let app = app_with_full_access().await;
    let token = hs_token("acme");
    let cases = [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("startTime=-1", "startTime"),
        ("endTime=99999999999999999999", "endTime"),
        ("startTime=200&endTime=100", "endTime"),
        ("startFromHead=yes", "startFromHead"),
        ("startFromHead=1", "startFromHead"),
        ("nextToken=", "nextToken"),
        ("nextToken=%0A", "nextToken"),
        ("limit=5&limit=6", "limit"),
        ("logGroupIdentifier=other", "logGroupIdentifier"),
    ];
    for (query, field) in cases {
        let r = app.get_events(&token, "/ok", "s", query).await;
        let body = assert_problem(r, 400, "invalid_parameter").await;
        assert_eq!(body["invalid_params"][0]["name"], field, "{query}: {body}");
    }
    assert_eq!(app.upstream_calls(), 0);
}
