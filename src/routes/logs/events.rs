//! `GET /v1/log-groups/{group}/log-streams/{stream}/events`: GetLogEvents on
//! one stream.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{MAX_EPOCH_MS, MAX_TOKEN_LEN, Outcome, audited, authorize, ndjson, unwrap_token, wants_ndjson, wrap_token};
use crate::auth::TenantPrincipal;
use crate::domain::{Action, LogGroupName, LogStreamName};
use crate::error::ApiError;
use crate::routes::path_segment;
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::upstream::{GetLogEventsRequest, GetLogEventsResponse};

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
    responses(
        (status = 200, description = "Events, in CloudWatch's shape", body = EventsBody),
        (status = 400, description = "Invalid input", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "Missing or invalid credentials", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Not allowed", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "CloudWatch throttled the request; see Retry-After", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 502, description = "CloudWatch failed", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 504, description = "CloudWatch did not answer in time", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn get_log_events(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audited(&req, &principal, &state, Action::GetLogEvents, async |outcome| {
        handle(&req, &principal, &state, outcome).await
    })
    .await
}

async fn handle(
    req: &HttpRequest,
    principal: &TenantPrincipal,
    state: &AppState,
    outcome: &mut Outcome,
) -> Result<HttpResponse, ApiError> {
    let mut request = parse(req)?;
    let arn = state.scope.log_stream(&request.group, &request.stream);
    authorize(principal, Action::GetLogEvents, arn.clone(), outcome)?;
    request.next_token = unwrap_token(
        state,
        principal,
        Action::GetLogEvents,
        &arn,
        request.next_token.as_deref(),
    )?;
    let mut response = state.upstream.get_log_events(request).await?;
    let wrap = |t: Option<String>| wrap_token(state, principal, Action::GetLogEvents, &arn, t.as_deref());
    response.next_forward_token = wrap(response.next_forward_token.take());
    response.next_backward_token = wrap(response.next_backward_token.take());
    let body = EventsBody::from(response);
    if wants_ndjson(req) {
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

/// Validates names and parameters before anything else looks at them.
fn parse(req: &HttpRequest) -> Result<GetLogEventsRequest, ApiError> {
    let group = path_segment(req, 3, "logGroupName")?;
    let group = LogGroupName::parse(&group).map_err(|e| ApiError::invalid_param("logGroupName", e.to_string()))?;
    let stream = path_segment(req, 5, "logStreamName")?;
    let stream = LogStreamName::parse(&stream).map_err(|e| ApiError::invalid_param("logStreamName", e.to_string()))?;
    let query = StrictQuery::parse(
        req.query_string(),
        &["startTime", "endTime", "limit", "nextToken", "startFromHead"],
    )?;
    let start_time = query.int("startTime", 0, MAX_EPOCH_MS)?;
    let end_time = query.int("endTime", 0, MAX_EPOCH_MS)?;
    if let (Some(start), Some(end)) = (start_time, end_time)
        && end < start
    {
        return Err(ApiError::invalid_param("endTime", "must not be before startTime"));
    }
    Ok(GetLogEventsRequest {
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
