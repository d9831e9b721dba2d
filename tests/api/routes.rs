//! The route table: every route demands its credential, and the OpenAPI
//! document describes exactly the routes that exist.

use std::collections::BTreeSet;

use logward::routes::{Access, inventory};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn concrete(path: &str) -> String {
    path.replace("{tenant}", "acme")
        .replace("{key}", "aaaaaaaaaaaaaaaa")
        .replace("{group}", "%2Fg")
        .replace("{stream}", "s")
}

#[tokio::test]
async fn every_route_requires_its_credential() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    let tenant_key = app.create_key("acme", json!({"name": "k"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin_key: Value = app
        .admin(Method::POST, "/admin/v1/admin-keys", Some(json!({"name": "ops"})))
        .await
        .json()
        .await
        .unwrap();
    let admin_key = admin_key["key"].as_str().unwrap().to_owned();
    let tenant_jwt = hs_token("acme");

    let routes = inventory();
    assert!(routes.len() >= 20);
    for route in &routes {
        let method = Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
        let url = format!("{}{}", app.address, concrete(route.path));
        let send = async |token: Option<&str>| {
            let mut req = app.client.request(method.clone(), &url).json(&json!({}));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.unwrap().status().as_u16()
        };
        let what = format!("{} {}", route.method, route.path);
        if route.path == "/" {
            // The AWS-compatible door refuses as CloudWatch does: 400 with
            // UnrecognizedClientException, for every operation it serves.
            assert_eq!(route.access, Access::Tenant);
            for token in [None, Some(ADMIN_TOKEN), Some(admin_key.as_str()), Some("garbage")] {
                let mut req = app
                    .client
                    .post(&url)
                    .header("x-amz-target", "Logs_20140328.DescribeLogGroups")
                    .header("content-type", "application/x-amz-json-1.1")
                    .body("{}");
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let r = req.send().await.unwrap();
                assert_eq!(r.status(), 400, "{what} with {token:?}");
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["__type"], "UnrecognizedClientException", "{what} with {token:?}");
            }
            continue;
        }
        match route.access {
            Access::Public => assert_eq!(send(None).await, 200, "{what}"),
            Access::Tenant => {
                for token in [None, Some(ADMIN_TOKEN), Some(admin_key.as_str()), Some("garbage")] {
                    assert_eq!(send(token).await, 401, "{what} with {token:?}");
                }
            }
            Access::Admin => {
                for token in [None, Some(tenant_key.as_str()), Some("garbage")] {
                    assert_eq!(send(token).await, 401, "{what} with {token:?}");
                }
                assert_eq!(send(Some(&tenant_jwt)).await, 401, "{what} with a tenant JWT");
            }
        }
    }
    assert_eq!(app.upstream_calls(), 0);
}

#[tokio::test]
async fn every_get_route_answers_head_with_the_same_credential_rules_and_no_body() {
    let app = spawn_app().await;
    app.create_tenant("acme", allow_policy(&["arn:aws:logs:*"])).await;
    let gets: Vec<_> = inventory().into_iter().filter(|r| r.method == "GET").collect();
    assert!(gets.len() >= 10);
    for route in &gets {
        let url = format!("{}{}", app.address, concrete(route.path));
        let r = app.client.head(&url).send().await.unwrap();
        let expected = if route.access == Access::Public { 200 } else { 401 };
        assert_eq!(r.status(), expected, "HEAD {}", route.path);
    }
    for (path, token) in [
        ("/v1/me", hs_token("acme")),
        ("/admin/v1/tenants/acme", ADMIN_TOKEN.to_owned()),
    ] {
        let get = app.get(&token, path).await;
        assert_eq!(get.status(), 200, "GET {path}");
        let get_type = get.headers()["content-type"].clone();
        let r = app
            .client
            .head(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "HEAD {path}");
        assert_eq!(r.headers()["content-type"], get_type, "HEAD {path}");
        assert!(r.bytes().await.unwrap().is_empty(), "HEAD {path} has no body");
    }
}

fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

#[test]
fn the_openapi_document_describes_exactly_the_routes() {
    let doc: Value = serde_json::from_str(&logward::openapi::document()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let routed: BTreeSet<(String, String)> = inventory()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    assert_eq!(documented_operations(&doc), routed);
    // Every protected operation names its security scheme.
    for r in inventory() {
        let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
        let scheme = match r.access {
            Access::Public => continue,
            Access::Tenant => "tenant",
            Access::Admin => "admin",
        };
        assert!(op["security"][0].get(scheme).is_some(), "{} {}", r.method, r.path);
    }
}

/// Regenerate with `LOGWARD_UPDATE_OPENAPI=1 cargo test --test api openapi`.
#[test]
fn the_committed_openapi_json_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = logward::openapi::document() + "\n";
    if std::env::var("LOGWARD_UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is stale: run LOGWARD_UPDATE_OPENAPI=1 cargo test --test api openapi"
    );
}

#[tokio::test]
async fn the_served_document_is_the_generated_one() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), logward::openapi::document());
}
