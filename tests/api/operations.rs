//! Operations: decisions from memory (no database on the request path), fail
//! closed when stale, propagation across instances, rate limits, the upstream
//! in-flight cap, metrics, readiness and graceful shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::*;

/// A TCP proxy to Postgres that a test can cut and restore.
struct DbProxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl DbProxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (flag, cuts) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let mut severed = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect("127.0.0.1:5432").await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut server) => {}
                        _ = severed.changed() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }

    fn url_for(&self, direct: &str) -> String {
        direct.replacen(":5432/", &format!(":{}/", self.port), 1)
    }
}

async fn until_status(what: &str, expected: u16, within: Duration, mut probe: impl AsyncFnMut() -> u16) -> Duration {
    let started = Instant::now();
    loop {
        let got = probe().await;
        if got == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{what}: still {got} after {within:?}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn requests_need_no_database_fail_closed_when_stale_and_recover() {
    let direct = fresh_database().await;
    assert!(
        direct.url().contains(":5432/"),
        "this test proxies the default Postgres port"
    );
    let proxy = DbProxy::start().await;
    let app = TestApp::builder()
        .database(&proxy.url_for(direct.url()), direct.url())
        .setting("LOGWARD_CACHE_RELOAD_SECS", "1")
        .setting("LOGWARD_MAX_STALENESS_SECS", "3")
        .spawn()
        .await;
    let group = format!("/{}/app", unique("ops"));
    seed(&app.logs, &group, "s", &["m".into()]).await;
    app.create_tenant(
        "acme",
        allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]),
    )
    .await;
    let token = hs_token("acme");
    assert_eq!(app.get_events(&token, &group, "s", "").await.status(), 200);

    // The database is gone: requests are still decided from memory.
    proxy.cut();
    for _ in 0..3 {
        assert_eq!(app.get_events(&token, &group, "s", "").await.status(), 200);
    }
    assert_eq!(app.get_events(&hs_token("other"), &group, "s", "").await.status(), 403);
    assert_eq!(
        app.client
            .get(format!("{}/readyz", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );

    // Past the staleness bound they fail closed ...
    until_status("fail closed", 503, Duration::from_secs(10), async || {
        app.get_events(&token, &group, "s", "").await.status().as_u16()
    })
    .await;
    let r = app.get_events(&token, &group, "s", "").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 503, "service_unavailable").await;

    // ... and recover by themselves when the database returns.
    proxy.restore();
    until_status("recovery", 200, Duration::from_secs(20), async || {
        app.get_events(&token, &group, "s", "").await.status().as_u16()
    })
    .await;
    // The decisions made during the outage were kept and written afterwards.
    let rows = app
        .audit_rows("kind = 'data' and tenant_id = 'acme' and decision = 'allow'", 5)
        .await;
    assert!(rows.len() >= 5, "audit rows from the outage were lost: {rows:?}");
}

#[tokio::test]
async fn changes_reach_another_instance_within_a_second() {
    // Two instances on one database.
    let database = fresh_database().await;
    let a = TestApp::builder()
        .database(database.url(), database.url())
        .spawn()
        .await;
    let b = TestApp::builder()
        .database(database.url(), database.url())
        .spawn()
        .await;
    let group = format!("/{}/app", unique("ops"));
    seed(&b.logs, &group, "s", &["m".into()]).await;
    let policy = allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")]);
    a.create_tenant("acme", policy).await;
    let token = hs_token("acme");
    let key = a.create_key("acme", json!({"name": "k"})).await;
    let key_secret = key["key"].as_str().unwrap().to_owned();
    let within = Duration::from_secs(1);

    until_status("tenant on B", 200, within, async || {
        b.get_events(&token, &group, "s", "").await.status().as_u16()
    })
    .await;
    until_status("key on B", 200, within, async || {
        b.get_events(&key_secret, &group, "s", "").await.status().as_u16()
    })
    .await;

    // Policy change on A applies on B.
    let r = a
        .admin(
            Method::PUT,
            "/admin/v1/tenants/acme/policy",
            Some(allow_policy(&["arn:aws:logs:*:*:log-group:/elsewhere:*"])),
        )
        .await;
    assert_eq!(r.status(), 200);
    until_status("policy on B", 403, within, async || {
        b.get_events(&token, &group, "s", "").await.status().as_u16()
    })
    .await;
    let r = a
        .admin(
            Method::PUT,
            "/admin/v1/tenants/acme/policy",
            Some(allow_policy(&[&format!("arn:aws:logs:*:*:log-group:{group}:*")])),
        )
        .await;
    assert_eq!(r.status(), 200);
    until_status("policy back on B", 200, within, async || {
        b.get_events(&token, &group, "s", "").await.status().as_u16()
    })
    .await;

    // Key revocation on A applies on B.
    a.admin(
        Method::DELETE,
        &format!("/admin/v1/tenants/acme/api-keys/{}", key["id"].as_str().unwrap()),
        None,
    )
    .await;
    until_status("revocation on B", 401, within, async || {
        b.get_events(&key_secret, &group, "s", "").await.status().as_u16()
    })
    .await;

    // A change made with the CLI applies on both.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logward"))
        .env_clear()
        .env("LOGWARD_DATABASE_URL", database.url())
        .args(["tenant", "disable", "acme"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    until_status("CLI disable on A", 403, within, async || {
        a.get_events(&token, &group, "s", "").await.status().as_u16()
    })
    .await;
    until_status("CLI disable on B", 403, within, async || {
        b.get_events(&token, &group, "s", "").await.status().as_u16()
    })
    .await;
}

#[tokio::test]
async fn rate_limits_apply_per_tenant_and_per_key() {
    let app = TestApp::builder()
        .setting("LOGWARD_KEY_RATE_LIMIT_PER_SEC", "1")
        .setting("LOGWARD_KEY_RATE_LIMIT_BURST", "2")
        .spawn()
        .await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/nothing:*"]))
        .await;
    app.create_tenant("globex", allow_policy(&["arn:aws:logs:*:*:log-group:/nothing:*"]))
        .await;
    let r = app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"rateLimit": {"perSecond": 1, "burst": 3}})),
        )
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["rateLimit"],
        json!({"perSecond": 1, "burst": 3})
    );
    let acme = hs_token("acme");
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(app.get(&acme, "/v1/me").await.status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [200, 200, 200, 429]);
    let r = app.get(&acme, "/v1/me").await;
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_problem(r, 429, "throttled").await;
    // Another tenant is not affected; it has the (larger) default.
    for _ in 0..5 {
        assert_eq!(app.get(&hs_token("globex"), "/v1/me").await.status(), 200);
    }
    // A key has its own, smaller bucket inside its tenant's.
    let key = app.create_key("globex", json!({"name": "k"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(app.get(&key, "/v1/me").await.status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [200, 200, 429]);
    // Back to the default, and invalid limits are refused.
    let r = app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"rateLimit": null})),
        )
        .await;
    assert!(r.json::<Value>().await.unwrap().get("rateLimit").is_none());
    let r = app
        .admin(
            Method::PATCH,
            "/admin/v1/tenants/acme",
            Some(json!({"rateLimit": {"perSecond": 0, "burst": 1}})),
        )
        .await;
    assert_problem(r, 400, "invalid_body").await;
    // Refusals are counted.
    let metrics = app.admin(Method::GET, "/metrics", None).await.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("logward_rate_limited_total{") && l.contains("tenant=\"acme\"")),
        "{metrics}"
    );
}

