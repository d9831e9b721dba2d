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
