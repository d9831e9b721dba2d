//! One invocation over loopback: the event's request as a client would have
//! sent it to the server, and the server's response as the runtime wants it.

use lambda_http::http::header::{HeaderMap, HeaderName, HeaderValue};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

/// Headers about one connection, not the message (RFC 9110 7.6.1), and the
/// length, which the body carried here sets again.
const CONNECTION_HEADERS: &[&str] = &[
    "connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "keep-alive",
    "proxy-connection",
];

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The loopback client: no proxy (a proxy variable in the function's
/// environment must not carry tenant traffic off the host), and no pooled
/// connections, as one kept across a freeze may have been closed meanwhile.
pub(super) fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()?)
}

/// Sends `request` to the server at `base` and returns its whole response.
pub(super) async fn send(
    client: &reqwest::Client,
    base: &str,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let (parts, body) = request.into_parts();
    let path = path(&parts);
    // Only an origin-form path may follow the loopback address: anything
    // else (`@host/…`) would name another host.
    if !path.starts_with('/') {
        return Ok(Response::builder()
            .status(400)
            .header("content-type", "application/problem+json")
            .body(Body::from(
                r#"{"type":"urn:logward:problem:invalid_parameter","title":"Invalid parameter","status":400,"detail":"the request path must start with /","code":"invalid_parameter"}"#,
            ))?);
    }
    let url = match parts.uri.query() {
        Some(query) => format!("{base}{path}?{query}"),
        None => format!("{base}{path}"),
    };
    let mut headers = without_connection_headers(parts.headers.clone());
    // Without an id of the client's own, the invocation's: the audit row,
    // the log line and Lambda's own logs then share it.
    if !headers.contains_key(&X_REQUEST_ID)
        && let Some(id) = parts
            .lambda_context_ref()
            .and_then(|c| HeaderValue::from_str(&c.request_id).ok())
    {
        headers.insert(X_REQUEST_ID.clone(), id);
    }
    let answer = client
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(body.to_vec())
        .send()
        .await?;
    let status = answer.status();
    let headers = without_connection_headers(answer.headers().clone());
    let bytes = answer.bytes().await?;
    let mut response = Response::new(if bytes.is_empty() {
        Body::Empty
    } else {
        // lambda_http sends text types as text and the rest base64-encoded.
        Body::Binary(bytes.to_vec())
    });
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// The path as the client sent it. An HTTP API stage other than `$default`
/// prefixes it (`/prod/v1/...`), which is not part of logward's routes; a
/// REST API event's path never carries the stage.
fn path(parts: &lambda_http::http::request::Parts) -> String {
    let raw = parts.raw_http_path();
    let raw = if raw.is_empty() { parts.uri.path() } else { raw };
    let stage = match parts.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.stage.as_deref(),
        _ => None,
    };
    match stage
        .filter(|s| *s != "$default")
        .and_then(|s| raw.strip_prefix('/')?.strip_prefix(s)?.strip_prefix('/'))
    {
        Some(rest) => format!("/{rest}"),
        None => raw.to_owned(),
    }
}

fn without_connection_headers(mut headers: HeaderMap) -> HeaderMap {
    for name in CONNECTION_HEADERS {
        headers.remove(*name);
    }
    headers
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn path_of(event: serde_json::Value) -> String {
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        super::path(&request.into_parts().0)
    }

    fn http_api(stage: &str, raw_path: &str) -> serde_json::Value {
        json!({
            "version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": "",
            "headers": {"host": "abc.execute-api.us-east-1.amazonaws.com"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "abc", "domainName": "abc.execute-api.us-east-1.amazonaws.com",
                "http": {"method": "GET", "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1", "userAgent": "t"},
                "requestId": "r", "routeKey": "$default", "stage": stage, "time": "t", "timeEpoch": 0
            },
            "isBase64Encoded": false
        })
    }

    #[test]
    fn a_named_http_api_stage_is_not_part_of_the_route() {
        assert_eq!(path_of(http_api("prod", "/prod/v1/log-groups")), "/v1/log-groups");
        assert_eq!(path_of(http_api("$default", "/v1/log-groups")), "/v1/log-groups");
        // Only a whole leading segment equal to the stage is removed.
        assert_eq!(path_of(http_api("v1", "/v1/v1/log-groups")), "/v1/log-groups");
        assert_eq!(path_of(http_api("pro", "/prod/v1")), "/prod/v1");
        // Percent-encoding is kept as the client sent it.
        assert_eq!(
            path_of(http_api("$default", "/v1/log-groups/%2Fa%2Fb")),
            "/v1/log-groups/%2Fa%2Fb"
        );
    }

    #[test]
    fn a_rest_api_path_never_carries_the_stage() {
        let event = json!({
            "resource": "/{proxy+}", "path": "/v1/log-groups", "httpMethod": "GET",
            "headers": {}, "multiValueHeaders": {},
            "requestContext": {"accountId": "123456789012", "resourceId": "x", "stage": "v1",
                "requestId": "r", "identity": {}, "resourcePath": "/{proxy+}", "httpMethod": "GET", "apiId": "abc"},
            "isBase64Encoded": false
        });
        assert_eq!(path_of(event), "/v1/log-groups");
    }
}
