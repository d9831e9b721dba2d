//! Proofs over sets of resources: whether a policy allows, denies or might
//! allow *every* (or *some*) stream under an ARN prefix, and the literal
//! group-name prefixes worth asking CloudWatch for. Listings and searches over
//! many streams rely on these; each is sound, never optimistic.

use super::{CompiledPolicy, Decision, Effect, MatchedStatement, group_of};
use crate::domain::action::Action;
use crate::domain::pattern::ArnPattern;

impl CompiledPolicy {
    /// Decides `action` on *every* stream whose ARN starts with `prefix`
    /// (`...:log-group:G:log-stream:` for a whole group, plus a name prefix):
    /// Allowed only when one Allow statement provably covers them all and no
    /// Deny statement can match any of them. The rest of such an ARN is part
    /// of a stream name, so it never contains `:`. When coverage cannot be
    /// proven the answer is a denial; the gateway never forwards a call it
    /// cannot prove.
    pub(crate) fn authorize_stream_prefix(&self, action: Action, prefix: &str) -> Decision {
        // A Deny on the group itself denies every stream in it.
        if let Some(group) = group_of(prefix)
            && self.authorize(action, group) == Decision::ExplicitDeny
        {
            return Decision::ExplicitDeny;
        }
        let mut covered = false;
        for s in self.statements.iter().filter(|s| s.actions & action.bit() != 0) {
            match s.effect {
                Effect::Deny if s.resources.iter().any(|r| r.matches_some_extension(prefix, Some(b':'))) => {
                    return Decision::ExplicitDeny;
                }
                Effect::Allow if s.resources.iter().any(|r| r.covers_all_with_prefix(prefix)) => covered = true,
                _ => {}
            }
        }
        if covered {
            Decision::Allowed
        } else {
            Decision::ImplicitDeny
        }
    }

    /// [`authorize_stream_prefix`](Self::authorize_stream_prefix)'s decision
    /// (the very same proof), with the statements behind it: the Denies that
    /// block it, else the Allows that cover the set, else the Allows that
    /// reach only part of it (the decision is then not provable).
    pub(crate) fn explain_stream_prefix(&self, action: Action, prefix: &str) -> (Decision, Vec<MatchedStatement>) {
        let decision = self.authorize_stream_prefix(action, prefix);
        let group_denies: Vec<MatchedStatement> = match group_of(prefix) {
            Some(group) => self
                .explain(action, group)
                .1
                .into_iter()
                .filter(|m| m.effect == Effect::Deny)
                .collect(),
            None => Vec::new(),
        };
        let relevant = self.statements.iter().filter(|s| s.actions & action.bit() != 0);
        let matched = match decision {
            Decision::ExplicitDeny if !group_denies.is_empty() => group_denies,
            Decision::ExplicitDeny => relevant
                .filter(|s| s.effect == Effect::Deny)
                .filter(|s| s.resources.iter().any(|r| r.matches_some_extension(prefix, Some(b':'))))
                .map(|s| s.matched())
                .collect(),
            Decision::Allowed => relevant
                .filter(|s| s.effect == Effect::Allow)
                .filter(|s| s.resources.iter().any(|r| r.covers_all_with_prefix(prefix)))
                .map(|s| s.matched())
                .collect(),
            Decision::ImplicitDeny => relevant
                .filter(|s| s.effect == Effect::Allow)
                .filter(|s| s.resources.iter().any(|r| r.matches_some_extension(prefix, Some(b':'))))
                .map(|s| s.matched())
                .collect(),
        };
        (decision, matched)
    }

    /// Whether a Deny statement for `action` covers every stream whose ARN
    /// starts with `prefix` (or the group itself): the group is off limits.
    pub(crate) fn denies_all_streams(&self, action: Action, prefix: &str) -> bool {
        if group_of(prefix).is_some_and(|g| self.authorize(action, g) == Decision::ExplicitDeny) {
            return true;
        }
        self.statements
            .iter()
            .filter(|s| s.effect == Effect::Deny && s.actions & action.bit() != 0)
            .any(|s| s.resources.iter().any(|r| r.covers_all_with_prefix(prefix)))
    }