/// An app whose CloudWatch answers GetLogEvents after 1.5 s, with tenant
/// "acme" allowed everything, and a way to start reads that run meanwhile.
struct SlowUpstream {
    slow: CannedServer,
    app: TestApp,
    token: String,
}

impl SlowUpstream {
    async fn start(extra: &[(&str, &str)]) -> Self {
        let slow = canned_server(
            200,
            r#"{"events":[],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}"#,
            Duration::from_millis(1500),
        );
        let app = TestApp::builder()
            .upstream_endpoint(&slow.url)
            .settings(extra)
            .spawn()
            .await;
        app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
        Self {
            slow,
            app,
            token: hs_token("acme"),
        }
    }

    /// A read of `stream` in the background; resolves to its status. Reads
    /// of one stream at once would be joined into one call (single flight).
    fn read_in_background(&self, stream: &str) -> tokio::task::JoinHandle<u16> {
        let (client, url, token) = (
            self.app.client.clone(),
            format!("{}/v1/log-groups/g/log-streams/{stream}/events", self.app.address),
            self.token.clone(),
        );
        tokio::spawn(async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    }

    async fn until_upstream_hits(&self, hits: u16) {
        until_status("upstream hits", hits, Duration::from_secs(5), async || {
            self.slow.hits.load(Ordering::SeqCst) as u16
        })
        .await;
    }
}

#[tokio::test]
async fn the_upstream_in_flight_cap_answers_503() {
    let s = SlowUpstream::start(&[("LOGWARD_UPSTREAM_MAX_INFLIGHT", "1")]).await;
    let first = s.read_in_background("s1");
    s.until_upstream_hits(1).await;
    let r = s.app.get_events(&s.token, "g", "s2", "").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 503, "service_unavailable").await;
    assert_eq!(first.await.unwrap(), 200);
}

