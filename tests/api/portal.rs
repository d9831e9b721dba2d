//! The log viewer at `/portal/`: its files and headers over HTTP, the switch
//! and the framing setting, and the whole page in a real browser
//! (`portal/test/browser/`, run with node against this gateway).

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use reqwest::header::{HeaderMap, IF_NONE_MATCH};
use serde_json::{Value, json};

use crate::helpers::*;

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(format!("{}{path}", app.address)).send().await.unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' \
                   data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; require-trusted-types-for \
                   'script'; trusted-types 'none'";

#[tokio::test]
async fn the_page_and_its_files_are_served_with_a_strict_policy() {
    let app = spawn_app().await;
    for (path, content_type, needle) in [
        (
            "/portal/",
            "text/html; charset=utf-8",
            "<script type=\"module\" src=\"app.js\">",
        ),
        ("/portal/app.js", "text/javascript; charset=utf-8", "sessionStorage"),
        ("/portal/app.css", "text/css; charset=utf-8", "prefers-color-scheme"),
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers().clone();
        assert_eq!(header(&h, "content-type"), content_type, "{path}");
        assert_eq!(header(&h, "content-security-policy"), CSP, "{path}");
        assert_eq!(header(&h, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&h, "referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header(&h, "x-frame-options"), "DENY", "{path}");
        assert_eq!(header(&h, "cross-origin-opener-policy"), "same-origin", "{path}");
        assert_eq!(header(&h, "cross-origin-resource-policy"), "same-origin", "{path}");
        assert_eq!(header(&h, "cache-control"), "no-cache", "{path}");
        assert!(header(&h, "etag").starts_with('"'), "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(needle), "{path} lacks {needle:?}");
        // Nothing from elsewhere: no CDN, no font service.
        assert!(!body.contains("//cdn") && !body.contains("fonts.g"), "{path}");
    }
    // Without the slash, the browser is sent to the page.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect.get(format!("{}/portal", app.address)).send().await.unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(header(r.headers(), "location"), "portal/");
    // The viewer reads nothing by itself.
    assert_eq!(app.upstream_calls(), 0);
}

#[tokio::test]
async fn an_unchanged_file_is_revalidated_with_304() {
    let app = spawn_app().await;
    let r = get(&app, "/portal/app.js").await;
    let etag = header(r.headers(), "etag").to_owned();
    let r = app
        .client
        .get(format!("{}/portal/app.js", app.address))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(header(r.headers(), "content-security-policy"), CSP);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = app
        .client
        .get(format!("{}/portal/app.js", app.address))
        .header(IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn framing_is_allowed_only_to_the_configured_ancestors() {
    let app = TestApp::builder()
        .settings(&[("LOGWARD_PORTAL_FRAME_ANCESTORS", "https://portal.example.com 'self'")])
        .spawn()
        .await;
    let r = get(&app, "/portal/").await;
    let csp = header(r.headers(), "content-security-policy");
    assert!(
        csp.contains("; frame-ancestors https://portal.example.com 'self'; "),
        "{csp}"
    );
    assert!(r.headers().get("x-frame-options").is_none());
}

#[tokio::test]
async fn a_disabled_viewer_answers_route_not_found() {
    let app = TestApp::builder()
        .settings(&[("LOGWARD_PORTAL_ENABLED", "false")])
        .spawn()
        .await;
    for path in ["/portal", "/portal/", "/portal/app.js", "/portal/app.css"] {
        assert_problem(get(&app, path).await, 404, "route_not_found").await;
    }
}

// ---------------------------------------------------------------- in a browser

async fn put_events(app: &TestApp, group: &str, stream: &str, first_ms: i64, messages: &[String]) {
    let _ = app.logs.create_log_group().log_group_name(group).send().await;
    app.logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .unwrap();
    let events = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            InputLogEvent::builder()
                .timestamp(first_ms + i as i64)
                .message(m)
                .build()
                .unwrap()
        })
        .collect::<Vec<_>>();
    app.logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();
}

#[derive(serde::Deserialize)]
struct PutBody {
    group: String,
    stream: String,
    message: String,
}

/// `POST /put {group, stream, message}`: the browser test writes an event into
/// moto through the AWS SDK, as a customer's application would.
fn put_hook(logs: aws_sdk_cloudwatchlogs::Client) -> String {
    use actix_web::{HttpResponse, web};
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().app_data(web::Data::new(logs.clone())).route(
            "/put",
            web::post().to(
                |logs: web::Data<aws_sdk_cloudwatchlogs::Client>, body: web::Json<PutBody>| async move {
                    let event = InputLogEvent::builder()
                        .timestamp(now_ms())
                        .message(&body.message)
                        .build()
                        .unwrap();
                    match logs
                        .put_log_events()
                        .log_group_name(&body.group)
                        .log_stream_name(&body.stream)
                        .log_events(event)
                        .send()
                        .await
                    {
                        Ok(_) => HttpResponse::NoContent().finish(),
                        Err(e) => HttpResponse::InternalServerError().body(format!("{e:?}")),
                    }
                },
            ),
        )
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let url = format!("http://{}/put", server.addrs()[0]);
    tokio::spawn(server.run());
    url
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// A log line that would run script if the viewer inserted it as HTML.
const MARKUP: &str = r#"<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script> markup in a log line"#;

#[tokio::test]
async fn the_viewer_works_in_a_real_browser() {
    let portal = Path::new(env!("CARGO_MANIFEST_DIR")).join("portal");
    let chromium = std::env::var("LOGWARD_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium not found at {chromium}: run the tests with ./scripts/test, which installs it"
    );
    assert!(
        portal.join("node_modules/playwright-core").exists(),
        "portal/node_modules is missing: run the tests with ./scripts/test, which runs npm ci in portal/"
    );

    let app = spawn_app().await;
    let root = unique("pv");
    let g = |rest: &str| format!("/{root}/{rest}");
    let now = now_ms();
    let lines: Vec<String> = (1..=150).map(|i| format!("line {i:03}")).collect();
    put_events(&app, &g("acme/app"), "web-1", now - 120_000, &lines).await;
    put_events(
        &app,
        &g("acme/app"),
        "web-2",
        now - 30_000,
        &["web-2 started".to_owned(), MARKUP.to_owned()],
    )
    .await;
    let json_lines: Vec<String> = [
        json!({"level": "info", "msg": "GET /health", "ms": 3}),
        json!({"level": "error", "msg": "db timeout", "ms": 5003}),
        json!({"level": "warn", "msg": "error budget low", "ms": 1}),
        json!({"level": "error", "msg": "payment declined", "ms": 220}),
        json!({"level": "info", "msg": "GET /orders", "ms": 41}),
        json!({"level": "error", "msg": "disk full", "ms": 9, "disk": {"free": 0}}),
    ]
    .iter()
    .map(Value::to_string)
    .chain(["a plain line that mentions error".to_owned()])
    .collect();
    let errors: Vec<&String> = json_lines
        .iter()
        .filter(|l| l.contains("\"level\":\"error\""))
        .collect();
    assert_eq!(errors.len(), 3);
    put_events(&app, &g("acme/json"), "api", now - 60_000, &json_lines).await;
    put_events(
        &app,
        &g("globex/secret"),
        "vault",
        now - 60_000,
        &["globex secret".to_owned()],
    )
    .await;
    put_events(&app, &g("slow/app"), "s", now - 60_000, &["slow".to_owned()]).await;

    let own = |tenant: &str| {
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:*", "Resource": format!("arn:aws:logs:*:*:log-group:/{root}/{tenant}/*")}
        ]})
    };
    for tenant in ["acme", "globex", "slow"] {
        app.create_tenant(tenant, own(tenant)).await;
    }
    // One request a second: signing in (GET /v1/me) uses it up, so the
    // group list right after is rate limited.
    let r = app
        .admin(
            reqwest::Method::PATCH,
            "/admin/v1/tenants/slow",
            Some(json!({"rateLimit": {"perSecond": 1, "burst": 1}})),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let key = app.create_key("acme", json!({"name": "viewer"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();

    // A second gateway whose CloudWatch answers every call with a 500.
    let failing = canned_server(
        500,
        r#"{"__type":"InternalFailure","message":"upstream exploded"}"#,
        Duration::ZERO,
    );
    let broken = TestApp::builder().upstream_endpoint(&failing.url).spawn().await;
    broken.create_tenant("acme", own("acme")).await;

    let screenshots = target_dir().join("portal-screenshots");
    let env: Vec<(&str, String)> = vec![
        ("PORTAL_BASE_URL", app.address.clone()),
        ("PORTAL_KEY_A", key),
        ("PORTAL_JWT_A", hs_token("acme")),
        ("PORTAL_JWT_SLOW", hs_token("slow")),
        ("PORTAL_GROUPS_A", json!([g("acme/app"), g("acme/json")]).to_string()),
        ("PORTAL_GROUP_APP", g("acme/app")),
        ("PORTAL_GROUP_JSON", g("acme/json")),
        ("PORTAL_GROUP_B", g("globex/secret")),
        ("PORTAL_GROUP_SLOW", g("slow/app")),
        ("PORTAL_PUT_URL", put_hook(app.logs.clone())),
        ("PORTAL_ERROR_EVENTS", json!(errors).to_string()),
        ("PORTAL_SCREENSHOTS", screenshots.display().to_string()),
        ("PORTAL_CHROMIUM", chromium),
        ("PORTAL_MARKUP", MARKUP.to_owned()),
        ("PORTAL_BROKEN_URL", broken.address.clone()),
    ];
    let run = tokio::process::Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "--test-concurrency=1",
            "test/browser/viewer.test.mjs",
        ])
        .current_dir(&portal)
        .envs(env)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the browser tests did not finish within 5 minutes")
        .expect("node could not be started (is Node.js 20 installed?)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}\nscreenshots: {}", screenshots.display());
    assert!(output.status.success(), "browser tests failed:\n{report}");
}
