//! `GET /v1/queries`: the caller's Logs Insights queries and whether they
//! count against the tenant's cap; the same entries on the admin API.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::ApiError;
use crate::gateway::Call;
use crate::gateway::queries::QueryEntry;
use crate::routes::problem::{ClientProblems, DataProblems};
use crate::routes::query::StrictQuery;
use crate::state::AppState;

/// One query.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryView {
    /// CloudWatch's id; null while it starts or when its start's outcome is
    /// unknown (a timeout): such a query has no id anyone could read.
    query_id: Option<String>,
    /// running, starting, unconfirmed, finished, or expired (no final status
    /// seen, past the hour in which it could run).
    state: &'static str,
    /// Whether it takes one of the tenant's running-query slots.
    counts_toward_cap: bool,
    log_group_names: Vec<String>,
    /// The JWT subject or key that started it.
    started_by: String,
    started_at: DateTime<Utc>,
    /// When logward saw a final status, or it was stopped or cleared.
    finished_at: Option<DateTime<Utc>>,
    /// When logward last asked CloudWatch about it unprompted.
    last_checked_at: Option<DateTime<Utc>>,
}

impl QueryView {
    /// `with_placeholders`: show logward's placeholder ids too (operators
    /// clear by them).
    pub(crate) fn new(entry: QueryEntry, with_placeholders: bool) -> Self {
        Self {
            state: entry.state(),
            counts_toward_cap: entry.counts,
            query_id: (with_placeholders || entry.has_cloudwatch_id()).then_some(entry.query_id),
            log_group_names: entry.log_groups,
            started_by: entry.started_by,
            started_at: entry.started_at,
            finished_at: entry.finished_at,
            last_checked_at: entry.checked_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct QueryListBody {
    /// Your 100 most recent queries whose results you may read, newest first.
    queries: Vec<QueryView>,
    /// How many of the tenant's queries count against its cap now, yours or not.
    running: usize,
    /// The tenant's cap (`LOGWARD_MAX_QUERIES_PER_TENANT`).
    cap: i64,
}

/// Your Logs Insights queries
///
/// Lists the tenant's recent queries whose results you may read (`logs:GetQueryResults` on every
/// group), with their state; audited as `logs:GetQueryResults` on `query/*`. Before answering,
/// logward asks CloudWatch about open queries nobody has fetched a final status for, so a query
/// abandoned by its client stops counting once CloudWatch has finished it.
#[utoipa::path(get, path = "/v1/queries", tag = "logs", security(("tenant" = [])),
    responses((status = 200, description = "The queries", body = QueryListBody), ClientProblems, DataProblems))]
pub(crate) async fn list_queries(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let no_parameters = StrictQuery::parse(req.query_string(), &[]).map(drop);
    let listed = state.gateway.list_queries(&call, no_parameters).await?;
    Ok(HttpResponse::Ok().json(QueryListBody {
        queries: listed.entries.into_iter().map(|e| QueryView::new(e, false)).collect(),
        running: listed.running,
        cap: listed.cap,
    }))
}
