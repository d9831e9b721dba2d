//! A tenant's Logs Insights queries: list, and clear those holding its
//! running-query slots.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{actor, tenant_id};
use crate::auth::AdminPrincipal;
use crate::error::ApiError;
use crate::manage::queries as manage;
use crate::routes::logs::query_list::QueryView;
use crate::routes::problem::{AdminProblems, ClientProblems};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
struct QueriesBody {
    /// The tenant's 500 most recent queries, newest first, with logward's
    /// placeholder ids (`reserved:…`, `unconfirmed:…`) for those without one of CloudWatch's.
    items: Vec<QueryView>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ClearedBody {
    /// The queries that no longer count against the tenant's cap.
    cleared: Vec<String>,
    /// Those of them CloudWatch was asked to stop and confirmed running until now.
    stopped: Vec<String>,
}

/// List a tenant's Logs Insights queries
#[utoipa::path(get, path = "/admin/v1/tenants/{tenant}/queries", tag = "admin", security(("admin" = [])),
    params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 200, description = "Queries", body = QueriesBody), ClientProblems, AdminProblems))]
pub(crate) async fn list(
    req: HttpRequest,
    _admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(&req)?;
    let items = manage::list(&state.pool, &tenant).await?;
    Ok(HttpResponse::Ok().json(QueriesBody {
        items: items.into_iter().map(|e| QueryView::new(e, true)).collect(),
    }))
}

/// Clear all of a tenant's open queries
///
/// Every open query of the tenant stops counting against its cap, and each one CloudWatch knows
/// is asked to stop. For a tenant locked out by queries its clients abandoned.
#[utoipa::path(delete, path = "/admin/v1/tenants/{tenant}/queries", tag = "admin", security(("admin" = [])),
    params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 200, description = "Cleared", body = ClearedBody), ClientProblems, AdminProblems))]
pub(crate) async fn clear_all(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    clear(&req, &admin, &state, None).await
}

/// Clear one of a tenant's open queries
#[utoipa::path(delete, path = "/admin/v1/tenants/{tenant}/queries/{query}", tag = "admin", security(("admin" = [])),
    params(("tenant" = String, Path, description = "Tenant id, ^[a-z0-9][a-z0-9-]{0,62}$"),
        ("query" = String, Path, description = "A query id or placeholder id from the list")),
    responses((status = 200, description = "Cleared", body = ClearedBody), ClientProblems, AdminProblems))]
pub(crate) async fn clear_one(
    req: HttpRequest,
    admin: AdminPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = super::super::path_segment(&req, 6, "queryId")?;
    if !manage::valid_query_id(&id) {
        return Err(ApiError::invalid_param(
            "queryId",
            "must be a query id or placeholder id from GET /admin/v1/tenants/{tenant}/queries",
        ));
    }
    clear(&req, &admin, &state, Some(&id)).await
}

async fn clear(
    req: &HttpRequest,
    admin: &AdminPrincipal,
    state: &AppState,
    id: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant_id(req)?;
    let cleared = manage::clear(&state.pool, &actor(admin, req), &tenant, id).await?;
    let mut stopped = Vec::new();
    // Placeholders have no id CloudWatch knows. A failed stop leaves the
    // query to finish by itself; its slot is free either way.
    for id in cleared.iter().filter(|id| !id.contains(':')) {
        match state
            .gateway
            .upstream
            .stop_query(crate::upstream::Caller::Logward, id.clone())
            .await
        {
            Ok(true) => stopped.push(id.clone()),
            Ok(false) => {}
            Err(e) => tracing::info!(query_id = %id, error = %e, "could not stop a cleared query at CloudWatch"),
        }
    }
    Ok(HttpResponse::Ok().json(ClearedBody { cleared, stopped }))
}