#[tokio::test]
async fn calls_beyond_the_upstream_concurrency_wait_for_a_slot_instead_of_failing() {
    let s = SlowUpstream::start(&[
        ("LOGWARD_UPSTREAM_CONCURRENCY", "1"),
        ("LOGWARD_UPSTREAM_MAX_INFLIGHT", "4"),
    ])
    .await;
    let first = s.read_in_background("s1");
    s.until_upstream_hits(1).await;
    let second = s.read_in_background("s2");
    until_status(
        "second call waiting for the slot",
        1,
        Duration::from_secs(5),
        async || {
            let text = s.app.admin(Method::GET, "/metrics", None).await.text().await.unwrap();
            parse_prometheus(&text)
                .into_iter()
                .find(|(series, _)| series == "logward_upstream_queued")
                .map_or(0, |(_, v)| v as u16)
        },
    )
    .await;
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(
        second.await.unwrap(),
        200,
        "the waiting call ran once the slot was free"
    );
    assert_eq!(s.slow.hits.load(Ordering::SeqCst), 2);
}

/// Checks Prometheus text line by line: comments, or `name{labels} value`.
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {l:?}"));
            let name_end = series.find('{').unwrap_or(series.len());
            let name = &series[..name_end];
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "bad metric name in {l:?}"
            );
            if name_end < series.len() {
                assert!(series.ends_with('}'), "bad labels in {l:?}");
            }
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().unwrap_or_else(|_| panic!("bad value in {l:?}")),
            };
            (series.to_owned(), value)
        })
        .collect()
}

#[tokio::test]
async fn metrics_parse_and_move_with_requests() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*:*:log-group:/nothing:*"]))
        .await;
    let scrape = async || {
        let r = app.admin(Method::GET, "/metrics", None).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        parse_prometheus(&r.text().await.unwrap())
    };
    let value = |series: &[(String, f64)], prefix: &str, needle: &str| -> f64 {
        series
            .iter()
            .filter(|(s, _)| s.starts_with(prefix) && s.contains(needle))
            .map(|(_, v)| v)
            .sum()
    };
    let before = scrape().await;
    for _ in 0..3 {
        assert_eq!(
            app.get_events(&hs_token("acme"), "/denied", "s", "").await.status(),
            403
        );
    }
    let after = scrape().await;
    let denied = "reason=\"implicit_deny\"";
    assert_eq!(
        value(&after, "logward_decisions_total", denied) - value(&before, "logward_decisions_total", denied),
        3.0
    );
    let route = "tenant=\"acme\"";
    assert_eq!(
        value(&after, "logward_http_requests_total", route) - value(&before, "logward_http_requests_total", route),
        3.0
    );
    assert!(
        after
            .iter()
            .any(|(s, _)| s.starts_with("logward_http_request_duration_seconds_bucket"))
    );
    assert!(
        after
            .iter()
            .any(|(s, v)| s == "logward_directory_age_seconds" && *v < 60.0)
    );
    assert!(after.iter().any(|(s, _)| s.starts_with("logward_audit_buffered")));
    let r = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_metrics_token_protects_metrics() {
    let app = TestApp::builder()
        .setting("LOGWARD_METRICS_TOKEN", "metrics-token-0123456789abcdef-0123456789")
        .spawn()
        .await;
    let url = format!("{}/metrics", app.address);
    assert_problem(app.client.get(&url).send().await.unwrap(), 401, "unauthenticated").await;
    let r = app
        .client
        .get(&url)
        .bearer_auth("metrics-token-0123456789abcdef-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_flushes_the_audit() {
    let slow = canned_server(
        200,
        r#"{"events":[{"timestamp":1,"message":"m","ingestionTime":2}],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}"#,
        Duration::from_millis(1500),
    );
    let database = fresh_database().await;
    let port = free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_logward"))
        .arg("serve")
        .env_clear()
        .env("LOGWARD_DATABASE_URL", database.url())
        .env("LOGWARD_LISTEN", format!("127.0.0.1:{port}"))
        .env("LOGWARD_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("LOGWARD_JWT_HS256_SECRET", HS_SECRET)
        .env("LOGWARD_AWS_ACCOUNT_ID", ACCOUNT)
        .env("LOGWARD_LOG", "warn")
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &slow.url)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    until_status("gateway up", 200, Duration::from_secs(30), async || {
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    })
    .await;
    let r = client
        .post(format!("{base}/admin/v1/tenants"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"id": "acme", "name": "ACME"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .put(format!("{base}/admin/v1/tenants/acme/policy"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&allow_policy(&["arn:aws:logs:*"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let in_flight = {
        let (client, url) = (client.clone(), format!("{base}/v1/log-groups/g/log-streams/s/events"));
        tokio::spawn(async move {
            client
                .get(url)
                .bearer_auth(hs_token("acme"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    until_status("request in flight", 1, Duration::from_secs(5), async || {
        slow.hits.load(Ordering::SeqCst) as u16
    })
    .await;
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );

    assert_eq!(in_flight.await.unwrap(), 200, "the in-flight request finished");
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status}");
    // The decision reached the database before the process exited.
    let pool = sqlx::PgPool::connect(database.url()).await.unwrap();
    let rows: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'logs:GetLogEvents' and decision = 'allow'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(rows, 1);
}
