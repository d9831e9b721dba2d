//! Logs Insights: `POST /v1/queries`, `GET` and `DELETE /v1/queries/{queryId}`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::domain::LogGroupName;
use crate::domain::insights::check_query;
use crate::error::ApiError;
use crate::gateway::Call;
use crate::gateway::queries::StartQuery;
use crate::routes::path_segment;
use crate::routes::problem::{ClientProblems, DataProblems};
use crate::state::AppState;

/// Latest epoch second we accept (year 9999).
const MAX_EPOCH_SECS: i64 = 253_402_300_799;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StartQueryBody {
    /// 1-50 log group names.
    log_group_names: Vec<String>,
    /// Logs Insights query; no SOURCE command, no log group names.
    query_string: String,
    /// Epoch seconds.
    start_time: i64,
    /// Epoch seconds, not before startTime.
    end_time: i64,
    /// 1-10000.
    limit: Option<i32>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct Started {
    query_id: String,
}

/// Start a Logs Insights query
///
/// Every group must be readable in full (`logs:StartQuery` on all its streams). A tenant may
/// have `LOGWARD_MAX_QUERIES_PER_TENANT` queries running or starting at once (429 beyond).
#[utoipa::path(post, path = "/v1/queries", tag = "logs", security(("tenant" = [])), request_body = StartQueryBody,
    responses((status = 201, description = "Started", body = Started), ClientProblems, DataProblems))]
pub(crate) async fn start_query(
    call: Call,
    state: web::Data<AppState>,
    body: web::Json<StartQueryBody>,
) -> Result<HttpResponse, ApiError> {
    let query_id = state.gateway.start_query(&call, parse(body.into_inner())).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/queries/{query_id}")))
        .json(Started { query_id }))
}

fn parse(body: StartQueryBody) -> Result<StartQuery, ApiError> {
    if body.log_group_names.is_empty() || body.log_group_names.len() > 50 {
        return Err(ApiError::invalid_body("logGroupNames", "must list 1 to 50 log groups"));
    }
    let groups = body
        .log_group_names
        .iter()
        .map(|g| LogGroupName::parse(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::invalid_body("logGroupNames", e.to_string()))?;
    check_query(&body.query_string).map_err(|e| ApiError::invalid_body("queryString", e.to_string()))?;
    for (name, value) in [("startTime", body.start_time), ("endTime", body.end_time)] {
        if !(0..=MAX_EPOCH_SECS).contains(&value) {
            return Err(ApiError::invalid_body(name, "must be epoch seconds"));
        }
    }
    if body.end_time < body.start_time {
        return Err(ApiError::invalid_body("endTime", "must not be before startTime"));
    }
    if body.limit.is_some_and(|l| !(1..=10_000).contains(&l)) {
        return Err(ApiError::invalid_body("limit", "must be between 1 and 10000"));
    }
    Ok(StartQuery {
        groups,
        query_string: body.query_string,
        start_time: body.start_time,
        end_time: body.end_time,
        limit: body.limit,
    })
}

/// `/v1/queries/{query}`: the id at segment 3. CloudWatch's ids are UUIDs;
/// anything outside a conservative alphabet cannot be one.
fn query_id(req: &HttpRequest) -> Result<String, ApiError> {
    let id = path_segment(req, 3, "queryId")?;
    if id.is_empty() || id.len() > 256 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::invalid_param(
            "queryId",
            "must be a query id returned by POST /v1/queries",
        ));
    }
    Ok(id)
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ResultsBody {
    query_id: String,
    /// Scheduled, Running, Complete, Failed, Cancelled, Timeout or Unknown.
    status: String,
    /// One list of {field, value} per result row.
    #[schema(value_type = Vec<Vec<Object>>)]
    results: Vec<Vec<serde_json::Value>>,
    #[schema(value_type = Object)]
    statistics: serde_json::Value,
}

/// Status, results and statistics of your query
///
/// 404 for ids that are not your queries.
#[utoipa::path(get, path = "/v1/queries/{query}", tag = "logs", security(("tenant" = [])),
    params(("query" = String, Path, description = "queryId from POST /v1/queries")),
    responses((status = 200, description = "The query", body = ResultsBody), ClientProblems, DataProblems))]
pub(crate) async fn get_query_results(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (query_id, results) = state.gateway.get_query_results(&call, query_id(&req)).await?;
    Ok(HttpResponse::Ok().json(ResultsBody {
        query_id,
        status: results.status,
        results: results
            .results
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .map(|(field, value)| serde_json::json!({"field": field, "value": value}))
                    .collect()
            })
            .collect(),
        statistics: serde_json::json!({
            "recordsMatched": results.records_matched,
            "recordsScanned": results.records_scanned,
            "bytesScanned": results.bytes_scanned,
        }),
    }))
}

/// Stop your query
#[utoipa::path(delete, path = "/v1/queries/{query}", tag = "logs", security(("tenant" = [])),
    params(("query" = String, Path, description = "queryId from POST /v1/queries")),
    responses((status = 200, description = "Stopped (or already finished)", body = Object), ClientProblems, DataProblems))]
pub(crate) async fn stop_query(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (query_id, stopped) = state.gateway.stop_query(&call, query_id(&req)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"queryId": query_id, "stopped": stopped.stopped})))
}
