//! `GET /v1/log-groups`: the log groups the tenant can see.
//!
//! IAM cannot scope DescribeLogGroups by name, so the gateway narrows the call
//! itself: it asks CloudWatch only for the literal name prefixes of the
//! tenant's Allow patterns, and returns a group only when the policy allows
//! `logs:DescribeLogGroups` on the group or on some of its streams. A page may
//! be short; each request makes a bounded number of upstream calls.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{MAX_TOKEN_LEN, Outcome, audited, unwrap_token, wrap_token};
use crate::auth::TenantPrincipal;
use crate::domain::{Action, Decision, LogGroupName};
use crate::error::ApiError;
use crate::routes::query::StrictQuery;
use crate::state::AppState;
use crate::upstream::{DescribeLogGroupsRequest, LogGroupInfo};

/// Upstream calls one request may make while filling a page.
const MAX_UPSTREAM_CALLS: usize = 5;

/// List the log groups you can see
#[utoipa::path(get, path = "/v1/log-groups", tag = "logs", security(("tenant" = [])),
    params(
        ("prefix" = Option<String>, Query, description = "Only groups whose name starts with this"),
        ("limit" = Option<i32>, Query, description = "1-50, default 50; a page may hold fewer"),
        ("nextToken" = Option<String>, Query, description = "nextToken of the previous page"),
    ),
    responses(
        (status = 200, description = "Visible log groups", body = GroupsBody),
        (status = 400, description = "Invalid input", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The policy allows no logs:DescribeLogGroups", body = crate::error::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub async fn list_log_groups(
    req: HttpRequest,
    principal: TenantPrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    audited(&req, &principal, &state, Action::DescribeLogGroups, async |outcome| {
        handle(&req, &principal, &state, outcome).await
    })
    .await
}

/// Whether the caller may see group `name`: the policy allows the action on
/// the group itself, or may allow it on some of its streams, and does not
/// deny it on the group.
pub(crate) fn group_visible(state: &AppState, principal: &TenantPrincipal, action: Action, name: &str) -> bool {
    let Ok(group) = LogGroupName::parse(name) else {
        return false;
    };
    let policy = &principal.tenant.policy;
    let streams = state.scope.streams_prefix(&group, "");
    if policy.denies_all_streams(action, &streams) {
        return false;
    }
    let on_group = policy.authorize(action, &state.scope.group_arn(&group));
    on_group == Decision::Allowed
        || (on_group != Decision::ExplicitDeny && policy.may_allow_some_stream(action, &streams))
}

/// The upstream prefixes to ask for: the policy's, narrowed by the caller's.
fn plan(policy_prefixes: Option<Vec<String>>, wanted: Option<&str>) -> Vec<Option<String>> {
    match (policy_prefixes, wanted) {
        (None, w) => vec![w.map(str::to_owned)],
        (Some(prefixes), None) => prefixes.into_iter().map(|p| (!p.is_empty()).then_some(p)).collect(),
        (Some(prefixes), Some(w)) => {
            let mut out: Vec<Option<String>> = Vec::new();
            for p in prefixes {
                let narrowed = if w.starts_with(p.as_str()) {
                    w.to_owned()
                } else if p.starts_with(w) {
                    p
                } else {
                    continue;
                };
                if !out.contains(&Some(narrowed.clone())) {
                    out.push(Some(narrowed));
                }
            }
            out
        }
    }
}

async fn handle(
    req: &HttpRequest,
    principal: &TenantPrincipal,
    state: &AppState,
    outcome: &mut Outcome,
) -> Result<HttpResponse, ApiError> {
    let query = StrictQuery::parse(req.query_string(), &["prefix", "limit", "nextToken"])?;
    let wanted = query
        .get("prefix")
        .map(|p| {
            LogGroupName::parse(p)
                .map(|_| p)
                .map_err(|e| ApiError::invalid_param("prefix", e.to_string()))
        })
        .transpose()?;
    let limit = query.int("limit", 1, 50)?.unwrap_or(50) as usize;
    let raw_token = query.text("nextToken", MAX_TOKEN_LEN)?;

    let action = Action::DescribeLogGroups;
    outcome.resource = Some(format!("{}log-group:{}*", state.scope.prefix(), wanted.unwrap_or("")));
    if !principal.credential_allows(action) {
        outcome.outside_key_scope = true;
        outcome.decision = Some(Decision::ImplicitDeny);
        return Err(ApiError::access_denied(format!("this API key is not allowed {action}")));
    }
    let prefixes = plan(principal.tenant.policy.allowed_group_prefixes(action), wanted);
    if prefixes.is_empty() {
        outcome.decision = Some(Decision::ImplicitDeny);
        return Err(ApiError::access_denied(format!(
            "the policy of tenant {} does not allow {action} on any log group{}",
            principal.tenant.id,
            wanted.map(|w| format!(" starting with {w:?}")).unwrap_or_default()
        )));
    }
    outcome.decision = Some(Decision::Allowed);

    // The token carries which prefix we are on and CloudWatch's token within it.
    let bound_to = format!("log-groups?prefix={}", wanted.unwrap_or(""));
    let (mut index, mut upstream_token) = match unwrap_token(state, principal, action, &bound_to, raw_token)? {
        None => (0, None),
        Some(inner) => {
            let (i, t) = inner
                .split_once(':')
                .ok_or_else(|| ApiError::invalid_param("nextToken", "malformed"))?;
            let i: usize = i
                .parse()
                .map_err(|_| ApiError::invalid_param("nextToken", "malformed"))?;
            (i, (!t.is_empty()).then(|| t.to_owned()))
        }
    };

    let mut groups = Vec::new();
    let mut calls = 0;
    while index < prefixes.len() && groups.len() < limit && calls < MAX_UPSTREAM_CALLS {
        calls += 1;
        let page = state
            .upstream
            .describe_log_groups(DescribeLogGroupsRequest {
                prefix: prefixes[index].clone(),
                // Never more than still fits, so no result is skipped by paging.
                limit: Some((limit - groups.len()) as i32),
                next_token: upstream_token.take(),
            })
            .await?;
        groups.extend(
            page.groups
                .into_iter()
                .filter(|g| group_visible(state, principal, action, &g.name))
                .map(GroupJson::from),
        );
        match page.next_token {
            Some(t) => upstream_token = Some(t),
            None => index += 1,
        }
    }
    let next_token = (index < prefixes.len()).then(|| {
        let inner = format!("{index}:{}", upstream_token.unwrap_or_default());
        wrap_token(state, principal, action, &bound_to, Some(&inner))
    });
    Ok(HttpResponse::Ok().json(GroupsBody {
        log_groups: groups,
        next_token: next_token.flatten(),
    }))
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

#[cfg(test)]
mod tests {
    use super::plan;

    #[test]
    fn plans_the_narrowest_prefixes() {
        let p = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(plan(None, None), vec![None]);
        assert_eq!(plan(None, Some("/x")), vec![s("/x")]);
        assert_eq!(plan(p(&["/acme/", "shared"]), None), vec![s("/acme/"), s("shared")]);
        assert_eq!(plan(p(&["/acme/"]), Some("/acme/app")), vec![s("/acme/app")]);
        assert_eq!(plan(p(&["/acme/app"]), Some("/ac")), vec![s("/acme/app")]);
        assert_eq!(plan(p(&["/acme/"]), Some("/other")), Vec::<Option<String>>::new());
        assert_eq!(plan(p(&[""]), None), vec![None]);
    }
}
