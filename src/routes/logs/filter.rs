//! `GET /v1/log-groups/{group}/events`: FilterLogEvents across streams.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{group, ndjson, time_range, wants_ndjson};
use crate::error::ApiError;
use crate::gateway::filter::select_streams;
use crate::gateway::filter::{FilterLogEvents, Selection};
use crate::gateway::{Call, MAX_TOKEN_LEN};
use crate::routes::problem::{ClientProblems, DataProblems};
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::upstream::FilteredLogEvent;

/// CloudWatch's limit on filter patterns.
const MAX_PATTERN_LEN: usize = 1024;

/// FilterLogEvents across the streams of a group
///
/// Requires `logs:FilterLogEvents` on every stream the call can read. Events carry
/// `logStreamName` and `eventId`. `Accept: application/x-ndjson` streams one event per line
/// (the next token is in the `X-Next-Token` header).
#[utoipa::path(get, path = "/v1/log-groups/{group}/events", tag = "logs", security(("tenant" = [])),
    params(
        ("group" = String, Path, description = "Log group name, percent-encoded"),
        ("filterPattern" = Option<String>, Query, description = "CloudWatch filter pattern (terms, JSON, space-delimited, regex); at most 1024 bytes"),
        ("logStreamNames" = Option<Vec<String>>, Query, description = "Stream names (1-100): repeated (`logStreamNames=a&logStreamNames=b`), or comma-separated in one parameter with a comma inside a name as %2C"),
        ("logStreamNamePrefix" = Option<String>, Query, description = "Only streams with this prefix; not with logStreamNames"),
        ("startTime" = Option<i64>, Query, description = "Epoch milliseconds, inclusive"),
        ("endTime" = Option<i64>, Query, description = "Epoch milliseconds, exclusive"),
        ("limit" = Option<i32>, Query, description = "1-10000"),
        ("nextToken" = Option<String>, Query, description = "nextToken of the previous page"),
    ),
    responses((status = 200, description = "Matching events", body = FilterBody), ClientProblems, DataProblems))]
pub(crate) async fn filter_log_events(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reply = state.gateway.filter_log_events(&call, parse(&req)).await?;
    let events: Vec<EventJson> = reply.events.into_iter().map(EventJson::from).collect();
    if wants_ndjson(&req) {
        let headers = reply.next_token.map(|t| ("x-next-token", t)).into_iter().collect();
        return Ok(ndjson(events, headers));
    }
    Ok(HttpResponse::Ok().json(FilterBody {
        events,
        next_token: reply.next_token,
    }))
}

fn parse(req: &HttpRequest) -> Result<FilterLogEvents, ApiError> {
    let query = StrictQuery::parse_with_lists(
        req.query_string(),
        &[
            "filterPattern",
            "logStreamNames",
            "logStreamNamePrefix",
            "startTime",
            "endTime",
            "limit",
            "nextToken",
        ],
        &["logStreamNames"],
    )?;
    let selection = selection(req, &query)?;
    let (start_time, end_time) = time_range(&query)?;
    Ok(FilterLogEvents {
        selection,
        start_time,
        end_time,
        limit: query.int("limit", 1, 10_000)?.map(|l| l as i32),
        next_token: query.text("nextToken", MAX_TOKEN_LEN)?.map(str::to_owned),
    })
}

/// The group and stream selection, shared by filter and group tail.
pub(crate) fn selection(req: &HttpRequest, query: &StrictQuery) -> Result<Selection, ApiError> {
    let group = group(req)?;
    let names = query.list("logStreamNames", 100)?;
    let prefix = query.get("logStreamNamePrefix");
    let streams = select_streams(names.as_deref(), prefix).map_err(|(name, why)| ApiError::invalid_param(name, why))?;
    let filter_pattern = query.text("filterPattern", MAX_PATTERN_LEN)?.map(str::to_owned);
    Ok(Selection {
        group,
        streams,
        filter_pattern,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FilterBody {
    events: Vec<EventJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventJson {
    log_stream_name: Option<String>,
    timestamp: Option<i64>,
    message: Option<String>,
    ingestion_time: Option<i64>,
    event_id: Option<String>,
}

impl From<FilteredLogEvent> for EventJson {
    fn from(e: FilteredLogEvent) -> Self {
        Self {
            log_stream_name: e.log_stream_name,
            timestamp: e.timestamp,
            message: e.message,
            ingestion_time: e.ingestion_time,
            event_id: e.event_id,
        }
    }
}
