//! The outermost middleware: assigns the request id (a sane client-supplied
//! `X-Request-Id` is kept), runs the request inside a tracing span that
//! carries the request id, tenant, principal and decision (so every log line
//! inside a request has them), writes one log line per request (id, method,
//! path, status, latency, tenant, principal, decision; never credentials or
//! query strings), and counts the request in the metrics.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use actix_web::HttpRequest;
use tracing::Instrument;

use crate::metrics::{RequestLabels, RouteLabels};
use crate::state::AppState;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id assigned by this middleware.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(pub String);

/// Who the metrics should count a request for; set once a principal is known.
#[derive(Debug, Clone)]
pub(crate) struct LoggedPrincipal {
    pub(crate) tenant: Option<String>,
    pub(crate) principal: String,
}

pub(crate) fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

pub(crate) async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id_from(req.headers().get(&X_REQUEST_ID));
    req.extensions_mut().insert(RequestId(id.clone()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        tenant = tracing::field::Empty,
        principal = tracing::field::Empty,
        decision = tracing::field::Empty,
    );
    let mut res = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed();
    let (who, route) = {
        let request = res.request();
        let extensions = request.extensions();
        (
            extensions.get::<LoggedPrincipal>().cloned(),
            request.match_pattern().unwrap_or_else(|| "unmatched".to_owned()),
        )
    };
    let status = res.status().as_u16();
    tracing::info!(
        parent: &span,
        method = %method,
        path = %path,
        status,
        latency_ms = latency_ms(elapsed),
        "request"
    );
    if let Some(state) = state {
        state
            .metrics
            .requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method: method_label(&method),
                status,
                tenant: who.and_then(|w| w.tenant).unwrap_or_default(),
            })
            .inc();
        state
            .metrics
            .request_seconds
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    Ok(res)
}

/// Milliseconds with at most three decimals: whole microseconds divided once,
/// so the value prints as `1.005`, never as `1.0050000000000001` (which
/// `as_secs_f64() * 1000.0` gives).
fn latency_ms(elapsed: std::time::Duration) -> f64 {
    elapsed.as_micros() as f64 / 1000.0
}

/// Clients choose the method: unknown ones share one label.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

/// Honours a sane client-supplied request id, otherwise makes one.
fn request_id_from(header: Option<&HeaderValue>) -> String {
    header
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn latency_is_logged_in_milliseconds_without_float_noise() {
        for (nanos, shown) in [
            (1_234_567, "1.234"),
            (300_999, "0.3"),
            (12_345_678_901, "12345.678"),
            (4_000_000, "4"),
            (999, "0"),
        ] {
            assert_eq!(super::latency_ms(Duration::from_nanos(nanos)).to_string(), shown);
        }
        assert_eq!(super::latency_ms(Duration::from_micros(1005)).to_string(), "1.005");
        // What `as_secs_f64() * 1000.0` prints for the same latency.
        assert_eq!(
            (Duration::from_micros(1005).as_secs_f64() * 1000.0).to_string(),
            "1.0050000000000001"
        );
    }
}
