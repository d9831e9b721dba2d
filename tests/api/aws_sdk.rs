//! The AWS-compatible door with the Rust SDK (aws-sdk-cloudwatchlogs), the
//! client a Rust service would use: its GetLogEvents paginator stops at the
//! end of a stream, and refusals parse as the SDK's own errors. The SDK signs
//! with SigV4 using a gateway-issued access key, exactly as it signs for AWS;
//! a second client presents a tenant API key as a bearer token (an
//! interceptor), which the door accepts too.

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_cloudwatchlogs::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use serde_json::json;

use crate::helpers::*;
use crate::read_surface::world;

#[derive(Debug)]
struct Bearer(String);

impl Intercept for Bearer {
    fn name(&self) -> &'static str {
        "bearer"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        context
            .request_mut()
            .headers_mut()
            .insert("authorization", format!("Bearer {}", self.0));
        Ok(())
    }
}

fn config(app: &TestApp, id: &str, secret: &str) -> aws_sdk_cloudwatchlogs::config::Builder {
    aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version_latest()
        .region(Region::new(REGION))
        .endpoint_url(&app.address)
        .credentials_provider(Credentials::new(id, secret, None, None, "tests"))
        .retry_config(aws_sdk_cloudwatchlogs::config::retry::RetryConfig::standard().with_max_attempts(1))
}

/// Signs with SigV4 as `id` / `secret`.
fn signing_client(app: &TestApp, id: &str, secret: &str) -> Client {
    Client::from_conf(config(app, id, secret).build())
}

/// Presents `token` as a bearer credential instead of a signature.
fn bearer_client(app: &TestApp, token: &str) -> Client {
    Client::from_conf(
        config(app, "unused", "unused")
            .interceptor(Bearer(token.to_owned()))
            .build(),
    )
}

#[tokio::test]
async fn the_rust_sdk_pages_lists_and_sees_refusals_as_cloudwatch_errors() {
    let w = world().await;
    let (id, secret) = w.app.create_access_key("acme", json!({"name": "sdk"})).await;
    let logs = signing_client(&w.app, &id, &secret);

    let pages: Vec<_> = logs
        .get_log_events()
        .log_group_name(w.g("acme/app"))
        .log_stream_name("web-1")
        .start_from_head(true)
        .limit(1)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let messages: Vec<String> = pages
        .into_iter()
        .flat_map(|page| page.unwrap().events.unwrap_or_default())
        .map(|e| e.message.unwrap())
        .collect();
    assert_eq!(messages, ["acme a1", "acme a2", "acme a3"]);

    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/{}/", w.root))
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = groups.log_groups().iter().filter_map(|g| g.log_group_name()).collect();
    assert_eq!(names, [w.g("acme/app"), w.g("acme/db"), w.g("shared")]);

    let shared = logs
        .filter_log_events()
        .log_group_identifier(format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{}", w.g("shared")))
        .log_stream_name_prefix("acme/")
        .send()
        .await
        .unwrap();
    let streams: Vec<&str> = shared.events().iter().filter_map(|e| e.log_stream_name()).collect();
    assert_eq!(streams, ["acme/1", "acme/2"]);

    // Not modelled for GetLogEvents: the SDK keeps the code.
    let denied = logs
        .get_log_events()
        .log_group_name(w.g("globex/app"))
        .log_stream_name("web-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(denied.code(), Some("AccessDeniedException"));
    let unknown = logs
        .get_query_results()
        .query_id("0b5f6a1e-0000-4000-8000-000000000000")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(unknown.is_resource_not_found_exception(), "{unknown:?}");
    let invalid = logs
        .get_log_events()
        .log_group_name(w.g("acme/app"))
        .log_group_identifier(w.g("acme/app"))
        .log_stream_name("web-1")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(invalid.is_invalid_parameter_exception(), "{invalid:?}");
    assert!(invalid.message().unwrap().starts_with("logGroupIdentifier"));

    // A tenant API key as a bearer credential reads the same stream.
    let key = w.app.create_key("acme", json!({"name": "sdk"})).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_key = bearer_client(&w.app, &key)
        .get_log_events()
        .log_group_name(w.g("acme/app"))
        .log_stream_name("web-1")
        .send()
        .await
        .unwrap();
    assert_eq!(by_key.events().len(), 3);

    // A wrong secret and an unknown key id fail as they would at AWS.
    for (client, code) in [
        (
            signing_client(&w.app, &id, "not-the-secret-0000000000000000000000000"),
            "InvalidSignatureException",
        ),
        (
            signing_client(&w.app, "LWAKAAAAAAAAAAAAAAAA", &secret),
            "UnrecognizedClientException",
        ),
    ] {
        let refused = client
            .describe_log_groups()
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(refused.code(), Some(code), "{refused:?}");
    }
}
