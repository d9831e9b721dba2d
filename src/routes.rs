//! HTTP routes. Each module lists its routes with the credential they
//! require ([`Access`]); [`configure`] mounts exactly that table, and
//! [`inventory`] exposes it so tests can check every route's authentication
//! and that the OpenAPI document describes each one.

pub(crate) mod admin;
pub(crate) mod aws;
pub(crate) mod extract;
pub(crate) mod health;
pub(crate) mod logs;
pub mod openapi;
pub(crate) mod portal;
pub(crate) mod problem;
pub(crate) mod query;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, ErrorCode};

/// The credential a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, the API description).
    Public,
    /// A customer JWT or tenant API key of an active tenant.
    Tenant,
    /// The bootstrap admin token, an admin API key, or an admin-role JWT.
    Admin,
}

/// One route as the inventory lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// A route with its handler, as the route modules declare them.
pub(crate) struct Route {
    spec: RouteSpec,
    handler: actix_web::Route,
}

/// A `GET` route answers `HEAD` too (RFC 9110 9.3.2: same headers, no body;
/// actix drops the body of a response to `HEAD`).
pub(crate) fn route(method: Method, path: &'static str, access: Access, handler: actix_web::Route) -> Route {
    let handler = if method == Method::GET {
        handler.guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
    } else {
        handler.method(method.clone())
    };
    Route {
        handler,
        spec: RouteSpec { method, path, access },
    }
}

fn table() -> Vec<Route> {
    let mut all = health::routes();
    all.extend(logs::routes());
    all.extend(admin::routes());
    all.extend(portal::routes());
    all.extend(aws::routes());
    all
}

/// Every route the gateway serves.
pub fn inventory() -> Vec<RouteSpec> {
    table().into_iter().map(|r| r.spec).collect()
}

/// Mounts the table: one resource per path, answering 405 to other methods;
/// admin resources are wrapped in the admin access audit.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    let mut by_path: Vec<(&'static str, Access, Vec<actix_web::Route>)> = Vec::new();
    for r in table() {
        match by_path.iter_mut().find(|(p, _, _)| *p == r.spec.path) {
            Some((_, _, handlers)) => handlers.push(r.handler),
            None => by_path.push((r.spec.path, r.spec.access, vec![r.handler])),
        }
    }
    for (path, access, handlers) in by_path {
        let resource = handlers
            .into_iter()
            .fold(web::resource(path), |res, h| res.route(h))
            .default_service(web::to(method_not_allowed));
        if access == Access::Admin {
            cfg.service(resource.wrap(actix_web::middleware::from_fn(admin::audit_access)));
        } else {
            cfg.service(resource);
        }
    }
}

/// Fallback for unknown paths.
pub(crate) async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut detail = format!("no route for {} {}", req.method(), req.path());
    if let Some(hint) = slash_hint(req.path()) {
        detail.push_str(hint);
    }
    Err(ApiError::new(ErrorCode::RouteNotFound, detail))
}

/// Log group names contain `/`, and the commonest wrong path is one that
/// sends them unencoded (`/v1/log-groups//demo/app/...`).
fn slash_hint(path: &str) -> Option<&'static str> {
    let under_groups = path.strip_prefix("/v1/log-groups/")?;
    (under_groups.starts_with('/') || under_groups.contains('/')).then_some(
        "; a log group or stream name containing '/' must be percent-encoded as %2F \
         in the path (/demo/app is %2Fdemo%2Fapp)",
    )
}

/// Fallback for a known path with a method it does not serve.
pub(crate) async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
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
pub(crate) fn path_segment(req: &HttpRequest, index: usize, field: &str) -> Result<String, ApiError> {
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
