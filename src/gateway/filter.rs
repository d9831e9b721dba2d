//! FilterLogEvents across the streams of a group.
//!
//! Authorization covers everything the call can read: every named stream; or,
//! with a name prefix or no stream selection, a proof from the policy that
//! every stream the selection can reach is permitted and none denied. Results
//! are post-filtered by stream as well, in case the upstream returns more than
//! was asked (moto ignores `logStreamNamePrefix`, for one).

use super::access::{self, Verdict};
use super::call::Decided;
use super::paging::Binding;
use super::{Call, Gateway, Parsed};
use crate::auth::Principal;
use crate::domain::{Action, LogGroupName, LogStreamName, ResourceScope};
use crate::error::ApiError;
use crate::upstream::{FilterLogEventsRequest, FilterLogEventsResponse, StreamSelection};

const ACTION: Action = Action::FilterLogEvents;

/// What a group-wide read selects: the group, its streams, the pattern.
/// Shared by FilterLogEvents and the group tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    pub(crate) group: LogGroupName,
    pub(crate) streams: StreamSelection,
    pub(crate) filter_pattern: Option<String>,
}

/// The streams `logStreamNames` and `logStreamNamePrefix` select (at most
/// one of them); on bad input, the member at fault and why, for the door to
/// word as its protocol does.
pub(crate) fn select_streams(
    names: Option<&[String]>,
    prefix: Option<&str>,
) -> Result<StreamSelection, (&'static str, String)> {
    match (names, prefix) {
        (Some(_), Some(_)) => Err((
            "logStreamNamePrefix",
            "cannot be combined with logStreamNames".to_owned(),
        )),
        (Some(names), None) => names
            .iter()
            .map(|n| LogStreamName::parse(n))
            .collect::<Result<_, _>>()
            .map(StreamSelection::Named)
            .map_err(|e| ("logStreamNames", e.to_string())),
        (None, Some(prefix)) => LogStreamName::parse(prefix)
            .map(StreamSelection::Prefix)
            .map_err(|e| ("logStreamNamePrefix", e.to_string())),
        (None, None) => Ok(StreamSelection::All),
    }
}

impl Selection {
    /// Authorizes everything the selection can read, for `action`.
    pub(crate) fn authorize(&self, scope: &ResourceScope, principal: &Principal, action: Action) -> Verdict {
        let group = &self.group;
        match &self.streams {
            StreamSelection::Named(names) => access::all(
                names
                    .iter()
                    .map(|name| access::one(principal, action, scope.log_stream(group, name))),
                scope.streams_prefix(group, "{named}"),
            ),
            StreamSelection::Prefix(prefix) => access::every_stream(
                principal,
                action,
                &scope.streams_prefix(group, prefix.as_str()),
                &format!("the streams of {group} starting with {prefix:?}"),
            ),
            StreamSelection::All => access::every_stream(
                principal,
                action,
                &scope.streams_prefix(group, ""),
                &format!("all streams of {group}"),
            ),
        }
    }

    /// Whether an event CloudWatch returned may be shown: its stream is in
    /// the selection and permitted by the policy.
    pub(crate) fn shows(
        &self,
        scope: &ResourceScope,
        principal: &Principal,
        action: Action,
        stream: Option<&str>,
    ) -> bool {
        let Some(stream) = stream else { return false };
        let selected = match &self.streams {
            StreamSelection::All => true,
            StreamSelection::Named(names) => names.iter().any(|n| n.as_str() == stream),
            StreamSelection::Prefix(prefix) => stream.starts_with(prefix.as_str()),
        };
        selected
            && principal
                .tenant
                .policy
                .authorize(action, &scope.stream_arn_raw(&self.group, stream))
                .is_allowed()
    }

    /// What a paging token is bound to: the group, the streams, the pattern.
    fn binding(&self, scope: &ResourceScope) -> Binding {
        let streams = match &self.streams {
            StreamSelection::All => None,
            StreamSelection::Named(names) => {
                Some(serde_json::to_string(&names.iter().map(|n| n.as_str()).collect::<Vec<_>>()).unwrap_or_default())
            }
            StreamSelection::Prefix(p) => Some(format!("prefix:{}", p.as_str())),
        };
        Binding::new(&scope.group_arn(&self.group))
            .param("streams", streams.as_deref())
            .param("filterPattern", self.filter_pattern.as_deref())
    }
}

/// A validated FilterLogEvents request.
#[derive(Debug, Clone)]
pub(crate) struct FilterLogEvents {
    pub(crate) selection: Selection,
    pub(crate) start_time: Option<i64>,
    pub(crate) end_time: Option<i64>,
    pub(crate) limit: Option<i32>,
    /// The client's sealed token.
    pub(crate) next_token: Option<String>,
}

impl Gateway {
    pub(crate) async fn filter_log_events(
        &self,
        call: &Call,
        input: Parsed<FilterLogEvents>,
    ) -> Result<FilterLogEventsResponse, ApiError> {
        let decided = match input {
            Err(e) => Decided::invalid(e),
            Ok(input) => {
                let verdict = input.selection.authorize(&self.scope, &call.principal, ACTION);
                let result = self.filter_events(call, &verdict, input).await;
                Decided::new(verdict, result)
            }
        };
        self.finish(call, ACTION, decided, 200)
    }

    async fn filter_events(
        &self,
        call: &Call,
        verdict: &Verdict,
        input: FilterLogEvents,
    ) -> Result<FilterLogEventsResponse, ApiError> {
        verdict.require()?;
        let selection = input.selection;
        let binding = selection.binding(&self.scope);
        let next_token = self.unwrap_token(call, ACTION, &binding, input.next_token.as_deref())?;
        let mut response = self
            .upstream
            .filter_log_events(
                call.caller(),
                FilterLogEventsRequest {
                    group: selection.group.clone(),
                    streams: selection.streams.clone(),
                    filter_pattern: selection.filter_pattern.clone(),
                    start_time: input.start_time,
                    end_time: input.end_time,
                    limit: input.limit,
                    next_token,
                },
            )
            .await?;
        let before = response.events.len();
        response
            .events
            .retain(|e| selection.shows(&self.scope, &call.principal, ACTION, e.log_stream_name.as_deref()));
        if response.events.len() != before {
            tracing::warn!(
                dropped = before - response.events.len(),
                "CloudWatch returned events outside the authorized selection; dropped"
            );
        }
        response.next_token = self.wrap_token(call, ACTION, &binding, response.next_token.as_deref());
        Ok(response)
    }
}
