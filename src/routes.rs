//! HTTP routes. Each module exposes `configure`; startup only mounts them.
//! Every route is listed here, with what it requires, so the whole surface can
//! be reviewed (and is tested) in one place.

pub mod admin;
pub mod health;
pub mod logs;
pub mod query;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    logs::configure(cfg);
    admin::configure(cfg);
}

/// Fallback for unknown paths.
pub async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::RouteNotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// Fallback for a known path with a method it does not serve.
pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not supported on this route", req.method()),
    ))
}

/// The `index`-th `/`-separated segment of the request path, percent-decoded
/// exactly once and strictly. It is read from the raw URI rather than from
/// actix's match info, because actix replaces invalid UTF-8 with U+FFFD, which
/// would silently turn one name into another. An encoded `/` (`%2F`) stays
/// inside its segment.
pub fn path_segment(req: &HttpRequest, index: usize, field: &str) -> Result<String, ApiError> {
    let raw = req
        .uri()
        .path()
        .split('/')
        .nth(index)
        .ok_or_else(|| ApiError::invalid_param(field, "is missing"))?;
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::invalid_param(field, "is not valid UTF-8 after percent-decoding"))
}
