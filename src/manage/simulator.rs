//! The policy simulator: answers "would the gateway allow this?" by running
//! the request path's own checks for the action and the form of the resource.
//!
//! A read over many streams (a group-wide FilterLogEvents, a group tail, an
//! Insights query) is allowed only on a proof that every stream it can reach
//! is permitted and none denied (`CompiledPolicy::authorize_stream_prefix`);
//! listings use `CompiledPolicy::listing_decision` and
//! `CompiledPolicy::group_visibility` (as the gateway does). The simulator calls those same
//! functions, so it cannot disagree with the gateway.

use serde::Serialize;

use super::{ManageError, invalid};
use crate::domain::policy::{Effect, MatchedStatement};
use crate::domain::{Action, CompiledPolicy, Decision};

/// Longest resource the simulator takes.
const MAX_RESOURCE: usize = 2048;

/// One simulated request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Simulation {
    pub(crate) action: String,
    pub(crate) resource: String,
    /// How the resource was read: `stream`, `stream_prefix`, `group` or
    /// `group_streams` (`...:log-group:G:*`).
    pub(crate) form: Form,
    /// `allow` or `deny`.
    pub(crate) decision: &'static str,
    pub(crate) reason: Reason,
    /// The check the gateway runs for this action on this form, in words.
    pub(crate) check: &'static str,
    /// The statements behind the decision: for a denial, the Deny statements
    /// that block it (or, when not provable, the Allows that reach only part).
    pub(crate) matched_statements: Vec<MatchedStatement>,
}

/// Why the decision came out as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Reason {
    /// An Allow covers it and no Deny matches.
    Allowed,
    /// A Deny covers all of it.
    ExplicitDeny,
    /// No Allow reaches it.
    ImplicitDeny,
    /// Some of the streams it covers are allowed, but the gateway cannot prove
    /// every one is: a Deny matches some of them (listed), or no single Allow
    /// covers them all.
    NotProvable,
}

/// The form of the simulated resource ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Form {
    Stream,
    StreamPrefix,
    Group,
    GroupStreams,
}

/// A resource ARN split into the parts the checks need.
struct Resource<'a> {
    form: Form,
    /// `arn:aws:logs:R:A:log-group:G`.
    group_arn: &'a str,
    /// `group_arn:log-stream:` plus the stream name or name prefix.
    streams: String,
}

