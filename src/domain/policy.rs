//! Tenant policies: IAM-style JSON documents, validated when stored and compiled
//! into a form the request path evaluates without allocating.
//!
//! Evaluation is IAM's: default deny; any matching Deny beats every Allow.
//! `document` owns the text (parsing, validation, errors), `evaluate` the
//! decision on one resource, and `reach` the proofs over sets of resources
//! (every stream under a prefix) that listings and searches rely on;
//! `template` keeps `${tenant}` from reaching into another tenant's names;
//! `strict_json` reads policy text without letting a repeated key pass.

mod document;
mod evaluate;
mod reach;
mod strict_json;
mod template;

use serde::Serialize;

pub(crate) use document::{PolicyDocument, PolicyError};
pub(crate) use evaluate::{CompiledPolicy, Grant, MatchedStatement};
pub(crate) use strict_json::{DuplicateKey, StrictJson};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// The outcome of evaluating a request against a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Decision {
    /// An Allow statement matched and no Deny did.
    Allowed,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Nothing matched.
    ImplicitDeny,
}

impl Decision {
    pub(crate) fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }
}

/// The group ARN of a stream ARN (or stream-ARN prefix): the text before
/// `:log-stream:`. Group names contain no `:`, so the split is unambiguous.
fn group_of(resource: &str) -> Option<&str> {
    resource.split_once(":log-stream:").map(|(group, _)| group)
}

#[cfg(test)]
mod tests;
