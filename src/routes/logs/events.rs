//! `GET /v1/log-groups/{group}/log-streams/{stream}/events`: GetLogEvents on
//! one stream.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{group, ndjson, stream, time_range, wants_ndjson};
use crate::error::ApiError;
use crate::gateway::events::GetLogEvents;
use crate::gateway::{Call, MAX_TOKEN_LEN};
use crate::routes::problem::{ClientProblems, DataProblems};
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::upstream::GetLogEventsResponse;

/// GetLogEvents on one stream
///
/// Names are percent-encoded path segments (a group's `/` is `%2F`), decoded once and checked
/// against CloudWatch's rules. Requires `logs:GetLogEvents` on
/// `arn:aws:logs:REGION:ACCOUNT:log-group:GROUP:log-stream:STREAM`.
#[utoipa::path(get, path = "/v1/log-groups/{group}/log-streams/{stream}/events", tag = "logs",
    security(("tenant" = [])),
    params(
        ("group" = String, Path, description = "Log group name, percent-encoded"),
        ("stream" = String, Path, description = "Log stream name, percent-encoded"),
        ("startTime" = Option<i64>, Query, description = "Epoch milliseconds, inclusive"),
        ("endTime" = Option<i64>, Query, description = "Epoch milliseconds, exclusive; not before startTime"),
        ("limit" = Option<i32>, Query, description = "1-10000"),
        ("nextToken" = Option<String>, Query, description = "nextForwardToken or nextBackwardToken of an earlier page"),
        ("startFromHead" = Option<bool>, Query, description = "true: oldest first"),
    ),
    responses((status = 200, description = "Events, in CloudWatch's shape", body = EventsBody), ClientProblems, DataProblems))]
pub(crate) async fn get_log_events(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reply = state.gateway.get_log_events(&call, parse(&req)).await?;
    let body = EventsBody::from(reply);
    if wants_ndjson(&req) {
        let mut headers = Vec::new();
        if let Some(t) = body.next_forward_token {
            headers.push(("x-next-forward-token", t));
        }
        if let Some(t) = body.next_backward_token {
            headers.push(("x-next-backward-token", t));
        }
        return Ok(ndjson(body.events, headers));
    }
    Ok(HttpResponse::Ok().json(body))
}

fn parse(req: &HttpRequest) -> Result<GetLogEvents, ApiError> {
    let group = group(req)?;
    let stream = stream(req)?;
    let query = StrictQuery::parse(
        req.query_string(),
        &["startTime", "endTime", "limit", "nextToken", "startFromHead"],
    )?;
    let (start_time, end_time) = time_range(&query)?;
    Ok(GetLogEvents {
        group,
        stream,
        start_time,
        end_time,
        limit: query.int("limit", 1, 10_000)?.map(|l| l as i32),
        next_token: query.text("nextToken", MAX_TOKEN_LEN)?.map(str::to_owned),
        start_from_head: query.bool("startFromHead")?,
    })
}

/// CloudWatch's own response shape and field names.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventsBody {
    events: Vec<EventJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_forward_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_backward_token: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingestion_time: Option<i64>,
}

impl From<GetLogEventsResponse> for EventsBody {
    fn from(r: GetLogEventsResponse) -> Self {
        Self {
            events: r
                .events
                .into_iter()
                .map(|e| EventJson {
                    timestamp: e.timestamp,
                    message: e.message,
                    ingestion_time: e.ingestion_time,
                })
                .collect(),
            next_forward_token: r.next_forward_token,
            next_backward_token: r.next_backward_token,
        }
    }
}
