//! Access checks, pure: first the credential's own scope (an API key may be
//! narrowed to some actions; it never widens the tenant policy), then the
//! tenant policy. Each check yields a [`Verdict`] — the decision, on what,
//! and why — which both answers the request and becomes its audit record.

use crate::auth::Principal;
use crate::domain::{Action, Decision};
use crate::error::ApiError;

/// The outcome of an access check.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    /// What was decided on (an ARN, an ARN prefix with `*`, a query id).
    pub(crate) resource: String,
    pub(crate) decision: Decision,
    /// The credential's scope refused, before the policy was asked.
    pub(crate) by_key_scope: bool,
    /// The refusal a client sees, when not allowed.
    denial: Option<String>,
}

impl Verdict {
    pub(crate) fn allowed(resource: String) -> Self {
        Self {
            resource,
            decision: Decision::Allowed,
            by_key_scope: false,
            denial: None,
        }
    }

    pub(crate) fn is_allowed(&self) -> bool {
        self.decision.is_allowed()
    }

    /// `Ok` when allowed, else the 403 to answer.
    pub(crate) fn require(&self) -> Result<(), ApiError> {
        match &self.denial {
            None if self.is_allowed() => Ok(()),
            denial => Err(ApiError::access_denied(
                denial.clone().unwrap_or_else(|| "not allowed".to_owned()),
            )),
        }
    }

    /// The same verdict, recorded against `resource` instead.
    pub(crate) fn on(mut self, resource: String) -> Self {
        self.resource = resource;
        self
    }

    fn denied(resource: String, decision: Decision, message: String) -> Self {
        Self {
            resource,
            decision,
            by_key_scope: false,
            denial: Some(message),
        }
    }
}

/// The credential's scope: `Some(refusal)` when the key may not use `action`.
fn key_scope(principal: &Principal, action: Action, resource: &str) -> Option<Verdict> {
    (!principal.credential_allows(action)).then(|| Verdict {
        resource: resource.to_owned(),
        decision: Decision::ImplicitDeny,
        by_key_scope: true,
        denial: Some(format!("this API key is not allowed {action}")),
    })
}

/// `action` on one resource (a stream, a group).
pub(crate) fn one(principal: &Principal, action: Action, resource: String) -> Verdict {
    if let Some(refused) = key_scope(principal, action, &resource) {
        return refused;
    }
    match principal.tenant.policy.authorize(action, &resource) {
        Decision::Allowed => Verdict::allowed(resource),
        decision => {
            let message = format!(
                "the policy of tenant {} does not allow {action} on {resource}",
                principal.tenant.id
            );
            Verdict::denied(resource, decision, message)
        }
    }
}

/// `action` on *every* stream whose ARN starts with `prefix` (a whole group,
/// or a stream-name prefix): only a proof from the policy allows it (see
/// `CompiledPolicy::authorize_stream_prefix`). `what` names the set for the
/// refusal text.
pub(crate) fn every_stream(principal: &Principal, action: Action, prefix: &str, what: &str) -> Verdict {
    let resource = format!("{prefix}*");
    if let Some(refused) = key_scope(principal, action, &resource) {
        return refused;
    }
    match principal.tenant.policy.authorize_stream_prefix(action, prefix) {
        Decision::Allowed => Verdict::allowed(resource),
        decision => {
            let message = format!(
                "the policy of tenant {} does not allow {action} on {what}: every stream it can read must be permitted",
                principal.tenant.id
            );
            Verdict::denied(resource, decision, message)
        }
    }
}

/// A listing of the streams whose ARN starts with `prefix`: refused before any
/// upstream call when a Deny covers them all (or the group), or when no Allow
/// could match any of them; otherwise allowed, and each listed item is then
/// authorized on its own.
pub(crate) fn listing(principal: &Principal, action: Action, prefix: &str, what: &str) -> Verdict {
    let resource = format!("{prefix}*");
    if let Some(refused) = key_scope(principal, action, &resource) {
        return refused;
    }
    let tenant = &principal.tenant.id;
    match principal.tenant.policy.listing_decision(action, prefix) {
        Decision::Allowed => Verdict::allowed(resource),
        Decision::ExplicitDeny => {
            let message = format!("the policy of tenant {tenant} denies {action} on {what}");
            Verdict::denied(resource, Decision::ExplicitDeny, message)
        }
        Decision::ImplicitDeny => {
            let message = format!("the policy of tenant {tenant} does not allow {action} on any of {what}");
            Verdict::denied(resource, Decision::ImplicitDeny, message)
        }
    }
}

/// Several checks that must all pass: the first refusal, or an allow recorded
/// against `resource`.
pub(crate) fn all(verdicts: impl IntoIterator<Item = Verdict>, resource: String) -> Verdict {
    for verdict in verdicts {
        if !verdict.is_allowed() {
            return verdict;
        }
    }
    Verdict::allowed(resource)
}

/// A listing whose every item is authorized on its own: only the
/// credential's scope can refuse it up front.
pub(crate) fn per_item(principal: &Principal, action: Action, resource: String) -> Verdict {
    key_scope(principal, action, &resource).unwrap_or_else(|| Verdict::allowed(resource))
}

/// Only the credential's scope: for what the policy does not govern (a
/// tenant's own list of queries, each entry of which is authorized itself).
pub(crate) fn credential_scope(principal: &Principal, action: Action, resource: String) -> Verdict {
    key_scope(principal, action, &resource).unwrap_or_else(|| Verdict::allowed(resource))
}

/// A refusal that is not about a resource ARN (no `action` granted anywhere).
pub(crate) fn refuse(principal: &Principal, action: Action, resource: String, message: String) -> Verdict {
    key_scope(principal, action, &resource)
        .unwrap_or_else(|| Verdict::denied(resource, Decision::ImplicitDeny, message))
}
