//! `GET /v1/log-groups`: the log groups the tenant can see.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::domain::LogGroupName;
use crate::error::ApiError;
use crate::gateway::groups::DescribeLogGroups;
use crate::gateway::{Call, MAX_TOKEN_LEN};
use crate::routes::problem::{ClientProblems, DataProblems};
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::upstream::LogGroupInfo;

/// List the log groups you can see
///
/// Only groups on which the policy allows `logs:DescribeLogGroups` (on the group or some of its
/// streams); 403 when it allows that on none. A page may hold fewer than `limit`.
#[utoipa::path(get, path = "/v1/log-groups", tag = "logs", security(("tenant" = [])),
    params(
        ("prefix" = Option<String>, Query, description = "Only groups whose name starts with this"),
        ("limit" = Option<i32>, Query, description = "1-50, default 50; a page may hold fewer"),
        ("nextToken" = Option<String>, Query, description = "nextToken of the previous page"),
    ),
    responses((status = 200, description = "Visible log groups", body = GroupsBody), ClientProblems, DataProblems))]
pub(crate) async fn list_log_groups(
    req: HttpRequest,
    call: Call,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let reply = state.gateway.describe_log_groups(&call, parse(&req)).await?;
    Ok(HttpResponse::Ok().json(GroupsBody {
        log_groups: reply.groups.into_iter().map(GroupJson::from).collect(),
        next_token: reply.next_token,
    }))
}

fn parse(req: &HttpRequest) -> Result<DescribeLogGroups, ApiError> {
    let query = StrictQuery::parse(req.query_string(), &["prefix", "limit", "nextToken"])?;
    let prefix = query
        .get("prefix")
        .map(|p| {
            LogGroupName::parse(p)
                .map(|_| p.to_owned())
                .map_err(|e| ApiError::invalid_param("prefix", e.to_string()))
        })
        .transpose()?;
    Ok(DescribeLogGroups {
        prefix,
        pattern: None,
        limit: query.int("limit", 1, 50)?.unwrap_or(50) as usize,
        next_token: query.text("nextToken", MAX_TOKEN_LEN)?.map(str::to_owned),
    })
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupsBody {
    log_groups: Vec<GroupJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupJson {
    log_group_name: String,
    creation_time: Option<i64>,
    retention_in_days: Option<i32>,
    stored_bytes: Option<i64>,
}

impl From<LogGroupInfo> for GroupJson {
    fn from(g: LogGroupInfo) -> Self {
        Self {
            log_group_name: g.name,
            creation_time: g.creation_time,
            retention_in_days: g.retention_in_days,
            stored_bytes: g.stored_bytes,
        }
    }
}