    /// Whether some Allow statement for `action` could match a stream whose
    /// ARN starts with `prefix` (`...:log-group:G:log-stream:`, maybe with a
    /// name prefix). A reach, not a proof: used to decide whether a listing is
    /// worth forwarding at all; each result is still authorized.
    pub(crate) fn may_allow_some_stream(&self, action: Action, prefix: &str) -> bool {
        self.statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && s.actions & action.bit() != 0)
            .any(|s| s.resources.iter().any(|r| r.matches_some_extension(prefix, Some(b':'))))
    }

    /// The literal log-group-name prefixes of the Allow patterns for `action`
    /// (the text after `:log-group:` up to the first wildcard), to ask
    /// CloudWatch for as little as possible. `None` when some pattern does not
    /// constrain the group name. Only an optimisation: results are still
    /// authorized one by one.
    pub(crate) fn allowed_group_prefixes(&self, action: Action) -> Option<Vec<String>> {
        let mut prefixes: Vec<String> = Vec::new();
        for r in self.allow_patterns(action) {
            let (_, rest) = r.resolved().split_once(":log-group:")?;
            let end = rest.find(['*', '?', '$', ':']).unwrap_or(rest.len());
            prefixes.push(rest[..end].to_owned());
        }
        Some(minimal(prefixes))
    }

    /// The literal stream-name prefixes of the Allow patterns for `action`
    /// that can match streams under `streams_prefix`
    /// (`...:log-group:G:log-stream:`), to list only those; `None` when some
    /// pattern does not constrain the stream name. Only an optimisation:
    /// each listed stream is still authorized.
    pub(crate) fn allowed_stream_prefixes(&self, action: Action, streams_prefix: &str) -> Option<Vec<String>> {
        let mut prefixes: Vec<String> = Vec::new();
        for r in self.allow_patterns(action) {
            // A continuation no stream name can start with (a literal `*`
            // from `${*}`, over 512 characters) matches nothing: not asked for.
            let continuations = r.literal_continuations(streams_prefix, b':')?;
            prefixes.extend(
                continuations
                    .into_iter()
                    .filter(|c| c.is_empty() || crate::domain::LogStreamName::parse(c).is_ok()),
            );
        }
        Some(minimal(prefixes))
    }

    /// Whether a listing of the streams under `prefix` may go ahead: refused
    /// when a Deny covers them all (or the group), or no Allow could match
    /// any of them; each listed item is then authorized on its own. The
    /// gateway and the simulator both decide with this.
    pub(crate) fn listing_decision(&self, action: Action, prefix: &str) -> Decision {
        if self.denies_all_streams(action, prefix) {
            Decision::ExplicitDeny
        } else if !self.may_allow_some_stream(action, prefix) {
            Decision::ImplicitDeny
        } else {
            Decision::Allowed
        }
    }

    /// Whether a log group shows in DescribeLogGroups: the policy allows
    /// `action` on the group itself (`group_arn`), or may allow it on some of
    /// its streams (under `streams`, `...:log-group:G:log-stream:`), and
    /// denies it on neither. The gateway and the simulator both decide with this.
    pub(crate) fn group_visibility(&self, action: Action, group_arn: &str, streams: &str) -> Decision {
        if self.denies_all_streams(action, streams) {
            return Decision::ExplicitDeny;
        }
        match self.authorize(action, group_arn) {
            Decision::ExplicitDeny => Decision::ExplicitDeny,
            Decision::Allowed => Decision::Allowed,
            Decision::ImplicitDeny if self.may_allow_some_stream(action, streams) => Decision::Allowed,
            Decision::ImplicitDeny => Decision::ImplicitDeny,
        }
    }

    /// Every resource pattern of the Allow statements for `action`.
    fn allow_patterns(&self, action: Action) -> impl Iterator<Item = &ArnPattern> {
        self.statements
            .iter()
            .filter(move |s| s.effect == Effect::Allow && s.actions & action.bit() != 0)
            .flat_map(|s| s.resources.iter())
    }
}

/// The prefixes no shorter one in the set already includes, sorted.
fn minimal(mut prefixes: Vec<String>) -> Vec<String> {
    prefixes.sort();
    prefixes.dedup();
    let mut out: Vec<String> = Vec::new();
    for p in prefixes {
        if !out.iter().any(|m| p.starts_with(m.as_str())) {
            out.push(p);
        }
    }
    out
}
