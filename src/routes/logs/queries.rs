//! Logs Insights: `POST /v1/queries`, `GET` and `DELETE /v1/queries/{queryId}`.
//!
//! Query ids are account-wide in CloudWatch, so the gateway records which
//! tenant started each query and answers 404 to everyone else. The query text
//! may not widen its scope (see [`crate::domain::insights`]), every group must
//! be readable in full, and reading results re-checks that. A per-tenant cap
//! on running queries protects the account-wide limit.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Outcome, audited, authorize_streams};
use crate::auth::TenantPrincipal;
use crate::db;
use crate::domain::insights::check_query;
use crate::domain::{Action, LogGroupName};
use crate::error::{ApiError, ErrorCode};
use crate::routes::path_segment;
use crate::state::AppState;
use crate::upstream::StartQueryRequest;

/// Latest epoch second we accept (year 9999).
const MAX_EPOCH_SECS: i64 = 253_402_300_799;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StartQueryBody {
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
#[utoipa::path(post, path = "/v1/queries", tag = "logs", security(("tenant" = [])), request_body = StartQueryBody,
    responses(
        (status = 201, description = "Started", body = Started),
        (status = 400, description = "Invalid input", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "A group is not readable in full", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 429, description = "Too many running queries for this tenant, or CloudWatch's limit", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn start_query(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
    body: web::Json<StartQueryBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    audited(&req, &principal, &state, Action::StartQuery, async |outcome| {
        start(&principal, &state, body, outcome).await
    })
    .await
}

async fn start(
    principal: &TenantPrincipal,
    state: &AppState,
    body: StartQueryBody,
    outcome: &mut Outcome,
) -> Result<HttpResponse, ApiError> {
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
    for group in &groups {
        authorize_streams(
            principal,
            Action::StartQuery,
            state.scope.streams_prefix(group, ""),
            &format!("all streams of {group}"),
            outcome,
        )?;
    }
    let tenant = &principal.tenant.id;
    // The tenant row stays locked from the count to the insert, so concurrent
    // starts cannot all slip under the cap.
    let mut tx = state.pool.begin().await.map_err(db::DbError::from)?;
    db::tenants::find_for_update(&mut *tx, tenant).await?;
    let running = db::queries::running_count(&mut *tx, tenant).await?;
    if running >= state.limits.max_queries_per_tenant {
        return Err(ApiError::new(
            ErrorCode::Throttled,
            format!("tenant {tenant} already has {running} Logs Insights queries running; wait for one to finish"),
        )
        .with_retry_after(10));
    }
    let query_id = state
        .upstream
        .start_query(StartQueryRequest {
            groups: groups.clone(),
            query_string: body.query_string,
            start_time: body.start_time,
            end_time: body.end_time,
            limit: body.limit,
        })
        .await?;
    let names: Vec<String> = groups.iter().map(|g| g.as_str().to_owned()).collect();
    let recorded = match db::queries::insert(&mut *tx, tenant, &query_id, &names, &principal.principal).await {
        Ok(()) => tx.commit().await.map_err(db::DbError::from),
        Err(e) => Err(e),
    };
    if let Err(e) = recorded {
        // Untracked, nobody could read it; do not leave it running.
        let _ = state.upstream.stop_query(query_id.clone()).await;
        return Err(e.into());
    }
    outcome.resource = Some(format!("query/{query_id}"));
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/queries/{query_id}")))
        .json(Started { query_id }))
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

/// The caller's query with this id, re-authorized for `action` on every group.
async fn owned_query(
    state: &AppState,
    principal: &TenantPrincipal,
    id: &str,
    action: Action,
    outcome: &mut Outcome,
) -> Result<bool, ApiError> {
    outcome.resource = Some(format!("query/{id}"));
    let query = db::queries::find(&state.pool, &principal.tenant.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no query {id}")))?;
    for name in &query.log_groups {
        let group = LogGroupName::parse(name).map_err(|_| ApiError::not_found(format!("no query {id}")))?;
        authorize_streams(
            principal,
            action,
            state.scope.streams_prefix(&group, ""),
            &format!("all streams of {group}"),
            outcome,
        )?;
    }
    outcome.resource = Some(format!("query/{id}"));
    Ok(query.finished)
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
#[utoipa::path(get, path = "/v1/queries/{query}", tag = "logs", security(("tenant" = [])),
    params(("query" = String, Path, description = "queryId from POST /v1/queries")),
    responses(
        (status = 200, description = "The query", body = ResultsBody),
        (status = 404, description = "No such query of yours", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn get_query_results(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audited(&req, &principal, &state, Action::GetQueryResults, async |outcome| {
        results(&req, &principal, &state, outcome).await
    })
    .await
}

async fn results(
    req: &HttpRequest,
    principal: &TenantPrincipal,
    state: &AppState,
    outcome: &mut Outcome,
) -> Result<HttpResponse, ApiError> {
    let id = query_id(req)?;
    let already_finished = owned_query(state, principal, &id, Action::GetQueryResults, outcome).await?;
    let results = state.upstream.get_query_results(id.clone()).await?;
    if results.is_finished() && !already_finished {
        db::queries::mark_finished(&state.pool, &principal.tenant.id, &id).await?;
    }
    Ok(HttpResponse::Ok().json(ResultsBody {
        query_id: id,
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
    responses(
        (status = 200, description = "Stopped (or already finished)", body = Object),
        (status = 404, description = "No such query of yours", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn stop_query(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audited(&req, &principal, &state, Action::StopQuery, async |outcome| {
        stop(&req, &principal, &state, outcome).await
    })
    .await
}

async fn stop(
    req: &HttpRequest,
    principal: &TenantPrincipal,
    state: &AppState,
    outcome: &mut Outcome,
) -> Result<HttpResponse, ApiError> {
    let id = query_id(req)?;
    let already_finished = owned_query(state, principal, &id, Action::StopQuery, outcome).await?;
    let stopped = if already_finished {
        false
    } else {
        state.upstream.stop_query(id.clone()).await?
    };
    db::queries::mark_finished(&state.pool, &principal.tenant.id, &id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"queryId": id, "stopped": stopped})))
}
