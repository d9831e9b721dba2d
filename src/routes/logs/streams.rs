//! `GET /v1/log-groups/{group}/log-streams`: the streams of a group the
//! tenant may see (a tenant may hold rights on some streams of a shared group).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{MAX_TOKEN_LEN, Outcome, audited, unwrap_token, wrap_token};
use crate::auth::TenantPrincipal;
use crate::domain::{Action, Decision, LogGroupName, LogStreamName};
use crate::error::ApiError;
use crate::routes::path_segment;
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::upstream::{DescribeLogStreamsRequest, LogStreamInfo, StreamOrder};

const MAX_UPSTREAM_CALLS: usize = 5;

/// List the streams of a group you may see
#[utoipa::path(get, path = "/v1/log-groups/{group}/log-streams", tag = "logs", security(("tenant" = [])),
    params(
        ("group" = String, Path, description = "Log group name, percent-encoded"),
        ("prefix" = Option<String>, Query, description = "Only streams whose name starts with this"),
        ("orderBy" = Option<String>, Query, description = "LogStreamName (default) or LastEventTime (not with prefix)"),
        ("descending" = Option<bool>, Query),
        ("limit" = Option<i32>, Query, description = "1-50, default 50; a page may hold fewer"),
        ("nextToken" = Option<String>, Query, description = "nextToken of the previous page"),
    ),
    responses(
        (status = 200, description = "Visible streams", body = StreamsBody),
        (status = 400, description = "Invalid input", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "No stream of this group is permitted", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such log group", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn list_log_streams(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audited(&req, &principal, &state, Action::DescribeLogStreams, async |outcome| {
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
    let group = path_segment(req, 3, "logGroupName")?;
    let group = LogGroupName::parse(&group).map_err(|e| ApiError::invalid_param("logGroupName", e.to_string()))?;
    let query = StrictQuery::parse(
        req.query_string(),
        &["prefix", "orderBy", "descending", "limit", "nextToken"],
    )?;
    let prefix = query
        .get("prefix")
        .map(|p| {
            LogStreamName::parse(p)
                .map(|_| p)
                .map_err(|e| ApiError::invalid_param("prefix", e.to_string()))
        })
        .transpose()?;
    let order_by = match query.get("orderBy") {
        None | Some("LogStreamName") => None,
        Some("LastEventTime") if prefix.is_some() => {
            return Err(ApiError::invalid_param(
                "orderBy",
                "LastEventTime cannot be combined with prefix",
            ));
        }
        Some("LastEventTime") => Some(StreamOrder::LastEventTime),
        Some(other) => {
            return Err(ApiError::invalid_param(
                "orderBy",
                format!("must be LogStreamName or LastEventTime, got {other:?}"),
            ));
        }
    };
    let descending = query.bool("descending")?;
    let limit = query.int("limit", 1, 50)?.unwrap_or(50) as usize;
    let raw_token = query.text("nextToken", MAX_TOKEN_LEN)?;

    let action = Action::DescribeLogStreams;
    let reach = state.scope.streams_prefix(&group, prefix.unwrap_or(""));
    outcome.resource = Some(format!("{reach}*"));
    if !principal.credential_allows(action) {
        outcome.outside_key_scope = true;
        outcome.decision = Some(Decision::ImplicitDeny);
        return Err(ApiError::access_denied(format!("this API key is not allowed {action}")));
    }
    // Not worth asking CloudWatch when no stream here could be permitted.
    if !principal.tenant.policy.may_allow_some_stream(action, &reach) {
        outcome.decision = Some(Decision::ImplicitDeny);
        return Err(ApiError::access_denied(format!(
            "the policy of tenant {} does not allow {action} on any stream of {group}",
            principal.tenant.id
        )));
    }
    outcome.decision = Some(Decision::Allowed);

    let bound_to = format!(
        "{}|prefix={}|order={:?}|desc={:?}",
        state.scope.group_arn(&group),
        prefix.unwrap_or(""),
        order_by,
        descending
    );
    let mut upstream_token = unwrap_token(state, principal, action, &bound_to, raw_token)?;
    let mut streams = Vec::new();
    let mut more = true;
    for _ in 0..MAX_UPSTREAM_CALLS {
        let page = state
            .upstream
            .describe_log_streams(DescribeLogStreamsRequest {
                group: group.clone(),
                prefix: prefix.map(str::to_owned),
                order_by,
                descending,
                limit: Some((limit - streams.len()) as i32),
                next_token: upstream_token.take(),
            })
            .await?;
        streams.extend(
            page.streams
                .into_iter()
                .filter(|s| {
                    principal
                        .tenant
                        .policy
                        .authorize(action, &state.scope.stream_arn_raw(&group, &s.name))
                        .is_allowed()
                })
                .map(StreamJson::from),
        );
        upstream_token = page.next_token;
        more = upstream_token.is_some();
        if !more || streams.len() >= limit {
            break;
        }
    }
    let next_token = if more {
        wrap_token(state, principal, action, &bound_to, upstream_token.as_deref())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(StreamsBody {
        log_streams: streams,
        next_token,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StreamsBody {
    log_streams: Vec<StreamJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StreamJson {
    log_stream_name: String,
    creation_time: Option<i64>,
    first_event_timestamp: Option<i64>,
    last_event_timestamp: Option<i64>,
    last_ingestion_time: Option<i64>,
}

impl From<LogStreamInfo> for StreamJson {
    fn from(s: LogStreamInfo) -> Self {
        Self {
            log_stream_name: s.name,
            creation_time: s.creation_time,
            first_event_timestamp: s.first_event_timestamp,
            last_event_timestamp: s.last_event_timestamp,
            last_ingestion_time: s.last_ingestion_time,
        }
    }
}
