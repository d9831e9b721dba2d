//! Audit events recorded while Postgres refuses connections are kept and
//! written once it is back, whatever the server answers at connection start.

use std::time::{Duration, Instant};

use logward::audit::{AuditEvent, AuditSink};
use reqwest::Method;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection};

use crate::helpers::*;

/// Polls `probe` until it holds, failing after ten seconds.
async fn until(what: &str, mut probe: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !probe().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn maintenance_connection() -> PgConnection {
    PgConnection::connect(&base_database_url()).await.unwrap()
}

async fn run(conn: &mut PgConnection, sql: String) {
    // Database names here are ours (UUIDs), not input: safe to splice.
    conn.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn audit_events_recorded_while_the_database_refuses_connections_arrive_once_it_is_back() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/allowed/*"]))
        .await;
    let token = hs_token("acme");
    let (db,): (String,) = sqlx::query_as("select current_database()")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // New connections get SQLSTATE 55000 ("not currently accepting
    // connections"); the open ones, the gateway's included, are ended.
    let mut maintenance = maintenance_connection().await;
    run(
        &mut maintenance,
        format!(r#"alter database "{db}" allow_connections false"#),
    )
    .await;
    run(
        &mut maintenance,
        format!("select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = '{db}'"),
    )
    .await;

    // Each denied read is audited before its answer is sent. The writer takes
    // the queue as a whole and then tries to write it: once the queue has been
    // taken empty after the second read, its try with the first has failed.
    let queue_taken = async || {
        let text = app.admin(Method::GET, "/metrics", None).await.text().await.unwrap();
        metric(&text, "logward_audit_buffered") == Some(0.0)
    };
    for group in ["/outage/first", "/outage/second"] {
        let r = app.get_events(&token, group, "s", "").await;
        assert_eq!(r.status(), 403);
        until("the audit writer to take the queue", queue_taken).await;
    }

    run(
        &mut maintenance,
        format!(r#"alter database "{db}" allow_connections true"#),
    )
    .await;
    let rows = app.audit_rows("resource like '%/outage/%'", 2).await;
    assert_eq!(
        rows.iter().map(|r| r.2.clone().unwrap_or_default()).collect::<Vec<_>>(),
        [stream_arn("/outage/first", "s"), stream_arn("/outage/second", "s")],
        "audit events were lost while the database refused connections"
    );
    assert_eq!(app.upstream_calls(), 0);
}

fn event(action: &str) -> AuditEvent {
    AuditEvent {
        at: chrono::Utc::now(),
        kind: "data",
        tenant_id: Some("acme".into()),
        principal: Some("jwt:alice".into()),
        action: action.into(),
        resource: None,
        decision: "deny",
        reason: "implicit_deny",
        http_status: 403,
        latency_ms: 1,
        request_id: None,
        detail: None,
    }
}

/// Records `action`, then waits until the writer has taken it from the queue.
async fn record_and_hand_over(sink: &AuditSink, action: &str) {
    sink.record(event(action));
    until("the audit writer to take the queue", async || sink.buffered() == 0).await;
}

#[tokio::test]
async fn the_audit_writer_keeps_events_while_its_database_does_not_exist_then_writes_them() {
    let base = base_database_url();
    let name = format!("logward_test_{}", uuid::Uuid::new_v4().simple());
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy(&format!("{prefix}/{name}"))
        .unwrap();
    let (sink, writer) = logward::audit::start(pool.clone(), 100, Duration::from_millis(20));

    // Connecting fails with SQLSTATE 3D000 (no such database). Once the
    // second event has been taken, the writer has tried the first and failed.
    record_and_hand_over(&sink, "first").await;
    record_and_hand_over(&sink, "second").await;
    assert_eq!(sink.dropped(), 0);

    // The database appears, but without its table (42P01, on an established
    // connection) until the migrations have run: still nothing to drop.
    run(
        &mut maintenance_connection().await,
        format!(r#"create database "{name}""#),
    )
    .await;
    record_and_hand_over(&sink, "third").await;
    logward::db::MIGRATOR.run(&pool).await.unwrap();

    let mut actions: Vec<String> = Vec::new();
    until("the kept events to be written", async || {
        actions = sqlx::query_scalar("select action from audit_events order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
        actions.len() >= 3
    })
    .await;
    assert_eq!(actions, ["first", "second", "third"]);
    assert_eq!((sink.dropped(), sink.refused()), (0, 0));
    writer.shutdown().await;
}

#[tokio::test]
async fn a_row_the_database_refuses_for_its_content_is_dropped_and_counted_the_others_are_written() {
    let db = fresh_database().await;
    let pool = PgPoolOptions::new().connect(db.url()).await.unwrap();
    logward::db::MIGRATOR.run(&pool).await.unwrap();
    let (sink, writer) = logward::audit::start(pool.clone(), 100, Duration::from_millis(20));

    sink.record(event("before"));
    // The table's check constraint refuses it (23514): the row's fault.
    let mut bad = event("bad");
    bad.decision = "maybe";
    sink.record(bad);
    sink.record(event("after"));
    writer.shutdown().await;

    let actions: Vec<String> = sqlx::query_scalar("select action from audit_events order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(actions, ["before", "after"]);
    assert_eq!((sink.dropped(), sink.refused()), (1, 1));
}
