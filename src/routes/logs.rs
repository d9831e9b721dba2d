//! The customer-facing read API under `/v1`: the REST door of the gateway.
//! Each handler parses path and query into the gateway's typed request, calls
//! the one gateway function for the operation (which authorizes, calls
//! CloudWatch and audits), and renders the reply as JSON, NDJSON or SSE.

pub(crate) mod events;
pub(crate) mod filter;
pub(crate) mod groups;
pub(crate) mod me;
pub(crate) mod queries;
pub(crate) mod query_list;
pub(crate) mod streams;
pub(crate) mod tail;

use actix_web::http::Method;
use actix_web::http::header::ACCEPT;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::path_segment;
use super::query::StrictQuery;
use crate::domain::{LogGroupName, LogStreamName};
use crate::error::ApiError;
use crate::gateway::MAX_EPOCH_MS;

/// Handlers read path segments by position (`path_segment`), following these patterns.
pub(crate) fn routes() -> Vec<super::Route> {
    use super::{Access::Tenant, route};
    vec![
        route(Method::GET, "/v1/log-groups", Tenant, web::to(groups::list_log_groups)),
        route(
            Method::GET,
            "/v1/log-groups/{group}/log-streams",
            Tenant,
            web::to(streams::list_log_streams),
        ),
        route(
            Method::GET,
            "/v1/log-groups/{group}/log-streams/{stream}/events",
            Tenant,
            web::to(events::get_log_events),
        ),
        route(
            Method::GET,
            "/v1/log-groups/{group}/events",
            Tenant,
            web::to(filter::filter_log_events),
        ),
        route(
            Method::GET,
            "/v1/log-groups/{group}/log-streams/{stream}/tail",
            Tenant,
            web::to(tail::tail_stream),
        ),
        route(
            Method::GET,
            "/v1/log-groups/{group}/tail",
            Tenant,
            web::to(tail::tail_group),
        ),
        route(Method::POST, "/v1/queries", Tenant, web::to(queries::start_query)),
        route(Method::GET, "/v1/queries", Tenant, web::to(query_list::list_queries)),
        route(
            Method::GET,
            "/v1/queries/{query}",
            Tenant,
            web::to(queries::get_query_results),
        ),
        route(
            Method::DELETE,
            "/v1/queries/{query}",
            Tenant,
            web::to(queries::stop_query),
        ),
        route(Method::GET, "/v1/me", Tenant, web::to(me::me)),
    ]
}

/// The log group at path segment 3 (`/v1/log-groups/{group}/…`).
fn group(req: &HttpRequest) -> Result<LogGroupName, ApiError> {
    let raw = path_segment(req, 3, "logGroupName")?;
    LogGroupName::parse(&raw).map_err(|e| ApiError::invalid_param("logGroupName", e.to_string()))
}

/// The log stream at path segment 5 (`…/log-streams/{stream}/…`).
fn stream(req: &HttpRequest) -> Result<LogStreamName, ApiError> {
    let raw = path_segment(req, 5, "logStreamName")?;
    LogStreamName::parse(&raw).map_err(|e| ApiError::invalid_param("logStreamName", e.to_string()))
}

/// `startTime` and `endTime` in epoch milliseconds, end not before start.
fn time_range(query: &StrictQuery) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let start = query.int("startTime", 0, MAX_EPOCH_MS)?;
    let end = query.int("endTime", 0, MAX_EPOCH_MS)?;
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        return Err(ApiError::invalid_param("endTime", "must not be before startTime"));
    }
    Ok((start, end))
}

/// Whether the client asked for newline-delimited JSON.
fn wants_ndjson(req: &HttpRequest) -> bool {
    req.headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|m| m.trim().starts_with("application/x-ndjson")))
}

/// One JSON object per line, written as it is serialised rather than built
/// whole; paging tokens travel in headers.
fn ndjson<T: Serialize + 'static>(items: Vec<T>, headers: Vec<(&'static str, String)>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type("application/x-ndjson");
    for (name, value) in headers {
        response.insert_header((name, value));
    }
    let lines = futures_util::stream::iter(items.into_iter().map(|item| {
        let mut line = serde_json::to_vec(&item).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, std::convert::Infallible>(Bytes::from(line))
    }));
    response.streaming(lines)
}
