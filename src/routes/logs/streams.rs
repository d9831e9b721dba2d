//! `GET /v1/log-groups/{group}/log-streams`: the streams of a group the
//! tenant may see.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::group;
use crate::domain::LogStreamName;
use crate::error::ApiError;
use crate::gateway::streams::DescribeLogStreams;
use crate::gateway::{Call, MAX_TOKEN_LEN};
use crate::routes::problem::{ClientProblems, DataProblems};
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::upstream::{LogStreamInfo, StreamOrder};

/// List the streams of a group you may see
///
/// Refused (403) when a Deny covers the group or the asked prefix, or no Allow could match a
/// stream there; otherwise each stream is listed only when permitted.
#[utoipa::path(get, path = "/v1/log-groups/{group}/log-streams", tag = "logs", security(("tenant" = [])),
    params(
        ("group" = String, Path, description = "Log group name, percent-encoded"),
        ("prefix" = Option<String>, Query, description = "Only streams whose name starts with this"),
        ("orderBy" = Option<String>, Query, description = "LogStreamName (default) or LastEventTime (not with prefix)"),
        ("descending" = Option<bool>, Query),
        ("limit" = Option<i32>, Query, description = "1-50, default 50; a page may hold fewer"),
        ("nextToken" = Option<String>, Query, description = "nextToken of the previous page"),
    ),
    responses((status = 200, description = "Visible streams", body = StreamsBody), ClientProblems, DataProblems))]
pub(crate) async fn list_log_streams(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reply = state.gateway.describe_log_streams(&call, parse(&req)).await?;
    Ok(HttpResponse::Ok().json(StreamsBody {
        log_streams: reply.streams.into_iter().map(StreamJson::from).collect(),
        next_token: reply.next_token,
    }))
}

fn parse(req: &HttpRequest) -> Result<DescribeLogStreams, ApiError> {
    let group = group(req)?;
    let query = StrictQuery::parse(
        req.query_string(),
        &["prefix", "orderBy", "descending", "limit", "nextToken"],
    )?;
    let prefix = query
        .get("prefix")
        .map(|p| LogStreamName::parse(p).map_err(|e| ApiError::invalid_param("prefix", e.to_string())))
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
    Ok(DescribeLogStreams {
        group,
        prefix,
        order_by,
        descending: query.bool("descending")?,
        limit: query.int("limit", 1, 50)?.unwrap_or(50) as usize,
        next_token: query.text("nextToken", MAX_TOKEN_LEN)?.map(str::to_owned),
    })
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
