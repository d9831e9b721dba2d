//! The AWS CLI (PyPI `awscli`, v1) pointed at logward with `--endpoint-url`
//! and a gateway-issued access key, exactly as an engineer would run it: it
//! signs with SigV4 and sees only the tenant's logs.

use serde_json::{Value, json};

use crate::read_surface::world;

/// `field` of each item of the list `list` in `reply`.
fn each<'a>(reply: &'a Value, list: &str, field: &str) -> Vec<&'a str> {
    reply[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[field].as_str().unwrap())
        .collect()
}

fn parsed(ok: bool, stdout: &str, stderr: &str) -> Value {
    assert!(ok, "aws failed: {stderr}");
    serde_json::from_str(stdout).unwrap()
}

#[tokio::test]
async fn the_aws_cli_reads_the_tenants_logs_and_nothing_else() {
    let w = world().await;
    let (id, secret) = w.app.create_access_key("acme", json!({"name": "laptop"})).await;
    let key = (id.as_str(), secret.as_str());

    // get-log-events from the head of a stream.
    let (ok, out, err) = w
        .app
        .aws_cli(
            key,
            &[
                "logs",
                "get-log-events",
                "--log-group-name",
                &w.g("acme/app"),
                "--log-stream-name",
                "web-1",
                "--start-from-head",
            ],
        )
        .await;
    let events = parsed(ok, &out, &err);
    let messages = each(&events, "events", "message");
    assert_eq!(messages, ["acme a1", "acme a2", "acme a3"]);
    assert!(events["nextForwardToken"].is_string());

    // filter-log-events with a JSON pattern (the CLI pages to the end).
    let (ok, out, err) = w
        .app
        .aws_cli(
            key,
            &[
                "logs",
                "filter-log-events",
                "--log-group-name",
                &w.g("acme/app"),
                "--filter-pattern",
                "{ $.level = \"error\" }",
            ],
        )
        .await;
    let filtered = parsed(ok, &out, &err);
    // moto treats JSON patterns as match-all (CLOUDWATCH_NOTES): this shows
    // the CLI's signed request is accepted and answered, not how CloudWatch filters.
    assert_eq!(filtered["events"].as_array().unwrap().len(), 4, "{filtered}");

    // describe-log-groups: only the tenant's groups, whatever the prefix asked.
    let (ok, out, err) = w
        .app
        .aws_cli(
            key,
            &[
                "logs",
                "describe-log-groups",
                "--log-group-name-prefix",
                &format!("/{}/", w.root),
            ],
        )
        .await;
    let groups = parsed(ok, &out, &err);
    let names = each(&groups, "logGroups", "logGroupName");
    assert_eq!(names, [w.g("acme/app"), w.g("acme/db"), w.g("shared")]);

    // describe-log-streams in the shared group: only the tenant's streams.
    let (ok, out, err) = w
        .app
        .aws_cli(
            key,
            &["logs", "describe-log-streams", "--log-group-name", &w.g("shared")],
        )
        .await;
    let streams = parsed(ok, &out, &err);
    let names = each(&streams, "logStreams", "logStreamName");
    assert_eq!(names, ["acme/1", "acme/2"]);

    // Another tenant's stream: AccessDeniedException, as AWS would say it.
    let (ok, _, err) = w
        .app
        .aws_cli(
            key,
            &[
                "logs",
                "get-log-events",
                "--log-group-name",
                &w.g("globex/app"),
                "--log-stream-name",
                "web-1",
            ],
        )
        .await;
    assert!(!ok && err.contains("AccessDeniedException"), "{err}");

    // A wrong secret: InvalidSignatureException; nothing is read.
    let (ok, _, err) = w
        .app
        .aws_cli(
            (&id, "wrong-secret-0000000000000000000000000000"),
            &["logs", "describe-log-groups"],
        )
        .await;
    assert!(!ok && err.contains("InvalidSignatureException"), "{err}");

    // Revoked: the key is unknown from then on.
    let r = w
        .app
        .admin(
            reqwest::Method::DELETE,
            &format!("/admin/v1/tenants/acme/access-keys/{id}"),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let (ok, _, err) = w.app.aws_cli(key, &["logs", "describe-log-groups"]).await;
    assert!(!ok && err.contains("UnrecognizedClientException"), "{err}");
}
