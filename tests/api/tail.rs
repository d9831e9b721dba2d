//! Live tail over Server-Sent Events.

use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;
use crate::read_surface::{World, world, world_with};

struct Sse {
    response: reqwest::Response,
    buffer: String,
}

impl Sse {
    async fn open(w: &World, token: &str, path: &str) -> Self {
        let response = w
            .app
            .client
            .get(format!("{}{path}", w.app.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// Reads until `needle` has arrived; fails after `within`.
    async fn until(&mut self, needle: &str, within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        while !self.buffer.contains(needle) {
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} within {within:?}; got {:?}", self.buffer))
                .unwrap();
            match chunk {
                Some(bytes) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                None => panic!("stream ended before {needle:?}; got {:?}", self.buffer),
            }
        }
        self.buffer.clone()
    }
}

async fn put(w: &World, group: &str, stream: &str, message: &str) {
    w.app
        .logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .log_events(
            InputLogEvent::builder()
                .timestamp(now_ms())
                .message(message)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stream_tail_delivers_new_events_and_two_tails_share_one_poller() {
    let w = world_with(&[("LOGWARD_TAIL_RECHECK_SECS", "1")]).await;
    let path = format!("/v1/log-groups/{}/log-streams/web-1/tail", enc(&w.g("acme/app")));
    let mut first = Sse::open(&w, &hs_token("acme"), &path).await;
    first.until(": connected", Duration::from_secs(5)).await;
    let mut second = Sse::open(&w, &hs_token("acme"), &path).await;
    second.until(": connected", Duration::from_secs(5)).await;
    assert_eq!(
        w.app.tails.active_pollers(),
        1,
        "two tails of one stream share one poller"
    );

    put(&w, &w.g("acme/app"), "web-1", "fresh line").await;
    let got = first.until("fresh line", Duration::from_secs(15)).await;
    second.until("fresh line", Duration::from_secs(15)).await;
    // One JSON event per data line, with an id to resume from.
    let data = got
        .lines()
        .find(|l| l.starts_with("data:") && l.contains("fresh line"))
        .unwrap();
    let event: serde_json::Value = serde_json::from_str(data.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(event["message"], "fresh line");
    assert!(got.lines().any(|l| l.starts_with("id: ")));
    assert!(!got.contains("acme a1"), "a tail starts now, not at the head");

    drop(first);
    drop(second);
    // The poller stops once the last tail is gone.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while w.app.tails.active_pollers() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "poller kept running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_tail_ends_when_its_key_is_revoked() {
    let w = world_with(&[("LOGWARD_TAIL_RECHECK_SECS", "1")]).await;
    let created = w.app.create_key("acme", json!({"name": "tailer"})).await;
    let key = created["key"].as_str().unwrap();
    let path = format!("/v1/log-groups/{}/log-streams/web-1/tail", enc(&w.g("acme/app")));
    let mut tail = Sse::open(&w, key, &path).await;
    tail.until(": connected", Duration::from_secs(5)).await;
    let r = w
        .app
        .admin(
            Method::DELETE,
            &format!("/admin/v1/tenants/acme/api-keys/{}", created["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let got = tail.until("event: end", Duration::from_secs(10)).await;
    assert!(got.contains("revoked"), "{got}");
}

#[tokio::test]
async fn a_tail_ends_when_the_tenant_is_disabled() {
    let w = world_with(&[("LOGWARD_TAIL_RECHECK_SECS", "1")]).await;
    let path = format!("/v1/log-groups/{}/tail", enc(&w.g("acme/app")));
    let mut tail = Sse::open(&w, &hs_token("acme"), &path).await;
    tail.until(": connected", Duration::from_secs(5)).await;
    w.app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"status": "disabled"})),
        )
        .await;
    let got = tail.until("event: end", Duration::from_secs(10)).await;
    assert!(got.contains("disabled"), "{got}");
}

#[tokio::test]
async fn a_group_tail_delivers_only_permitted_streams() {
    let w = world_with(&[]).await;
    let path = format!(
        "/v1/log-groups/{}/tail?logStreamNames=acme%2F1,acme%2F2",
        enc(&w.g("shared"))
    );
    let mut tail = Sse::open(&w, &hs_token("acme"), &path).await;
    tail.until(": connected", Duration::from_secs(5)).await;
    put(&w, &w.g("shared"), "globex/1", "globex live secret").await;
    put(&w, &w.g("shared"), "acme/2", "acme live").await;
    let got = tail.until("acme live", Duration::from_secs(15)).await;
    assert!(!got.contains("globex"), "{got}");
    assert!(got.contains("\"logStreamName\":\"acme/2\""), "{got}");
}

#[tokio::test]
async fn tails_are_authorized_and_capped() {
    let w = world_with(&[("LOGWARD_MAX_TAILS_PER_TENANT", "1")]).await;
    let acme = hs_token("acme");
    let before = w.app.upstream_calls();
    for path in [
        format!("/v1/log-groups/{}/log-streams/web-1/tail", enc(&w.g("globex/app"))),
        format!("/v1/log-groups/{}/tail", enc(&w.g("shared"))),
        format!("/v1/log-groups/{}/tail?logStreamNames=globex%2F1", enc(&w.g("shared"))),
    ] {
        assert_problem(w.app.get(&acme, &path).await, 403, "access_denied").await;
    }
    assert_eq!(w.app.upstream_calls(), before);
    let path = format!("/v1/log-groups/{}/log-streams/web-1/tail", enc(&w.g("acme/app")));
    let mut open = Sse::open(&w, &acme, &path).await;
    open.until(": connected", Duration::from_secs(5)).await;
    assert_problem(w.app.get(&acme, &path).await, 429, "throttled").await;
    // Another tenant has its own allowance.
    let globex_path = format!("/v1/log-groups/{}/log-streams/web-1/tail", enc(&w.g("globex/app")));
    Sse::open(&w, &hs_token("globex"), &globex_path).await;
}

/// Opens a tail on `path`, writes one event, drops the tail after seeing it,
/// writes another, and resumes with `Last-Event-ID`: returns what the resumed
/// tail sent up to the second event.
async fn resume_across_a_gap(w: &World, path: &str, group: &str, stream: &str, tag: &str) -> String {
    let mut tail = Sse::open(w, &hs_token("acme"), path).await;
    tail.until(": connected", Duration::from_secs(5)).await;
    put(w, group, stream, &format!("{tag} before the gap")).await;
    let got = tail
        .until(&format!("{tag} before the gap"), Duration::from_secs(15))
        .await;
    let last_id = got
        .lines()
        .rfind(|l| l.starts_with("id: "))
        .unwrap()
        .trim_start_matches("id: ")
        .to_owned();
    drop(tail);

    put(w, group, stream, &format!("{tag} during the gap")).await;
    let response = w
        .app
        .client
        .get(format!("{}{path}", w.app.address))
        .bearer_auth(hs_token("acme"))
        .header("last-event-id", &last_id)
        .send()
        .await
        .unwrap();
    let mut resumed = Sse {
        response,
        buffer: String::new(),
    };
    resumed
        .until(&format!("{tag} during the gap"), Duration::from_secs(15))
        .await
}

#[tokio::test]
async fn a_resumed_tail_catches_up_from_last_event_id() {
    let w = world_with(&[]).await;
    let group = w.g("acme/app");
    let path = format!("/v1/log-groups/{}/log-streams/web-1/tail", enc(&group));
    let got = resume_across_a_gap(&w, &path, &group, "web-1", "stream").await;
    assert!(
        !got.contains("stream before the gap"),
        "the event named by Last-Event-ID is not repeated: {got}"
    );
}

#[tokio::test]
async fn a_resumed_group_tail_catches_up_from_last_event_id() {
    let w = world_with(&[]).await;
    let group = w.g("shared");
    let path = format!("/v1/log-groups/{}/tail?logStreamNames=acme%2F1", enc(&group));
    let got = resume_across_a_gap(&w, &path, &group, "acme/1", "group").await;
    assert!(!got.contains("group before the gap"), "{got}");
    assert!(!got.contains("globex"), "{got}");
}

#[tokio::test]
async fn a_tail_opened_with_a_fractional_expiry_ends_when_the_token_expires() {
    // RFC 7519 allows a non-integer NumericDate; no leeway so the test is short.
    let w = world_with(&[("LOGWARD_TAIL_RECHECK_SECS", "1"), ("LOGWARD_JWT_LEEWAY_SECS", "0")]).await;
    let exp = now_secs() as f64 + 2.5;
    let token = sign_hs(&json!({"sub": "alice", "tenant": "acme", "exp": exp}));
    let path = format!("/v1/log-groups/{}/log-streams/web-1/tail", enc(&w.g("acme/app")));
    let mut tail = Sse::open(&w, &token, &path).await;
    tail.until(": connected", Duration::from_secs(5)).await;
    let got = tail.until("event: end", Duration::from_secs(15)).await;
    assert!(got.contains("expired"), "{got}");
    let rows = w
        .app
        .audit_rows("action = 'logward:EndTail' and reason = 'invalid_token'", 1)
        .await;
    assert_eq!(rows.len(), 1, "the end of the tail is audited");
}

#[tokio::test]
async fn a_tail_the_client_leaves_is_audited_as_ended() {
    let w = world_with(&[("LOGWARD_TAIL_RECHECK_SECS", "1")]).await;
    let path = format!("/v1/log-groups/{}/tail", enc(&w.g("acme/app")));
    let mut tail = Sse::open(&w, &hs_token("acme"), &path).await;
    tail.until(": connected", Duration::from_secs(5)).await;
    drop(tail);
    let rows = w
        .app
        .audit_rows("action = 'logward:EndTail' and reason = 'client_gone'", 1)
        .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].1, "allow");
}

#[tokio::test]
async fn tails_of_streams_that_do_not_exist_start_no_poller() {
    let w = world().await;
    let token = hs_token("acme");
    for n in 0..3 {
        let path = format!("/v1/log-groups/{}/log-streams/nope-{n}/tail", enc(&w.g("acme/app")));
        assert_problem(w.app.get(&token, &path).await, 404, "resource_not_found").await;
        let path = format!("/v1/log-groups/{}/tail", enc(&w.g(&format!("acme/none-{n}"))));
        assert_problem(w.app.get(&token, &path).await, 404, "resource_not_found").await;
    }
    assert_eq!(w.app.tails.active_pollers(), 0);
}

#[tokio::test]
async fn one_tenant_cannot_take_every_poller() {
    // Ten pollers: one tenant may start one of them.
    let w = world_with(&[("LOGWARD_MAX_TAIL_POLLERS", "10")]).await;
    let acme = |stream: &str| format!("/v1/log-groups/{}/log-streams/{stream}/tail", enc(&w.g("acme/app")));
    let mut first = Sse::open(&w, &hs_token("acme"), &acme("web-1")).await;
    first.until(": connected", Duration::from_secs(5)).await;
    let refused = w.app.get(&hs_token("acme"), &acme("web-2")).await;
    let body = assert_problem(refused, 429, "throttled").await;
    assert!(body["detail"].as_str().unwrap().contains("one tenant"), "{body}");
    // A second tail of the same stream shares the poller: allowed.
    let mut again = Sse::open(&w, &hs_token("acme"), &acme("web-1")).await;
    again.until(": connected", Duration::from_secs(5)).await;
    // Another tenant still gets its share.
    let globex = format!("/v1/log-groups/{}/log-streams/web-1/tail", enc(&w.g("globex/app")));
    let mut other = Sse::open(&w, &hs_token("globex"), &globex).await;
    other.until(": connected", Duration::from_secs(5)).await;
    assert_eq!(w.app.tails.active_pollers(), 2);
}

#[tokio::test]
async fn a_poller_whose_stream_is_deleted_stops_and_ends_its_tails() {
    let w = world().await;
    let group = w.g("acme/app");
    let path = format!("/v1/log-groups/{}/log-streams/web-2/tail", enc(&group));
    let mut tail = Sse::open(&w, &hs_token("acme"), &path).await;
    tail.until(": connected", Duration::from_secs(5)).await;
    w.app
        .logs
        .delete_log_stream()
        .log_group_name(&group)
        .log_stream_name("web-2")
        .send()
        .await
        .unwrap();
    let got = tail.until("event: end", Duration::from_secs(20)).await;
    assert!(got.contains("no longer exists"), "{got}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while w.app.tails.active_pollers() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the poller kept polling");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
