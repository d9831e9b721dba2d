//! DescribeLogGroups: the log groups the tenant can see.
//!
//! IAM cannot scope DescribeLogGroups by name, so the gateway narrows the call
//! itself: it asks CloudWatch only for the literal name prefixes of the
//! tenant's Allow patterns, and returns a group only when the policy allows
//! `logs:DescribeLogGroups` on the group or on some of its streams. Pages
//! never betray hidden groups (see [`super::pager`]).

use super::access::{self, Verdict};
use super::call::Decided;
use super::pager::{self, Cursor};
use super::paging::Binding;
use super::{Call, Gateway, Parsed};
use crate::auth::Principal;
use crate::domain::{Action, LogGroupName, ResourceScope};
use crate::error::ApiError;
use crate::upstream::{DescribeLogGroupsRequest, LogGroupInfo};

const ACTION: Action = Action::DescribeLogGroups;
/// Groups asked of CloudWatch per call (its maximum).
const UPSTREAM_PAGE: i32 = 50;

/// A validated DescribeLogGroups request.
#[derive(Debug, Clone)]
pub(crate) struct DescribeLogGroups {
    /// Only groups whose name starts with this (itself a valid group name).
    pub(crate) prefix: Option<String>,
    /// Only groups whose name contains this, case-sensitively (CloudWatch's
    /// `logGroupNamePattern`). Matched here, over the groups the policy lets
    /// the caller see, never sent upstream: CloudWatch cannot combine it
    /// with the prefixes the gateway narrows its calls to.
    pub(crate) pattern: Option<String>,
    /// 1-50.
    pub(crate) limit: usize,
    pub(crate) next_token: Option<String>,
}

/// A page of visible groups.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogGroups {
    pub(crate) groups: Vec<LogGroupInfo>,
    pub(crate) next_token: Option<String>,
}

/// Whether the caller may see group `name`: the policy allows the action on
/// the group itself, or may allow it on some of its streams, and does not
/// deny it on the group.
pub(crate) fn group_visible(scope: &ResourceScope, principal: &Principal, action: Action, name: &str) -> bool {
    let Ok(group) = LogGroupName::parse(name) else {
        return false;
    };
    let streams = scope.streams_prefix(&group, "");
    principal
        .tenant
        .policy
        .group_visibility(action, &scope.group_arn(&group), &streams)
        .is_allowed()
}

impl Gateway {
    pub(crate) async fn describe_log_groups(
        &self,
        call: &Call,
        input: Parsed<DescribeLogGroups>,
    ) -> Result<LogGroups, ApiError> {
        let decided = match input {
            Err(e) => Decided::invalid(e),
            Ok(input) => {
                let wanted = input.prefix.as_deref();
                let resource = format!("{}log-group:{}*", self.scope.prefix(), wanted.unwrap_or(""));
                let prefixes = pager::narrow(call.principal.tenant.policy.allowed_group_prefixes(ACTION), wanted);
                let verdict = if prefixes.is_empty() {
                    let message = format!(
                        "the policy of tenant {} does not allow {ACTION} on any log group{}",
                        call.tenant_id(),
                        wanted.map(|w| format!(" starting with {w:?}")).unwrap_or_default()
                    );
                    access::refuse(&call.principal, ACTION, resource, message)
                } else {
                    access::per_item(&call.principal, ACTION, resource)
                };
                let result = self.list_groups(call, &verdict, input, prefixes).await;
                Decided::new(verdict, result)
            }
        };
        self.finish(call, ACTION, decided, 200)
    }

    async fn list_groups(
        &self,
        call: &Call,
        verdict: &Verdict,
        input: DescribeLogGroups,
        prefixes: Vec<Option<String>>,
    ) -> Result<LogGroups, ApiError> {
        verdict.require()?;
        let binding = Binding::new("log-groups")
            .param("prefix", input.prefix.as_deref())
            .param("pattern", input.pattern.as_deref())
            // The token indexes this list: bound to it, a policy change voids it.
            .param("asked", Some(&super::streams::asked(&prefixes)));
        let cursor = match self.unwrap_token(call, ACTION, &binding, input.next_token.as_deref())? {
            Some(inner) => Cursor::decode(&inner)?,
            None => Cursor::default(),
        };
        let fetch = |prefix: &Option<String>, next_token: Option<String>| {
            let request = DescribeLogGroupsRequest {
                prefix: prefix.clone(),
                limit: Some(UPSTREAM_PAGE),
                next_token,
            };
            async move {
                let page = self.upstream.describe_log_groups(call.caller(), request).await?;
                Ok((page.groups, page.next_token))
            }
        };
        let pattern = input.pattern.as_deref();
        let visible = |g: &LogGroupInfo| {
            pattern.is_none_or(|p| g.name.contains(p)) && group_visible(&self.scope, &call.principal, ACTION, &g.name)
        };
        let (groups, next) = pager::page(&prefixes, cursor, input.limit, fetch, visible).await?;
        let next_token = next.and_then(|c| self.wrap_token(call, ACTION, &binding, Some(&c.encode())));
        Ok(LogGroups { groups, next_token })
    }
}
