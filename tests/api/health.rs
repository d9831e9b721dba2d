use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn healthz_answers_200_and_sets_a_request_id() {
    let app = spawn_app().await;
    let r = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn a_sane_client_request_id_is_echoed_and_a_bad_one_replaced() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = spawn_app().await;
    let r = app.client.get(format!("{}/nope", app.address)).send().await.unwrap();
    let body = assert_problem(r, 404, "route_not_found").await;
    assert!(!body["detail"].as_str().unwrap().contains("%2F"), "{body}");
    // A group name sent with its `/` unencoded gets told how to encode it.
    let r = app
        .client
        .get(format!(
            "{}/v1/log-groups//demo/app/log-streams/web-1/events",
            app.address
        ))
        .send()
        .await
        .unwrap();
    let body = assert_problem(r, 404, "route_not_found").await;
    assert!(body["detail"].as_str().unwrap().contains("%2Fdemo%2Fapp"), "{body}");
    let r = app
        .client
        .delete(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_problem(r, 405, "method_not_allowed").await;
}
