//! The harness itself: a test's database is gone when the test ends, whether
//! it passed or failed, even with the gateway's pool still connected to it.

use sqlx::{Connection, PgConnection};

use crate::helpers::*;

async fn database_exists(name: &str) -> bool {
    let mut conn = PgConnection::connect(&base_database_url()).await.unwrap();
    sqlx::query_scalar("select exists (select from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

async fn sessions_on(name: &str) -> i64 {
    let mut conn = PgConnection::connect(&base_database_url()).await.unwrap();
    sqlx::query_scalar("select count(*) from pg_stat_activity where datname = $1")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// An app that has served a request, and the name of its database.
async fn busy_app() -> (TestApp, String) {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    let name: String = sqlx::query_scalar("select current_database()::text")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (app, name)
}

#[tokio::test]
async fn an_apps_database_is_dropped_with_it_though_the_gateway_is_still_connected() {
    let (app, name) = busy_app().await;
    assert!(
        sessions_on(&name).await > 1,
        "the gateway's pool and the test's are connected"
    );
    drop(app);
    assert!(!database_exists(&name).await, "{name} outlived its app");
}

#[test]
fn a_failing_tests_database_is_dropped_too() {
    // A failing #[tokio::test]: a panic unwinds out of its runtime's block_on.
    let (name_tx, name_rx) = std::sync::mpsc::channel();
    let failed = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (_app, name) = busy_app().await;
            name_tx.send(name).unwrap();
            panic!("this test fails on purpose");
        })
    })
    .join();
    assert!(failed.is_err(), "the test should have failed");
    let name = name_rx.recv().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert!(
        !runtime.block_on(database_exists(&name)),
        "{name} outlived a failing test"
    );
}

#[tokio::test]
async fn a_database_the_test_brought_outlives_its_apps_and_goes_with_the_test() {
    let database = fresh_database().await;
    let name = database.url().rsplit_once('/').unwrap().1.to_owned();
    let app = TestApp::builder()
        .database(database.url(), database.url())
        .spawn()
        .await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    drop(app);
    assert!(database_exists(&name).await, "dropped while the test still holds it");
    drop(database);
    assert!(!database_exists(&name).await, "{name} outlived its test");
}
