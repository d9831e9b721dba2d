//! `GET /v1/log-groups/{group}/events`: FilterLogEvents across streams.
//!
//! Authorization covers everything the call can read: every named stream; or,
//! with a name prefix or no stream selection, a proof from the policy that
//! every stream the selection can reach is permitted and none denied. Results
//! are post-filtered by stream as well, in case the upstream returns more than
//! was asked (moto ignores `logStreamNamePrefix`, for one).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{
    MAX_EPOCH_MS, MAX_TOKEN_LEN, Outcome, audited, authorize, authorize_streams, ndjson, unwrap_token, wants_ndjson,
    wrap_token,
};
use crate::auth::TenantPrincipal;
use crate::domain::{Action, LogGroupName, LogStreamName};
use crate::error::ApiError;
use crate::routes::path_segment;
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::upstream::{FilterLogEventsRequest, FilteredLogEvent, StreamSelection};

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
        ("logStreamNames" = Option<String>, Query, description = "Comma-separated stream names (1-100); a comma inside a name is %2C"),
        ("logStreamNamePrefix" = Option<String>, Query, description = "Only streams with this prefix; not with logStreamNames"),
        ("startTime" = Option<i64>, Query, description = "Epoch milliseconds, inclusive"),
        ("endTime" = Option<i64>, Query, description = "Epoch milliseconds, exclusive"),
        ("limit" = Option<i32>, Query, description = "1-10000"),
        ("nextToken" = Option<String>, Query, description = "nextToken of the previous page"),
    ),
    responses(
        (status = 200, description = "Matching events", body = FilterBody),
        (status = 400, description = "Invalid input", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not every stream the call can read is permitted", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such log group", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn filter_log_events(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audited(&req, &principal, &state, Action::FilterLogEvents, async |outcome| {
        handle(&req, &principal, &state, outcome).await
    })
    .await
}

/// A validated FilterLogEvents request with the stream selection it reads.
pub(crate) struct FilterQuery {
    pub group: LogGroupName,
    pub streams: StreamSelection,
    pub filter_pattern: Option<String>,
}

/// Parses the group and the stream selection shared by filter and group tail.
pub(crate) fn parse_selection(req: &HttpRequest, query: &StrictQuery) -> Result<FilterQuery, ApiError> {
    let group = path_segment(req, 3, "logGroupName")?;
    let group = LogGroupName::parse(&group).map_err(|e| ApiError::invalid_param("logGroupName", e.to_string()))?;
    let names = query.list("logStreamNames", 100)?;
    let prefix = query.get("logStreamNamePrefix");
    let streams = match (names, prefix) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_param(
                "logStreamNamePrefix",
                "cannot be combined with logStreamNames",
            ));
        }
        (Some(names), None) => StreamSelection::Named(
            names
                .iter()
                .map(|n| LogStreamName::parse(n))
                .collect::<Result<_, _>>()
                .map_err(|e| ApiError::invalid_param("logStreamNames", e.to_string()))?,
        ),
        (None, Some(prefix)) => StreamSelection::Prefix(
            LogStreamName::parse(prefix).map_err(|e| ApiError::invalid_param("logStreamNamePrefix", e.to_string()))?,
        ),
        (None, None) => StreamSelection::All,
    };
    let filter_pattern = query.text("filterPattern", MAX_PATTERN_LEN)?.map(str::to_owned);
    Ok(FilterQuery {
        group,
        streams,
        filter_pattern,
    })
}

/// Authorizes everything a selection can read.
pub(crate) fn authorize_selection(
    state: &AppState,
    principal: &TenantPrincipal,
    action: Action,
    selection: &FilterQuery,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    let group = &selection.group;
    match &selection.streams {
        StreamSelection::Named(names) => {
            for name in names {
                authorize(principal, action, state.scope.log_stream(group, name), outcome)?;
            }
            outcome.resource = Some(state.scope.streams_prefix(group, "{named}"));
            Ok(())
        }
        StreamSelection::Prefix(prefix) => authorize_streams(
            principal,
            action,
            state.scope.streams_prefix(group, prefix.as_str()),
            &format!("the streams of {group} starting with {prefix:?}"),
            outcome,
        ),
        StreamSelection::All => authorize_streams(
            principal,
            action,
            state.scope.streams_prefix(group, ""),
            &format!("all streams of {group}"),
            outcome,
        ),
    }
}

