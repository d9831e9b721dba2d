//! `GET /admin/v1/audit`: the audit trail, newest first, with filters and a cursor.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};

use crate::auth::AdminPrincipal;
use crate::db::audit::AuditFilter;
use crate::error::ApiError;
use crate::manage::audit as manage;
use crate::routes::problem::{AdminProblems, ClientProblems};
use crate::routes::query::StrictQuery;
use crate::state::AppState;

/// Query the audit trail, newest first
#[utoipa::path(get, path = "/admin/v1/audit", tag = "admin", security(("admin" = [])), params(("tenant" = Option<String>, Query), ("principal" = Option<String>, Query), ("decision" = Option<String>, Query, description = "allow or deny"), ("kind" = Option<String>, Query, description = "data or admin"), ("since" = Option<String>, Query, description = "RFC 3339, inclusive"), ("until" = Option<String>, Query, description = "RFC 3339, exclusive"), ("after" = Option<i64>, Query, description = "nextCursor of the previous page"), ("limit" = Option<i64>, Query, description = "1-500, default 100")), 
    responses((status = 200, description = "A page of audit events", body = Object), ClientProblems, AdminProblems))]
pub(crate) async fn query(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q = StrictQuery::parse(
        req.query_string(),
        &[
            "tenant",
            "principal",
            "decision",
            "kind",
            "since",
            "until",
            "after",
            "limit",
        ],
    )?;
    let time = |name: &str| {
        q.get(name)
            .map(|raw| {
                DateTime::parse_from_rfc3339(raw)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| ApiError::invalid_param(name, "must be an RFC 3339 time, like 2026-01-31T12:00:00Z"))
            })
            .transpose()
    };
    let decision = match q.get("decision") {
        None => None,
        Some(d @ ("allow" | "deny")) => Some(d.to_owned()),
        Some(_) => return Err(ApiError::invalid_param("decision", "must be allow or deny")),
    };
    let kind = match q.get("kind") {
        None => None,
        Some(k @ ("data" | "admin")) => Some(k.to_owned()),
        Some(_) => return Err(ApiError::invalid_param("kind", "must be data or admin")),
    };
    let filter = AuditFilter {
        tenant: q.text("tenant", 63)?.map(str::to_owned),
        principal: q.text("principal", 300)?.map(str::to_owned),
        decision,
        kind,
        since: time("since")?,
        until: time("until")?,
        after: q.int("after", 1, i64::MAX)?,
        limit: q.int("limit", 1, manage::MAX_PAGE)?.unwrap_or(100),
    };
    Ok(HttpResponse::Ok().json(manage::query(&state.pool, &filter).await?))
}
