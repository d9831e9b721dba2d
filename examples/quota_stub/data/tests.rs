//! The synthetic streams page as CloudWatch's do.

use super::*;

const NOW: i64 = 1_800_000_000_000;

fn world() -> World {
    World {
        origin_ms: NOW - 86_400_000,
        streams: 20,
        groups: (1..=3).map(|i| format!("/t{i}/app")).collect(),
        arn_prefix: "arn:aws:logs:us-east-1:123456789012:log-group:".to_owned(),
    }
}

fn timestamps(page: &Value) -> Vec<i64> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["timestamp"].as_i64().unwrap())
        .collect()
}

#[test]
fn forward_tokens_page_through_a_range_once_and_repeat_at_its_end() {
    let w = world();
    let (from, to) = (NOW - 60_000, NOW - 30_000);
    let mut req = json!({"logGroupName": "/t1/app", "logStreamName": "web-03", "startTime": from,
                         "endTime": to, "startFromHead": true, "limit": 7});
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = w.get_log_events(&req, NOW).unwrap();
        let next = page["nextForwardToken"].as_str().unwrap().to_owned();
        seen.extend(timestamps(&page));
        if next == token {
            assert!(timestamps(&page).is_empty());
            break;
        }
        token = next;
        req["nextToken"] = json!(token);
    }
    // Every event of the range, once, in order: one period apart, none before or after it.
    let period = seen[1] - seen[0];
    assert!(seen.windows(2).all(|p| p[1] - p[0] == period));
    assert!(seen[0] >= from && seen[0] - period < from);
    let last = *seen.last().unwrap();
    assert!(last < to && last + period >= to);
}

#[test]
fn without_a_token_the_newest_events_come_back() {
    let w = world();
    let page = w
        .get_log_events(
            &json!({"logGroupName": "/t1/app", "logStreamName": "web-01", "limit": 3}),
            NOW,
        )
        .unwrap();
    let ts = timestamps(&page);
    assert_eq!(ts.len(), 3);
    assert!(ts[2] <= NOW && NOW - ts[2] < 1000);
    let missing = w.get_log_events(&json!({"logGroupName": "/t1/app", "logStreamName": "db-01"}), NOW);
    assert_eq!(missing.unwrap_err().0, "ResourceNotFoundException");
}

#[test]
fn filter_pages_merge_the_streams_in_time_order_without_repeats() {
    let w = world();
    let mut req = json!({"logGroupName": "/t1/app", "logStreamNames": ["web-01", "web-02"],
                         "startTime": NOW - 20_000, "endTime": NOW - 10_000, "limit": 9});
    let mut seen = Vec::new();
    for _ in 0..100 {
        let page = w.filter_log_events(&req, NOW).unwrap();
        seen.extend(timestamps(&page));
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) => req["nextToken"] = json!(t),
            None => break,
        }
    }
    assert!(seen.windows(2).all(|p| p[0] < p[1]), "in order, no repeats");
    let per_stream = |name| {
        timestamps(
            &w.get_log_events(
                &json!({"logGroupName": "/t1/app", "logStreamName": name, "startTime": NOW - 20_000,
                "endTime": NOW - 10_000, "startFromHead": true}),
                NOW,
            )
            .unwrap(),
        )
        .len()
    };
    assert_eq!(seen.len(), per_stream("web-01") + per_stream("web-02"));
}

#[test]
fn describe_calls_page_with_tokens() {
    let w = world();
    let first = w
        .describe_log_streams(&json!({"logGroupName": "/t1/app", "limit": 15}), NOW)
        .unwrap();
    assert_eq!(first["logStreams"].as_array().unwrap().len(), 15);
    let token = first["nextToken"].as_str().unwrap();
    let rest = w
        .describe_log_streams(&json!({"logGroupName": "/t1/app", "nextToken": token}), NOW)
        .unwrap();
    assert_eq!(rest["logStreams"].as_array().unwrap().len(), 5);
    assert!(rest["nextToken"].is_null());
    let groups = w.describe_log_groups(&json!({"logGroupNamePrefix": "/t2"})).unwrap();
    assert_eq!(groups["logGroups"][0]["logGroupName"], "/t2/app");
    assert_eq!(groups["logGroups"].as_array().unwrap().len(), 1);
}