/// Whether an event CloudWatch returned is one the caller may see: its stream
/// is in the selection and permitted by the policy.
pub(crate) fn visible(
    state: &AppState,
    principal: &TenantPrincipal,
    action: Action,
    selection: &FilterQuery,
    stream: Option<&str>,
) -> bool {
    let Some(stream) = stream else { return false };
    let selected = match &selection.streams {
        StreamSelection::All => true,
        StreamSelection::Named(names) => names.iter().any(|n| n.as_str() == stream),
        StreamSelection::Prefix(prefix) => stream.starts_with(prefix.as_str()),
    };
    selected
        && principal
            .tenant
            .policy
            .authorize(action, &state.scope.stream_arn_raw(&selection.group, stream))
            .is_allowed()
}

/// What a paging token is bound to: the group, the stream selection and the pattern.
fn token_resource(state: &AppState, q: &FilterQuery) -> String {
    let selection = match &q.streams {
        StreamSelection::All => "all".to_owned(),
        StreamSelection::Named(names) => {
            let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
            format!("named:{}", serde_json::to_string(&names).unwrap_or_default())
        }
        StreamSelection::Prefix(p) => format!("prefix:{}", p.as_str()),
    };
    format!(
        "{}|{selection}|{}",
        state.scope.group_arn(&q.group),
        q.filter_pattern.as_deref().unwrap_or("")
    )
}

async fn handle(
    req: &HttpRequest,
    principal: &TenantPrincipal,
    state: &AppState,
    outcome: &mut Outcome,
) -> Result<HttpResponse, ApiError> {
    let query = StrictQuery::parse(
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
    )?;
    let selection = parse_selection(req, &query)?;
    let start_time = query.int("startTime", 0, MAX_EPOCH_MS)?;
    let end_time = query.int("endTime", 0, MAX_EPOCH_MS)?;
    if let (Some(start), Some(end)) = (start_time, end_time)
        && end < start
    {
        return Err(ApiError::invalid_param("endTime", "must not be before startTime"));
    }
    let limit = query.int("limit", 1, 10_000)?.map(|l| l as i32);
    let raw_token = query.text("nextToken", MAX_TOKEN_LEN)?;

    authorize_selection(state, principal, Action::FilterLogEvents, &selection, outcome)?;
    let bound_to = token_resource(state, &selection);
    let next_token = unwrap_token(state, principal, Action::FilterLogEvents, &bound_to, raw_token)?;

    let response = state
        .upstream
        .filter_log_events(FilterLogEventsRequest {
            group: selection.group.clone(),
            streams: selection.streams.clone(),
            filter_pattern: selection.filter_pattern.clone(),
            start_time,
            end_time,
            limit,
            next_token,
        })
        .await?;
    let before = response.events.len();
    let events: Vec<EventJson> = response
        .events
        .into_iter()
        .filter(|e| {
            visible(
                state,
                principal,
                Action::FilterLogEvents,
                &selection,
                e.log_stream_name.as_deref(),
            )
        })
        .map(EventJson::from)
        .collect();
    if events.len() != before {
        tracing::warn!(
            dropped = before - events.len(),
            "CloudWatch returned events outside the authorized selection; dropped"
        );
    }
    let next_token = wrap_token(
        state,
        principal,
        Action::FilterLogEvents,
        &bound_to,
        response.next_token.as_deref(),
    );
    if wants_ndjson(req) {
        return Ok(ndjson(
            events,
            next_token.map(|t| ("x-next-token", t)).into_iter().collect(),
        ));
    }
    Ok(HttpResponse::Ok().json(FilterBody { events, next_token }))
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