/// Simulates `action` on `resource` with the request path's own checks.
pub(crate) fn simulate(policy: &CompiledPolicy, action: &str, resource: &str) -> Result<Simulation, ManageError> {
    let parsed = Action::from_iam_name(action).ok_or_else(|| {
        invalid(
            "action",
            format!(
                "must be one of {}",
                Action::ALL.iter().map(|a| a.iam_name()).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let target = parse_resource(resource)?;
    let (decision, matched, check) = decide(policy, parsed, &target, resource)?;
    let reason = match decision {
        Decision::Allowed => Reason::Allowed,
        Decision::ImplicitDeny if matched.is_empty() => Reason::ImplicitDeny,
        Decision::ImplicitDeny => Reason::NotProvable,
        Decision::ExplicitDeny if target.form != Form::Stream && !denies_whole_set(policy, parsed, &target) => {
            Reason::NotProvable
        }
        Decision::ExplicitDeny => Reason::ExplicitDeny,
    };
    Ok(Simulation {
        action: parsed.iam_name().to_owned(),
        resource: resource.to_owned(),
        form: target.form,
        decision: if decision.is_allowed() { "allow" } else { "deny" },
        reason,
        check,
        matched_statements: matched,
    })
}

type Outcome = (Decision, Vec<MatchedStatement>, &'static str);

/// The gateway's check for `action` on `target`, as each route runs it.
fn decide(
    policy: &CompiledPolicy,
    action: Action,
    target: &Resource<'_>,
    resource: &str,
) -> Result<Outcome, ManageError> {
    let one = |arn: &str, check| {
        let (decision, matched) = policy.explain(action, arn);
        (decision, matched, check)
    };
    let every = |check| {
        let (decision, matched) = policy.explain_stream_prefix(action, &target.streams);
        (decision, matched, check)
    };
    Ok(match (action, target.form) {
        (Action::GetLogEvents | Action::FilterLogEvents, Form::Stream) => {
            one(resource, "the stream itself (a read or tail of named streams)")
        }
        (Action::GetLogEvents | Action::FilterLogEvents, _) => every(
            "every stream it covers must be provably allowed and none denied (a group-wide or prefix read or tail)",
        ),
        (Action::StartQuery | Action::GetQueryResults | Action::StopQuery, Form::Group | Form::GroupStreams) => {
            every("every stream of the group must be provably allowed and none denied (Insights reads whole groups)")
        }
        (Action::StartQuery | Action::GetQueryResults | Action::StopQuery, _) => {
            return Err(invalid(
                "resource",
                "Insights queries read whole log groups: give a log group ARN (…:log-group:NAME or …:log-group:NAME:*)",
            ));
        }
        (Action::DescribeLogStreams, Form::Stream) => {
            // Listed when the listing is allowed and then the stream itself.
            let listing = policy.listing_decision(action, &group_streams(target));
            if listing.is_allowed() {
                one(
                    resource,
                    "the group's listing may show some stream, and this stream is allowed",
                )
            } else {
                (
                    listing,
                    deny_statements(policy, action, target),
                    "the group's listing may show some stream",
                )
            }
        }
        (Action::DescribeLogStreams, _) => {
            let decision = policy.listing_decision(action, &target.streams);
            let matched = statements(policy, action, target, decision);
            (
                decision,
                matched,
                "no Deny covers the listing and some Allow may match a stream in it (each listed stream is then authorized)",
            )
        }
        (Action::DescribeLogGroups, Form::Group | Form::GroupStreams) => {
            let streams = group_streams(target);
            let decision = policy.group_visibility(action, target.group_arn, &streams);
            let matched = statements(policy, action, target, decision);
            (
                decision,
                matched,
                "the group is listed when an Allow matches it or some of its streams and no Deny covers it",
            )
        }
        (Action::DescribeLogGroups, _) => {
            return Err(invalid(
                "resource",
                "DescribeLogGroups lists log groups: give a log group ARN (…:log-group:NAME)",
            ));
        }
    })
}

/// `...:log-group:G:log-stream:`: every stream of the group.
fn group_streams(target: &Resource<'_>) -> String {
    format!("{}:log-stream:", target.group_arn)
}

/// Whether a Deny covers the whole set (rather than only some of its streams).
fn denies_whole_set(policy: &CompiledPolicy, action: Action, target: &Resource<'_>) -> bool {
    policy.authorize(action, target.group_arn) == Decision::ExplicitDeny
        || policy.denies_all_streams(action, &target.streams)
}

/// The statements behind a set decision: the Denies for a denial, the Allows
/// for an allow, none when nothing reaches the set.
fn statements(
    policy: &CompiledPolicy,
    action: Action,
    target: &Resource<'_>,
    decision: Decision,
) -> Vec<MatchedStatement> {
    match decision {
        Decision::ExplicitDeny => deny_statements(policy, action, target),
        Decision::Allowed => allow_statements(policy, action, target),
        Decision::ImplicitDeny => Vec::new(),
    }
}

fn deny_statements(policy: &CompiledPolicy, action: Action, target: &Resource<'_>) -> Vec<MatchedStatement> {
    let (decision, matched) = policy.explain_stream_prefix(action, &target.streams);
    if decision == Decision::ExplicitDeny {
        matched
    } else {
        Vec::new()
    }
}

fn allow_statements(policy: &CompiledPolicy, action: Action, target: &Resource<'_>) -> Vec<MatchedStatement> {
    let mut matched = policy.explain(action, target.group_arn).1;
    let (_, more) = policy.explain_stream_prefix(action, &target.streams);
    for m in more {
        if !matched.contains(&m) {
            matched.push(m);
        }
    }
    matched.retain(|m| m.effect == Effect::Allow);
    matched
}

/// Reads a log group or stream ARN: `…:log-group:G`, `…:log-group:G:*`,
/// `…:log-group:G:log-stream:S` or `…:log-group:G:log-stream:PREFIX*`.
fn parse_resource(resource: &str) -> Result<Resource<'_>, ManageError> {
    let refuse = || {
        invalid(
            "resource",
            format!(
                "must be a log group or log stream ARN of at most {MAX_RESOURCE} characters: \
                 arn:aws:logs:REGION:ACCOUNT:log-group:NAME, …:log-group:NAME:*, \
                 …:log-group:NAME:log-stream:STREAM or …:log-stream:PREFIX*"
            ),
        )
    };
    if !resource.starts_with("arn:aws:logs:") || resource.len() > MAX_RESOURCE || resource.chars().any(char::is_control)
    {
        return Err(refuse());
    }
    let Some((_, rest)) = resource.split_once(":log-group:") else {
        return Err(refuse());
    };
    let group_len = rest.find(':').unwrap_or(rest.len());
    let (group, tail) = rest.split_at(group_len);
    if group.is_empty() || group.contains(['*', '?']) {
        return Err(refuse());
    }
    let group_arn = &resource[..resource.len() - tail.len()];
    let (form, stream) = match tail {
        "" => (Form::Group, ""),
        ":*" => (Form::GroupStreams, ""),
        _ => match tail.strip_prefix(":log-stream:") {
            Some(stream) if !stream.contains(['*', '?', ':']) && !stream.is_empty() => (Form::Stream, stream),
            Some(stream) => match stream.strip_suffix('*') {
                Some(prefix) if !prefix.contains(['*', '?', ':']) => (Form::StreamPrefix, prefix),
                _ => return Err(refuse()),
            },
            None => return Err(refuse()),
        },
    };
    Ok(Resource {
        form,
        group_arn,
        streams: format!("{group_arn}:log-stream:{stream}"),
    })
}
