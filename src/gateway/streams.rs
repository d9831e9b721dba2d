//! DescribeLogStreams: the streams of a group the tenant may see (a tenant
//! may hold rights on some streams of a shared group). Refused before any
//! upstream call when a Deny covers the group or the asked prefix, or no
//! Allow could match a stream there; each listed stream is authorized.

use super::access::{self, Verdict};
use super::call::Decided;
use super::pager::{self, Cursor};
use super::paging::Binding;
use super::{Call, Gateway, Parsed};
use crate::domain::{Action, LogGroupName, LogStreamName};
use crate::error::ApiError;
use crate::upstream::{DescribeLogStreamsRequest, LogStreamInfo, StreamOrder};

const ACTION: Action = Action::DescribeLogStreams;
/// Streams asked of CloudWatch per call (its maximum).
const UPSTREAM_PAGE: i32 = 50;

/// A validated DescribeLogStreams request.
#[derive(Debug, Clone)]
pub(crate) struct DescribeLogStreams {
    pub(crate) group: LogGroupName,
    /// A stream-name prefix (itself a valid stream name).
    pub(crate) prefix: Option<LogStreamName>,
    pub(crate) order_by: Option<StreamOrder>,
    pub(crate) descending: Option<bool>,
    /// 1-50.
    pub(crate) limit: usize,
    pub(crate) next_token: Option<String>,
}

/// A page of visible streams.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogStreams {
    pub(crate) streams: Vec<LogStreamInfo>,
    pub(crate) next_token: Option<String>,
}

impl Gateway {
    pub(crate) async fn describe_log_streams(
        &self,
        call: &Call,
        input: Parsed<DescribeLogStreams>,
    ) -> Result<LogStreams, ApiError> {
        let input = input.and_then(|i| match (&i.prefix, i.order_by) {
            (Some(_), Some(StreamOrder::LastEventTime)) => Err(ApiError::invalid_param(
                "orderBy",
                "LastEventTime cannot be combined with prefix",
            )),
            _ => Ok(i),
        });
        let decided = match input {
            Err(e) => Decided::invalid(e),
            Ok(input) => {
                let prefix = input.prefix.as_ref().map_or("", LogStreamName::as_str);
                let reach = self.scope.streams_prefix(&input.group, prefix);
                let what = match &input.prefix {
                    None => format!("the streams of {}", input.group),
                    Some(p) => format!("the streams of {} starting with {:?}", input.group, p.as_str()),
                };
                let verdict = access::listing(&call.principal, ACTION, &reach, &what);
                let result = self.list_streams(call, &verdict, input).await;
                Decided::new(verdict, result)
            }
        };
        self.finish(call, ACTION, decided, 200)
    }

    async fn list_streams(
        &self,
        call: &Call,
        verdict: &Verdict,
        input: DescribeLogStreams,
    ) -> Result<LogStreams, ApiError> {
        verdict.require()?;
        let group = &input.group;
        let order = input.order_by.map(|o| format!("{o:?}"));
        let descending = input.descending.map(|d| d.to_string());

        // Ask CloudWatch only for the stream prefixes the policy can allow
        // (CloudWatch cannot combine a prefix with LastEventTime order).
        let wanted = input.prefix.as_ref().map(LogStreamName::as_str);
        let mut prefixes = match input.order_by {
            Some(StreamOrder::LastEventTime) => vec![None],
            _ => {
                let reach = self.scope.streams_prefix(group, "");
                let policy = &call.principal.tenant.policy;
                pager::narrow(policy.allowed_stream_prefixes(ACTION, &reach), wanted)
            }
        };
        if input.descending == Some(true) {
            prefixes.reverse();
        }
        let binding = Binding::new(&self.scope.group_arn(group))
            .param("prefix", input.prefix.as_ref().map(LogStreamName::as_str))
            .param("orderBy", order.as_deref())
            .param("descending", descending.as_deref())
            // The token indexes this list: bound to it, a policy change voids it.
            .param("asked", Some(&asked(&prefixes)));
        let cursor = match self.unwrap_token(call, ACTION, &binding, input.next_token.as_deref())? {
            Some(inner) => Cursor::decode(&inner)?,
            None => Cursor::default(),
        };
        let fetch = |prefix: &Option<String>, next_token: Option<String>| {
            let request = DescribeLogStreamsRequest {
                group: group.clone(),
                prefix: prefix.clone(),
                order_by: input.order_by,
                descending: input.descending,
                limit: Some(UPSTREAM_PAGE),
                next_token,
            };
            async move {
                let page = self.upstream.describe_log_streams(call.caller(), request).await?;
                Ok((page.streams, page.next_token))
            }
        };
        let policy = &call.principal.tenant.policy;
        let visible = |s: &LogStreamInfo| {
            policy
                .authorize(ACTION, &self.scope.stream_arn_raw(group, &s.name))
                .is_allowed()
        };
        let (streams, next) = pager::page(&prefixes, cursor, input.limit, fetch, visible).await?;
        let next_token = next.and_then(|c| self.wrap_token(call, ACTION, &binding, Some(&c.encode())));
        Ok(LogStreams { streams, next_token })
    }
}

/// The narrowed prefixes as one text, for the token binding.
pub(super) fn asked(prefixes: &[Option<String>]) -> String {
    let list: Vec<&str> = prefixes.iter().map(|p| p.as_deref().unwrap_or("")).collect();
    serde_json::to_string(&list).unwrap_or_default()
}
